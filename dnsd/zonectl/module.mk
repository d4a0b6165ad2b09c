# dnsd/zonectl/: the operator CLI; its logic lives in shared/.
ZONECTL_SRCS := $(wildcard dnsd/zonectl/*.c)
ZONECTL_OBJS := $(ZONECTL_SRCS:%.c=$(OBJ)/%.o)
ZONECTL      := $(BUILD)/zonectl

# zonectl starts once per command, and one MX change is one command: the dynamic loader binding
# the symbols of OpenSSL's libcrypto (which ldns needs, for DNSSEC code zonectl does not run)
# was 0.8 of its 2.0 ms from spawn to main. So ldns and libcrypto are linked in statically when
# their .a files are there (Debian: libldns-dev, libssl-dev); an OpenSSL update then needs a
# rebuild of zonectl (the daemons keep the shared ones). ZONECTL_STATIC=no links them shared.
ZONECTL_STATIC ?= yes
ZONECTL_ARCHIVES := $(wildcard $(shell $(CC) -print-file-name=libldns.a) \
                               $(shell $(CC) -print-file-name=libcrypto.a))
ifeq ($(ZONECTL_STATIC)$(words $(ZONECTL_ARCHIVES)),yes2)
$(ZONECTL): LDNS_LIBS := -Wl,-Bstatic -lldns -lcrypto -Wl,-Bdynamic
endif

$(ZONECTL): $(ZONECTL_OBJS) $(LIBSHARED)
	$(call link)

ALL_BINS += $(ZONECTL)

# zonectl-mime: `tlsrpt ingest`'s MIME step (GMime), a helper zonectl runs, so that zonectl
# itself does not load GMime, GLib and their libraries at every start.
ZONECTL_MIME := $(BUILD)/zonectl-mime

$(ZONECTL_MIME): $(OBJ)/dnsd/zonectl/mime/main.o $(LIBSHARED)
	$(call link,$(GMIME_LIBS))

ALL_BINS += $(ZONECTL_MIME)
