// The dedicated PostgreSQL database of the bench: recreated at every run so runs compare.
import pg from 'pg';

export const BENCH_DATABASE = 'stratum_bench';

function withDatabase(url, name) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A URL with its password hidden, for printing. */
export function redact(url) {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

async function connect(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  return client;
}

/**
 * Drops and recreates the bench database (`name`, by default `stratum_bench`) through the server
 * of `adminUrl`. Returns the bench database's URL and the server version, or `{ skipped }` when
 * the server is not reachable or while another session is connected to the database: a second bench
 * run at the same time would otherwise drop the first one's database under its servers, whose
 * requests then fail or read the other run's rows.
 */
export async function resetBenchDatabase(adminUrl, name = BENCH_DATABASE) {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`BENCH_DATABASE_NAME must be a lowercase SQL identifier, got ${JSON.stringify(name)}`);
  let client;
  try {
    client = await connect(adminUrl);
  } catch (error) {
    return { skipped: `PostgreSQL at ${redact(adminUrl)} is not reachable (${error.message || error.code})` };
  }
  try {
    const version = (await client.query('SHOW server_version')).rows[0].server_version;
    const autovacuum = (await client.query('SHOW autovacuum')).rows[0].autovacuum === 'on';
    const users = await client.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
    if (users.rows[0].n > 0) {
      return { skipped: `the database ${name} has ${users.rows[0].n} open connection(s), probably another bench run, which dropping it `
        + 'would break (wait for it, or set BENCH_DATABASE_NAME to another name)' };
    }
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}`);
    return { url: withDatabase(adminUrl, name), version, autovacuum };
  } finally {
    await client.end();
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Every create passes through these; a server with autovacuum off (this VM's) would let them bloat from run to run.
const EVENT_TABLES = ['stratum_outbox_pending', 'stratum_outbox_events', 'stratum_outbox_positions', 'stratum_bus_cursor',
  'stratum_webhook_endpoints', 'stratum_deliveries', 'stratum_delivery_attempts'];

/**
 * Removes what a W3 run created and compacts the table, so the next shape reads the same rows
 * in the same layout (a plain VACUUM leaves the table as large as the inserts made it), and
 * vacuums and analyzes the event tables, as autovacuum would between runs.
 */
export async function removeCreated(url, usernamePrefix) {
  // autocannon stops at the deadline without waiting for requests still in flight.
  await sleep(1000);
  const client = await connect(url);
  try {
    const result = await client.query(
      `DELETE FROM "c_identity_users" WHERE (doc->>'username') COLLATE "C" LIKE $1`,
      [`${usernamePrefix.replace(/[\\%_]/g, '\\$&')}%`],
    );
    await client.query('VACUUM FULL ANALYZE "c_identity_users"');
    await client.query(`VACUUM ANALYZE ${EVENT_TABLES.join(', ')}`);
    return result.rowCount;
  } finally {
    await client.end();
  }
}

/** Compacts and analyzes after seeding: every shape reads the same layout with fresh statistics. */
export async function compact(url) {
  const client = await connect(url);
  try {
    await client.query('VACUUM FULL ANALYZE "c_identity_users"');
  } finally {
    await client.end();
  }
}
