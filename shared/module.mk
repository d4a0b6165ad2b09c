# shared/: libshared.a, the code both daemons and zonectl link.
SHARED_SRCS := $(wildcard shared/*.c)
SHARED_OBJS := $(SHARED_SRCS:%.c=$(OBJ)/%.o)
LIBSHARED   := $(BUILD)/libshared.a

$(LIBSHARED): $(SHARED_OBJS)
	$(call archive)

ALL_BINS += $(LIBSHARED)
LDLIBS += -lmbedtls -lmbedx509 -lmbedcrypto   # shared/cert.c, sts_fetch.c (and httpsd)
