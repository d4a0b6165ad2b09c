/* Unit tests for watch: rows diffed into events, the open-problems set, the stored table. */
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/watch/watch_diff.h"
#include "shared/watch/watch_store.h"
#include "shared/watch/watch_run.h"
#include "shared/util/config.h"

static struct watch_row row(int64_t time, const char *id, const char *hash, const char *mode,
                            int64_t max_age, const char *mx)
{
	struct watch_row r;
	memset(&r, 0, sizeof(r));
	r.time = time;
	r.txt = true;
	r.fetched = hash != NULL;
	snprintf(r.id, sizeof(r.id), "%s", id);
	snprintf(r.hash, sizeof(r.hash), "%s", hash ? hash : "");
	snprintf(r.mode, sizeof(r.mode), "%s", hash ? mode : "");
	r.max_age = hash ? max_age : -1;
	for (const char *p = mx; p && *p; r.nmx++) {
		size_t n = strcspn(p, " ");
		memcpy(r.mx[r.nmx].host, p, n);
		p += n + (p[n] == ' ');
	}
	return r;
}

struct run {
	struct watch_open_set open;
	struct alert_event ev[WATCH_DIFF_EVENTS_MAX];
	size_t n;
};

static void diff(struct run *x, const struct watch_row *prev, const struct watch_row *cur, bool own)
{
	watch_diff("example.org", prev, cur, own, &x->open, x->ev, WATCH_DIFF_EVENTS_MAX, &x->n);
}

static void expect(const struct run *x, size_t i, const char *code, enum alert_state state,
                   enum alert_level level)
{
	assert_true(i < x->n);
	assert_string_equal(x->ev[i].code, code);
	assert_int_equal(x->ev[i].state, state);
	assert_int_equal(x->ev[i].level, level);
	assert_string_equal(x->ev[i].domain, "example.org");
}

static void test_first_run_and_steady(void **state)
{
	(void)state;
	struct run x = { 0 };
	struct watch_row a = row(1000, "20260101000000", "aaaa", "enforce", 604800, "mx1.example.org");
	diff(&x, NULL, &a, false);
	assert_int_equal(x.n, 0);
	struct watch_row b = a;
	b.time = 2000;
	diff(&x, &a, &b, false);
	assert_int_equal(x.n, 0);
	assert_int_equal(x.open.n, 0);
}

static void test_policy_changed_id_unchanged(void **state)
{
	(void)state;
	struct run x = { 0 };
	struct watch_row a = row(1000, "1", "aaaa", "enforce", 604800, "mx1.example.org");
	struct watch_row b = row(2000, "1", "bbbb", "enforce", 604800, "mx1.example.org");
	diff(&x, &a, &b, false);
	assert_int_equal(x.n, 1);
	expect(&x, 0, WATCH_CHANGED_SAME_ID, ALERT_OPEN, ALERT_ERROR);
	assert_string_equal(x.ev[0].before, "aaaa");
	assert_string_equal(x.ev[0].after, "bbbb");
	assert_int_equal(x.open.n, 1);
	/* Still so an hour later: nothing; a day later: one repeat. */
	struct watch_row c = b;
	c.time = 2000 + 3600;
	diff(&x, &b, &c, false);
	assert_int_equal(x.n, 0);
	c.time = 2000 + WATCH_REPEAT_S;
	diff(&x, &b, &c, false);
	assert_int_equal(x.n, 1);
	expect(&x, 0, WATCH_CHANGED_SAME_ID, ALERT_OPEN, ALERT_ERROR);
	/* The body returns to the one the id was published with: resolved, once. */
	struct watch_row d = row(c.time + 60, "1", "aaaa", "enforce", 604800, "mx1.example.org");
	diff(&x, &c, &d, false);
	assert_int_equal(x.n, 1);
	expect(&x, 0, WATCH_CHANGED_SAME_ID, ALERT_RESOLVED, ALERT_ERROR);
	assert_int_equal(x.open.n, 0);
	/* Again, and this time a new id clears it (and is no id-changed-policy-unchanged). */
	diff(&x, &d, &b, false);
	expect(&x, 0, WATCH_CHANGED_SAME_ID, ALERT_OPEN, ALERT_ERROR);
	struct watch_row e = row(b.time + 60, "2", "bbbb", "enforce", 604800, "mx1.example.org");
	diff(&x, &b, &e, false);
	assert_int_equal(x.n, 1);
	expect(&x, 0, WATCH_CHANGED_SAME_ID, ALERT_RESOLVED, ALERT_ERROR);
}

static void test_once_events(void **state)
{
	(void)state;
	struct run x = { 0 };
	struct watch_row a = row(1000, "1", "aaaa", "enforce", 604800, "mx1.example.org");
	struct watch_row b = row(2000, "2", "aaaa", "enforce", 604800, "mx1.example.org");
	diff(&x, &a, &b, false);
	assert_int_equal(x.n, 1);
	expect(&x, 0, "id-changed-policy-unchanged", ALERT_ONCE, ALERT_INFO);
	assert_string_equal(x.ev[0].before, "1");
	assert_string_equal(x.ev[0].after, "2");
	struct watch_row c = row(3000, "3", "cccc", "testing", 86400, "mx1.example.org");
	diff(&x, &b, &c, false);
	assert_int_equal(x.n, 2);
	expect(&x, 0, "mode-rollback", ALERT_ONCE, ALERT_WARN);
	assert_string_equal(x.ev[0].before, "enforce");
	assert_string_equal(x.ev[0].after, "testing");
	expect(&x, 1, "max-age-decreased", ALERT_ONCE, ALERT_WARN);
	assert_string_equal(x.ev[1].before, "604800");
	assert_string_equal(x.ev[1].after, "86400");
	/* Once events leave nothing open, and going back up sends nothing. */
	assert_int_equal(x.open.n, 0);
	diff(&x, &c, &b, false);
	assert_int_equal(x.n, 0);
	/* MX set changed, policy not: warn for another's domain, error for our own. */
	struct watch_row d = row(4000, "2", "aaaa", "enforce", 604800, "mx1.example.org mx2.example.org");
	diff(&x, &b, &d, false);
	assert_int_equal(x.n, 1);
	expect(&x, 0, "mx-changed-policy-unchanged", ALERT_ONCE, ALERT_WARN);
	assert_string_equal(x.ev[0].before, "mx1.example.org");
	assert_string_equal(x.ev[0].after, "mx1.example.org mx2.example.org");
	diff(&x, &b, &d, true);
	expect(&x, 0, "mx-changed-policy-unchanged", ALERT_ONCE, ALERT_ERROR);
}

static void test_unreachable_carries_fetch_codes(void **state)
{
	(void)state;
	struct run x = { 0 };
	struct watch_row a = row(1000, "1", "aaaa", "enforce", 604800, "mx1.example.org");
	struct watch_row b = row(2000, "1", NULL, "", -1, "mx1.example.org");
	snprintf(b.fetch_error, sizeof(b.fetch_error), "connection refused");
	assert_int_equal(watch_row_add_code(&b, "policy-fetch-tcp", ALERT_ERROR), 0);
	diff(&x, &a, &b, false);
	assert_int_equal(x.n, 1);
	expect(&x, 0, WATCH_UNREACHABLE, ALERT_OPEN, ALERT_ERROR);
	assert_string_equal(x.ev[0].detail, "policy-fetch-tcp: connection refused");
	/* No hash change, mode or max-age event while it cannot be fetched. */
	struct watch_row c = b;
	c.time = 3000;
	diff(&x, &b, &c, false);
	assert_int_equal(x.n, 0);
	struct watch_row d = a;
	d.time = 4000;
	diff(&x, &c, &d, false);
	assert_int_equal(x.n, 1);
	expect(&x, 0, WATCH_UNREACHABLE, ALERT_RESOLVED, ALERT_ERROR);
	assert_int_equal(x.open.n, 0);
}

static void test_codes_open_and_resolve(void **state)
{
	(void)state;
	struct run x = { 0 };
	struct watch_row a = row(1000, "1", "aaaa", "enforce", 604800, "mx1.example.org");
	struct watch_row b = a;
	b.time = 2000;
	watch_row_add_code(&b, "mx-starttls-missing", ALERT_ERROR);
	watch_row_add_code(&b, "tlsrpt-missing", ALERT_WARN);
	watch_row_add_code(&b, "tlsrpt-missing", ALERT_WARN);
	assert_int_equal(b.ncodes, 2);
	diff(&x, &a, &b, false);
	assert_int_equal(x.n, 2);
	expect(&x, 0, "mx-starttls-missing", ALERT_OPEN, ALERT_ERROR);
	expect(&x, 1, "tlsrpt-missing", ALERT_OPEN, ALERT_WARN);
	diff(&x, &b, &b, false);
	assert_int_equal(x.n, 0);
	struct watch_row c = b;
	c.time = 3000;
	c.ncodes = 1;   /* mx-starttls-missing stays, tlsrpt-missing clears */
	diff(&x, &b, &c, false);
	assert_int_equal(x.n, 1);
	expect(&x, 0, "tlsrpt-missing", ALERT_RESOLVED, ALERT_WARN);
	assert_int_equal(x.open.n, 1);
}

struct count_rows {
	size_t n;
};

static int count_fn(const struct watch_row *r, void *ctx)
{
	(void)r;
	((struct count_rows *)ctx)->n++;
	return 0;
}

static void test_store(void **state)
{
	struct unit_store *u = *state;
	struct store_txn t;
	struct watch_entry e, got;
	char name[WATCH_HOST_MAX];
	assert_int_equal(watch_store_name("Example.ORG.", name), 0);
	assert_string_equal(name, "example.org");
	assert_int_equal(watch_store_name("bad name", name), LS_EPARSE);
	memset(&e, 0, sizeof(e));
	snprintf(e.domain, sizeof(e.domain), "example.org");
	e.every = 5;
	e.nconnect = 1;
	snprintf(e.connect_to[0], sizeof(e.connect_to[0]), "mta-sts.example.org:443:127.0.0.1:8443");
	e.next = 1234;
	struct watch_row r1 = row(1000, "1", "aaaa", "enforce", 604800, "mx1.example.org");
	struct watch_row r2 = row(2000, "2", "bbbb", "testing", 86400, "mx2.example.org");
	watch_row_add_code(&r2, "tlsrpt-missing", ALERT_WARN);
	struct run x = { 0 };
	diff(&x, &r1, &r2, false);
	unit_begin(u->st, true, &t);
	watch_store_put(&t, &e);
	watch_store_row_put(&t, "example.org", &r2);
	watch_store_row_put(&t, "example.org", &r1);
	watch_store_row_put(&t, "example.org.uk", &r1);
	watch_store_open_put(&t, "example.org", &x.open);
	watch_store_outbox_put(&t, &x.ev[0]);
	assert_int_equal(store_commit(&t), 0);

	unit_begin(u->st, false, &t);
	assert_int_equal(watch_store_get(&t, "example.org", &got), 0);
	assert_memory_equal(&got, &e, sizeof(e));
	struct watch_row last;
	assert_int_equal(watch_store_row_last(&t, "example.org", &last), 0);
	assert_memory_equal(&last, &r2, sizeof(r2));
	assert_int_equal(watch_store_row_last(&t, "example.net", &last), LS_ENOTFOUND);
	struct watch_open_set s;
	assert_int_equal(watch_store_open_get(&t, "example.org", &s), 0);
	assert_int_equal(s.n, 1);
	assert_memory_equal(&s, &x.open, sizeof(s));
	store_abort(&t);

	/* Two runs in one second are two rows, the later one the newest. */
	struct watch_row r3 = r2;
	snprintf(r3.id, sizeof(r3.id), "3");
	unit_begin(u->st, true, &t);
	watch_store_row_put(&t, "example.org", &r3);
	assert_int_equal(store_commit(&t), 0);
	unit_begin(u->st, false, &t);
	struct count_rows cr = { 0 };
	assert_int_equal(watch_store_rows(&t, "example.org", count_fn, &cr), 0);
	assert_int_equal(cr.n, 3);
	assert_int_equal(watch_store_row_last(&t, "example.org", &last), 0);
	assert_string_equal(last.id, "3");
	store_abort(&t);

	/* Pruning takes the old rows only; deleting the domain takes its rows and problems. */
	size_t n;
	unit_begin(u->st, true, &t);
	assert_int_equal(watch_store_prune(&t, 1500, 100, &n), 0);
	assert_int_equal(n, 2);
	watch_store_del(&t, "example.org");
	assert_int_equal(store_commit(&t), 0);
	unit_begin(u->st, false, &t);
	assert_int_equal(watch_store_get(&t, "example.org", &got), LS_ENOTFOUND);
	assert_int_equal(watch_store_row_last(&t, "example.org", &last), LS_ENOTFOUND);
	assert_int_equal(watch_store_open_get(&t, "example.org", &s), 0);
	assert_int_equal(s.n, 0);
	store_abort(&t);

	/* Rows that are the table's last keys delete too (a cursor at the end after a delete). */
	unit_begin(u->st, true, &t);
	watch_store_row_put(&t, "zz.example", &r1);
	watch_store_row_put(&t, "zz.example", &r2);
	assert_int_equal(store_commit(&t), 0);
	unit_begin(u->st, true, &t);
	watch_store_del(&t, "zz.example");
	assert_int_equal(store_commit(&t), 0);
	unit_begin(u->st, true, &t);
	watch_store_row_put(&t, "zz.example", &r1);
	assert_int_equal(store_commit(&t), 0);
	unit_begin(u->st, true, &t);
	assert_int_equal(watch_store_prune(&t, 5000, 100, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_commit(&t), 0);
}

struct outbox_count {
	size_t n;
	uint64_t first;
};

static int outbox_fn(uint64_t seq, const struct alert_event *e, void *ctx)
{
	struct outbox_count *c = ctx;
	assert_string_equal(e->code, "mx-changed");
	if (c->n++ == 0)
		c->first = seq;
	return 0;
}

/* The outbox keeps the newest WATCH_OUTBOX_MAX events when nobody sends them. */
static void test_outbox_bound(void **state)
{
	struct unit_store *u = *state;
	struct store_txn t;
	struct alert_event e;
	memset(&e, 0, sizeof(e));
	snprintf(e.domain, sizeof(e.domain), "example.org");
	snprintf(e.code, sizeof(e.code), "mx-changed");
	e.time = 1000;
	assert_int_equal(store_begin(u->st, true, 64u << 20, &t), 0);
	for (int i = 0; i < WATCH_OUTBOX_MAX + 5; i++)
		watch_store_outbox_put(&t, &e);
	assert_int_equal(store_commit(&t), 0);
	struct outbox_count c = { 0 };
	unit_begin(u->st, false, &t);
	assert_int_equal(watch_store_outbox_each(&t, outbox_fn, &c), 0);
	store_abort(&t);
	assert_int_equal(c.n, WATCH_OUTBOX_MAX);
	assert_int_equal(c.first, 6);
}

/* A check that sees what the test says: the policy's first hash byte and the id. */
static uint8_t fake_hash;
static const char *fake_id = "1";
static struct store *fake_del_from;   /* set: the check deletes its domain meanwhile */
static int fake_check(const char *domain, const struct check_opts *o, struct check_result *out,
                      char *err, size_t errlen)
{
	(void)o, (void)err, (void)errlen;
	if (fake_del_from) {
		struct store_txn t;
		unit_begin(fake_del_from, true, &t);
		watch_store_del(&t, domain);
		assert_int_equal(store_commit(&t), 0);
	}
	snprintf(out->domain, sizeof(out->domain), "%s", domain);
	out->txt_present = true;
	out->policy_fetched = out->policy_ok = true;
	out->policy_sha256[0] = fake_hash;
	snprintf(out->id, sizeof(out->id), "%s", fake_id);
	snprintf(out->mode, sizeof(out->mode), "enforce");
	out->max_age = 604800;
	return 0;
}

static int last_events(const struct watch_row *r, void *ctx)
{
	struct watch_row *out = ctx;
	*out = *r;
	return 0;
}

static void test_run_domain(void **state)
{
	struct unit_store *u = *state;
	struct config cfg;
	struct store_txn t;
	struct watch_entry e;
	char err[256];
	assert_int_equal(config_defaults(&cfg), 0);
	struct watch_ctx ctx = { .st = u->st, .cfg = &cfg, .check = fake_check };
	atomic_init(&ctx.worst, -1);
	assert_int_equal(watch_run_domain(&ctx, "example.org", err, sizeof(err)), LS_ENOTFOUND);
	memset(&e, 0, sizeof(e));
	snprintf(e.domain, sizeof(e.domain), "example.org");
	e.every = 10;
	unit_begin(u->st, true, &t);
	watch_store_put(&t, &e);
	assert_int_equal(store_commit(&t), 0);
	fake_hash = 1;
	assert_int_equal(watch_run_domain(&ctx, "example.org", err, sizeof(err)), 0);
	fake_hash = 2;   /* the body changes, the id does not */
	assert_int_equal(watch_run_domain(&ctx, "example.org", err, sizeof(err)), 0);
	struct watch_row r;
	unit_begin(u->st, false, &t);
	assert_int_equal(watch_store_rows(&t, "example.org", last_events, &r), 0);
	assert_int_equal(r.nevents, 1);
	assert_string_equal(r.events[0], "policy-changed-id-unchanged open");
	assert_int_equal(watch_store_get(&t, "example.org", &e), 0);
	assert_true(e.last > 0);
	/* The next run: the interval plus at most 10% of it. */
	assert_true(e.next >= e.last + 600 && e.next <= e.last + 660);
	store_abort(&t);
	assert_int_equal(atomic_load(&ctx.ran), 2);   /* before the deleting run below */
	/* A domain deleted while its check ran: nothing stored, no entry made again. */
	fake_del_from = u->st;
	fake_hash = 3;
	assert_int_equal(watch_run_domain(&ctx, "example.org", err, sizeof(err)), 0);
	fake_del_from = NULL;
	unit_begin(u->st, false, &t);
	assert_int_equal(watch_store_get(&t, "example.org", &e), LS_ENOTFOUND);
	assert_int_equal(watch_store_row_last(&t, "example.org", &r), LS_ENOTFOUND);
	store_abort(&t);
	/* A first run is due within a minute. */
	int64_t first = watch_first_run("example.org", 1000);
	assert_true(first >= 1000 && first < 1000 + WATCH_FIRST_RUN_S);
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_run_and_steady),
		cmocka_unit_test(test_policy_changed_id_unchanged),
		cmocka_unit_test(test_once_events),
		cmocka_unit_test(test_unreachable_carries_fetch_codes),
		cmocka_unit_test(test_codes_open_and_resolve),
		cmocka_unit_test_setup_teardown(test_store, unit_store_setup, unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_run_domain, unit_store_setup, unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_outbox_bound, unit_store_setup, unit_store_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
