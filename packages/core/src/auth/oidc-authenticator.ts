import { ErrorCode } from '@stratum/contracts';
import { DomainError } from '../errors.js';
import { bearerOf, type Authenticated, type Credentials } from './authenticate.js';
import type { ExternalUsers } from './external-users.js';
import type { OidcVerifier } from './oidc.js';
import type { TenantDirectory } from './tenants.js';

/** header.payload.signature, base64url each: the only bearer shape this provider accepts. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export interface OidcAuthenticatorSettings {
  /** Roles every OIDC user has (`OIDC_ROLES`), besides the ones on their local user. */
  roles: string[];
  /** The tenant of a request that names none with `x-domain`. */
  rootDomain: string;
  /** Scope of every OIDC principal (`OIDC_SCOPE`). */
  scope: readonly string[];
}

/**
 * AUTH_PROVIDER=oidc: compact JWT bearer tokens of the external provider, and nothing else (no
 * Stratum tokens, APTs or api keys). The tenant is the root tenant unless `x-domain` names
 * another; the principal is the tenant's local user of the identity, acting through the
 * tenant's `oidc` client with the configured scope.
 */
export class OidcAuthenticator {
  constructor(
    private readonly verifier: OidcVerifier,
    private readonly users: ExternalUsers,
    private readonly tenants: TenantDirectory,
    private readonly settings: OidcAuthenticatorSettings,
  ) {}

  async authenticate(credentials: Credentials): Promise<Authenticated | null> {
    const bearer = bearerOf(credentials.authorization);
    if (!bearer) return null;
    if (!COMPACT_JWS.test(bearer)) throw new DomainError(ErrorCode.UNAUTHORIZED, 'AUTH_PROVIDER=oidc accepts OIDC JWT bearer tokens only');
    const external = await this.verifier.verify(bearer);
    const tenant = (await this.tenants.require(credentials.domain || this.settings.rootDomain)).id;
    const user = await this.users.findOrCreate(tenant, external);
    if (user.status !== 'active') throw new DomainError(ErrorCode.FORBIDDEN, `This account is ${user.status}`);
    const cid = await this.users.clientId(tenant);
    return {
      tenant,
      kind: 'oidc',
      external,
      principal: {
        uid: user.id,
        cid,
        coworkers: [cid],
        subjects: [...new Set([...user.subjects, ...this.settings.roles])].map((s) => (s.includes('@') ? s : `${s}@${tenant}`)),
        scope: [...this.settings.scope],
        groups: [tenant],
      },
    };
  }
}
