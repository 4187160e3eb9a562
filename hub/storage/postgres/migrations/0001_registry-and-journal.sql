-- Up Migration
-- The registry and the journal on PostgreSQL (issue 11, DESIGN.md §8). Run by
-- node-pg-migrate when the hub starts (hub/storage/postgres/migrate.ts),
-- forward only: there is deliberately no Down Migration.

-- ── registry ─────────────────────────────────────────────────────────────
-- One row per record. The record itself is a JSONB body, exactly what the
-- Registry keeps in memory: its shape is defined and validated in TypeScript
-- (hub/registry/records.ts) and grows often (rule settings, contacts, away),
-- so adding a field needs no table change. The key columns are copied out of
-- the body for what the database itself must index or enforce: lookups by
-- home, one device per (kind, serial), one user per username. No foreign keys:
-- the Registry checks references before it writes, and a data dir moved from
-- files must load even if an old release left a dangling id behind.
CREATE TABLE homes (
  id text PRIMARY KEY,
  body jsonb NOT NULL
);

CREATE TABLE residents (
  id text PRIMARY KEY,
  home_id text NOT NULL,
  body jsonb NOT NULL
);
CREATE INDEX residents_home_id ON residents (home_id);

CREATE TABLE devices (
  id text PRIMARY KEY,
  home_id text NOT NULL,
  kind text NOT NULL,
  serial text NOT NULL,
  body jsonb NOT NULL,
  CONSTRAINT devices_kind_serial UNIQUE (kind, serial)
);
CREATE INDEX devices_home_id ON devices (home_id);

CREATE TABLE users (
  id text PRIMARY KEY,
  username text NOT NULL,
  body jsonb NOT NULL,
  CONSTRAINT users_username UNIQUE (username)
);

-- ── journal ──────────────────────────────────────────────────────────────
-- Alert transitions and audit, hash-chained (DESIGN.md §6). `hash` is the
-- SHA-256 of the line {"n","at","type","data","prev"} that the file journal
-- writes, so the chain carries over from files unchanged and
-- `npm run audit:verify` recomputes it row by row. `data` is json, not jsonb:
-- json keeps the text exactly as it was hashed (jsonb reorders keys, so the
-- chain could not be re-checked) and accepts every string JSON can carry
-- (jsonb refuses \u0000, which would stall the journal on one odd audit note).
CREATE TABLE journal (
  n bigint PRIMARY KEY CHECK (n > 0),
  at timestamptz NOT NULL,
  type text NOT NULL,
  data json NOT NULL,
  prev text NOT NULL CHECK (prev ~ '^[0-9a-f]{64}$'),
  hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX journal_type_at ON journal (type, at);

-- The identity of a device message that caused journal lines (DESIGN.md §3:
-- seq, plus ts when sent — the same seq with a new ts is a restarted counter,
-- hence NULLS NOT DISTINCT: a message without ts is still one message). Written
-- in the same transaction as the lines, so a key is here exactly when the
-- alarm is durable; the hub looks a message up here before processing it, so
-- a retransmission is acknowledged without a second alert however long ago
-- the original came (the in-memory window only holds 64 events per device).
CREATE TABLE device_messages (
  device_id text NOT NULL,
  seq bigint NOT NULL,
  ts bigint,
  n bigint NOT NULL REFERENCES journal (n),
  CONSTRAINT device_messages_key UNIQUE NULLS NOT DISTINCT (device_id, seq, ts)
);

-- Audit rows are insert-only, for the hub's own role too: a trigger refuses
-- UPDATE, DELETE and TRUNCATE. (The hash chain still detects what a superuser
-- could do with the trigger disabled; see docs/DEPLOY.md for a separate owner.)
CREATE FUNCTION hub_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'table % is insert-only (audit record): % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER journal_insert_only BEFORE UPDATE OR DELETE ON journal
  FOR EACH ROW EXECUTE FUNCTION hub_refuse_change();
CREATE TRIGGER journal_no_truncate BEFORE TRUNCATE ON journal
  FOR EACH STATEMENT EXECUTE FUNCTION hub_refuse_change();
CREATE TRIGGER device_messages_insert_only BEFORE UPDATE OR DELETE ON device_messages
  FOR EACH ROW EXECUTE FUNCTION hub_refuse_change();
CREATE TRIGGER device_messages_no_truncate BEFORE TRUNCATE ON device_messages
  FOR EACH STATEMENT EXECUTE FUNCTION hub_refuse_change();
