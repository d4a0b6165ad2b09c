/* Unit tests for sts_sessions.c: kept TLS sessions, one file per endpoint and host. */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/sts/sts_sessions.h"

#define KEY_A "127.0.0.1:8443 mta-sts.a.example"
#define KEY_B "127.0.0.1:8443 mta-sts.b.example"

static int setup(void **state)
{
	*state = temp_dir();
	return 0;
}

static int teardown(void **state)
{
	rm_tree(*state);
	return 0;
}

/* The directory under the temporary one; made by the first put. */
static const char *sdir(void **state)
{
	static char dir[256];
	snprintf(dir, sizeof(dir), "%s/sessions.d", (char *)*state);
	return dir;
}

static size_t count_files(const char *dir)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The path of key's file, to damage it. */
static void key_path(char *out, size_t size, const char *dir, const char *key)
{
	snprintf(out, size, "%s/%04llx", dir, sts_sessions_hash(key) % STS_SESSIONS_FILES);
}

/* Stored, found by its own key only, replaced by the next put; mode 0600 in a 0700 directory. */
static void test_store_find_replace(void **state)
{
	const char *dir = sdir(state);
	unsigned char blob[STS_SESSIONS_BLOB_MAX];
	size_t len = 0;
	struct stat sb;
	assert_int_equal(sts_sessions_get(dir, KEY_A, blob, sizeof(blob), &len), LS_ENOTFOUND);
	assert_int_equal(sts_sessions_put(dir, KEY_A, (const unsigned char *)"first", 5), 0);
	assert_int_equal(sts_sessions_put(dir, KEY_B, (const unsigned char *)"other", 5), 0);
	assert_int_equal(sts_sessions_get(dir, KEY_A, blob, sizeof(blob), &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(blob, "first", 5);
	assert_int_equal(sts_sessions_put(dir, KEY_A, (const unsigned char *)"second!", 7), 0);
	assert_int_equal(sts_sessions_get(dir, KEY_A, blob, sizeof(blob), &len), 0);
	assert_int_equal(len, 7);
	assert_memory_equal(blob, "second!", 7);
	assert_int_equal(sts_sessions_get(dir, KEY_B, blob, sizeof(blob), &len), 0);
	assert_memory_equal(blob, "other", 5);
	assert_int_equal(sts_sessions_get(dir, "127.0.0.1:8443 mta-sts.c.example", blob,
	                                  sizeof(blob), &len), LS_ENOTFOUND);
	assert_int_equal(count_files(dir), 2);   /* no temporary file left behind */
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	char path[512];
	key_path(path, sizeof(path), dir, KEY_A);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* An empty session is a session. */
	assert_int_equal(sts_sessions_put(dir, KEY_A, blob, 0), 0);
	assert_int_equal(sts_sessions_get(dir, KEY_A, blob, sizeof(blob), &len), 0);
	assert_int_equal(len, 0);
}

/* Writes bytes as key's file. */
static void write_file(const char *dir, const char *key, const void *data, size_t len)
{
	char path[512];
	key_path(path, sizeof(path), dir, key);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* A damaged file is no session: cut short, wrong magic, wrong lengths, trailing bytes. */
static void test_corrupt_ignored(void **state)
{
	const char *dir = sdir(state);
	unsigned char blob[STS_SESSIONS_BLOB_MAX], good[1024];
	size_t len;
	char path[512];
	assert_int_equal(sts_sessions_put(dir, KEY_A, (const unsigned char *)"abcdef", 6), 0);
	key_path(path, sizeof(path), dir, KEY_A);
	FILE *f = fopen(path, "rb");
	size_t n = fread(good, 1, sizeof(good), f);
	fclose(f);
	assert_int_equal(n, 4 + 2 + strlen(KEY_A) + 4 + 6);   /* magic, one entry */
	for (size_t cut = 0; cut < n; cut++) {       /* every prefix */
		write_file(dir, KEY_A, good, cut);
		assert_int_equal(sts_sessions_get(dir, KEY_A, blob, sizeof(blob), &len), LS_ENOTFOUND);
	}
	unsigned char bad[1024];
	memcpy(bad, good, n);
	bad[0] = 'X';                                /* magic */
	write_file(dir, KEY_A, bad, n);
	assert_int_equal(sts_sessions_get(dir, KEY_A, blob, sizeof(blob), &len), LS_ENOTFOUND);
	memcpy(bad, good, n);
	bad[4]++;                                    /* key length */
	write_file(dir, KEY_A, bad, n);
	assert_int_equal(sts_sessions_get(dir, KEY_A, blob, sizeof(blob), &len), LS_ENOTFOUND);
	memcpy(bad, good, n);
	bad[n - 6 - 4 + 3] = 0x7f;                   /* session length's high byte */
	write_file(dir, KEY_A, bad, n);
	assert_int_equal(sts_sessions_get(dir, KEY_A, blob, sizeof(blob), &len), LS_ENOTFOUND);
	memcpy(bad, good, n);
	bad[n] = 'z';                                /* one byte too many */
	write_file(dir, KEY_A, bad, n + 1);
	assert_int_equal(sts_sessions_get(dir, KEY_A, blob, sizeof(blob), &len), LS_ENOTFOUND);
	write_file(dir, KEY_A, good, n);             /* and whole again, it is found */
	assert_int_equal(sts_sessions_get(dir, KEY_A, blob, sizeof(blob), &len), 0);
	assert_memory_equal(blob, "abcdef", 6);
	/* A directory where the file should be: no session, and no crash. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(sts_sessions_get(dir, KEY_A, blob, sizeof(blob), &len), LS_ENOTFOUND);
}

/* Sizes are bounded: the key, the session, the caller's buffer, a file grown past the largest
 * a put writes. The count is bounded by the slots: two keys of one slot share a file, the
 * second replacing the first. */
static void test_bounds(void **state)
{
	const char *dir = sdir(state);
	static unsigned char blob[STS_SESSIONS_BLOB_MAX + 1];
	static unsigned char huge[(STS_SESSIONS_PER_FILE + 1) * (STS_SESSIONS_BLOB_MAX + 400)];
	size_t len;
	char longkey[STS_SESSIONS_KEY_MAX + 1];
	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = 0;
	assert_int_equal(sts_sessions_put(dir, longkey, blob, 1), LS_ETOOBIG);
	assert_int_equal(sts_sessions_put(dir, "", blob, 1), LS_ETOOBIG);
	assert_int_equal(sts_sessions_put(dir, KEY_A, blob, STS_SESSIONS_BLOB_MAX + 1), LS_ETOOBIG);
	memset(blob, 0xa5, sizeof(blob));
	assert_int_equal(sts_sessions_put(dir, KEY_A, blob, STS_SESSIONS_BLOB_MAX), 0);
	assert_int_equal(sts_sessions_get(dir, KEY_A, blob, STS_SESSIONS_BLOB_MAX - 1, &len),
	                 LS_ENOTFOUND);              /* the caller's buffer is too small */
	assert_int_equal(sts_sessions_get(dir, KEY_A, blob, STS_SESSIONS_BLOB_MAX, &len), 0);
	assert_int_equal(len, STS_SESSIONS_BLOB_MAX);
	/* A file past the largest a put writes is not read at all, even when it starts well. */
	char path[512];
	key_path(path, sizeof(path), dir, KEY_A);
	FILE *f = fopen(path, "rb");
	size_t n = fread(huge, 1, sizeof(huge), f);
	fclose(f);
	assert_true(n < sizeof(huge));
	write_file(dir, KEY_A, huge, sizeof(huge));
	assert_int_equal(sts_sessions_get(dir, KEY_A, blob, sizeof(blob), &len), LS_ENOTFOUND);

	/* The count is bounded: keys of one file share it, newest first, and the oldest goes
	 * once STS_SESSIONS_PER_FILE are there. Keys of one file found by search, as a
	 * provider's names would fall. */
	char keys[STS_SESSIONS_PER_FILE + 1][64];
	unsigned long long want = sts_sessions_hash("127.0.0.1:1 mta-sts.d0.example") %
	                          STS_SESSIONS_FILES;
	int found = 0;
	for (unsigned i = 0; i < 64u * STS_SESSIONS_FILES * STS_SESSIONS_PER_FILE &&
	                     found <= STS_SESSIONS_PER_FILE; i++) {
		char k[64];
		snprintf(k, sizeof(k), "127.0.0.1:1 mta-sts.d%u.example", i);
		if (sts_sessions_hash(k) % STS_SESSIONS_FILES == want)
			memcpy(keys[found++], k, sizeof(k));
	}
	assert_int_equal(found, STS_SESSIONS_PER_FILE + 1);
	size_t before = count_files(dir);
	for (int i = 0; i <= STS_SESSIONS_PER_FILE; i++) {
		unsigned char v = (unsigned char)i;
		assert_int_equal(sts_sessions_put(dir, keys[i], &v, 1), 0);
		assert_int_equal(count_files(dir), before + 1);
	}
	assert_int_equal(sts_sessions_get(dir, keys[0], blob, sizeof(blob), &len), LS_ENOTFOUND);
	for (int i = 1; i <= STS_SESSIONS_PER_FILE; i++) {
		assert_int_equal(sts_sessions_get(dir, keys[i], blob, sizeof(blob), &len), 0);
		assert_int_equal(len, 1);
		assert_int_equal(blob[0], i);
	}
	/* Writing a key again makes it the newest: the oldest other one goes next. */
	unsigned char v = 42;
	assert_int_equal(sts_sessions_put(dir, keys[1], &v, 1), 0);
	assert_int_equal(sts_sessions_put(dir, keys[0], &v, 1), 0);
	assert_int_equal(sts_sessions_get(dir, keys[1], blob, sizeof(blob), &len), 0);
	assert_int_equal(blob[0], 42);
	assert_int_equal(sts_sessions_get(dir, keys[2], blob, sizeof(blob), &len), LS_ENOTFOUND);
	/* The largest file: every entry at its largest. */
	memset(blob, 0x5a, sizeof(blob));
	for (int i = 0; i <= STS_SESSIONS_PER_FILE; i++)
		assert_int_equal(sts_sessions_put(dir, keys[i], blob, STS_SESSIONS_BLOB_MAX), 0);
	for (int i = 1; i <= STS_SESSIONS_PER_FILE; i++)
		assert_int_equal(sts_sessions_get(dir, keys[i], blob, sizeof(blob), &len), 0);
}

/* A directory that cannot be made: the put says why, a get finds nothing. */
static void test_no_directory(void **state)
{
	char dir[256];
	unsigned char blob[8];
	size_t len;
	snprintf(dir, sizeof(dir), "%s/missing/sessions.d", (char *)*state);
	assert_int_equal(sts_sessions_put(dir, KEY_A, (const unsigned char *)"x", 1), -ENOENT);
	assert_int_equal(sts_sessions_get(dir, KEY_A, blob, sizeof(blob), &len), LS_ENOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_find_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_directory, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
