#!/usr/bin/env bats
# table-list: which relations make the work stream (and which do not), the
# order, pg_dump-style filters, splitting into key and page ranges that cover
# every row exactly once, and reading in an exported snapshot.

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox

setup_file() {
	pgsb_start src
	psql_on src -c "CREATE DATABASE kinds"
	psql_on src kinds <<'SQL'
CREATE SCHEMA other;
CREATE TABLE plain (id int PRIMARY KEY, v text);
INSERT INTO plain SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g;
CREATE TABLE nokey (v text);
INSERT INTO nokey SELECT repeat('y', 100) FROM generate_series(1, 15000);
CREATE TABLE keyed_nulls (k bigint UNIQUE, v text);
INSERT INTO keyed_nulls SELECT CASE WHEN g % 10 = 0 THEN NULL ELSE g * 3 END, repeat('z', 100)
  FROM generate_series(1, 10000) g;
CREATE UNLOGGED TABLE unlogged_t (i int);
INSERT INTO unlogged_t VALUES (1);
CREATE TABLE parted (id int, d date) PARTITION BY RANGE (d);
CREATE TABLE parted_a PARTITION OF parted FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE TABLE parted_b PARTITION OF parted FOR VALUES FROM ('2021-01-01') TO ('2022-01-01')
  PARTITION BY RANGE (id);
CREATE TABLE parted_b1 PARTITION OF parted_b FOR VALUES FROM (0) TO (100);
CREATE EXTENSION postgres_fdw;
CREATE SERVER nowhere FOREIGN DATA WRAPPER postgres_fdw;
CREATE FOREIGN TABLE ft (i int) SERVER nowhere;
CREATE FOREIGN TABLE parted_f PARTITION OF parted FOR VALUES FROM ('2019-01-01') TO ('2020-01-01')
  SERVER nowhere;
CREATE VIEW v AS SELECT 1 AS one;
CREATE MATERIALIZED VIEW mv AS SELECT 1 AS one;
CREATE TABLE ext_member (i int);
ALTER EXTENSION plpgsql ADD TABLE ext_member;
CREATE TABLE other.o1 (i int);
CREATE TABLE other."We	ird" (i int);
CREATE TABLE withserial (id serial, ident int GENERATED ALWAYS AS IDENTITY);
CREATE SEQUENCE standalone_seq;
SELECT lo_from_bytea(0, 'hello');
ANALYZE plain;
SQL
}

teardown_file() { pgsb_stop; }

list() { table-list --source "$(pgsb_conninfo src kinds)" "$@"; }

@test "table-list: --help, --version, bad option, bad size" {
	run --separate-stderr table-list --help
	[ "$status" -eq 0 ]
	[[ $output == *"--split-larger-than"* ]]
	[ -z "$stderr" ]
	run --separate-stderr table-list --version
	[ "$status" -eq 0 ]
	[[ $output == "table-list (fdwcopy) "* ]]
	run --separate-stderr table-list --bogus
	[ "$status" -eq 2 ]
	[[ $stderr == *'Try "table-list --help" for more information.'* ]]
	run --separate-stderr table-list --split-larger-than 5XB
	[ "$status" -eq 2 ]
	[[ $stderr == *'table-list: error: invalid size: "5XB"'* ]]
	run --separate-stderr table-list --split-larger-than 0
	[ "$status" -eq 2 ]
}

@test "table-list: tables, leaf partitions, unlogged; no parents, foreign, views, extension members" {
	list >"$BATS_TEST_TMPDIR/out"
	cut -f1,3,4 "$BATS_TEST_TMPDIR/out" | LC_ALL=C sort >"$BATS_TEST_TMPDIR/got"
	cat >"$BATS_TEST_TMPDIR/expected" <<'EOF2'
blobs	-	-
sequence	public	standalone_seq
sequence	public	withserial_id_seq
sequence	public	withserial_ident_seq
table	other	We\tird
table	other	o1
table	public	keyed_nulls
table	public	nokey
table	public	parted_a
table	public	parted_b1
table	public	plain
table	public	unlogged_t
table	public	withserial
EOF2
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/got"
	# Every line has the 12 fields; the blobs line counts the large objects.
	awk -F'\t' 'NF != 12 { bad = 1 } END { exit bad }' "$BATS_TEST_TMPDIR/out"
	[ "$(awk -F'\t' '$1 == "blobs" { print $6 }' "$BATS_TEST_TMPDIR/out")" = 1 ]
}

@test "table-list: tables largest first, then sequences, then blobs" {
	list >"$BATS_TEST_TMPDIR/out"
	cut -f1 "$BATS_TEST_TMPDIR/out" | uniq >"$BATS_TEST_TMPDIR/kinds"
	printf 'table\nsequence\nblobs\n' | diff -u - "$BATS_TEST_TMPDIR/kinds"
	awk -F'\t' '$1 == "table" { if (NR > 1 && $5 > prev) bad = 1; prev = $5 } END { exit bad }' "$BATS_TEST_TMPDIR/out"
	[ "$(head -1 "$BATS_TEST_TMPDIR/out" | cut -f4)" = plain ]
	# The oid is the source's pg_class oid.
	psql_on src kinds -Atc "SELECT 'public.plain'::regclass::oid" >"$BATS_TEST_TMPDIR/oid"
	[ "$(head -1 "$BATS_TEST_TMPDIR/out" | cut -f2)" = "$(cat "$BATS_TEST_TMPDIR/oid")" ]
}

@test "table-list: schema filters, table filters, owned sequences, no blobs with includes" {
	list -n other | cut -f1,3,4 | LC_ALL=C sort >"$BATS_TEST_TMPDIR/got"
	printf 'table\tother\tWe\\tird\ntable\tother\to1\n' | diff -u - "$BATS_TEST_TMPDIR/got"

	list -N other -N public >"$BATS_TEST_TMPDIR/got"
	printf 'blobs\t0\t-\t-\n' | diff -u - <(cut -f1-4 "$BATS_TEST_TMPDIR/got")

	# -t 'parted*' matches the partitioned parents too, but only leaves have rows.
	list --include-table 'parted*' --include-table 'other.O*' | cut -f3,4 | LC_ALL=C sort >"$BATS_TEST_TMPDIR/got"
	printf 'other\to1\npublic\tparted_a\npublic\tparted_b1\n' | diff -u - "$BATS_TEST_TMPDIR/got"

	# Sequences follow their table; an identity sequence only with it.
	list --include-table withserial | cut -f1,4 >"$BATS_TEST_TMPDIR/got"
	printf 'table\twithserial\nsequence\twithserial_id_seq\nsequence\twithserial_ident_seq\n' |
		diff -u - "$BATS_TEST_TMPDIR/got"
	list -T withserial -T 'p*' -T nokey -T keyed_nulls -T unlogged_t -T standalone_seq -N other |
		cut -f1,4 >"$BATS_TEST_TMPDIR/got"
	printf 'sequence\twithserial_id_seq\nblobs\t-\n' | diff -u - "$BATS_TEST_TMPDIR/got"

	# Quoted patterns keep case; a bad pattern is an error.
	list --include-table 'other."We	ird"' | cut -f4 >"$BATS_TEST_TMPDIR/got"
	[ "$(cat "$BATS_TEST_TMPDIR/got")" = 'We\tird' ]
	# Without a schema, only tables visible in the search path match.
	list --include-table '"We	ird"' >"$BATS_TEST_TMPDIR/got"
	[ ! -s "$BATS_TEST_TMPDIR/got" ]
	run --separate-stderr list --include-table 'a.b.c'
	[ "$status" -eq 2 ]
	[[ $stderr == *'improper qualified name (too many dotted names): "a.b.c"'* ]]
}

# count_part TABLE LINE: rows of TABLE in the part described by work LINE,
# evaluated on the server with the same rule as lib/workitem.h.
count_part() {
	local t=$1 key lo hi method where
	method=$(cut -f9 <<<"$2") key=$(cut -f10 <<<"$2") lo=$(cut -f11 <<<"$2") hi=$(cut -f12 <<<"$2")
	if [ "$method" = key ]; then
		where="true"
		[ "$lo" = - ] || where="$where AND $key >= $lo"
		[ "$hi" = - ] || where="$where AND $key < $hi"
		[ "$lo" = - ] && where="($where) OR $key IS NULL"
	else
		where="true"
		[ "$lo" = - ] || where="$where AND ctid >= '($lo,0)'"
		[ "$hi" = - ] || where="$where AND ctid < '($hi,0)'"
	fi
	psql_on src kinds -Atc "SELECT count(*) FROM $t WHERE $where"
}

check_cover() {
	local t=$1 file=$2 total sum=0 line n
	total=$(psql_on src kinds -Atc "SELECT count(*) FROM $t")
	while IFS= read -r line; do
		n=$(count_part "$t" "$line")
		[ "$n" -gt 0 ]
		sum=$((sum + n))
	done <"$file"
	[ "$sum" -eq "$total" ]
}

@test "table-list: a table with an integer key splits into key ranges covering every row" {
	list --split-larger-than 1MB --include-table plain --include-table keyed_nulls >"$BATS_TEST_TMPDIR/out"
	grep -P '\tplain\t' "$BATS_TEST_TMPDIR/out" >"$BATS_TEST_TMPDIR/plain"
	grep -P '\tkeyed_nulls\t' "$BATS_TEST_TMPDIR/out" >"$BATS_TEST_TMPDIR/kn"
	# plain (about 2.7 MB, analyzed: histogram cuts) -> 3 parts on id.
	[ "$(wc -l <"$BATS_TEST_TMPDIR/plain")" -eq 3 ]
	cut -f7-10 "$BATS_TEST_TMPDIR/plain" >"$BATS_TEST_TMPDIR/got"
	printf '1\t3\tkey\tid\n2\t3\tkey\tid\n3\t3\tkey\tid\n' | diff -u - "$BATS_TEST_TMPDIR/got"
	# Contiguous: each lo is the previous hi; open at both ends.
	cut -f11,12 "$BATS_TEST_TMPDIR/plain" | awk -F'\t' '
		NR == 1 && $1 != "-" { exit 1 } NR > 1 && $1 != prev { exit 1 } { prev = $2 }
		END { if (prev != "-") exit 1 }'
	check_cover plain "$BATS_TEST_TMPDIR/plain"
	# keyed_nulls: unique bigint key with NULLs, never analyzed (min/max cuts).
	[ "$(wc -l <"$BATS_TEST_TMPDIR/kn")" -ge 2 ]
	[ "$(cut -f9,10 "$BATS_TEST_TMPDIR/kn" | sort -u)" = "$(printf 'key\tk')" ]
	check_cover keyed_nulls "$BATS_TEST_TMPDIR/kn"
	# Parts share the table's bytes.
	local bytes
	bytes=$(list --include-table plain | cut -f5)
	[ "$(awk -F'\t' '{ s += $5 } END { print s }' "$BATS_TEST_TMPDIR/plain")" -eq "$bytes" ]
}

@test "table-list: a table without a key splits into page ranges covering every row" {
	list --split-larger-than 600kB --include-table nokey >"$BATS_TEST_TMPDIR/out"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/out")" -ge 3 ]
	[ "$(cut -f9,10 "$BATS_TEST_TMPDIR/out" | sort -u)" = "$(printf 'ctid\t-')" ]
	check_cover nokey "$BATS_TEST_TMPDIR/out"
	# Small tables stay whole.
	list --split-larger-than 600kB --include-table unlogged_t | cut -f7-12 >"$BATS_TEST_TMPDIR/got"
	printf '1\t1\t-\t-\t-\t-\n' | diff -u - "$BATS_TEST_TMPDIR/got"
}

@test "table-list: --snapshot lists what the snapshot sees; a bad snapshot is an error" {
	local d=$BATS_TEST_TMPDIR
	mkfifo "$d/ctl"
	snapshot-hold --source "$(pgsb_conninfo src kinds)" <"$d/ctl" >"$d/id" 3>&- &
	local pid=$!
	exec 4>"$d/ctl"
	for _ in $(seq 100); do [ -s "$d/id" ] && break; sleep 0.1; done
	psql_on src kinds -c "CREATE TABLE later (i int)"
	list --snapshot "$(cat "$d/id")" | cut -f4 >"$d/with"
	list | cut -f4 >"$d/without"
	exec 4>&-
	wait "$pid"
	psql_on src kinds -c "DROP TABLE later"
	run -1 grep -qx later "$d/with"
	grep -qx later "$d/without"
	run --separate-stderr list --snapshot 00000003-0000001B-1
	[ "$status" -eq 1 ]
	[[ $stderr == *'could not use snapshot "00000003-0000001B-1"'* ]]
}

@test "table-list --relations: every relation a clone restores, with pg_dump's selection rules" {
	list --relations >"$BATS_TEST_TMPDIR/out"
	cut -f2-4 "$BATS_TEST_TMPDIR/out" >"$BATS_TEST_TMPDIR/got"
	# Ordered by schema and name; no extension member, no system schema.
	cat >"$BATS_TEST_TMPDIR/expected" <<'EOF2'
r	other	We\tird
r	other	o1
f	public	ft
r	public	keyed_nulls
m	public	mv
r	public	nokey
p	public	parted
r	public	parted_a
p	public	parted_b
r	public	parted_b1
f	public	parted_f
r	public	plain
S	public	standalone_seq
r	public	unlogged_t
v	public	v
r	public	withserial
S	public	withserial_id_seq
S	public	withserial_ident_seq
EOF2
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/got"
	# The oid is the source's pg_class oid.
	psql_on src kinds -Atc "SELECT 'public.mv'::regclass::oid" >"$BATS_TEST_TMPDIR/oid"
	[ "$(awk -F'\t' '$4 == "mv" { print $1 }' "$BATS_TEST_TMPDIR/out")" = "$(cat "$BATS_TEST_TMPDIR/oid")" ]

	# -t selects regardless of -n/-N, and brings the table's sequences (serial
	# and identity); -T on the table leaves the identity sequence out but a
	# serial sequence stays selected by its own name.
	list --relations -n other --include-table withserial | cut -f2,4 >"$BATS_TEST_TMPDIR/got"
	printf 'r\twithserial\nS\twithserial_id_seq\nS\twithserial_ident_seq\n' | diff -u - "$BATS_TEST_TMPDIR/got"
	list --relations -N other -T withserial -T 'p*' -T '?' -T '??' -T 'nokey' -T '*ed*' -T 'unlogged_t' |
		cut -f2,4 >"$BATS_TEST_TMPDIR/got"
	printf 'S\tstandalone_seq\nS\twithserial_id_seq\n' | diff -u - "$BATS_TEST_TMPDIR/got"
	# Schema patterns; a temporary table is never listed.
	list --relations -n 'OTH*' | cut -f4 >"$BATS_TEST_TMPDIR/got"
	printf 'We\\tird\no1\n' | diff -u - "$BATS_TEST_TMPDIR/got"
	# The same relations as the work stream for tables and sequences.
	list >"$BATS_TEST_TMPDIR/work"
	awk -F'\t' '$1 == "table" { print "r\t" $3 "\t" $4 } $1 == "sequence" { print "S\t" $3 "\t" $4 }' \
		"$BATS_TEST_TMPDIR/work" | LC_ALL=C sort >"$BATS_TEST_TMPDIR/a"
	awk -F'\t' '$2 == "r" || $2 == "S" { print $2 "\t" $3 "\t" $4 }' "$BATS_TEST_TMPDIR/out" |
		LC_ALL=C sort >"$BATS_TEST_TMPDIR/b"
	diff -u "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	# Usage: not with the work stream's options; a bad pattern names it.
	run --separate-stderr list --relations --split-larger-than 1MB
	[ "$status" -eq 2 ]
	[[ $stderr == *'--relations cannot be used with --split-larger-than'* ]]
	run --separate-stderr list --relations -n 'a.b'
	[ "$status" -eq 2 ]
	[[ $stderr == *'improper qualified name (too many dotted names): "a.b"'* ]]
	# --check-patterns: the same check without a server.
	run --separate-stderr table-list --source 'host=/nonexistent' --check-patterns -T 'x.y.z'
	[ "$status" -eq 2 ]
	[[ $stderr == 'table-list: error: improper qualified name (too many dotted names): "x.y.z"'* ]]
	run --separate-stderr table-list --source 'host=/nonexistent' --check-patterns -n 'A*' --include-table '"a.b".c'
	[ "$status" -eq 0 ]
	[ -z "$output" ] && [ -z "$stderr" ]
}

@test "table-list --matviews: materialized views as matview items; copy-table refuses them" {
	list --matviews >"$BATS_TEST_TMPDIR/out"
	awk -F'\t' '$1 == "matview" { print $3 "\t" $4 "\t" $7 "\t" $8 }' "$BATS_TEST_TMPDIR/out" >"$BATS_TEST_TMPDIR/got"
	printf 'public\tmv\t1\t1\n' | diff -u - "$BATS_TEST_TMPDIR/got"
	# Without it, none.
	list | cut -f1 | sort -u >"$BATS_TEST_TMPDIR/kinds"
	printf 'blobs\nsequence\ntable\n' | diff -u - "$BATS_TEST_TMPDIR/kinds"
	run --separate-stderr copy-table --source "$(pgsb_conninfo src kinds)" --target "$(pgsb_conninfo src kinds)" \
		"$(grep '^matview' "$BATS_TEST_TMPDIR/out")"
	[ "$status" -eq 1 ]
	[[ $stderr == *'materialized view is not copied'* ]]
}
