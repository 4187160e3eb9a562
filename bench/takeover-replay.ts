/**
 * `npm run bench -- --takeover [--journal-lines N] [--store postgres|files|both] [--starts K] [--profile]`:
 * what opening the journal costs as it grows. A hub replays its whole
 * journal at every start before it handles an alarm (DESIGN.md §6), and a
 * cluster node that did not follow the journal does the same when it is
 * promoted (issue 12 item 3, "partitions taken over within 15 s";
 * docs/CLUSTER.md "Read replicas").
 *
 * A writer appends N journal lines of alert lifecycles (raised, acknowledged,
 * dispatched, resolved, plus an audit line, as the hub's own AlertStore and
 * AuditLog write them): into a fresh PostgreSQL database (`postgres`, the
 * default) and/or a temporary data dir (`files`, the default deployment).
 * Then, for the same journal:
 * - **cold** (both stores, K times, the median reported): a process that has
 *   nothing in memory opens it: every line replayed into the hub's own
 *   replayers (hub/compose/pipeline-services.ts journalReplayers: the alert
 *   store with its stream feed, the audit log, the seq window, the command
 *   outbox, commissioning, call-backs, drills). That is every restart of a
 *   hub alone, and every promotion of a node that did not follow;
 * - **following** (PostgreSQL only): a standby that has followed the journal
 *   (its tail applied every line while it waited) takes over when the leader
 *   closes: the time from the leader's end to the standby's open() resolving,
 *   and the replay after the lock alone.
 * With --profile the last cold open of each store runs under the V8 profiler
 * (node:inspector, in this process) and its self time is summarised.
 * Prints the figures and writes bench/results/<date>-takeover.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Alert } from '../hub/alerts/alert.js';
import { newAlert } from '../hub/alerts/alert-intake.js';
import { AlertStore } from '../hub/alerts/alert-store.js';
import { deviceMessageKeyOf } from '../hub/alerts/message-key.js';
import { AuditLog } from '../hub/audit/audit-log.js';
import { CallbackStore } from '../hub/callbacks/callback-store.js';
import { CommandOutbox } from '../hub/commands/command-outbox.js';
import { journalReplayers, replayInto } from '../hub/compose/pipeline-services.js';
import { systemClock } from '../hub/core/clock.js';
import { EventBus } from '../hub/core/event-bus.js';
import type { HubEvents } from '../hub/core/hub-events.js';
import { silentLogger } from '../hub/core/logger.js';
import { DrillService } from '../hub/drills/drill-service.js';
import { Commissioning } from '../hub/homes/commissioning.js';
import { DeviceStateStore } from '../hub/ingest/device-state.js';
import { SeqWindow } from '../hub/ingest/seq-window.js';
import { AlertFeed } from '../hub/realtime/alert-feed.js';
import { Journal } from '../hub/storage/journal.js';
import type { JournalEntry } from '../hub/storage/journal-format.js';
import type { JournalStore } from '../hub/storage/ports.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { PgJournal } from '../hub/storage/postgres/journal-pg.js';
import { createPgDatabase } from '../tests/helpers/pg-server.js';
import type { BenchOptions } from './args.js';
import { REPO_ROOT } from './child.js';
import { writeResults } from './cluster-session.js';
import { formatProfile, monotonicUs, summariseProfile } from './profile-summary.js';

type Say = (line: string) => void;

/** What one node replays the journal into: the hub's replayers, with the stores a test can look at. */
export interface ReplaySide {
  alerts: AlertStore;
  audit: AuditLog;
  feed: AlertFeed;
  onEntry: (entry: JournalEntry) => void;
}

/** The hub's replayers (hub/hub.ts and hub/compose/*), over `journal`; the parts no replay touches are stubs. `now`: the feed's clock (its age bound). */
export function replaySide(journal: JournalStore, now: () => number = Date.now): ReplaySide {
  const log = silentLogger();
  const bus = new EventBus<HubEvents>(log);
  const audit = new AuditLog(journal, log);
  const feed = new AlertFeed({ now, chainId: () => journal.chainId });
  const alerts = new AlertStore(journal, bus, audit, log, feed);
  const noHomes = { getHome: () => undefined, listHomes: () => [], residentIds: () => [] };
  const noRegistry = { getHome: () => undefined, requireHome: () => { throw new Error('bench: no registry'); }, getDevice: () => undefined, listDevices: () => [] };
  const replayers = journalReplayers({
    outbox: new CommandOutbox({ journal, bus, transport: { sendCommand: async () => {} }, clock: systemClock, log }),
    audit,
    commissioning: new Commissioning({ registry: noRegistry, journal, bus, states: new DeviceStateStore(), clock: systemClock }),
    seqWindow: new SeqWindow(),
    alerts,
    callbackStore: new CallbackStore(journal, audit, log),
    drills: new DrillService({ alerts, journal, homes: noHomes, audit, now }),
  });
  return { alerts, audit, feed, onEntry: replayInto(replayers) };
}

/** An SOS as the hub's intake makes it (hub/alerts/alert-intake.ts newAlert). */
function sosAlert(i: number, at: string): Alert {
  const homeId = `home-${(i % 1000).toString().padStart(4, '0')}`;
  const deviceId = `brc-${(i % 4000).toString(16).padStart(8, '0')}`;
  const draft = { kind: 'sos', severity: 'critical' as const, title: 'SOS button pressed', homeId, deviceId, details: { battery: 80 } };
  return newAlert(draft, `res-${homeId}`, { deviceId, eventType: 'sos', at, seq: i, ts: Date.parse(at) });
}

/** Five lines per alert, as an operator's handling of an SOS writes them. */
export async function writeLifecycles(journal: JournalStore, lines: number, say: Say): Promise<void> {
  const { alerts, audit } = replaySide(journal);
  let pending: Promise<unknown>[] = [];
  for (let i = 0; journal.lastN < lines; i++) {
    const at = new Date().toISOString();
    const { alert } = alerts.record('alert.raised', { alert: sosAlert(i, at) });
    alerts.record('alert.acknowledged', { alertId: alert.id, actor: 'operator1' });
    alerts.record('alert.dispatched', { alertId: alert.id, actor: 'operator1', responders: [{ id: `rsp-${i}`, kind: 'family', name: 'Daughter', state: 'notified', addedAt: at, addedBy: 'operator1', updatedAt: at }] });
    alerts.record('alert.resolved', { alertId: alert.id, actor: 'operator1', outcome: 'resident_ok', note: 'called back, all well' });
    pending.push(audit.record('alert.viewed', 'supervisor1', alert.id));
    if (pending.length >= 2_000) {
      await Promise.all(pending);
      await journal.whenDurable();
      pending = [];
      say(`takeover: writing the journal ${journal.lastN}/${lines}`);
    }
  }
  await Promise.all(pending);
  await journal.whenDurable();
}

export interface ColdOpen {
  /** Wall time of open(): the whole replay. */
  ms: number;
  /** CPU time of this process meanwhile (user + system): what the replay costs here, less blurred by other work on the machine. */
  cpuMs: number;
}

export interface StoreResult {
  journalLines: number;
  coldOpens: ColdOpen[];
  /** Medians of coldOpens. */
  coldOpenMs: number;
  coldOpenCpuMs: number;
  usPerLine: number;
  cpuUsPerLine: number;
  profile?: ReturnType<typeof summariseProfile> & { path: string };
}

export interface PgResult extends StoreResult {
  followingTakeoverMs: number;
  replayAfterLockMs: number;
  linesAfterLock: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Opens a fresh journal on the same data `starts` times, each into fresh replayers; the last one profiled if asked. */
async function coldOpens(open: () => JournalStore, lines: number, starts: number, profileTo: string | undefined, say: Say): Promise<StoreResult> {
  const runs: ColdOpen[] = [];
  let profile: StoreResult['profile'];
  for (let k = 0; k < starts; k++) {
    say(`takeover: cold open ${k + 1}/${starts}`);
    const journal = open();
    const side = replaySide(journal);
    const session = profileTo && k === starts - 1 ? await startProfiler() : undefined;
    const cpu = process.cpuUsage();
    const window = { from: monotonicUs(), to: 0 };
    const startedAt = performance.now();
    const count = await journal.open(side.onEntry);
    const ms = performance.now() - startedAt;
    window.to = monotonicUs();
    const used = process.cpuUsage(cpu);
    if (session) profile = await stopProfiler(session, profileTo!, window);
    await journal.close();
    if (count !== lines) throw new Error(`bench: the cold open replayed ${count} lines, expected ${lines}`);
    runs.push({ ms: Math.round(ms), cpuMs: Math.round((used.user + used.system) / 1000) });
    globalThis.gc?.();
  }
  const coldOpenMs = median(runs.map((r) => r.ms));
  const coldOpenCpuMs = median(runs.map((r) => r.cpuMs));
  const perLine = (ms: number) => Math.round((ms * 10_000) / lines) / 10;
  return { journalLines: lines, coldOpens: runs, coldOpenMs, coldOpenCpuMs, usPerLine: perLine(coldOpenMs), cpuUsPerLine: perLine(coldOpenCpuMs), ...(profile ? { profile } : {}) };
}

async function startProfiler(): Promise<Session> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return session;
}

/** The profile written whole; summarised over the open alone (`window`), not the profiler's own stop. */
async function stopProfiler(session: Session, path: string, window: { from: number; to: number }): Promise<NonNullable<StoreResult['profile']>> {
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  await writeFile(path, JSON.stringify(profile));
  return { ...summariseProfile(profile as Parameters<typeof summariseProfile>[0], 30, window), path };
}

/** A standby that applied everything while the leader still held the lock takes over when the leader closes. */
async function followingTakeover(leader: PgJournal, standby: PgJournal, say: Say): Promise<Pick<PgResult, 'followingTakeoverMs' | 'replayAfterLockMs' | 'linesAfterLock'>> {
  const journalLines = leader.lastN;
  const standbyOpening = standby.open(replaySide(standby).onEntry);
  while (standby.lastN < journalLines) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    say(`takeover: the standby follows ${standby.lastN}/${journalLines}`);
  }
  const leaderEnds = performance.now();
  await leader.close();
  await standbyOpening;
  const followingTakeoverMs = performance.now() - leaderEnds;
  const tail = standby.standbyTail!;
  await standby.close();
  return { followingTakeoverMs: Math.round(followingTakeoverMs), replayAfterLockMs: Math.round(tail.replayAfterLockMs ?? 0), linesAfterLock: tail.linesAfterLock ?? 0 };
}

async function benchPostgres(options: TakeoverOptions, say: Say): Promise<PgResult> {
  const database = await createPgDatabase('hub_bench_takeover');
  const journalAt = (cluster: boolean) =>
    new PgJournal({ db: new PgDatabase({ url: database.url }), waitForLeadership: cluster, lockWaitMs: 60_000, messageKeyOf: deviceMessageKeyOf });
  try {
    const leader = journalAt(true);
    await leader.open();
    await writeLifecycles(leader, options.journalLines, say);
    const journalLines = leader.lastN;
    const following = await followingTakeover(leader, journalAt(true), say);
    // Cold: what every promotion did before, the whole journal replayed after the lock. The standby's
    // stores are garbage by now: a cold open's heap holds its own stores alone.
    const cold = await coldOpens(() => journalAt(false), journalLines, options.starts, options.profileTo?.('postgres'), say);
    return { ...cold, ...following };
  } finally {
    await database.drop();
  }
}

async function benchFiles(options: TakeoverOptions, say: Say): Promise<StoreResult> {
  const dir = await mkdtemp(join(tmpdir(), 'hub-bench-journal-'));
  try {
    const journalAt = () => new Journal({ dir });
    const writer = journalAt();
    await writer.open();
    await writeLifecycles(writer, options.journalLines, say);
    const journalLines = writer.lastN;
    await writer.close();
    return await coldOpens(journalAt, journalLines, options.starts, options.profileTo?.('files'), say);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The commit measured, `-dirty` with uncommitted changes; undefined outside a git checkout. */
/** `git describe` of the checkout measured, for the result file. */
export function checkout(): string | undefined {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

interface TakeoverOptions {
  journalLines: number;
  starts: number;
  profileTo: ((store: string) => string) | undefined;
}

export async function runTakeoverBench(options: Pick<BenchOptions, 'journalLines' | 'outDir' | 'store' | 'starts' | 'profile' | 'label'>, say: Say, done: () => void): Promise<number> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outDir = resolve(REPO_ROOT, options.outDir);
  const takeover: TakeoverOptions = {
    journalLines: options.journalLines,
    starts: options.starts,
    profileTo: options.profile ? (store) => join(outDir, 'profiles', `${stamp}-takeover-${store}.cpuprofile`) : undefined,
  };
  if (options.profile) await mkdir(join(outDir, 'profiles'), { recursive: true });
  const loadBefore = loadavg();
  const postgres = options.store === 'files' ? undefined : await benchPostgres(takeover, say);
  const files = options.store === 'postgres' ? undefined : await benchFiles(takeover, say);
  done();
  const lines = postgres?.journalLines ?? files!.journalLines;
  console.log(`journal of ${lines} lines (alert lifecycles), load average ${loadBefore[0]!.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after:`);
  const cold = (name: string, r: StoreResult) => {
    const each = r.coldOpens.map((o) => `${o.ms} ms (cpu ${o.cpuMs})`).join(', ');
    console.log(`  ${name}: a cold open (the whole replay), median of ${r.coldOpens.length}: ${r.coldOpenMs} ms, ${r.usPerLine} µs a line; cpu ${r.coldOpenCpuMs} ms, ${r.cpuUsPerLine} µs a line [${each}]`);
    if (r.profile) console.log(`\n${formatProfile(r.profile)}\n(profile: ${r.profile.path})\n`);
  };
  if (postgres) {
    cold('postgres', postgres);
    console.log(`  postgres: a standby that followed it: the leader's end → leading ${postgres.followingTakeoverMs} ms (replay after the lock ${postgres.replayAfterLockMs} ms, ${postgres.linesAfterLock} lines)`);
  }
  if (files) cold('files', files);
  const strip = <T extends StoreResult>(r: T | undefined) => r && { ...r, profile: r.profile && { path: r.profile.path, total: r.profile.total, byPlace: r.profile.byPlace.slice(0, 12), byFunction: r.profile.byFunction.slice(0, 20) } };
  const suffix = options.label ? `takeover-${options.label}` : 'takeover';
  await writeResults(options.outDir, suffix, { kind: 'takeover', label: options.label, commit: checkout(), node: process.version, loadAverage: { before: loadBefore, after: loadavg() }, journalLines: lines, starts: options.starts, postgres: strip(postgres), files: strip(files) });
  return 0;
}
