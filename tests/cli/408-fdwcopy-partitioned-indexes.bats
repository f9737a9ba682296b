#!/usr/bin/env bats
# Partitioned indexes over foreign partitions: valid on the source (CREATE
# INDEX without ONLY skips a foreign partition), left invalid by pg_restore
# (ON ONLY + ATTACH, and a foreign partition has nothing to attach). verify
# names them; clone, dump + restore and "fdwcopy partitioned-indexes" leave
# them valid, two levels deep, with their names and comments.

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox
load ../lib/fdwlayout

setup_file() {
	pgsb_start src arch dst
	make_archive arch archive_db "source archive"
	psql_on arch archive_db -c "CREATE TABLE events_b (id int, ts date, kind text)"
	make_fdw_source src fdwsrc arch archive_db
	# Two levels: events -> events_2025 (partitioned, with a foreign
	# partition) -> leaves; a quoted index name; a comment on a mid level.
	psql_on src fdwsrc <<'SQL'
CREATE TABLE events (id int NOT NULL, ts date NOT NULL, kind text) PARTITION BY RANGE (ts);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')
  PARTITION BY LIST (kind);
CREATE TABLE events_2025_a PARTITION OF events_2025 FOR VALUES IN ('a');
CREATE FOREIGN TABLE events_2025_b PARTITION OF events_2025 FOR VALUES IN ('b')
  SERVER archive_server OPTIONS (table_name 'events_b');
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO events SELECT g, date '2025-01-01' + g, 'a' FROM generate_series(1, 500) g;
CREATE INDEX events_ts_idx ON events (ts);
CREATE INDEX "Events kind" ON events (kind, id);
COMMENT ON INDEX events_2025_ts_idx IS 'the mid level';
SQL
	psql_on dst -c "CREATE ROLE alice"
	S=$(pgsb_conninfo src fdwsrc)
	export S
	[ -z "$(invalid_indexes src fdwsrc)" ]
}

teardown_file() { pgsb_stop; }

setup() { T=$BATS_TEST_TMPDIR; F=$BATS_FILE_TMPDIR; }

# plain_restore DB: what every peer does, pg_dump | pg_restore.
plain_restore() {
	psql_on dst -c "CREATE DATABASE $1"
	pg_dump -Fc -d "$S" -f "$T/plain.dump"
	pg_restore -d "$(pgsb_conninfo dst "$1")" "$T/plain.dump"
}

@test "pg_restore leaves them invalid; verify names each one and exits 1" {
	plain_restore plain
	invalid_indexes dst plain >"$T/invalid"
	printf '%s\n' '"Events kind"' events_2025_kind_id_idx events_2025_ts_idx events_ts_idx measurements_ts_idx >"$T/expected"
	diff -u "$T/expected" "$T/invalid"
	run --separate-stderr fdwcopy verify --fdw-map keep --source "$S" --target "$(pgsb_conninfo dst plain)"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 1 ]
	[[ $stderr == *"verify: source and target differ (0 data mismatches, 5 indexes valid on one side only, 0 schema lines)"* ]]
	grep -q '^index  *public."Events kind"  *valid  *invalid$' <<<"$output"
	grep -q '^index  *public.measurements_ts_idx  *valid  *invalid$' <<<"$output"
	grep -q '^index  *public.events_2025_ts_idx  *valid  *invalid$' <<<"$output"
}

@test "partitioned-indexes create repairs such a target: valid, names and comments kept, verify equal" {
	plain_restore repair
	fdwcopy partitioned-indexes plan "$T/plan" --source "$S"
	grep -q '^1	I	public	events_2025_ts_idx	public	events_ts_idx	public	events_2025		CREATE INDEX events_2025_ts_idx ON ONLY public.events_2025 USING btree (ts)$' "$T/plan"
	grep -q '^0	I	public	Events kind			public	events		' "$T/plan"
	run --separate-stderr fdwcopy partitioned-indexes create "$T/plan" --target "$(pgsb_conninfo dst repair)"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "post-data: 5 partitioned indexes over foreign partitions made valid (CREATE INDEX without ONLY, as on the source)" ]
	# their indexes were attached: dropped with them, built again
	[[ $stderr == *"fdwcopy: warning: 6 indexes of partitions were built again"* ]]
	[ -z "$(invalid_indexes dst repair)" ]
	[ "$(psql_on dst repair -Atc "SELECT obj_description('events_2025_ts_idx'::regclass, 'pg_class')")" = "the mid level" ]
	[ "$(psql_on dst repair -Atc "SELECT obj_description('measurements_ts_idx'::regclass, 'pg_class')")" = "hot and archived rows by time" ]
	run --separate-stderr fdwcopy verify --fdw-map keep --source "$S" --target "$(pgsb_conninfo dst repair)"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 0 ]
	[[ $output == *"(with the validity of "*" indexes)"* ]]
	# run again: nothing to do
	run --separate-stderr fdwcopy partitioned-indexes create "$T/plan" --target "$(pgsb_conninfo dst repair)"
	[ "$status" -eq 0 ]
	[ -z "$output$stderr" ]
}

@test "clone: valid, the partitions' indexes attached, not built again; verify equal" {
	psql_on dst -c "CREATE DATABASE cloned"
	run --separate-stderr fdwcopy clone --verify --jobs 2 --fdw-map keep --source "$S" --target "$(pgsb_conninfo dst cloned)"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 0 ]
	[[ $output == *"post-data: 5 partitioned indexes over foreign partitions made valid"* ]]
	# (without the attachments left out of pg_restore's list, the indexes
	# of the partitions would be dropped with their invalid parents and
	# built again)
	[[ $stderr != *"built again"* ]]
	[[ $output == *"verify: equal: "* ]]
	[ -z "$(invalid_indexes dst cloned)" ]
}

@test "dump + restore: valid after the restore; the backup records the plan" {
	fdwcopy dump -q --source "$S" --dir "$F/backup"
	grep -q '	partitioned-indexes.tsv$' "$F/backup/MANIFEST"
	psql_on dst -c "CREATE DATABASE restored"
	run --separate-stderr fdwcopy restore --jobs 2 --fdw-map keep --dir "$F/backup" --target "$(pgsb_conninfo dst restored)"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 0 ]
	[[ $output == *"post-data: 5 partitioned indexes over foreign partitions made valid"* ]]
	[[ $stderr != *"built again"* ]]
	[ -z "$(invalid_indexes dst restored)" ]
	run --separate-stderr fdwcopy verify --fdw-map keep --source "$S" --target "$(pgsb_conninfo dst restored)"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 0 ]
}

@test "partitioned-indexes edit-list comments only the attachments below the plan's indexes" {
	fdwcopy partitioned-indexes plan "$T/plan" --source "$S"
	pg_dump -Fc --schema-only -d "$S" -f "$T/s.dump"
	pg_restore -l "$T/s.dump" >"$T/list"
	fdwcopy partitioned-indexes edit-list "$T/plan" <"$T/list" >"$T/edited"
	diff "$T/list" "$T/edited" | grep '^>' | sed 's/^> ;[0-9]*; 0 0 //' | sort >"$T/commented"
	printf '%s\n' 'INDEX ATTACH public events_2025_a_kind_id_idx postgres' 'INDEX ATTACH public events_2025_a_ts_idx postgres' \
		'INDEX ATTACH public events_2025_kind_id_idx postgres' 'INDEX ATTACH public events_2025_ts_idx postgres' \
		'INDEX ATTACH public events_2026_kind_id_idx postgres' 'INDEX ATTACH public events_2026_ts_idx postgres' \
		'INDEX ATTACH public measurements_2024_ts_idx postgres' 'INDEX ATTACH public measurements_2025_ts_idx postgres' >"$T/expected"
	diff -u "$T/expected" "$T/commented"
	[ "$(grep -c '^[0-9]' "$T/edited")" -eq "$(($(grep -c '^[0-9]' "$T/list") - 8))" ]
}

@test "partitioned-indexes plan: only the selected tables' indexes, so create leaves other tables alone" {
	fdwcopy partitioned-indexes plan "$T/plan" --source "$S" --exclude-table 'events*'
	cut -f4 "$T/plan" >"$T/names"
	printf '%s\n' measurements_ts_idx measurements_2024_ts_idx measurements_2025_ts_idx >"$T/expected"
	diff -u "$T/expected" "$T/names"
	# a target whose events indexes are invalid (not the copy's): untouched
	plain_restore other
	fdwcopy partitioned-indexes create "$T/plan" --target "$(pgsb_conninfo dst other)" 2>"$T/err"
	invalid_indexes dst other >"$T/invalid"
	printf '%s\n' '"Events kind"' events_2025_kind_id_idx events_2025_ts_idx events_ts_idx >"$T/expected"
	diff -u "$T/expected" "$T/invalid"
}

@test "partitioned-indexes: usage errors exit 2" {
	run -2 fdwcopy partitioned-indexes
	[[ $output == *'no action given'* ]]
	run -2 fdwcopy partitioned-indexes frobnicate x
	[[ $output == *'unknown action "frobnicate"'* ]]
	run -2 fdwcopy partitioned-indexes create
	[[ $output == *'no plan file given'* ]]
	run -2 fdwcopy partitioned-indexes create p --snapshot 1-2-3 --target "$S"
	[[ $output == *'--snapshot is for plan only'* ]]
	run -1 fdwcopy partitioned-indexes edit-list "$T/none" </dev/null
	[[ $output == *'could not read plan file'* ]]
}
