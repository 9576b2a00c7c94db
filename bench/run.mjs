// `npm run bench`: W1-W3 with autocannon on the embedded shape, the PostgreSQL shape and the
// bare Fastify + pg ceiling, one server under load at a time, plus W1a (W1 with a bearer token),
// W4 (W3 with a webhook: delivery rate, lag, drain, latency) and W5 (token refresh) on the
// platform only, and W3 again on a STRATUM_EVENTS=off twin of each platform shape (the outbox's
// cost), and W1g/W2g (W1/W2 as a user under a realistic rule set of 20 roles and 200 grants)
// against W1a/W2a (the same requests as the bench admin: the access-control cost); prints req/s,
// p50, p99, the ratios to the ceiling, of W1a to W1, of W3 to its twin and of W1g/W2g to W1a/W2a,
// and writes bench/results/latest.json. `--help` lists the options.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { compact, redact, removeCreated, resetBenchDatabase } from './lib/database.mjs';
import { parseOptions, RULED_WORKLOADS, SHAPES, WORKLOAD_IDS } from './lib/options.mjs';
import {
  accessVerdict, authVerdict, describeWebhook, EVENTS_OFF, formatTable, formatWebhooks, machine, medianRows, outboxVerdict, RESULTS_DIR, verdict,
  webhookVerdict, withRatios, writeResults,
} from './lib/report.mjs';
import { findDrift } from './lib/sql-check.mjs';
import { signalAll, startCeiling, startPlatform, stopServer } from './lib/servers.mjs';
import { seedRules } from './lib/rules.mjs';
import { runWebhookWorkload } from './lib/webhooks.mjs';
import { runInterleaved, runWorkload, sample, seedUsers, WORKLOADS } from './lib/workloads.mjs';

const log = (message) => console.log(`bench: ${message}`);
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** An invalid run, with what the server last printed (its errors, at LOG_LEVEL=warn), once per server. */
const explained = new Set();
function logInvalid(shape, workload, server, result) {
  log(`  ${shape} ${workload.id}: INVALID RUN: ${result.invalid}`);
  if (explained.has(server)) return;
  explained.add(server);
  log(`  ${shape}: the server's last output:\n${server.output().slice(-2000)}`);
}

/** One measured workload against one server; the users W3 and W4 create are removed afterwards when asked. */
async function measure(shape, server, workload, ids, options, afterCreate) {
  const prefix = `${workload.id.toLowerCase()}-${shape.replace(/\W+/g, '-')}-${Date.now().toString(36)}-`;
  const args = { ...options, ids, prefix };
  const result = workload.id === 'W4' ? await runWebhookWorkload(server.baseUrl, args) : await runWorkload(server.baseUrl, workload.id, args);
  log(`  ${shape} ${workload.id}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms`);
  if (result.webhook) log(`  ${shape} ${workload.id} webhooks: ${describeWebhook(result.webhook)}`);
  if (result.webhook?.warmupBacklog) log(`  ${shape} ${workload.id}: ${result.webhook.warmupBacklog}`);
  if (result.invalid) logInvalid(shape, workload, server, result);
  if (workload.creates && afterCreate) await afterCreate(prefix);
  return { shape, workload: workload.id, name: workload.name, ...result };
}

/**
 * Two targets measured interleaved (runInterleaved): an access-control workload and its baseline
 * on one server, or W3 on a platform shape and on its events-off twin. Users created are removed
 * afterwards when asked.
 */
async function measureInterleaved(entries, ids, options, afterCreate) {
  const prefix = `pair-${entries[0].shape.replace(/\W+/g, '-')}-${Date.now().toString(36)}-`;
  const targets = entries.map(({ server, workload }) => ({ baseUrl: server.baseUrl, workload: workload.id }));
  const results = await runInterleaved(targets, { ...options, ids, prefix });
  const rows = entries.map(({ shape, server, workload }, i) => {
    const result = results[i];
    log(`  ${shape} ${workload.id}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms (interleaved slices: ${result.slices.join(' ')} req/s)`);
    if (result.invalid) logInvalid(shape, workload, server, result);
    return { shape, workload: workload.id, name: workload.name, ...result };
  });
  if (entries.some((e) => e.workload.creates) && afterCreate) await afterCreate(prefix);
  return rows;
}

const PAIRS = [['W1a', 'W1g'], ['W2a', 'W2g']];

/** The other workload of an access-control pair when both run, else undefined. */
function partnerOf(workload, list) {
  const pair = PAIRS.find((p) => p.includes(workload.id));
  return pair && list.find((w) => w.id !== workload.id && pair.includes(w.id));
}

/**
 * Every round runs each selected workload on each server that takes it, one after the other,
 * so a burst of outside load hits a pair (platform and ceiling). An access-control workload and
 * its baseline, and W3 on a platform shape and on its events-off twin, run interleaved, in
 * slices (runInterleaved).
 */
async function runRounds(servers, ids, options, afterCreate) {
  const rows = [];
  for (let round = 0; round < options.rounds; round++) {
    const list = selected(options, round);
    const done = new Set();
    for (const workload of list) {
      if (done.has(workload.id)) continue;
      const partner = partnerOf(workload, list);
      if (partner) done.add(partner.id);
      for (const entry of servers) {
        const { shape, server, runs } = entry;
        if (!runs(workload) || entry.twinOf) continue;
        const twin = workload.id === 'W3' ? servers.find((s) => s.twinOf === shape) : undefined;
        // Every other round the twin goes first, so neither side always warms up second.
        const sides = twin && round % 2 === 1 ? [twin, entry] : [entry, twin];
        if (partner) rows.push(...(await measureInterleaved([workload, partner].map((w) => ({ shape, server, workload: w })), ids, options)));
        else if (twin) rows.push(...(await measureInterleaved(sides.map((s) => ({ ...s, workload })), ids, options, afterCreate)));
        else rows.push(await measure(shape, server, workload, ids, options, afterCreate));
      }
    }
  }
  return rows;
}

const everything = () => true;
const wantsTwin = (options) => options.outboxCost && options.workloads.includes('W3');
/** The STRATUM_EVENTS=off twin of a platform shape runs W3 only: the outbox's cost is its ratio. */
const twinOf = (shape, server) => ({ shape: `${shape}${EVENTS_OFF}`, server, runs: (w) => w.id === 'W3', twinOf: shape });

/**
 * The round's workloads, in WORKLOADS' order except that an access-control workload and its
 * baseline swap places every other round (W1a, W1g, then W1g, W1a…), so neither always warms
 * up second and takes the first and last slices of the interleaved run.
 */
function selected(options, round = 0) {
  const list = WORKLOADS.filter((w) => options.workloads.includes(w.id));
  if (round % 2 === 1) {
    for (const [a, b] of [['W1a', 'W1g'], ['W2a', 'W2g']]) {
      const i = list.findIndex((w) => w.id === a);
      const j = list.findIndex((w) => w.id === b);
      if (i >= 0 && j >= 0) [list[i], list[j]] = [list[j], list[i]];
    }
  }
  return list;
}

/** The seeded rule set's counts (the same on every shape), for latest.json. */
let ruleSetSummary;

const wantsRules = (options) => options.workloads.some((id) => RULED_WORKLOADS.includes(id));

/**
 * The bench tenant's data on a fresh platform: with W1g or W2g, the rule set (20 roles, 200
 * grants, the bench user) first, then the users, some shared with or owned by the bench user.
 */
async function seedTenant(baseUrl, options, label) {
  const started = Date.now();
  const rules = wantsRules(options) ? await seedRules(baseUrl) : undefined;
  if (rules) {
    ruleSetSummary = rules.summary;
    log(`${label}: seeded the rule set in ${seconds(started)}: ${JSON.stringify(rules.summary)}`);
  }
  const ids = await seedUsers(baseUrl, options.users, rules);
  return { ids, rules };
}

async function withServer(startPromise, fn) {
  const server = await startPromise;
  try {
    return await fn(server);
  } finally {
    await stopServer(server);
  }
}

const tempDirs = new Set();

// Ctrl-C: stop the server under test and remove the embedded data before leaving.
let interrupted = false;
process.once('SIGINT', () => {
  interrupted = true;
  console.log('bench: interrupted, stopping');
  signalAll();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  setTimeout(() => process.exit(130), 500);
});

async function withDataDir(fn) {
  const dataDir = mkdtempSync(join(tmpdir(), 'stratum-bench-'));
  tempDirs.add(dataDir);
  try {
    return await fn(dataDir);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    tempDirs.delete(dataDir);
  }
}

/** `fn` with the embedded twin (its own data directory, seeded the same way) when W3 runs, else with none. */
function withEmbeddedTwin(options, fn) {
  if (!wantsTwin(options)) return fn([]);
  return withDataDir((dataDir) => withServer(startPlatform({ dataDir, profileDir: options.profileDir, events: false }), async (twin) => {
    const started = Date.now();
    // The same tenant as its pair's, rule set included, so both sides of the ratio decide alike.
    const { ids } = await seedTenant(twin.baseUrl, options, `embedded${EVENTS_OFF}`);
    log(`embedded${EVENTS_OFF}: seeded ${ids.length} users in ${seconds(started)}`);
    return fn([twinOf('embedded', twin)]);
  }));
}

function embedded(options) {
  return withDataDir((dataDir) => withServer(startPlatform({ dataDir, profileDir: options.profileDir }), async (server) => {
    const started = Date.now();
    const { ids, rules } = await seedTenant(server.baseUrl, options, 'embedded');
    log(`embedded: seeded ${ids.length} users in ${seconds(started)}`);
    await sample(server.baseUrl, ids);
    return withEmbeddedTwin(options, (twins) => runRounds([{ shape: 'embedded', server, runs: everything }, ...twins], ids, { ...options, rules }));
  }));
}

/** Starts the ceiling and checks it answers the samples as the platform did. */
async function startCheckedCeiling(db, ids, reference, options, notes) {
  const drift = findDrift();
  if (drift) notes.push(drift);
  const ceiling = await startCeiling({ databaseUrl: db.url, profileDir: options.profileDir });
  const mine = await sample(ceiling.baseUrl, ids);
  for (const key of ['w1', 'w2']) {
    if (JSON.stringify(mine[key]) !== JSON.stringify(reference[key])) {
      notes.push(`the ceiling answered the ${key.toUpperCase()} sample differently from the platform`);
    }
  }
  return ceiling;
}

/** `fn` with the PostgreSQL twin (same database, so the same seeded rows) when W3 runs on it, else with none. */
function withPostgresTwin(options, db, label, fn) {
  if (!wantsTwin(options) || !options.shapes.includes('postgres')) return fn([]);
  const { natsUrl, profileDir } = options;
  return withServer(startPlatform({ databaseUrl: db.url, natsUrl, profileDir, events: false }), (twin) => fn([twinOf(label, twin)]));
}

/**
 * The PostgreSQL shape, its events-off twin and the ceiling share one freshly created,
 * once-seeded database. All servers are up, but only one is under load at a time: each workload
 * runs on the platform, then at once on the twin (W3) and the ceiling, so a burst of outside load
 * hits one group rather than one shape.
 */
async function postgres(options, db, notes) {
  const cleanup = (prefix) => removeCreated(db.url, prefix);
  const { natsUrl, profileDir } = options;
  const label = natsUrl ? 'postgres+nats' : 'postgres';
  return withServer(startPlatform({ databaseUrl: db.url, natsUrl, profileDir }), async (platform) => {
    const started = Date.now();
    const { ids, rules } = await seedTenant(platform.baseUrl, options, label);
    await compact(db.url);
    log(`${label}: seeded ${ids.length} users in ${seconds(started)}`);
    const reference = await sample(platform.baseUrl, ids);
    const servers = options.shapes.includes('postgres') ? [{ shape: label, server: platform, runs: everything }] : [];
    return withPostgresTwin(options, db, label, (twins) => {
      const run = (more) => runRounds([...servers, ...twins, ...more], ids, { ...options, rules }, cleanup);
      if (!options.shapes.includes('ceiling')) return run([]);
      return withServer(startCheckedCeiling(db, ids, reference, options, notes),
        (ceiling) => run([{ shape: 'ceiling', server: ceiling, runs: (w) => w.ceiling }]));
    });
  });
}

async function main() {
  const options = parseOptions(process.argv.slice(2), process.env);
  if (options.help) {
    console.log(options.help);
    return;
  }
  if (options.profile) options.profileDir = join(RESULTS_DIR, 'profiles');
  const started = Date.now();
  const nats = options.natsUrl ? ` (postgres with NATS_URL=${redact(options.natsUrl)})` : '';
  log(`shapes ${options.shapes.join(', ')}${nats}; workloads ${options.workloads.join(', ')}; ${options.rounds} round(s) of `
    + `${options.duration} s per workload after ${options.warmup} s warm-up; ${options.connections} connections; ${options.users} seeded users`);
  const rows = [];
  const notes = [];
  const load = loadavg()[0];
  if (load > 1) notes.push(`the 1-minute load average was ${load.toFixed(1)} at the start: other processes share the CPU, figures are noisy`);
  let postgresVersion;
  if (options.shapes.includes('embedded')) rows.push(...(await embedded(options)));
  if (options.shapes.includes('postgres') || options.shapes.includes('ceiling')) {
    const db = await resetBenchDatabase(options.databaseUrl, options.databaseName);
    if (db.skipped) {
      notes.push(`${db.skipped}: the postgres and ceiling shapes were skipped`);
      log(`SKIPPED postgres and ceiling: ${db.skipped}`);
    } else {
      postgresVersion = db.version;
      log(`postgres: using ${redact(db.url)} (PostgreSQL ${db.version})`);
      // The dispatcher's plans depend on statistics of tables the bench does not compact (see docs/benchmarks.md, W4).
      if (!db.autovacuum && options.workloads.includes('W4')) {
        notes.push('autovacuum is off on this PostgreSQL server: the bench vacuums and analyzes the event tables between runs, never during one');
      }
      rows.push(...(await postgres(options, db, notes)));
    }
  }
  finish(options, { rows, notes, load, postgresVersion, started });
}

/** Prints the table, the verdicts and the notes, and writes bench/results/latest.json. */
function finish(options, { rows, notes, load, postgresVersion, started }) {
  // A shape's events-off twin sorts right after it, by workload (W3 is the only one it runs).
  const order = (r) => SHAPES.indexOf(r.shape.split(/[+ ]/)[0]) * 100 + WORKLOAD_IDS.indexOf(r.workload) * 2 + (r.shape.endsWith(EVENTS_OFF) ? 1 : 0);
  const table = withRatios(medianRows(rows)).sort((a, b) => order(a) - order(b));
  console.log(table.length > 0 ? `\n${formatTable(table)}\n` : 'bench: nothing was measured');
  const webhooks = formatWebhooks(table);
  if (webhooks) console.log(`${webhooks}\n`);
  const goal = verdict(table, options.rounds);
  if (goal) console.log(goal);
  const authGoal = authVerdict(table, options.rounds);
  if (authGoal) console.log(authGoal);
  const outboxGoal = outboxVerdict(table, options.rounds);
  if (outboxGoal) console.log(outboxGoal);
  const accessGoal = accessVerdict(table, options.rounds);
  if (accessGoal) console.log(accessGoal);
  const webhookGoal = webhookVerdict(table);
  if (webhookGoal) console.log(webhookGoal);
  for (const note of notes) console.log(`note: ${note}`);
  const invalid = table.filter((r) => r.invalid);
  for (const r of invalid) console.log(`INVALID: ${r.shape} ${r.workload} ${r.name}: ${r.invalid}`);
  const { profileDir, databaseUrl, ...recorded } = options;
  const path = writeResults({
    date: new Date().toISOString(), machine: machine(postgresVersion), loadAverage: { start: load, end: loadavg()[0] },
    options: { ...recorded, natsUrl: recorded.natsUrl && redact(recorded.natsUrl) }, results: table, goal, authGoal, accessGoal, outboxGoal, webhookGoal, ruleSet: ruleSetSummary, notes,
  });
  log(`results written to ${path}; total ${seconds(started)}`);
  if (profileDir) log(`CPU profiles (one per server) in ${profileDir}`);
  if (invalid.length > 0) {
    console.error(`bench: ${invalid.length} invalid run(s): a request did not answer 2xx, or no W4 webhook arrived (see above)`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  if (interrupted) return;
  console.error(`bench: ${error?.usage ? error.message : `failed: ${error instanceof Error ? error.stack : error}`}`);
  signalAll();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  setTimeout(() => process.exit(1), 500);
});
