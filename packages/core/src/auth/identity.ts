import type { Config } from '../config.js';
import { busReachesEveryNode, type Bus } from '../bus/bus.js';
import type { CollectionEngine } from '../collections/engine.js';
import type { CollectionRegistry } from '../collections/registry.js';
import type { Store } from '../store/types.js';
import { aptHooks } from './apts.js';
import { userHooks } from './users.js';
import { ClientOperations } from './client-ops.js';
import { RequestAuthenticator } from './authenticate.js';
import { IdentityDirectory } from './directory.js';
import { ExternalUsers } from './external-users.js';
import { TokenGrants } from './grants.js';
import { KeyRing } from './keys.js';
import { OidcVerifier } from './oidc.js';
import { OidcAuthenticator } from './oidc-authenticator.js';
import { SessionService } from './sessions.js';
import { TenantDirectory } from './tenants.js';
import { Throttle } from './throttle.js';
import { TokenService } from './tokens.js';

const APT_DEFAULT_TTL_SECONDS = 365 * 86_400;

export interface Identity {
  keys: KeyRing;
  tokens: TokenService;
  sessions: SessionService;
  tenants: TenantDirectory;
  identities: IdentityDirectory;
  grants: TokenGrants;
  authenticator: RequestAuthenticator;
  clients: ClientOperations;
  /** Local users of external identities (seed 004 `GET /me`). */
  externalUsers: ExternalUsers;
  /** Set when AUTH_PROVIDER=oidc. */
  oidc?: OidcAuthenticator;
}

/**
 * Builds the identity services. Session validity is cached on a node only when every
 * revocation reaches it: one process (embedded) or the NATS bus.
 */
export async function createIdentity(config: Config, store: Store, registry: CollectionRegistry, engine: CollectionEngine, bus: Bus): Promise<Identity> {
  const keys = new KeyRing(store, config.auth.keyOverlapSeconds);
  await keys.init();
  const tokens = new TokenService(keys, { issuer: config.auth.issuer, audience: config.auth.audience });
  const cacheMs = busReachesEveryNode(bus, store.kind) ? 60_000 : 0;
  const sessions = new SessionService(store, engine, registry, bus, cacheMs);
  const tenants = new TenantDirectory(store);
  const identities = new IdentityDirectory(store);
  const throttle = new Throttle(config.limits.loginAttempts, 60_000);
  const grants = new TokenGrants({ config: config.auth, db: store, tokens, sessions, tenants, identities, throttle });
  const authenticator = new RequestAuthenticator(store, tokens, sessions, tenants, identities);
  const clients = new ClientOperations(store, engine, registry, tokens, sessions, tenants, identities);
  engine.setHooks('auth/apts', aptHooks(sessions, APT_DEFAULT_TTL_SECONDS));
  engine.setHooks('identity/users', userHooks(sessions));
  const oidcConfig = config.auth.oidc;
  const externalUsers = new ExternalUsers(store, engine, registry, oidcConfig?.scope ?? []);
  const oidc = oidcConfig
    ? new OidcAuthenticator(new OidcVerifier(oidcConfig), externalUsers, tenants, { rootDomain: config.auth.rootDomain, scope: oidcConfig.scope, roles: oidcConfig.roles })
    : undefined;
  return { keys, tokens, sessions, tenants, identities, grants, authenticator, clients, externalUsers, oidc };
}
