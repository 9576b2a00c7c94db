// The printed table and bench/results/latest.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { KEPT_UP_GROWTH, KEPT_UP_MS } from './webhooks.mjs';

export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/** With several rounds: per shape and workload, the run with the median req/s, and every req/s. */
export function medianRows(rows) {
  const groups = new Map();
  for (const row of rows) {
    const key = `${row.shape} ${row.workload}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.values()].map((runs) => {
    const sorted = [...runs].sort((a, b) => a.rps - b.rps);
    const total = (key) => runs.reduce((sum, r) => sum + r[key], 0);
    const invalid = runs.map((r) => r.invalid).filter(Boolean);
    return {
      ...sorted[Math.floor((sorted.length - 1) / 2)],
      runs: runs.map((r) => Math.round(r.rps)),
      non2xx: total('non2xx'), errors: total('errors'), timeouts: total('timeouts'),
      invalid: invalid.length > 0 ? invalid.join(' | ') : undefined,
    };
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

/** The suffix of the shape of a platform started with STRATUM_EVENTS=off (the outbox-cost twin). */
export const EVENTS_OFF = ' events-off';

/**
 * A row's req/s over a reference row's: per round (the two ran back to back, so a burst of
 * outside load hits both), then the median of the rounds. `runs` are in round order.
 */
function pairRatio(row, reference) {
  if (!reference) return { ratio: null };
  if (reference.runs.length !== row.runs.length) return { ratio: row.rps / reference.rps };
  const perRound = row.runs.map((rps, i) => rps / reference.runs[i]);
  return { ratio: median(perRound), runs: perRound.map((r) => Math.round(r * 1000) / 1000) };
}

function authRatio(w1a, w1) {
  const { ratio, runs } = pairRatio(w1a, w1);
  return { vsW1: ratio, ...(runs ? { vsW1Runs: runs } : {}) };
}

/** W2a over W2: the token's cost on a find (no target; W2g's baseline is W2a). */
function findAuthRatio(w2a, w2) {
  const { ratio, runs } = pairRatio(w2a, w2);
  return { vsW2: ratio, ...(runs ? { vsW2Runs: runs } : {}) };
}

/** The baseline of each access-control workload: the same requests by the bench admin. */
export const ACCESS_BASELINES = { W1g: 'W1a', W2g: 'W2a' };

/** W1g over W1a, W2g over W2a: what the grant gate costs a user under the rule set. */
function accessRatio(row, admin) {
  const { ratio, runs } = pairRatio(row, admin);
  return { vsAdmin: ratio, ...(runs ? { vsAdminRuns: runs } : {}) };
}

/** W3 with events over W3 on the same shape's STRATUM_EVENTS=off twin: the outbox's cost. */
function outboxRatio(w3, twin) {
  const { ratio, runs } = pairRatio(w3, twin);
  return { vsEventsOff: ratio, ...(runs ? { vsEventsOffRuns: runs } : {}) };
}

/**
 * Adds `ratio` (req/s over the ceiling's req/s for the same workload) to every row, to W1a
 * rows `vsW1` (over W1 on the same shape in the same run), to W2a rows `vsW2` (over W2), to
 * W1g and W2g rows `vsAdmin` (over W1a and W2a), and to W3 rows with events `vsEventsOff`
 * (over W3 on the shape's events-off twin in the same run).
 */
export function withRatios(rows) {
  const ceiling = new Map(rows.filter((r) => r.shape === 'ceiling').map((r) => [r.workload, r.rps]));
  const byShape = (workload) => new Map(rows.filter((r) => r.workload === workload).map((r) => [r.shape, r]));
  const w1 = byShape('W1');
  const w2 = byShape('W2');
  const w3 = byShape('W3');
  const baselines = { W1g: byShape('W1a'), W2g: byShape('W2a') };
  return rows.map((r) => ({
    ...r,
    ratio: ceiling.has(r.workload) ? r.rps / ceiling.get(r.workload) : null,
    ...(r.workload === 'W1a' ? authRatio(r, w1.get(r.shape)) : { vsW1: null }),
    ...(r.workload === 'W2a' && w2.has(r.shape) ? findAuthRatio(r, w2.get(r.shape)) : {}),
    ...(baselines[r.workload] ? accessRatio(r, baselines[r.workload].get(r.shape)) : {}),
    ...(r.workload === 'W3' && w3.has(`${r.shape}${EVENTS_OFF}`) ? outboxRatio(r, w3.get(`${r.shape}${EVENTS_OFF}`)) : { vsEventsOff: null }),
  }));
}

function fmt(value, digits) {
  return value === null || value === undefined ? '-' : Number(value).toFixed(digits);
}

const percent = (ratio) => (ratio === null ? '-' : `${(ratio * 100).toFixed(0)}%`);

/** A plain-text table: the first `left` columns left-aligned, the others right-aligned. */
function textTable(header, lines, left = 2) {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const pad = (cells) => cells.map((c, i) => (i < left ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [pad(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(pad)].join('\n');
}

export function formatTable(rows) {
  const rounds = rows.some((r) => r.runs.length > 1);
  const outbox = rows.some((r) => r.vsEventsOff !== null && r.vsEventsOff !== undefined);
  const access = rows.some((r) => r.vsAdmin !== undefined);
  // "vs no token": W1a over W1, W2a over W2; "vs admin": W1g over W1a, W2g over W2a.
  const header = ['shape', 'workload', 'req/s', 'p50 ms', 'p99 ms', 'vs ceiling', 'vs no token', ...(access ? ['vs admin'] : []),
    ...(outbox ? ['vs events-off'] : []), 'non-2xx', 'errors', ...(rounds ? ['req/s of each round'] : [])];
  const lines = rows.map((r) => [
    r.shape, `${r.workload} ${r.name}${r.invalid ? ' INVALID' : ''}`, fmt(r.rps, 0), fmt(r.p50, 1), fmt(r.p99, 1),
    percent(r.ratio), percent(r.vsW1 ?? r.vsW2 ?? null), ...(access ? [percent(r.vsAdmin ?? null)] : []),
    ...(outbox ? [percent(r.vsEventsOff ?? null)] : []), String(r.non2xx), String(r.errors + r.timeouts),
    ...(rounds ? [r.runs.join(' ')] : []),
  ]);
  return textTable(header, lines);
}

const seconds = (ms) => (ms === null ? '-' : (ms / 1000).toFixed(1));

/** How a W4 run's backlog ended: drained (in how long) or what was left at the deadline. */
function drainText(w) {
  if (w.drained) return `${seconds(w.drainMs)} s`;
  return `not after ${w.drainTimeoutS} s (${w.created - w.delivered} left)`;
}

/** One line for the log after a W4 run. */
export function describeWebhook(w) {
  // Creates still in flight when autocannon stopped commit too, so more events can arrive than were answered.
  return `${w.delivered} events delivered for ${w.created} creates answered, ${w.deliveredPerSec.toFixed(0)}/s during the load; `
    + `max lag ${w.maxLag}, ${w.lagAtLoadEnd} at the end of the load (growing ${fmt(w.lagGrowthPerSec, 0)}/s); drained: ${drainText(w)}; `
    + `latency p50 ${fmt(w.latencyP50, 0)} ms, p99 ${fmt(w.latencyP99, 0)} ms`;
}

/** W4's section: delivery rate, lag, drain and latency per shape, and whether the dispatcher kept up. */
export function formatWebhooks(rows) {
  const w4 = rows.filter((r) => r.workload === 'W4' && r.webhook);
  if (w4.length === 0) return null;
  const header = ['shape', 'creates/s', 'delivered/s', 'max lag', 'lag at end', 'lag growth/s', 'drained after s', 'latency p50 ms', 'p99 ms', 'kept up'];
  const lines = w4.map(({ shape, rps, webhook: w }) => [
    shape, fmt(rps, 0), fmt(w.deliveredPerSec, 0), String(w.maxLag), String(w.lagAtLoadEnd), fmt(w.lagGrowthPerSec, 0),
    w.drained ? seconds(w.drainMs) : drainText(w),
    fmt(w.latencyP50, 0), fmt(w.latencyP99, 0), w.keptUp ? 'yes' : 'NO',
  ]);
  return `W4 webhook delivery (W3's creates with a webhook on identity/users; lag = creates answered minus events received):\n${textTable(header, lines, 1)}`;
}

/** W4's verdict: the dispatcher kept up when the backlog drained within a few seconds of the load. */
export function webhookVerdict(rows) {
  const w4 = rows.filter((r) => r.workload === 'W4' && r.webhook);
  if (w4.length === 0) return null;
  const summary = w4.map(({ shape, webhook: w }) => `${shape} ${w.keptUp ? 'kept up' : 'fell behind'} `
    + `(lag growing ${fmt(w.lagGrowthPerSec, 0)}/s during the load, max ${w.maxLag}; drained: ${drainText(w)})`);
  const all = w4.every((r) => r.webhook.keptUp);
  const goal = `goal: lag growing by at most ${KEPT_UP_GROWTH * 100}% of the create rate, drained within ${KEPT_UP_MS / 1000} s after the load`;
  return `W4 webhook dispatcher: ${summary.join(', ')} (${goal}) - ${all ? 'met' : 'NOT met'}`;
}

/** The outbox target: W3 with events at least 80% of W3 with STRATUM_EVENTS=off on the same shape. */
export function outboxVerdict(rows, rounds) {
  const checks = rows.filter((r) => r.vsEventsOff !== null && r.vsEventsOff !== undefined);
  if (checks.length === 0) return null;
  const failing = checks.filter((r) => r.vsEventsOff < 0.8);
  const summary = checks.map((r) => `${r.shape} ${percent(r.vsEventsOff)}`).join(', ');
  const hint = rounds > 1 ? `median of the ${rounds} rounds' ratios` : 'one round; use --rounds 3 for medians';
  return `W3 outbox cost (W3 req/s with events over W3 with STRATUM_EVENTS=off): ${summary} (target: at least 80%; ${hint}) - ${failing.length === 0 ? 'met' : 'NOT met'}`;
}

/** The 60% goal: W1 and W2 on PostgreSQL against the ceiling of the same run. */
export function verdict(rows, rounds) {
  const checks = rows.filter((r) => r.shape === 'postgres' && (r.workload === 'W1' || r.workload === 'W2') && r.ratio !== null);
  if (checks.length === 0) return null;
  const failing = checks.filter((r) => r.ratio < 0.6);
  const summary = checks.map((r) => `${r.workload} ${(r.ratio * 100).toFixed(0)}%`).join(', ');
  const hint = rounds > 1 ? `medians of ${rounds} rounds` : 'one round; use --rounds 3 for medians';
  return `PostgreSQL shape vs ceiling: ${summary} (goal: at least 60%; ${hint}) - ${failing.length === 0 ? 'met' : 'NOT met'}`;
}

/** The identity target: W1a (authenticated) at least 85% of W1 on the same shape in the same run. */
export function authVerdict(rows, rounds) {
  const checks = rows.filter((r) => r.vsW1 !== null && r.vsW1 !== undefined);
  if (checks.length === 0) return null;
  const failing = checks.filter((r) => r.vsW1 < 0.85 || r.invalid);
  const summary = checks.map((r) => `${r.shape} ${percent(r.vsW1)}${r.invalid ? ' (invalid)' : ''}`).join(', ');
  const hint = rounds > 1 ? `median of the ${rounds} rounds' ratios` : 'one round; use --rounds 3 for medians';
  return `Authenticated W1 (W1a) vs W1: ${summary} (target: at least 85%; ${hint}) - ${failing.length === 0 ? 'met' : 'NOT met'}`;
}

/**
 * The access-control target (issue 5): W1g and W2g, the same requests by a user under the bench
 * rule set, at least 85% of W1a and W2a (by the bench admin) on the same shape in the same run.
 */
export function accessVerdict(rows, rounds) {
  const checks = rows.filter((r) => r.vsAdmin !== undefined);
  if (checks.length === 0) return null;
  const failing = checks.filter((r) => r.vsAdmin === null || r.vsAdmin < 0.85 || r.invalid);
  const shapes = [...new Set(checks.map((r) => r.shape))];
  const summary = shapes.map((shape) => `${shape} ${checks.filter((r) => r.shape === shape)
    .map((r) => `${r.workload}/${ACCESS_BASELINES[r.workload]} ${percent(r.vsAdmin)}${r.invalid ? ' (invalid)' : ''}`).join(', ')}`).join('; ');
  const hint = rounds > 1 ? `median of the ${rounds} rounds' ratios` : 'one round; use --rounds 3 for medians';
  return `access control cost (req/s of a user under 20 roles and 200 grants over the bench admin's, same requests): ${summary} `
    + `(target: at least 85%; ${hint}) - ${failing.length === 0 ? 'met' : 'NOT met'}`;
}

export function machine(postgresVersion) {
  const cpu = cpus();
  return {
    cpus: cpu.length,
    cpuModel: cpu[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    postgres: postgresVersion ?? null,
  };
}

export function writeResults(report) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = `${RESULTS_DIR}latest.json`;
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  return path;
}
