import type { IncomingHttpHeaders } from 'node:http';
import { asTenantId, type Authenticated, type Config, type Credentials, type OidcAuthenticator, type RequestAuthenticator } from '@stratum/core';

export type { Authenticated } from '@stratum/core';

/** Turns request credentials into a tenant and principal, or null when none were sent. */
export interface Authenticator {
  authenticate(credentials: Credentials): Promise<Authenticated | null>;
}

// Fixed ids make the local developer's data survive restarts of `npm start`.
export const DEV_USER_ID = '000000000000000000000001';
export const DEV_CLIENT_ID = '000000000000000000000002';

/** Who a request without credentials is under AUTH_PROVIDER=none: the admin of the root tenant, through its own client. */
export function localDeveloper(config: Config): Authenticated {
  const tenant = config.auth.rootDomain;
  return {
    tenant: asTenantId(tenant),
    kind: 'local',
    principal: {
      uid: DEV_USER_ID,
      cid: DEV_CLIENT_ID,
      coworkers: [DEV_CLIENT_ID],
      subjects: [`admin@${tenant}`],
      scope: ['whole'],
      groups: [tenant],
    },
  };
}

/**
 * AUTH_PROVIDER=none: a request without credentials acts as one local developer in the root
 * tenant; one with credentials is authenticated as usual. Config refuses this provider when
 * NODE_ENV=production. The developer's client is a real row (`ensureLocalClient` at start).
 */
export class LocalDeveloperAuthenticator implements Authenticator {
  private readonly developer: Authenticated;

  constructor(config: Config, private readonly real: RequestAuthenticator) {
    this.developer = localDeveloper(config);
  }

  async authenticate(credentials: Credentials): Promise<Authenticated> {
    return (await this.real.authenticate(credentials)) ?? this.developer;
  }
}

/** The one authenticator of the deployment's AUTH_PROVIDER; `oidc` accepts external OIDC JWTs only. */
export function createAuthenticator(config: Config, real: RequestAuthenticator, oidc?: OidcAuthenticator): Authenticator {
  switch (config.authProvider) {
    case 'none':
      return new LocalDeveloperAuthenticator(config, real);
    case 'internal':
      return real;
    case 'oidc':
      if (!oidc) throw new Error('AUTH_PROVIDER=oidc needs the OIDC authenticator');
      return oidc;
    default:
      throw new Error(`AUTH_PROVIDER=${config.authProvider} is not available`);
  }
}

export function credentialsOf(headers: IncomingHttpHeaders, ip: string): Credentials {
  const apiKey = headers['x-api-key'];
  const domain = headers['x-domain'];
  return {
    authorization: headers.authorization, apiKey: typeof apiKey === 'string' ? apiKey : undefined, ip,
    domain: typeof domain === 'string' && domain !== '' ? domain : undefined,
  };
}
