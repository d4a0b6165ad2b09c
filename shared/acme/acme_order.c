/* One certificate name through an ACME order: resumable, saved step by step. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_csr.h>
#include "shared/util/clock.h"
#include "shared/util/err.h"
#include "shared/tls/cert.h"
#include "shared/tls/cert_make.h"
#include "shared/acme/acme_dns.h"
#include "shared/acme/acme_json.h"
#include "shared/acme/acme_jws.h"
#include "shared/acme/acme_alpn.h"
#include "shared/acme/acme_ari.h"
#include "shared/acme/acme_order.h"

#define ERR_MAX 600
#define ROUNDS_MAX 16          /* order states walked through in one run */
#define POLL_FIRST_MS 50
#define POLL_MAX_S 5           /* the CA's Retry-After while polling, clipped */
#define CSR_DER_MAX 1024
#define KEY_PEM_MAX 1024

static void problem(struct acme_cert *rec, const char *type, const char *detail)
{
	snprintf(rec->problem_type, sizeof(rec->problem_type), "%s", type);
	snprintf(rec->problem_detail, sizeof(rec->problem_detail), "%.*s",
	         (int)sizeof(rec->problem_detail) - 1, detail);
}

/* A reply's problem, or the connection error in words. */
static void problem_of(struct acme_cert *rec, const struct acme_reply *r, const char *err)
{
	if (r->status && *r->problem_type)
		problem(rec, r->problem_type, r->problem_detail);
	else
		problem(rec, r->status ? "http" : "connection", err);
}

/* Before the next poll: the CA's Retry-After (clipped to POLL_MAX_S), else 50 ms doubling
 * with each poll up to a second: a quick CA answers in milliseconds, a slow one is not
 * asked more than once a second. */
static void nap(const struct acme_reply *r, unsigned *polls)
{
	long ms = POLL_FIRST_MS << (*polls < 5 ? *polls : 5);
	if (r->retry_after > 0)
		ms = (r->retry_after > POLL_MAX_S ? POLL_MAX_S : r->retry_after) * 1000;
	else if (ms > 1000)
		ms = 1000;
	(*polls)++;
	usleep((useconds_t)ms * 1000);
}

int64_t acme_order_renew_at(int64_t nb, int64_t na)
{
	int64_t life = na - nb;
	return life < 10 * 86400 ? na - life / 2 : na - life / 3;
}

int64_t acme_order_backoff(uint32_t tries, double r)
{
	int64_t d = ACME_RETRY_FIRST;
	for (uint32_t i = 1; i < tries && d < ACME_RETRY_MAX; i++)
		d *= 2;
	if (d > ACME_RETRY_MAX)
		d = ACME_RETRY_MAX;
	/* Jitter of -50 % .. +50 %, so many names that failed together do not retry together;
	 * the first retry stays under a minute. */
	int64_t j = (int64_t)((double)d * (r - 0.5));
	return d + j < 1 ? 1 : d + j > ACME_RETRY_MAX ? ACME_RETRY_MAX : d + j;
}

static int64_t x509_time(const mbedtls_x509_time *t)
{
	struct tm tm = { .tm_year = t->year - 1900, .tm_mon = t->mon - 1, .tm_mday = t->day,
	                 .tm_hour = t->hour, .tm_min = t->min, .tm_sec = t->sec };
	return (int64_t)timegm(&tm);
}

int acme_order_leaf(const char *pem, size_t len, char *serial, size_t slen, int64_t *nb,
                    int64_t *na, char *issuer, size_t ilen)
{
	mbedtls_x509_crt crt;
	mbedtls_x509_crt_init(&crt);
	int rc = mbedtls_x509_crt_parse(&crt, (const unsigned char *)pem, len + 1);
	if (rc < 0 || crt.version == 0) {
		mbedtls_x509_crt_free(&crt);
		return LS_EPARSE;
	}
	size_t o = 0;
	for (size_t i = 0; i < crt.serial.len && o + 3 <= slen; i++)
		o += (size_t)snprintf(serial + o, slen - o, "%02x", crt.serial.p[i]);
	if (slen)
		serial[o < slen ? o : slen - 1] = 0;
	*nb = x509_time(&crt.valid_from);
	*na = x509_time(&crt.valid_to);
	if (issuer && mbedtls_x509_dn_gets(issuer, ilen, &crt.issuer) < 0)
		snprintf(issuer, ilen, "?");
	mbedtls_x509_crt_free(&crt);
	return 0;
}

/* POST-as-GET of url into r; the problem recorded on failure. */
static int fetch(struct acme_order_ctx *x, struct acme_cert *rec, const char *url, json_t *payload,
                 struct acme_reply *r)
{
	char err[ERR_MAX];
	int rc = acme_client_post(x->client, url, payload, r, err, sizeof(err));
	if (rc)
		problem_of(rec, r, err);
	if (rc == 0 && payload != NULL && r->json == NULL && r->len && r->body[0] == '{')
		r->json = json_loadb(r->body, r->len, 0, NULL);
	return rc;
}

static int new_order(struct acme_order_ctx *x, struct acme_cert *rec, int64_t now,
                     struct acme_reply *r)
{
	const struct acme_directory_info *info = acme_client_info(x->client);
	json_t *p = json_pack("{s:[{s:s,s:s}]}", "identifiers", "type", "dns", "value", rec->host);
	const char *profile = x->cfg->acme_profile;
	if (profile && *profile && json_object_get(info->profiles, profile))
		json_object_set_new(p, "profile", json_string(profile));
	if (*rec->replaces && *info->renewal_info)
		json_object_set_new(p, "replaces", json_string(rec->replaces));
	/* Counted before it goes out: a crash after the CA took it still counts. */
	struct store_txn t;
	int rc = store_begin(x->st, true, 8192, &t);
	if (rc == 0) {
		acme_record_order_add(&t, now);
		rc = store_commit(&t);
	}
	if (rc == 0)
		rc = fetch(x, rec, info->new_order, p, r);
	json_decref(p);
	if (rc)
		return rc;
	if (!*r->location || !json_is_object(r->json)) {
		problem(rec, "protocol", "the new order came without its URL or body");
		return LS_EPARSE;
	}
	snprintf(rec->order, sizeof(rec->order), "%s", r->location);
	snprintf(rec->directory, sizeof(rec->directory), "%s", info->url);
	rec->ordered_at = now;
	rec->state = rec->had_cert ? ACME_RENEWING : ACME_ORDERING;
	return acme_record_save(x->st, rec);
}

/* The CA's object did not read (acme_json.h says what it must hold). */
static int malformed(struct acme_cert *rec, const char *what)
{
	char d[128];
	snprintf(d, sizeof(d), "the CA's %s object does not read as RFC 8555 describes it", what);
	problem(rec, "protocol", d);
	return LS_EPARSE;
}

/* The CA's error of an object that went invalid (or ours when it gave none): -EPROTO. */
static int refused(struct acme_cert *rec, const struct acme_problem *p, const char *detail)
{
	problem(rec, *p->type ? p->type : "invalid", *p->detail ? p->detail : detail);
	return -EPROTO;
}

/* -ETIMEDOUT with the problem recorded once the monotonic time end has passed, else 0. */
static int too_late(struct acme_cert *rec, int64_t end, const char *detail)
{
	if ((clock_mono_ms() / 1000) < end)
		return 0;
	problem(rec, "timeout", detail);
	return -ETIMEDOUT;
}

static const char *challenge_type(struct acme_order_ctx *x, const char *host)
{
	switch (x->cfg->acme_challenge) {
	case CONFIG_ACME_DNS01: return "dns-01";
	case CONFIG_ACME_TLS_ALPN01: return "tls-alpn-01";
	default: return acme_dns_zone_here(x->st, host) ? "dns-01" : "tls-alpn-01";
	}
}

/* Removes the challenge answer (TXT, or tls-alpn-01 certificate) of a finished or abandoned
 * authorization. */
static void clean_txt(struct acme_order_ctx *x, struct acme_cert *rec)
{
	char err[ERR_MAX];
	struct store_txn t;
	if (rec->txt && acme_dns_del(x->st, rec->host, err, sizeof(err)) == 0) {
		rec->txt = false;
		acme_record_save(x->st, rec);
	}
	if (rec->alpn && store_begin(x->st, true, 0, &t) == 0) {
		acme_alpn_del(&t, rec->host);
		if (store_commit(&t) == 0) {
			rec->alpn = false;
			acme_record_save(x->st, rec);
		}
	}
}

/* tls-alpn-01: the validation certificate in the store, where httpsd finds it by SNI. */
static int present_alpn(struct acme_order_ctx *x, struct acme_cert *rec)
{
	char err[ERR_MAX];
	uint8_t digest[32];
	struct store_txn t;
	rec->alpn = true;    /* saved before the put: a crash after it still removes it */
	int rc = acme_record_save(x->st, rec);
	if (rc || (rc = store_begin(x->st, true, 8192, &t)) != 0)
		return rc;
	mbedtls_sha256_ret((const unsigned char *)rec->keyauth, strlen(rec->keyauth), digest, 0);
	if ((rc = acme_alpn_put(&t, rec->host, digest, err, sizeof(err))) != 0) {
		store_abort(&t);
		problem(rec, "local", err);
		return rc;
	}
	return store_commit(&t);
}

/* Puts the answer in place: the TXT, and waits until every server has it. */
static int present(struct acme_order_ctx *x, struct acme_cert *rec)
{
	char err[ERR_MAX], value[ACME_B64_SHA256];
	uint32_t serial = 0;
	int rc;
	if (strcmp(rec->challenge_type, "tls-alpn-01") == 0)
		return present_alpn(x, rec);
	acme_dns01_value(rec->keyauth, value);
	rec->txt = true;     /* saved before the edit: a crash after it still removes the record */
	if ((rc = acme_record_save(x->st, rec)) != 0)
		return rc;
	if ((rc = acme_dns_put(x->st, rec->host, value, &serial, err, sizeof(err))) != 0 ||
	    (rc = acme_dns_wait(x->st, x->cfg, rec->host, serial, err, sizeof(err))) != 0) {
		problem(rec, "dns", err);
		return rc;
	}
	return 0;
}

/* One authorization: answered and validated, or its problem recorded. */
static int authorize(struct acme_order_ctx *x, struct acme_cert *rec, const char *url)
{
	struct acme_reply r;
	struct acme_authz_view v;
	json_t *empty = json_object();
	int rc = fetch(x, rec, url, NULL, &r);
	if (rc)
		goto out;
	if ((rc = acme_json_authz(r.json, challenge_type(x, rec->host), &v)) != 0) {
		rc = malformed(rec, "authorization");
		goto out;
	}
	if (strcmp(v.status, "valid") == 0)
		goto out;
	if (strcmp(v.status, "pending") != 0 || !v.found) {
		problem(rec, "unsupported", v.found ? "the authorization is not pending" :
		        "the CA offers no challenge of the kind configured (acme.challenge)");
		rc = LS_EPARSE;
		goto out;
	}
	snprintf(rec->authz, sizeof(rec->authz), "%s", url);
	snprintf(rec->challenge, sizeof(rec->challenge), "%s", v.ch_url);
	snprintf(rec->challenge_type, sizeof(rec->challenge_type), "%s", v.ch_type);
	snprintf(rec->token, sizeof(rec->token), "%s", v.token);
	acme_keyauth(rec->token, acme_client_thumbprint(x->client), rec->keyauth,
	             sizeof(rec->keyauth));
	if (strcmp(v.ch_status, "pending") == 0) {
		if ((rc = present(x, rec)) != 0)
			goto out;
		acme_reply_free(&r);
		if ((rc = fetch(x, rec, rec->challenge, empty, &r)) != 0)
			goto out;
	}
	rec->state = ACME_VALIDATING;
	acme_record_save(x->st, rec);
	unsigned polls = 0;
	for (int64_t end = (clock_mono_ms() / 1000) + ACME_VALIDATE_MS / 1000;;) {
		acme_reply_free(&r);
		if ((rc = fetch(x, rec, url, NULL, &r)) != 0)
			goto out;
		if (acme_json_authz(r.json, rec->challenge_type, &v) != 0) {
			rc = malformed(rec, "authorization");
			break;
		}
		if (strcmp(v.status, "valid") == 0)
			break;
		if (strcmp(v.status, "pending") != 0) {
			rc = refused(rec, &v.error, "the authorization failed");
			break;
		}
		if ((rc = too_late(rec, end, "the CA did not finish validating in time")) != 0)
			break;
		nap(&r, &polls);
	}
out:
	clean_txt(x, rec);
	json_decref(empty);
	acme_reply_free(&r);
	return rc;
}

int acme_order_csr(struct cert_make *m, const char *host, mbedtls_pk_context *key, char *csr64,
                   size_t cap)
{
	mbedtls_x509write_csr w;
	unsigned char der[CSR_DER_MAX];
	char subject[ACME_HOST_MAX + 8], err[ERR_MAX];
	size_t hl = strlen(host);
	if (hl == 0 || hl > ACME_HOST_MAX - 2)
		return LS_EPARSE;
	int rc = cert_make_key(m, key, err, sizeof(err));
	if (rc)
		return rc;
	mbedtls_x509write_csr_init(&w);
	mbedtls_x509write_csr_set_md_alg(&w, MBEDTLS_MD_SHA256);
	mbedtls_x509write_csr_set_key(&w, key);
	snprintf(subject, sizeof(subject), "CN=%s", host);
	/* subjectAltName dNSName host, written by hand: mbedTLS 2.28 has no setter for it. */
	unsigned char san[ACME_HOST_MAX + 8];
	san[0] = 0x30;
	san[1] = (unsigned char)(hl + 2);
	san[2] = 0x82;
	san[3] = (unsigned char)hl;
	memcpy(san + 4, host, hl);
	if ((rc = mbedtls_x509write_csr_set_subject_name(&w, subject)) == 0 &&
	    (rc = mbedtls_x509write_csr_set_extension(&w, MBEDTLS_OID_SUBJECT_ALT_NAME,
	                                              MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME),
	                                              san, hl + 4)) == 0)
		rc = mbedtls_x509write_csr_der(&w, der, sizeof(der), mbedtls_ctr_drbg_random, &m->drbg);
	mbedtls_x509write_csr_free(&w);
	if (rc < 0)
		return rc;
	/* The DER is written at the end of the buffer. */
	return acme_b64url(der + sizeof(der) - rc, (size_t)rc, csr64, cap);
}

/* The chain downloaded and written beside its key; the record's facts from the leaf. */
static int install(struct acme_order_ctx *x, struct acme_cert *rec, const char *url,
                   mbedtls_pk_context *key, int64_t now)
{
	struct acme_reply r;
	unsigned char kpem[KEY_PEM_MAX];
	char err[ERR_MAX];
	int64_t nb, na;
	int rc = fetch(x, rec, url, NULL, &r);
	if (rc)
		return rc;
	if (r.len > ACME_CHAIN_MAX || strstr(r.body, "-----BEGIN CERTIFICATE-----") == NULL ||
	    acme_order_leaf(r.body, r.len, rec->serial, sizeof(rec->serial), &nb, &na, NULL, 0)) {
		problem(rec, "protocol", "the certificate download is not a PEM chain");
		acme_reply_free(&r);
		return LS_EPARSE;
	}
	rc = mbedtls_pk_write_key_pem(key, kpem, sizeof(kpem));
	if (rc == 0)
		rc = cert_write(x->state_dir, rec->host, r.body, r.len, kpem, strlen((char *)kpem),
		                err, sizeof(err));
	mbedtls_platform_zeroize(kpem, sizeof(kpem));
	if (rc) {
		problem(rec, "local", err);
		acme_reply_free(&r);
		return rc < 0 ? rc : -EIO;
	}
	rec->not_after = na;
	rec->renew_at = acme_order_renew_at(nb, na);
	acme_ari_window(x->client, r.body, r.len, rec, now);
	acme_reply_free(&r);
	return 0;
}

/* ready -> finalize with a new key and CSR -> poll until valid -> install. */
static int finalize(struct acme_order_ctx *x, struct acme_cert *rec, const char *url, int64_t now)
{
	mbedtls_pk_context key;
	char csr[2048];
	struct acme_reply r;
	struct acme_order_view v;
	int rc;
	mbedtls_pk_init(&key);
	memset(&r, 0, sizeof(r));
	if ((rc = acme_order_csr(acme_client_rng(x->client), rec->host, &key, csr,
	                         sizeof(csr))) != 0) {
		problem(rec, "local", "cannot make the key and CSR");
		goto out;
	}
	json_t *p = json_pack("{s:s}", "csr", csr);
	rc = fetch(x, rec, url, p, &r);
	json_decref(p);
	unsigned polls = 0;
	for (int64_t end = (clock_mono_ms() / 1000) + ACME_ISSUE_MS / 1000; rc == 0;) {
		if (acme_json_order(r.json, &v) != 0) {
			rc = malformed(rec, "order");
			break;
		}
		if (strcmp(v.status, "valid") == 0 && *v.certificate) {
			rc = install(x, rec, v.certificate, &key, now);
			break;
		}
		if (strcmp(v.status, "processing") != 0 && strcmp(v.status, "ready") != 0 &&
		    strcmp(v.status, "valid") != 0) {
			rc = refused(rec, &v.error, "the order became invalid");
			break;
		}
		if ((rc = too_late(rec, end, "the CA did not issue in time")) != 0)
			break;
		nap(&r, &polls);
		acme_reply_free(&r);
		rc = fetch(x, rec, rec->order, NULL, &r);
	}
out:
	acme_reply_free(&r);
	mbedtls_pk_free(&key);
	return rc;
}

/* The stored order when it can go on, else a new one; its body in r. */
static int open_order(struct acme_order_ctx *x, struct acme_cert *rec, int64_t now,
                      struct acme_reply *r)
{
	const struct acme_directory_info *info = acme_client_info(x->client);
	bool stored = *rec->order && strcmp(rec->directory, info->url) == 0 &&
	              (rec->state == ACME_ORDERING || rec->state == ACME_VALIDATING ||
	               rec->state == ACME_RENEWING);
	struct acme_order_view v;
	if (stored && fetch(x, rec, rec->order, NULL, r) == 0 && acme_json_order(r->json, &v) == 0 &&
	    (strcmp(v.status, "pending") == 0 || strcmp(v.status, "ready") == 0))
		return 0;     /* "valid" or "processing" after a crash: that CSR's key is gone */
	acme_reply_free(r);
	clean_txt(x, rec);     /* an abandoned order's answer, left by a process that died */
	return new_order(x, rec, now, r);
}

static int run(struct acme_order_ctx *x, struct acme_cert *rec, int64_t now)
{
	struct acme_reply r;
	char err[ERR_MAX];
	size_t n = acme_client_directories(x->client);
	size_t di = (rec->tries / ACME_DIR_SWITCH) % n;
	int rc = acme_client_use(x->client, di, err, sizeof(err));
	memset(&r, 0, sizeof(r));
	if (rc) {
		problem(rec, rc == -EPROTO ? "account" : "connection", err);
		return rc;
	}
	if ((rc = open_order(x, rec, now, &r)) != 0)
		goto out;
	unsigned polls = 0;
	for (int round = 0; round < ROUNDS_MAX; round++) {
		struct acme_order_view v;
		if (acme_json_order(r.json, &v) != 0) {
			rc = malformed(rec, "order");
			goto out;
		}
		if (strcmp(v.status, "ready") == 0) {
			rc = finalize(x, rec, v.finalize, now);
			goto out;
		}
		if (strcmp(v.status, "pending") != 0) {
			rc = refused(rec, &v.error, "the order is not pending");
			goto out;
		}
		for (size_t i = 0; i < v.nauthz && rc == 0; i++)
			rc = authorize(x, rec, v.authz[i]);
		acme_reply_free(&r);
		if (rc || (rc = fetch(x, rec, rec->order, NULL, &r)) != 0)
			goto out;
		if (acme_json_order(r.json, &v) == 0 && strcmp(v.status, "pending") == 0)
			nap(&r, &polls);
	}
	problem(rec, "timeout", "the order did not become ready");
	rc = -ETIMEDOUT;
out:
	acme_reply_free(&r);
	return rc;
}

int acme_order_run(struct acme_order_ctx *x, struct acme_cert *rec, int64_t now)
{
	/* A challenge answer a killed process left stays while its order is resumed (the CA may
	 * be validating it); a new order removes it first, and every authorization at its end. */
	int rc = run(x, rec, now);
	clean_txt(x, rec);
	if (rc == 0) {
		rec->state = ACME_ISSUED;
		rec->had_cert = true;
		rec->force = false;
		rec->tries = 0;
		rec->next_try = 0;
		rec->order[0] = rec->authz[0] = rec->challenge[0] = 0;
		rec->token[0] = rec->keyauth[0] = 0;    /* replaces: the next order names this one */
		rec->problem_type[0] = rec->problem_detail[0] = 0;
	} else {
		rec->tries++;
		rec->state = ACME_FAILED;
		/* rateLimited, a 429 or a 503: wait as the CA says, when it says. */
		long wait = acme_client_retry_after(x->client);
		rec->next_try = now + (wait > 0 ? wait :
		                acme_order_backoff(rec->tries, (double)random() / RAND_MAX));
	}
	int src = acme_record_save(x->st, rec);
	return rc ? rc : src;
}
