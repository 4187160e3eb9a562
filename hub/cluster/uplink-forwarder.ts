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
 *
 * **Owners** (issue 12 step 3, checklist item 4; docs/CLUSTER.md "Alarms
 * that arrive at a node that does not own the home"), both optional, absent
 * meaning today's one leader:
 * - with `homeOfDevice` (the registry) each alarm row carries the partition
 *   of the device's home (-1 for a device with no known home and for a
 *   node's own rows: the leader's), and the owner's drain takes it;
 * - with `directory` telemetry, status and connections go to the stream of
 *   the node that owns the device's partition now (uplink-bus.ts); those of
 *   partition -1 to the leader's stream, as before. A partition nobody holds
 *   (between two owners) has nobody to act on a reading: it is dropped and
 *   counted (`routing.noOwner`), as DESIGN.md §8 allows for telemetry.
 * The composition root calls `handle` only for the homes this node does not
 * own (owner-routing.ts `splitByOwner`); one it owns would still arrive,
 * through its own stream.
 */
import type { UplinkChannel } from '../../devices/topics.js';
import type { UplinkHandler } from '../broker/uplink-scheduler.js';
import type { Logger } from '../core/logger.js';
import { Throttle } from '../core/log-throttle.js';
import type { PartitionDirectory } from '../core/partition-directory.js';
import { HOMELESS_PARTITION } from '../core/partitions.js';
import { eventMessageKey } from '../ingest/journal-dedupe.js';
import { isProbeClient } from '../ops/probe-access.js';
import type { InboundAlarmStore, NewInboundAlarm } from '../storage/ports.js';
import { devicePartition, type HomeOfDevice } from './owner-routing.js';
import type { ForwardedMessage } from './uplink-bus.js';

/** Sends a message to the leader's stream, or with `toNode` to that node's own (UplinkPublisher). */
export interface ForwardPublisher {
  publish(message: ForwardedMessage, toNode?: string): void;
}

export interface UplinkForwarderDeps {
  store: InboundAlarmStore;
  publisher: ForwardPublisher;
  nodeId: string;
  /**
   * Largest alarm payload stored as it came. Pass the broker's
   * HUB_MAX_PACKET_BYTES: the broker drops bigger packets at the socket, so
   * this bound is a second line that should never bite (see `alarmOf`).
   */
  maxPayloadBytes: number;
  log: Logger;
  now?: () => number;
  /** The registry: the home of a device now. Given: each alarm row carries its home's partition. */
  homeOfDevice?: HomeOfDevice | undefined;
  /** Who owns each partition now. Given: telemetry, status and connections go to the owner's stream, not the leader's. */
  directory?: PartitionDirectory | undefined;
}

export class UplinkForwarder {
  readonly stats = { alarmsStored: 0, alarmDuplicates: 0, alarmFailures: 0, oversizeAlarms: 0 };
  /** Handed to the Redis publisher, by kind (whether Redis took them is the publisher's count). */
  readonly sent = { telemetry: 0, status: 0, connection: 0 };
  /** Not sent: the device's partition had no owner in the directory (telemetry, status and connections only). */
  readonly routing = { noOwner: 0 };
  /** Per device, its last alarm not yet stored (or failed). */
  private readonly pending = new Map<string, Promise<void>>();
  private readonly failureLog = new Throttle(10_000);

  constructor(private readonly deps: UplinkForwarderDeps) {}

  /** The broker's UplinkHandler on a follower. */
  readonly handle: UplinkHandler = (deviceId: string, channel: UplinkChannel, payload: Buffer) => {
    const receivedAt = (this.deps.now ?? Date.now)();
    if (channel === 'event') return this.storeAlarm(this.alarmOf(deviceId, payload, receivedAt));
    if (this.send({ kind: 'uplink', node: this.deps.nodeId, deviceId, channel, payload, receivedAt })) this.sent[channel]++;
    return undefined;
  };

  /** The broker's onConnection on a follower: the leader (or the home's owner) learns of connects and disconnects here. */
  connection(deviceId: string, connected: boolean): void {
    if (this.send({ kind: 'connection', node: this.deps.nodeId, deviceId, connected, at: (this.deps.now ?? Date.now)() })) this.sent.connection++;
  }

  /** The partition whose owner takes this device's messages (-1: the leader's); undefined without the registry (today's one leader). */
  partitionOf(deviceId: string): number | undefined {
    return this.deps.homeOfDevice ? devicePartition(this.deps.homeOfDevice, deviceId) : undefined;
  }

  /** To the owner's stream, or the leader's; false when the partition has no owner now (dropped, counted). */
  private send(message: ForwardedMessage): boolean {
    const { directory, publisher } = this.deps;
    const partition = directory ? (this.partitionOf(message.deviceId) ?? HOMELESS_PARTITION) : HOMELESS_PARTITION;
    if (partition === HOMELESS_PARTITION) {
      publisher.publish(message);
      return true;
    }
    const owner = directory?.ownerOf(partition);
    if (owner === undefined) {
      this.routing.noOwner++;
      return false;
    }
    publisher.publish(message, owner);
    return true;
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
      return { deviceId, key: undefined, payload: note, receivedAt, receivedBy: nodeId, partition: this.partitionOf(deviceId) };
    }
    // A copy: the payload is a slice of a socket chunk, which a queued alarm would otherwise keep alive.
    return { deviceId, key: eventMessageKey(deviceId, payload), payload: Buffer.from(payload), receivedAt, receivedBy: nodeId, partition: this.partitionOf(deviceId) };
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
