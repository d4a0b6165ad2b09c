/* Unit tests for zone walks (SOA first, then canonical order; filters by owner and type) and
 * the master-file export that reads back to the same records. */
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/store/zone_walk.h"

/* One zone in the store, its RRsets put in a scrambled order. */
static const char *const sets[][3] = {
	{ "b.sub 60 TXT \"b\"" },
	{ "www 300 A 192.0.2.2", "www 300 A 192.0.2.1" },
	{ "@ 300 MX 10 mx" },
	{ "sub 300 NS ns.sub" },
	{ "*.sub 60 TXT \"w\"" },
	{ "@ 3600 SOA ns1 hostmaster 17 1h 15m 2w 60" },
	{ "a 300 AAAA 2001:db8::a" },
	{ "@ 300 NS ns1" },
	{ "a 300 A 192.0.2.10" },
	{ "sub 300 A 192.0.2.3" },
};

/* The walk's order: SOA, then names in canonical order, types in number order, the RRset's
 * records as stored. */
static const char *const walk_order[] = {
	"example.com.\t3600\tIN\tSOA\tns1.example.com. hostmaster.example.com. 17 3600 900 1209600 60",
	"example.com.\t300\tIN\tNS\tns1.example.com.",
	"example.com.\t300\tIN\tMX\t10 mx.example.com.",
	"a.example.com.\t300\tIN\tA\t192.0.2.10",
	"a.example.com.\t300\tIN\tAAAA\t2001:db8::a",
	"sub.example.com.\t300\tIN\tA\t192.0.2.3",
	"sub.example.com.\t300\tIN\tNS\tns.sub.example.com.",
	"*.sub.example.com.\t60\tIN\tTXT\t\"w\"",
	"b.sub.example.com.\t60\tIN\tTXT\t\"b\"",
	"www.example.com.\t300\tIN\tA\t192.0.2.2",
	"www.example.com.\t300\tIN\tA\t192.0.2.1",
};

struct walk_fixture {
	struct unit_store *u;
	struct zone_info z;
	struct store_txn t;
};

static int setup(void **state)
{
	struct walk_fixture *f = calloc(1, sizeof(*f));
	void *u;
	unit_store_setup(&u);
	f->u = u;
	f->z.id = 5;
	memcpy(f->z.apex, N("example.com."), 13);
	/* A neighbour zone on each side of the id, so a walk must stop at its own. */
	static const char *const other[] = { "@ 1 A 192.0.2.99" };
	unit_begin(f->u->st, true, &f->t);
	zone_put(&f->t, &f->z);
	unit_put_rrset(&f->t, 4, N("example.com."), other, 1);
	unit_put_rrset(&f->t, 6, N("example.com."), other, 1);
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		size_t n = 0;
		while (n < 3 && sets[i][n])
			n++;
		unit_put_rrset(&f->t, f->z.id, f->z.apex, sets[i], n);
	}
	assert_int_equal(store_commit(&f->t), 0);
	unit_begin(f->u->st, false, &f->t);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct walk_fixture *f = *state;
	void *u = f->u;
	store_abort(&f->t);
	unit_store_teardown(&u);
	free(f);
	return 0;
}

static int collect(const struct rr *rr, void *ctx)
{
	char *line = rr_format(rr);
	assert_non_null(line);
	int rc = unit_saw(ctx, "%s", line);
	free(line);
	return rc;
}

/* A walk with filters, as a listing for unit_expect_listing(). */
struct walk {
	struct walk_fixture *f;
	const char *owner;
	uint16_t type;
};

static int list(void *arg, struct unit_seen *s)
{
	struct walk *w = arg;
	return zone_walk(&w->f->t, &w->f->z, w->owner ? N(w->owner) : NULL, w->type, collect, s);
}

/* Walks with the filters (stopping after each record, too) and checks the lines seen. */
static void expect_walk(struct walk_fixture *f, const char *owner, uint16_t type,
                        const char *const *want, size_t nwant)
{
	struct walk w = { f, owner, type };
	unit_expect_listing(list, &w, want, nwant);
}

static void test_full_walk_order(void **state)
{
	struct walk_fixture *f = *state;
	expect_walk(f, NULL, 0, walk_order, sizeof(walk_order) / sizeof(walk_order[0]));
}

static void test_filters(void **state)
{
	struct walk_fixture *f = *state;
	expect_walk(f, "sub.example.com.", 0, walk_order + 5, 2);     /* not the names below it */
	expect_walk(f, "Sub.Example.com.", 2, walk_order + 6, 1);
	expect_walk(f, "www.example.com.", 1, walk_order + 9, 2);
	expect_walk(f, "example.com.", 6, walk_order, 1);
	/* At one owner the types come in number order: the SOA leads only full walks. */
	const char *const apex[] = { walk_order[1], walk_order[0], walk_order[2] };
	expect_walk(f, "example.com.", 0, apex, 3);
	expect_walk(f, NULL, 6, walk_order, 1);                       /* the SOA alone */
	const char *const a[] = { walk_order[3], walk_order[5], walk_order[9], walk_order[10] };
	expect_walk(f, NULL, 1, a, 4);                                /* every A, in order */
	const char *const txt[] = { walk_order[7], walk_order[8] };
	expect_walk(f, NULL, 16, txt, 2);
	expect_walk(f, "nothing.example.com.", 0, NULL, 0);
	expect_walk(f, "www.example.com.", 28, NULL, 0);
	expect_walk(f, NULL, 99, NULL, 0);
	struct unit_seen s = { .n = 0 };
	assert_int_equal(zone_walk(&f->t, &f->z, N("example.org."), 0, collect, &s), LS_ENOTFOUND);
	assert_int_equal(s.n, 0);
}

static void test_export_reads_back(void **state)
{
	struct walk_fixture *f = *state;
	char *text = NULL, *save = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	assert_int_equal(zone_export(&f->t, &f->z, out), 0);
	assert_int_equal(fclose(out), 0);
	const char head[] = ";; zone example.com. serial 17, exported by Lockstep\n"
	                    "$ORIGIN example.com.\n";
	assert_memory_equal(text, head, sizeof(head) - 1);
	/* Each line is the walk's, and parses back (against another origin) to the same text. */
	struct arena a;
	struct rr_parser p;
	size_t i = 0;
	unit_parser(&p, &a, "elsewhere.example.");
	for (char *line = strtok_r(text + sizeof(head) - 1, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), i++) {
		struct rr rr;
		char err[256];
		assert_true(i < sizeof(walk_order) / sizeof(walk_order[0]));
		assert_string_equal(line, walk_order[i]);
		assert_int_equal(rr_parse(&p, line, &rr, err, sizeof(err)), 0);
		char *again = rr_format(&rr);
		assert_string_equal(again, line);
		free(again);
	}
	assert_int_equal(i, sizeof(walk_order) / sizeof(walk_order[0]));
	unit_parser_free(&p, &a);
	free(text);
	/* A zone without a SOA cannot be exported. */
	struct zone_info empty = { .id = 77 };
	memcpy(empty.apex, N("example.org."), 13);
	out = open_memstream(&text, &len);
	assert_int_equal(zone_export(&f->t, &empty, out), LS_ESTORE);
	fclose(out);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_walk_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_reads_back, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
