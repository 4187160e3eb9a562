-- Up Migration
-- Where each node of the cluster answers HTTP (issue 12 step 3, docs/CLUSTER.md
-- "Consoles on any node"): a front passes a console's write for a home to the
-- owner of the home's partition (partition_lease.owner, a node id), so it
-- must find that node's URL. cluster_leader only has the leader's; Redis
-- heartbeats carry node ids, not addresses. Each node upserts its row when
-- it starts and refreshes `seen_at` while it runs
-- (hub/storage/postgres/cluster-node-pg.ts); the lease, not this row, says
-- whether a node owns anything, so a row is never deleted by the hub (a node
-- that restarts on another address overwrites its own). Forward only, like
-- 0001.
CREATE TABLE cluster_node (
  node_id text PRIMARY KEY CHECK (length(node_id) BETWEEN 1 AND 200),
  http_url text NOT NULL CHECK (http_url ~ '^https?://'),
  seen_at timestamptz NOT NULL DEFAULT now()
);
