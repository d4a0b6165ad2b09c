/* Unit tests for dnsd's answer cache: the same bytes as a built answer, and nothing stale. */
#include <ldns/ldns.h>
#include "tests/unit/unit.h"
#include "dnsd/answer.h"
#include "dnsd/answer_cache.h"
#include "shared/dns/dname.h"
#include "shared/dns/wire.h"
#include "shared/store/zone_ops.h"
#include "shared/store/zone_txn.h"

struct fixture {
	char *dir;
	struct store *st;
	struct store_txn t;
	MDB_cursor *cur;
	struct answer_cache cache;
};

static const char zone[] =
	"$ORIGIN example.com.\n$TTL 300\n"
	"@ SOA ns1 hostmaster 7 3600 900 1209600 60\n@ NS ns1\nns1 A 192.0.2.1\n"
	"@ MX 10 mx1\nmx1 A 192.0.2.25\nwww A 192.0.2.80\nalias CNAME www\n"
	"*.wild TXT \"wild\"\nsub NS ns.sub\nns.sub A 192.0.2.53\nd DNAME tgt\nx.tgt A 192.0.2.9\n"
	"big TXT \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaa\"\n"
	"big TXT \"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	"bbbbbbbbbbbbbbbbbbbbbbbb\"\n"
	"big TXT \"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
	"ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
	"cccccccccccccccccccccccc\"\n";

static void begin(struct fixture *f)
{
	assert_int_equal(store_begin(f->st, false, 0, &f->t), 0);
	assert_int_equal(store_cursor(&f->t, STORE_RRSETS, &f->cur), 0);
	answer_cache_sync(&f->cache, mdb_txn_id(f->t.txn));
}

static void end(struct fixture *f)
{
	mdb_cursor_close(f->cur);
	store_abort(&f->t);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->dir = temp_dir();
	assert_int_equal(store_open(&f->st, f->dir, 0), 0);
	unit_import(f->st, zone, "example.com.");
	assert_int_equal(answer_cache_init(&f->cache, ANSWER_CACHE_MIN), 0);
	begin(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	end(f);
	answer_cache_free(&f->cache);
	store_close(f->st);
	rm_tree(f->dir);
	free(f);
	return 0;
}

/* The query for name/type with id, EDNS payload edns (0: none), in wire form. */
static size_t query(uint8_t *buf, const char *name, ldns_rr_type type, uint16_t id,
                    uint16_t edns)
{
	ldns_pkt *q = NULL;
	uint8_t *wire;
	size_t len;
	assert_int_equal(ldns_pkt_query_new_frm_str(&q, name, type, LDNS_RR_CLASS_IN, 0),
	                 LDNS_STATUS_OK);
	ldns_pkt_set_id(q, id);
	if (edns) {
		ldns_pkt_set_edns_udp_size(q, edns);
		ldns_pkt_set_edns_do(q, true);
	}
	assert_int_equal(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
	ldns_pkt_free(q);
	assert_true(len <= 512);
	memcpy(buf, wire, len);
	free(wire);
	return len;
}

static size_t ask(struct fixture *f, struct answer_cache *c, const uint8_t *q, size_t qlen,
                  bool tcp, uint8_t *out, size_t cap, struct answer_info *info)
{
	static const struct answer_opts o = { .udp_max = 1232, .rrl = true };
	return answer_query(&f->t, f->cur, c, &o, q, qlen, out, cap, tcp, NULL, info);
}

struct question {
	const char *name;
	ldns_rr_type type;
	uint16_t edns;
	bool tcp;
};

static const struct question questions[] = {
	{ "example.com.", LDNS_RR_TYPE_MX, 0, false },
	{ "EXAMPLE.com.", LDNS_RR_TYPE_MX, 0, false },       /* the cached answer, its case kept */
	{ "nope.Example.com.", LDNS_RR_TYPE_A, 0, false },   /* NXDOMAIN with the SOA */
	{ "www.example.com.", LDNS_RR_TYPE_AAAA, 1232, false },   /* NODATA, EDNS */
	{ "Alias.example.com.", LDNS_RR_TYPE_A, 0, false },  /* CNAME and its target */
	{ "x.WILD.example.com.", LDNS_RR_TYPE_TXT, 0, false },
	{ "www.sub.example.com.", LDNS_RR_TYPE_A, 0, false },    /* a referral: no AA */
	{ "x.d.example.com.", LDNS_RR_TYPE_A, 0, false },        /* DNAME */
	{ "big.example.com.", LDNS_RR_TYPE_TXT, 0, false },      /* TC: not kept */
	{ "big.example.com.", LDNS_RR_TYPE_TXT, 1232, false },   /* fits with EDNS */
	{ "big.example.com.", LDNS_RR_TYPE_TXT, 0, true },
	{ "other.org.", LDNS_RR_TYPE_A, 0, false },              /* REFUSED: never cached */
};

/* Every answer, asked three times with different ids: byte for byte the one built uncached. */
static void test_same_bytes(void **state)
{
	struct fixture *f = *state;
	static uint8_t want[65535], got[65535];
	uint8_t q[512];
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < sizeof(questions) / sizeof(questions[0]); i++) {
			const struct question *e = &questions[i];
			struct answer_info wi, gi;
			size_t ql = query(q, e->name, e->type, (uint16_t)(1000 * round + i), e->edns);
			size_t wl = ask(f, NULL, q, ql, e->tcp, want, sizeof(want), &wi);
			size_t gl = ask(f, &f->cache, q, ql, e->tcp, got, sizeof(got), &gi);
			if (wl != gl || memcmp(want, got, wl) != 0)
				fail_msg("%s/%d round %d: the cached answer differs", e->name, e->type, round);
			assert_int_equal(wi.rcode, gi.rcode);
			assert_int_equal(wi.truncated, gi.truncated);
			assert_int_equal(wi.rrl_class, gi.rrl_class);
			assert_true(wi.rrl_name == gi.rrl_name);
		}
	}
	/* Kept: all but REFUSED, the truncated one; EXAMPLE.com MX is example.com MX's. */
	assert_true(f->cache.hits >= 2 * 9 + 1);
}

/* A commit makes a new snapshot: the next answer is the new data, not the kept one. */
static void test_change_invalidates(void **state)
{
	struct fixture *f = *state;
	uint8_t q[512], out[512];
	struct answer_info info;
	size_t ql = query(q, "www.example.com.", LDNS_RR_TYPE_A, 1, 0);
	for (int i = 0; i < 2; i++) {
		size_t n = ask(f, &f->cache, q, ql, false, out, sizeof(out), &info);
		assert_int_equal(memcmp(out + n - 4, (uint8_t[]){ 192, 0, 2, 80 }, 4), 0);
	}
	assert_int_equal(f->cache.hits, 1);
	uint64_t before = f->cache.snapshot;
	end(f);
	/* The same zone with www moved: a whole-zone replace, committed. */
	char changed[sizeof(zone)];
	memcpy(changed, zone, sizeof(zone));
	char *www = strstr(changed, "www A 192.0.2.80");
	assert_non_null(www);
	memcpy(www, "www A 192.0.2.81", strlen("www A 192.0.2.81"));
	struct zonefile zf;
	struct diag d;
	struct zone_result res;
	zonefile_init(&zf);
	diag_init(&d);
	assert_int_equal(zonefile_read_mem(&zf, "z", changed, strlen(changed), N("example.com."),
	                                   300, &d), 0);
	assert_int_equal(zone_ops_import(f->st, &zf, ZONE_TXN_REPLACE, SERIAL_INCREMENT, NULL,
	                                 "unit", &d, &res), 0);
	zone_result_free(&res);
	zonefile_free(&zf);
	diag_free(&d);
	begin(f);
	assert_true(f->cache.snapshot != before);
	size_t n = ask(f, &f->cache, q, ql, false, out, sizeof(out), &info);
	assert_int_equal(memcmp(out + n - 4, (uint8_t[]){ 192, 0, 2, 81 }, 4), 0);
	assert_int_equal(f->cache.hits, 1);       /* that one was built again */
}

/* The hash a batch prefetches with: the question's, whatever its case; 0 when it does not parse. */
static void test_hash(void **state)
{
	(void)state;
	uint8_t a[512], b[512];
	size_t al = query(a, "www.example.com.", LDNS_RR_TYPE_A, 1, 0);
	size_t bl = query(b, "WwW.EXAMPLE.com.", LDNS_RR_TYPE_A, 2, 1232);
	uint64_t h = answer_cache_hash(a, al);
	assert_true(h != 0);
	assert_true(answer_cache_hash(b, bl) == h);
	size_t cl = query(b, "www.example.com.", LDNS_RR_TYPE_AAAA, 1, 0);
	assert_true(answer_cache_hash(b, cl) != h);
	assert_true(answer_cache_hash(a, ANSWER_CACHE_QNAME + 5) == 0);    /* cut in the name */
	assert_true(answer_cache_hash(a, al - 2) == 0);                    /* no class */
	assert_true(answer_cache_hash(a, 3) == 0);
	struct answer_cache c;
	assert_int_equal(answer_cache_init(&c, 0), 0);
	answer_cache_prefetch(&c, h, false);         /* no cache: nothing to touch */
	answer_cache_prefetch(&c, h, true);
	answer_cache_free(&c);
}

/* The key is the whole question and the room; a full cache starts again; size 0 is none. */
static void test_store(void **state)
{
	(void)state;
	struct answer_cache c;
	struct answer_cache_entry e = { .rcode = 3, .count = { 1, 2, 3 }, .body_len = 4,
	                                .body = (const uint8_t *)"abcd", .rrl_name = 77 };
	struct answer_cache_entry g;
	static const uint8_t name[] = "\3www\7example\3com";
	assert_int_equal(answer_cache_init(&c, 0), 0);
	answer_cache_put(&c, name, sizeof(name), 1, 1, 512, &e);
	assert_false(answer_cache_get(&c, name, sizeof(name), 1, 1, 512, &g));
	answer_cache_free(&c);

	assert_int_equal(answer_cache_init(&c, ANSWER_CACHE_MIN), 0);
	answer_cache_sync(&c, 5);
	answer_cache_put(&c, name, sizeof(name), 1, 1, 512, &e);
	assert_true(answer_cache_get(&c, name, sizeof(name), 1, 1, 512, &g));
	assert_int_equal(g.rcode, 3);
	assert_int_equal(g.count[2], 3);
	assert_true(g.rrl_name == 77);
	assert_memory_equal(g.body, "abcd", 4);
	assert_false(answer_cache_get(&c, name, sizeof(name), 28, 1, 512, &g));
	assert_false(answer_cache_get(&c, name, sizeof(name), 1, 255, 512, &g));
	assert_false(answer_cache_get(&c, name, sizeof(name), 1, 1, 1232, &g));
	assert_false(answer_cache_get(&c, name, sizeof(name) - 4, 1, 1, 512, &g));
	answer_cache_sync(&c, 5);
	assert_true(answer_cache_get(&c, name, sizeof(name), 1, 1, 512, &g));
	answer_cache_sync(&c, 6);
	assert_false(answer_cache_get(&c, name, sizeof(name), 1, 1, 512, &g));

	/* Far more answers than fit: the newest is always there, the cache never overflows. */
	uint8_t body[ANSWER_CACHE_BODY_MAX] = { 0 };
	e.body = body;
	e.body_len = sizeof(body);
	for (uint16_t i = 0; i < 1000; i++) {
		wire_put16(body, i);
		answer_cache_put(&c, name, sizeof(name), i, 1, 512, &e);
		assert_true(answer_cache_get(&c, name, sizeof(name), i, 1, 512, &g));
		assert_int_equal(wire_get16(g.body), i);
		assert_true(c.used <= c.cap);
	}
	assert_true(c.clears > 0);
	e.body_len = ANSWER_CACHE_BODY_MAX + 1;      /* too large: not kept */
	answer_cache_put(&c, name, sizeof(name), 2000, 1, 512, &e);
	assert_false(answer_cache_get(&c, name, sizeof(name), 2000, 1, 512, &g));
	answer_cache_free(&c);
}

/* The hash taken for the prefetch is used once; a wrong one is a miss, never another answer. */
static void test_hint(void **state)
{
	(void)state;
	struct answer_cache c;
	struct answer_cache_entry a = { .rcode = 0, .body_len = 1, .body = (const uint8_t *)"A" };
	struct answer_cache_entry q = { .rcode = 0, .body_len = 1, .body = (const uint8_t *)"Q" };
	struct answer_cache_entry g;
	uint8_t pa[512], pq[512];
	size_t la = query(pa, "www.example.com.", LDNS_RR_TYPE_A, 1, 0);
	size_t lq = query(pq, "www.example.com.", LDNS_RR_TYPE_AAAA, 1, 0);
	const uint8_t *name = pa + ANSWER_CACHE_QNAME;
	size_t nl = (size_t)dname_wire_len(name, la - ANSWER_CACHE_QNAME);
	assert_int_equal(answer_cache_init(&c, ANSWER_CACHE_MIN), 0);
	answer_cache_sync(&c, 1);
	answer_cache_put(&c, name, nl, LDNS_RR_TYPE_A, 1, 512, &a);
	answer_cache_put(&c, name, nl, LDNS_RR_TYPE_AAAA, 1, 512, &q);

	answer_cache_hint(&c, answer_cache_hash(pa, la));
	assert_true(answer_cache_get(&c, name, nl, LDNS_RR_TYPE_A, 1, 512, &g));
	assert_memory_equal(g.body, "A", 1);
	assert_true(c.hint == 0);                    /* used up */

	/* The AAAA question's hash for an A lookup: the AAAA entry is found and refused. */
	answer_cache_hint(&c, answer_cache_hash(pq, lq));
	assert_false(answer_cache_get(&c, name, nl, LDNS_RR_TYPE_A, 1, 512, &g));
	assert_true(answer_cache_get(&c, name, nl, LDNS_RR_TYPE_A, 1, 512, &g));
	assert_memory_equal(g.body, "A", 1);
	answer_cache_hint(&c, 12345);
	answer_cache_hint(&c, 0);                    /* cleared: the lookup hashes itself */
	assert_true(answer_cache_get(&c, name, nl, LDNS_RR_TYPE_AAAA, 1, 512, &g));
	assert_memory_equal(g.body, "Q", 1);
	answer_cache_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_same_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_change_invalidates, setup, teardown),
		cmocka_unit_test(test_store),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_hint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
