/** `npm run bench` flags, with defaults that finish in a few minutes on a 2-core machine. */
import { parseArgs } from 'node:util';
import type { TargetName } from './targets/target.js';

export interface BenchOptions {
  homes: number;
  rate: number;
  /** The saturation step's offered rate (skipped with --quick and --sweep). */
  maxRate: number;
  alarmRate: number;
  durationS: number;
  warmupS: number;
  sweep: boolean;
  sweepRates: number[];
  targets: TargetName[];
  workers: number;
  outDir: string;
  profile: boolean;
  quick: boolean;
  /** Which stores the hub is measured on: files, PostgreSQL, or both side by side. */
  store: 'files' | 'postgres' | 'both';
  /** c: mqttload.c (built with gcc), node: the mqtt.js workers (simulators/load). */
  generator: 'c' | 'node';
  /** Connects per second in the C generator's connect storm. */
  connectRate: number;
  /** --storm: a reconnect storm of every device but `stormSteady`, at `stormRate` connects/s, instead of the load steps. */
  storm: boolean;
  stormRate: number;
  stormSteady: number;
  /** --nodes N (≥ 2): the cluster bench (bench/cluster-bench.ts), or with --storm the storm over N nodes (bench/cluster-storm-bench.ts); 1 = the usual run. */
  nodes: number;
  /** --partitions: with --nodes, 'leader' (one node runs every home's pipeline) or 'spread' (HUB_PARTITIONS=spread: each node owns a share). */
  partitions: 'leader' | 'spread';
  /** --memory: start and memory figures only (cold starts, idle RSS, idle devices), no load steps. */
  memory: boolean;
  /** Empty cold starts measured (the median is reported): 1, or 5 with --memory. */
  starts: number;
  /** --takeover: a standby's promotion against the journal's length (bench/takeover-replay.ts), instead of the load steps. */
  takeover: boolean;
  /** --commits: the journal's cost per commit (bench/journal-commits.ts), instead of the load steps. */
  commits: boolean;
  /** Journal lines written for --takeover. */
  journalLines: number;
  /** --label NAME: added to the result file's name and JSON (e.g. the checkout measured, for a before/after pair). */
  label: string | undefined;
}

export const USAGE = `npm run bench -- [options]

  --homes N           homes (× 4 devices), provisioned over REST     (default 1000)
  --rate R            telemetry msg/s for the latency step            (default 5000)
  --max-rate R        offered msg/s for the saturation step           (default 20000)
  --alarm-rate A      SOS alarms per second during every step         (default 100)
  --duration S        measured seconds per step, after warm-up        (default 15)
  --warmup S          warm-up seconds per step                        (default 3)
  --sweep             a series of rates instead (see --sweep-rates), and an SVG plot
  --sweep-rates list  comma-separated msg/s                            (default 1000,2500,5000,7500,10000,15000,20000)
  --baselines which   none | aedes | mosquitto | all                   (default all)
  --workers N         load-generator processes                         (default 2, more for > 30,000 devices)
  --out DIR           where the JSON (and SVG) go                      (default bench/results)
  --generator which   c (mqttload.c, built with gcc) | node (mqtt.js)   (default c; node when no gcc or no source)
  --connect-rate C    connects/s in the C generator's connect storm    (default 4000)
  --storm             instead of the load steps: every device but a steady group reconnects at
                      once (C generator); the steady group sends 1 msg/s per device plus the
                      alarms meanwhile (issue 14 item 4)
  --storm-rate C      connects/s of the storm                          (default 10000)
  --storm-steady N    devices that stay connected through the storm    (default 1000)
  --profile           run the hub with --cpu-prof and summarise the profile (with --storm --nodes N:
                      every node, cut to the storm's seconds; with --nodes N: every node, cut to
                      the last step's measured seconds; the failover is then not run)
  --store which       files | postgres | both: the hub's store; postgres uses a fresh
                      database on HUB_TEST_PG_ADMIN_URL's server, dropped after (default files)
  --partitions P      with --nodes: leader (one node runs every home's pipeline, the default) or
                      spread (HUB_PARTITIONS=spread: each node owns a share of the homes)
  --nodes N           a cluster of N nodes (PostgreSQL + Redis) against 1 node on PostgreSQL,
                      at a fifth, half and all of --rate, then kill -9 of the leader
                      (HUB_TEST_PG_ADMIN_URL, HUB_TEST_REDIS_URL; baselines not run)
  --storm --nodes N   the reconnect storm over a cluster of N nodes instead (one process here holds
                      at most ~18,000 devices): every device connects once, spread over the nodes,
                      then all but --storm-steady reconnect at once at --storm-rate (no single-node
                      run, no failover; e.g. --homes 10250: 40,000 reconnecting + 1,000 steady)
  --quick             smoke: 5 homes, 200 msg/s, 3 s, no saturation step
  --memory            start and memory figures only: cold starts, RSS with the homes registered and
                      nothing connected, RSS per idle device after the connect storm; no load steps
  --starts N          empty cold starts to measure, the median reported  (default 1; 5 with --memory;
                      with --takeover: cold opens of the journal, default 3)
  --takeover          the journal's replay against its length instead: N journal lines of alert
                      lifecycles, then the whole replay (a cold open) on the stores of --store
                      (default postgres; files, both), and on PostgreSQL a standby that followed
                      taking over (--journal-lines); --profile profiles the last cold open
  --journal-lines N   lines written for --takeover                      (default 200000)
  --commits           the journal's cost per commit instead: single lines awaited one by one and
                      batches of 200, three rounds on the stores of --store (default postgres;
                      files, both); --quick: a few
  --label NAME        --takeover, --commits: added to the result file's name and JSON (e.g. base, new)
  -h, --help`;

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number (got "${text}")`);
  return n;
}

function partitionsMode(text: string): 'leader' | 'spread' {
  if (text !== 'leader' && text !== 'spread') throw new Error(`--partitions must be leader or spread (got "${text}")`);
  return text;
}

function clusterSize(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 9) throw new Error(`--nodes must be a whole number from 1 to 9 (got "${text}")`);
  return n;
}

const OPTIONS = {
  homes: { type: 'string' },
  rate: { type: 'string' },
  'max-rate': { type: 'string' },
  'alarm-rate': { type: 'string' },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  sweep: { type: 'boolean', default: false },
  'sweep-rates': { type: 'string' },
  baselines: { type: 'string', default: 'all' },
  workers: { type: 'string' },
  out: { type: 'string', default: 'bench/results' },
  profile: { type: 'boolean', default: false },
  quick: { type: 'boolean', default: false },
  store: { type: 'string' },
  generator: { type: 'string', default: 'c' },
  'connect-rate': { type: 'string' },
  storm: { type: 'boolean', default: false },
  'storm-rate': { type: 'string' },
  'storm-steady': { type: 'string' },
  nodes: { type: 'string', default: '1' },
  partitions: { type: 'string', default: 'leader' },
  memory: { type: 'boolean', default: false },
  starts: { type: 'string' },
  takeover: { type: 'boolean', default: false },
  commits: { type: 'boolean', default: false },
  'journal-lines': { type: 'string' },
  label: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function readFlags(argv: readonly string[]) {
  return parseArgs({ args: [...argv], strict: true, options: OPTIONS }).values;
}

type Flags = ReturnType<typeof readFlags>;

export function parseBenchArgs(argv: readonly string[]): BenchOptions | 'help' {
  const values = readFlags(argv);
  if (values.help) return 'help';
  const quick = values.quick;
  const { targets, store } = chooseTargets(values);
  const generator = chooseGenerator(values);
  const homes = Math.round(positive('homes', values.homes, quick ? 5 : 1000));
  const sweepRates = (values['sweep-rates'] ?? '1000,2500,5000,7500,10000,15000,20000').split(',').map((r) => positive('sweep-rates', r, 0));
  return {
    homes,
    rate: positive('rate', values.rate, quick ? 200 : 5000),
    maxRate: positive('max-rate', values['max-rate'], 20000),
    alarmRate: positive('alarm-rate', values['alarm-rate'], quick ? 10 : 100),
    durationS: positive('duration', values.duration, quick ? 3 : 15),
    warmupS: positive('warmup', values.warmup, quick ? 1 : 3),
    sweep: values.sweep,
    sweepRates,
    targets,
    // Each worker holds at most ~15,000 sockets: ulimit -n is 20,000 per process here.
    workers: Math.round(positive('workers', values.workers, Math.max(2, Math.ceil((homes * 4) / 15_000)))),
    outDir: values.out,
    profile: values.profile,
    quick,
    store,
    generator,
    connectRate: positive('connect-rate', values['connect-rate'], 4000),
    storm: values.storm,
    stormRate: positive('storm-rate', values['storm-rate'], 10_000),
    stormSteady: Math.round(positive('storm-steady', values['storm-steady'], 1000)),
    nodes: clusterSize(values.nodes),
    partitions: partitionsMode(values.partitions),
    memory: values.memory,
    starts: Math.round(positive('starts', values.starts, values.memory ? 5 : values.takeover ? 3 : 1)),
    takeover: values.takeover,
    commits: values.commits,
    journalLines: Math.round(positive('journal-lines', values['journal-lines'], quick ? 1_000 : 200_000)),
    label: values.label,
  };
}

/** The hub on the store(s) asked for, then the baselines. */
function chooseTargets(values: Flags): { targets: TargetName[]; store: BenchOptions['store'] } {
  const baselines = values.baselines;
  const which: Record<string, TargetName[]> = { none: [], aedes: ['aedes'], mosquitto: ['mosquitto'], all: ['aedes', 'mosquitto'] };
  const chosen = which[baselines];
  if (!chosen) throw new Error(`--baselines must be none, aedes, mosquitto or all (got "${baselines}")`);
  // --takeover measured PostgreSQL before it measured files too: that stays its default.
  const store = values.store ?? (values.takeover || values.commits ? 'postgres' : 'files');
  if (store !== 'files' && store !== 'postgres' && store !== 'both') throw new Error(`--store must be files, postgres or both (got "${store}")`);
  const hubs: TargetName[] = store === 'both' ? ['hub', 'hub-postgres'] : store === 'postgres' ? ['hub-postgres'] : ['hub'];
  return { targets: [...hubs, ...chosen], store };
}

function chooseGenerator(values: Flags): BenchOptions['generator'] {
  const generator = values.generator;
  if (generator !== 'c' && generator !== 'node') throw new Error(`--generator must be c or node (got "${generator}")`);
  if (values.storm && generator !== 'c') throw new Error('--storm needs the C generator (--generator c)');
  return generator;
}
