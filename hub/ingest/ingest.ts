/**
 * Runs the ingest steps over one device message, counts drops by reason and
 * logs them (throttled per device and reason so a misbehaving device cannot
 * flood the log). A dropped message leaves the device connected.
 */
import type { Logger } from '../core/logger.js';
import { Throttle } from '../core/log-throttle.js';
import { INGEST_STEPS, notePresence, type DropReason, type IngestContext, type IngestDeps } from './steps.js';

export type IngestOutcome =
  | { accepted: true; ctx: IngestContext }
  | { accepted: false; reason: DropReason; detail: string; step: string };

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

  handle(topic: string, payload: Buffer, receivedAt: number): IngestOutcome {
    const ctx: IngestContext = { topic, payload, receivedAt };
    for (const step of INGEST_STEPS) {
      const result = step.run(ctx, this.deps);
      if (result) {
        this.dropped[result.drop]++;
        if (ctx.state) ctx.state.dropped++;
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
