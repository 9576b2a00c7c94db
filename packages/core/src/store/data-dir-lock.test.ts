import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DataDirLockedError, lockDataDir } from './data-dir-lock.js';
import { PgliteStore } from './pglite-store.js';

test('an embedded data dir is held by one process: others are refused until it closes', async () => {
  const root = mkdtempSync(join(tmpdir(), 'stratum-lock-'));
  const dir = join(root, 'pgdata');
  try {
    const store = await PgliteStore.open(dir);
    assert.throws(() => lockDataDir(dir), DataDirLockedError);
    const other = spawnSync(process.execPath, ['--input-type=module', '-e',
      `import { PgliteStore } from ${JSON.stringify(new URL('./pglite-store.js', import.meta.url).href)};
       try { await PgliteStore.open(${JSON.stringify(dir)}); console.log('opened'); } catch (e) { console.log(e.name + ': ' + e.message); }`]);
    assert.match(other.stdout.toString(), /DataDirLockedError: the embedded database .* is in use by another process/);
    await store.close();
    assert.equal(existsSync(`${dir}.lock`), false, 'closing releases the lock');
    const release = lockDataDir(dir);
    release();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a lock left by a process that is gone is taken over', () => {
  const root = mkdtempSync(join(tmpdir(), 'stratum-lock-'));
  const dir = join(root, 'pgdata');
  try {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(`${dir}.lock`, dead);
    const release = lockDataDir(dir);
    assert.throws(() => lockDataDir(dir), DataDirLockedError);
    release();
    assert.equal(existsSync(`${dir}.lock`), false);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
