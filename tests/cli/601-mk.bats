#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# scripts/fdwcopy.mk: a user's Makefile that includes the fragment migrates
# pagila and the FDW layout with make -j4; reruns redo only what is not done.

load ../lib/pgsandbox
load ../lib/fdwlayout

setup_file() {
	pgsb_start src dst arch
	load_pagila src pagila
	# a materialized view populated on the source (pagila leaves it unpopulated)
	psql_on src pagila -c "REFRESH MATERIALIZED VIEW public.rental_by_category"
	make_archive arch archive_db "source archive"
	make_archive arch tarchive_db "target archive"
	make_fdw_source src fdwsrc arch archive_db
	for db in pagila pagila2 pagila3 fdwdst fdwdst2; do psql_on dst -c "CREATE DATABASE $db"; done
	MK=$BATS_FILE_TMPDIR
	export MK
	mkdir "$MK/pagila" "$MK/pagila2" "$MK/split"
	makefile "$MK/pagila" "SOURCE = $(pgsb_conninfo src pagila)" "TARGET = $(pgsb_conninfo dst pagila)"
	makefile "$MK/pagila2" "SOURCE = $(pgsb_conninfo src pagila)" "TARGET = $(pgsb_conninfo dst pagila2)"
	makefile "$MK/split" "SOURCE = $(pgsb_conninfo src pagila)" "TARGET = $(pgsb_conninfo dst pagila3)" "SPLIT = 200kB"
}

teardown_file() { pgsb_stop; }

teardown() {
	if [ -n "${sampler:-}" ]; then kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true; fi
}

# makefile DIR LINE...: DIR/Makefile with LINEs, JOBS = 2, then the include.
makefile() {
	local dir=$1
	shift
	{
		printf '%s\n' "$@"
		echo "JOBS = 2"
		echo "include $REPO_ROOT/scripts/fdwcopy.mk"
	} >"$dir/Makefile"
}

# sums CLUSTER DB: one line per ordinary table and leaf partition: name, row
# count, md5 of the rows in a fixed order.
sums() {
	psql_on "$1" "$2" -At <<'SQL'
SELECT format('SELECT %L, count(*), md5(coalesce(string_agg(t::text, %L ORDER BY t::text), %L)) FROM %I.%I t',
              n.nspname || '.' || c.relname, E'\n', '', n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
 ORDER BY 1 \gexec
SQL
}

same_data() {
	sums src "$1" >"$BATS_TEST_TMPDIR/src.sums"
	sums dst "$2" >"$BATS_TEST_TMPDIR/dst.sums"
	[ -s "$BATS_TEST_TMPDIR/src.sums" ]
	diff -u "$BATS_TEST_TMPDIR/src.sums" "$BATS_TEST_TMPDIR/dst.sums"
}

same_schema() {
	schema_of src "$1" >"$BATS_TEST_TMPDIR/src.schema"
	schema_of dst "$2" >"$BATS_TEST_TMPDIR/dst.schema"
	diff -u "$BATS_TEST_TMPDIR/src.schema" "$BATS_TEST_TMPDIR/dst.schema"
}

public_tables() { psql_on dst "$1" -Atc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"; }

@test "make -n migrate prints the plan, one copy-table per item, and writes nothing to the target" {
	cd "$MK/pagila"
	make -n migrate >"$BATS_TEST_TMPDIR/plan" 2>"$BATS_TEST_TMPDIR/err"
	grep -q '^snapshot-hold ' "$BATS_TEST_TMPDIR/plan"
	# shellcheck disable=SC2016 # the plan's literal $FDWCOPY_SOURCE_PASSWORD
	grep -q '^PGPASSWORD="$FDWCOPY_SOURCE_PASSWORD" pg_dump -Fc --schema-only --snapshot=SNAPSHOT-ID ' "$BATS_TEST_TMPDIR/plan"
	grep -q '^pg_restore -f - --section=pre-data .* | schema-split --section=pre-data | fdw-rewrite ' "$BATS_TEST_TMPDIR/plan"
	grep -q '^copy-table --snapshot=SNAPSHOT-ID < fdwcopy-work/plan/items/public.film.item ' "$BATS_TEST_TMPDIR/plan"
	grep -q '^cat fdwcopy-work/data/public.film.result | index-build --snapshot=SNAPSHOT-ID ' "$BATS_TEST_TMPDIR/plan"
	grep -q '^fdwcopy verify ' "$BATS_TEST_TMPDIR/plan"
	[ "$(grep -c '^copy-table ' "$BATS_TEST_TMPDIR/plan")" -eq "$(wc -l <fdwcopy-work/plan/items.tsv)" ]
	[ "$(grep -c '^copy-table ' "$BATS_TEST_TMPDIR/plan")" -gt 20 ]
	[ ! -e fdwcopy-work/schema.dump ]
	[ "$(public_tables pagila)" = 0 ]
}

@test "make -j4 migrate clones pagila, verify passes" {
	cd "$MK/pagila"
	run make -j4 migrate
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"fdwcopy.mk: snapshot "*" held on the source until migrate ends"* ]]
	[ -e fdwcopy-work/verify.done ]
	[ ! -e fdwcopy-work/plan ]
	same_schema pagila pagila
	same_data pagila pagila
	# the same post-data as clone: materialized views populated on the source are populated
	psql_on src pagila -Atc "SELECT relname, relispopulated FROM pg_class WHERE relkind = 'm' ORDER BY 1" >"$BATS_TEST_TMPDIR/mv.src"
	psql_on dst pagila -Atc "SELECT relname, relispopulated FROM pg_class WHERE relkind = 'm' ORDER BY 1" >"$BATS_TEST_TMPDIR/mv.dst"
	grep -q '|t$' "$BATS_TEST_TMPDIR/mv.src"
	diff -u "$BATS_TEST_TMPDIR/mv.src" "$BATS_TEST_TMPDIR/mv.dst"
	[ "$(stat -c %a fdwcopy-work)" = 700 ]
	[ "$(stat -c %a fdwcopy-work/schema.dump)" = 600 ]
}

@test "make again does nothing" {
	cd "$MK/pagila"
	touch "$BATS_TEST_TMPDIR/marker"
	sleep 1
	make -j4 >"$BATS_TEST_TMPDIR/out" 2>&1
	echo "make: Nothing to be done for 'migrate'." >"$BATS_TEST_TMPDIR/expected"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/out"
	find fdwcopy-work -newer "$BATS_TEST_TMPDIR/marker" >"$BATS_TEST_TMPDIR/newer"
	[ ! -s "$BATS_TEST_TMPDIR/newer" ]
	make -q migrate
	make -n migrate >"$BATS_TEST_TMPDIR/plan"
	run -1 grep -q '^copy-table' "$BATS_TEST_TMPDIR/plan"
}

@test "deleting one table's stamp and its target rows redoes only that table" {
	cd "$MK/pagila"
	psql_on dst pagila -c "TRUNCATE public.film_actor"
	rm fdwcopy-work/data/public.film_actor.result
	make -j4 >"$BATS_TEST_TMPDIR/out" 2>&1 || { cat "$BATS_TEST_TMPDIR/out"; false; }
	cat "$BATS_TEST_TMPDIR/out"
	grep '^copy-table\|^pg_dump\|^table-list\|pg_restore' "$BATS_TEST_TMPDIR/out" >"$BATS_TEST_TMPDIR/steps"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/steps")" -eq 1 ]
	grep -q '< fdwcopy-work/items/public.film_actor.item ' "$BATS_TEST_TMPDIR/steps"
	grep -q 'index-build' "$BATS_TEST_TMPDIR/out"
	grep -q 'fdwcopy.mk: warning: resuming without a snapshot' "$BATS_TEST_TMPDIR/out"
	same_data pagila pagila
	same_schema pagila pagila
}

@test "make table-public.payment redoes every partition of the partitioned table" {
	cd "$MK/pagila"
	psql_on dst pagila -c "TRUNCATE public.payment"
	rm fdwcopy-work/data/public.payment_p2022_*.result
	make -j4 table-public.payment >"$BATS_TEST_TMPDIR/out" 2>&1 || { cat "$BATS_TEST_TMPDIR/out"; false; }
	[ "$(grep -c '^copy-table' "$BATS_TEST_TMPDIR/out")" -eq 7 ]
	[ "$(grep '^copy-table' "$BATS_TEST_TMPDIR/out" | grep -c 'items/public.payment_p2022_0[1-7].item')" -eq 7 ]
	run -1 grep -q 'fdwcopy verify' "$BATS_TEST_TMPDIR/out"
	same_data pagila pagila
	make -j4 >"$BATS_TEST_TMPDIR/out" 2>&1
	grep -q '^fdwcopy verify' "$BATS_TEST_TMPDIR/out"
}

@test "a failure in one table's target fails make naming the table; the rerun finishes" {
	cd "$MK/pagila2"
	make pre-data >"$BATS_TEST_TMPDIR/out" 2>&1 || { cat "$BATS_TEST_TMPDIR/out"; false; }
	psql_on dst pagila2 -c "ALTER TABLE public.film_category ADD CONSTRAINT mk_fails CHECK (false) NOT VALID"
	run make -j4 migrate
	echo "$output"
	[ "$status" -eq 2 ]
	[[ $output == *"fdwcopy.mk: error: table public.film_category failed"* ]]
	[[ $output == *"fdwcopy.mk: migrate failed"*"run make again to resume"* ]]
	[ ! -e fdwcopy-work/data/public.film_category.result ]
	[ ! -e fdwcopy-work/post-data.done ]
	ls fdwcopy-work/data/*.result >"$BATS_TEST_TMPDIR/done-before"

	psql_on dst pagila2 -c "ALTER TABLE public.film_category DROP CONSTRAINT mk_fails"
	run make -j4 migrate
	echo "$output"
	[ "$status" -eq 0 ]
	[ -e fdwcopy-work/verify.done ]
	[[ $output == *"< fdwcopy-work/items/public.film_category.item "* ]]
	while read -r f; do
		item=$(basename "$f" .result)
		[[ $output != *"< fdwcopy-work/items/$item.item "* ]]
	done <"$BATS_TEST_TMPDIR/done-before"
	same_data pagila pagila2
	same_schema pagila pagila2
}

@test "SPLIT: a key part is redone alone, a page-split table with a part not done is redone whole" {
	cd "$MK/split"
	# make data: as if the run was killed before the post-data (after it, the
	# foreign keys would keep these tables from being emptied).
	make -j4 data >"$BATS_TEST_TMPDIR/out" 2>&1 || { cat "$BATS_TEST_TMPDIR/out"; false; }
	# pagila at 200kB: rental is split by its integer key, film_actor (two-column
	# key) by page ranges.
	cut -f3,4,8,9 fdwcopy-work/items.tsv | sort -u >"$BATS_TEST_TMPDIR/items"
	grep -q "^public	rental	[2-9]	key$" "$BATS_TEST_TMPDIR/items"
	grep -q "^public	film_actor	2	ctid$" "$BATS_TEST_TMPDIR/items"
	[ -e fdwcopy-work/data/public.rental.p3.result ]
	same_data pagila pagila3

	# Lost stamps with the rows still on the target, as after a kill between a
	# part's COMMIT and its result line.
	rm fdwcopy-work/data/public.rental.p3.result
	make -j4 data >"$BATS_TEST_TMPDIR/out" 2>&1 || { cat "$BATS_TEST_TMPDIR/out"; false; }
	grep '^copy-table' "$BATS_TEST_TMPDIR/out" >"$BATS_TEST_TMPDIR/copies"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/copies")" -eq 1 ]
	grep -q 'items/public.rental.p3.item ' "$BATS_TEST_TMPDIR/copies"
	same_data pagila pagila3

	rm fdwcopy-work/data/public.film_actor.p2.result
	make -j4 data >"$BATS_TEST_TMPDIR/out" 2>&1 || { cat "$BATS_TEST_TMPDIR/out"; false; }
	cat "$BATS_TEST_TMPDIR/out"
	grep -q "TRUNCATE ONLY" "$BATS_TEST_TMPDIR/out"
	grep '^copy-table' "$BATS_TEST_TMPDIR/out" >"$BATS_TEST_TMPDIR/copies"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/copies")" -eq 2 ]
	grep -q 'items/public.film_actor.p1.item ' "$BATS_TEST_TMPDIR/copies"
	grep -q 'items/public.film_actor.p2.item ' "$BATS_TEST_TMPDIR/copies"
	same_data pagila pagila3
	make -j4 migrate >"$BATS_TEST_TMPDIR/out" 2>&1 || { cat "$BATS_TEST_TMPDIR/out"; false; }
	same_data pagila pagila3
	same_schema pagila pagila3
}

@test "FDW layout: make -j4 migrate rewrites the servers by the map; no password on a command line" {
	mkdir "$MK/fdw"
	cd "$MK/fdw"
	local port aport
	port=$(pgsb_port src)
	aport=$(pgsb_port arch)
	cat >staging.map <<MAP
[server:archive_server]
host = $PGSB_DIR
port = $aport
dbname = tarchive_db

[server:reporting_srv]
host = $PGSB_DIR
port = $aport
dbname = tarchive_db
fetch_size =

[user-mapping:postgres@archive_server]
password = env:MK_ARCHIVE_PW

[user-mapping:public@archive_server]
password = env:MK_ARCHIVE_PW

[user-mapping:postgres@reporting_srv]
password = env:MK_ARCHIVE_PW

[user-mapping:alice@reporting_srv]
drop = true
MAP
	chmod 600 staging.map
	export MK_ARCHIVE_PW=tgt-archive-pw
	# The passwords are in the conninfo strings (trust auth ignores them):
	# one URI, one keyword/value string with a quoted value.
	makefile . \
		"SOURCE = postgresql://postgres:Src-Uri-Pw@/fdwsrc?host=$PGSB_DIR&port=$port" \
		"TARGET = host=$PGSB_DIR port=$(pgsb_port dst) user=postgres dbname=fdwdst password='Tgt Kv Pw'" \
		"FDW_MAP = staging.map"
	(while :; do ps -eo args; sleep 0.05; done) >"$BATS_TEST_TMPDIR/ps.log" 2>/dev/null &
	sampler=$!
	run make -j4 migrate
	kill "$sampler"
	wait "$sampler" 2>/dev/null || true
	sampler=
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"post-data: 1 partitioned indexes over foreign partitions made valid"* ]]
	grep -q snapshot-hold "$BATS_TEST_TMPDIR/ps.log"
	[[ $output != *Src-Uri-Pw* && $output != *"Tgt Kv Pw"* && $output != *secret-pw* ]]
	run -1 grep -q 'Src-Uri-Pw\|Tgt Kv Pw\|src-secret-pw\|tgt-archive-pw' "$BATS_TEST_TMPDIR/ps.log"

	psql_on dst fdwdst -Atc "SELECT srvname, array_to_string(ARRAY(SELECT unnest(srvoptions) ORDER BY 1), ',') FROM pg_foreign_server ORDER BY 1" >"$BATS_TEST_TMPDIR/servers"
	printf 'archive_server|dbname=tarchive_db,host=%s,port=%s\nreporting_srv|dbname=tarchive_db,host=%s,port=%s\n' \
		"$PGSB_DIR" "$aport" "$PGSB_DIR" "$aport" >"$BATS_TEST_TMPDIR/expected"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/servers"
	psql_on dst fdwdst -Atc "SELECT note, count(*) FROM measurements GROUP BY 1 ORDER BY 1" >"$BATS_TEST_TMPDIR/rows"
	printf 'hot|10000\ntarget archive|50\n' >"$BATS_TEST_TMPDIR/expected"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/rows"
	same_data fdwsrc fdwdst
	# the partitioned index over the foreign partition is valid, as on the source
	[ -z "$(invalid_indexes dst fdwdst)" ]
}

@test "FDW layout without a map: pre-data is refused, the target stays empty" {
	mkdir "$MK/nomap"
	cd "$MK/nomap"
	makefile . "SOURCE = $(pgsb_conninfo src fdwsrc)" "TARGET = $(pgsb_conninfo dst fdwdst2)"
	run make -j4 migrate
	echo "$output"
	[ "$status" -eq 2 ]
	[[ $output == *'server "archive_server" is not in the map'* ]]
	[ ! -e fdwcopy-work/pre-data.done ]
	[ "$(public_tables fdwdst2)" = 0 ]
	psql_on dst fdwdst2 -Atc "SELECT count(*) FROM pg_foreign_server" >"$BATS_TEST_TMPDIR/n"
	[ "$(cat "$BATS_TEST_TMPDIR/n")" = 0 ]
}

@test "make without SOURCE or without the tools says what is missing; make clean removes only the work directory" {
	mkdir "$MK/unset"
	cd "$MK/unset"
	makefile . "TARGET = $(pgsb_conninfo dst pagila)"
	run env -u FDWCOPY_SOURCE make migrate
	[ "$status" -eq 2 ]
	[[ $output == *"fdwcopy.mk: error: SOURCE is not set"* ]]
	makefile . "SOURCE = $(pgsb_conninfo src pagila)" "TARGET = $(pgsb_conninfo dst pagila)"
	run env PATH=/usr/bin:/bin make migrate
	[ "$status" -eq 2 ]
	[[ $output == *"fdwcopy.mk: error: snapshot-hold is not in PATH"* ]]
	[ ! -e fdwcopy-work ]
	cd "$MK/pagila"
	make clean
	[ ! -e fdwcopy-work ]
	[ "$(public_tables pagila)" -gt 20 ]
}

@test "an invalid SOURCE: exit 2 with libpq's reason from conninfo-split, never the password, nothing done" {
	mkdir "$MK/badci"
	cd "$MK/badci"
	makefile . "SOURCE = postgresql://postgres:Bad%zzPw@/pagila" "TARGET = $(pgsb_conninfo dst pagila2)"
	run make migrate
	echo "$output"
	[ "$status" -eq 2 ]
	# shellcheck disable=SC2016 # the message names the variable: a literal $
	[[ $output == *'conninfo-split: error: invalid conninfo in $FDWCOPY_SOURCE: invalid percent-encoded token: "****"'* ]]
	[[ $output == *"fdwcopy.mk: error: SOURCE is not a valid conninfo string"* ]]
	[[ $output != *Bad* && $output != *zzPw* ]]
	[ ! -e fdwcopy-work ]
}
