/* Unit tests for zone records: round trip, canonical listing, the SOA serial and deletion. */
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/dns/wire.h"
#include "shared/store/zone.h"

static struct zone_info info(uint32_t id, const char *apex)
{
	struct zone_info z = { .id = id, .policy = SERIAL_DATECOUNTER, .created = -5,
	                       .modified = 1764700000, .journal_seq = 1ull << 40,
	                       .records = 0xfffffffffull };
	memcpy(z.apex, N(apex), (size_t)dname_wire_len(N(apex), DNAME_MAX));
	return z;
}

static void put_zone(struct store *st, const struct zone_info *z)
{
	struct store_txn t;
	unit_begin(st, true, &t);
	zone_put(&t, z);
	assert_int_equal(store_commit(&t), 0);
}

static void test_round_trip(void **state)
{
	struct unit_store *u = *state;
	struct store_txn t;
	struct zone_info z = info(0xa1b2c3d4, "example.com."), got;
	put_zone(u->st, &z);
	unit_begin(u->st, false, &t);
	assert_int_equal(zone_get(&t, N("example.com."), &got), 0);
	assert_int_equal(got.id, 0xa1b2c3d4);
	assert_true(dname_equal(got.apex, z.apex));
	assert_int_equal(got.policy, SERIAL_DATECOUNTER);
	assert_int_equal(got.created, -5);
	assert_int_equal(got.modified, 1764700000);
	assert_int_equal(got.journal_seq, 1ull << 40);
	assert_int_equal(got.records, 0xfffffffffull);
	/* The apex is looked up in any case. */
	assert_int_equal(zone_get(&t, N("EXAMPLE.Com."), &got), 0);
	assert_int_equal(got.id, 0xa1b2c3d4);
	assert_int_equal(zone_get(&t, N("www.example.com."), &got), LS_ENOZONE);
	assert_int_equal(zone_get(&t, N("com."), &got), LS_ENOZONE);
	assert_int_equal(t.err, 0);         /* a missing zone is not a store error */
	store_abort(&t);
	/* Putting again replaces. */
	z.records = 3;
	put_zone(u->st, &z);
	unit_begin(u->st, false, &t);
	assert_int_equal(zone_get(&t, N("example.com."), &got), 0);
	assert_int_equal(got.records, 3);
	store_abort(&t);
}

static void test_list_order(void **state)
{
	struct unit_store *u = *state;
	static const char *const put[] = { "example.org.", "b.example.com.", ".", "example.com.",
	                                   "a.example.com.", "com." };
	static const char *const want[] = { ".", "com.", "example.com.", "a.example.com.",
	                                    "b.example.com.", "example.org." };
	struct store_txn t;
	struct zone_info *v;
	size_t n;
	unit_begin(u->st, false, &t);
	assert_int_equal(zone_list(&t, &v, &n), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	store_abort(&t);
	for (size_t i = 0; i < 6; i++) {
		struct zone_info z = info((uint32_t)i + 1, put[i]);
		put_zone(u->st, &z);
	}
	unit_begin(u->st, false, &t);
	assert_int_equal(zone_list(&t, &v, &n), 0);
	assert_int_equal(n, 6);
	for (size_t i = 0; i < n; i++)
		assert_true(dname_equal(v[i].apex, N(want[i])));
	free(v);
	struct zone_info root;
	assert_int_equal(zone_get(&t, N("."), &root), 0);    /* the root has a key of its own */
	assert_int_equal(root.id, 3);
	store_abort(&t);
}

static void test_bad_record(void **state)
{
	struct unit_store *u = *state;
	struct store_txn t;
	struct zone_info z = info(1, "example.com."), got, *v;
	size_t n;
	uint8_t key[DNAME_LF_MAX];
	put_zone(u->st, &z);
	int kl = dname_lf(key, N("example.com."), N("."));
	unit_begin(u->st, true, &t);
	store_put(&t, STORE_ZONES, key, (size_t)kl, "Z\2 newer version", 17, 0);
	assert_int_equal(zone_get(&t, N("example.com."), &got), LS_ESTORE);
	assert_int_equal(zone_list(&t, &v, &n), LS_ESTORE);
	assert_null(v);
	assert_int_equal(n, 0);
	store_abort(&t);
}

static void test_serial(void **state)
{
	struct unit_store *u = *state;
	static const char *const soa[] = { "@ 300 SOA ns1 hostmaster 2024010107 1h 15m 2w 60" };
	static const char *const ns[] = { "@ 300 NS ns1" };
	struct store_txn t;
	struct zone_info z = info(9, "example.com.");
	uint32_t serial = 0;
	unit_begin(u->st, true, &t);
	zone_put(&t, &z);
	unit_put_rrset(&t, z.id, z.apex, ns, 1);
	assert_int_equal(zone_serial(&t, &z, &serial), LS_ESTORE);   /* a zone without a SOA */
	unit_put_rrset(&t, z.id, z.apex, soa, 1);
	assert_int_equal(zone_serial(&t, &z, &serial), 0);
	assert_int_equal(serial, 2024010107);
	/* A SOA that is not one. */
	uint8_t key[RRSET_KEY_MAX], val[RRSET_HDR + 2 + 5];
	const struct rdata rd = { (const uint8_t *)"\3ns1\0", NULL, 0, 5 };
	int kl = rrset_key(key, z.id, z.apex, z.apex, 6);
	rrset_encode(val, 300, &rd, 1);
	store_put(&t, STORE_RRSETS, key, (size_t)kl, val, sizeof(val), 0);
	assert_int_equal(zone_serial(&t, &z, &serial), LS_ESTORE);
	store_abort(&t);
}

/* Keys of db that start with the 4-byte zone id. */
static size_t count(struct store_txn *t, enum store_db db, uint32_t id)
{
	MDB_cursor *cur;
	MDB_val k, v;
	uint8_t prefix[4];
	size_t n = 0;
	wire_put32(prefix, id);
	assert_int_equal(store_cursor(t, db, &cur), 0);
	for (int op = MDB_FIRST; mdb_cursor_get(cur, &k, &v, op) == 0; op = MDB_NEXT)
		n += k.mv_size >= 4 && memcmp(k.mv_data, prefix, 4) == 0;
	mdb_cursor_close(cur);
	return n;
}

/* A zone with two RRsets, two journal entries and a secondary, as raw keys where that is enough. */
static void fill(struct store_txn *t, const struct zone_info *z)
{
	static const char *const soa[] = { "@ 300 SOA ns1 hostmaster 1 1h 15m 2w 60" };
	static const char *const a[] = { "www 300 A 192.0.2.1", "www 300 A 192.0.2.2" };
	uint8_t key[4 + 8];
	zone_put(t, z);
	unit_put_rrset(t, z->id, z->apex, soa, 1);
	unit_put_rrset(t, z->id, z->apex, a, 2);
	for (uint64_t seq = 1; seq <= 2; seq++) {
		wire_put32(key, z->id);
		wire_put64(key + 4, seq);
		store_put(t, STORE_JOURNAL, key, sizeof(key), "j", 1, 0);
	}
	store_put(t, STORE_SECONDARIES, key, 4 + 5, "s", 1, 0);
}

static void test_delete(void **state)
{
	struct unit_store *u = *state;
	struct store_txn t;
	struct zone_info one = info(1, "example.com."), two = info(2, "example.net."), got;
	struct zone_info last = info(0xffffffff, "zz.");
	unit_begin(u->st, true, &t);
	fill(&t, &one);
	fill(&t, &two);
	fill(&t, &last);
	assert_int_equal(store_commit(&t), 0);
	unit_begin(u->st, true, &t);
	assert_int_equal(zone_delete(&t, &one), 0);
	assert_int_equal(zone_delete(&t, &last), 0);     /* the last keys of each database */
	assert_int_equal(store_commit(&t), 0);
	unit_begin(u->st, false, &t);
	assert_int_equal(zone_get(&t, N("example.com."), &got), LS_ENOZONE);
	assert_int_equal(zone_get(&t, N("zz."), &got), LS_ENOZONE);
	static const enum store_db dbs[] = { STORE_RRSETS, STORE_JOURNAL, STORE_SECONDARIES };
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(count(&t, dbs[i], 1), 0);
		assert_int_equal(count(&t, dbs[i], 0xffffffff), 0);
		assert_int_equal(count(&t, dbs[i], 2), dbs[i] == STORE_SECONDARIES ? 1 : 2);
	}
	/* The other zone is whole. */
	uint32_t serial;
	assert_int_equal(zone_get(&t, N("example.net."), &got), 0);
	assert_int_equal(zone_serial(&t, &got, &serial), 0);
	assert_int_equal(serial, 1);
	store_abort(&t);
	/* Deleting a zone that has no data left is no error. */
	unit_begin(u->st, true, &t);
	assert_int_equal(zone_delete(&t, &one), 0);
	assert_int_equal(store_commit(&t), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, unit_store_setup, unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_list_order, unit_store_setup, unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_bad_record, unit_store_setup, unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_serial, unit_store_setup, unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_delete, unit_store_setup, unit_store_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
