/* Unit tests for httpsd/mailbox.c and intake_queue.c, and the spool log's tickets: items
 * posted from many threads reach the loop in order; reports come back with their verdicts,
 * the good ones durable in the spool; a flood shares syncs; closing waits for every report. */
#include <pthread.h>
#include <uv.h>
#include "tests/unit/unit.h"
#include "httpsd/intake_queue.h"
#include "httpsd/mailbox.h"
#include "shared/rpt/tlsrpt_gzip.h"
#include "shared/rpt/tlsrpt_spool.h"
#include "shared/rpt/tlsrpt_spool_log.h"

#define MIB (1u << 20)
#define POSTERS 4
#define PER_POSTER 2000
#define JOBS 60
#define GUARD_MS 20000          /* a test loop ends by then even when something is lost */

static const char report[] =
	"{\"organization-name\":\"Org\",\"report-id\":\"r1\",\"date-range\":"
	"{\"start-datetime\":\"2026-01-01T00:00:00Z\",\"end-datetime\":\"2026-01-01T23:59:59Z\"},"
	"\"policies\":[{\"policy\":{\"policy-type\":\"sts\",\"policy-domain\":\"example.com\"},"
	"\"summary\":{\"total-successful-session-count\":1,\"total-failure-session-count\":0}}]}";

/* ---- the mailbox ---- */

struct item {
	struct mailbox_item it;       /* first */
	int poster, seq;
};

static struct {
	struct mailbox mb;
	struct item items[POSTERS][PER_POSTER];
	int next[POSTERS];            /* the seq each poster's next item must have */
	int got, out_of_order;
} box;

static void box_run(struct mailbox_item *it)
{
	struct item *i = (struct item *)it;
	if (i->seq != box.next[i->poster])
		box.out_of_order++;
	box.next[i->poster] = i->seq + 1;
	if (++box.got == POSTERS * PER_POSTER)
		uv_close((uv_handle_t *)&box.mb.poll, NULL);   /* the loop runs out */
}

static void *poster(void *arg)
{
	int p = (int)(intptr_t)arg;
	for (int k = 0; k < PER_POSTER; k++) {
		box.items[p][k] = (struct item){ { NULL }, p, k };
		mailbox_post(&box.mb, &box.items[p][k].it);
		if (k % 100 == 0)
			usleep(100);          /* let the loop empty the box now and then */
	}
	return NULL;
}

static void on_guard(uv_timer_t *t)
{
	uv_stop(t->loop);
}

/* Runs loop until its handles close or GUARD_MS pass (guard: a timer not yet initialised). */
static void run_guarded(uv_loop_t *loop, uv_timer_t *guard)
{
	assert_int_equal(uv_timer_init(loop, guard), 0);
	uv_timer_start(guard, on_guard, GUARD_MS, 0);
	uv_unref((uv_handle_t *)guard);                   /* does not keep the loop alive itself */
	uv_run(loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)guard, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
}

static void test_mailbox_from_threads(void **state)
{
	(void)state;
	uv_loop_t loop;
	uv_timer_t guard;
	pthread_t th[POSTERS];
	memset(&box, 0, sizeof(box));
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(mailbox_init(&box.mb, &loop, box_run), 0);
	for (int p = 0; p < POSTERS; p++)
		assert_int_equal(pthread_create(&th[p], NULL, poster, (void *)(intptr_t)p), 0);
	run_guarded(&loop, &guard);
	for (int p = 0; p < POSTERS; p++)
		pthread_join(th[p], NULL);
	assert_int_equal(box.got, POSTERS * PER_POSTER);
	assert_int_equal(box.out_of_order, 0);
	/* Posted after the loop ended: drain hands it over on this thread. */
	struct item late = { { NULL }, 0, PER_POSTER };
	mailbox_post(&box.mb, &late.it);
	mailbox_drain(&box.mb);
	assert_int_equal(box.got, POSTERS * PER_POSTER + 1);
	mailbox_free(&box.mb);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- the queue ---- */

struct qjob {
	struct intake_job job;        /* first */
	int want;                     /* the status it must come back with */
};

static struct {
	struct mailbox mb;
	int back, wrong;
	int total;
} qs;

static void q_run(struct mailbox_item *it)
{
	struct qjob *j = (struct qjob *)it;
	if (j->job.status != j->want || (j->want != 200 && j->job.why[0] == '\0'))
		qs.wrong++;
	if (++qs.back == qs.total && !uv_is_closing((uv_handle_t *)&qs.mb.poll))
		uv_close((uv_handle_t *)&qs.mb.poll, NULL);
}

/* Takes the whole spool: every body must be one of the two good ones, as sent. */
static size_t spooled(const char *dir, const uint8_t *gz, size_t glen)
{
	struct tlsrpt_spooled *f = calloc(TLSRPT_SPOOL_BATCH, sizeof(*f));
	size_t n, total = 0;
	while (tlsrpt_spool_take(dir, MIB, f, &n) == 0 && n > 0) {
		for (size_t i = 0; i < n; i++) {
			assert_int_equal(f[i].err, 0);
			bool plain = f[i].len == strlen(report) && memcmp(f[i].body, report, f[i].len) == 0;
			bool gzip = f[i].len == glen && memcmp(f[i].body, gz, glen) == 0;
			assert_true(plain || gzip);
			assert_int_equal(tlsrpt_spool_done(dir, &f[i]), 0);
			total++;
		}
		tlsrpt_spool_free(f, n);
	}
	free(f);
	return total;
}

struct fixture {
	char *dir;
	uv_loop_t loop;
	struct intake_queue *q;
	struct tlsrpt_spool_log *log;
	struct intake_settings s;
	uint8_t *gz, *bomb;
	size_t glen, blen;
	int good;
};

static void fixture_open(struct fixture *f, int total)
{
	uint8_t *zeros = calloc(1, MIB);
	assert_non_null(zeros);
	f->dir = temp_dir();
	assert_int_equal(tlsrpt_gzip_deflate((const uint8_t *)report, strlen(report), &f->gz,
	                                     &f->glen), 0);
	assert_int_equal(tlsrpt_gzip_deflate(zeros, MIB, &f->bomb, &f->blen), 0);
	free(zeros);
	assert_int_equal(tlsrpt_spool_log_open(f->dir, &f->log), 0);
	f->s = (struct intake_settings){ .receive = true, .max_size = MIB,
	                                 .max_expanded = 64 * 1024, .state_dir = f->dir,
	                                 .log = f->log };
	memset(&qs, 0, sizeof(qs));
	qs.total = total;
	f->good = 0;
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(mailbox_init(&qs.mb, &f->loop, q_run), 0);
	assert_int_equal(intake_queue_open(3, &f->q), 0);
}

/* Good reports (plain and gzip), a body that is no report, a bomb: in turn. */
static void submit_all(struct fixture *f, struct qjob *jobs, int n)
{
	for (int i = 0; i < n; i++) {
		struct qjob *j = &jobs[i];
		memset(j, 0, sizeof(*j));
		j->job.back = &qs.mb;
		j->job.s = &f->s;
		j->job.domain = i % 2 ? "example.com" : NULL;
		switch (i % 4) {
		case 0:
			j->job.body = (const uint8_t *)report;
			j->job.len = strlen(report);
			j->want = 200;
			break;
		case 1:
			j->job.body = f->gz;
			j->job.len = f->glen;
			j->want = 200;
			break;
		case 2:
			j->job.body = (const uint8_t *)"{\"a\":1}";
			j->job.len = 7;
			j->want = 400;
			break;
		default:
			j->job.body = f->bomb;
			j->job.len = f->blen;
			j->want = 413;
			break;
		}
		f->good += j->want == 200;
		intake_queue_submit(f->q, &j->job);
	}
}

/* After the queue is closed: the spool holds exactly the good reports, each synced. */
static void fixture_close(struct fixture *f)
{
	uint64_t records, syncs;
	tlsrpt_spool_log_stats(f->log, &records, &syncs);
	assert_int_equal(records, (uint64_t)f->good);
	assert_true(syncs >= 1 && syncs <= records);
	tlsrpt_spool_log_close(f->log);
	assert_int_equal(spooled(f->dir, f->gz, f->glen), (size_t)f->good);
	mailbox_free(&qs.mb);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	free(f->gz);
	free(f->bomb);
	rm_tree(f->dir);
}

static void test_queue_verdicts(void **state)
{
	(void)state;
	static struct qjob jobs[JOBS];
	struct fixture f;
	uv_timer_t guard;
	fixture_open(&f, JOBS);
	submit_all(&f, jobs, JOBS);
	run_guarded(&f.loop, &guard);
	assert_int_equal(qs.back, JOBS);
	assert_int_equal(qs.wrong, 0);
	intake_queue_close(f.q);
	fixture_close(&f);
}

/* httpsd's shutdown: the loop is gone; closing the queue waits for every report (checks and
 * syncs), and the drain hands each back with its verdict. */
static void test_close_waits_for_all(void **state)
{
	(void)state;
	static struct qjob jobs[JOBS];
	struct fixture f;
	fixture_open(&f, JOBS);
	submit_all(&f, jobs, JOBS);
	intake_queue_close(f.q);
	assert_int_equal(qs.back, 0);              /* none ran: the loop never did */
	mailbox_drain(&qs.mb);
	assert_int_equal(qs.back, JOBS);
	assert_int_equal(qs.wrong, 0);
	uv_run(&f.loop, UV_RUN_DEFAULT);           /* q_run closed the poll with the last one */
	fixture_close(&f);
}

/* ---- the spool log's tickets ---- */

static struct {
	pthread_mutex_t lock;
	int done, failed;
} tk = { PTHREAD_MUTEX_INITIALIZER, 0, 0 };

static void ticket_done(struct tlsrpt_spool_ticket *t, int rc)
{
	(void)t;
	pthread_mutex_lock(&tk.lock);
	tk.done++;
	tk.failed += rc != 0;
	pthread_mutex_unlock(&tk.lock);
}

static int tickets_done(void)
{
	pthread_mutex_lock(&tk.lock);
	int n = tk.done;
	pthread_mutex_unlock(&tk.lock);
	return n;
}

/* 200 reports appended at once share a few syncs; one alone later is synced by itself. */
static void test_flood_shares_syncs(void **state)
{
	(void)state;
	enum { FLOOD = 200 };
	static struct tlsrpt_spool_ticket t[FLOOD + 1];
	char *dir = temp_dir();
	struct tlsrpt_spool_log *log;
	uint64_t records, syncs;
	tk.done = tk.failed = 0;
	assert_int_equal(tlsrpt_spool_log_open(dir, &log), 0);
	for (int i = 0; i < FLOOD; i++) {
		t[i].done = ticket_done;
		assert_int_equal(tlsrpt_spool_log_append(log, NULL, (const uint8_t *)report,
		                                         strlen(report), &t[i]), 0);
	}
	for (int i = 0; i < 2000 && tickets_done() < FLOOD; i++)
		usleep(5000);
	assert_int_equal(tickets_done(), FLOOD);
	tlsrpt_spool_log_stats(log, &records, &syncs);
	assert_int_equal(records, FLOOD);
	/* At most one sync per TLSRPT_SPOOL_LOG_GAP_MS unless a batch waits: far fewer syncs than
	 * reports, even on a slow machine. */
	assert_true(syncs * 2 <= records);
	usleep(TLSRPT_SPOOL_LOG_GAP_MS * 1000 * 2);
	t[FLOOD].done = ticket_done;
	assert_int_equal(tlsrpt_spool_log_append(log, "example.com", (const uint8_t *)report,
	                                         strlen(report), &t[FLOOD]), 0);
	for (int i = 0; i < 2000 && tickets_done() < FLOOD + 1; i++)
		usleep(1000);
	assert_int_equal(tickets_done(), FLOOD + 1);
	assert_int_equal(tk.failed, 0);
	uint64_t syncs_before = syncs;
	tlsrpt_spool_log_stats(log, &records, &syncs);
	assert_int_equal(records, FLOOD + 1);
	assert_int_equal(syncs, syncs_before + 1);
	tlsrpt_spool_log_close(log);
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mailbox_from_threads),
		cmocka_unit_test(test_queue_verdicts),
		cmocka_unit_test(test_close_waits_for_all),
		cmocka_unit_test(test_flood_shares_syncs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
