// Command-line and environment options of `npm run bench`.
export const SHAPES = ['embedded', 'postgres', 'ceiling'];

const HELP = `usage: npm run bench -- [options]

  --shape <list>        shapes to run, comma-separated: embedded, postgres, ceiling (default: all)
  --duration <s>        measured seconds per workload (default 8, env BENCH_DURATION)
  --warmup <s>          unmeasured seconds before each workload (default 2, env BENCH_WARMUP)
  --connections <n>     concurrent connections (default 20, env BENCH_CONNECTIONS)
  --users <n>           users seeded before the workloads (default 10000, env BENCH_USERS)
  --quick               short run: 3 s per workload, 1 s warm-up, 2000 users
  --profile             run the platform under node --cpu-prof (profiles in bench/results/profiles)
  --help                this text

PostgreSQL: BENCH_DATABASE_URL, else DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres
is used to (re)create the database stratum_bench; without a reachable server the postgres and
ceiling shapes are skipped.`;

function positive(name, raw) {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return value;
}

function parseShapes(raw) {
  const shapes = String(raw).split(',').map((s) => s.trim()).filter(Boolean);
  for (const shape of shapes) {
    if (!SHAPES.includes(shape)) throw new Error(`unknown shape ${JSON.stringify(shape)}; use ${SHAPES.join(', ')}`);
  }
  return SHAPES.filter((s) => shapes.includes(s));
}

/** Reads `--name value` and `--name=value` pairs; flags without a value are `true`. */
function readArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (!token.startsWith('--')) throw new Error(`unexpected argument ${JSON.stringify(token)}`);
    const [name, inline] = token.slice(2).split(/=(.*)/s);
    if (inline !== undefined) args[name] = inline;
    else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) args[name] = argv[++i];
    else args[name] = true;
  }
  return args;
}

export function parseOptions(argv, env) {
  const args = readArgs(argv);
  const known = ['shape', 'duration', 'warmup', 'connections', 'users', 'quick', 'profile', 'help'];
  const unknown = Object.keys(args).find((k) => !known.includes(k));
  if (unknown) throw new Error(`unknown option --${unknown}\n\n${HELP}`);
  if (args.help) return { help: HELP };
  const quick = args.quick === true;
  return {
    shapes: args.shape ? parseShapes(args.shape) : [...SHAPES],
    duration: positive('duration', args.duration ?? env.BENCH_DURATION ?? (quick ? 3 : 8)),
    warmup: Number(args.warmup ?? env.BENCH_WARMUP ?? (quick ? 1 : 2)),
    connections: Math.round(positive('connections', args.connections ?? env.BENCH_CONNECTIONS ?? 20)),
    users: Math.round(positive('users', args.users ?? env.BENCH_USERS ?? (quick ? 2000 : 10000))),
    quick,
    profile: args.profile === true,
    databaseUrl: env.BENCH_DATABASE_URL || env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
  };
}
