#!/usr/bin/env bats
# README "Composition by hand": the clone pipeline as a plain bash script with
# xargs -P, and with GNU parallel running the copy-table items.

load ../lib/pgsandbox

setup_file() {
	pgsb_start src dst
	load_pagila src pagila
	for db in viaxargs viaparallel; do psql_on dst -c "CREATE DATABASE $db"; done
}

teardown_file() { pgsb_stop; }

# sums CLUSTER DB: name, row count and md5 of the rows of every ordinary table
# and leaf partition.
sums() {
	psql_on "$1" "$2" -At <<'SQL'
SELECT format('SELECT %L, count(*), md5(coalesce(string_agg(t::text, %L ORDER BY t::text), %L)) FROM %I.%I t',
              n.nspname || '.' || c.relname, E'\n', '', n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
 ORDER BY 1 \gexec
SQL
}

same_as_source() {
	sums src pagila >"$BATS_TEST_TMPDIR/src.sums"
	sums dst "$1" >"$BATS_TEST_TMPDIR/dst.sums"
	diff -u "$BATS_TEST_TMPDIR/src.sums" "$BATS_TEST_TMPDIR/dst.sums"
	schema_of src pagila >"$BATS_TEST_TMPDIR/src.schema"
	schema_of dst "$1" >"$BATS_TEST_TMPDIR/dst.schema"
	diff -u "$BATS_TEST_TMPDIR/src.schema" "$BATS_TEST_TMPDIR/dst.schema"
}

# clone_script DB RUNNER: the README's script, with RUNNER (xargs or parallel)
# for the copy step and conninfo strings in place of the service names.
clone_script() {
	local src dst copy
	src=$(pgsb_conninfo src pagila)
	dst=$(pgsb_conninfo dst "$1")
	# shellcheck disable=SC2016 # $SNAP is the printed script's (the README's commands)
	if [ "$2" = xargs ]; then
		copy='xargs -d '\''\n'\'' -P 4 -n 1 copy-table --snapshot "$SNAP" < items.tsv |
  tee results.tsv | index-build --snapshot "$SNAP" --jobs 2 > done.tsv'
	else
		copy='touch results.tsv
{ cat results.tsv
  parallel -j 4 --halt soon,fail=1 --joblog copy.joblog --resume-failed \
      copy-table --snapshot "$SNAP" :::: items.tsv | tee -a results.tsv
} | index-build --snapshot "$SNAP" --jobs 2 > done.tsv'
	fi
	cat <<SCRIPT
set -euo pipefail
export FDWCOPY_SOURCE='$src' FDWCOPY_TARGET='$dst'
umask 077

coproc HOLD { snapshot-hold; }
read -r SNAP <&"\${HOLD[0]}"

pg_dump -Fc --schema-only --snapshot="\$SNAP" -f schema.dump -d "\$FDWCOPY_SOURCE"
pg_restore -f - --section=pre-data schema.dump | schema-split --section=pre-data |
  fdw-rewrite --map empty.map | psql -X -q -v ON_ERROR_STOP=1 -1 -f - -d "\$FDWCOPY_TARGET" >/dev/null

table-list --snapshot "\$SNAP" > items.tsv
$copy

hold=\${HOLD[1]}; exec {hold}>&-
pg_restore -l schema.dump | postlist-filter --section=post-data --done done.tsv > post.list
pg_restore -L post.list -j 4 -d "\$FDWCOPY_TARGET" schema.dump
fdwcopy verify --jobs 2
SCRIPT
}

@test "README composition: the clone as a bash script with xargs -P" {
	mkdir "$BATS_TEST_TMPDIR/w" && cd "$BATS_TEST_TMPDIR/w"
	(umask 077 && touch empty.map)
	clone_script viaxargs xargs >clone.sh
	run bash clone.sh
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(wc -l <results.tsv)" -eq "$(wc -l <items.tsv)" ]
	same_as_source viaxargs
}

@test "README composition: GNU parallel runs the copy-table items" {
	command -v parallel >/dev/null || skip "GNU parallel is not installed (Debian package parallel)"
	mkdir "$BATS_TEST_TMPDIR/w" && cd "$BATS_TEST_TMPDIR/w"
	(umask 077 && touch empty.map)
	clone_script viaparallel parallel >clone.sh
	run bash clone.sh
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(wc -l <results.tsv)" -eq "$(wc -l <items.tsv)" ]
	same_as_source viaparallel
}
