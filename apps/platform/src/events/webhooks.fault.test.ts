import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { ADMIN_PASSWORD, uniqueDomain } from '../auth/security-harness.js';
import { WEBHOOK_TEST_ENV } from '../testing/webhook-env.js';
import { WebhookReceiver } from '../testing/webhook-receiver.js';

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

interface Node {
  child: ChildProcess;
  url: string;
}

/** Runs the real `npm start` entry point as its own process and waits for its URL. */
function startNode(env: Record<string, string>): Promise<Node> {
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
}

function killHard(node: Node): Promise<void> {
  return new Promise((resolve) => {
    node.child.once('exit', () => resolve());
    node.child.kill('SIGKILL');
  });
}

async function call(url: string, path: string, token: string | undefined, body?: unknown, method?: string): Promise<any> {
  const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${url}${path}`, { method: method ?? (body === undefined ? 'GET' : 'POST'), headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const parsed = await response.json() as any;
  assert.ok(response.ok, `${path}: ${JSON.stringify(parsed)}`);
  return parsed;
}

const shapes = [{ name: 'embedded', env: {} as Record<string, string> }];
if (process.env.DATABASE_URL) shapes.push({ name: 'postgres', env: { DATABASE_URL: process.env.DATABASE_URL } });

for (const shape of shapes) {
  describe(`webhook delivery survives kill -9 on ${shape.name}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'stratum-fault-'));
    const receiver = new WebhookReceiver();
    let node: Node | undefined;
    after(async () => {
      if (node && node.child.exitCode === null && node.child.signalCode === null) await killHard(node);
      await receiver.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('the dispatcher killed mid-batch and restarted loses no event; repeats keep their webhook-id', { timeout: 120_000 }, async () => {
      await receiver.start();
      const env = {
        ...WEBHOOK_TEST_ENV, ...shape.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', NODE_ENV: 'test',
        STRATUM_DATA_DIR: dir, STRATUM_ADMIN_PASSWORD: ADMIN_PASSWORD, STRATUM_ROOT_DOMAIN: uniqueDomain('fault'), WEBHOOK_TIMEOUT_MS: '1000',
      };
      node = await startNode(env);
      const login = await call(node.url, '/auth/token', undefined, { grant_type: 'password', username: `admin@${env.STRATUM_ROOT_DOMAIN}`, password: ADMIN_PASSWORD });
      const token = login.data.access_token;
      const client = login.data.client_id ?? JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).cid;
      await call(node.url, '/context/configs', token, { eid: client, key: 'CQRS', value: { webhook: receiver.url, collections: ['special/stats'] } });
      receiver.secrets = [(await call(node.url, `/events/webhooks/${client}/secret`, token)).data.secret];
      receiver.delayMs = 30;
      const docs: string[] = [];
      for (let i = 0; i < 20; i++) {
        const id = (await call(node.url, '/special/stats', token, { key: `fault-${i}`, value: 0 })).data.id;
        docs.push(id);
        await call(node.url, `/special/stats/${id}`, token, { value: 1 }, 'PATCH');
      }
      await receiver.until((list) => list.length >= 5);
      await killHard(node);
      const beforeRestart = receiver.accepted().length;
      assert.ok(beforeRestart < 40, `the kill came before everything was delivered (${beforeRestart})`);
      receiver.delayMs = 0;
      node = await startNode(env);
      await receiver.until(() => receiver.accepted().length >= 40, 30_000);
      const accepted = receiver.accepted();
      for (const id of docs) {
        const versions = accepted.filter((r) => r.body.id === id).map((r) => Number(r.headers['stratum-document-version']));
        assert.deepEqual(versions, [1, 2], `both changes of ${id} arrived, in order`);
      }
      for (const repeat of receiver.received.filter((r, i) => receiver.received.findIndex((o) => o.id === r.id) !== i)) {
        const first = receiver.received.find((r) => r.id === repeat.id)!;
        assert.deepEqual(repeat.body, first.body, 'a repeat is the same event under the same webhook-id');
      }
      await killHard(node);
    });
  });
}
