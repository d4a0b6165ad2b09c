/* Unit tests for stored TSIG keys: names, generated secrets, base64, storage and listing. */
#include <errno.h>
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/store/tsig_key.h"

static void test_names(void **state)
{
	static const struct { const char *text, *shown; } ok[] = {
		{ "xfr-key", "xfr-key" }, { "XFR.Example.COM.", "xfr.example.com" },
		{ "a_b.c", "a_b.c" }, { "k1", "k1" },
	};
	char longest[TSIG_KEY_TEXT_MAX], too_long[TSIG_KEY_TEXT_MAX + 1];
	memset(longest, 'k', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = 0;
	longest[31] = '.';
	memset(too_long, 'k', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = 0;
	too_long[31] = '.';
	const char *const bad[] = { "", ".", "a..b", "key with space", "k\\065", "k\"", "k/1",
	                            "ключ", "a.b.c@", too_long };
	uint8_t name[DNAME_MAX];
	char text[TSIG_KEY_TEXT_MAX];
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(tsig_key_name(ok[i].text, name), 0);
		assert_string_equal(tsig_key_name_text(name, text, sizeof(text)), ok[i].shown);
	}
	assert_int_equal(tsig_key_name(longest, name), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tsig_key_name(bad[i], name) != -1)
			fail_msg("\"%s\" accepted", bad[i]);
	/* The root shows as ".", and a short buffer cuts the text. */
	assert_string_equal(tsig_key_name_text(N("."), text, sizeof(text)), ".");
	assert_string_equal(tsig_key_name_text(N("abcdef."), text, 4), "abc");
	(void)state;
}

static void test_generate(void **state)
{
	static const enum tsig_alg algs[] = { TSIG_HMAC_SHA1, TSIG_HMAC_SHA256, TSIG_HMAC_SHA512 };
	static const size_t b64[] = { 28, 44, 88 };
	struct tsig_key a, b;
	char text[TSIG_SECRET_TEXT_MAX];
	uint8_t name[DNAME_MAX];
	assert_int_equal(tsig_key_name("gen", name), 0);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(tsig_key_generate(&a, name, algs[i]), 0);
		assert_int_equal(tsig_key_generate(&b, name, algs[i]), 0);
		assert_int_equal(a.alg, algs[i]);
		assert_int_equal(a.secret_len, tsig_alg_mac_len(algs[i]));
		assert_true(dname_equal(a.name, name));
		assert_memory_not_equal(a.secret, b.secret, a.secret_len);   /* random */
		assert_int_equal(tsig_key_secret_text(&a, text), 0);
		assert_int_equal(strlen(text), b64[i]);
	}
	assert_int_equal(tsig_key_generate(&a, name, TSIG_ALG_UNKNOWN), -EINVAL);
	/* Base64 of known bytes. */
	memset(&a, 0, sizeof(a));
	memcpy(a.secret, "lockstep", 8);
	a.secret_len = 8;
	assert_int_equal(tsig_key_secret_text(&a, text), 0);
	assert_string_equal(text, "bG9ja3N0ZXA=");
	tsig_key_wipe(&a);
	for (size_t i = 0; i < sizeof(a.secret); i++)
		assert_int_equal(a.secret[i], 0);
	(void)state;
}

static struct tsig_key key(const char *name, enum tsig_alg alg, uint8_t fill)
{
	struct tsig_key k = { .alg = alg, .secret_len = tsig_alg_mac_len(alg) };
	assert_int_equal(tsig_key_name(name, k.name), 0);
	memset(k.secret, fill, k.secret_len);
	return k;
}

static int collect(const struct tsig_key *k, void *ctx)
{
	char name[TSIG_KEY_TEXT_MAX];
	assert_int_equal(k->secret_len, tsig_alg_mac_len(k->alg));
	return unit_saw(ctx, "%s", tsig_key_name_text(k->name, name, sizeof(name)));
}

static int list(void *t, struct unit_seen *s)
{
	return tsig_key_list(t, collect, s);
}

static void test_store(void **state)
{
	struct unit_store *u = *state;
	struct store_txn t;
	struct tsig_key got;
	struct tsig_key k1 = key("b.example", TSIG_HMAC_SHA256, 0xab);
	struct tsig_key k2 = key("xfr", TSIG_HMAC_SHA1, 0x01);
	struct tsig_key k3 = key("a.b.example", TSIG_HMAC_SHA512, 0xff);
	unit_begin(u->st, true, &t);
	assert_int_equal(tsig_key_get(&t, k1.name, &got), LS_ENOTFOUND);
	tsig_key_put(&t, &k1);
	tsig_key_put(&t, &k2);
	tsig_key_put(&t, &k3);
	assert_int_equal(store_commit(&t), 0);
	unit_begin(u->st, true, &t);
	assert_int_equal(tsig_key_get(&t, N("B.Example."), &got), 0);
	assert_true(dname_equal(got.name, k1.name));
	assert_int_equal(got.alg, TSIG_HMAC_SHA256);
	assert_int_equal(got.secret_len, 32);
	assert_memory_equal(got.secret, k1.secret, 32);
	/* DNS order of the names. */
	static const char *const order[] = { "b.example", "a.b.example", "xfr" };
	unit_expect_listing(list, &t, order, 3);
	/* Replace, delete. */
	k2 = key("xfr", TSIG_HMAC_SHA512, 0x02);
	tsig_key_put(&t, &k2);
	assert_int_equal(tsig_key_get(&t, k2.name, &got), 0);
	assert_int_equal(got.alg, TSIG_HMAC_SHA512);
	assert_int_equal(got.secret[63], 0x02);
	assert_int_equal(tsig_key_del(&t, k3.name), 0);
	assert_int_equal(tsig_key_del(&t, k3.name), LS_ENOTFOUND);
	assert_int_equal(tsig_key_get(&t, k3.name, &got), LS_ENOTFOUND);
	assert_int_equal(t.err, 0);
	assert_int_equal(store_commit(&t), 0);
}

static void test_bad_values(void **state)
{
	struct unit_store *u = *state;
	struct store_txn t;
	struct tsig_key got;
	struct unit_seen s = { .n = 0 };
	uint8_t name[DNAME_MAX], k[DNAME_LF_MAX], v[4 + 70];
	assert_int_equal(tsig_key_name("bad", name), 0);
	int kl = dname_lf(k, name, N("."));
	static const struct { uint8_t tag, version, alg, len; size_t size; } cases[] = {
		{ 'T', 2, TSIG_HMAC_SHA1, 20, 24 },      /* a newer version */
		{ 'X', 1, TSIG_HMAC_SHA1, 20, 24 },      /* not a key */
		{ 'T', 1, 0, 20, 24 },                   /* unknown algorithm */
		{ 'T', 1, 9, 20, 24 },
		{ 'T', 1, TSIG_HMAC_SHA1, 20, 23 },      /* cut */
		{ 'T', 1, TSIG_HMAC_SHA1, 65, 69 },      /* longer than any secret */
	};
	memset(v, 7, sizeof(v));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v[0] = cases[i].tag;
		v[1] = cases[i].version;
		v[2] = cases[i].alg;
		v[3] = cases[i].len;
		unit_begin(u->st, true, &t);
		store_put(&t, STORE_TSIG, k, (size_t)kl, v, cases[i].size, 0);
		assert_int_equal(tsig_key_get(&t, name, &got), LS_ESTORE);
		assert_int_equal(tsig_key_list(&t, collect, &s), LS_ESTORE);
		store_abort(&t);
	}
	assert_int_equal(s.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_generate),
		cmocka_unit_test_setup_teardown(test_store, unit_store_setup, unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_bad_values, unit_store_setup, unit_store_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
