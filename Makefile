# vizd -- build, set-up, tests, benchmarks.
#
#   make          build build/vizd (runs `npm ci` in web/ first if the dashboard's packages are missing)
#   make run      install what running needs if missing, build, start vizd on runs.sqlite, port 6006
#   make test     install what the tests need too, then every test (C unit tests under ASan+UBSan, API,
#                 JS, browser, a short run of each fuzz target)
#   make fuzz     run each libFuzzer target for FUZZ_SECONDS (default 60)
#   make bench    benchmarks, the TensorBoard comparison among them (figures are printed; see
#                 bench/RESULTS.md); BENCH_BIG=1 adds a 100 M-point series (~2.4 GB, minutes)
#   make check-numfmt  judge the number formatter on NUMFMT_COUNT (300 M) random doubles (minutes)
#   make install  install the binary into $(PREFIX)/bin
#
# Warnings are errors only with WERROR=1 (CI sets it): a newer compiler's new warning must not stop a
# user's build, but it must stop a merge.

PREFIX  ?= /usr/local
comma   := ,
space   := $(subst ,, )
DB      ?= runs.sqlite
PORT    ?= 6006
PKGS    := libmicrohttpd sqlite3 jansson nettle zlib libpq
PYTHON  ?= python3

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN      := -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror)
CFLAGS    ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Iinclude -Ibuild/gen $(PKG_CFLAGS)
LDLIBS     = $(PKG_LIBS) -lpthread -lm
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

SERVER_SRCS := $(wildcard server/*.c)
LIB_SRCS    := $(filter-out server/main.c,$(SERVER_SRCS))
GEN_SRCS    := build/gen/assets.c build/gen/migrations.c build/gen/pg_migrations.c
OBJS        := $(SERVER_SRCS:server/%.c=build/obj/%.o) $(GEN_SRCS:build/gen/%.c=build/obj/%.o)
HEADERS     := $(wildcard include/vizd/*.h)
UNIT_SRCS   := $(wildcard tests/unit/*.c)

WEB_FILES   := $(shell find web -type f -not -path 'web/node_modules/*' -not -name 'package*.json' 2>/dev/null)
VENDOR_LIST := web/vendor.txt
NPM_STAMP   := web/node_modules/.package-lock.json
STAMPS      := build/stamps

.PHONY: check-numfmt all run test deps deps-npm deps-npm-web deps-npm-tests deps-pip test-unit test-api test-js test-browser test-fuzz fuzz bench install clean

all: build/vizd

build/vizd: $(OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

build/obj/%.o: server/%.c $(HEADERS) | build/gen/assets.c $(STAMPS)/libs
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/obj/%.o: build/gen/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Web assets and migrations are compiled into the binary, so one file is the whole product.
build/gen/assets.c: server/embed.py $(WEB_FILES) $(VENDOR_LIST) $(NPM_STAMP)
	@mkdir -p $(@D)
	$(PYTHON) server/embed.py assets web $(VENDOR_LIST) > $@.tmp && mv $@.tmp $@

build/gen/migrations.c: server/embed.py $(wildcard migrations/sqlite/*.sql)
	@mkdir -p $(@D)
	$(PYTHON) server/embed.py migrations migrations/sqlite > $@.tmp && mv $@.tmp $@

build/gen/pg_migrations.c: server/embed.py $(wildcard migrations/postgresql/*.sql)
	@mkdir -p $(@D)
	$(PYTHON) server/embed.py migrations migrations/postgresql vz_pg_migrations > $@.tmp && mv $@.tmp $@

# ---- set-up: install only what is missing ------------------------------------------------------
# `make run` needs only the build tools, the three libraries and the dashboard's npm packages; `make
# test` adds what only the tests use. A start that finds everything present costs one dpkg-query call
# and a few stamp files (milliseconds): the Python test packages are checked only when
# tests/requirements.txt changed, and never by `make run`.
APT_RUN  := gcc make pkg-config libmicrohttpd-dev libsqlite3-dev libjansson-dev nettle-dev zlib1g-dev libpq-dev
APT_TEST := libcriterion-dev chromium curl clang postgresql
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# apt_install(PACKAGES, COMMANDS): one dpkg-query for every package, `command -v` for the commands
# (nodejs and python may come from elsewhere than Debian, e.g. NodeSource or pyenv, so their presence,
# not their Debian package, is what counts); then one install of what is missing, after an apt-get update
# unless the package lists are less than an hour old (.ci/run may just have updated them to get make).
define apt_install
	@have=" $$(dpkg-query -W -f='$${db:Status-Abbrev}:$${Package} ' $(1) 2>/dev/null) "; \
	missing=$$(for p in $(1); do case "$$have" in *"ii :$$p "*) ;; *) printf ' %s' $$p;; esac; done); \
	$(2) \
	if [ -n "$$missing" ]; then \
	  command -v apt-get >/dev/null || { echo "vizd: please install:$$missing (Debian package names)"; exit 1; }; \
	  echo "installing:$$missing"; \
	  [ -n "$$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -60 2>/dev/null)" ] || \
	    $(SUDO) apt-get update -q || exit 1; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q \
	    -o DPkg::Lock::Timeout=600 $$missing; \
	fi
endef
NEED_NODE   := command -v node >/dev/null && command -v npm >/dev/null || missing="$$missing nodejs npm";
NEED_PYTHON := command -v $(PYTHON) >/dev/null || missing="$$missing python3";
NEED_PIP    := $(PYTHON) -c 'import pip' 2>/dev/null || missing="$$missing python3-pip";

.PHONY: deps-run deps-test deps-apt-run deps-apt-test
deps: deps-test
deps-run: deps-apt-run deps-npm-web
deps-test: deps-apt-test deps-npm-web deps-npm-tests deps-pip

deps-apt-run:
	$(call apt_install,$(APT_RUN),$(NEED_NODE) $(NEED_PYTHON))

# The run packages again, so a fresh machine runs apt-get update and install once, not twice.
deps-apt-test:
	$(call apt_install,$(APT_RUN) $(APT_TEST),$(NEED_NODE) $(NEED_PYTHON) $(NEED_PIP))

deps-npm-web: $(NPM_STAMP)
deps-npm-tests: tests/web/node_modules/.package-lock.json
deps-npm: deps-npm-web deps-npm-tests

# The dashboard embeds Chart.js and dagre from web/node_modules, so even a plain `make` needs them.
$(NPM_STAMP): web/package.json web/package-lock.json
	@command -v npm >/dev/null || { echo "vizd: web/node_modules is missing and npm is not installed: run 'make deps-run' (installs nodejs, npm and the build libraries)"; exit 1; }
	cd web && npm ci --no-audit --no-fund
	@touch $@

tests/web/node_modules/.package-lock.json: tests/web/package.json tests/web/package-lock.json
	cd tests/web && npm ci --no-audit --no-fund
	@touch $@

# The API tests compare with real torch and TensorBoard. Debian's own python3 is "externally managed"
# (PEP 668); the test packages then go into it anyway, as CI machines are throw-away.
PY_MODULES := pytest numpy torch tensorboard tensorboardX PIL torchinfo
deps-pip: $(STAMPS)/pip
$(STAMPS)/pip: tests/requirements.txt
	@$(PYTHON) -c 'import $(subst $(space),$(comma),$(PY_MODULES))' 2>/dev/null || \
	  PIP_BREAK_SYSTEM_PACKAGES=1 $(PYTHON) -m pip install -q -r tests/requirements.txt
	@mkdir -p $(@D) && touch $@

# Without the libraries the compiler would stop at `microhttpd.h: No such file`; say what to run instead.
# Checked again whenever the Makefile changes, as that is where a new library is added.
$(STAMPS)/libs: Makefile
	@pkg-config --exists $(PKGS) 2>/dev/null || { echo "vizd: the libraries $(PKGS) (or pkg-config) are missing: run 'make deps-run'"; exit 1; }
	@mkdir -p $(@D) && touch $@

run: deps-run build/vizd
	./build/vizd --db $(DB) --port $(PORT)

# ---- tests ------------------------------------------------------------------------------------
# One throwaway PostgreSQL (tests/api/pgcluster.py: initdb into a temporary folder, stopped and removed
# at the end) serves every target that needs one; run alone, test-unit and test-api start their own.
PGCLUSTER := $(PYTHON) tests/api/pgcluster.py run --

# Every binary the tests need is built first, two compilers at a time (the sanitizer builds are one
# compiler call each and take a minute apiece); the tests then run one target after another, as the
# timing-sensitive ones (latency bounds, slow-client attacks) need the cores to themselves.
TEST_BINS = build/vizd build/asan/vizd build/asan/unit_tests $(FUZZ_TARGETS:%=build/fuzz/bin/%)

test: deps-test
	$(MAKE) -j2 $(TEST_BINS)
	$(PGCLUSTER) $(MAKE) test-unit test-js test-api test-browser test-fuzz

build/asan/unit_tests: $(LIB_SRCS) $(UNIT_SRCS) $(wildcard tests/unit/*.h) $(GEN_SRCS) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) $(SAN_FLAGS) -Iinclude -Ibuild/gen $(PKG_CFLAGS) \
	  -o $@ $(LIB_SRCS) $(GEN_SRCS) $(UNIT_SRCS) $(LDLIBS) -lcriterion

build/asan/vizd: $(SERVER_SRCS) $(GEN_SRCS) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) $(SAN_FLAGS) -Iinclude -Ibuild/gen $(PKG_CFLAGS) \
	  -o $@ $(SERVER_SRCS) $(GEN_SRCS) $(LDLIBS)

test-unit: build/asan/unit_tests
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(PGCLUSTER) ./build/asan/unit_tests --jobs 2

test-js:
	node --test tests/web/unit/

# The API tests run against the sanitizer build too: a leak or an overflow in a handler fails them.
# The third run is the same suite on the PostgreSQL store (VIZD_TEST_BACKEND, tests/api/conftest.py), less
# the tests marked slow (as in the sanitizer run) and the slow-client attacks on the HTTP layer, which no
# store is behind: about 3.5 minutes, which keeps make test within CI's 20. Tests that look at the SQLite
# file skip themselves there. The multi-replica and --copy-to tests (test_replicas.py, test_copy.py)
# always use PostgreSQL and run in the first.
PG_API_SKIP := test_slow_clients test_replicas test_copy
test-api: build/vizd build/asan/vizd
	VIZD_BIN=build/vizd $(PYTHON) -m pytest -q tests/api
	VIZD_BIN=build/asan/vizd $(PYTHON) -m pytest -q -x tests/api -m 'not slow'
	VIZD_TEST_BACKEND=postgresql VIZD_BIN=build/vizd $(PYTHON) -m pytest -q -x tests/api -m 'not slow' \
	  $(PG_API_SKIP:%=--ignore=tests/api/%.py)

test-browser: build/vizd
	VIZD_BIN=build/vizd node --test tests/web/browser/

# ---- fuzzing ----------------------------------------------------------------------------------
# One libFuzzer target per hand-written parser (tests/fuzz/fuzz_*.c), built with Debian's clang over
# the whole library under ASan+UBSan, so an input that reads out of bounds, leaks or hits undefined
# behaviour is a crash libFuzzer keeps. `make fuzz` runs each for FUZZ_SECONDS; `make test` for
# FUZZ_TEST_SECONDS, which is enough to replay the seeds and catch a regression cheaply.
FUZZ_CC           ?= clang
FUZZ_SECONDS      ?= 60
FUZZ_TEST_SECONDS ?= 5
FUZZ_SAN          := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS        = -std=c11 -D_GNU_SOURCE $(WARN) -g -O1 $(FUZZ_SAN) -Iinclude -Ibuild/gen $(PKG_CFLAGS)
FUZZ_TARGETS      := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_OBJS         := $(LIB_SRCS:server/%.c=build/fuzz/obj/%.o) $(GEN_SRCS:build/gen/%.c=build/fuzz/obj/%.o)

build/fuzz/obj/%.o: server/%.c $(HEADERS) | build/gen/assets.c $(STAMPS)/libs
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/obj/%.o: build/gen/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

build/fuzz/libvizd.a: $(FUZZ_OBJS)
	rm -f $@ && ar rcs $@ $^

build/fuzz/bin/%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) build/fuzz/libvizd.a
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< build/fuzz/libvizd.a $(LDLIBS)

fuzz: $(FUZZ_TARGETS:%=build/fuzz/bin/%)
	@for t in $(FUZZ_TARGETS); do tests/fuzz/run.sh $$t $(FUZZ_SECONDS) || exit 1; done

test-fuzz: $(FUZZ_TARGETS:%=build/fuzz/bin/%)
	@for t in $(FUZZ_TARGETS); do tests/fuzz/run.sh $$t $(FUZZ_TEST_SECONDS) || exit 1; done

build/bench_histogram: bench/bench_histogram.c server/histogram.c server/error.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -Iinclude -o $@ bench/bench_histogram.c server/histogram.c server/error.c -lm -lpthread

build/bench_crc32c: bench/bench_crc32c.c server/crc32c.c include/vizd/crc32c.h
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -Iinclude -o $@ bench/bench_crc32c.c server/crc32c.c -lpthread

# A C load generator: a Python client cannot send the 20,000 one-point requests a second vizd answers.
build/loadgen: bench/loadgen.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -o $@ bench/loadgen.c

# deps-pip: bench_client.py, bench_logdir.py and bench_tensorboard.py log with torch, TensorBoard, tensorboardX.
bench: deps-pip build/vizd build/bench_histogram build/bench_crc32c build/loadgen build/bench_numfmt
	$(PYTHON) bench/run.py
	./build/bench_numfmt
	$(PYTHON) bench/bench_answer.py
	$(PYTHON) bench/bench_one_point.py
	$(PYTHON) bench/memory.py
	./build/bench_histogram
	./build/bench_crc32c
	$(PYTHON) bench/bench_logdir.py
	$(PYTHON) bench/bench_client.py
	$(PYTHON) bench/bench_tensorboard.py
	$(PYTHON) bench/bench_many_runs.py
	$(PYTHON) bench/bench_hparams.py
	$(PYTHON) bench/bench_read.py
	$(PYTHON) bench/bench_postgres.py
	$(PGCLUSTER) $(PYTHON) bench/bench_pg_hparams.py

# The long check of the number formatter (minutes): NUMFMT_COUNT random and "nice" doubles judged
# against printf and strtod. Figures in bench/RESULTS.md.
NUMFMT_COUNT   ?= 300000000
NUMFMT_THREADS ?= 2
NUMFMT_SEED    ?= 1
build/check_numfmt: bench/check_numfmt.c tests/unit/numfmt_oracle.h server/numfmt.c include/vizd/numfmt.h
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -Iinclude -Itests/unit -o $@ bench/check_numfmt.c server/numfmt.c -lpthread -lm

build/bench_numfmt: bench/bench_numfmt.c server/numfmt.c include/vizd/numfmt.h
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -Iinclude -o $@ bench/bench_numfmt.c server/numfmt.c -lpthread -lm

check-numfmt: build/check_numfmt
	./build/check_numfmt $(NUMFMT_COUNT) $(NUMFMT_THREADS) $(NUMFMT_SEED)

install: build/vizd
	install -D -m 0755 build/vizd $(DESTDIR)$(PREFIX)/bin/vizd

clean:
	rm -rf build
