/** A fixed-size ring of recent readings for one device (the console's charts). */
export interface Reading {
  at: number;
  values: Record<string, unknown>;
}

export class ReadingRing {
  private readonly items: Reading[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  push(reading: Reading): void {
    if (this.items.length < this.capacity) {
      this.items.push(reading);
    } else {
      this.items[this.next] = reading;
    }
    this.next = (this.next + 1) % this.capacity;
  }

  /** Oldest first. */
  toArray(): Reading[] {
    if (this.items.length < this.capacity) return [...this.items];
    return [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
  }

  get size(): number {
    return this.items.length;
  }
}
