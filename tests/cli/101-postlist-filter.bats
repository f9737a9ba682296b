#!/usr/bin/env bats
# postlist-filter on real pg_restore -l lists of pagila and of the FDW test
# database: what pg_restore -L restores from the filtered list is exactly what
# was selected, checked on the target.

load ../lib/pgsandbox
load ../lib/fdwlayout

setup_file() {
	# One cluster keeps the file fast: the archive database lives beside the source.
	pgsb_start src
	make_archive src archive_db "source archive"
	make_fdw_source src fdwsrc src archive_db >/dev/null
	load_pagila src pagila
	# Nearly every entry type pg_dump writes, with comments, ACLs, DEFAULT ACL.
	psql_on src -c "CREATE DATABASE alltypes"
	psql_on src alltypes -f "$FIXTURES/filters/alltypes.sql" >/dev/null 2>&1
	pg_dump -Fc -d "$(pgsb_conninfo src alltypes)" -f "$BATS_FILE_TMPDIR/alltypes.dump"
	pg_restore -l "$BATS_FILE_TMPDIR/alltypes.dump" >"$BATS_FILE_TMPDIR/alltypes.list"
	pg_dump -Fc -d "$(pgsb_conninfo src pagila)" -f "$BATS_FILE_TMPDIR/pagila.dump"
	pg_dump -Fc -d "$(pgsb_conninfo src fdwsrc)" -f "$BATS_FILE_TMPDIR/fdw.dump"
	pg_restore -l "$BATS_FILE_TMPDIR/pagila.dump" >"$BATS_FILE_TMPDIR/pagila.list"
	pg_restore -l "$BATS_FILE_TMPDIR/fdw.dump" >"$BATS_FILE_TMPDIR/fdw.list"
}

teardown_file() { pgsb_stop; }

setup() {
	F=$BATS_FILE_TMPDIR
	T=$BATS_TEST_TMPDIR
}

# active LIST: the entry lines pg_restore -L would restore.
active() { grep -v '^;' "$1" | grep -v '^$' || true; }

@test "postlist-filter --help prints usage to stdout and exits 0" {
	postlist-filter --help >"$T/out" 2>"$T/err"
	grep -q '^Usage:' "$T/out"
	grep -q -- '--done FILE' "$T/out"
	[ ! -s "$T/err" ]
}

@test "postlist-filter --version exits 0" {
	postlist-filter --version >"$T/out" 2>"$T/err"
	[ "$(cat "$T/out")" = "postlist-filter (fdwcopy) 0.1.0" ]
	[ ! -s "$T/err" ]
}

@test "postlist-filter: bad options exit 2 with a message on stderr" {
	rc=0; postlist-filter --frobnicate </dev/null >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 2 ]
	[ ! -s "$T/out" ]
	grep -q '^postlist-filter: error: .*frobnicate' "$T/err"
	grep -qx 'Try "postlist-filter --help" for more information.' "$T/err"
	rc=0; postlist-filter --section=predata </dev/null >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 2 ]
	grep -qx 'postlist-filter: error: invalid section "predata" (pre-data, data or post-data)' "$T/err"
	rc=0; postlist-filter --exclude-type 'FK CONSTRAINTS' </dev/null >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 2 ]
	grep -qx 'postlist-filter: error: unknown entry type "FK CONSTRAINTS"' "$T/err"
}

@test "postlist-filter without filters passes real lists through byte for byte" {
	for l in pagila fdw alltypes; do
		postlist-filter <"$F/$l.list" >"$T/$l.out"
		cmp "$F/$l.list" "$T/$l.out"
	done
}

@test "postlist-filter --section keeps exactly pg_restore's entries of that section" {
	for l in pagila fdw alltypes; do
		for s in pre-data data post-data; do
			postlist-filter --section "$s" <"$F/$l.list" >"$T/out"
			active "$T/out" >"$T/mine"
			pg_restore -l --section="$s" "$F/$l.dump" >"$T/theirs.list"
			active "$T/theirs.list" >"$T/theirs"
			diff -u "$T/theirs" "$T/mine"
			# Never deleted: same lines once the ';' prefixes are removed.
			sed 's/^;\([0-9]\)/\1/' "$T/out" | cmp - "$F/$l.list"
		done
	done
}

@test "pagila: post-data list with --done restores the rest; target schema equals source" {
	psql_on src -c "CREATE DATABASE pg_done"
	pg_restore --section=pre-data --section=data --exit-on-error \
		-d "$(pgsb_conninfo src pg_done)" "$F/pagila.dump"
	# What index-build would have done for two objects.
	psql_on src pg_done -c "ALTER TABLE public.actor ADD CONSTRAINT actor_pkey PRIMARY KEY (actor_id)" \
		-c "CREATE INDEX idx_actor_last_name ON public.actor USING btree (last_name)"
	pk=$(awk '$4 == "CONSTRAINT" && $7 == "actor_pkey" { print $3 }' "$F/pagila.list")
	ix=$(awk '$4 == "INDEX" && $6 == "idx_actor_last_name" { print $3 }' "$F/pagila.list")
	printf '# done\n2606\t%s\tCONSTRAINT\tpublic\tactor_pkey\n1259\t%s\tINDEX\tpublic\tidx_actor_last_name\n' \
		"$pk" "$ix" >"$T/done"
	postlist-filter --section=post-data --done "$T/done" <"$F/pagila.list" >"$T/post.list"
	grep -c "^;[0-9]*; 2606 $pk CONSTRAINT public actor actor_pkey postgres\$" "$T/post.list"
	grep -c "^;[0-9]*; 1259 $ix INDEX public idx_actor_last_name postgres\$" "$T/post.list"
	# --exit-on-error: any entry restored twice would fail with "already exists".
	pg_restore -L "$T/post.list" --exit-on-error -d "$(pgsb_conninfo src pg_done)" "$F/pagila.dump"
	schema_of src pagila >"$T/src.sql"
	schema_of src pg_done >"$T/dst.sql"
	diff -u "$T/src.sql" "$T/dst.sql"
}

@test "fdw: --exclude-schema keeps the extension, servers and user mappings" {
	postlist-filter --exclude-schema public <"$F/fdw.list" >"$T/list"
	psql_on src -c "CREATE DATABASE fdw_noschema"
	pg_restore -L "$T/list" --exit-on-error -d "$(pgsb_conninfo src fdw_noschema)" "$F/fdw.dump"
	psql_on src fdw_noschema -Atc "SELECT srvname FROM pg_foreign_server ORDER BY 1" >"$T/out"
	printf 'archive_server\nreporting_srv\n' >"$T/expected"
	diff -u "$T/expected" "$T/out"
	psql_on src fdw_noschema -Atc "SELECT count(*) FROM pg_user_mappings" >"$T/out"
	[ "$(cat "$T/out")" = 4 ]
	psql_on src fdw_noschema -Atc "SELECT extname FROM pg_extension WHERE extname = 'postgres_fdw'" >"$T/out"
	[ "$(cat "$T/out")" = postgres_fdw ]
	psql_on src fdw_noschema -Atc "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'f', 'S', 'v', 'm', 'i')" >"$T/out"
	[ "$(cat "$T/out")" = 0 ]
	psql_on src fdw_noschema -Atc "SELECT to_regproc('public.orders_touch') IS NULL" >"$T/out"
	[ "$(cat "$T/out")" = t ]
}

@test "fdw: --exclude-table and --exclude-type restore exactly the selected objects" {
	# (an INDEX ATTACH entry is tagged with the partition's index, not with a
	# table: excluding the indexes takes excluding their attachments too)
	postlist-filter --exclude-table 'measurements*' --exclude-type INDEX --exclude-type 'INDEX ATTACH' <"$F/fdw.list" >"$T/list"
	psql_on src -c "CREATE DATABASE fdw_part"
	pg_restore -L "$T/list" --exit-on-error -d "$(pgsb_conninfo src fdw_part)" "$F/fdw.dump"
	psql_on src fdw_part -Atc "SELECT c.relname || ' ' || c.relkind::text FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' ORDER BY 1" >"$T/out"
	cat >"$T/expected" <<-EOF
		invoice_no S
		items r
		items_code_key i
		items_id_seq S
		items_pkey i
		orders r
		orders_id_seq S
		orders_pkey i
		reporting_summary f
	EOF
	diff -u "$T/expected" "$T/out"
	psql_on src fdw_part -Atc "SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM orders),
		(SELECT last_value FROM invoice_no),
		(SELECT count(*) FROM pg_trigger WHERE tgname = 'orders_touch'),
		(SELECT count(*) FROM pg_constraint WHERE conname = 'orders_item_id_fkey')" >"$T/out"
	[ "$(cat "$T/out")" = "200|5000|1234|1|1" ]
	# The foreign table still reaches its server through the kept user mapping.
	psql_on src fdw_part -Atc "SELECT k FROM reporting_summary" >"$T/out"
	[ "$(cat "$T/out")" = "source archive" ]
}

@test "fdw: --exclude-table comments the table's tagged dependents, not its indexes" {
	postlist-filter --exclude-table public.orders <"$F/fdw.list" >"$T/list"
	grep '^;[0-9]' "$T/list" | cut -d' ' -f4- >"$T/out"
	cat >"$T/expected" <<-'EOF'
		TABLE public orders postgres
		DEFAULT public orders id postgres
		TABLE DATA public orders postgres
		CONSTRAINT public orders orders_pkey postgres
		TRIGGER public orders orders_touch postgres
		FK CONSTRAINT public orders orders_item_id_fkey postgres
	EOF
	diff -u "$T/expected" "$T/out"
	grep -q '^[0-9]*; 1259 [0-9]* INDEX public orders_created_idx postgres$' "$T/list"
}

@test "postlist-filter: a malformed done line is an error naming FILE:LINE" {
	printf '1259\t16444\tINDEX\tpublic\tok_idx\n1259\tnot-an-oid\tINDEX\tpublic\tbad\n' >"$T/done"
	rc=0; postlist-filter --done "$T/done" <"$F/fdw.list" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 1 ]
	[ ! -s "$T/out" ]
	grep -q "^postlist-filter: error: $T/done:2: invalid object oid \"not-an-oid\"" "$T/err"
	rc=0; postlist-filter --done "$T/missing" <"$F/fdw.list" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 1 ]
	grep -qx "postlist-filter: error: could not open done file \"$T/missing\": No such file or directory" "$T/err"
}

@test "postlist-filter: an unparsable line passes through with a warning" {
	{ head -3 "$F/fdw.list"; echo "this is not an entry"; tail -n +4 "$F/fdw.list"; } >"$T/in"
	postlist-filter --section data <"$T/in" >"$T/out" 2>"$T/err"
	[ "$(cat "$T/err")" = "postlist-filter: warning: line 4 ignored: this is not an entry" ]
	[ "$(sed -n 4p "$T/out")" = "this is not an entry" ]
	postlist-filter -q <"$T/in" >"$T/out" 2>"$T/err"
	[ ! -s "$T/err" ]
	cmp "$T/in" "$T/out"
}
