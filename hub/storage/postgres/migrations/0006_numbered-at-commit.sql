-- Up Migration
-- Journal lines numbered and chained at commit, by the database (issue 12
-- step 3, docs/CLUSTER.md "Step 3's writers"). Forward only, like 0001.
--
-- Until now the journal's one writer fixed each line's n, prev and hash in
-- its own memory, and each batch only compared the counter (journal_seq)
-- with what it expected. With several writers (one per partition owner) no
-- writer knows the next n: another may have committed in between. So a
-- batch now hands the database its lines WITHOUT n and prev, and
-- journal_append_batch, in one statement (its own transaction):
--   1. checks the batch's fence: every partition it writes is held by its
--      writer at the epoch it took, and the lease has not run out (the rows
--      read FOR SHARE, so a takeover waits for this batch, and once a new
--      owner holds epoch e+1 no row of epoch e can still commit);
--   2. takes the next numbers from journal_seq (UPDATE: the row stays locked
--      until COMMIT, so the next writer's batch gets larger numbers only
--      once this one is committed: n is global, gap-free and in commit order
--      for every reader — the tails, the stream's event ids, X-Hub-After);
--   3. forms each line's text exactly as formatEntryText does
--      (hub/storage/journal-format.ts), hashes it (SHA-256 of its UTF-8
--      bytes), and continues the ONE global chain from the counter's tip;
--   4. inserts the lines and their device message keys, moves the tip, and
--      records the batch under its writer's session (journal_writer), so a
--      writer whose connection dropped during COMMIT can tell whether the
--      batch went in before it sends it again.
-- The counter row is held only while the server runs this function (no
-- round trip to the hub in between), which keeps the serialised part short.

-- The writer session that committed each line (NULL before 0006, and for a
-- copy from the files). Not part of the hashed line. A writer's own tail
-- skips its own lines by it: it applied them to its memory when it appended
-- them, and the tail brings them back among the other writers' lines.
ALTER TABLE journal ADD COLUMN writer uuid;

-- What each writer session committed last: answers "did my batch commit?"
-- after a reply was lost (the lines' hashes are then read from the journal
-- itself). One row per writer session (a PgJournal once opened); rows of
-- sessions gone for a week are deleted when a writer opens.
CREATE TABLE journal_writer (
  session uuid PRIMARY KEY,
  owner text NOT NULL,
  batch bigint NOT NULL,
  first_n bigint NOT NULL,
  last_n bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Arguments: the fence (owner, partitions, epochs); the writer's session and
-- batch number; the lines as parallel arrays — `at` as the line has it
-- (toISOString's form), `type` and its JSON text, `data` as JSON text, the
-- partition; the device message keys, each with the 1-based index of the
-- first line that records it; whether to wake the standbys' tails.
-- Returns `fenced` false (nothing written) when the fence refused it;
-- otherwise the first and last n, the prev of the first line, every line's
-- hash, and the indices of lines whose message key an earlier line held.
CREATE FUNCTION journal_append_batch(
  p_owner text, p_partitions int[], p_epochs bigint[],
  p_session uuid, p_batch bigint,
  p_at text[], p_type text[], p_type_json text[], p_data text[], p_partition smallint[],
  p_key_device text[], p_key_seq bigint[], p_key_ts bigint[], p_key_line int[],
  p_notify boolean,
  OUT fenced boolean, OUT first_n bigint, OUT last_n bigint, OUT prev text, OUT hashes text[], OUT repeated int[]
) LANGUAGE plpgsql AS $$
DECLARE
  k int := cardinality(p_type);
  held int;
  base bigint;
  tip text;
  line text;
  prevs text[] := '{}';
  claimed int[];
BEGIN
  hashes := '{}';
  repeated := '{}';
  SELECT count(*) INTO held FROM (
    SELECT 1 FROM partition_lease l
      JOIN unnest(p_partitions, p_epochs) AS f(partition, epoch) ON l.partition = f.partition AND l.epoch = f.epoch
     WHERE l.owner = p_owner AND l.expires_at > now()
       FOR SHARE OF l) AS fence;
  IF held <> cardinality(p_partitions) THEN
    fenced := false;
    RETURN;
  END IF;
  fenced := true;
  UPDATE journal_seq SET n = journal_seq.n + k RETURNING journal_seq.n - k, journal_seq.tip INTO base, tip;
  prev := tip;
  FOR i IN 1..k LOOP
    line := '{"n":' || (base + i) || ',"at":"' || p_at[i] || '","type":' || p_type_json[i] || ',"data":' || p_data[i] || ',"prev":"' || tip || '"}';
    prevs := prevs || tip;
    tip := encode(sha256(convert_to(line, 'UTF8')), 'hex');
    hashes := hashes || tip;
  END LOOP;
  INSERT INTO journal (n, at, type, data, prev, hash, partition, writer)
  SELECT base + i, p_at[i]::timestamptz, p_type[i], p_data[i]::json, prevs[i], hashes[i], p_partition[i], p_session
    FROM generate_subscripts(p_type, 1) AS i;
  WITH keys AS (
    INSERT INTO device_messages (device_id, seq, ts, n)
    SELECT d, s, t, base + l FROM unnest(p_key_device, p_key_seq, p_key_ts, p_key_line) AS x(d, s, t, l)
    ON CONFLICT ON CONSTRAINT device_messages_key DO NOTHING
    RETURNING n
  )
  SELECT coalesce(array_agg((n - base)::int), '{}') INTO claimed FROM keys;
  SELECT coalesce(array_agg(l), '{}') INTO repeated FROM unnest(p_key_line) AS l WHERE NOT (l = ANY (claimed));
  UPDATE journal_seq SET tip = hashes[k];
  first_n := base + 1;
  last_n := base + k;
  INSERT INTO journal_writer (session, owner, batch, first_n, last_n)
  VALUES (p_session, p_owner, p_batch, first_n, last_n)
  ON CONFLICT (session) DO UPDATE SET batch = EXCLUDED.batch, first_n = EXCLUDED.first_n, last_n = EXCLUDED.last_n, updated_at = now();
  IF p_notify THEN
    PERFORM pg_notify('hub_journal', '');
  END IF;
END
$$;
