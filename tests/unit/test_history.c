/* Unit tests for zone history: sequence numbers, per-zone listing, paging and the stored value. */
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/store/history.h"
#include "shared/dns/wire.h"

static uint64_t add(struct store *st, const char *apex, uint32_t from, uint32_t to,
                    const char *source)
{
	struct store_txn t;
	struct history_entry e = { .time = 1764700000 + from, .old_serial = from, .new_serial = to,
	                           .ndel = from * 2, .nadd = to * 3 };
	memcpy(e.apex, N(apex), (size_t)dname_wire_len(N(apex), DNAME_MAX));
	snprintf(e.source, sizeof(e.source), "%s", source);
	unit_begin(st, true, &t);
	history_put(&t, &e);
	assert_int_equal(store_commit(&t), 0);
	return e.seq;
}

struct seen {
	struct history_entry e[16];
	size_t n, stop_after;
};

static int collect(const struct history_entry *e, void *ctx)
{
	struct seen *s = ctx;
	assert_true(s->n < 16);
	s->e[s->n++] = *e;
	return s->stop_after && s->n == s->stop_after ? 5 : 0;
}

static void fill(struct store *st)
{
	assert_int_equal(add(st, "example.com.", 1, 2, "zonectl rr add"), 1);
	assert_int_equal(add(st, "example.net.", 10, 11, "zonectl import"), 2);
	assert_int_equal(add(st, "Example.COM.", 2, 3, "dnsd"), 3);
	assert_int_equal(add(st, "example.com.", 3, 4, "zonectl rr del"), 4);
}

static void test_put_and_list(void **state)
{
	struct unit_store *u = *state;
	struct store_txn t;
	struct seen s = { .n = 0 };
	uint64_t last = 99;
	unit_begin(u->st, false, &t);
	assert_int_equal(history_last(&t, &last), 0);
	assert_int_equal(last, 0);
	assert_int_equal(history_list(&t, NULL, collect, &s), 0);
	assert_int_equal(s.n, 0);
	store_abort(&t);
	fill(u->st);
	unit_begin(u->st, false, &t);
	assert_int_equal(history_last(&t, &last), 0);
	assert_int_equal(last, 4);
	assert_int_equal(history_list(&t, NULL, collect, &s), 0);
	assert_int_equal(s.n, 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(s.e[i].seq, i + 1);
	assert_true(dname_equal(s.e[1].apex, N("example.net.")));
	assert_int_equal(s.e[1].time, 1764700010);
	assert_int_equal(s.e[1].old_serial, 10);
	assert_int_equal(s.e[1].new_serial, 11);
	assert_int_equal(s.e[1].ndel, 20);
	assert_int_equal(s.e[1].nadd, 33);
	assert_string_equal(s.e[1].source, "zonectl import");
	/* One zone's entries, oldest first; the name matches in any case. */
	s.n = 0;
	assert_int_equal(history_list(&t, N("EXAMPLE.com."), collect, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.e[0].seq, 1);
	assert_int_equal(s.e[1].seq, 3);
	assert_string_equal(s.e[1].source, "dnsd");
	assert_int_equal(s.e[2].seq, 4);
	s.n = 0;
	assert_int_equal(history_list(&t, N("example.org."), collect, &s), 0);
	assert_int_equal(s.n, 0);
	/* The callback's non-zero stops the list and is returned. */
	s.n = 0;
	s.stop_after = 2;
	assert_int_equal(history_list(&t, NULL, collect, &s), 5);
	assert_int_equal(s.n, 2);
	store_abort(&t);
}

static void test_since(void **state)
{
	struct unit_store *u = *state;
	static const struct { uint64_t after; size_t max, n; uint64_t first; } cases[] = {
		{ 0, 100, 4, 1 }, { 0, 2, 2, 1 }, { 1, 2, 2, 2 }, { 2, 100, 2, 3 }, { 3, 1, 1, 4 },
		{ 4, 100, 0, 0 }, { 1000, 100, 0, 0 }, { 0, 0, 0, 0 },
	};
	struct store_txn t;
	fill(u->st);
	unit_begin(u->st, false, &t);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct seen s = { .n = 0 };
		assert_int_equal(history_since(&t, cases[i].after, cases[i].max, collect, &s), 0);
		if (s.n != cases[i].n || (s.n && s.e[0].seq != cases[i].first))
			fail_msg("since %llu max %zu: %zu entries", (unsigned long long)cases[i].after,
			         cases[i].max, s.n);
		for (size_t k = 1; k < s.n; k++)
			assert_int_equal(s.e[k].seq, s.e[k - 1].seq + 1);
	}
	store_abort(&t);
}

static void test_long_source_and_bad_value(void **state)
{
	struct unit_store *u = *state;
	struct store_txn t;
	struct seen s = { .n = 0 };
	char longer[HISTORY_SOURCE_MAX + 20];
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = 0;
	struct history_entry e = { .time = 1 };
	memcpy(e.apex, N("example.com."), 13);
	memcpy(e.source, longer, HISTORY_SOURCE_MAX);     /* not terminated: cut at the limit */
	unit_begin(u->st, true, &t);
	history_put(&t, &e);
	assert_int_equal(store_commit(&t), 0);
	unit_begin(u->st, false, &t);
	assert_int_equal(history_list(&t, NULL, collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(strlen(s.e[0].source), HISTORY_SOURCE_MAX - 1);
	store_abort(&t);
	/* A value that is not an entry stops the list with a store error. */
	uint8_t key[8];
	wire_put64(key, 2);
	unit_begin(u->st, true, &t);
	store_put(&t, STORE_HISTORY, key, 8, "H\2", 2, 0);
	assert_int_equal(history_list(&t, NULL, collect, &s), LS_ESTORE);
	assert_int_equal(history_since(&t, 1, 10, collect, &s), LS_ESTORE);
	uint64_t last;
	assert_int_equal(history_last(&t, &last), 0);
	assert_int_equal(last, 2);
	store_abort(&t);
}

static int tally(const struct history_entry *e, void *ctx)
{
	(void)e;
	++*(size_t *)ctx;
	return 0;
}

static size_t count(struct store *st)
{
	struct store_txn t;
	size_t n = 0;
	unit_begin(st, false, &t);
	assert_int_equal(history_list(&t, NULL, tally, &n), 0);
	store_abort(&t);
	return n;
}

/* Entries older than keep-history go as new ones come, at most HISTORY_PRUNE_MAX a commit. */
static void test_keep(void **state)
{
	struct unit_store *u = *state;
	history_set_keep(100);
	/* add() stamps 1764700000 + from: 0, 50, 99 are within 100 s of 99; 0 is not of 150. */
	add(u->st, "example.com.", 0, 1, "a");
	add(u->st, "example.com.", 50, 51, "b");
	add(u->st, "example.com.", 99, 100, "c");
	assert_int_equal(count(u->st), 3);
	add(u->st, "example.com.", 150, 151, "d");
	assert_int_equal(count(u->st), 3);                 /* 0 went: older than 150 - 100 */
	add(u->st, "example.com.", 1000, 1001, "e");
	assert_int_equal(count(u->st), 1);                 /* only the newest is recent enough */
	/* A backlog larger than one commit prunes goes over several commits. */
	history_set_keep(0);                               /* 0: kept for ever */
	for (uint32_t i = 0; i < HISTORY_PRUNE_MAX + 10; i++)
		add(u->st, "example.net.", 2000 + i, 2001 + i, "x");
	assert_int_equal(count(u->st), 1 + HISTORY_PRUNE_MAX + 10);
	history_set_keep(10);
	add(u->st, "example.net.", 100000, 100001, "y");
	assert_int_equal(count(u->st), 1 + HISTORY_PRUNE_MAX + 10 + 1 - HISTORY_PRUNE_MAX);
	add(u->st, "example.net.", 100001, 100002, "z");
	assert_int_equal(count(u->st), 2);                 /* the rest of the backlog went */
	history_set_keep(HISTORY_DEFAULT_KEEP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_and_list, unit_store_setup, unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_since, unit_store_setup, unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_keep, unit_store_setup, unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_long_source_and_bad_value, unit_store_setup,
		                                unit_store_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
