import type { AddressInfo } from 'node:net';
import { loadConfig, type Config, type Store } from '@stratum/core';
import { createPlatform, type Platform } from '../app.js';

export interface Listening {
  platform: Platform;
  config: Config;
  url: string;
}

/**
 * The real platform on an opened store, listening on a free port of 127.0.0.1, with test
 * defaults (in-memory embedded data dir, silent logs, no event dispatcher, no rate limit) under the suite's
 * own `env`. Suites about delivery set `STRATUM_ROLE=all` with the shared webhook test settings.
 */
export async function listenForTest(store: Store, env: Record<string, string>): Promise<Listening> {
  const config = loadConfig({ STRATUM_DATA_DIR: 'memory://', LOG_LEVEL: 'silent', NODE_ENV: 'test', STRATUM_ROLE: 'api', RATE_LIMIT_PER_SECOND: '0', ...env });
  const platform = await createPlatform(config, { store });
  await platform.app.listen(0, '127.0.0.1');
  const { port } = platform.app.getHttpServer().address() as AddressInfo;
  return { platform, config, url: `http://127.0.0.1:${port}` };
}
