/* lockstep.conf: the option table, loading the file and printing the effective configuration. */
#ifndef LS_CONFIG_H
#define LS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "shared/util/diag.h"
#include "shared/dns/serial.h"
#include "shared/util/log.h"

#define CONFIG_DEFAULT_PATH "/etc/lockstep/lockstep.conf"
#define CONFIG_LINE_MAX 4096          /* bytes in one line, not counting its line end */
#define CONFIG_FILE_MAX (1024 * 1024) /* bytes in the whole file */

enum { CONFIG_ACME_AUTO, CONFIG_ACME_DNS01, CONFIG_ACME_TLS_ALPN01 };

struct config {
	char *state_dir;                  /* malloc'ed */
	enum serial_policy serial_policy;
	uint32_t default_ttl;
	char *dnsd_listen;                /* "ADDR:PORT ..." (IPv6 as [ADDR]:PORT) */
	uint32_t dnsd_workers;            /* 0: one per core */
	char *dnsd_user;                  /* "": lockstep when root (privs_choose) */
	char *dnsd_pidfile;               /* "": none */
	char *dnsd_metrics_listen;        /* "ADDR:PORT ..." for GET /metrics; "": off */
	uint32_t dnsd_metrics_cert_names; /* per-name certificate series on /metrics */
	uint32_t dnsd_answer_cache;       /* KiB per worker of built answers; 0: off */
	char *dnsd_xdp_listen;            /* "IFACE@PORT" read through AF_XDP; "": off */
	uint32_t tcp_idle_timeout;        /* seconds */
	uint32_t tcp_io_timeout;          /* seconds a started query may take to arrive */
	uint32_t tcp_max_clients;
	uint32_t tcp_max_per_address;
	uint32_t udp_max_size;            /* our EDNS payload size */
	bool dnsd_chaos;                  /* answer CH TXT version.bind and id.server */
	bool dnsd_query_log;              /* one log line per query */
	bool dnsd_cookies;                /* DNS COOKIES (RFC 7873, RFC 9018) */
	char *dnsd_cookie_secret;         /* "": random; else one or two 32-hex-digit secrets */
	uint32_t rrl_rate;                /* answers a second per client prefix and kind; 0: off */
	uint32_t rrl_slip;                /* every n-th limited answer goes out with TC */
	uint32_t rrl_ipv4_prefix, rrl_ipv6_prefix;
	uint32_t rrl_table_size;          /* buckets */
	char *rrl_exempt;                 /* prefixes never limited: "127.0.0.0/8 ::1" */
	uint32_t log_rate_limit;          /* client-caused log lines a minute; 0: no cap */
	char *sts_endpoints;              /* httpsd endpoints a publish verifies: "ADDR:PORT ..." */
	char *sts_service_address;        /* A/AAAA of mta-sts.<domain>: "ADDR ..." */
	char *sts_service_cname;          /* or a CNAME target for mta-sts.<domain> */
	char *sts_trust_store;            /* CA file the fetches verify against */
	uint32_t sts_rotate_interval;     /* seconds between id rotations */
	uint32_t sts_txt_ttl;             /* TTL of the records MTA-STS adds */
	uint32_t sts_fetch_timeout;       /* seconds per endpoint fetch */
	uint32_t sts_fetch_concurrency;   /* fetches in flight at once, per endpoint */
	uint32_t sts_retry_max;           /* seconds: the longest back-off between tries */
	bool sts_publisher;               /* dnsd runs the publish step on a timer */
	bool sts_enforce_check;           /* enforce only after a check without errors */
	char *httpsd_listen;              /* "ADDR:PORT ..." (IPv6 as [ADDR]:PORT) */
	uint32_t httpsd_workers;          /* 0: one per core */
	char *httpsd_user;                /* "": lockstep when root (privs_choose) */
	char *httpsd_pidfile;             /* "": none */
	char *httpsd_metrics_listen;      /* "ADDR:PORT ..." for GET /metrics; "": off */
	uint32_t httpsd_metrics_cert_names; /* per-name certificate series on /metrics */
	uint32_t httpsd_header_timeout;   /* seconds from accept or a request's first byte to its end */
	uint32_t httpsd_idle_timeout;     /* seconds between keep-alive requests */
	uint32_t httpsd_max_header_size;  /* bytes of a request line and header fields */
	uint32_t httpsd_max_body_size;    /* bytes of a request body; larger ones get 413 */
	uint32_t httpsd_max_clients;      /* open connections in all */
	uint32_t httpsd_max_per_address;  /* open connections per client address */
	uint32_t httpsd_max_handshakes;   /* TLS handshakes in progress in all; 0: no limit */
	uint32_t httpsd_max_handshakes_per_address;  /* in progress per address (IPv6: /64) */
	uint32_t httpsd_new_conns_per_second;  /* new connections per address and second */
	uint32_t httpsd_handshake_timeout;     /* seconds a stranger's handshake may take */
	char *httpsd_trusted;             /* "local ADDR[/LEN] ...": never limited, served first */
	bool httpsd_access_log;           /* one log line per request */
	uint32_t httpsd_cert_cache;       /* certificates kept parsed (LRU); others loaded on use */
	uint32_t journal_max_size;        /* bytes of journal kept per zone */
	uint32_t journal_max_age;         /* seconds a journal entry is kept (keep-journal); 0: for ever */
	uint32_t keep_history;            /* seconds a history entry is kept; 0: for ever */
	/* TLS reports (RFC 8460): section tlsrpt */
	bool tlsrpt_receive;              /* our own rua in _smtp._tls, reports taken in */
	char *tlsrpt_mailbox;             /* mailto: address reports are mailed to; "": none */
	uint32_t tlsrpt_keep_days;        /* days a report is kept after it was received */
	uint32_t tlsrpt_max_size;         /* bytes of one report as received (compressed) */
	uint32_t tlsrpt_max_expanded;     /* bytes of one report once inflated */
	uint32_t tlsrpt_per_address_per_hour;  /* HTTPS reports per client address and hour */
	uint32_t tlsrpt_alert_percent;    /* a day's failed sessions above this percent warn */
	/* ACME (RFC 8555): section acme; off while acme_directory is "" */
	char *acme_directory;             /* "URL ..." */
	char *acme_email;
	char *acme_eab_kid;
	char *acme_eab_hmac_key;          /* base64url */
	char *acme_ca_bundle;             /* "": the system store only */
	int acme_challenge;               /* CONFIG_ACME_* */
	char *acme_profile;
	uint32_t acme_orders_per_hour;
	/* The HTTP API (httpsd's child process): section api */
	char *api_listen;                 /* "ADDR:PORT ..."; "": no API process */
	char *api_tls_cert, *api_tls_key; /* PEM files; needed for any address off loopback */
	uint32_t api_max_body;            /* bytes of a request body; larger ones get 413 */
	uint32_t api_max_header_size;     /* bytes of a request head; larger ones get 431 */
	uint32_t api_header_timeout;      /* seconds for a request's head and body */
	uint32_t api_idle_timeout;        /* seconds between keep-alive requests */
	uint32_t api_max_connections;     /* open connections in all */
	uint32_t api_max_per_address;     /* open connections per client address */
	/* Alerts: section alerts */
	char *alerts_webhook;             /* "URL ...": each event POSTed as JSON; "": none */
	char *alerts_command;             /* a program given each event on stdin; "": none */
	char *alerts_ca;                  /* CA file for https webhooks; "": the system's */
	uint32_t alerts_timeout;          /* seconds per hook */
	/* Watching domains: section watch */
	bool watch_enabled;               /* dnsd runs the due checks */
	bool watch_own;                   /* every enabled MTA-STS domain is watched */
	uint32_t watch_every;             /* minutes between checks, for domains without --every */
	uint32_t watch_concurrency;       /* checks at once */
	uint32_t watch_keep_days;         /* days results are kept */
	char *watch_resolver;             /* for domains without --resolver; "": the system's */
	uint32_t watch_timeout;           /* seconds per check, for domains without --timeout */
	enum log_level log_level;         /* lines less severe are dropped */
	char *log_file;                   /* "": no file, lines go to stderr (or syslog) */
	bool log_syslog;                  /* lines go to syslog */
	char *path;                       /* the file read, or NULL when only defaults apply */
};

enum config_type {
	CONFIG_STRING, /* char *, malloc'ed */
	CONFIG_UINT,   /* uint32_t within min..max */
	CONFIG_BOOL,   /* bool, written yes or no */
	CONFIG_ENUM,   /* an enum (int-sized), written as one of the names in enums */
};

struct config_enum {
	const char *name;
	int value;
};

/* One row of the option table. */
struct config_option {
	const char *section;
	const char *name;
	enum config_type type;
	const char *def;                  /* the default, as it would be written in the file */
	size_t offset;                    /* of the field in struct config */
	uint32_t min, max;                /* CONFIG_UINT only */
	const struct config_enum *enums;  /* CONFIG_ENUM only; ends with a NULL name */
	/* CONFIG_STRING only, optional: true when the value has the form expect describes. */
	bool (*check)(const char *value);
	const char *expect;
	bool secret;                      /* never printed, nor echoed in an error */
	const char *help;                 /* one line */
	/* Set on an old name kept working (contracts are never renamed away): the name it stands
	 * for, in the same section. It writes the same field; config_print() shows it as a comment. */
	const char *alias_of;
};

/* Fills cfg with the defaults. Returns 0 or -ENOMEM (cfg is then empty but safe to free). */
int config_defaults(struct config *cfg);
/* Loads path; NULL means CONFIG_DEFAULT_PATH when that file exists, else defaults only.
 * An explicit path that cannot be read is an error. Every problem goes to d as
 * "file:line: what is wrong" (unknown section, unknown key, key outside a section, bad value,
 * value out of range, duplicate key, unterminated quote, line too long); on any error returns
 * LS_ECONFIG (or -errno for I/O) and cfg holds the defaults only. Keeps reading after an error so
 * that every error is reported.
 * cfg is overwritten, not freed: it need not be initialised. Free it with config_free(). */
int config_load(struct config *cfg, const char *path, struct diag *d);
/* Frees what cfg owns and clears those pointers; safe to call twice. */
void config_free(struct config *cfg);
/* Writes the effective configuration in file format, every option, with its help as a comment. */
void config_print(const struct config *cfg, FILE *out);
/* Number of options and access to the table, for docs and tests. */
size_t config_option_count(void);
/* Row i of the table, or NULL when i >= config_option_count(). Static, never freed. */
const struct config_option *config_option_get(size_t i);
/* True when a and b hold the same value for option o. */
bool config_option_same(const struct config *a, const struct config *b,
                        const struct config_option *o);

#endif
