/* Unit tests for the bump allocator: alignment, chunking, copies and reuse after free. */
#include "tests/unit/unit.h"
#include "shared/util/arena.h"

static void test_alignment_and_total(void **state)
{
	static const size_t sizes[] = { 1, 3, 8, 13, 0, 64 };
	struct arena a;
	unsigned char *prev = NULL;
	arena_init(&a);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *p = arena_alloc(&a, sizes[i]);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 8, 0);
		/* Objects follow each other in the chunk, each rounded up to 8 bytes. */
		if (prev != NULL)
			assert_int_equal(p - prev, (sizes[i - 1] + 7) & ~(size_t)7);
		memset(p, 0xa5, sizes[i]);
		prev = p;
	}
	assert_int_equal(a.total, 8 + 8 + 8 + 16 + 0 + 64);
	assert_int_equal(a.used, a.total);
	arena_free(&a);
	(void)state;
}

static void test_chunks_keep_earlier_objects(void **state)
{
	enum { N = 1200, SIZE = 4000 };   /* about 4.6 MiB: several 1 MiB chunks */
	unsigned char *p[N];
	struct arena a;
	arena_init(&a);
	for (int i = 0; i < N; i++) {
		p[i] = arena_alloc(&a, SIZE);
		assert_non_null(p[i]);
		memset(p[i], i & 0xff, SIZE);
	}
	for (int i = 0; i < N; i++) {
		assert_int_equal(p[i][0], i & 0xff);
		assert_int_equal(p[i][SIZE - 1], i & 0xff);
	}
	assert_int_equal(a.total, (size_t)N * SIZE);
	assert_true(a.used <= (1u << 20));
	arena_free(&a);
	(void)state;
}

static void test_large_object_gets_own_chunk(void **state)
{
	struct arena a;
	arena_init(&a);
	unsigned char *small = arena_alloc(&a, 16);
	size_t big = (3u << 20) + 5;
	unsigned char *p = arena_alloc(&a, big);
	assert_non_null(p);
	memset(p, 1, big);
	assert_int_equal(a.used, (big + 7) & ~(size_t)7);   /* its chunk is exactly its size */
	unsigned char *after = arena_alloc(&a, 8);          /* does not fit behind it */
	assert_non_null(after);
	assert_int_equal(a.used, 8);
	assert_true(after < p || after >= p + big);
	assert_true(after != small + 16);
	arena_free(&a);
	(void)state;
}

static void test_dup_and_free(void **state)
{
	struct arena a;
	arena_init(&a);
	const char text[] = "lockstep";
	char *s = arena_dup(&a, text, sizeof(text));
	assert_non_null(s);
	assert_ptr_not_equal(s, text);
	assert_string_equal(s, text);
	assert_non_null(arena_dup(&a, NULL, 0));   /* zero bytes copy nothing */
	arena_free(&a);
	assert_null(a.head);
	assert_int_equal(a.used, 0);
	assert_int_equal(a.total, 0);
	/* Usable again after arena_free, and freeing twice is harmless. */
	assert_non_null(arena_alloc(&a, 24));
	assert_int_equal(a.total, 24);
	arena_free(&a);
	arena_free(&a);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alignment_and_total),
		cmocka_unit_test(test_chunks_keep_earlier_objects),
		cmocka_unit_test(test_large_object_gets_own_chunk),
		cmocka_unit_test(test_dup_and_free),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
