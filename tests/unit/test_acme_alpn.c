/* Unit tests for shared/acme/acme_alpn.c: the tls-alpn-01 certificate, parsed back with
 * mbedTLS, and its entries in the store (lookup, expiry, deletion, bad values). */
#include <time.h>
#include <mbedtls/asn1.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>
#include "tests/unit/unit.h"
#include "shared/acme/acme_alpn.h"
#include "shared/tls/cert.h"
#include "shared/util/err.h"

static const char oid[] = "\x2b\x06\x01\x05\x05\x07\x01\x1f";   /* 1.3.6.1.5.5.7.1.31 */

/* Finds the extension with oid in a certificate's DER extensions: its critical flag and value. */
static bool find_extension(const mbedtls_x509_crt *crt, bool *critical, const uint8_t **val,
                           size_t *vlen)
{
	unsigned char *p = crt->v3_ext.p, *end = p + crt->v3_ext.len, *ext_end;
	size_t len;
	/* v3_ext is the inside of [3] EXPLICIT: SEQUENCE OF Extension */
	if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
		return false;
	while (p < end) {
		assert_int_equal(mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED |
		                                      MBEDTLS_ASN1_SEQUENCE), 0);
		ext_end = p + len;
		assert_int_equal(mbedtls_asn1_get_tag(&p, ext_end, &len, MBEDTLS_ASN1_OID), 0);
		bool match = len == sizeof(oid) - 1 && memcmp(p, oid, len) == 0;
		p += len;
		int crit = 0;
		if (mbedtls_asn1_get_bool(&p, ext_end, &crit) != 0 &&
		    mbedtls_asn1_get_bool(&p, ext_end, &crit) != MBEDTLS_ERR_ASN1_UNEXPECTED_TAG)
			fail_msg("a bad critical flag");
		assert_int_equal(mbedtls_asn1_get_tag(&p, ext_end, &len, MBEDTLS_ASN1_OCTET_STRING), 0);
		if (match) {
			*critical = crit != 0;
			*val = p;
			*vlen = len;
			return true;
		}
		p = ext_end;
	}
	return false;
}

/* An entry as a lookup found it, parsed. */
struct found {
	struct acme_alpn_view v;
	mbedtls_x509_crt crt;
	mbedtls_pk_context key;
	uint8_t sha[32];                  /* from the extension */
};

static void put(struct store *st, const char *host, const uint8_t sha[32])
{
	struct store_txn t;
	char err[256];
	unit_begin(st, true, &t);
	if (acme_alpn_put(&t, host, sha, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(store_commit(&t), 0);
}

/* host's entry at now must be want; when it is 0, f holds it (free with found_free()). */
static void get_entry(struct store *st, const char *host, int64_t now, int want, struct found *f)
{
	struct store_txn t;
	mbedtls_x509_crt plain;
	unit_begin(st, false, &t);
	assert_int_equal(acme_alpn_get(&t, host, now, &f->v), want);
	if (want == 0) {
		/* mbedTLS alone refuses the unknown critical extension. */
		mbedtls_x509_crt_init(&plain);
		assert_int_not_equal(mbedtls_x509_crt_parse_der(&plain, f->v.cert, f->v.cert_len), 0);
		mbedtls_x509_crt_free(&plain);
		mbedtls_x509_crt_init(&f->crt);
		mbedtls_pk_init(&f->key);
		assert_int_equal(acme_alpn_parse(&f->v, &f->crt, &f->key, f->sha), 0);
	}
	store_abort(&t);
}

static void found_free(struct found *f)
{
	mbedtls_x509_crt_free(&f->crt);
	mbedtls_pk_free(&f->key);
}

static void test_certificate(void **state)
{
	struct unit_store *u = *state;
	struct found f;
	uint8_t sha[32];
	const char *keyauth = "token.thumbprint";
	mbedtls_sha256_ret((const unsigned char *)keyauth, strlen(keyauth), sha, 0);
	put(u->st, "MTA-STS.Example.COM.", sha);
	int64_t now = (int64_t)time(NULL);
	get_entry(u->st, "mta-sts.example.com", now, 0, &f);
	assert_memory_equal(f.sha, sha, 32);
	assert_true(f.v.created >= now - 5 && f.v.created <= now + 5);
	/* The extension, read from the DER: present, critical, an OCTET STRING of the hash. */
	bool critical = false;
	const uint8_t *val = NULL;
	size_t vlen;
	assert_true(find_extension(&f.crt, &critical, &val, &vlen));
	assert_true(critical);
	assert_int_equal(vlen, 34);
	assert_int_equal(val[0], MBEDTLS_ASN1_OCTET_STRING);
	assert_int_equal(val[1], 32);
	assert_memory_equal(val + 2, sha, 32);
	/* One dNSName, lower case; self-signed with the P-256 key stored beside it. */
	assert_true(f.crt.ext_types & MBEDTLS_X509_EXT_SUBJECT_ALT_NAME);
	assert_null(f.crt.subject_alt_names.next);
	assert_int_equal(f.crt.subject_alt_names.buf.len, strlen("mta-sts.example.com"));
	assert_memory_equal(f.crt.subject_alt_names.buf.p, "mta-sts.example.com", 19);
	assert_int_equal(mbedtls_pk_get_type(&f.crt.pk), MBEDTLS_PK_ECKEY);
	assert_int_equal(mbedtls_pk_ec(f.crt.pk)->grp.id, MBEDTLS_ECP_DP_SECP256R1);
	assert_int_equal(mbedtls_pk_check_pair(&f.crt.pk, &f.key), 0);
	uint32_t flags = 0;
	assert_int_equal(mbedtls_x509_crt_verify(&f.crt, &f.crt, NULL, NULL, &flags, NULL, NULL), 0);
	found_free(&f);
}

static void test_lookup_expiry_delete(void **state)
{
	struct unit_store *u = *state;
	struct store_txn t;
	struct found f;
	uint8_t sha[32] = { 1 };
	char err[256];
	put(u->st, "mta-sts.a.example", sha);
	unit_begin(u->st, true, &t);
	assert_int_equal(acme_alpn_put(&t, "not a name", sha, err, sizeof(err)), LS_EPARSE);
	assert_non_null(strstr(err, "not a host name"));
	store_abort(&t);
	int64_t now = (int64_t)time(NULL);
	/* Found by the name as a client sends it; none for other names. */
	get_entry(u->st, "MTA-STS.A.EXAMPLE", now, 0, &f);
	found_free(&f);
	get_entry(u->st, "mta-sts.b.example", now, LS_ENOTFOUND, &f);
	get_entry(u->st, "", now, LS_ENOTFOUND, &f);
	/* Older than an hour: ignored (a crash between put and del leaves nothing served). */
	int64_t created = f.v.created;
	get_entry(u->st, "mta-sts.a.example", created + ACME_ALPN_TTL, 0, &f);
	found_free(&f);
	get_entry(u->st, "mta-sts.a.example", created + ACME_ALPN_TTL + 1, LS_ENOTFOUND, &f);
	unit_begin(u->st, true, &t);
	assert_int_equal(acme_alpn_del(&t, "mta-sts.a.example."), 0);
	assert_int_equal(acme_alpn_del(&t, "mta-sts.never.example"), 0);
	assert_int_equal(store_commit(&t), 0);
	get_entry(u->st, "mta-sts.a.example", now, LS_ENOTFOUND, &f);
}

/* The longest host name fits (in the SAN; the subject keeps a short CN). */
static void test_longest_name(void **state)
{
	struct unit_store *u = *state;
	struct found f;
	uint8_t sha[32] = { 3 };
	char host[CERT_HOST_MAX + 1];
	for (size_t i = 0; i < CERT_HOST_MAX; i++)
		host[i] = i % 64 == 63 ? '.' : 'a' + i % 26;
	host[CERT_HOST_MAX] = 0;
	put(u->st, host, sha);
	get_entry(u->st, host, (int64_t)time(NULL), 0, &f);
	assert_memory_equal(f.sha, sha, 32);
	assert_int_equal(f.crt.subject_alt_names.buf.len, CERT_HOST_MAX);
	assert_memory_equal(f.crt.subject_alt_names.buf.p, host, CERT_HOST_MAX);
	found_free(&f);
}

static void test_decode_bounds(void **state)
{
	struct unit_store *u = *state;
	struct store_txn t;
	struct acme_alpn_view v;
	uint8_t sha[32] = { 2 };
	char err[256];
	MDB_val val;
	uint8_t copy[4096];
	unit_begin(u->st, true, &t);
	assert_int_equal(acme_alpn_put(&t, "mta-sts.c.example", sha, err, sizeof(err)), 0);
	assert_int_equal(store_get(&t, STORE_ACME_ALPN, "mta-sts.c.example", 17, &val), 0);
	assert_true(val.mv_size <= sizeof(copy));
	memcpy(copy, val.mv_data, val.mv_size);
	store_abort(&t);
	assert_int_equal(acme_alpn_decode(copy, val.mv_size, &v), 0);
	/* Every shorter value, a longer one, and a wrong tag or version do not decode. */
	for (size_t n = 0; n < val.mv_size; n++)
		assert_int_equal(acme_alpn_decode(copy, n, &v), LS_ECORRUPT);
	assert_int_equal(acme_alpn_decode(copy, val.mv_size + 1, &v), LS_ECORRUPT);
	copy[0] ^= 1;
	assert_int_equal(acme_alpn_decode(copy, val.mv_size, &v), LS_ECORRUPT);
	copy[0] ^= 1;
	copy[1]++;
	assert_int_equal(acme_alpn_decode(copy, val.mv_size, &v), LS_ECORRUPT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_certificate, unit_store_setup, unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_lookup_expiry_delete, unit_store_setup,
		                                unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_longest_name, unit_store_setup, unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_decode_bounds, unit_store_setup, unit_store_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
