import { migrateStore } from '../runtime.js';
import type { Command } from './command.js';

export const migrateCommand: Command = {
  words: ['migrate'],
  synopsis: '',
  summary: 'apply the pending database migrations and print their versions',
  spec: { positionals: [], flags: {} },
  prepare: () => async (config) => ({ json: await migrateStore(config) }),
};
