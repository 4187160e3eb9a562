/**
 * Homes are split into a fixed number of partitions (issue 12, DESIGN.md §8,
 * docs/CLUSTER.md "Partitions"): each partition has one owner at a time, and
 * every journal line of a home carries its partition, fenced by the owner's
 * lease. Lines that belong to no home (logins, user admin, drills, the
 * pipeline heartbeat) go to the home-less partition.
 *
 * P is fixed for the life of a database: changing it would move every home.
 * 256 spreads evenly over any realistic number of nodes (2–30) and keeps one
 * lease row per partition cheap.
 */

/** How many partitions the homes hash to. */
export const PARTITION_COUNT = 256;
/** The partition of lines that belong to no home. */
export const HOMELESS_PARTITION = -1;

/**
 * FNV-1a (32 bit) of a text's UTF-16 code units, unsigned. Chosen for being
 * tiny, fast and stable across releases and languages (a SQL or Go tool can
 * compute the same); it is not a security boundary.
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** FNV-1a of the home id, mod PARTITION_COUNT. */
export function partitionOfHome(homeId: string): number {
  return fnv1a32(homeId) % PARTITION_COUNT;
}

/** The partition of a line: its home's, or the home-less one. */
export function partitionOf(homeId: string | undefined): number {
  return homeId === undefined ? HOMELESS_PARTITION : partitionOfHome(homeId);
}

/** Every home partition, 0 … PARTITION_COUNT − 1 (what a node alone owns). */
export const ALL_HOME_PARTITIONS: readonly number[] = Object.freeze(Array.from({ length: PARTITION_COUNT }, (_, i) => i));
