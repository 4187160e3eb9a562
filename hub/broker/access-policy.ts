/**
 * Who may connect, publish and subscribe, as one pluggable object of pure
 * decisions. The hub runs the device policy (device-acl.ts, DESIGN.md §3); the
 * conformance profile (`npm run broker:conformance`, issue 7) runs an open
 * policy so that third-party MQTT test suites can be pointed at the same
 * broker, with the same packet guard and rate limits in front of it.
 */
import type { UplinkChannel } from '../../devices/topics.js';
import { decideConnect, decidePublish, decideSubscribe, type ConnectAttempt, type ConnectDecision, type DeviceCredentialsCheck } from './device-acl.js';

export type { ConnectAttempt, ConnectDecision } from './device-acl.js';

/** `channel` is set for a device's uplink message: the hub consumes it before the PUBACK. */
export type AccessPublishDecision = { ok: true; channel?: UplinkChannel } | { ok: false; reason: string };
export type AccessSubscribeDecision = { ok: true } | { ok: false; reason: string };

export interface AccessPolicy {
  readonly name: string;
  /** Whether publish() names uplink channels: then the broker cuts connections into packets to take them itself (uplink-tap.ts). */
  readonly uplink: boolean;
  connect(attempt: ConnectAttempt): ConnectDecision;
  publish(clientId: string, topic: string): AccessPublishDecision;
  subscribe(clientId: string, topicFilter: string): AccessSubscribeDecision;
}

/** The default: per-device credentials, own uplink topics, own cmd topic (device-acl.ts). */
export function devicePolicy(registry: DeviceCredentialsCheck): AccessPolicy {
  return {
    name: 'device',
    uplink: true,
    connect: (attempt) => decideConnect(attempt, registry),
    publish: (clientId, topic) => decidePublish(clientId, topic),
    subscribe: (clientId, filter) =>
      decideSubscribe(clientId, filter) ? { ok: true } : { ok: false, reason: 'devices may subscribe only to their own cmd topic' },
  };
}

/** The topic filter the conformance profile refuses (the name interoperability suites expect). */
export const CONFORMANCE_REFUSED_FILTER = 'test/nosubscribe';

/**
 * The conformance profile: anonymous access, any topic, except a subscription
 * to `test/nosubscribe` (SUBACK 0x80) and publishing to `$`-topics, which the
 * broker reserves for itself (MQTT 3.1.1 §4.7.2). An empty client id with
 * clean session 0 still gets CONNACK 2 (MQTT-3.1.3-8), which Aedes itself
 * would accept.
 */
export function conformancePolicy(): AccessPolicy {
  return {
    name: 'conformance',
    uplink: false,
    connect: (attempt) =>
      attempt.clientIdWasEmpty && !attempt.clean ? { ok: false, returnCode: 2, reason: 'empty client id with clean session 0' } : { ok: true },
    publish: (_clientId, topic) => (topic.startsWith('$') ? { ok: false, reason: '$-topics are reserved for the broker' } : { ok: true }),
    subscribe: (_clientId, filter) => (filter === CONFORMANCE_REFUSED_FILTER ? { ok: false, reason: `subscriptions to ${CONFORMANCE_REFUSED_FILTER} are refused` } : { ok: true }),
  };
}
