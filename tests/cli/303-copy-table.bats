#!/usr/bin/env bats
# copy-table: pagila's data into a target that got pagila's pre-data, with
# equal row counts and checksums; reruns; column and format handling;
# snapshot consistency; split tables (key ranges with NULL keys, page ranges);
# sequences and large objects; failures named and stopping the run.

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox

setup_file() {
	pgsb_start src dst
	load_pagila src pagila
	psql_on src pagila -c "ANALYZE"
	psql_on dst -c "CREATE DATABASE pagila"
	pg_dump --section=pre-data -d "$(pgsb_conninfo src pagila)" | psql_on dst pagila >/dev/null

	psql_on src -c "CREATE DATABASE misc"
	psql_on src misc <<'SQL'
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE pair AS (a int, b text);
CREATE TABLE cols (id int PRIMARY KEY, gone text, t text, n numeric, ts timestamptz,
  doubled int GENERATED ALWAYS AS (id * 2) STORED, f float8, b bytea, j jsonb, m mood);
ALTER TABLE cols DROP COLUMN gone;
INSERT INTO cols (id, t, n, ts, f, b, j, m)
  SELECT g, E'tab\there\nnewline \\ backslash ' || g, g / 7.0, '2024-01-01'::timestamptz + g * interval '1 minute',
         1.0 / g, decode(md5(g::text), 'hex'), jsonb_build_object('g', g), (ARRAY['sad','ok','happy'])[g % 3 + 1]::mood
  FROM generate_series(1, 3000) g;
CREATE TABLE texty (id int, moods mood[], p pair, acl aclitem[]);
INSERT INTO texty SELECT g, ARRAY['ok','sad']::mood[], ROW(g, 'x' || g)::pair, '{postgres=arw/postgres}'
  FROM generate_series(1, 100) g;
CREATE TABLE binary_udt (id int, moods mood[], p pair);
INSERT INTO binary_udt SELECT g, ARRAY['ok','sad']::mood[], ROW(g, 'x' || g)::pair FROM generate_series(1, 100) g;
CREATE TABLE keyed (k bigint UNIQUE, v text);
INSERT INTO keyed SELECT CASE WHEN g % 10 = 0 THEN NULL ELSE g END, md5(g::text) || repeat('k', 200)
  FROM generate_series(1, 20000) g;
CREATE TABLE nokey (v text);
INSERT INTO nokey SELECT md5(g::text) || repeat('n', 200) FROM generate_series(1, 20000) g;
CREATE SEQUENCE s1;
SELECT setval('s1', 42);
CREATE SEQUENCE s2;
SELECT setval('s2', 7, false);
SELECT lo_from_bytea(0, 'small');
SELECT lo_from_bytea(0, '');
SELECT lo_from_bytea(0, decode(string_agg(md5(g::text), ''), 'hex')) FROM generate_series(1, 40000) g;
SQL
	psql_on dst -c "CREATE DATABASE misc"
	# Other type oids on the target than on the source, as in real life.
	psql_on dst misc -c "CREATE TYPE shift_oids AS (x int)"
	pg_dump --section=pre-data -d "$(pgsb_conninfo src misc)" | psql_on dst misc >/dev/null
	S=$(pgsb_conninfo src pagila) T=$(pgsb_conninfo dst pagila)
	SM=$(pgsb_conninfo src misc) TM=$(pgsb_conninfo dst misc)
	export S T SM TM
}

teardown_file() { pgsb_stop; }

# checksums CLUSTER DB: "table count md5" of every ordinary table.
checksums() {
	psql_on "$1" "$2" -At <<'SQL'
SELECT format('SELECT %L, count(*), md5(coalesce(string_agg(t::text, %L ORDER BY t::text), %L)) FROM ONLY %s t',
              c.oid::regclass, ',', '', c.oid::regclass)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'
ORDER BY 1 \gexec
SQL
}

sequences_of() {
	psql_on "$1" "$2" -At <<'SQL'
SELECT format('SELECT %L, last_value, is_called FROM %s', c.oid::regclass, c.oid::regclass)
FROM pg_class c WHERE c.relkind = 'S' ORDER BY 1 \gexec
SQL
}

@test "copy-table: --help, --version, bad option, bad format" {
	run --separate-stderr copy-table --help
	[ "$status" -eq 0 ]
	[[ $output == *"--keep-going"* ]]
	[ -z "$stderr" ]
	run --separate-stderr copy-table --version
	[ "$status" -eq 0 ]
	[[ $output == "copy-table (fdwcopy) "* ]]
	run --separate-stderr copy-table --bogus
	[ "$status" -eq 2 ]
	[[ $stderr == *'Try "copy-table --help" for more information.'* ]]
	run --separate-stderr copy-table --format csv
	[ "$status" -eq 2 ]
	[[ $stderr == *'copy-table: error: invalid format "csv"'* ]]
}

@test "copy-table: pagila round trip: every table's rows and checksum, and the sequences" {
	table-list --source "$S" >"$BATS_TEST_TMPDIR/work"
	copy-table --source "$S" --target "$T" <"$BATS_TEST_TMPDIR/work" >"$BATS_TEST_TMPDIR/results" 2>"$BATS_TEST_TMPDIR/err"
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/results")" -eq "$(wc -l <"$BATS_TEST_TMPDIR/work")" ]
	# Result line = work line + rows, bytes, seconds.
	diff -u "$BATS_TEST_TMPDIR/work" <(cut -f1-12 "$BATS_TEST_TMPDIR/results")
	awk -F'\t' 'NF != 15 || $14 !~ /^[0-9]+$/ || $15 !~ /^[0-9]+\.[0-9][0-9][0-9]$/ { exit 1 }' "$BATS_TEST_TMPDIR/results"
	[ "$(awk -F'\t' '$4 == "rental" { print $13 }' "$BATS_TEST_TMPDIR/results")" = 16044 ]
	checksums src pagila >"$BATS_TEST_TMPDIR/src"
	checksums dst pagila >"$BATS_TEST_TMPDIR/dst"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/src")" -ge 20 ]
	diff -u "$BATS_TEST_TMPDIR/src" "$BATS_TEST_TMPDIR/dst"
	sequences_of src pagila >"$BATS_TEST_TMPDIR/src"
	sequences_of dst pagila >"$BATS_TEST_TMPDIR/dst"
	diff -u "$BATS_TEST_TMPDIR/src" "$BATS_TEST_TMPDIR/dst"
}

@test "copy-table: a rerun replaces the rows; items as arguments; text format gives the same rows" {
	table-list --source "$S" --include-table 'payment_p2022_0[1-3]' --include-table film >"$BATS_TEST_TMPDIR/work"
	mapfile -t items <"$BATS_TEST_TMPDIR/work"
	FDWCOPY_SOURCE="$S" FDWCOPY_TARGET="$T" copy-table --format text "${items[@]}" >"$BATS_TEST_TMPDIR/r1"
	copy-table --progress -s "$S" -t "$T" "${items[@]}" >"$BATS_TEST_TMPDIR/r2" 2>"$BATS_TEST_TMPDIR/progress"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/r2")" -eq 4 ]
	grep -Eq '^copy-table: public\.film: 1000 rows, [0-9.]+ MB, [0-9.]+ MB/s, done in [0-9.]+ s$' "$BATS_TEST_TMPDIR/progress"
	diff -u <(cut -f1-13 "$BATS_TEST_TMPDIR/r1") <(cut -f1-13 "$BATS_TEST_TMPDIR/r2")
	checksums src pagila >"$BATS_TEST_TMPDIR/src"
	checksums dst pagila >"$BATS_TEST_TMPDIR/dst"
	diff -u "$BATS_TEST_TMPDIR/src" "$BATS_TEST_TMPDIR/dst"
}

@test "copy-table: generated and dropped columns, escapes, binary when possible, else text" {
	table-list --source "$SM" --include-table cols --include-table texty --include-table binary_udt >"$BATS_TEST_TMPDIR/work"
	copy-table -v -s "$SM" -t "$TM" <"$BATS_TEST_TMPDIR/work" >"$BATS_TEST_TMPDIR/results" 2>"$BATS_TEST_TMPDIR/err"
	grep -q 'public.cols: binary COPY of 8 columns' "$BATS_TEST_TMPDIR/err"
	# User-defined types whose oids differ on the target (arrays, records) are fine.
	grep -q 'public.binary_udt: binary COPY of 3 columns' "$BATS_TEST_TMPDIR/err"
	# aclitem has no binary I/O.
	grep -q 'public.texty: text COPY of 4 columns' "$BATS_TEST_TMPDIR/err"
	checksums src misc | grep -E '^(cols|texty|binary_udt)\|' >"$BATS_TEST_TMPDIR/src"
	checksums dst misc | grep -E '^(cols|texty|binary_udt)\|' >"$BATS_TEST_TMPDIR/dst"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/src")" -eq 3 ]
	diff -u "$BATS_TEST_TMPDIR/src" "$BATS_TEST_TMPDIR/dst"
	run --separate-stderr copy-table --format binary -s "$SM" -t "$TM" "$(grep -P '\ttexty\t' "$BATS_TEST_TMPDIR/work")"
	[ "$status" -eq 1 ]
	[[ $stderr == *'could not copy table "public.texty": source: ERROR:  no binary output function available for type aclitem'* ]]
}

@test "copy-table: rows committed after the snapshot do not reach the target" {
	local d=$BATS_TEST_TMPDIR
	mkfifo "$d/ctl"
	snapshot-hold --source "$S" <"$d/ctl" >"$d/id" 3>&- &
	local pid=$!
	exec 4>"$d/ctl"
	for _ in $(seq 100); do [ -s "$d/id" ] && break; sleep 0.1; done
	psql_on src pagila -c "INSERT INTO actor (first_name, last_name) SELECT 'LATE', 'ROW' || g FROM generate_series(1, 50) g"
	table-list --source "$S" --snapshot "$(cat "$d/id")" --include-table actor --include-table actor_actor_id_seq >"$d/work"
	copy-table -s "$S" -t "$T" --snapshot "$(cat "$d/id")" <"$d/work" >"$d/results"
	exec 4>&-
	wait "$pid"
	[ "$(psql_on dst pagila -Atc "SELECT count(*) FROM actor")" = 200 ]
	[ "$(psql_on dst pagila -Atc "SELECT count(*) FROM actor WHERE first_name = 'LATE'")" = 0 ]
	[ "$(psql_on src pagila -Atc "SELECT count(*) FROM actor")" = 250 ]
	psql_on src pagila -c "DELETE FROM actor WHERE first_name = 'LATE'"
}

@test "copy-table: a table split on its key (NULL keys included) arrives exactly once, also after reruns" {
	table-list --source "$SM" --include-table keyed --split-larger-than 1.5MB >"$BATS_TEST_TMPDIR/work"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/work")" -eq 4 ]
	[ "$(cut -f9 "$BATS_TEST_TMPDIR/work" | sort -u)" = key ]
	xargs -d '\n' -P 2 -n 1 copy-table -s "$SM" -t "$TM" <"$BATS_TEST_TMPDIR/work" >"$BATS_TEST_TMPDIR/results"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/results")" -eq 4 ]
	checksums src misc | grep '^keyed|' >"$BATS_TEST_TMPDIR/src"
	checksums dst misc | grep '^keyed|' >"$BATS_TEST_TMPDIR/dst"
	diff -u "$BATS_TEST_TMPDIR/src" "$BATS_TEST_TMPDIR/dst"
	[ "$(awk -F'\t' '{ s += $13 } END { print s }' "$BATS_TEST_TMPDIR/results")" -eq 20000 ]
	# Rerun one part (the one with the NULL keys), then all of them: still once.
	copy-table -s "$SM" -t "$TM" "$(head -1 "$BATS_TEST_TMPDIR/work")" >/dev/null
	copy-table -s "$SM" -t "$TM" <"$BATS_TEST_TMPDIR/work" >/dev/null
	checksums dst misc | grep '^keyed|' >"$BATS_TEST_TMPDIR/dst"
	diff -u "$BATS_TEST_TMPDIR/src" "$BATS_TEST_TMPDIR/dst"
	# A new split with other cut points reruns cleanly too.
	table-list --source "$SM" --include-table keyed --split-larger-than 3MB >"$BATS_TEST_TMPDIR/work2"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/work2")" -eq 2 ]
	copy-table -s "$SM" -t "$TM" <"$BATS_TEST_TMPDIR/work2" >/dev/null
	checksums dst misc | grep '^keyed|' >"$BATS_TEST_TMPDIR/dst"
	diff -u "$BATS_TEST_TMPDIR/src" "$BATS_TEST_TMPDIR/dst"
}

@test "copy-table: a table split into page ranges arrives exactly once; a failed part is rerun alone" {
	psql_on dst misc -c "TRUNCATE nokey"
	table-list --source "$SM" --include-table nokey --split-larger-than 1.5MB >"$BATS_TEST_TMPDIR/work"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/work")" -eq 4 ]
	[ "$(cut -f9 "$BATS_TEST_TMPDIR/work" | sort -u)" = ctid ]
	# Parts 1, 2 and 4 first, as if part 3 had failed; then part 3 alone.
	sed -n '1p;2p;4p' "$BATS_TEST_TMPDIR/work" | xargs -d '\n' -P 2 -n 1 copy-table -s "$SM" -t "$TM" >"$BATS_TEST_TMPDIR/results"
	sed -n '3p' "$BATS_TEST_TMPDIR/work" | copy-table -s "$SM" -t "$TM" >>"$BATS_TEST_TMPDIR/results"
	[ "$(awk -F'\t' '{ s += $13 } END { print s }' "$BATS_TEST_TMPDIR/results")" -eq 20000 ]
	checksums src misc | grep '^nokey|' >"$BATS_TEST_TMPDIR/src"
	checksums dst misc | grep '^nokey|' >"$BATS_TEST_TMPDIR/dst"
	diff -u "$BATS_TEST_TMPDIR/src" "$BATS_TEST_TMPDIR/dst"
	# Redone whole (copy-table(1)'s rule for page-split tables): still once.
	table-list --source "$SM" --include-table nokey | copy-table -s "$SM" -t "$TM" >/dev/null
	checksums dst misc | grep '^nokey|' >"$BATS_TEST_TMPDIR/dst"
	diff -u "$BATS_TEST_TMPDIR/src" "$BATS_TEST_TMPDIR/dst"
}

@test "copy-table: sequences and large objects (existing and missing on the target)" {
	# The pre-data created the large objects empty; drop one to see it created.
	psql_on dst misc -c "SELECT lo_unlink(min(oid)) FROM pg_largeobject_metadata"
	table-list --source "$SM" -n public --include-table 's?' >"$BATS_TEST_TMPDIR/work"
	table-list --source "$SM" -T '*' >>"$BATS_TEST_TMPDIR/work"
	cut -f1,4 "$BATS_TEST_TMPDIR/work" >"$BATS_TEST_TMPDIR/kinds"
	printf 'sequence\ts1\nsequence\ts2\nblobs\t-\n' | diff -u - "$BATS_TEST_TMPDIR/kinds"
	copy-table -s "$SM" -t "$TM" <"$BATS_TEST_TMPDIR/work" >"$BATS_TEST_TMPDIR/results"
	[ "$(awk -F'\t' '$1 == "blobs" { print $13, $14 }' "$BATS_TEST_TMPDIR/results")" = "3 640005" ]
	sequences_of src misc >"$BATS_TEST_TMPDIR/src"
	sequences_of dst misc >"$BATS_TEST_TMPDIR/dst"
	diff -u "$BATS_TEST_TMPDIR/src" "$BATS_TEST_TMPDIR/dst"
	local q="SELECT string_agg(oid || ':' || md5(lo_get(oid)), ' ' ORDER BY oid) FROM pg_largeobject_metadata"
	[ "$(psql_on src misc -Atc "$q")" = "$(psql_on dst misc -Atc "$q")" ]
	# Again (all exist now): the same.
	copy-table -s "$SM" -t "$TM" "$(tail -1 "$BATS_TEST_TMPDIR/work")" >/dev/null
	[ "$(psql_on src misc -Atc "$q")" = "$(psql_on dst misc -Atc "$q")" ]
}

@test "copy-table: a failed item is named, rolled back, and stops the run unless --keep-going" {
	psql_on dst misc -c "ALTER TABLE texty RENAME TO texty_moved"
	table-list --source "$SM" --include-table texty --include-table cols >"$BATS_TEST_TMPDIR/work"
	# cols (larger) comes first; make texty first so the failure is before cols.
	sort -t$'\t' -k4,4r "$BATS_TEST_TMPDIR/work" >"$BATS_TEST_TMPDIR/w2"
	[ "$(head -1 "$BATS_TEST_TMPDIR/w2" | cut -f4)" = texty ]
	psql_on dst misc -c "TRUNCATE cols"
	run --separate-stderr copy-table -s "$SM" -t "$TM" <"$BATS_TEST_TMPDIR/w2"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ $stderr == 'copy-table: error: could not copy table "public.texty": target: ERROR:  relation "public.texty" does not exist'* ]]
	[ "$(psql_on dst misc -Atc "SELECT count(*) FROM cols")" = 0 ]
	run --separate-stderr copy-table --keep-going -s "$SM" -t "$TM" <"$BATS_TEST_TMPDIR/w2"
	[ "$status" -eq 1 ]
	[ "$(cut -f4 <<<"$output")" = cols ]
	[ "$(psql_on dst misc -Atc "SELECT count(*) FROM cols")" = 3000 ]
	psql_on dst misc -c "ALTER TABLE texty_moved RENAME TO texty"
	# Not an ordinary table.
	run --separate-stderr copy-table -s "$SM" -t "$TM" "$(printf 'table\t1\tpublic\ts1\t0\t0\t1\t1\t-\t-\t-\t-')"
	[ "$status" -eq 1 ]
	[[ $stderr == *'could not copy table "public.s1": source: "public.s1" is not an ordinary table (relkind S)'* ]]
	# A bad work line is an error too.
	run --separate-stderr copy-table -s "$SM" -t "$TM" "table	1	x"
	[ "$status" -eq 1 ]
	[[ $stderr == *"work line has 3 fields, expected 12"* ]]
	# A password in a conninfo never shows.
	run --separate-stderr copy-table -s "$SM password=sekrit-pw" -t "host=$BATS_TEST_TMPDIR port=1 password=sekrit-pw" "$(head -1 "$BATS_TEST_TMPDIR/w2")"
	[ "$status" -eq 1 ]
	[[ $stderr == *"could not connect to target"* ]]
	[[ $stderr != *sekrit-pw* ]]
}

# sessions_of CLUSTER DB: sessions ever opened on DB (pg_stat_database, read
# from another database so that the reading session does not count).
sessions_of() {
	psql_on "$1" postgres -Atc "SELECT sessions FROM pg_stat_database WHERE datname = '$2'"
}

@test "copy-table --jobs: pagila on 3 workers, one session pair each, every row once" {
	table-list --source "$S" >"$BATS_TEST_TMPDIR/work"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/work")" -gt 10 ]
	local before after
	before=$(sessions_of dst pagila)
	copy-table --jobs 3 --source "$S" --target "$T" <"$BATS_TEST_TMPDIR/work" >"$BATS_TEST_TMPDIR/results" 2>"$BATS_TEST_TMPDIR/err"
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
	# Three target sessions in all, not one per item (a backend's session
	# counts once it has exited: wait for them).
	for _ in $(seq 50); do
		after=$(sessions_of dst pagila)
		[ $((after - before)) -lt 3 ] || break
		sleep 0.1
	done
	[ $((after - before)) -eq 3 ]
	# One result line per item, each whole (the order is the finishing order).
	diff -u <(sort "$BATS_TEST_TMPDIR/work") <(cut -f1-12 "$BATS_TEST_TMPDIR/results" | sort)
	awk -F'\t' 'NF != 15 || $14 !~ /^[0-9]+$/ || $15 !~ /^[0-9]+\.[0-9][0-9][0-9]$/ { exit 1 }' "$BATS_TEST_TMPDIR/results"
	checksums src pagila >"$BATS_TEST_TMPDIR/src"
	checksums dst pagila >"$BATS_TEST_TMPDIR/dst"
	diff -u "$BATS_TEST_TMPDIR/src" "$BATS_TEST_TMPDIR/dst"
}

@test "copy-table --jobs: a failed item is named; --keep-going copies the others" {
	psql_on dst misc -c "ALTER TABLE texty RENAME TO texty_moved"
	table-list --source "$SM" --include-table texty --include-table cols --include-table keyed >"$BATS_TEST_TMPDIR/work"
	psql_on dst misc -c "TRUNCATE cols, keyed"
	run --separate-stderr copy-table --jobs 2 --keep-going -s "$SM" -t "$TM" <"$BATS_TEST_TMPDIR/work"
	psql_on dst misc -c "ALTER TABLE texty_moved RENAME TO texty"
	[ "$status" -eq 1 ]
	[ "$(cut -f4 <<<"$output" | sort | paste -sd ' ')" = "cols keyed" ]
	[[ $stderr == 'copy-table: error: could not copy table "public.texty": target: ERROR:  relation "public.texty" does not exist'* ]]
	[ "$(psql_on dst misc -Atc "SELECT count(*) FROM cols")" = 3000 ]
	[ "$(psql_on dst misc -Atc "SELECT count(*) FROM keyed")" = 20000 ]
	run --separate-stderr copy-table --jobs 0
	[ "$status" -eq 2 ]
	[[ $stderr == *'copy-table: error: -j/--jobs must be in range 1..1024'* ]]
}
