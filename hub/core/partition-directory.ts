/**
 * Who owns each home partition now, as this node last heard it (issue 12
 * step 3): where a node that does not own a home sends its work — an alarm
 * row or a telemetry entry for the owner to drain, a console's write for the
 * owner to run. A hint, never a licence: the owner's journal fence decides,
 * and work sent to a node that has just lost the partition is drained by
 * the next owner (alarms, from PostgreSQL) or lost (telemetry, which the
 * next reading replaces: DESIGN.md §8).
 */
export interface PartitionDirectory {
  /** The node id holding the partition's lease now, as last read; undefined when nobody holds it (or not read yet). */
  ownerOf(partition: number): string | undefined;
}

/** A directory that is told, not read (a hub alone: itself for everything; tests: a fixed table). */
export class FixedPartitionDirectory implements PartitionDirectory {
  constructor(private readonly owners: ReadonlyMap<number, string> | ((partition: number) => string | undefined)) {}

  ownerOf(partition: number): string | undefined {
    return typeof this.owners === 'function' ? this.owners(partition) : this.owners.get(partition);
  }
}
