/**
 * Alarms first (DESIGN.md §10, issue 14 item 1): device messages the hub
 * takes itself (uplink-tap.ts) are handed to ingest here, events and status
 * at once, telemetry only within a time budget per event-loop turn. Past the
 * budget telemetry waits in one queue that is drained a few milliseconds per
 * turn, and every `drainEveryMs` of a long poll phase, so an alarm read from
 * any socket is never behind more than a few milliseconds of telemetry work,
 * and an overloaded hub keeps processing telemetry while it reads. When nothing is queued and the turn has
 * budget left, telemetry runs at once, as before: at ordinary load a device's
 * messages are handled in the order they came.
 *
 * Overload: routine telemetry (the triage says which: no alarm in it, so
 * DESIGN.md §8 lets it be lost) that finds `maxQueued` messages waiting is
 * shed as it arrives: acknowledged without being processed, and only a sign
 * of life kept. So the queue never holds seconds of telemetry, a device's
 * in-flight window does not fill with telemetry waiting for the hub (its
 * next alarm can be sent at once), and the PUBACKs of one socket read leave
 * in one write. Everything that is queued is acknowledged once it is
 * processed, as before; telemetry the triage does not call routine is never
 * shed. Once an overload has lasted `lateAcksAfterMs`, telemetry PUBACKs
 * (shed or processed) go out late, up to a delay and several per write
 * (delayed-acks.ts, docs/PERFORMANCE.md issue 14 fourth pass): at twice its
 * capacity the hub spent a third of its time writing one PUBACK per message.
 * An event's PUBACK is never held.
 *
 * This scheduler is the overload authority for what the hub reads itself:
 * telemetry it runs, at once or from the queue, goes to ingest as `admitted`
 * and the event-loop shedder (hub/ingest/load-shedder.ts) does not shed it
 * again. On a shared machine the loop looks busy whenever the process waits
 * for a core, and that shedder then threw away half of what the hub could
 * process (20,000 msg/s offered: 10,332 shed, 9,916 processed, at 83 % of a
 * core). It still guards the paths that do not come through here: Aedes' own
 * (QoS 2, the conformance profile) and a leader's forwarded telemetry.
 *
 * Backpressure: a connection with `connectionBacklog` telemetry messages
 * queued stops being read until half of them are done. With QoS 1 the
 * delayed PUBACKs already slow a well-behaved device (it has a few messages
 * in flight at most); this bounds what a flooding one can queue. A device
 * bursting within its rate limit is held, not shed: nothing is lost while
 * the hub as a whole keeps up.
 */
import { performance } from 'node:perf_hooks';
import type { UplinkChannel } from '../../devices/topics.js';
import type { DeviceMessageHandler } from '../ingest/journal-dedupe.js';
import type { UplinkPublish } from './uplink-tap.js';

/**
 * The one entry for device messages (ingest's, hub/ingest/journal-dedupe.ts), as the broker
 * calls it. Telemetry run within the budgets is passed as `admitted` (see above).
 */
export type UplinkHandler = DeviceMessageHandler;

/** The connection a message came from, as the scheduler needs it. */
export interface UplinkSink {
  /** Sends the PUBACK of a QoS 1 message. */
  ack(packetId: number): void;
  /** Sends the PUBACK of a telemetry message under overload, possibly late and with others (delayed-acks.ts). */
  ackLater(packetId: number): void;
  /** The hub could not take the message: the connection closes without a PUBACK, so the device resends. */
  fail(err: unknown): void;
  /** Stops (true) or restarts (false) reading the connection. */
  holdReads(hold: boolean): void;
  /** This connection's telemetry waiting in the queue; kept by the scheduler. */
  backlog: number;
}

/** Which telemetry may be shed under overload, and what is kept of it; one per hub (hub.ts wires ingest's). */
export interface TelemetryTriage {
  /** True when losing this message loses no alarm (Ingest.routine). */
  routine(deviceId: string, payload: Buffer): boolean;
  /** What is kept of a routine message shed as it arrives: a sign of life. */
  shed(deviceId: string, payload: Buffer): void;
}

/**
 * Where an alarm's time goes inside the hub, and how long the hub reads
 * device sockets at a stretch (/metrics; docs/PERFORMANCE.md, issue 14 third
 * pass). The time an alarm waits in the kernel before the hub reads it is
 * not seen here: it is the generator's PUBACK latency less these.
 */
export interface UplinkTimings {
  /** An event: ms from its packet being read to ingest returning (rules, journal append), then to its PUBACK (journal durable). */
  event(ingestMs: number, durableMs: number): void;
  /** One event-loop turn's reading: ms from its first device message to the end of the poll phase. */
  readPhase(ms: number): void;
}

export interface SchedulerOptions {
  /** Telemetry run at once per event-loop turn, in ms of CPU, before it queues. */
  turnBudgetMs: number;
  /** Queued telemetry run per turn, in ms. */
  drainBudgetMs: number;
  /**
   * A poll phase that reads this long (ms) with telemetry waiting runs a
   * drain of `drainBudgetMs` itself, without waiting for the check phase.
   * Under overload one poll phase can read for seconds (libuv reads up to
   * 48 × 1,024 ready sockets before it returns), and the check-phase drain
   * alone then processed a few hundred messages a second while tens of
   * thousands were read and shed (docs/PERFORMANCE.md, "no collapse").
   */
  drainEveryMs: number;
  /** Queued telemetry messages at which a connection is no longer read. */
  connectionBacklog: number;
  /** Queued telemetry messages from which routine telemetry is shed as it arrives. */
  maxQueued: number;
  /**
   * Telemetry PUBACKs go out late (delayed-acks.ts) once one overload (the
   * queue at its bound, not emptied since) has lasted this long, and until
   * the queue has stayed out of overload for `lateAcksCalmMs`: at the edge
   * of capacity, short overloads cost more in delayed PUBACKs than they save.
   */
  lateAcksAfterMs: number;
  lateAcksCalmMs: number;
}

export const DEFAULT_SCHEDULER_OPTIONS: SchedulerOptions = {
  turnBudgetMs: 1,
  drainBudgetMs: 1,
  drainEveryMs: 8,
  connectionBacklog: 64,
  maxQueued: 512,
  lateAcksAfterMs: 250,
  lateAcksCalmMs: 1_000,
};

interface Queued {
  sink: UplinkSink;
  deviceId: string;
  payload: Buffer;
  packetId: number;
}

export class UplinkScheduler {
  readonly stats = { immediate: 0, queued: 0, maxQueued: 0, heldConnections: 0, shed: 0 };
  private queue: (Queued | undefined)[] = [];
  private head = 0;
  /** From the queue reaching its bound until it is empty again; when it started, when the last one ended. */
  private overloaded = false;
  private overloadStart = 0;
  private overloadEnd = 0;
  /** Telemetry PUBACKs go out late, several per write (see `lateAcksAfterMs`). */
  private acksLate = false;
  private spentThisTurn = 0;
  private turnResetScheduled = false;
  private drainScheduled = false;
  /** When the queue last started waiting or was last drained: see `drainEveryMs`. */
  private waitingSince = 0;
  /** When this turn's first device message came; undefined: none yet. */
  private readPhaseStart: number | undefined;

  constructor(
    private readonly handle: UplinkHandler,
    private readonly options: SchedulerOptions,
    private readonly extras: { triage?: TelemetryTriage | undefined; timings?: UplinkTimings | undefined } = {},
  ) {}

  /** Telemetry messages waiting now. */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  submit(sink: UplinkSink, deviceId: string, message: UplinkPublish): void {
    const timings = this.extras.timings;
    if (timings) this.timeReadPhase(timings);
    if (message.channel !== 'telemetry') {
      this.stats.immediate++;
      if (timings && message.channel === 'event') return this.runTimed(timings, sink, deviceId, message);
      this.run(sink, deviceId, message.channel, message.payload, message.packetId);
      return;
    }
    if (this.waiting > 0 && performance.now() - this.waitingSince >= this.options.drainEveryMs) this.drain();
    if (this.waiting === 0 && this.spentThisTurn < this.options.turnBudgetMs) {
      this.stats.immediate++;
      const started = performance.now();
      this.run(sink, deviceId, 'telemetry', message.payload, message.packetId, true);
      this.spend(performance.now() - started);
      return;
    }
    if (this.waiting >= this.options.maxQueued) return this.overflow(sink, deviceId, message);
    this.enqueue(sink, deviceId, message);
  }

  /** Telemetry that finds the queue at its bound: from here the hub is overloaded; routine telemetry is shed. */
  private overflow(sink: UplinkSink, deviceId: string, message: UplinkPublish): void {
    if (!this.overloaded) {
      this.overloaded = true;
      this.overloadStart = performance.now();
    }
    const triage = this.extras.triage;
    if (triage) {
      try {
        if (triage.routine(deviceId, message.payload)) return this.shed(sink, deviceId, message);
      } catch (err) {
        return sink.fail(err);
      }
    }
    this.enqueue(sink, deviceId, message);
  }

  /** Routine telemetry over the queue's bound: acknowledged now, only a sign of life kept. */
  private shed(sink: UplinkSink, deviceId: string, message: UplinkPublish): void {
    this.stats.shed++;
    this.extras.triage!.shed(deviceId, message.payload);
    if (message.packetId !== 0) this.acknowledge(sink, 'telemetry', message.packetId);
  }

  private enqueue(sink: UplinkSink, deviceId: string, message: UplinkPublish): void {
    if (this.waiting === 0) this.waitingSince = performance.now();
    // A copy: the payload is a slice of a socket chunk, which it would otherwise keep alive.
    this.queue.push({ sink, deviceId, payload: Buffer.from(message.payload), packetId: message.packetId });
    this.stats.queued++;
    this.stats.maxQueued = Math.max(this.stats.maxQueued, this.waiting);
    if (++sink.backlog === this.options.connectionBacklog) {
      this.stats.heldConnections++;
      sink.holdReads(true);
    }
    this.scheduleDrain();
  }

  private run(sink: UplinkSink, deviceId: string, channel: UplinkChannel, payload: Buffer, packetId: number, admitted = false): void {
    let pending: Promise<unknown> | undefined;
    try {
      pending = this.handle(deviceId, channel, payload, admitted);
    } catch (err) {
      sink.fail(err);
      return;
    }
    if (!pending) {
      if (packetId !== 0) this.acknowledge(sink, channel, packetId);
      return;
    }
    pending.then(
      () => packetId !== 0 && this.acknowledge(sink, channel, packetId),
      (err: unknown) => sink.fail(err),
    );
  }

  /** Under overload a telemetry PUBACK may leave late, with others of its connection; an event's or a status' never. */
  private acknowledge(sink: UplinkSink, channel: UplinkChannel, packetId: number): void {
    if (channel === 'telemetry' && (this.overloaded || this.acksLate) && this.lateAcks()) sink.ackLater(packetId);
    else sink.ack(packetId);
  }

  /** Whether telemetry PUBACKs go out late now: asked only during or soon after an overload. */
  private lateAcks(): boolean {
    const now = performance.now();
    const { lateAcksAfterMs, lateAcksCalmMs } = this.options;
    if (this.overloaded) this.acksLate ||= now - this.overloadStart >= lateAcksAfterMs;
    else if (now - this.overloadEnd >= lateAcksCalmMs) this.acksLate = false;
    return this.acksLate;
  }

  /** An event, timed: ingest is synchronous, so the first stage ends when `handle` returns. */
  private runTimed(timings: UplinkTimings, sink: UplinkSink, deviceId: string, message: UplinkPublish): void {
    const read = performance.now();
    let pending: Promise<unknown> | undefined;
    try {
      pending = this.handle(deviceId, 'event', message.payload);
    } catch (err) {
      sink.fail(err);
      return;
    }
    const ingested = performance.now();
    const acked = () => {
      timings.event(ingested - read, performance.now() - ingested);
      if (message.packetId !== 0) sink.ack(message.packetId);
    };
    if (pending) pending.then(acked, (err: unknown) => sink.fail(err));
    else acked();
  }

  /** Opens this turn's read phase at its first message; it ends at the check phase that follows the poll. */
  private timeReadPhase(timings: UplinkTimings): void {
    if (this.readPhaseStart !== undefined) return;
    this.readPhaseStart = performance.now();
    setImmediate(() => {
      timings.readPhase(performance.now() - this.readPhaseStart!);
      this.readPhaseStart = undefined;
    });
  }

  private spend(ms: number): void {
    this.spentThisTurn += ms;
    if (this.turnResetScheduled) return;
    this.turnResetScheduled = true;
    setImmediate(() => {
      this.turnResetScheduled = false;
      this.spentThisTurn = 0;
    });
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(this.drainFromCheck);
  }

  private readonly drainFromCheck = (): void => {
    this.drainScheduled = false;
    this.drain();
  };

  /** From the check phase, or from a long poll phase (`drainEveryMs`). */
  private drain(): void {
    const deadline = performance.now() + this.options.drainBudgetMs;
    this.waitingSince = deadline;
    const resumeAt = Math.floor(this.options.connectionBacklog / 2);
    while (this.head < this.queue.length) {
      const item = this.queue[this.head]!;
      this.queue[this.head++] = undefined;
      // A held connection is read again once half its backlog is done, not after every message
      // (holdReads(false) on a connection that was never held does nothing).
      if (--item.sink.backlog === resumeAt) item.sink.holdReads(false);
      this.run(item.sink, item.deviceId, 'telemetry', item.payload, item.packetId, true);
      if (performance.now() >= deadline) break;
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
      if (this.overloaded) this.overloadEnd = performance.now();
      this.overloaded = false;
    } else {
      // Drop the done front now and then so the array does not grow without bound.
      if (this.head > 4096 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      this.scheduleDrain();
    }
  }
}
