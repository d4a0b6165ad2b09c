/* The publish step's HTTPS client, on mbedTLS; sts_fetch_request speaks plain http:// too. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include "shared/util/clock.h"
#include "shared/util/err.h"
#include "shared/util/timing.h"
#include "shared/tls/http_response.h"
#include "shared/tls/tls_conn.h"
#include "shared/sts/sts_fetch.h"
#include "shared/sts/sts_sessions.h"

#define PATH "/.well-known/mta-sts.txt"
#define KEY_MAX STS_SESSIONS_KEY_MAX   /* "ENDPOINT HOST" */
#define KEPT_MAX 32768       /* sessions held in memory (each with its certificate parsed) */
#define KEPT_BUCKETS 4096    /* chains of 8 when full: 32 KiB to zero and walk per run */

/* A session kept for one endpoint and host, to resume with its ticket (RFC 5077). */
struct kept {
	struct kept *next;          /* in the same hash bucket */
	char key[KEY_MAX];          /* "" when empty */
	mbedtls_ssl_session s;
	bool usable;                /* s holds a session to offer */
	bool dirty;                 /* new since the last sts_fetch_sessions_save() */
};

struct sts_fetch {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_x509_crt ca;
	mbedtls_ssl_config conf;
	pthread_mutex_t rng_lock;    /* the one thing handshakes change in a shared context */
	pthread_mutex_t kept_lock;
	struct kept **kept;          /* KEPT_BUCKETS chains by sts_sessions_hash() */
	size_t nkept;                /* sessions in memory, at most KEPT_MAX */
	uint64_t full, resumed;      /* handshakes, under kept_lock */
	uint64_t kept_new;           /* sessions kept since the last save */
	char *sessions_dir;          /* sts_fetch_sessions_use(); NULL: kept in memory only */
	bool no_resume;              /* sts_fetch_no_resume(): set before any fetch */
	/* sts_fetch_open_lazy(): the trust store is read at the first handshake that needs it;
	 * until then a handshake that resumes a kept session runs on conf_resume (no CA), and
	 * one the server makes full there fails with MBEDTLS_ERR_SSL_CA_CHAIN_REQUIRED. */
	mbedtls_ssl_config conf_resume;
	char *ca_file;
	atomic_bool ca_ready;        /* ca is read: conf is usable */
	pthread_mutex_t ca_lock;
	bool ca_tried;
	int ca_rc;
};

/* The DRBG under a lock: the publish step's threads handshake on one context at once. */
static int locked_random(void *arg, unsigned char *out, size_t len)
{
	struct sts_fetch *f = arg;
	pthread_mutex_lock(&f->rng_lock);
	int rc = mbedtls_ctr_drbg_random(&f->drbg, out, len);
	pthread_mutex_unlock(&f->rng_lock);
	return rc;
}

/* One of the context's client configurations; ca NULL: none (conf_resume). */
static int conf_init(struct sts_fetch *f, mbedtls_ssl_config *conf, mbedtls_x509_crt *ca)
{
	int rc = mbedtls_ssl_config_defaults(conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
	                                     MBEDTLS_SSL_PRESET_DEFAULT);
	if (rc)
		return rc;
	/* RFC 8461 3.3: TLS 1.2 or later, the certificate checked as for HTTPS. */
	mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_authmode(conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(conf, ca, NULL);
	mbedtls_ssl_conf_rng(conf, locked_random, f);
	/* X25519 first: in mbedTLS it costs a third of P-256, and ECDHE is paid per fetch. */
	static const mbedtls_ecp_group_id curves[] = { MBEDTLS_ECP_DP_CURVE25519,
	                                               MBEDTLS_ECP_DP_SECP256R1,
	                                               MBEDTLS_ECP_DP_SECP384R1, MBEDTLS_ECP_DP_NONE };
	mbedtls_ssl_conf_curves(conf, curves);
	return 0;
}

/* Reads the trust store, once (the first caller; the others wait for it). 0 or LS_ECONFIG. */
static int ca_load(struct sts_fetch *f, char *err, size_t errlen)
{
	if (atomic_load(&f->ca_ready))
		return 0;
	pthread_mutex_lock(&f->ca_lock);
	if (!f->ca_tried) {
		f->ca_tried = true;
		/* A positive result counts certificates it skipped; some bundles have odd ones. */
		f->ca_rc = mbedtls_x509_crt_parse_file(&f->ca, f->ca_file) < 0 ? LS_ECONFIG : 0;
		if (f->ca_rc == 0)
			atomic_store(&f->ca_ready, true);
	}
	int rc = f->ca_rc;
	pthread_mutex_unlock(&f->ca_lock);
	if (rc)
		snprintf(err, errlen, "trust store %s: cannot read any certificate", f->ca_file);
	return rc;
}

static int open_ctx(struct sts_fetch **out, const char *ca_file, bool lazy, char *err,
                    size_t errlen)
{
	static const char pers[] = "lockstep sts_fetch";
	struct sts_fetch *f = calloc(1, sizeof(*f));
	int rc;
	if (f == NULL)
		return -ENOMEM;
	mbedtls_entropy_init(&f->entropy);
	mbedtls_ctr_drbg_init(&f->drbg);
	mbedtls_x509_crt_init(&f->ca);
	mbedtls_ssl_config_init(&f->conf);
	mbedtls_ssl_config_init(&f->conf_resume);
	pthread_mutex_init(&f->rng_lock, NULL);
	pthread_mutex_init(&f->kept_lock, NULL);
	pthread_mutex_init(&f->ca_lock, NULL);
	if ((f->kept = calloc(KEPT_BUCKETS, sizeof(*f->kept))) == NULL ||
	    (f->ca_file = strdup(ca_file)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	rc = mbedtls_ctr_drbg_seed(&f->drbg, mbedtls_entropy_func, &f->entropy,
	                           (const unsigned char *)pers, sizeof(pers) - 1);
	if (rc) {
		snprintf(err, errlen, "cannot seed the random generator");
		goto fail;
	}
	if (lazy ? access(ca_file, R_OK) != 0 : ca_load(f, err, errlen) != 0) {
		snprintf(err, errlen, "trust store %s: cannot read any certificate", ca_file);
		goto fail;
	}
	if (conf_init(f, &f->conf, &f->ca) != 0 || conf_init(f, &f->conf_resume, NULL) != 0) {
		snprintf(err, errlen, "cannot set up TLS");
		goto fail;
	}
	timing_mark("fetch_open");
	*out = f;
	return 0;
fail:
	sts_fetch_close(f);
	return LS_ECONFIG;
}

int sts_fetch_open(struct sts_fetch **out, const char *ca_file, char *err, size_t errlen)
{
	return open_ctx(out, ca_file, false, err, errlen);
}

int sts_fetch_open_lazy(struct sts_fetch **out, const char *ca_file, char *err, size_t errlen)
{
	return open_ctx(out, ca_file, true, err, errlen);
}

void sts_fetch_close(struct sts_fetch *f)
{
	if (f == NULL)
		return;
	mbedtls_ssl_config_free(&f->conf);
	mbedtls_ssl_config_free(&f->conf_resume);
	mbedtls_x509_crt_free(&f->ca);
	mbedtls_ctr_drbg_free(&f->drbg);
	mbedtls_entropy_free(&f->entropy);
	for (size_t i = 0; f->kept && i < KEPT_BUCKETS; i++) {
		for (struct kept *k = f->kept[i], *next; k; k = next) {
			next = k->next;
			mbedtls_ssl_session_free(&k->s);
			free(k);
		}
	}
	free(f->kept);
	free(f->sessions_dir);
	pthread_mutex_destroy(&f->kept_lock);
	pthread_mutex_destroy(&f->rng_lock);
	pthread_mutex_destroy(&f->ca_lock);
	free(f->ca_file);
	free(f);
}

static void tls_error(int rc, const char *endpoint, const char *what, char *err, size_t errlen)
{
	char text[160];
	if (rc == MBEDTLS_ERR_SSL_TIMEOUT)
		snprintf(text, sizeof(text), "timed out");
	else
		mbedtls_strerror(rc, text, sizeof(text));
	snprintf(err, errlen, "%s: %s: %s", endpoint, what, text);
}

/* What RFC 8461 3.3 asks of the answer: 200, text/plain, no redirects followed. */
static int check_head(const struct http_response *h, const char *endpoint, char *err,
                      size_t errlen)
{
	const char *type = h->content_type;
	if (h->transfer_encoding) {
		snprintf(err, errlen, "%s: chunked transfer encoding is not expected", endpoint);
		return LS_EPARSE;
	}
	/* Senders do not follow redirects (RFC 8461 3.3), so neither do we. */
	if (h->status != 200) {
		snprintf(err, errlen, "%s: HTTP status %d", endpoint, h->status);
		return LS_EPARSE;
	}
	if (strncasecmp(type, "text/plain", 10) != 0 || !strchr(";\r \t", type[10])) {
		snprintf(err, errlen, "%s: the policy is not served as text/plain", endpoint);
		return LS_EPARSE;
	}
	return 0;
}

void sts_fetch_counts(struct sts_fetch *f, uint64_t *full, uint64_t *resumed)
{
	pthread_mutex_lock(&f->kept_lock);
	*full = f->full;
	*resumed = f->resumed;
	pthread_mutex_unlock(&f->kept_lock);
}

/* key's entry, under kept_lock; made when create is set and fewer than KEPT_MAX are held
 * (NULL when none). */
static struct kept *kept_slot(struct sts_fetch *f, const char *key, bool create)
{
	struct kept **b = &f->kept[sts_sessions_hash(key) % KEPT_BUCKETS], *k;
	for (k = *b; k; k = k->next)
		if (strcmp(k->key, key) == 0)
			return k;
	if (!create || f->nkept >= KEPT_MAX || (k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	mbedtls_ssl_session_init(&k->s);
	snprintf(k->key, sizeof(k->key), "%s", key);
	k->next = *b;
	*b = k;
	f->nkept++;
	return k;
}

/* Under kept_lock: key's session from the directory into memory (or, when memory is full,
 * into tmp only), to offer. Only the names a run fetches are read: a whole file of 10,000
 * sessions cost a one-domain change a quarter of its CPU. NULL when there is none. */
static mbedtls_ssl_session *kept_read(struct sts_fetch *f, const char *key,
                                      mbedtls_ssl_session *tmp)
{
	unsigned char *blob = malloc(STS_SESSIONS_BLOB_MAX);
	size_t len;
	mbedtls_ssl_session *s = NULL;
	if (blob && sts_sessions_get(f->sessions_dir, key, blob, STS_SESSIONS_BLOB_MAX, &len) == 0) {
		struct kept *k = kept_slot(f, key, true);
		s = k ? &k->s : tmp;
		if (mbedtls_ssl_session_load(s, blob, len) != 0)
			s = NULL;   /* damaged: a full handshake replaces it */
		if (k)
			k->usable = s != NULL;
	}
	free(blob);
	return s;
}

/* The session kept for key goes into ssl (a resumption offer); *master its secret, to tell a
 * resumption afterwards (a full handshake makes a new one). Returns whether there was one. */
static bool kept_offer(struct sts_fetch *f, const char *key, mbedtls_ssl_context *ssl,
                       unsigned char master[48])
{
	mbedtls_ssl_session tmp, *s = NULL;
	bool offered = false;
	mbedtls_ssl_session_init(&tmp);
	pthread_mutex_lock(&f->kept_lock);
	struct kept *k = kept_slot(f, key, false);
	if (k && k->usable)
		s = &k->s;
	else if (k == NULL && f->sessions_dir)
		s = kept_read(f, key, &tmp);
	if (s && mbedtls_ssl_set_session(ssl, s) == 0) {
		memcpy(master, s->master, 48);
		offered = true;
	}
	pthread_mutex_unlock(&f->kept_lock);
	mbedtls_ssl_session_free(&tmp);
	return offered;
}

/* Under kept_lock, when no more sessions fit in memory: ssl's session straight to its file. */
static void keep_on_disk(struct sts_fetch *f, const char *key, mbedtls_ssl_context *ssl)
{
	mbedtls_ssl_session s;
	unsigned char *blob = malloc(STS_SESSIONS_BLOB_MAX);
	size_t len;
	mbedtls_ssl_session_init(&s);
	if (blob && mbedtls_ssl_get_session(ssl, &s) == 0 &&
	    mbedtls_ssl_session_save(&s, blob, STS_SESSIONS_BLOB_MAX, &len) == 0)
		sts_sessions_put(f->sessions_dir, key, blob, len);   /* a cache: failure costs a handshake */
	mbedtls_ssl_session_free(&s);
	free(blob);
}

/* After a handshake: counts it, and keeps its session (with the ticket it got) for key. */
static void kept_store(struct sts_fetch *f, const char *key, mbedtls_ssl_context *ssl,
                       bool offered, const unsigned char master[48])
{
	bool resumed = offered && memcmp(ssl->session->master, master, 48) == 0;
	pthread_mutex_lock(&f->kept_lock);
	f->resumed += resumed;
	f->full += !resumed;
	struct kept *k = resumed ? NULL : kept_slot(f, key, true);
	if (k) {
		mbedtls_ssl_session_free(&k->s);
		mbedtls_ssl_session_init(&k->s);
		k->usable = k->dirty = mbedtls_ssl_get_session(ssl, &k->s) == 0;
		f->kept_new += k->dirty;
	} else if (!resumed && f->sessions_dir) {
		keep_on_disk(f, key, ssl);   /* memory is full: straight to its file */
	}
	pthread_mutex_unlock(&f->kept_lock);
}

int sts_fetch_sessions_use(struct sts_fetch *f, const char *dir)
{
	char *copy = strdup(dir);
	if (copy == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&f->kept_lock);
	free(f->sessions_dir);
	f->sessions_dir = copy;
	pthread_mutex_unlock(&f->kept_lock);
	return 0;
}

int sts_fetch_sessions_save(struct sts_fetch *f)
{
	unsigned char *blob = malloc(STS_SESSIONS_BLOB_MAX);
	int rc = 0;
	if (blob == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&f->kept_lock);
	for (size_t i = 0; f->sessions_dir && f->kept_new && i < KEPT_BUCKETS; i++) {
		for (struct kept *k = f->kept[i]; k; k = k->next) {
			size_t blen = 0;
			if (!k->dirty ||
			    mbedtls_ssl_session_save(&k->s, blob, STS_SESSIONS_BLOB_MAX, &blen) != 0)
				continue;
			int r = sts_sessions_put(f->sessions_dir, k->key, blob, blen);
			if (r != 0 && rc == 0)
				rc = r;
			k->dirty = false;
		}
	}
	f->kept_new = 0;
	pthread_mutex_unlock(&f->kept_lock);
	free(blob);
	return rc;
}

void sts_fetch_no_resume(struct sts_fetch *f)
{
	f->no_resume = true;
}

bool sts_fetch_sessions_changed(struct sts_fetch *f)
{
	pthread_mutex_lock(&f->kept_lock);
	bool changed = f->kept_new != 0;
	pthread_mutex_unlock(&f->kept_lock);
	return changed;
}

/* Handshakes on c, with host as SNI and the name the certificate must have; resumes the
 * session kept for endpoint and host when the endpoint still takes its ticket. */
static int handshake(mbedtls_ssl_context *ssl, struct sts_fetch *f, struct tls_conn *c,
                     const char *endpoint, const char *host, char *err, size_t errlen)
{
	char key[KEY_MAX];
	unsigned char master[48];
	int rc;
	bool resume_only = !atomic_load(&f->ca_ready);
	if ((rc = mbedtls_ssl_setup(ssl, resume_only ? &f->conf_resume : &f->conf)) != 0 ||
	    (rc = mbedtls_ssl_set_hostname(ssl, host)) != 0) {
		tls_error(rc, endpoint, "TLS set-up", err, errlen);
		return rc;
	}
	snprintf(key, sizeof(key), "%s %s", endpoint, host);
	bool offered = !f->no_resume && kept_offer(f, key, ssl, master);
	if (resume_only && !offered) {
		/* Nothing to resume: a full handshake, which needs the trust store. */
		if ((rc = ca_load(f, err, errlen)) != 0)
			return rc;
		mbedtls_ssl_free(ssl);
		mbedtls_ssl_init(ssl);
		if ((rc = mbedtls_ssl_setup(ssl, &f->conf)) != 0 ||
		    (rc = mbedtls_ssl_set_hostname(ssl, host)) != 0) {
			tls_error(rc, endpoint, "TLS set-up", err, errlen);
			return rc;
		}
	}
	timing_mark("session_read");
	mbedtls_ssl_set_bio(ssl, c, tls_conn_send, tls_conn_recv, NULL);
	while ((rc = mbedtls_ssl_handshake(ssl)) != 0) {
		if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		uint32_t flags = mbedtls_ssl_get_verify_result(ssl);
		if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && flags) {
			char info[256];
			mbedtls_x509_crt_verify_info(info, sizeof(info), "", flags);
			info[strcspn(info, "\n")] = 0;
			snprintf(err, errlen, "%s: certificate for %s not trusted: %s", endpoint, host, info);
		} else {
			tls_error(rc, endpoint, "TLS handshake", err, errlen);
		}
		return rc;
	}
	if (!f->no_resume)
		kept_store(f, key, ssl, offered, master);
	return 0;
}

/* The connection's bytes: through TLS on ssl, or straight on c when ssl is NULL (http://). */
static int io_write(mbedtls_ssl_context *ssl, struct tls_conn *c, const char *data, size_t len)
{
	return ssl ? mbedtls_ssl_write(ssl, (const unsigned char *)data, len)
	           : tls_conn_send(c, (const unsigned char *)data, len);
}

static int io_read(mbedtls_ssl_context *ssl, struct tls_conn *c, char *buf, size_t len)
{
	return ssl ? mbedtls_ssl_read(ssl, (unsigned char *)buf, len)
	           : tls_conn_recv(c, (unsigned char *)buf, len);
}

static int send_all(mbedtls_ssl_context *ssl, struct tls_conn *c, const char *data, size_t len,
                    const char *endpoint, char *err, size_t errlen)
{
	for (size_t off = 0; off < len;) {
		int rc = io_write(ssl, c, data + off, len - off);
		if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		if (rc < 0) {
			tls_error(rc, endpoint, "sending the request", err, errlen);
			return rc;
		}
		off += (size_t)rc;
	}
	return 0;
}

/*
 * Reads the response into buf[0..cap) (one more byte for the NUL) to the end of the body:
 * Content-Length, or the close we asked for. The head is checked as soon as it is in.
 * *got is the bytes read; h->head_len stays 0 when the head never ended.
 */
static int read_response(mbedtls_ssl_context *ssl, struct tls_conn *c, char *buf, size_t cap,
                         size_t *got, struct http_response *h, bool policy, bool head_only,
                         const char *endpoint, char *err, size_t errlen)
{
	int rc;
	memset(h, 0, sizeof(*h));
	for (;;) {
		if (*got == cap) {
			snprintf(err, errlen, "%s: response larger than %zu bytes", endpoint, cap);
			return LS_ETOOBIG;
		}
		rc = io_read(ssl, c, buf + *got, cap - *got);
		if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || rc == MBEDTLS_ERR_NET_CONN_RESET)
			return 0;
		if (rc < 0) {
			tls_error(rc, endpoint, "reading the response", err, errlen);
			return rc;
		}
		*got += (size_t)rc;
		buf[*got] = 0;
		if (h->head_len == 0) {
			rc = http_response_head(buf, h);
			if (rc == LS_EPARSE) {
				snprintf(err, errlen, "%s: not an HTTP response", endpoint);
				return rc;
			}
			if (rc == 0 && policy && (rc = check_head(h, endpoint, err, errlen)) != 0)
				return rc;
			if (rc == 0 && h->transfer_encoding && h->content_length >= 0) {
				snprintf(err, errlen, "%s: chunked transfer encoding is not expected",
				         endpoint);
				return LS_EPARSE;
			}
		}
		if (head_only && h->head_len)
			return 0;
		if (http_response_complete(h, *got))
			return 0;
	}
}

/* Copies the body of a finished response to body[0..cap). */
static int take_body(const char *buf, size_t got, const struct http_response *h,
                     uint8_t *body, size_t cap, size_t *len, const char *endpoint, char *err,
                     size_t errlen)
{
	if (h->head_len == 0) {
		snprintf(err, errlen, "%s: the response ended inside its headers", endpoint);
		return LS_EPARSE;
	}
	size_t blen = got - h->head_len;
	if (h->content_length >= 0 && (size_t)h->content_length != blen) {
		snprintf(err, errlen, "%s: body of %zu bytes, Content-Length %ld", endpoint, blen,
		         h->content_length);
		return LS_EPARSE;
	}
	if (blen > cap) {
		snprintf(err, errlen, "%s: body larger than %zu bytes", endpoint, cap);
		return LS_ETOOBIG;
	}
	memmove(body, buf + h->head_len, blen);     /* body may be buf itself (sts_fetch_request) */
	*len = blen;
	return 0;
}

/* The server certificate's notAfter as Unix time; 0 when there is none. */
static int64_t cert_end(const mbedtls_ssl_context *ssl)
{
	const mbedtls_x509_crt *crt = mbedtls_ssl_get_peer_cert(ssl);
	return crt ? tls_conn_not_after(crt) : 0;
}

/* A header's value from a parsed head (NUL-terminated by http_response_head()). */
static void header_value(const char *head, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	out[0] = 0;
	for (const char *p = strchr(head, '\n'); p; p = strchr(p + 1, '\n')) {
		if (strncasecmp(p + 1, name, nl) != 0 || p[1 + nl] != ':')
			continue;
		const char *v = p + 2 + nl;
		v += strspn(v, " \t");
		size_t vl = strcspn(v, "\r\n");
		while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			vl--;   /* optional white space ends the value too (RFC 9110 5.6.3) */
		snprintf(out, cap, "%.*s", (int)(vl < cap ? vl : cap - 1), v);
		return;
	}
}

int sts_fetch_get(struct sts_fetch *f, const char *endpoint, const char *host, int timeout_ms,
                  uint8_t *body, size_t cap, size_t *len, char *err, size_t errlen)
{
	struct sts_fetch_info info;
	return sts_fetch_get_info(f, endpoint, host, timeout_ms, body, cap, len, &info, err, errlen);
}

int sts_fetch_get_info(struct sts_fetch *f, const char *endpoint, const char *host,
                       int timeout_ms, uint8_t *body, size_t cap, size_t *len,
                       struct sts_fetch_info *info, char *err, size_t errlen)
{
	return sts_fetch_get_cancel(f, endpoint, host, timeout_ms, NULL, body, cap, len, info, err,
	                            errlen);
}

int sts_fetch_get_cancel(struct sts_fetch *f, const char *endpoint, const char *host,
                         int timeout_ms, const atomic_bool *cancel, uint8_t *body, size_t cap,
                         size_t *len, struct sts_fetch_info *info, char *err, size_t errlen)
{
	char req[512];
	size_t total = STS_FETCH_HEAD_MAX + STS_FETCH_BODY_MAX, got = 0;
	struct tls_conn c = { -1, clock_mono_ms() + timeout_ms, cancel };
	struct http_response h;
	mbedtls_ssl_context ssl;
	char *buf = malloc(total + 1);
	int rc;
	mbedtls_ssl_init(&ssl);
	memset(info, 0, sizeof(*info));
	*len = 0;
	if (buf == NULL)
		return -ENOMEM;
	int rl = snprintf(req, sizeof(req), "GET " PATH " HTTP/1.1\r\nHost: %s\r\n"
	                  "User-Agent: lockstep-publish\r\nAccept: text/plain\r\n"
	                  "Connection: close\r\n\r\n", host);
	timing_mark("connect");
	if ((rc = tls_conn_open(&c, endpoint, 443, err, errlen)) != 0)
		goto out;
	timing_mark("connected");
	info->stage = STS_FETCH_TLS;
	rc = handshake(&ssl, f, &c, endpoint, host, err, errlen);
	if (rc == MBEDTLS_ERR_SSL_CA_CHAIN_REQUIRED) {
		/* Only conf_resume has no CAs: the server did not resume the session offered.
		 * Again, on a new connection, with the trust store. */
		mbedtls_ssl_free(&ssl);
		mbedtls_ssl_init(&ssl);
		tls_conn_close(&c);
		c.fd = -1;
		if ((rc = ca_load(f, err, errlen)) == 0 &&
		    (rc = tls_conn_open(&c, endpoint, 443, err, errlen)) == 0)
			rc = handshake(&ssl, f, &c, endpoint, host, err, errlen);
	}
	if (rc != 0) {
		info->verify_flags = mbedtls_ssl_get_verify_result(&ssl);
		goto out;
	}
	timing_mark("handshake");
	info->cert_not_after = cert_end(&ssl);
	info->stage = STS_FETCH_HTTP;
	rc = send_all(&ssl, &c, req, (size_t)rl, endpoint, err, errlen);
	if (rc == 0)
		rc = read_response(&ssl, &c, buf, total, &got, &h, true, false, endpoint, err, errlen);
	timing_mark("response");
	if (got && h.head_len) {
		info->status = h.status;
		snprintf(info->content_type, sizeof(info->content_type), "%s", h.content_type);
		header_value(buf, "location", info->location, sizeof(info->location));
	}
	if (rc == 0 && (rc = take_body(buf, got, &h, body, cap, len, endpoint, err, errlen)) == 0) {
		info->stage = STS_FETCH_DONE;
		mbedtls_ssl_close_notify(&ssl);
	}
out:
	mbedtls_ssl_free(&ssl);
	tls_conn_close(&c);
	free(buf);
	return rc;
}

int sts_fetch_add_ca(struct sts_fetch *f, const char *ca_file, char *err, size_t errlen)
{
	if (mbedtls_x509_crt_parse_file(&f->ca, ca_file) < 0) {
		snprintf(err, errlen, "trust store %s: cannot read any certificate", ca_file);
		return LS_ECONFIG;
	}
	return 0;
}

int sts_fetch_url_parse(const char *url, struct sts_fetch_url *u)
{
	const char *h;
	memset(u, 0, sizeof(*u));
	if (strncasecmp(url, "https://", 8) == 0) {
		u->tls = true;
		h = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		h = url + 7;
	} else {
		return LS_EPARSE;
	}
	const char *p;
	size_t hn;
	if (*h == '[') {   /* an IPv6 address */
		p = strchr(h, ']');
		hn = p ? (size_t)(p - h - 1) : 0;
		h++;
		p = p ? p + 1 : h;
	} else {
		hn = strcspn(h, ":/?#");
		p = h + hn;
	}
	if (hn == 0 || hn >= sizeof(u->host))
		return LS_EPARSE;
	memcpy(u->host, h, hn);
	/* What would end up in the Host header or the request line as something else. */
	for (const char *k = u->host; *k; k++)
		if ((unsigned char)*k <= ' ' || *k == 0x7f || strchr("@[]/?#", *k))
			return LS_EPARSE;
	snprintf(u->port, sizeof(u->port), "%s", u->tls ? "443" : "80");
	if (*p == ':') {
		size_t pn = strspn(p + 1, "0123456789");
		if (pn == 0 || pn > 5 || atoi(p + 1) < 1 || atoi(p + 1) > 65535)
			return LS_EPARSE;
		snprintf(u->port, sizeof(u->port), "%d", atoi(p + 1));
		p += 1 + pn;
	}
	if (*p != '/' && *p != 0)
		return LS_EPARSE;
	for (const char *k = p; *k; k++)
		if ((unsigned char)*k <= ' ' || *k == 0x7f || *k == '#')
			return LS_EPARSE;
	u->path = *p ? p : "/";
	return 0;
}

int sts_fetch_request(struct sts_fetch *f, const struct sts_fetch_req *q, struct http_response *h,
                      char **body, size_t *len, char *err, size_t errlen)
{
	struct sts_fetch_url u;
	char name[300];
	size_t total = STS_FETCH_HEAD_MAX + STS_FETCH_BODY_MAX, got = 0;
	struct tls_conn c = { -1, clock_mono_ms() + q->timeout_ms, NULL };
	mbedtls_ssl_context ssl;
	char *req = NULL, *buf = NULL;
	bool head_only = q->head_only || strcmp(q->method, "HEAD") == 0;
	int rc;
	*body = NULL;
	*len = 0;
	memset(h, 0, sizeof(*h));
	if (sts_fetch_url_parse(q->url, &u) != 0) {
		snprintf(err, errlen, "%s: not an http:// or https:// URL", q->url);
		return LS_EPARSE;
	}
	if (u.tls && f == NULL) {
		snprintf(err, errlen, "%s: https:// without a TLS context", q->url);
		return LS_ECONFIG;
	}
	if (u.tls && (rc = ca_load(f, err, errlen)) != 0)   /* no session to resume here */
		return rc;
	bool v6 = strchr(u.host, ':') != NULL;
	snprintf(name, sizeof(name), "%s%s%s:%s", v6 ? "[" : "", u.host, v6 ? "]" : "", u.port);
	size_t rcap = strlen(u.path) + strlen(u.host) + 512 + q->body_len;
	mbedtls_ssl_init(&ssl);
	if ((req = malloc(rcap)) == NULL || (buf = malloc(total + 1)) == NULL) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* Host carries the port when it is not the scheme's: servers build their URLs from it. */
	bool port = strcmp(u.port, u.tls ? "443" : "80") != 0;
	int rl = snprintf(req, rcap, "%s %s HTTP/1.1\r\nHost: %s%s%s%s%s\r\n"
	                  "User-Agent: %s\r\nAccept: */*\r\nConnection: close\r\n",
	                  q->method, u.path, v6 ? "[" : "", u.host, v6 ? "]" : "", port ? ":" : "",
	                  port ? u.port : "", q->user_agent ? q->user_agent : "lockstep");
	if (q->content_type)
		rl += snprintf(req + rl, rcap - (size_t)rl, "Content-Type: %s\r\n"
		               "Content-Length: %zu\r\n", q->content_type, q->body_len);
	rl += snprintf(req + rl, rcap - (size_t)rl, "\r\n");
	if (q->body_len)
		memcpy(req + rl, q->body, q->body_len);
	mbedtls_ssl_context *tls = u.tls ? &ssl : NULL;
	if ((rc = tls_conn_open_name(&c, u.host, u.port, err, errlen)) == 0 &&
	    (!tls || (rc = handshake(tls, f, &c, name, u.host, err, errlen)) == 0) &&
	    (rc = send_all(tls, &c, req, (size_t)rl + q->body_len, name, err, errlen)) == 0 &&
	    (rc = read_response(tls, &c, buf, total, &got, h, false, head_only, name, err,
	                        errlen)) == 0) {
		if (head_only && h->head_len) {
			*len = 0;   /* a body a HEAD answer announces never comes */
		} else {
			rc = take_body(buf, got, h, (uint8_t *)buf, total, len, name, err, errlen);
			/* Chunked (ACME servers send it): read to the close, decoded here. */
			if (rc == 0 && h->transfer_encoding &&
			    http_response_dechunk(buf, *len, len) != 0) {
				snprintf(err, errlen, "%s: malformed chunked body", name);
				rc = LS_EPARSE;
			}
		}
	}
	if (rc == 0) {
		if (tls)
			mbedtls_ssl_close_notify(tls);
		buf[*len] = 0;
		*body = buf;
		buf = NULL;
	}
fail:
	mbedtls_ssl_free(&ssl);
	tls_conn_close(&c);
	free(req);
	free(buf);
	return rc;
}
