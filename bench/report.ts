/**
 * The bench's figures as a terminal table, the hub's ratios to the
 * baselines, and the issue's target table with each target met or missed.
 */
import type { TargetResult } from './measure.js';

export interface TargetCheck {
  measure: string;
  target: string;
  measured: string;
  met: boolean | null;
}

type Step = TargetResult['steps'][number];

const fmt = (n: number | undefined, digits = 0) => (n === undefined || !Number.isFinite(n) ? '—' : n.toLocaleString('en-US', { maximumFractionDigits: digits }));
const lat = (s: Step) => (s.alarmLatencyMs ? `${fmt(s.alarmLatencyMs.p50, 1)} / ${fmt(s.alarmLatencyMs.p95, 1)} / ${fmt(s.alarmLatencyMs.p99, 1)} / ${fmt(s.alarmLatencyMs.max, 1)}` : '—');

/**
 * A step the target kept up with: it processed (nearly) all it was offered and alarms were not
 * queueing (p50 under half a second). Past that point the processed rate of a short step still
 * looks high while a backlog builds up in memory, so it is not "sustained".
 */
export function keptUp(step: Step): boolean {
  return step.processedRate >= 0.95 * step.offeredRate && (alarmMs(step)?.p50 ?? 0) < 500;
}

/** Alarm latency as the generator saw it: on the operator socket (Node generator) or as PUBACK (C generator). */
export function alarmMs(step: Step): Step['alarmLatencyMs'] {
  return step.alarmLatencyMs ?? step.alarmPubackMs;
}

/** The highest rate processed in a step the target kept up with (0 if it kept up with none). */
export function sustained(result: TargetResult): number {
  return Math.max(0, ...result.steps.filter(keptUp).map((s) => s.processedRate));
}

export function stepAt(result: TargetResult, rate: number): Step | undefined {
  return result.steps.find((s) => s.rate === rate);
}

export function table(results: readonly TargetResult[]): string {
  const names = results.map((r) => r.target);
  const rows: string[][] = [['', ...names]];
  const row = (label: string, f: (r: TargetResult) => string) => rows.push([label, ...results.map(f)]);
  row('cold start, empty (ms)', (r) => coldStartEmpty(r.setup));
  row('  machine load average at the starts', (r) => fmt(r.setup.loadAvgAtColdStarts, 2));
  row('cold start, homes registered (ms)', (r) => fmt(r.setup.coldStartWithHomesMs));
  row('provisioning over REST (homes/s)', (r) => fmt(r.setup.provisionHomesPerSec, 1));
  row('devices connected / failed', (r) => `${fmt(r.connections.connected)} / ${fmt(r.connections.failed)}`);
  row('connections held (broker count)', (r) => fmt(r.connections.held));
  row('connect storm, all devices (s)', (r) => fmt(r.connections.stormMs / 1000, 2));
  row('CONNACK p50 / p99 in the storm (ms)', (r) => (r.connections.connackMs ? `${fmt(r.connections.connackMs.p50, 1)} / ${fmt(r.connections.connackMs.p99, 1)}` : '—'));
  row('RSS idle (MiB)', (r) => fmt(r.rssIdleMiB, 1));
  row('RSS per idle device (KiB)', (r) => fmt(r.rssPerIdleDeviceKiB, 1));
  const rates = [...new Set(results.flatMap((r) => r.steps.map((s) => s.rate)))];
  for (const rate of rates) {
    const at = (r: TargetResult) => stepAt(r, rate);
    row(`@ ${fmt(rate)} msg/s offered: sent (msg/s)`, (r) => fmt(at(r)?.offeredRate));
    row(`  processed (msg/s)`, (r) => fmt(at(r)?.processedRate));
    row(`  shed: acknowledged, kept as sign of life (msg/s)`, (r) => fmt(at(r)?.shedRate));
    row(`  alarm → operator p50/p95/p99/max (ms)`, (r) => (at(r) ? lat(at(r)!) : '—'));
    row(`  alarms seen / sent`, (r) => (at(r) ? `${at(r)!.alarmsSeen} / ${at(r)!.alarmsSent}` : '—'));
    row(`  telemetry PUBACK p50/p99 (ms)`, (r) => (at(r)?.telemetryPubackMs ? `${fmt(at(r)!.telemetryPubackMs!.p50, 1)} / ${fmt(at(r)!.telemetryPubackMs!.p99, 1)}` : '—'));
    row(`  sends held back (16 in flight)`, (r) => fmt(at(r)?.stalled));
    row(`  alarm PUBACK p50/p99 (ms)`, (r) => (at(r)?.alarmPubackMs ? `${fmt(at(r)!.alarmPubackMs!.p50, 1)} / ${fmt(at(r)!.alarmPubackMs!.p99, 1)}` : '—'));
    const stage = (p: { p50: number; p99: number } | null | undefined) => (p ? `${fmt(p.p50, 1)} / ${fmt(p.p99, 1)}` : '—');
    row(`    in the hub: read → ingest done p50/p99 (ms)`, (r) => stage(at(r)?.hubTimings?.ingestMs));
    row(`    in the hub: ingest → durable, PUBACK (ms)`, (r) => stage(at(r)?.hubTimings?.durableMs));
    row(`  read phase per event-loop turn p50/p99 (ms)`, (r) => stage(at(r)?.hubTimings?.readPhaseMs));
    row(`  CPU target / generator (% of a core)`, (r) => (at(r) ? `${at(r)!.cpuPct} / ${at(r)!.generatorCpuPct}` : '—'));
    row(`  target CPU per message (µs)`, (r) => fmt(at(r)?.cpuUsPerMsg, 1));
    row(`  syscalls per message (read / write)`, (r) => (at(r) ? `${fmt(at(r)!.syscallsPerMsg.reads, 2)} / ${fmt(at(r)!.syscallsPerMsg.writes, 2)}` : '—'));
    row(`  machine load average (1 min)`, (r) => fmt(at(r)?.loadAvg1, 2));
    row(`  RSS max (MiB)`, (r) => fmt(at(r)?.rssMaxMiB, 1));
    row(`  RSS growth, second half of the step (MiB)`, (r) => fmt(at(r)?.rssSecondHalfGrowthMiB, 1));
    row(`  kept up (no backlog)`, (r) => (at(r) ? (keptUp(at(r)!) ? 'yes' : 'NO') : '—'));
  }
  if (results.some((r) => r.storm)) stormRows(row);
  row('sustained (best step kept up with, msg/s)', (r) => fmt(sustained(r)));
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

/** --storm (c-storm.ts): the reconnect storm and the steady group's latencies during it. */
function stormRows(row: (label: string, f: (r: TargetResult) => string) => void): void {
  const pct = (p: TargetResult['steps'][number]['alarmPubackMs'] | undefined) => (p ? `${fmt(p.p50, 1)} / ${fmt(p.p99, 1)} / ${fmt(p.max, 1)}` : '—');
  row('reconnect storm: devices (steady beside it)', (r) => (r.storm ? `${fmt(r.storm.stormDevices)} (${fmt(r.storm.steadyDevices)})` : '—'));
  row('  started at (connects/s)', (r) => fmt(r.storm?.stormRate));
  row('  all back in (s) / not back', (r) => (r.storm ? `${fmt(r.storm.allBackMs / 1000, 1)} / ${fmt(r.storm.notBack)}` : '—'));
  row('  CONNACK p50 / p99 / max (ms)', (r) => pct(r.storm?.connackMs));
  row('  steady alarm PUBACK p50 / p99 / max (ms)', (r) => pct(r.storm?.steady.alarmPubackMs));
  row('  steady telemetry PUBACK p50 / p99 / max (ms)', (r) => pct(r.storm?.steady.telemetryPubackMs));
  row('  steady alarms acked / sent', (r) => (r.storm ? `${fmt(r.storm.steady.alarmsAcked)} / ${fmt(r.storm.steady.alarmsSent)}` : '—'));
  row('  target CPU (% of a core) / load average', (r) => (r.storm ? `${r.storm.targetCpuPct} / ${fmt(r.storm.loadAvg1, 2)}` : '—'));
}

export function ratios(results: readonly TargetResult[]): Record<string, number> {
  const hub = results.find((r) => r.target === 'hub');
  const out: Record<string, number> = {};
  if (!hub) return out;
  for (const base of results.filter((r) => r.target !== 'hub' && r.target !== 'hub-postgres')) {
    out[`throughput hub/${base.target}`] = round2(sustained(hub) / sustained(base));
    out[`RSS per device hub/${base.target}`] = round2(hub.rssPerIdleDeviceKiB / base.rssPerIdleDeviceKiB);
    const hubStep = hub.steps[0];
    const baseStep = base.steps[0];
    if (hubStep?.alarmLatencyMs && baseStep?.alarmLatencyMs) out[`alarm p99 hub/${base.target} @ ${hubStep.rate} msg/s`] = round2(hubStep.alarmLatencyMs.p99 / baseStep.alarmLatencyMs.p99);
  }
  return out;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** One start, or the median of --starts with the fastest and slowest. */
function coldStartEmpty(setup: Record<string, number>): string {
  const n = setup.coldStartsEmpty;
  return n ? `${fmt(setup.coldStartEmptyMs)} (median of ${n}; ${fmt(setup.coldStartEmptyMinMs)}–${fmt(setup.coldStartEmptyMaxMs)})` : fmt(setup.coldStartEmptyMs);
}

/**
 * "Bounded" is a level, not a size: RSS that grew in the second half of the
 * overloaded step by at most 10 MiB or 5 % is taken as levelled off (a loaded
 * hub holds more than an idle one: buffers, a bigger heap). A step too short
 * to tell (under four measured seconds) falls back to "under twice idle".
 */
function memoryUnderOverload(hub: TargetResult, last: Step | undefined): TargetCheck {
  if (!last) return check('memory under overload', 'bounded', 'not run', null);
  const growth = last.rssSecondHalfGrowthMiB;
  const levelled = growth === undefined ? undefined : growth <= Math.max(10, 0.05 * last.rssMaxMiB);
  const measured = `RSS ${fmt(hub.rssIdleMiB, 1)} → ${fmt(last.rssMaxMiB, 1)} MiB at ${fmt(last.offeredRate)} msg/s offered${growth === undefined ? '' : `, ${growth >= 0 ? '+' : ''}${fmt(growth, 1)} MiB in the step's second half`}`;
  if (keptUp(last)) return check('memory under overload', 'bounded', measured, null);
  return check('memory under overload', 'bounded', measured, levelled ?? last.rssMaxMiB < 2 * hub.rssIdleMiB);
}

function check(measure: string, target: string, measured: string, met: boolean | null): TargetCheck {
  return { measure, target, measured, met };
}

/** The issue's target table, filled in from this run. `null` = not measured by this run. */
export function targetChecks(results: readonly TargetResult[], homes: number): TargetCheck[] {
  const hub = results.find((r) => r.target === 'hub');
  if (!hub) return [];
  const aedes = results.find((r) => r.target === 'aedes');
  const mosquitto = results.find((r) => r.target === 'mosquitto');
  const p99At = (rate: number) => stepAt(hub, rate)?.alarmLatencyMs?.p99;
  const last = hub.steps[hub.steps.length - 1];
  // Against what the hub processed: its best step kept up with, else what it processed in this one.
  const overload = last && last.offeredRate / Math.max(1, sustained(hub) || last.processedRate);
  const puback = hub.steps.filter((s) => s.alarmRate >= 100).map((s) => s.alarmPubackMs?.p99 ?? NaN);
  const c = hub.connections;
  return [
    check('device connections held, own credentials', '40,000', `${fmt(c.held)} of ${fmt(hub.devices)}`, c.held >= 40_000 ? true : hub.devices < 40_000 ? null : false),
    check('connect storm of all devices', '≤ 30 s for 40,000', `${fmt(c.stormMs / 1000, 1)} s for ${fmt(c.connected)}`, hub.devices >= 40_000 ? c.stormMs <= 30_000 : null),
    ...stormChecks(hub),
    check('full pipeline sustained, QoS 1', '≥ 15,000 msg/s', hub.steps.length ? `${fmt(sustained(hub))} msg/s` : 'not run', hub.steps.length ? sustained(hub) >= 15_000 : null),
    check('vs bare Aedes, same run', '≥ 70 %', versus(hub, aedes, (r) => `${fmt(r * 100)} %`), aedes && sustained(aedes) > 0 ? sustained(hub) / sustained(aedes) >= 0.7 : null),
    check('vs Mosquitto + Node subscriber, same run', '≥ 1.2×', versus(hub, mosquitto, (r) => `${fmt(r, 2)}×`), mosquitto && sustained(mosquitto) > 0 ? sustained(hub) / sustained(mosquitto) >= 1.2 : null),
    check('publish → operator WebSocket p99 @ 5,000 msg/s', '≤ 10 ms', p99At(5000) === undefined ? 'not run' : `${fmt(p99At(5000), 1)} ms`, p99At(5000) === undefined ? null : p99At(5000)! <= 10),
    check('publish → operator WebSocket p99 @ 10,000 msg/s', '≤ 50 ms', p99At(10000) === undefined ? 'not run' : `${fmt(p99At(10000), 1)} ms`, p99At(10000) === undefined ? null : p99At(10000)! <= 50),
    check('alarms at 2× overload, p99', '≤ 10 ms', last && alarmMs(last) ? `${fmt(alarmMs(last)!.p99, 1)} ms at ${fmt(overload, 1)}× (offered ${fmt(last.offeredRate)} msg/s), ${fmt(last.alarmsSeen)} of ${fmt(last.alarmsSent)} acknowledged` : 'not run', last && alarmMs(last) && overload !== undefined && overload >= 2 ? alarmMs(last)!.p99 <= 10 : null),
    memoryUnderOverload(hub, last),
    check('alarm PUBACK p99 incl. fsync @ 100 alarms/s', '≤ 20 ms', puback.length ? `${fmt(Math.max(...puback), 1)} ms (worst step)` : 'not run', puback.length ? Math.max(...puback) <= 20 : null),
    cpuCheck(hub, aedes),
    check(`RSS, ${fmt(homes)} homes registered, nothing connected`, '≤ 100 MB with 1,000', `${fmt(hub.rssBeforeMiB * 1.048576, 1)} MB`, homes >= 1000 ? hub.rssBeforeMiB * 1.048576 <= 100 : null),
    check('RSS per idle connected device', '≤ 16 KiB', `${fmt(hub.rssPerIdleDeviceKiB, 1)} KiB`, hub.rssPerIdleDeviceKiB <= 16),
    check('cold start to ready, empty', '≤ 400 ms', `${coldStartEmpty(hub.setup)} ms, load average ${fmt(hub.setup.loadAvgAtColdStarts, 2)}`, (hub.setup.coldStartEmptyMs ?? Infinity) <= 400),
    check(`cold start, ${fmt(homes)} homes registered`, '≤ 1 s with 10,000', `${fmt(hub.setup.coldStartWithHomesMs)} ms`, homes >= 10_000 ? (hub.setup.coldStartWithHomesMs ?? Infinity) <= 1000 : null),
  ];
}

/**
 * Issue 11 §5: the hub on PostgreSQL against the same hub on files, same run —
 * alarm PUBACK p99 at each step within 2×, and the set-up figures on the database.
 */
export function storeChecks(results: readonly TargetResult[], homes: number): TargetCheck[] {
  const files = results.find((r) => r.target === 'hub');
  const pg = results.find((r) => r.target === 'hub-postgres');
  if (!pg) return [];
  const out: TargetCheck[] = [];
  for (const step of pg.steps) {
    const mine = step.alarmPubackMs;
    const theirs = files && stepAt(files, step.rate)?.alarmPubackMs;
    const label = `alarm PUBACK p50/p99 PostgreSQL vs files @ ${fmt(step.rate)} msg/s + ${fmt(step.alarmRate)} alarms/s`;
    if (!mine || !theirs) {
      out.push(check(label, 'p99 ≤ 2× files', mine ? `${fmt(mine.p50, 1)} / ${fmt(mine.p99, 1)} ms (files not run)` : 'not run', null));
      continue;
    }
    const ratio = mine.p99 / Math.max(theirs.p99, 0.001);
    out.push(check(label, 'p99 ≤ 2× files', `${fmt(mine.p50, 1)} / ${fmt(mine.p99, 1)} vs ${fmt(theirs.p50, 1)} / ${fmt(theirs.p99, 1)} ms (${fmt(ratio, 2)}×)`, ratio <= 2));
  }
  out.push(check(`provisioning ${fmt(homes)} homes over REST, PostgreSQL`, 'measured', `${fmt(pg.setup.provisionMs! / 1000, 1)} s (${fmt(pg.setup.provisionHomesPerSec, 1)} homes/s)`, null));
  out.push(check(`cold start, ${fmt(homes)} homes registered, PostgreSQL`, 'measured', `${fmt(pg.setup.coldStartWithHomesMs)} ms`, null));
  return out;
}

/** Issue 14 item 4, when the run had --storm: every storm device back within 30 s, the connected ones' alarms p99 ≤ 50 ms. */
function stormChecks(hub: TargetResult): TargetCheck[] {
  const s = hub.storm;
  if (!s) return [];
  const alarms = s.steady.alarmPubackMs;
  return [
    check('reconnect storm: all back', '≤ 30 s for 40,000', `${fmt(s.allBackMs / 1000, 1)} s for ${fmt(s.connected)} of ${fmt(s.stormDevices)} at ${fmt(s.stormRate)}/s`, s.notBack > 0 ? false : s.stormDevices >= 40_000 ? s.allBackMs <= 30_000 : null),
    check('alarms of connected devices during the storm, PUBACK p99', '≤ 50 ms', alarms ? `${fmt(alarms.p99, 1)} ms (${fmt(s.steady.alarmsAcked)} of ${fmt(s.steady.alarmsSent)} acknowledged)` : 'none sent', alarms ? alarms.p99 <= 50 && s.steady.alarmsAcked === s.steady.alarmsSent : null),
  ];
}

/** Issue 14 item 2: the hub's CPU per message against bare Aedes' at the first step (10,000 msg/s in the issue). */
function cpuCheck(hub: TargetResult, aedes: TargetResult | undefined): TargetCheck {
  const rate = hub.steps[0]?.rate;
  const h = hub.steps[0]?.cpuUsPerMsg;
  const a = rate === undefined ? undefined : aedes && stepAt(aedes, rate)?.cpuUsPerMsg;
  // Not finite: a target that processed nothing measurable in the step (its CPU per message is NaN).
  const known = h !== undefined && a !== undefined && Number.isFinite(h) && Number.isFinite(a);
  const measured = known ? `${fmt(h / a, 2)}× (${fmt(h, 1)} vs ${fmt(a, 1)} µs) at ${fmt(rate)} msg/s` : 'not measured';
  return check('CPU per message vs bare Aedes', '≤ 1.2× at 10,000 msg/s', measured, known ? h / a <= 1.2 : null);
}

/** The hub's sustained rate against a baseline's; a baseline that kept up with no step gives no ratio. */
function versus(hub: TargetResult, base: TargetResult | undefined, show: (ratio: number) => string): string {
  if (!base) return 'not run';
  if (sustained(base) === 0) return `${base.target} kept up with no step`;
  return `${show(sustained(hub) / sustained(base))} (${fmt(sustained(base))} msg/s)`;
}

export function checksTable(checks: readonly TargetCheck[]): string {
  const mark = (m: boolean | null) => (m === null ? 'n/a' : m ? 'met' : 'MISSED');
  const rows = [['measure', 'target', 'measured', ''], ...checks.map((c) => [c.measure, c.target, c.measured, mark(c.met)])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')).join('\n');
}
