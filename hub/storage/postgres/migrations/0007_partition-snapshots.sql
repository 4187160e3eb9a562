-- Up Migration
-- The pipeline snapshot per home partition (issue 12 step 3, docs/CLUSTER.md
-- "Step 3, service by service": rule checkpoints and watchdog silences, one
-- row per partition, saved by its owner). Forward only, like 0001.
--
-- Each owner saves its own partitions' slices (rule states and wake-ups of
-- their homes, the silences of their devices) every few seconds; a node that
-- gains partition p reads p's row before it starts acting for p's homes.
-- Rows are read, never taken: the next owner may need the same row. The
-- one-row `rules_snapshot` stays for a hub alone and the leader holding every
-- lease.
--
-- `owner` and `epoch`: the lease the slice was saved under, when the save was
-- fenced (NULL otherwise): a save writes a partition's row only while
-- partition_lease still names that owner and epoch and has not run out, so
-- an owner frozen past its lease cannot overwrite its successor's slice.
CREATE TABLE partition_snapshot (
  partition smallint PRIMARY KEY CHECK (partition BETWEEN 0 AND 255),
  saved_at timestamptz NOT NULL,
  body json NOT NULL,
  owner text,
  epoch bigint CHECK (epoch >= 0)
);
