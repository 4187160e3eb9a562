-- Up Migration
-- Alarms received by a follower node, on their way to the leader (issue 12
-- item 2, docs/CLUSTER.md "Forwarding to the leader"). The follower inserts
-- the row (synchronous_commit on) BEFORE the device's PUBACK; the leader feeds
-- it into its own ingest, waits until what it caused is durable in the
-- journal, then deletes it. The row is the message: a NOTIFY on
-- `inbound_alarm` only wakes the leader. Forward only, like 0001.
--
-- `payload` is bytea: the device's bytes exactly as the broker took them, so
-- a payload that is not UTF-8 is stored as it came and dropped by the
-- leader's ingest with the same reason a single hub gives (not_json).
--
-- seq and ts are the device message key of the journal's `device_messages`
-- (0001): seq, plus ts when sent, a missing ts being one value (NULLS NOT
-- DISTINCT). A retransmission of an alarm that is still here is acked without
-- a second row. A payload with no readable seq has no key (seq NULL): it is
-- still forwarded, each one its own row (hence the partial index), and the
-- leader's ingest does with it what a single hub does: seq is optional in the
-- protocol, so a valid alarm without one is processed (without dedupe), an
-- invalid payload dropped with the usual reason.
CREATE TABLE inbound_alarm (
  id bigserial PRIMARY KEY,
  device_id text NOT NULL,
  seq bigint,
  ts bigint,
  payload bytea NOT NULL,
  received_at timestamptz NOT NULL,
  received_by text NOT NULL,
  CHECK (seq IS NOT NULL OR ts IS NULL)
);
CREATE UNIQUE INDEX inbound_alarm_key ON inbound_alarm (device_id, seq, ts) NULLS NOT DISTINCT WHERE seq IS NOT NULL;
