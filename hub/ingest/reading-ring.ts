/**
 * A fixed-size ring of recent readings for one device (the console's
 * "recent readings", GET /api/v1/devices/{id}/readings).
 *
 * Kept by column, not as one object per reading: a time column and one
 * column per telemetry field, numbers in a Float64Array (NaN: the reading
 * had no such field; JSON never yields NaN) and anything else (a flag, a
 * location) in a plain array. A bracelet's full ring of 256 readings then
 * holds ~10 KiB in five typed arrays instead of ~35 KiB in 512 small heap
 * objects (tests/reading-ring.test.ts measures both), and the parsed payload is not kept alive: at 4,000 devices the
 * rings were ~130 MB of the hub's live heap under load, filled within half a
 * minute at 10 readings a second, and copied by every scavenge on their way
 * to the old generation (docs/PERFORMANCE.md). The columns grow by doubling
 * up to the capacity, so a device that reports rarely holds little.
 * Readings come back as objects only when asked for (toArray).
 */
export interface Reading {
  at: number;
  values: Record<string, unknown>;
}

const FIRST_CAPACITY = 16;
/** Every ring's time column until its first reading (never written: the first push grows it). */
const NO_READINGS = new Float64Array(0);

export class ReadingRing {
  private at = NO_READINGS;
  /** Made with the first reading that has such a field: every connected device has a ring (issue 14 item 3, idle memory per device). */
  private numbers: Map<string, Float64Array> | undefined;
  private others: Map<string, unknown[]> | undefined;
  /** The slot the next reading goes to. */
  private next = 0;
  private count = 0;

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ReadingRing capacity must be a positive integer, got ${capacity}`);
  }

  push(reading: Reading): void {
    if (this.count === this.at.length && this.at.length < this.capacity) this.grow();
    const slot = this.next;
    this.at[slot] = reading.at;
    // The slot may hold an older reading's fields: every column is cleared, then this one's set.
    if (this.numbers) for (const column of this.numbers.values()) column[slot] = NaN;
    if (this.others) for (const column of this.others.values()) column[slot] = undefined;
    const { values } = reading;
    for (const field in values) {
      const value = values[field];
      if (value === undefined) continue;
      if (typeof value === 'number') this.numberColumn(field)[slot] = value;
      else this.otherColumn(field)[slot] = value;
    }
    this.next = (slot + 1) % this.at.length;
    if (this.count < this.at.length) this.count++;
  }

  /** Oldest first, each reading a new object. */
  toArray(): Reading[] {
    const out: Reading[] = [];
    const length = this.at.length;
    const oldest = this.count < length ? 0 : this.next;
    for (let i = 0; i < this.count; i++) out.push(this.readingAt((oldest + i) % length));
    return out;
  }

  get size(): number {
    return this.count;
  }

  private readingAt(slot: number): Reading {
    const values: Record<string, unknown> = {};
    for (const [field, column] of this.numbers ?? []) {
      const value = column[slot]!;
      if (!Number.isNaN(value)) values[field] = value;
    }
    for (const [field, column] of this.others ?? []) {
      const value = column[slot];
      if (value !== undefined) values[field] = value;
    }
    return { at: this.at[slot]!, values };
  }

  private numberColumn(field: string): Float64Array {
    this.numbers ??= new Map();
    let column = this.numbers.get(field);
    if (!column) this.numbers.set(field, (column = new Float64Array(this.at.length).fill(NaN)));
    return column;
  }

  private otherColumn(field: string): unknown[] {
    this.others ??= new Map();
    let column = this.others.get(field);
    if (!column) this.others.set(field, (column = new Array<unknown>(this.at.length).fill(undefined)));
    return column;
  }

  /** Full, below capacity: every column twice as long (at most the capacity), oldest reading first. */
  private grow(): void {
    const length = this.at.length;
    const bigger = Math.min(Math.max(length * 2, FIRST_CAPACITY), this.capacity);
    // Full, so the oldest reading is in slot `next`: copy from there round to it.
    const linear = <T extends Float64Array | unknown[]>(column: T, into: T): T => {
      for (let i = 0; i < length; i++) into[i] = column[(this.next + i) % length];
      return into;
    };
    this.at = linear(this.at, new Float64Array(bigger));
    for (const [field, column] of this.numbers ?? []) this.numbers!.set(field, linear(column, new Float64Array(bigger).fill(NaN)));
    for (const [field, column] of this.others ?? []) this.others!.set(field, linear(column, new Array<unknown>(bigger).fill(undefined)));
    this.next = length;
  }
}
