/** A mistake in how the command was called: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string, readonly usage?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `value` flags take one value and may appear once; `list` flags may repeat. */
export type FlagKind = 'value' | 'list';

export interface ArgSpec {
  /** Names of the positional arguments, all required, in order. */
  positionals: readonly string[];
  flags: Readonly<Record<string, FlagKind>>;
  /** Flags that must be present. */
  required?: readonly string[];
}

export interface ParsedArgs {
  positionals: Record<string, string>;
  values: Record<string, string>;
  lists: Record<string, string[]>;
}

/** Splits `--name=value` into its parts; `--name` alone has no inline value. */
function splitFlag(token: string): { name: string; inline?: string } {
  const eq = token.indexOf('=');
  return eq === -1 ? { name: token.slice(2) } : { name: token.slice(2, eq), inline: token.slice(eq + 1) };
}

function takeValue(argv: readonly string[], i: number, name: string, inline: string | undefined): { value: string; next: number } {
  if (inline !== undefined) {
    if (inline === '') throw new UsageError(`--${name} needs a non-empty value`);
    return { value: inline, next: i + 1 };
  }
  const value = argv[i + 1];
  if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
  if (value === '') throw new UsageError(`--${name} needs a non-empty value`);
  return { value, next: i + 2 };
}

/**
 * Parses the arguments after the command words. Every deviation from `spec` (unknown flag,
 * missing value, repeated single flag, missing or extra positional) is a UsageError.
 */
export function parseArgs(spec: ArgSpec, argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = { positionals: {}, values: {}, lists: {} };
  const loose: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const token = argv[i];
    if (!token.startsWith('--') || token === '--') {
      if (token === '--') throw new UsageError('unexpected "--"');
      if (token.startsWith('-') && token.length > 1) throw new UsageError(`unknown option ${token}`);
      loose.push(token);
      i++;
      continue;
    }
    const { name, inline } = splitFlag(token);
    const kind = spec.flags[name];
    if (kind === undefined) throw new UsageError(`unknown option --${name}`);
    const { value, next } = takeValue(argv, i, name, inline);
    if (kind === 'list') (out.lists[name] ??= []).push(value);
    else if (name in out.values) throw new UsageError(`--${name} was given more than once`);
    else out.values[name] = value;
    i = next;
  }
  assignPositionals(spec, loose, out);
  for (const name of spec.required ?? []) {
    if (!(name in out.values) && !(name in out.lists)) throw new UsageError(`--${name} is required`);
  }
  return out;
}

function assignPositionals(spec: ArgSpec, loose: string[], out: ParsedArgs): void {
  if (loose.length > spec.positionals.length) {
    const extra = loose.slice(spec.positionals.length).map((a) => JSON.stringify(a)).join(' ');
    throw new UsageError(`unexpected argument${loose.length - spec.positionals.length > 1 ? 's' : ''} ${extra}`);
  }
  spec.positionals.forEach((name, index) => {
    const value = loose[index];
    if (value === undefined || value === '') throw new UsageError(`missing <${name}>`);
    out.positionals[name] = value;
  });
}

/** A comma-separated flag value as its trimmed, non-empty items. */
export function commaList(flag: string, raw: string): string[] {
  const items = raw.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new UsageError(`--${flag} has an empty item in ${JSON.stringify(raw)}`);
  return [...new Set(items)];
}
