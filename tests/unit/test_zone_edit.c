/* Unit tests for the edit runner and the commit hooks: what every writer's edit goes through. */
#include <errno.h>
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/dns/rrtext.h"
#include "shared/store/store.h"
#include "shared/sts/sts_ops.h"
#include "shared/store/zone_check.h"
#include "shared/store/zone_edit.h"
#include "shared/store/zone_hook.h"
#include "shared/store/zone_ops.h"

struct fixture {
	char *dir;
	struct store *st;
	struct diag d;
	struct arena a;
	struct rr_parser p;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct zone_result res;
	char *ns[] = { "ns1.example.net." };
	f->dir = temp_dir();
	assert_int_equal(store_open(&f->st, f->dir, 0), 0);
	diag_init(&f->d);
	unit_parser(&f->p, &f->a, "example.com.");
	assert_int_equal(zone_ops_create(f->st, N("example.com."), ns, 1, SERIAL_INCREMENT, 3600,
	                                 "test", &f->d, &res), 0);
	zone_result_free(&res);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	unit_parser_free(&f->p, &f->a);
	diag_free(&f->d);
	store_close(f->st);
	rm_tree(f->dir);
	free(f);
	return 0;
}

static struct rr R(struct fixture *f, const char *text)
{
	return unit_rr(&f->p, text);
}

static uint32_t serial(struct fixture *f)
{
	struct store_txn t;
	struct zone_info z;
	uint32_t s;
	assert_int_equal(store_begin(f->st, false, 0, &t), 0);
	assert_int_equal(zone_get(&t, N("example.com."), &z), 0);
	assert_int_equal(zone_serial(&t, &z, &s), 0);
	store_abort(&t);
	return s;
}

static uint32_t count(struct fixture *f, const char *owner, uint16_t type)
{
	struct zone_txn *zt;
	uint32_t n;
	assert_int_equal(zone_txn_begin(f->st, N("example.com."), 0, 0, "test", &zt), 0);
	assert_int_equal(zone_txn_count(zt, N(owner), type, &n), 0);
	zone_txn_free(zt);
	return n;
}

/* ---- hooks: run in order, see the changes, may keep one as stored or refuse ---- */

static char trace[64];

static int hook_first(struct zone_txn *zt, struct diag *d)
{
	struct zone_change c;
	size_t pos = 0;
	strcat(trace, "1");
	while (zone_txn_next_change(zt, &pos, &c)) {
		/* The stored TXT stays: like MTA-STS keeping its records in an import. */
		if (c.type == T_TXT)
			zone_txn_keep_stored(zt, &c);
		else if (c.type == T_MX)
			strcat(trace, c.n == 1 && c.nold == 0 ? "m" : "?");
	}
	return 0;
}

static int hook_second(struct zone_txn *zt, struct diag *d)
{
	struct zone_change c;
	size_t pos = 0;
	strcat(trace, "2");
	while (zone_txn_next_change(zt, &pos, &c)) {
		if (c.type == T_TXT)
			strcat(trace, "!");     /* kept by the first hook: not a change any more */
		if (c.type == 99 /* SPF */) {
			diag_add(d, DIAG_ERROR, c.file, c.line, "no SPF here");
			return LS_EINVAL_ZONE;
		}
	}
	return 0;
}

static const struct zone_hook test_hooks[] = {
	{ "first", hook_first, NULL },
	{ "second", hook_second, NULL },
	{ NULL, NULL, NULL },
};

static int commit_with_hooks(struct fixture *f, const char **add)
{
	struct zone_txn *zt;
	struct zone_diff diff;
	assert_int_equal(zone_txn_begin(f->st, N("example.com."), 0, 0, "test", &zt), 0);
	zone_txn_set_hooks(zt, test_hooks);
	for (; *add; add++) {
		struct rr rr = R(f, *add);
		assert_int_equal(zone_txn_add(zt, &rr, &f->d), 0);
	}
	int rc = zone_txn_commit(zt, &f->d, &diff);
	zone_txn_free(zt);
	return rc;
}

static void test_hooks_in_order(void **state)
{
	struct fixture *f = *state;
	const char *txt[] = { "@ 300 IN TXT \"stored\"", NULL };
	uint32_t s0 = serial(f);
	/* Without hooks the TXT goes in as any record. */
	struct zone_txn *zt;
	struct zone_diff diff;
	struct rr rr = R(f, txt[0]);
	assert_int_equal(zone_txn_begin(f->st, N("example.com."), 0, 0, "test", &zt), 0);
	assert_int_equal(zone_txn_add(zt, &rr, &f->d), 0);
	assert_int_equal(zone_txn_commit(zt, &f->d, &diff), 0);
	zone_txn_free(zt);
	assert_int_equal(count(f, "example.com.", T_TXT), 1);

	trace[0] = 0;
	const char *edit[] = { "@ 300 IN MX 10 mx1", "@ 300 IN TXT \"another\"", NULL };
	assert_int_equal(commit_with_hooks(f, edit), 0);
	assert_string_equal(trace, "1m2");
	assert_int_equal(count(f, "example.com.", T_MX), 1);
	assert_int_equal(count(f, "example.com.", T_TXT), 1);    /* kept as stored */
	assert_true(serial(f) > s0);
}

static void test_hook_refuses(void **state)
{
	struct fixture *f = *state;
	const char *edit[] = { "@ 300 IN MX 10 mx1", "@ 300 IN SPF \"v=spf1 -all\"", NULL };
	uint32_t s0 = serial(f);
	trace[0] = 0;
	assert_int_equal(commit_with_hooks(f, edit), LS_EINVAL_ZONE);
	assert_string_equal(trace, "1m2");
	/* Nothing of the edit was written, and the refusal says why. */
	assert_int_equal(serial(f), s0);
	assert_int_equal(count(f, "example.com.", T_MX), 0);
	assert_int_equal(f->d.errors, 1);
	assert_non_null(strstr(f->d.v[0].text, "no SPF here"));
}

/* ---- the runner ---- */

struct attempt_ctx {
	struct fixture *f;
	int calls;
	int fail_first;       /* returned by the first call, after its changes */
	int fail_always;
};

static int add_mx(struct zone_txn *zt, void *arg, struct diag *d)
{
	struct attempt_ctx *c = arg;
	struct rr rr = R(c->f, "@ 300 IN MX 10 mx1");
	c->calls++;
	diag_add(d, DIAG_WARNING, "test", (unsigned)c->calls, "attempt %d", c->calls);
	int rc = zone_txn_add(zt, &rr, d);
	if (rc == 0 && c->calls == 1 && c->fail_first)
		rc = c->fail_first;
	return rc ? rc : c->fail_always;
}

static void test_runs_again_when_the_map_grows(void **state)
{
	struct fixture *f = *state;
	struct attempt_ctx c = { f, 0, LS_EMAPFULL, 0 };
	struct zone_result res;
	size_t before = store_map_size(f->st);
	struct zone_edit e = { N("example.com."), NULL, 0, 0, "test", add_mx, &c };
	assert_int_equal(zone_edit_run(f->st, &e, &f->d, &res), 0);
	assert_int_equal(c.calls, 2);
	assert_true(store_map_size(f->st) > before);
	/* The first attempt's messages went with it. */
	assert_int_equal(f->d.n, 1);
	assert_int_equal(f->d.v[0].line, 2);
	assert_int_equal(res.diff.nadd, 2);     /* the MX and the new SOA */
	assert_int_equal(count(f, "example.com.", T_MX), 1);
	zone_result_free(&res);
}

/* fn fails every time with fail: the edit gives up after calls in [lo, hi], nothing written. */
static void expect_refused(struct fixture *f, int fail, int lo, int hi)
{
	struct attempt_ctx c = { f, 0, 0, fail };
	struct zone_result res;
	uint32_t s0 = serial(f);
	struct zone_edit e = { N("example.com."), NULL, 0, 0, "test", add_mx, &c };
	assert_int_equal(zone_edit_run(f->st, &e, &f->d, &res), fail);
	assert_null(res.zt);      /* the transaction is over: the writer lock is free */
	assert_true(c.calls >= lo && c.calls <= hi);
	assert_int_equal(serial(f), s0);
	assert_int_equal(count(f, "example.com.", T_MX), 0);
	zone_result_free(&res);
}

static void test_writer_errors(void **state)
{
	struct fixture *f = *state;
	expect_refused(f, LS_ECONFLICT, 1, 1);     /* the writer's own error: at once */
	expect_refused(f, LS_EMAPFULL, 2, 9);      /* the map never has room: a few growths */
}

static void test_within_finds_the_zone(void **state)
{
	struct fixture *f = *state;
	struct attempt_ctx c = { f, 0, 0, 0 };
	struct zone_result res;
	struct zone_edit e = { NULL, N("a.b.example.com."), 0, 0, "test", add_mx, &c };
	assert_int_equal(zone_edit_run(f->st, &e, &f->d, &res), 0);
	assert_int_equal(count(f, "example.com.", T_MX), 1);
	zone_result_free(&res);
	e.within = N("www.example.org.");
	assert_int_equal(zone_edit_run(f->st, &e, &f->d, &res), LS_ENOZONE);
	assert_int_equal(c.calls, 1);
	zone_result_free(&res);
}

/* Every edit through the runner gets zone_hooks: an MX change makes MTA-STS's next policy. */
static void test_runner_brings_the_derivations(void **state)
{
	struct fixture *f = *state;
	static const struct sts_service svc = { "192.0.2.80", NULL, 300 };
	struct sts_settings s = { .mode = STS_MODE_TESTING, .mode_set = true };
	struct zone_result res;
	struct sts_domain d;
	struct store_txn t;
	const char *mx = "add @ 300 IN MX 10 mx1\n";
	assert_int_equal(zone_ops_batch(f->st, N("example.com."), "test", mx, strlen(mx), 0, 3600,
	                                "test", &f->d, &res), 0);
	zone_result_free(&res);
	assert_int_equal(sts_ops_enable(f->st, N("example.com."), &s, &svc, &f->d, &res), 0);
	zone_result_free(&res);
	assert_int_equal(store_begin(f->st, false, 0, &t), 0);
	assert_int_equal(sts_record_get(&t, N("example.com."), &d), 0);
	store_abort(&t);
	uint64_t v0 = d.version;
	/* A bare transaction (no hooks) changes the MX and leaves the policy alone... */
	struct zone_txn *zt;
	struct zone_diff diff;
	struct rr rr = R(f, "@ 300 IN MX 20 mx2");
	assert_int_equal(zone_txn_begin(f->st, N("example.com."), 0, 0, "test", &zt), 0);
	assert_int_equal(zone_txn_add(zt, &rr, &f->d), 0);
	assert_int_equal(zone_txn_commit(zt, &f->d, &diff), 0);
	zone_txn_free(zt);
	assert_int_equal(store_begin(f->st, false, 0, &t), 0);
	assert_int_equal(sts_record_get(&t, N("example.com."), &d), 0);
	store_abort(&t);
	assert_int_equal(d.version, v0);
	/* ... the runner's edit makes the next version in the same commit. */
	const char *more = "add @ 300 IN MX 30 mx3\n";
	assert_int_equal(zone_ops_batch(f->st, N("example.com."), "test", more, strlen(more), 0,
	                                3600, "test", &f->d, &res), 0);
	zone_result_free(&res);
	assert_int_equal(store_begin(f->st, false, 0, &t), 0);
	assert_int_equal(sts_record_get(&t, N("example.com."), &d), 0);
	store_abort(&t);
	assert_int_equal(d.version, v0 + 1);
}

/* ---- batches: several edits in one transaction, each nested ---- */

static void test_batch_refused_edit_leaves_the_others(void **state)
{
	struct fixture *f = *state;
	struct attempt_ctx ok = { f, 0, 0, 0 }, bad = { f, 0, LS_ECONFLICT, 0 };
	struct zone_result res;
	struct zone_batch b;
	uint32_t s0 = serial(f);
	assert_int_equal(zone_batch_begin(f->st, 0, &b), 0);
	struct zone_edit e = { N("example.com."), NULL, 0, 0, "test", add_mx, &bad };
	assert_int_equal(zone_batch_run(&b, &e, &f->d, &res), LS_ECONFLICT);
	assert_null(res.zt);
	zone_result_free(&res);
	/* The zone is found inside the batch's own transaction. */
	e = (struct zone_edit){ NULL, N("www.example.com."), 0, 0, "test", add_mx, &ok };
	assert_int_equal(zone_batch_run(&b, &e, &f->d, &res), 0);
	assert_int_equal(res.diff.nadd, 2);
	zone_result_free(&res);
	assert_int_equal(b.edits, 1);
	assert_int_equal(serial(f), s0);          /* readers see nothing before the commit */
	assert_int_equal(zone_batch_commit(&b), 0);
	assert_int_equal(serial(f), s0 + 1);
	assert_int_equal(count(f, "example.com.", T_MX), 1);
}

static void test_batch_abort_drops_every_edit(void **state)
{
	struct fixture *f = *state;
	struct attempt_ctx ok = { f, 0, 0, 0 };
	struct zone_result res;
	struct zone_batch b;
	uint32_t s0 = serial(f);
	assert_int_equal(zone_batch_begin(f->st, 0, &b), 0);
	struct zone_edit e = { N("example.com."), NULL, 0, 0, "test", add_mx, &ok };
	assert_int_equal(zone_batch_run(&b, &e, &f->d, &res), 0);
	zone_result_free(&res);
	zone_batch_abort(&b);
	zone_batch_abort(&b);                      /* harmless twice */
	assert_int_equal(zone_batch_run(&b, &e, &f->d, &res), -EINVAL);
	assert_int_equal(serial(f), s0);
	assert_int_equal(count(f, "example.com.", T_MX), 0);
}

/* A plan of 5 MX additions, 2 to a batch; the 4th finds the map full once. */
struct plan_ctx {
	struct fixture *f;
	int staged[5], reported[5], forgot;
	bool full_once;
};

struct mx_item {
	struct fixture *f;
	int i;
};

static int add_mx_i(struct zone_txn *zt, void *arg, struct diag *d)
{
	struct mx_item *m = arg;
	char text[64];
	snprintf(text, sizeof(text), "@ 300 IN MX %d mx%d", m->i, m->i);
	struct rr rr = R(m->f, text);
	return zone_txn_add(zt, &rr, d);
}

static int plan_stage(struct zone_batch *b, size_t i, size_t slot, bool *good, void *arg)
{
	struct plan_ctx *c = arg;
	struct mx_item item = { c->f, (int)i + 1 };
	struct zone_result res;
	assert_true(slot == i % 2);
	c->staged[i]++;
	if (i == 3 && !c->full_once) {
		c->full_once = true;
		return LS_EMAPFULL;
	}
	struct zone_edit e = { N("example.com."), NULL, 0, 0, "test", add_mx_i, &item };
	int rc = zone_batch_run(b, &e, NULL, &res);
	zone_result_free(&res);
	*good = rc == 0;
	return rc;
}

static void plan_report(size_t i, size_t slot, bool committed, void *arg)
{
	struct plan_ctx *c = arg;
	assert_true(committed);
	c->reported[i]++;
}

static void plan_forget(size_t slot, void *arg)
{
	((struct plan_ctx *)arg)->forgot++;
}

static void test_batch_each_grows_and_stages_again(void **state)
{
	struct fixture *f = *state;
	struct plan_ctx c = { .f = f };
	size_t before = store_map_size(f->st);
	struct zone_batch_plan p = { 5, 2, false, NULL, plan_stage, plan_report, plan_forget, &c };
	assert_int_equal(zone_batch_each(f->st, &p), 0);
	assert_true(store_map_size(f->st) > before);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(c.staged[i], i == 2 || i == 3 ? 2 : 1);
		assert_int_equal(c.reported[i], 1);
	}
	assert_int_equal(c.forgot, 5 + 2);      /* after each report, and the dropped batch */
	assert_int_equal(count(f, "example.com.", T_MX), 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hooks_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hook_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_runs_again_when_the_map_grows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_within_finds_the_zone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_runner_brings_the_derivations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_refused_edit_leaves_the_others, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_abort_drops_every_edit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_each_grows_and_stages_again, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
