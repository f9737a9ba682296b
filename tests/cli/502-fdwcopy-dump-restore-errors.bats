#!/usr/bin/env bats
# fdwcopy dump / restore refusals and edges, on the small FDW fixture: usage
# errors; a changed or missing backup file is refused before anything is
# restored; unmapped foreign servers are refused (exit 3) before anything is
# written; a non-superuser dump names the user mappings whose options it could
# not see; a filtered dump keeps the servers its foreign tables need; no
# password reaches a child's argument list or the output.

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox
load ../lib/fdwlayout

setup_file() {
	pgsb_start src dst
	make_archive src archive_db "source archive"
	make_archive dst tarchive_db "target archive"
	make_fdw_source src fdwsrc src archive_db
	F=$BATS_FILE_TMPDIR
	fdwcopy dump -q --jobs 2 --source "$(pgsb_conninfo src fdwsrc)" --dir "$F/backup" >"$F/dump.out" 2>"$F/dump.err"
	cat >"$F/full.map" <<MAP
[server:archive_server]
port = $(pgsb_port dst)
dbname = tarchive_db
[user-mapping:*@archive_server]
password = tgt-archive-pw
[server:reporting_srv]
port = $(pgsb_port dst)
dbname = tarchive_db
[user-mapping:postgres@reporting_srv]
password = tgt-reporting-pw
[user-mapping:alice@reporting_srv]
drop = true
MAP
	# archive_server and its user mappings only
	head -n 5 "$F/full.map" >"$F/archive-only.map"
	chmod 600 "$F/full.map" "$F/archive-only.map"
}

teardown_file() { pgsb_stop; }

setup() {
	T=$BATS_TEST_TMPDIR
	F=$BATS_FILE_TMPDIR
	S=$(pgsb_conninfo src fdwsrc)
}

fresh_db() { psql_on dst -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" 2>/dev/null; }

# relations_in DB: the number of relations outside the system schemas.
relations_in() {
	psql_on dst "$1" -Atc "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
}

@test "dump and restore: --help, usage errors exit 2 with the hint" {
	run --separate-stderr fdwcopy dump --help
	[ "$status" -eq 0 ]
	for o in --source --dir --jobs --compress --include-schema --exclude-schema --include-table --exclude-table \
		--no-owner --no-acl; do
		[[ $output == *"$o"* ]] || { echo "missing $o"; false; }
	done
	[ -z "$stderr" ]
	run --separate-stderr fdwcopy restore --help
	[ "$status" -eq 0 ]
	for o in --dir --target --fdw-map --jobs --clean --list; do
		[[ $output == *"$o"* ]] || { echo "missing $o"; false; }
	done
	run --separate-stderr fdwcopy --help
	[[ $output == *"fdwcopy dump [OPTION]"* && $output == *"fdwcopy restore [OPTION]"* ]]
	run --separate-stderr fdwcopy dump --frobnicate
	[ "$status" -eq 2 ]
	[[ $stderr == *'fdwcopy: error: unrecognised option "--frobnicate"'* ]]
	[[ $stderr == *'Try "fdwcopy --help" for more information.'* ]]
	run --separate-stderr fdwcopy dump --source "$S"
	[ "$status" -eq 2 ]
	[[ $stderr == *'no backup directory given (--dir)'* ]]
	run --separate-stderr fdwcopy dump --source "$S" --dir "$T/x" --compress 12
	[ "$status" -eq 2 ]
	[[ $stderr == *'invalid value "12" for option "--compress"'* ]]
	run --separate-stderr fdwcopy dump --source "$S" --dir "$T/x" --compress gzip:0
	[ "$status" -eq 2 ]
	[[ $stderr == *'invalid value "gzip:0" for option "--compress": gzip, gzip:LEVEL (1-9), none or a level 0-9'* ]]
	run --separate-stderr fdwcopy dump --source "$S" --dir "$T/x" -Z zstd:3
	[ "$status" -eq 2 ]
	[[ $stderr == *'invalid value "zstd:3" for option "--compress": zstd needs pg_dump 16 or later; this is pg_dump 15.'* ]]
	[ ! -e "$T/x" ]
	run --separate-stderr env -u FDWCOPY_TARGET fdwcopy restore --dir "$F/backup"
	[ "$status" -eq 2 ]
	[[ $stderr == *'no target given'* ]]
	run --separate-stderr fdwcopy restore --dir "$F/backup" --list --target dbname=x
	[ "$status" -eq 2 ]
	[[ $stderr == *'--list connects nowhere'* ]]
	run --separate-stderr fdwcopy restore --dir "$F/backup" --target dbname=x --jobs 0
	[ "$status" -eq 2 ]
	[[ $stderr == *'-j/--jobs must be in range 1..1024'* ]]
}

@test "dump: a directory that is not empty is refused; restore: a directory without MANIFEST is refused" {
	mkdir "$T/full"
	touch "$T/full/something"
	run --separate-stderr fdwcopy dump --source "$S" --dir "$T/full"
	[ "$status" -eq 1 ]
	[[ $stderr == *"fdwcopy: error: backup directory \"$T/full\" exists and is not empty"* ]]
	cp -r "$F/backup" "$T/b"
	rm "$T/b/MANIFEST"
	fresh_db nomanifest
	run --separate-stderr fdwcopy restore --dir "$T/b" --target "$(pgsb_conninfo dst nomanifest)" --fdw-map "$F/full.map"
	[ "$status" -eq 1 ]
	[[ $stderr == *"is not a complete fdwcopy backup: MANIFEST is missing; nothing was restored"* ]]
	[ "$(relations_in nomanifest)" -eq 0 ]
}

@test "restore: a changed file is refused before anything is restored" {
	cp -r "$F/backup" "$T/b"
	printf 'CREATE TABLE sneaky (x int);\n' >>"$T/b/pre-data.sql"
	fresh_db tampered
	run --separate-stderr fdwcopy restore --dir "$T/b" --target "$(pgsb_conninfo dst tampered)" --fdw-map "$F/full.map"
	[ "$status" -eq 1 ]
	[[ $stderr == *'fdwcopy: error: backup file "pre-data.sql" has changed: sha256 '* ]]
	[[ $stderr == *"fdwcopy: error: nothing was restored"* ]]
	[ "$(relations_in tampered)" -eq 0 ]
	# --list checks too, and says so
	run --separate-stderr fdwcopy restore --dir "$T/b" --list
	[ "$status" -eq 1 ]
	[[ $stderr == *'backup file "pre-data.sql" has changed'* ]]
}

@test "restore: a missing or changed data file is refused before anything is restored" {
	cp -r "$F/backup" "$T/b"
	f=$(awk -F'\t' '$1 == "table" && $4 == "orders" { print $7 }' "$T/b/MANIFEST")
	[ -n "$f" ]
	rm "$T/b/$f"
	printf 'x' >>"$T/b/data/toc.dat"
	fresh_db missing
	run --separate-stderr fdwcopy restore --dir "$T/b" --target "$(pgsb_conninfo dst missing)" --fdw-map "$F/full.map"
	[ "$status" -eq 1 ]
	[[ $stderr == *"fdwcopy: error: backup file \"$f\" is missing"* ]]
	[[ $stderr == *'fdwcopy: error: backup file "data/toc.dat" has changed'* ]]
	[ "$(relations_in missing)" -eq 0 ]
}

@test "restore: without a map, foreign servers are refused (exit 3) and nothing is written" {
	fresh_db nomap
	run --separate-stderr fdwcopy restore --dir "$F/backup" --target "$(pgsb_conninfo dst nomap)"
	[ "$status" -eq 3 ]
	[[ $stderr == *'fdwcopy restore: problem: foreign server "archive_server" is not mapped: no --fdw-map was given'* ]]
	[[ $stderr == *'fdwcopy restore: problem: foreign server "reporting_srv" is not mapped: no --fdw-map was given'* ]]
	[[ $stderr == *"nothing was written to the target"* ]]
	[[ $stderr == *"--fdw-map=keep"* ]]
	[ "$(relations_in nomap)" -eq 0 ]
}

@test "restore: a map that misses a server is refused (exit 3) before anything is written" {
	fresh_db partial
	run --separate-stderr fdwcopy restore --clean --dir "$F/backup" --target "$(pgsb_conninfo dst partial)" --fdw-map "$F/archive-only.map"
	[ "$status" -eq 3 ]
	[[ $stderr == *"fdwcopy restore: problem: server \"reporting_srv\" is not in the map (map $F/archive-only.map)"* ]]
	[[ $stderr == *"fdwcopy restore: problem: user mapping for \"postgres\" on server \"reporting_srv\" is not in the map (map $F/archive-only.map)"* ]]
	[[ $stderr == *"nothing was written to the target"* ]]
	[ "$(relations_in partial)" -eq 0 ]
}

@test "dump as a non-superuser: each user mapping whose options it cannot see is named" {
	psql_on src -c "CREATE ROLE dumper LOGIN IN ROLE pg_read_all_data"
	run --separate-stderr fdwcopy dump -q --source "$(pgsb_conninfo src fdwsrc) user=dumper" --dir "$T/b"
	echo "$stderr"
	[ "$status" -eq 0 ]
	for m in '"postgres" on server "archive_server"' '"public" on server "archive_server"' \
		'"alice" on server "reporting_srv"' '"postgres" on server "reporting_srv"'; do
		grep -q "^fdwcopy: warning: user mapping for $m: its options are hidden from role \"dumper\"" <<<"$stderr" ||
			{ echo "no warning for $m"; false; }
	done
	[[ $stderr == *"hint: restore with a map that supplies their options"* ]]
	[ "$(grep -c $'^user_mapping\t.*\thidden$' "$T/b/MANIFEST")" -eq 4 ]
	grep -q "^CREATE USER MAPPING FOR alice SERVER reporting_srv;$" "$T/b/pre-data.sql"
	run -1 grep -q -e src-secret-pw -e alice-secret-pw -e rep-secret-pw "$T/b/pre-data.sql"
	run --separate-stderr fdwcopy restore --dir "$T/b" --list
	[ "$status" -eq 0 ]
	grep -q '^  alice@reporting_srv  *options hidden from the dumping role: the map must supply them$' <<<"$output"
}

@test "a filtered dump keeps the server its foreign partition needs and restores with a map for it alone" {
	run --separate-stderr fdwcopy dump -q --include-table 'measurements*' --source "$S" --dir "$T/b"
	[ "$status" -eq 0 ]
	awk -F'\t' '$1 == "server" { print $2 }' "$T/b/MANIFEST" >"$T/servers"
	echo archive_server >"$T/expected"
	diff -u "$T/expected" "$T/servers"
	awk -F'\t' '$1 == "table" { print $4 }' "$T/b/MANIFEST" >"$T/tables"
	printf 'measurements_2024\nmeasurements_2025\n' >"$T/expected"
	diff -u "$T/expected" "$T/tables"
	fresh_db filtered
	run --separate-stderr fdwcopy restore --dir "$T/b" --target "$(pgsb_conninfo dst filtered)" --fdw-map "$F/archive-only.map"
	echo "$output" "$stderr"
	[ "$status" -eq 0 ]
	psql_on dst filtered -Atc "SELECT note, count(*) FROM measurements GROUP BY 1 ORDER BY 1" >"$T/rows"
	printf 'hot|10000\ntarget archive|50\n' >"$T/expected"
	diff -u "$T/expected" "$T/rows"
	[ "$(psql_on dst filtered -Atc "SELECT count(*) FROM pg_class WHERE relname IN ('items', 'orders')")" -eq 0 ]
}

@test "no password in a child's arguments, the output or the backup" {
	# Wrappers record the argument lists of pg_dump, pg_restore and psql.
	mkdir "$T/wrap"
	for p in pg_dump pg_restore psql; do
		# shellcheck disable=SC2016 # the wrapper's own $0, $* and $@
		printf '#!/bin/sh\nprintf "%%s %%s\\n" "${0##*/}" "$*" >>"%s/argv.log"\nexec %s "$@"\n' "$T" "$(command -v $p)" >"$T/wrap/$p"
		chmod 755 "$T/wrap/$p"
	done
	fresh_db pw
	PATH="$T/wrap:$PATH" run --separate-stderr fdwcopy dump --source "$S password=pw-in-source" --dir "$T/b"
	[ "$status" -eq 0 ]
	[[ $output$stderr != *pw-in-source* ]]
	PATH="$T/wrap:$PATH" run --separate-stderr fdwcopy restore --dir "$T/b" \
		--target "$(pgsb_conninfo dst pw) password=pw-in-target" --fdw-map "$F/full.map"
	echo "$output" "$stderr"
	[ "$status" -eq 0 ]
	[[ $output$stderr != *pw-in-target* ]]
	grep -q '^pg_dump .*--section=data' "$T/argv.log"
	grep -q '^pg_restore .*--exit-on-error' "$T/argv.log"
	grep -q '^psql ' "$T/argv.log"
	run -1 grep -q -e pw-in-source -e pw-in-target "$T/argv.log"
	run -1 grep -rq -e pw-in-source -e pw-in-target "$T/b"
	run -1 grep -q -e src-secret-pw -e alice-secret-pw -e rep-secret-pw "$T/b/MANIFEST"
}
