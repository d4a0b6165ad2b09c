/* API tokens in the store: made, found only by their secret, scoped, listed, deleted; and
 * history entries naming who committed (history_set_actor). */
#include "tests/unit/unit.h"
#include "shared/store/api_token.h"
#include "shared/store/history.h"
#include "shared/util/err.h"

static void put(struct store *st, const struct api_token *tk)
{
	struct store_txn t;
	unit_begin(st, true, &t);
	api_token_put(&t, tk);
	assert_int_equal(store_commit(&t), 0);
}

static int count_fn(const struct api_token *tk, void *ctx)
{
	(void)tk;
	(*(int *)ctx)++;
	return 0;
}

static void test_make_find_scope_del(void **state)
{
	struct unit_store *u = *state;
	struct api_token a, b, got;
	char sa[API_TOKEN_SECRET_TEXT], sb[API_TOKEN_SECRET_TEXT];
	struct store_txn t;
	assert_int_equal(api_token_make(&a, "panel", sa), 0);
	assert_int_equal(strlen(sa), API_TOKEN_SECRET_TEXT - 1);
	memcpy(a.zones[0], N("example.com."), 13);
	a.nzones = 1;
	a.read_only = true;
	assert_int_equal(api_token_make(&b, "lego", sb), 0);
	assert_string_not_equal(sa, sb);
	assert_int_not_equal(api_token_make(&got, "bad name", sb), 0);
	put(u->st, &a);
	put(u->st, &b);
	unit_begin(u->st, false, &t);
	assert_int_equal(api_token_find(&t, sa, strlen(sa), &got), 0);
	assert_string_equal(got.name, "panel");
	assert_true(got.read_only);
	assert_true(api_token_allows(&got, N("EXAMPLE.com.")) || api_token_allows(&got, N("example.com.")));
	assert_false(api_token_allows(&got, N("example.net.")));
	assert_int_equal(api_token_find(&t, sb, strlen(sb), &got), 0);
	assert_string_equal(got.name, "lego");
	assert_true(api_token_allows(&got, N("anything.test.")));
	/* A secret one character short, or a wrong one, finds nothing. */
	assert_int_equal(api_token_find(&t, sa, strlen(sa) - 1, &got), LS_ENOTFOUND);
	sa[0] = sa[0] == 'a' ? 'b' : 'a';
	assert_int_equal(api_token_find(&t, sa, strlen(sa), &got), LS_ENOTFOUND);
	assert_int_equal(api_token_find(&t, "", 0, &got), LS_ENOTFOUND);
	int n = 0;
	assert_int_equal(api_token_each(&t, count_fn, &n), 0);
	assert_int_equal(n, 2);
	store_abort(&t);
	unit_begin(u->st, true, &t);
	assert_int_equal(api_token_del(&t, "lego"), 0);
	assert_int_equal(api_token_del(&t, "lego"), LS_ENOTFOUND);
	assert_int_equal(store_commit(&t), 0);
	unit_begin(u->st, false, &t);
	assert_int_equal(api_token_find(&t, sb, strlen(sb), &got), LS_ENOTFOUND);
	store_abort(&t);
}

static void test_decode_refuses_damage(void **state)
{
	(void)state;
	struct api_token tk;
	uint8_t v[80] = { API_TOKEN_TAG, API_TOKEN_VERSION };
	assert_int_equal(api_token_decode(v, 10, "x", 1, &tk), LS_EPARSE);       /* short */
	v[0] = 'Z';
	assert_int_equal(api_token_decode(v, sizeof(v), "x", 1, &tk), LS_EPARSE); /* tag */
	v[0] = API_TOKEN_TAG;
	v[3 + 8 + API_TOKEN_SALT + API_TOKEN_HASH] = 3;                          /* 3 zones, none there */
	assert_int_equal(api_token_decode(v, 3 + 8 + API_TOKEN_SALT + API_TOKEN_HASH + 1, "x", 1,
	                                  &tk), LS_EPARSE);
	v[3 + 8 + API_TOKEN_SALT + API_TOKEN_HASH] = 0;
	assert_int_equal(api_token_decode(v, sizeof(v), "x", 1, &tk), 0);
	assert_int_equal(api_token_decode(v, sizeof(v), "a b", 3, &tk), LS_EPARSE);
}

static int last_fn(const struct history_entry *e, void *ctx)
{
	*(struct history_entry *)ctx = *e;
	return 0;
}

static void test_history_names_the_actor(void **state)
{
	struct unit_store *u = *state;
	struct store_txn t;
	struct history_entry e = { .time = 1, .source = "api PATCH" }, seen;
	memcpy(e.apex, N("example.com."), 13);
	history_set_actor("token panel");
	unit_begin(u->st, true, &t);
	history_put(&t, &e);
	assert_int_equal(store_commit(&t), 0);
	history_set_actor(NULL);
	struct history_entry f = { .time = 2, .source = "dnsd" };
	memcpy(f.apex, N("example.com."), 13);
	unit_begin(u->st, true, &t);
	history_put(&t, &f);
	assert_int_equal(store_commit(&t), 0);
	unit_begin(u->st, false, &t);
	assert_int_equal(history_since(&t, 0, 1, last_fn, &seen), 0);
	assert_string_equal(seen.source, "api PATCH by token panel");
	assert_int_equal(history_since(&t, 1, 1, last_fn, &seen), 0);
	assert_string_equal(seen.source, "dnsd");
	store_abort(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_make_find_scope_del, unit_store_setup,
		                                unit_store_teardown),
		cmocka_unit_test(test_decode_refuses_damage),
		cmocka_unit_test_setup_teardown(test_history_names_the_actor, unit_store_setup,
		                                unit_store_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
