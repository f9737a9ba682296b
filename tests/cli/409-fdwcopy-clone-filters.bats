#!/usr/bin/env bats
# Filters that produce a working database: --include-table brings along what
# the selected tables depend on (sequences of defaults, types, domains,
# functions, referenced tables, schemas), named in the plan; --exclude-table of
# a view leaves out the views depending on it, each named in a notice, and a
# foreign key to a table left out (--exclude-table, -n) is left out, named in a
# notice, in clone, verify, dump and restore. Each clone is verified.

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox

setup_file() {
	pgsb_start src dst
	load_pagila src pagila
	psql_on src -c "CREATE DATABASE deps"
	psql_on src deps <<'SQL'
CREATE SCHEMA app;
CREATE SCHEMA util;
CREATE TYPE app.color AS ENUM ('red', 'green');
COMMENT ON TYPE app.color IS 'a color';
CREATE TYPE app.point2 AS (x int, y int);
CREATE FUNCTION util.is_positive(int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 > 0';
CREATE DOMAIN app.positive AS int CHECK (util.is_positive(VALUE));
CREATE FUNCTION util.twice(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 * 2';
CREATE COLLATION app.bytes (locale = 'C');
CREATE SEQUENCE util.ids;
CREATE TABLE app.t (
  id int DEFAULT nextval('util.ids') PRIMARY KEY,
  c app.color,
  cs app.color[],
  p app.positive,
  pt app.point2,
  n text COLLATE app.bytes,
  d int GENERATED ALWAYS AS (util.twice(id)) STORED
);
INSERT INTO app.t (c, cs, p, pt, n) SELECT 'red', '{red,green}', g, ROW(g, g)::text::app.point2, 'n' || g FROM generate_series(1, 50) g;
CREATE VIEW app.v_base AS SELECT id, n FROM app.t;
CREATE VIEW app.v_top AS SELECT id FROM app.v_base WHERE id > 10;
CREATE MATERIALIZED VIEW app.mv_top AS SELECT count(*) AS n FROM app.v_top;
CREATE VIEW app.v_other AS SELECT id FROM app.t WHERE c = 'green';
SQL
	S=$(pgsb_conninfo src pagila)
	D=$(pgsb_conninfo src deps)
	export S D
}

teardown_file() { pgsb_stop; }

setup() {
	psql_on dst -c "DROP DATABASE IF EXISTS t" -c "CREATE DATABASE t"
	T=$(pgsb_conninfo dst t)
}

@test "clone --include-table public.film brings its types, domain, sequence, function and language; verify passes" {
	run --separate-stderr fdwcopy clone --verify --jobs 2 --source "$S" --target "$T" --include-table public.film
	[ "$status" -eq 0 ]
	grep -qx '  added type public.mpaa_rating: table column public.film.rating' <<<"$output"
	grep -qx '  added domain public.year: table column public.film.release_year' <<<"$output"
	grep -qx '  added sequence public.film_film_id_seq: default value for public.film.film_id' <<<"$output"
	grep -qx '  added function public.last_updated(): trigger last_updated on public.film' <<<"$output"
	grep -qx '  added table public.language: table constraint film_language_id_fkey on public.film' <<<"$output"
	[[ $output == *"verify: equal: 2 tables"* ]]
	# The sequence's value came along; the trigger and the foreign key work.
	[ "$(psql_on dst t -Atc "SELECT last_value FROM film_film_id_seq")" = \
		"$(psql_on src pagila -Atc "SELECT last_value FROM film_film_id_seq")" ]
	psql_on dst t -c "INSERT INTO film (title, language_id) VALUES ('new', 1)"
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM pg_trigger WHERE tgname = 'last_updated' AND tgrelid = 'film'::regclass")" = 1 ]
	# Only what film needs: no other table.
	[ "$(psql_on dst t -Atc "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace")" = film,language ]
}

@test "clone --include-table in a schema of its own brings the schemas, enum (and its array), composite type, domain with its check's function, collation, generated column's function and a sequence of another schema" {
	run --separate-stderr fdwcopy clone --verify --source "$D" --target "$T" --include-table app.t
	[ "$status" -eq 0 ]
	grep -qx '  added schema app: table app.t' <<<"$output"
	grep -qx '  added schema util: function util.twice(integer)' <<<"$output" ||
		grep -qx '  added schema util: sequence util.ids' <<<"$output" ||
		grep -qx '  added schema util: function util.is_positive(integer)' <<<"$output"
	grep -qx '  added type app.color: table column app.t.c' <<<"$output"
	grep -qx '  added type app.point2: table column app.t.pt' <<<"$output"
	grep -qx '  added domain app.positive: table column app.t.p' <<<"$output"
	grep -qx '  added function util.is_positive(integer): domain constraint positive_check on app.positive' <<<"$output"
	grep -qx '  added function util.twice(integer): default value for app.t.d' <<<"$output"
	grep -qx '  added collation app.bytes: table column app.t.n' <<<"$output"
	grep -qx '  added sequence util.ids: default value for app.t.id' <<<"$output"
	[[ $output == *"verify: equal: 1 tables"* ]]
	[ "$(psql_on dst t -Atc "SELECT obj_description('app.color'::regtype, 'pg_type')")" = "a color" ]
	[ "$(psql_on dst t -Atc "SELECT nextval('util.ids')")" = 51 ]
}

@test "table-list --dependencies: catalog oid, oid, action, relkind, type, identity, reason" {
	FDWCOPY_SOURCE=$S run --separate-stderr table-list --dependencies --include-table public.film
	[ "$status" -eq 0 ]
	oid=$(psql_on src pagila -Atc "SELECT 'public.film_film_id_seq'::regclass::oid")
	grep -qx "1259	$oid	add	S	sequence	public.film_film_id_seq	default value for public.film.film_id" <<<"$output"
	oid=$(psql_on src pagila -Atc "SELECT 'public.year'::regtype::oid")
	grep -qx "1247	$oid	add	-	domain	public.year	table column public.film.release_year" <<<"$output"
	# the relations (and so the work stream) include the added ones
	FDWCOPY_SOURCE=$S run --separate-stderr table-list --relations --with-dependencies --include-table public.film
	[ "$(cut -f3,4 <<<"$output" | paste -sd' ')" = "public	film public	film_film_id_seq public	language public	language_language_id_seq" ]
	# without --with-dependencies: pg_dump -t's selection
	FDWCOPY_SOURCE=$S run --separate-stderr table-list --relations --include-table public.film
	[ "$(cut -f3,4 <<<"$output" | paste -sd' ')" = "public	film" ]
}

@test "clone --exclude-table of a view leaves out the views depending on it, each named in a notice; verify passes" {
	run --separate-stderr fdwcopy clone --verify --source "$D" --target "$T" --exclude-table app.v_base
	[ "$status" -eq 0 ]
	# shellcheck disable=SC2154 # stderr is set by run --separate-stderr
	grep -qx 'fdwcopy: notice: excluded view app.v_top: it depends on view app.v_base, which is not selected' <<<"$stderr"
	grep -qx 'fdwcopy: notice: excluded materialized view app.mv_top: it depends on view app.v_top, which is not selected' <<<"$stderr"
	[ "$(grep -c 'notice: excluded' <<<"$stderr")" -eq 2 ]
	[[ $output == *"verify: equal: "* ]]
	[ "$(psql_on dst t -Atc "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relkind IN ('v', 'm') AND relnamespace = 'app'::regnamespace")" = v_other ]
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM app.t")" = 50 ]
}

@test "a foreign key to a table left out (--exclude-table, -n) is left out, named in a notice; clone, verify, dump and restore pass" {
	psql_on src -c "DROP DATABASE IF EXISTS fks" -c "CREATE DATABASE fks"
	psql_on src fks <<'SQL'
CREATE SCHEMA app;
CREATE SCHEMA ref;
CREATE TABLE ref.country (code text PRIMARY KEY);
CREATE TABLE app.customer (id int PRIMARY KEY, country text CONSTRAINT customer_country_fkey REFERENCES ref.country);
COMMENT ON CONSTRAINT customer_country_fkey ON app.customer IS 'where they live';
CREATE TABLE app.orders (id int PRIMARY KEY, customer int CONSTRAINT orders_customer_fkey REFERENCES app.customer);
CREATE TABLE app.events (id int, customer int CONSTRAINT events_customer_fkey REFERENCES app.customer) PARTITION BY RANGE (id);
CREATE TABLE app.events_1 PARTITION OF app.events FOR VALUES FROM (0) TO (1000);
INSERT INTO ref.country VALUES ('fr'), ('de');
INSERT INTO app.customer SELECT g, CASE WHEN g % 2 = 0 THEN 'fr' ELSE 'de' END FROM generate_series(1, 20) g;
INSERT INTO app.orders SELECT g, 1 + g % 20 FROM generate_series(1, 100) g;
INSERT INTO app.events SELECT g, 1 + g % 20 FROM generate_series(1, 100) g;
SQL
	F=$(pgsb_conninfo src fks)
	# --exclude-table of a referenced table: the two foreign keys to it go
	run --separate-stderr fdwcopy clone --verify --source "$F" --target "$T" --exclude-table app.customer
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 0 ]
	grep -qx 'fdwcopy: notice: excluded table constraint events_customer_fkey on app.events: it references table app.customer, which is not selected' <<<"$stderr"
	grep -qx 'fdwcopy: notice: excluded table constraint orders_customer_fkey on app.orders: it references table app.customer, which is not selected' <<<"$stderr"
	[ "$(grep -c 'notice: excluded' <<<"$stderr")" -eq 2 ]
	[[ $output == *"verify: equal: "* ]]
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM app.orders")" = 100 ]
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM app.events")" = 100 ]
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM pg_constraint WHERE contype = 'f'")" = 0 ]
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM pg_constraint WHERE contype = 'p' AND conrelid >= 16384")" = 2 ]
	# -n app: the foreign key to ref.country goes, with its comment; those inside app stay
	psql_on dst -c "DROP DATABASE t" -c "CREATE DATABASE t"
	run --separate-stderr fdwcopy clone --verify --source "$F" --target "$T" --include-schema app
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 0 ]
	grep -qx 'fdwcopy: notice: excluded table constraint customer_country_fkey on app.customer: it references table ref.country, which is not selected' <<<"$stderr"
	[ "$(grep -c 'notice: excluded' <<<"$stderr")" -eq 1 ]
	[[ $output == *"verify: equal: "* ]]
	[ "$(psql_on dst t -Atc "SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint WHERE contype = 'f' AND conparentid = 0")" = "events_customer_fkey,orders_customer_fkey" ]
	# dump and restore with the same filter
	run --separate-stderr fdwcopy dump -q --source "$F" --dir "$BATS_TEST_TMPDIR/bk" --exclude-table app.customer
	[ "$status" -eq 0 ]
	grep -q '^file	[0-9a-f]*	[0-9]*	selection-changes.tsv$' "$BATS_TEST_TMPDIR/bk/MANIFEST"
	psql_on dst -c "DROP DATABASE t" -c "CREATE DATABASE t"
	run --separate-stderr fdwcopy restore -q --dir "$BATS_TEST_TMPDIR/bk" --target "$T"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 0 ]
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM app.orders")" = 100 ]
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM pg_constraint WHERE contype = 'f'")" = 0 ]
	run --separate-stderr fdwcopy verify --source "$F" --target "$T" --exclude-table app.customer
	[ "$status" -eq 0 ]
}

@test "-N leaving out a sequence, a type and a function that a kept table needs: check and clone name each before anything is written" {
	psql_on src -c "DROP DATABASE IF EXISTS broken" -c "CREATE DATABASE broken"
	psql_on src broken <<'SQL'
CREATE SCHEMA other;
CREATE SEQUENCE other.seq;
CREATE TYPE other.mood AS ENUM ('ok', 'sad');
CREATE FUNCTION other.positive(int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT $1 > 0';
CREATE TABLE public.t (id int DEFAULT nextval('other.seq') CHECK (other.positive(id)), m other.mood[], v text);
CREATE TABLE public.fine (id int);
SQL
	B=$(pgsb_conninfo src broken)
	run --separate-stderr fdwcopy check --source "$B" --target "$T" --exclude-schema other
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 1 ]
	sed -n 's/^fdwcopy check: problem: //p' <<<"$stderr" >"$BATS_TEST_TMPDIR/check"
	cat >"$BATS_TEST_TMPDIR/expected" <<'EOF'
function other.positive(integer), which table constraint t_id_check on public.t needs, is left out by the filters and the target does not have it
sequence other.seq, which default value for public.t.id needs, is left out by the filters and the target does not have it
type other.mood, which table column public.t.m needs, is left out by the filters and the target does not have it
EOF
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/check"
	[[ $stderr == *"hint: select what they need too"* ]]
	run --separate-stderr fdwcopy clone --source "$B" --target "$T" --exclude-schema other
	[ "$status" -eq 1 ]
	sed -n 's/^fdwcopy clone: problem: //p' <<<"$stderr" | diff -u "$BATS_TEST_TMPDIR/expected" -
	[[ $stderr == *"nothing was written to the target"* ]]
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM pg_class WHERE relname IN ('t', 'fine')")" = 0 ]
	# leaving out the table that needs them too: the clone works
	run --separate-stderr fdwcopy clone --verify --source "$B" --target "$T" --exclude-schema other --exclude-table public.t
	[ "$status" -eq 0 ]
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM pg_class WHERE relname IN ('t', 'fine')")" = 1 ]
}

@test "a failed pre-data statement is shown with psql's LINE and its TOC entry" {
	psql_on src -c "DROP DATABASE IF EXISTS broken" -c "CREATE DATABASE broken"
	psql_on src broken -c "CREATE TABLE public.t (id int, v text)"
	# the target (--clean: it need not be empty) refuses CREATE TABLE in public
	# (not the checks' temporary tables) with an error that has a position
	psql_on dst t <<'SQL'
CREATE FUNCTION refuse() RETURNS event_trigger LANGUAGE plpgsql AS $$BEGIN
  IF EXISTS (SELECT FROM pg_event_trigger_ddl_commands() WHERE schema_name = 'public') THEN
    EXECUTE 'SELECT no_such_column FROM pg_class';
  END IF;
END$$;
CREATE EVENT TRIGGER refuse_tables ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION refuse();
SQL
	run --separate-stderr fdwcopy clone --clean --source "$(pgsb_conninfo src broken)" --target "$T"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 1 ]
	[[ $stderr == *'psql:<stdin>:'*': ERROR:  column "no_such_column" does not exist'* ]]
	grep -q "^LINE 1: SELECT no_such_column FROM pg_class" <<<"$stderr"
	[[ $stderr == *"fdwcopy: error: restoring the pre-data into the target failed (rolled back; nothing was written)"* ]]
	grep -Eqx 'fdwcopy: detail: the statement at line [0-9]+ of the pre-data failed: TOC entry TABLE, schema public, name t, owner postgres' <<<"$stderr"
	[ "$(psql_on dst t -Atc "SELECT count(*) FROM pg_class WHERE relname = 't'")" = 0 ]
}
