/**
 * The uplink stream's length bound is meant in messages (100,000: how much
 * telemetry Redis keeps and a new leader can start from), but `XADD MAXLEN ~`
 * counts entries, and a standby's entry holds 1 to 512 messages depending on
 * the load and on how its devices send (hub/cluster/uplink-bus.ts). This
 * turns the one into the other from the sizes of the publisher's own newest
 * entries: MAXLEN is the number of them that together hold the bound.
 *
 * Exact sizes, not an average: a burst of full entries (a reconnect storm's
 * connects) would lift an average and trim away the many one-message
 * entries before it, leaving the stream far under the bound. Entries the
 * publisher has not written (before it started, or another standby's)
 * count as one message each, the most entries they can be: a standby that
 * just started keeps the whole stream, as the old bound of 100,000 entries
 * did.
 */
export class EntryWindow {
  /** The newest entries' message counts, oldest first, in a ring (an entry holds at most 512: 16 bits). */
  private readonly sizes: Uint16Array;
  private head = 0;
  private length = 0;
  private messages = 0;

  constructor(private readonly boundMessages: number) {
    // Each entry holds at least one message, so no more than the bound are ever needed.
    this.sizes = new Uint16Array(boundMessages + 1);
  }

  /** Notes an entry of `count` messages about to be written; returns how many entries MAXLEN should keep with it. */
  add(count: number): number {
    const capacity = this.sizes.length;
    this.sizes[(this.head + this.length) % capacity] = count;
    this.length++;
    this.messages += count;
    // Drop the oldest while the newer ones still hold the bound without it.
    while (this.length > 1 && this.messages - this.sizes[this.head]! >= this.boundMessages) {
      this.messages -= this.sizes[this.head]!;
      this.head = (this.head + 1) % capacity;
      this.length--;
    }
    return this.length + Math.max(0, this.boundMessages - this.messages);
  }
}
