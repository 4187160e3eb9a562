-- Up Migration
-- The remaining stores on PostgreSQL (issue 11 §1, "every store behind a
-- port"): sessions, visits, webhooks, the delivery log and the rules snapshot.
-- Forward only, like 0001. Bodies are the records the services keep in memory
-- (hub/storage/ports.ts), validated in TypeScript; the key columns are copied
-- out only where the database must look them up.

-- Login sessions, by the SHA-256 digest of the token: the token itself is
-- never stored, so a copy of this table (a backup) logs nobody in.
CREATE TABLE sessions (
  digest text PRIMARY KEY,
  user_id text NOT NULL,
  expires_at timestamptz NOT NULL,
  body jsonb NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Community workers' visits, and each resident's special-hardship flag
-- periods (the whole list per resident, as the visit service replaces it).
CREATE TABLE visits (
  id text PRIMARY KEY,
  resident_id text NOT NULL,
  body jsonb NOT NULL
);
CREATE INDEX visits_resident_id ON visits (resident_id);

CREATE TABLE hardship_periods (
  resident_id text PRIMARY KEY,
  periods jsonb NOT NULL
);

-- The organisation's webhooks. The body holds the HMAC secret in clear, as
-- the file did (mode 0600): grant this table to the hub's role only.
CREATE TABLE webhooks (
  id text PRIMARY KEY,
  body jsonb NOT NULL
);

-- The notification delivery log (queued / attempt / dropped lines), from
-- which the delivery queue is rebuilt at start. Append-only in practice but
-- not insert-only by trigger: it is bookkeeping, not audit (the audit of
-- webhook changes is in the journal). `line` is json, not jsonb: it carries
-- alert text as it was sent, and json accepts every string JSON can carry.
-- `at` is the line's own time; the hub loads this month's and last month's.
CREATE TABLE delivery_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  line json NOT NULL
);
CREATE INDEX delivery_log_at ON delivery_log (at);

-- Rule state saved at a planned stop, taken (read and deleted) at the next
-- start. At most one row.
CREATE TABLE rules_snapshot (
  id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  saved_at timestamptz NOT NULL,
  body json NOT NULL
);
