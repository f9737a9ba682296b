#!/usr/bin/env bats
# fdwcopy clone --clean over an older copy (changed rows, a changed table
# definition) ends equal under verify; an object of the target outside the
# copy that depends on a copied one makes the whole clean roll back, the
# target unchanged and the reason shown.

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
	S=$(pgsb_conninfo src shop)
	export S
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
