#!/usr/bin/env bats
# Extension configuration tables (pg_extension_config_dump): pg_partman's
# part_config and the user rows of PostGIS's spatial_ref_sys are user data
# that pg_dump dumps. A clone copies exactly those rows (the extension's WHERE
# condition), keeps the rows CREATE EXTENSION made, reruns idempotently, and
# verify finds a lost or changed row. Needs postgresql-15-partman and
# postgresql-15-postgis-3 (make deps).

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox

setup_file() {
	pgsb_start src dst
	psql_on src -c "CREATE DATABASE ext"
	psql_on src ext <<'SQL'
CREATE SCHEMA partman;
CREATE EXTENSION pg_partman SCHEMA partman;
CREATE EXTENSION postgis;
CREATE TABLE events (id int NOT NULL, ts timestamptz NOT NULL, what text) PARTITION BY RANGE (ts);
SELECT partman.create_parent('public.events', 'ts', 'native', 'monthly', p_premake := 2,
                             p_start_partition := '2024-01-01');
UPDATE partman.part_config SET retention = '36 months', retention_keep_table = false;
INSERT INTO events SELECT g, timestamptz '2024-01-01' + g * interval '1 hour', 'e' || g
  FROM generate_series(1, 500) g;
-- A user row (srid outside the ranges PostGIS ships) and a changed row of
-- PostGIS's own (srid 4326, inside them: pg_dump does not dump it either).
INSERT INTO spatial_ref_sys (srid, auth_name, auth_srid, srtext, proj4text)
  VALUES (900914, 'test', 900914, 'LOCAL_CS["test grid"]', '+proj=longlat +datum=WGS84 +no_defs');
CREATE TABLE places (id int PRIMARY KEY, name text, geom geometry(Point, 900914));
INSERT INTO places VALUES (1, 'here', ST_SetSRID(ST_MakePoint(1, 2), 900914));
ANALYZE;
SQL
	S=$(pgsb_conninfo src ext)
	export S
}

teardown_file() { pgsb_stop; }

# srid and auth_name of the user rows (pg_dump's condition: outside PostGIS's ranges).
user_srids() { psql_on "$1" "$2" -Atc "SELECT srid, auth_name FROM spatial_ref_sys WHERE srid >= 900914 ORDER BY 1"; }
part_config() { psql_on "$1" "$2" -Atc "SELECT parent_table, control, partition_interval, premake, retention FROM partman.part_config ORDER BY 1"; }

@test "table-list: the configuration tables as extconfig items, after the tables" {
	table-list --source "$S" >"$BATS_TEST_TMPDIR/work.list"
	awk -F'\t' '$9 == "extconfig" { print $3 "." $4 }' "$BATS_TEST_TMPDIR/work.list" >"$BATS_TEST_TMPDIR/ext"
	printf '%s\n' partman.custom_time_partitions partman.part_config public.spatial_ref_sys \
		partman.part_config_sub >"$BATS_TEST_TMPDIR/want"
	diff -u "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/ext"
	# the referencing part_config_sub comes last; no extconfig item before a plain table
	[ "$(awk -F'\t' '$9 == "extconfig" { x = 1 } x && $9 != "extconfig" && $1 == "table"' "$BATS_TEST_TMPDIR/work.list")" = "" ]
	# filtered as pg_dump: -N partman leaves out partman's, -T spatial_ref_sys PostGIS's
	table-list --source "$S" -N partman -T spatial_ref_sys >"$BATS_TEST_TMPDIR/f.list"
	[ "$(awk -F'\t' '$9 == "extconfig"' "$BATS_TEST_TMPDIR/f.list" | wc -l)" -eq 0 ]
}

@test "clone: part_config and the user rows of spatial_ref_sys are copied, verify equal" {
	psql_on dst -c "CREATE DATABASE c1"
	run --separate-stderr fdwcopy clone --verify --source "$S" --target "$(pgsb_conninfo dst c1)"
	# shellcheck disable=SC2154 # stderr is set by run --separate-stderr
	echo "$output" "$stderr"
	[ "$status" -eq 0 ]
	[[ $output == *"verify: equal: "* ]]
	[ "$(part_config dst c1)" = "$(part_config src ext)" ]
	[ "$(part_config dst c1)" = "public.events|ts|1 mon|2|36 months" ]
	[ "$(user_srids dst c1)" = "$(user_srids src ext)" ]
	[ "$(user_srids dst c1)" = "900914|test" ]
	# PostGIS's own rows are those of CREATE EXTENSION, none twice
	[ "$(psql_on dst c1 -Atc 'SELECT count(*), count(DISTINCT srid) FROM spatial_ref_sys')" = \
	  "$(psql_on src ext -Atc 'SELECT count(*), count(DISTINCT srid) FROM spatial_ref_sys')" ]
	[ "$(psql_on dst c1 -Atc 'SELECT ST_SRID(geom) FROM places')" = 900914 ]
}

@test "copy-table: an extconfig item run again leaves the same rows (idempotent)" {
	psql_on dst -c "CREATE DATABASE c2"
	fdwcopy clone -q --source "$S" --target "$(pgsb_conninfo dst c2)" >/dev/null
	table-list --source "$S" | awk -F'\t' '$9 == "extconfig"' >"$BATS_TEST_TMPDIR/ext.list"
	copy-table --source "$S" --target "$(pgsb_conninfo dst c2)" <"$BATS_TEST_TMPDIR/ext.list" >"$BATS_TEST_TMPDIR/r1"
	copy-table --source "$S" --target "$(pgsb_conninfo dst c2)" <"$BATS_TEST_TMPDIR/ext.list" >"$BATS_TEST_TMPDIR/r2"
	[ "$(awk -F'\t' '$4 == "spatial_ref_sys" { print $13 }' "$BATS_TEST_TMPDIR/r2")" = 1 ]
	[ "$(user_srids dst c2)" = "900914|test" ]
	[ "$(part_config dst c2)" = "$(part_config src ext)" ]
	[ "$(psql_on dst c2 -Atc 'SELECT count(*) FROM spatial_ref_sys')" = \
	  "$(psql_on src ext -Atc 'SELECT count(*) FROM spatial_ref_sys')" ]
	run --separate-stderr fdwcopy verify -q --source "$S" --target "$(pgsb_conninfo dst c2)"
	[ "$status" -eq 0 ]
}

@test "verify: a lost user row of spatial_ref_sys and a changed part_config row are differences" {
	psql_on dst -c "CREATE DATABASE c3"
	fdwcopy clone -q --source "$S" --target "$(pgsb_conninfo dst c3)" >/dev/null
	psql_on dst c3 -c "DELETE FROM spatial_ref_sys WHERE srid = 900914" \
		-c "UPDATE partman.part_config SET premake = 7"
	run --separate-stderr fdwcopy verify --source "$S" --target "$(pgsb_conninfo dst c3)"
	[ "$status" -eq 1 ]
	[[ $stderr == *"source and target differ (2 data mismatches, 0 schema lines)"* ]]
	grep -q '^table  *public\.spatial_ref_sys  *1 rows, checksum [0-9a-f]*  *0 rows, checksum [0-9a-f]*$' <<<"$output"
	grep -q '^table  *partman\.part_config  *1 rows, checksum [0-9a-f]*  *1 rows, checksum [0-9a-f]*$' <<<"$output"
}

@test "verify: PostGIS's own rows (outside the condition) are not compared, as pg_dump does not dump them" {
	psql_on dst -c "CREATE DATABASE c4"
	fdwcopy clone -q --source "$S" --target "$(pgsb_conninfo dst c4)" >/dev/null
	psql_on dst c4 -c "UPDATE spatial_ref_sys SET auth_name = 'X' WHERE srid = 4326"
	run --separate-stderr fdwcopy verify -q --source "$S" --target "$(pgsb_conninfo dst c4)"
	[ "$status" -eq 0 ]
}

@test "dump and restore: the configuration rows come back (pg_dump's data), verify equal" {
	fdwcopy dump -q --source "$S" --dir "$BATS_TEST_TMPDIR/backup" >/dev/null
	psql_on dst -c "CREATE DATABASE r1"
	fdwcopy restore -q --dir "$BATS_TEST_TMPDIR/backup" --target "$(pgsb_conninfo dst r1)" >/dev/null
	[ "$(user_srids dst r1)" = "900914|test" ]
	run --separate-stderr fdwcopy verify -q --source "$S" --target "$(pgsb_conninfo dst r1)"
	echo "$output" "$stderr"
	[ "$status" -eq 0 ]
}

@test "table-checksum: extconfig items compare the rows matching the source's condition" {
	psql_on dst -c "CREATE DATABASE c5"
	fdwcopy clone -q --source "$S" --target "$(pgsb_conninfo dst c5)" >/dev/null
	table-list --source "$S" | awk -F'\t' '$9 == "extconfig"' >"$BATS_TEST_TMPDIR/ext.list"
	table-checksum --source "$S" --target "$(pgsb_conninfo dst c5)" <"$BATS_TEST_TMPDIR/ext.list" >"$BATS_TEST_TMPDIR/equal"
	[ "$(awk -F'\t' '$10 != "equal"' "$BATS_TEST_TMPDIR/equal")" = "" ]
	[ "$(awk -F'\t' '$3 == "spatial_ref_sys" { print $6 "|" $8 }' "$BATS_TEST_TMPDIR/equal")" = "1|1" ]
	psql_on dst c5 -c "DELETE FROM spatial_ref_sys WHERE srid = 900914"
	table-checksum --source "$S" --target "$(pgsb_conninfo dst c5)" <"$BATS_TEST_TMPDIR/ext.list" >"$BATS_TEST_TMPDIR/differ"
	[ "$(awk -F'\t' '$10 != "equal" { print $2 "." $3 "|" $6 "|" $8 "|" $10 }' "$BATS_TEST_TMPDIR/differ")" = \
	  "public.spatial_ref_sys|1|0|differ" ]
}
