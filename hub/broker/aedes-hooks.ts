/**
 * The one adapter between the pure access decisions (an AccessPolicy: the
 * device policy of device-acl.ts by default) and Aedes' callback-style hooks. Following DESIGN.md §2, authorizePublish never rejects
 * a publish for its payload (that would disconnect the device); payloads are
 * judged by ingest, which drops bad ones and keeps the device connected.
 */
import type { AedesOptions, AuthenticateError, Client } from 'aedes';
import type { UplinkChannel } from '../../devices/topics.js';
import type { AccessPolicy } from './access-policy.js';
import type { ClientCertificate } from './device-acl.js';

export type BrokerAccessHooks = Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe'>;

export interface BrokerHookDeps {
  policy: AccessPolicy;
  /** This broker instance's id (Aedes' `id`): wills stored by another instance carry theirs. */
  brokerId(): string;
  /** One token per publish; false when the device is over its rate. */
  takePublishToken(deviceId: string): boolean;
  /** One token per successful authentication of a device; false when it reconnects too often. */
  takeConnectToken(deviceId: string): boolean;
  /** A CONNECT arrived for this client id (before authentication: it may only finish what is under way). */
  beforeConnect?(clientId: string): void;
  /** The client passed authentication (an earlier connection of the same id, if any, is about to be replaced). */
  onAuthenticated?(client: Client): void;
  /** Aedes asks about the will of a connection the device had already replaced: it is dropped (superseded-connections.ts). */
  isWillOfReplaced?(client: Client): boolean;
  /**
   * Handles an authorised device message. A returned promise delays the
   * PUBACK until it settles; a rejection drops the connection without a
   * PUBACK, so the device retransmits.
   */
  onDeviceMessage(deviceId: string, channel: UplinkChannel, payload: Buffer): Promise<unknown> | undefined;
  refuse(action: 'connect' | 'publish' | 'subscribe' | 'rate_limit', client: Client | null, reason: string, extra?: Record<string, unknown>): void;
  /** The client certificate of a TLS connection, if the device presented one. */
  certificateOf?(client: Client): ClientCertificate | undefined;
}

/** Clients that sent a zero-length client id (Aedes replaces it with a random one before authenticate). */
const emptyClientIds = new WeakSet<Client>();

export function brokerHooks(deps: BrokerHookDeps): BrokerAccessHooks {
  return {
    preConnect(client, packet, callback) {
      if (!packet.clientId) emptyClientIds.add(client);
      else deps.beforeConnect?.(packet.clientId);
      callback(null, true);
    },
    authenticate: authenticateHook(deps),
    authorizePublish: authorizePublishHook(deps),
    authorizeSubscribe(client, subscription, callback) {
      const decision = deps.policy.subscribe(client.id, subscription.topic);
      if (decision.ok) return callback(null, subscription);
      deps.refuse('subscribe', client, decision.reason, { topic: subscription.topic.slice(0, 200) });
      // null → SUBACK 0x80 for this topic; the connection stays up (MQTT 3.1.1 §3.9.3).
      callback(null, null);
    },
  };
}

/** The policy's connect decision, then the device's connect rate. */
function authenticateHook(deps: BrokerHookDeps): NonNullable<AedesOptions['authenticate']> {
  return (client, username, password, callback) => {
    const certificate = deps.certificateOf?.(client);
    const decision = deps.policy.connect({ clientId: client.id, clientIdWasEmpty: emptyClientIds.has(client), clean: client.clean, username, password, certificate });
    if (!decision.ok) {
      // Cut like a refused topic: a stranger's username is audited, never at any length (a standby hands it on, audit-hand-off.ts).
      deps.refuse('connect', client, decision.reason, { username: username?.slice(0, 200), returnCode: decision.returnCode });
      return callback(refusal(decision.reason, decision.returnCode), false);
    }
    // Counted only once the credentials are right: a stranger guessing at a device id
    // must not be able to use up that device's connects.
    if (decision.deviceId !== undefined && !deps.takeConnectToken(decision.deviceId)) {
      const reason = 'connect rate limit exceeded';
      deps.refuse('rate_limit', client, reason, { returnCode: 3 });
      return callback(refusal(reason, 3), false);
    }
    deps.onAuthenticated?.(client);
    callback(null, true);
  };
}

/** Wills from elsewhere pass; then the policy, the publish rate, and a device's message handed to ingest before the PUBACK. */
function authorizePublishHook(deps: BrokerHookDeps): NonNullable<AedesOptions['authorizePublish']> {
  return (client, packet, callback) => {
    // A will published on behalf of a client that lived on another broker instance.
    if (!client) return callback(null);
    // The same, for a device that has reconnected here since (Aedes passes its new client).
    // Its old connection ended because its node died, not because the device did: the will
    // says nothing about the device, which is online here, so it is routed but not taken in
    // (the watchdog still catches a device that never came back).
    const willOf = (packet as { brokerId?: string }).brokerId;
    if (willOf !== undefined && willOf !== deps.brokerId()) return callback(null);
    const decision = deps.policy.publish(client.id, packet.topic);
    if (!decision.ok) {
      deps.refuse('publish', client, decision.reason, { topic: packet.topic.slice(0, 200) });
      return callback(new Error(decision.reason));
    }
    // A device's will from a connection it replaced with a newer one: neither routed nor taken in
    // (Aedes then only deletes it); not a refusal, so nothing is audited. Other clients (the
    // conformance profile) keep Aedes' behaviour.
    if (decision.channel !== undefined && deps.isWillOfReplaced?.(client)) return callback(new Error('will of a replaced connection'));
    if (!deps.takePublishToken(client.id)) {
      deps.refuse('rate_limit', client, 'publish rate limit exceeded');
      return callback(new Error('publish rate limit exceeded'));
    }
    // Not a device's uplink message (the conformance profile): Aedes routes it as usual.
    if (decision.channel === undefined) return callback(null);
    let pending: Promise<unknown> | undefined;
    try {
      pending = deps.onDeviceMessage(client.id, decision.channel, packet.payload as Buffer);
    } catch (err) {
      return callback(err as Error);
    }
    if (pending) pending.then(() => callback(null), (err: Error) => callback(err));
    else callback(null);
  };
}

function refusal(reason: string, returnCode: AuthenticateError['returnCode']): AuthenticateError {
  const err = new Error(reason) as AuthenticateError;
  err.returnCode = returnCode;
  return err;
}
