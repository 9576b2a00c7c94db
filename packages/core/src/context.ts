import type { SqlExecutor } from './store/types.js';
import type { AccessResolver } from './access/access-scope.js';

declare const tenantBrand: unique symbol;
/** A tenant id that has been resolved and checked. Only `asTenantId` makes one. */
export type TenantId = string & { readonly [tenantBrand]: true };

const TENANT_ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export function asTenantId(value: string): TenantId {
  if (!TENANT_ID.test(value)) throw new Error(`invalid tenant id: ${JSON.stringify(value)}`);
  return value as TenantId;
}

/** Who acts: a user (uid), an app (aid) or a client (cid), per DESIGN 6.1. */
export interface Principal {
  uid?: string;
  aid?: string;
  cid: string;
  coworkers: string[];
  subjects: string[];
  scope: string[];
  groups: string[];
  session?: string;
  /** Default zones of the token (`zone` claim), e.g. `own,share`. */
  zone?: string;
}

/** The explicit context every service method takes first. */
export interface RequestContext {
  readonly tenant: TenantId;
  readonly principal: Principal;
  readonly requestId: string;
  /** The transaction writes must run in; absent outside one. */
  readonly tx?: SqlExecutor;
  /** Runs work once the transaction has committed (announcing a revocation, say); absent outside one. */
  readonly afterCommit?: (work: () => Promise<void>) => void;
  /** The grant gate of this request; absent for the platform's own work, which is unrestricted. */
  readonly access?: AccessResolver;
}

export function actorOf(principal: Principal): string {
  return principal.uid ?? principal.aid ?? principal.cid;
}

export function actingClientOf(principal: Principal): string {
  return principal.aid ?? principal.cid;
}

export function withTx(ctx: RequestContext, tx: SqlExecutor): RequestContext {
  return { ...ctx, tx };
}
