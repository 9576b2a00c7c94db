import assert from 'node:assert/strict';
import { bootstrapRoot, CollectionEngine, loadConfig } from '@stratum/core';
import { ADMIN_PASSWORD, decodeJwt, MEMBER_ROLE, uniqueDomain, uniqueName, type Secure } from '../auth/security-harness.js';
import { permission, Rng, type GrantSpec, type Projection, type Query, type Verb } from './isolation-model.js';
import {
  DATA_FIELDS, DATA_PATHS, Findings, nameOf, others, PASSWORD, principals, READ_PATHS, SEED, send, syncTruth, USERS,
  type Actor, type Tenant, type World,
} from './isolation-world.js';

/**
 * The random choices of the isolation suite: the world built from the seed (tenants, clients, roles,
 * grants, users) and the bodies, queries, sorts and projections of its requests.
 */

const ROLES = ['r0', 'r1', 'r2', 'r3'];
const OBJECTS = [
  'special:stats', 'special:stats', 'context:settings', 'context:settings', 'identity:profiles', 'identity:profiles',
  'identity:users', 'special:all', 'context:all', 'identity:all', 'all',
];
const VERBS = ['read', 'read', 'read', 'create', 'create', 'update', 'update', 'delete', 'any'];
const POSSESSIONS = ['', '', ':any', ':own', ':own', ':share', ':group', ':client'];
const FIELD_POOL = ['key', 'value', 'tags', 'user', 'first_name', 'shares', 'groups'];
const FILTER_POOL = ['key', 'value', 'tags', 'user', 'first_name', 'username', 'email'];
const NAMES = ['Ann', 'Bob', 'Cy', 'Di'];
const TAGS = ['t0', 't1', 't2'];

// --- building the world --------------------------------------------------------------------------

/**
 * A principal: its client and coworkers are the ones the suite configured (the token must agree),
 * its roles the ones the admin gave it; only the user id comes from the token.
 */
function actor(w: World, t: Tenant, label: string, token: string, subjects: string[], client: string, acting: string | undefined, isAdmin: boolean): Actor {
  const claims = decodeJwt(token).payload as { uid: string; client_id: string; coworkers?: string[]; domain: string };
  const coworkers = [client, ...(w.coworkers.get(client) ?? [])];
  assert.deepEqual({ domain: claims.domain, client: claims.client_id, coworkers: [...new Set(claims.coworkers)].sort() },
    { domain: t.domain, client, coworkers: [...new Set(coworkers)].sort() }, `the token of ${label}`);
  return {
    label, tenant: t.domain, uid: claims.uid, subjects, token, isAdmin, coworkers,
    cid: acting ?? client,
    headers: acting ? { 'x-client-id': acting } : {},
  };
}

function randomGrant(rng: Rng, role: string, domain: string): GrantSpec {
  const grant: GrantSpec = {
    subject: rng.chance(0.2) ? `${role}@${domain}` : role,
    action: `${rng.pick(VERBS)}${rng.pick(POSSESSIONS)}`,
    object: rng.pick(OBJECTS),
  };
  if (rng.chance(0.3)) grant.field = rng.someOf(FIELD_POOL, 0.45);
  if (rng.chance(0.3)) grant.filter = rng.someOf(FILTER_POOL, 0.4);
  return grant;
}

/** Pairs of grants on one object, for the merges random grants seldom make. */
const TEMPLATES: ((rng: Rng, role: string, object: string) => GrantSpec[])[] = [
  (rng, role, object) => [
    { subject: role, action: `read:${rng.pick(['own', 'share'])}`, object },
    { subject: role, action: `read:${rng.pick(['group', 'client'])}`, object },
  ],
  (rng, role, object) => [
    { subject: role, action: `update:${rng.pick(['own', 'share', 'group', 'client'])}`, object, field: ['tags'] },
    { subject: role, action: `${rng.pick(['update', 'any'])}:${rng.pick(['own', 'share', 'group'])}`, object, field: rng.someOf(FIELD_POOL, 0.4) },
  ],
  (rng, role, object) => [
    { subject: role, action: `${rng.pick(['update', 'any'])}:${rng.pick(['share', 'group'])}`, object },
    { subject: role, action: `${rng.pick(['delete', 'read'])}:${rng.pick(['share', 'group', 'own'])}`, object },
  ],
  (rng, role, object) => [
    { subject: role, action: 'read', object, filter: rng.someOf(FILTER_POOL, 0.4) },
    { subject: role, action: `read:${rng.pick(['own', 'share', 'client'])}`, object },
  ],
];

/** The world of the seed: its tenants, then their clients, roles and grants, then their users; checked by the admins' view. */
export async function buildWorld(h: Secure): Promise<World> {
  const rng = new Rng(SEED);
  const world: World = { tenants: [], docs: [], userDocs: [], truth: new Map(), names: new Map(), events: new Map(), tally: new Map(), coworkers: new Map() };
  const tenantCount = rng.chance(0.35) ? 3 : 2;
  for (let i = 0; i < tenantCount; i++) await addTenant(h, world, i);
  for (const t of world.tenants) await addClientsAndGrants(h, world, rng, t);
  for (const t of world.tenants) await addUsers(h, world, rng, t);
  const f = new Findings('setup', world);
  await syncTruth(h, world, f, READ_PATHS);
  f.done();
  return world;
}

/** Tenant `i` with its admin and root client: the harness's tenant first, then fresh ones. */
async function addTenant(h: Secure, world: World, i: number): Promise<void> {
  let domain: string;
  let token: string;
  let rootClient: string;
  if (i === 0) {
    domain = h.domain;
    token = (await h.login()).access_token;
    rootClient = h.rootClientId;
  } else {
    domain = uniqueDomain(`iso${i}`);
    const auth = loadConfig({ STRATUM_ROOT_DOMAIN: domain, STRATUM_ADMIN_PASSWORD: ADMIN_PASSWORD }).auth;
    await h.platform.identity.tenants.create({ domain });
    const made = await bootstrapRoot(auth, h.platform.identity.tenants, h.platform.app.get(CollectionEngine), h.platform.registry);
    rootClient = made.clientId;
    token = (await h.login(auth.adminEmail, ADMIN_PASSWORD, {}, { 'x-domain': domain })).access_token;
  }
  const name = `t${i}`;
  // The built-in grant of the role admin; and the harness's `member` grant in the root tenant.
  const grants: GrantSpec[] = [{ subject: 'admin', action: 'any', object: 'all' }];
  if (i === 0) grants.push({ subject: MEMBER_ROLE, action: 'any', object: 'all' });
  const t: Tenant = { index: i, name, domain, grants, admin: undefined as unknown as Actor, users: [], clients: [rootClient] };
  world.coworkers.set(rootClient, []);
  t.admin = actor(world, t, `${name}/admin`, token, ['admin'], rootClient, undefined, true);
  world.tenants.push(t);
  world.names.set(rootClient, `${name}/c0`);
  world.names.set(t.admin.uid, t.admin.label);
  world.events.set(domain, []);
}

/** A tenant's further clients, and roles with random grants (made by its admin). */
async function addClientsAndGrants(h: Secure, world: World, rng: Rng, t: Tenant): Promise<void> {
  // Clients: the root one and one or two more, each maybe the coworker of earlier ones.
  const extra = rng.range(1, 2);
  for (let k = 0; k < extra; k++) {
    const coworkers = rng.subset(t.clients, 0.5);
    const reply = await send(h, t.admin, 'POST', '/domain/clients', { body: { name: uniqueName('iso-client'), status: 'active', scopes: ['whole'], coworkers } });
    assert.equal(reply.status, 201, reply.text);
    const id = reply.body.data.id as string;
    world.coworkers.set(id, coworkers);
    world.names.set(id, `${t.name}/c${t.clients.length}`);
    t.clients.push(id);
  }
  // Roles with random grants; the same role names in every tenant.
  const roles = ROLES.slice(0, rng.range(3, 4));
  for (const role of roles) {
    let last: GrantSpec | undefined;
    for (let k = rng.range(1, 4); k > 0; k--) {
      const grant = randomGrant(rng, role, t.domain);
      // Often on the object of the role's previous grant: possessions and field limits then merge.
      if (last && rng.chance(0.4)) grant.object = last.object;
      t.grants.push((last = grant));
    }
    // Sometimes a pair whose merge is the point: zones of two possessions, a field limit lifted, a filter lifted.
    if (rng.chance(0.35)) t.grants.push(...rng.pick(TEMPLATES)(rng, role, rng.pick(DATA_PATHS).replace('/', ':')));
  }
  // A grant to a role of another tenant: it must reach nobody of this one (unless a user names that role outright).
  if (rng.chance(0.5)) t.grants.push({ subject: `${rng.pick(roles)}@${rng.pick(others(world, t)).domain}`, action: 'any', object: 'all' });
  for (const grant of t.grants.slice(t.index === 0 ? 2 : 1)) {
    const reply = await send(h, t.admin, 'POST', '/auth/grants', { body: grant });
    assert.equal(reply.status, 201, `grant ${JSON.stringify(grant)}: ${reply.text}`);
  }
}

/** A tenant's users with random roles, each signed in through a client of the tenant (some through a second one too). */
async function addUsers(h: Secure, world: World, rng: Rng, t: Tenant): Promise<void> {
  const roles = [...new Set(t.grants.map((g) => g.subject.split('@')[0]))].filter((r) => ROLES.includes(r));
  const count = rng.range(3, 5);
  for (let j = 0; j < count; j++) {
    const subjects = rng.subset(roles, 0.35).map((r) => (rng.chance(0.15) ? `${r}@${t.domain}` : r));
    if (t.index === 0 && rng.chance(0.08)) subjects.push(MEMBER_ROLE);
    if (rng.chance(0.1)) subjects.push(`${rng.pick(ROLES)}@${rng.pick(others(world, t)).domain}`);
    const client = rng.pick(t.clients);
    const coworkers = (world.coworkers.get(client) ?? []).filter((c) => c !== client);
    const acting = coworkers.length > 0 && rng.chance(0.35) ? rng.pick(coworkers) : undefined;
    const username = uniqueName('iso');
    const made = await send(h, t.admin, 'POST', '/identity/users', { body: { username, email: `${username}@example.com`, password: PASSWORD, status: 'active', subjects } });
    assert.equal(made.status, 201, made.text);
    const login = await h.call('/auth/token', { body: { grant_type: 'password', username, password: PASSWORD, client_id: client, domain: t.domain } });
    assert.equal(login.status, 200, login.text);
    const label = `${t.name}/u${j}[${subjects.join(',') || '-'}]@${nameOf(world, client)}${acting ? `→${nameOf(world, acting)}` : ''}`;
    const who = actor(world, t, label, login.body.data.access_token, subjects, client, acting, false);
    assert.equal(who.uid, made.body.data.id);
    world.names.set(who.uid, label);
    t.users.push(who);
    // The same user signed in through another client too: its own documents made through the first client are
    // in its own zone, but out of reach of its writes (the caller's client must be in `clients`).
    const second = t.clients.filter((c) => c !== client);
    if (second.length > 0 && rng.chance(0.4)) {
      const other = rng.pick(second);
      const again = await h.call('/auth/token', { body: { grant_type: 'password', username, password: PASSWORD, client_id: other, domain: t.domain } });
      assert.equal(again.status, 200, again.text);
      t.users.push(actor(world, t, `${t.name}/u${j}'[same user]@${nameOf(world, other)}`, again.body.data.access_token, subjects, other, undefined, false));
    }
  }
}

// --- random requests ----------------------------------------------------------------------------

function userIds(w: World, t: Tenant, rng: Rng, foreign = 0.15): string {
  const pool = rng.chance(foreign) ? others(w, t).flatMap(principals) : principals(t);
  return rng.pick(pool).uid;
}

function valueFor(rng: Rng, w: World, t: Tenant, field: string): unknown {
  switch (field) {
    case 'key': return `k${rng.int(4)}`;
    case 'value': return rng.int(10);
    case 'tags': return rng.someOf(TAGS, 0.4);
    case 'user': return userIds(w, t, rng, 0.25);
    case 'first_name': return rng.pick(NAMES);
    case 'shares': {
      const shares = rng.someOf(principals(t).map((p) => p.uid), 0.35);
      if (rng.chance(0.1)) shares.push(userIds(w, t, rng, 1));
      return shares;
    }
    case 'groups': return rng.pick([[t.domain], [rng.pick(others(w, t)).domain], ['team-x'], [t.domain, 'team-x'], []]);
    case 'clients': return [rng.chance(0.85) ? rng.pick(t.clients) : rng.pick(rng.pick(others(w, t)).clients)];
    default: throw new Error(`no value for ${field}`);
  }
}

/** A create body: the required fields, some others, mostly within the grant's writable fields. */
export function createBody(rng: Rng, w: World, t: Tenant, who: Actor, path: string): Record<string, unknown> {
  const perm = permission(t, who, 'create', path);
  const limited = perm.grants.filter((g) => g.field);
  // Mostly within one grant's writable fields: a write is allowed by one grant, not by several together.
  const tame = limited.length > 0 && rng.chance(0.7) ? rng.pick(limited).field : undefined;
  const may = (field: string) => !tame || tame.has(field);
  const body: Record<string, unknown> = {};
  if (path === 'identity/profiles') {
    body.user = valueFor(rng, w, t, 'user');
    if (may('first_name') && rng.chance(0.7)) body.first_name = valueFor(rng, w, t, 'first_name');
  } else {
    body.key = valueFor(rng, w, t, 'key');
    if (may('value') && rng.chance(0.85)) body.value = valueFor(rng, w, t, 'value');
  }
  for (const field of ['tags', 'shares', 'groups']) if (may(field) && rng.chance(0.35)) body[field] = valueFor(rng, w, t, field);
  if (rng.chance(perm.possessions.has('any') ? 0.25 : 0.08)) body.clients = valueFor(rng, w, t, 'clients');
  return body;
}

/** A patch: one or two fields, mostly within the grant's writable fields, rarely `clients`. */
export function patchBody(rng: Rng, w: World, t: Tenant, who: Actor, path: string, verb: Verb = 'update'): Record<string, unknown> {
  const perm = permission(t, who, verb, path);
  const all = [...DATA_FIELDS[path], 'shares', 'groups'];
  const limited = perm.grants.filter((g) => g.field);
  const grant = limited.length > 0 && rng.chance(0.6) ? rng.pick(limited) : undefined;
  const tame = grant ? all.filter((f) => grant.field!.has(f)) : [];
  const fields = rng.someOf(tame.length > 0 ? tame : all, 0.3).slice(0, 2);
  const body: Record<string, unknown> = Object.fromEntries(fields.map((f) => [f, valueFor(rng, w, t, f)]));
  if (rng.chance(perm.possessions.has('any') ? 0.2 : 0.05)) body.clients = valueFor(rng, w, t, 'clients');
  return body;
}

export function randomQuery(rng: Rng, w: World, t: Tenant, path: string): Query {
  const k = () => `k${rng.int(4)}`;
  const owner = () => userIds(w, t, rng, 0.1);
  switch (path) {
    case 'identity/profiles': return rng.pick<() => Query>([
      () => ({}), () => ({ first_name: rng.pick(NAMES) }), () => ({ user: userIds(w, t, rng) }), () => ({ owner: owner() }),
      () => ({ tags: rng.pick(TAGS) }), () => ({ $or: [{ first_name: rng.pick(NAMES) }, { owner: owner() }] }),
    ])();
    case USERS: return rng.pick<() => Query>([
      () => ({}), () => ({ username: String(rng.pick(w.userDocs.filter((u) => u.tenant === t.domain)).data.username) }),
      () => ({ status: 'active' }), () => ({ owner: owner() }),
    ])();
    default: return rng.pick<() => Query>([
      () => ({}), () => ({ key: k() }), () => ({ key: { $in: [k(), k()] } }), () => ({ value: { $gte: rng.int(10) } }),
      () => ({ owner: owner() }), () => ({ tags: rng.pick(TAGS) }), () => ({ $or: [{ key: k() }, { value: { $lt: rng.int(10) } }] }),
    ])();
  }
}

export function randomSort(rng: Rng, path: string): string | undefined {
  if (rng.chance(0.4)) return undefined;
  const sorts: Record<string, string[]> = {
    'identity/profiles': ['first_name', '-created_at', 'user', '-owner'],
    [USERS]: ['username', '-created_at', 'email'],
  };
  return rng.pick(sorts[path] ?? ['key', '-value', '-created_at', 'owner']);
}

export function randomProjection(rng: Rng, path: string): Projection | undefined {
  if (rng.chance(0.6)) return undefined;
  const fields = path === USERS ? ['username', 'email', 'owner', 'subjects'] : [...DATA_FIELDS[path], 'owner', 'clients'];
  return { include: rng.chance(0.5), fields: rng.someOf(fields, 0.4) };
}
