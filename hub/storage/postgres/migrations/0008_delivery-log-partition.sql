-- Up Migration
-- The partition of each delivery-log row (issue 12 step 3, docs/CLUSTER.md
-- "Step 3, service by service": notifications). Forward only, like 0001.
--
-- Only the owner of a home's partition sends that home's webhooks. When a
-- partition moves (its owner died, or the balancer gave it to another node),
-- the new owner reads that partition's rows and resumes its pending
-- deliveries and retries where the old owner left them. Every row carries
-- its delivery's partition (hub/core/partitions.ts: 0-255 for a home, -1 for
-- a delivery of no home such as an admin's test send), so that read is an
-- index range, not the whole two months of the log.
--
-- NULL on rows written before this migration: a new owner reads those too,
-- and keeps only the deliveries whose home is in its partitions (they leave
-- the two months read at start after two months).
ALTER TABLE delivery_log ADD COLUMN partition smallint CHECK (partition BETWEEN -1 AND 255);
CREATE INDEX delivery_log_partition_at ON delivery_log (partition, at);
