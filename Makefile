# fdwcopy: one TOOLS list drives the build; see README.md.
# Targets: all (default), check, lint, demo, demo-archive, deps, bench, man, install, uninstall, clean.

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
BINDIR     = $(PREFIX)/bin
MANDIR     = $(PREFIX)/share/man
DATADIR    = $(PREFIX)/share/fdwcopy
LIBEXECDIR = $(PREFIX)/lib/fdwcopy

TOOLS     := snapshot-hold schema-split fdw-rewrite table-list copy-table index-build postlist-filter table-checksum table-diff \
             conninfo-split dump-pack
SCRIPTS   := fdwcopy pgsandbox
MK_FRAGMENTS := $(wildcard scripts/*.mk)
# The dispatcher's subcommands and their shell libraries (fdwcopy-sh-*), run
# from build/libexec in the build tree and from LIBEXECDIR when installed.
SUBCOMMANDS  := $(patsubst scripts/%,%,$(wildcard scripts/fdwcopy-*))

CXX       ?= g++
CXXFLAGS  ?= -O2 -g
CXXFLAGS  += -std=c++17 -Wall -Wextra -Ilib -I$(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql) \
             -DFDWCOPY_VERSION='"$(VERSION)"'
LDLIBS    := -lpq -lboost_program_options -lboost_filesystem -lpthread -lz -lcrypto

# Tools whose source exists yet (all of them once every issue has landed).
BUILT_TOOLS   := $(filter $(patsubst tools/%.cpp,%,$(wildcard tools/*.cpp)),$(TOOLS))
BUILT_SCRIPTS := $(filter $(patsubst scripts/%,%,$(wildcard scripts/*)),$(SCRIPTS))

LIB_SRC   := $(wildcard lib/*.cpp)
LIB_OBJ   := $(patsubst lib/%.cpp,build/lib/%.o,$(LIB_SRC))
LIB       := build/libfdwcopy.a
UNIT_SRC  := $(wildcard tests/unit/*_test.cpp)
UNIT_OBJ  := $(patsubst tests/unit/%.cpp,build/unit/%.o,$(UNIT_SRC))
UNIT_BIN  := build/unit-tests

BINS      := $(addprefix bin/,$(BUILT_TOOLS) $(BUILT_SCRIPTS))
LIBEXEC   := $(addprefix build/libexec/,$(SUBCOMMANDS))
MANPAGES  := $(wildcard man/*.[1-8])
BUILT_MAN := $(patsubst man/%,build/man/%,$(MANPAGES))
# The one version number, substituted into the scripts and the man pages.
SUBST      = sed -e 's/@VERSION@/$(VERSION)/g'

DEB_PACKAGES := g++ make libpq-dev libboost-program-options-dev libboost-dev \
                libboost-filesystem-dev libgtest-dev bats bats-support bats-assert \
                postgresql-15 postgresql-client-15 time parallel groff-base shellcheck \
                postgresql-15-partman postgresql-15-postgis-3 zlib1g-dev libssl-dev

# Shell files for lint, besides the scripts (lint picks those with a shell
# shebang, or, as the sourced fdwcopy-sh-* libraries, "# shellcheck shell=bash"
# in their first lines: not fdwcopy.mk, the SQL files or bench-rusage.c): the bats
# helpers (each says "# shellcheck shell=bash") and the bats files (shellcheck
# knows their shebang). -x: follow the "# shellcheck source=" of each ". FILE".
LINT_FILES = tests/run-all .ci/run $(wildcard tests/lib/*.bash) \
             $(shell find tests/fixtures -name '*.bash') $(wildcard tests/cli/*.bats)

.PHONY: all check lint unit cli demo demo-archive deps bench man install uninstall clean
.DELETE_ON_ERROR:

all: $(BINS) $(LIBEXEC) $(BUILT_MAN)

build/lib/%.o: lib/%.cpp $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

bin/%: tools/%.cpp $(LIB) $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) -o $@ $< $(LIB) $(LDLIBS)

bin/%: scripts/% Makefile
	@mkdir -p $(@D)
	$(SUBST) $< >$@.tmp && chmod 755 $@.tmp && mv $@.tmp $@

build/libexec/%: scripts/% Makefile
	@mkdir -p $(@D)
	$(SUBST) $< >$@.tmp && chmod $(if $(findstring -sh-,$*),644,755) $@.tmp && mv $@.tmp $@

build/man/%: man/% Makefile
	@mkdir -p $(@D)
	$(SUBST) $< >$@.tmp && mv $@.tmp $@

build/unit/%.o: tests/unit/%.cpp $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) -c -o $@ $<

$(UNIT_BIN): $(UNIT_OBJ) $(LIB)
	$(CXX) $(CXXFLAGS) -o $@ $(UNIT_OBJ) $(LIB) $(LDLIBS) -lgtest -lgtest_main

# deps: install the Debian packages that are missing (as root); silent when all
# are present.
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	  done); \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing:" $$missing; \
	  if [ "$$(id -u)" -ne 0 ]; then echo "make deps: run as root to install packages" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

unit: $(UNIT_BIN)

# check: shellcheck (lint), GoogleTest unit tests, then the bats end-to-end
# tests; the last line is "N passed, N failed, N skipped" for both suites together.
check: deps
	@$(MAKE) --no-print-directory -j$$(nproc) all $(UNIT_BIN)
	@$(MAKE) --no-print-directory lint
	@tests/run-all $(UNIT_BIN) tests/cli

# lint: shellcheck on every shell file, all severities; a warning is fixed or
# disabled on its line with a comment saying why.
lint:
	@command -v shellcheck >/dev/null || { echo "make lint: shellcheck is missing (make deps)" >&2; exit 1; }
	shellcheck -x $$(for f in scripts/*; do case "$$(head -n 1 "$$f")" in '#!'*sh) echo "$$f";; *) \
	  if head -n 10 "$$f" | grep -q '^# shellcheck shell=bash'; then echo "$$f"; fi;; esac; done) $(LINT_FILES)

demo: deps
	@$(MAKE) --no-print-directory -j$$(nproc) all
	@scripts/demo

# demo-archive: fdwcopy archive on the demo's layout (scripts/demo archive).
demo-archive: deps
	@$(MAKE) --no-print-directory -j$$(nproc) all
	@scripts/demo archive

bench: deps
	@$(MAKE) --no-print-directory -j$$(nproc) all
	@scripts/bench $(if $(SCALE),--scale $(SCALE)) $(if $(SCALES),--scales $(SCALES)) $(if $(JOBS),--jobs $(JOBS)) $(if $(SCENARIO),--scenario $(SCENARIO))

man:
	@for m in $(MANPAGES); do man -l -Tutf8 $$m >/dev/null 2>&1 || echo "bad man page: $$m"; done

# Directories install may create, shallowest first; install records in
# DATADIR/installed-dirs those that did not exist, uninstall removes them again
# (when empty), so an install into a fresh PREFIX leaves nothing behind.
INSTALL_DIRS = $(PREFIX) $(BINDIR) $(PREFIX)/lib $(PREFIX)/share $(MANDIR) \
               $(addprefix $(MANDIR)/man,$(sort $(subst .,,$(suffix $(MANPAGES)))))

install: all
	@new=; for d in $(INSTALL_DIRS); do [ -d "$(DESTDIR)$$d" ] || new="$$d $$new"; done; \
	  install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) && \
	  printf '%s\n' $$new >$(DESTDIR)$(DATADIR)/installed-dirs
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -d $(DESTDIR)$(LIBEXECDIR)
	for f in $(LIBEXEC); do case $$f in *-sh-*) m=644 ;; *) m=755 ;; esac; \
	  install -m $$m $$f $(DESTDIR)$(LIBEXECDIR)/; done
	for m in $(BUILT_MAN); do s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
	  install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	$(if $(MK_FRAGMENTS),install -m 644 $(MK_FRAGMENTS) $(DESTDIR)$(DATADIR)/)

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(BUILT_TOOLS) $(BUILT_SCRIPTS))
	rm -rf $(DESTDIR)$(LIBEXECDIR)
	for m in $(MANPAGES); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$$(basename $$m); done
	@dirs=$$(cat $(DESTDIR)$(DATADIR)/installed-dirs 2>/dev/null || true); \
	  rm -rf $(DESTDIR)$(DATADIR); \
	  for d in $$dirs; do rmdir "$(DESTDIR)$$d" 2>/dev/null || true; done

clean:
	rm -rf bin build
