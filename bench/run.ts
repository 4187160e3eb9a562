/**
 * `npm run bench`: the hub, bare Aedes and Mosquitto measured by the same
 * load generator in one run (issue 6). Prints a progress line while it runs,
 * then the figures, the hub's ratios to the baselines and the target table;
 * writes bench/results/<ISO date>.json (and an SVG plot with --sweep).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseBenchArgs, USAGE, type BenchOptions } from './args.js';
import { REPO_ROOT } from './child.js';
import { buildMqttload, mqttloadSource } from './c-generator.js';
import { runClusterBench } from './cluster-bench.js';
import { runClusterStorm } from './cluster-storm-bench.js';
import { runTakeoverBench } from './takeover-replay.js';
import { runCommitsBench } from './journal-commits.js';
import { measureTargetC } from './c-measure.js';
import { LoadGenerator } from './generator.js';
import { limitWarnings, machineLimits, type MachineLimits } from './limits.js';
import { measureTarget, type StepPlan, type TargetResult } from './measure.js';
import { fsyncProbe } from './fsync-probe.js';
import { formatProfile, mainProfile, summariseProfile } from './profile-summary.js';
import { checksTable, ratios, storeChecks, table, targetChecks } from './report.js';
import { latencyPlot } from './svg-plot.js';
import { mosquittoBinary } from './baselines/own-mosquitto.js';
import { mosquittoReachable, startAedesTarget, startMosquittoTarget } from './targets/baseline-targets.js';
import { startHubTarget } from './targets/hub-target.js';
import { startPgHubTarget } from './targets/pg-hub-target.js';
import type { Target, TargetName } from './targets/target.js';

function progressPrinter(): { say: (line: string) => void; done: () => void } {
  const tty = process.stderr.isTTY;
  let lastPrinted = 0;
  return {
    say(line) {
      if (tty) return void process.stderr.write(`\r\x1b[K${line.slice(0, (process.stderr.columns ?? 120) - 1)}`);
      // Not a terminal (CI, a test): a line every few seconds is enough.
      if (Date.now() - lastPrinted > 5_000) {
        lastPrinted = Date.now();
        process.stderr.write(`${line}\n`);
      }
    },
    done: () => tty && process.stderr.write('\r\x1b[K'),
  };
}

function plan(options: BenchOptions): StepPlan[] {
  const step = (rate: number): StepPlan => ({ rate, alarmRate: options.alarmRate, durationS: options.durationS, warmupS: options.warmupS });
  if (options.storm || options.memory) return [];
  if (options.sweep) return options.sweepRates.map(step);
  return options.quick ? [step(options.rate)] : [step(options.rate), step(options.maxRate)];
}

async function startTarget(name: TargetName, options: BenchOptions, profileDir: string, say: (l: string) => void): Promise<Target> {
  const profiling = options.profile ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {};
  if (name === 'hub') return startHubTarget({ homes: options.homes, coldStarts: options.starts, onProgress: say, ...profiling });
  if (name === 'hub-postgres') return startPgHubTarget({ homes: options.homes, coldStarts: options.starts, onProgress: say, ...profiling });
  return name === 'aedes' ? startAedesTarget(options.homes) : startMosquittoTarget(options.homes);
}

/** The C generator's binary, built if needed; undefined (and a note) when it cannot be: the Node workers stand in. */
async function cGenerator(notes: string[]): Promise<string | undefined> {
  const source = mqttloadSource();
  if (!source) {
    notes.push('C generator not found (../shared/tools/mqttload.c or MQTTLOAD_SOURCE): the Node (mqtt.js) generator was used');
    return undefined;
  }
  try {
    return await buildMqttload(source);
  } catch (err) {
    notes.push(`C generator not built (${(err as Error).message.split('\n')[0]}): the Node (mqtt.js) generator was used`);
    return undefined;
  }
}

type Progress = ReturnType<typeof progressPrinter>;

async function main(): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`bench: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') return void console.log(USAGE), 0;
  if (options.takeover) {
    const progress = progressPrinter();
    return runTakeoverBench(options, progress.say, progress.done);
  }
  if (options.commits) {
    const progress = progressPrinter();
    return runCommitsBench(options, progress.say, progress.done);
  }
  if (options.nodes > 1) {
    const progress = progressPrinter();
    return (options.storm ? runClusterStorm : runClusterBench)(options, progress.say, progress.done);
  }
  return runOneMachine(options);
}

/** Every target on this machine in turn, then the figures printed and written. */
async function runOneMachine(options: BenchOptions): Promise<number> {
  const limits = machineLimits();
  const loadAtStart = warnAboutMachine(options, limits);
  const outDir = resolve(REPO_ROOT, options.outDir);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const profileDir = join(outDir, 'profiles', stamp);
  await mkdir(outDir, { recursive: true });
  const progress = progressPrinter();
  progress.say('measuring the disk: append + fdatasync');
  const fsync = await fsyncProbe();
  const notes: string[] = [];
  const results = await measureTargets(options, { limits, profileDir, progress, notes });
  await report(options, results, { fsync, notes, loadAtStart, limits, outDir, stamp, profileDir });
  return results.length === options.targets.length || notes.length > 0 ? 0 : 1;
}

/** The load average at start; warns when the machine is busy or its limits are too low for the homes asked for. */
function warnAboutMachine(options: BenchOptions, limits: MachineLimits): number {
  const loadAtStart = loadavg()[0] ?? 0;
  // Hub, generator and baselines share 2 cores: anyone else's work shows up as latency.
  if (loadAtStart > cpus().length * 0.75) console.error(`bench: warning: the machine is busy (load average ${loadAtStart.toFixed(2)} on ${cpus().length} cores): latencies will include waiting for a core`);
  for (const warning of limitWarnings(options.homes * 4, limits)) console.error(`bench: warning: ${warning}`);
  return loadAtStart;
}

interface MeasureContext {
  limits: MachineLimits;
  profileDir: string;
  progress: Progress;
  notes: string[];
}

/** Starts, measures and stops each target, with the C generator or the Node workers; Ctrl-C stops the one running. */
async function measureTargets(options: BenchOptions, { limits, profileDir, progress, notes }: MeasureContext): Promise<TargetResult[]> {
  const steps = plan(options);
  const results: TargetResult[] = [];
  const cBinary = options.generator === 'c' ? await cGenerator(notes) : undefined;
  // The Node workers only when they are the generator: idle, they would still take memory and a little CPU.
  const generator = cBinary ? undefined : await LoadGenerator.start(options.workers);
  const measure = (target: Target): Promise<TargetResult> => {
    if (cBinary) {
      const storm = options.storm ? { steadyDevices: options.stormSteady, steadyRate: options.stormSteady, alarmRate: options.alarmRate, stormRate: options.stormRate, connectTimeoutS: 30 } : undefined;
      return measureTargetC(target, { binary: cBinary, steps, connectRate: options.connectRate, workers: options.workers, onProgress: progress.say, ...(storm ? { storm } : {}) });
    }
    const sources = options.homes * 4 > limits.ephemeralPorts - 2_000 ? ['127.0.0.1', '127.0.0.2'] : ['127.0.0.1'];
    return measureTarget(target, generator!, { steps, qos: 1, maxInflight: 20_000, connectConcurrency: 200, localAddresses: sources, onProgress: progress.say });
  };
  let current: Target | undefined;
  const interrupt = interruptHandler(generator, progress, () => current);
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  try {
    for (const name of options.targets) {
      if (name === 'mosquitto' && !mosquittoBinary() && !(await mosquittoReachable())) {
        notes.push('Mosquitto baseline skipped: nothing listens on 127.0.0.1:1883');
        continue;
      }
      progress.say(`${name}: starting`);
      const target = (current = await startTarget(name, options, profileDir, progress.say));
      try {
        results.push(await measure(target));
      } finally {
        await target.stop();
        current = undefined;
      }
    }
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    generator?.stop();
    progress.done();
  }
  return results;
}

/** Ctrl-C: the hub child stops itself (same process group), but its temporary data dir is ours to remove. */
function interruptHandler(generator: LoadGenerator | undefined, progress: Progress, current: () => Target | undefined): () => void {
  let interrupted = false;
  return () => {
    if (interrupted) return;
    interrupted = true;
    generator?.stop();
    progress.done();
    console.error('bench: interrupted, cleaning up');
    // While a target is still starting, its own error path removes what it made: give it a moment.
    const target = current();
    if (target) void target.stop().finally(() => process.exit(130));
    else setTimeout(() => process.exit(130), 3_000);
  };
}

interface RunFacts {
  fsync: Awaited<ReturnType<typeof fsyncProbe>>;
  notes: string[];
  loadAtStart: number;
  limits: MachineLimits;
  outDir: string;
  stamp: string;
  profileDir: string;
}

/** Prints the table, ratios, checks and profile; writes the JSON (and the sweep's SVG). */
async function report(options: BenchOptions, results: TargetResult[], { fsync, notes, loadAtStart, limits, outDir, stamp, profileDir }: RunFacts): Promise<void> {
  const checks = [...targetChecks(results, options.homes), ...storeChecks(results, options.homes)];
  console.log(table(results));
  console.log(`\ndisk append + fdatasync (the floor under alarm PUBACK and alert latency): ${JSON.stringify(fsync)}`);
  console.log(`hub ratios: ${JSON.stringify(ratios(results))}`);
  console.log(`\n${checksTable(checks)}`);
  for (const note of notes) console.log(`note: ${note}`);

  const profilePath = options.profile ? await mainProfile(profileDir) : undefined;
  const profile = profilePath ? summariseProfile(JSON.parse(await readFile(profilePath, 'utf8'))) : undefined;
  if (profile) console.log(`\n${formatProfile(profile)}\n(profile: ${profilePath})`);
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, loadAvgAtStart: loadAtStart, limits: { ...limits, openFilesSoft: String(limits.openFilesSoft), openFilesHard: String(limits.openFilesHard) } };
  const json = { date: new Date().toISOString(), machine, disk: { appendFdatasyncMs: fsync }, options, results, ratios: ratios(results), targets: checks, notes, ...(profile ? { profile } : {}) };
  const jsonPath = join(outDir, `${stamp}.json`);
  await writeFile(jsonPath, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nwrote ${jsonPath}`);
  if (options.sweep) {
    const svgPath = join(outDir, `${stamp}-sweep.svg`);
    await writeFile(svgPath, latencyPlot(results, `Alarm latency vs offered load — ${options.homes} homes × 4 devices, ${options.alarmRate} alarms/s, ${machine.cpus} cores`));
    console.log(`wrote ${svgPath}`);
  }
}

process.exitCode = await main().catch((err: unknown) => {
  console.error(`bench: ${(err as Error).message}`);
  return 1;
});
