# Fixtures of the sync tests (701, 702, 703), loaded after pgsandbox.bash:
# the drifting tables of the source, and the target's "base" database that
# each test copies (CREATE DATABASE t TEMPLATE base).
# shellcheck shell=bash

# sync_source_sql: the source tables of 701 and 703, as SQL: integer (with
# text with tabs and newlines, numeric, timestamptz, bytea, jsonb, an array,
# NULLs, date, float8, boolean), text, uuid and composite keys, a table
# without a key, and a table nobody changes.
sync_source_sql() {
	cat <<'SQL'
CREATE TABLE t_int (id serial PRIMARY KEY, txt text, num numeric(12,3), ts timestamptz, b bytea,
  j jsonb, arr int[], note text, d date, f float8, ok boolean);
INSERT INTO t_int (txt, num, ts, b, j, arr, note, d, f, ok)
SELECT 'row ' || g || E'\twith tab\nand newline', g * 1.125, '2024-01-01 00:00+00'::timestamptz + g * interval '1 hour',
  decode(md5(g::text), 'hex'), jsonb_build_object('g', g, 'even', g % 2 = 0), ARRAY[g, g + 1],
  CASE WHEN g % 5 = 0 THEN NULL ELSE 'note ' || g END, '2024-01-01'::date + g, g / 7.0, g % 3 = 0
FROM generate_series(1, 3000) g;
CREATE TABLE t_text (code text PRIMARY KEY, v text);
INSERT INTO t_text SELECT 'key ' || g || CASE g % 4 WHEN 0 THEN E'\t(tab)' WHEN 1 THEN E'\n"nl",' ELSE '' END, 'v' || g
FROM generate_series(1, 1200) g;
CREATE TABLE t_uuid (id uuid PRIMARY KEY, v int);
INSERT INTO t_uuid SELECT md5(g::text)::uuid, g FROM generate_series(1, 1500) g;
CREATE TABLE t_comp (a int, b text, v text, PRIMARY KEY (a, b));
INSERT INTO t_comp SELECT g % 13, 'b ' || g, 'v' || g FROM generate_series(1, 1300) g;
CREATE TABLE t_nokey (v text, n int);
INSERT INTO t_nokey SELECT 'x' || g, g FROM generate_series(1, 300) g;
CREATE TABLE t_same (id int PRIMARY KEY, v text);
INSERT INTO t_same SELECT g, 'same ' || g FROM generate_series(1, 2000) g;
ANALYZE;
SQL
}

# sync_base DB: database "base" on cluster dst, a copy (pg_dump | psql) of
# database DB of cluster src.
sync_base() {
	psql_on dst -c "CREATE DATABASE base"
	pg_dump -d "$(pgsb_conninfo src "$1")" | psql -X -q -v ON_ERROR_STOP=1 -d "$(pgsb_conninfo dst base)" >/dev/null
}
