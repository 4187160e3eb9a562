/**
 * A follower's device uplink, sent on to the leader that runs the pipeline
 * (issue 12 item 2; docs/CLUSTER.md "Forwarding to the leader"). `handle` is
 * the broker's UplinkHandler on a node that is not the leader:
 *
 * - `event` (alarms): stored in `inbound_alarm` (PostgreSQL, committed with
 *   synchronous_commit on) and only then resolved, so the device's PUBACK
 *   means "durable". While the database cannot be reached the promise
 *   rejects: no PUBACK, the connection closes, the device sends it again.
 *   A retransmission of an alarm still waiting is acked without a second
 *   row (the message key).
 * - `telemetry`, `status`: published on Redis and acked at once; losing them
 *   in a failover is allowed.
 * - `connection`: the broker's connect/disconnect of a device, published too.
 *
 * Each device's alarms are stored one after the other, in the order they
 * came, so the leader (which reads rows by id) sees them in that order. When
 * one fails, the ones queued behind it fail too instead of overtaking it: the
 * device sends them all again, in order, on its next connection.
 */
import type { UplinkChannel } from '../../devices/topics.js';
import type { UplinkHandler } from '../broker/uplink-scheduler.js';
import type { Logger } from '../core/logger.js';
import { Throttle } from '../core/log-throttle.js';
import { eventMessageKey } from '../ingest/journal-dedupe.js';
import { isProbeClient } from '../ops/probe-access.js';
import type { InboundAlarmStore, NewInboundAlarm } from '../storage/ports.js';
import type { ForwardedMessage } from './uplink-bus.js';

export interface UplinkForwarderDeps {
  store: InboundAlarmStore;
  publisher: { publish(message: ForwardedMessage): void };
  nodeId: string;
  /**
   * Largest alarm payload stored as it came. Pass the broker's
   * HUB_MAX_PACKET_BYTES: the broker drops bigger packets at the socket, so
   * this bound is a second line that should never bite (see `alarmOf`).
   */
  maxPayloadBytes: number;
  log: Logger;
  now?: () => number;
}

export class UplinkForwarder {
  readonly stats = { alarmsStored: 0, alarmDuplicates: 0, alarmFailures: 0, oversizeAlarms: 0 };
  /** Handed to the Redis publisher, by kind (whether Redis took them is the publisher's count). */
  readonly sent = { telemetry: 0, status: 0, connection: 0 };
  /** Per device, its last alarm not yet stored (or failed). */
  private readonly pending = new Map<string, Promise<void>>();
  private readonly failureLog = new Throttle(10_000);

  constructor(private readonly deps: UplinkForwarderDeps) {}

  /** The broker's UplinkHandler on a follower. */
  readonly handle: UplinkHandler = (deviceId: string, channel: UplinkChannel, payload: Buffer) => {
    const receivedAt = (this.deps.now ?? Date.now)();
    if (channel === 'event') return this.storeAlarm(this.alarmOf(deviceId, payload, receivedAt));
    this.deps.publisher.publish({ kind: 'uplink', node: this.deps.nodeId, deviceId, channel, payload, receivedAt });
    this.sent[channel]++;
    return undefined;
  };

  /** The broker's onConnection on a follower: the leader learns of connects and disconnects here. */
  connection(deviceId: string, connected: boolean): void {
    this.deps.publisher.publish({ kind: 'connection', node: this.deps.nodeId, deviceId, connected, at: (this.deps.now ?? Date.now)() });
    this.sent.connection++;
  }

  /**
   * The row for one alarm. Any bytes are stored as they came (bytea): a
   * payload that is not UTF-8 or not JSON, or has no seq, is still stored (a
   * row without a key), because the leader's ingest must decide about it as a
   * single hub does: seq is optional in the protocol, so a valid alarm without
   * one is processed; a bad payload is dropped and counted against the device
   * with the usual reason, where the installer looks. A payload over `maxPayloadBytes` (only possible if
   * the broker's limit is set higher) is replaced by a short text that says
   * so: ingest drops it as `not_json` with that text as the detail, and the
   * table never holds an unbounded value.
   */
  private alarmOf(deviceId: string, payload: Buffer, receivedAt: number): NewInboundAlarm {
    const { maxPayloadBytes, nodeId } = this.deps;
    if (payload.length > maxPayloadBytes) {
      this.stats.oversizeAlarms++;
      const note = Buffer.from(`payload of ${payload.length} bytes over the forwarding limit of ${maxPayloadBytes}`);
      return { deviceId, key: undefined, payload: note, receivedAt, receivedBy: nodeId };
    }
    // A copy: the payload is a slice of a socket chunk, which a queued alarm would otherwise keep alive.
    return { deviceId, key: eventMessageKey(deviceId, payload), payload: Buffer.from(payload), receivedAt, receivedBy: nodeId };
  }

  private storeAlarm(alarm: NewInboundAlarm): Promise<void> {
    const { deviceId } = alarm;
    const put = async (): Promise<void> => {
      const { stored } = await this.deps.store.put(alarm);
      // A node's pipeline heartbeat takes the alarms' way (hub/ops/pipeline-probe.ts) but is no alarm.
      if (isProbeClient(deviceId)) return;
      if (stored) this.stats.alarmsStored++;
      else this.stats.alarmDuplicates++;
    };
    const before = this.pending.get(deviceId);
    const mine = (
      before
        ? before.then(put, () => {
            throw new Error(`alarm of ${deviceId} not stored: an earlier alarm of this device was not stored`);
          })
        : put()
    ).catch((err: unknown) => {
      this.noteFailure(deviceId, err);
      throw err;
    });
    this.pending.set(deviceId, mine);
    const forget = () => {
      if (this.pending.get(deviceId) === mine) this.pending.delete(deviceId);
    };
    mine.then(forget, forget);
    return mine;
  }

  private noteFailure(deviceId: string, err: unknown): void {
    this.stats.alarmFailures++;
    const passed = this.failureLog.pass('store');
    if (passed) {
      this.deps.log.error(
        { deviceId, err: (err as Error).message, suppressedSinceLast: passed.suppressed },
        'alarm not forwarded to the leader (no PUBACK; the device will send it again)',
      );
    }
  }
}
