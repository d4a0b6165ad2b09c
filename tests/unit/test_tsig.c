/* Unit tests for TSIG: known vectors from kdig and dnspython, chains, malformed records, keys. */
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/store/store.h"
#include "shared/dns/tsig.h"
#include "shared/store/tsig_key.h"
#include "shared/dns/wire.h"

/*
 * SOA queries for example.com signed by kdig 3.2 (`kdig -y ALG:xfr-key:SECRET`, captured
 * from the socket), and dnspython 2.3's signed answer to the first one at time 1700000000.
 */
static const char q256[] =
	"c1a801200001000000000001076578616d706c6503636f6d0000060001077866722d6b65790000fa00ff"
	"00000000003d0b686d61632d7368613235360000006b02a8ea012c00207c89b15f15ee6289c228cacfb0"
	"5d8f1a359f611de8eeac1225415a50da5c8f4bc1a800000000";
static const char q1[] =
	"305401200001000000000001076578616d706c6503636f6d0000060001077866722d6b65790000fa00ff"
	"00000000002f09686d61632d736861310000006b02a8ea012c00146011ba67cab36458d72b0e916adf0d"
	"ef38f6d489305400000000";
static const char q512[] =
	"88ee01200001000000000001076578616d706c6503636f6d0000060001077866722d6b65790000fa00ff"
	"00000000005d0b686d61632d7368613531320000006b02a8ea012c0040924fbd3e64e5b6553139602847"
	"d12bf00ce0fe253475b3c2a5911ad3eb28445340248aa5597d02be3474a760a28185afb6a3f23c7bef43"
	"93f257210517b4b28688ee00000000";
static const char r256[] =
	"c1a885000001000100000001076578616d706c6503636f6d0000060001c00c000600010000012c002703"
	"6e7331c00c0a686f73746d6173746572c00c0000000500000e1000000384001275000000012c07786672"
	"2d6b65790000fa00ff00000000003d0b686d61632d7368613235360000006553f100012c0020dedd01c8"
	"08382afa758c6edffd2338fd3dcddebbac594a1ca484f9c23a7b3b18c1a800000000";
#define KDIG_TIME 1795336426u
#define RESP_TIME 1700000000u

static size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = strlen(hex) / 2;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static void key_of(struct tsig_key *k, enum tsig_alg alg, const char *secret)
{
	memset(k, 0, sizeof(*k));
	assert_int_equal(tsig_key_name("xfr-key", k->name), 0);
	k->alg = alg;
	k->secret_len = strlen(secret);
	memcpy(k->secret, secret, k->secret_len);
}

#define S256 "secret-key-for-lockstep-tests-32"
#define S1 "sha1-secret-key-20b"
#define S512 "Lockstep unit test secret for HMAC-SHA512, 64 bytes long !!!!!!"

static void test_kdig_requests(void **state)
{
	(void)state;
	static const struct { const char *hex; enum tsig_alg alg; const char *secret; size_t mac; }
	cases[] = { { q256, TSIG_HMAC_SHA256, S256, 32 }, { q1, TSIG_HMAC_SHA1, S1, 20 },
	            { q512, TSIG_HMAC_SHA512, S512, 64 } };
	for (size_t i = 0; i < 3; i++) {
		uint8_t m[512];
		size_t len = unhex(cases[i].hex, m);
		struct tsig_rr rr;
		struct tsig_key k, other;
		key_of(&k, cases[i].alg, cases[i].secret);
		assert_int_equal(tsig_find(m, len, &rr), 0);
		assert_true(dname_equal(rr.name, k.name));
		assert_int_equal(rr.alg, cases[i].alg);
		assert_int_equal(rr.time, KDIG_TIME);
		assert_int_equal(rr.fudge, 300);
		assert_int_equal(rr.mac_len, cases[i].mac);
		assert_int_equal(rr.off, 29);
		assert_int_equal(tsig_verify(m, &rr, &k, NULL, 0, false, KDIG_TIME), TSIG_NOERROR);
		assert_int_equal(tsig_verify(m, &rr, &k, NULL, 0, false, KDIG_TIME - 300), TSIG_NOERROR);
		assert_int_equal(tsig_verify(m, &rr, &k, NULL, 0, false, KDIG_TIME + 301), TSIG_BADTIME);
		assert_int_equal(tsig_verify(m, &rr, &k, NULL, 0, false, KDIG_TIME - 301), TSIG_BADTIME);
		/* Another secret, algorithm or name. */
		other = k;
		other.secret[0] ^= 1;
		assert_int_equal(tsig_verify(m, &rr, &other, NULL, 0, false, KDIG_TIME), TSIG_BADSIG);
		other = k;
		other.alg = cases[i].alg == TSIG_HMAC_SHA1 ? TSIG_HMAC_SHA256 : TSIG_HMAC_SHA1;
		assert_int_equal(tsig_verify(m, &rr, &other, NULL, 0, false, KDIG_TIME), TSIG_BADKEY);
		other = k;
		assert_int_equal(tsig_key_name("other-key", other.name), 0);
		assert_int_equal(tsig_verify(m, &rr, &other, NULL, 0, false, KDIG_TIME), TSIG_BADKEY);
		/* Any signed byte changed: the question's type, the header's RD flag. */
		m[27] ^= 1;
		assert_int_equal(tsig_verify(m, &rr, &k, NULL, 0, false, KDIG_TIME), TSIG_BADSIG);
		m[27] ^= 1;
		m[2] ^= 1;
		assert_int_equal(tsig_verify(m, &rr, &k, NULL, 0, false, KDIG_TIME), TSIG_BADSIG);
		m[2] ^= 1;
		/* The header ID may change on the way (RFC 8945 4.3.2: the original ID is signed). */
		m[0] ^= 0xff;
		assert_int_equal(tsig_verify(m, &rr, &k, NULL, 0, false, KDIG_TIME), TSIG_NOERROR);
	}
}

static void test_dnspython_response(void **state)
{
	(void)state;
	uint8_t q[512], r[512], mine[512], mac[TSIG_MAC_MAX];
	size_t qlen = unhex(q256, q), rlen = unhex(r256, r), mac_len = 0;
	struct tsig_rr req, resp;
	struct tsig_key k;
	key_of(&k, TSIG_HMAC_SHA256, S256);
	assert_int_equal(tsig_find(q, qlen, &req), 0);
	assert_int_equal(tsig_find(r, rlen, &resp), 0);
	assert_int_equal(resp.time, RESP_TIME);
	/* Its MAC chains to the request's. */
	assert_int_equal(tsig_verify(r, &resp, &k, req.mac, req.mac_len, false, RESP_TIME),
	                 TSIG_NOERROR);
	assert_int_equal(tsig_verify(r, &resp, &k, NULL, 0, false, RESP_TIME), TSIG_BADSIG);
	/* Signing the same answer at the same time gives the same bytes. */
	memcpy(mine, r, resp.off);
	wire_put16(mine + 10, (uint16_t)(wire_get16(mine + 10) - 1));
	struct tsig_sign_opts o = { .time = RESP_TIME, .prior = req.mac, .prior_len = req.mac_len };
	size_t n = tsig_sign(mine, resp.off, sizeof(mine), &k, &o, mac, &mac_len);
	assert_int_equal(n, rlen);
	assert_memory_equal(mine, r, rlen);
	assert_int_equal(mac_len, 32);
	assert_memory_equal(mac, resp.mac, 32);
	/* No room: nothing is appended. */
	memcpy(mine, r, resp.off);
	wire_put16(mine + 10, 0);
	assert_int_equal(tsig_sign(mine, resp.off, rlen - 1, &k, &o, mac, &mac_len), 0);
	assert_int_equal(wire_get16(mine + 10), 0);
}

/* A transfer's messages: the first chains to the request, the next ones to their predecessor. */
static void test_chain(void **state)
{
	(void)state;
	uint8_t mac[TSIG_MAC_MAX], prev[TSIG_MAC_MAX];
	size_t mac_len, prev_len = 4;
	struct tsig_key k;
	key_of(&k, TSIG_HMAC_SHA512, S512);
	memcpy(prev, "\1\2\3\4", 4);             /* stands for the request's MAC */
	/* Messages of a header only, each with its TSIG. */
	for (int i = 0; i < 3; i++) {
		uint8_t m[256];
		memset(m, 0, 12);
		wire_put16(m, 7);
		struct tsig_sign_opts o = { .time = 1000, .prior = prev, .prior_len = prev_len,
		                            .timers_only = i > 0 };
		size_t n = tsig_sign(m, 12, sizeof(m), &k, &o, mac, &mac_len);
		struct tsig_rr rr;
		assert_int_equal(tsig_find(m, n, &rr), 0);
		assert_int_equal(tsig_verify(m, &rr, &k, prev, prev_len, i > 0, 1000), TSIG_NOERROR);
		/* Checked with the wrong chaining mode, or out of order, it fails. */
		assert_int_equal(tsig_verify(m, &rr, &k, prev, prev_len, i == 0, 1000), TSIG_BADSIG);
		memcpy(prev, mac, mac_len);
		prev_len = mac_len;
		assert_int_equal(tsig_verify(m, &rr, &k, prev, prev_len, i > 0, 1000), TSIG_BADSIG);
	}
}

static void test_malformed(void **state)
{
	(void)state;
	uint8_t m[512], copy[512];
	struct tsig_rr rr;
	struct tsig_key k;
	size_t len = unhex(q256, m);
	key_of(&k, TSIG_HMAC_SHA256, S256);
	/* Every cut short message is refused, never read beyond. */
	for (size_t n = 0; n < len; n++) {
		memcpy(copy, m, n);
		int rc = tsig_find(copy, n, &rr);
		assert_true(rc == LS_EPARSE || rc == LS_ENOTFOUND);
	}
	/* Bytes after the TSIG record. */
	memcpy(copy, m, len);
	copy[len] = 0;
	assert_int_equal(tsig_find(copy, len + 1, &rr), LS_EPARSE);
	/* TSIG counted in the answer section instead of additional. */
	memcpy(copy, m, len);
	wire_put16(copy + 6, 1);
	wire_put16(copy + 10, 0);
	assert_int_equal(tsig_find(copy, len, &rr), LS_EPARSE);
	/* One more additional record announced than there is: the TSIG is not the last. */
	memcpy(copy, m, len);
	wire_put16(copy + 10, 2);
	assert_int_equal(tsig_find(copy, len, &rr), LS_EPARSE);
	/* The owner as a pointer to the question's name is fine; a pointer forward is not. */
	memcpy(copy, m, 29);
	copy[29] = 0xc0;
	copy[30] = 12;            /* example.com */
	memcpy(copy + 31, m + 29 + 9, len - 29 - 9);
	size_t clen = len - 7;
	assert_int_equal(tsig_find(copy, clen, &rr), 0);
	assert_true(dname_equal(rr.name, N("example.com.")));
	copy[30] = 40;
	assert_int_equal(tsig_find(copy, clen, &rr), LS_EPARSE);
	copy[30] = 29;            /* itself */
	assert_int_equal(tsig_find(copy, clen, &rr), LS_EPARSE);
	/* A MAC longer than the algorithm's: FORMERR; shorter than 16 of 32 bytes: BADSIG. */
	assert_int_equal(tsig_find(m, len, &rr), 0);
	rr.mac_len = 33;
	assert_int_equal(tsig_verify(m, &rr, &k, NULL, 0, false, KDIG_TIME), LS_EPARSE);
	rr.mac_len = 15;
	assert_int_equal(tsig_verify(m, &rr, &k, NULL, 0, false, KDIG_TIME), TSIG_BADSIG);
	rr.mac_len = 16;          /* truncated to half: allowed, and it matches */
	assert_int_equal(tsig_verify(m, &rr, &k, NULL, 0, false, KDIG_TIME), TSIG_NOERROR);
	/* No TSIG at all. */
	assert_int_equal(tsig_find(m, 29, &rr), LS_EPARSE);    /* ARCOUNT still says 1 */
	wire_put16(m + 10, 0);
	assert_int_equal(tsig_find(m, 29, &rr), LS_ENOTFOUND);
}

static void test_error_record(void **state)
{
	(void)state;
	uint8_t m[512], out[600];
	struct tsig_rr req, rr;
	size_t len = unhex(q256, m);
	assert_int_equal(tsig_find(m, len, &req), 0);
	/* The answer: the question only, then an unsigned TSIG with BADSIG. */
	memcpy(out, m, 29);
	wire_put16(out + 10, 0);
	size_t n = tsig_append_error(out, 29, sizeof(out), &req, TSIG_BADSIG);
	assert_true(n > 29);
	assert_int_equal(tsig_find(out, n, &rr), 0);
	assert_int_equal(rr.error, TSIG_BADSIG);
	assert_int_equal(rr.mac_len, 0);
	assert_int_equal(rr.time, KDIG_TIME);
	assert_true(dname_equal(rr.name, req.name));
	assert_int_equal(tsig_append_error(out, 29, 40, &req, TSIG_BADKEY), 0);
	/* A BADTIME answer is signed and carries our time. */
	struct tsig_key k;
	uint8_t mac[TSIG_MAC_MAX];
	size_t mac_len;
	key_of(&k, TSIG_HMAC_SHA256, S256);
	memcpy(out, m, 29);
	wire_put16(out + 10, 0);
	struct tsig_sign_opts o = { .time = req.time, .now = 12345, .error = TSIG_BADTIME,
	                            .prior = req.mac, .prior_len = req.mac_len };
	n = tsig_sign(out, 29, sizeof(out), &k, &o, mac, &mac_len);
	assert_int_equal(tsig_find(out, n, &rr), 0);
	assert_int_equal(rr.error, TSIG_BADTIME);
	assert_int_equal(rr.other_len, 6);
	assert_int_equal(wire_get32(rr.other + 2), 12345);
	assert_int_equal(tsig_verify(out, &rr, &k, req.mac, req.mac_len, false, req.time),
	                 TSIG_NOERROR);
}

static void test_algorithms_and_names(void **state)
{
	(void)state;
	enum tsig_alg a;
	uint8_t name[DNAME_MAX];
	char text[TSIG_KEY_TEXT_MAX];
	assert_int_equal(tsig_alg_parse("hmac-sha512", &a), 0);
	assert_int_equal(a, TSIG_HMAC_SHA512);
	assert_string_equal(tsig_alg_name(TSIG_HMAC_SHA1), "hmac-sha1");
	assert_int_equal(tsig_alg_parse("hmac-md5", &a), -1);
	assert_int_equal(tsig_alg_parse("HMAC-SHA256", &a), -1);
	assert_int_equal(tsig_alg_mac_len(TSIG_HMAC_SHA256), 32);
	assert_null(tsig_alg_name(TSIG_ALG_UNKNOWN));
	assert_int_equal(tsig_key_name("Xfr.Key.", name), 0);
	assert_string_equal(tsig_key_name_text(name, text, sizeof(text)), "xfr.key");
	assert_int_equal(tsig_key_name("xfr.key", name), 0);
	assert_string_equal(tsig_key_name_text(name, text, sizeof(text)), "xfr.key");
	assert_int_equal(tsig_key_name("", name), -1);
	assert_int_equal(tsig_key_name(".", name), -1);
	assert_int_equal(tsig_key_name("@", name), -1);
	assert_int_equal(tsig_key_name("a b", name), -1);
	assert_int_equal(tsig_key_name("a..b", name), -1);
	assert_int_equal(tsig_key_name("a\\046b", name), -1);
	char longname[80];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	assert_int_equal(tsig_key_name(longname, name), -1);
}

static int count_key(const struct tsig_key *k, void *ctx)
{
	(*(int *)ctx)++;
	assert_true(k->secret_len == 20 || k->secret_len == 64);
	return 0;
}

static void test_store(void **state)
{
	(void)state;
	char *dir = temp_dir();
	struct store *st;
	struct store_txn t;
	struct tsig_key a, b, got;
	char text[TSIG_SECRET_TEXT_MAX];
	uint8_t name[DNAME_MAX];
	int n = 0;
	assert_int_equal(store_open(&st, dir, 0), 0);
	assert_int_equal(tsig_key_name("a-key", name), 0);
	assert_int_equal(tsig_key_generate(&a, name, TSIG_HMAC_SHA512), 0);
	assert_int_equal(a.secret_len, 64);
	assert_int_equal(tsig_key_name("b-key", name), 0);
	assert_int_equal(tsig_key_generate(&b, name, TSIG_HMAC_SHA1), 0);
	assert_int_equal(b.secret_len, 20);
	assert_memory_not_equal(a.secret, b.secret, 20);
	assert_int_equal(tsig_key_secret_text(&a, text), 0);
	assert_int_equal(strlen(text), 88);
	assert_int_equal(store_begin(st, true, 0, &t), 0);
	tsig_key_put(&t, &a);
	tsig_key_put(&t, &b);
	assert_int_equal(store_commit(&t), 0);
	assert_int_equal(store_begin(st, false, 0, &t), 0);
	assert_int_equal(tsig_key_get(&t, a.name, &got), 0);
	assert_int_equal(got.alg, TSIG_HMAC_SHA512);
	assert_memory_equal(got.secret, a.secret, 64);
	assert_int_equal(tsig_key_list(&t, count_key, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(tsig_key_name("c-key", name), 0);
	assert_int_equal(tsig_key_get(&t, name, &got), LS_ENOTFOUND);
	store_abort(&t);
	assert_int_equal(store_begin(st, true, 0, &t), 0);
	assert_int_equal(tsig_key_del(&t, a.name), 0);
	assert_int_equal(tsig_key_del(&t, a.name), LS_ENOTFOUND);
	assert_int_equal(store_commit(&t), 0);
	store_close(st);
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kdig_requests),
		cmocka_unit_test(test_dnspython_response),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_error_record),
		cmocka_unit_test(test_algorithms_and_names),
		cmocka_unit_test(test_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
