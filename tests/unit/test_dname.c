/* Unit tests for shared/dname: wire names, lookup-format keys and their order. */
#include "tests/unit/unit.h"

static void test_parse_and_format(void **state)
{
	char out[DNAME_STR_MAX];
	uint8_t n[DNAME_MAX];
	const uint8_t *origin = N("example.com.");
	assert_int_equal(dname_parse(n, "www", origin), 17);
	assert_string_equal(dname_format(out, n), "www.example.com.");
	assert_int_equal(dname_parse(n, "@", origin), 13);
	assert_string_equal(dname_format(out, n), "example.com.");
	assert_int_equal(dname_parse(n, "a\\.b.c.", NULL), 7);
	assert_string_equal(dname_format(out, n), "a\\.b.c.");
	assert_int_equal(dname_parse(n, "\\000x.", NULL), 4);
	assert_string_equal(dname_format(out, n), "\\000x.");
	assert_true(dname_parse(n, "a..b.", NULL) < 0);
	assert_true(dname_parse(n, "rel", NULL) < 0);
	char label[70];
	memset(label, 'a', 64);
	strcpy(label + 64, ".");
	assert_true(dname_parse(n, label, NULL) < 0);   /* label over 63 */
	char longname[300] = "";
	for (int i = 0; i < 64; i++)
		strcat(longname, "abc.");
	assert_true(dname_parse(n, longname, NULL) < 0);  /* name over 255 */
	(void)state;
}

static void test_compare(void **state)
{
	/* RFC 4034 6.1's example order. */
	const char *sorted[] = { "example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.",
	                         "zABC.a.EXAMPLE.", "z.example.", "\\001.z.example.", "*.z.example.",
	                         "\\200.z.example." };
	size_t n = sizeof(sorted) / sizeof(sorted[0]);
	for (size_t i = 0; i + 1 < n; i++) {
		uint8_t a[DNAME_MAX], b[DNAME_MAX];
		memcpy(a, N(sorted[i]), DNAME_MAX);
		memcpy(b, N(sorted[i + 1]), DNAME_MAX);
		assert_true(dname_cmp(a, b) < 0);
		assert_true(dname_cmp(b, a) > 0);
		/* The lookup-format keys sort the same way under memcmp. */
		uint8_t ka[DNAME_LF_MAX], kb[DNAME_LF_MAX];
		static const uint8_t root[1] = { 0 };
		int la = dname_lf(ka, a, root), lb = dname_lf(kb, b, root);
		int m = la < lb ? la : lb;
		int c = memcmp(ka, kb, (size_t)m);
		assert_true(c < 0 || (c == 0 && la < lb));
	}
	assert_int_equal(dname_cmp(N("A.Example."), N("a.example.")), 0);
	assert_true(dname_equal(N("A.Example."), N("a.example.")));
	(void)state;
}

static void test_lf_roundtrip(void **state)
{
	uint8_t key[DNAME_LF_MAX], back[DNAME_MAX], name[DNAME_MAX];
	const uint8_t *apex = N("example.com.");
	memcpy(name, N("\\000\\001x.Sub.example.com."), DNAME_MAX);
	int kl = dname_lf(key, name, apex);
	assert_true(kl > 0);
	int bl = dname_from_lf(back, key, (size_t)kl, apex);
	assert_int_equal(bl, dname_wire_len(name, DNAME_MAX));
	dname_lower(name);
	assert_memory_equal(back, name, (size_t)bl);
	/* The apex itself has an empty key. */
	assert_int_equal(dname_lf(key, apex, apex), 0);
	assert_int_equal(dname_lf(key, N("other.org."), apex) < 0 || !dname_is_sub(N("other.org."), apex), 1);
	(void)state;
}

static void test_subdomain_and_hostname(void **state)
{
	assert_true(dname_is_sub(N("a.b.example.com."), N("example.com.")));
	assert_true(dname_is_sub(N("example.com."), N("example.com.")));
	assert_false(dname_is_sub(N("badexample.com."), N("example.com.")));
	assert_false(dname_is_sub(N("com."), N("example.com.")));
	assert_true(dname_is_hostname(N("mx-1.example.com.")));
	assert_false(dname_is_hostname(N("_dmarc.example.com.")));
	assert_false(dname_is_hostname(N("-a.example.com.")));
	assert_true(dname_is_hostname(N(".")));
	(void)state;
}

static void test_wire_len(void **state)
{
	const uint8_t ok[] = "\3www\7example\3com";
	assert_int_equal(dname_wire_len(ok, sizeof(ok)), 17);
	assert_int_equal(dname_wire_len(ok, 5), -1);               /* runs past the buffer */
	const uint8_t ptr[] = { 0xc0, 0x0c };
	assert_int_equal(dname_wire_len(ptr, sizeof(ptr)), -1);    /* compression pointer */
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_format),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_lf_roundtrip),
		cmocka_unit_test(test_subdomain_and_hostname),
		cmocka_unit_test(test_wire_len),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
