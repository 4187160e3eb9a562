-- Up Migration
-- Which node leads the cluster (issue 12, docs/CLUSTER.md "Leadership and
-- fencing"). Leadership itself is the journal writer's session advisory lock
-- (hub/storage/postgres/journal-writer-connection.ts); this row is what the
-- lock cannot say: a number that grows at every change of leader (the epoch,
-- compared by a writer that reconnects, so it knows nobody else led in
-- between), who the leader is and where its HTTP listener is (front ends
-- proxy there; /health shows it). Only the lock holder updates it, right after
-- taking the lock, in the lock's own session. Forward only, like 0001.
CREATE TABLE cluster_leader (
  -- One row, enforced: the primary key can only be true.
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  epoch bigint NOT NULL DEFAULT 0 CHECK (epoch >= 0),
  node_id text,
  http_url text,
  since timestamptz
);
INSERT INTO cluster_leader DEFAULT VALUES;
