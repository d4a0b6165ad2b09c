# docs/: the manual pages, the example configuration and the sysusers.d and tmpfiles.d snippets,
# installed as they are; and `make install` / `make uninstall`, which put them, the programs and
# the units (dnsd/dnsd.service, httpsd/httpsd.service) on a system.
#
# PREFIX=/usr/local puts the units, sysusers.d and tmpfiles.d files under /usr/local/lib, where
# Debian's systemd looks for local ones; with a PREFIX it does not search (/opt/...) give
# UNITDIR=/etc/systemd/system SYSUSERSDIR=/etc/sysusers.d TMPFILESDIR=/etc/tmpfiles.d.
# The configuration is in /etc/lockstep whatever the PREFIX, as the programs look for it there.
PREFIX      ?= /usr/local
SBINDIR     ?= $(PREFIX)/sbin
# Helpers zonectl runs (zonectl-mime), found as ../lib/lockstep from zonectl's own directory.
LIBEXECDIR  ?= $(PREFIX)/lib/lockstep
MANDIR      ?= $(PREFIX)/share/man
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
CONFDIR     := /etc/lockstep
INSTALL     ?= install

INSTALL_PROGS = $(DNSD) $(HTTPSD) $(ZONECTL)
INSTALL_UNITS := dnsd/dnsd.service httpsd/httpsd.service
MAN5          := $(wildcard docs/*.5)
MAN8          := $(wildcard docs/*.8)
CONF_EXAMPLE  := docs/lockstep.conf.example
CONF_FILE     := $(DESTDIR)$(CONFDIR)/lockstep.conf
# True on a system that runs systemd now, and only when installing into it (no DESTDIR).
ON_SYSTEMD    := [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]

# Installs what is built (building first what is not); an existing configuration is kept as it
# is. Into the running system (no DESTDIR) it also creates the user and the state directory and
# reloads systemd, so `systemctl enable --now dnsd httpsd` can follow.
install: $(INSTALL_PROGS) $(ZONECTL_MIME)
	$(Q)$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(CONFDIR)
	$(Q)$(INSTALL) -m 0755 $(INSTALL_PROGS) $(DESTDIR)$(SBINDIR)/
	$(Q)$(INSTALL) -m 0755 $(ZONECTL_MIME) $(DESTDIR)$(LIBEXECDIR)/
	$(Q)$(INSTALL) -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	$(Q)$(INSTALL) -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	$(Q)for u in $(INSTALL_UNITS); do t=$(DESTDIR)$(UNITDIR)/$${u##*/}; \
	  sed 's|@sbindir@|$(SBINDIR)|g' $$u > $$t.tmp && chmod 0644 $$t.tmp && mv -f $$t.tmp $$t || \
	  { rm -f $$t.tmp; exit 1; }; \
	done
	$(Q)$(INSTALL) -m 0644 docs/lockstep.sysusers $(DESTDIR)$(SYSUSERSDIR)/lockstep.conf
	$(Q)$(INSTALL) -m 0644 docs/lockstep.tmpfiles $(DESTDIR)$(TMPFILESDIR)/lockstep.conf
	$(Q)if [ -e $(CONF_FILE) ] || [ -L $(CONF_FILE) ]; then echo "install: keeping $(CONF_FILE)"; \
	else $(INSTALL) -m 0644 $(CONF_EXAMPLE) $(CONF_FILE); fi
	$(Q)if [ -n "$(DESTDIR)" ]; then :; \
	elif command -v systemd-sysusers >/dev/null; then \
	  systemd-sysusers $(SYSUSERSDIR)/lockstep.conf && \
	  systemd-tmpfiles --create $(TMPFILESDIR)/lockstep.conf || exit 1; \
	else echo "install: no systemd-sysusers: make the user lockstep and /var/lib/lockstep (0700)"; fi
	$(Q)if $(ON_SYSTEMD); then systemctl daemon-reload; fi

# Removes what install put, except a configuration that differs from the example, the user
# and the state directory (the zone store). Stops and disables the units first.
uninstall:
	$(Q)if $(ON_SYSTEMD) && [ -e $(UNITDIR)/dnsd.service ]; then \
	  systemctl disable --now $(notdir $(INSTALL_UNITS)) || true; fi
	$(Q)rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(notdir $(INSTALL_PROGS))) \
	  $(DESTDIR)$(LIBEXECDIR)/$(notdir $(ZONECTL_MIME)) \
	  $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5))) \
	  $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MAN8))) \
	  $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(INSTALL_UNITS))) \
	  $(DESTDIR)$(SYSUSERSDIR)/lockstep.conf $(DESTDIR)$(TMPFILESDIR)/lockstep.conf
	$(Q)if cmp -s $(CONF_EXAMPLE) $(CONF_FILE); then rm -f $(CONF_FILE); \
	elif [ -e $(CONF_FILE) ]; then echo "uninstall: keeping $(CONF_FILE) (changed)"; fi
	$(Q)rmdir $(DESTDIR)$(CONFDIR) $(DESTDIR)$(LIBEXECDIR) 2>/dev/null || true
	$(Q)if $(ON_SYSTEMD); then systemctl daemon-reload; fi

# systemd-analyze (tests/system/test_install.py), systemd-sysusers and systemd-tmpfiles; strace
# for the test that the daemons' system calls stay within the units' filter.
DEB_PACKAGES += systemd strace

# What a server needs to build and run Lockstep: `make deps` would also install the test tools,
# among them nsd and knot, whose services start at once and take port 53 before dnsd can.
# A library the build starts to need goes into this list too.
SERVER_PACKAGES := gcc make pkg-config libldns-dev liblmdb-dev libuv1-dev libmbedtls-dev \
                   libjansson-dev lmdb-utils ldnsutils ca-certificates systemd \
                   libxdp-dev libbpf-dev
server-deps:
	$(Q)$(MAKE) --no-print-directory deps DEB_PACKAGES="$(SERVER_PACKAGES)"

.PHONY: install uninstall server-deps
