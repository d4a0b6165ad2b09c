/* Unit tests for the ACME client's pieces: base64url, the JWK thumbprint (RFC 7638) against a
 * value computed apart (openssl + Python), ES256 JWS verified with the public key, EAB, key
 * authorizations, the CSR, the response head's ACME headers and chunked bodies, stored state
 * and its transitions (queue, lease, force), renewal times, back-off, the orders window, ARI,
 * problem types as a bounded label set. */
#include "tests/unit/unit.h"
#include <jansson.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/md.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_csr.h>
#include "shared/util/config.h"
#include "shared/util/err.h"
#include "shared/tls/cert.h"
#include "shared/tls/cert_make.h"
#include "shared/tls/http_response.h"
#include "shared/acme/acme_ari.h"
#include "shared/acme/acme_jws.h"
#include "shared/acme/acme_order.h"
#include "shared/acme/acme_problem.h"
#include "shared/acme/acme_record.h"
#include "shared/acme/acme_run.h"

/* A fixed P-256 key (openssl ecparam -genkey) and what was computed from it apart. */
static const char KEY_PEM[] =
	"-----BEGIN EC PRIVATE KEY-----\n"
	"MHcCAQEEILFYcpOq7lSER2qWX5dZwbt16MEq89+HSbDiCU4nsEAwoAoGCCqGSM49\n"
	"AwEHoUQDQgAEAI4ct1GiKZPE/8BPAKk/sE0/b9COiYFFWczW5+O35eKsfhslPioD\n"
	"C75+Xy6aURISga0m1KujXrwg0HNxF6faSA==\n"
	"-----END EC PRIVATE KEY-----\n";
#define KEY_X "AI4ct1GiKZPE_8BPAKk_sE0_b9COiYFFWczW5-O35eI"
#define KEY_Y "rH4bJT4qAwu-fl8umlESEoGtJtSro168INBzcRen2kg"
#define KEY_THUMB "YW0PsHZD7z3OQtjMPHh_URw-uBQg4EW0GXgLf3EZ7TY"
#define KEYAUTH "tok-123." KEY_THUMB
#define DNS01 "KVlrvvb_KsKKEMb80qpXfyVKOoMGBnqpFggVky8GU8M"

static void load_key(mbedtls_pk_context *k)
{
	mbedtls_pk_init(k);
	assert_int_equal(mbedtls_pk_parse_key(k, (const unsigned char *)KEY_PEM, sizeof(KEY_PEM),
	                                      NULL, 0), 0);
}

static void test_b64url(void **state)
{
	(void)state;
	char out[64];
	uint8_t back[64];
	size_t n;
	assert_int_equal(acme_b64url("\xfb\xff\xfe", 3, out, sizeof(out)), 0);
	assert_string_equal(out, "-__-");                    /* no + or /, no padding */
	assert_int_equal(acme_b64url("ab", 2, out, sizeof(out)), 0);
	assert_string_equal(out, "YWI");
	assert_int_equal(acme_b64url_decode("YWI", back, sizeof(back), &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(back, "ab", 2);
	assert_int_equal(acme_b64url_decode("-__-", back, sizeof(back), &n), 0);
	assert_memory_equal(back, "\xfb\xff\xfe", 3);
	assert_int_equal(acme_b64url_decode("a+b/", back, sizeof(back), &n), LS_EPARSE);
	assert_int_equal(acme_b64url_decode("YW*I", back, sizeof(back), &n), LS_EPARSE);
	assert_int_equal(acme_b64url("abcdef", 6, out, 4), LS_ETOOBIG);
}

static void test_jwk_thumbprint(void **state)
{
	(void)state;
	mbedtls_pk_context k;
	char thumb[ACME_B64_SHA256], ka[256], v[ACME_B64_SHA256];
	load_key(&k);
	json_t *jwk = acme_jwk(&k);
	assert_non_null(jwk);
	assert_string_equal(json_string_value(json_object_get(jwk, "x")), KEY_X);
	assert_string_equal(json_string_value(json_object_get(jwk, "y")), KEY_Y);
	assert_string_equal(json_string_value(json_object_get(jwk, "crv")), "P-256");
	json_decref(jwk);
	assert_int_equal(acme_jwk_thumbprint(&k, thumb), 0);
	assert_string_equal(thumb, KEY_THUMB);
	assert_int_equal(acme_keyauth("tok-123", thumb, ka, sizeof(ka)), 0);
	assert_string_equal(ka, KEYAUTH);
	assert_int_equal(acme_dns01_value(ka, v), 0);
	assert_string_equal(v, DNS01);
	mbedtls_pk_free(&k);
}

/* Splits a flattened JWS, checks its ES256 signature with k; returns the protected header. */
static json_t *verify_jws(const char *text, mbedtls_pk_context *k, char *payload, size_t cap)
{
	json_t *jws = json_loads(text, 0, NULL);
	assert_non_null(jws);
	const char *p = json_string_value(json_object_get(jws, "protected"));
	const char *pl = json_string_value(json_object_get(jws, "payload"));
	const char *sig = json_string_value(json_object_get(jws, "signature"));
	assert_non_null(p);
	assert_non_null(pl);
	assert_non_null(sig);
	char input[8192];
	uint8_t hdr[2048], s[128], hash[32];
	size_t hn, sn, pn;
	snprintf(input, sizeof(input), "%s.%s", p, pl);
	assert_int_equal(acme_b64url_decode(sig, s, sizeof(s), &sn), 0);
	assert_int_equal(sn, 64);                            /* r || s, not DER */
	mbedtls_sha256_ret((const unsigned char *)input, strlen(input), hash, 0);
	mbedtls_mpi r, ss;
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&ss);
	assert_int_equal(mbedtls_mpi_read_binary(&r, s, 32), 0);
	assert_int_equal(mbedtls_mpi_read_binary(&ss, s + 32, 32), 0);
	mbedtls_ecp_keypair *ec = mbedtls_pk_ec(*k);
	assert_int_equal(mbedtls_ecdsa_verify(&ec->grp, hash, 32, &ec->Q, &r, &ss), 0);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&ss);
	assert_int_equal(acme_b64url_decode(pl, (uint8_t *)payload, cap - 1, &pn), 0);
	payload[pn] = 0;
	assert_int_equal(acme_b64url_decode(p, hdr, sizeof(hdr) - 1, &hn), 0);
	json_t *h = json_loadb((const char *)hdr, hn, 0, NULL);
	assert_non_null(h);
	json_decref(jws);
	return h;
}

static void test_jws_es256(void **state)
{
	(void)state;
	struct cert_make m;
	mbedtls_pk_context k;
	char payload[1024];
	cert_make_init(&m);
	assert_int_equal(cert_make_seed(&m), 0);
	load_key(&k);
	/* Before registration: the key itself (jwk), no kid. */
	char *s = acme_jws_sign(&k, mbedtls_ctr_drbg_random, &m.drbg, NULL, "n0nce",
	                        "https://ca.test/new-acct", "{\"a\":1}");
	assert_non_null(s);
	json_t *h = verify_jws(s, &k, payload, sizeof(payload));
	assert_string_equal(json_string_value(json_object_get(h, "alg")), "ES256");
	assert_string_equal(json_string_value(json_object_get(h, "nonce")), "n0nce");
	assert_string_equal(json_string_value(json_object_get(h, "url")), "https://ca.test/new-acct");
	assert_null(json_object_get(h, "kid"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(h, "jwk"), "x")),
	                    KEY_X);
	assert_string_equal(payload, "{\"a\":1}");
	json_decref(h);
	free(s);
	/* After: kid, no jwk; POST-as-GET has an empty payload. */
	s = acme_jws_sign(&k, mbedtls_ctr_drbg_random, &m.drbg, "https://ca.test/acct/7", "n1",
	                  "https://ca.test/order/1", NULL);
	h = verify_jws(s, &k, payload, sizeof(payload));
	assert_string_equal(json_string_value(json_object_get(h, "kid")), "https://ca.test/acct/7");
	assert_null(json_object_get(h, "jwk"));
	assert_string_equal(payload, "");
	json_decref(h);
	free(s);
	mbedtls_pk_free(&k);
	cert_make_free(&m);
}

static void test_eab(void **state)
{
	(void)state;
	mbedtls_pk_context k;
	uint8_t mac[64], sig[64], want[32];
	size_t n, sn;
	load_key(&k);
	assert_int_equal(acme_b64url_decode("zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUA",
	                                    mac, sizeof(mac), &n), 0);
	json_t *e = acme_jws_eab(&k, "kid-1", mac, n, "https://ca.test/new-acct");
	assert_non_null(e);
	const char *p = json_string_value(json_object_get(e, "protected"));
	const char *pl = json_string_value(json_object_get(e, "payload"));
	char input[4096], hdr[512], body[512];
	size_t hn, bn;
	snprintf(input, sizeof(input), "%s.%s", p, pl);
	assert_int_equal(mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), mac, n,
	                                 (const unsigned char *)input, strlen(input), want), 0);
	assert_int_equal(acme_b64url_decode(json_string_value(json_object_get(e, "signature")),
	                                    sig, sizeof(sig), &sn), 0);
	assert_int_equal(sn, 32);
	assert_memory_equal(sig, want, 32);
	assert_int_equal(acme_b64url_decode(p, (uint8_t *)hdr, sizeof(hdr) - 1, &hn), 0);
	hdr[hn] = 0;
	assert_non_null(strstr(hdr, "\"alg\":\"HS256\""));
	assert_non_null(strstr(hdr, "\"kid\":\"kid-1\""));
	assert_int_equal(acme_b64url_decode(pl, (uint8_t *)body, sizeof(body) - 1, &bn), 0);
	body[bn] = 0;
	assert_non_null(strstr(body, KEY_X));                /* the account's JWK */
	json_decref(e);
	mbedtls_pk_free(&k);
}

static void test_csr(void **state)
{
	(void)state;
	struct cert_make m;
	mbedtls_pk_context k;
	mbedtls_x509_csr csr;
	char b64[2048], subject[256];
	uint8_t der[1024];
	size_t n;
	cert_make_init(&m);
	mbedtls_pk_init(&k);
	mbedtls_x509_csr_init(&csr);
	assert_int_equal(acme_order_csr(&m, "mta-sts.example.com", &k, b64, sizeof(b64)), 0);
	assert_int_equal(acme_b64url_decode(b64, der, sizeof(der), &n), 0);
	assert_int_equal(mbedtls_x509_csr_parse_der(&csr, der, n), 0);
	assert_true(mbedtls_x509_dn_gets(subject, sizeof(subject), &csr.subject) > 0);
	assert_string_equal(subject, "CN=mta-sts.example.com");
	assert_int_equal(mbedtls_pk_get_type(&csr.pk), MBEDTLS_PK_ECKEY);
	/* The subjectAltName extension: OID 2.5.29.17, then dNSName [2] with the host. */
	assert_non_null(memmem(der, n, "\x06\x03\x55\x1d\x11", 5));
	assert_non_null(memmem(der, n, "\x82\x13mta-sts.example.com", 21));
	/* The CSR's key is the one returned (the certificate key, fresh per order). */
	assert_int_equal(mbedtls_mpi_cmp_mpi(&mbedtls_pk_ec(csr.pk)->Q.X,
	                                     &mbedtls_pk_ec(k)->Q.X), 0);
	assert_int_equal(acme_order_csr(&m, "", &k, b64, sizeof(b64)), LS_EPARSE);
	mbedtls_x509_csr_free(&csr);
	mbedtls_pk_free(&k);
	cert_make_free(&m);
}

static void test_response_headers(void **state)
{
	(void)state;
	struct http_response h;
	char buf[] = "HTTP/1.1 429 Too Many Requests\r\nReplay-Nonce: abc-DEF_1\r\n"
	             "Location: https://ca.test/order/9\r\nRetry-After: 120\r\n"
	             "Content-Type: application/problem+json\r\nContent-Length: 2\r\n\r\n{}";
	assert_int_equal(http_response_head(buf, &h), 0);
	assert_int_equal(h.status, 429);
	assert_string_equal(h.replay_nonce, "abc-DEF_1");
	assert_string_equal(h.location, "https://ca.test/order/9");
	assert_int_equal(h.retry_after, 120);
	char big[] = "HTTP/1.1 503 x\r\nRetry-After: 99999999999\r\n\r\n";
	assert_int_equal(http_response_head(big, &h), 0);
	assert_int_equal(h.retry_after, HTTP_RESPONSE_RETRY_MAX);
	assert_string_equal(h.replay_nonce, "");
	char date[] = "HTTP/1.1 503 x\r\nRetry-After: Fri, 31 Dec 1999 23:59:59 GMT\r\n\r\n";
	assert_int_equal(http_response_head(date, &h), 0);
	assert_int_equal(h.retry_after, 60);
}

static void test_dechunk(void **state)
{
	(void)state;
	char a[] = "4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\n\r\n";
	size_t n;
	assert_int_equal(http_response_dechunk(a, strlen(a), &n), 0);
	assert_int_equal(n, 9);
	assert_memory_equal(a, "Wikipedia", 9);
	char cut[] = "4\r\nWiki\r\n5\r\nped";
	assert_int_equal(http_response_dechunk(cut, strlen(cut), &n), LS_EPARSE);
	char nolast[] = "4\r\nWiki\r\n";
	assert_int_equal(http_response_dechunk(nolast, strlen(nolast), &n), LS_EPARSE);
	char huge[] = "fffffffff\r\nx\r\n0\r\n\r\n";
	assert_int_equal(http_response_dechunk(huge, strlen(huge), &n), LS_EPARSE);
	char badsize[] = "zz\r\nx\r\n0\r\n\r\n";
	assert_int_equal(http_response_dechunk(badsize, strlen(badsize), &n), LS_EPARSE);
}

static void test_record_round_trip(void **state)
{
	struct unit_store *u = *state;
	struct store_txn t;
	struct acme_cert c, back;
	memset(&c, 0, sizeof(c));
	snprintf(c.host, sizeof(c.host), "mta-sts.example.com");
	c.state = ACME_VALIDATING;
	c.txt = true;
	snprintf(c.order, sizeof(c.order), "https://ca.test/order/1");
	snprintf(c.problem_type, sizeof(c.problem_type), "urn:ietf:params:acme:error:dns");
	snprintf(c.problem_detail, sizeof(c.problem_detail), "NXDOMAIN \"quoted\"");
	c.next_try = 1764747285;
	c.renew_at = -5;
	c.tries = 7;
	unit_begin(u->st, true, &t);
	acme_record_put(&t, &c);
	assert_int_equal(store_commit(&t), 0);
	unit_begin(u->st, false, &t);
	assert_int_equal(acme_record_get(&t, "mta-sts.example.com", &back), 0);
	assert_int_equal(acme_record_get(&t, "mta-sts.example.org", &back), LS_ENOTFOUND);
	store_abort(&t);
	unit_begin(u->st, false, &t);
	assert_int_equal(acme_record_get(&t, "mta-sts.example.com", &back), 0);
	store_abort(&t);
	assert_memory_equal(&c, &back, sizeof(c));
	/* a value this code cannot read */
	unit_begin(u->st, true, &t);
	store_put(&t, STORE_ACME, "bad.example", 11, "Xjunk", 5, 0);
	assert_int_equal(store_commit(&t), 0);
	unit_begin(u->st, false, &t);
	assert_int_equal(acme_record_get(&t, "bad.example", &back), LS_EPARSE);
	store_abort(&t);
	assert_non_null(acme_record_check("bad.example", 11, "Xjunk", 5));
	assert_null(acme_record_check("x", 1, "A\001{}", 4));
}

static struct acme_cert get(struct store *st, const char *host)
{
	struct store_txn t;
	struct acme_cert c;
	unit_begin(st, false, &t);
	assert_int_equal(acme_record_get(&t, host, &c), 0);
	store_abort(&t);
	return c;
}

static void test_queue_and_lease(void **state)
{
	struct unit_store *u = *state;
	const char *h = "mta-sts.example.com";
	assert_int_equal(acme_run_queue(u->st, h, false, false, 1000), 0);
	struct acme_cert c = get(u->st, h);
	assert_int_equal(c.state, ACME_QUEUED);
	assert_int_equal(c.queued_at, 1000);
	assert_true(acme_run_is_due(&c, 1000));
	/* queueing again changes nothing (no new place in the queue) */
	assert_int_equal(acme_run_queue(u->st, h, false, false, 2000), 0);
	assert_int_equal(get(u->st, h).queued_at, 1000);
	/* a runner takes it: its lease keeps other runners off */
	assert_int_equal(acme_run_queue(u->st, h, false, true, 3000), 0);
	c = get(u->st, h);
	assert_int_equal(c.state, ACME_ORDERING);
	assert_int_equal(c.next_try, 3000 + ACME_LEASE_S);
	assert_false(acme_run_is_due(&c, 3001));
	assert_int_equal(acme_run_queue(u->st, h, false, true, 3001), LS_ECONFLICT);
	/* after the lease (a runner killed), it is due again: resumed by the next run */
	assert_true(acme_run_is_due(&c, 3000 + ACME_LEASE_S));
	/* force (cert renew) overrides the lease */
	assert_int_equal(acme_run_queue(u->st, h, true, true, 3002), 0);
	assert_true(get(u->st, h).force);
	/* issued: due at renew_at, or when forced */
	c.state = ACME_ISSUED;
	c.force = false;
	c.renew_at = 5000;
	assert_false(acme_run_is_due(&c, 4999));
	assert_true(acme_run_is_due(&c, 5000));
	c.force = true;
	assert_true(acme_run_is_due(&c, 0));
	c.state = ACME_NONE;
	c.force = false;
	assert_false(acme_run_is_due(&c, 1 << 30));   /* a manual certificate is left alone */
}

static void test_queue_position(void **state)
{
	struct unit_store *u = *state;
	struct store_txn t;
	assert_int_equal(acme_run_queue(u->st, "mta-sts.c.example", false, false, 10), 0);
	assert_int_equal(acme_run_queue(u->st, "mta-sts.a.example", false, false, 20), 0);
	assert_int_equal(acme_run_queue(u->st, "mta-sts.b.example", false, false, 20), 0);
	unit_begin(u->st, false, &t);
	assert_int_equal(acme_run_position(&t, "mta-sts.c.example"), 1);
	assert_int_equal(acme_run_position(&t, "mta-sts.a.example"), 2);
	assert_int_equal(acme_run_position(&t, "mta-sts.b.example"), 3);
	assert_int_equal(acme_run_position(&t, "mta-sts.none.example"), 0);
	store_abort(&t);
	/* one taken: the others move up */
	assert_int_equal(acme_run_queue(u->st, "mta-sts.c.example", false, true, 30), 0);
	unit_begin(u->st, false, &t);
	assert_int_equal(acme_run_position(&t, "mta-sts.c.example"), 0);
	assert_int_equal(acme_run_position(&t, "mta-sts.a.example"), 1);
	store_abort(&t);
}

static void test_orders_window(void **state)
{
	struct unit_store *u = *state;
	struct store_txn t;
	uint32_t n;
	unit_begin(u->st, true, &t);
	acme_record_order_add(&t, 1000);
	acme_record_order_add(&t, 2000);
	acme_record_order_add(&t, 4000);
	assert_int_equal(store_commit(&t), 0);
	unit_begin(u->st, false, &t);
	assert_int_equal(acme_record_orders(&t, 4000, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(acme_record_orders(&t, 4601, &n), 0);   /* 1000 left the hour */
	assert_int_equal(n, 2);
	assert_int_equal(acme_record_orders(&t, 7600, &n), 0);
	assert_int_equal(n, 0);
	store_abort(&t);
}

static void test_renew_and_backoff(void **state)
{
	(void)state;
	/* 90 days: a third left (30 days before the end) */
	assert_int_equal(acme_order_renew_at(0, 90 * 86400), 60 * 86400);
	/* 6 days (short-lived): half */
	assert_int_equal(acme_order_renew_at(1000, 1000 + 6 * 86400), 1000 + 3 * 86400);
	/* the first retry within a minute, doubling, at most an hour, jitter both ways */
	for (int i = 0; i < 100; i++) {
		double r = i / 100.0;
		assert_true(acme_order_backoff(1, r) >= 1 && acme_order_backoff(1, r) < 60);
		assert_true(acme_order_backoff(30, r) <= ACME_RETRY_MAX);
	}
	assert_int_equal(acme_order_backoff(1, 0.5), ACME_RETRY_FIRST);
	assert_int_equal(acme_order_backoff(2, 0.5), 2 * ACME_RETRY_FIRST);
	assert_int_equal(acme_order_backoff(3, 0.5), 4 * ACME_RETRY_FIRST);
	assert_int_equal(acme_order_backoff(20, 0.5), ACME_RETRY_MAX);
	assert_true(acme_order_backoff(20, 0.0) < ACME_RETRY_MAX);   /* jittered below the cap */
}

static void test_ari(void **state)
{
	(void)state;
	int64_t a, b;
	json_t *w = json_loads("{\"suggestedWindow\":{\"start\":\"2026-12-10T00:00:00Z\","
	                       "\"end\":\"2026-12-11T12:00:00Z\"}}", 0, NULL);
	assert_int_equal(acme_ari_parse(w, &a, &b), 0);
	assert_int_equal(a, 1796860800);
	assert_int_equal(b, 1796860800 + 36 * 3600);
	json_decref(w);
	w = json_loads("{\"suggestedWindow\":{\"start\":\"2026-12-11T00:00:00Z\","
	               "\"end\":\"2026-12-10T00:00:00Z\"}}", 0, NULL);
	assert_int_equal(acme_ari_parse(w, &a, &b), LS_EPARSE);      /* ends before it starts */
	json_decref(w);
	/* CertID of a demo certificate: base64url(AKI keyIdentifier) "." base64url(serial) */
	char *dir = temp_dir(), path[512], id[256], err[256];
	assert_int_equal(cert_demo_ca(dir, &(bool){ false }, err, sizeof(err)), 0);
	assert_int_equal(cert_issue(dir, "mta-sts.example.com", err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/certs/mta-sts.example.com/fullchain.pem", dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char pem[8192];
	size_t n = fread(pem, 1, sizeof(pem) - 1, f);
	fclose(f);
	pem[n] = 0;
	assert_int_equal(acme_ari_cert_id(pem, n, id, sizeof(id)), 0);
	char *dot = strchr(id, '.');
	assert_non_null(dot);
	assert_int_equal(dot - id, 27);          /* a 20-byte SHA-1 key identifier */
	assert_int_equal(strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                            "0123456789-_."), strlen(id));
	assert_int_equal(acme_ari_cert_id("junk", 4, id, sizeof(id)), LS_EPARSE);
	rm_tree(dir);
}

/* The acme: section: the keys of the issue, checked values, defaults without it. */
static void test_config(void **state)
{
	(void)state;
	char *dir = temp_dir(), path[512];
	struct config cfg;
	struct diag d;
	snprintf(path, sizeof(path), "%s/ls.conf", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("acme:\n  directory: https://ca.example/dir https://ca2.example:14000/dir\n"
	      "  email: hostmaster@provider.example\n  eab-kid: kid-1\n"
	      "  eab-hmac-key: zWNDZM6eQGHWpSRTPal5eIUYFTu7EajV\n  ca-bundle: /tmp/ca.pem\n"
	      "  challenge: tls-alpn-01\n  profile: shortlived\n  orders-per-hour: 7\n", f);
	fclose(f);
	diag_init(&d);
	assert_int_equal(config_load(&cfg, path, &d), 0);
	assert_string_equal(cfg.acme_directory, "https://ca.example/dir https://ca2.example:14000/dir");
	assert_string_equal(cfg.acme_email, "hostmaster@provider.example");
	assert_int_equal(cfg.acme_challenge, CONFIG_ACME_TLS_ALPN01);
	assert_string_equal(cfg.acme_profile, "shortlived");
	assert_int_equal(cfg.acme_orders_per_hour, 7);
	config_free(&cfg);
	diag_free(&d);
	f = fopen(path, "w");
	fputs("acme:\n  directory: https://192.0.2.1/dir\n  orders-per-hour: 0\n"
	      "  challenge: http-01\n  eab-hmac-key: not/base64\n", f);
	fclose(f);
	diag_init(&d);
	assert_int_equal(config_load(&cfg, path, &d), LS_ECONFIG);
	assert_int_equal(d.errors, 4);           /* each bad line reported, file:line */
	assert_string_equal(cfg.acme_directory, "");    /* defaults only: no ACME */
	assert_int_equal(cfg.acme_orders_per_hour, 250);
	assert_int_equal(cfg.acme_challenge, CONFIG_ACME_AUTO);
	config_free(&cfg);
	diag_free(&d);
	rm_tree(dir);
}

/* The metrics label of a problem type: the CA's URNs by short name, ours as they are, and
 * anything else one "other", however long or odd. */
static void test_problem_labels(void **state)
{
	(void)state;
	assert_string_equal(acme_problem_names[acme_problem_index(
		"urn:ietf:params:acme:error:rateLimited")], "rateLimited");
	assert_string_equal(acme_problem_names[acme_problem_index(
		"urn:ietf:params:acme:error:badNonce")], "badNonce");
	assert_string_equal(acme_problem_names[acme_problem_index("connection")], "connection");
	assert_string_equal(acme_problem_names[acme_problem_index("timeout")], "timeout");
	unsigned other = acme_problem_index("urn:ietf:params:acme:error:madeUp");
	assert_int_equal(other, ACME_PROBLEM_N - 1);
	assert_string_equal(acme_problem_names[other], "other");
	assert_int_equal(acme_problem_index("urn:example:rateLimited"), other);
	assert_int_equal(acme_problem_index(""), other);
	assert_int_equal(acme_problem_index("urn:ietf:params:acme:error:"), other);
	/* every name is found at its own index: none listed twice */
	for (unsigned i = 0; i + 1 < ACME_PROBLEM_N; i++)
		assert_int_equal(acme_problem_index(acme_problem_names[i]), i);
}

/* A failing renewal within 14 days of expiry is an error once a day, every day, until the
 * end; a first order, or one further from expiry, never is. */
static void test_urgent_daily(void **state)
{
	(void)state;
	const int64_t day = 86400, t0 = 1700000000;
	struct acme_cert c;
	memset(&c, 0, sizeof(c));
	c.had_cert = true;
	c.not_after = t0 + 20 * day;
	assert_false(acme_run_urgent(&c, t0));                 /* 20 days left */
	assert_false(acme_run_urgent(&c, t0 + 6 * day));       /* 14 days and a second */
	int64_t logged = 0;
	for (int64_t now = t0 + 6 * day + 1; now < c.not_after + 2 * day; now += 3600) {
		if (acme_run_urgent(&c, now)) {
			if (logged)
				assert_int_equal(now - logged, day);   /* a day after the last, not sooner */
			logged = c.last_error_log = now;
		}
	}
	/* from 14 days before expiry to 2 days after: one a day */
	assert_int_equal(logged, t0 + 6 * day + 1 + 15 * day);
	c.had_cert = false;
	c.last_error_log = 0;
	assert_false(acme_run_urgent(&c, c.not_after - day));   /* a first order */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64url),
		cmocka_unit_test(test_jwk_thumbprint),
		cmocka_unit_test(test_jws_es256),
		cmocka_unit_test(test_eab),
		cmocka_unit_test(test_csr),
		cmocka_unit_test(test_response_headers),
		cmocka_unit_test(test_dechunk),
		cmocka_unit_test_setup_teardown(test_record_round_trip, unit_store_setup,
		                                unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_queue_and_lease, unit_store_setup,
		                                unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_queue_position, unit_store_setup,
		                                unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_orders_window, unit_store_setup,
		                                unit_store_teardown),
		cmocka_unit_test(test_renew_and_backoff),
		cmocka_unit_test(test_ari),
		cmocka_unit_test(test_problem_labels),
		cmocka_unit_test(test_urgent_daily),
		cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
