/* Unit tests for SipHash-2-4 and dnsd's server cookies, against the published test vectors. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include "tests/unit/unit.h"
#include "dnsd/cookie.h"
#include "shared/util/siphash.h"

static void unhex(const char *s, uint8_t *out)
{
	for (size_t i = 0; s[2 * i]; i++)
		assert_int_equal(sscanf(s + 2 * i, "%2hhx", &out[i]), 1);
}

/* The SipHash paper's vectors: key 00..0f, message 00..len-1. */
static void test_siphash_vectors(void **state)
{
	uint8_t key[16], msg[64], out[8];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	assert_true(siphash24(key, msg, 0) == 0x726fdb47dd0e0e31ULL);
	assert_true(siphash24(key, msg, 15) == 0xa129ca6149be45e5ULL);
	siphash24_bytes(key, msg, 15, out);
	const uint8_t want[8] = { 0xe5, 0x45, 0xbe, 0x49, 0x61, 0xca, 0x29, 0xa1 };
	assert_memory_equal(out, want, 8);
	(void)state;
}

static struct sockaddr_in v4(const char *a)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	assert_int_equal(inet_pton(AF_INET, a, &sin.sin_addr), 1);
	return sin;
}

/* RFC 9018 appendix A.1 and A.2: a new cookie, then the same one renewed after 40 minutes. */
static void test_rfc9018_vectors(void **state)
{
	struct cookie_secrets s;
	char err[128];
	uint8_t in[COOKIE_MAX], out[COOKIE_ANSWER_LEN], want[COOKIE_ANSWER_LEN];
	assert_int_equal(cookie_secrets_init(&s, "e5e973e5a6b2a43f48e7dc849e37bfcf", err,
	                                     sizeof(err)), 0);
	struct sockaddr_in c = v4("198.51.100.100");
	unhex("2464c4abcf10c957", in);
	assert_int_equal(cookie_answer(&s, in, 8, (struct sockaddr *)&c, 1559731985, out),
	                 COOKIE_CLIENT_ONLY);
	unhex("2464c4abcf10c957010000005cf79f111f8130c3eee29480", want);
	assert_memory_equal(out, want, COOKIE_ANSWER_LEN);
	/* A.2: valid, but older than half an hour: a fresh one. */
	memcpy(in, out, COOKIE_ANSWER_LEN);
	assert_int_equal(cookie_answer(&s, in, 24, (struct sockaddr *)&c, 1559734385, out),
	                 COOKIE_VALID);
	unhex("2464c4abcf10c957010000005cf7a871d4a564a1442aca77", want);
	assert_memory_equal(out, want, COOKIE_ANSWER_LEN);
	/* Ten minutes old: valid, and given back as it came. */
	memcpy(in, out, COOKIE_ANSWER_LEN);
	assert_int_equal(cookie_answer(&s, in, 24, (struct sockaddr *)&c, 1559734985, out),
	                 COOKIE_VALID);
	assert_memory_equal(out, in, COOKIE_ANSWER_LEN);
	(void)state;
}

static void test_invalid_cookies(void **state)
{
	struct cookie_secrets s;
	char err[128];
	uint8_t in[COOKIE_MAX], out[COOKIE_ANSWER_LEN], fresh[COOKIE_ANSWER_LEN];
	assert_int_equal(cookie_secrets_init(&s, "e5e973e5a6b2a43f48e7dc849e37bfcf", err,
	                                     sizeof(err)), 0);
	struct sockaddr_in c = v4("198.51.100.100"), other = v4("198.51.100.101");
	struct sockaddr *cp = (struct sockaddr *)&c;
	unhex("2464c4abcf10c957010000005cf79f111f8130c3eee29480", in);
	assert_int_equal(cookie_answer(&s, in, 24, cp, 1559731985 + 3601, out), COOKIE_BAD);
	assert_int_equal(cookie_answer(&s, in, 24, cp, 1559731985 - 301, out), COOKIE_BAD);
	assert_int_equal(cookie_answer(&s, in, 24, cp, 1559731985 - 299, out), COOKIE_VALID);
	/* Another address, a changed hash byte, another version: ours not. */
	assert_int_equal(cookie_answer(&s, in, 24, (struct sockaddr *)&other, 1559731985, out),
	                 COOKIE_BAD);
	in[23] ^= 1;
	assert_int_equal(cookie_answer(&s, in, 24, cp, 1559731985, out), COOKIE_BAD);
	in[23] ^= 1;
	in[8] = 2;
	assert_int_equal(cookie_answer(&s, in, 24, cp, 1559731985, out), COOKIE_BAD);
	/* A bad cookie still gets a good one back, which then checks. */
	memcpy(fresh, out, sizeof(fresh));
	assert_int_equal(cookie_answer(&s, fresh, 24, cp, 1559731990, out), COOKIE_VALID);
	/* Another server's 32-byte cookie is not ours, and is answered with ours. */
	memset(in + 8, 0x5a, 32);
	assert_int_equal(cookie_answer(&s, in, 40, cp, 1559731985, out), COOKIE_BAD);
	assert_memory_equal(out, in, 8);
	assert_int_equal(out[8], 1);
	(void)state;
}

/* A second configured secret is accepted but never used to make cookies. */
static void test_secret_rollover(void **state)
{
	struct cookie_secrets old, both;
	char err[128];
	uint8_t in[COOKIE_MAX], out[COOKIE_ANSWER_LEN], again[COOKIE_ANSWER_LEN];
	struct sockaddr_in c = v4("192.0.2.7");
	struct sockaddr *cp = (struct sockaddr *)&c;
	assert_int_equal(cookie_secrets_init(&old, "000102030405060708090a0b0c0d0e0f", err,
	                                     sizeof(err)), 0);
	assert_int_equal(cookie_secrets_init(&both, "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff "
	                                     "000102030405060708090a0b0c0d0e0f", err, sizeof(err)), 0);
	memset(in, 7, 8);
	cookie_answer(&old, in, 8, cp, 1000000, out);
	assert_int_equal(cookie_answer(&both, out, 24, cp, 1000010, again), COOKIE_VALID);
	assert_memory_not_equal(again, out, COOKIE_ANSWER_LEN);   /* remade with the new one */
	assert_int_equal(cookie_answer(&old, again, 24, cp, 1000020, out), COOKIE_BAD);
	(void)state;
}

/* A random secret changes each period and accepts the last period's cookies. */
static void test_random_rotation(void **state)
{
	struct cookie_secrets s;
	char err[128];
	uint8_t in[COOKIE_MAX], out[COOKIE_ANSWER_LEN], later[COOKIE_ANSWER_LEN];
	struct sockaddr_in6 c = { .sin6_family = AF_INET6 };
	inet_pton(AF_INET6, "2001:db8::53", &c.sin6_addr);
	struct sockaddr *cp = (struct sockaddr *)&c;
	assert_int_equal(cookie_secrets_init(&s, NULL, err, sizeof(err)), 0);
	assert_false(s.configured);
	memset(in, 9, 8);
	uint32_t t = COOKIE_ROTATE * 20000u - 10;    /* ten seconds before a period ends */
	cookie_answer(&s, in, 8, cp, t, out);
	assert_int_equal(cookie_answer(&s, out, 24, cp, t + 20, later), COOKIE_VALID);
	assert_memory_not_equal(later, out, COOKIE_ANSWER_LEN);   /* the new period's secret */
	(void)state;
}

static void test_parse(void **state)
{
	struct cookie_secrets s;
	char err[128];
	assert_int_equal(cookie_secrets_init(&s, "0011", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "32 hexadecimal digits"));
	assert_int_equal(cookie_secrets_init(&s, "000102030405060708090a0b0c0d0e0g", err,
	                                     sizeof(err)), -1);
	assert_int_equal(cookie_secrets_init(&s, "000102030405060708090a0b0c0d0e0f "
	                                     "000102030405060708090a0b0c0d0e0f "
	                                     "000102030405060708090a0b0c0d0e0f", err, sizeof(err)), -1);
	assert_true(cookie_len_ok(8));
	assert_true(cookie_len_ok(16));
	assert_true(cookie_len_ok(40));
	for (size_t n = 0; n < 8; n++)
		assert_false(cookie_len_ok(n));
	for (size_t n = 9; n < 16; n++)
		assert_false(cookie_len_ok(n));
	assert_false(cookie_len_ok(41));
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_rfc9018_vectors),
		cmocka_unit_test(test_invalid_cookies),
		cmocka_unit_test(test_secret_rollover),
		cmocka_unit_test(test_random_rotation),
		cmocka_unit_test(test_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
