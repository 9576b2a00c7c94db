import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';

/** The embedded data dir is held by another live process. */
export class DataDirLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(
      `the embedded database ${dir} is in use by another process (PGlite is single-process). ` +
      `Stop \`npm start\` (or the other stratum command, pid ${pid}) and run this again, or set DATABASE_URL to use PostgreSQL.`,
    );
    this.name = 'DataDirLockedError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite takes no lock of its own, and two processes on one data dir corrupt it. A lock file
 * beside the data dir names the holder's pid; a lock whose process is gone (killed) is taken over.
 * Returns the release function.
 */
export function lockDataDir(dir: string): () => void {
  const file = `${dir}.lock`;
  const mine = String(process.pid);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, mine, { flag: 'wx' });
      return () => {
        try {
          if (readFileSync(file, 'utf8') === mine) unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(file, 'utf8'));
      if (Number.isInteger(holder) && holder > 0 && alive(holder)) throw new DataDirLockedError(dir, holder);
      unlinkSync(file);
    }
  }
  throw new Error(`could not take the lock ${file}`);
}
