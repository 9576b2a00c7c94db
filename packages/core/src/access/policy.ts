import type { BlockList } from 'node:net';
import type { GrantFields } from '@stratum/contracts';
import { addressList, inList } from '../auth/ip-allow.js';
import { cronMatches, parseCron, type Cron } from './cron.js';

/** Verbs of a grant; `any` covers every verb. */
export type Verb = 'create' | 'read' | 'update' | 'delete';
export const VERBS: readonly Verb[] = ['create', 'read', 'update', 'delete'];

/** Whose documents a grant reaches (DESIGN 6.2); `any` is unscoped. */
export type Possession = 'own' | 'share' | 'group' | 'client' | 'any';
export const POSSESSIONS: readonly Possession[] = ['own', 'share', 'group', 'client', 'any'];

/** A grant as stored in `auth/grants` or expanded from the RBAC config. */
export type GrantInput = GrantFields;

/** A grant parsed once, ready to be matched many times. */
export interface Policy {
  /** Where it came from: `grant:<id>` or `rbac:<role>/<permission>/<name>`. */
  source: string;
  subject: string;
  verbs: ReadonlySet<Verb>;
  possession: Possession;
  /** `service:collection`, `service:all` or `all`. */
  object: string;
  field?: string[];
  filter?: string[];
  location?: string[];
  time?: Cron[];
}

export class PolicyError extends Error {}

const OBJECT = /^(all|[a-z][a-z0-9_]{0,29}:(all|[a-z][a-z0-9_]{0,29}))$/;

/** Parses `read`, `read:own`, `any`, `any:group`…; throws PolicyError naming what is wrong. */
export function parseAction(action: string): { verbs: Set<Verb>; possession: Possession } {
  const [verb, possession = 'any', ...rest] = action.split(':');
  if (rest.length > 0) throw new PolicyError(`action ${JSON.stringify(action)} has more than verb:possession`);
  const verbs = verb === 'any' || verb === '*' ? new Set(VERBS) : new Set([verb as Verb]);
  if (verb !== 'any' && verb !== '*' && !VERBS.includes(verb as Verb)) throw new PolicyError(`action verb must be one of ${VERBS.join(', ')} or any, got ${JSON.stringify(verb)}`);
  if (!POSSESSIONS.includes(possession as Possession)) throw new PolicyError(`possession must be one of ${POSSESSIONS.join(', ')}, got ${JSON.stringify(possession)}`);
  return { verbs, possession: possession as Possession };
}

/** Compiles a grant; the subject is normalised to `role@tenant`. */
export function compilePolicy(grant: GrantInput, tenant: string, source: string): Policy {
  const { verbs, possession } = parseAction(grant.action);
  if (!OBJECT.test(grant.object)) throw new PolicyError(`object must be service:collection, service:all or all, got ${JSON.stringify(grant.object)}`);
  if (!grant.subject) throw new PolicyError('subject is required');
  return {
    source,
    subject: grant.subject.includes('@') ? grant.subject : `${grant.subject}@${tenant}`,
    verbs, possession,
    object: grant.object,
    field: grant.field?.length ? grant.field : undefined,
    filter: grant.filter?.length ? grant.filter : undefined,
    location: grant.location?.length ? grant.location : undefined,
    time: grant.time?.length ? grant.time.map(parseCron) : undefined,
  };
}

export function objectCovers(object: string, service: string, collection: string): boolean {
  return object === 'all' || object === `${service}:all` || object === `${service}:${collection}`;
}

/** The request a decision is about, with what conditional grants look at. */
export interface AccessRequest {
  subjects: readonly string[];
  verb: Verb;
  service: string;
  collection: string;
  ip?: string;
  now: Date;
}

export interface Decision {
  can: boolean;
  reason: string;
  /** Possessions the caller holds for this verb and object; `any` means unscoped. */
  possessions: Set<Possession>;
  /** The grants that hold, each with its own field limits. */
  matched: Policy[];
}

type Miss = 'location' | 'time';

/**
 * A grant's `location` as one BlockList, built on its first check and kept with the policy
 * (policies are compiled once per tenant and cached), with the answers for the addresses seen
 * lately: building the list costs 5-10 µs per located grant and request, a check of it about 1 µs.
 */
interface Location {
  list: BlockList;
  answers: Map<string, boolean>;
}

const locations = new WeakMap<Policy, Location>();
/** Addresses remembered per located grant; past it, the answers start over. */
const REMEMBERED_ADDRESSES = 1024;

function locationOf(policy: Policy, location: readonly string[]): Location {
  let known = locations.get(policy);
  if (!known) {
    const list = addressList(location);
    known = { list, answers: new Map() };
    locations.set(policy, known);
  }
  return known;
}

function locationHolds(policy: Policy, location: readonly string[], ip: string | undefined): boolean {
  if (!ip) return false;
  const { list, answers } = locationOf(policy, location);
  const known = answers.get(ip);
  if (known !== undefined) return known;
  const holds = inList(list, ip);
  if (answers.size >= REMEMBERED_ADDRESSES) answers.clear();
  answers.set(ip, holds);
  return holds;
}

function conditionMiss(policy: Policy, request: AccessRequest): Miss | undefined {
  if (policy.location && !locationHolds(policy, policy.location, request.ip)) return 'location';
  if (policy.time && !policy.time.some((cron) => cronMatches(cron, request.now))) return 'time';
  return undefined;
}

/** A tenant's policies by subject, then verb, each list in the tenant's order (`at`: index in it). */
interface SubjectIndex {
  size: number;
  bySubject: Map<string, Map<Verb, { policy: Policy; at: number }[]>>;
}

/**
 * Built on the first decision over a policy list and kept with it, so a decision looks at the
 * caller's subjects' grants for the verb only, not at every grant of the tenant. A list is the
 * cached, never-changed result of one load (PolicyIndex); one whose length changed is indexed
 * again.
 */
const indexes = new WeakMap<readonly Policy[], SubjectIndex>();

function indexOf(policies: readonly Policy[]): SubjectIndex {
  const known = indexes.get(policies);
  if (known && known.size === policies.length) return known;
  const bySubject = new Map<string, Map<Verb, { policy: Policy; at: number }[]>>();
  policies.forEach((policy, at) => {
    let byVerb = bySubject.get(policy.subject);
    if (!byVerb) bySubject.set(policy.subject, (byVerb = new Map()));
    for (const verb of policy.verbs) {
      const list = byVerb.get(verb);
      if (list) list.push({ policy, at });
      else byVerb.set(verb, [{ policy, at }]);
    }
  });
  const index = { size: policies.length, bySubject };
  indexes.set(policies, index);
  return index;
}

/** The grants of the caller's subjects for this verb and object, in the tenant's order. */
function candidatesFor(policies: readonly Policy[], subjects: ReadonlySet<string>, request: AccessRequest): Policy[] {
  const { bySubject } = indexOf(policies);
  const serviceAll = `${request.service}:all`;
  const exact = `${request.service}:${request.collection}`;
  const found: { policy: Policy; at: number }[] = [];
  let lists = 0;
  for (const subject of subjects) {
    const list = bySubject.get(subject)?.get(request.verb);
    if (!list) continue;
    lists++;
    for (const entry of list) {
      const { object } = entry.policy;
      if (object === 'all' || object === serviceAll || object === exact) found.push(entry);
    }
  }
  // Several subjects: back in the tenant's order, as a scan of the whole list would find them.
  if (lists > 1) found.sort((a, b) => a.at - b.at);
  return found.map((entry) => entry.policy);
}

/**
 * Decides one request against a tenant's policies: every grant of one of the caller's subjects
 * for this verb and object, whose location and time conditions hold, contributes its
 * possession, and its field limits hold on the rows it reaches (access-scope). The reason says
 * which grants matched or why none did.
 */
export function decide(policies: readonly Policy[], request: AccessRequest): Decision {
  const subjects = new Set(request.subjects);
  const candidates = candidatesFor(policies, subjects, request);
  const misses = new Map<Policy, Miss>();
  const matched = candidates.filter((p) => {
    const miss = conditionMiss(p, request);
    if (miss) misses.set(p, miss);
    return miss === undefined;
  });
  const target = `${request.verb} on ${request.service}:${request.collection}`;
  if (matched.length === 0) {
    const why = candidates.length === 0
      ? `no grant of ${[...subjects].join(', ') || 'this caller (no subjects)'} allows ${target}`
      : `grants for ${target} exist but their conditions do not hold: ${candidates.map((p) => `${p.source} (${misses.get(p)})`).join(', ')}`;
    return { can: false, reason: why, possessions: new Set(), matched: [] };
  }
  return {
    can: true,
    reason: `policy matched: ${matched.map((p) => p.source).join(', ')}`,
    possessions: new Set(matched.map((p) => p.possession)),
    matched,
  };
}
