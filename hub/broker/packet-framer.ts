/**
 * Cuts one connection's byte stream into whole MQTT packets, so the hub can
 * take a device's uplink PUBLISH packets itself (uplink-tap.ts) and hand
 * every other packet to Aedes unchanged (issue 14 item 1: alarms must not
 * wait behind telemetry inside Aedes' per-connection processing).
 *
 * The PacketGuard has already checked each chunk (remaining length at most
 * four bytes, packet size bounded), so the lengths read here are sane. Whole
 * packets inside a chunk are sliced, not copied; only the tail of a packet
 * split across chunks is kept (a copy, so the chunk can be freed).
 */

/**
 * Decides one whole packet: true when the caller took it, false to pass it on
 * to Aedes. Called with feed()'s `owner` as `this`, so one function serves
 * every connection (no closure per connection).
 */
export type PacketVisitor<T = unknown> = (this: T, packet: Buffer, headerBytes: number) => boolean;

/** The fixed header's size and the packet's total size, or undefined when the header is incomplete. */
export function packetExtent(buf: Buffer, at: number): { headerBytes: number; total: number } | undefined {
  let length = 0;
  let multiplier = 1;
  for (let i = at + 1; i < buf.length && i <= at + 4; i++) {
    const byte = buf[i]!;
    length += (byte & 0x7f) * multiplier;
    multiplier *= 128;
    if ((byte & 0x80) === 0) {
      const headerBytes = i - at + 1;
      return { headerBytes, total: headerBytes + length };
    }
  }
  return undefined;
}

export class PacketFramer {
  /** The first bytes of a packet whose end has not arrived yet. */
  private partial: Buffer | undefined;

  /**
   * Feeds one chunk; `visit` sees each packet it completes, in order. Returns
   * the bytes not taken, in order, for Aedes: runs of packets between taken
   * ones stay slices of the chunk (one push per run, not per packet).
   */
  feed<T>(chunk: Buffer, visit: PacketVisitor<T>, owner?: T): Buffer[] {
    const passOn: Buffer[] = [];
    let buf = chunk;
    if (this.partial) {
      const rest = this.completePartial(chunk);
      if (rest === undefined) return passOn;
      const whole = this.partial;
      this.partial = undefined;
      if (!visit.call(owner as T, whole, packetExtent(whole, 0)!.headerBytes)) passOn.push(whole);
      buf = rest;
    }
    let at = 0;
    let runStart = 0;
    for (;;) {
      const extent = at < buf.length ? packetExtent(buf, at) : undefined;
      if (!extent || at + extent.total > buf.length) break;
      const end = at + extent.total;
      if (visit.call(owner as T, buf.subarray(at, end), extent.headerBytes)) {
        if (runStart < at) passOn.push(buf.subarray(runStart, at));
        runStart = end;
      }
      at = end;
    }
    if (runStart < at) passOn.push(buf.subarray(runStart, at));
    if (at < buf.length) this.partial = Buffer.from(buf.subarray(at));
    return passOn;
  }

  /**
   * Appends to the kept partial packet as much of `chunk` as that packet
   * needs; returns what is left of the chunk once the packet is whole, or
   * undefined while it is still incomplete.
   */
  private completePartial(chunk: Buffer): Buffer | undefined {
    const partial = this.partial!;
    const extent = packetExtent(partial, 0);
    if (!extent) {
      // Not even the fixed header yet (at most 4 bytes kept): join and measure again.
      const joined = Buffer.concat([partial, chunk]);
      const known = packetExtent(joined, 0);
      if (!known || known.total > joined.length) {
        this.partial = joined;
        return undefined;
      }
      this.partial = joined.subarray(0, known.total);
      return joined.subarray(known.total);
    }
    const need = extent.total - partial.length;
    this.partial = Buffer.concat([partial, chunk.subarray(0, need)]);
    return need > chunk.length ? undefined : chunk.subarray(need);
  }
}
