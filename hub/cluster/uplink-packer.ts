/**
 * Packs the messages a standby forwards within a few milliseconds into one
 * uplink stream entry (hub/cluster/uplink-bus.ts). One XADD per message cost
 * the two nodes 20–35 µs more per forwarded message than pub/sub: ioredis'
 * command and reply handling on the standby, one entry to parse per message
 * on the leader (docs/PERFORMANCE.md). The leader pays by the entry, not by
 * the message, so an entry holds what arrives within `maxWaitMs` of its
 * first message (sent from a timer then), or, with `maxWaitMs` 0, one
 * event-loop turn's messages (sent from `setImmediate`, after the poll phase
 * that read them from the devices' sockets). Only telemetry, status and
 * connects wait so: alarms go through PostgreSQL before their PUBACK.
 *
 * An entry stays bounded: at `maxMessages` or when the next message would
 * take it past `maxChars`, the entry is sent at once and the turn goes on
 * in a new one. A message larger than `maxChars` by itself goes alone.
 *
 * It holds at most one turn's messages, already encoded (the payloads, slices
 * of socket chunks, are not kept alive): whether Redis can take them is the
 * sender's business, which never queues (see UplinkPublisher).
 */

export interface PackerLimits {
  /** Messages per entry: bounds the leader's work per entry (~20 µs of ingest each). */
  maxMessages: number;
  /** Characters per entry (the items' texts and their commas), past which a new entry starts. */
  maxChars: number;
  /** How long an entry's first message may wait for others; 0: until the end of its event-loop turn. */
  maxWaitMs: number;
}

export class EntryPacker {
  private items: string[] = [];
  private chars = 0;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limits: PackerLimits,
    private readonly send: (items: string[]) => void,
  ) {}

  /** One encoded message (uplink-wire.ts `encodeItem`), sent at the end of this turn or earlier at a cap. */
  add(item: string): void {
    if (this.items.length > 0 && this.chars + item.length > this.limits.maxChars) this.flush();
    this.items.push(item);
    this.chars += item.length + 1;
    if (this.items.length >= this.limits.maxMessages) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      if (this.limits.maxWaitMs > 0) this.timer = setTimeout(this.endOfWait, this.limits.maxWaitMs);
      else setImmediate(this.endOfWait);
    }
  }

  /** Sends what is packed now (also on close: the turn's last messages are not left behind). */
  flush(): void {
    // The entry goes now: the next message starts a new wait (a turn's setImmediate, once run, only finds nothing to send).
    clearTimeout(this.timer);
    this.timer = undefined;
    this.scheduled = false;
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.chars = 0;
    this.send(items);
  }

  private readonly endOfWait = (): void => {
    this.scheduled = false;
    this.flush();
  };
}
