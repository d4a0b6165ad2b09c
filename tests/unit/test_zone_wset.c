/* Unit tests for the working set of an edit: the map (hashed and sorted modes, growth, key
 * order) and RRset normalisation. */
#include "tests/unit/unit.h"
#include "shared/store/zone_wset.h"

/* The key of name/type in zone 1 of example.com. into a fresh arena copy. */
static const uint8_t *key_of(struct arena *a, const char *name, uint16_t type, size_t *len)
{
	uint8_t k[RRSET_KEY_MAX];
	int n = rrset_key(k, 1, N(name), N("example.com."), type);
	assert_true(n > 0);
	*len = (size_t)n;
	return arena_dup(a, k, (size_t)n);
}

static void test_get_and_find(void **state)
{
	struct wset_map m;
	struct arena a;
	bool created;
	uint8_t key[RRSET_KEY_MAX], owner[DNAME_MAX];
	wset_map_init(&m);
	arena_init(&a);
	int kl = rrset_key(key, 1, N("www.example.com."), N("example.com."), 1);
	memcpy(owner, N("www.example.com."), 17);
	assert_null(wset_map_find(&m, key, (size_t)kl));
	struct wset *w = wset_map_get(&m, &a, key, (size_t)kl, owner, 1, &created);
	assert_non_null(w);
	assert_true(created);
	assert_int_equal(w->type, 1);
	assert_int_equal(w->n, 0);
	assert_false(w->old_exists);
	/* Key and owner were copied: the caller's buffers may change. */
	assert_ptr_not_equal(w->key, key);
	assert_ptr_not_equal(w->owner, owner);
	uint8_t copy[RRSET_KEY_MAX];
	memcpy(copy, key, (size_t)kl);
	memset(key, 0, sizeof(key));
	memset(owner, 0, sizeof(owner));
	assert_true(dname_equal(w->owner, N("www.example.com.")));
	assert_ptr_equal(wset_map_find(&m, copy, (size_t)kl), w);
	assert_ptr_equal(wset_map_get(&m, &a, copy, (size_t)kl, N("www.example.com."), 1, &created), w);
	assert_false(created);
	assert_int_equal(m.n, 1);
	/* A key that is a prefix of another is another key. */
	assert_null(wset_map_find(&m, copy, (size_t)kl - 1));
	wset_map_free(&m);
	assert_int_equal(m.n, 0);
	assert_null(m.v);
	arena_free(&a);
	(void)state;
}

static void test_many_keys_and_order(void **state)
{
	enum { N_KEYS = 5000 };
	struct wset_map m;
	struct arena a;
	const uint8_t *keys[N_KEYS];
	size_t lens[N_KEYS];
	bool created;
	char name[64];
	wset_map_init(&m);
	arena_init(&a);
	/* Long shared prefixes, so the order falls back from the 8-byte prefix to whole keys;
	 * inserted in a scrambled order. */
	for (size_t i = 0; i < N_KEYS; i++) {
		size_t j = (i * 7919) % N_KEYS;
		snprintf(name, sizeof(name), "host-%zu.same-prefix-label.example.com.", j);
		keys[j] = key_of(&a, name, (uint16_t)(1 + j % 3), &lens[j]);
		struct wset *w = wset_map_get(&m, &a, keys[j], lens[j], N(name), (uint16_t)(1 + j % 3),
		                              &created);
		assert_non_null(w);
		assert_true(created);
		w->n = (uint32_t)j;          /* a mark to find it by */
	}
	assert_int_equal(m.n, N_KEYS);
	assert_false(m.sorted);
	assert_true(m.scap >= 2 * m.n);   /* load at most one half */
	for (size_t j = 0; j < N_KEYS; j++) {
		struct wset *w = wset_map_find(&m, keys[j], lens[j]);
		assert_non_null(w);
		assert_int_equal(w->n, j);
	}
	uint32_t *order = wset_map_order(&m);
	assert_non_null(order);
	for (size_t i = 1; i < N_KEYS; i++) {
		const struct wset *x = &m.v[order[i - 1]], *y = &m.v[order[i]];
		assert_true(rdata_cmp(x->key, x->klen, y->key, y->klen) < 0);
	}
	free(order);
	wset_map_free(&m);
	arena_free(&a);
	(void)state;
}

static void test_sorted_mode(void **state)
{
	static const char *const names[] = { "example.com.", "a.example.com.", "b.a.example.com.",
	                                     "b.example.com.", "c.example.com." };
	struct wset_map m;
	struct arena a;
	const uint8_t *keys[5];
	size_t lens[5];
	bool created;
	wset_map_init(&m);
	arena_init(&a);
	assert_int_equal(wset_map_reserve(&m, 1000), 0);
	assert_true(m.cap >= 1000);
	assert_int_equal(m.n, 0);
	for (size_t i = 0; i < 5; i++) {
		keys[i] = key_of(&a, names[i], 1, &lens[i]);
		assert_non_null(wset_map_append(&m, keys[i], lens[i], N(names[i]), 1));
	}
	assert_true(m.sorted);
	assert_int_equal(m.scap, 0);
	for (size_t i = 0; i < 5; i++)
		assert_ptr_equal(wset_map_find(&m, keys[i], lens[i]), &m.v[i]);
	size_t ml;
	const uint8_t *missing = key_of(&a, "bb.example.com.", 1, &ml);
	assert_null(wset_map_find(&m, missing, ml));
	uint32_t *order = wset_map_order(&m);
	for (uint32_t i = 0; i < 5; i++)
		assert_int_equal(order[i], i);
	free(order);
	/* Getting a key it has keeps the mode; a new key ends it, and every key is still found. */
	assert_ptr_equal(wset_map_get(&m, &a, keys[2], lens[2], N(names[2]), 1, &created), &m.v[2]);
	assert_false(created);
	assert_true(m.sorted);
	struct wset *w = wset_map_get(&m, &a, missing, ml, N("bb.example.com."), 1, &created);
	assert_true(created);
	assert_false(m.sorted);
	assert_ptr_equal(wset_map_find(&m, missing, ml), w);
	for (size_t i = 0; i < 5; i++)
		assert_ptr_equal(wset_map_find(&m, keys[i], lens[i]), &m.v[i]);
	order = wset_map_order(&m);
	assert_int_equal(order[4], 5);    /* bb sorts between b and c */
	assert_int_equal(order[5], 4);
	free(order);
	wset_map_free(&m);
	arena_free(&a);
	(void)state;
}

#define RD(bytes, file, line) { (const uint8_t *)(bytes), file, line, sizeof(bytes) - 1 }

static void test_normalise(void **state)
{
	struct rdata rd[] = { RD("\3", "z", 1), RD("\1\2", "z", 2), RD("\1", "z", 3),
	                      RD("\3", "z", 4), RD("\1\2", NULL, 0), RD("\1", "z", 6) };
	struct rdata old[] = { RD("\3", NULL, 0), RD("\1\2", NULL, 0), RD("\1", NULL, 0) };
	struct wset w = { .owner = N("www.example.com."), .type = 16, .rd = rd, .n = 6, .cap = 6,
	                  .old = old, .nold = 3 };
	struct diag d;
	diag_init(&d);
	assert_false(wset_same(&w));
	wset_normalise(&w, &d);
	assert_int_equal(w.n, 3);
	assert_string_equal(unit_hex(w.rd[0].p, w.rd[0].len), "01");
	assert_string_equal(unit_hex(w.rd[1].p, w.rd[1].len), "0102");
	assert_string_equal(unit_hex(w.rd[2].p, w.rd[2].len), "03");
	assert_string_equal(unit_hex(w.old[0].p, w.old[0].len), "01");
	assert_string_equal(unit_hex(w.old[2].p, w.old[2].len), "03");
	/* A warning for each duplicate read from a file; the one made by a command is quiet. */
	assert_int_equal(d.warnings, 2);
	assert_int_equal(d.errors, 0);
	diag_sort(&d);
	assert_int_equal(d.v[0].line, 4);
	assert_int_equal(d.v[1].line, 6);
	assert_string_equal(d.v[0].text, "duplicate TXT record at www.example.com. ignored");
	assert_true(wset_same(&w));
	w.rd[1] = (struct rdata)RD("\1\3", NULL, 0);
	assert_false(wset_same(&w));
	w.n = 2;
	assert_false(wset_same(&w));
	/* Empty both ways is the same. */
	struct wset none = { .n = 0, .nold = 0 };
	assert_true(wset_same(&none));
	assert_int_equal(wset_rdata_cmp(&old[0], &old[0]), 0);
	diag_free(&d);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_and_find),
		cmocka_unit_test(test_many_keys_and_order),
		cmocka_unit_test(test_sorted_mode),
		cmocka_unit_test(test_normalise),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
