/*
 * Fetching a policy as a sender does (RFC 8461 3.3): HTTPS to one endpoint with the
 * policy host as SNI and Host, the certificate verified against a trust store, no
 * redirects, a bounded body. The publish step uses it to see what httpsd serves.
 */
#ifndef LS_STS_FETCH_H
#define LS_STS_FETCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "shared/tls/http_response.h"

#define STS_FETCH_BODY_MAX 65536     /* senders cap policies at 64 KiB (RFC 8461 3.3) */
#define STS_FETCH_HEAD_MAX 16384     /* bytes of status line and headers */

struct sts_fetch;

/* Loads the trust store (PEM file) and seeds the RNG once, for many fetches; several
 * threads may fetch with one context at once. */
int sts_fetch_open(struct sts_fetch **out, const char *ca_file, char *err, size_t errlen);
void sts_fetch_close(struct sts_fetch *f);
/*
 * sts_fetch_open(), but the trust store is read only when a handshake needs it: a fetch that
 * resumes a kept session verifies no certificate, so a process that only resumes (a zonectl
 * publishing one change) never reads it (the system bundle: 3-5 ms). A server that declines
 * the session is asked again, on a new connection, with the trust store. Fails at once only
 * when ca_file cannot be read at all.
 */
int sts_fetch_open_lazy(struct sts_fetch **out, const char *ca_file, char *err, size_t errlen);
/*
 * GET https://HOST/.well-known/mta-sts.txt from endpoint ("ADDR:PORT" or "[ADDR]:PORT"),
 * all within timeout_ms. Success is a 200 with a text/plain body of at most cap bytes,
 * copied to body. Returns 0 or a negative code with the reason in err.
 */
int sts_fetch_get(struct sts_fetch *f, const char *endpoint, const char *host, int timeout_ms,
                  uint8_t *body, size_t cap, size_t *len, char *err, size_t errlen);

/* Where a fetch stopped, and what it saw on the way, for a check to name the problem. */
enum sts_fetch_stage { STS_FETCH_CONNECT, STS_FETCH_TLS, STS_FETCH_HTTP, STS_FETCH_DONE };
struct sts_fetch_info {
	enum sts_fetch_stage stage;   /* the step that failed; STS_FETCH_DONE after a success */
	uint32_t verify_flags;        /* mbedTLS's MBEDTLS_X509_BADCERT_* when the certificate failed */
	int status;                   /* the HTTP status; 0 before a response head */
	char location[256];           /* a redirect's Location, "" without */
	char content_type[128];       /* "" without */
	int64_t cert_not_after;       /* the server certificate's end (Unix time); 0 unknown */
};
/* sts_fetch_get(), and info filled as far as the fetch came. */
int sts_fetch_get_info(struct sts_fetch *f, const char *endpoint, const char *host,
                       int timeout_ms, uint8_t *body, size_t cap, size_t *len,
                       struct sts_fetch_info *info, char *err, size_t errlen);
/* sts_fetch_get_info() that ends its waits (as timed out) once *cancel is set (NULL: none). */
int sts_fetch_get_cancel(struct sts_fetch *f, const char *endpoint, const char *host,
                         int timeout_ms, const atomic_bool *cancel, uint8_t *body, size_t cap,
                         size_t *len, struct sts_fetch_info *info, char *err, size_t errlen);
/*
 * A fetch keeps the TLS session of its handshake (and the ticket the endpoint gave, RFC 5077)
 * per endpoint and host, and the next fetch of that pair resumes it: no certificate, no
 * signature, no key exchange, as a sender that fetched before resumes. The handshakes so
 * far, full and resumed.
 */
void sts_fetch_counts(struct sts_fetch *f, uint64_t *full, uint64_t *resumed);
/*
 * The kept sessions in a directory (sts_sessions.c: small files by a hash of endpoint and
 * host, mode 0600: they hold session secrets), so that the next process resumes them too: a
 * zonectl after the one before, dnsd after zonectl. A fetch reads only its own name's file,
 * the first time it needs it; a missing or damaged file is no session. _save writes the
 * sessions kept since the last save. Return 0 or -errno.
 */
int sts_fetch_sessions_use(struct sts_fetch *f, const char *dir);
int sts_fetch_sessions_save(struct sts_fetch *f);
/* Full handshakes only from now on: no session offered, none kept. For checks, which must see
 * the certificate the server has now. */
void sts_fetch_no_resume(struct sts_fetch *f);
/* Whether sessions were kept since the last load or save. */
bool sts_fetch_sessions_changed(struct sts_fetch *f);

/* Adds the certificates of a PEM file to f's trust (ACME: acme.ca-bundle beside the system
 * store). Before the first fetch only. Returns 0 or LS_ECONFIG with the reason in err. */
int sts_fetch_add_ca(struct sts_fetch *f, const char *ca_file, char *err, size_t errlen);

/* One request to any http:// or https:// URL by host name (the ACME client's, a webhook's):
 * https with the same TLS and checks as a policy fetch, http plain on port 80 by default. */
struct sts_fetch_req {
	const char *method;          /* "GET", "HEAD", "POST" */
	const char *url;             /* http[s]://HOST[:PORT]/PATH */
	const char *content_type;    /* of body; NULL: no body */
	const void *body;
	size_t body_len;
	int timeout_ms;              /* the whole request: resolve, connect, TLS, answer */
	const char *user_agent;      /* NULL: "lockstep" */
	bool head_only;              /* done once the head is in, body unread (a webhook's status) */
};
/*
 * Any status is a response (the caller judges it): 0 with the head in h and the body in
 * *body (NUL-terminated, at most STS_FETCH_BODY_MAX bytes; free with free()); else a
 * negative code and the connection error in words in err ("ca.example:443: connect:
 * Connection refused", "certificate for ca.example not trusted: ...", "name lookup for
 * ca.example timed out after 10000 ms"). f may be NULL for http:// URLs.
 */
int sts_fetch_request(struct sts_fetch *f, const struct sts_fetch_req *q, struct http_response *h,
                      char **body, size_t *len, char *err, size_t errlen);

/* A URL as sts_fetch_request() takes it: http[s]://HOST[:PORT][/PATH], HOST a name or an
 * address (IPv6 in brackets); nothing a Host header or request line could not carry. */
struct sts_fetch_url {
	bool tls;                    /* https:// */
	char host[256];              /* without brackets */
	char port[8];                /* "443" or "80" without one */
	const char *path;            /* into the URL, the query included; "/" without */
};
/* 0, or LS_EPARSE when url is not such a URL. */
int sts_fetch_url_parse(const char *url, struct sts_fetch_url *u);

#endif
