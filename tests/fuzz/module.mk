# tests/fuzz/: libFuzzer targets (clang). `make fuzz` runs each for FUZZ_SECONDS;
# `make fuzz-replay` (part of make test) replays the committed corpora with $(CC) builds,
# sanitized like everything else under SANITIZE.
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES   := $(FUZZ_SRCS:tests/fuzz/%.c=%)
FUZZ_REPLAY  := $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/replay_%)
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_CC      := clang
FUZZ_CFLAGS  := -g -O1 -std=c11 -D_GNU_SOURCE -I. -fsanitize=fuzzer,address,undefined

# Replay binaries: the target plus a main() that feeds it every corpus file.
$(BUILD)/tests/fuzz/replay_%: $(OBJ)/tests/fuzz/%.o $(OBJ)/tests/fuzz/replay_main.o $(LIBHTTPSD) $(LIBDNSD) $(LIBSHARED)
	$(call link)

# GMime only where it is called (shared/module.mk).
$(BUILD)/tests/fuzz/replay_fuzz_tlsrpt_mime: LDLIBS += $(GMIME_LIBS)

# The metrics request parser lives beside its libuv listener.
$(BUILD)/tests/fuzz/replay_fuzz_metrics_http: LDLIBS += -luv -lpthread

fuzz-replay-bins: $(FUZZ_REPLAY)

fuzz-replay: $(FUZZ_REPLAY)
	@fail=0; for n in $(FUZZ_NAMES); do \
	  $(BUILD)/tests/fuzz/replay_$$n tests/fuzz/corpus/$$n || fail=1; \
	done; exit $$fail

# Long fuzzing with sanitizers, FUZZ_SECONDS per target. Inputs go to a work directory; only
# those that add coverage are merged into tests/fuzz/corpus/NAME. Crashes land in build/fuzz/.
# ldns 1.8.3 leaks a few bytes on some parse errors; tests/fuzz/lsan.supp ignores leaks inside it.
# Every target is built with the sources of shared/, dnsd and httpsd (their names do not clash).
fuzz: $(SHARED_SRCS) $(DNSD_SRCS) $(HTTPSD_SRCS) $(FUZZ_SRCS)
	@for n in $(FUZZ_TARGETS); do \
	  echo "== fuzz $$n for $(FUZZ_SECONDS)s"; \
	  mkdir -p $(BUILD)/fuzz/work-$$n tests/fuzz/corpus/$$n; \
	  $(FUZZ_CC) $(FUZZ_CFLAGS) $(GMIME_CFLAGS) -o $(BUILD)/fuzz/$$n tests/fuzz/$$n.c $(SHARED_SRCS) $(DNSD_SRCS) \
	      $(HTTPSD_SRCS) $(LDLIBS) $(GMIME_LIBS) $(XDP_LIBS) -luv -lpthread || exit 1; \
	  LSAN_OPTIONS=suppressions=tests/fuzz/lsan.supp \
	  $(BUILD)/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	      -artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/work-$$n tests/fuzz/corpus/$$n || exit 1; \
	  $(BUILD)/fuzz/$$n -merge=1 tests/fuzz/corpus/$$n $(BUILD)/fuzz/work-$$n 2>/dev/null || exit 1; \
	done

.PHONY: fuzz fuzz-replay fuzz-replay-bins
