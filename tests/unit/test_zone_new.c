/* Unit tests for a new zone written RRset by RRset: order, merging, checks, writes stop at an error. */
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/dns/rrtext.h"
#include "shared/store/store.h"
#include "shared/store/zone_check.h"
#include "shared/store/zone_new.h"

#define ZONE_ID 7
#define MAX_RR 32

struct fixture {
	struct unit_store *u;
	struct arena a;
	struct rr_parser p;
	struct rr rr[MAX_RR];
	const struct rr *ptr[MAX_RR];
	size_t n;
	struct zone_info z;
	struct store_txn t;         /* the run's transaction, aborted by teardown */
	struct diag d;
	struct zone_new out;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	unit_store_setup((void **)&f->u);
	unit_parser(&f->p, &f->a, "example.com.");
	diag_init(&f->d);
	f->z.id = ZONE_ID;
	memcpy(f->z.apex, N("example.com."), (size_t)dname_wire_len(N("example.com."), DNAME_MAX));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_abort(&f->t);
	diag_free(&f->d);
	unit_parser_free(&f->p, &f->a);
	unit_store_teardown((void **)&f->u);
	free(f);
	return 0;
}

/* Parses lines (NULL-terminated) as the records of a file, line numbers from 1. */
static void records(struct fixture *f, const char **lines)
{
	f->n = 0;
	for (const char **s = lines; *s; s++) {
		assert_true(f->n < MAX_RR);
		f->rr[f->n] = unit_rr(&f->p, *s);
		f->rr[f->n].file = "z.zone";
		f->rr[f->n].line = (unsigned)(f->n + 1);
		f->ptr[f->n] = &f->rr[f->n];
		f->n++;
	}
}

/* Runs zone_new_write on lines in a write transaction left open (f->t), results in f. */
static void run(struct fixture *f, const char **lines, bool write)
{
	records(f, lines);
	unit_begin(f->u->st, true, &f->t);
	assert_int_equal(zone_new_write(&f->t, &f->z, f->ptr, f->n, write, &f->d, &f->out), 0);
}

/* The stored RRset of name/type in t: its record count, or -1 when absent; *ttl its TTL. */
static int stored(struct store_txn *t, const char *name, uint16_t type, uint32_t *ttl)
{
	uint8_t key[RRSET_KEY_MAX];
	struct rrset_view v;
	MDB_val val;
	int kl = rrset_key(key, ZONE_ID, N(name), N("example.com."), type);
	assert_true(kl > 0);
	if (store_get(t, STORE_RRSETS, key, (size_t)kl, &val) != 0)
		return -1;
	assert_int_equal(rrset_decode(val.mv_data, val.mv_size, &v), 0);
	if (ttl)
		*ttl = v.ttl;
	return v.count;
}

/* Keys in file order that is not key order; a duplicate; a TTL that changes mid-RRset. */
static void test_groups_in_key_order(void **state)
{
	struct fixture *f = *state;
	static const char *lines[] = {
		"zz 300 IN A 192.0.2.9",
		"@ 3600 IN SOA ns1 hostmaster 42 3600 900 1209600 300",
		"www 300 IN A 192.0.2.2",
		"@ 3600 IN NS ns1",
		"www 300 IN A 192.0.2.1",
		"ns1 3600 IN A 192.0.2.53",
		"www 600 IN A 192.0.2.1",     /* a duplicate, with the RRset's last TTL */
		"a.b 300 IN TXT \"x\"",
		NULL
	};
	uint32_t ttl = 0;
	run(f, lines, true);
	assert_false(f->out.bad);
	assert_int_equal(f->d.errors, 0);
	assert_true(f->d.warnings >= 2);      /* the TTL change and the duplicate */
	assert_int_equal(f->out.records, 7);
	assert_true(f->out.soa && f->out.ns);
	assert_int_equal(f->out.serial, 42);
	assert_int_equal(f->out.soa_line, 2);
	assert_int_equal(stored(&f->t, "www.example.com.", T_A, &ttl), 2);
	assert_int_equal(ttl, 600);
	assert_int_equal(stored(&f->t, "zz.example.com.", T_A, NULL), 1);
	assert_int_equal(stored(&f->t, "a.b.example.com.", T_TXT, NULL), 1);
	assert_int_equal(stored(&f->t, "example.com.", T_SOA, NULL), 1);
}

/* An error part-way through: RRsets sorting after it are not written, every error is seen. */
static void test_writes_stop_at_first_error(void **state)
{
	struct fixture *f = *state;
	static const char *lines[] = {
		"@ 3600 IN SOA ns1 hostmaster 1 3600 900 1209600 300",
		"@ 3600 IN NS ns1",
		"ns1 3600 IN A 192.0.2.53",
		"a 300 IN A 192.0.2.5",
		"m 300 IN A 192.0.2.1",
		"m 300 IN CNAME a",            /* CNAME and other data */
		"x 300 IN DNAME example.net.",
		"y.x 300 IN A 192.0.2.3",      /* below a DNAME */
		"z 300 IN A 192.0.2.4",
		NULL
	};
	run(f, lines, true);
	assert_true(f->out.bad);
	assert_int_equal(f->d.errors, 2);
	/* Canonical order: the apex, a, m (the error), ns1, x, y.x, z. */
	assert_int_equal(stored(&f->t, "example.com.", T_SOA, NULL), 1);      /* before the error */
	assert_int_equal(stored(&f->t, "a.example.com.", T_A, NULL), 1);
	assert_int_equal(stored(&f->t, "ns1.example.com.", T_A, NULL), -1);   /* after it */
	assert_int_equal(stored(&f->t, "z.example.com.", T_A, NULL), -1);
	assert_int_equal(stored(&f->t, "x.example.com.", T_DNAME, NULL), -1);
}

/* Checking only: nothing is written, the apex is still reported. */
static void test_check_only_writes_nothing(void **state)
{
	struct fixture *f = *state;
	static const char *lines[] = {
		"www 300 IN A 192.0.2.1",
		"@ 3600 IN SOA ns1 hostmaster 5 3600 900 1209600 300",
		NULL
	};
	run(f, lines, false);
	assert_false(f->out.bad);
	assert_true(f->out.soa);
	assert_false(f->out.ns);
	assert_int_equal(f->out.records, 2);
	assert_int_equal(stored(&f->t, "www.example.com.", T_A, NULL), -1);
	assert_int_equal(stored(&f->t, "example.com.", T_SOA, NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_groups_in_key_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writes_stop_at_first_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_only_writes_nothing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
