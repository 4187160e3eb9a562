/**
 * The ring of a device's recent readings (hub/ingest/reading-ring.ts), kept
 * by column: what goes in comes back, oldest first, field for field, across
 * growth and wrap-around, with fields that come and go and change type; the
 * caller's payload object is not kept; and a full ring of bracelet readings
 * holds a fraction of the heap one object per reading held.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ReadingRing, type Reading } from '../hub/ingest/reading-ring.js';

/** A full collection on demand, in this test file's worker only (the flag is read when a context is made). */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const bracelet = (i: number): Reading => ({ at: 1_764_000_000_000 + i * 1_000, values: { ts: 1_764_000_000_000 + i * 1_000, seq: i, heartRate: 60 + (i % 40), battery: 90 - (i % 7) } });

function filled(capacity: number, count: number, make: (i: number) => Reading): ReadingRing {
  const ring = new ReadingRing(capacity);
  for (let i = 0; i < count; i++) ring.push(make(i));
  return ring;
}

describe('ReadingRing', () => {
  it('gives back every reading, oldest first, below and past its first size', () => {
    for (const count of [0, 1, 15, 16, 17, 40]) {
      const ring = filled(256, count, bracelet);
      expect(ring.size).toBe(count);
      expect(ring.toArray()).toEqual(Array.from({ length: count }, (_, i) => bracelet(i)));
    }
  });

  it('keeps only the newest `capacity` readings once full, in order, at every point of the wrap', () => {
    for (const count of [256, 257, 300, 511, 512, 1_000]) {
      const ring = filled(256, count, bracelet);
      expect(ring.size).toBe(256);
      expect(ring.toArray()).toEqual(Array.from({ length: 256 }, (_, i) => bracelet(count - 256 + i)));
    }
  });

  it('works with a capacity that is not a power of two, or smaller than its first size', () => {
    expect(filled(3, 10, bracelet).toArray()).toEqual([bracelet(7), bracelet(8), bracelet(9)]);
    expect(filled(100, 250, bracelet).toArray()).toEqual(Array.from({ length: 100 }, (_, i) => bracelet(150 + i)));
    expect(filled(1, 5, bracelet).toArray()).toEqual([bracelet(4)]);
  });

  it('keeps each reading its own fields: a field that appears late, one that goes, and none of an older reading in a reused slot', () => {
    const ring = new ReadingRing(4);
    const readings: Reading[] = [
      { at: 1, values: { battery: 80 } },
      { at: 2, values: { battery: 79, heartRate: 70 } },
      { at: 3, values: { heartRate: 71, worn: true } },
      { at: 4, values: {} },
      { at: 5, values: { steps: 12 } }, // reuses slot 0 (battery 80): no battery must show
      { at: 6, values: { worn: false } }, // reuses slot 1 (battery, heartRate)
    ];
    for (const reading of readings) ring.push(reading);
    expect(ring.toArray()).toEqual(readings.slice(2));
  });

  it('keeps values that are not numbers (a flag, a location, a room) and a field whose type changes', () => {
    const ring = new ReadingRing(8);
    const fix = { lat: 30.6612, lon: 104.0721, accuracyM: 20 };
    const readings: Reading[] = [
      { at: 1, values: { location: fix, worn: true, heartRate: 0 } },
      { at: 2, values: { location: { room: 'kitchen' }, worn: false } },
      { at: 3, values: { mode: 7 } },
      { at: 4, values: { mode: 'eco' } },
      { at: 5, values: { temperature: -0.5, ppm: 1e-9, big: Number.MAX_SAFE_INTEGER } },
    ];
    for (const reading of readings) ring.push(reading);
    expect(ring.toArray()).toEqual(readings);
  });

  it('skips a field whose value is undefined, as JSON would', () => {
    const ring = new ReadingRing(2);
    ring.push({ at: 1, values: { battery: undefined, heartRate: 72 } });
    expect(ring.toArray()).toEqual([{ at: 1, values: { heartRate: 72 } }]);
    expect(Object.keys(ring.toArray()[0]!.values)).toEqual(['heartRate']);
  });

  it('copies the numbers: changing the payload afterwards changes nothing in the ring', () => {
    const ring = new ReadingRing(4);
    const values: Record<string, unknown> = { heartRate: 72, battery: 50 };
    ring.push({ at: 1, values });
    values.heartRate = 180;
    delete values.battery;
    expect(ring.toArray()).toEqual([{ at: 1, values: { heartRate: 72, battery: 50 } }]);
    // And what it gives back is a fresh object each time.
    const first = ring.toArray()[0]!;
    first.values.heartRate = 0;
    expect(ring.toArray()[0]!.values.heartRate).toBe(72);
  });

  it('refuses a capacity that is not a positive integer', () => {
    for (const bad of [0, -1, 2.5, Number.NaN]) expect(() => new ReadingRing(bad)).toThrow(/capacity must be a positive integer/);
  });

  it('allocates nothing for its readings until the first one (every connected device has a ring)', () => {
    const gc = collector();
    gc();
    const before = process.memoryUsage();
    const rings = Array.from({ length: 10_000 }, () => new ReadingRing(256));
    gc();
    const after = process.memoryUsage();
    expect(rings[9_999]!.size).toBe(0);
    const perRing = (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / rings.length;
    // The old ring (an object and an empty array) took ~60 bytes; the columns, when empty, no more than about that.
    expect(perRing).toBeLessThan(120);
  });

  it('holds a full ring of bracelet readings in a fraction of the heap that one object per reading took', () => {
    const gc = collector();
    const DEVICES = 500;
    // Each reading as ingest makes it: a payload parsed from JSON, so no shared literals.
    const payload = (i: number): Reading => ({ at: Date.now() + i, values: JSON.parse(`{"ts":${Date.now() + i},"seq":${i},"heartRate":${60 + (i % 40)},"battery":${90 - (i % 7)}}`) as Record<string, unknown> });
    const heapOf = (build: () => unknown): number => {
      gc();
      const before = process.memoryUsage();
      const kept = build();
      gc();
      const after = process.memoryUsage();
      expect(kept).toBeDefined();
      return after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
    };
    const columns = heapOf(() => Array.from({ length: DEVICES }, () => filled(256, 256, payload)));
    const objects = heapOf(() => Array.from({ length: DEVICES }, () => Array.from({ length: 256 }, (_, i) => payload(i))));
    const perDeviceKiB = columns / DEVICES / 1024;
    expect(perDeviceKiB).toBeLessThan(14);
    expect(columns).toBeLessThan(objects / 2.5);
  });
});
