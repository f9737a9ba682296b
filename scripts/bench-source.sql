-- bench-source.sql: the benchmark's source database (scripts/bench), in steps.
-- Run with psql -v ON_ERROR_STOP=1 -v STEP= (define exactly one of the step
-- variables below) plus that step's variables. The data is deterministic
-- (hash functions of the row number, no random()), so every run of the
-- benchmark at a scale copies the same bytes.
--
-- Steps, in order (pgbench -i -I dt runs before "schema", pgbench -i -I pf after
-- the fills):
--   archive        on the archive cluster: events_archive (:archive_rows rows)
--   schema         on the source: FDW server + user mapping, branches and tellers
--                  rows (:pgb_scale), users, events with 12 monthly local partitions
--                  and the foreign partition for older rows
--   fill_accounts  pgbench_accounts rows :lo..:hi (aid)
--   fill_events    one month :month (1..12) of events, :rows rows, user ids
--                  from 1 to :users
--   fill_users     :users rows of users
--   post           indexes and constraints that pgbench does not create; the
--                  events id sequence set to :events_rows

\if :{?archive}
CREATE TABLE events_archive (
	id bigint NOT NULL,
	occurred_at timestamptz NOT NULL,
	user_id int NOT NULL,
	kind text NOT NULL,
	payload jsonb NOT NULL,
	message text
);
INSERT INTO events_archive
SELECT g, timestamptz '2023-01-01' + (g - 1) * interval '1 year' / :archive_rows,
       1 + abs(h) % 1000, 'archived', jsonb_build_object('session', md5(h::text), 'archived', true),
       'archived event ' || g
FROM generate_series(1, :archive_rows) g, LATERAL (SELECT hashint8(g) AS h) x;
ANALYZE events_archive;
\endif

\if :{?schema}
CREATE EXTENSION postgres_fdw;
CREATE SERVER archive_srv FOREIGN DATA WRAPPER postgres_fdw
	OPTIONS (host :'archive_host', port :'archive_port', dbname :'archive_db');
CREATE USER MAPPING FOR postgres SERVER archive_srv OPTIONS (user 'postgres');

-- pgbench -i -I G's rows of the two small tables.
INSERT INTO pgbench_branches (bid, bbalance)
	SELECT bid, 0 FROM generate_series(1, :pgb_scale) bid;
INSERT INTO pgbench_tellers (tid, bid, tbalance)
	SELECT tid, (tid - 1) / 10 + 1, 0 FROM generate_series(1, :pgb_scale * 10) tid;

CREATE TABLE users (
	id serial NOT NULL,
	email text NOT NULL,
	name text NOT NULL,
	created_at timestamptz NOT NULL,
	bio text
);

CREATE TABLE events (
	id bigserial NOT NULL,
	occurred_at timestamptz NOT NULL,
	user_id int NOT NULL,
	kind text NOT NULL,
	payload jsonb NOT NULL,
	message text
) PARTITION BY RANGE (occurred_at);
SELECT format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
              'events_2024_' || to_char(m, 'FM00'),
              make_date(2024, m, 1), make_date(2024, m, 1) + interval '1 month')
FROM generate_series(1, 12) m
\gexec
CREATE FOREIGN TABLE events_archived PARTITION OF events
	FOR VALUES FROM (MINVALUE) TO ('2024-01-01')
	SERVER archive_srv OPTIONS (table_name 'events_archive');
\endif

\if :{?fill_accounts}
-- As pgbench -i -I G, but with a spread of balances so that the extra indexes
-- on abalance are real work, not one deduplicated key.
INSERT INTO pgbench_accounts (aid, bid, abalance, filler)
	SELECT aid, (aid - 1) / 100000 + 1, hashint4(aid) % 100000, ''
	FROM generate_series(:lo::int, :hi::int) aid;
\endif

\if :{?fill_events}
INSERT INTO events (id, occurred_at, user_id, kind, payload, message)
SELECT (:month::bigint - 1) * :rows + g,
       make_date(2024, :month, 1) + (g - 1) * ((make_date(2024, :month, 1) + interval '1 month')
                                              - make_date(2024, :month, 1)) / :rows,
       1 + abs(h) % :users,
       (ARRAY['view', 'click', 'search', 'purchase', 'signup', 'logout'])[1 + abs(h >> 3) % 6],
       jsonb_build_object(
           'session', md5(h::text),
           'ip', format('10.%s.%s.%s', abs(h) % 256, abs(h >> 8) % 256, abs(h >> 16) % 256),
           'amount', round((abs(h) % 100000) / 100.0, 2),
           'tags', jsonb_build_array('t' || abs(h) % 17, 't' || abs(h >> 5) % 29),
           'ok', h % 7 <> 0,
           'ua', (ARRAY['Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0',
                        'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15',
                        'curl/7.88.1'])[1 + abs(h >> 11) % 3]),
       'event ' || g || ' of month ' || :month || ': ' || md5(g::text) || ' ' || md5(h::text)
FROM generate_series(1, :rows::int) g,
     LATERAL (SELECT hashint8(g + :month::bigint * 1000000000) AS h) x;
\endif

\if :{?fill_users}
INSERT INTO users (email, name, created_at, bio)
SELECT 'user' || g || '@example.' || (ARRAY['com', 'org', 'net'])[1 + g % 3],
       initcap(substr(md5(g::text), 1, 6) || ' ' || substr(md5(g::text), 7, 9)),
       timestamptz '2020-01-01' + g * interval '7 minutes',
       CASE WHEN g % 4 = 0 THEN NULL ELSE repeat(md5((g * 31)::text), 1 + g % 3) END
FROM generate_series(1, :users::int) g;
SELECT setval('users_id_seq', :users::int);
\endif

\if :{?post}
CREATE INDEX pgbench_accounts_abalance_idx ON pgbench_accounts (abalance);
CREATE INDEX pgbench_accounts_bid_abalance_idx ON pgbench_accounts (bid, abalance);
ALTER TABLE pgbench_accounts ADD CONSTRAINT pgbench_accounts_bid_aid_key UNIQUE (bid, aid);
ALTER TABLE users ADD PRIMARY KEY (id);
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
CREATE INDEX events_occurred_at_idx ON events (occurred_at);
CREATE INDEX events_user_id_occurred_at_idx ON events (user_id, occurred_at);
SELECT setval('events_id_seq', :events_rows::bigint);
\endif
