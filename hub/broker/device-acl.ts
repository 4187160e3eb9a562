/**
 * Who may connect, publish and subscribe — pure functions over the registry
 * (DESIGN.md §3). The Aedes adapter (aedes-hooks.ts) turns them into Aedes'
 * callback style.
 */
import { deviceTopic, parseTopic, type UplinkChannel } from '../../devices/topics.js';

export interface DeviceCredentialsCheck {
  deviceSecretValid(deviceId: string, secret: string): boolean;
}

export type ConnectDecision =
  /** `deviceId`: the device this connection authenticated as (connects are rate-limited per device). */
  | { ok: true; deviceId?: string }
  /**
   * MQTT 3.1.1 CONNACK return codes: 2 identifier rejected, 3 server unavailable
   * (over the connect rate: try later), 4 bad user name or password, 5 not authorized.
   */
  | { ok: false; returnCode: 2 | 3 | 4 | 5; reason: string };

/** A certificate a device presented on the MQTT TLS listener (HUB_TLS_CA set). */
export interface ClientCertificate {
  /** Signed by HUB_TLS_CA and valid now. */
  trusted: boolean;
  /** The subject's CN when it has exactly one. */
  commonName: string | undefined;
  /** Why it is not trusted (OpenSSL's verification error). */
  problem: string | undefined;
}

export interface ConnectAttempt {
  clientId: string;
  /** True when the CONNECT carried a zero-length client id. */
  clientIdWasEmpty: boolean;
  clean: boolean;
  username: string | undefined;
  password: Buffer | undefined;
  /** Set only when the device presented a client certificate. */
  certificate?: ClientCertificate | undefined;
}

export function decideConnect(attempt: ConnectAttempt, registry: DeviceCredentialsCheck): ConnectDecision {
  // MQTT-3.1.3-8: a zero-length client id with CleanSession = 0 gets CONNACK 2.
  if (attempt.clientIdWasEmpty && !attempt.clean) {
    return { ok: false, returnCode: 2, reason: 'empty client id with clean session 0' };
  }
  if (attempt.username === undefined || attempt.password === undefined) {
    return { ok: false, returnCode: 4, reason: 'no username or password' };
  }
  if (!registry.deviceSecretValid(attempt.username, attempt.password.toString('utf8'))) {
    return { ok: false, returnCode: 4, reason: 'unknown device or wrong secret' };
  }
  // A certificate adds to the secret, never replaces it (PROTOCOL.md, "TLS"): revoking or
  // rotating a secret must cut a device off at once, and the hub keeps no revocation list.
  const certificate = attempt.certificate;
  if (certificate && !certificate.trusted) {
    return { ok: false, returnCode: 5, reason: `client certificate not signed by HUB_TLS_CA (${certificate.problem ?? 'unverified'})` };
  }
  if (certificate && certificate.commonName !== attempt.username) {
    return { ok: false, returnCode: 5, reason: `client certificate CN ${JSON.stringify(certificate.commonName?.slice(0, 64) ?? null)} is not the device id` };
  }
  // Checked after the secret so this answer does not reveal which ids exist.
  // The client id must be the device id: otherwise device A's credentials could
  // connect as B and make the broker kick B off (session takeover).
  if (attempt.clientIdWasEmpty || attempt.clientId !== attempt.username) {
    return { ok: false, returnCode: 2, reason: 'client id must equal the device id (username)' };
  }
  return { ok: true, deviceId: attempt.username };
}

export type PublishDecision = { ok: true; channel: UplinkChannel } | { ok: false; reason: string };

/** A device may publish only to its own event, telemetry and status topics. */
export function decidePublish(clientId: string, topic: string): PublishDecision {
  const parsed = parseTopic(topic);
  if (!parsed) return { ok: false, reason: `not a device topic: ${topic.slice(0, 100)}` };
  if (parsed.deviceId !== clientId) return { ok: false, reason: `topic of another device: ${topic}` };
  if (parsed.channel === 'cmd') return { ok: false, reason: 'devices may not publish commands' };
  return { ok: true, channel: parsed.channel };
}

/**
 * A device may subscribe only to its own command topic, exactly: no wildcards,
 * no `$SYS`, no other device.
 */
export function decideSubscribe(clientId: string, topicFilter: string): boolean {
  return topicFilter === deviceTopic(clientId, 'cmd');
}
