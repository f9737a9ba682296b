#!/usr/bin/env bats
# fdwcopy check: every problem that would stop a clone, listed before anything
# is written (exit 0 clean, 1 with the list): a target that is not empty (a
# function only, a table), missing owner and grantee roles (not with
# --no-owner / --no-acl), an extension the target role cannot create, an
# unmapped server or user mapping, a user mapping's role moved by the map to a
# role the target lacks, a pg_dump or target older than the source, a work
# directory that is not one; with --roles, the roles clone --roles creates
# are none, but what creating them needs is; several problems in one run, counted; clone
# refuses with the same list and writes nothing; restore finds the same
# problems from what fdwcopy dump recorded in the backup.

bats_require_minimum_version 1.5.0
load ../lib/pgsandbox
load ../lib/fdwlayout

setup_file() {
	pgsb_start src dst
	make_archive src archive_db "source archive"
	make_fdw_source src fdwsrc src archive_db
	# A database whose objects need roles the target cluster lacks, with a
	# foreign server.
	psql_on src -c "CREATE ROLE ghost_owner" -c "CREATE ROLE ghost_reader" -c "CREATE DATABASE roles"
	psql_on src roles <<'SQL'
CREATE EXTENSION postgres_fdw;
CREATE SERVER ghost_srv FOREIGN DATA WRAPPER postgres_fdw OPTIONS (dbname 'nowhere');
CREATE SCHEMA app;
CREATE TABLE app.t (id int PRIMARY KEY);
ALTER TABLE app.t OWNER TO ghost_owner;
GRANT SELECT ON app.t TO ghost_reader;
CREATE TABLE app.u (id int);
SQL
	export MAP="$BATS_FILE_TMPDIR/staging.map"
	(umask 077 && cat >"$MAP" <<MAP
[server:archive_server]
[server:reporting_srv]
[user-mapping:*@archive_server]
[user-mapping:postgres@reporting_srv]
[user-mapping:alice@reporting_srv]
drop = true
MAP
)
	S=$(pgsb_conninfo src fdwsrc)
	R=$(pgsb_conninfo src roles)
	export S R
}

teardown_file() { pgsb_stop; }

setup() { T=$BATS_TEST_TMPDIR; }

fresh_db() { psql_on dst -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null; }

# problems: the problem lines of the last run's stderr, without their prefix.
# shellcheck disable=SC2154 # stderr is set by run --separate-stderr
problems() { sed -n 's/^fdwcopy [a-z]*: problem: //p' <<<"$stderr"; }

@test "check: a clean pair exits 0, says the versions and the sizes; clone then succeeds and check --data-only agrees" {
	fresh_db c1
	run --separate-stderr fdwcopy check --fdw-map "$MAP" --dir "$T/work" --source "$S" --target "$(pgsb_conninfo dst c1)"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 0 ]
	[[ $output == *"versions: source PostgreSQL 15."*", target PostgreSQL 15."* ]]
	[[ $output == *"space: the source database takes "*" MB (pg_database_size)"* ]]
	[[ $output == *"fdwcopy check: no problems found"* ]]
	[ -z "$(problems)" ]
	# checked, not created
	[ ! -e "$T/work" ]
	run --separate-stderr fdwcopy clone -q --fdw-map "$MAP" --source "$S" --target "$(pgsb_conninfo dst c1)"
	[ "$status" -eq 0 ]
	run --separate-stderr fdwcopy check -q --data-only --source "$S" --target "$(pgsb_conninfo dst c1)"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# the clone's target is no longer empty
	run --separate-stderr fdwcopy check -q --fdw-map "$MAP" --source "$S" --target "$(pgsb_conninfo dst c1)"
	[ "$status" -eq 1 ]
	grep -qx 'the target is not empty: it has table public.orders' <<<"$(problems)"
}

@test "check: a target with a function only is not empty; then a schema and a table; an extension's objects are not counted" {
	fresh_db c2
	psql_on dst c2 -c "CREATE EXTENSION citext" -c "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'"
	run --separate-stderr fdwcopy check --fdw-map "$MAP" --source "$S" --target "$(pgsb_conninfo dst c2)"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 1 ]
	[ "$(problems)" = "the target is not empty: it has function public.f()" ]
	[[ $stderr == *"fdwcopy: error: 1 problem found"* ]]
	[[ $stderr == *"hint: copy into an empty database"* ]]
	psql_on dst c2 -c "CREATE SCHEMA s" -c "CREATE TABLE s.x (id serial PRIMARY KEY)"
	run --separate-stderr fdwcopy check --fdw-map "$MAP" --source "$S" --target "$(pgsb_conninfo dst c2)"
	[ "$status" -eq 1 ]
	printf '%s\n' "schema s" "function public.f()" "table s.x" | sed 's/^/the target is not empty: it has /' >"$T/expected"
	diff -u "$T/expected" <(problems)
	[[ $stderr == *"fdwcopy: error: 3 problems found"* ]]
	# the clone would drop the copy's objects: the target need not be empty
	run --separate-stderr fdwcopy check -q --clean --fdw-map "$MAP" --source "$S" --target "$(pgsb_conninfo dst c2)"
	[ "$status" -eq 0 ]
}

@test "check: a missing owner role and a missing grantee are named, and not with --no-owner or --no-acl" {
	fresh_db c3
	run --separate-stderr fdwcopy check --fdw-map keep --source "$R" --target "$(pgsb_conninfo dst c3)"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 1 ]
	printf '%s\n' 'role "ghost_owner" does not exist on the target: owner of table app.t' \
		'role "ghost_reader" does not exist on the target: privileges on table app.t' >"$T/expected"
	diff -u "$T/expected" <(problems)
	[[ $stderr == *"pg_dumpall --roles-only"* ]]
	run --separate-stderr fdwcopy check --no-owner --fdw-map keep --source "$R" --target "$(pgsb_conninfo dst c3)"
	[ "$status" -eq 1 ]
	[ "$(problems)" = 'role "ghost_reader" does not exist on the target: privileges on table app.t' ]
	run --separate-stderr fdwcopy check --no-acl --fdw-map keep --source "$R" --target "$(pgsb_conninfo dst c3)"
	[ "$status" -eq 1 ]
	[ "$(problems)" = 'role "ghost_owner" does not exist on the target: owner of table app.t' ]
	# only the selected objects count: app.u needs no missing role
	run --separate-stderr fdwcopy check -q --fdw-map keep --include-table app.u --source "$R" --target "$(pgsb_conninfo dst c3)"
	[ "$status" -eq 0 ]
	run --separate-stderr fdwcopy check -q --no-owner --no-acl --fdw-map keep --source "$R" --target "$(pgsb_conninfo dst c3)"
	[ "$status" -eq 0 ]
}

@test "check: an untrusted extension a non-superuser target cannot create; one owned by another role takes no comment" {
	fresh_db c4
	psql_on dst -c "DO \$\$BEGIN CREATE ROLE app LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END\$\$" \
		-c "ALTER DATABASE c4 OWNER TO app"
	APP=$(pgsb_conninfo dst c4)
	APP=${APP/user=postgres/user=app}
	run --separate-stderr fdwcopy check --no-owner --fdw-map "$MAP" --source "$S" --target "$APP"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 1 ]
	[ "$(problems)" = 'extension "postgres_fdw" cannot be created on the target: it is not trusted and the target role "app" is not a superuser' ]
	# created by a superuser: there, but its comment needs its owner
	psql_on dst c4 -c "CREATE EXTENSION postgres_fdw"
	run --separate-stderr fdwcopy check --no-owner --fdw-map "$MAP" --source "$S" --target "$APP"
	[ "$status" -eq 1 ]
	[ "$(problems)" = 'extension "postgres_fdw" is owned by "postgres" on the target: the target role "app" cannot set its comment' ]
	run --separate-stderr fdwcopy check -q --no-owner --no-comments --fdw-map "$MAP" --source "$S" --target "$APP"
	[ "$status" -eq 0 ]
	run --separate-stderr fdwcopy check -q --no-owner --exclude-extension postgres_fdw --fdw-map "$MAP" --source "$S" --target "$APP"
	[ "$status" -eq 0 ]
	# a non-superuser target must be a member of each owner
	run --separate-stderr fdwcopy check -q --no-comments --fdw-map "$MAP" --source "$S" --target "$APP"
	[ "$status" -eq 1 ]
	[[ $(problems) == 'role "postgres" cannot own the copied objects: the target role "app" is not a member of it: owner of '* ]]
}

@test "check --roles: the roles clone --roles creates are no problem, a role only the map names is; what creating them needs" {
	fresh_db c8
	run --separate-stderr fdwcopy check --roles --fdw-map keep --source "$R" --target "$(pgsb_conninfo dst c8)"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 0 ]
	[ -z "$(problems)" ]
	# (without --roles both are problems: the test above)
	# a user mapping the map moves to a role the source lacks: --roles cannot create it
	(umask 077 && sed 's/^drop = true$/role = nobody_here/' "$MAP" >"$T/moved.map")
	run --separate-stderr fdwcopy check --roles --fdw-map "$T/moved.map" --source "$S" --target "$(pgsb_conninfo dst c8)"
	[ "$status" -eq 1 ]
	[ "$(problems)" = 'role "nobody_here" does not exist on the target: user mapping on server "reporting_srv"' ]
	# a source role that cannot read pg_authid (the roles' passwords)
	psql_on src -c "DO \$\$BEGIN CREATE ROLE lurker LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END\$\$"
	run --separate-stderr fdwcopy check --roles --fdw-map keep --source "$R user=lurker" --target "$(pgsb_conninfo dst c8)"
	[ "$status" -eq 1 ]
	[ "$(problems)" = "--roles: the source role cannot read pg_authid, where pg_dumpall reads the roles' passwords" ]
	[[ $stderr == *"hint: pass --no-role-passwords"* ]]
	run --separate-stderr fdwcopy check -q --roles --no-role-passwords --fdw-map keep --source "$R user=lurker" --target "$(pgsb_conninfo dst c8)"
	[ "$status" -eq 0 ]
	# a target role that cannot create roles, nor own what a created role owns
	psql_on dst -c "DO \$\$BEGIN CREATE ROLE app LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END\$\$" \
		-c "ALTER DATABASE c8 OWNER TO app"
	APP=$(pgsb_conninfo dst c8)
	run --separate-stderr fdwcopy check --roles --exclude-extension postgres_fdw --fdw-map keep --source "$R" --target "${APP/user=postgres/user=app}"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 1 ]
	printf '%s\n' '--roles: the target role "app" cannot create the 2 roles the target lacks (it has neither CREATEROLE nor SUPERUSER)' \
		'role "ghost_owner" is created by --roles, but cannot own the copied objects: the target role "app" is not a superuser: owner of table app.t' \
		'role "postgres" cannot own the copied objects: the target role "app" is not a member of it: owner of schema app and 2 more' >"$T/expected"
	diff -u "$T/expected" <(problems)
	run --separate-stderr fdwcopy check --roles --data-only --source "$R" --target "$APP"
	[ "$status" -eq 2 ]
	run --separate-stderr fdwcopy check --no-role-passwords --source "$R" --target "$APP"
	[ "$status" -eq 2 ]
}

@test "check: unmapped servers, an uncovered user mapping, and a mapping moved to a role the target lacks" {
	fresh_db c5
	run --separate-stderr fdwcopy check --source "$S" --target "$(pgsb_conninfo dst c5)"
	[ "$status" -eq 1 ]
	printf '%s\n' 'foreign server "archive_server" is not mapped: no --fdw-map was given' \
		'foreign server "reporting_srv" is not mapped: no --fdw-map was given' >"$T/expected"
	diff -u "$T/expected" <(problems)
	[[ $stderr == *"--fdw-map=keep"* ]]
	(umask 077 && head -n 2 "$MAP" >"$T/partial.map")
	run --separate-stderr fdwcopy check --fdw-map "$T/partial.map" --source "$S" --target "$(pgsb_conninfo dst c5)"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 1 ]
	printf '%s\n' 'user mapping for "postgres" on server "archive_server" is not in the map' \
		'user mapping for PUBLIC on server "archive_server" is not in the map' \
		'user mapping for "alice" on server "reporting_srv" is not in the map' \
		'user mapping for "postgres" on server "reporting_srv" is not in the map' |
		sed "s|\$| (map $T/partial.map)|" | sort >"$T/expected"
	diff -u "$T/expected" <(problems | sort)
	# the map moves alice's mapping to a role the target lacks
	(umask 077 && sed 's/^drop = true$/role = nobody_here/' "$MAP" >"$T/moved.map")
	run --separate-stderr fdwcopy check --fdw-map "$T/moved.map" --source "$S" --target "$(pgsb_conninfo dst c5)"
	[ "$status" -eq 1 ]
	[ "$(problems)" = 'role "nobody_here" does not exist on the target: user mapping on server "reporting_srv"' ]
	# kept unchanged, alice's mapping needs alice
	run --separate-stderr fdwcopy check --fdw-map keep --source "$S" --target "$(pgsb_conninfo dst c5)"
	[ "$status" -eq 1 ]
	[ "$(problems)" = 'role "alice" does not exist on the target: user mapping on server "reporting_srv"' ]
}

@test "check: several problems in one run, each listed and counted; clone refuses with the same list and writes nothing" {
	fresh_db c6
	psql_on dst c6 -c "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'"
	touch "$T/afile"
	run --separate-stderr fdwcopy check --dir "$T/afile" --source "$R" --target "$(pgsb_conninfo dst c6)"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 1 ]
	printf '%s\n' 'the target is not empty: it has function public.f()' \
		'foreign server "ghost_srv" is not mapped: no --fdw-map was given' \
		'role "ghost_owner" does not exist on the target: owner of table app.t' \
		'role "ghost_reader" does not exist on the target: privileges on table app.t' \
		"work directory \"$T/afile\": \"$T/afile\" is not a directory" >"$T/expected"
	diff -u "$T/expected" <(problems)
	[ "$(grep -c '^fdwcopy check: problem: ' <<<"$stderr")" -eq 5 ]
	[[ $stderr == *"fdwcopy: error: 5 problems found"* ]]
	schema_of dst c6 >"$T/before.sql"
	run --separate-stderr fdwcopy clone --source "$R" --target "$(pgsb_conninfo dst c6)"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 3 ]
	head -n 4 "$T/expected" >"$T/expected4"
	diff -u "$T/expected4" <(problems)
	[[ $stderr == *"fdwcopy: error: 4 problems found before anything was written; nothing was written to the target"* ]]
	schema_of dst c6 >"$T/after.sql"
	diff -u "$T/before.sql" "$T/after.sql"
}

@test "check: a pg_dump older than the source, and a restore into a target older than the backup's server" {
	fresh_db c7
	mkdir "$T/bin"
	# (only its --version is older)
	# shellcheck disable=SC2016 # the script's own $1 and $@
	printf '#!/bin/sh\n[ "$1" != --version ] || { echo "pg_dump (PostgreSQL) 14.9"; exit 0; }\nexec %s "$@"\n' \
		"$(command -v pg_dump)" >"$T/bin/pg_dump"
	chmod +x "$T/bin/pg_dump"
	run --separate-stderr env PATH="$T/bin:$PATH" fdwcopy check --fdw-map "$MAP" --source "$S" --target "$(pgsb_conninfo dst c7)"
	[ "$status" -eq 1 ]
	[[ $(problems) == "pg_dump 14.9 cannot dump the source's PostgreSQL 15."*" (pg_dump of version 15 or newer is needed)" ]]
	fdwcopy dump -q --source "$R" --dir "$T/backup"
	sed -i -e 's/^server_version_num\t.*/server_version_num\t170002/' -e 's/^server_version\t.*/server_version\t17.2/' "$T/backup/MANIFEST"
	run --separate-stderr fdwcopy restore -q --fdw-map keep --dir "$T/backup" --target "$(pgsb_conninfo dst c7)"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 1 ]
	# (with the roles the backup's objects need, that the target lacks)
	problems | grep -q "^the target runs PostgreSQL 15.*, older than the source's 17.2: a newer server's schema may not restore into an older one$"
	[ "$(psql_on dst c7 -Atc "SELECT count(*) FROM pg_class WHERE relname = 't'")" = 0 ]
}

@test "restore: the problems of check, found with what the backup recorded (roles, extensions), listed together; nothing written" {
	fresh_db c8
	psql_on dst -c "DO \$\$BEGIN CREATE ROLE app LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END\$\$" \
		-c "ALTER DATABASE c8 OWNER TO app"
	APP=$(pgsb_conninfo dst c8)
	APP=${APP/user=postgres/user=app}
	run --separate-stderr fdwcopy check --fdw-map keep --source "$R" --target "$APP"
	[ "$status" -eq 1 ]
	problems >"$T/check.problems"
	# owners, a grantee, an extension the role cannot create
	grep -q '^role "ghost_owner" does not exist on the target: owner of table app.t$' "$T/check.problems"
	grep -q '^role "ghost_reader" does not exist on the target: privileges on table app.t$' "$T/check.problems"
	grep -q '^extension "postgres_fdw" cannot be created on the target: it is not trusted' "$T/check.problems"
	fdwcopy dump -q --source "$R" --dir "$T/backup"
	run --separate-stderr fdwcopy restore --fdw-map keep --dir "$T/backup" --target "$APP"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 1 ]
	[[ $stderr == *"problems found before anything was written; nothing was written to the target"* ]]
	problems >"$T/restore.problems"
	diff -u "$T/check.problems" "$T/restore.problems"
	[ "$(psql_on dst c8 -Atc "SELECT count(*) FROM pg_namespace WHERE nspname = 'app'")" = 0 ]
	# a backup without the files (an older fdwcopy dump) is restored unchecked for them, and says so
	sed -i '/	roles-needed.tsv$/d; /	extensions.tsv$/d' "$T/backup/MANIFEST"
	rm "$T/backup/roles-needed.tsv" "$T/backup/extensions.tsv"
	run --separate-stderr fdwcopy restore -q --fdw-map keep --dir "$T/backup" --target "$APP"
	[ "$status" -eq 1 ]
	[[ $stderr == *"the backup does not record the extensions and roles it needs (made by an older fdwcopy dump): the target is not checked for them"* ]]
	[ -z "$(problems)" ]
}

@test "check: usage errors exit 2" {
	run --separate-stderr fdwcopy check --frobnicate --target dbname=x
	[ "$status" -eq 2 ]
	[[ $stderr == *'unrecognised option "--frobnicate"'* ]]
	run --separate-stderr fdwcopy check --source dbname=x
	[ "$status" -eq 2 ]
	run --separate-stderr fdwcopy check --include-table 'a.b.c.d' --source dbname=x --target dbname=y
	[ "$status" -eq 2 ]
}

@test "check: an unreachable target is a problem, listed with the others found without it" {
	touch "$T/afile"
	run --separate-stderr fdwcopy check --dir "$T/afile/w" --source "$S" --target "host=$PGSB_DIR port=1 dbname=nowhere"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 1 ]
	grep -q '^could not connect to the target: connection to server on socket ".*" failed: ' <<<"$(problems)"
	grep -qx "work directory \"$T/afile/w\": \"$T/afile\" is not a directory" <<<"$(problems)"
	[[ $stderr == *"fdwcopy: error: 2 problems found"* ]]
}
