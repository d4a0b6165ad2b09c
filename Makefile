# Lockstep: one non-recursive Makefile; each directory adds itself through module.mk.
# Build products go to build/. V=1 shows the commands.

BUILD    := build
OBJ      := $(BUILD)/obj
CC       ?= cc
PYTHON   := /usr/bin/python3
OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes \
            -Wno-unused-parameter -fno-strict-aliasing -MMD -MP -I.
LDLIBS   := -lldns -llmdb -lmbedcrypto -ljansson

# Debian packages every target needs; `make deps` installs the missing ones.
DEB_PACKAGES := gcc make pkg-config libldns-dev liblmdb-dev libuv1-dev libmbedtls-dev \
                libcmocka-dev python3-pytest python3-dnspython ldnsutils lmdb-utils \
                knot knot-dnsutils nsd dnsperf clang libclang-rt-14-dev \
                postfix-mta-sts-resolver iproute2 curl openssl libjansson-dev

ifeq ($(V),1)
Q :=
else
Q := @
endif

all:

include shared/module.mk
include dnsd/module.mk
include dnsd/zonectl/module.mk
include httpsd/module.mk
include tests/unit/module.mk
include tests/system/module.mk
include tests/fuzz/module.mk

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

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

# The test command README.md gives: packages, build, unit tests, fuzz corpus replay, system tests.
test:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory all unit-bins fuzz-replay-bins
	$(Q)$(MAKE) --no-print-directory check

check: unit fuzz-replay system

system: all
	$(PYTHON) -m pytest -q tests/system

# Imports the example zones into ./var, makes a demo CA, starts httpsd (127.0.0.1:8443) in the
# background and dnsd (127.0.0.1:5300) in the foreground, enables MTA-STS for the example
# domains (their ids publish once httpsd serves their policies), and runs until Ctrl-C.
RUN_STATE := $(CURDIR)/var
RUN_DNS   := 127.0.0.1:5300
RUN_HTTPS := 127.0.0.1:8443
RUN_CONF  := $(RUN_STATE)/lockstep.conf
RUN_ZC     = $(ZONECTL) -c $(RUN_CONF)
run:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)mkdir -p -m 0700 $(RUN_STATE)
	$(Q)printf '%s\n' '# written by make run' 'server:' '  state-dir: $(RUN_STATE)' \
	  'dnsd:' '  listen: $(RUN_DNS)' '  workers: 1' 'httpsd:' '  listen: $(RUN_HTTPS)' \
	  '  workers: 1' 'mta-sts:' '  endpoints: $(RUN_HTTPS)' '  service-address: 127.0.0.1' \
	  '  trust-store: $(RUN_STATE)/demo-ca/ca.pem' '  fetch-timeout: 3' > $(RUN_CONF)
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
	echo "  $(RUN_ZC) mta-sts mode example.com enforce"; \
	echo "  $(RUN_ZC) zone export example.com"; \
	echo; \
	$(DNSD) -c $(RUN_CONF)

bench:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory deps DEB_PACKAGES="$(BENCH_PACKAGES)"
	$(Q)$(MAKE) --no-print-directory all
	$(PYTHON) tests/bench/bench.py --build $(BUILD)

clean:
	rm -rf $(BUILD)

.PHONY: all deps test check system run bench clean
.SECONDARY:
-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
