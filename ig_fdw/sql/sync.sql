-- ig_sync: incremental sync of many Instagram accounts into local tables,
-- inside PostgreSQL, within each account's API budget.  See docs/sync.md.
--
--   psql -f "$(ig-fdw sync --sql-path)"   (or: ig-fdw sync --dsn ... --install)
--
-- Needs the foreign tables of ig_fdw imported into one schema (default
-- "instagram", see sql/setup.sql; change ig_sync.settings.source_schema).
-- Re-running this file keeps the state and the synced rows (CREATE ... IF NOT
-- EXISTS) and replaces the functions.
--
-- Work is claimed per (account, stream) with FOR UPDATE SKIP LOCKED, stalest
-- first, so several workers (pg_cron jobs, `ig-fdw sync --workers K`) run
-- side by side.  Every page/window is its own transaction: the state row keeps
-- the resume point, so a killed worker replays at most that window, and
-- INSERT ... ON CONFLICT DO UPDATE keeps the replay free of duplicates.

CREATE SCHEMA IF NOT EXISTS ig_sync;

-- ------------------------------------------------------------------ settings
CREATE TABLE IF NOT EXISTS ig_sync.settings (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  source_schema name NOT NULL DEFAULT 'instagram',     -- where the foreign tables are
  target_usage numeric NOT NULL DEFAULT 80             -- max % of each account's BUC share
    CHECK (target_usage > 0 AND target_usage <= 100),
  first_sync interval NOT NULL DEFAULT '30 days',      -- first load of every account
  backfill_to interval NOT NULL DEFAULT '730 days',    -- media backfill horizon (backwards, within budget)
  lease interval NOT NULL DEFAULT '15 minutes',        -- a claim older than this is taken over
  clock timestamptz                                    -- NULL: now(); set by tests on the sandbox clock
);
INSERT INTO ig_sync.settings DEFAULT VALUES ON CONFLICT DO NOTHING;

-- The sync's notion of "now": the sandbox clock in tests, now() otherwise.
CREATE OR REPLACE FUNCTION ig_sync.now() RETURNS timestamptz
LANGUAGE sql STABLE AS $$ SELECT coalesce((SELECT clock FROM ig_sync.settings), now()) $$;

-- ------------------------------------------------------------------ accounts and state
CREATE TABLE IF NOT EXISTS ig_sync.account (
  business_account_id text PRIMARY KEY
    CHECK (business_account_id ~ '^[0-9]{1,25}$'),     -- reaches URLs: digits only
  enabled boolean NOT NULL DEFAULT true,
  status text NOT NULL DEFAULT 'active'
    CHECK (status IN ('active', 'throttled', 'needs_reauth')),
  blocked_until timestamptz,                           -- throttled: no call before this
  usage_pct numeric,                                   -- last X-Business-Use-Case-Usage share seen
  usage_at timestamptz,
  budget_est numeric,                                  -- calls per hour that usage_pct implies
  last_error text,
  added_at timestamptz NOT NULL DEFAULT now()
);
-- Where this account's foreign tables are, when not settings.source_schema: an
-- account reached by its own Instagram Login token has its own server, user
-- mapping and imported schema.
ALTER TABLE ig_sync.account ADD COLUMN IF NOT EXISTS source_schema name;

CREATE TABLE IF NOT EXISTS ig_sync.state (
  business_account_id text NOT NULL REFERENCES ig_sync.account ON DELETE CASCADE,
  stream text NOT NULL CHECK (stream IN ('media', 'media_insights', 'account_insights', 'stories')),
  cursor timestamptz,              -- everything up to here is synced (then re-read from cursor - overlap)
  overlap interval NOT NULL,
  backfill_cursor timestamptz,     -- media: oldest point loaded so far (backfill walks backwards)
  resume jsonb,                    -- window in progress; never a token or a Graph cursor
  win interval,                    -- media: current window size (about one page)
  next_due timestamptz NOT NULL DEFAULT '-infinity',
  every interval NOT NULL,         -- run interval of the stream
  last_success timestamptz,
  last_reconcile timestamptz,      -- media: last deletion check
  status text NOT NULL DEFAULT 'idle'
    CHECK (status IN ('idle', 'running', 'failed', 'throttled', 'needs_reauth')),
  claimed_by int,                  -- backend pid of the worker running it
  lease_until timestamptz,
  failures int NOT NULL DEFAULT 0,
  last_error text,
  last_calls int,                  -- API calls (BUC units) of the last run
  last_rows int,
  PRIMARY KEY (business_account_id, stream)
);

CREATE TABLE IF NOT EXISTS ig_sync.run_log (
  id bigserial PRIMARY KEY,
  business_account_id text NOT NULL,
  stream text NOT NULL,
  started_at timestamptz NOT NULL,       -- ig_sync.now()
  finished_at timestamptz,
  status text NOT NULL DEFAULT 'running',-- running, done, partial, throttled, needs_reauth, failed
  calls int NOT NULL DEFAULT 0,          -- HTTP requests
  units int NOT NULL DEFAULT 0,          -- BUC units (each batch item counts)
  pages int NOT NULL DEFAULT 0,          -- windows committed
  rows int NOT NULL DEFAULT 0,
  usage_pct numeric,
  error text
);
CREATE INDEX IF NOT EXISTS run_log_account_time ON ig_sync.run_log (business_account_id, started_at);

-- Objects whose insights can never come: never asked again.
CREATE TABLE IF NOT EXISTS ig_sync.terminal (
  object_id text PRIMARY KEY,
  business_account_id text NOT NULL,
  stream text NOT NULL,
  reason text NOT NULL,
  flagged_at timestamptz NOT NULL
);

-- ------------------------------------------------------------------ targets
CREATE TABLE IF NOT EXISTS ig_sync.media (
  id text PRIMARY KEY,
  business_account_id text NOT NULL,
  "timestamp" timestamptz NOT NULL,
  media_type text, media_product_type text, caption text, permalink text,
  like_count integer, comments_count integer,
  synced_at timestamptz NOT NULL,
  deleted_at timestamptz               -- set by the weekly reconcile
);
CREATE INDEX IF NOT EXISTS media_account_time ON ig_sync.media (business_account_id, "timestamp");

CREATE TABLE IF NOT EXISTS ig_sync.media_insights (
  media_id text PRIMARY KEY,
  business_account_id text NOT NULL,
  reach bigint, views bigint, total_interactions bigint, saved bigint, likes bigint,
  comments bigint, shares bigint,
  synced_at timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS ig_sync.account_insights (
  business_account_id text NOT NULL,
  end_time timestamptz NOT NULL,
  reach bigint, follower_count bigint,
  synced_at timestamptz NOT NULL,
  PRIMARY KEY (business_account_id, end_time)
);

CREATE TABLE IF NOT EXISTS ig_sync.stories (
  id text PRIMARY KEY,
  business_account_id text NOT NULL,
  "timestamp" timestamptz NOT NULL,
  media_type text, permalink text,
  synced_at timestamptz NOT NULL
);

-- Last snapshot of each story's insights (taken hourly while it lives).
CREATE TABLE IF NOT EXISTS ig_sync.story_insights (
  media_id text PRIMARY KEY,
  business_account_id text NOT NULL,
  reach bigint, views bigint, replies bigint, shares bigint, total_interactions bigint,
  captured_at timestamptz NOT NULL
);

-- ------------------------------------------------------------------ accounts
-- Add (or re-enable) an account: its four streams become due now.
-- source_schema: where its foreign tables are, when not settings.source_schema
-- (an account with its own Instagram Login token and server).
DROP FUNCTION IF EXISTS ig_sync.add_account(text);          -- before source_schema (upgrades)
CREATE OR REPLACE FUNCTION ig_sync.add_account(acct text, source_schema name DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF acct IS NULL OR acct !~ '^[0-9]{1,25}$' THEN
    RAISE EXCEPTION 'ig_sync.add_account: "%" is not an Instagram business account id', acct
      USING ERRCODE = '22023', HINT = 'Use the numeric id, e.g. SELECT business_account_id FROM instagram.instagram_pages.';
  END IF;
  IF source_schema IS NOT NULL AND to_regclass(format('%I.media', source_schema)) IS NULL THEN
    RAISE EXCEPTION 'ig_sync.add_account: schema "%" has no foreign table "media"', source_schema
      USING ERRCODE = '3F000',
            HINT = 'IMPORT FOREIGN SCHEMA instagram FROM SERVER <the account''s server> INTO <that schema> first.';
  END IF;
  INSERT INTO ig_sync.account AS a (business_account_id, source_schema) VALUES (acct, add_account.source_schema)
    ON CONFLICT (business_account_id) DO UPDATE
      SET enabled = true, source_schema = coalesce(excluded.source_schema, a.source_schema);
  INSERT INTO ig_sync.state (business_account_id, stream, overlap, every) VALUES
    (acct, 'media', '1 day', '1 hour'),
    (acct, 'media_insights', '0', '1 hour'),
    (acct, 'account_insights', '3 days', '6 hours'),
    (acct, 'stories', '0', '1 hour')
  ON CONFLICT DO NOTHING;
END $$;

-- After re-authorizing (a new token in the user mapping): schedule it again.
CREATE OR REPLACE FUNCTION ig_sync.reauthorized(acct text) RETURNS void
LANGUAGE sql AS $$
  UPDATE ig_sync.account SET status = 'active', last_error = NULL, blocked_until = NULL
   WHERE business_account_id = acct;
  UPDATE ig_sync.state SET status = 'idle', next_due = ig_sync.now(), failures = 0
   WHERE business_account_id = acct AND status = 'needs_reauth';
$$;

-- ------------------------------------------------------------------ calling the foreign tables
DO $$ BEGIN
  CREATE TYPE ig_sync.window_result AS (calls int, units int, usage numeric, nrows int);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

-- Run one SELECT on the foreign tables into the temporary table _ig_sync_rows
-- (dropped at commit) under EXPLAIN ANALYZE, whose "Graph API:" lines give
-- the calls made and the account's X-Business-Use-Case-Usage share.
CREATE OR REPLACE FUNCTION ig_sync._fetch(select_sql text, acct text) RETURNS ig_sync.window_result
LANGUAGE plpgsql AS $$
DECLARE
  line text;
  m text[];
  calls int := 0;
  units int := 0;
  usage numeric;
BEGIN
  DROP TABLE IF EXISTS pg_temp._ig_sync_rows;
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) '
                      'CREATE TEMP TABLE _ig_sync_rows ON COMMIT DROP AS ' || select_sql LOOP
    m := regexp_match(line, 'Graph API: (\d+) calls \((\d+) batches, (\d+) batch items\)');
    IF m IS NOT NULL THEN
      calls := calls + m[1]::int;
      units := units + m[1]::int - m[2]::int + m[3]::int;
    END IF;
    -- this account's own X-Business-Use-Case-Usage share
    m := regexp_match(line, 'Graph API: business use case usage: (.*, )?' || acct || ' (\d+)%');
    IF m IS NOT NULL THEN
      usage := greatest(coalesce(usage, 0), m[2]::numeric);
    END IF;
  END LOOP;
  RETURN ROW(calls, units, usage, NULL)::ig_sync.window_result;
END $$;

-- The foreign table `tbl` an account is read from: its own schema, or settings'.
DROP FUNCTION IF EXISTS ig_sync._src(text);
CREATE OR REPLACE FUNCTION ig_sync._src(tbl text, acct text) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT format('%I.%I', coalesce((SELECT a.source_schema FROM ig_sync.account a
                                    WHERE a.business_account_id = acct), s.source_schema), tbl)
    FROM ig_sync.settings s
$$;

-- BUC units spent on an account in the last hour (the API's rolling window).
CREATE OR REPLACE FUNCTION ig_sync.units_last_hour(acct text) RETURNS bigint
LANGUAGE sql STABLE AS $$
  SELECT coalesce(sum(units), 0) FROM ig_sync.run_log
   WHERE business_account_id = acct AND started_at > ig_sync.now() - interval '1 hour'
$$;

-- May the account spend `need` more units now without passing target_usage?
CREATE OR REPLACE FUNCTION ig_sync._may_call(acct text, need int) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
  a ig_sync.account;
  target numeric := (SELECT target_usage FROM ig_sync.settings);
  fresh boolean;
BEGIN
  SELECT * INTO a FROM ig_sync.account WHERE business_account_id = acct;
  IF a.blocked_until > ig_sync.now() OR a.status = 'needs_reauth' THEN
    RETURN false;
  END IF;
  fresh := a.usage_at > ig_sync.now() - interval '1 hour';
  IF fresh AND a.usage_pct >= target THEN
    RETURN false;
  END IF;
  IF a.budget_est IS NOT NULL THEN      -- estimated from the usage readings
    RETURN ig_sync.units_last_hour(acct) + need <= a.budget_est * target / 100;
  END IF;
  RETURN true;
END $$;

-- Book one window: run_log row, account usage reading, budget estimate.
CREATE OR REPLACE FUNCTION ig_sync._book(log_id bigint, acct text, f ig_sync.window_result) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  spent bigint;
BEGIN
  UPDATE ig_sync.run_log SET calls = calls + f.calls, units = units + f.units, pages = pages + 1,
         rows = rows + coalesce(f.nrows, 0), usage_pct = coalesce(f.usage, usage_pct)
   WHERE id = log_id;
  spent := ig_sync.units_last_hour(acct);
  UPDATE ig_sync.account SET
         usage_pct = coalesce(f.usage, usage_pct),
         usage_at = CASE WHEN f.usage IS NOT NULL THEN ig_sync.now() ELSE usage_at END,
         budget_est = CASE WHEN f.usage >= 5 AND spent > 0 THEN spent * 100 / f.usage ELSE budget_est END,
         status = CASE WHEN status = 'throttled' THEN 'active' ELSE status END,
         blocked_until = NULL
   WHERE business_account_id = acct;
END $$;

-- An error of one window: classify it, and keep it to this account/stream.
CREATE OR REPLACE FUNCTION ig_sync._fail(log_id bigint, acct text, strm text, code text, msg text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  mins numeric;
  kind text;
BEGIN
  IF code = '53400' AND msg !~ '\(#\d+\)' AND position('business account ' || acct IN msg) = 0 THEN
    -- ig_fdw's shared rate state says the app as a whole is throttled (an
    -- app-level code, e.g. 4): wait, without blaming this account
    mins := coalesce((regexp_match(msg, 'about (\d+) minute'))[1]::numeric, 15);
    UPDATE ig_sync.state SET status = 'throttled', last_error = msg,
           next_due = ig_sync.now() + make_interval(mins => mins::int)
     WHERE business_account_id = acct AND stream = strm;
    kind := 'throttled';
  ELSIF code = '53400' THEN      -- this account was throttled: by the API (its code), or ig_fdw's
                                 -- rate state holds its block (the message names the account)
    mins := coalesce((regexp_match(msg, 'about (\d+) minute'))[1]::numeric, 15);
    UPDATE ig_sync.account SET status = 'throttled', last_error = msg,
           blocked_until = ig_sync.now() + make_interval(mins => mins::int)
     WHERE business_account_id = acct;
    UPDATE ig_sync.state SET status = 'throttled', last_error = msg,
           next_due = ig_sync.now() + make_interval(mins => mins::int)
     WHERE business_account_id = acct AND stream = strm;
    kind := 'throttled';
  ELSIF code IN ('28000', '42501')                         -- token revoked / expired / missing scope
     OR (code = '42704' AND position(acct IN msg) > 0) THEN  -- the account is not visible to the token
    UPDATE ig_sync.account SET status = 'needs_reauth', last_error = msg
     WHERE business_account_id = acct;
    UPDATE ig_sync.state SET status = 'needs_reauth', last_error = msg
     WHERE business_account_id = acct;
    kind := 'needs_reauth';
  ELSE
    UPDATE ig_sync.state SET status = 'failed', last_error = msg, failures = failures + 1,
           next_due = ig_sync.now() + least(interval '6 hours', interval '5 minutes' * power(2, failures))
     WHERE business_account_id = acct AND stream = strm;
    kind := 'failed';
  END IF;
  UPDATE ig_sync.run_log SET status = kind, error = left(msg, 500), finished_at = ig_sync.now()
   WHERE id = log_id;
  UPDATE ig_sync.state SET claimed_by = NULL, lease_until = NULL
   WHERE business_account_id = acct AND stream = strm;
  RETURN kind;
END $$;

-- ------------------------------------------------------------------ streams (one window each)
-- media: one time window, newest first.  Returns the rows it upserted.
CREATE OR REPLACE FUNCTION ig_sync._media_window(acct text, lo timestamptz, hi timestamptz)
RETURNS ig_sync.window_result LANGUAGE plpgsql AS $$
DECLARE
  f ig_sync.window_result;
  n int;
BEGIN
  f := ig_sync._fetch(format(
    'SELECT id, "timestamp", media_type, media_product_type, caption, permalink, like_count, comments_count '
    'FROM %s WHERE business_account_id = %L AND "timestamp" >= %L AND "timestamp" < %L',
    ig_sync._src('media', acct), acct, lo, hi), acct);
  INSERT INTO ig_sync.media AS t (id, business_account_id, "timestamp", media_type, media_product_type,
                                  caption, permalink, like_count, comments_count, synced_at)
  SELECT id, acct, "timestamp", media_type, media_product_type, caption, permalink, like_count,
         comments_count, ig_sync.now() FROM pg_temp._ig_sync_rows
  ON CONFLICT (id) DO UPDATE SET "timestamp" = EXCLUDED."timestamp", media_type = EXCLUDED.media_type,
         media_product_type = EXCLUDED.media_product_type, caption = EXCLUDED.caption,
         permalink = EXCLUDED.permalink, like_count = EXCLUDED.like_count,
         comments_count = EXCLUDED.comments_count, synced_at = EXCLUDED.synced_at, deleted_at = NULL;
  GET DIAGNOSTICS n = ROW_COUNT;
  f.nrows := n;
  RETURN f;
END $$;

-- media: weekly deletion check (ids only); media not listed any more get deleted_at.
CREATE OR REPLACE FUNCTION ig_sync._media_reconcile(acct text, upto timestamptz)
RETURNS ig_sync.window_result LANGUAGE plpgsql AS $$
DECLARE
  f ig_sync.window_result;
  n int;
BEGIN
  f := ig_sync._fetch(format('SELECT id FROM %s WHERE business_account_id = %L AND "timestamp" < %L',
                             ig_sync._src('media', acct), acct, upto), acct);
  UPDATE ig_sync.media m SET deleted_at = ig_sync.now()
   WHERE m.business_account_id = acct AND m.deleted_at IS NULL AND m."timestamp" < upto
     AND NOT EXISTS (SELECT 1 FROM pg_temp._ig_sync_rows r WHERE r.id = m.id);
  GET DIAGNOSTICS n = ROW_COUNT;
  f.nrows := n;
  RETURN f;
END $$;

-- Media whose insights are due, by age tier: <= 10 days every run, <= 60 days
-- daily, <= 365 days weekly, older once (then frozen).
CREATE OR REPLACE FUNCTION ig_sync.due_media_insights(acct text, lim int DEFAULT 50)
RETURNS SETOF text LANGUAGE sql STABLE AS $$
  SELECT m.id FROM ig_sync.media m
    LEFT JOIN ig_sync.media_insights i ON i.media_id = m.id
   WHERE m.business_account_id = acct AND m.deleted_at IS NULL
     AND NOT EXISTS (SELECT 1 FROM ig_sync.terminal t WHERE t.object_id = m.id)
     AND (i.synced_at IS NULL
          OR (m."timestamp" > ig_sync.now() - interval '365 days'     -- older: frozen once fetched
              AND i.synced_at <= ig_sync.now() - CASE
                WHEN m."timestamp" > ig_sync.now() - interval '10 days' THEN interval '50 minutes'
                WHEN m."timestamp" > ig_sync.now() - interval '60 days' THEN interval '23 hours'
                ELSE interval '7 days' END))
   ORDER BY i.synced_at NULLS FIRST, m."timestamp" DESC
   LIMIT lim
$$;

-- media insights of up to 50 media (one batch call); NULL-only answers are terminal.
CREATE OR REPLACE FUNCTION ig_sync._media_insights_chunk(acct text, ids text[])
RETURNS ig_sync.window_result LANGUAGE plpgsql AS $$
DECLARE
  f ig_sync.window_result;
  n int;
BEGIN
  f := ig_sync._fetch(format(
    'SELECT media_id, reach, views, total_interactions, saved, likes, comments, shares FROM %s '
    'WHERE business_account_id = %L AND media_id IN (%s)',
    ig_sync._src('media_insights', acct), acct,
    (SELECT string_agg(quote_literal(x), ',') FROM unnest(ids) x)), acct);
  INSERT INTO ig_sync.media_insights AS t (media_id, business_account_id, reach, views, total_interactions,
                                           saved, likes, comments, shares, synced_at)
  SELECT media_id, acct, reach, views, total_interactions, saved, likes, comments, shares, ig_sync.now()
    FROM pg_temp._ig_sync_rows WHERE coalesce(reach, views, likes, total_interactions) IS NOT NULL
  ON CONFLICT (media_id) DO UPDATE SET reach = EXCLUDED.reach, views = EXCLUDED.views,
         total_interactions = EXCLUDED.total_interactions, saved = EXCLUDED.saved, likes = EXCLUDED.likes,
         comments = EXCLUDED.comments, shares = EXCLUDED.shares, synced_at = EXCLUDED.synced_at;
  GET DIAGNOSTICS n = ROW_COUNT;
  f.nrows := n;
  INSERT INTO ig_sync.terminal (object_id, business_account_id, stream, reason, flagged_at)
  SELECT media_id, acct, 'media_insights', 'insights unavailable (pre-conversion media)', ig_sync.now()
    FROM pg_temp._ig_sync_rows WHERE coalesce(reach, views, likes, total_interactions) IS NULL
  ON CONFLICT DO NOTHING;
  RETURN f;
END $$;

CREATE OR REPLACE FUNCTION ig_sync._account_insights_window(acct text, lo timestamptz, hi timestamptz)
RETURNS ig_sync.window_result LANGUAGE plpgsql AS $$
DECLARE
  f ig_sync.window_result;
  n int;
BEGIN
  f := ig_sync._fetch(format(
    'SELECT end_time, reach, follower_count FROM %s '
    'WHERE business_account_id = %L AND period = ''day'' AND since = %L AND until = %L',
    ig_sync._src('account_insights', acct), acct, lo, hi), acct);
  INSERT INTO ig_sync.account_insights AS t (business_account_id, end_time, reach, follower_count, synced_at)
  SELECT acct, end_time, reach, follower_count, ig_sync.now() FROM pg_temp._ig_sync_rows
   WHERE end_time IS NOT NULL
  ON CONFLICT (business_account_id, end_time) DO UPDATE SET reach = EXCLUDED.reach,
         follower_count = coalesce(EXCLUDED.follower_count, t.follower_count), synced_at = EXCLUDED.synced_at;
  GET DIAGNOSTICS n = ROW_COUNT;
  f.nrows := n;
  RETURN f;
END $$;

CREATE OR REPLACE FUNCTION ig_sync._stories_list(acct text)
RETURNS ig_sync.window_result LANGUAGE plpgsql AS $$
DECLARE
  f ig_sync.window_result;
  n int;
BEGIN
  f := ig_sync._fetch(format('SELECT id, "timestamp", media_type, permalink FROM %s '
                             'WHERE business_account_id = %L', ig_sync._src('stories', acct), acct), acct);
  INSERT INTO ig_sync.stories AS t (id, business_account_id, "timestamp", media_type, permalink, synced_at)
  SELECT id, acct, "timestamp", media_type, permalink, ig_sync.now() FROM pg_temp._ig_sync_rows
  ON CONFLICT (id) DO UPDATE SET synced_at = EXCLUDED.synced_at;
  GET DIAGNOSTICS n = ROW_COUNT;
  f.nrows := n;
  RETURN f;
END $$;

CREATE OR REPLACE FUNCTION ig_sync._story_insights_chunk(acct text, ids text[])
RETURNS ig_sync.window_result LANGUAGE plpgsql AS $$
DECLARE
  f ig_sync.window_result;
  n int;
BEGIN
  f := ig_sync._fetch(format(
    'SELECT media_id, reach, views, replies, shares, total_interactions FROM %s '
    'WHERE business_account_id = %L AND media_id IN (%s)', ig_sync._src('media_insights_story', acct), acct,
    (SELECT string_agg(quote_literal(x), ',') FROM unnest(ids) x)), acct);
  INSERT INTO ig_sync.story_insights AS t (media_id, business_account_id, reach, views, replies, shares,
                                           total_interactions, captured_at)
  SELECT media_id, acct, reach, views, replies, shares, total_interactions, ig_sync.now()
    FROM pg_temp._ig_sync_rows WHERE coalesce(reach, views) IS NOT NULL
  ON CONFLICT (media_id) DO UPDATE SET reach = EXCLUDED.reach, views = EXCLUDED.views,
         replies = EXCLUDED.replies, shares = EXCLUDED.shares,
         total_interactions = EXCLUDED.total_interactions, captured_at = EXCLUDED.captured_at;
  GET DIAGNOSTICS n = ROW_COUNT;
  f.nrows := n;
  INSERT INTO ig_sync.terminal (object_id, business_account_id, stream, reason, flagged_at)
  SELECT media_id, acct, 'stories', 'story insights unavailable (fewer than 5 viewers)', ig_sync.now()
    FROM pg_temp._ig_sync_rows WHERE coalesce(reach, views) IS NULL
  ON CONFLICT DO NOTHING;
  RETURN f;
END $$;

-- ------------------------------------------------------------------ one run of one (account, stream)
-- Window after a media window of `span` gave `n` rows: aim at ~60 rows, well inside one
-- page of 100, so that a window is one call and a killed worker replays one page.
CREATE OR REPLACE FUNCTION ig_sync._next_win(span interval, n int) RETURNS interval
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN n <= 0 THEN least(span * 2, interval '365 days')
              ELSE least(greatest(span * 60 / n, interval '1 hour'), interval '365 days') END
$$;

-- The next step of a run: kind (NULL when the run is complete), its window
-- or ids, and the units it will cost at most.
CREATE OR REPLACE FUNCTION ig_sync._next_step(st ig_sync.state, first_run boolean, room int,
    OUT kind text, OUT lo timestamptz, OUT hi timestamptz, OUT ids text[], OUT need int)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  s ig_sync.settings;
  nowt timestamptz := ig_sync.now();
  phase text := st.resume->>'phase';
  pos timestamptz;
BEGIN
  SELECT * INTO s FROM ig_sync.settings;
  need := 1;
  IF st.stream = 'media' THEN
    IF phase = 'recent' THEN
      lo := (st.resume->>'lo')::timestamptz;
      pos := (st.resume->>'pos')::timestamptz;
      IF pos > lo THEN
        kind := 'media';
        hi := pos;
        lo := greatest(lo, pos - coalesce(st.win, interval '30 days'));
        RETURN;
      END IF;
      kind := 'media_recent_done';
    ELSIF phase = 'backfill' THEN
      IF st.backfill_cursor > nowt - s.backfill_to THEN
        kind := 'media_backfill';
        hi := st.backfill_cursor;
        lo := greatest(nowt - s.backfill_to, hi - coalesce(st.win, interval '30 days'));
        RETURN;
      END IF;
      kind := 'media_backfill_done';
    ELSIF phase = 'reconcile' THEN
      kind := 'media_reconcile';
      hi := (st.resume->>'upto')::timestamptz;
      need := 1 + (SELECT count(*) FROM ig_sync.media
                    WHERE business_account_id = st.business_account_id AND deleted_at IS NULL) / 100;
    ELSIF phase = 'done' THEN
      kind := NULL;
    ELSE
      kind := 'media_start';
    END IF;
  ELSIF st.stream = 'media_insights' THEN
    ids := ARRAY(SELECT ig_sync.due_media_insights(st.business_account_id, greatest(1, least(50, room - 1))));
    IF cardinality(ids) > 0 THEN
      kind := 'media_insights';
      need := cardinality(ids) + 1;           -- one batch item per media, and the type lookup
    END IF;
  ELSIF st.stream = 'account_insights' THEN
    IF phase IS NULL THEN
      kind := 'account_insights';
      hi := date_trunc('day', nowt);
      -- re-read the last days (Meta's 48 h delay); the API takes at most 30 days a call
      lo := greatest(coalesce(st.cursor - st.overlap, hi - s.first_sync), hi - interval '29 days');
    END IF;
  ELSIF st.stream = 'stories' THEN
    IF phase IS NULL THEN
      kind := 'stories';
    ELSE
      ids := ARRAY(SELECT s2.id FROM ig_sync.stories s2
                    LEFT JOIN ig_sync.story_insights i ON i.media_id = s2.id
                   WHERE s2.business_account_id = st.business_account_id
                     AND s2."timestamp" > nowt - interval '24 hours'
                     AND NOT EXISTS (SELECT 1 FROM ig_sync.terminal t WHERE t.object_id = s2.id)
                     AND (i.captured_at IS NULL OR i.captured_at <= nowt - interval '50 minutes')
                   ORDER BY s2."timestamp" LIMIT 1);   -- one a call: a story without insights fails alone
      IF cardinality(ids) > 0 THEN
        kind := 'story_insights';
        need := cardinality(ids) + 1;
      END IF;
    END IF;
  END IF;
END $$;

CREATE OR REPLACE PROCEDURE ig_sync._run(acct text, strm text, max_calls int, deadline timestamptz,
                                         INOUT spent int DEFAULT 0)
LANGUAGE plpgsql AS $$
DECLARE
  st ig_sync.state;
  s ig_sync.settings;
  nowt timestamptz := ig_sync.now();
  first_run boolean;
  log_id bigint;
  step record;
  r ig_sync.window_result;
  outcome text;
  run_units int := 0;
  run_rows int := 0;
  err_code text;
  err_msg text;
BEGIN
  SELECT * INTO s FROM ig_sync.settings;
  SELECT * INTO st FROM ig_sync.state WHERE business_account_id = acct AND stream = strm;
  first_run := st.last_success IS NULL;
  INSERT INTO ig_sync.run_log (business_account_id, stream, started_at) VALUES (acct, strm, nowt)
  RETURNING id INTO log_id;
  COMMIT;
  LOOP
    SELECT * INTO st FROM ig_sync.state WHERE business_account_id = acct AND stream = strm;
    step := ig_sync._next_step(st, first_run, max_calls - spent);
    IF step.kind IS NULL THEN
      outcome := 'done';
      EXIT;
    END IF;
    -- bookkeeping steps (no API call)
    IF step.kind = 'media_start' THEN
      UPDATE ig_sync.state SET resume = jsonb_build_object('phase', 'recent',
               'lo', coalesce(st.cursor - st.overlap, nowt - s.first_sync), 'hi', nowt, 'pos', nowt)
       WHERE business_account_id = acct AND stream = strm;
      COMMIT;
      CONTINUE;
    ELSIF step.kind IN ('media_recent_done', 'media_backfill_done') THEN
      UPDATE ig_sync.state SET
             cursor = CASE WHEN step.kind = 'media_recent_done' THEN (resume->>'hi')::timestamptz ELSE cursor END,
             backfill_cursor = coalesce(backfill_cursor, (resume->>'lo')::timestamptz),
             resume = CASE
               WHEN step.kind = 'media_recent_done' AND NOT first_run
                    AND coalesce(backfill_cursor, (resume->>'lo')::timestamptz) > nowt - s.backfill_to
                 THEN '{"phase": "backfill"}'::jsonb
               WHEN NOT first_run AND (last_reconcile IS NULL OR last_reconcile < nowt - interval '7 days')
                 THEN jsonb_build_object('phase', 'reconcile', 'upto', coalesce(cursor, nowt))
               ELSE '{"phase": "done"}'::jsonb END
       WHERE business_account_id = acct AND stream = strm;
      COMMIT;
      CONTINUE;
    END IF;
    -- an API step: within the run's cap, the deadline and the account's budget
    IF spent + step.need > max_calls OR clock_timestamp() > deadline
       OR NOT ig_sync._may_call(acct, step.need) THEN
      outcome := 'partial';
      EXIT;
    END IF;
    BEGIN
      IF step.kind IN ('media', 'media_backfill') THEN
        r := ig_sync._media_window(acct, step.lo, step.hi);
        IF step.kind = 'media' THEN
          UPDATE ig_sync.state SET resume = jsonb_set(resume, '{pos}', to_jsonb(step.lo)),
                 win = ig_sync._next_win(step.hi - step.lo, r.nrows)
           WHERE business_account_id = acct AND stream = strm;
        ELSE
          UPDATE ig_sync.state SET backfill_cursor = step.lo, win = ig_sync._next_win(step.hi - step.lo, r.nrows)
           WHERE business_account_id = acct AND stream = strm;
        END IF;
      ELSIF step.kind = 'media_reconcile' THEN
        r := ig_sync._media_reconcile(acct, step.hi);
        UPDATE ig_sync.state SET resume = '{"phase": "done"}', last_reconcile = nowt
         WHERE business_account_id = acct AND stream = strm;
      ELSIF step.kind = 'media_insights' THEN
        r := ig_sync._media_insights_chunk(acct, step.ids);
      ELSIF step.kind = 'account_insights' THEN
        r := ig_sync._account_insights_window(acct, step.lo, step.hi);
        UPDATE ig_sync.state SET resume = '{"phase": "done"}',
               cursor = greatest(cursor, (SELECT max(end_time) FROM pg_temp._ig_sync_rows))
         WHERE business_account_id = acct AND stream = strm;
      ELSIF step.kind = 'stories' THEN
        r := ig_sync._stories_list(acct);
        UPDATE ig_sync.state SET resume = '{"phase": "insights"}'
         WHERE business_account_id = acct AND stream = strm;
      ELSIF step.kind = 'story_insights' THEN
        r := ig_sync._story_insights_chunk(acct, step.ids);
      END IF;
      PERFORM ig_sync._book(log_id, acct, r);
      UPDATE ig_sync.state SET lease_until = now() + s.lease
       WHERE business_account_id = acct AND stream = strm;
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS err_code = RETURNED_SQLSTATE, err_msg = MESSAGE_TEXT;
      IF step.kind IN ('media_insights', 'story_insights') AND cardinality(step.ids) = 1
         AND (err_msg ~ 'Not enough viewers' OR err_msg ~ '2108006') THEN
        -- insights that can never come for this one object: flag it, go on
        INSERT INTO ig_sync.terminal (object_id, business_account_id, stream, reason, flagged_at)
        VALUES (step.ids[1], acct, CASE WHEN step.kind = 'story_insights' THEN 'stories' ELSE strm END,
                left(err_msg, 200), nowt)
        ON CONFLICT DO NOTHING;
        r := ROW(1, 1, NULL, 0)::ig_sync.window_result;
        PERFORM ig_sync._book(log_id, acct, r);
      ELSE
        outcome := ig_sync._fail(log_id, acct, strm, err_code, err_msg);
      END IF;
    END;
    COMMIT;                                   -- checkpoint: this window is never fetched again
    EXIT WHEN outcome IS NOT NULL;
    spent := spent + r.units;
    run_units := run_units + r.units;
    run_rows := run_rows + coalesce(r.nrows, 0);
  END LOOP;
  IF outcome IN ('done', 'partial') THEN
    UPDATE ig_sync.state SET
           status = 'idle', claimed_by = NULL, lease_until = NULL,
           last_calls = run_units, last_rows = run_rows,
           resume = CASE WHEN outcome = 'done' THEN NULL ELSE resume END,
           last_success = CASE WHEN outcome = 'done' THEN nowt ELSE last_success END,
           failures = CASE WHEN outcome = 'done' THEN 0 ELSE failures END,
           last_error = CASE WHEN outcome = 'done' THEN NULL ELSE last_error END,
           -- done: next interval; out of budget: retry in 15 min; out of time or cap: next run
           next_due = CASE WHEN outcome = 'done' THEN nowt + every
                           WHEN NOT ig_sync._may_call(acct, 1) THEN nowt + interval '15 minutes'
                           WHEN clock_timestamp() > deadline THEN nowt
                           ELSE nowt + interval '10 minutes' END
     WHERE business_account_id = acct AND stream = strm;
    UPDATE ig_sync.run_log SET status = outcome, finished_at = ig_sync.now() WHERE id = log_id;
  ELSE
    UPDATE ig_sync.state SET last_calls = run_units, last_rows = run_rows
     WHERE business_account_id = acct AND stream = strm;
  END IF;
  COMMIT;
END $$;

-- ------------------------------------------------------------------ scheduling
-- Claim the stalest due (account, stream): FOR UPDATE SKIP LOCKED picks a row
-- no other worker is claiming; the claim (status running, backend pid, lease)
-- is committed before any API call, so it survives the per-window commits.  A
-- claim whose backend is gone (kill -9) or whose lease ran out is taken over.
CREATE OR REPLACE FUNCTION ig_sync._claim(skip text[]) RETURNS ig_sync.state
LANGUAGE plpgsql AS $$
DECLARE
  st ig_sync.state;
BEGIN
  UPDATE ig_sync.state s SET status = 'running', claimed_by = pg_backend_pid(),
         lease_until = now() + (SELECT lease FROM ig_sync.settings)
    FROM (SELECT x.business_account_id, x.stream
            FROM ig_sync.state x JOIN ig_sync.account a USING (business_account_id)
           WHERE a.enabled AND a.status <> 'needs_reauth'
             AND coalesce(a.blocked_until, '-infinity') <= ig_sync.now()
             AND x.next_due <= ig_sync.now()
             AND x.status <> 'needs_reauth'
             AND NOT (x.business_account_id || '/' || x.stream = ANY (skip))
             AND (x.status <> 'running' OR x.lease_until < now()
                  OR NOT EXISTS (SELECT 1 FROM pg_stat_activity p WHERE p.pid = x.claimed_by))
           ORDER BY coalesce(x.last_success, '-infinity'),
                    -- cheap and perishable first; media before the insights that need its ids
                    array_position(ARRAY['account_insights', 'stories', 'media', 'media_insights'], x.stream),
                    x.next_due
           LIMIT 1
           FOR UPDATE OF x SKIP LOCKED) c
   WHERE s.business_account_id = c.business_account_id AND s.stream = c.stream
  RETURNING s.* INTO st;
  RETURN st;
END $$;

-- Run due work until nothing is due or max_seconds have passed; each account
-- spends at most max_calls BUC units in this run.  `worked` returns the number
-- of (account, stream) runs made.  CALL it outside a transaction block (it
-- commits after every window).
CREATE OR REPLACE PROCEDURE ig_sync.tick(max_calls int DEFAULT 100, max_seconds int DEFAULT 300,
                                         INOUT worked int DEFAULT 0)
LANGUAGE plpgsql AS $$
DECLARE
  deadline timestamptz := clock_timestamp() + make_interval(secs => max_seconds);
  st ig_sync.state;
  done text[] := '{}';
  spent_by jsonb := '{}';
  spent int;
BEGIN
  IF max_calls IS NULL OR max_calls < 1 OR max_seconds IS NULL OR max_seconds < 1 THEN
    RAISE EXCEPTION 'ig_sync.tick: max_calls and max_seconds must be positive'
      USING ERRCODE = '22023', HINT = 'e.g. CALL ig_sync.tick(100, 300);';
  END IF;
  worked := 0;
  WHILE clock_timestamp() < deadline LOOP
    st := ig_sync._claim(done);
    COMMIT;
    EXIT WHEN st.business_account_id IS NULL;
    done := done || (st.business_account_id || '/' || st.stream);
    spent := coalesce((spent_by->>st.business_account_id)::int, 0);
    CALL ig_sync._run(st.business_account_id, st.stream, max_calls, deadline, spent);
    spent_by := spent_by || jsonb_build_object(st.business_account_id, spent);
    worked := worked + 1;
  END LOOP;
END $$;

-- ------------------------------------------------------------------ watching
-- One row per account: staleness of each stream, calls of the last hour, status.
CREATE OR REPLACE VIEW ig_sync.overview AS
SELECT a.business_account_id, a.status, a.enabled, a.usage_pct, a.budget_est, a.blocked_until,
       ig_sync.units_last_hour(a.business_account_id) AS units_last_hour,
       max(ig_sync.now() - s.last_success) FILTER (WHERE s.stream = 'media') AS media_stale,
       max(ig_sync.now() - s.last_success) FILTER (WHERE s.stream = 'media_insights') AS media_insights_stale,
       max(ig_sync.now() - s.last_success) FILTER (WHERE s.stream = 'account_insights') AS account_insights_stale,
       max(ig_sync.now() - s.last_success) FILTER (WHERE s.stream = 'stories') AS stories_stale,
       sum(s.failures) AS failures,
       string_agg(s.stream || ': ' || s.last_error, '; ') FILTER (WHERE s.last_error IS NOT NULL) AS errors
  FROM ig_sync.account a LEFT JOIN ig_sync.state s USING (business_account_id)
 GROUP BY a.business_account_id;
