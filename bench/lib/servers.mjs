// Child processes under test: one server at a time, since load generator and server share the CPU.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PLATFORM = fileURLToPath(new URL('../../apps/platform/dist/main.js', import.meta.url));
const CEILING = fileURLToPath(new URL('../ceiling.mjs', import.meta.url));

/** A free TCP port on the loopback interface. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const running = new Set();

function launch(name, script, env, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The last output is kept so a failed start can say why.
  let tail = '';
  const keep = (chunk) => {
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  running.add(child);
  exited.then(() => running.delete(child));
  return { name, child, exited, output: () => tail };
}

async function waitReady(server, baseUrl, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let exit;
  server.exited.then((e) => (exit = e));
  while (Date.now() < deadline) {
    if (exit) throw new Error(`${server.name} exited (${exit.code ?? exit.signal}) before it was ready:\n${server.output()}`);
    try {
      const response = await fetch(`${baseUrl}/status`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await stopServer(server);
  throw new Error(`${server.name} did not answer /status within ${timeoutMs / 1000} s:\n${server.output()}`);
}

async function start(name, script, env, nodeArgs) {
  const port = await freePort();
  const server = launch(name, script, { ...env, PORT: String(port) }, nodeArgs);
  server.baseUrl = `http://127.0.0.1:${port}`;
  await waitReady(server, server.baseUrl);
  return server;
}

/**
 * The bootstrap admin of a fresh database, who signs in for W1a and W5. AUTH_PROVIDER=none still
 * authenticates every request that carries a bearer token, exactly as AUTH_PROVIDER=internal.
 */
export const BENCH_ADMIN = { email: 'admin@bench.example', password: 'stratum-bench-admin' };

/**
 * The platform as `npm start` runs it, on the embedded shape (`dataDir`) or PostgreSQL
 * (`databaseUrl`), with NATS only when `natsUrl` is given (the postgres+nats variant), and
 * with `events: false` as the outbox-cost twin (STRATUM_EVENTS=off: writes append no events).
 */
export function startPlatform({ dataDir, databaseUrl, natsUrl, profileDir, events = true }) {
  // Only the database (and NATS for postgres+nats) varies: no NATS or Redis from the caller's environment.
  // The dispatcher runs in the process (role all), as on `npm start`: W4 measures it there.
  const env = {
    LOG_LEVEL: 'warn', AUTH_PROVIDER: 'none', HOST: '127.0.0.1', NODE_ENV: 'development', NATS_URL: natsUrl ?? '', REDIS_URL: '',
    STRATUM_ROLE: 'all', STRATUM_EVENTS: events ? 'on' : 'off',
    STRATUM_ADMIN_EMAIL: BENCH_ADMIN.email, STRATUM_ADMIN_PASSWORD: BENCH_ADMIN.password,
    // W5 signs in once per connection and run; the default of 10 a minute would answer 429.
    LOGIN_ATTEMPTS_PER_MINUTE: '100000',
    // One principal sends every request: the default of 100 a second per collection would answer
    // 429. The highest limit keeps the limiter's per-request work in the figures.
    RATE_LIMIT_PER_SECOND: '1000000',
  };
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  else {
    env.STRATUM_DATA_DIR = dataDir;
    env.DATABASE_URL = '';
  }
  const shape = `${databaseUrl ? `postgres${natsUrl ? '-nats' : ''}` : 'embedded'}${events ? '' : '-events-off'}`;
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=platform-${shape}.cpuprofile`] : [];
  return start(`platform (${shape})`, PLATFORM, env, nodeArgs);
}

/** The bare Fastify + pg server running the platform's SQL. */
export function startCeiling({ databaseUrl, profileDir }) {
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--cpu-prof-name=ceiling.cpuprofile'] : [];
  return start('ceiling', CEILING, { DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: '10' }, nodeArgs);
}

/** SIGTERM, then SIGKILL if the server has not exited after `graceMs`. */
export async function stopServer(server, graceMs = 15_000) {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return server.exited;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), graceMs);
  const result = await server.exited;
  clearTimeout(timer);
  return result;
}

/** For an interrupted run: every server still running gets SIGTERM. */
export function signalAll() {
  for (const child of running) child.kill('SIGTERM');
}
