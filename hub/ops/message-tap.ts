/**
 * Sits in front of the hub's device-message entry (the handler the broker's
 * pre-ack hook calls) and does two small things there, so the broker and
 * ingest stay untouched:
 * - takes the pipeline probe's heartbeats out of the device path (they must
 *   never become device state, readings, alerts or KPIs; a standby's go on
 *   to the leader, as its alarms do);
 * - counts messages per channel and times each event's PUBACK for /metrics.
 * Per telemetry message: one string comparison and one increment.
 */
import { performance } from 'node:perf_hooks';
import type { DeviceMessageHandler } from '../ingest/journal-dedupe.js';
import type { MessageCounts } from './metrics.js';

export interface MessageTap {
  probe: { isProbe(clientId: string): boolean; arrive(payload: Buffer, forward: () => Promise<unknown> | undefined): Promise<unknown> | undefined };
  counts: MessageCounts;
  pubackSeconds: { observe(seconds: number): void };
}

export function tapDeviceMessages(tap: MessageTap, next: DeviceMessageHandler): DeviceMessageHandler {
  const { probe, counts, pubackSeconds } = tap;
  return (deviceId, channel, payload, admitted) => {
    // A standby's heartbeat goes on to the leader the way its alarms do (pipeline-probe.ts).
    if (probe.isProbe(deviceId)) return probe.arrive(payload, () => next(deviceId, channel, payload, admitted));
    counts[channel]++;
    const pending = next(deviceId, channel, payload, admitted);
    if (channel !== 'event' || !pending) return pending;
    const started = performance.now();
    const observe = () => pubackSeconds.observe((performance.now() - started) / 1000);
    pending.then(observe, observe);
    return pending;
  };
}
