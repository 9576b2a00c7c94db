// The access-control workloads' rule set (W1g, W2g): 20 roles and 200 grants seeded in the bench
// tenant through POST /auth/grants, a bench user holding three of the roles, and the checks that
// its requests really run under those grants and answer what the admin's do.
const JSON_HEADERS = { 'content-type': 'application/json' };

/** The bench user of W1g and W2g; its roles are three of the 20. */
export const RULED_USER = {
  username: 'bench-ruled', email: 'ruled@bench.example', password: 'stratum-bench-ruled', name: 'Bench Ruled',
  roles: ['member', 'support', 'auditor'],
};

// The office network (holds from the bench's loopback) and a support VPN (does not).
const OFFICE = ['10.0.0.0/8', '127.0.0.0/8'];
const SUPPORT_VPN = ['10.20.0.0/16'];
const WORKING_HOURS = ['* 6-20 * * 1-5'];

/**
 * What support may read of everybody's users: every field the seeded users have, not their roles
 * (`subjects`) nor where they signed up from (`provider`). So on the seeded users the answers
 * are the admin's, byte for byte, and the comparison measures the work, not smaller answers.
 */
export const SUPPORT_USER_FIELDS = ['username', 'email', 'name', 'status', 'phone', 'picture', 'last_seen_at', 'created_by', 'created_in', 'timestamp'];

/**
 * The bench user's roles, written out: on identity/users, `read` limited to SUPPORT_USER_FIELDS,
 * `read:share` and `read:own` (twice: on identity:users and on all) unlimited, `read:group`
 * limited and only from the office network, and an unlimited `read` only from the support VPN,
 * which never holds from the bench. The read of a user is then unscoped (no zone SQL without
 * ?zone=) with per-row field limits: all fields on the users shared with or owned by the bench
 * user, SUPPORT_USER_FIELDS on the others.
 */
const BENCH_ROLES = {
  member: [
    { action: 'read:own', object: 'all' },
    { action: 'read:own', object: 'identity:users' },
    { action: 'update:own', object: 'identity:users', field: ['name', 'phone', 'picture'] },
    { action: 'read:own', object: 'identity:profiles' },
    { action: 'create:own', object: 'identity:profiles' },
    { action: 'update:own', object: 'identity:profiles', field: ['first_name', 'last_name', 'nickname', 'avatar', 'locale'] },
    { action: 'read:own', object: 'identity:sessions' },
    { action: 'delete:own', object: 'identity:sessions' },
    { action: 'create:own', object: 'special:files' },
    { action: 'delete:own', object: 'special:files' },
    { action: 'read', object: 'context:settings', filter: ['key', 'value'] },
    { action: 'read:share', object: 'special:all' },
  ],
  support: [
    { action: 'read', object: 'identity:users', filter: SUPPORT_USER_FIELDS },
    { action: 'read:share', object: 'identity:users' },
    { action: 'read', object: 'identity:users', location: SUPPORT_VPN },
    { action: 'update:share', object: 'identity:users', field: ['status'] },
    { action: 'create:own', object: 'identity:users', field: ['username', 'email', 'name', 'status', 'password'] },
    { action: 'read', object: 'identity:profiles', filter: ['user', 'first_name', 'last_name', 'nickname', 'locale'] },
    { action: 'read:client', object: 'identity:sessions', filter: ['user', 'kind', 'agent', 'expires_at', 'revoked_at'] },
    { action: 'create', object: 'special:stats', field: ['key', 'value', 'period'], time: WORKING_HOURS },
    { action: 'read:group', object: 'special:stats' },
    { action: 'read', object: 'essential:sagas', filter: ['status', 'expires_at'], time: WORKING_HOURS },
    { action: 'update:share', object: 'essential:sagas', field: ['status'], time: WORKING_HOURS },
  ],
  auditor: [
    { action: 'read:group', object: 'identity:users', filter: ['username', 'status', 'created_by'], location: OFFICE },
    { action: 'read:group', object: 'identity:sessions', filter: ['user', 'client', 'kind', 'ip', 'expires_at', 'revoked_at'], location: OFFICE },
    { action: 'read:group', object: 'auth:grants', location: OFFICE },
    { action: 'read', object: 'context:configs', filter: ['key', 'eid'], location: OFFICE },
    { action: 'read:group', object: 'domain:clients', filter: ['name', 'domain', 'status', 'plan'], location: OFFICE },
    { action: 'read:group', object: 'domain:apps', filter: ['client', 'name'] },
    { action: 'read:group', object: 'special:all', location: OFFICE, time: ['* * * * 1-5'] },
    { action: 'read:group', object: 'essential:sagas' },
  ],
};

/** The 17 other roles and what they mostly work on; their grants are generated (fixed seed). */
const OTHER_ROLES = {
  editor: ['special:stats', 'special:files', 'special:all', 'context:settings'],
  author: ['special:files', 'special:stats', 'identity:profiles'],
  reviewer: ['special:stats', 'special:files', 'essential:sagas'],
  moderator: ['identity:profiles', 'special:files', 'identity:users'],
  billing: ['domain:clients', 'special:stats', 'context:settings'],
  hr: ['identity:users', 'identity:profiles', 'identity:all'],
  sales: ['domain:clients', 'domain:apps', 'special:stats'],
  marketing: ['special:stats', 'special:files', 'identity:profiles'],
  ops: ['essential:sagas', 'context:configs', 'context:settings', 'all'],
  developer: ['domain:apps', 'auth:apts', 'context:configs', 'essential:all'],
  integrator: ['auth:apts', 'domain:apps', 'essential:sagas', 'special:all'],
  analyst: ['special:stats', 'essential:sagas', 'identity:sessions', 'all'],
  manager: ['identity:profiles', 'special:all', 'domain:clients', 'auth:grants'],
  partner: ['domain:clients', 'special:files', 'special:stats'],
  guest: ['special:files', 'context:settings', 'identity:profiles'],
  contractor: ['special:files', 'essential:sagas', 'domain:apps'],
  security: ['identity:sessions', 'auth:grants', 'auth:apts', 'identity:users'],
};

/** Fields of each built-in collection, for `field` and `filter` limits. */
const FIELDS = {
  'auth:grants': ['subject', 'action', 'object', 'field', 'filter', 'location', 'time'],
  'auth:apts': ['name', 'scope', 'subjects', 'strict', 'expires_at', 'last_used_at', 'session'],
  'domain:clients': ['name', 'domain', 'grant_types', 'scopes', 'redirect_uris', 'whitelist', 'plan', 'status'],
  'domain:apps': ['client', 'name', 'scopes', 'access_token_ttl', 'refresh_token_ttl'],
  'identity:users': ['username', 'email', 'phone', 'name', 'status', 'picture', 'last_seen_at'],
  'identity:profiles': ['user', 'first_name', 'last_name', 'nickname', 'avatar', 'birthdate', 'gender', 'locale'],
  'identity:sessions': ['user', 'client', 'app', 'kind', 'agent', 'ip', 'scope', 'expires_at', 'revoked_at'],
  'context:configs': ['eid', 'key', 'value'],
  'context:settings': ['key', 'value'],
  'essential:sagas': ['ttl', 'status', 'expires_at'],
  'special:files': ['name', 'mime', 'size', 'hash', 'storage', 'path'],
  'special:stats': ['key', 'value', 'period'],
};
const COLLECTIONS = Object.keys(FIELDS);
const SERVICE_ALL = [...new Set(COLLECTIONS.map((c) => `${c.split(':')[0]}:all`))];

export const GRANTS_TOTAL = 200;

/** A small seeded generator (mulberry32), so every run seeds the same rule set. */
function generator(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = (list) => list[Math.floor(next() * list.length)];
  const some = (list, min, max) => {
    const count = min + Math.floor(next() * (max - min + 1));
    return [...list].sort(() => next() - 0.5).slice(0, Math.min(count, list.length));
  };
  return { next, pick, some };
}

function generatedGrant(role, focus, g) {
  const roll = g.next();
  // Mostly the role's own collections, now and then another collection, a service:all or all.
  const object = roll < 0.7 ? g.pick(focus) : roll < 0.85 ? g.pick(COLLECTIONS) : roll < 0.97 ? g.pick(SERVICE_ALL) : 'all';
  const verb = g.pick(['read', 'read', 'read', 'create', 'update', 'update', 'delete', 'any']);
  const possession = g.pick(['own', 'own', 'own', 'share', 'group', 'group', 'client', 'any', 'any', 'any']);
  const grant = { subject: role, action: possession === 'any' ? verb : `${verb}:${possession}`, object };
  const fields = FIELDS[object] ?? ['name', 'status', 'key', 'value'];
  if ((verb === 'read' || verb === 'any') && g.next() < 0.4) grant.filter = g.some(fields, 1, 4);
  if (verb !== 'read' && verb !== 'delete' && g.next() < 0.4) grant.field = g.some(fields, 1, 3);
  const condition = g.next();
  if (condition < 0.1) grant.location = g.pick([OFFICE, SUPPORT_VPN, ['192.0.2.0/24'], ['10.0.0.0/8', '172.16.0.0/12']]);
  else if (condition < 0.2) grant.time = [g.pick(WORKING_HOURS.concat(['* 0-6 * * *', '* * * * 1-5', '* 8-18 * * 1-6']))];
  return grant;
}

/** The 200 grants: the bench user's three roles written out, the 17 others generated. */
export function ruleSet() {
  const grants = Object.entries(BENCH_ROLES).flatMap(([subject, list]) => list.map((grant) => ({ subject, ...grant })));
  const g = generator(20261128);
  const roles = Object.entries(OTHER_ROLES);
  const perRole = (GRANTS_TOTAL - grants.length) / roles.length;
  roles.forEach(([role, focus], i) => {
    const count = Math.floor(perRole * (i + 1)) - Math.floor(perRole * i);
    for (let n = 0; n < count; n++) grants.push(generatedGrant(role, focus, g));
  });
  return grants;
}

const coversUsers = (object) => object === 'all' || object === 'identity:all' || object === 'identity:users';

/** Counts for the log and latest.json. */
export function describeRules(grants) {
  const roles = new Set(grants.map((g) => g.subject));
  const count = (test) => grants.filter(test).length;
  const mine = grants.filter((g) => RULED_USER.roles.includes(g.subject));
  return {
    roles: roles.size,
    grants: grants.length,
    objects: { collection: count((g) => g.object !== 'all' && !g.object.endsWith(':all')), serviceAll: count((g) => g.object.endsWith(':all')), all: count((g) => g.object === 'all') },
    possessions: Object.fromEntries(['own', 'share', 'group', 'client', 'any'].map((p) => [p, count((g) => (g.action.split(':')[1] ?? 'any') === p)])),
    withField: count((g) => g.field), withFilter: count((g) => g.filter), withLocation: count((g) => g.location), withTime: count((g) => g.time),
    reachingIdentityUsers: count((g) => coversUsers(g.object)),
    benchUser: { roles: RULED_USER.roles, grants: mine.length, readingIdentityUsers: expectedReadPolicies(grants) },
  };
}

/** How many grants decide the bench user's read of identity/users from 127.0.0.1: `/auth/can` must name as many. */
export function expectedReadPolicies(grants) {
  return grants.filter((g) => RULED_USER.roles.includes(g.subject) && coversUsers(g.object)
    && ['read', 'any'].includes(g.action.split(':')[0]) && (!g.location || g.location === OFFICE) && !g.time).length;
}

async function post(baseUrl, path, body) {
  const response = await fetch(`${baseUrl}${path}`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`POST ${path} answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text).data;
}

/**
 * Seeds the rule set as the local developer (the tenant's admin under AUTH_PROVIDER=none): the
 * 200 grants one POST /auth/grants each, then the bench user with its three roles. Returns
 * the bench user's id and what the checks need.
 */
export async function seedRules(baseUrl) {
  const grants = ruleSet();
  if (new Set(grants.map((g) => g.subject)).size !== 20 || grants.length !== GRANTS_TOTAL) throw new Error('the bench rule set is not 20 roles and 200 grants');
  for (const grant of grants) await post(baseUrl, '/auth/grants', grant);
  const { username, email, password, name, roles } = RULED_USER;
  const user = await post(baseUrl, '/identity/users', { username, email, password, name, status: 'active', subjects: roles });
  // The seeding of the users creates some as the bench user (support's create:own), which then owns them.
  const token = await signInRuled(baseUrl);
  return { uid: user.id, token, summary: describeRules(grants), readPolicies: expectedReadPolicies(grants) };
}

/**
 * With the rule set, the n-th seeded user is created by the bench user (which then owns it:
 * `owner` is the platform's to set) when n is a multiple of 7, and else shared with the bench
 * user when n is a multiple of 3.
 */
export const ownedByRuled = (rules, n) => Boolean(rules) && n % 7 === 0;
export const sharingFor = (rules, n) => (rules && n % 3 === 0 && n % 7 !== 0 ? { shares: [rules.uid] } : {});

async function signInAs(baseUrl, username, password) {
  const response = await fetch(`${baseUrl}/auth/token`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ grant_type: 'password', username, password }) });
  const text = await response.text();
  if (!response.ok) throw new Error(`sign-in of ${username} at ${baseUrl} answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text).data.access_token;
}

/** Signs the bench user in (W1g, W2g). */
export const signInRuled = (baseUrl) => signInAs(baseUrl, RULED_USER.username, RULED_USER.password);

async function getAs(baseUrl, path, bearer) {
  const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${bearer}` } });
  return { status: response.status, text: await response.text() };
}

const reached = (doc, uid) => doc.owner === uid || (Array.isArray(doc.shares) && doc.shares.includes(uid));

/**
 * Checked before W1g and W2g, so a broken rule set cannot pass as a fast one: the bench user's
 * read of identity/users is decided by the expected grants (POST /auth/can), it may not sort on
 * a field outside its limits (403), the W1 and W2 requests answer it exactly what they answer
 * the admin (the same documents, the same bytes), and W2's 20 documents mix rows its own and
 * share grants reach (every field) with rows only the limited `read` reaches.
 */
export async function checkRuled(baseUrl, { ids, rules, findPath, userToken, adminToken, workload }) {
  const fail = (message) => {
    throw new Error(`${workload} check on ${baseUrl}: ${message}`);
  };
  const can = await fetch(`${baseUrl}/auth/can`, {
    method: 'POST', headers: { ...JSON_HEADERS, authorization: `Bearer ${userToken}`, 'x-can-with-policies': 'true' },
    body: JSON.stringify({ action: 'read', resource: 'identity:users' }),
  });
  const decided = (await can.json())?.data;
  if (!decided?.can || decided.policies?.length !== rules.readPolicies) {
    fail(`the bench user's read of identity:users should match ${rules.readPolicies} grants: ${JSON.stringify(decided).slice(0, 400)}`);
  }
  const sorted = await getAs(baseUrl, '/identity/users?sort=subjects&limit=1', userToken);
  if (sorted.status !== 403) fail(`sorting on subjects (outside the read filter) answered ${sorted.status}, not 403: ${sorted.text.slice(0, 200)}`);
  if (workload === 'W1g') {
    // n = 1 is reached by neither own nor share, 3 is shared with the bench user, 7 owned by it.
    for (const id of [ids[1], ids[3], ids[7]]) {
      const mine = await getAs(baseUrl, `/identity/users/${id}`, userToken);
      const admin = await getAs(baseUrl, `/identity/users/${id}`, adminToken);
      if (mine.status !== 200 || JSON.parse(mine.text)?.data?.id !== id) fail(`GET /identity/users/${id} answered ${mine.status}: ${mine.text.slice(0, 200)}`);
      if (mine.text !== admin.text) fail(`GET /identity/users/${id} answers the bench user ${mine.text.slice(0, 200)} but the admin ${admin.text.slice(0, 200)}`);
    }
  } else {
    const mine = await getAs(baseUrl, findPath, userToken);
    const admin = await getAs(baseUrl, findPath, adminToken);
    const items = mine.status === 200 ? JSON.parse(mine.text).items : undefined;
    if (!Array.isArray(items) || items.length !== 20 || items.some((d) => d.status !== 'active')) fail(`W2's request answered ${mine.status}: ${mine.text.slice(0, 300)}`);
    if (mine.text !== admin.text) fail('W2\'s request answers the bench user other documents than the admin');
    const full = items.filter((d) => reached(d, rules.uid)).length;
    if (full === 0 || full === 20) fail(`W2's 20 documents should mix rows the bench user's own/share grants reach and others; ${full} are reached`);
  }
}
