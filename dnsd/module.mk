# dnsd/: libdnsd.a (everything but main.c, so tests link the code the daemon runs) and dnsd.
DNSD_SRCS := $(filter-out dnsd/main.c,$(wildcard dnsd/*.c))
DNSD_OBJS := $(DNSD_SRCS:%.c=$(OBJ)/%.o)
LIBDNSD   := $(BUILD)/libdnsd.a
DNSD      := $(BUILD)/dnsd

$(LIBDNSD): $(DNSD_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(DNSD): $(OBJ)/dnsd/main.o $(LIBDNSD) $(LIBSHARED)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -luv -lpthread

ALL_BINS += $(LIBDNSD) $(DNSD)
