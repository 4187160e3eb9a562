/**
 * Overload protection (DESIGN.md §10: "alarms must overtake telemetry under
 * overload: shed telemetry first"). The event loop's utilisation is sampled a
 * few times a second; above ENTER the hub sheds routine telemetry — it still
 * counts as a sign of life, but is not parsed, validated or run through the
 * rules — until utilisation falls below LEAVE. Events (SOS, fall, smoke, gas…)
 * are never shed, and neither is telemetry that may carry an alarm: every gas
 * alarm reading (LEL) and a bracelet reading of 0 bpm.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

export const ENTER_UTILISATION = 0.95;
export const LEAVE_UTILISATION = 0.8;
const SAMPLE_MS = 250;

/** Returns the event loop's utilisation (0–1) since the previous call. */
export type UtilisationSampler = () => number;

export function eventLoopSampler(): UtilisationSampler {
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, last);
    last = now;
    return delta.utilization;
  };
}

export class LoadShedder {
  shedding = false;
  utilisation = 0;
  shedTelemetry = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sample: UtilisationSampler,
    private readonly onChange: (shedding: boolean, utilisation: number) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.check(), SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One sample; public so tests can step it. */
  check(): void {
    this.utilisation = this.sample();
    const next = this.shedding ? this.utilisation > LEAVE_UTILISATION : this.utilisation >= ENTER_UTILISATION;
    if (next !== this.shedding) {
      this.shedding = next;
      this.onChange(next, this.utilisation);
    }
  }

  /**
   * Whether this telemetry message may be shed now. A cheap look at the raw
   * bytes, no JSON parse: gas alarms are never shed (their LEL readings are
   * alarms), and a bracelet payload with a zero heart rate is kept.
   */
  mayShed(deviceKind: string | undefined, payload: Buffer): boolean {
    if (!this.shedding || deviceKind === 'gas_alarm' || deviceKind === undefined) return false;
    if (deviceKind === 'bracelet' && /"heartRate"\s*:\s*0(?![\d.])/.test(payload.toString('latin1'))) return false;
    this.shedTelemetry++;
    return true;
  }
}
