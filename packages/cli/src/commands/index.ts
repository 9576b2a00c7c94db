import { UsageError } from '../args.js';
import { clientCreateCommand } from './clients.js';
import type { Command } from './command.js';
import { keysListCommand, keysRotateCommand } from './keys.js';
import { migrateCommand } from './migrate.js';
import { tenantPlanCommand } from './plans.js';
import { tenantCreateCommand, tenantListCommand } from './tenants.js';
import { userCreateCommand } from './users.js';

export const COMMANDS: readonly Command[] = [
  migrateCommand,
  keysRotateCommand,
  keysListCommand,
  tenantCreateCommand,
  tenantListCommand,
  tenantPlanCommand,
  clientCreateCommand,
  userCreateCommand,
];

export function usageLine(command: Command): string {
  return `stratum ${[...command.words, command.synopsis].filter(Boolean).join(' ')}`;
}

/** The whole help text: every command with what it does, and how the store is chosen. */
export function usage(): string {
  const lines = COMMANDS.map((c) => `  ${usageLine(c).slice('stratum '.length)}\n      ${c.summary}`);
  return [
    'Usage: stratum <command> [arguments]',
    '',
    'Commands:',
    ...lines,
    '  help\n      print this text',
    '',
    'Output is JSON on stdout; secrets shown once are announced on stderr.',
    'Exit codes: 0 done, 1 failed, 2 bad arguments, 78 bad configuration.',
    'The store is the one `npm start` uses: DATABASE_URL (PostgreSQL) or else the embedded',
    'database in STRATUM_DATA_DIR. The embedded database is single-process: stop `npm start`',
    'before running stratum on the same STRATUM_DATA_DIR.',
  ].join('\n');
}

/** Finds the command named by the leading words of argv; the rest are its arguments. */
export function findCommand(argv: readonly string[]): { command: Command; rest: string[] } {
  const [first, second] = argv;
  if (first === undefined) throw new UsageError('missing command');
  const groups = COMMANDS.filter((c) => c.words[0] === first);
  if (groups.length === 0) throw new UsageError(`unknown command ${JSON.stringify(first)}`);
  const single = groups.find((c) => c.words.length === 1);
  if (single) return { command: single, rest: argv.slice(1) };
  const known = groups.map((c) => c.words[1]).join(', ');
  const groupUsage = groups.map(usageLine).join('\n');
  if (second === undefined || second.startsWith('-')) throw new UsageError(`${first} needs a subcommand: ${known}`, groupUsage);
  const command = groups.find((c) => c.words[1] === second);
  if (!command) throw new UsageError(`unknown command "${first} ${second}"; ${first} has: ${known}`, groupUsage);
  return { command, rest: argv.slice(2) };
}
