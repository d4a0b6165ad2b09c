/* Helpers for the cmocka unit tests: names and records from text, temporary stores, listings. */
#ifndef UNIT_H
#define UNIT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "shared/dns/dname.h"
#include "shared/store/rrset.h"
#include "shared/dns/rrtext.h"
#include "shared/store/store.h"
#include "shared/store/zone_ops.h"

/* Wire name from text (absolute); aborts the test on bad text. */
static inline const uint8_t *N(const char *text)
{
	static uint8_t buf[8][DNAME_MAX];
	static int next;
	uint8_t *out = buf[next++ % 8];
	static const uint8_t root[1] = { 0 };
	assert_true(dname_parse(out, text, root) > 0);
	return out;
}

/* A fresh directory under /tmp; removes it and its files with rm_tree(). */
static inline char *temp_dir(void)
{
	char *d = strdup("/tmp/lockstep-unit.XXXXXX");
	assert_non_null(mkdtemp(d));
	return d;
}

static inline void rm_tree(char *dir)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

/* A record parser for origin (NULL: none) with records in a, fallback TTL 3600. */
static inline void unit_parser(struct rr_parser *p, struct arena *a, const char *origin)
{
	arena_init(a);
	assert_int_equal(rr_parser_init(p, a, origin ? N(origin) : NULL, 3600), 0);
}

static inline void unit_parser_free(struct rr_parser *p, struct arena *a)
{
	rr_parser_free(p);
	arena_free(a);
}

/* Runs fn in a child process (for what a test must not do to itself: drop privileges, exit);
 * returns the child's exit status: by convention the number of the first check that failed. */
static inline int unit_in_child(int (*fn)(void))
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn());
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* One record parsed with p; fails the test with the parser's reason. */
static inline struct rr unit_rr(struct rr_parser *p, const char *text)
{
	struct rr rr;
	char err[256];
	if (rr_parse(p, text, &rr, err, sizeof(err)))
		fail_msg("%s: %s", text, err);
	return rr;
}

/* Hex of len bytes into a static buffer, for comparing wire data with readable text. */
static inline const char *unit_hex(const uint8_t *p, size_t len)
{
	static char buf[2 * 4096 + 1];
	size_t i;
	for (i = 0; i < len && i < 4096; i++)
		snprintf(buf + 2 * i, 3, "%02x", p[i]);
	buf[2 * i] = 0;
	return buf;
}

/* Lines a listing's callback saw, to compare with what it should have seen. */
#define UNIT_SEEN_MAX 16
#define UNIT_STOP 42          /* what unit_saw() returns to stop a listing */

struct unit_seen {
	char text[UNIT_SEEN_MAX][DNAME_STR_MAX];
	size_t n;
	size_t stop_after;        /* stop the listing after this many lines; 0: never */
};

/* Keeps one line; returns what the callback returns: UNIT_STOP when it is time to stop. */
static inline int unit_saw(struct unit_seen *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline int unit_saw(struct unit_seen *s, const char *fmt, ...)
{
	va_list ap;
	assert_true(s->n < UNIT_SEEN_MAX);
	va_start(ap, fmt);
	vsnprintf(s->text[s->n++], DNAME_STR_MAX, fmt, ap);
	va_end(ap);
	return s->stop_after && s->n == s->stop_after ? UNIT_STOP : 0;
}

/* The lines seen must be want[0..n), in that order. */
static inline void unit_expect_seen(const struct unit_seen *s, const char *const *want, size_t n)
{
	for (size_t i = 0; i < s->n && i < n; i++)
		if (strcmp(s->text[i], want[i]) != 0)
			fail_msg("line %zu: \"%s\", want \"%s\"", i, s->text[i], want[i]);
	if (s->n != n)
		fail_msg("%zu lines seen, want %zu", s->n, n);
}

/* Runs a listing with unit_saw() lines into s; returns what the listing returned. */
typedef int (*unit_list_fn)(void *arg, struct unit_seen *s);

/*
 * A listing must show want[0..n) and return 0; stopped by its callback after k lines (each k
 * from 1 to n), it must show the first k and return the callback's value.
 */
static inline void unit_expect_listing(unit_list_fn list, void *arg, const char *const *want,
                                       size_t n)
{
	struct unit_seen s = { .n = 0 };
	assert_int_equal(list(arg, &s), 0);
	unit_expect_seen(&s, want, n);
	for (size_t k = 1; k <= n; k++) {
		s.n = 0;
		s.stop_after = k;
		assert_int_equal(list(arg, &s), UNIT_STOP);
		unit_expect_seen(&s, want, k);
	}
}

/* A store in a fresh directory: the state unit_store_setup() makes for a test. */
struct unit_store {
	char *dir;
	struct store *st;
};

static inline int unit_store_setup(void **state)
{
	struct unit_store *u = calloc(1, sizeof(*u));
	assert_non_null(u);
	u->dir = temp_dir();
	assert_int_equal(store_open(&u->st, u->dir, 0), 0);
	*state = u;
	return 0;
}

static inline int unit_store_teardown(void **state)
{
	struct unit_store *u = *state;
	store_close(u->st);
	rm_tree(u->dir);
	free(u);
	return 0;
}

/* Begins a transaction that must start. */
static inline void unit_begin(struct store *st, bool write, struct store_txn *t)
{
	assert_int_equal(store_begin(st, write, 0, t), 0);
}

/*
 * Stores one RRset of zone id with apex: lines are records in text relative to the apex,
 * all with the same owner and type (the first one's TTL is the RRset's).
 */
static inline void unit_put_rrset(struct store_txn *t, uint32_t id, const uint8_t *apex,
                                  const char *const *lines, size_t n)
{
	struct arena a;
	struct rr_parser p;
	struct rr rr, first = { 0 };
	struct rdata rd[16];
	uint8_t key[RRSET_KEY_MAX], val[4096];
	char err[256];
	assert_true(n > 0 && n <= 16);
	arena_init(&a);
	assert_int_equal(rr_parser_init(&p, &a, apex, 3600), 0);
	for (size_t i = 0; i < n; i++) {
		if (rr_parse(&p, lines[i], &rr, err, sizeof(err)) != 0)
			fail_msg("\"%s\": %s", lines[i], err);
		if (i == 0)
			first = rr;
		assert_int_equal(rr.type, first.type);
		assert_true(dname_equal(rr.owner, first.owner));
		rd[i] = (struct rdata){ rr.rdata, NULL, 0, rr.rdlen };
	}
	int kl = rrset_key(key, id, first.owner, apex, first.type);
	assert_true(kl > 0);
	assert_true(rrset_encoded_size(rd, n) <= sizeof(val));
	rrset_encode(val, first.ttl, rd, n);
	store_put(t, STORE_RRSETS, key, (size_t)kl, val, rrset_encoded_size(rd, n), 0);
	rr_parser_free(&p);
	arena_free(&a);
}

/* The socket address of an IPv4 or IPv6 address in text (port 0); aborts the test on bad text. */
static inline struct sockaddr_storage unit_sockaddr(const char *text)
{
	struct sockaddr_storage s;
	memset(&s, 0, sizeof(s));
	struct sockaddr_in *a4 = (struct sockaddr_in *)&s;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&s;
	if (inet_pton(AF_INET, text, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
	} else {
		assert_int_equal(inet_pton(AF_INET6, text, &a6->sin6_addr), 1);
		a6->sin6_family = AF_INET6;
	}
	return s;
}

/* Imports zone text (origin apex, default TTL 300) as a new zone of st; fails the test on error. */
static inline void unit_import(struct store *st, const char *text, const char *apex)
{
	struct zonefile zf;
	struct diag d;
	struct zone_result res;
	zonefile_init(&zf);
	diag_init(&d);
	assert_int_equal(zonefile_read_mem(&zf, "z", text, strlen(text), N(apex), 300, &d), 0);
	assert_int_equal(zone_ops_import(st, &zf, ZONE_TXN_CREATE, SERIAL_INCREMENT, NULL, "unit",
	                                 &d, &res), 0);
	zone_result_free(&res);
	zonefile_free(&zf);
	diag_free(&d);
}

#endif
