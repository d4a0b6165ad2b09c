/* Unit tests for httpsd/limiter.c: buckets, handshake counts, the global cap, trusted clients,
 * the bounded table under many addresses, and new settings while counts are in progress. */
#include "tests/unit/unit.h"
#include "httpsd/limiter.h"

#define SA(s) ((const struct sockaddr *)&(s))

static enum limiter_verdict admit(struct limiter *l, const char *peer, uint64_t now)
{
	struct sockaddr_storage p = unit_sockaddr(peer), local = unit_sockaddr("192.0.2.1");
	return limiter_admit(l, SA(p), SA(local), now);
}

static void done(struct limiter *l, const char *peer)
{
	struct sockaddr_storage p = unit_sockaddr(peer);
	limiter_done(l, SA(p));
}

static uint64_t n(atomic_uint_fast64_t *c)
{
	return atomic_load(c);
}

static void test_rate(void **state)
{
	(void)state;
	struct limiter l;
	struct limiter_settings set = { .conns_per_second = 5, .handshake_ms = 5000 };
	assert_int_equal(limiter_init(&l, &set), 0);
	/* A full bucket: LIMITER_BURST seconds' worth, then refused. */
	for (int i = 0; i < 5 * LIMITER_BURST; i++) {
		assert_int_equal(admit(&l, "203.0.113.5", 1000), LIMITER_ADMIT);
		done(&l, "203.0.113.5");
	}
	assert_int_equal(admit(&l, "203.0.113.5", 1000), LIMITER_RATE);
	assert_int_equal(admit(&l, "203.0.113.5", 1100), LIMITER_RATE);    /* half a token back */
	assert_int_equal(admit(&l, "203.0.113.5", 1200), LIMITER_ADMIT);   /* a whole one */
	assert_int_equal(admit(&l, "203.0.113.5", 1200), LIMITER_RATE);
	/* Another address has its own bucket. */
	assert_int_equal(admit(&l, "203.0.113.6", 1200), LIMITER_ADMIT);
	/* A long pause fills the bucket, never over its size. */
	for (int i = 0; i < 5 * LIMITER_BURST; i++)
		assert_int_equal(admit(&l, "203.0.113.5", 100000), LIMITER_ADMIT);
	assert_int_equal(admit(&l, "203.0.113.5", 100000), LIMITER_RATE);
	assert_int_equal(n(&l.count.refused_rate), 4);
	assert_int_equal(n(&l.count.admitted), 5 * LIMITER_BURST * 2 + 2);
	assert_int_equal(limiter_handshake_ms(&l), 5000);
	limiter_free(&l);
}

static void test_handshakes(void **state)
{
	(void)state;
	struct limiter l;
	struct limiter_settings set = { .max_handshakes = 5, .max_handshakes_per_addr = 3 };
	assert_int_equal(limiter_init(&l, &set), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(admit(&l, "198.51.100.1", 0), LIMITER_ADMIT);
	assert_int_equal(admit(&l, "198.51.100.1", 0), LIMITER_ADDRESS);
	done(&l, "198.51.100.1");
	assert_int_equal(admit(&l, "198.51.100.1", 0), LIMITER_ADMIT);
	assert_int_equal(admit(&l, "198.51.100.2", 0), LIMITER_ADMIT);
	assert_int_equal(admit(&l, "198.51.100.3", 0), LIMITER_ADMIT);
	assert_int_equal(admit(&l, "198.51.100.4", 0), LIMITER_TOTAL);     /* 5 in progress */
	assert_int_equal(limiter_handshakes(&l), 5);
	/* IPv6 counts per /64: two addresses of one /64 share, another /64 does not. */
	done(&l, "198.51.100.2");
	done(&l, "198.51.100.3");
	assert_int_equal(admit(&l, "2001:db8:0:1::a", 0), LIMITER_ADMIT);
	assert_int_equal(admit(&l, "2001:db8:0:1::b", 0), LIMITER_ADMIT);
	done(&l, "2001:db8:0:1::a");
	done(&l, "198.51.100.1");
	done(&l, "198.51.100.1");
	done(&l, "198.51.100.1");
	assert_int_equal(admit(&l, "2001:db8:0:1::c", 0), LIMITER_ADMIT);
	assert_int_equal(admit(&l, "2001:db8:0:1::d", 0), LIMITER_ADMIT);
	assert_int_equal(admit(&l, "2001:db8:0:1::e", 0), LIMITER_ADDRESS);
	assert_int_equal(admit(&l, "2001:db8:0:2::e", 0), LIMITER_ADMIT);
	/* An IPv4-mapped address is the IPv4 one. */
	assert_int_equal(admit(&l, "198.51.100.9", 0), LIMITER_ADMIT);
	assert_int_equal(admit(&l, "::ffff:198.51.100.9", 0), LIMITER_TOTAL);
	assert_int_equal(n(&l.count.refused_address), 2);
	assert_int_equal(n(&l.count.refused_total), 2);
	/* Unmatched or extra dones never go below zero. */
	done(&l, "192.0.2.99");
	for (int i = 0; i < 20; i++)
		done(&l, "2001:db8:0:1::1");
	assert_int_equal(limiter_handshakes(&l), 0);
	limiter_free(&l);
}

static void test_trusted(void **state)
{
	(void)state;
	struct limiter l;
	struct limiter_settings set = { .max_handshakes = 1, .max_handshakes_per_addr = 1,
	                                .conns_per_second = 1 };
	assert_int_equal(prefix_list_parse("10.1.0.0/16 local 2001:db8:5::/48", "local", &set.local,
	                                   set.trusted, PREFIX_LIST_MAX, &set.ntrusted), 0);
	assert_true(set.local);
	assert_int_equal(limiter_init(&l, &set), 0);
	assert_int_equal(admit(&l, "203.0.113.1", 0), LIMITER_ADMIT);      /* the cap is reached */
	for (int i = 0; i < 100; i++) {
		assert_int_equal(admit(&l, "127.0.0.1", 0), LIMITER_TRUSTED);
		assert_int_equal(admit(&l, "::1", 0), LIMITER_TRUSTED);
		assert_int_equal(admit(&l, "::ffff:127.0.0.1", 0), LIMITER_TRUSTED);
		assert_int_equal(admit(&l, "192.0.2.1", 0), LIMITER_TRUSTED);  /* this host */
		assert_int_equal(admit(&l, "10.1.200.3", 0), LIMITER_TRUSTED);
		assert_int_equal(admit(&l, "2001:db8:5:77::1", 0), LIMITER_TRUSTED);
	}
	/* Other loopback addresses are strangers (the system test floods from them). */
	assert_int_equal(admit(&l, "127.0.0.2", 0), LIMITER_TOTAL);
	assert_int_equal(admit(&l, "10.2.0.1", 0), LIMITER_TOTAL);
	assert_int_equal(n(&l.count.trusted), 600);
	/* Trusted, then not: SIGHUP's new list applies to the next connection. */
	set.ntrusted = 0;
	set.local = false;
	set.max_handshakes = 0;
	limiter_set(&l, &set);
	assert_int_equal(admit(&l, "10.1.200.3", 0), LIMITER_ADMIT);
	assert_int_equal(admit(&l, "10.1.200.3", 0), LIMITER_ADDRESS);
	assert_int_equal(admit(&l, "127.0.0.1", 0), LIMITER_ADMIT);
	assert_int_equal(admit(&l, "192.0.2.1", 0), LIMITER_ADMIT);
	assert_int_equal(admit(&l, "::1", 0), LIMITER_ADMIT);
	assert_int_equal(n(&l.count.trusted), 600);
	limiter_free(&l);
}

/* Many addresses: the table stays its size; idle addresses make room, busy ones are kept. */
static void test_table(void **state)
{
	(void)state;
	struct limiter l;
	struct limiter_settings set = { .max_handshakes_per_addr = 1, .conns_per_second = 1 };
	char a[64];
	assert_int_equal(limiter_init(&l, &set), 0);
	/* 100,000 addresses, each done at once: every one gets in (free or idle slots). */
	for (unsigned i = 0; i < 100000; i++) {
		snprintf(a, sizeof(a), "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		assert_int_equal(admit(&l, a, 0), LIMITER_ADMIT);
		done(&l, a);
	}
	/* Fill the table with handshakes in progress: some addresses find no room, and the ones
	 * in progress stay counted (their second handshake is refused). */
	unsigned in = 0, full = 0;
	for (unsigned i = 0; i < 3 * LIMITER_SLOTS; i++) {
		snprintf(a, sizeof(a), "2001:db8:%x:%x::1", i >> 16, i & 0xffff);
		enum limiter_verdict v = admit(&l, a, 10000000);
		if (v == LIMITER_ADMIT)
			in++;
		else if (v == LIMITER_TABLE)
			full++;
		else
			fail_msg("%s: %s", a, limiter_reason(v));
	}
	assert_true(in <= LIMITER_SLOTS && in > LIMITER_SLOTS / 2);
	assert_int_equal(in + full, 3 * LIMITER_SLOTS);
	assert_int_equal(n(&l.count.refused_table), full);
	assert_int_equal(admit(&l, "2001:db8:0:0::2", 10000000), LIMITER_ADDRESS);
	assert_string_equal(limiter_reason(LIMITER_TABLE),
	                    "too many addresses with handshakes in progress");
	limiter_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_handshakes),
		cmocka_unit_test(test_trusted),
		cmocka_unit_test(test_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
