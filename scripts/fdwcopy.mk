# fdwcopy.mk: resumable, make -j parallel migrations with the fdwcopy tools.
# Set SOURCE, TARGET and FDW_MAP in your Makefile, then include this file:
#
#   SOURCE  = service=prod
#   TARGET  = service=staging
#   FDW_MAP = staging.map
#   include /usr/local/share/fdwcopy/fdwcopy.mk
#
# `make -j8 migrate` clones SOURCE into TARGET; rerunning make after a failure
# redoes only what is not done. GNU make 4 or later. See fdwcopy.mk(7).
#
# Layout. Each public target (migrate, schema, pre-data, data, post-data,
# verify, table-SCHEMA.NAME, sequence-SCHEMA.NAME, large-objects) is a thin
# wrapper whose recipe runs a sub-make of the same makefile with FDWCOPY_INNER=1,
# where the real rules live. The wrapper's shell owns the snapshot: on a fresh
# run it starts snapshot-hold as a coprocess, passes the snapshot id to the
# sub-make, and closes the holder's stdin when the sub-make ends, however it
# ends (an exported snapshot lives only as long as the session that exported it,
# and a make recipe is the only place that lives exactly as long as the run).
# A later run cannot have that snapshot back: it proceeds without one and says
# so, as `fdwcopy clone --resume` does.
#
# The per-table rules are generated (items.mk) from table-list's work stream;
# GNU make remakes that included makefile first and re-reads it.

ifneq ($(filter 0.% 1.% 2.% 3.%,$(MAKE_VERSION)),)
$(error fdwcopy.mk needs GNU make 4 or later, this is $(MAKE_VERSION))
endif

# ---------------------------------------------------------------- settings
# Set these before the include line (rule targets are expanded when read).
WORKDIR ?= fdwcopy-work
ifeq ($(origin JOBS),undefined)
JOBS := $(shell nproc 2>/dev/null || echo 2)
endif
INDEX_JOBS ?= $(JOBS)
SPLIT ?=
FDW_MAP ?=
VERIFY ?= yes
TABLE_LIST_OPTIONS ?=
COPY_TABLE_OPTIONS ?=
INDEX_BUILD_OPTIONS ?=
PG_DUMP_OPTIONS ?=
PG_RESTORE_OPTIONS ?=
VERIFY_OPTIONS ?=
REFRESH_OPTIONS ?=

fdwcopy_w := $(patsubst %/,%,$(WORKDIR))
fdwcopy_top := $(firstword $(MAKEFILE_LIST))
fdwcopy_public := migrate schema pre-data data post-data verify large-objects

# The tools read FDWCOPY_SOURCE / FDWCOPY_TARGET: the conninfo strings travel in
# the environment, never on a command line (where ps would show a password).
fdwcopy_env_source := $(value FDWCOPY_SOURCE)
fdwcopy_env_target := $(value FDWCOPY_TARGET)
export FDWCOPY_SOURCE = $(if $(SOURCE),$(SOURCE),$(fdwcopy_env_source))
export FDWCOPY_TARGET = $(if $(TARGET),$(TARGET),$(fdwcopy_env_target))

fdwcopy_quote = '$(subst ','\'',$1)'
fdwcopy_mode := $(findstring n,$(firstword -$(MAKEFLAGS)))$(findstring q,$(firstword -$(MAKEFLAGS)))$(findstring t,$(firstword -$(MAKEFLAGS)))

ifndef FDWCOPY_INNER
# ================================================================= wrappers

.PHONY: $(fdwcopy_public) clean
fdwcopy_run = +@bash -c 'eval "$$FDWCOPY_RUN_SH"' fdwcopy.mk $(call fdwcopy_quote,$(MAKE)) $(call fdwcopy_quote,$@) $(call fdwcopy_quote,$(fdwcopy_w)) $(call fdwcopy_quote,$(fdwcopy_top)) $(fdwcopy_mode)
$(fdwcopy_public):
	$(fdwcopy_run)
table-% sequence-%:
	$(fdwcopy_run)

# clean removes the work directory (stamps, schema.dump, lists); it does not
# touch the target database.
clean:
	rm -rf $(call fdwcopy_quote,$(fdwcopy_w))

# Goals given together run one after the other, even under -j: two wrappers
# at once would hold two snapshots and race for the same stamps.
fdwcopy_goals := $(filter $(fdwcopy_public) clean table-% sequence-%,$(MAKECMDGOALS))
fdwcopy_chain = $(if $(word 2,$1),$(eval $(word 2,$1): | $(word 1,$1))$(call fdwcopy_chain,$(wordlist 2,$(words $1),$1)))
$(call fdwcopy_chain,$(fdwcopy_goals))

# The wrapper: $1 make, $2 goal, $3 work directory, $4 top makefile, $5 n/q/t
# when make runs with -n/-q/-t. Plain bash, exported as FDWCOPY_RUN_SH.
define fdwcopy_run_sh
set -euo pipefail
make=$1 goal=$2 w=$3 top=$4 mode=${5-}
me=fdwcopy.mk
sub() { "$make" --no-print-directory -f "$top" FDWCOPY_INNER=1 "$@"; }

for side in SOURCE TARGET; do
	var=FDWCOPY_$side
	if [ -z "${!var-}" ]; then
		echo "$me: error: $side is not set" >&2
		echo "hint: set $side to a libpq conninfo string or URI before the include line (see fdwcopy.mk(7))" >&2
		exit 2
	fi
done
if [ "$FDWCOPY_SOURCE" = "$FDWCOPY_TARGET" ]; then
	echo "$me: error: SOURCE and TARGET are the same conninfo" >&2
	exit 2
fi
for tool in snapshot-hold table-list copy-table index-build schema-split fdw-rewrite postlist-filter conninfo-split fdwcopy pg_dump pg_restore psql; do
	if ! command -v "$tool" >/dev/null; then
		echo "$me: error: $tool is not in PATH" >&2
		echo "hint: install fdwcopy (make install), or add its bin/ directory to PATH" >&2
		exit 2
	fi
done
# Each conninfo without its password, split by libpq's parser
# (conninfo-split(1), which reads it from the environment, never from argv);
# the password goes to PGPASSWORD, which libpq reads when the conninfo has
# none: pg_dump, pg_restore and psql get it through their environment, never
# through their argument vector. conninfo-split's message names the variable
# and libpq's reason, never the password.
for side in SOURCE TARGET; do
	ci= pw= haspw=
	{ IFS= read -r -d '' ci && IFS= read -r -d '' pw && IFS= read -r -d '' haspw; } \
		< <(conninfo-split "FDWCOPY_$side") || true
	[ -n "$haspw" ] || { echo "$me: error: $side is not a valid conninfo string" >&2; exit 2; }
	# An explicit password wins; else the caller's PGPASSWORD, as libpq would do.
	[ "$haspw" = 1 ] || pw=${PGPASSWORD-}
	export "FDWCOPY_${side}_CONNINFO=$ci" "FDWCOPY_${side}_PASSWORD=$pw"
done
umask 077	# schema.dump holds the source's user-mapping passwords

case $mode in
*n*)
	rm -rf "$w/plan"
	if [ -e "$w/schema.dump" ]; then
		echo "# $goal: resumed run: no snapshot ($w/schema.dump is from an earlier run)"
		sub "$goal"
	else
		echo "snapshot-hold   # held in the background while $goal runs; SNAPSHOT-ID below is its id"
		sub FDWCOPY_SNAPSHOT=SNAPSHOT-ID "$goal"
	fi
	exit ;;
*q* | *t*)
	sub "$goal"
	exit ;;
esac

rm -rf "$w/plan"	# a plan's list, made without a snapshot, is never used
if sub -q "$goal" >/dev/null 2>&1; then
	echo "make: Nothing to be done for '$goal'."
	exit 0
fi
snap=
if [ ! -e "$w/schema.dump" ]; then
	coproc HOLD { exec snapshot-hold; }
	hold_pid=$HOLD_PID hold_in=${HOLD[1]}
	if ! IFS= read -r snap <&"${HOLD[0]}" || [ -z "$snap" ]; then
		wait "$hold_pid" || true
		echo "$me: error: could not take a snapshot of the source (snapshot-hold failed)" >&2
		exit 1
	fi
	echo "$me: snapshot $snap held on the source until $goal ends"
elif [ "$goal" != pre-data ] && ! sub -q data >/dev/null 2>&1; then
	echo "$me: warning: resuming without a snapshot: $w/schema.dump was taken in an earlier run, whose snapshot is gone" >&2
	echo "hint: the tables still to copy are read as they are now, each consistent on its own but not with the others; for one consistent copy, empty the target and run make clean migrate" >&2
fi
rc=0
sub ${snap:+FDWCOPY_SNAPSHOT=$snap} "$goal" || rc=$?
if [ -n "$snap" ]; then
	exec {hold_in}>&-	# EOF on its stdin: snapshot-hold ends its transaction
	wait "$hold_pid" || true
fi
if [ $rc -ne 0 ]; then
	echo "$me: $goal failed; the steps done are kept under $w: run make again to resume" >&2
fi
exit $rc
endef
export FDWCOPY_RUN_SH := $(value fdwcopy_run_sh)

else
# ============================================================== real rules
# Run by the wrapper only: make FDWCOPY_INNER=1 [FDWCOPY_SNAPSHOT=ID] GOAL.

SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c

ifeq ($(value FDWCOPY_SOURCE_CONNINFO)$(value FDWCOPY_TARGET_CONNINFO),)
$(error fdwcopy.mk: FDWCOPY_INNER is set by fdwcopy.mk's own targets only; run make migrate)
endif

fdwcopy_dry := $(findstring n,$(fdwcopy_mode))
fdwcopy_question := $(findstring q,$(fdwcopy_mode))

# Where the work stream and its generated makefile live: the work directory,
# or, for make -n before the first real run, a plan directory (listed without a
# snapshot, so a real run must not reuse it).
fdwcopy_list := $(fdwcopy_w)
ifneq ($(fdwcopy_dry),)
ifeq ($(wildcard $(fdwcopy_w)/items.mk),)
fdwcopy_list := $(fdwcopy_w)/plan
endif
endif

fdwcopy_snapshot := $(if $(FDWCOPY_SNAPSHOT),--snapshot=$(FDWCOPY_SNAPSHOT))
fdwcopy_list_snapshot := $(if $(fdwcopy_dry),,$(fdwcopy_snapshot))
fdwcopy_args = $(if $(strip $1), $(strip $1))
# Leaf partition -> each of its partitioned ancestors (COPY text format, as the
# work stream): table-PARENT is then an alias for all its partitions.
fdwcopy_partitions_sql = COPY (SELECT c.oid, n.nspname, p.relname FROM pg_class c CROSS JOIN LATERAL pg_partition_ancestors(c.oid) AS a (relid) JOIN pg_class p ON p.oid = a.relid JOIN pg_namespace n ON n.oid = p.relnamespace WHERE c.relispartition AND c.relkind = 'r' AND p.oid <> c.oid ORDER BY 1, 2, 3) TO STDOUT
fdwcopy_begin_sql = BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY
fdwcopy_pgsource = PGPASSWORD="$$FDWCOPY_SOURCE_PASSWORD"
fdwcopy_pgtarget = PGPASSWORD="$$FDWCOPY_TARGET_PASSWORD"
# FDW_MAP unset: an empty map, so that fdw-rewrite refuses every server (exit 3).
fdwcopy_map_file = $(if $(filter-out keep,$(FDW_MAP)),$(FDW_MAP),$(fdwcopy_w)/empty.map)
fdwcopy_map = --map $(fdwcopy_map_file)$(if $(filter keep,$(FDW_MAP)), --keep-unmapped)
fdwcopy_fail = { rm -f $@.tmp; echo "fdwcopy.mk: error: $1 failed (see above); run make again to resume" >&2; exit 1; }

# $(call fdwcopy_copy,KEY,WHAT): copy-table for the work line in items/KEY.item;
# the result line is the stamp.
define fdwcopy_copy
copy-table$(call fdwcopy_args,$(fdwcopy_snapshot) $(COPY_TABLE_OPTIONS)) < $(fdwcopy_list)/items/$1.item > $@.tmp || $(call fdwcopy_fail,$2)
@mv $@.tmp $@; awk -F'\t' '{ printf "fdwcopy.mk: %s: %d rows, %.1f MB, %.1f s\n", "$2", $$13, $$14 / 1048576, $$15 }' $@
endef

# $(call fdwcopy_empty,KEY,WHAT): TRUNCATE ONLY of a table split by page
# ranges, before its parts (names from the first part's work line, given to
# psql as variables: no quoting by hand).
define fdwcopy_empty
IFS=$$'\t' read -r _ _ s t _ < $(fdwcopy_list)/items/$1.p1.item; printf -v s %b "$$s"; printf -v t %b "$$t"; $(fdwcopy_pgtarget) psql -X -q -v ON_ERROR_STOP=1 -d "$$FDWCOPY_TARGET_CONNINFO" -v s="$$s" -v t="$$t" <<< 'TRUNCATE ONLY :"s".:"t"' || $(call fdwcopy_fail,emptying $2)
@touch $@
endef

# $(call fdwcopy_index,KEY): index-build of a table from its parts' result
# lines; its done lines are the table's stamp.
define fdwcopy_index
cat $^ | index-build$(call fdwcopy_args,$(fdwcopy_snapshot) --jobs $(INDEX_JOBS) $(INDEX_BUILD_OPTIONS)) > $@.tmp || $(call fdwcopy_fail,indexes of table $1)
@mv $@.tmp $@
endef

.PHONY: $(fdwcopy_public)
migrate: $(if $(filter yes,$(VERIFY)),$(fdwcopy_w)/verify.done,$(fdwcopy_w)/post-data.done)
schema: $(fdwcopy_w)/schema.dump
pre-data: $(fdwcopy_w)/pre-data.done
data: $(fdwcopy_w)/data.done
post-data: $(fdwcopy_w)/post-data.done
verify: $(fdwcopy_w)/verify.done

$(sort $(fdwcopy_w) $(fdwcopy_list) $(fdwcopy_w)/data $(fdwcopy_w)/tables):
	mkdir -p -m 700 $@

$(fdwcopy_w)/empty.map: | $(fdwcopy_w)
	touch $@

# ---- schema: one pg_dump of the schema in the snapshot (the done stream's
# oids and the TOC's agree because both read the same snapshot).
$(fdwcopy_w)/schema.dump: | $(fdwcopy_w)
	$(fdwcopy_pgsource) pg_dump -Fc --schema-only$(call fdwcopy_args,$(fdwcopy_snapshot) $(PG_DUMP_OPTIONS)) -f $@.tmp -d "$$FDWCOPY_SOURCE_CONNINFO"
	@mv $@.tmp $@

# ---- the partitioned indexes over foreign partitions that are valid on the
# source, read in the snapshot (fdwcopy-partitioned-indexes(1)): post-data
# leaves their partitions' indexes unattached, then makes them valid.
$(fdwcopy_w)/partitioned-indexes.tsv: | $(fdwcopy_w)/schema.dump
	fdwcopy partitioned-indexes plan $@.tmp$(call fdwcopy_args,$(fdwcopy_snapshot))
	@mv $@.tmp $@

# ---- pre-data: through schema-split and fdw-rewrite, in one transaction. The
# dump and the map are order-only: pre-data cannot be applied twice to a target.
$(fdwcopy_w)/pre-data.done: | $(fdwcopy_w)/schema.dump $(fdwcopy_map_file)
	pg_restore -f - --section=pre-data$(call fdwcopy_args,$(PG_RESTORE_OPTIONS)) $(fdwcopy_w)/schema.dump | schema-split --section=pre-data | fdw-rewrite $(fdwcopy_map) | $(fdwcopy_pgtarget) psql -X -q -v ON_ERROR_STOP=1 -1 -f - -d "$$FDWCOPY_TARGET_CONNINFO" >/dev/null
	@touch $@

# ---- the work stream and the rules generated from it
ifneq ($(filter-out schema pre-data,$(MAKECMDGOALS)),)
include $(fdwcopy_list)/items.mk
endif

# The list follows the schema dump (same snapshot), except for a plan: make -n
# must not run pg_dump, and make runs what remakes an included makefile even
# under -n. Under -q nothing is remade: a missing list means not up to date.
# Page-range parts append (copy-table(1), "Transactions and reruns"): a part
# killed between its COMMIT and its result line would be copied twice. So a
# page-split table is emptied first (KEY.empty, a prerequisite of each part),
# and when a run starts with one of its parts not done, the whole table is
# redone: removing KEY.empty makes every part out of date.
ifeq ($(fdwcopy_dry)$(fdwcopy_question)$(MAKE_RESTARTS),)
$(foreach k,$(fdwcopy_page_split),$(if $(wildcard $(fdwcopy_w)/data/$k.empty),$(if $(filter-out $(wildcard $(fdwcopy_parts_$k)),$(fdwcopy_parts_$k)),$(shell rm -f $(fdwcopy_w)/data/$k.empty))))
endif

ifeq ($(fdwcopy_question),)
$(fdwcopy_list)/items.tsv: $(if $(fdwcopy_dry),,$(fdwcopy_w)/schema.dump) | $(fdwcopy_list)
	table-list$(call fdwcopy_args,$(fdwcopy_list_snapshot) $(if $(SPLIT),--split-larger-than $(SPLIT)) $(TABLE_LIST_OPTIONS)) > $@.tmp
	$(fdwcopy_pgsource) psql -X -q -v ON_ERROR_STOP=1 -d "$$FDWCOPY_SOURCE_CONNINFO"$(if $(fdwcopy_list_snapshot), -c "$(fdwcopy_begin_sql)" -c "SET TRANSACTION SNAPSHOT '$(FDWCOPY_SNAPSHOT)'") -c "$(fdwcopy_partitions_sql)" > $(@D)/partitions.tsv
	@mv $@.tmp $@

$(fdwcopy_list)/items.mk: $(fdwcopy_list)/items.tsv
	rm -rf $(fdwcopy_list)/items && mkdir -p $(fdwcopy_list)/items
	LC_ALL=C awk -v dir=$(fdwcopy_list)/items "$$FDWCOPY_ITEMS_AWK" $(@D)/partitions.tsv $< > $@.tmp
	@mv $@.tmp $@
endif

$(fdwcopy_w)/data.done: $(fdwcopy_list)/items.mk $(fdwcopy_data_stamps)
	@touch $@

# ---- post-data: what index-build did not create, in parallel. Order-only on
# data.done: redoing one table must not replay the post-data.
$(fdwcopy_w)/post-data.done: | $(fdwcopy_w)/data.done $(fdwcopy_w)/tables $(fdwcopy_w)/partitioned-indexes.tsv
	find $(fdwcopy_w)/tables -name '*.done' -exec cat {} + > $(fdwcopy_w)/done.tsv
	pg_restore -l $(fdwcopy_w)/schema.dump | postlist-filter --encoding "$$($(fdwcopy_pgsource) psql -X -Atq -d "$$FDWCOPY_SOURCE_CONNINFO" -c 'SHOW server_encoding')" --section=post-data --done $(fdwcopy_w)/done.tsv | fdwcopy partitioned-indexes edit-list $(fdwcopy_w)/partitioned-indexes.tsv > $(fdwcopy_w)/post.list
	$(fdwcopy_pgtarget) pg_restore -L $(fdwcopy_w)/post.list -j $(JOBS)$(call fdwcopy_args,$(PG_RESTORE_OPTIONS)) -d "$$FDWCOPY_TARGET_CONNINFO" $(fdwcopy_w)/schema.dump
	fdwcopy partitioned-indexes create $(fdwcopy_w)/partitioned-indexes.tsv
	fdwcopy refresh-matviews --quiet$(call fdwcopy_args,$(REFRESH_OPTIONS))
	@touch $@

# ---- verify: reruns when data was redone since.
$(fdwcopy_w)/verify.done: $(fdwcopy_w)/data.done | $(fdwcopy_w)/post-data.done
	fdwcopy verify --jobs $(JOBS)$(if $(FDW_MAP), --fdw-map $(FDW_MAP))$(call fdwcopy_args,$(VERIFY_OPTIONS))
	@touch $@

# items.tsv -> items.mk: one .item file per work line, and per item the rules
# above. File and target names are KEY = SCHEMA.NAME with every byte other than
# [A-Za-z0-9_-] written +XX (hex), so any name is safe for make and the shell
# and the one unescaped dot separates schema from name; a part of a split table
# is KEY.pN, large objects are large-objects (or large-objects-N). A
# partitioned table gets table-KEY too, for all its leaf partitions.
define fdwcopy_items_awk
function unesc(s,    out, i, c) {
	out = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "\\" && i < length(s)) {
			c = substr(s, ++i, 1)
			if (c == "t") c = "\t"; else if (c == "n") c = "\n"; else if (c == "r") c = "\r"
			else if (c == "b") c = "\b"; else if (c == "f") c = "\f"; else if (c == "v") c = "\v"
		}
		out = out c
	}
	return out
}
function enc(s,    out, i, c) {
	out = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		out = out (c ~ /[A-Za-z0-9_-]/ ? c : sprintf("+%02X", ord[c]))
	}
	return out
}
BEGIN {
	FS = "\t"
	for (i = 1; i < 256; i++) ord[sprintf("%c", i)] = i
	print "# Generated by fdwcopy.mk from items.tsv (table-list's work stream): do not edit."
}
FILENAME == ARGV[1] {	# partitions.tsv: leaf oid, ancestor schema, ancestor name
	parents[$1] = parents[$1] " " enc(unesc($2)) "." enc(unesc($3))
	next
}
NF != 12 {
	printf "fdwcopy.mk: error: %s:%d: not a work line (%d fields, 12 expected)\n", FILENAME, NR, NF > "/dev/stderr"
	failed = 1
	exit 1
}
{
	kind = $1; part = $7 + 0; parts = $8 + 0
	if (kind == "blobs") {
		key = "large-objects" (parts > 1 ? "-" part : "")
		ikey = key
	} else {
		key = enc(unesc($3)) "." enc(unesc($4))
		ikey = key (kind == "table" && parts > 1 ? ".p" part : "")
	}
	item = dir "/" ikey ".item"
	print > item
	close(item)
	result = "$(fdwcopy_w)/data/" ikey ".result"
	what = (kind == "blobs" ? "large objects" : kind " " key) (parts > 1 ? " part " part "/" parts : "")
	printf "\n# %s (items.tsv line %d)\n", what, NR
	page = (kind == "table" && parts > 1 && $9 == "ctid")
	printf "%s:%s | $(fdwcopy_list)/items/%s.item $(fdwcopy_w)/pre-data.done $(fdwcopy_w)/data\n", result, (page ? " $(fdwcopy_w)/data/" key ".empty" : ""), ikey
	printf "\t$(call fdwcopy_copy,%s,%s)\n", ikey, what
	if (kind == "table") {
		if (!(key in seen)) {
			seen[key] = 1
			stamp = "$(fdwcopy_w)/tables/" key ".done"
			printf "fdwcopy_data_stamps += %s\n", stamp
			printf "%s:", stamp
			if (parts > 1)
				for (p = 1; p <= parts; p++) printf " $(fdwcopy_w)/data/%s.p%d.result", key, p
			else
				printf " %s", result
			printf " | $(fdwcopy_w)/tables\n\t$(call fdwcopy_index,%s)\n", key
			if (page) {
				printf "fdwcopy_page_split += %s\nfdwcopy_parts_%s :=", key, key
				for (p = 1; p <= parts; p++) printf " $(fdwcopy_w)/data/%s.p%d.result", key, p
				printf "\n$(fdwcopy_w)/data/%s.empty: | $(fdwcopy_list)/items/%s.p1.item $(fdwcopy_w)/pre-data.done $(fdwcopy_w)/data\n", key, key
				printf "\t$(call fdwcopy_empty,%s,table %s)\n", key, key
			}
			printf ".PHONY: table-%s\ntable-%s: %s\n", key, key, stamp
			if ($2 in parents) {
				n = split(parents[$2], anc, " ")
				for (a = 1; a <= n; a++)
					printf ".PHONY: table-%s\ntable-%s: %s\n", anc[a], anc[a], stamp
			}
		}
	} else if (kind == "sequence") {
		printf "fdwcopy_data_stamps += %s\n.PHONY: sequence-%s\nsequence-%s: %s\n", result, key, key, result
	} else {
		printf "fdwcopy_data_stamps += %s\nlarge-objects: %s\n", result, result
	}
}
endef
export FDWCOPY_ITEMS_AWK := $(value fdwcopy_items_awk)

endif
