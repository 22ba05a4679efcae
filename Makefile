# waav: build, run, test and benchmark the nginx module.
#
#   make run             nginx in the foreground with conf/waav.conf (HOST, PORT)
#   make test            C unit tests + integration tests (t/*.t)
#   make test SAN=1      the same with AddressSanitizer + UBSan
#   make test STATIC=1   the suite against an nginx with waav built in
#                        (--add-module; fetches nginx's source into /tmp)
#   make test-sdk WAAV_SDK=path   WaaV's TypeScript SDK's /ws and API tests
#   make test-dashboard WAAV_SDK=path   WaaV's dashboard in headless chromium
#   make bench           wrk: waav vs plain nginx, markdown table
#   make deb             build/libnginx-mod-http-waav_VERSION_amd64.deb
#                        (LINTIAN=0: without lintian's check)
#   make fresh           README's commands and the .deb in clean Debian 12
#                        roots (mmdebstrap; FRESH_TESTS=quick|full|none)
#   make NGINX_SRC=/path/to/nginx-x.y.z    build against an upstream tree
#
# Each target installs the Debian packages it lacks (apt-get, as root).

SHELL       := /bin/bash
NGINX_SRC   ?= /usr/share/nginx/src
NGINX_BIN   ?= /usr/sbin/nginx
SAN         ?= 0
STATIC      ?= 0
HOST        ?= 127.0.0.1
PORT        ?= 3001

ifeq ($(SAN),1)
BUILD       ?= build/san
SAN_FLAGS   := -fsanitize=address,undefined -fno-omit-frame-pointer
else ifeq ($(STATIC),1)
BUILD       ?= build/static
SAN_FLAGS   :=
else
BUILD       ?= build
SAN_FLAGS   :=
endif

# the module's own files (after nginx's own CFLAGS, which say -Wno-unused-parameter)
WAAV_CFLAGS := -Wall -Wextra -Wunused-parameter -Werror -g $(SAN_FLAGS)

NGX_BUILD   := $(abspath $(BUILD))/nginx

ifeq ($(STATIC),1)
# a whole nginx with waav compiled in, from nginx's full source
NGINX_SRC   := /tmp/waav-nginx-src
MODULE      := $(BUILD)/nginx/src/objs/nginx
NGINX_BIN   := $(abspath $(MODULE))
LOAD_MODULE :=
else
MODULE      := $(BUILD)/ngx_http_waav_module.so
LOAD_MODULE := $(MODULE)
endif
SOURCES     := $(wildcard src/*.c src/*.h src/*/*.c src/*/*.h src/*/*/*.c \
                          src/*/*/*.h)

BUILD_PKGS  := nginx nginx-dev gcc make libcjson-dev libjwt-dev \
               libhiredis-dev libssl-dev libpcre2-dev zlib1g-dev libwslay-dev \
               libespeak-ng-dev libspeexdsp-dev libpocketsphinx-dev \
               pocketsphinx-en-us ca-certificates
TEST_PKGS   := libcmocka-dev libtest-base-perl libmojolicious-perl \
               redis-server curl openssl python3-websockets \
               libcrypt-openssl-rsa-perl
BENCH_PKGS  := wrk

.PHONY: all build run test unit integration bench deps deps-test deps-bench \
        clean nginx-t fuzz deb fresh test-sdk test-dashboard registry registry-check registry-readme registry-files FORCE

all: build

build: deps $(MODULE)

# --- Debian packages -------------------------------------------------------

deps:
	@scripts/deps.sh $(BUILD_PKGS)

deps-test:
	@scripts/deps.sh $(BUILD_PKGS) $(TEST_PKGS)

deps-bench:
	@scripts/deps.sh $(BUILD_PKGS) $(BENCH_PKGS)

# --- the module ------------------------------------------------------------

# config lists the adapters (src/core/tts, src/core/stt) by glob when nginx is
# configured: a file added or removed there configures again
ADAPTERS    := $(sort $(wildcard src/core/tts/*.c src/core/stt/*.c))

$(BUILD)/.adapters: FORCE
	@mkdir -p $(dir $@)
	@echo '$(ADAPTERS)' | cmp -s - $@ || echo '$(ADAPTERS)' >$@

FORCE:

$(NGX_BUILD)/.configured: config Makefile scripts/configure.sh $(BUILD)/.adapters
ifeq ($(STATIC),1)
	@scripts/nginx-source.sh "$(NGINX_SRC)"
endif
	@STATIC=$(STATIC) scripts/configure.sh "$(NGINX_SRC)" "$(NGX_BUILD)" \
	    "$(CURDIR)" "$(WAAV_CFLAGS)" "$(SAN_FLAGS)"
	@touch $@

ifeq ($(STATIC),1)
$(MODULE): $(NGX_BUILD)/.configured $(SOURCES)
	$(MAKE) -C $(NGX_BUILD)/src -f objs/Makefile binary
else
$(MODULE): $(NGX_BUILD)/.configured $(SOURCES)
	$(MAKE) -C $(NGX_BUILD)/src -f objs/Makefile modules
	cp $(NGX_BUILD)/src/objs/ngx_http_waav_module.so $@
endif

# the limits' Redis script as a C string: committed, as nchan commits its
# generated Lua scripts, so that a plain ./configure --add-dynamic-module
# builds from a clean clone; regenerated here when the .lua changes
src/ngx_http_waav_limit_lua.h: src/ngx_http_waav_limit.lua scripts/lua2c.sh
	scripts/lua2c.sh ngx_http_waav_limit_lua $< >$@.tmp && mv $@.tmp $@

# nginx -t with the module and the config `make run` uses
nginx-t: build
	@scripts/run.sh --test

run: build
	@HOST=$(HOST) PORT=$(PORT) NGINX_BIN=$(NGINX_BIN) MODULE=$(MODULE) \
	    scripts/run.sh

# --- tests -----------------------------------------------------------------

UNIT_TESTS  := $(patsubst t/unit/%.c,$(BUILD)/unit/%,$(wildcard t/unit/test_*.c))
# the pure C core: src/core/*.c and the adapters (src/core/tts, src/core/stt)
CORE_SRCS   := $(wildcard src/core/*.c src/core/tts/*.c src/core/stt/*.c)
CORE_LIBS   := -lcjson -ljwt -lwslay -lcrypto -lm

$(BUILD)/unit/%: t/unit/%.c $(CORE_SRCS) $(wildcard src/core/*.h t/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu99 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -g $(SAN_FLAGS) \
	    -Isrc/core -o $@ $< $(CORE_SRCS) -lcmocka $(CORE_LIBS)

$(BUILD)/unit/test_limit_lua: src/ngx_http_waav_limit_lua.h \
                              src/ngx_http_waav_limit.lua

unit: deps-test $(UNIT_TESTS) registry-check
	@set -e; for t in $(UNIT_TESTS); do echo "# $$t"; $$t; done

# the provider registry as TSV (build/waav-registry --markdown: README's table)
$(BUILD)/waav-registry: src/core/tools/waav-registry.c $(CORE_SRCS) \
        $(wildcard src/core/*.h)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu99 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -g \
	    -Isrc/core -o $@ $< $(CORE_SRCS) $(CORE_LIBS)

registry: $(BUILD)/waav-registry
	@$(BUILD)/waav-registry

# README's provider table is what the registry says
registry-check: $(BUILD)/waav-registry
	@scripts/registry-readme.sh --check $(BUILD)/waav-registry

# everything made from the registry: README's table, scripts/providers.tsv,
# and conf/waav/{upstreams,providers}.conf from it
registry-readme registry-files: $(BUILD)/waav-registry
	@scripts/registry-readme.sh $(BUILD)/waav-registry
	@scripts/providers-conf.sh conf/waav

integration: deps-test build
	@BUILD=$(BUILD) SAN=$(SAN) NGINX_BIN=$(NGINX_BIN) MODULE=$(LOAD_MODULE) \
	    scripts/prove.sh

test: deps-test build
	@$(MAKE) --no-print-directory unit SAN=$(SAN)
	@$(MAKE) --no-print-directory integration SAN=$(SAN)

# WaaV's TypeScript SDK: its /ws tests (tests/integration/websocket.test.ts)
# and API tests (tests/api/gateway.test.ts; WAAV_SDK_SUITE=ws|api|all)
# against make run on port 3001, providers at the mock (scripts/sdk-test.sh);
# WAAV_SDK = its clients_sdk/typescript, or a WaaV checkout
test-sdk: deps-test build
	@scripts/sdk-test.sh "$(WAAV_SDK)"

# WaaV's dashboard (clients_sdk/dashboard) in Debian's chromium, headless
# (playwright-core from t/dashboard/package-lock.json), served at /dashboard/
# by make run and from another origin with CORS (scripts/dashboard-test.sh);
# screenshots in build/dashboard*.png
test-dashboard: deps-test build
	@scripts/deps.sh chromium
	@scripts/dashboard-test.sh "$(WAAV_SDK)"

# --- fuzzing (libFuzzer, clang) ----------------------------------------------

FUZZ_SECONDS ?= 30
FUZZ_PKGS    := clang libclang-rt-14-dev llvm-14 libcmocka-dev libcjson-dev \
                libjwt-dev libssl-dev libwslay-dev
FUZZ_TARGETS := $(patsubst t/fuzz/%.c,build/fuzz/%,$(wildcard t/fuzz/fuzz_*.c))
FUZZ_COV     := $(patsubst t/fuzz/%.c,build/fuzz-cov/%,$(wildcard t/fuzz/fuzz_*.c))

build/fuzz/%: t/fuzz/%.c $(CORE_SRCS) $(wildcard src/core/*.h t/unit/*.h)
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc/core -o $@ $< \
	    $(CORE_SRCS) $(CORE_LIBS)

# the same target built for llvm-cov: the coverage of its corpus
build/fuzz-cov/%: t/fuzz/%.c $(CORE_SRCS) $(wildcard src/core/*.h t/unit/*.h)
	@mkdir -p $(dir $@)
	clang -g -O0 -fsanitize=fuzzer -fprofile-instr-generate \
	    -fcoverage-mapping -Isrc/core -o $@ $< $(CORE_SRCS) $(CORE_LIBS)

# each target for FUZZ_SECONDS, then the line coverage of the files it
# covers (scripts/fuzz.sh); a crash or a file under 80 % fails
fuzz:
	@scripts/deps.sh $(FUZZ_PKGS)
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS) $(FUZZ_COV)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

# --- benchmarks ------------------------------------------------------------

bench: deps-bench build $(BUILD)/wsload $(BUILD)/wsstream
	@NGINX_BIN=$(NGINX_BIN) MODULE=$(abspath $(MODULE)) \
	    WSLOAD=$(abspath $(BUILD)/wsload) \
	    WSSTREAM=$(abspath $(BUILD)/wsstream) bench/run.sh

# the /ws rows' load generator, sink and timestamping provider; the
# streaming STT rows' client and Deepgram-like provider
$(BUILD)/wsload $(BUILD)/wsstream: $(BUILD)/%: bench/%.c bench/wsbench.c \
        bench/wsbench.h
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -Wextra -Werror -o $@ $(filter %.c,$^) -lcrypto
$(BUILD)/wsstream: bench/wsstream_provider.c bench/wsstream.h

# --- packaging ---------------------------------------------------------------

# the Debian package, as Debian ships nginx modules (scripts/deb.sh)
LINTIAN     ?= 1
DEB_PKGS    := dpkg-dev binutils $(if $(filter 0,$(LINTIAN)),,lintian)

deb: build
	@scripts/deps.sh $(DEB_PKGS)
	@LINTIAN=$(LINTIAN) scripts/deb.sh $(MODULE) $(BUILD)

# README's commands, then the .deb with the Dockerfile's steps, each in a
# clean Debian 12 root (scripts/fresh.sh; minutes; not part of make test)
FRESH_TESTS ?= quick

fresh:
	@scripts/deps.sh mmdebstrap git
	@FRESH_TESTS=$(FRESH_TESTS) scripts/fresh.sh

clean:
	rm -rf build
