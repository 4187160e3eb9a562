/**
 * The one entry for device messages (`accept`): the broker hands over what
 * its ACL already parsed (device id, channel, payload) and gets back the
 * promise its PUBACK waits for. Runs the ingest steps, sheds routine
 * telemetry under overload, counts drops by reason (and bad payloads per
 * device) and logs them (throttled per device and reason so a misbehaving
 * device cannot flood the log, and to DROP_LOG_LINES_PER_SECOND over all
 * devices so a misbehaving fleet cannot either). A dropped message leaves the
 * device connected.
 */
import type { UplinkChannel } from '../../devices/topics.js';
import type { Logger } from '../core/logger.js';
import type { DeviceRecord } from '../registry/records.js';
import { LineBudget, Throttle } from '../core/log-throttle.js';
import { BAD_PAYLOAD_REASONS, type BadPayloadReason } from './device-state.js';
import { mayCarryAlarm, type TelemetryLimits } from './load-shedder.js';
import { INGEST_STEPS, notePresence, type DropReason, type IngestContext, type IngestDeps } from './steps.js';

export type IngestOutcome =
  | { accepted: true; ctx: IngestContext }
  | { accepted: false; reason: DropReason; detail: string; step: string };

const isBadPayloadReason = (reason: DropReason): reason is BadPayloadReason => (BAD_PAYLOAD_REASONS as readonly string[]).includes(reason);

/** What ingest needs of the journal and the load shedder to answer "when may the device be acked?". */
export interface IngestFlow {
  journal: {
    /** Resolves once every line journaled so far is durable. */
    whenDurable(): Promise<void>;
  };
  load: {
    /** True while overloaded: only then is the device looked up before the pipeline. */
    readonly shedding: boolean;
    /** Whether this telemetry may be shed now; counts what it sheds. */
    mayShed(deviceKind: string | undefined, payload: Buffer, limits?: TelemetryLimits, inEmergency?: boolean): boolean;
    /** Counts telemetry shed on arrival (`shed`). */
    countShed(): void;
  };
}

/** What decides, beyond the bytes, that telemetry is not routine (the composition root wires them). */
export interface IngestTriage {
  /** Where the rules raise alerts on a device's readings (hub/rules/telemetry-limits.ts): such a reading is never shed. */
  limitsOf(device: DeviceRecord): TelemetryLimits | undefined;
  /** A home with an open high or critical alert (hub/alerts/emergency-homes.ts): its position fixes are never shed. */
  inEmergency(homeId: string): boolean;
}

/** Lines about dropped device messages per second, over all devices (a line takes ~10–90 µs to write; a drop, ~1 µs). */
export const DROP_LOG_LINES_PER_SECOND = 20;

const NO_TRIAGE: IngestTriage = { limitsOf: () => undefined, inEmergency: () => false };

export class Ingest {
  readonly dropped: Record<DropReason, number> = {
    unknown_device: 0,
    not_json: 0,
    invalid_payload: 0,
    duplicate: 0,
    bad_status: 0,
  };
  accepted = 0;
  private readonly logThrottle: Throttle;
  /** Over all devices (LineBudget): the drops are still counted, per reason and per device. */
  private readonly logBudget: LineBudget;

  constructor(
    private readonly deps: IngestDeps,
    private readonly flow: IngestFlow,
    private readonly log: Logger,
    now: () => number = Date.now,
    private readonly triage: IngestTriage = NO_TRIAGE,
  ) {
    this.logThrottle = new Throttle(10_000, now);
    this.logBudget = new LineBudget(DROP_LOG_LINES_PER_SECOND, 1_000, now);
  }

  /**
   * One device message, as the broker's ACL parsed it. Returns what its PUBACK
   * must wait for (DESIGN.md §6: Aedes acks QoS 1 right after its hook), or
   * undefined when it may be acked at once:
   * - every event waits until everything journaled so far is durable — a
   *   retransmitted alarm, dropped here as a duplicate, must not be acked
   *   before the original's line is on disk — and for what it caused: a
   *   write refused outright rejects, and the device sends the event again;
   * - telemetry waits only for what it caused (a gas reading at 20 % LEL,
   *   0 bpm, a commissioning tick), which listeners add to the signal's
   *   `writes`; plain telemetry is acked at once.
   */
  accept(deviceId: string, channel: UplinkChannel, payload: Buffer, receivedAt: number, admitted = false): Promise<unknown> | undefined {
    // The device lookup only under overload: in normal running this costs nothing per message.
    // Telemetry the broker's scheduler admitted within its budgets is not shed here: that scheduler
    // is the overload authority for what the hub reads itself (hub/broker/uplink-scheduler.ts).
    if (channel === 'telemetry' && !admitted && this.flow.load.shedding && this.mayShed(deviceId, payload)) {
      this.touch(deviceId, receivedAt);
      return undefined;
    }
    const outcome = this.handle(deviceId, channel, payload, receivedAt);
    const writes = outcome.accepted ? outcome.ctx.signal?.writes : undefined;
    const caused = writes && writes.length > 0 ? Promise.all(writes) : undefined;
    // An event's writes are in the journal's queue already, so they add nothing to its wait, unless
    // one was refused before it was queued (hub/rules/engine.ts `submit`): then no PUBACK.
    if (channel !== 'event') return caused;
    if (!caused || !outcome.accepted) return this.flow.journal.whenDurable();
    const { ctx } = outcome;
    const refused = caused.catch((err: unknown) => {
      // Nothing of it was written: its resend must be processed, not dropped as a duplicate.
      if (ctx.device && ctx.seqKey !== undefined) this.deps.seqWindow.release(ctx.device.id, ctx.seqKey);
      throw err;
    });
    return Promise.all([this.flow.journal.whenDurable(), refused]);
  }

  /**
   * Whether this telemetry is routine: it may be shed under overload,
   * acknowledged but not processed, because losing it loses no alarm
   * (DESIGN.md §8: the next reading replaces it). Not routine: a device not
   * known here (ingest decides about it), a revoked one, one of a home being
   * installed (its PUBACK waits for the commissioning tick: a press the
   * installer saw acknowledged is on the checklist), and a payload that may
   * carry an alarm (load-shedder.ts). Asked by the broker's scheduler for
   * telemetry that finds its queue full (hub/broker/uplink-scheduler.ts).
   */
  routine(deviceId: string, payload: Buffer): boolean {
    const device = this.deps.registry.getDevice(deviceId);
    if (!device || device.revokedAt || mayCarryAlarm(device.kind, payload, this.triage.limitsOf(device), this.triage.inEmergency(device.homeId))) return false;
    return this.deps.registry.getHome(device.homeId)?.status !== 'installing';
  }

  private mayShed(deviceId: string, payload: Buffer): boolean {
    const device = this.deps.registry.getDevice(deviceId);
    return this.flow.load.mayShed(device?.kind, payload, device && this.triage.limitsOf(device), device !== undefined && this.triage.inEmergency(device.homeId));
  }

  /** Routine telemetry shed as it arrived (the scheduler's queue was full): a sign of life, counted. */
  shed(deviceId: string, receivedAt: number): void {
    this.flow.load.countShed();
    this.touch(deviceId, receivedAt);
  }

  /**
   * The shed path for routine telemetry under overload: only a sign of life
   * (last seen, watchdog, back online) — no parsing, validation or rules.
   */
  touch(deviceId: string, receivedAt: number): void {
    const device = this.deps.registry.getDevice(deviceId);
    if (!device || device.revokedAt) return;
    const { change } = notePresence(this.deps, device, receivedAt, { offline: false, reason: 'message' });
    if (change) this.deps.bus.emit('device.status', change);
  }

  /**
   * Per device, for the installer (PROTOCOL.md "Bad payloads"): once the
   * device is known (after findDevice), a bad payload is counted on its live
   * state with the reason and time.
   */
  private countBadPayload(ctx: IngestContext, reason: DropReason, detail: string): void {
    const device = ctx.device;
    if (!device || !isBadPayloadReason(reason)) return;
    const state = this.deps.states.ensure(device.id, device.homeId, device.kind);
    this.deps.states.recordBadPayload(state, { reason, detail, at: ctx.receivedAt });
  }

  /** Runs the steps; exported for tests that look at a drop's reason. */
  handle(deviceId: string, channel: UplinkChannel, payload: Buffer, receivedAt: number): IngestOutcome {
    const ctx: IngestContext = { deviceId, channel, payload, receivedAt };
    for (const step of INGEST_STEPS) {
      const result = step.run(ctx, this.deps);
      if (result) {
        this.dropped[result.drop]++;
        this.countBadPayload(ctx, result.drop, result.detail);
        const passed = this.logThrottle.pass(`${deviceId}:${channel}:${result.drop}`);
        const budget = passed && this.logBudget.take();
        if (passed && budget) {
          this.log.warn(
            { deviceId, channel, reason: result.drop, detail: result.detail, step: step.name, suppressedSinceLast: passed.suppressed, heldBackOverall: budget.heldBack },
            'device message dropped',
          );
        }
        return { accepted: false, reason: result.drop, detail: result.detail, step: step.name };
      }
    }
    this.accepted++;
    return { accepted: true, ctx };
  }
}
