// Seeding and the autocannon workloads W1 (get by id), W1a (W1 with a bearer token), W1g (W1 as a
// user under the bench rule set), W2 (indexed find), W2a and W2g (W2 as the admin and as that
// user), W3 (create) and W5 (token refresh); W4 (W3 with a webhook) is in webhooks.mjs.
import autocannon from 'autocannon';
import { checkAuthenticated, invalidReason, refreshChains, signIn } from './auth.mjs';
import { checkRuled, ownedByRuled, sharingFor, signInRuled } from './rules.mjs';

export const STATUSES = ['active', 'inactive', 'suspended', 'pending'];
export const FIND_PATH = `/identity/users?query=${encodeURIComponent('{"status":"active"}')}&sort=-created_at&limit=20`;
const BULK_SIZE = 500;
const JSON_HEADERS = { 'content-type': 'application/json' };

// `ceiling`: whether the bare Fastify + pg server runs it too; `creates`: it leaves users to remove.
// Order: as measured and printed.
export const WORKLOADS = [
  { id: 'W1', name: 'get by id', ceiling: true, describe: 'GET /identity/users/:id, a random seeded id per request' },
  { id: 'W1a', name: 'get by id, authenticated', ceiling: false, describe: 'W1 with Authorization: Bearer <access token of the bench admin>' },
  { id: 'W1g', name: 'get by id, rule set', ceiling: false, describe: 'W1 with the bearer token of the bench user, whose roles hold grants of the bench rule set' },
  { id: 'W2', name: 'indexed find', ceiling: true, describe: 'GET /identity/users?query={"status":"active"}&sort=-created_at&limit=20' },
  { id: 'W2a', name: 'indexed find, authenticated', ceiling: false, describe: 'W2 with Authorization: Bearer <access token of the bench admin>' },
  { id: 'W2g', name: 'indexed find, rule set', ceiling: false, describe: 'W2 with the bearer token of the bench user, whose roles hold grants of the bench rule set' },
  { id: 'W3', name: 'create', ceiling: true, creates: true, describe: 'POST /identity/users with a unique username and email' },
  { id: 'W4', name: 'create, webhook', ceiling: false, creates: true, describe: 'W3 with a CQRS webhook on identity/users to a receiver in the bench' },
  { id: 'W5', name: 'token refresh', ceiling: false, describe: 'POST /auth/token grant_type=refresh_token, one rotating chain per connection' },
];

/**
 * W1a, W1g, W2a and W2g send W1's or W2's requests with a bearer token: the bench admin's
 * (`admin`, unrestricted by the grant gate) or the bench user's (`ruled`, under the rule set).
 */
const AUTHENTICATED = { W1a: ['W1', 'admin'], W1g: ['W1', 'ruled'], W2a: ['W2', 'admin'], W2g: ['W2', 'ruled'] };

function user(prefix, n) {
  return { username: `${prefix}${n}`, email: `${prefix}${n}@bench.example`, name: `Bench User ${n}`, status: STATUSES[n % STATUSES.length] };
}

/** W3's request; `extra` is merged into every body (W4 adds the client its events go to). */
export function createRequests(prefix, extra = {}) {
  let n = 0;
  return [{
    method: 'POST',
    path: '/identity/users',
    headers: JSON_HEADERS,
    setupRequest: (req) => ({ ...req, body: JSON.stringify({ ...user(prefix, n++), ...extra }) }),
  }];
}

async function postJson(url, body, bearer) {
  const headers = bearer ? { ...JSON_HEADERS, authorization: `Bearer ${bearer}` } : JSON_HEADERS;
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${url} answered ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

/**
 * Creates `count` users through POST /identity/users/bulk; returns their ids, in order. With the
 * bench rule set (`rules`), every seventh is created by its bench user, which then owns it, and
 * every third of the others is shared with it (rules.mjs).
 */
export async function seedUsers(baseUrl, count, rules) {
  const ids = [];
  for (let start = 0; start < count; start += BULK_SIZE) {
    const numbers = [];
    for (let n = start; n < Math.min(count, start + BULK_SIZE); n++) numbers.push(n);
    const byAdmin = numbers.filter((n) => !ownedByRuled(rules, n));
    const byRuled = numbers.filter((n) => ownedByRuled(rules, n));
    const created = new Map();
    for (const [group, bearer] of [[byAdmin, undefined], [byRuled, rules?.token]]) {
      if (group.length === 0) continue;
      const { items } = await postJson(`${baseUrl}/identity/users/bulk`, { items: group.map((n) => ({ ...user('seed-', n), ...sharingFor(rules, n) })) }, bearer);
      group.forEach((n, i) => created.set(n, items[i].id));
    }
    for (const n of numbers) ids.push(created.get(n));
  }
  return ids;
}

/** One request of each workload, checked, so a broken route cannot pass as a fast one. */
export async function sample(baseUrl, ids) {
  const byId = await (await fetch(`${baseUrl}/identity/users/${ids[0]}`)).json();
  if (byId?.data?.id !== ids[0]) throw new Error(`W1 sample from ${baseUrl} is wrong: ${JSON.stringify(byId).slice(0, 300)}`);
  const found = await (await fetch(`${baseUrl}${FIND_PATH}`)).json();
  if (!Array.isArray(found?.items) || found.items.length !== 20 || found.items.some((d) => d.status !== 'active')) {
    throw new Error(`W2 sample from ${baseUrl} is wrong: ${JSON.stringify(found).slice(0, 300)}`);
  }
  return { w1: byId.data, w2: found.items.map((d) => d.id) };
}

function requestsFor(workload, ids, prefix) {
  if (workload === 'W1') {
    return [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/identity/users/${ids[Math.floor(Math.random() * ids.length)]}` }) }];
  }
  if (workload === 'W2') return [{ method: 'GET', path: FIND_PATH }];
  return createRequests(prefix);
}

/**
 * One autocannon run; `onResponse(statusCode, ms)` sees every answer as it arrives (W4 counts
 * creates, interleaved pairs collect latencies).
 */
export function cannon(options, onResponse) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
    if (onResponse) instance.on('response', (client, statusCode, bytes, responseTime) => onResponse(statusCode, responseTime));
  });
}

/** The figures of a measured run that the report keeps. */
export function summary(result) {
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/**
 * One autocannon run's options and `failure()`, the first broken answer seen (W1a and W5 watch
 * their answers; the others have none beyond their status codes).
 */
async function plan(baseUrl, workload, { ids, prefix, connections, accessToken }) {
  if (workload === 'W5') return refreshChains(baseUrl, connections);
  if (AUTHENTICATED[workload]) {
    const headers = { authorization: `Bearer ${accessToken}` };
    return { options: { requests: requestsFor(AUTHENTICATED[workload][0], ids, prefix).map((request) => ({ ...request, headers })) }, failure: () => null };
  }
  return { options: { requests: requestsFor(workload, ids, prefix) }, failure: () => null };
}

/** W2a's check: the admin's token reads the 20 documents W2 reads without one. */
async function checkAuthenticatedFind(baseUrl, accessToken) {
  const plain = await (await fetch(`${baseUrl}${FIND_PATH}`)).text();
  const response = await fetch(`${baseUrl}${FIND_PATH}`, { headers: { authorization: `Bearer ${accessToken}` } });
  const text = await response.text();
  if (response.status !== 200 || JSON.parse(text).items?.length !== 20 || text !== plain) {
    throw new Error(`W2a check on ${baseUrl}: the admin's token got ${response.status}, not W2's 20 documents: ${text.slice(0, 300)}`);
  }
}

/**
 * The bearer token of an authenticated workload, signed in once per call, after the checks that
 * its answers are the ones meant (see auth.mjs and rules.mjs).
 */
async function tokenFor(baseUrl, workload, { ids, rules }) {
  const [, principal] = AUTHENTICATED[workload];
  const adminToken = (await signIn(baseUrl)).access_token;
  if (workload === 'W1a') await checkAuthenticated(baseUrl, ids, adminToken);
  if (workload === 'W2a') await checkAuthenticatedFind(baseUrl, adminToken);
  if (principal === 'admin') return adminToken;
  if (!rules) throw new Error(`${workload} needs the bench rule set, which was not seeded`);
  const userToken = await signInRuled(baseUrl);
  await checkRuled(baseUrl, { ids, rules, findPath: FIND_PATH, userToken, adminToken, workload });
  return userToken;
}

/** Sign-in and checks, then the warm-up's and the measured run's plans. */
async function prepare(baseUrl, workload, { ids, rules, prefix, warmup, connections }) {
  const accessToken = AUTHENTICATED[workload] ? await tokenFor(baseUrl, workload, { ids, rules }) : undefined;
  const args = { ids, connections, accessToken };
  const warm = warmup > 0 ? await plan(baseUrl, workload, { ...args, prefix: `${prefix}warm-` }) : null;
  const measured = await plan(baseUrl, workload, { ...args, prefix });
  return { warm, measured };
}

/** The unmeasured warm-up run, if any; returns its problems. */
async function warmUp(baseUrl, warm, { warmup, connections }) {
  if (!warm) return [];
  const result = await cannon({ url: baseUrl, connections, duration: warmup, ...warm.options });
  const reason = invalidReason(result, warm.failure());
  return reason ? [`warm-up: ${reason}`] : [];
}

/**
 * The slices of an interleaved pair, in order: ABBA four times, eight slices of `duration / 8`
 * each (1 s by default), so a burst of outside load lasting a few seconds, or a steady drift,
 * hits both alike.
 */
export const PAIR_ORDER = [0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0];

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Two workloads measured interleaved: the access-control pairs (W1a with W1g, W2a with W2g, on
 * one server) and W3 with its events-off twin (one workload, two servers). `targets` are
 * `{baseUrl, workload}`. Sign-in, checks and warm-up of each, then PAIR_ORDER's slices of
 * `duration / 8` seconds each, so each gets `duration` seconds in all, spread over the same
 * stretch of time, and a burst of outside load that would fall on one of two back-to-back runs
 * falls on both. req/s is each target's answers over its slices' seconds; p50 and p99 are over
 * every answer of its slices; `slices` are the slices' req/s in order. Created users are named
 * `${prefix}<target index>-…`.
 */
export async function runInterleaved(targets, args) {
  const { duration, connections } = args;
  const prepared = [];
  for (const [i, { baseUrl, workload }] of targets.entries()) {
    prepared.push(await prepare(baseUrl, workload, { ...args, prefix: `${args.prefix}${i}-${workload.toLowerCase()}-` }));
  }
  const problems = [];
  for (const [i, { warm }] of prepared.entries()) problems.push(await warmUp(targets[i].baseUrl, warm, args));
  const slice = duration / (PAIR_ORDER.length / targets.length);
  const totals = targets.map(() => ({ requests: 0, seconds: 0, latencies: [], non2xx: 0, errors: 0, timeouts: 0, slices: [] }));
  for (const i of PAIR_ORDER) {
    const total = totals[i];
    // autocannon stops at its first sample tick after the deadline (every second by default, so a
    // 0.4 s slice would run 1 s) and counts the answers up to that tick: ticks every 100 ms, and
    // the time it reports, not the deadline, are the slice's seconds.
    const options = { url: targets[i].baseUrl, connections, duration: slice, sampleInt: 100, ...prepared[i].measured.options };
    const result = await cannon(options, (status, ms) => total.latencies.push(ms));
    const seconds = result.duration > 0 ? result.duration : slice;
    total.requests += result.requests.total;
    total.seconds += seconds;
    total.slices.push(Math.round(result.requests.total / seconds));
    total.non2xx += result.non2xx;
    total.errors += result.errors;
    total.timeouts += result.timeouts;
    const reason = invalidReason(result, prepared[i].measured.failure());
    if (reason) problems[i].push(reason);
  }
  return totals.map((total, i) => {
    const sorted = total.latencies.sort((a, b) => a - b);
    const invalid = problems[i].join('; ');
    const ms = (value) => (value === null ? null : Math.round(value * 10) / 10);
    return {
      rps: total.requests / total.seconds, p50: ms(percentile(sorted, 50)), p99: ms(percentile(sorted, 99)), requests: total.requests,
      non2xx: total.non2xx, errors: total.errors, timeouts: total.timeouts, slices: total.slices, interleaved: true, ...(invalid ? { invalid } : {}),
    };
  });
}

/**
 * Runs one workload against `baseUrl`: an unmeasured warm-up, then the measured run.
 * W3 usernames start with `prefix` so the rows can be removed afterwards. W1a, W1g, W2a and W2g
 * sign in once per call; W5 signs in once per connection for each of the two runs, before the
 * warm-up.
 */
export async function runWorkload(baseUrl, workload, args) {
  const { warm, measured } = await prepare(baseUrl, workload, args);
  const { duration, connections } = args;
  const problems = await warmUp(baseUrl, warm, args);
  const result = await cannon({ url: baseUrl, connections, duration, ...measured.options });
  // Any answer other than 2xx makes a run invalid: a 401 or 429 is answered faster than the real work.
  const reason = invalidReason(result, measured.failure());
  if (reason) problems.push(reason);
  const invalid = problems.join('; ');
  return { ...summary(result), ...(invalid ? { invalid } : {}) };
}
