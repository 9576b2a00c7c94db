import { ErrorCode } from '@stratum/contracts';
import { scopeAllows } from '../auth/scopes.js';
import type { Principal, TenantId } from '../context.js';
import { DomainError } from '../errors.js';
import type { CollectionRegistry } from '../collections/registry.js';
import { decide, parseAction, PolicyError, VERBS, type Decision, type GrantInput, type Policy, type Verb } from './policy.js';
import type { PolicyIndex } from './policy-index.js';
import type { SqlExecutor } from '../store/types.js';
import { limitsOf, type AccessResolver, type AccessScope } from './access-scope.js';
import { resolveZones, type Zone } from './zones.js';

/** Who asks, from where, for `/auth/can` and for the grant gate. */
export interface AccessCaller {
  tenant: TenantId;
  principal: Principal;
  ip?: string;
}

export interface CanAnswer {
  can: boolean;
  reason: string;
  policies?: PolicyView[];
}

/** A policy as `/auth/can` shows it with `x-can-with-policies: true`. */
export type PolicyView = GrantInput & { source: string };

const SCOPE_LEVEL: Record<Verb, 'read' | 'write'> = { create: 'write', read: 'read', update: 'write', delete: 'write' };

function view(policy: Policy): PolicyView {
  const verbs = [...policy.verbs];
  const verb = verbs.length === VERBS.length ? 'any' : verbs[0];
  return {
    source: policy.source, subject: policy.subject,
    action: policy.possession === 'any' ? verb : `${verb}:${policy.possession}`,
    object: policy.object, field: policy.field, filter: policy.filter, location: policy.location,
    time: policy.time?.map((t) => t.source),
  };
}

function bad(message: string): never {
  throw new DomainError(ErrorCode.BAD_REQUEST, message);
}

/**
 * The grant gate (DESIGN 6.2): decisions from the tenant's compiled policies, made in-process.
 * Subjects are the caller's roles as `role@domain`.
 */
export class AccessControl {
  constructor(private readonly index: PolicyIndex, private readonly registry: CollectionRegistry) {}

  subjectsOf(caller: AccessCaller): string[] {
    return caller.principal.subjects.map((s) => (s.includes('@') ? s : `${s}@${caller.tenant}`));
  }

  /**
   * The grant gate of one request. Users are decided by their subjects' grants; a client or app
   * acting without a user is authorised by its scope alone, which the tenant's admin set on it.
   * Zones come from `?zone=`/`x-zone`, else the token's `zone`, else the default.
   */
  resolverFor(caller: AccessCaller, requestedZones: Zone[] | undefined): AccessResolver | undefined {
    if (!caller.principal.uid) return undefined;
    const decisions = new Map<string, Promise<AccessScope>>();
    return {
      resolve: (service, collection, verb, db) => {
        const key = `${service}:${collection}:${verb}`;
        let scope = decisions.get(key);
        if (!scope) {
          scope = this.scopeFor(caller, requestedZones, service, collection, verb, db);
          decisions.set(key, scope);
        }
        return scope;
      },
    };
  }

  private async scopeFor(caller: AccessCaller, requestedZones: Zone[] | undefined, service: string, collection: string, verb: Verb, db?: SqlExecutor): Promise<AccessScope> {
    const decision = await this.decide(caller, verb, service, collection, new Date(), db);
    if (!decision.can) throw new DomainError(ErrorCode.FORBIDDEN, decision.reason);
    const unscoped = decision.possessions.has('any');
    // A read is limited by its grants' `filter`, a write by their `field`.
    const limits = limitsOf(decision.matched.map((p) => ({ possession: p.possession, fields: verb === 'read' ? p.filter : p.field })));
    const base = { principal: caller.principal, limits, unscoped };
    if (verb === 'create') return base;
    if (verb === 'read') {
      const zones = resolveZones(requestedZones, decision.possessions);
      return zones ? { ...base, rows: { principal: caller.principal, zones } } : base;
    }
    if (unscoped) return base;
    return { ...base, rows: { principal: caller.principal, possessions: [...decision.possessions], client: caller.principal.cid } };
  }

  async decide(caller: AccessCaller, verb: Verb, service: string, collection: string, now = new Date(), db?: SqlExecutor): Promise<Decision> {
    const { policies } = await this.index.policies(caller.tenant, db);
    return decide(policies, { subjects: this.subjectsOf(caller), verb, service, collection, ip: caller.ip, now });
  }

  /**
   * `POST /auth/can` (seed 003, DESIGN 12): may the caller do `action` (`read`, `update:own`…) on
   * `resource` (`identity:users`, or `identity/users`)? Both gates answer: the token's scope and
   * the subject's grants; the reason names the grants that matched, or why none did.
   */
  async can(caller: AccessCaller, body: { action?: unknown; resource?: unknown; object?: unknown }, withPolicies: boolean): Promise<CanAnswer> {
    const resource = body.resource ?? body.object;
    if (typeof body.action !== 'string' || body.action.length > 64) bad('action must be a string such as read or update:own');
    if (typeof resource !== 'string' || resource.length > 128) bad('resource must be a string such as identity:users');
    let parsed: ReturnType<typeof parseAction>;
    try {
      parsed = parseAction(body.action);
    } catch (error) {
      bad(error instanceof PolicyError ? error.message : 'invalid action');
    }
    const [service, collection] = resource.split(/[:/]/);
    if (!this.registry.find(service ?? '', collection ?? '')) bad(`resource ${JSON.stringify(resource)} is not a collection (service:collection)`);
    const verbs = [...parsed.verbs];
    const decisions = await Promise.all(verbs.map((verb) => this.decide(caller, verb, service, collection)));
    const denied = decisions.findIndex((d) => !d.can || (parsed.possession !== 'any' && !d.possessions.has('any') && !d.possessions.has(parsed.possession)));
    const missingScope = verbs.find((verb) => !scopeAllows(caller.principal.scope, SCOPE_LEVEL[verb], service, collection));
    const policies = withPolicies ? decisions.flatMap((d) => d.matched.map(view)) : undefined;
    if (missingScope) return { can: false, reason: `the token lacks the scope ${SCOPE_LEVEL[missingScope]}:${service}:${collection}`, policies };
    if (denied >= 0) {
      const d = decisions[denied];
      const reason = d.can ? `grants allow ${verbs[denied]} only for ${[...d.possessions].join(', ')}, not ${parsed.possession}` : d.reason;
      return { can: false, reason, policies };
    }
    return { can: true, reason: decisions.map((d) => d.reason).join('; '), policies };
  }
}
