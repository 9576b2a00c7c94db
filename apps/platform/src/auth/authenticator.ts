import type { IncomingHttpHeaders } from 'node:http';
import { asTenantId, type Config, type Principal, type TenantId } from '@stratum/core';

export interface Authenticated {
  tenant: TenantId;
  principal: Principal;
}

/** Turns request credentials into a tenant and principal, or null when there are none valid. */
export interface Authenticator {
  authenticate(headers: IncomingHttpHeaders): Promise<Authenticated | null>;
}

// Fixed ids make the local developer's data survive restarts of `npm start`.
export const DEV_USER_ID = '000000000000000000000001';
export const DEV_CLIENT_ID = '000000000000000000000002';

/**
 * AUTH_PROVIDER=none: every request acts as one local developer in one tenant. Config refuses
 * this provider when NODE_ENV=production.
 */
export class LocalDeveloperAuthenticator implements Authenticator {
  private readonly identity: Authenticated;

  constructor(config: Config) {
    this.identity = {
      tenant: asTenantId(config.devTenant),
      principal: {
        uid: DEV_USER_ID,
        cid: DEV_CLIENT_ID,
        coworkers: [DEV_CLIENT_ID],
        subjects: [`admin@${config.devTenant}`],
        scope: ['whole'],
        groups: [config.devTenant],
      },
    };
  }

  async authenticate(): Promise<Authenticated> {
    return this.identity;
  }
}

export function createAuthenticator(config: Config): Authenticator {
  switch (config.authProvider) {
    case 'none':
      return new LocalDeveloperAuthenticator(config);
    default:
      throw new Error(`AUTH_PROVIDER=${config.authProvider} is not available`);
  }
}
