# dnsd/zonectl/: the operator CLI; its logic lives in shared/.
ZONECTL_SRCS := $(wildcard dnsd/zonectl/*.c)
ZONECTL_OBJS := $(ZONECTL_SRCS:%.c=$(OBJ)/%.o)
ZONECTL      := $(BUILD)/zonectl

$(ZONECTL): $(ZONECTL_OBJS) $(LIBSHARED)
	$(call link)

ALL_BINS += $(ZONECTL)

# zonectl-mime: `tlsrpt ingest`'s MIME step (GMime), a helper zonectl runs, so that zonectl
# itself does not load GMime, GLib and their libraries at every start.
ZONECTL_MIME := $(BUILD)/zonectl-mime

$(ZONECTL_MIME): $(OBJ)/dnsd/zonectl/mime/main.o $(LIBSHARED)
	$(call link,$(GMIME_LIBS))

ALL_BINS += $(ZONECTL_MIME)
