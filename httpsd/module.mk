# httpsd/: libhttpsd.a (everything but main.c, so tests link the code the daemon runs) and httpsd.
HTTPSD_SRCS := $(filter-out httpsd/main.c,$(wildcard httpsd/*.c))
HTTPSD_OBJS := $(HTTPSD_SRCS:%.c=$(OBJ)/%.o)
LIBHTTPSD   := $(BUILD)/libhttpsd.a
HTTPSD      := $(BUILD)/httpsd

$(LIBHTTPSD): $(HTTPSD_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(HTTPSD): $(OBJ)/httpsd/main.o $(LIBHTTPSD) $(LIBSHARED)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -luv -lpthread

ALL_BINS += $(LIBHTTPSD) $(HTTPSD)

# The httpsd system tests talk to it with curl and openssl s_client.
DEB_PACKAGES += curl openssl

# Only `make bench` needs these: nginx to compare with, OpenSSL headers for its load client.
BENCH_PACKAGES += nginx libssl-dev
