import type { AddressInfo } from 'node:net';
import { ConfigError, loadConfig } from '@stratum/core';
import { createPlatform } from './app.js';
import { startBanner } from './banner.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`stratum: configuration error: ${error.message}`);
      process.exit(78);
    }
    throw error;
  }
  const platform = await createPlatform(config);
  await platform.app.listen(config.port, config.host);
  // The bound port, not the configured one: PORT=0 picks a free port.
  const { port } = platform.app.getHttpServer().address() as AddressInfo;
  const url = `http://localhost:${port}`;
  console.log(startBanner(config, platform.bootstrap, url));

  const stop = async (signal: string) => {
    console.log(`stratum: ${signal} received, shutting down`);
    const timer = setTimeout(() => process.exit(1), 10_000).unref();
    await platform.close();
    clearTimeout(timer);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error) => {
  console.error('stratum: failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
