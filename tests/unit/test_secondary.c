/* Unit tests for a zone's secondaries: parsing and formatting, storage, the transfer ACL. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/store/secondary.h"
#include "shared/dns/wire.h"

static struct secondary sec(const char *text, const char *key)
{
	struct secondary s;
	assert_int_equal(secondary_parse(text, &s), 0);
	snprintf(s.key, sizeof(s.key), "%s", key);
	return s;
}

static void test_parse_format(void **state)
{
	static const struct { const char *in, *out; } ok[] = {
		{ "192.0.2.1", "192.0.2.1:53" },
		{ "192.0.2.1:5300", "192.0.2.1:5300" },
		{ "2001:DB8::1", "[2001:db8::1]:53" },
		{ "[2001:db8::1]:5300", "[2001:db8::1]:5300" },
		{ "[::ffff:192.0.2.1]", "[::ffff:192.0.2.1]:53" },
	};
	static const char *const bad[] = { "192.0.2.1:0", "[::1]:0", "192.0.2.1:65536", "ns1",
	                                   "", "192.0.2.1:53:53", "[::1]x" };
	char buf[SECONDARY_TEXT_MAX];
	struct secondary s;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(secondary_parse(ok[i].in, &s), 0);
		assert_string_equal(secondary_format(&s, buf, sizeof(buf)), ok[i].out);
		assert_string_equal(s.key, "");
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (secondary_parse(bad[i], &s) != -1)
			fail_msg("\"%s\" parsed", bad[i]);
	(void)state;
}

static int collect(const struct secondary *s, void *ctx)
{
	char a[SECONDARY_TEXT_MAX];
	return unit_saw(ctx, "%s %s", secondary_format(s, a, sizeof(a)), s->key);
}

static int collect_each(uint32_t zone_id, const struct secondary *s, void *ctx)
{
	char a[SECONDARY_TEXT_MAX];
	return unit_saw(ctx, "%u %s", zone_id, secondary_format(s, a, sizeof(a)));
}

/* The secondaries of zone 1, and of every zone. */
static int list(void *t, struct unit_seen *s)
{
	return secondary_list(t, 1, collect, s);
}

static int each(void *t, struct unit_seen *s)
{
	return secondary_each(t, collect_each, s);
}

static void test_store(void **state)
{
	struct unit_store *u = *state;
	struct store_txn t;
	struct unit_seen seen = { .n = 0 };
	struct secondary v6 = sec("[2001:db8::2]:5300", "xfr-key");
	struct secondary v4b = sec("192.0.2.20", "");
	struct secondary v4a = sec("192.0.2.3:54", "other.key");
	unit_begin(u->st, true, &t);
	secondary_put(&t, 1, &v6);
	secondary_put(&t, 1, &v4b);
	secondary_put(&t, 1, &v4a);
	secondary_put(&t, 2, &v4a);
	secondary_put(&t, 0x100, &v4b);
	assert_int_equal(store_commit(&t), 0);
	unit_begin(u->st, true, &t);
	/* IPv4 first, then by address. */
	static const char *const order[] = { "192.0.2.3:54 other.key", "192.0.2.20:53 ",
	                                     "[2001:db8::2]:5300 xfr-key" };
	unit_expect_listing(list, &t, order, 3);
	seen.n = 0;
	assert_int_equal(secondary_list(&t, 3, collect, &seen), 0);
	assert_int_equal(seen.n, 0);
	/* The same address again replaces the entry (port and key). */
	struct secondary again = sec("192.0.2.3:1053", "");
	secondary_put(&t, 1, &again);
	const char *const replaced[] = { "192.0.2.3:1053 ", order[1], order[2] };
	unit_expect_listing(list, &t, replaced, 3);
	/* Deleting: the port does not matter, the address does. */
	assert_int_equal(secondary_del(&t, 1, &v4a), 0);
	assert_int_equal(secondary_del(&t, 1, &v4a), LS_ENOTFOUND);
	assert_int_equal(secondary_del(&t, 4, &v6), LS_ENOTFOUND);
	assert_int_equal(t.err, 0);
	static const char *const all[] = { "1 192.0.2.20:53", "1 [2001:db8::2]:5300",
	                                   "2 192.0.2.3:54", "256 192.0.2.20:53" };
	unit_expect_listing(each, &t, all, 4);
	assert_int_equal(store_commit(&t), 0);
}

static void test_acl(void **state)
{
	struct unit_store *u = *state;
	struct store_txn t;
	struct secondary v4 = sec("192.0.2.1", "k1"), v6 = sec("2001:db8::1", ""), found;
	struct sockaddr_in c4 = { .sin_family = AF_INET, .sin_port = htons(40000) };
	struct sockaddr_in6 c6 = { .sin6_family = AF_INET6 };
	struct sockaddr un = { .sa_family = AF_UNIX };
	unit_begin(u->st, true, &t);
	secondary_put(&t, 1, &v4);
	secondary_put(&t, 1, &v6);
	inet_pton(AF_INET, "192.0.2.1", &c4.sin_addr);
	assert_int_equal(secondary_find(&t, 1, (struct sockaddr *)&c4, &found), 0);
	assert_string_equal(found.key, "k1");
	assert_int_equal(found.port, 53);              /* NOTIFY's port, not the client's */
	assert_int_equal(secondary_find(&t, 2, (struct sockaddr *)&c4, &found), LS_ENOTFOUND);
	/* The same client through an IPv6 socket, as a v4-mapped address. */
	inet_pton(AF_INET6, "::ffff:192.0.2.1", &c6.sin6_addr);
	assert_int_equal(secondary_find(&t, 1, (struct sockaddr *)&c6, &found), 0);
	assert_int_equal(found.family, AF_INET);
	inet_pton(AF_INET6, "2001:db8::1", &c6.sin6_addr);
	assert_int_equal(secondary_find(&t, 1, (struct sockaddr *)&c6, &found), 0);
	inet_pton(AF_INET6, "2001:db8::2", &c6.sin6_addr);
	assert_int_equal(secondary_find(&t, 1, (struct sockaddr *)&c6, &found), LS_ENOTFOUND);
	inet_pton(AF_INET, "192.0.2.2", &c4.sin_addr);
	assert_int_equal(secondary_find(&t, 1, (struct sockaddr *)&c4, &found), LS_ENOTFOUND);
	assert_int_equal(secondary_find(&t, 1, &un, &found), LS_ENOTFOUND);
	/* A value that is not an entry is a store error, not a match. */
	uint8_t key[4 + 1 + 16] = { 0 };
	wire_put32(key, 1);
	key[4] = 4;
	key[5] = 192; key[7] = 2; key[8] = 1;
	store_put(&t, STORE_SECONDARIES, key, sizeof(key), "A\1\0\065\011", 5, 0);
	inet_pton(AF_INET, "192.0.2.1", &c4.sin_addr);
	assert_int_equal(secondary_find(&t, 1, (struct sockaddr *)&c4, &found), LS_ESTORE);
	store_abort(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_format),
		cmocka_unit_test_setup_teardown(test_store, unit_store_setup, unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_acl, unit_store_setup, unit_store_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
