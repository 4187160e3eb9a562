/**
 * The device message a journal line records, if any: the trigger of an alert
 * line, or a test event (an alarm in a home still being installed). One
 * definition for the two places that need it — the replay that rebuilds the
 * in-memory seq window, and the PostgreSQL journal's unique message key — so
 * both agree on what counts as "this message was already handled".
 *
 * Only event messages have a key: telemetry is never deduplicated (DESIGN.md
 * §3; hub/ingest/steps.ts dedupeSeq), so a repeated gas reading still counts.
 */
import type { TestEventRecord } from '../core/hub-events.js';
import type { DeviceMessageKey } from '../storage/ports.js';
import type { AlertTrigger } from './alert.js';
import { ALERT_RECORD_TYPES, type AlertRecordData } from './alert-reducer.js';

function keyOf(source: { deviceId?: string | undefined; seq?: number | undefined; ts?: number | undefined; eventType: string } | undefined): DeviceMessageKey | undefined {
  if (!source?.deviceId || typeof source.seq !== 'number' || source.eventType === 'telemetry') return undefined;
  return { deviceId: source.deviceId, seq: source.seq, ...(typeof source.ts === 'number' ? { ts: source.ts } : {}) };
}

export function deviceMessageKeyOf(type: string, data: unknown): DeviceMessageKey | undefined {
  if (type === 'device.test_event') return keyOf(data as TestEventRecord);
  if (type === 'alert.raised') return keyOf((data as AlertRecordData['alert.raised']).alert.trigger);
  if (ALERT_RECORD_TYPES.has(type)) return keyOf((data as { trigger?: AlertTrigger }).trigger);
  return undefined;
}
