import { KeyRing, type Config } from '@stratum/core';
import { withRuntime } from '../runtime.js';
import type { Command, Output } from './command.js';

const iso = (column: string) => `to_char((${column}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

interface KeyInfo {
  kid: string;
  alg: string;
  created_at: string;
  retired_at: string | null;
  /** When a retired key stops verifying tokens: its retirement plus the overlap. */
  verifies_until: string | null;
  state: 'current' | 'verifying' | 'expired';
}

/** Public facts about the signing keys, newest first; the private JWKs are never selected. */
async function listKeys(config: Config): Promise<Output> {
  const overlap = config.auth.keyOverlapSeconds;
  return withRuntime(config, async ({ store }) => {
    const { rows } = await store.query<Omit<KeyInfo, 'state'> & { live: boolean }>(
      `SELECT kid, alg, ${iso('created_at')} AS created_at, ${iso('retired_at')} AS retired_at,
         ${iso('retired_at + make_interval(secs => $1)')} AS verifies_until,
         (retired_at IS NULL OR retired_at > now() - make_interval(secs => $1)) AS live
       FROM stratum_signing_keys ORDER BY created_at DESC, kid`,
      [overlap],
    );
    const current = rows.find((r) => r.retired_at === null)?.kid ?? null;
    const keys: KeyInfo[] = rows.map(({ live, ...key }) => ({
      ...key,
      state: key.kid === current ? 'current' : live ? 'verifying' : 'expired',
    }));
    return { json: { current, overlap_seconds: overlap, keys } };
  });
}

/**
 * Retires the signing key and creates a new one, in one transaction. Retired keys keep
 * verifying for the overlap (the longer of ACCESS_TOKEN_TTL_MAX and REFRESH_TOKEN_TTL_MAX), so tokens already issued stay valid; running
 * nodes sign with the new key after their next key reload (at most a minute).
 */
async function rotateKey(config: Config): Promise<Output> {
  const overlap = config.auth.keyOverlapSeconds;
  return withRuntime(config, async ({ store }) => {
    const result = await store.transaction(async (tx) => {
      const before = await tx.query<{ kid: string }>('SELECT kid FROM stratum_signing_keys WHERE retired_at IS NULL ORDER BY created_at');
      const kid = await new KeyRing(tx, overlap).rotate();
      return { kid, retired: before.rows.map((r) => r.kid) };
    });
    return { json: { ...result, retired_keys_verify_for_seconds: overlap } };
  });
}

export const keysRotateCommand: Command = {
  words: ['keys', 'rotate'],
  synopsis: '',
  summary: 'create a new signing key; the old one keeps verifying until every token it signed has expired',
  spec: { positionals: [], flags: {} },
  prepare: () => rotateKey,
};

export const keysListCommand: Command = {
  words: ['keys', 'list'],
  synopsis: '',
  summary: 'list the signing keys with their created and retired times (no private material)',
  spec: { positionals: [], flags: {} },
  prepare: () => listKeys,
};
