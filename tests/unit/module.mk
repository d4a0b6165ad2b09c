# tests/unit/: one cmocka binary per tests/unit/test_<module>.c, linked with libshared.a.
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)

$(BUILD)/tests/unit/%: $(OBJ)/tests/unit/%.o $(LIBHTTPSD) $(LIBDNSD) $(LIBSHARED)
	$(call link,-lcmocka -luv -lpthread)

# The one unit test that calls tlsrpt_mime_find() links GMime itself (shared/module.mk).
$(BUILD)/tests/unit/test_tlsrpt: LDLIBS += $(GMIME_LIBS)

unit-bins: $(UNIT_BINS)

# Runs every unit test binary; fails when any fails.
unit: $(UNIT_BINS)
	@fail=0; for t in $(UNIT_BINS); do \
	  echo "== $$t"; $$t || fail=1; \
	done; exit $$fail

.PHONY: unit unit-bins
