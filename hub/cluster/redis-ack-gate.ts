/**
 * A node acknowledges alarms only while it reaches Redis (issue 12 item 6;
 * docs/CLUSTER.md "When a node loses Redis or PostgreSQL").
 *
 * The alarm is still made durable first — the journal on the leader,
 * `inbound_alarm` on a standby — so operators see it without delay. Only the
 * PUBACK is withheld: without Redis, what closes the loop for the device
 * (`help_coming`, `silence`, `configure`, routed by Aedes over Redis) cannot
 * reach it, so this node must not tell the device "received". The rejection
 * closes the connection (hub/broker/aedes-hooks.ts); the device reconnects —
 * through the load balancer, which has taken this node out on its 503 — and
 * sends the alarm again, and the journal's unique message key (device, seq,
 * ts) makes the repeat a duplicate, acked without a second alert.
 *
 * Only `event` is held back: telemetry and status are acked as before (they
 * may be lost by design). The check is one boolean read after the store
 * (redis-links.ts), so an alarm that arrives just as Redis goes is judged by
 * the state at the moment of its PUBACK.
 */
import type { Logger } from '../core/logger.js';
import { Throttle } from '../core/log-throttle.js';
import type { DeviceMessageHandler } from '../ingest/journal-dedupe.js';

export class AckWithheldError extends Error {
  override name = 'AckWithheldError';
}

export function ackAlarmsOnlyWithRedis(redis: { readonly up: boolean }, next: DeviceMessageHandler, log: Logger): DeviceMessageHandler {
  const throttle = new Throttle(10_000);
  const withhold = (deviceId: string): never => {
    const passed = throttle.pass('withheld');
    if (passed) log.warn({ deviceId, suppressedSinceLast: passed.suppressed }, 'alarm stored, PUBACK withheld: Redis unreachable (the device sends it again; its message key drops the repeat)');
    throw new AckWithheldError('Redis unreachable: alarm stored, PUBACK withheld');
  };
  return (deviceId, channel, payload) => {
    const pending = next(deviceId, channel, payload);
    if (channel !== 'event') return pending;
    const judge = () => {
      if (!redis.up) withhold(deviceId);
    };
    if (pending) return pending.then(judge);
    return redis.up ? undefined : Promise.resolve().then(judge);
  };
}
