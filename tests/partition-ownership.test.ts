import { describe, expect, it } from 'vitest';
import { OWNS_EVERYTHING, OwnedPartitions } from '../hub/core/partition-ownership.js';
import { partitionOfHome } from '../hub/core/partitions.js';

describe('partition ownership', () => {
  it('a hub alone owns every home', () => {
    expect(OWNS_EVERYTHING.owns('home-1')).toBe(true);
    expect(OWNS_EVERYTHING.ownsPartition(255)).toBe(true);
  });

  it('a node owns the homes of the partitions it gained, and tells only of real changes', () => {
    const owned = new OwnedPartitions();
    const p = partitionOfHome('home-7');
    const gained: number[][] = [];
    const lost: number[][] = [];
    owned.onGained((ps) => gained.push([...ps]));
    owned.onLost((ps) => lost.push([...ps]));
    expect(owned.owns('home-7')).toBe(false);
    owned.gain([p, (p + 1) % 256, p]);
    expect(owned.owns('home-7')).toBe(true);
    owned.gain([p]);
    expect(gained).toEqual([[p, (p + 1) % 256].sort((a, b) => a - b)]);
    owned.lose([p, (p + 2) % 256]);
    expect(lost).toEqual([[p]]);
    expect(owned.owns('home-7')).toBe(false);
    expect(owned.partitions).toEqual([(p + 1) % 256]);
  });

  it('a listener sees the set already changed, and one that throws does not silence the others', () => {
    const owned = new OwnedPartitions([3]);
    const seen: boolean[] = [];
    owned.onLost(() => {
      throw new Error('boom');
    });
    owned.onLost(() => seen.push(owned.ownsPartition(3)));
    expect(() => owned.lose([3])).toThrow('boom');
    expect(seen).toEqual([false]);
  });

  it('refuses what is not a home partition, changing nothing', () => {
    const owned = new OwnedPartitions([1]);
    expect(() => owned.gain([-1])).toThrow(/not a home partition: -1/);
    expect(() => owned.gain([256])).toThrow(/not a home partition: 256/);
    expect(owned.partitions).toEqual([1]);
  });

  it('an unsubscribed listener hears nothing more', () => {
    const owned = new OwnedPartitions();
    const heard: number[] = [];
    const off = owned.onGained((ps) => heard.push(...ps));
    owned.gain([1]);
    off();
    owned.gain([2]);
    expect(heard).toEqual([1]);
  });
});
