/**
 * Issue 12 item 3 over many failovers, not one: a cluster of hub nodes on
 * PostgreSQL and Redis (real processes) takes a steady stream of SOS alarms
 * from bracelets spread over the nodes, while the harness kills a node with
 * kill -9 at random moments — the leader every other time, a standby
 * otherwise — and restarts it under its name, as a supervisor would. A node
 * that exits by itself is restarted too, and counted. Devices reconnect to
 * another live node and retransmit what was not acknowledged.
 *
 * At the end:
 * - every alarm a device saw PUBACKed is in the journal and in the API
 *   exactly once (lost = 0, duplicated = 0), and the hash chain verifies;
 * - each leader kill was followed by a new leader within 15 s;
 * - every alert that was due its 60 s "overdue" (and its 180 s escalation)
 *   before the end got it within ±15 s of its due time, whichever node led;
 * - no device raised `device_offline` (each sends every few seconds);
 * - a console reading the alert list through every node in turn, with
 *   `X-Hub-After`, never got an answer older than what it had seen
 *   (standbys answer from their copies of the journal).
 *
 * With `--freezes F`, F more events, spread among the kills, stop a node with
 * SIGSTOP for `--freezeMs` (default the lease + 3 s) and then let it go on
 * (SIGCONT): its connections stay open, its leases run out, another node
 * takes its place; resumed, it must write nothing for what it lost (the
 * journal's fence) and may exit to be restarted, which is counted apart from
 * the unplanned exits. A frozen leader's successor must lead within the
 * lease + 5 s of the freeze.
 *
 *   npx tsx tests/long/cluster-chaos.ts [--nodes 3] [--devices 200] [--rate 100] [--kills 12] [--freezes 0] [--minUpMs 6000] [--maxUpMs 14000]
 *   HUB_PARTITIONS=spread npx tsx tests/long/cluster-chaos.ts   (the nodes own shares of the homes)
 */
import { sleep } from '../conformance/raw-client.js';
import { AlarmDevice } from './lib/alarm-device.js';
import { tallyAlarms, tallyLossless, type AlarmTally } from './lib/alarm-tally.js';
import { alive, ChaosCluster, type ChaosNode } from './lib/chaos-cluster.js';
import { isMain, numericFlags, report } from './lib/cli.js';
import { alarmKeysInApi, alarmKeysInJournal, readJournal, verifyChain, type JournalLine } from './lib/hub-child.js';
import { MonotonicReader, type ReadFigures } from './lib/monotonic-reader.js';
import { provisionBracelets } from './lib/provision.js';
import type { HubProcess } from '../helpers/hub-process.js';

export const CHAOS_DEFAULTS = { nodes: 3, devices: 200, rate: 100, kills: 12, freezes: 0, freezeMs: 0, minUpMs: 6_000, maxUpMs: 14_000, leaseMs: 10_000, tailMs: 20_000, drainTimeoutMs: 90_000 };

const OVERDUE_MS = 60_000;
const ESCALATE_MS = 180_000;
const SLA_TOLERANCE_MS = 15_000;

export interface ChaosFigures extends AlarmTally {
  nodes: number;
  devices: number;
  ratePerSec: number;
  kills: number;
  leaderKills: number;
  leaseMs: number;
  freezes: number;
  leaderFreezes: number;
  /** From a frozen leader's SIGSTOP to another node printing that it leads. */
  freezeTakeoverMs: { min: number; max: number; mean: number };
  /** Nodes that exited after being frozen and resumed (expected: they lost their leases), restarted. */
  exitsAfterFreeze: string[];
  unplannedExits: string[];
  journalChainOk: boolean;
  takeoverMs: { min: number; max: number; mean: number };
  sla: { dueChecked: number; outsideTolerance: number; worstSkewMs: number };
  deviceOfflineAlerts: number;
  consoleReads: ReadFigures;
  runSeconds: number;
}

export async function runClusterChaos(options: Partial<typeof CHAOS_DEFAULTS> = {}, log: (line: string) => void = () => undefined): Promise<ChaosFigures> {
  const o = { ...CHAOS_DEFAULTS, ...options };
  const started = Date.now();
  // HUB_PARTITIONS=spread in the harness's environment: each node owns a share of the homes (docs/CLUSTER.md "Owners").
  const partitions: Record<string, string> = process.env.HUB_PARTITIONS === 'spread' ? { HUB_PARTITIONS: 'spread' } : {};
  const cluster = await ChaosCluster.start(o.nodes, { HUB_LEADER_LEASE_MS: String(o.leaseMs), ...partitions });
  try {
    const api = await cluster.api();
    log(`provisioning ${o.devices} bracelets…`);
    const devices = await provisionBracelets(api, o.devices, 2);
    const latencies: number[] = [];
    const fleet = devices.map((d, i) => {
      let turn = i;
      return new AlarmDevice(d, () => cluster.mqttPort(turn++), (_id, _seq, ms) => latencies.push(ms));
    });
    await Promise.all(fleet.map((d) => d.connect()));
    log(`${fleet.length} devices connected over ${o.nodes} nodes; ${o.rate} alarms/s`);
    const stopGenerator = generate(fleet, o.rate);
    const reader = new MonotonicReader(api.token!, () => cluster.nodes.filter(alive).map((n) => n.proc.httpPort));
    reader.start();

    const takeovers: number[] = [];
    const freezeTakeovers: number[] = [];
    const exits: Exits = { unplanned: [], afterFreeze: [], frozen: new Set() };
    let leaderKills = 0;
    let leaderFreezes = 0;
    let freezesDone = 0;
    const freezeMs = o.freezeMs > 0 ? o.freezeMs : o.leaseMs + 3_000;
    const events = eventPlan(o.kills, o.freezes);
    for (let k = 1; k <= events.length; k++) {
      await sleep(o.minUpMs + Math.random() * (o.maxUpMs - o.minUpMs));
      await restartExited(cluster, exits, log);
      const freeze = events[k - 1] === 'freeze';
      // Kills alternate leader / standby by their turn, freezes by theirs: the first freeze takes the leader.
      const target = pickTarget(cluster, freeze ? ++freezesDone : k);
      const wasLeader = target === cluster.leader;
      const next = wasLeader ? cluster.nextLeaderAfterKill() : undefined;
      if (freeze) {
        exits.frozen.add(target.proc);
        const frozenAt = Date.now();
        const frozen = cluster.freeze(target, freezeMs);
        if (wasLeader) {
          leaderFreezes++;
          const leader = await next!;
          freezeTakeovers.push(Date.now() - frozenAt);
          log(`event ${k}/${events.length}: leader ${target.name} frozen ${freezeMs} ms; ${leader.name} leads after ${freezeTakeovers.at(-1)} ms`);
        } else log(`event ${k}/${events.length}: ${target.name} frozen ${freezeMs} ms`);
        await frozen;
        continue;
      }
      const killedAt = await cluster.kill(target);
      if (wasLeader) {
        leaderKills++;
        const leader = await next!;
        takeovers.push(Date.now() - killedAt);
        log(`event ${k}/${events.length}: kill -9 of leader ${target.name}; ${leader.name} leads after ${takeovers.at(-1)} ms`);
      } else log(`event ${k}/${events.length}: kill -9 of standby ${target.name}`);
      await cluster.restart(target);
    }
    await sleep(o.tailMs);
    await restartExited(cluster, exits, log);
    stopGenerator();
    reader.stop();
    const endOfAlarms = Date.now();
    const pendingNow = () => fleet.reduce((s, d) => s + d.pending.size, 0);
    for (const deadline = Date.now() + o.drainTimeoutMs; pendingNow() > 0 && Date.now() < deadline; ) await sleep(200);

    const inApi = await alarmKeysInApi(await cluster.api());
    for (const d of fleet) d.stop();
    const lines = await readJournal('', cluster.databaseUrl);
    const inJournal = alarmKeysInJournal(lines);
    const chain = await verifyChain('', cluster.databaseUrl);
    return {
      nodes: o.nodes,
      devices: fleet.length,
      ratePerSec: o.rate,
      kills: o.kills,
      leaderKills,
      leaseMs: o.leaseMs,
      freezes: o.freezes,
      leaderFreezes,
      freezeTakeoverMs: summary(freezeTakeovers),
      exitsAfterFreeze: exits.afterFreeze,
      unplannedExits: exits.unplanned,
      ...tallyAlarms(fleet, inJournal, inApi, latencies),
      journalChainOk: chain.ok,
      takeoverMs: summary(takeovers),
      sla: slaSkews(lines, endOfAlarms),
      deviceOfflineAlerts: lines.filter((l) => l.type === 'alert.raised' && l.data.alert?.kind === 'device_offline').length,
      consoleReads: reader.figures,
      runSeconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    await cluster.stop();
  }
}

/** Every 20 ms, rate/50 alarms from the devices in turn, whether or not their node is up. */
function generate(fleet: AlarmDevice[], rate: number): () => void {
  let cursor = 0;
  let credit = 0;
  const tick = setInterval(() => {
    credit += rate / 50;
    for (; credit >= 1; credit--) fleet[cursor++ % fleet.length]!.sendAlarm();
  }, 20);
  return () => clearInterval(tick);
}

/** Odd kills take the leader, even ones a random standby (or the leader when it is alone). */
function pickTarget(cluster: ChaosCluster, k: number): ChaosNode {
  const leader = cluster.leader;
  const standbys = cluster.nodes.filter((n) => alive(n) && n !== leader);
  if (leader && (k % 2 === 1 || standbys.length === 0)) return leader;
  return standbys[Math.floor(Math.random() * standbys.length)] ?? cluster.nodes[0]!;
}

/** Which events are kills and which freezes: the freezes spread evenly among the kills. */
function eventPlan(kills: number, freezes: number): ('kill' | 'freeze')[] {
  const total = kills + freezes;
  return Array.from({ length: total }, (_, i) => (Math.floor(((i + 1) * freezes) / total) > Math.floor((i * freezes) / total) ? 'freeze' : 'kill'));
}

/** Exits seen so far: a node that exits after it was frozen and resumed is expected to (it lost its leases). */
interface Exits {
  unplanned: string[];
  afterFreeze: string[];
  /** Processes frozen at least once (a restart makes a new process, no longer in here). */
  frozen: Set<HubProcess>;
}

/** A node that exited on its own (e.g. leadership lost, exit 70) is restarted, and its exit kept for the figures. */
async function restartExited(cluster: ChaosCluster, exits: Exits, log: (line: string) => void): Promise<void> {
  for (const node of cluster.nodes.filter((n) => !alive(n))) {
    const reason = `${node.name}: exit ${node.proc.child.exitCode ?? node.proc.child.signalCode}: ${node.proc.stderr().split('\n').filter(Boolean).slice(-2).join(' | ').slice(0, 300)}`;
    const afterFreeze = exits.frozen.delete(node.proc);
    (afterFreeze ? exits.afterFreeze : exits.unplanned).push(reason);
    log(`${afterFreeze ? 'exit after a freeze' : 'unplanned exit'}, restarting — ${reason}`);
    await cluster.restart(node);
  }
}

/** For each alert whose 60 s or 180 s mark fell before `end` − tolerance: how far from due its line was. */
function slaSkews(lines: JournalLine[], end: number): ChaosFigures['sla'] {
  const raisedAt = new Map<string, number>();
  const marks = new Map<string, number>();
  for (const line of lines) {
    if (line.type === 'alert.raised' && line.data.alert?.kind === 'sos') raisedAt.set(line.data.alert.id, Date.parse(line.data.alert.raisedAt));
    if (line.type === 'alert.overdue' || line.type === 'alert.escalated') marks.set(`${line.type}:${line.data.alertId}`, Date.parse(line.at));
  }
  let dueChecked = 0;
  let outsideTolerance = 0;
  let worstSkewMs = 0;
  for (const [id, raised] of raisedAt) {
    for (const [type, after] of [['alert.overdue', OVERDUE_MS], ['alert.escalated', ESCALATE_MS]] as const) {
      const due = raised + after;
      if (due + SLA_TOLERANCE_MS > end) continue;
      dueChecked++;
      const at = marks.get(`${type}:${id}`);
      const skew = at === undefined ? Infinity : Math.abs(at - due);
      worstSkewMs = Math.max(worstSkewMs, skew);
      if (skew > SLA_TOLERANCE_MS) outsideTolerance++;
    }
  }
  return { dueChecked, outsideTolerance, worstSkewMs: Number.isFinite(worstSkewMs) ? worstSkewMs : -1 };
}

function summary(values: number[]): { min: number; max: number; mean: number } {
  if (values.length === 0) return { min: NaN, max: NaN, mean: NaN };
  return { min: Math.min(...values), max: Math.max(...values), mean: Math.round(values.reduce((a, b) => a + b, 0) / values.length) };
}

export function chaosPassed(f: ChaosFigures): boolean {
  const lossless = tallyLossless(f) && f.journalChainOk;
  const failover = f.leaderKills > 0 && f.takeoverMs.max <= 15_000 && (f.leaderFreezes === 0 || f.freezeTakeoverMs.max <= f.leaseMs + 5_000);
  const reads = f.consoleReads.violations.length === 0 && f.consoleReads.servedByReplica > 0;
  return lossless && failover && reads && f.sla.outsideTolerance === 0 && f.deviceOfflineAlerts === 0;
}

if (isMain(import.meta.url)) {
  const options = numericFlags(CHAOS_DEFAULTS);
  const figures = await runClusterChaos(options, (line) => process.stderr.write(`${line}\n`));
  await report('cluster-chaos', figures as unknown as Record<string, unknown>, chaosPassed(figures));
}
