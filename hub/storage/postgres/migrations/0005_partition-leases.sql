-- Up Migration
-- Home partitions, their owners, and a line counter every journal batch must
-- move (issue 12, docs/CLUSTER.md "Partitions" and "Per-partition writers").
-- Forward only, like 0001.
--
-- partition_lease: one row per home partition (0-255, hub/core/partitions.ts)
-- and one for lines of no home (-1). `epoch` is the fencing token: +1 at
-- every change of owner, and every journal batch checks, in its own
-- statement, that each partition it writes is still held by its writer at the
-- epoch it took and that the lease has not expired (the database's clock
-- decides). The owner renews `expires_at` every fifth of the lease. For now
-- the cluster's leader takes every row when it takes the journal's lock;
-- spreading them over nodes is the next step.
CREATE TABLE partition_lease (
  partition int PRIMARY KEY CHECK (partition BETWEEN -1 AND 255),
  owner text,
  epoch bigint NOT NULL DEFAULT 0 CHECK (epoch >= 0),
  since timestamptz,
  expires_at timestamptz
);
INSERT INTO partition_lease (partition) SELECT generate_series(-1, 255);

-- journal_seq: the journal's last line number and hash, moved by every batch
-- in the statement that inserts it, only if it still names the line the
-- batch continues (a compare-and-set). With one writer it is one more fence;
-- with several, the row's lock orders their commits, so `n` stays global,
-- gap-free and in commit order for every reader (the tails, the stream's
-- event ids, X-Hub-After). Started from the journal as it is.
CREATE TABLE journal_seq (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  n bigint NOT NULL CHECK (n >= 0),
  tip text NOT NULL CHECK (tip ~ '^[0-9a-f]{64}$')
);
INSERT INTO journal_seq (n, tip)
SELECT coalesce((SELECT max(n) FROM journal), 0),
       coalesce((SELECT hash FROM journal ORDER BY n DESC LIMIT 1), repeat('0', 64));

-- The partition of each line (NULL for lines written before this migration).
-- Not part of the hashed line: the chain and `npm run audit:verify` are
-- unchanged.
ALTER TABLE journal ADD COLUMN partition smallint CHECK (partition BETWEEN -1 AND 255);
