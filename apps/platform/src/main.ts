import { ConfigError, loadConfig } from '@stratum/core';
import { createPlatform } from './app.js';

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
  const url = `http://localhost:${config.port}`;
  const where = config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded PostgreSQL in ${config.embeddedDataDir}`;
  console.log([
    `Stratum is listening on ${url}`,
    `  database: ${where}`,
    `  API docs: ${url}/api   health: ${url}/status`,
    config.authProvider === 'none'
      ? `  login:    AUTH_PROVIDER=none — no token needed; every request acts as the local developer in tenant "${config.devTenant}"`
      : '',
    `  try:      curl -s ${url}/identity/users`,
  ].filter(Boolean).join('\n'));

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
