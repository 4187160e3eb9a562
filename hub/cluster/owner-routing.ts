/**
 * Where a device's work goes once homes have owners (issue 12 step 3,
 * checklist item 4; docs/CLUSTER.md "Alarms that arrive at a node that does
 * not own the home"): the partition of the device's home decides which node
 * drains its alarm rows and reads its telemetry. The forwarder, the drain
 * and the composition root ask the same three questions here, so they never
 * disagree on a device's partition:
 *
 * - `devicePartition`: the partition of a device's home, -1 (the leader's)
 *   for a device with no known home and for a node's own rows (pipeline
 *   heartbeats, forwarded audit records), which stay with the leader as
 *   before owners;
 * - `drainsFor`: which rows a node drains — its owned partitions, and -1 and
 *   NULL (rows of an older node) while it leads;
 * - `splitByOwner`: a node's broker handler that takes in itself what its
 *   own partitions' devices send and forwards the rest.
 */
import type { UplinkChannel } from '../../devices/topics.js';
import type { UplinkHandler } from '../broker/uplink-scheduler.js';
import type { PartitionOwnership } from '../core/partition-ownership.js';
import { HOMELESS_PARTITION, partitionOf } from '../core/partitions.js';
import { isNodeRow } from './forwarded-audit.js';

/** The registry's answer: the home a device belongs to now, undefined when it has none (or is unknown). */
export type HomeOfDevice = (deviceId: string) => string | undefined;

/** Which rows a drain takes: a partition, or null for a row stored without one (an older node's). */
export type DrainsPartition = (partition: number | null) => boolean;

/** The partition whose owner takes this device's messages; -1 (the leader's) for a node's own rows and a device without a home. */
export function devicePartition(homeOfDevice: HomeOfDevice, deviceId: string): number {
  if (isNodeRow(deviceId)) return HOMELESS_PARTITION;
  return partitionOf(homeOfDevice(deviceId));
}

/**
 * A node drains the rows of the partitions it owns; the leader also those
 * of partition -1 and those without a partition (written before owners, or
 * by a node of an older version), as it drained every row before.
 *
 * `holdsNow` (OwnerLeases.holdsNow), when given, must also say the lease is
 * held at this instant: the services hear of a lease that ran out only when
 * its expiry timer runs (a process frozen past its lease reads its sockets
 * before its timers), and until then what they take in would have its
 * journal line refused by the fence. Given, the work goes to the partition's
 * next owner at once.
 */
export function drainsFor(ownership: Pick<PartitionOwnership, 'ownsPartition'>, isLeader: () => boolean, holdsNow?: (partition: number) => boolean): DrainsPartition {
  return (partition) => (partition === null || partition === HOMELESS_PARTITION ? isLeader() : ownership.ownsPartition(partition) && (holdsNow?.(partition) ?? true));
}

export interface OwnerSplit {
  /** What its own partitions' devices send goes into this node's pipeline. */
  local: UplinkHandler;
  /** The rest: UplinkForwarder.handle, towards the owner. */
  forward: UplinkHandler;
  /** Devices connecting and leaving, split the same way. */
  localConnection(deviceId: string, connected: boolean): void;
  forwardConnection(deviceId: string, connected: boolean): void;
}

/**
 * The broker's handlers on a node that owns some partitions: the owner's own
 * devices are taken in here (an alarm's PUBACK waits for this node's
 * journal), every other device's messages go to its owner. Asked per
 * message, so a partition gained or lost counts from the next message on.
 */
export function splitByOwner(
  ownership: Pick<PartitionOwnership, 'ownsPartition'>,
  homeOfDevice: HomeOfDevice,
  isLeader: () => boolean,
  to: OwnerSplit,
  holdsNow?: (partition: number) => boolean,
): { handle: UplinkHandler; connection(deviceId: string, connected: boolean): void } {
  const drains = drainsFor(ownership, isLeader, holdsNow);
  const mine = (deviceId: string) => drains(devicePartition(homeOfDevice, deviceId));
  return {
    handle: (deviceId: string, channel: UplinkChannel, payload: Buffer) => (mine(deviceId) ? to.local : to.forward)(deviceId, channel, payload),
    connection: (deviceId, connected) => (mine(deviceId) ? to.localConnection(deviceId, connected) : to.forwardConnection(deviceId, connected)),
  };
}
