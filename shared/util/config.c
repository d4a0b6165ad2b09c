/* lockstep.conf: one table of options, a line parser that reports every error, and the printer. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "shared/util/addr.h"
#include "shared/util/alert.h"
#include "shared/util/alert_webhook.h"
#include "shared/util/config.h"
#include "shared/util/prefix.h"
#include "shared/util/err.h"
#include "shared/util/file.h"
#include "shared/util/prefix.h"

#define FIELD(f) offsetof(struct config, f)
#define SHOW_MAX 64     /* bytes of a key or value quoted in a message */

/* Enum fields are written through an int; that only works while enums are int-sized. */
_Static_assert(sizeof(enum serial_policy) == sizeof(int), "enum serial_policy is not int-sized");
_Static_assert(sizeof(enum log_level) == sizeof(int), "enum log_level is not int-sized");

static const struct config_enum serial_policies[] = {
	{ "increment", SERIAL_INCREMENT },
	{ "dateserial", SERIAL_DATECOUNTER },
	{ "unixtime", SERIAL_UNIXTIME },
	{ NULL, 0 },
};

static const struct config_enum log_levels[] = {
	{ "error", LOG_LEVEL_ERROR },
	{ "warning", LOG_LEVEL_WARNING },
	{ "notice", LOG_LEVEL_NOTICE },
	{ "info", LOG_LEVEL_INFO },
	{ "debug", LOG_LEVEL_DEBUG },
	{ NULL, 0 },
};

/* Rows of one section stay together: config_print() starts a section where the name changes. */
/* Each space-separated word of s passes word(); an empty list passes too (the daemons say
 * "no listen address" themselves, with what to do). */
static bool each_word(const char *s, bool (*word)(const char *w))
{
	char w[ADDR_TEXT_MAX];
	while (*s) {
		size_t n = strcspn(s, " \t");
		if (n == 0) {
			s++;
			continue;
		}
		if (n >= sizeof(w))
			return false;
		memcpy(w, s, n);
		w[n] = 0;
		if (!word(w))
			return false;
		s += n;
	}
	return true;
}

static bool with_port(const char *w)
{
	int family;
	uint8_t addr[16];
	uint16_t port;
	return addr_parse(w, -1, &family, addr, &port) == 0;
}

static bool without_port(const char *w)
{
	int family;
	uint8_t addr[16];
	uint16_t port;
	return strchr(w, '[') == NULL && addr_parse(w, 0, &family, addr, &port) == 0 &&
	       (family == AF_INET6 || strchr(w, ':') == NULL);
}

static bool addr_ports(const char *s)
{
	return each_word(s, with_port);
}

static bool addrs(const char *s)
{
	return each_word(s, without_port);
}

/* One or two secrets of 32 hexadecimal digits (the one in use first), or none. */
static bool cookie_secrets(const char *s)
{
	int n = 0;
	while (*s) {
		size_t blank = strspn(s, " \t"), len;
		s += blank;
		if ((len = strcspn(s, " \t")) == 0)
			break;
		if (++n > 2 || len != 32 || strspn(s, "0123456789abcdefABCDEF") < 32)
			return false;
		s += len;
	}
	return true;
}

static bool prefixes(const char *s)
{
	struct prefix p[PREFIX_LIST_MAX];
	size_t n;
	return prefix_list_parse(s, NULL, NULL, p, PREFIX_LIST_MAX, &n) == 0;
}

/* The same, and the word "local" (httpsd.trusted). */
static bool prefixes_or_local(const char *s)
{
	struct prefix p[PREFIX_LIST_MAX];
	size_t n;
	bool local;
	return prefix_list_parse(s, "local", &local, p, PREFIX_LIST_MAX, &n) == 0;
}

/* One https:// URL by host name: IP addresses are refused, as CAs refuse them too. */
static bool acme_url(const char *w)
{
	int family;
	uint8_t addr[16];
	uint16_t port;
	char host[256];
	if (strncmp(w, "https://", 8) != 0)
		return false;
	size_t n = strcspn(w + 8, ":/");
	if (n == 0 || n >= sizeof(host) || w[8] == '[')
		return false;
	memcpy(host, w + 8, n);
	host[n] = 0;
	return addr_parse(host, 0, &family, addr, &port) != 0;
}

static bool acme_directories(const char *s)
{
	char w[CONFIG_LINE_MAX];
	while (*s) {
		size_t len = strcspn(s, " \t");
		if (len) {
			memcpy(w, s, len);
			w[len] = 0;
			if (!acme_url(w))
				return false;
		}
		s += len + (s[len] != 0);
	}
	return true;
}

static bool base64url(const char *s)
{
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=") ==
	       strlen(s);
}

static const struct config_enum acme_challenges[] = {
	{ "auto", CONFIG_ACME_AUTO },
	{ "dns-01", CONFIG_ACME_DNS01 },
	{ "tls-alpn-01", CONFIG_ACME_TLS_ALPN01 },
	{ NULL, 0 },
};

#define ADDR_PORTS .check = addr_ports, \
	.expect = "addresses with ports, space separated: 192.0.2.1:53 or [2001:db8::1]:53"
#define ADDRS .check = addrs, \
	.expect = "IPv4 or IPv6 addresses without ports, space separated"

/* alerts.webhook: up to ALERT_HOOKS_MAX http:// or https:// URLs. */
static bool webhook_urls(const char *s)
{
	struct alert_hooks h = { .webhooks = s };
	char err[128];
	return alert_hooks_check(&h, err, sizeof(err)) == 0;
}

/* dnsd.xdp-listen: empty, or IFACE@PORT. */
static bool ifport(const char *s)
{
	char ifname[16];
	uint16_t port;
	return *s == 0 || addr_ifport_parse(s, ifname, &port) == 0;
}

static bool absolute_path(const char *s)
{
	return *s == 0 || *s == '/';
}

static const struct config_option options[] = {
	{ .section = "server", .name = "state-dir", .type = CONFIG_STRING,
	  .def = "/var/lib/lockstep", .offset = FIELD(state_dir),
	  .help = "Directory of the zone store (the LMDB environment) all programs share." },
	{ .section = "server", .name = "log-level", .type = CONFIG_ENUM,
	  .def = "info", .offset = FIELD(log_level), .enums = log_levels,
	  .help = "The daemons log lines of this level and more severe ones; debug shows everything." },
	{ .section = "server", .name = "log-file", .type = CONFIG_STRING,
	  .def = "", .offset = FIELD(log_file),
	  .help = "File the daemons append their lines to, with time stamps; SIGUSR1 reopens it." },
	{ .section = "server", .name = "syslog", .type = CONFIG_BOOL,
	  .def = "no", .offset = FIELD(log_syslog),
	  .help = "The daemons log to syslog (facility daemon) instead of standard error." },
	{ .section = "zones", .name = "serial-policy", .type = CONFIG_ENUM,
	  .def = "increment", .offset = FIELD(serial_policy), .enums = serial_policies,
	  .help = "How a commit picks the zone's new SOA serial." },
	{ .section = "zones", .name = "default-ttl", .type = CONFIG_UINT,
	  .def = "3600", .offset = FIELD(default_ttl), .min = 0, .max = 2147483647,
	  .help = "TTL of zone file records that have no TTL when the file has no $TTL." },
	{ .section = "zones", .name = "journal-max-size", .type = CONFIG_UINT,
	  .def = "16777216", .offset = FIELD(journal_max_size), .min = 0, .max = 4294967295u,
	  .help = "Bytes of change journal (for IXFR) kept per zone; older changes are dropped." },
	{ .section = "zones", .name = "keep-journal", .type = CONFIG_UINT,
	  .def = "1209600", .offset = FIELD(journal_max_age), .min = 0, .max = 315360000,
	  .help = "Seconds a change stays in the journal (IXFR); older ones go as commits come; "
	          "0 keeps them for ever." },
	{ .section = "zones", .name = "journal-max-age", .type = CONFIG_UINT,
	  .def = "1209600", .offset = FIELD(journal_max_age), .min = 1, .max = 315360000,
	  .help = "The older name of keep-journal, still read.", .alias_of = "keep-journal" },
	{ .section = "zones", .name = "keep-history", .type = CONFIG_UINT,
	  .def = "2592000", .offset = FIELD(keep_history), .min = 0, .max = 315360000,
	  .help = "Seconds a commit stays in the history (zonectl zone history); 0 keeps it for ever." },
	{ .section = "dnsd", .name = "listen", .type = CONFIG_STRING, ADDR_PORTS,
	  .def = "0.0.0.0:53 [::]:53", .offset = FIELD(dnsd_listen),
	  .help = "Addresses dnsd answers on, UDP and TCP: ADDR:PORT or [ADDR]:PORT, space separated." },
	{ .section = "dnsd", .name = "workers", .type = CONFIG_UINT,
	  .def = "0", .offset = FIELD(dnsd_workers), .min = 0, .max = 64,
	  .help = "Threads answering queries, each with its own sockets; 0 is one per core." },
	{ .section = "dnsd", .name = "user", .type = CONFIG_STRING,
	  .def = "", .offset = FIELD(dnsd_user),
	  .help = "User dnsd switches to after binding, keeping only CAP_NET_BIND_SERVICE; empty: "
	          "lockstep when started as root (root must write root to stay root)." },
	{ .section = "dnsd", .name = "pidfile", .type = CONFIG_STRING,
	  .def = "", .offset = FIELD(dnsd_pidfile),
	  .help = "File dnsd writes its PID to once it serves, removed at exit; empty: none." },
	{ .section = "dnsd", .name = "metrics-listen", .type = CONFIG_STRING, ADDR_PORTS,
	  .def = "", .offset = FIELD(dnsd_metrics_listen),
	  .help = "Addresses (ADDR:PORT, space separated) dnsd serves Prometheus GET /metrics on, "
	          "plain HTTP; empty: off." },
	{ .section = "dnsd", .name = "metrics-cert-names", .type = CONFIG_UINT,
	  .def = "1000", .offset = FIELD(dnsd_metrics_cert_names), .min = 0, .max = 1000000,
	  .help = "Certificates shown by name on /metrics (dnsd_certificate_expiry_seconds); more "
	          "are only counted (dnsd_certificate_names_omitted)." },
	{ .section = "dnsd", .name = "answer-cache", .type = CONFIG_UINT,
	  .def = "16384", .offset = FIELD(dnsd_answer_cache), .min = 0, .max = 1048576,
	  .help = "KiB per worker for answers already built (the records after the question), "
	          "dropped at every change to the store; 0: off." },
	{ .section = "dnsd", .name = "tcp-idle-timeout", .type = CONFIG_UINT,
	  .def = "10", .offset = FIELD(tcp_idle_timeout), .min = 1, .max = 3600,
	  .help = "Seconds a TCP connection may wait for its next query (RFC 7766 6.2.3)." },
	{ .section = "dnsd", .name = "tcp-io-timeout", .type = CONFIG_UINT,
	  .def = "5", .offset = FIELD(tcp_io_timeout), .min = 1, .max = 300,
	  .help = "Seconds a TCP query may take to arrive once its first byte came." },
	{ .section = "dnsd", .name = "tcp-max-clients", .type = CONFIG_UINT,
	  .def = "1000", .offset = FIELD(tcp_max_clients), .min = 1, .max = 100000,
	  .help = "Open TCP connections per worker; when full, the one idle longest makes way." },
	{ .section = "dnsd", .name = "tcp-max-per-address", .type = CONFIG_UINT,
	  .def = "100", .offset = FIELD(tcp_max_per_address), .min = 1, .max = 100000,
	  .help = "Open TCP connections per client address and worker." },
	{ .section = "dnsd", .name = "udp-max-size", .type = CONFIG_UINT,
	  .def = "1232", .offset = FIELD(udp_max_size), .min = 512, .max = 4096,
	  .help = "Largest answer over UDP to an EDNS query (the client may ask for less)." },
	{ .section = "dnsd", .name = "xdp-listen", .type = CONFIG_STRING, .check = ifport,
	  .expect = "an interface and a port: eth0@53",
	  .def = "", .offset = FIELD(dnsd_xdp_listen),
	  .help = "Interface and port whose plain UDP queries dnsd reads through AF_XDP, past the "
	          "kernel's socket layer (IFACE@PORT); other traffic goes on to dnsd.listen. Empty: off." },
	{ .section = "dnsd", .name = "chaos", .type = CONFIG_BOOL,
	  .def = "no", .offset = FIELD(dnsd_chaos),
	  .help = "Answer CH TXT version.bind and id.server (the version and the host name)." },
	{ .section = "dnsd", .name = "query-log", .type = CONFIG_BOOL,
	  .def = "no", .offset = FIELD(dnsd_query_log),
	  .help = "Log one line per query (client, name, type, rcode); for debugging only." },
	{ .section = "dnsd", .name = "cookies", .type = CONFIG_BOOL,
	  .def = "yes", .offset = FIELD(dnsd_cookies),
	  .help = "Answer DNS COOKIES (RFC 7873) with RFC 9018 server cookies." },
	{ .section = "dnsd", .name = "cookie-secret", .type = CONFIG_STRING,
	  .check = cookie_secrets, .expect = "one or two secrets of 32 hexadecimal digits",
	  .secret = true,
	  .def = "", .offset = FIELD(dnsd_cookie_secret),
	  .help = "Server cookie secret shared by anycast peers, 32 hex digits; a second one is "
	          "still accepted (rollover). Empty: random, changed daily." },
	{ .section = "dnsd", .name = "rrl-rate", .type = CONFIG_UINT,
	  .def = "200", .offset = FIELD(rrl_rate), .min = 0, .max = 1000000,
	  .help = "UDP answers a second to one client prefix per kind of answer (0: no limit)." },
	{ .section = "dnsd", .name = "rrl-slip", .type = CONFIG_UINT,
	  .def = "2", .offset = FIELD(rrl_slip), .min = 0, .max = 100,
	  .help = "Every n-th answer over the rate goes out empty with TC (0: all dropped)." },
	{ .section = "dnsd", .name = "rrl-ipv4-prefix", .type = CONFIG_UINT,
	  .def = "24", .offset = FIELD(rrl_ipv4_prefix), .min = 8, .max = 32,
	  .help = "IPv4 clients in one prefix of this length share a limit." },
	{ .section = "dnsd", .name = "rrl-ipv6-prefix", .type = CONFIG_UINT,
	  .def = "56", .offset = FIELD(rrl_ipv6_prefix), .min = 16, .max = 128,
	  .help = "IPv6 clients in one prefix of this length share a limit." },
	{ .section = "dnsd", .name = "rrl-table-size", .type = CONFIG_UINT,
	  .def = "262144", .offset = FIELD(rrl_table_size), .min = 1024, .max = 16777216,
	  .help = "Rate-limit buckets (8 bytes each); when full, the oldest are reused." },
	{ .section = "dnsd", .name = "rrl-exempt", .type = CONFIG_STRING, .check = prefixes,
	  .expect = "addresses or prefixes, space separated: 192.0.2.0/24 2001:db8::/48",
	  .def = "127.0.0.0/8 ::1", .offset = FIELD(rrl_exempt),
	  .help = "Clients never rate limited (loopback cannot be spoofed from outside)." },
	{ .section = "dnsd", .name = "log-rate-limit", .type = CONFIG_UINT,
	  .def = "100", .offset = FIELD(log_rate_limit), .min = 0, .max = 1000000,
	  .help = "Lines a minute that clients can cause (refused transfers, bad TSIG, malformed "
	          "queries), all sources together (0: no cap)." },
	{ .section = "mta-sts", .name = "endpoints", .type = CONFIG_STRING, ADDR_PORTS,
	  .def = "127.0.0.1:443", .offset = FIELD(sts_endpoints),
	  .help = "httpsd endpoints (ADDR:PORT, space separated) that must serve a new policy "
	          "before its id is published." },
	{ .section = "mta-sts", .name = "service-address", .type = CONFIG_STRING, ADDRS,
	  .def = "", .offset = FIELD(sts_service_address),
	  .help = "Addresses (space separated) put in the A/AAAA records of mta-sts.<domain>." },
	{ .section = "mta-sts", .name = "service-cname", .type = CONFIG_STRING,
	  .def = "", .offset = FIELD(sts_service_cname),
	  .help = "Host name mta-sts.<domain> is a CNAME to, instead of service-address." },
	{ .section = "mta-sts", .name = "trust-store", .type = CONFIG_STRING,
	  .def = "/etc/ssl/certs/ca-certificates.crt", .offset = FIELD(sts_trust_store),
	  .help = "CA certificates (PEM) the publish step verifies httpsd's certificates against." },
	{ .section = "mta-sts", .name = "rotate-interval", .type = CONFIG_UINT,
	  .def = "86400", .offset = FIELD(sts_rotate_interval), .min = 1, .max = 86400,
	  .help = "Seconds after which a published id is replaced even when the policy is unchanged." },
	{ .section = "mta-sts", .name = "txt-ttl", .type = CONFIG_UINT,
	  .def = "300", .offset = FIELD(sts_txt_ttl), .min = 0, .max = 86400,
	  .help = "TTL of the _mta-sts, mta-sts and _smtp._tls records a new domain gets." },
	{ .section = "mta-sts", .name = "fetch-timeout", .type = CONFIG_UINT,
	  .def = "10", .offset = FIELD(sts_fetch_timeout), .min = 1, .max = 60,
	  .help = "Seconds one verification fetch from one endpoint may take." },
	{ .section = "mta-sts", .name = "fetch-concurrency", .type = CONFIG_UINT,
	  .def = "64", .offset = FIELD(sts_fetch_concurrency), .min = 1, .max = 256,
	  .help = "Verifying fetches the publish step has open at once to each endpoint." },
	{ .section = "mta-sts", .name = "retry-max", .type = CONFIG_UINT,
	  .def = "30", .offset = FIELD(sts_retry_max), .min = 1, .max = 60,
	  .help = "Longest wait, in seconds, between tries of a publish that is waiting." },
	{ .section = "mta-sts", .name = "publisher", .type = CONFIG_BOOL,
	  .def = "yes", .offset = FIELD(sts_publisher),
	  .help = "dnsd runs the publish step every second: retries, rotations, grace ends, removals." },
	{ .section = "mta-sts", .name = "enforce-check", .type = CONFIG_BOOL,
	  .def = "yes", .offset = FIELD(sts_enforce_check),
	  .help = "mta-sts mode DOMAIN enforce runs zonectl check first and refuses on an error." },
	{ .section = "httpsd", .name = "listen", .type = CONFIG_STRING, ADDR_PORTS,
	  .def = "0.0.0.0:443 [::]:443", .offset = FIELD(httpsd_listen),
	  .help = "Addresses httpsd serves HTTPS on: ADDR:PORT or [ADDR]:PORT, space separated." },
	{ .section = "httpsd", .name = "workers", .type = CONFIG_UINT,
	  .def = "0", .offset = FIELD(httpsd_workers), .min = 0, .max = 64,
	  .help = "Threads serving connections, each with its own sockets; 0 is one per core." },
	{ .section = "httpsd", .name = "user", .type = CONFIG_STRING,
	  .def = "", .offset = FIELD(httpsd_user),
	  .help = "User httpsd switches to after binding, keeping only CAP_NET_BIND_SERVICE; empty: "
	          "lockstep when started as root (root must write root to stay root)." },
	{ .section = "httpsd", .name = "pidfile", .type = CONFIG_STRING,
	  .def = "", .offset = FIELD(httpsd_pidfile),
	  .help = "File httpsd writes its PID to once it serves, removed at exit; empty: none." },
	{ .section = "httpsd", .name = "metrics-listen", .type = CONFIG_STRING, ADDR_PORTS,
	  .def = "", .offset = FIELD(httpsd_metrics_listen),
	  .help = "Addresses (ADDR:PORT, space separated) httpsd serves Prometheus GET /metrics on, "
	          "plain HTTP; empty: off." },
	{ .section = "httpsd", .name = "metrics-cert-names", .type = CONFIG_UINT,
	  .def = "1000", .offset = FIELD(httpsd_metrics_cert_names), .min = 0, .max = 1000000,
	  .help = "Certificates shown by name on /metrics (httpsd_certificate_expiry_seconds); more "
	          "are only counted (httpsd_certificate_names_omitted)." },
	{ .section = "httpsd", .name = "header-timeout", .type = CONFIG_UINT,
	  .def = "10", .offset = FIELD(httpsd_header_timeout), .min = 1, .max = 300,
	  .help = "Seconds for the TLS handshake and a request's header, from its first byte." },
	{ .section = "httpsd", .name = "idle-timeout", .type = CONFIG_UINT,
	  .def = "30", .offset = FIELD(httpsd_idle_timeout), .min = 1, .max = 3600,
	  .help = "Seconds a keep-alive connection may wait for its next request." },
	{ .section = "httpsd", .name = "max-header-size", .type = CONFIG_UINT,
	  .def = "8192", .offset = FIELD(httpsd_max_header_size), .min = 1024, .max = 65536,
	  .help = "Bytes of a request line and header fields; larger requests get 431." },
	{ .section = "httpsd", .name = "max-body-size", .type = CONFIG_UINT,
	  .def = "65536", .offset = FIELD(httpsd_max_body_size), .min = 0, .max = 16777216,
	  .help = "Bytes of a request body; larger bodies get 413 (none is read yet)." },
	{ .section = "httpsd", .name = "max-clients", .type = CONFIG_UINT,
	  .def = "10000", .offset = FIELD(httpsd_max_clients), .min = 1, .max = 1000000,
	  .help = "Open connections in all; more are closed at once." },
	{ .section = "httpsd", .name = "max-per-address", .type = CONFIG_UINT,
	  .def = "50", .offset = FIELD(httpsd_max_per_address), .min = 1, .max = 1000000,
	  .help = "Open connections per client address; more are closed at once. Trusted clients "
	          "are not counted." },
	{ .section = "httpsd", .name = "max-handshakes", .type = CONFIG_UINT,
	  .def = "256", .offset = FIELD(httpsd_max_handshakes), .min = 0, .max = 1000000,
	  .help = "TLS handshakes in progress over all workers; more are closed at once; 0: no "
	          "limit. Trusted clients are not counted." },
	{ .section = "httpsd", .name = "max-handshakes-per-address", .type = CONFIG_UINT,
	  .def = "4", .offset = FIELD(httpsd_max_handshakes_per_address), .min = 0, .max = 1000000,
	  .help = "TLS handshakes in progress from one address (IPv6: one /64); more are closed at "
	          "once; 0: no limit." },
	{ .section = "httpsd", .name = "new-connections-per-second", .type = CONFIG_UINT,
	  .def = "10", .offset = FIELD(httpsd_new_conns_per_second), .min = 0, .max = 1000000,
	  .help = "New connections per second from one address (IPv6: one /64), twice as many in a "
	          "burst; more are closed at once; 0: no limit." },
	{ .section = "httpsd", .name = "handshake-timeout", .type = CONFIG_UINT,
	  .def = "5", .offset = FIELD(httpsd_handshake_timeout), .min = 1, .max = 300,
	  .help = "Seconds a client that is not trusted has for its TLS handshake; then closed." },
	{ .section = "httpsd", .name = "trusted", .type = CONFIG_STRING,
	  .def = "local", .offset = FIELD(httpsd_trusted), .check = prefixes_or_local,
	  .expect = "local and addresses or prefixes (192.0.2.0/24, 2001:db8::/48), space "
	            "separated, at most 64",
	  .help = "Clients never limited and served first: ADDR or ADDR/LEN, space separated; "
	          "local is this host (and 127.0.0.1, ::1), whose publish step must not wait." },
	{ .section = "httpsd", .name = "access-log", .type = CONFIG_BOOL,
	  .def = "yes", .offset = FIELD(httpsd_access_log),
	  .help = "Log one line per request (client, host, method, path, status, bytes)." },
	{ .section = "httpsd", .name = "cert-cache", .type = CONFIG_UINT,
	  .def = "1024", .offset = FIELD(httpsd_cert_cache), .min = 1, .max = 1000000,
	  .help = "Certificates kept parsed in memory, least recently used dropped first; any "
	          "other is read from STATE/certs when a client asks for its name." },
	{ .section = "api", .name = "listen", .type = CONFIG_STRING, ADDR_PORTS,
	  .def = "", .offset = FIELD(api_listen),
	  .help = "Addresses (ADDR:PORT, space separated) httpsd's API process serves the HTTP API "
	          "on; empty: no API. Plain HTTP on loopback only, else tls-cert and tls-key." },
	{ .section = "api", .name = "tls-cert", .type = CONFIG_STRING,
	  .def = "", .offset = FIELD(api_tls_cert),
	  .help = "Certificate chain (PEM) the API serves over TLS; needed off loopback." },
	{ .section = "api", .name = "tls-key", .type = CONFIG_STRING,
	  .def = "", .offset = FIELD(api_tls_key),
	  .help = "Private key (PEM) of api.tls-cert." },
	{ .section = "api", .name = "max-body", .type = CONFIG_UINT,
	  .def = "16777216", .offset = FIELD(api_max_body), .min = 1024, .max = 268435456,
	  .help = "Bytes of a request body the API takes; a larger one gets 413 and is not read." },
	{ .section = "api", .name = "max-header-size", .type = CONFIG_UINT,
	  .def = "16384", .offset = FIELD(api_max_header_size), .min = 1024, .max = 65536,
	  .help = "Bytes of a request line and header fields; more gets 431." },
	{ .section = "api", .name = "header-timeout", .type = CONFIG_UINT,
	  .def = "10", .offset = FIELD(api_header_timeout), .min = 1, .max = 300,
	  .help = "Seconds a client has to send a request's head and body; then closed." },
	{ .section = "api", .name = "idle-timeout", .type = CONFIG_UINT,
	  .def = "60", .offset = FIELD(api_idle_timeout), .min = 1, .max = 3600,
	  .help = "Seconds a kept-alive connection may wait for its next request." },
	{ .section = "api", .name = "max-connections", .type = CONFIG_UINT,
	  .def = "256", .offset = FIELD(api_max_connections), .min = 1, .max = 100000,
	  .help = "Open API connections in all; more are closed at once." },
	{ .section = "api", .name = "max-per-address", .type = CONFIG_UINT,
	  .def = "32", .offset = FIELD(api_max_per_address), .min = 1, .max = 100000,
	  .help = "Open API connections per client address; more are closed at once." },
	{ .section = "tlsrpt", .name = "receive", .type = CONFIG_BOOL,
	  .def = "yes", .offset = FIELD(tlsrpt_receive),
	  .help = "Take SMTP TLS reports (RFC 8460) in: our own rua in _smtp._tls, POST /tlsrpt." },
	{ .section = "tlsrpt", .name = "mailbox", .type = CONFIG_STRING,
	  .def = "", .offset = FIELD(tlsrpt_mailbox),
	  .help = "Address reports are mailed to (piped into zonectl tlsrpt ingest); empty: none." },
	{ .section = "tlsrpt", .name = "keep-days", .type = CONFIG_UINT,
	  .def = "400", .offset = FIELD(tlsrpt_keep_days), .min = 1, .max = 36500,
	  .help = "Days a report is kept, counted from the day it was received; then pruned." },
	{ .section = "tlsrpt", .name = "max-size", .type = CONFIG_UINT,
	  .def = "1048576", .offset = FIELD(tlsrpt_max_size), .min = 1024, .max = 67108864,
	  .help = "Bytes of one report as received (compressed); larger ones are refused (413)." },
	{ .section = "tlsrpt", .name = "max-expanded", .type = CONFIG_UINT,
	  .def = "33554432", .offset = FIELD(tlsrpt_max_expanded), .min = 1024, .max = 1073741824,
	  .help = "Bytes of one report once inflated (and never over 100 times its compressed size)." },
	{ .section = "tlsrpt", .name = "per-address-per-hour", .type = CONFIG_UINT,
	  .def = "2000", .offset = FIELD(tlsrpt_per_address_per_hour), .min = 0, .max = 10000000,
	  .help = "Reports one client address may POST in an hour, then 429; 0: no limit." },
	{ .section = "tlsrpt", .name = "alert-percent", .type = CONFIG_UINT,
	  .def = "1", .offset = FIELD(tlsrpt_alert_percent), .min = 0, .max = 100,
	  .help = "A day's failed sessions above this percent of a domain's sessions log a warning." },
	/* Alerts (check and watch events): section alerts */
	{ .section = "alerts", .name = "webhook", .type = CONFIG_STRING,
	  .def = "", .offset = FIELD(alerts_webhook), .check = webhook_urls,
	  .expect = "up to 8 http:// or https:// URLs, space separated",
	  .help = "URLs each alert event is POSTed to as JSON; empty: none." },
	{ .section = "alerts", .name = "command", .type = CONFIG_STRING,
	  .def = "", .offset = FIELD(alerts_command), .check = absolute_path,
	  .expect = "an absolute path", .help = "Program run for each alert event, the JSON on its standard input; empty: none." },
	{ .section = "alerts", .name = "ca", .type = CONFIG_STRING,
	  .def = "", .offset = FIELD(alerts_ca),
	  .help = "CA file (PEM) https webhooks are verified against; empty: the system's." },
	{ .section = "alerts", .name = "timeout", .type = CONFIG_UINT,
	  .def = "10", .offset = FIELD(alerts_timeout), .min = 1, .max = 300,
	  .help = "Seconds one webhook POST or command run may take." },
	/* Watching domains over time: section watch */
	{ .section = "watch", .name = "enabled", .type = CONFIG_BOOL,
	  .def = "yes", .offset = FIELD(watch_enabled),
	  .help = "dnsd runs the due watch checks (zonectl watch) on its maintenance thread." },
	{ .section = "watch", .name = "own", .type = CONFIG_BOOL,
	  .def = "yes", .offset = FIELD(watch_own),
	  .help = "Every enabled MTA-STS domain is watched without zonectl watch add." },
	{ .section = "watch", .name = "every", .type = CONFIG_UINT,
	  .def = "60", .offset = FIELD(watch_every), .min = 1, .max = 10080,
	  .help = "Minutes between two checks of a domain watched without --every." },
	{ .section = "watch", .name = "concurrency", .type = CONFIG_UINT,
	  .def = "8", .offset = FIELD(watch_concurrency), .min = 1, .max = 256,
	  .help = "Checks that run at once." },
	{ .section = "watch", .name = "keep-days", .type = CONFIG_UINT,
	  .def = "90", .offset = FIELD(watch_keep_days), .min = 1, .max = 3650,
	  .help = "Days a domain's check results are kept (zonectl watch history)." },
	{ .section = "watch", .name = "resolver", .type = CONFIG_STRING,
	  .def = "", .offset = FIELD(watch_resolver),
	  .help = "ADDR[:PORT] the checks of domains watched without --resolver ask; empty: the system's." },
	{ .section = "watch", .name = "timeout", .type = CONFIG_UINT,
	  .def = "30", .offset = FIELD(watch_timeout), .min = 1, .max = 600,
	  .help = "Seconds one check of a domain watched without --timeout may take." },
	/* ACME (RFC 8555): off while acme.directory is empty */
	{ .section = "acme", .name = "directory", .type = CONFIG_STRING,
	  .check = acme_directories,
	  .expect = "https:// URLs by host name (not IP address), space separated",
	  .def = "", .offset = FIELD(acme_directory),
	  .help = "ACME directory URLs, space separated: the first that works wins, the next is the "
	          "fallback; empty: no ACME." },
	{ .section = "acme", .name = "email", .type = CONFIG_STRING,
	  .def = "", .offset = FIELD(acme_email),
	  .help = "Contact address of the ACME account (mailto:); empty: none." },
	{ .section = "acme", .name = "eab-kid", .type = CONFIG_STRING,
	  .def = "", .offset = FIELD(acme_eab_kid),
	  .help = "External Account Binding key id (RFC 8555 7.3.4), for CAs that need it." },
	{ .section = "acme", .name = "eab-hmac-key", .type = CONFIG_STRING, .secret = true,
	  .check = base64url, .expect = "base64url text",
	  .def = "", .offset = FIELD(acme_eab_hmac_key),
	  .help = "External Account Binding MAC key, base64url, from the CA." },
	{ .section = "acme", .name = "ca-bundle", .type = CONFIG_STRING,
	  .def = "", .offset = FIELD(acme_ca_bundle),
	  .help = "PEM file trusted for the ACME server's own HTTPS besides the system store." },
	{ .section = "acme", .name = "challenge", .type = CONFIG_ENUM,
	  .def = "auto", .offset = FIELD(acme_challenge), .enums = acme_challenges,
	  .help = "auto (dns-01 when the domain's zone is in the store, else tls-alpn-01), dns-01 "
	          "or tls-alpn-01." },
	{ .section = "acme", .name = "profile", .type = CONFIG_STRING,
	  .def = "", .offset = FIELD(acme_profile),
	  .help = "Certificate profile asked for on new orders where the CA offers profiles." },
	{ .section = "acme", .name = "orders-per-hour", .type = CONFIG_UINT,
	  .def = "250", .offset = FIELD(acme_orders_per_hour), .min = 1, .max = 100000,
	  .help = "New orders per hour at most (the CA's rate limits); the rest wait in a queue." },
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]))

enum { SET_OK, SET_BAD, SET_RANGE, SET_NOMEM };

size_t config_option_count(void)
{
	return NOPTIONS;
}

const struct config_option *config_option_get(size_t i)
{
	return i < NOPTIONS ? &options[i] : NULL;
}

static void *field(struct config *cfg, const struct config_option *o)
{
	return (char *)cfg + o->offset;
}

bool config_option_same(const struct config *a, const struct config *b,
                        const struct config_option *o)
{
	const void *x = (const char *)a + o->offset, *y = (const char *)b + o->offset;
	switch (o->type) {
	case CONFIG_STRING: {
		const char *p = *(char *const *)x, *q = *(char *const *)y;
		return strcmp(p ? p : "", q ? q : "") == 0;
	}
	case CONFIG_UINT:
		return *(const uint32_t *)x == *(const uint32_t *)y;
	case CONFIG_BOOL:
		return *(const bool *)x == *(const bool *)y;
	case CONFIG_ENUM:
		return *(const int *)x == *(const int *)y;
	}
	return false;
}

static const void *cfield(const struct config *cfg, const struct config_option *o)
{
	return (const char *)cfg + o->offset;
}

/* Text and field disagree on type or bounds: returns SET_BAD or SET_RANGE, field untouched. */
static int set_value(struct config *cfg, const struct config_option *o, const char *s)
{
	switch (o->type) {
	case CONFIG_STRING: {
		for (const char *c = s; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				return SET_BAD;
		if (o->check && !o->check(s))
			return SET_BAD;
		char *copy = strdup(s);
		if (copy == NULL)
			return SET_NOMEM;
		char **f = field(cfg, o);
		free(*f);
		*f = copy;
		return SET_OK;
	}
	case CONFIG_UINT: {
		if (*s == '\0' || strspn(s, "0123456789") != strlen(s))
			return SET_BAD;
		uint64_t v = 0;
		for (const char *c = s; *c; c++) {
			v = v * 10 + (uint64_t)(*c - '0');
			if (v > UINT32_MAX)
				return SET_RANGE;
		}
		if (v < o->min || v > o->max)
			return SET_RANGE;
		*(uint32_t *)field(cfg, o) = (uint32_t)v;
		return SET_OK;
	}
	case CONFIG_BOOL:
		if (strcmp(s, "yes") != 0 && strcmp(s, "no") != 0)
			return SET_BAD;
		*(bool *)field(cfg, o) = strcmp(s, "yes") == 0;
		return SET_OK;
	case CONFIG_ENUM:
		for (const struct config_enum *e = o->enums; e->name; e++)
			if (strcmp(s, e->name) == 0) {
				memcpy(field(cfg, o), &e->value, sizeof(int));
				return SET_OK;
			}
		return SET_BAD;
	}
	return SET_BAD;
}

/* What a value of o must look like, for messages and for config_print(). */
static void describe(const struct config_option *o, char *buf, size_t size)
{
	switch (o->type) {
	case CONFIG_STRING:
		snprintf(buf, size, "%s", o->expect ? o->expect : "a string without control characters");
		return;
	case CONFIG_UINT:
		snprintf(buf, size, "an integer from %u to %u", (unsigned)o->min, (unsigned)o->max);
		return;
	case CONFIG_BOOL:
		snprintf(buf, size, "yes or no");
		return;
	case CONFIG_ENUM: {
		size_t n = (size_t)snprintf(buf, size, "one of");
		for (const struct config_enum *e = o->enums; e->name && n < size; e++)
			n += (size_t)snprintf(buf + n, size - n, "%s %s", e == o->enums ? "" : ",",
			                      e->name);
		return;
	}
	}
	snprintf(buf, size, "?");
}

void config_free(struct config *cfg)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (options[i].type == CONFIG_STRING) {
			char **f = field(cfg, &options[i]);
			free(*f);
			*f = NULL;
		}
	free(cfg->path);
	cfg->path = NULL;
}

int config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NOPTIONS; i++) {
		int rc = set_value(cfg, &options[i], options[i].def);
		if (rc != SET_OK) {
			config_free(cfg);
			return rc == SET_NOMEM ? -ENOMEM : LS_ECONFIG;  /* LS_ECONFIG: a bad table row */
		}
	}
	return 0;
}

/* Copies s for a message: printable ASCII as it is, other bytes as \xNN, long text cut short. */
static const char *show(char *out, size_t size, const char *s)
{
	size_t n = 0;
	for (; *s && n + 8 < size; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c < 0x7f)
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, size - n, "\\x%02x", c);
	}
	if (*s)
		n += (size_t)snprintf(out + n, size - n, "...");
	out[n] = '\0';
	return out;
}

struct parser {
	const char *file;
	struct diag *d;
	struct config *cfg;
	unsigned line;
	const char *section;    /* the current known section; NULL before the first one */
	bool skip;              /* inside an unknown section, already reported */
	unsigned seen[NOPTIONS];  /* line that set each option, 0 when not yet set */
	size_t errors;
	bool nomem;
};

static void report(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void report(struct parser *p, const char *fmt, ...)
{
	char text[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	diag_add(p->d, DIAG_ERROR, p->file, p->line, "%s", text);
	p->errors++;
}

static const char *find_section(const char *name)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (strcmp(options[i].section, name) == 0)
			return options[i].section;
	return NULL;
}

static void section_line(struct parser *p, const char *name, bool has_val)
{
	char n[SHOW_MAX];
	const char *known = find_section(name);
	if (has_val) {
		if (known)
			report(p, "section line '%s:' takes no value", name);
		else
			report(p, "key '%s' is not indented under a section", show(n, sizeof(n), name));
		return;
	}
	if (known == NULL) {
		report(p, "unknown section '%s'", show(n, sizeof(n), name));
		p->section = NULL;
		p->skip = true;     /* its keys would only repeat the error */
		return;
	}
	p->section = known;
	p->skip = false;
}

static void key_line(struct parser *p, const char *name, const char *val, bool has_val)
{
	char n[SHOW_MAX], v[SHOW_MAX], want[128];
	if (p->skip)
		return;
	if (!has_val && find_section(name)) {
		report(p, "section line '%s:' must start at column 0", name);
		return;
	}
	if (p->section == NULL) {
		report(p, "key '%s' outside a section", show(n, sizeof(n), name));
		return;
	}
	size_t i;
	for (i = 0; i < NOPTIONS; i++)
		if (options[i].section == p->section && strcmp(options[i].name, name) == 0)
			break;
	if (i == NOPTIONS) {
		report(p, "unknown key '%s' in section '%s'", show(n, sizeof(n), name), p->section);
		return;
	}
	const struct config_option *o = &options[i];
	if (p->seen[i]) {
		report(p, "duplicate key '%s' (first set on line %u)", o->name, p->seen[i]);
		return;
	}
	p->seen[i] = p->line;
	for (size_t j = 0; j < NOPTIONS; j++)
		if (j != i && options[j].offset == o->offset && p->seen[j]) {
			report(p, "'%s' and '%s' are one option (the first set on line %u)", o->name,
			       options[j].name, p->seen[j]);
			return;
		}
	if (!has_val || *val == '\0') {
		report(p, "missing value for '%s'", o->name);
		return;
	}
	switch (set_value(p->cfg, o, val)) {
	case SET_OK:
		return;
	case SET_NOMEM:
		p->nomem = true;
		return;
	case SET_RANGE:
		report(p, "value %s for '%s' out of range %u..%u", show(v, sizeof(v), val), o->name,
		      (unsigned)o->min, (unsigned)o->max);
		return;
	default:
		describe(o, want, sizeof(want));
		report(p, "bad value '%s' for '%s': expected %s",
		       o->secret ? "(secret, not shown)" : show(v, sizeof(v), val), o->name, want);
		return;
	}
}

/* One line without its line end, NUL-terminated; cut in place. */
static void parse_line(struct parser *p, char *s)
{
	bool indented = *s == ' ' || *s == '\t';
	char *name = s + strspn(s, " \t");
	if (*name == '\0' || *name == '#')
		return;
	char *end = name + strcspn(name, ": \t#\"");
	if (*end != ':' || end == name) {
		report(p, "expected 'section:' or 'key: value'");
		return;
	}
	*end = '\0';
	char *val = end + 1 + strspn(end + 1, " \t");
	bool has_val;
	if (*val == '"') {
		char *close = strchr(val + 1, '"');
		if (close == NULL) {
			report(p, "unterminated quote");
			return;
		}
		*close = '\0';
		char *rest = close + 1 + strspn(close + 1, " \t");
		if (*rest != '\0' && *rest != '#') {
			report(p, "text after the closing quote");
			return;
		}
		val++;
		has_val = true;     /* even when empty: "" is a value, reported as missing below */
	} else {
		size_t n = strcspn(val, "#");
		while (n > 0 && (val[n - 1] == ' ' || val[n - 1] == '\t'))
			n--;
		val[n] = '\0';
		if (strchr(val, '"')) {
			report(p, "stray quote in value; quote the whole value");
			return;
		}
		has_val = n > 0;
	}
	if (indented)
		key_line(p, name, val, has_val);
	else
		section_line(p, name, has_val);
}

static void parse(struct parser *p, const char *buf, size_t len)
{
	char line[CONFIG_LINE_MAX + 1];
	size_t off = 0;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		off = 3;    /* a UTF-8 byte order mark some editors add */
	while (off < len) {
		const char *s = buf + off;
		const char *nl = memchr(s, '\n', len - off);
		size_t n = nl ? (size_t)(nl - s) : len - off;
		off += n + (nl != NULL);
		p->line++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (n > CONFIG_LINE_MAX) {
			report(p, "line too long (more than %d bytes)", CONFIG_LINE_MAX);
			continue;
		}
		if (memchr(s, '\0', n)) {
			report(p, "NUL byte in line");
			continue;
		}
		memcpy(line, s, n);
		line[n] = '\0';
		parse_line(p, line);
	}
}

int config_load(struct config *cfg, const char *path, struct diag *d)
{
	const char *file = path ? path : CONFIG_DEFAULT_PATH;
	struct config tmp;
	struct parser p;
	char *buf = NULL;
	size_t len = 0;
	int rc = config_defaults(cfg);
	if (rc)
		return rc;
	rc = file_read(file, CONFIG_FILE_MAX, 0, &buf, &len);
	if (rc == -ENOENT && path == NULL)
		return 0;       /* no file at the default place: every program runs on defaults */
	if (rc == LS_ETOOBIG) {
		diag_add(d, DIAG_ERROR, file, 0, "file is larger than %d bytes", CONFIG_FILE_MAX);
		return LS_ECONFIG;
	}
	if (rc) {
		diag_add(d, DIAG_ERROR, file, 0, "cannot read: %s", ls_strerror(rc));
		return rc;
	}
	rc = config_defaults(&tmp);
	if (rc)
		goto fail;
	memset(&p, 0, sizeof(p));
	p.file = file;
	p.d = d;
	p.cfg = &tmp;
	parse(&p, buf, len);
	if (p.nomem) {
		rc = -ENOMEM;
		goto fail;
	}
	if (p.errors) {
		rc = LS_ECONFIG;
		goto fail;
	}
	tmp.path = strdup(file);
	if (tmp.path == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	config_free(cfg);
	*cfg = tmp;
	free(buf);
	return 0;
fail:
	config_free(&tmp);
	free(buf);
	return rc;
}

/* Writes s with control bytes as '?', so a strange path cannot break the comment line. */
static void put_clean(const char *s, FILE *out)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

void config_print(const struct config *cfg, FILE *out)
{
	char want[128];
	fputs("# Effective Lockstep configuration (", out);
	if (cfg->path) {
		fputs("read from ", out);
		put_clean(cfg->path, out);
	} else {
		fputs("defaults only, no file read", out);
	}
	fputs(").\n", out);
	const char *section = NULL;
	for (size_t i = 0; i < NOPTIONS; i++) {
		const struct config_option *o = &options[i];
		if (section == NULL || strcmp(section, o->section) != 0) {
			fprintf(out, "\n%s:\n", o->section);
			section = o->section;
		} else {
			fputc('\n', out);
		}
		if (o->alias_of) {
			fprintf(out, "    # %s\n    # %s:\n", o->help, o->name);
			continue;
		}
		describe(o, want, sizeof(want));
		const void *f = cfield(cfg, o);
		if (o->type == CONFIG_STRING && (*(char *const *)f == NULL || **(char *const *)f == 0)) {
			/* An empty value cannot be written; a key left out is what it means. */
			fprintf(out, "    # %s\n    # Value: %s; empty by default.\n    # %s:\n", o->help,
			        want, o->name);
			continue;
		}
		fprintf(out, "    # %s\n    # Value: %s; default %s.\n    %s: ", o->help, want, o->def,
		        o->name);
		switch (o->type) {
		case CONFIG_STRING: {
			const char *s = *(char *const *)f;
			if (o->secret) {
				fputs("\"(secret, not shown)\"\n", out);
				break;
			}
			fputc('"', out);
			put_clean(s, out);
			fputs("\"\n", out);
			break;
		}
		case CONFIG_UINT:
			fprintf(out, "%u\n", (unsigned)*(const uint32_t *)f);
			break;
		case CONFIG_BOOL:
			fprintf(out, "%s\n", *(const bool *)f ? "yes" : "no");
			break;
		case CONFIG_ENUM: {
			int v;
			const char *name = "?";
			memcpy(&v, f, sizeof(int));
			for (const struct config_enum *e = o->enums; e->name; e++)
				if (e->value == v)
					name = e->name;
			fprintf(out, "%s\n", name);
			break;
		}
		}
	}
}
