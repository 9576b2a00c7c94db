#!/usr/bin/env node
import { ConfigError, DomainError, loadConfig, type Config } from '@stratum/core';
import { parseArgs, UsageError } from './args.js';
import type { Output } from './commands/command.js';
import { findCommand, usage, usageLine } from './commands/index.js';
import { CliError } from './runtime.js';

interface Action {
  name: string;
  run(config: Config): Promise<Output>;
}

/** Reads the command line into an action, or `help`; every mistake is a UsageError. */
function prepare(argv: string[]): Action | 'help' {
  if (argv.length === 0 || argv[0] === 'help' || argv.includes('--help') || argv.includes('-h')) {
    if (argv.length > 1 && argv[0] === 'help') throw new UsageError('help takes no arguments');
    if (argv.length === 0) throw new UsageError('missing command');
    return 'help';
  }
  const { command, rest } = findCommand(argv);
  try {
    return { name: command.words.join(' '), run: command.prepare(parseArgs(command.spec, rest)) };
  } catch (error) {
    if (error instanceof UsageError && error.usage === undefined) throw new UsageError(error.message, usageLine(command));
    throw error;
  }
}

function describe(error: unknown): string {
  if (error instanceof CliError || error instanceof DomainError) return error.message;
  const code = (error as { code?: string })?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === '28P01' || code === '3D000') {
    return `cannot reach the database: ${(error as Error).message || code}`;
  }
  return error instanceof Error ? error.message : String(error);
}

async function main(argv: string[]): Promise<number> {
  let action: Action | 'help';
  try {
    action = prepare(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const help = error.usage === undefined ? usage() : `Usage:\n  ${error.usage.split('\n').join('\n  ')}\n\nRun \`stratum help\` for every command.`;
    console.error(`stratum: ${error.message}\n\n${help}`);
    return 2;
  }
  if (action === 'help') {
    console.log(usage());
    return 0;
  }
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`stratum: configuration error: ${error.message}`);
    return 78;
  }
  try {
    const output = await action.run(config);
    console.log(JSON.stringify(output.json, null, 2));
    if (output.notice) console.error(`stratum: ${output.notice}`);
    return 0;
  } catch (error) {
    console.error(`stratum: ${action.name}: ${describe(error)}`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    console.error('stratum: unexpected failure:', error);
    process.exitCode = 1;
  },
);
