/* Unit tests for the journal: the summary, bounds by size and age, views and IXFR chains. */
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/store/journal.h"
#include "shared/store/store.h"
#include "shared/dns/wire.h"

#define ZONE 7u

static int setup(void **state)
{
	journal_set_limits(JOURNAL_DEFAULT_MAX_SIZE, JOURNAL_DEFAULT_MAX_AGE);
	return unit_store_setup(state);
}

static int teardown(void **state)
{
	journal_set_limits(JOURNAL_DEFAULT_MAX_SIZE, JOURNAL_DEFAULT_MAX_AGE);
	return unit_store_teardown(state);
}

/* Writes one entry from -> to at time now, with pad bytes of TXT RDATA added. */
static void put(struct unit_store *f, uint64_t seq, uint32_t from, uint32_t to, int64_t now,
                size_t pad)
{
	static uint8_t soa_old[22], soa_new[22], txt[4096];
	struct store_txn t;
	memset(soa_old, 0, sizeof(soa_old));
	memset(soa_new, 0, sizeof(soa_new));
	wire_put32(soa_old + 2, from);     /* root MNAME and RNAME, then the serial */
	wire_put32(soa_new + 2, to);
	memset(txt, 'x', sizeof(txt));
	txt[0] = 255;
	struct rr del[1] = { { .owner = N("example.com."), .rdata = soa_old, .ttl = 300, .type = 6,
	                       .rdlen = 22 } };
	struct rr add[2] = { { .owner = N("example.com."), .rdata = soa_new, .ttl = 300, .type = 6,
	                       .rdlen = 22 },
	                     { .owner = N("t.example.com."), .rdata = txt, .ttl = 300, .type = 16,
	                       .rdlen = (uint16_t)pad } };
	struct journal_entry e = { from, to, now, del, add, 1, pad ? 2 : 1 };
	unit_begin(f->st, true, &t);
	journal_put(&t, ZONE, seq, &e);
	assert_int_equal(store_commit(&t), 0);
}

static struct journal_info info(struct unit_store *f)
{
	struct store_txn t;
	struct journal_info i;
	unit_begin(f->st, false, &t);
	assert_int_equal(journal_info(&t, ZONE, &i), 0);
	store_abort(&t);
	return i;
}

/* journal_find from -> to with last as the zone's newest sequence: the first sequence or -1. */
static int64_t find(struct unit_store *f, uint64_t last, uint32_t from, uint32_t to)
{
	struct store_txn t;
	uint64_t first = 0;
	unit_begin(f->st, false, &t);
	int rc = journal_find(&t, ZONE, last, from, to, &first);
	store_abort(&t);
	if (rc == LS_ENOTFOUND)
		return -1;
	assert_int_equal(rc, 0);
	return (int64_t)first;
}

static void test_chain(void **state)
{
	struct unit_store *f = *state;
	struct journal_info i = info(f);
	assert_int_equal(i.count, 0);
	for (uint64_t s = 1; s <= 4; s++)
		put(f, s, (uint32_t)(10 + s), (uint32_t)(11 + s), 1000, 10);
	i = info(f);
	assert_int_equal(i.first, 1);
	assert_int_equal(i.last, 4);
	assert_int_equal(i.count, 4);
	assert_true(i.bytes > 4 * JOURNAL_HDR);
	assert_int_equal(find(f, 4, 11, 15), 1);     /* serial 11 -> 15: all four entries */
	assert_int_equal(find(f, 4, 13, 15), 3);
	assert_int_equal(find(f, 4, 14, 15), 4);
	assert_int_equal(find(f, 4, 10, 15), -1);    /* older than the journal */
	assert_int_equal(find(f, 4, 99, 15), -1);    /* never a serial of the zone */
	assert_int_equal(find(f, 4, 11, 16), -1);    /* the chain must end at the current serial */
	assert_int_equal(find(f, 5, 11, 15), -1);    /* the zone's newest change is not journaled */

	/* The view gives the records in order: removed (old SOA first), then added. */
	struct store_txn t;
	struct journal_view v;
	struct rr rr;
	size_t pos = JOURNAL_HDR;
	unit_begin(f->st, false, &t);
	assert_int_equal(journal_view(&t, ZONE, 2, &v), 0);
	assert_int_equal(v.from_serial, 12);
	assert_int_equal(v.to_serial, 13);
	assert_int_equal(v.ndel, 1);
	assert_int_equal(v.nadd, 2);
	assert_int_equal(journal_view_next(&v, &pos, &rr), 1);
	assert_int_equal(rr.type, 6);
	assert_int_equal(wire_get32(rr.rdata + 2), 12);
	assert_int_equal(journal_view_next(&v, &pos, &rr), 1);
	assert_int_equal(wire_get32(rr.rdata + 2), 13);
	assert_int_equal(journal_view_next(&v, &pos, &rr), 1);
	assert_int_equal(rr.type, 16);
	assert_int_equal(rr.rdlen, 10);
	assert_int_equal(journal_view_next(&v, &pos, &rr), 0);
	assert_int_equal(journal_view(&t, ZONE, 0, &v), LS_ESTORE);   /* the summary is no entry */
	assert_int_equal(journal_view(&t, ZONE, 9, &v), LS_ENOTFOUND);
	store_abort(&t);
}

static void test_size_bound(void **state)
{
	struct unit_store *f = *state;
	journal_set_limits(3000, JOURNAL_DEFAULT_MAX_AGE);
	for (uint64_t s = 1; s <= 6; s++)
		put(f, s, (uint32_t)s, (uint32_t)s + 1, 1000, 900);    /* about 1,000 bytes each */
	struct journal_info i = info(f);
	assert_true(i.bytes <= 3000);
	assert_int_equal(i.count, 2);
	assert_int_equal(i.first, 5);
	assert_int_equal(i.last, 6);
	assert_int_equal(find(f, 6, 5, 7), 5);
	assert_int_equal(find(f, 6, 1, 7), -1);      /* dropped: the full zone instead */
	/* An entry larger than the bound is not kept, nor anything before it. */
	put(f, 7, 7, 8, 1000, 3500);
	i = info(f);
	assert_int_equal(i.count, 0);
	assert_int_equal(i.bytes, 0);
	assert_int_equal(find(f, 7, 6, 8), -1);
	put(f, 8, 8, 9, 1000, 10);
	i = info(f);
	assert_int_equal(i.count, 1);
	assert_int_equal(i.first, 8);
	assert_int_equal(find(f, 8, 8, 9), 8);
	assert_int_equal(find(f, 8, 7, 9), -1);
	/* A size bound of 0 keeps no journal at all. */
	journal_set_limits(0, JOURNAL_DEFAULT_MAX_AGE);
	put(f, 9, 9, 10, 1000, 0);
	assert_int_equal(info(f).count, 0);
}

static void test_age_bound(void **state)
{
	struct unit_store *f = *state;
	journal_set_limits(JOURNAL_DEFAULT_MAX_SIZE, 100);
	put(f, 1, 1, 2, 1000, 10);
	put(f, 2, 2, 3, 1050, 10);
	assert_int_equal(info(f).count, 2);
	put(f, 3, 3, 4, 1120, 10);         /* the entry of time 1000 is now too old */
	struct journal_info i = info(f);
	assert_int_equal(i.count, 2);
	assert_int_equal(i.first, 2);
	put(f, 4, 4, 5, 5000, 10);         /* only the newest is young enough */
	i = info(f);
	assert_int_equal(i.count, 1);
	assert_int_equal(i.first, 4);
	assert_int_equal(find(f, 4, 4, 5), 4);
	assert_int_equal(find(f, 4, 3, 5), -1);
}

/* keep-journal: a backlog of old entries goes at most JOURNAL_PRUNE_MAX a commit; 0 keeps all. */
static void test_age_prune_bounded(void **state)
{
	struct unit_store *f = *state;
	uint64_t backlog = JOURNAL_PRUNE_MAX * 2 + 10;
	journal_set_limits(JOURNAL_DEFAULT_MAX_SIZE, 0);
	for (uint64_t s = 1; s <= backlog; s++)
		put(f, s, (uint32_t)s, (uint32_t)s + 1, 1000 + (int64_t)s, 10);
	assert_int_equal(info(f).count, backlog);       /* 0: no age bound at all */
	journal_set_limits(JOURNAL_DEFAULT_MAX_SIZE, 100);
	uint64_t s = backlog + 1;
	put(f, s, (uint32_t)s, (uint32_t)s + 1, 100000, 10);
	struct journal_info i = info(f);
	assert_int_equal(i.count, backlog + 1 - JOURNAL_PRUNE_MAX);
	assert_int_equal(i.first, JOURNAL_PRUNE_MAX + 1);
	assert_int_equal(find(f, s, (uint32_t)s, (uint32_t)s + 1), (int64_t)s);
	for (int n = 0; n < 3; n++, s++)
		put(f, s + 1, (uint32_t)s + 1, (uint32_t)s + 2, 100000, 10);
	i = info(f);
	assert_int_equal(i.count, 4);                   /* the backlog is gone, the new ones stay */
	assert_int_equal(i.first, backlog + 1);
	assert_int_equal(find(f, i.last, (uint32_t)backlog + 1, (uint32_t)i.last + 1),
	                 (int64_t)backlog + 1);
}

static void test_gap_drops_older(void **state)
{
	struct unit_store *f = *state;
	put(f, 1, 1, 2, 1000, 10);
	put(f, 2, 2, 3, 1000, 10);
	put(f, 5, 3, 4, 1000, 10);         /* not the next sequence: what came before is unusable */
	struct journal_info i = info(f);
	assert_int_equal(i.count, 1);
	assert_int_equal(i.first, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_age_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_age_prune_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap_drops_older, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
