// W4: W3's create load with a CQRS webhook registered on identity/users, delivered by the
// platform's own dispatcher (STRATUM_ROLE=all) to a receiver in the bench process. It measures
// how fast events arrive, how far delivery falls behind the creates (lag), how long the backlog
// takes to drain once the load stops, and the delivery latency (arrival minus the event's ts_ms).
import { createServer } from 'node:http';
import { invalidReason } from './auth.mjs';
import { cannon, createRequests, summary } from './workloads.mjs';

const JSON_HEADERS = { 'content-type': 'application/json' };
/**
 * "Kept up": the lag stayed bounded. It grew by at most this share of the create rate while the
 * load ran (a steady lag of a few hundred ms of events does not grow), and everything created
 * was delivered within KEPT_UP_MS after the load stopped.
 */
export const KEPT_UP_MS = 5000;
export const KEPT_UP_GROWTH = 0.1;
const POLL_MS = 250;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function call(baseUrl, method, path, body) {
  const response = await fetch(`${baseUrl}${path}`, { method, headers: body ? JSON_HEADERS : {}, body: body && JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${baseUrl}${path} answered ${response.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

/** The value at fraction `p` of sorted `values` (nearest rank), or null when empty. */
function percentile(sorted, p) {
  return sorted.length === 0 ? null : sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
}

/** Whether `username` was created by the phase of `prefix` (W3 numbers its users after the prefix). */
const ofPhase = (prefix, username) => prefix !== null && username.startsWith(prefix) && /^\d+$/.test(username.slice(prefix.length));

/**
 * The webhook receiver: answers 204 at once on kept-alive connections, and counts the events of
 * the current phase once per webhook-id, since delivery is at least once. Events of an earlier
 * phase that arrive late (the warm-up's) are only counted as `stray`.
 */
export function startReceiver() {
  const state = { prefix: null, seen: new Set(), latencies: [], last: 0, duplicates: 0, stray: 0 };
  const record = (headers, raw, arrived) => {
    let event;
    try {
      event = JSON.parse(raw);
    } catch {
      return void state.stray++; // not a CqrsPayload: nothing to measure, and the bench must not crash
    }
    if (!ofPhase(state.prefix, event?.after?.username ?? '')) return void state.stray++;
    if (state.seen.has(headers['webhook-id'])) return void state.duplicates++;
    state.seen.add(headers['webhook-id']);
    state.latencies.push(arrived - event.ts_ms);
    state.last = arrived;
  };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      record(req.headers, Buffer.concat(chunks).toString(), Date.now());
      res.writeHead(204).end();
    });
  });
  // Longer than the dispatcher's idle gaps, so its connections stay open between rounds.
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}/hook`,
    state,
    get delivered() { return state.seen.size; },
    phase(prefix) { Object.assign(state, { prefix, seen: new Set(), latencies: [], last: 0, duplicates: 0 }); },
    stop: () => new Promise((done) => { server.closeAllConnections(); server.close(() => done()); }),
  })));
}

/** Registers the webhook for the tenant's root client, which W4's users list in `clients`. */
async function register(baseUrl, url) {
  const { items } = await call(baseUrl, 'GET', '/domain/clients');
  const client = (items.find((c) => c.name === 'root') ?? items[0])?.id;
  if (!client) throw new Error(`W4: ${baseUrl} has no client to register a webhook for`);
  const config = await call(baseUrl, 'POST', '/context/configs', { eid: client, key: 'CQRS', value: { webhook: url, collections: ['identity/users'] } });
  return { client, configId: config.data.id };
}

/** The endpoint's state as the platform reports it (cursor lag, pending, delivered, dead). */
async function endpoint(baseUrl, client) {
  return (await call(baseUrl, 'GET', `/events/webhooks/${client}`)).data;
}

const idle = (state) => state.lag === 0 && state.pending === 0;

/**
 * Waits until every created event has arrived and the platform has nothing left for the
 * endpoint (no positions to fan out, no pending deliveries), checked twice in a row so events
 * of requests still in flight when the load stopped are counted. Gives up after `timeoutMs`.
 */
async function waitDrained(baseUrl, client, receiver, created, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let settled = 0;
  while (Date.now() < deadline) {
    // The platform is asked only once the receiver has everything: its counts scan the deliveries.
    const done = receiver.delivered >= created() && idle(await endpoint(baseUrl, client));
    settled = done ? settled + 1 : 0;
    if (settled === 2) return true;
    await sleep(POLL_MS);
  }
  return false;
}

/** Samples lag once a second (from the first second of the load) until `stop()`. */
function startSampler(baseUrl, client, receiver, counts) {
  const samples = [];
  const started = Date.now();
  let running = true;
  const loop = (async () => {
    for (let tick = 1; running; tick++) {
      await sleep(Math.max(0, started + tick * 1000 - Date.now()));
      if (!running) break;
      const delivered = receiver.delivered;
      const state = await endpoint(baseUrl, client).catch(() => null);
      samples.push({
        t: tick, phase: counts.loadEnd ? 'drain' : 'load', created: counts.created, delivered, lag: Math.max(0, counts.created - delivered),
        unfanned: state?.lag ?? null, pending: state?.pending ?? null,
      });
    }
  })();
  return { stop: async () => { running = false; await loop; return samples; } };
}

/** One load phase: autocannon's creates, counting the 2xx answers as they arrive. */
async function createLoad(baseUrl, prefix, client, seconds, connections, counts) {
  const requests = createRequests(prefix, { clients: [client] });
  const ok = (status) => { if (status >= 200 && status < 300) counts.created++; };
  return cannon({ url: baseUrl, connections, duration: seconds, requests }, ok);
}

/**
 * How fast the lag grew while the load ran (events a second), from the first second's sample to
 * the end of the load: near 0 when delivery keeps pace with the creates, positive when a longer
 * load would only have left more behind.
 */
function lagGrowth(samples, lagAtEnd, duration) {
  const first = samples.find((s) => s.phase === 'load');
  return first && duration > first.t ? (lagAtEnd - first.lag) / (duration - first.t) : null;
}

/** The webhook figures of a measured phase. */
function webhookFigures(receiver, counts, samples, drained, { duration, drain }) {
  const latencies = [...receiver.state.latencies].sort((a, b) => a - b);
  const lags = samples.map((s) => s.lag);
  const lagAtLoadEnd = counts.created - counts.deliveredAtLoadEnd;
  const drainMs = drained ? Math.max(0, receiver.state.last - counts.loadEnd) : null;
  const growth = lagGrowth(samples, lagAtLoadEnd, duration);
  return {
    created: counts.created,
    delivered: receiver.delivered,
    deliveredDuringLoad: counts.deliveredAtLoadEnd,
    deliveredPerSec: counts.deliveredAtLoadEnd / duration,
    maxLag: Math.max(0, lagAtLoadEnd, ...lags),
    lagAtLoadEnd,
    lagGrowthPerSec: growth,
    drained,
    drainMs,
    drainTimeoutS: drain,
    keptUp: drained && drainMs <= KEPT_UP_MS && (growth === null || growth <= KEPT_UP_GROWTH * (counts.created / duration)),
    latencyP50: percentile(latencies, 0.5),
    latencyP99: percentile(latencies, 0.99),
    latencyMax: latencies.at(-1) ?? null,
    duplicates: receiver.state.duplicates,
    stray: receiver.state.stray,
    samples,
  };
}

/**
 * Warm-up: creates with the webhook on, then waits for them to drain so the measured run starts
 * even. Returns why its answers make the run invalid, if they do, and the backlog it left.
 */
async function warmUp(baseUrl, receiver, client, { prefix, warmup, connections, drain }) {
  if (!(warmup > 0)) return {};
  const counts = { created: 0 };
  receiver.phase(`${prefix}warm-`);
  const result = await createLoad(baseUrl, `${prefix}warm-`, client, warmup, connections, counts);
  const drained = await waitDrained(baseUrl, client, receiver, () => counts.created, drain * 1000);
  const invalid = invalidReason(result, null);
  return {
    invalid: invalid && `warm-up: ${invalid}`,
    backlog: drained ? null : `the warm-up's ${counts.created - receiver.delivered} events had not drained after ${drain} s`,
  };
}

/** The measured phase: load, then drain, sampling lag every second throughout. */
async function measured(baseUrl, receiver, client, options) {
  const { prefix, duration, connections, drain } = options;
  const counts = { created: 0, loadEnd: 0, deliveredAtLoadEnd: 0 };
  receiver.phase(prefix);
  const sampler = startSampler(baseUrl, client, receiver, counts);
  const result = await createLoad(baseUrl, prefix, client, duration, connections, counts);
  Object.assign(counts, { loadEnd: Date.now(), deliveredAtLoadEnd: receiver.delivered });
  const drained = await waitDrained(baseUrl, client, receiver, () => counts.created, drain * 1000);
  const samples = await sampler.stop();
  return { result, webhook: { ...webhookFigures(receiver, counts, samples, drained, options), endpoint: await endpoint(baseUrl, client) } };
}

/**
 * W4 against `baseUrl`: registers the webhook, warms up, measures, and removes the config again
 * (its endpoint stops being fanned out), so the other workloads run without a webhook.
 */
export async function runWebhookWorkload(baseUrl, options) {
  const receiver = await startReceiver();
  const { client, configId } = await register(baseUrl, receiver.url);
  try {
    const warm = await warmUp(baseUrl, receiver, client, options);
    const { result, webhook } = await measured(baseUrl, receiver, client, options);
    const problems = [warm.invalid, invalidReason(result, null), webhook.delivered === 0 ? 'no webhook delivery arrived' : null].filter(Boolean);
    return { ...summary(result), webhook: { ...webhook, warmupBacklog: warm.backlog ?? null }, ...(problems.length > 0 ? { invalid: problems.join('; ') } : {}) };
  } finally {
    await call(baseUrl, 'DELETE', `/context/configs/${configId}`);
    await receiver.stop();
  }
}
