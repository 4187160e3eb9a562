/**
 * The heartbeat's way into the broker (issue 12 item 7). The probe is a real
 * MQTT client over loopback TCP, so a heartbeat crosses the same listener,
 * packet guard, Aedes and authorizePublish hook as every alarm. It
 * authenticates with a random secret that exists only in this process, under
 * a client id no device can have (device ids never contain a dot,
 * devices/topics.ts), and may only publish its own heartbeat topic: this
 * wraps the device policy and hands everyone else to it unchanged.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AccessPolicy } from '../broker/access-policy.js';

export interface ProbeIdentity {
  clientId: string;
  topic: string;
  password: string;
}

/** Every node's probe client id starts so (a device id never has a dot); the leader knows its standbys' by it. */
export const PROBE_CLIENT_PREFIX = 'hub.probe.';

/** A node's heartbeat, not a device: forwarded and drained like an alarm, but never counted as one. */
export const isProbeClient = (clientId: string): boolean => clientId.startsWith(PROBE_CLIENT_PREFIX);

export function probeIdentity(nodeId: string): ProbeIdentity {
  return { clientId: `${PROBE_CLIENT_PREFIX}${nodeId}`, topic: `hub/probe/${nodeId}`, password: randomBytes(32).toString('hex') };
}

export function withProbe(inner: AccessPolicy, probe: ProbeIdentity): AccessPolicy {
  const expected = Buffer.from(probe.password);
  const passwordMatches = (given: Buffer | undefined) => given !== undefined && given.length === expected.length && timingSafeEqual(given, expected);
  return {
    name: inner.name,
    uplink: inner.uplink,
    connect: (attempt) => {
      if (attempt.clientId !== probe.clientId) return inner.connect(attempt);
      if (attempt.username === probe.clientId && passwordMatches(attempt.password)) return { ok: true };
      return { ok: false, returnCode: 5, reason: 'the probe client id is reserved for the hub itself' };
    },
    publish: (clientId, topic) => {
      if (clientId !== probe.clientId) return inner.publish(clientId, topic);
      // `event`: the broker hands it to the hub before the PUBACK, exactly like an alarm.
      return topic === probe.topic ? { ok: true, channel: 'event' } : { ok: false, reason: 'the probe publishes only its heartbeat topic' };
    },
    subscribe: (clientId, filter) => (clientId === probe.clientId ? { ok: false, reason: 'the probe subscribes to nothing' } : inner.subscribe(clientId, filter)),
  };
}
