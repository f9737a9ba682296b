#!/usr/bin/env bats
# shellcheck disable=SC2154 # stderr is set by run --separate-stderr
# fdwcopy archive on the FDW fixture (measurements: local partitions and a
# foreign one on the archive) and on "events", 24 monthly partitions: status,
# move verified and swapped, a copy made to differ stopping before the swap,
# kill -9 after each step then a rerun, a parent with a unique index refused,
# an archive table holding other rows refused, partitioned indexes valid,
# restore, next, decommission; no password in any output.

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox
load ../lib/fdwlayout

setup_file() {
	pgsb_start src arch
	make_archive arch archive_db "source archive"
	make_fdw_source src fdwsrc arch archive_db
	psql_on src fdwsrc <<'SQL'
CREATE INDEX measurements_value_idx ON measurements (value);
CREATE TABLE events (id bigint NOT NULL, at timestamptz NOT NULL, kind text, payload jsonb)
  PARTITION BY RANGE (at);
DO $$
DECLARE m date;
BEGIN
  FOR i IN 0..23 LOOP
    m := date '2023-01-01' + i * interval '1 month';
    EXECUTE format('CREATE TABLE events_%s PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
                   to_char(m, 'YYYY_MM'), m, m + interval '1 month');
    EXECUTE format('ALTER TABLE events_%s ADD PRIMARY KEY (id, at)', to_char(m, 'YYYY_MM'));
  END LOOP;
END $$;
CREATE INDEX events_kind_idx ON events (kind);
INSERT INTO events SELECT g, timestamptz '2023-01-01' + g * interval '17 minutes',
  'k' || g % 5, jsonb_build_object('g', g) FROM generate_series(1, 61000) g;
CREATE TABLE uniq (id int, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE uniq_2023 PARTITION OF uniq FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
INSERT INTO uniq VALUES (1, '2023-05-01');
ANALYZE;
SQL
	# The archive database asks its role for a password (SCRAM): it must
	# reach no output and no argv.
	psql_on arch -c "CREATE ROLE archiver LOGIN SUPERUSER PASSWORD 'arch-conn-pw'"
	sed -i '1i local all archiver scram-sha-256' "$PGSB_DIR/arch/pg_hba.conf"
	psql_on arch -c "SELECT pg_reload_conf()" >/dev/null
	export S A
	S=$(pgsb_conninfo src fdwsrc)
	A="host=$PGSB_DIR port=$(pgsb_port arch) user=archiver dbname=archive_db password=arch-conn-pw"
}

teardown_file() { pgsb_stop; }

archive() { fdwcopy archive "$@" --source "$S"; }

# sums TABLE WHERE: count and checksum of the rows the main database returns.
sums() {
	psql_on src fdwsrc -At -c "SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM $1 t WHERE $2"
}

relkind() { psql_on src fdwsrc -At -c "SELECT relkind FROM pg_class WHERE oid = to_regclass('$1')"; }

@test "archive status: every partition, local or foreign, its server answering; tsv for scripts" {
	run --separate-stderr archive status --format tsv --count measurements
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | cut -f2,3,5,6,7,9 >"$BATS_TEST_TMPDIR/out"
	printf '%s\n' "public.measurements_2024	local	-	-	-	-" \
		"public.measurements_2025	local	-	-	-	-" \
		"public.measurements_old	foreign	archive_server	public.measurements_archive	50	yes" |
		sort >"$BATS_TEST_TMPDIR/expected"
	sort "$BATS_TEST_TMPDIR/out" | sed 's/^\(public.measurements_202[45]\tlocal\t-\t-\t\)[0-9]*/\1-/' >"$BATS_TEST_TMPDIR/sorted"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/sorted"
	run --separate-stderr archive status --older-than '1 year' events
	[ "$status" -eq 0 ]
	[[ $output == *"parent"*"partition"*"events_2023_01"* ]]
	[ "$(grep -c 'still local, older than 1 year' <<<"$output")" -eq 24 ]
}

@test "archive move --dry-run prints the plan and changes nothing" {
	schema_of src fdwsrc >"$BATS_TEST_TMPDIR/before"
	run --separate-stderr archive move measurements_2024 --server archive_server --archive "$A" --dry-run
	[ "$status" -eq 0 ]
	[[ $output == *"4. in one transaction: detach public.measurements_2024"* ]]
	[[ $output == *"dry run: nothing changed"* ]]
	schema_of src fdwsrc >"$BATS_TEST_TMPDIR/after"
	diff -u "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	[ -z "$(psql_on arch archive_db -Atc "SELECT to_regclass('public.measurements_2024')")" ]
}

@test "archive move: a parent with a unique index is refused with the reason, nothing changed" {
	run --separate-stderr archive move uniq_2023 --server archive_server --archive "$A"
	[ "$status" -eq 1 ]
	[[ $stderr == *"public.uniq has a unique index (uniq_pkey): it cannot have a foreign partition"* ]]
	[[ $stderr == *"hint: replace it by a unique index (or primary key) on each local partition"* ]]
	[ "$(relkind uniq_2023)" = r ]
	[ -z "$(psql_on arch archive_db -Atc "SELECT to_regclass('public.uniq_2023')")" ]
}

@test "archive move: copied, verified, swapped, checked through the parent; indexes valid; audit log" {
	before=$(sums measurements "ts >= '2024-01-01' AND ts < '2025-01-01'")
	all=$(sums measurements true)
	run --separate-stderr archive move measurements_2024 --server archive_server --archive "$A" --remote-table cold.m2024
	echo "$output $stderr"
	[ "$status" -eq 0 ]
	[[ $output == *"locked public.measurements_2024 against writes"* ]]
	[[ $output == *"checked through public.measurements: 8783 rows"* ]]
	[[ "$output $stderr" != *arch-conn-pw* ]]
	[ "$(relkind measurements_2024)" = f ]
	[ "$(relkind measurements_2024_local)" = r ]
	[ "$(sums measurements "ts >= '2024-01-01' AND ts < '2025-01-01'")" = "$before" ]
	[ "$(sums measurements true)" = "$all" ]
	[ "$(psql_on arch archive_db -Atc "SELECT count(*) FROM cold.m2024")" = 8783 ]
	# the partition's primary key? none; its index on ts is on the archive table
	psql_on arch archive_db -Atc "SELECT count(*) FROM pg_index WHERE indrelid = 'cold.m2024'::regclass" >"$BATS_TEST_TMPDIR/n"
	[ "$(cat "$BATS_TEST_TMPDIR/n")" -ge 2 ]
	psql_on src fdwsrc -Atc "SELECT indexrelid::regclass, indisvalid FROM pg_index WHERE indrelid = 'measurements'::regclass
	  ORDER BY indexrelid::regclass::text" >"$BATS_TEST_TMPDIR/idx"
	printf '%s\n' 'measurements_ts_idx|t' 'measurements_value_idx|t' >"$BATS_TEST_TMPDIR/expected"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/idx"
	psql_on src fdwsrc -Atc "SELECT srvname, ftoptions FROM pg_foreign_table JOIN pg_foreign_server s ON s.oid = ftserver
	  WHERE ftrelid = 'measurements_2024'::regclass" >"$BATS_TEST_TMPDIR/ft"
	[ "$(cat "$BATS_TEST_TMPDIR/ft")" = "archive_server|{schema_name=cold,table_name=m2024}" ]
	psql_on src fdwsrc -Atc "SELECT step || ':' || outcome || ':' || coalesce(rows::text, '') FROM fdwcopy.archive_log
	  WHERE partition = 'public.measurements_2024' ORDER BY id" >"$BATS_TEST_TMPDIR/log"
	printf '%s\n' create:done: copy:done:8783 verify:done:8783 swap:done:8783 check:done:8783 >"$BATS_TEST_TMPDIR/expected"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/log"
	# a rerun finds the move done, checks again and drops the local table
	run --separate-stderr archive move measurements_2024 --server archive_server --archive "$A" --remote-table cold.m2024 --drop-local
	[ "$status" -eq 0 ]
	[[ $output == *"swapped by an earlier run"* ]]
	[ -z "$(relkind measurements_2024_local)" ]
}

@test "archive move: a copy made to differ on the archive stops before the swap, main unchanged; a rerun completes" {
	before=$(sums events "true")
	schema_of src fdwsrc | grep -v fdwcopy >"$BATS_TEST_TMPDIR/before"
	hook="[ \"\$1\" != copied ] || psql -X -q -d '$(pgsb_conninfo arch archive_db)' -c \"UPDATE public.events_2023_03 SET kind = 'changed' WHERE id = (SELECT min(id) FROM public.events_2023_03)\""
	run --separate-stderr env FDWCOPY_ARCHIVE_HOOK="$hook" fdwcopy archive move events_2023_03 --server archive_server --archive "$A" --source "$S"
	[ "$status" -eq 1 ]
	[[ $stderr == *"the archive table differs from public.events_2023_03 (differ)"* ]]
	[[ $stderr == *"nothing was changed on the main database"* ]]
	[ "$(relkind events_2023_03)" = r ]
	schema_of src fdwsrc | grep -v fdwcopy >"$BATS_TEST_TMPDIR/after"
	diff -u "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	[ "$(psql_on src fdwsrc -Atc "SELECT outcome FROM fdwcopy.archive_log WHERE partition = 'public.events_2023_03' AND step = 'verify'")" = failed ]
	run --separate-stderr archive move events_2023_03 --server archive_server --archive "$A"
	[ "$status" -eq 0 ]
	[ "$(relkind events_2023_03)" = f ]
	[ "$(sums events true)" = "$before" ]
}

@test "archive move: kill -9 after each step, then a rerun completes with the rows equal" {
	before=$(sums events true)
	m=4
	for step in created locked copied verified swapped; do
		p=$(printf 'events_2023_%02d' $m)
		run env FDWCOPY_ARCHIVE_HOOK="[ \"\$1\" != $step ] || kill -9 \$PPID" \
			fdwcopy archive move "$p" --server archive_server --archive "$A" --source "$S"
		[ "$status" -eq 137 ] || { echo "$step: $status $output"; false; }
		# the lock is gone with the killed run: writes are not blocked
		[ "$(relkind "$p")" = f ] ||
			psql_on src fdwsrc -c "SET lock_timeout = '5s'; BEGIN; LOCK TABLE $p IN ROW EXCLUSIVE MODE; ROLLBACK"
		run --separate-stderr archive move "$p" --server archive_server --archive "$A"
		[ "$status" -eq 0 ] || { echo "rerun after $step: $stderr"; false; }
		[ "$(relkind "$p")" = f ]
		m=$((m + 1))
	done
	[ "$(sums events true)" = "$before" ]
	[ -z "$(pgrep -f "archive move" || true)" ]
}

@test "archive move: an archive table holding rows no move wrote is refused" {
	psql_on arch archive_db -c "CREATE TABLE public.events_2023_10 (id bigint, at timestamptz, kind text, payload jsonb)" \
		-c "INSERT INTO public.events_2023_10 VALUES (1, now(), 'theirs', null)"
	run --separate-stderr archive move events_2023_10 --server archive_server --archive "$A"
	[ "$status" -eq 1 ]
	[[ $stderr == *"archive table public.events_2023_10 exists and holds 1 rows that no move of public.events_2023_10 wrote"* ]]
	[ "$(psql_on arch archive_db -Atc "SELECT kind FROM public.events_2023_10")" = theirs ]
	[ "$(relkind events_2023_10)" = r ]
}

@test "archive restore brings the rows back equal into a local partition; a rerun has nothing to do" {
	before=$(sums measurements "ts >= '2024-01-01' AND ts < '2025-01-01'")
	[ "$(relkind measurements_2024)" = f ]
	run --separate-stderr archive restore measurements_2024 --archive "$A"
	echo "$output $stderr"
	[ "$status" -eq 0 ]
	[[ $output == *"checked through public.measurements: 8783 rows"* ]]
	[ "$(relkind measurements_2024)" = r ]
	[ -z "$(relkind measurements_2024_restore)" ]
	[ "$(sums measurements "ts >= '2024-01-01' AND ts < '2025-01-01'")" = "$before" ]
	[ "$(psql_on src fdwsrc -Atc "SELECT count(*) FROM ONLY measurements_2024")" = 8783 ]
	psql_on src fdwsrc -Atc "SELECT i.indexrelid::regclass, i.indisvalid, (SELECT count(*) FROM pg_inherits h WHERE h.inhparent = i.indexrelid)
	  FROM pg_index i WHERE indrelid = 'measurements'::regclass ORDER BY 1::text" >"$BATS_TEST_TMPDIR/idx"
	printf '%s\n' 'measurements_ts_idx|t|2' 'measurements_value_idx|t|2' >"$BATS_TEST_TMPDIR/expected"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/idx"
	run --separate-stderr archive restore measurements_2024 --archive "$A"
	[ "$status" -eq 0 ]
	[[ $output == *"restored by an earlier run: nothing to do"* ]]
}

@test "archive next: the next partitions of the newest one's width, named like it, with its own keys" {
	run --separate-stderr archive next events --count 2 --dry-run
	[ "$status" -eq 0 ]
	[[ $output == *"CREATE TABLE \"public\".\"events_2025_01\" PARTITION OF public.events FOR VALUES FROM ('2025-01-01 00:00:00+00') TO ('2025-02-01 00:00:00+00');"* ]]
	[ -z "$(relkind events_2025_01)" ]
	run --separate-stderr archive next events --count 2
	[ "$status" -eq 0 ]
	psql_on src fdwsrc -Atc "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), (SELECT string_agg(contype::text, '') FROM pg_constraint WHERE conrelid = c.oid)
	  FROM pg_class c WHERE relname IN ('events_2025_01', 'events_2025_02') ORDER BY 1" >"$BATS_TEST_TMPDIR/out"
	printf '%s\n' "events_2025_01|FOR VALUES FROM ('2025-01-01 00:00:00+00') TO ('2025-02-01 00:00:00+00')|p" \
		"events_2025_02|FOR VALUES FROM ('2025-02-01 00:00:00+00') TO ('2025-03-01 00:00:00+00')|p" >"$BATS_TEST_TMPDIR/expected"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/out"
	psql_on src fdwsrc -c "INSERT INTO events VALUES (999999, '2025-02-10', 'new', NULL)"
	run --separate-stderr archive next measurements
	[ "$status" -eq 0 ]
	[ "$(relkind measurements_2026)" = r ]
}

@test "archive decommission: refused when the backup does not verify; then backed up, read back, dropped" {
	p=events_2023_08
	[ "$(relkind $p)" = f ]
	hook="[ \"\$1\" != backed-up ] || echo x >>'$BATS_TEST_TMPDIR/bk1/pre-data.sql'"
	run --separate-stderr env FDWCOPY_ARCHIVE_HOOK="$hook" fdwcopy archive decommission $p --archive "$A" \
		--backup-dir "$BATS_TEST_TMPDIR/bk1" --drop-remote --source "$S"
	echo "$output $stderr"
	[ "$status" -eq 1 ]
	[[ $stderr == *"the backup in $BATS_TEST_TMPDIR/bk1 does not verify: nothing dropped"* ]]
	[ "$(relkind $p)" = f ]
	n=$(psql_on arch archive_db -Atc "SELECT count(*) FROM public.$p")
	[ "$n" -gt 0 ]
	run --separate-stderr archive decommission $p --archive "$A" --backup-dir "$BATS_TEST_TMPDIR/bk2" --drop-remote
	[ "$status" -eq 0 ]
	[[ $output == *"backup read back: MANIFEST checksums match, $n rows"* ]]
	[[ "$output $stderr" != *arch-conn-pw* ]]
	[ -z "$(relkind $p)" ]
	[ -z "$(psql_on arch archive_db -Atc "SELECT to_regclass('public.$p')")" ]
	# the backup restores the archive table
	psql_on arch -c "CREATE DATABASE restored"
	fdwcopy restore --dir "$BATS_TEST_TMPDIR/bk2" --target "$(pgsb_conninfo arch restored)" -q
	[ "$(psql_on arch restored -Atc "SELECT count(*) FROM public.$p")" = "$n" ]
	run --separate-stderr archive decommission $p --archive "$A" --backup-dir "$BATS_TEST_TMPDIR/bk2"
	[ "$status" -eq 0 ]
	[[ $output == *"decommissioned by an earlier run"* ]]
}

@test "24 monthly partitions: every 2023 partition still local moved, status of both tiers, rows equal" {
	before=$(sums events "at < '2024-01-01'")
	all=$(sums events true)
	run --separate-stderr archive status --format tsv --older-than '1 year' events
	[ "$status" -eq 0 ]
	awk -F'\t' '$3 == "local" && $4 ~ /^FROM \(.2023-/' <<<"$output" | cut -f2 | grep -v events_2023_10 >"$BATS_TEST_TMPDIR/todo"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/todo")" -eq 5 ]
	while read -r p; do
		run --separate-stderr archive move "$p" --server archive_server --archive "$A" --drop-local -q
		[ "$status" -eq 0 ] || { echo "$p: $stderr"; false; }
	done <"$BATS_TEST_TMPDIR/todo"
	run --separate-stderr archive status --format tsv --count events
	[ "$status" -eq 0 ]
	[ "$(awk -F'\t' '$3 == "foreign" && $9 == "yes"' <<<"$output" | wc -l)" -eq 10 ]
	[ "$(awk -F'\t' '$3 == "local"' <<<"$output" | wc -l)" -eq 15 ]
	[ "$(sums events "at < '2024-01-01'")" = "$before" ]
	[ "$(sums events true)" = "$all" ]
	psql_on src fdwsrc -Atc "SELECT indisvalid FROM pg_index WHERE indexrelid = 'events_kind_idx'::regclass" >"$BATS_TEST_TMPDIR/valid"
	[ "$(cat "$BATS_TEST_TMPDIR/valid")" = t ]
}

@test "archive next: a table pg_partman manages is left to pg_partman, said so, nothing created" {
	psql_on src fdwsrc -c "CREATE SCHEMA partman" -c "CREATE EXTENSION pg_partman SCHEMA partman" \
		-c "CREATE TABLE pm (id int, at timestamptz NOT NULL) PARTITION BY RANGE (at)" \
		-c "SELECT partman.create_parent('public.pm', 'at', 'native', 'monthly')" >/dev/null
	n=$(psql_on src fdwsrc -Atc "SELECT count(*) FROM pg_inherits WHERE inhparent = 'pm'::regclass")
	run --separate-stderr archive next pm --count 3
	[ "$status" -eq 0 ]
	[[ $output == *"public.pm is managed by pg_partman"* ]]
	[[ $stderr == *"hint: run SELECT partman.run_maintenance('public.pm')"* ]]
	[ "$(psql_on src fdwsrc -Atc "SELECT count(*) FROM pg_inherits WHERE inhparent = 'pm'::regclass")" = "$n" ]
}
