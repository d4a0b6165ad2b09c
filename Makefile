# Lockstep: one non-recursive Makefile; each directory adds itself through module.mk.
# Build products go to build/. V=1 shows the commands.
#
# CFLAGS, CPPFLAGS and LDFLAGS are the user's: `make CFLAGS=-O0` or `make CFLAGS+=-g3` changes
# them without losing the flags the code needs to build, which live in LS_* below.
# SANITIZE=address,undefined builds into a directory of its own, so objects never mix.

comma    := ,
SANITIZE ?=
BUILD    := build$(if $(SANITIZE),/san-$(subst $(comma),-,$(SANITIZE)))
# One spelling of each object path: a BUILD given as an absolute path inside the tree (the
# install test does) would write dependency files for /abs/build/obj/x.o, which a later plain
# `make` does not read for build/obj/x.o, and a header change would then leave x.o stale.
override BUILD := $(patsubst $(CURDIR)/%,%,$(BUILD))
OBJ      := $(BUILD)/obj
CC       ?= cc
PYTHON   := /usr/bin/python3
OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
LDLIBS   := -lldns -llmdb -lmbedcrypto -ljansson

# OPT applies when the user's CFLAGS name no optimization level (`make CFLAGS+=-g3`).
LS_CPPFLAGS := -D_GNU_SOURCE -I. -MMD -MP
LS_CFLAGS   := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter \
               -fno-strict-aliasing $(if $(filter -O%,$(CFLAGS)),,$(OPT))
LS_LDFLAGS  :=
ifneq ($(SANITIZE),)
LS_SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LS_CFLAGS   += $(LS_SANFLAGS)
LS_LDFLAGS  += $(LS_SANFLAGS)
# What the tests run under: stop at the first error; leaks inside ldns are its own (lsan.supp).
ASAN_OPTIONS  ?= halt_on_error=1:detect_leaks=1
UBSAN_OPTIONS ?= halt_on_error=1:print_stacktrace=1
LSAN_OPTIONS  ?= suppressions=$(CURDIR)/tests/fuzz/lsan.supp:print_suppressions=0
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
endif
# The system tests find the binaries here (tests/system/conftest.py).
export LOCKSTEP_BUILD := $(CURDIR)/$(BUILD)

ifeq ($(V),1)
Q :=
else
Q := @
endif

# $(call link,EXTRA_LIBS): links $^ into $@.
define link
@mkdir -p $(dir $@)
@$(if $(Q),echo "  LD      $@")
$(Q)$(CC) $(LS_LDFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(1)
endef

# $(call archive): archives $^ into $@.
define archive
@mkdir -p $(dir $@)
@$(if $(Q),echo "  AR      $@")
$(Q)rm -f $@ && ar rcs $@ $^
endef

# $(eval $(call daemon,DIR,VAR)): a daemon is a library of DIR/*.c but main.c (so tests link the
# code the daemon runs) plus a thin main.c. Defines VAR_SRCS, VAR_OBJS, LIBVAR and VAR.
define daemon
$(2)_SRCS := $$(filter-out $(1)/main.c,$$(wildcard $(1)/*.c))
$(2)_OBJS := $$($(2)_SRCS:%.c=$$(OBJ)/%.o)
LIB$(2)   := $$(BUILD)/lib$(1).a
$(2)      := $$(BUILD)/$(1)

$$(LIB$(2)): $$($(2)_OBJS)
	$$(call archive)

$$($(2)): $$(OBJ)/$(1)/main.o $$(LIB$(2)) $$(LIBSHARED)
	$$(call link,-luv -lpthread)

ALL_BINS += $$(LIB$(2)) $$($(2))
endef

# Debian packages every target needs; `make deps` installs the missing ones.
DEB_PACKAGES := gcc make pkg-config libldns-dev liblmdb-dev libuv1-dev libmbedtls-dev \
                libcmocka-dev python3-pytest python3-dnspython ldnsutils lmdb-utils \
                knot knot-dnsutils nsd dnsperf clang libclang-rt-14-dev \
                postfix-mta-sts-resolver iproute2 curl openssl libjansson-dev \
                bind9-dnsutils zlib1g-dev libdeflate-dev libgmime-3.0-dev unbound zonemaster-cli \
                nginx python3-aiosmtpd python3-cryptography libxdp-dev libbpf-dev iputils-ping ethtool \
                pebble

all:

include shared/module.mk
include dnsd/module.mk
include dnsd/zonectl/module.mk
include httpsd/module.mk
include httpsd/api/module.mk
include docs/module.mk
include tests/unit/module.mk
include tests/system/module.mk
include tests/fuzz/module.mk
include tests/lint/module.mk

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(LS_CPPFLAGS) $(CPPFLAGS) $(LS_CFLAGS) $(CFLAGS) -c -o $@ $<

all: $(ALL_BINS)

# Installs only what is missing; does nothing (and needs no root) when all is present.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# The build uses every CPU unless make was given -j itself (then its jobserver rules).
NPROC := $(shell nproc 2>/dev/null || echo 1)
JOBS   = $(if $(findstring jobserver,$(MAKEFLAGS)),,-j$(NPROC))

# The test command README.md gives: packages, build, unit tests, fuzz corpus replay, system tests.
test:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory $(JOBS) all unit-bins fuzz-replay-bins
	$(Q)$(MAKE) --no-print-directory check

check: unit fuzz-replay layers system

system: all
	$(PYTHON) -m pytest -q -m "not long" tests/system

# The system tests that wait for real time (marked long): CI runs them after `make test`.
test-long:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory all
	$(PYTHON) -m pytest -q -m long tests/system

# Imports the example zones into ./var, makes a demo CA, starts httpsd (127.0.0.1:8443) in the
# background and dnsd (127.0.0.1:5300) in the foreground, enables MTA-STS for the example
# domains (their ids publish once httpsd serves their policies), and runs until Ctrl-C.
RUN_STATE := $(CURDIR)/var
RUN_DNS   := 127.0.0.1:5300
RUN_HTTPS := 127.0.0.1:8443
RUN_CONF  := $(RUN_STATE)/lockstep.conf
RUN_ZC     = $(ZONECTL) -c $(RUN_CONF)
# Started as root, the daemons stay root (the files in ./var are root's) only when told so.
RUN_USER  := $(if $(filter 0,$(shell id -u)),'  user: root')
run:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)mkdir -p -m 0700 $(RUN_STATE)
	$(Q)printf '%s\n' '# written by make run' 'server:' '  state-dir: $(RUN_STATE)' \
	  'dnsd:' '  listen: $(RUN_DNS)' '  workers: 1' $(RUN_USER) 'httpsd:' \
	  '  listen: $(RUN_HTTPS)' '  workers: 1' $(RUN_USER) 'mta-sts:' '  endpoints: $(RUN_HTTPS)' '  service-address: 127.0.0.1' \
	  '  trust-store: $(RUN_STATE)/demo-ca/ca.pem' '  fetch-timeout: 3' \
	  '# the demo domains are not reachable as a sender reaches them (port 443, public CA):' \
	  '# watching them would only raise false alarms; the check command below shows them' \
	  'watch:' '  own: no' > $(RUN_CONF)
	$(Q)for f in zones/*.zone; do $(RUN_ZC) zone import $$f >/dev/null || exit 1; done
	$(Q)$(RUN_ZC) cert demo-ca
	$(Q)$(HTTPSD) -c $(RUN_CONF) & hp=$$!; \
	trap 'kill $$hp 2>/dev/null; wait $$hp 2>/dev/null' EXIT INT TERM; \
	for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.1; $(PYTHON) -c 'import socket; \
	  socket.create_connection(("127.0.0.1", $(lastword $(subst :, ,$(RUN_HTTPS)))), 1)' \
	  2>/dev/null && break; done; \
	for d in example.com example.net; do \
	  $(RUN_ZC) mta-sts status $$d >/dev/null 2>&1 || $(RUN_ZC) mta-sts enable $$d --mode testing; \
	done; \
	echo; $(RUN_ZC) zone list; \
	echo; echo "dnsd answers on $(RUN_DNS) (UDP, TCP), httpsd on $(RUN_HTTPS), until Ctrl-C. Try:"; \
	echo "  kdig @127.0.0.1 -p 5300 _mta-sts.example.com TXT"; \
	echo "  curl --cacert var/demo-ca/ca.pem --resolve mta-sts.example.com:8443:127.0.0.1 https://mta-sts.example.com:8443/.well-known/mta-sts.txt"; \
	echo "  $(RUN_ZC) rr add example.com '@ 3600 IN MX 30 mx3.example.com.'   (new policy, then new id)"; \
	echo "  $(RUN_ZC) mta-sts status example.com"; \
	echo "  $(RUN_ZC) check example.com --resolver $(RUN_DNS) --ca $(RUN_STATE)/demo-ca/ca.pem --connect-to mta-sts.example.com:443:$(RUN_HTTPS)"; \
	echo "      (as a sender sees it: the demo's MX hosts do not exist, so mx-* errors are right)"; \
	echo "  $(RUN_ZC) mta-sts mode example.com enforce --force   (refused without --force: that check finds errors)"; \
	echo "  $(RUN_ZC) zone export example.com"; \
	echo; \
	$(DNSD) -c $(RUN_CONF)

# bench_certs signs 100,000 certificates with python3-cryptography; bench_change counts syncs
# with strace; bench_dns counts syscalls and profiles with perf.
BENCH_PACKAGES += python3-cryptography strace linux-perf

bench:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory deps DEB_PACKAGES="$(BENCH_PACKAGES)"
	$(Q)$(MAKE) --no-print-directory all
	$(PYTHON) tests/bench/bench.py --build $(BUILD)

# Both build directories: build/ holds the sanitizer builds too.
clean:
	rm -rf build

.PHONY: all deps test test-long check system run bench clean
.SECONDARY:
-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
