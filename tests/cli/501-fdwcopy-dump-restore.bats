#!/usr/bin/env bats
# fdwcopy dump / restore round trip: pagila plus the FDW archive layout is
# dumped once; restored into fresh databases with a map that points both
# servers at a "target archive", it verifies equal to the source, and the
# foreign partition reads the target archive. --jobs 1 and --jobs 2 restore
# the same thing; --list works offline; --clean restores over an earlier
# restore; a target that already has the tables is refused and left alone.

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox
load ../lib/fdwlayout

setup_file() {
	pgsb_start src dst
	# The archives live next to their databases: archive_db on src (what the
	# source reads), tarchive_db on dst (what the restored copies must read).
	make_archive src archive_db "source archive"
	make_archive dst tarchive_db "target archive"
	make_fdw_source src fdwsrc src archive_db
	psql_on src fdwsrc -f "$PAGILA_DIR/pagila-schema.sql" >/dev/null
	psql_on src fdwsrc -f "$PAGILA_DIR/pagila-data.sql" >/dev/null
	psql_on src fdwsrc -c "SELECT lo_from_bytea(424242, 'large object contents')" >/dev/null
	F=$BATS_FILE_TMPDIR
	write_map "$F/staging.map"
	fdwcopy dump --jobs 2 --source "$(pgsb_conninfo src fdwsrc)" --dir "$F/backup" >"$F/dump.out" 2>"$F/dump.err"
}

teardown_file() { pgsb_stop; }

setup() {
	export ARCHIVE_PASSWORD=tgt-secret-pw
	T=$BATS_TEST_TMPDIR
	F=$BATS_FILE_TMPDIR
	S=$(pgsb_conninfo src fdwsrc)
}

# The map: both servers on dst's tarchive_db; the mappings get target
# passwords (one from the environment); alice (a role only the source cluster
# has) is dropped.
write_map() { fdw_map "$1" "$(pgsb_port dst)" tarchive_db env:ARCHIVE_PASSWORD tgt-secret-pw; }

# fresh_db NAME: an empty database NAME on dst.
fresh_db() { psql_on dst -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" 2>/dev/null; }

# no_secrets [FILE...]: none of the passwords is in the files (or stdin).
no_secrets() {
	local rc=0
	grep -q -e src-secret-pw -e alice-secret-pw -e rep-secret-pw -e tgt-secret-pw "$@" || rc=$?
	# 1: read, no match (0 is a leak, 2 an unreadable file)
	[ "$rc" -eq 1 ]
}

@test "dump: the backup directory holds pre-data.sql, data/ (data and post-data), clean.sql, MANIFEST" {
	B=$F/backup
	[ "$(stat -c %a "$B")" = 700 ]
	for f in MANIFEST pre-data.sql clean.sql partitioned-indexes.tsv data/toc.dat; do
		[ -f "$B/$f" ] || { echo "missing $f"; false; }
		[ "$(stat -c %a "$B/$f")" = 600 ]
	done
	# pre-data.sql is plain SQL with the servers and user mappings as dumped
	grep -q "^CREATE SERVER archive_server FOREIGN DATA WRAPPER postgres_fdw OPTIONS (" "$B/pre-data.sql"
	grep -q "^CREATE USER MAPPING FOR alice SERVER reporting_srv OPTIONS (" "$B/pre-data.sql"
	grep -q "^CREATE FOREIGN TABLE public.measurements_old" "$B/pre-data.sql"
	run -1 grep -q "^CREATE INDEX" "$B/pre-data.sql"
	# the post-data is in data/'s archive with the data, for restore's one
	# pg_restore -j: no post-data.dump, and no pre-data entry in data/
	[ ! -e "$B/post-data.dump" ]
	pg_restore -l "$B/data" >"$T/data.list"
	grep -q ' TABLE DATA public rental ' "$T/data.list"
	grep -q ' INDEX public idx_fk_film_id ' "$T/data.list"
	grep -q ' FK CONSTRAINT public rental rental_inventory_id_fkey ' "$T/data.list"
	run -1 grep -q ' TABLE public ' "$T/data.list"
	# the source's valid partitioned index over the foreign partition, for restore
	grep -q '^0	I	public	measurements_ts_idx		' "$B/partitioned-indexes.tsv"
	grep -q '^1	i	public	measurements_2024_ts_idx	public	measurements_ts_idx	' "$B/partitioned-indexes.tsv"
	grep -q '^DROP TABLE IF EXISTS public.rental;$' "$B/clean.sql"
	# the summary: per-step times and rows/s
	grep -q '^  data  *[0-9.]*$' "$F/dump.out"
	grep -q "^  25 tables, [0-9]* rows, .* rows/s" "$F/dump.out"
	cat "$F/dump.err"
	[ ! -s "$F/dump.err" ]
}

@test "dump: the MANIFEST records the source, the snapshot, servers, mappings, rows and checksums, no secrets" {
	M=$F/backup/MANIFEST
	no_secrets "$M" "$F/dump.out"
	grep -q "^server_version	15\." "$M"
	grep -q "^database	fdwsrc$" "$M"
	grep -q "^dump_time	20[0-9-]*T[0-9:]*Z$" "$M"
	grep -q "^snapshot	[0-9A-F-]*$" "$M"
	grep -q "^server	archive_server	postgres_fdw	host=$PGSB_DIR, port=$(pgsb_port src), dbname=archive_db$" "$M"
	grep -q "^user_mapping	alice	reporting_srv	user, password	visible$" "$M"
	grep -q "^user_mapping	public	archive_server	user	visible$" "$M"
	[ "$(grep -c '^user_mapping	' "$M")" -eq 4 ]
	n=$(psql_on src fdwsrc -Atc "SELECT count(*) FROM rental")
	grep -q "^table	[0-9]*	public	rental	$n	[0-9]*	data/[0-9]*.dat.gz$" "$M"
	# every file but MANIFEST has a checksum line, and they match
	(cd "$F/backup" && find . -type f ! -name MANIFEST -printf '%P\n' | sort) >"$T/files"
	awk -F'\t' '$1 == "file" { print $4 }' "$M" | sort >"$T/listed"
	diff -u "$T/files" "$T/listed"
	awk -F'\t' '$1 == "file" { print $2 "  " $4 }' "$M" >"$T/sums"
	(cd "$F/backup" && sha256sum --quiet -c "$T/sums")
}

# manifest_rows_match_source DIR: every table line of DIR/MANIFEST has the
# source's row count of that table.
manifest_rows_match_source() {
	psql_on src fdwsrc -At -F ' ' -c "SELECT n.nspname || '.' || c.relname,
	    (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', n.nspname, c.relname),
	                                          false, true, '')))[1]::text
	  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	  WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1" >"$T/source.rows"
	awk -F'\t' '$1 == "table" { print $3 "." $4, $5 }' "$1/MANIFEST" | sort >"$T/manifest.rows"
	[ "$(wc -l <"$T/manifest.rows")" -eq 25 ]
	LC_ALL=C comm -23 <(LC_ALL=C sort "$T/manifest.rows") <(LC_ALL=C sort "$T/source.rows") >"$T/wrong"
	cat "$T/wrong"
	[ ! -s "$T/wrong" ]
}

@test "dump: the MANIFEST has every table's rows as on the source (counted as the data files are compressed)" {
	manifest_rows_match_source "$F/backup"
	grep -q "^compress	gzip:6$" "$F/backup/MANIFEST"
	# pg_dump -Fd's default: every data file gzip-compressed, large objects' too
	(cd "$F/backup/data" && ls) >"$T/files"
	grep -q '^blob_424242\.dat\.gz$' "$T/files"
	run -1 grep -Eq '^([0-9]+|blob_[0-9]+)\.dat$' "$T/files"
	run -1 grep -q '\.part$' "$T/files"
}

@test "dump --compress none / gzip:1: plain or gzip data files, the same rows; a plain backup restores equal" {
	fdwcopy dump -q --jobs 2 --compress none --source "$S" --dir "$T/plain"
	fdwcopy dump -q --jobs 2 -Z gzip:1 --source "$S" --dir "$T/fast"
	grep -q "^compress	none$" "$T/plain/MANIFEST"
	grep -q "^compress	gzip:1$" "$T/fast/MANIFEST"
	run -1 grep -q '\.gz$' <(cd "$T/plain/data" && ls)
	run -1 grep -Eq '^([0-9]+|blob_[0-9]+)\.dat$' <(cd "$T/fast/data" && ls)
	grep -Eq '^blob_[0-9]+\.dat$' <(cd "$T/plain/data" && ls)
	# the plain files are larger than the level-1 ones, those larger than level 6's
	size() { awk -F'\t' '$1 == "file" && $4 ~ /^data\// { s += $3 } END { print s }' "$1/MANIFEST"; }
	[ "$(size "$T/plain")" -gt "$(size "$T/fast")" ]
	[ "$(size "$T/fast")" -gt "$(size "$F/backup")" ]
	manifest_rows_match_source "$T/plain"
	manifest_rows_match_source "$T/fast"
	fresh_db plain
	fdwcopy restore -q --jobs 2 --dir "$T/plain" --target "$(pgsb_conninfo dst plain)" --fdw-map "$F/staging.map"
	run --separate-stderr fdwcopy verify --jobs 2 --source "$S" --target "$(pgsb_conninfo dst plain)" --fdw-map "$F/staging.map"
	echo "$output" "$stderr"
	[ "$status" -eq 0 ]
	[ "$(psql_on dst plain -Atc "SELECT convert_from(lo_get(424242), 'UTF8')")" = "large object contents" ]
}

@test "restore --list: tables, sizes, servers and mappings, without connecting anywhere" {
	run --separate-stderr env PGHOST=/nonexistent PGPORT=1 FDWCOPY_TARGET= fdwcopy restore --dir "$F/backup" --list
	[ "$status" -eq 0 ]
	n=$(psql_on src fdwsrc -Atc "SELECT count(*) FROM rental")
	grep -q "^  public\.rental  *$n  *[0-9.]*  *[0-9.]*$" <<<"$output"
	grep -q "^tables: 25, [0-9]* rows" <<<"$output"
	grep -q "^  archive_server  *postgres_fdw  *host=$PGSB_DIR, port=$(pgsb_port src), dbname=archive_db$" <<<"$output"
	grep -q "^  alice@reporting_srv  *options: user, password$" <<<"$output"
	grep -q "^checksums: all [0-9]* files match the MANIFEST$" <<<"$output"
	[ -z "$stderr" ]
	no_secrets <<<"$output"
}

@test "restore: a fresh target with a map verifies equal to the source and reads the target archive" {
	fresh_db r2
	run --separate-stderr fdwcopy restore --jobs 2 --dir "$F/backup" --target "$(pgsb_conninfo dst r2)" --fdw-map "$F/staging.map"
	echo "$output" "$stderr"
	[ "$status" -eq 0 ]
	[[ $output == *"restore complete"* ]]
	# data and post-data in one step (one pg_restore -j)
	grep -q '^  data+post  *[0-9.]*$' <<<"$output"
	grep -q '^  25 tables, [0-9]* rows, .* rows/s' <<<"$output"
	[[ $output$stderr != *secret-pw* ]]

	run --separate-stderr fdwcopy verify --jobs 2 --source "$S" --target "$(pgsb_conninfo dst r2)" --fdw-map "$F/staging.map"
	echo "$output" "$stderr"
	[ "$status" -eq 0 ]
	[[ $output == "verify: equal: "* ]]
	# pg_restore alone leaves the partitioned index over the foreign partition invalid
	[ -z "$(invalid_indexes dst r2)" ]

	psql_on dst r2 -Atc "SELECT srvname, array_to_string(srvoptions, ',') FROM pg_foreign_server ORDER BY 1" >"$T/servers"
	printf '%s\n' "archive_server|dbname=tarchive_db,host=$PGSB_DIR,port=$(pgsb_port dst)" \
		"reporting_srv|dbname=tarchive_db,host=$PGSB_DIR,port=$(pgsb_port dst)" >"$T/expected"
	diff -u "$T/expected" "$T/servers"
	psql_on dst r2 -Atc "SELECT usename || '@' || srvname || ' ' || array_to_string(umoptions, ',')
	  FROM pg_user_mappings ORDER BY 1" >"$T/mappings"
	printf '%s\n' "postgres@archive_server password=tgt-secret-pw,user=postgres" \
		"postgres@reporting_srv password=tgt-secret-pw,user=postgres" \
		"public@archive_server user=postgres,password=tgt-secret-pw" >"$T/expected"
	diff -u "$T/expected" "$T/mappings"
	psql_on dst r2 -Atc "SELECT note, count(*) FROM measurements GROUP BY 1 ORDER BY 1" >"$T/rows"
	printf 'hot|10000\ntarget archive|50\n' >"$T/expected"
	diff -u "$T/expected" "$T/rows"
	[ "$(psql_on dst r2 -Atc "SELECT convert_from(lo_get(424242), 'UTF8')")" = "large object contents" ]
}

@test "restore: --jobs 1 gives the same database as --jobs 2" {
	fresh_db j1
	fresh_db j2
	fdwcopy restore -q --jobs 1 --dir "$F/backup" --target "$(pgsb_conninfo dst j1)" --fdw-map "$F/staging.map" >"$T/j1.out"
	fdwcopy restore -q --jobs 2 --dir "$F/backup" --target "$(pgsb_conninfo dst j2)" --fdw-map "$F/staging.map" >"$T/j2.out"
	schema_of dst j1 >"$T/j1.sql"
	schema_of dst j2 >"$T/j2.sql"
	diff -u "$T/j1.sql" "$T/j2.sql"
	run --separate-stderr fdwcopy verify --source "$(pgsb_conninfo dst j1)" --target "$(pgsb_conninfo dst j2)" --fdw-map keep
	echo "$output" "$stderr"
	[ "$status" -eq 0 ]
}

@test "restore: a target that already has the tables is refused without --clean and left unchanged" {
	fresh_db busy
	psql_on dst busy -c "CREATE TABLE actor (note text)" -c "INSERT INTO actor VALUES ('mine')" \
		-c "CREATE TABLE film (id int)"
	schema_of dst busy >"$T/before.sql"
	run --separate-stderr fdwcopy restore --dir "$F/backup" --target "$(pgsb_conninfo dst busy)" --fdw-map "$F/staging.map"
	[ "$status" -eq 1 ]
	[[ $stderr == *"fdwcopy restore: problem: the target is not empty: it has table public.actor"* ]]
	[[ $stderr == *"fdwcopy restore: problem: the target is not empty: it has table public.film"* ]]
	[[ $stderr == *"fdwcopy: error: 2 problems found before anything was written; nothing was written to the target"* ]]
	[[ $stderr == *"--clean"* ]]
	schema_of dst busy >"$T/after.sql"
	diff -u "$T/before.sql" "$T/after.sql"
	[ "$(psql_on dst busy -Atc "SELECT note FROM actor")" = mine ]
}

@test "restore --clean: restores over an earlier restore, user mappings of any role included" {
	fresh_db again
	fdwcopy restore -q --dir "$F/backup" --target "$(pgsb_conninfo dst again)" --fdw-map "$F/staging.map" >"$T/first.out"
	psql_on dst again -c "UPDATE actor SET last_name = 'CHANGED'" -c "CREATE ROLE carol"
	psql_on dst again -c "CREATE USER MAPPING FOR carol SERVER reporting_srv"
	run --separate-stderr fdwcopy restore --clean --jobs 2 --dir "$F/backup" --target "$(pgsb_conninfo dst again)" --fdw-map "$F/staging.map"
	echo "$output" "$stderr"
	[ "$status" -eq 0 ]
	run --separate-stderr fdwcopy verify --source "$S" --target "$(pgsb_conninfo dst again)" --fdw-map "$F/staging.map"
	echo "$output" "$stderr"
	[ "$status" -eq 0 ]
	[ "$(psql_on dst again -Atc "SELECT count(*) FROM pg_user_mappings WHERE usename = 'carol'")" -eq 0 ]
}
