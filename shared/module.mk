# shared/: libshared.a, the code both daemons and zonectl link, a directory per subsystem:
# store/ (the store and zone edits), dns/ (names, records, zone files, TSIG), sts/ (MTA-STS),
# tls/ (certificates, HTTPS responses), util/ (configuration, logs, daemons, small helpers).
SHARED_SRCS := $(wildcard shared/*/*.c)
SHARED_OBJS := $(SHARED_SRCS:%.c=$(OBJ)/%.o)
LIBSHARED   := $(BUILD)/libshared.a

$(LIBSHARED): $(SHARED_OBJS)
	$(call archive)

ALL_BINS += $(LIBSHARED)
LDLIBS += -lmbedtls -lmbedx509 -lmbedcrypto   # tls/, sts/sts_fetch.c (and httpsd)
