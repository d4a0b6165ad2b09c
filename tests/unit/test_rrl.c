/* Unit tests for dnsd's response rate limit: buckets per prefix and kind, refill, slip. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include "tests/unit/unit.h"
#include "dnsd/rrl.h"

static struct sockaddr_in v4(const char *a)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	assert_int_equal(inet_pton(AF_INET, a, &sin.sin_addr), 1);
	return sin;
}

static struct sockaddr_in6 v6(const char *a)
{
	struct sockaddr_in6 sin = { .sin6_family = AF_INET6 };
	assert_int_equal(inet_pton(AF_INET6, a, &sin.sin6_addr), 1);
	return sin;
}

/* Answers sent (not dropped nor slipped) out of n at time now. */
static int sent(struct rrl *r, const void *sa, enum rrl_class c, uint64_t name, uint32_t now,
                int n, uint32_t *slips, int *slipped)
{
	int ok = 0;
	for (int i = 0; i < n; i++) {
		enum rrl_action a = rrl_check(r, sa, c, name, now, slips);
		ok += a == RRL_SEND;
		if (slipped)
			*slipped += a == RRL_SLIP;
	}
	return ok;
}

static const struct rrl_config conf = { .rate = 10, .slip = 2, .ipv4_prefix = 24,
	                                .ipv6_prefix = 56, .size = 4096 };

static void test_rate_and_refill(void **state)
{
	struct rrl r;
	uint32_t slips = 0;
	int slipped = 0;
	assert_int_equal(rrl_init(&r, &conf), 0);
	struct sockaddr_in a = v4("192.0.2.1");
	assert_int_equal(sent(&r, &a, RRL_ANSWER, 1, 1000, 100, &slips, &slipped), 10);
	assert_int_equal(slipped, 45);                    /* every second of the 90 limited */
	/* The same second: nothing more. One second later: the rate again, not more. */
	assert_int_equal(sent(&r, &a, RRL_ANSWER, 1, 1000, 5, &slips, NULL), 0);
	assert_int_equal(sent(&r, &a, RRL_ANSWER, 1, 1001, 100, &slips, NULL), 10);
	/* A long pause fills the bucket to the rate only (a burst of one second). */
	assert_int_equal(sent(&r, &a, RRL_ANSWER, 1, 1100, 100, &slips, NULL), 10);
	rrl_free(&r);
	(void)state;
}

static void test_keys_apart(void **state)
{
	struct rrl r;
	uint32_t slips = 0;
	assert_int_equal(rrl_init(&r, &conf), 0);
	struct sockaddr_in a = v4("192.0.2.1"), same24 = v4("192.0.2.200"), other = v4("192.0.3.1");
	assert_int_equal(sent(&r, &a, RRL_ANSWER, 1, 50, 20, &slips, NULL), 10);
	/* One /24 shares the limit; another /24, name or kind has its own. */
	assert_int_equal(sent(&r, &same24, RRL_ANSWER, 1, 50, 20, &slips, NULL), 0);
	assert_int_equal(sent(&r, &other, RRL_ANSWER, 1, 50, 20, &slips, NULL), 10);
	assert_int_equal(sent(&r, &a, RRL_ANSWER, 2, 50, 20, &slips, NULL), 10);
	assert_int_equal(sent(&r, &a, RRL_NXDOMAIN, 1, 50, 20, &slips, NULL), 10);
	/* IPv6: a /56 shares, the next /56 not; a mapped IPv4 address is that IPv4 client. */
	struct sockaddr_in6 b = v6("2001:db8:0:100::1"), b56 = v6("2001:db8:0:1ff::9"),
	                    b2 = v6("2001:db8:0:200::1"), mapped = v6("::ffff:192.0.2.77");
	assert_int_equal(sent(&r, &b, RRL_ANSWER, 1, 50, 20, &slips, NULL), 10);
	assert_int_equal(sent(&r, &b56, RRL_ANSWER, 1, 50, 20, &slips, NULL), 0);
	assert_int_equal(sent(&r, &b2, RRL_ANSWER, 1, 50, 20, &slips, NULL), 10);
	assert_int_equal(sent(&r, &mapped, RRL_ANSWER, 1, 50, 20, &slips, NULL), 0);
	rrl_free(&r);
	(void)state;
}

static void test_off_and_set(void **state)
{
	struct rrl r;
	uint32_t slips = 0;
	int slipped = 0;
	struct rrl_config off = conf;
	off.rate = 0;
	assert_int_equal(rrl_init(&r, &off), 0);
	struct sockaddr_in a = v4("198.51.100.1");
	assert_int_equal(sent(&r, &a, RRL_ERROR, 0, 7, 1000, &slips, NULL), 1000);
	/* Turned on live; slip 1 sends every limited answer truncated, 0 drops them all. */
	struct rrl_config on = conf;
	on.slip = 1;
	rrl_set(&r, &on);
	assert_int_equal(sent(&r, &a, RRL_ERROR, 0, 8, 30, &slips, &slipped), 10);
	assert_int_equal(slipped, 20);
	on.slip = 0;
	rrl_set(&r, &on);
	slipped = 0;
	assert_int_equal(sent(&r, &a, RRL_ERROR, 0, 8, 30, &slips, &slipped), 0);
	assert_int_equal(slipped, 0);
	/* No address (a test's query): never limited. */
	assert_int_equal(rrl_check(&r, NULL, RRL_ERROR, 0, 8, &slips), RRL_SEND);
	rrl_free(&r);
	(void)state;
}

/* Many keys in a small table: it forgets old ones, never refuses a new one. */
static void test_full_table(void **state)
{
	struct rrl r;
	uint32_t slips = 0;
	struct rrl_config small = conf;
	small.size = 1024;
	assert_int_equal(rrl_init(&r, &small), 0);
	struct sockaddr_in a = v4("203.0.113.5");
	int first = 0;
	for (uint64_t name = 0; name < 100000; name++)
		first += rrl_check(&r, (struct sockaddr *)&a, RRL_ANSWER, name, 9, &slips) == RRL_SEND;
	assert_true(first > 99000);
	rrl_free(&r);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_and_refill),
		cmocka_unit_test(test_keys_apart),
		cmocka_unit_test(test_off_and_set),
		cmocka_unit_test(test_full_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
