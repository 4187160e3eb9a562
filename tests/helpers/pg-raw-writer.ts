/**
 * A journal writer outside PgJournal, for tests of several writers sharing one
 * journal (issue 12 step 3): its own session, holding the leases of the
 * partitions it is given under epochs it takes when made, writing batches
 * through the same statement PgJournal uses (journal_append_batch).
 */
import pgLib from 'pg';
import { partitionOfHome } from '../../hub/core/partitions.js';
import { appendBatch, type CommittedBatch, type PreparingQueryable, type UnnumberedLine } from '../../hub/storage/postgres/journal-sql.js';

export interface RawWriter {
  write(lines: UnnumberedLine[]): Promise<CommittedBatch>;
  client: pgLib.Client;
  /** Its backend's pid (pg_stat_activity). */
  pid: number;
  epochs: number[];
}

/** `closers`: where the writer's connection is put to be ended after the test. `notify`: wake the tails of the others, as a cluster writer does. */
export async function rawWriter(url: string, closers: { close(): Promise<void> }[], owner: string, partitions: number[], notify = false): Promise<RawWriter> {
  const client = new pgLib.Client({ connectionString: url });
  await client.connect();
  closers.push({ close: () => client.end() });
  const { rows } = await client.query<{ partition: number; epoch: string }>(
    "UPDATE partition_lease SET owner = $1, epoch = epoch + 1, since = now(), expires_at = now() + interval '1 minute' WHERE partition = ANY($2) RETURNING partition, epoch",
    [owner, partitions],
  );
  const epochOf = new Map(rows.map((r) => [r.partition, Number(r.epoch)]));
  const session: PreparingQueryable = {
    query: (text, values) => client.query(text, values),
    queryPrepared: (name, text, values) => client.query({ name, text, values }),
  };
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const sessionId = crypto.randomUUID();
  let batch = 0;
  return {
    client,
    pid,
    epochs: partitions.map((p) => epochOf.get(p)!),
    write: (lines) => {
      const used = [...new Set(lines.map((l) => l.partition))];
      const fence = { owner, partitions: used, epochs: used.map((p) => epochOf.get(p)!) };
      return appendBatch(session, lines, { fence, session: sessionId, batch: ++batch, notify });
    },
  };
}

/** A home id whose partition is `partition`. */
export function homeIn(partition: number): string {
  for (let i = 0; ; i++) if (partitionOfHome(`home-${i}`) === partition) return `home-${i}`;
}
