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
LDLIBS   := -lldns -llmdb -lmbedcrypto

# Debian packages every target needs; `make deps` installs the missing ones.
DEB_PACKAGES := gcc make pkg-config libldns-dev liblmdb-dev libuv1-dev libmbedtls-dev \
                libcmocka-dev python3-pytest python3-dnspython ldnsutils lmdb-utils \
                knot knot-dnsutils nsd dnsperf clang libclang-rt-14-dev

ifeq ($(V),1)
Q :=
else
Q := @
endif

all:

include shared/module.mk
include dnsd/module.mk
include dnsd/zonectl/module.mk
include tests/unit/module.mk
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

# Imports the example zones into ./var, shows them, and runs dnsd on 127.0.0.1:5300 until Ctrl-C
# (httpsd joins in with the MTA-STS issue).
RUN_STATE := var
RUN_DNS   := 127.0.0.1:5300
run:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)for f in zones/*.zone; do $(ZONECTL) --state $(RUN_STATE) zone import $$f || exit 1; done
	$(Q)echo; echo "zones in $(RUN_STATE)/ (zonectl --state $(RUN_STATE) zone list):"
	$(Q)$(ZONECTL) --state $(RUN_STATE) zone list
	$(Q)echo; echo "dnsd answers on $(RUN_DNS) (UDP and TCP) until Ctrl-C. Try, in another terminal:"
	$(Q)echo "  kdig @127.0.0.1 -p 5300 example.com MX"
	$(Q)echo "  kdig @127.0.0.1 -p 5300 +tcp www.example.com AAAA"
	$(Q)echo "  $(ZONECTL) --state $(RUN_STATE) rr add example.com 'mx3 300 IN A 192.0.2.26'   (seen at once)"
	$(Q)echo "  $(ZONECTL) --state $(RUN_STATE) zone export example.com"
	$(Q)echo "  $(ZONECTL) --state $(RUN_STATE) stats"
	$(Q)echo
	$(Q)exec $(DNSD) --state $(RUN_STATE) --listen $(RUN_DNS) --workers 1

bench:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory all
	$(PYTHON) tests/bench/bench.py --build $(BUILD)

clean:
	rm -rf $(BUILD)

.PHONY: all deps test check system run bench clean
.SECONDARY:
-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
