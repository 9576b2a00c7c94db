// The printed table and bench/results/latest.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { fileURLToPath } from 'node:url';

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

/**
 * W1a's req/s over W1's on the same shape: per round (the two ran back to back, so a burst of
 * outside load hits both), then the median of the rounds. `runs` are in round order.
 */
function authRatio(w1a, w1) {
  if (!w1) return { vsW1: null };
  if (w1.runs.length !== w1a.runs.length) return { vsW1: w1a.rps / w1.rps };
  const perRound = w1a.runs.map((rps, i) => rps / w1.runs[i]);
  return { vsW1: median(perRound), vsW1Runs: perRound.map((r) => Math.round(r * 1000) / 1000) };
}

/**
 * Adds `ratio` (req/s over the ceiling's req/s for the same workload) to every row, and to W1a
 * rows `vsW1` (over W1 on the same shape in the same run).
 */
export function withRatios(rows) {
  const ceiling = new Map(rows.filter((r) => r.shape === 'ceiling').map((r) => [r.workload, r.rps]));
  const w1 = new Map(rows.filter((r) => r.workload === 'W1').map((r) => [r.shape, r]));
  return rows.map((r) => ({
    ...r,
    ratio: ceiling.has(r.workload) ? r.rps / ceiling.get(r.workload) : null,
    ...(r.workload === 'W1a' ? authRatio(r, w1.get(r.shape)) : { vsW1: null }),
  }));
}

function fmt(value, digits) {
  return value === null || value === undefined ? '-' : Number(value).toFixed(digits);
}

const percent = (ratio) => (ratio === null ? '-' : `${(ratio * 100).toFixed(0)}%`);

export function formatTable(rows) {
  const rounds = rows.some((r) => r.runs.length > 1);
  const header = ['shape', 'workload', 'req/s', 'p50 ms', 'p99 ms', 'vs ceiling', 'vs W1', 'non-2xx', 'errors', ...(rounds ? ['req/s of each round'] : [])];
  const lines = rows.map((r) => [
    r.shape, `${r.workload} ${r.name}${r.invalid ? ' INVALID' : ''}`, fmt(r.rps, 0), fmt(r.p50, 1), fmt(r.p99, 1),
    percent(r.ratio), percent(r.vsW1), String(r.non2xx), String(r.errors + r.timeouts),
    ...(rounds ? [r.runs.join(' ')] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const pad = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [pad(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(pad)].join('\n');
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
