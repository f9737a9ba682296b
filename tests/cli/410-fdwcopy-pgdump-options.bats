#!/usr/bin/env bats
# pg_dump's pass-through options on clone, dump and verify:
# --exclude-table-data (schema kept, rows not copied, verify says it leaves
# them out), --skip-large-objects, --no-comments, --exclude-extension and
# --skip-extensions (for a target whose extensions someone else creates).

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox

setup_file() {
	pgsb_start src dst
	psql_on src -c "CREATE DATABASE shop"
	psql_on src shop <<'SQL'
CREATE EXTENSION pg_trgm;
CREATE EXTENSION citext;
COMMENT ON EXTENSION pg_trgm IS 'trigram search, commented on the source';
CREATE TABLE customers (id int PRIMARY KEY, name citext NOT NULL);
CREATE INDEX customers_name_trgm ON customers USING gin ((name::text) gin_trgm_ops);
COMMENT ON TABLE customers IS 'who buys';
COMMENT ON COLUMN customers.name IS 'as typed';
CREATE TABLE audit_log (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), what text);
INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 300) g;
INSERT INTO audit_log (what) SELECT 'event ' || g FROM generate_series(1, 1000) g;
SELECT lo_from_bytea(4242, 'a large object');
SQL
	S=$(pgsb_conninfo src shop)
	export S
}

teardown_file() { pgsb_stop; }

setup() { T=$BATS_TEST_TMPDIR; F=$BATS_FILE_TMPDIR; }

fresh_db() { psql_on dst -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null; }

@test "table-list --exclude-table-data: the table stays a relation, its rows and sequence leave the work stream" {
	FDWCOPY_SOURCE=$S table-list --exclude-table-data audit_log --exclude-table-data 'audit_log_id_seq' >"$T/work"
	FDWCOPY_SOURCE=$S table-list --relations --exclude-table-data audit_log >"$T/rels"
	cut -f1,3,4 "$T/work" | sort >"$T/items"
	printf 'blobs\t-\t-\ntable\tpublic\tcustomers\n' >"$T/expected"
	diff -u "$T/expected" "$T/items"
	grep -q '	public	audit_log$' "$T/rels"
	FDWCOPY_SOURCE=$S table-list --skip-large-objects >"$T/work"
	run -1 grep -q '^blobs' "$T/work"
	run -2 table-list --exclude-table-data 'a.b.c.d' --check-patterns
	[[ $output == *"improper qualified name"* ]]
}

@test "clone --exclude-table-data --skip-large-objects --no-comments --verify: schema kept, rows left out, verify says so" {
	fresh_db c1
	run --separate-stderr fdwcopy clone --verify --jobs 2 --exclude-table-data audit_log --skip-large-objects --no-comments \
		--source "$S" --target "$(pgsb_conninfo dst c1)"
	# shellcheck disable=SC2154 # stderr is set by run --separate-stderr
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 0 ]
	[[ $output == *"verify: 1 tables and sequences excluded from the data comparison (--exclude-table-data): public.audit_log"* ]]
	[[ $output == *"verify: large objects not compared (--skip-large-objects)"* ]]
	[[ $output == *"verify: equal: "* ]]
	[ "$(psql_on dst c1 -Atc "SELECT (SELECT count(*) FROM audit_log), (SELECT count(*) FROM customers),
		(SELECT count(*) FROM pg_largeobject_metadata), (SELECT count(*) FROM pg_description d
		JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass WHERE c.relname = 'customers')")" = "0|300|0|0" ]
	# the comment of the extension (made by CREATE EXTENSION) is the control file's
	[ "$(psql_on dst c1 -Atc "SELECT obj_description(oid, 'pg_extension') FROM pg_extension WHERE extname = 'pg_trgm'")" != "trigram search, commented on the source" ]
	# without the options, verify calls the copy different
	run --separate-stderr fdwcopy verify --source "$S" --target "$(pgsb_conninfo dst c1)"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 1 ]
	grep -q '^table  *public.audit_log  *1000 rows' <<<"$output"
	grep -q '^large objects ' <<<"$output"
	[[ $stderr == *"verify: source and target differ (2 data mismatches, "* ]]
}

# app_db NAME: a database owned by role app (not a superuser) whose
# extensions the superuser created, as a hosting provider does; its conninfo
# for role app in APP.
app_db() {
	fresh_db "$1"
	psql_on dst -c "DO \$\$BEGIN CREATE ROLE app LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END\$\$"
	psql_on dst -c "ALTER DATABASE $1 OWNER TO app"
	psql_on dst "$1" -c "CREATE EXTENSION pg_trgm" -c "CREATE EXTENSION citext"
	APP=$(pgsb_conninfo dst "$1")
	APP=${APP/user=postgres/user=app}
}

@test "clone --exclude-extension: a non-superuser target whose extensions its administrator created" {
	app_db c2
	# without the option: COMMENT ON EXTENSION would fail; the check says so first
	run --separate-stderr fdwcopy clone -q --no-owner --source "$S" --target "$APP"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 1 ]
	[[ $stderr == *'fdwcopy clone: problem: extension "citext" is owned by "postgres" on the target: the target role "app" cannot set its comment'* ]]
	[[ $stderr == *'fdwcopy clone: problem: extension "pg_trgm" is owned by "postgres" on the target: the target role "app" cannot set its comment'* ]]
	[ "$(psql_on dst c2 -Atc "SELECT count(*) FROM pg_class WHERE relname = 'customers'")" = 0 ]
	run --separate-stderr fdwcopy clone --verify -q --no-owner --exclude-extension pg_trgm --exclude-extension citext \
		--source "$S" --target "$APP"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 1 ]
	# the copy is whole; verify differs only in what the options and the
	# role changed: owners (--no-owner is passed on) and the extension's comment
	[[ $stderr == *"(0 data mismatches, "* ]]
	grep -q "^-COMMENT ON EXTENSION pg_trgm IS 'trigram search, commented on the source';" <<<"$output"
	[ "$(psql_on dst c2 -Atc "SELECT count(*) FROM customers WHERE name = 'CUSTOMER 7'")" = 1 ]
}

@test "clone --skip-extensions: no CREATE EXTENSION nor COMMENT ON EXTENSION; other comments kept" {
	app_db c3
	run --separate-stderr fdwcopy clone -q --no-owner --skip-extensions --source "$S" --target "$APP"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 0 ]
	[ "$(psql_on dst c3 -Atc "SELECT count(*) FROM customers")" = 300 ]
	# the table's comment came along, the extension's did not
	[ "$(psql_on dst c3 -Atc "SELECT obj_description('customers'::regclass, 'pg_class')")" = "who buys" ]
	[ "$(psql_on dst c3 -Atc "SELECT obj_description(oid, 'pg_extension') <> 'trigram search, commented on the source' FROM pg_extension WHERE extname = 'pg_trgm'")" = t ]
	run --separate-stderr fdwcopy verify --no-owner --no-comments --source "$S" --target "$APP"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 0 ]
}

@test "dump with the options, then restore: the backup leaves out what they say; the MANIFEST and --list show them" {
	fdwcopy dump -q --no-owner --exclude-table-data audit_log --skip-large-objects --no-comments --skip-extensions \
		--source "$S" --dir "$F/backup"
	M=$F/backup/MANIFEST
	grep -q '^filter	exclude-table-data	audit_log$' "$M"
	grep -q '^option	skip-large-objects$' "$M"
	grep -q '^option	no-comments$' "$M"
	grep -q '^option	skip-extensions$' "$M"
	run -1 grep -q -e 'CREATE EXTENSION' -e 'COMMENT ON' "$F/backup/pre-data.sql"
	run fdwcopy restore --list --dir "$F/backup"
	[ "$status" -eq 0 ]
	[[ $output == *"dumped with: --no-owner --exclude-table-data audit_log --skip-extensions --skip-large-objects --no-comments"* ]]
	app_db r1
	run --separate-stderr fdwcopy restore -q --dir "$F/backup" --target "$APP"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 0 ]
	[ "$(psql_on dst r1 -Atc "SELECT (SELECT count(*) FROM audit_log), (SELECT count(*) FROM customers),
		(SELECT count(*) FROM pg_largeobject_metadata)")" = "0|300|0" ]
	run --separate-stderr fdwcopy verify --no-owner --exclude-table-data audit_log --skip-large-objects --no-comments \
		--source "$S" --target "$APP"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 0 ]
}
