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
-- measurements_2024's own DDL, privileges and objects of the main database
-- its archive table cannot have (pg_dump of the partition)
CREATE ROLE analyst;
CREATE SEQUENCE m_ids;
CREATE TABLE sensors AS SELECT DISTINCT id FROM measurements_2024;
ALTER TABLE sensors ADD PRIMARY KEY (id);
ALTER TABLE measurements_2024 ADD CONSTRAINT m24_sensor_fk FOREIGN KEY (id) REFERENCES sensors,
  ADD CONSTRAINT m24_note_check CHECK (note <> 'never'),
  ALTER COLUMN note SET DEFAULT 'n/a', ALTER COLUMN id SET DEFAULT nextval('m_ids');
CREATE FUNCTION m_touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER m24_touch BEFORE UPDATE ON measurements_2024 FOR EACH ROW EXECUTE FUNCTION m_touch();
COMMENT ON TABLE measurements_2024 IS 'the hot 2024 rows';
COMMENT ON COLUMN measurements_2024.note IS 'free text';
GRANT SELECT ON measurements_2024 TO analyst;
GRANT UPDATE (note) ON measurements_2024 TO analyst;
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

# acl TABLE: its owner, table and column privileges on the main database.
acl() {
	psql_on src fdwsrc -At -c "SELECT pg_get_userbyid(relowner), relacl,
	  (SELECT string_agg(attname || '=' || attacl::text, ',') FROM pg_attribute WHERE attrelid = c.oid AND attacl IS NOT NULL)
	  FROM pg_class c WHERE oid = '$1'::regclass"
}

# log_of PARTITION ACTION: its audit lines, step:outcome:reason.
log_of() {
	psql_on src fdwsrc -At -c "SELECT step || ':' || outcome || ':' || coalesce(reason, '') FROM fdwcopy.archive_log
	  WHERE partition = '$1' AND action = '$2' ORDER BY id"
}

# leftovers DIR: the processes (pid and command line) whose environment has
# TMPDIR=DIR: the children of a fdwcopy run started with that TMPDIR, and no
# one else's (other suites run at the same time).
leftovers() {
	local f p
	while IFS= read -r f; do
		p=${f#/proc/} p=${p%/environ}
		printf '%s %s\n' "$p" "$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline")"
	done < <(grep -lzxF "TMPDIR=$1" /proc/[0-9]*/environ 2>/dev/null)
}

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
	# the archive table is pg_dump's partition, renamed: its indexes (their
	# names), check constraint, defaults and comments; not what names objects
	# of the main database (the foreign key, the trigger, nextval's default)
	[[ $output == *"left out of it (they name objects of the main database): TRIGGER public measurements_2024 m24_touch, FK CONSTRAINT public measurements_2024 m24_sensor_fk, DEFAULT of id"* ]]
	psql_on arch archive_db -At >"$BATS_TEST_TMPDIR/ddl" <<'SQL'
SELECT 'index ' || c.relname || ': ' || pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
  WHERE indrelid = 'cold.m2024'::regclass;
SELECT 'constraint ' || conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'cold.m2024'::regclass;
SELECT 'default ' || attname || ': ' || pg_get_expr(adbin, adrelid) FROM pg_attrdef JOIN pg_attribute ON attrelid = adrelid AND attnum = adnum
  WHERE adrelid = 'cold.m2024'::regclass;
SELECT 'comment: ' || obj_description('cold.m2024'::regclass, 'pg_class') || ', ' || col_description('cold.m2024'::regclass, 4);
SELECT 'triggers: ' || count(*) FROM pg_trigger WHERE tgrelid = 'cold.m2024'::regclass;
SQL
	sort "$BATS_TEST_TMPDIR/ddl" >"$BATS_TEST_TMPDIR/ddl.sorted"
	printf '%s\n' "comment: the hot 2024 rows, free text" \
		"constraint m24_note_check: CHECK ((note <> 'never'::text))" \
		"default note: 'n/a'::text" \
		"index measurements_2024_ts_idx: CREATE INDEX measurements_2024_ts_idx ON cold.m2024 USING btree (ts)" \
		"index measurements_2024_value_idx: CREATE INDEX measurements_2024_value_idx ON cold.m2024 USING btree (value)" \
		"triggers: 0" >"$BATS_TEST_TMPDIR/expected"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/ddl.sorted"
	# the foreign table has the partition's privileges
	[ "$(acl measurements_2024)" = "$(acl measurements_2024_local)" ]
	[[ $(acl measurements_2024) == *"analyst=r/postgres"*"note={analyst=w/postgres}" ]]
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
	# a copy that fails (the archive table refuses the rows) is in the audit
	# log with copy-table's reason
	hook="[ \"\$1\" != locked ] || psql -X -q -d '$(pgsb_conninfo arch archive_db)' -c \"ALTER TABLE public.events_2023_03 ADD CONSTRAINT nope CHECK (id < 0) NOT VALID\""
	run --separate-stderr env FDWCOPY_ARCHIVE_HOOK="$hook" fdwcopy archive move events_2023_03 --server archive_server --archive "$A" --source "$S"
	[ "$status" -eq 1 ]
	[[ $stderr == *"the copy of public.events_2023_03 failed; the partition is unchanged"* ]]
	[ "$(relkind events_2023_03)" = r ]
	[[ $(log_of public.events_2023_03 move) == *$'\ncopy:failed:'*'violates check constraint "nope"'* ]]
	psql_on arch archive_db -c "ALTER TABLE public.events_2023_03 DROP CONSTRAINT nope"
	hook="[ \"\$1\" != copied ] || psql -X -q -d '$(pgsb_conninfo arch archive_db)' -c \"UPDATE public.events_2023_03 SET kind = 'changed' WHERE id = (SELECT min(id) FROM public.events_2023_03)\""
	run --separate-stderr env FDWCOPY_ARCHIVE_HOOK="$hook" fdwcopy archive move events_2023_03 --server archive_server --archive "$A" --source "$S"
	[ "$status" -eq 1 ]
	[[ $stderr == *"the archive table differs from public.events_2023_03 (differ)"* ]]
	[[ $stderr == *"nothing was changed on the main database"* ]]
	[ "$(relkind events_2023_03)" = r ]
	schema_of src fdwsrc | grep -v fdwcopy >"$BATS_TEST_TMPDIR/after"
	diff -u "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	[[ $(log_of public.events_2023_03 move) == *$'\nverify:failed:differ: main '*' rows, checksum '*'; archive '*' rows, checksum '* ]]
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
		t="$BATS_TEST_TMPDIR/run-$step"
		mkdir "$t"
		run env TMPDIR="$t" FDWCOPY_ARCHIVE_HOOK="[ \"\$1\" != $step ] || kill -9 \$PPID" \
			fdwcopy archive move "$p" --server archive_server --archive "$A" --source "$S"
		[ "$status" -eq 137 ] || { echo "$step: $status $output"; false; }
		# nothing of the killed run is left running (its psql holding the
		# lock, snapshot-hold): its children have its TMPDIR
		for _ in $(seq 1 50); do [ -n "$(leftovers "$t")" ] || break; sleep 0.1; done
		[ -z "$(leftovers "$t")" ] || { echo "left running after $step: $(leftovers "$t")"; false; }
		# the lock is gone with the killed run: writes are not blocked
		[ "$(relkind "$p")" = f ] ||
			psql_on src fdwsrc -c "SET lock_timeout = '5s'; BEGIN; LOCK TABLE $p IN ROW EXCLUSIVE MODE; ROLLBACK"
		run --separate-stderr archive move "$p" --server archive_server --archive "$A"
		[ "$status" -eq 0 ] || { echo "rerun after $step: $stderr"; false; }
		[ "$(relkind "$p")" = f ]
		m=$((m + 1))
	done
	[ "$(sums events true)" = "$before" ]
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

@test "archive move: an archive table with the columns in another order is verified by column name" {
	psql_on arch archive_db -c "CREATE TABLE cold.m2025 (note text, value numeric, ts timestamptz NOT NULL, id int NOT NULL)"
	before=$(sums measurements "ts >= '2025-01-01' AND ts < '2026-01-01'")
	run --separate-stderr archive move measurements_2025 --server archive_server --archive "$A" --remote-table cold.m2025
	echo "$output $stderr"
	[ "$status" -eq 0 ]
	[[ $output == *"verified: 1217 rows"* ]]
	[ "$(relkind measurements_2025)" = f ]
	[ "$(sums measurements "ts >= '2025-01-01' AND ts < '2026-01-01'")" = "$before" ]
	# and back: the restored table has the archive table's column order
	run --separate-stderr archive restore measurements_2025 --archive "$A"
	[ "$status" -eq 0 ]
	[[ $output == *"verified: 1217 rows"* ]]
	[ "$(relkind measurements_2025)" = r ]
	[ "$(sums measurements "ts >= '2025-01-01' AND ts < '2026-01-01'")" = "$before" ]
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
	# the partition's own names (the archive table's) and privileges are back
	psql_on src fdwsrc -Atc "SELECT indexrelid::regclass FROM pg_index WHERE indrelid = 'measurements_2024'::regclass ORDER BY 1::text" >"$BATS_TEST_TMPDIR/names"
	printf '%s\n' measurements_2024_ts_idx measurements_2024_value_idx >"$BATS_TEST_TMPDIR/expected"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/names"
	[[ $(acl measurements_2024) == "postgres|"*"analyst=r/postgres"*"|note={analyst=w/postgres}" ]]
	[ "$(psql_on src fdwsrc -Atc "SELECT obj_description('measurements_2024'::regclass, 'pg_class')")" = "the hot 2024 rows" ]
	run --separate-stderr archive restore measurements_2024 --archive "$A"
	[ "$status" -eq 0 ]
	[[ $output == *"restored by an earlier run: nothing to do"* ]]
}

@test "archive next: N partitions after the current one, of the newest one's width, named like it, with its own keys; a rerun creates none" {
	run --separate-stderr archive next events --count 2 --at 2024-12-15 --dry-run
	[ "$status" -eq 0 ]
	[[ $output == *"CREATE TABLE \"public\".\"events_2025_01\" PARTITION OF public.events FOR VALUES FROM ('2025-01-01 00:00:00+00') TO ('2025-02-01 00:00:00+00');"* ]]
	[ -z "$(relkind events_2025_01)" ]
	run --separate-stderr archive next events --count 2 --at 2024-12-15
	[ "$status" -eq 0 ]
	psql_on src fdwsrc -Atc "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), (SELECT string_agg(contype::text, '') FROM pg_constraint WHERE conrelid = c.oid)
	  FROM pg_class c WHERE relname LIKE 'events_2025%' AND relkind = 'r' ORDER BY 1" >"$BATS_TEST_TMPDIR/out"
	printf '%s\n' "events_2025_01|FOR VALUES FROM ('2025-01-01 00:00:00+00') TO ('2025-02-01 00:00:00+00')|p" \
		"events_2025_02|FOR VALUES FROM ('2025-02-01 00:00:00+00') TO ('2025-03-01 00:00:00+00')|p" >"$BATS_TEST_TMPDIR/expected"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/out"
	# a rerun: there are 2 after the current one, nothing to create
	run --separate-stderr archive next events --count 2 --at 2024-12-15
	[ "$status" -eq 0 ]
	[[ $output == "nothing to create: public.events has 2 or more partitions after the one holding 2024-12-15 00:00:00+00" ]]
	[ "$(psql_on src fdwsrc -Atc "SELECT count(*) FROM pg_class WHERE relname LIKE 'events_2025%' AND relkind = 'r'")" = 2 ]
	psql_on src fdwsrc -c "INSERT INTO events VALUES (999999, '2025-02-10', 'new', NULL)"
	# by time, the current partition is the one holding now: those missing
	# up to it, then one more (yearly partitions)
	run --separate-stderr archive next measurements
	[ "$status" -eq 0 ]
	psql_on src fdwsrc -Atc "SELECT string_agg(relname, ' ' ORDER BY relname) FROM pg_class WHERE relname ~ '^measurements_20[0-9]{2}\$' AND relname > 'measurements_2025'" >"$BATS_TEST_TMPDIR/out"
	psql_on src fdwsrc -Atc "SELECT string_agg('measurements_' || y, ' ' ORDER BY y) FROM generate_series(2026, extract(year FROM now())::int + 1) y" >"$BATS_TEST_TMPDIR/expected"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/out"
	run --separate-stderr archive next measurements
	[ "$status" -eq 0 ]
	[[ $output == "nothing to create: "* ]]
}

@test "archive next by integer key: after the highest key; a failed creation logged, a rerun creates only what is missing" {
	psql_on src fdwsrc -c "CREATE TABLE ints (id bigint NOT NULL, v text) PARTITION BY RANGE (id)" \
		-c "CREATE TABLE ints_0 PARTITION OF ints FOR VALUES FROM (0) TO (1000)" \
		-c "CREATE TABLE ints_1000 PARTITION OF ints FOR VALUES FROM (1000) TO (2000)" \
		-c "INSERT INTO ints VALUES (1500, 'x')"
	parts() { psql_on src fdwsrc -Atc "SELECT string_agg(relname, ' ' ORDER BY relname) FROM pg_class WHERE relname ~ '^ints_[0-9]+\$'"; }
	run --separate-stderr archive next ints --count 2
	[ "$status" -eq 0 ]
	[ "$(parts)" = "ints_0 ints_1000 ints_2000 ints_3000" ]
	run --separate-stderr archive next ints --count 2
	[ "$status" -eq 0 ]
	[[ $output == "nothing to create: public.ints has 2 or more partitions after the one holding 1500" ]]
	# rows up to 3500: two more; the second cannot be created
	psql_on src fdwsrc -c "INSERT INTO ints VALUES (3500, 'y')" -c "CREATE TABLE ints_5000 (x int)"
	run --separate-stderr archive next ints --count 2
	[ "$status" -eq 1 ]
	[[ $stderr == *"could not create partition public.ints_5000 of public.ints"* ]]
	[ "$(parts)" = "ints_0 ints_1000 ints_2000 ints_3000 ints_4000 ints_5000" ]
	[ "$(log_of public.ints_5000 next)" = 'create:failed:relation "ints_5000" already exists' ]
	psql_on src fdwsrc -c "DROP TABLE ints_5000"
	run --separate-stderr archive next ints --count 2
	[ "$status" -eq 0 ]
	[ "$(parts)" = "ints_0 ints_1000 ints_2000 ints_3000 ints_4000 ints_5000" ]
	[ "$(psql_on src fdwsrc -Atc "SELECT relkind FROM pg_class WHERE relname = 'ints_5000' AND relispartition")" = r ]
	[[ $output == "created public.ints_5000: public.ints FOR VALUES FROM ('5000') TO ('6000')" ]]
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
	[[ $(log_of public.$p decommission) == *$'\nbackup-check:failed:backup file "'*'pre-data.sql" has changed: sha256 '* ]]
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
