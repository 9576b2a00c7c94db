// `npm run bench`: W1-W3 with autocannon on the embedded shape, the PostgreSQL shape and the
// bare Fastify + pg ceiling, one server under load at a time, plus W1a (W1 with a bearer token)
// and W5 (token refresh) on the platform only; prints req/s, p50, p99, the ratio to the ceiling
// and W1a's to W1, and writes bench/results/latest.json. `--help` lists the options.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { compact, redact, removeCreated, resetBenchDatabase } from './lib/database.mjs';
import { parseOptions, SHAPES, WORKLOAD_IDS } from './lib/options.mjs';
import { authVerdict, formatTable, machine, medianRows, RESULTS_DIR, verdict, withRatios, writeResults } from './lib/report.mjs';
import { findDrift } from './lib/sql-check.mjs';
import { signalAll, startCeiling, startPlatform, stopServer } from './lib/servers.mjs';
import { runWorkload, sample, seedUsers, WORKLOADS } from './lib/workloads.mjs';

const log = (message) => console.log(`bench: ${message}`);
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** One measured workload against one server; W3's users are removed afterwards when asked. */
async function measure(shape, server, workload, ids, options, afterCreate) {
  const prefix = `w3-${shape}-${Date.now().toString(36)}-`;
  const result = await runWorkload(server.baseUrl, workload.id, { ...options, ids, prefix });
  log(`  ${shape} ${workload.id}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms`);
  if (result.invalid) log(`  ${shape} ${workload.id}: INVALID RUN: ${result.invalid}`);
  if (workload.id === 'W3' && afterCreate) await afterCreate(prefix);
  return { shape, workload: workload.id, name: workload.name, ...result };
}

const selected = (options) => WORKLOADS.filter((w) => options.workloads.includes(w.id));

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

async function embedded(options) {
  const dataDir = mkdtempSync(join(tmpdir(), 'stratum-bench-'));
  tempDirs.add(dataDir);
  try {
    return await withServer(startPlatform({ dataDir, profileDir: options.profileDir }), async (server) => {
      const started = Date.now();
      const ids = await seedUsers(server.baseUrl, options.users);
      log(`embedded: seeded ${ids.length} users in ${seconds(started)}`);
      await sample(server.baseUrl, ids);
      const rows = [];
      for (let round = 0; round < options.rounds; round++) {
        for (const workload of selected(options)) rows.push(await measure('embedded', server, workload, ids, options));
      }
      return rows;
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    tempDirs.delete(dataDir);
  }
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

/**
 * The PostgreSQL shape and the ceiling share one freshly created, once-seeded database. Both
 * servers are up, but only one is under load at a time: each workload runs on the platform,
 * then at once on the ceiling, so a burst of outside load hits one pair rather than one shape.
 */
async function postgres(options, db, notes) {
  const cleanup = (prefix) => removeCreated(db.url, prefix);
  const { natsUrl, profileDir } = options;
  const label = natsUrl ? 'postgres+nats' : 'postgres';
  return withServer(startPlatform({ databaseUrl: db.url, natsUrl, profileDir }), async (platform) => {
    const started = Date.now();
    const ids = await seedUsers(platform.baseUrl, options.users);
    await compact(db.url);
    log(`${label}: seeded ${ids.length} users in ${seconds(started)}`);
    const reference = await sample(platform.baseUrl, ids);
    const servers = options.shapes.includes('postgres') ? [[label, platform]] : [];
    const run = async () => {
      const rows = [];
      for (let round = 0; round < options.rounds; round++) {
        for (const workload of selected(options)) {
          for (const [shape, server] of servers) {
            if (shape === 'ceiling' && !workload.ceiling) continue;
            rows.push(await measure(shape, server, workload, ids, options, cleanup));
          }
        }
      }
      return rows;
    };
    if (!options.shapes.includes('ceiling')) return run();
    return withServer(startCheckedCeiling(db, ids, reference, options, notes), (ceiling) => {
      servers.push(['ceiling', ceiling]);
      return run();
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
    const db = await resetBenchDatabase(options.databaseUrl);
    if (db.skipped) {
      notes.push(`${db.skipped}: the postgres and ceiling shapes were skipped`);
      log(`SKIPPED postgres and ceiling: ${db.skipped}`);
    } else {
      postgresVersion = db.version;
      log(`postgres: using ${redact(db.url)} (PostgreSQL ${db.version})`);
      rows.push(...(await postgres(options, db, notes)));
    }
  }
  finish(options, { rows, notes, load, postgresVersion, started });
}

/** Prints the table, the verdicts and the notes, and writes bench/results/latest.json. */
function finish(options, { rows, notes, load, postgresVersion, started }) {
  const order = (r) => SHAPES.indexOf(r.shape.split('+')[0]) * 10 + WORKLOAD_IDS.indexOf(r.workload);
  const table = withRatios(medianRows(rows)).sort((a, b) => order(a) - order(b));
  console.log(table.length > 0 ? `\n${formatTable(table)}\n` : 'bench: nothing was measured');
  const goal = verdict(table, options.rounds);
  if (goal) console.log(goal);
  const authGoal = authVerdict(table, options.rounds);
  if (authGoal) console.log(authGoal);
  for (const note of notes) console.log(`note: ${note}`);
  const invalid = table.filter((r) => r.invalid);
  for (const r of invalid) console.log(`INVALID: ${r.shape} ${r.workload} ${r.name}: ${r.invalid}`);
  const { profileDir, databaseUrl, ...recorded } = options;
  const path = writeResults({
    date: new Date().toISOString(), machine: machine(postgresVersion), loadAverage: { start: load, end: loadavg()[0] },
    options: { ...recorded, natsUrl: recorded.natsUrl && redact(recorded.natsUrl) }, results: table, goal, authGoal, notes,
  });
  log(`results written to ${path}; total ${seconds(started)}`);
  if (profileDir) log(`CPU profiles (one per server) in ${profileDir}`);
  if (invalid.length > 0) {
    console.error(`bench: ${invalid.length} invalid run(s): a W1a or W5 request did not answer 2xx (see above)`);
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
