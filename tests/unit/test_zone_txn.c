/* Unit tests for the store and zone transactions: commit, validation, serials, journal, history. */
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/store/history.h"
#include "shared/store/journal.h"
#include "shared/dns/rrtext.h"
#include "shared/store/store.h"
#include "shared/store/zone_txn.h"
#include "shared/store/zone_walk.h"

struct fixture {
	char *dir;
	struct store *st;
	struct arena a;
	struct rr_parser p;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->dir = temp_dir();
	assert_int_equal(store_open(&f->st, f->dir, 0), 0);
	unit_parser(&f->p, &f->a, "example.com.");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	unit_parser_free(&f->p, &f->a);
	store_close(f->st);
	rm_tree(f->dir);
	free(f);
	return 0;
}

static struct rr R(struct fixture *f, const char *text)
{
	return unit_rr(&f->p, text);
}

static const char *base[] = {
	"@ 3600 IN SOA ns1 hostmaster 10 3600 900 1209600 300",
	"@ 3600 IN NS ns1",
	"ns1 3600 IN A 192.0.2.1",
	"@ 300 IN MX 10 mx1",
	"mx1 300 IN A 192.0.2.10",
	NULL
};

/* Runs one edit: the records to add (NULL-terminated), with flags; returns commit's code. */
static int edit(struct fixture *f, unsigned flags, const char **add, struct diag *d,
                struct zone_diff *out)
{
	struct zone_txn *zt;
	struct zone_diff diff;
	int rc = zone_txn_begin(f->st, N("example.com."), flags, 0, "unit", &zt);
	if (rc)
		return rc;
	for (const char **s = add; s && *s; s++) {
		struct rr rr = R(f, *s);
		zone_txn_add(zt, &rr, d);
	}
	rc = zone_txn_commit(zt, d, &diff);
	if (out)
		*out = diff;     /* counts only: the records die with zt */
	zone_txn_free(zt);
	return rc;
}

static uint32_t serial_of(struct fixture *f)
{
	struct store_txn t;
	struct zone_info z;
	uint32_t serial = 0;
	assert_int_equal(store_begin(f->st, false, 0, &t), 0);
	if (zone_get(&t, N("example.com."), &z) == 0)
		assert_int_equal(zone_serial(&t, &z, &serial), 0);
	store_abort(&t);
	return serial;
}

static int count_rr(const struct rr *rr, void *ctx)
{
	size_t *n = ctx;
	if (*n == 0)
		assert_int_equal(rr->type, 6);    /* the SOA comes first */
	(*n)++;
	return 0;
}

static size_t records(struct fixture *f)
{
	struct store_txn t;
	struct zone_info z;
	size_t n = 0;
	assert_int_equal(store_begin(f->st, false, 0, &t), 0);
	if (zone_get(&t, N("example.com."), &z) == 0) {
		assert_int_equal(zone_walk(&t, &z, NULL, 0, count_rr, &n), 0);
		assert_int_equal(z.records, n);
	}
	store_abort(&t);
	return n;
}

static void test_create(void **state)
{
	struct fixture *f = *state;
	struct diag d;
	struct zone_diff diff;
	diag_init(&d);
	assert_int_equal(edit(f, ZONE_TXN_CREATE, base, &d, &diff), 0);
	assert_true(diff.created);
	assert_int_equal(diff.new_serial, 10);   /* a new zone keeps its file's serial */
	assert_int_equal(serial_of(f), 10);
	assert_int_equal(records(f), 5);
	/* Creating it again exclusively is refused. */
	assert_int_equal(edit(f, ZONE_TXN_CREATE | ZONE_TXN_EXCL, base, &d, NULL), LS_EEXIST);
	/* Editing a zone that does not exist without CREATE is refused. */
	struct zone_txn *zt;
	assert_int_equal(zone_txn_begin(f->st, N("other.org."), 0, 0, "unit", &zt), LS_ENOZONE);
	diag_free(&d);
}

static void test_invalid_changes_nothing(void **state)
{
	struct fixture *f = *state;
	struct diag d;
	diag_init(&d);
	const char *no_ns[] = { "@ 3600 IN SOA ns1 hostmaster 1 3600 900 1209600 300", NULL };
	assert_int_equal(edit(f, ZONE_TXN_CREATE, no_ns, &d, NULL), LS_EINVAL_ZONE);
	assert_int_equal(records(f), 0);
	assert_int_equal(edit(f, ZONE_TXN_CREATE, base, &d, NULL), 0);
	diag_free(&d);
	diag_init(&d);
	const char *cname[] = { "mx1 300 IN CNAME elsewhere.org.", NULL };
	assert_int_equal(edit(f, 0, cname, &d, NULL), LS_EINVAL_ZONE);
	assert_int_equal(d.errors, 1);
	assert_non_null(strstr(d.v[0].text, "CNAME"));
	assert_int_equal(serial_of(f), 10);
	assert_int_equal(records(f), 5);
	const char *outside[] = { "www.other.org. 300 IN A 192.0.2.9", NULL };
	assert_int_equal(edit(f, 0, outside, &d, NULL), LS_EINVAL_ZONE);
	assert_int_equal(records(f), 5);
	diag_free(&d);
}

static void test_edit_journal_history(void **state)
{
	struct fixture *f = *state;
	struct diag d;
	struct zone_diff diff;
	diag_init(&d);
	assert_int_equal(edit(f, ZONE_TXN_CREATE, base, &d, NULL), 0);
	const char *add[] = { "www 300 IN A 192.0.2.80", NULL };
	assert_int_equal(edit(f, 0, add, &d, &diff), 0);
	assert_int_equal(diff.old_serial, 10);
	assert_int_equal(diff.new_serial, 11);
	assert_int_equal(diff.ndel, 1);
	assert_int_equal(diff.nadd, 2);
	assert_int_equal(records(f), 6);
	/* The same record again changes nothing: no serial, no journal entry. */
	assert_int_equal(edit(f, 0, add, &d, NULL), LS_ENOCHANGE);
	assert_int_equal(serial_of(f), 11);

	struct store_txn t;
	struct zone_info z;
	struct arena a;
	struct journal_entry e;
	arena_init(&a);
	assert_int_equal(store_begin(f->st, false, 0, &t), 0);
	assert_int_equal(zone_get(&t, N("example.com."), &z), 0);
	assert_int_equal(z.journal_seq, 1);
	assert_int_equal(journal_get(&t, z.id, 1, &a, &e), 0);
	assert_int_equal(e.from_serial, 10);
	assert_int_equal(e.to_serial, 11);
	assert_int_equal(e.ndel, 1);
	assert_int_equal(e.nadd, 2);
	assert_int_equal(e.del[0].type, 6);     /* IXFR shape: old SOA, then new SOA first */
	assert_int_equal(e.add[0].type, 6);
	assert_int_equal(e.add[1].type, 1);
	assert_int_equal(journal_get(&t, z.id, 2, &a, &e), LS_ENOTFOUND);
	store_abort(&t);
	arena_free(&a);
	diag_free(&d);
}

static int count_history(const struct history_entry *e, void *ctx)
{
	size_t *n = ctx;
	assert_string_equal(e->source, "unit");
	(*n)++;
	return 0;
}

static void test_replace_and_ttl(void **state)
{
	struct fixture *f = *state;
	struct diag d;
	struct zone_diff diff;
	diag_init(&d);
	assert_int_equal(edit(f, ZONE_TXN_CREATE, base, &d, NULL), 0);
	/* A full replacement without the MX and mx1: both go; a TTL change is remove + add. */
	const char *next[] = { "@ 3600 IN SOA ns1 hostmaster 10 3600 900 1209600 300",
	                       "@ 3600 IN NS ns1", "ns1 60 IN A 192.0.2.1", NULL };
	assert_int_equal(edit(f, ZONE_TXN_REPLACE, next, &d, &diff), 0);
	assert_int_equal(diff.ndel, 1 + 2 + 1);  /* SOA, MX and mx1 A, old ns1 A */
	assert_int_equal(diff.nadd, 1 + 1);      /* SOA, ns1 A with its new TTL */
	assert_int_equal(records(f), 3);
	/* Differing TTLs inside one RRset: first wins, with a warning. */
	const char *ttl[] = { "a 100 IN A 192.0.2.1", "a 200 IN A 192.0.2.2", NULL };
	diag_free(&d);
	diag_init(&d);
	assert_int_equal(edit(f, 0, ttl, &d, NULL), 0);
	assert_int_equal(d.warnings, 1);
	assert_int_equal(d.errors, 0);
	size_t n = 0;
	struct store_txn t;
	assert_int_equal(store_begin(f->st, false, 0, &t), 0);
	assert_int_equal(history_list(&t, N("example.com."), count_history, &n), 0);
	store_abort(&t);
	assert_int_equal(n, 3);
	diag_free(&d);
}

static void test_readers_see_commits(void **state)
{
	struct fixture *f = *state;
	struct diag d;
	diag_init(&d);
	assert_int_equal(edit(f, ZONE_TXN_CREATE, base, &d, NULL), 0);
	/* A reader that began before a commit keeps its snapshot; the next one sees the commit. */
	struct store *other;
	assert_int_equal(store_open(&other, f->dir, STORE_RDONLY), 0);
	struct store_txn old;
	struct zone_info z;
	assert_int_equal(store_begin(other, false, 0, &old), 0);
	const char *add[] = { "new 300 IN TXT \"x\"", NULL };
	assert_int_equal(edit(f, 0, add, &d, NULL), 0);
	assert_int_equal(zone_get(&old, N("example.com."), &z), 0);
	assert_int_equal(z.records, 5);
	store_abort(&old);
	assert_int_equal(store_begin(other, false, 0, &old), 0);
	assert_int_equal(zone_get(&old, N("example.com."), &z), 0);
	assert_int_equal(z.records, 6);
	store_abort(&old);
	store_close(other);
	diag_free(&d);
}

static void test_map_grows(void **state)
{
	struct fixture *f = *state;
	size_t before = store_map_size(f->st);
	struct store_txn t;
	/* A writer that announces a large edit gets the room before it starts. */
	assert_int_equal(store_begin(f->st, true, before, &t), 0);
	store_abort(&t);
	assert_true(store_map_size(f->st) > before);
	assert_int_equal(store_grow(f->st), 0);
	(void)state;
}

static void test_serial_policy_and_explicit(void **state)
{
	struct fixture *f = *state;
	struct diag d;
	struct zone_diff diff;
	diag_init(&d);
	assert_int_equal(edit(f, ZONE_TXN_CREATE, base, &d, NULL), 0);
	/* An explicit serial ahead of the policy's next one is kept. */
	const char *soa[] = { "@ 3600 IN SOA ns1 hostmaster 500 3600 900 1209600 300", NULL };
	struct zone_txn *zt;
	assert_int_equal(zone_txn_begin(f->st, N("example.com."), 0, 0, "unit", &zt), 0);
	assert_int_equal(zone_txn_del_rrset(zt, N("example.com."), 6), 0);
	struct rr rr = R(f, soa[0]);
	assert_int_equal(zone_txn_add(zt, &rr, &d), 0);
	assert_int_equal(zone_txn_commit(zt, &d, &diff), 0);
	assert_int_equal(diff.new_serial, 500);
	zone_txn_free(zt);
	/* A serial behind the current one is replaced by the policy's next. */
	const char *low[] = { "@ 3600 IN SOA ns1 hostmaster 3 3600 900 1209600 60", NULL };
	assert_int_equal(zone_txn_begin(f->st, N("example.com."), 0, 0, "unit", &zt), 0);
	zone_txn_del_rrset(zt, N("example.com."), 6);
	rr = R(f, low[0]);
	assert_int_equal(zone_txn_add(zt, &rr, &d), 0);
	assert_int_equal(zone_txn_commit(zt, &d, &diff), 0);
	assert_int_equal(diff.new_serial, 501);
	zone_txn_free(zt);
	diag_free(&d);
}

static void test_delete_zone(void **state)
{
	struct fixture *f = *state;
	struct diag d;
	diag_init(&d);
	assert_int_equal(edit(f, ZONE_TXN_CREATE, base, &d, NULL), 0);
	struct store_txn t;
	struct zone_info z;
	assert_int_equal(store_begin(f->st, true, 0, &t), 0);
	assert_int_equal(zone_get(&t, N("example.com."), &z), 0);
	assert_int_equal(zone_delete(&t, &z), 0);
	assert_int_equal(store_commit(&t), 0);
	assert_int_equal(records(f), 0);
	assert_int_equal(serial_of(f), 0);
	/* Re-created under a new id, with nothing left over from before. */
	assert_int_equal(edit(f, ZONE_TXN_CREATE, base, &d, NULL), 0);
	assert_int_equal(records(f), 5);
	diag_free(&d);
}

/* A new zone from borrowed records is grouped by sorting: same results as record by record. */
static void test_create_borrowed(void **state)
{
	struct fixture *f = *state;
	struct diag d;
	struct zone_diff diff;
	struct zone_txn *zt;
	const char *text[] = { "www 300 IN A 192.0.2.2", "@ 3600 IN SOA ns1 hostmaster 7 3600 900 1209600 300",
	                       "www 600 IN A 192.0.2.1", "www 300 IN A 192.0.2.2", "ns1 3600 IN A 192.0.2.53",
	                       NULL };
	struct rr rrs[8];
	size_t n = 0;
	for (const char **s = text; *s; s++) {
		rrs[n] = R(f, *s);
		rrs[n].file = "z";
		rrs[n].line = (unsigned)n + 1;
		n++;
	}
	diag_init(&d);
	/* No NS yet: commit looks it up, which ends the sorted mode; the zone is refused. */
	assert_int_equal(zone_txn_begin(f->st, N("example.com."), ZONE_TXN_CREATE | ZONE_TXN_BORROW, 0,
	                                "unit", &zt), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(zone_txn_add(zt, &rrs[i], &d), 0);
	assert_int_equal(zone_txn_commit(zt, &d, &diff), LS_EINVAL_ZONE);
	zone_txn_free(zt);
	assert_non_null(strstr(d.v[d.n - 1].text, "no NS"));
	assert_int_equal(records(f), 0);
	diag_free(&d);

	diag_init(&d);
	rrs[n] = R(f, "@ 3600 IN NS ns1");
	n++;
	assert_int_equal(zone_txn_begin(f->st, N("example.com."), ZONE_TXN_CREATE | ZONE_TXN_BORROW, 0,
	                                "unit", &zt), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(zone_txn_add(zt, &rrs[i], &d), 0);
	assert_int_equal(zone_txn_commit(zt, &d, &diff), 0);
	zone_txn_free(zt);
	/* www: the last TTL wins, as in Knot: 600 at line 3, 300 again at line 4 (a duplicate). */
	assert_int_equal(d.warnings, 3);
	assert_int_equal(diff.records, 5);
	assert_int_equal(records(f), 5);
	bool ttl_warned = false, dup_warned = false;
	for (size_t i = 0; i < d.n; i++) {
		ttl_warned |= d.v[i].line == 3 && strstr(d.v[i].text, "gets 600") != NULL;
		dup_warned |= d.v[i].line == 4 && strstr(d.v[i].text, "duplicate") != NULL;
	}
	assert_true(ttl_warned);
	assert_true(dup_warned);
	diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edit_journal_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_and_ttl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readers_see_commits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_grows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_serial_policy_and_explicit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_zone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_borrowed, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
