/* Unit tests for spool segments: the record format (tlsrpt_seg), httpsd's group-commit writer
 * (tlsrpt_spool_log) and how the spool's reader takes segments beside single report files. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/util/file.h"
#include "shared/rpt/tlsrpt_seg.h"
#include "shared/rpt/tlsrpt_spool.h"
#include "shared/rpt/tlsrpt_spool_log.h"

#define MIB (1u << 20)
#define THREADS 8
#define PER_THREAD 25

static size_t count_files(const char *state, const char *sub)
{
	char path[512];
	struct dirent *de;
	size_t n = 0;
	snprintf(path, sizeof(path), "%s/tlsrpt/%s", state, sub);
	DIR *d = opendir(path);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* A segment of the given records, built as the writer lays them out. */
static size_t build(uint8_t *out, const char *const *bodies, const char *const *domains, int n)
{
	size_t len = TLSRPT_SEG_MAGIC_LEN;
	memcpy(out, TLSRPT_SEG_MAGIC, len);
	for (int i = 0; i < n; i++) {
		size_t blen = strlen(bodies[i]);
		size_t h = tlsrpt_seg_head(out + len, domains[i], blen, 1700000000 + i);
		assert_int_equal(tlsrpt_seg_size(domains[i], blen), h + blen + TLSRPT_SEG_TAIL);
		memcpy(out + len + h, bodies[i], blen);
		tlsrpt_seg_tail(out + len + h + blen, out + len, h, (const uint8_t *)bodies[i], blen);
		len += h + blen + TLSRPT_SEG_TAIL;
	}
	return len;
}

static void test_format(void **state)
{
	const char *bodies[] = { "{\"a\":1}", "", "second" };
	const char *domains[] = { "example.com", NULL, "x.example" };
	uint8_t seg[512];
	struct tlsrpt_seg_record r;
	size_t len = build(seg, bodies, domains, 3), off = 0;
	assert_true(tlsrpt_seg_is(seg, len));
	assert_false(tlsrpt_seg_is((const uint8_t *)"{}", 2));
	for (int i = 0; i < 3; i++) {
		assert_int_equal(tlsrpt_seg_next(seg, len, &off, &r), 1);
		assert_int_equal(r.len, strlen(bodies[i]));
		assert_memory_equal(r.body, bodies[i], r.len);
		assert_string_equal(r.domain, domains[i] ? domains[i] : "");
		assert_int_equal(r.received, 1700000000 + i);
	}
	assert_int_equal(off, len);
	assert_int_equal(tlsrpt_seg_next(seg, len, &off, &r), 0);
	/* Cut anywhere inside the last record: the first two read, then the end. */
	for (size_t cut = len - 1; cut > len - tlsrpt_seg_size("x.example", 6); cut--) {
		int k = 0;
		off = 0;
		while (tlsrpt_seg_next(seg, cut, &off, &r) == 1)
			k++;
		assert_int_equal(k, 2);
	}
	/* A flipped byte in the second record: it and what follows are not read. */
	seg[TLSRPT_SEG_MAGIC_LEN + tlsrpt_seg_size("example.com", 7) + 5] ^= 1;
	off = 0;
	assert_int_equal(tlsrpt_seg_next(seg, len, &off, &r), 1);
	assert_int_equal(tlsrpt_seg_next(seg, len, &off, &r), 0);
}

struct putter {
	struct tlsrpt_spool_log *log;
	int t;
	int fails;
};

static void *put_many(void *arg)
{
	struct putter *p = arg;
	char body[64];
	for (int i = 0; i < PER_THREAD; i++) {
		int n = snprintf(body, sizeof(body), "report %d-%d", p->t, i);
		if (tlsrpt_spool_log_put(p->log, p->t % 2 ? "example.com" : NULL, (uint8_t *)body,
		                         (size_t)n) != 0)
			p->fails++;
	}
	return NULL;
}

/* Takes the whole spool: the report texts seen (each must be new), marking each done. */
static size_t take_all(const char *dir, bool seen[THREADS][PER_THREAD])
{
	struct tlsrpt_spooled *f = calloc(TLSRPT_SPOOL_BATCH, sizeof(*f));
	size_t n, total = 0;
	while (tlsrpt_spool_take(dir, MIB, f, &n) == 0 && n > 0) {
		for (size_t i = 0; i < n; i++) {
			int t, k;
			char text[64];
			assert_int_equal(f[i].err, 0);
			assert_true(f[i].len < sizeof(text));
			memcpy(text, f[i].body, f[i].len);
			text[f[i].len] = 0;
			assert_int_equal(sscanf(text, "report %d-%d", &t, &k), 2);
			assert_false(seen[t][k]);
			seen[t][k] = true;
			assert_string_equal(f[i].domain, t % 2 ? "example.com" : "");
			assert_true(f[i].rec >= 0);
			assert_int_equal(tlsrpt_spool_done(dir, &f[i]), 0);
			total++;
		}
		tlsrpt_spool_free(f, n);
	}
	free(f);
	return total;
}

static void test_log_group_commit(void **state)
{
	char *dir = temp_dir();
	struct tlsrpt_spool_log *log;
	pthread_t th[THREADS];
	struct putter p[THREADS];
	bool seen[THREADS][PER_THREAD] = { { false } };
	assert_int_equal(tlsrpt_spool_log_open(dir, &log), 0);
	assert_int_equal(tlsrpt_spool_log_put(log, "bad/name", (const uint8_t *)"x", 1), LS_EPARSE);
	for (int t = 0; t < THREADS; t++) {
		p[t] = (struct putter){ log, t, 0 };
		assert_int_equal(pthread_create(&th[t], NULL, put_many, &p[t]), 0);
	}
	for (int t = 0; t < THREADS; t++) {
		pthread_join(th[t], NULL);
		assert_int_equal(p[t].fails, 0);
	}
	/* Every report returned durable; many shared a segment (at most 64 in one). */
	size_t files = count_files(dir, "seg") + count_files(dir, "new");
	assert_true(files >= (THREADS * PER_THREAD + TLSRPT_SEG_RECORDS_MAX - 1) /
	                     TLSRPT_SEG_RECORDS_MAX);
	assert_true(files < THREADS * PER_THREAD);
	assert_int_equal(count_files(dir, "tmp"), 0);
	tlsrpt_spool_log_close(log);               /* hands the open segment over */
	assert_int_equal(count_files(dir, "seg"), 0);
	assert_true(tlsrpt_spool_pending(dir));
	assert_int_equal(take_all(dir, seen), THREADS * PER_THREAD);
	assert_int_equal(count_files(dir, "new"), 0);
	assert_false(tlsrpt_spool_pending(dir));
	rm_tree(dir);
}

static void test_log_hands_over_when_idle(void **state)
{
	char *dir = temp_dir();
	struct tlsrpt_spool_log *log;
	assert_int_equal(tlsrpt_spool_log_open(dir, &log), 0);
	assert_int_equal(tlsrpt_spool_log_put(log, NULL, (const uint8_t *)"report 0-0", 10), 0);
	/* Bounded wait (a loaded machine may be slow): the segment reaches new/ by itself. */
	for (int i = 0; i < 500 && count_files(dir, "new") == 0; i++)
		usleep(10000);
	assert_int_equal(count_files(dir, "new"), 1);
	assert_int_equal(count_files(dir, "seg"), 0);
	tlsrpt_spool_log_close(log);
	rm_tree(dir);
}

/* Records of many sizes, each synced alone: the writer's O_DIRECT path (where /tmp has it)
 * writes the last partial block again with each sync and pads it. The segments handed over (a
 * put waits out the gap between syncs, so the puts outlast a segment's age) hold every record
 * in order, each segment exactly as long as its records (the padding cut), and zeros after the
 * last record would end it as a cut record does. */
static void test_log_sizes_across_blocks(void **state)
{
	enum { N = 40 };
	char *dir = temp_dir(), path[512];
	struct tlsrpt_spool_log *log;
	static uint8_t body[N][3 * 4096 + 7];
	size_t lens[N], expect = 0;
	assert_int_equal(tlsrpt_spool_log_open(dir, &log), 0);
	for (int i = 0; i < N; i++) {
		lens[i] = i == N / 2 ? sizeof(body[0]) : (size_t)(i * 331 + 1) % sizeof(body[0]);
		for (size_t k = 0; k < lens[i]; k++)
			body[i][k] = (uint8_t)(i * 7 + k);
		assert_int_equal(tlsrpt_spool_log_put(log, "example.com", body[i], lens[i]), 0);
		expect += tlsrpt_seg_size("example.com", lens[i]);
	}
	static uint8_t big[300 * 1024];             /* past the stage's first size */
	memset(big, 'b', sizeof(big));
	assert_int_equal(tlsrpt_spool_log_put(log, NULL, big, sizeof(big)), 0);
	expect += tlsrpt_seg_size(NULL, sizeof(big));
	tlsrpt_spool_log_close(log);
	snprintf(path, sizeof(path), "%s/tlsrpt/new", dir);
	struct dirent **names;
	int files = scandir(path, &names, NULL, alphasort), seen = 0;   /* names sort by time */
	size_t total = 0;
	assert_true(files >= 0);
	for (int f = 0; f < files; f++) {
		char file[1024];
		if (names[f]->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, names[f]->d_name);
		char *data;
		size_t len, off = 0;
		assert_int_equal(file_read(file, 16 * MIB, FILE_REGULAR, &data, &len), 0);
		uint8_t *padded = calloc(1, len + 4096);
		memcpy(padded, data, len);
		struct tlsrpt_seg_record r;
		while (tlsrpt_seg_next(padded, len + 4096, &off, &r) == 1) {
			assert_true(seen <= N);
			assert_int_equal(r.len, seen < N ? lens[seen] : sizeof(big));
			assert_memory_equal(r.body, seen < N ? body[seen] : big, r.len);
			seen++;
		}
		assert_int_equal(off, len);             /* no padding left, nothing after the last */
		total += len - TLSRPT_SEG_MAGIC_LEN;
		free(padded);
		file_free(data, len, 0);
	}
	for (int f = 0; f < files; f++)
		free(names[f]);
	free(names);
	assert_int_equal(seen, N + 1);
	assert_int_equal(total, expect);
	rm_tree(dir);
}

/* A segment in seg/: left alone while its writer holds the lock, taken once it is gone. */
static void test_recover_orphan(void **state)
{
	char *dir = temp_dir(), path[512];
	const char *bodies[] = { "report 1-0", "report 1-1" };
	const char *domains[] = { "example.com", "example.com" };
	bool seen[THREADS][PER_THREAD] = { { false } };
	uint8_t seg[256];
	size_t len = build(seg, bodies, domains, 2);
	assert_int_equal(tlsrpt_spool_dirs(dir), 0);
	snprintf(path, sizeof(path), "%s/tlsrpt/seg/1.000000001.1.0" TLSRPT_SEG_SUFFIX, dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640);
	assert_true(fd >= 0);
	assert_int_equal(file_write_all(fd, seg, len - 3), 0);   /* the last record cut short */
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_false(tlsrpt_spool_pending(dir));
	assert_int_equal(count_files(dir, "seg"), 1);
	close(fd);                                  /* the writer is killed */
	assert_true(tlsrpt_spool_pending(dir));
	assert_int_equal(count_files(dir, "seg"), 0);
	assert_int_equal(take_all(dir, seen), 1);   /* the whole record; the cut one was never
	                                               acknowledged */
	assert_true(seen[1][0]);
	assert_int_equal(count_files(dir, "new"), 0);
	rm_tree(dir);
}

/* Old single-report files and segments in new/ together; a record rejected goes to bad/. */
static void test_mixed_and_reject(void **state)
{
	char *dir = temp_dir(), path[512];
	const char *bodies[] = { "report 0-1", "not a report" };
	const char *domains[] = { NULL, "example.com" };
	struct tlsrpt_spooled *f = calloc(TLSRPT_SPOOL_BATCH, sizeof(*f));
	uint8_t seg[256];
	size_t len = build(seg, bodies, domains, 2), n;
	assert_int_equal(tlsrpt_spool_put(dir, "example.com", (const uint8_t *)"report 1-3", 10), 0);
	snprintf(path, sizeof(path), "%s/tlsrpt/new/9.000000000.1.0" TLSRPT_SEG_SUFFIX, dir);
	assert_int_equal(file_write_atomic(path, -1, seg, len, 0640), 0);
	snprintf(path, sizeof(path), "%s/tlsrpt/new/9.000000001.1.1" TLSRPT_SEG_SUFFIX, dir);
	assert_int_equal(file_write_atomic(path, -1, TLSRPT_SEG_MAGIC, TLSRPT_SEG_MAGIC_LEN, 0640),
	                 0);                        /* empty: removed, nothing to import */
	assert_int_equal(tlsrpt_spool_take(dir, MIB, f, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(f[0].rec, -1);             /* the single file is older */
	assert_memory_equal(f[0].body, "report 1-3", 10);
	assert_string_equal(f[0].domain, "example.com");
	assert_int_equal(f[1].rec, 0);
	assert_false(f[1].last);
	assert_int_equal(f[2].rec, 1);
	assert_true(f[2].last);
	assert_string_equal(f[2].domain, "example.com");
	assert_int_equal(tlsrpt_spool_reject(dir, &f[2]), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(tlsrpt_spool_done(dir, &f[i]), 0);
	tlsrpt_spool_free(f, n);
	assert_int_equal(count_files(dir, "new"), 0);
	assert_int_equal(count_files(dir, "bad"), 1);
	char *bad;
	size_t blen;
	snprintf(path, sizeof(path), "%s/tlsrpt/bad/9.000000000.1.0" TLSRPT_SEG_SUFFIX ".1", dir);
	assert_int_equal(file_read(path, MIB, 0, &bad, &blen), 0);
	assert_int_equal(blen, strlen("not a report"));
	free(bad);
	free(f);
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_log_group_commit),
		cmocka_unit_test(test_log_hands_over_when_idle),
		cmocka_unit_test(test_log_sizes_across_blocks),
		cmocka_unit_test(test_recover_orphan),
		cmocka_unit_test(test_mixed_and_reject),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
