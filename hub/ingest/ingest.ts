/**
 * Runs the ingest steps over one device message, counts drops by reason (and
 * bad payloads per device) and logs them (throttled per device and reason so a misbehaving device cannot
 * flood the log). A dropped message leaves the device connected.
 */
import type { Logger } from '../core/logger.js';
import { Throttle } from '../core/log-throttle.js';
import { BAD_PAYLOAD_REASONS, type BadPayloadReason } from './device-state.js';
import { INGEST_STEPS, notePresence, type DropReason, type IngestContext, type IngestDeps } from './steps.js';

export type IngestOutcome =
  | { accepted: true; ctx: IngestContext }
  | { accepted: false; reason: DropReason; detail: string; step: string };

const isBadPayloadReason = (reason: DropReason): reason is BadPayloadReason => (BAD_PAYLOAD_REASONS as readonly string[]).includes(reason);

export class Ingest {
  readonly dropped: Record<DropReason, number> = {
    bad_topic: 0,
    unknown_device: 0,
    not_json: 0,
    invalid_payload: 0,
    duplicate: 0,
    bad_status: 0,
  };
  accepted = 0;
  private readonly logThrottle: Throttle;

  constructor(
    private readonly deps: IngestDeps,
    private readonly log: Logger,
    now: () => number = Date.now,
  ) {
    this.logThrottle = new Throttle(10_000, now);
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

  handle(topic: string, payload: Buffer, receivedAt: number): IngestOutcome {
    const ctx: IngestContext = { topic, payload, receivedAt };
    for (const step of INGEST_STEPS) {
      const result = step.run(ctx, this.deps);
      if (result) {
        this.dropped[result.drop]++;
        this.countBadPayload(ctx, result.drop, result.detail);
        const passed = this.logThrottle.pass(`${topic}:${result.drop}`);
        if (passed) {
          this.log.warn(
            { topic, reason: result.drop, detail: result.detail, step: step.name, suppressedSinceLast: passed.suppressed },
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
