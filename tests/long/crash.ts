/**
 * Issue 7 item 2, the crash harness: N simulated bracelets send SOS alarms at
 * QoS 1 with unique seqs at a total rate, while the hub child process is
 * killed with SIGKILL at random moments and restarted. Devices reconnect and
 * retransmit whatever was not acknowledged. At the end every alarm a device
 * saw PUBACKed must be in the journal and in GET /api/v1/alerts exactly once
 * (as an alert's trigger or an occurrence): lost = 0, duplicated = 0.
 *
 * With `databaseUrl` (HUB_DATABASE_URL of the runs; the CLI reads
 * HUB_CRASH_DATABASE_URL, an empty database) the hub runs on PostgreSQL and
 * the journal and its chain are read from the database.
 *
 *   npx tsx tests/long/crash.ts [--devices 500] [--rate 1000] [--kills 20] [--minUpMs 1000] [--maxUpMs 4000]
 */
import { makeTempDir } from '../helpers/temp-dir.js';
import { AlarmDevice } from './lib/alarm-device.js';
import { tallyAlarms, tallyLossless, type AlarmTally } from './lib/alarm-tally.js';
import { isMain, numericFlags, report } from './lib/cli.js';
import { alarmKeysInApi, alarmKeysInJournal, killHard, readJournal, startHub, stopGracefully, verifyChain } from './lib/hub-child.js';
import { provisionBracelets } from './lib/provision.js';
import { sleep } from '../conformance/raw-client.js';

export const CRASH_DEFAULTS = { devices: 500, rate: 1000, kills: 20, minUpMs: 1000, maxUpMs: 4000, tailMs: 2000, drainTimeoutMs: 60_000, keepDir: 0 };

export interface CrashFigures extends AlarmTally {
  devices: number;
  ratePerSec: number;
  kills: number;
  journalLines: number;
  journalChainOk: boolean;
  restartMs: { min: number; max: number; mean: number };
  runSeconds: number;
}

export async function runCrash(
  options: Partial<typeof CRASH_DEFAULTS> & { databaseUrl?: string | undefined } = {},
  log: (line: string) => void = () => undefined,
): Promise<CrashFigures> {
  const o = { ...CRASH_DEFAULTS, ...options };
  const temp = await makeTempDir('hub-crash-');
  const started = Date.now();
  const env: Record<string, string> = o.databaseUrl ? { HUB_DATABASE_URL: o.databaseUrl } : {};
  let hub = await startHub(temp.path, env);
  try {
    log(`provisioning ${o.devices} bracelets…`);
    const devices = await provisionBracelets(hub.api, o.devices);
    let port = hub.proc.mqttPort;
    const latencies: number[] = [];
    const fleet = devices.map((d) => new AlarmDevice(d, () => port, (_id, _seq, ms) => latencies.push(ms)));
    await Promise.all(fleet.map((d) => d.connect()));
    log(`${fleet.length} devices connected; sending ${o.rate} alarms/s`);

    // The generator: every 20 ms, rate/50 alarms from devices in turn, whether or not the hub is up
    // (a pressed button does not wait for the network; the device keeps it until acknowledged).
    let generating = true;
    let cursor = 0;
    let credit = 0;
    const tick = setInterval(() => {
      if (!generating) return;
      credit += o.rate / 50;
      for (; credit >= 1; credit--) fleet[cursor++ % fleet.length]!.sendAlarm();
    }, 20);

    const restarts: number[] = [];
    for (let k = 1; k <= o.kills; k++) {
      await sleep(o.minUpMs + Math.random() * (o.maxUpMs - o.minUpMs));
      await killHard(hub.proc);
      const t0 = Date.now();
      hub = await startHub(temp.path, env);
      port = hub.proc.mqttPort;
      restarts.push(Date.now() - t0);
      log(`kill ${k}/${o.kills}: restarted in ${restarts.at(-1)} ms; acked so far ${fleet.reduce((s, d) => s + d.acked.size, 0)}`);
    }
    await sleep(o.tailMs);
    generating = false;
    clearInterval(tick);
    const deadline = Date.now() + o.drainTimeoutMs;
    const pendingNow = () => fleet.reduce((s, d) => s + d.pending.size, 0);
    while (pendingNow() > 0 && Date.now() < deadline) await sleep(100);

    const inApi = await alarmKeysInApi(hub.api);
    for (const d of fleet) d.stop();
    await stopGracefully(hub.proc);
    const lines = await readJournal(temp.path, o.databaseUrl);
    const inJournal = alarmKeysInJournal(lines);
    const chain = await verifyChain(temp.path, o.databaseUrl);

    const tally = tallyAlarms(fleet, inJournal, inApi, latencies);
    const duplicateKeys = [...inJournal].filter(([, c]) => c > 1).map(([k]) => k);
    if (duplicateKeys.length) log(`duplicated (deviceId:seq): ${duplicateKeys.slice(0, 20).join(' ')}`);
    return {
      devices: fleet.length,
      ratePerSec: o.rate,
      kills: o.kills,
      ...tally,
      journalLines: lines.length,
      journalChainOk: chain.ok,
      restartMs: { min: Math.min(...restarts), max: Math.max(...restarts), mean: Math.round(restarts.reduce((a, b) => a + b, 0) / Math.max(1, restarts.length)) },
      runSeconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    await killHard(hub.proc);
    if (o.keepDir) log(`data dir kept: ${temp.path}`);
    else await temp.remove();
  }
}

export function crashPassed(f: CrashFigures): boolean {
  return tallyLossless(f) && f.journalChainOk;
}

if (isMain(import.meta.url)) {
  const options = numericFlags(CRASH_DEFAULTS);
  const figures = await runCrash({ ...options, databaseUrl: process.env.HUB_CRASH_DATABASE_URL || undefined }, (line) => process.stderr.write(`${line}\n`));
  await report('crash', figures as unknown as Record<string, unknown>, crashPassed(figures));
}
