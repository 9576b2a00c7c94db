import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BUILTIN_COLLECTIONS, CollectionEngine, CollectionRegistry, createIdentity, loadConfig, openBus, openStore,
  type Identity, type Store,
} from '@stratum/core';

/** The compiled CLI, run as operators run it: `node packages/cli/dist/main.js …`. */
export const CLI_MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type CliEnv = Record<string, string>;

/** Runs the CLI in a child process with exactly `env` (plus PATH): nothing leaks from the test's environment. */
export function runCli(args: readonly string[], env: CliEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI_MAIN, ...args], { env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      });
  });
}

/** Asserts a successful run and returns its JSON output. */
export async function cliJson<T = Record<string, unknown>>(args: readonly string[], env: CliEnv): Promise<T> {
  const result = await runCli(args, env);
  assert.equal(result.code, 0, `stratum ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** Asserts a failed run with `code` and a stderr matching `pattern`, and nothing on stdout. */
export async function cliFails(args: readonly string[], env: CliEnv, code: number, pattern: RegExp): Promise<CliResult> {
  const result = await runCli(args, env);
  assert.equal(result.code, code, `stratum ${args.join(' ')}: expected exit ${code}, got ${result.code}: ${result.stderr}${result.stdout}`);
  assert.match(result.stderr, pattern);
  assert.equal(result.stdout, '');
  return result;
}

export interface CliShape {
  name: 'embedded' | 'postgres';
  env: CliEnv;
  /** A name no other run of the suites uses: suites share the PostgreSQL database. */
  unique(prefix: string): string;
  dispose(): void;
}

/** A fresh embedded data dir always; the DATABASE_URL database too when it is set. */
export function cliShapes(env: Record<string, string | undefined> = process.env): CliShape[] {
  const unique = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'stratum-cli-'));
  const shapes: CliShape[] = [{
    name: 'embedded',
    env: { STRATUM_DATA_DIR: dir },
    unique,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  }];
  if (env.DATABASE_URL) shapes.push({ name: 'postgres', env: { DATABASE_URL: env.DATABASE_URL }, unique, dispose: () => undefined });
  return shapes;
}

export interface Platform {
  store: Store;
  identity: Identity;
  close(): Promise<void>;
}

/** The identity services over the same store the CLI used, wired as apps/platform/src/app.ts wires them. */
export async function openPlatform(env: CliEnv): Promise<Platform> {
  const config = loadConfig({ NODE_ENV: 'test', ...env });
  const store = await openStore(config);
  const registry = new CollectionRegistry(BUILTIN_COLLECTIONS);
  const engine = new CollectionEngine(store, registry, config.limits);
  const bus = await openBus(config.natsUrl);
  const identity = await createIdentity(config, store, registry, engine, bus);
  return {
    store,
    identity,
    async close() {
      await bus.close();
      await store.close();
    },
  };
}

/** Opens the platform, runs `fn`, and always closes it (the embedded database admits one process). */
export async function withPlatform<T>(env: CliEnv, fn: (platform: Platform) => Promise<T>): Promise<T> {
  const platform = await openPlatform(env);
  try {
    return await fn(platform);
  } finally {
    await platform.close();
  }
}

/** The `kid` in a JWT's protected header. */
export function kidOf(token: string): string {
  return (JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')) as { kid: string }).kid;
}
