// The ceiling: a bare Fastify + pg server (no Nest, no validation, no access layer) running the
// exact statements the platform's engine runs for W1, W2 and W3, on the same table and rows.
// It answers with the platform's envelopes ({data} and {items}) as the local developer of
// tenant "localhost". Env: PORT, DATABASE_URL, DATABASE_POOL_SIZE (default 10, as the platform).
import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';
import { FIND, GET_BY_ID, INSERT } from './lib/statements.mjs';

const TENANT = 'localhost';
const USER = '000000000000000000000001';
const CLIENT = '000000000000000000000002';

const PROCESS_RANDOM = randomBytes(5).toString('hex');
let counter = randomBytes(3).readUIntBE(0, 3);

/** The platform's id format: 4 bytes of seconds, 5 per process, 3 of counter. */
function newId(now) {
  counter = (counter + 1) % 0xffffff;
  return Math.floor(now / 1000).toString(16).padStart(8, '0') + PROCESS_RANDOM + counter.toString(16).padStart(6, '0');
}

function newDocument(body) {
  const now = Date.now();
  const at = new Date(now).toISOString();
  return {
    ...body, id: newId(now), owner: USER, shares: [], groups: [], clients: [CLIENT],
    created_at: at, created_by: USER, created_in: CLIENT, version: 1, timestamp: now,
  };
}

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_SIZE || 10),
  application_name: 'stratum-ceiling',
});
pool.on('error', () => undefined);

const app = Fastify({ logger: false });

app.get('/status', async () => ({ status: 'ok' }));

app.get('/identity/users/:id', async (request, reply) => {
  const { rows } = await pool.query(GET_BY_ID, [TENANT, request.params.id]);
  if (rows.length === 0) return reply.code(404).send({ error: { code: 'NOT_FOUND' } });
  reply.header('etag', `"${rows[0].doc.version}"`);
  return { data: rows[0].doc };
});

app.get('/identity/users', async (request) => {
  const filter = JSON.parse(request.query.query ?? '{}');
  const limit = Number(request.query.limit ?? 10);
  const { rows } = await pool.query(FIND, [TENANT, filter.status, limit, 0]);
  return { items: rows.map((r) => r.doc) };
});

app.post('/identity/users', async (request, reply) => {
  const doc = newDocument(request.body);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(INSERT, [TENANT, doc.id, null, doc.owner, doc.shares, doc.groups, doc.clients, doc.created_at, doc.version, JSON.stringify(doc)]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  reply.code(201).header('etag', '"1"');
  return { data: doc };
});

const stop = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

await pool.query('SELECT 1');
await app.listen({ port: Number(process.env.PORT || 3020), host: '127.0.0.1' });
