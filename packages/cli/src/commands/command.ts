import type { Config } from '@stratum/core';
import type { ArgSpec, ParsedArgs } from '../args.js';

/** What a command prints: `json` on stdout; `notice` (a warning such as "shown once") on stderr. */
export interface Output {
  json: unknown;
  notice?: string;
}

export interface Command {
  /** The command words, e.g. ['tenant', 'create']. */
  words: readonly string[];
  /** The arguments part of the usage line. */
  synopsis: string;
  summary: string;
  spec: ArgSpec;
  /** Checks the arguments (throwing UsageError) and returns the action to run against the configured store. */
  prepare(args: ParsedArgs): (config: Config) => Promise<Output>;
}

export const SHOWN_ONCE = 'is shown only now and cannot be read back: store it safely.';
