/**
 * Which Redis streams carry forwarded uplink (uplink-bus.ts): their keys, and
 * which of them a reader takes. Kept apart from the publisher and the reader
 * because both name the same keys, and why there is one stream per node is a
 * decision of its own.
 *
 * **Owners** (issue 12 step 3, checklist item 4). A home's telemetry must
 * reach the node that owns its partition. Each node has a stream of its own,
 * `${HUB_REDIS_PREFIX}uplink:<node id>`, which only it reads: the forwarder
 * sends a message to the stream of its partition's owner (as the partition
 * directory names it), and the leader keeps reading `uplink` for partition -1
 * (devices without a home) and for standbys of an older version. Why one
 * stream per node and not one per partition (256):
 * - **the packing stays.** The cost of a forwarded message is paid by the
 *   entry (one XADD on the sender, one parse on the reader; the 10 ms entries
 *   took it from 34 to 18–21 µs a message, docs/PERFORMANCE.md). Split over
 *   256 partition streams, a standby's 10 ms of messages would make up to
 *   256 entries of about one message each — the per-message cost again;
 *   split over the owners, at most one entry per node per 10 ms.
 * - **one key per read.** An owner's partitions change with the leases; a
 *   read over its partitions' keys would have to be cut and made again at
 *   every gain and loss (a blocked XREADGROUP cannot change its keys), and
 *   Redis would hold 256 streams of up to the length bound each.
 * - **what it loses is allowed.** A message sent to a node that has just
 *   lost the partition is dropped there (the drain checks ownership per
 *   message, never applies it), and what a dead owner had not read is lost
 *   with it: telemetry may be lost in a failover (DESIGN.md §8); the next
 *   reading replaces it. Alarms never go this way.
 * Each stream keeps its own bound (the publisher's window per stream). A
 * node's stream outlives it, bounded by MAXLEN; node ids are kept across
 * restarts (hub/core/node-id.ts), so a restarted node reads its stream on.
 *
 * The keys sit under the prefix beside Aedes' keys and mqemitter-redis
 * channels; no MQTT subscription can reach them (a device may subscribe only
 * to its own command topic, without wildcards: hub/broker/device-acl.ts).
 */

/** The leader's stream: partition -1 (devices without a home) and standbys of an older version. */
export const uplinkStreamKey = (prefix: string): string => `${prefix}uplink`;
/** One node's own stream: the telemetry of the homes it owns, sent by the other nodes. */
export const uplinkNodeStreamKey = (prefix: string, nodeId: string): string => `${prefix}uplink:${nodeId}`;

/**
 * Which streams a reader takes. Default (`undefined`): the leader's stream alone, as with one leader.
 * With owners: the node's own stream always, and the leader's stream while `leader()` says so (asked
 * before each read, so a node that stops leading stops taking the leader's share within one read).
 */
export interface UplinkReadStreams {
  own: true;
  leader: () => boolean;
}
