#!/usr/bin/env bats
# schema-split on real plain dumps of pagila, the FDW test database and a
# database with nearly every entry type: its sections are pg_dump --section's,
# and applying pre-data, data, post-data to an empty database reproduces the
# source.

load ../lib/pgsandbox
load ../lib/fdwlayout

DBS="pagila fdwsrc alltypes"

setup_file() {
	# One cluster keeps the file fast: the archive database lives beside the source.
	pgsb_start src
	make_archive src archive_db "source archive"
	make_fdw_source src fdwsrc src archive_db >/dev/null
	load_pagila src pagila
	psql_on src -c "CREATE DATABASE alltypes"
	psql_on src alltypes -f "$FIXTURES/filters/alltypes.sql" >/dev/null 2>&1
	for db in $DBS; do
		pg_dump -Fp -d "$(pgsb_conninfo src "$db")" -f "$BATS_FILE_TMPDIR/$db.sql"
	done
}

teardown_file() { pgsb_stop; }

setup() {
	F=$BATS_FILE_TMPDIR
	T=$BATS_TEST_TMPDIR
}

# entries_of DUMP: "type<TAB>schema<TAB>name<TAB>owner" of each TOC entry header,
# read with sed (independent of schema-split).
entries_of() {
	sed -n 's/^-- \(Data for \)\{0,1\}Name: \(.*\); Type: \(.*\); Schema: \(.*\); Owner: \(.*\)$/\3\t\4\t\2\t\5/p' "$1"
}

# row_counts DB: "schema.table|rows" for every table, and sequence values.
row_counts() {
	psql_on src "$1" -At <<-'SQL'
		SELECT format('SELECT %L, count(*) FROM %I.%I', schemaname || '.' || tablename, schemaname, tablename)
		FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1 \gexec
		SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences ORDER BY 1;
	SQL
}

@test "schema-split --help prints usage to stdout and exits 0" {
	schema-split --help >"$T/out" 2>"$T/err"
	grep -q '^Usage:' "$T/out"
	grep -q -- '--section SECTION' "$T/out"
	[ ! -s "$T/err" ]
}

@test "schema-split --version exits 0" {
	schema-split --version >"$T/out" 2>"$T/err"
	[ "$(cat "$T/out")" = "schema-split (fdwcopy) 0.1.0" ]
	[ ! -s "$T/err" ]
}

@test "schema-split: bad options exit 2 with a message on stderr" {
	rc=0; schema-split --frobnicate </dev/null >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 2 ]
	[ ! -s "$T/out" ]
	grep -q '^schema-split: error: .*frobnicate' "$T/err"
	grep -qx 'Try "schema-split --help" for more information.' "$T/err"
	rc=0; schema-split --section postdata </dev/null >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 2 ]
	grep -qx 'schema-split: error: invalid section "postdata" (pre-data, data or post-data)' "$T/err"
	rc=0; schema-split </dev/null >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 2 ]
	grep -qx 'schema-split: error: one of --section, --dir or --list is required' "$T/err"
	rc=0; schema-split --list --dir "$T/d" </dev/null >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 2 ]
	[ ! -e "$T/d" ]
}

@test "schema-split: all three sections together are the dump, byte for byte" {
	for db in $DBS; do
		schema-split --section pre-data --section data --section post-data <"$F/$db.sql" >"$T/out"
		cmp "$F/$db.sql" "$T/out"
	done
	# Also with the SET SESSION AUTHORIZATION lines pg_dump repeats after ACLs.
	pg_dump -Fp --use-set-session-authorization -d "$(pgsb_conninfo src alltypes)" -f "$T/ssa.sql"
	schema-split --section pre-data --section data --section post-data <"$T/ssa.sql" >"$T/out"
	cmp "$T/ssa.sql" "$T/out"
}

@test "schema-split --list of each section has pg_dump --section's entries in order" {
	for db in $DBS; do
		for s in pre-data data post-data; do
			schema-split --list --section "$s" <"$F/$db.sql" >"$T/list"
			cut -f2-5 "$T/list" >"$T/mine"
			pg_dump -Fp --section "$s" -d "$(pgsb_conninfo src "$db")" -f "$T/section.sql"
			entries_of "$T/section.sql" >"$T/theirs"
			[ -s "$T/theirs" ]
			diff -u "$T/theirs" "$T/mine"
			# Column 1 is the section; column 6 the byte offset of the header.
			[ "$(cut -f1 "$T/list" | sort -u)" = "$s" ]
			off=$(head -1 "$T/list" | cut -f6)
			[ "$(tail -c +$((off + 1)) "$F/$db.sql" | head -c 11)" = $'--\n-- Name:' ] ||
				[ "$(tail -c +$((off + 1)) "$F/$db.sql" | head -c 20)" = $'--\n-- Data for Name:' ]
		done
	done
}

@test "schema-split --dir: pre-data, data, post-data applied in order reproduce the source" {
	for db in $DBS; do
		schema-split --dir "$T/$db" <"$F/$db.sql"
		psql_on src -c "CREATE DATABASE ${db}_copy"
		for s in pre-data data post-data; do
			psql_on src "${db}_copy" -f "$T/$db/$s.sql" >/dev/null 2>"$T/err"
		done
		schema_of src "$db" >"$T/src.sql"
		schema_of src "${db}_copy" >"$T/dst.sql"
		diff -u "$T/src.sql" "$T/dst.sql"
		row_counts "$db" >"$T/src.rows"
		row_counts "${db}_copy" >"$T/dst.rows"
		[ -s "$T/src.rows" ]
		diff -u "$T/src.rows" "$T/dst.rows"
	done
	# The preamble is at the top of every output, the \unrestrict at the end.
	for s in pre-data data post-data; do
		head -c 200 "$T/pagila/$s.sql" | grep -q '^\\restrict '
		tail -3 "$T/pagila/$s.sql" | grep -q '^\\unrestrict '
	done
}

@test "schema-split: post-data run alone still builds indexes in their tablespace" {
	mkdir "$PGSB_DIR/ts"
	if [ "$(id -u)" -eq 0 ]; then chown postgres: "$PGSB_DIR/ts"; fi
	psql_on src -c "CREATE TABLESPACE ts LOCATION '$PGSB_DIR/ts'" -c "CREATE DATABASE tsdb"
	psql_on src tsdb -c "CREATE TABLE a (id int PRIMARY KEY USING INDEX TABLESPACE ts, v int) TABLESPACE ts;
		CREATE INDEX a_v ON a (v) TABLESPACE ts; INSERT INTO a VALUES (1, 1)"
	pg_dump -Fp -d "$(pgsb_conninfo src tsdb)" -f "$T/ts.sql"
	# pg_dump sets default_tablespace once, before the table (pre-data) ...
	[ "$(grep -c '^SET default_tablespace = ts;$' "$T/ts.sql")" -eq 1 ]
	schema-split --dir "$T/parts" <"$T/ts.sql"
	# ... and schema-split repeats it where the post-data starts.
	[ "$(grep -c '^SET default_tablespace = ts;$' "$T/parts/post-data.sql")" -eq 1 ]
	psql_on src -c "CREATE DATABASE tsdb_copy"
	for s in pre-data data post-data; do
		psql_on src tsdb_copy -f "$T/parts/$s.sql" >/dev/null
	done
	psql_on src tsdb_copy -Atc "SELECT indexname || ' ' || coalesce(tablespace, '-') FROM pg_indexes
		WHERE schemaname = 'public' ORDER BY 1" >"$T/out"
	printf 'a_pkey ts\na_v ts\n' >"$T/expected"
	diff -u "$T/expected" "$T/out"
}

@test "schema-split reads pg_restore -f - output and --section pre-data of it" {
	pg_dump -Fc -d "$(pgsb_conninfo src fdwsrc)" -f "$T/fdw.dump"
	pg_restore -f - "$T/fdw.dump" >"$T/restored.sql"
	schema-split --list <"$T/restored.sql" | cut -f1-5 >"$T/a"
	schema-split --list <"$F/fdwsrc.sql" | cut -f1-5 >"$T/b"
	diff -u "$T/b" "$T/a"
	pg_restore -f - --section=pre-data "$T/fdw.dump" >"$T/pre.sql"
	schema-split --section pre-data <"$T/pre.sql" >"$T/out"
	cmp "$T/pre.sql" "$T/out"
}

@test "schema-split: empty input, garbage and archives are clear errors" {
	rc=0; schema-split --section pre-data </dev/null >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 1 ]
	[ ! -s "$T/out" ]
	[ "$(cat "$T/err")" = "schema-split: error: input is empty: expected a plain-format dump" ]
	head -c 3000000 /dev/urandom >"$T/garbage"
	rc=0; schema-split --dir "$T/d" <"$T/garbage" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 1 ]
	grep -q '^schema-split: error: input is not a plain-format dump: no TOC entry header' "$T/err"
	[ -z "$(ls -A "$T/d")" ]
	pg_dump -Fc -d "$(pgsb_conninfo src fdwsrc)" -f "$T/fdw.dump"
	rc=0; schema-split --list <"$T/fdw.dump" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 1 ]
	printf '%s\n' "schema-split: error: input is a pg_dump archive, not a plain-format dump" \
		"schema-split: hint: convert it with: pg_restore -f - ARCHIVE | schema-split ..." >"$T/expected"
	diff -u "$T/expected" "$T/err"
}

@test "schema-split: a truncated dump or header is an error, not a crash" {
	size=$(stat -c %s "$F/pagila.sql")
	head -c $((size / 2)) "$F/pagila.sql" >"$T/half.sql"
	rc=0; schema-split --section post-data <"$T/half.sql" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 1 ]
	grep -q '(truncated dump?)$' "$T/err"
	# Cut inside the first header line: nothing but a preamble.
	off=$(schema-split --list <"$F/pagila.sql" | head -1 | cut -f6)
	head -c $((off + 20)) "$F/pagila.sql" >"$T/cut.sql"
	rc=0; schema-split --section pre-data <"$T/cut.sql" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 1 ]
	[ "$(cat "$T/err")" = "schema-split: error: input is not a plain-format dump: no TOC entry header found" ]
	# Cut inside a later header line.
	off=$(schema-split --list --section post-data <"$F/pagila.sql" | head -1 | cut -f6)
	head -c $((off + 20)) "$F/pagila.sql" >"$T/cut.sql"
	rc=0; schema-split --list <"$T/cut.sql" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 1 ]
	[ "$(cat "$T/err")" = "schema-split: error: input ends before pg_dump's \"dump complete\" comment (truncated dump?)" ]
	[ "$(cut -f1 "$T/out" | sort -u | tr '\n' ' ')" = "data pre-data " ]
}

@test "schema-split streams in constant memory (64 MB dump, one 8 MB row)" {
	{
		printf -- '--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\n\n'
		printf -- '--\n-- Name: big; Type: TABLE; Schema: public; Owner: postgres\n--\n\nCREATE TABLE public.big (t text);\n\n\n'
		printf -- '--\n-- Data for Name: big; Type: TABLE DATA; Schema: public; Owner: postgres\n--\n\nCOPY public.big (t) FROM stdin;\n'
		head -c $((8 * 1024 * 1024)) /dev/zero | tr '\0' 'x'
		printf '\n'
		yes -- '-- Name: x; Type: TABLE; Schema: public; Owner: postgres' | head -c $((56 * 1024 * 1024)) | head -n -1
		printf '\\.\n\n\n'
		printf -- '--\n-- Name: big big_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres\n--\n\nSELECT 1;\n\n\n'
		printf -- '--\n-- PostgreSQL database dump complete\n--\n\n'
	} >"$T/big.sql"
	/usr/bin/time -f '%M' -o "$T/rss" schema-split --dir "$T/d" <"$T/big.sql"
	[ "$(cat "$T/rss")" -lt 20000 ]  # kilobytes
	schema-split --list <"$T/big.sql" | cut -f1-4 >"$T/list"
	printf 'pre-data\tTABLE\tpublic\tbig\ndata\tTABLE DATA\tpublic\tbig\npost-data\tCONSTRAINT\tpublic\tbig big_pkey\n' >"$T/expected"
	diff -u "$T/expected" "$T/list"
	cat "$T/d/pre-data.sql" "$T/d/data.sql" "$T/d/post-data.sql" | wc -c >"$T/sum"
	[ "$(cat "$T/sum")" -gt "$(stat -c %s "$T/big.sql")" ]
}
