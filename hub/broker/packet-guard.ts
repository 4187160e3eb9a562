/**
 * Scans the raw MQTT byte stream of one connection, packet by packet, before
 * Aedes parses it. Aedes 1.x has no maximum packet size: its parser buffers
 * whatever the remaining-length field announces, so one unauthenticated socket
 * can make it hold 200 MB (DESIGN.md §3). This scanner reads only the fixed
 * header of each packet (type byte + remaining length, MQTT 3.1.1 §2.2) and
 * skips the body, so it costs O(packets), not O(bytes).
 */

export type GuardViolation =
  | { reason: 'packet_too_large'; bytes: number; limit: number }
  | { reason: 'malformed_length' }
  | { reason: 'pre_connack_budget'; bytes: number; limit: number };

export interface PacketGuardLimits {
  maxPacketBytes: number;
  /** Bytes a connection may send before it has been sent a successful CONNACK. */
  preConnackBytes: number;
}

const enum Phase {
  TypeByte,
  Length,
  Body,
}

export class PacketGuard {
  private phase = Phase.TypeByte;
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private bodyLeft = 0;
  private received = 0;
  private authenticated = false;

  constructor(private readonly limits: PacketGuardLimits) {}

  /** Called once the connection got CONNACK 0: the pre-auth budget no longer applies. */
  markAuthenticated(): void {
    this.authenticated = true;
  }

  /** Feeds one chunk; returns the first violation found, or null. */
  feed(chunk: Uint8Array): GuardViolation | null {
    if (!this.authenticated) {
      this.received += chunk.length;
      if (this.received > this.limits.preConnackBytes) {
        return { reason: 'pre_connack_budget', bytes: this.received, limit: this.limits.preConnackBytes };
      }
    }
    let i = 0;
    while (i < chunk.length) {
      switch (this.phase) {
        case Phase.TypeByte:
          i++;
          this.phase = Phase.Length;
          this.length = 0;
          this.multiplier = 1;
          this.lengthBytes = 0;
          break;
        case Phase.Length: {
          const byte = chunk[i++]!;
          this.length += (byte & 0x7f) * this.multiplier;
          this.multiplier *= 128;
          this.lengthBytes++;
          if (byte & 0x80) {
            // MQTT-2.2.3: the remaining length is at most four bytes.
            if (this.lengthBytes === 4) return { reason: 'malformed_length' };
            break;
          }
          const total = 1 + this.lengthBytes + this.length;
          if (total > this.limits.maxPacketBytes) {
            return { reason: 'packet_too_large', bytes: total, limit: this.limits.maxPacketBytes };
          }
          this.bodyLeft = this.length;
          this.phase = this.bodyLeft === 0 ? Phase.TypeByte : Phase.Body;
          break;
        }
        case Phase.Body: {
          const take = Math.min(this.bodyLeft, chunk.length - i);
          i += take;
          this.bodyLeft -= take;
          if (this.bodyLeft === 0) this.phase = Phase.TypeByte;
          break;
        }
      }
    }
    return null;
  }
}
