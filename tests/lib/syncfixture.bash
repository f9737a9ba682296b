# Fixtures of the sync tests (701, 702, 703), loaded after pgsandbox.bash:
# the drifting tables of the source, the target's "base" database that each
# test copies (CREATE DATABASE t TEMPLATE base), and the sums of copy-table's
# result lines.
# shellcheck shell=bash

# sync_source_sql: the source tables of 701 and 703, as SQL: integer (with
# text with tabs and newlines, numeric, timestamptz, bytea, jsonb, an array,
# NULLs, date, float8, boolean; and values whose type's hash function calls
# equal what verify (the text) does not: float8 -0 and 0, numeric NaN, a
# two-dimensional array; infinite dates and timestamps), text, uuid and
# composite keys, a table without a key, and a table nobody changes.
sync_source_sql() {
	cat <<'SQL'
CREATE TABLE t_int (id serial PRIMARY KEY, txt text, num numeric(12,3), ts timestamptz, b bytea,
  j jsonb, arr int[], note text, d date, f float8, ok boolean);
INSERT INTO t_int (txt, num, ts, b, j, arr, note, d, f, ok)
SELECT 'row ' || g || E'\twith tab\nand newline', g * 1.125, '2024-01-01 00:00+00'::timestamptz + g * interval '1 hour',
  decode(md5(g::text), 'hex'), jsonb_build_object('g', g, 'even', g % 2 = 0), ARRAY[g, g + 1],
  CASE WHEN g % 5 = 0 THEN NULL ELSE 'note ' || g END, '2024-01-01'::date + g, g / 7.0, g % 3 = 0
FROM generate_series(1, 3000) g;
UPDATE t_int SET f = '-0', num = 'NaN' WHERE id = 600;
UPDATE t_int SET f = 0 WHERE id = 601;
UPDATE t_int SET d = 'infinity', ts = '-infinity' WHERE id = 2800;
UPDATE t_int SET d = '-infinity', ts = 'infinity', arr = '{{2801,2802},{2803,2804}}' WHERE id = 2801;
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

# sync_drift: the target database t drifts from the source: 8 rows updated
# (one to NULLs in every column, one key changed), 6 deleted, 5 inserted, one
# table without a key changed, the sequence moved back.
sync_drift() {
	psql_on dst t <<'SQL'
UPDATE t_int SET txt = E'changed\ttab\nline', num = NULL WHERE id IN (10, 2500);
UPDATE t_int SET ts = NULL, b = NULL, j = NULL, arr = NULL, note = NULL, d = NULL, f = NULL, ok = NULL WHERE id = 1234;
UPDATE t_int SET j = '{"g": 0}', arr = '{}', b = '\x00', d = d + 1, f = -f, ok = NOT ok WHERE id = 77;
UPDATE t_int SET id = 90000 WHERE id = 7;
DELETE FROM t_int WHERE id IN (1500, 1501);
INSERT INTO t_int (id, txt) VALUES (5000, 'extra'), (6000, 'extra');
UPDATE t_text SET v = 'changed' WHERE code = E'key 5\n"nl",';
DELETE FROM t_text WHERE code = E'key 8\t(tab)';
INSERT INTO t_text VALUES (E'zz\tnew', 'extra');
UPDATE t_uuid SET v = -1 WHERE id = md5('42')::uuid;
DELETE FROM t_uuid WHERE id = md5('43')::uuid;
UPDATE t_comp SET v = NULL WHERE a = 3 AND b = 'b 3';
DELETE FROM t_comp WHERE a = 4 AND b = 'b 4';
INSERT INTO t_comp VALUES (99, 'b extra', 'x'), (4, 'b 4 new', 'y');
DELETE FROM t_nokey WHERE n = 3;
SELECT setval('t_int_id_seq', 5);
SQL
} >/dev/null

# sync_drift_special: 2 more rows of t_int updated on the target to what
# their types' hash functions call equal and verify (the text) does not: 600
# from -0 to 0, 2801 to the other infinities and another array shape; in
# ranges of 500 rows, each alone in its range.
sync_drift_special() {
	psql_on dst t <<'SQL'
UPDATE t_int SET f = 0 WHERE id = 600;
UPDATE t_int SET d = 'infinity', ts = '-infinity', arr = '{{2801,2802,2803,2804}}' WHERE id = 2801;
SQL
} >/dev/null

# results_sum FILE TABLE COLUMN: the sum of a result line column of
# copy-table (13: rows read from the source, 16: inserted, 17: updated, 18:
# deleted) over TABLE's lines.
results_sum() { awk -F'\t' -v t="$2" -v c="$3" '$1 == "table" && $4 == t { s += $c } END { print s + 0 }' "$1"; }
