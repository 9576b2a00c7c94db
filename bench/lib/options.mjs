// Command-line and environment options of `npm run bench`.
export const SHAPES = ['embedded', 'postgres', 'ceiling'];
export const WORKLOAD_IDS = ['W1', 'W1a', 'W1g', 'W2', 'W2a', 'W2g', 'W3', 'W4', 'W5'];
/** The access-control workloads: the bench rule set is seeded when one of them runs. */
export const RULED_WORKLOADS = ['W1g', 'W2g'];

const HELP = `usage: npm run bench -- [options]

  --shape <list>        shapes to run, comma-separated: embedded, postgres, ceiling (default: all)
  --workload <list>     workloads to run, comma-separated: W1, W1a, W1g, W2, W2a, W2g, W3, W4, W5
                        (default: all). W1a, W2a: W1, W2 with the bench admin's bearer token;
                        W1g, W2g: the same requests by a user whose roles hold grants of a
                        realistic rule set (20 roles, 200 grants, seeded when W1g or W2g runs;
                        each brings its baseline W1a or W2a along), reported as "access control
                        cost: W1g/W1a, W2g/W2a" (target: at least 85%); W4: W3 with a webhook
                        on identity/users, measuring delivery rate, lag, drain time and latency;
                        W5: token refresh (only W1, W2 and W3 run on the ceiling)
  --duration <s>        measured seconds per workload (default 8, env BENCH_DURATION)
  --warmup <s>          unmeasured seconds before each workload (default 2, env BENCH_WARMUP)
  --rounds <n>          repeat every workload n times and report the median run (default 1, env BENCH_ROUNDS)
  --connections <n>     concurrent connections (default 20, env BENCH_CONNECTIONS)
  --users <n>           users seeded before the workloads (default 10000, env BENCH_USERS)
  --quick               short run: 3 s per workload, 1 s warm-up, 2000 users
  --profile             run each server under node --cpu-prof (profiles in bench/results/profiles)
  --nats <url>          run the PostgreSQL shape with NATS_URL=<url> (shown as postgres+nats; env BENCH_NATS_URL)
  --no-outbox-cost      with W3, skip the "W3 outbox cost" twin: by default every platform shape
                        also runs W3 on a second, identically seeded server with STRATUM_EVENTS=off
  --drain <s>           W4: how long to wait for the webhooks to catch up after the load (default 60)
  --help                this text

PostgreSQL: BENCH_DATABASE_URL, else DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres
is used to (re)create the database stratum_bench (BENCH_DATABASE_NAME names another, for a
second run at the same time: a run refuses to drop a database another session is connected
to); without a reachable server the postgres and ceiling shapes are skipped.
WEBHOOK_CONCURRENCY and EVENTS_POLL_MS in the environment reach the platform (W4).`;

/** An access-control workload is measured against its baseline in the same run: W1g with W1a, W2g with W2a. */
function withBaselines(workloads) {
  const wanted = new Set(workloads);
  if (wanted.has('W1g')) wanted.add('W1a');
  if (wanted.has('W2g')) wanted.add('W2a');
  return WORKLOAD_IDS.filter((id) => wanted.has(id));
}

function usage(message) {
  const error = new Error(message);
  error.usage = true;
  return error;
}

function positive(name, raw) {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw usage(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return value;
}

function parseList(name, raw, allowed) {
  const picked = String(raw).split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of picked) {
    if (!allowed.includes(item)) throw usage(`unknown ${name} ${JSON.stringify(item)}; use ${allowed.join(', ')}`);
  }
  return allowed.filter((s) => picked.includes(s));
}

/** Reads `--name value` and `--name=value` pairs; flags without a value are `true`. */
function readArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (!token.startsWith('--')) throw usage(`unexpected argument ${JSON.stringify(token)}`);
    const [name, inline] = token.slice(2).split(/=(.*)/s);
    if (inline !== undefined) args[name] = inline;
    else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) args[name] = argv[++i];
    else args[name] = true;
  }
  return args;
}

export function parseOptions(argv, env) {
  const args = readArgs(argv);
  const known = ['shape', 'workload', 'rounds', 'duration', 'warmup', 'connections', 'users', 'quick', 'profile', 'nats', 'no-outbox-cost', 'drain', 'help'];
  const unknown = Object.keys(args).find((k) => !known.includes(k));
  if (unknown) throw usage(`unknown option --${unknown}\n\n${HELP}`);
  if (args.help) return { help: HELP };
  const quick = args.quick === true;
  const nats = args.nats ?? env.BENCH_NATS_URL;
  if (nats === true) throw usage('--nats needs a URL, e.g. --nats nats://127.0.0.1:4222');
  return {
    shapes: args.shape ? parseList('shape', args.shape, SHAPES) : [...SHAPES],
    workloads: withBaselines(args.workload ? parseList('workload', args.workload, WORKLOAD_IDS) : [...WORKLOAD_IDS]),
    duration: positive('duration', args.duration ?? env.BENCH_DURATION ?? (quick ? 3 : 8)),
    warmup: Number(args.warmup ?? env.BENCH_WARMUP ?? (quick ? 1 : 2)),
    rounds: Math.round(positive('rounds', args.rounds ?? env.BENCH_ROUNDS ?? 1)),
    connections: Math.round(positive('connections', args.connections ?? env.BENCH_CONNECTIONS ?? 20)),
    users: Math.round(positive('users', args.users ?? env.BENCH_USERS ?? (quick ? 2000 : 10000))),
    quick,
    profile: args.profile === true,
    natsUrl: nats || undefined,
    outboxCost: args['no-outbox-cost'] !== true,
    drain: positive('drain', args.drain ?? 60),
    databaseUrl: env.BENCH_DATABASE_URL || env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    databaseName: env.BENCH_DATABASE_NAME || undefined,
  };
}
