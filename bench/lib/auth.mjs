// W1a (get by id with a bearer token) and W5 (token refresh): the bench admin's sign-in, the
// per-connection refresh chains, and the checks that make a broken run fail loudly.
import { BENCH_ADMIN } from './servers.mjs';

const JSON_HEADERS = { 'content-type': 'application/json' };

/** POST /auth/token; the `data` of the answer, or an error naming the status. */
async function token(baseUrl, body) {
  const response = await fetch(`${baseUrl}/auth/token`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${baseUrl}/auth/token (${body.grant_type}) answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text).data;
}

/** Signs the bench admin in: a new session, with its access and refresh tokens. */
export function signIn(baseUrl) {
  return token(baseUrl, { grant_type: 'password', username: BENCH_ADMIN.email, password: BENCH_ADMIN.password });
}

/** The token with one character of its signature changed. */
function forged(accessToken) {
  const at = accessToken.length - 10;
  return `${accessToken.slice(0, at)}${accessToken[at] === 'A' ? 'B' : 'A'}${accessToken.slice(at + 1)}`;
}

/**
 * Checked before W1a: the token is really verified (a forged one gets 401 rather than acting as
 * the local developer) and the authenticated answer is the document W1 reads.
 */
export async function checkAuthenticated(baseUrl, ids, accessToken) {
  const get = (bearer) => fetch(`${baseUrl}/identity/users/${ids[0]}`, { headers: { authorization: `Bearer ${bearer}` } });
  const rejected = await get(forged(accessToken));
  await rejected.arrayBuffer();
  if (rejected.status !== 401) throw new Error(`W1a check on ${baseUrl}: a forged token got ${rejected.status}, not 401`);
  const accepted = await get(accessToken);
  const body = await accepted.json();
  if (accepted.status !== 200 || body?.data?.id !== ids[0]) {
    throw new Error(`W1a check on ${baseUrl}: the admin's token got ${accepted.status}: ${JSON.stringify(body).slice(0, 300)}`);
  }
}

/** One connection's requests: each sends the refresh token of the previous answer. */
function refreshRequests(chain) {
  return [{
    method: 'POST',
    path: '/auth/token',
    headers: JSON_HEADERS,
    setupRequest: (req) => ({ ...req, body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: chain.token }) }),
    onResponse: (status, body) => {
      try {
        if (status < 200 || status >= 300) throw new Error(`HTTP ${status}: ${body.slice(0, 200)}`);
        chain.token = JSON.parse(body).data.refresh_token;
        if (typeof chain.token !== 'string') throw new Error(`no refresh_token in ${body.slice(0, 200)}`);
      } catch (error) {
        chain.failure ??= error.message;
      }
    },
  }];
}

/**
 * W5's autocannon options: one refresh chain per connection, each started by a sign-in of its
 * own. autocannon's per-request `context` cannot carry a chain: a client resets it to (a deep
 * copy of) `initialContext`, the same for every connection, each time it wraps around its
 * `requests`, so with a single request before every request. `setupClient` runs once per
 * connection instead, and gives each client requests whose closures hold its own chain.
 * A chain serves one run only: autocannon stops at the deadline without reading the answers in
 * flight, whose refresh tokens the server has already rotated.
 */
export async function refreshChains(baseUrl, connections) {
  const chains = [];
  for (let i = 0; i < connections; i++) chains.push({ token: (await signIn(baseUrl)).refresh_token, failure: null });
  let next = 0;
  const setupClient = (client) => {
    const chain = chains[next++];
    if (!chain) throw new Error('W5: more autocannon clients than refresh chains');
    client.setRequests(refreshRequests(chain));
  };
  return { options: { setupClient }, failure: () => chains.find((c) => c.failure)?.failure ?? null };
}

/** Why a run does not count (an answer other than 2xx, an error, a broken W5 chain), or null. */
export function invalidReason(result, failure) {
  const problems = [];
  const codes = Object.entries(result.statusCodeStats ?? {}).filter(([code]) => !code.startsWith('2'));
  if (result.non2xx > 0) problems.push(`${result.non2xx} answers other than 2xx (${codes.map(([code, { count }]) => `${code}: ${count}`).join(', ')})`);
  // autocannon counts a timeout as an error too.
  if (result.errors > 0) problems.push(`${result.errors} errors (${result.timeouts} of them timeouts)`);
  if (failure) problems.push(`first failure: ${failure}`);
  return problems.length > 0 ? problems.join('; ') : null;
}
