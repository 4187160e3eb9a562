/**
 * The pipeline watching itself (issue 12 item 7; REFERENCES.md: the 2020
 * Swedish failure, alarms delayed for a day and nobody knew). Every interval
 * a numbered heartbeat is sent in at the front of the pipeline; each stage
 * it passes is marked here; when one has not come out of the far end within
 * the stall threshold, the pipeline is stalled — /health goes red, naming the
 * stage it is stuck after — and `onStalled` runs once; the first heartbeat
 * to come through again ends the stall (`onRecovered`).
 *
 * Pure bookkeeping over an injected clock: what sends the heartbeat and what
 * carries it through the stages is wired by the caller (pipeline-probe.ts).
 */
import type { Clock, TimerHandle } from '../core/clock.js';

/** In order: where a heartbeat has got to. `acked`: its PUBACK is back at the sender, so it is through. */
export const STAGES = ['sent', 'broker', 'journal', 'stream', 'acked'] as const;
export type Stage = (typeof STAGES)[number];

/** What is wrong when a heartbeat is stuck after each stage. */
const STUCK_AFTER: Record<Exclude<Stage, 'acked'>, string> = {
  sent: 'not received by the broker (is the MQTT listener accepting connections?)',
  broker: 'received, but the journal has not made it durable (alarms are waiting for their PUBACK too)',
  journal: 'durable in the journal, but not through the stream fan-out',
  stream: 'through the stream, but its PUBACK did not get back to the sender',
};

/** Beats in flight at most: a stuck pipeline must not pile up heartbeats without bound. */
const MAX_OUTSTANDING = 16;

export interface StallReport {
  beat: number;
  /** The last stage the oldest stuck heartbeat reached. */
  stage: Stage;
  reason: string;
  /** When the stuck heartbeat was sent (epoch ms). */
  since: number;
  lastCompletedAt: number | undefined;
}

export interface RecoveryReport {
  beat: number;
  stalledSince: number;
  stalledForMs: number;
}

export interface PipelineStatus {
  ok: boolean;
  intervalMs: number;
  stallMs: number;
  beatsSent: number;
  beatsCompleted: number;
  lastCompleted: { beat: number; at: number; roundTripMs: number } | undefined;
  stalled: StallReport | undefined;
}

export interface PipelineMonitorDeps {
  clock: Clock;
  intervalMs: number;
  stallMs: number;
  /** Puts heartbeat `beat` in at the front of the pipeline. */
  send(beat: number): void;
  onStalled(report: StallReport): void;
  onRecovered(report: RecoveryReport): void;
  /** Each completed round trip, in ms (for the /metrics histogram). */
  onRoundTrip?(ms: number): void;
}

interface Beat {
  sentAt: number;
  stage: Stage;
  watch: TimerHandle;
}

export class PipelineMonitor {
  private readonly outstanding = new Map<number, Beat>();
  private nextBeat = 1;
  private completed = 0;
  private lastCompleted: PipelineStatus['lastCompleted'];
  private stall: StallReport | undefined;
  private ticker: TimerHandle | undefined;
  private running = false;

  constructor(private readonly deps: PipelineMonitorDeps) {}

  /** Sends the first heartbeat now, then one every interval. */
  start(): void {
    this.running = true;
    this.tick();
  }

  stop(): void {
    this.running = false;
    if (this.ticker !== undefined) this.deps.clock.clearTimeout(this.ticker);
    for (const beat of this.outstanding.values()) this.deps.clock.clearTimeout(beat.watch);
    this.outstanding.clear();
  }

  /** Heartbeat `beat` passed `stage`. Unknown or already superseded beats are ignored. */
  reached(beat: number, stage: Stage): void {
    const record = this.outstanding.get(beat);
    if (!record) return;
    if (stage === 'acked') return this.complete(beat, record);
    if (STAGES.indexOf(stage) > STAGES.indexOf(record.stage)) record.stage = stage;
  }

  status(): PipelineStatus {
    const { intervalMs, stallMs } = this.deps;
    return { ok: this.stall === undefined, intervalMs, stallMs, beatsSent: this.nextBeat - 1, beatsCompleted: this.completed, lastCompleted: this.lastCompleted, stalled: this.stall };
  }

  private tick(): void {
    if (!this.running) return;
    this.ticker = this.deps.clock.setTimeout(() => this.tick(), this.deps.intervalMs);
    // While this many are stuck, sending more tells nothing new and only queues them up.
    if (this.outstanding.size >= MAX_OUTSTANDING) return;
    const beat = this.nextBeat++;
    const watch = this.deps.clock.setTimeout(() => this.overdue(beat), this.deps.stallMs);
    this.outstanding.set(beat, { sentAt: this.deps.clock.now(), stage: 'sent', watch });
    this.deps.send(beat);
  }

  private overdue(beat: number): void {
    const record = this.outstanding.get(beat);
    if (!record || this.stall) return;
    const stage = record.stage as Exclude<Stage, 'acked'>;
    this.stall = { beat, stage, reason: `heartbeat ${beat} ${STUCK_AFTER[stage]}`, since: record.sentAt, lastCompletedAt: this.lastCompleted?.at };
    this.deps.onStalled(this.stall);
  }

  private complete(beat: number, record: Beat): void {
    const now = this.deps.clock.now();
    // Older heartbeats still out (lost with a dropped connection) are superseded: this one made it through.
    for (const [n, older] of this.outstanding) {
      if (n > beat) break;
      this.deps.clock.clearTimeout(older.watch);
      this.outstanding.delete(n);
    }
    this.completed++;
    this.lastCompleted = { beat, at: now, roundTripMs: now - record.sentAt };
    this.deps.onRoundTrip?.(now - record.sentAt);
    const stall = this.stall;
    if (!stall) return;
    this.stall = undefined;
    this.deps.onRecovered({ beat, stalledSince: stall.since, stalledForMs: now - stall.since });
  }
}
