#!/usr/bin/env bats
# fdwcopy clone --clean over an older copy (changed rows, a changed table
# definition) ends equal under verify; an object of the target outside the
# copy that depends on a copied one makes the whole clean roll back, the
# target unchanged and the reason shown. The database's settings (also per
# role), comment and privileges are copied under the target's name (not with
# --no-database-properties), and verify compares them. --roles creates the
# roles the copy needs that the target lacks (pg_dumpall --roles-only), their
# password hashes nowhere in the output or the work directory;
# --no-role-passwords for a source role that cannot read pg_authid; dump
# --roles keeps them in the backup for restore --roles.

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox

setup_file() {
	pgsb_start src dst
	psql_on src -c "CREATE DATABASE shop"
	psql_on src shop <<'SQL'
CREATE SCHEMA app;
CREATE TYPE app.status AS ENUM ('new', 'paid');
CREATE TABLE app.customer (id serial PRIMARY KEY, name text NOT NULL UNIQUE);
CREATE TABLE app.orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer int NOT NULL REFERENCES app.customer, st app.status NOT NULL DEFAULT 'new', amount numeric);
CREATE INDEX orders_customer ON app.orders (customer);
INSERT INTO app.customer (name) SELECT 'c' || g FROM generate_series(1, 50) g;
INSERT INTO app.orders (customer, amount) SELECT 1 + g % 50, g FROM generate_series(1, 500) g;
CREATE VIEW app.big_orders AS SELECT * FROM app.orders WHERE amount > 400;
CREATE MATERIALIZED VIEW app.totals AS SELECT customer, sum(amount) AS s FROM app.orders GROUP BY customer;
CREATE FUNCTION app.total(int) RETURNS numeric LANGUAGE sql STABLE AS 'SELECT sum(amount) FROM app.orders WHERE customer = $1';
COMMENT ON TABLE app.orders IS 'the orders';
SQL
	# the database's properties; the role "reader" is on both clusters
	for c in src dst; do psql_on "$c" -c "CREATE ROLE reader"; done
	psql_on src shop <<'SQL'
ALTER DATABASE shop SET search_path TO app, "$user", public;
ALTER DATABASE shop SET work_mem = '8MB';
ALTER ROLE reader IN DATABASE shop SET statement_timeout = '5s';
COMMENT ON DATABASE shop IS 'the shop
and its orders';
REVOKE CONNECT, TEMPORARY ON DATABASE shop FROM PUBLIC;
GRANT CONNECT ON DATABASE shop TO reader;
SQL
	# roles only the source cluster has: the owner (with a password) and a
	# grantee of the tables of "rl", and a role that can read the tables but not
	# pg_authid
	psql_on src <<'SQL'
CREATE ROLE rl_owner LOGIN PASSWORD 'rl-owner-pw-PLUGH-secret';
CREATE ROLE rl_reader;
GRANT rl_reader TO rl_owner;
CREATE ROLE cloner LOGIN;
CREATE DATABASE rl;
SQL
	psql_on src rl <<'SQL'
CREATE TABLE items (id int PRIMARY KEY, name text);
INSERT INTO items SELECT g, 'i' || g FROM generate_series(1, 100) g;
ALTER TABLE items OWNER TO rl_owner;
GRANT SELECT ON items TO rl_reader, cloner;
SQL
	S=$(pgsb_conninfo src shop)
	R=$(pgsb_conninfo src rl)
	export S R
}

teardown_file() { pgsb_stop; }

# An older copy of shop on the target: the clone, then rows and a table
# definition changed.
older_copy() {
	psql_on dst -c "CREATE DATABASE $1"
	fdwcopy clone -q --source "$S" --target "$(pgsb_conninfo dst "$1")" >/dev/null
	psql_on dst "$1" <<'SQL'
UPDATE app.customer SET name = name || ' (old)' WHERE id <= 10;
DELETE FROM app.orders WHERE id > 450;
ALTER TABLE app.orders ADD COLUMN note text, ALTER COLUMN st DROP DEFAULT;
DROP INDEX app.orders_customer;
CREATE INDEX orders_note ON app.orders (note);
COMMENT ON TABLE app.orders IS 'an older comment';
SQL
}

@test "clone --clean over an older copy (changed rows and table definition): equal under verify, twice" {
	older_copy older
	T=$(pgsb_conninfo dst older)
	# without --clean: refused, the target named, nothing changed
	run --separate-stderr fdwcopy clone --source "$S" --target "$T"
	[ "$status" -eq 1 ]
	# shellcheck disable=SC2154 # stderr is set by run --separate-stderr
	[[ $stderr == *"fdwcopy clone: problem: the target is not empty: it has table app.orders"* ]]
	[[ $stderr == *"pass --clean"* ]]
	run --separate-stderr fdwcopy clone --clean --verify --source "$S" --target "$T"
	[ "$status" -eq 0 ]
	[[ $output == *"schema: dropping the objects of the copy that the target has (--clean)"* ]]
	[[ $output == *"verify: equal: 2 tables (row counts and checksums), 2 sequences, large objects and schema"* ]]
	[ "$(psql_on dst older -Atc "SELECT count(*) FROM app.customer WHERE name LIKE '%(old)'")" = 0 ]
	[ "$(psql_on dst older -Atc "SELECT count(*) FROM app.orders")" = 500 ]
	[ "$(psql_on dst older -Atc "SELECT count(*) FROM pg_attribute WHERE attrelid = 'app.orders'::regclass AND attname = 'note'")" = 0 ]
	[ "$(psql_on dst older -Atc "SELECT obj_description('app.orders'::regclass, 'pg_class')")" = "the orders" ]
	# again (everything is there now)
	run --separate-stderr fdwcopy clone -c --verify --source "$S" --target "$T"
	[ "$status" -eq 0 ]
	[[ $output == *"verify: equal: "* ]]
	# the alias
	run --separate-stderr fdwcopy clone -q --drop-if-exists --source "$S" --target "$T"
	[ "$status" -eq 0 ]
}

@test "clone --clean into an empty database works as a clone" {
	psql_on dst -c "CREATE DATABASE fresh"
	run --separate-stderr fdwcopy clone --clean --verify --source "$S" --target "$(pgsb_conninfo dst fresh)"
	[ "$status" -eq 0 ]
	[[ $output == *"verify: equal: "* ]]
}

@test "clone --clean: a target object outside the copy depending on a copied one rolls everything back, target unchanged" {
	older_copy dependent
	T=$(pgsb_conninfo dst dependent)
	psql_on dst dependent -c "CREATE VIEW public.my_report AS SELECT customer, note FROM app.orders"
	schema_of dst dependent >"$BATS_TEST_TMPDIR/before.sql"
	psql_on dst dependent -Atc "SELECT md5(string_agg(c::text, ',' ORDER BY id)) FROM app.customer c" >"$BATS_TEST_TMPDIR/before.rows"
	run --separate-stderr fdwcopy clone --clean --source "$S" --target "$T"
	[ "$status" -eq 1 ]
	[[ $stderr == *"ERROR:  cannot drop table app.orders because other objects depend on it"* ]]
	[[ $stderr == *"view my_report depends on table app.orders"* || $stderr == *"view public.my_report depends on table app.orders"* ]]
	[[ $stderr == *"fdwcopy: error: restoring the pre-data into the target failed (rolled back; nothing was written)"* ]]
	[[ $stderr == *"fdwcopy: detail: the statement at line "*" of the pre-data failed: --clean: the DROP ... IF EXISTS of the copy's objects"* ]]
	# the target as it was: schema and rows
	schema_of dst dependent >"$BATS_TEST_TMPDIR/after.sql"
	diff "$BATS_TEST_TMPDIR/before.sql" "$BATS_TEST_TMPDIR/after.sql"
	psql_on dst dependent -Atc "SELECT md5(string_agg(c::text, ',' ORDER BY id)) FROM app.customer c" >"$BATS_TEST_TMPDIR/after.rows"
	diff "$BATS_TEST_TMPDIR/before.rows" "$BATS_TEST_TMPDIR/after.rows"
	[ "$(psql_on dst dependent -Atc "SELECT count(*) FROM app.orders")" = 450 ]
}

@test "clone: --clean with --data-only is a usage error" {
	run --separate-stderr fdwcopy clone --clean --data-only --source "$S" --target "$(pgsb_conninfo dst postgres)"
	[ "$status" -eq 2 ]
	[[ $stderr == *"options --data-only and --clean cannot be used together"* ]]
}

@test "clone copies the database's settings, comment and privileges under the target's name; verify compares them" {
	psql_on dst -c "CREATE DATABASE props"
	run --separate-stderr fdwcopy clone --verify --source "$S" --target "$(pgsb_conninfo dst props)"
	[ "$status" -eq 0 ]
	[[ $output == *"database properties copied to the target database (settings: 3, privileges: 1, comment: yes)"* ]]
	[[ $output == *"verify: equal: database properties (settings: 3, privileges: 1, comment: yes)"* ]]
	# shellcheck disable=SC2016 # "$user" is search_path's, not the shell's
	[ "$(psql_on dst -Atc "SELECT array_to_string(setconfig, '|') FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
	                        WHERE d.datname = 'props' AND setrole = 0")" = 'search_path=app, "$user", public|work_mem=8MB' ]
	[ "$(psql_on dst -Atc "SELECT array_to_string(setconfig, '|') FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
	                        WHERE d.datname = 'props' AND setrole = 'reader'::regrole")" = 'statement_timeout=5s' ]
	[ "$(psql_on dst -Atc "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = 'props'")" = "the shop
and its orders" ]
	psql_on dst -c "CREATE ROLE nobody"
	[ "$(psql_on dst -Atc "SELECT has_database_privilege('reader', 'props', 'CONNECT'), has_database_privilege('nobody', 'props', 'CONNECT'),
	                             has_database_privilege('nobody', 'props', 'TEMPORARY')")" = "t|f|f" ]
	# in effect for a new session on the target database
	[ "$(psql_on dst props -Atc "SHOW work_mem")" = 8MB ]
}

@test "clone --no-database-properties leaves them out; verify without it names each difference" {
	psql_on dst -c "CREATE DATABASE noprops"
	T=$(pgsb_conninfo dst noprops)
	run --separate-stderr fdwcopy clone --no-database-properties --verify --source "$S" --target "$T"
	[ "$status" -eq 0 ]
	[[ $output != *"database properties"* ]]
	[[ $output == *"verify: equal: "* ]]
	[ "$(psql_on dst -Atc "SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = 'noprops'")" = 0 ]
	[ "$(psql_on dst -Atc "SELECT shobj_description(oid, 'pg_database') IS NULL FROM pg_database WHERE datname = 'noprops'")" = t ]
	run --separate-stderr fdwcopy verify --source "$S" --target "$T"
	[ "$status" -eq 1 ]
	[[ $stderr == *"verify: source and target differ (0 data mismatches, 7 database properties, 0 schema lines)"* ]]
	[[ $output == *"setting work_mem"*"'8MB'"*"none"* ]]
	[[ $output == *"setting statement_timeout of role reader"* ]]
	[[ $output == *"privilege CONNECT to PUBLIC"*"none"*"granted"* ]]
	[[ $output == *"comment"*"the shop and its orders"*"none"* ]]
}

@test "clone --roles creates the owner and grantee roles the target lacks; without it the checks refuse, nothing written" {
	psql_on dst -c "CREATE DATABASE r1"
	T=$(pgsb_conninfo dst r1)
	run --separate-stderr fdwcopy clone --source "$R" --target "$T"
	[ "$status" -eq 1 ]
	[[ $stderr == *'fdwcopy clone: problem: role "rl_owner" does not exist on the target: owner of table public.items'* ]]
	[[ $stderr == *'fdwcopy clone: problem: role "rl_reader" does not exist on the target: privileges on table public.items'* ]]
	[[ $stderr == *"fdwcopy: hint: create the roles on the target first (--roles, "* ]]
	[ "$(psql_on dst r1 -Atc "SELECT to_regclass('items') IS NULL")" = t ]
	# fdwcopy check --roles agrees with the clone that follows
	run --separate-stderr fdwcopy check -q --roles --source "$R" --target "$T"
	[ "$status" -eq 0 ]
	run --separate-stderr fdwcopy clone --roles --verify --dir "$BATS_TEST_TMPDIR/work" --source "$R" --target "$T"
	[ "$status" -eq 0 ]
	[[ $output == *"roles: 3 of the 3 roles the copy needs are created (pg_dumpall --roles-only): cloner rl_owner rl_reader"* ]]
	[[ $output == *"verify: equal: "* ]]
	[ "$(psql_on dst r1 -Atc "SELECT tableowner FROM pg_tables WHERE tablename = 'items'")" = rl_owner ]
	[ "$(psql_on dst -Atc "SELECT pg_has_role('rl_owner', 'rl_reader', 'MEMBER'), rolcanlogin FROM pg_roles WHERE rolname = 'rl_owner'")" = "t|t" ]
	# the password hash is the source's, and nowhere in what fdwcopy printed or kept
	hash=$(psql_on src -Atc "SELECT rolpassword FROM pg_authid WHERE rolname = 'rl_owner'")
	[[ $hash == SCRAM-SHA-256* ]]
	[ "$(psql_on dst -Atc "SELECT rolpassword FROM pg_authid WHERE rolname = 'rl_owner'")" = "$hash" ]
	[[ $output != *"$hash"* && $stderr != *"$hash"* ]]
	run grep -rlF "${hash#SCRAM-SHA-256}" "$BATS_TEST_TMPDIR/work"
	[ "$status" -eq 1 ]
	# roles the target has are left as they are
	psql_on dst -c "ALTER ROLE rl_owner CONNECTION LIMIT 7"
	psql_on dst -c "CREATE DATABASE r2"
	run --separate-stderr fdwcopy clone --roles --source "$R" --target "$(pgsb_conninfo dst r2)"
	[ "$status" -eq 0 ]
	[[ $output == *"roles: the target has all 3 roles the copy needs"* ]]
	[ "$(psql_on dst -Atc "SELECT rolconnlimit FROM pg_roles WHERE rolname = 'rl_owner'")" = 7 ]
}

@test "clone --roles from a source role that cannot read pg_authid: refused before anything is written; --no-role-passwords works" {
	psql_on dst -c "CREATE DATABASE r3"
	T=$(pgsb_conninfo dst r3)
	# (the roles made by the test before go, with the databases they own objects in)
	psql_on dst -c "DROP DATABASE IF EXISTS r1" -c "DROP DATABASE IF EXISTS r2" -c "DROP ROLE IF EXISTS rl_owner" -c "DROP ROLE IF EXISTS rl_reader"
	run --separate-stderr fdwcopy clone --roles --source "$R user=cloner" --target "$T"
	[ "$status" -eq 1 ]
	[[ $stderr == *"fdwcopy clone: problem: --roles: the source role cannot read pg_authid, where pg_dumpall reads the roles' passwords"* ]]
	[[ $stderr == *"nothing was written to the target"* ]]
	[[ $stderr == *"hint: pass --no-role-passwords"* ]]
	[ "$(psql_on dst r3 -Atc "SELECT to_regclass('items') IS NULL")" = t ]
	run --separate-stderr fdwcopy clone --roles --no-role-passwords --verify --source "$R user=cloner" --target "$T"
	[ "$status" -eq 0 ]
	[[ $output == *"(pg_dumpall --roles-only --no-role-passwords)"* ]]
	[[ $output == *"verify: equal: "* ]]
	[ "$(psql_on dst -Atc "SELECT rolcanlogin, rolpassword IS NULL FROM pg_authid WHERE rolname = 'rl_owner'")" = "t|t" ]
}

@test "dump --roles + restore --roles: the roles the backup's objects need come from its roles.sql; without --roles restore's checks name them" {
	psql_on dst -c "DROP DATABASE IF EXISTS r3" -c "DROP ROLE IF EXISTS rl_owner" -c "DROP ROLE IF EXISTS rl_reader" \
		-c "DROP ROLE IF EXISTS cloner" -c "CREATE DATABASE r4"
	T=$(pgsb_conninfo dst r4)
	B=$BATS_TEST_TMPDIR/bk
	fdwcopy dump -q --source "$R" --dir "$B"
	run --separate-stderr fdwcopy restore --roles --dir "$B" --target "$T"
	[ "$status" -eq 1 ]
	[[ $stderr == *"the backup $B holds no roles (roles.sql): --roles needs a backup of fdwcopy dump --roles; nothing was restored"* ]]
	rm -rf "$B"
	run --separate-stderr fdwcopy dump --roles --source "$R" --dir "$B"
	[ "$status" -eq 0 ]
	[[ $output == *"roles: 3 roles the database needs, in roles.sql (with their password hashes)"* ]]
	hash=$(psql_on src -Atc "SELECT rolpassword FROM pg_authid WHERE rolname = 'rl_owner'")
	[[ $output != *"$hash"* && $stderr != *"$hash"* ]]
	grep -qF "$hash" "$B/roles.sql"
	[ "$(stat -c %a "$B/roles.sql")" = 600 ]
	grep -q '^file	[0-9a-f]*	[0-9]*	roles.sql$' "$B/MANIFEST"
	run -0 fdwcopy restore --list --dir "$B"
	[[ $output == *"dumped with: --roles"* ]]
	# without --roles: the checks name the roles the target lacks, nothing is written
	run --separate-stderr fdwcopy restore --dir "$B" --target "$T"
	[ "$status" -eq 1 ]
	[[ $stderr == *'fdwcopy restore: problem: role "rl_owner" does not exist on the target: owner of table public.items'* ]]
	[ "$(psql_on dst r4 -Atc "SELECT to_regclass('items') IS NULL")" = t ]
	run --separate-stderr fdwcopy restore --roles --dir "$B" --target "$T"
	[ "$status" -eq 0 ]
	[[ $output == *"roles: 3 of the 3 roles the copy needs are created (the backup's roles.sql): cloner rl_owner rl_reader"* ]]
	[[ $output != *"$hash"* && $stderr != *"$hash"* ]]
	[ "$(psql_on dst -Atc "SELECT rolpassword FROM pg_authid WHERE rolname = 'rl_owner'")" = "$hash" ]
	[ "$(psql_on dst -Atc "SELECT pg_has_role('rl_owner', 'rl_reader', 'MEMBER')")" = t ]
	[ "$(psql_on dst r4 -Atc "SELECT tableowner FROM pg_tables WHERE tablename = 'items'")" = rl_owner ]
	run -0 fdwcopy verify --source "$R" --target "$T"
	[[ $output == *"equal"* ]]
}

@test "dump --roles from a source role that cannot read pg_authid: refused, the directory it made is gone, no word of an incomplete backup; --no-role-passwords into the same --dir works" {
	B=$BATS_TEST_TMPDIR/bk-cloner
	run --separate-stderr fdwcopy dump --roles --source "$R user=cloner" --dir "$B"
	[ "$status" -eq 1 ]
	[[ $stderr == *"--roles: the source role cannot read pg_authid, where pg_dumpall reads the roles' passwords; nothing was dumped"* ]]
	[[ $stderr != *"incomplete"* ]]
	[ ! -e "$B" ]
	# a directory the user made is left in place, empty
	mkdir "$B"
	run --separate-stderr fdwcopy dump --roles --source "$R user=cloner" --dir "$B"
	[ "$status" -eq 1 ]
	[ -d "$B" ] && [ -z "$(ls -A "$B")" ]
	run --separate-stderr fdwcopy dump --roles --no-role-passwords --source "$R user=cloner" --dir "$B"
	[ "$status" -eq 0 ]
	[[ $output == *"(without passwords)"* ]]
	[ -f "$B/MANIFEST" ] && [ -f "$B/roles.sql" ]
}

@test "dump: --no-role-passwords needs --roles" {
	run --separate-stderr fdwcopy dump --no-role-passwords --source "$R" --dir "$BATS_TEST_TMPDIR/bk"
	[ "$status" -eq 2 ]
	[[ $stderr == *"option --no-role-passwords needs --roles"* ]]
}

@test "clone: --no-role-passwords needs --roles; --roles with --data-only is a usage error" {
	run --separate-stderr fdwcopy clone --no-role-passwords --source "$R" --target "$(pgsb_conninfo dst postgres)"
	[ "$status" -eq 2 ]
	[[ $stderr == *"option --no-role-passwords needs --roles"* ]]
	run --separate-stderr fdwcopy clone --roles --data-only --source "$R" --target "$(pgsb_conninfo dst postgres)"
	[ "$status" -eq 2 ]
	[[ $stderr == *"options --data-only and --roles cannot be used together"* ]]
}

@test "dump + restore carry the database's properties to the target database; not with restore --no-database-properties" {
	run --separate-stderr fdwcopy dump -q --source "$S" --dir "$BATS_TEST_TMPDIR/bk"
	[ "$status" -eq 0 ]
	grep -q '^file	[0-9a-f]*	[0-9]*	database-properties.tsv$' "$BATS_TEST_TMPDIR/bk/MANIFEST"
	psql_on dst -c "CREATE DATABASE restored" -c "CREATE DATABASE restored_bare"
	run --separate-stderr fdwcopy restore --dir "$BATS_TEST_TMPDIR/bk" --target "$(pgsb_conninfo dst restored)"
	[ "$status" -eq 0 ]
	[[ $output == *"database properties copied to the target database (settings: 3, privileges: 1, comment: yes)"* ]]
	[ "$(psql_on dst restored -Atc "SHOW work_mem")" = 8MB ]
	[ "$(psql_on dst -Atc "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = 'restored'")" = "the shop
and its orders" ]
	run --separate-stderr fdwcopy verify --source "$S" --target "$(pgsb_conninfo dst restored)"
	[ "$status" -eq 0 ]
	run --separate-stderr fdwcopy restore --no-database-properties --dir "$BATS_TEST_TMPDIR/bk" --target "$(pgsb_conninfo dst restored_bare)"
	[ "$status" -eq 0 ]
	[[ $output != *"database properties"* ]]
	[ "$(psql_on dst restored_bare -Atc "SHOW work_mem")" = 4MB ]
}
