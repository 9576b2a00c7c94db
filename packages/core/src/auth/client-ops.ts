import { ErrorCode, type TokenClaims } from '@stratum/contracts';
import type { RequestContext, TenantId } from '../context.js';
import { DomainError } from '../errors.js';
import type { CollectionEngine } from '../collections/engine.js';
import type { CollectionRegistry } from '../collections/registry.js';
import { hashToken, newSecret } from '../collections/secrets.js';
import type { Store } from '../store/types.js';
import type { ClientRecord, IdentityDirectory } from './directory.js';
import { verifyPassword } from './passwords.js';
import type { SessionService } from './sessions.js';
import type { TenantDirectory } from './tenants.js';
import type { TokenService } from './tokens.js';

const invalidClient = () => new DomainError(ErrorCode.UNAUTHORIZED, 'Invalid client credentials');

/** What a confidential client does with its own credentials: RFC 7009, RFC 7662, api keys. */
export class ClientOperations {
  constructor(
    private readonly store: Store,
    private readonly engine: CollectionEngine,
    private readonly registry: CollectionRegistry,
    private readonly tokens: TokenService,
    private readonly sessions: SessionService,
    private readonly tenants: TenantDirectory,
    private readonly identities: IdentityDirectory,
  ) {}

  /** Client authentication by id and secret, in the tenant named or the client's own. */
  async authenticateClient(id: string | undefined, secret: string | undefined, domain?: string): Promise<{ tenant: TenantId; client: ClientRecord }> {
    if (!id || !secret || !/^[0-9a-f]{24}$/.test(id)) throw invalidClient();
    const tenantName = domain ?? (await this.identities.tenantOfClient(id));
    const tenant = tenantName ? await this.tenants.resolve(tenantName) : undefined;
    const client = tenant ? await this.identities.client(tenant.id, id) : undefined;
    const ok = await verifyPassword(secret, client?.secret);
    if (!tenant || !client || !ok || (client.status ?? 'active') !== 'active') throw invalidClient();
    return { tenant: tenant.id, client };
  }

  /** Claims of a token if it is a valid, unrevoked token of this client's tenant, else null. */
  async inspect(tenant: TenantId, token: string): Promise<TokenClaims | null> {
    for (const type of ['access', 'refresh'] as const) {
      try {
        const claims = await this.tokens.verify(token, type);
        if (claims.domain !== tenant) return null;
        await this.sessions.assertActive(tenant, claims.session);
        return claims;
      } catch {
        // try the other type, then give up
      }
    }
    return null;
  }

  /** RFC 7009: the client's own tokens only; an unknown token is not an error. */
  async revoke(tenant: TenantId, client: ClientRecord, token: string): Promise<void> {
    const claims = await this.inspect(tenant, token);
    if (claims && claims.client_id === client.id) await this.sessions.revoke(tenant, [claims.session]);
  }

  /** Generates a new api key for a client; the previous one stops working at once. */
  async rotateApiKey(ctx: RequestContext, clientId: string): Promise<string> {
    const clients = this.registry.get('domain', 'clients');
    const key = newSecret('sk');
    await this.store.transaction(async (tx) => {
      const txCtx = { ...ctx, tx };
      await this.engine.updateById(txCtx, clients, clientId, {}, { system: { api_key_hash: hashToken(key) } });
      await tx.query("DELETE FROM stratum_credentials WHERE tenant_id = $1 AND subject_id = $2 AND kind = 'api_key'", [ctx.tenant, clientId]);
      await tx.query("INSERT INTO stratum_credentials (hash, kind, tenant_id, subject_id) VALUES ($1, 'api_key', $2, $3)", [hashToken(key), ctx.tenant, clientId]);
    });
    return key;
  }
}
