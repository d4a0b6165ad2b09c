/* Unit tests for MTA-STS records in the store: the tagged, versioned domain record (every field
 * round trip, values it must refuse), listing, and policy bodies. */
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/sts/sts_record.h"
#include "shared/dns/wire.h"

/* A record with every field set and every list full, strings at their longest. */
static void full(struct sts_domain *d, const char *domain)
{
	memset(d, 0, sizeof(*d));
	memcpy(d->domain, N(domain), (size_t)dname_wire_len(N(domain), DNAME_MAX));
	d->zone_id = 0xdeadbeef;
	d->mode = STS_MODE_NONE;
	d->max_age = STS_MAX_AGE_MAX;
	d->txt_ttl = 86400;
	for (unsigned k = 0; k < STS_EXTRA_MAX; k++) {
		memset(d->extra[k], 'a' + (int)k, STS_TEXT_MAX - 1);
		d->extra[k][0] = '*';
	}
	d->nextra = STS_EXTRA_MAX;
	for (unsigned k = 0; k < STS_RUA_MAX; k++)
		snprintf(d->rua[k], STS_TEXT_MAX, "mailto:tlsrpt%u@example.com", k);
	d->nrua = STS_RUA_MAX;
	d->state = STS_REMOVED;
	d->version = 0x0102030405060708ull;
	d->version_time = -1;
	d->published = 41;
	memset(d->id, '9', STS_ID_MAX);
	d->published_time = 1764747285;
	d->max_age_served = 604800;
	d->removing_since = 1764747000;
	d->next_try = INT64_MAX;
	d->tries = 0xffffffff;
	snprintf(d->reason, sizeof(d->reason), "fetch from 127.0.0.1:8443 failed");
	for (unsigned k = 0; k < STS_GRACE_MAX; k++) {
		char name[32];
		snprintf(name, sizeof(name), "mx%u.example.com.", k);
		memcpy(d->grace[k].name, N(name), (size_t)dname_wire_len(N(name), DNAME_MAX));
		d->grace[k].hold = 3600 + k;
		d->grace[k].until = 1764747285 + k;
	}
	d->ngrace = STS_GRACE_MAX;
	for (unsigned k = 0; k < STS_ENDPOINTS_MAX; k++) {
		memset(d->fetch[k].endpoint, '0' + (int)k, sizeof(d->fetch[k].endpoint) - 1);
		d->fetch[k].time = 1000 + k;
		d->fetch[k].ok = k % 2;
		memset(d->fetch[k].error, 'e', k * 30);
	}
	d->nfetch = STS_ENDPOINTS_MAX;
}

static void put_record(struct store *st, const struct sts_domain *d)
{
	struct store_txn t;
	unit_begin(st, true, &t);
	sts_record_put(&t, d);
	assert_int_equal(store_commit(&t), 0);
}

/* The stored value of domain's record, copied into buf; its length. */
static size_t raw(struct store *st, const char *domain, uint8_t *buf, size_t cap)
{
	struct store_txn t;
	MDB_val v;
	uint8_t key[1 + DNAME_LF_MAX];
	key[0] = STS_RECORD_TAG;
	int kl = dname_lf(key + 1, N(domain), N("."));
	unit_begin(st, false, &t);
	assert_int_equal(store_get(&t, STORE_MTASTS, key, (size_t)kl + 1, &v), 0);
	assert_true(v.mv_size <= cap);
	memcpy(buf, v.mv_data, v.mv_size);
	store_abort(&t);
	return v.mv_size;
}

/* Stores len bytes as domain's record and reads it back: the result of sts_record_get. */
static int get_raw(struct store *st, const char *domain, const uint8_t *buf, size_t len,
                   struct sts_domain *out)
{
	struct store_txn t;
	uint8_t key[1 + DNAME_LF_MAX];
	key[0] = STS_RECORD_TAG;
	int kl = dname_lf(key + 1, N(domain), N("."));
	unit_begin(st, true, &t);
	store_put(&t, STORE_MTASTS, key, (size_t)kl + 1, buf, len, 0);
	int rc = sts_record_get(&t, N(domain), out);
	store_abort(&t);
	return rc;
}

static void test_round_trip(void **state)
{
	struct unit_store *u = *state;
	static struct sts_domain d, got;
	struct store_txn t;
	full(&d, "example.com.");
	put_record(u->st, &d);
	unit_begin(u->st, false, &t);
	assert_int_equal(sts_record_get(&t, N("EXAMPLE.com."), &got), 0);
	assert_memory_equal(&got, &d, sizeof(d));      /* every field, every byte */
	assert_int_equal(sts_record_get(&t, N("example.org."), &got), LS_ENOTFOUND);
	assert_int_equal(sts_record_get(&t, N("com."), &got), LS_ENOTFOUND);
	store_abort(&t);
	/* An empty record too. */
	memset(&d, 0, sizeof(d));
	memcpy(d.domain, N("e.example."), 11);
	put_record(u->st, &d);
	unit_begin(u->st, false, &t);
	assert_int_equal(sts_record_get(&t, N("e.example."), &got), 0);
	assert_memory_equal(&got, &d, sizeof(d));
	store_abort(&t);
}

static void test_stored_value(void **state)
{
	struct unit_store *u = *state;
	static struct sts_domain d, got;
	static uint8_t buf[65536], bad[65536];
	full(&d, "example.com.");
	put_record(u->st, &d);
	size_t len = raw(u->st, "example.com.", buf, sizeof(buf));
	assert_int_equal(buf[0], STS_RECORD_TAG);
	assert_int_equal(buf[1], STS_RECORD_VERSION);
	/* Fields a later writer appends are skipped: old code still opens the record. */
	memcpy(bad, buf, len);
	memcpy(bad + len, "\1\2\3newer", 8);
	assert_int_equal(get_raw(u->st, "example.com.", bad, len + 8, &got), 0);
	assert_memory_equal(&got, &d, sizeof(d));
	/* Every truncation is refused, never read past. */
	for (size_t cut = 0; cut < len; cut += 1 + cut / 64)
		if (get_raw(u->st, "example.com.", buf, cut, &got) != LS_ESTORE)
			fail_msg("a record cut at %zu of %zu bytes was read", cut, len);
	/* Another tag or version is refused. */
	memcpy(bad, buf, len);
	bad[1] = STS_RECORD_VERSION + 1;
	assert_int_equal(get_raw(u->st, "example.com.", bad, len, &got), LS_ESTORE);
	bad[1] = STS_RECORD_VERSION;
	bad[0] = STS_BODY_TAG;
	assert_int_equal(get_raw(u->st, "example.com.", bad, len, &got), LS_ESTORE);
}

/* A minimal record value with mode, state and list counts as given. */
static size_t minimal(uint8_t *v, uint8_t mode, uint8_t state, uint8_t nextra)
{
	size_t n = 0;
	v[n++] = STS_RECORD_TAG;
	v[n++] = STS_RECORD_VERSION;
	memcpy(v + n, "\1e\0", 3);                  /* domain */
	n += 3;
	memset(v + n, 0, 4);                        /* zone id */
	n += 4;
	v[n++] = mode;
	memset(v + n, 0, 8);                        /* max_age, txt_ttl */
	n += 8;
	v[n++] = nextra;
	for (unsigned k = 0; k < nextra; k++) {
		memcpy(v + n, "\0\1x", 3);
		n += 3;
	}
	v[n++] = 0;                                 /* nrua */
	v[n++] = state;
	memset(v + n, 0, 24);                       /* version, version_time, published */
	n += 24;
	memset(v + n, 0, 2);                        /* id "" */
	n += 2;
	memset(v + n, 0, 8 + 4 + 8 + 8 + 4 + 2);    /* published_time .. reason "" */
	n += 34;
	v[n++] = 0;                                 /* ngrace */
	v[n++] = 0;                                 /* nfetch */
	return n;
}

static void test_refused_values(void **state)
{
	struct unit_store *u = *state;
	static struct sts_domain got;
	uint8_t v[512];
	assert_int_equal(get_raw(u->st, "e.", v, minimal(v, STS_MODE_ENFORCE, STS_REMOVING, 2), &got), 0);
	assert_int_equal(got.mode, STS_MODE_ENFORCE);
	assert_int_equal(got.state, STS_REMOVING);
	assert_int_equal(got.nextra, 2);
	assert_string_equal(got.extra[1], "x");
	assert_int_equal(get_raw(u->st, "e.", v, minimal(v, 3, STS_ACTIVE, 0), &got), LS_ESTORE);
	assert_int_equal(get_raw(u->st, "e.", v, minimal(v, 0, 3, 0), &got), LS_ESTORE);
	assert_int_equal(get_raw(u->st, "e.", v, minimal(v, 0, 0, STS_EXTRA_MAX + 1), &got),
	                 LS_ESTORE);
}

static int collect(const struct sts_domain *d, void *ctx)
{
	char name[DNAME_STR_MAX];
	return unit_saw(ctx, "%s", dname_format(name, d->domain));
}

static int list(void *t, struct unit_seen *s)
{
	return sts_record_each(t, collect, s);
}

static void test_each_and_delete(void **state)
{
	struct unit_store *u = *state;
	static const char *const put[] = { "example.org.", "b.example.com.", "example.com.",
	                                   "a.example.com." };
	static struct sts_domain d;
	struct store_txn t;
	unit_begin(u->st, true, &t);
	unit_expect_listing(list, &t, NULL, 0);
	for (size_t i = 0; i < 4; i++) {
		full(&d, put[i]);
		sts_record_put(&t, &d);
		/* Bodies share the database; the walk must not take them for records. */
		sts_record_body_put(&t, N(put[i]), 1, (const uint8_t *)"x", 1);
	}
	static const char *const order[] = { "example.com.", "a.example.com.", "b.example.com.",
	                                     "example.org." };
	unit_expect_listing(list, &t, order, 4);
	/* A body goes alone; the record stays (records are never deleted: ids must not repeat). */
	const uint8_t *body;
	size_t len;
	sts_record_body_del(&t, N("A.example.com."));
	assert_int_equal(sts_record_body(&t, N("a.example.com."), &body, &len, NULL), LS_ENOTFOUND);
	unit_expect_listing(list, &t, order, 4);
	assert_int_equal(t.err, 0);
	assert_int_equal(store_commit(&t), 0);
}

static int list_under_example_com(void *t, struct unit_seen *s)
{
	return sts_record_each_under(t, N("example.COM."), collect, s);
}

/* The records of one zone's range only: the apex and below, not a name that merely starts
 * with the same letters (ab.example.com beside a.example.com) nor the parent. */
static void test_each_under(void **state)
{
	struct unit_store *u = *state;
	static const char *const put[] = { "example.org.", "b.example.com.", "example.com.",
	                                   "a.example.com.", "sub.a.example.com.", "ab.example.com.",
	                                   "com.", "example.comx.", "zz.example.org." };
	static struct sts_domain d;
	struct store_txn t;
	unit_begin(u->st, true, &t);
	for (size_t i = 0; i < sizeof(put) / sizeof(put[0]); i++) {
		full(&d, put[i]);
		sts_record_put(&t, &d);
		sts_record_body_put(&t, N(put[i]), 1, (const uint8_t *)"x", 1);
	}
	static const char *const want[] = { "example.com.", "a.example.com.", "sub.a.example.com.",
	                                    "ab.example.com.", "b.example.com." };
	unit_expect_listing(list_under_example_com, &t, want, 5);
	static struct unit_seen none;
	memset(&none, 0, sizeof(none));
	assert_int_equal(sts_record_each_under(&t, N("nothing.example.net."), collect, &none), 0);
	assert_int_equal(none.n, 0);
	assert_int_equal(t.err, 0);
	store_abort(&t);
}

static void test_body(void **state)
{
	struct unit_store *u = *state;
	static uint8_t big[STS_BODY_MAX + 1];
	const char policy[] = "version: STSv1\r\nmode: testing\r\nmx: mx.example.com\r\nmax_age: 86400\r\n";
	struct store_txn t;
	const uint8_t *body;
	size_t len;
	uint64_t version = 0;
	unit_begin(u->st, true, &t);
	assert_int_equal(sts_record_body(&t, N("example.com."), &body, &len, &version), LS_ENOTFOUND);
	sts_record_body_put(&t, N("example.com."), 7, (const uint8_t *)policy, sizeof(policy) - 1);
	assert_int_equal(sts_record_body(&t, N("Example.COM."), &body, &len, &version), 0);
	assert_int_equal(version, 7);
	assert_int_equal(len, sizeof(policy) - 1);
	assert_memory_equal(body, policy, len);
	/* The body is not the record. */
	static struct sts_domain d;
	assert_int_equal(sts_record_get(&t, N("example.com."), &d), LS_ENOTFOUND);
	/* An empty body and the largest one. */
	sts_record_body_put(&t, N("empty.example."), 1, NULL, 0);
	assert_int_equal(sts_record_body(&t, N("empty.example."), &body, &len, NULL), 0);
	assert_int_equal(len, 0);
	memset(big, 'b', sizeof(big));
	sts_record_body_put(&t, N("big.example."), 2, big, STS_BODY_MAX);
	assert_int_equal(sts_record_body(&t, N("big.example."), &body, &len, &version), 0);
	assert_int_equal(len, STS_BODY_MAX);
	sts_record_body_del(&t, N("example.com."));
	assert_int_equal(sts_record_body(&t, N("example.com."), &body, &len, NULL), LS_ENOTFOUND);
	assert_int_equal(t.err, 0);
	assert_int_equal(store_commit(&t), 0);
	/* One byte more is a sticky error. */
	unit_begin(u->st, true, &t);
	sts_record_body_put(&t, N("big.example."), 3, big, STS_BODY_MAX + 1);
	assert_int_equal(store_commit(&t), LS_ETOOBIG);
	/* A stored body that is not one is a store error. */
	uint8_t key[1 + DNAME_LF_MAX];
	key[0] = STS_BODY_TAG;
	int kl = dname_lf(key + 1, N("big.example."), N("."));
	unit_begin(u->st, true, &t);
	store_put(&t, STORE_MTASTS, key, (size_t)kl + 1, "B\2shortened", 11, 0);
	assert_int_equal(sts_record_body(&t, N("big.example."), &body, &len, NULL), LS_ESTORE);
	assert_int_equal(store_commit(&t), LS_ESTORE);
	unit_begin(u->st, false, &t);
	assert_int_equal(sts_record_body(&t, N("big.example."), &body, &len, &version), 0);
	assert_int_equal(version, 2);
	store_abort(&t);
}

static void test_modes(void **state)
{
	static const char *const names[] = { "testing", "enforce", "none" };
	enum sts_mode m;
	for (int k = 0; k < 3; k++) {
		assert_string_equal(sts_mode_name((enum sts_mode)k), names[k]);
		assert_int_equal(sts_mode_parse(names[k], &m), 0);
		assert_int_equal(m, k);
	}
	assert_string_equal(sts_mode_name((enum sts_mode)3), "?");
	assert_string_equal(sts_mode_name((enum sts_mode)-1), "?");
	m = STS_MODE_ENFORCE;
	assert_int_equal(sts_mode_parse("Enforce", &m), LS_EPARSE);
	assert_int_equal(sts_mode_parse("", &m), LS_EPARSE);
	assert_int_equal(sts_mode_parse("enforce ", &m), LS_EPARSE);
	assert_int_equal(m, STS_MODE_ENFORCE);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, unit_store_setup, unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_stored_value, unit_store_setup, unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_refused_values, unit_store_setup,
		                                unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_each_and_delete, unit_store_setup,
		                                unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_each_under, unit_store_setup, unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_body, unit_store_setup, unit_store_teardown),
		cmocka_unit_test(test_modes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
