/* shared/util/worker_pool.c: threads start and stop, per-batch read transactions, connection lists. */
#include "unit.h"
#include "shared/util/worker_pool.h"

struct fake_conn {
	struct worker_pool_conn link;
	struct worker_pool_thread *t;
	int closed;
};

static void fake_close(struct worker_pool_conn *l)
{
	struct fake_conn *c = (struct fake_conn *)l;
	c->closed++;
	worker_pool_conn_del(c->t, l);
}

static void test_conn_list(void **state)
{
	struct worker_pool_thread t;
	struct fake_conn c[3];
	(void)state;
	memset(&t, 0, sizeof(t));
	memset(c, 0, sizeof(c));
	for (int i = 0; i < 3; i++) {
		c[i].t = &t;
		worker_pool_conn_add(&t, &c[i].link, fake_close);
	}
	assert_int_equal(t.nconns, 3);
	/* The middle one goes; the others stay linked in order. */
	worker_pool_conn_del(&t, &c[1].link);
	worker_pool_conn_del(&t, &c[1].link);     /* a second time does nothing */
	assert_int_equal(t.nconns, 2);
	assert_ptr_equal(t.conns, &c[2].link);
	assert_ptr_equal(t.conns->next, &c[0].link);
	assert_null(c[0].link.next);
	worker_pool_conn_del(&t, &c[2].link);
	assert_ptr_equal(t.conns, &c[0].link);
	worker_pool_conn_del(&t, &c[0].link);
	assert_null(t.conns);
	assert_int_equal(t.nconns, 0);
}

struct pool_fixture {
	struct worker_pool *p;
	struct store *st;
	struct worker_pool_thread *t;
	struct fake_conn *c;
	size_t fail_at;
};

/* Worker i: a read transaction (with a cursor for worker 0) and one connection. */
static int add_one(void *arg, size_t i)
{
	struct pool_fixture *f = arg;
	if (i == f->fail_at)
		return UV_EADDRINUSE;
	int rc = worker_pool_add(f->p, &f->t[i], f->st, i == 0);
	if (rc == 0) {
		f->c[i].t = &f->t[i];
		worker_pool_conn_add(&f->t[i], &f->c[i].link, fake_close);
	}
	return rc;
}

/* Threads with a connection each start, stop (closing it on their own loop) and are freed. */
static void test_start_stop(void **state)
{
	char *dir = temp_dir();
	struct store *st;
	struct worker_pool p;
	struct worker_pool_thread t[2];
	struct fake_conn c[2];
	(void)state;
	assert_int_equal(store_open(&st, dir, 0), 0);
	memset(t, 0, sizeof(t));
	memset(c, 0, sizeof(c));
	struct pool_fixture f = { &p, st, t, c, 99 };
	assert_int_equal(worker_pool_init(&p, 2, add_one, &f), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(t[i].index, i);
		assert_true(t[i].store_ok);
	}
	assert_non_null(t[0].cur);
	assert_null(t[1].cur);
	/* A batch: the transaction is renewed once and reset at the end. */
	assert_true(worker_pool_txn(&t[0]));
	assert_true(t[0].renewed);
	assert_true(worker_pool_txn(&t[0]));
	worker_pool_txn_done(&t[0]);
	assert_false(t[0].renewed);
	worker_pool_txn_done(&t[0]);
	assert_int_equal(worker_pool_start(&p), 0);
	assert_int_equal(p.started, 2);
	worker_pool_stop(&p);
	for (int i = 0; i < 2; i++) {
		assert_true(t[i].stopping);
		assert_int_equal(c[i].closed, 1);
		assert_int_equal(t[i].nconns, 0);
	}
	worker_pool_free(&p);
	assert_false(p.loop_ok);
	store_close(st);
	rm_tree(dir);
}

/* A start-up that fails at the second worker stops there, and the pool still frees cleanly. */
static void test_failed_start(void **state)
{
	struct worker_pool p;
	struct worker_pool_thread t[2];
	struct fake_conn c[2];
	char *dir = temp_dir();
	struct store *st;
	(void)state;
	assert_int_equal(store_open(&st, dir, 0), 0);
	memset(t, 0, sizeof(t));
	memset(c, 0, sizeof(c));
	struct pool_fixture f = { &p, st, t, c, 1 };
	assert_int_equal(worker_pool_init(&p, 2, add_one, &f), UV_EADDRINUSE);
	assert_int_equal(p.n, 1);
	worker_pool_stop(&p);
	worker_pool_free(&p);
	worker_pool_free(&p);       /* twice is harmless */
	store_close(st);
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conn_list),
		cmocka_unit_test(test_start_stop),
		cmocka_unit_test(test_failed_start),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
