# shared/: libshared.a, the code both daemons and zonectl link, a directory per subsystem:
# store/ (the store and zone edits), dns/ (names, records, zone files, TSIG), sts/ (MTA-STS),
# rpt/ (TLS reports: parsing, spool, import, summaries), acme/ (ACME: the RFC 8555 client,
# orders, dns-01 and tls-alpn-01, the ACME step),
# tls/ (certificates, HTTPS responses), util/ (configuration, logs, daemons, small helpers),
# check/ (a domain's MTA-STS as senders see it: DNS, HTTPS, SMTP STARTTLS; problem codes).
SHARED_SRCS := $(wildcard shared/*/*.c)
SHARED_OBJS := $(SHARED_SRCS:%.c=$(OBJ)/%.o)
LIBSHARED   := $(BUILD)/libshared.a

$(LIBSHARED): $(SHARED_OBJS)
	$(call archive)

ALL_BINS += $(LIBSHARED)
LDLIBS += -lmbedtls -lmbedx509 -lmbedcrypto   # tls/, sts/sts_fetch.c (and httpsd)
LDLIBS += -lz -ldeflate                        # rpt/tlsrpt_gzip.c
# rpt/tlsrpt_mime.c: MIME through GMime (and its GLib). Not in LDLIBS: only what calls it links
# GMIME_LIBS (zonectl-mime, its unit test and fuzz target), so zonectl starts without them.
GMIME_CFLAGS := $(shell pkg-config --cflags gmime-3.0 2>/dev/null)
GMIME_LIBS   := $(shell pkg-config --libs gmime-3.0 2>/dev/null)
$(OBJ)/shared/rpt/tlsrpt_mime.o: LS_CPPFLAGS += $(GMIME_CFLAGS)
