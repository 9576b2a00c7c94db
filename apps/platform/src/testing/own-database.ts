import { randomBytes } from 'node:crypto';
import { migrate, PgStore, type Store } from '@stratum/core';

export interface OwnDatabase {
  url: string;
  /** A new connection pool on the database, migrated. */
  open(): Promise<Store>;
  /** Drops the database, closing whatever is still connected to it. */
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * A PostgreSQL database of the suite's own on the server of `serverUrl`. For suites about the
 * event plane: on the shared database every other suite's dispatcher sequences and publishes all
 * tenants' events and announces them on its own bus, which these nodes never hear.
 */
export async function ownDatabase(serverUrl: string, prefix = 'stratum_t'): Promise<OwnDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = await PgStore.open(serverUrl, 1);
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.close();
  }
  const url = withDatabase(serverUrl, name);
  const first = await PgStore.open(url, 1);
  try {
    await migrate(first);
  } finally {
    await first.close();
  }
  return {
    url,
    open: () => PgStore.open(url, 5),
    async drop() {
      const server = await PgStore.open(serverUrl, 1);
      try {
        await server.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await server.close();
      }
    },
  };
}
