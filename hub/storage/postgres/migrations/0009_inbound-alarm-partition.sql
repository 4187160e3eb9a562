-- Up Migration
-- Alarms reach the owner of their home's partition (issue 12 step 3,
-- checklist item 4; docs/CLUSTER.md "Alarms that arrive at a node that does
-- not own the home"). Forward only, like 0001.
--
-- The node that received an alarm stores, with the row, the partition of the
-- device's home (hub/core/partitions.ts: 0 to 255), or -1 for a device with
-- no known home (and a node's own rows: pipeline heartbeats, broker audit
-- records) — partition -1 is the leader's, as every row was before. Each
-- node drains only the rows of the partitions it owns (`WHERE partition =
-- ANY(...)`, hub/storage/postgres/inbound-alarms-pg.ts), so two nodes never
-- deliver the same row; the leader also takes -1 and NULL.
--
-- NULL: a row written by a node of an older version (which knows no
-- partitions), or without one: the leader's, as before this migration.
ALTER TABLE inbound_alarm ADD COLUMN partition smallint;
ALTER TABLE inbound_alarm ADD CONSTRAINT inbound_alarm_partition_range CHECK (partition IS NULL OR partition BETWEEN -1 AND 255);
