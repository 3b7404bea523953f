# vizd -- build, set-up, tests, benchmarks.
#
#   make          build build/vizd
#   make run      install what is missing, build, start vizd on runs.sqlite, port 6006
#   make test     the same set-up, then every test (C unit tests under ASan+UBSan, API, JS, browser)
#   make bench    benchmarks (figures are printed; see bench/RESULTS.md)
#   make install  install the binary into $(PREFIX)/bin

PREFIX  ?= /usr/local
comma   := ,
space   := $(subst ,, )
DB      ?= runs.sqlite
PORT    ?= 6006
PKGS    := libmicrohttpd sqlite3 jansson
PYTHON  ?= python3

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN      := -Wall -Wextra -Werror
CFLAGS    ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Iinclude -Ibuild/gen $(PKG_CFLAGS)
LDLIBS     = $(PKG_LIBS) -lpthread -lm
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

SERVER_SRCS := $(wildcard server/*.c)
LIB_SRCS    := $(filter-out server/main.c,$(SERVER_SRCS))
GEN_SRCS    := build/gen/assets.c build/gen/migrations.c
OBJS        := $(SERVER_SRCS:server/%.c=build/obj/%.o) $(GEN_SRCS:build/gen/%.c=build/obj/%.o)
HEADERS     := $(wildcard include/vizd/*.h)
UNIT_SRCS   := $(wildcard tests/unit/*.c)

WEB_FILES   := $(shell find web -type f -not -path 'web/node_modules/*' -not -name 'package*.json' 2>/dev/null)
VENDOR_LIST := web/vendor.txt
NPM_STAMP   := web/node_modules/.package-lock.json

.PHONY: all run test deps deps-apt deps-npm deps-pip test-unit test-api test-js test-browser bench install clean

all: build/vizd

build/vizd: $(OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

build/obj/%.o: server/%.c $(HEADERS) | build/gen/assets.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/obj/%.o: build/gen/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Web assets and migrations are compiled into the binary, so one file is the whole product.
build/gen/assets.c: server/embed.py $(WEB_FILES) $(VENDOR_LIST) $(wildcard $(NPM_STAMP))
	@mkdir -p $(@D)
	$(PYTHON) server/embed.py assets web $(VENDOR_LIST) > $@.tmp && mv $@.tmp $@

build/gen/migrations.c: server/embed.py $(wildcard migrations/*.sql)
	@mkdir -p $(@D)
	$(PYTHON) server/embed.py migrations migrations > $@.tmp && mv $@.tmp $@

# ---- set-up: install only what is missing ------------------------------------------------------
APT_PKGS := gcc make pkg-config libmicrohttpd-dev libsqlite3-dev libjansson-dev libcriterion-dev \
            sqlite3 curl chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

deps: deps-apt deps-npm deps-pip

deps-apt:
	@missing=$$(for p in $(APT_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	command -v node >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$(echo $$missing)" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; \
	fi

deps-npm: $(NPM_STAMP) tests/web/node_modules/.package-lock.json

$(NPM_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

tests/web/node_modules/.package-lock.json: tests/web/package.json tests/web/package-lock.json
	cd tests/web && npm ci --no-audit --no-fund
	@touch $@

# The API tests compare with real torch and TensorBoard; torch==2.13.0 installs a CPU build.
PY_MODULES := pytest numpy torch tensorboard tensorboardX PIL torchinfo
deps-pip:
	@$(PYTHON) -c 'import $(subst $(space),$(comma),$(PY_MODULES))' 2>/dev/null || \
	  $(PYTHON) -m pip install -q -r tests/requirements.txt

run: deps build/vizd
	./build/vizd --db $(DB) --port $(PORT)

# ---- tests ------------------------------------------------------------------------------------
test: deps build/vizd
	$(MAKE) test-unit test-js test-api test-browser

build/asan/unit_tests: $(LIB_SRCS) $(UNIT_SRCS) $(wildcard tests/unit/*.h) $(GEN_SRCS) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) $(SAN_FLAGS) -Iinclude -Ibuild/gen $(PKG_CFLAGS) \
	  -o $@ $(LIB_SRCS) $(GEN_SRCS) $(UNIT_SRCS) $(LDLIBS) -lcriterion

build/asan/vizd: $(SERVER_SRCS) $(GEN_SRCS) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) $(SAN_FLAGS) -Iinclude -Ibuild/gen $(PKG_CFLAGS) \
	  -o $@ $(SERVER_SRCS) $(GEN_SRCS) $(LDLIBS)

test-unit: build/asan/unit_tests
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ./build/asan/unit_tests --jobs 2

test-js:
	node --test tests/web/unit/

# The API tests run against the sanitizer build too: a leak or an overflow in a handler fails them.
test-api: build/vizd build/asan/vizd
	VIZD_BIN=build/vizd $(PYTHON) -m pytest -q tests/api
	VIZD_BIN=build/asan/vizd $(PYTHON) -m pytest -q -x tests/api -m 'not slow'

test-browser: build/vizd
	VIZD_BIN=build/vizd node --test tests/web/browser/

build/bench_histogram: bench/bench_histogram.c server/histogram.c server/error.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -Iinclude -o $@ bench/bench_histogram.c server/histogram.c server/error.c -lm -lpthread

bench: build/vizd build/bench_histogram
	$(PYTHON) bench/run.py
	./build/bench_histogram

install: build/vizd
	install -D -m 0755 build/vizd $(DESTDIR)$(PREFIX)/bin/vizd

clean:
	rm -rf build
