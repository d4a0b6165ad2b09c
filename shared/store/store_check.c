/* The store check: each table walked with a cursor, each value decoded by its owner, in a child. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "shared/store/store_check.h"
#include "shared/store/api_token.h"
#include "shared/store/history.h"
#include "shared/store/journal.h"
#include "shared/store/rrset.h"
#include "shared/store/secondary.h"
#include "shared/store/tsig_key.h"
#include "shared/store/update_policy.h"
#include "shared/store/zone.h"
#include "shared/sts/sts_record.h"
#include "shared/acme/acme_alpn.h"
#include "shared/dns/wire.h"
#include "shared/util/err.h"
#include "shared/watch/watch_store.h"

#define MAIN_NAME "main"          /* LMDB's table of tables */
#define FREE_NAME "freelist"      /* LMDB's list of pages free for reuse */
#define FREE_DBI 0
#define JOURNAL_KEY_LEN 12        /* zone id (4), sequence (8) */
#define RRSET_KEY_MIN 7           /* zone id (4), empty owner, 0, type (2) */

/* How the child tells its parent what it found; anything else is a crash. */
enum { CHILD_SOUND = 0, CHILD_BAD = 10, CHILD_OPEN = 11 };

/* Checks one record; returns NULL or why it is wrong. */
typedef const char *(*record_fn)(struct store_txn *t, const MDB_val *k, const MDB_val *v,
                                  uint64_t pages);

static int bad(struct store_check *out, const char *table, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(struct store_check *out, const char *table, const char *fmt, ...)
{
	va_list ap;
	snprintf(out->table, sizeof(out->table), "%s", table);
	va_start(ap, fmt);
	vsnprintf(out->problem, sizeof(out->problem), fmt, ap);
	va_end(ap);
	return LS_ECORRUPT;
}

/* Where the walk is, so a crash can be blamed on the table being read. */
static void progress(struct store_check *out, const char *table)
{
	snprintf(out->table, sizeof(out->table), "%s", table);
}

static const char *key_hex(const MDB_val *k, char *buf, size_t len)
{
	const uint8_t *p = k->mv_data;
	size_t n = 0;
	buf[0] = 0;
	for (size_t i = 0; i < k->mv_size && n + 3 < len && i < 24; i++)
		n += (size_t)snprintf(buf + n, len - n, "%02x", p[i]);
	if (k->mv_size > 24 && n + 4 < len)
		snprintf(buf + n, len - n, "...");
	return buf;
}

static bool tagged(const MDB_val *v, uint8_t tag)
{
	return v->mv_size >= 2 && ((const uint8_t *)v->mv_data)[0] == tag;
}

static const char *main_record(struct store_txn *t, const MDB_val *k, const MDB_val *v,
                               uint64_t pages)
{
	(void)t, (void)v, (void)pages;
	const uint8_t *p = k->mv_data;
	if (k->mv_size == 0 || k->mv_size > 31)
		return "a table name of impossible length";
	for (size_t i = 0; i < k->mv_size; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return "a table name that is not text";
	return NULL;
}

/* A free-list entry: a transaction id, then a count and that many page numbers. */
static const char *free_record(struct store_txn *t, const MDB_val *k, const MDB_val *v,
                               uint64_t pages)
{
	(void)t;
	size_t w = sizeof(size_t);
	if (k->mv_size != w || v->mv_size < w || v->mv_size % w)
		return "an entry of the wrong size";
	size_t n;
	memcpy(&n, v->mv_data, w);
	if (v->mv_size != (n + 1) * w)
		return "a page count that does not match its size";
	for (size_t i = 1; i <= n; i++) {
		size_t pg;
		memcpy(&pg, (const uint8_t *)v->mv_data + i * w, w);
		if (pg < 2 || pg >= pages)
			return "a free page beyond the end of the file";
	}
	return NULL;
}

static const char *meta_record(struct store_txn *t, const MDB_val *k, const MDB_val *v,
                               uint64_t pages)
{
	(void)t, (void)pages;
	if (k->mv_size == 6 && memcmp(k->mv_data, "schema", 6) == 0)
		return v->mv_size == 4 && wire_get32(v->mv_data) <= STORE_SCHEMA ? NULL :
		       "a schema number this Lockstep cannot read";
	return v->mv_size == 8 ? NULL : "a counter that is not 8 bytes";
}

static const char *zone_record(struct store_txn *t, const MDB_val *k, const MDB_val *v,
                               uint64_t pages)
{
	(void)t, (void)pages;
	if (k->mv_size == 0 || k->mv_size > DNAME_MAX)
		return "a zone name of impossible length";
	return tagged(v, 'Z') ? NULL : "not a zone record";
}

static const char *rrset_record(struct store_txn *t, const MDB_val *k, const MDB_val *v,
                                uint64_t pages)
{
	(void)t, (void)pages;
	struct rrset_view rv;
	const uint8_t *p = k->mv_data;
	if (k->mv_size < RRSET_KEY_MIN || k->mv_size > RRSET_KEY_MAX || p[k->mv_size - 3] != 0)
		return "not an RRset key";
	if (rrset_decode(v->mv_data, v->mv_size, &rv) != 0 || rv.count == 0)
		return "an RRset value that does not decode";
	return NULL;
}

static const char *journal_record(struct store_txn *t, const MDB_val *k, const MDB_val *v,
                                  uint64_t pages)
{
	(void)v, (void)pages;
	if (k->mv_size != JOURNAL_KEY_LEN)
		return "not a journal key";
	uint32_t zone_id = wire_get32(k->mv_data);
	uint64_t seq = wire_get64((const uint8_t *)k->mv_data + 4);
	if (seq == 0) {
		struct journal_info info;
		return journal_info(t, zone_id, &info) == 0 ? NULL : "a journal summary that does not decode";
	}
	struct journal_view jv;
	struct rr rr;
	size_t pos = JOURNAL_HDR;
	uint64_t n = 0;
	int rc;
	if (journal_view(t, zone_id, seq, &jv) != 0)
		return "a journal entry that does not decode";
	while ((rc = journal_view_next(&jv, &pos, &rr)) == 1)
		n++;
	if (rc != 0 || n != (uint64_t)jv.ndel + jv.nadd)
		return "a journal entry whose records do not decode";
	return NULL;
}

static const char *history_record(struct store_txn *t, const MDB_val *k, const MDB_val *v,
                                  uint64_t pages)
{
	(void)t, (void)pages;
	return k->mv_size == 8 && tagged(v, 'H') ? NULL : "not a history entry";
}

static const char *mtasts_record(struct store_txn *t, const MDB_val *k, const MDB_val *v,
                                 uint64_t pages)
{
	(void)t, (void)pages;
	const uint8_t *p = k->mv_data;
	if (k->mv_size < 2 || (p[0] != STS_RECORD_TAG && p[0] != STS_BODY_TAG && p[0] != STS_POLICY_TAG) || !tagged(v, p[0]))
		return "not an MTA-STS record";
	return NULL;
}

static const char *secondary_record(struct store_txn *t, const MDB_val *k, const MDB_val *v,
                                    uint64_t pages)
{
	(void)t, (void)k, (void)pages;
	return tagged(v, 'A') ? NULL : "not a secondary";
}

static const char *tsig_record(struct store_txn *t, const MDB_val *k, const MDB_val *v,
                               uint64_t pages)
{
	(void)t, (void)k, (void)pages;
	return tagged(v, 'T') ? NULL : "not a TSIG key";
}

static const char *update_record(struct store_txn *t, const MDB_val *k, const MDB_val *v,
                                 uint64_t pages)
{
	(void)t, (void)k, (void)pages;
	return tagged(v, UPDATE_POLICY_TAG) ? NULL : "not an update policy";
}

static const char *tlsrpt_record(struct store_txn *t, const MDB_val *k, const MDB_val *v,
                                 uint64_t pages)
{
	(void)t, (void)pages;
	const uint8_t *p = k->mv_data;
	return k->mv_size >= 2 && p[0] && strchr("RKS", p[0]) && tagged(v, p[0]) ? NULL : "not a TLS report";
}

static const char *acme_alpn_record(struct store_txn *t, const MDB_val *k, const MDB_val *v,
                                    uint64_t pages)
{
	(void)t, (void)pages;
	struct acme_alpn_view view;
	return k->mv_size > 0 && acme_alpn_decode(v->mv_data, v->mv_size, &view) == 0
	       ? NULL : "not a tls-alpn-01 certificate";
}

static const char *api_record(struct store_txn *t, const MDB_val *k, const MDB_val *v,
                              uint64_t pages)
{
	(void)t, (void)pages;
	struct api_token tk;
	return api_token_decode(v->mv_data, v->mv_size, k->mv_data, k->mv_size, &tk) == 0
	       ? NULL : "not an API token";
}

static const char *watch_record(struct store_txn *t, const MDB_val *k, const MDB_val *v,
                                uint64_t pages)
{
	(void)t, (void)pages;
	return watch_store_check(k->mv_data, k->mv_size, v->mv_data, v->mv_size);
}

static const record_fn record_fns[STORE_NDB] = {
	[STORE_META] = meta_record,
	[STORE_ZONES] = zone_record,
	[STORE_RRSETS] = rrset_record,
	[STORE_JOURNAL] = journal_record,
	[STORE_HISTORY] = history_record,
	[STORE_MTASTS] = mtasts_record,
	[STORE_SECONDARIES] = secondary_record,
	[STORE_TSIG] = tsig_record,
	[STORE_UPDATE] = update_record,
	[STORE_TLSRPT] = tlsrpt_record,
	[STORE_ACME_ALPN] = acme_alpn_record,
	[STORE_API] = api_record,
	[STORE_WATCH] = watch_record,
};

/* Every record of one table in key order, each checked by fn; the count against the header. */
static int walk(struct store_txn *t, MDB_dbi dbi, const char *name, record_fn fn, uint64_t pages,
                uint64_t *count, struct store_check *out)
{
	MDB_cursor *cur;
	MDB_val k, v, prev = { 0, NULL };
	MDB_stat ms;
	char hex[64];
	uint64_t n = 0;
	progress(out, name);
	int rc = mdb_cursor_open(t->txn, dbi, &cur);
	if (rc)
		return bad(out, name, "cannot be opened (%s)", mdb_strerror(rc));
	for (int op = MDB_FIRST; (rc = mdb_cursor_get(cur, &k, &v, op)) == 0; op = MDB_NEXT) {
		const char *why = NULL;
		if (prev.mv_data != NULL && mdb_cmp(t->txn, dbi, &prev, &k) >= 0)
			why = "keys out of order";
		else
			why = fn(t, &k, &v, pages);
		if (why) {
			mdb_cursor_close(cur);
			return bad(out, name, "record %llu (key %s): %s", (unsigned long long)n + 1,
			           key_hex(&k, hex, sizeof(hex)), why);
		}
		prev = k;
		n++;
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		return bad(out, name, "cannot be read after record %llu (%s)", (unsigned long long)n,
		           mdb_strerror(rc));
	if ((rc = mdb_stat(t->txn, dbi, &ms)) != 0)
		return bad(out, name, "has no readable header (%s)", mdb_strerror(rc));
	if (ms.ms_entries != n)
		return bad(out, name, "holds %llu records, its header says %zu",
		           (unsigned long long)n, ms.ms_entries);
	*count = n;
	return 0;
}

static int history_fn(const struct history_entry *e, void *ctx) { (void)e, (void)ctx; return 0; }
static int sts_fn(const struct sts_domain *d, void *ctx) { (void)d, (void)ctx; return 0; }
static int secondary_fn(uint32_t zone_id, const struct secondary *s, void *ctx)
{
	(void)zone_id, (void)s, (void)ctx;
	return 0;
}
static int tsig_fn(const struct tsig_key *k, void *ctx) { (void)k, (void)ctx; return 0; }
static int update_fn(uint32_t zone_id, const struct update_policy *p, void *ctx)
{
	(void)zone_id, (void)p, (void)ctx;
	return 0;
}

/* The owners' own decoders over their whole tables: what a daemon would read. */
static int decode_all(struct store_txn *t, struct store_check *out)
{
	struct zone_info *zones;
	size_t nz;
	int rc;
	progress(out, store_db_name(STORE_ZONES));
	if ((rc = zone_list(t, &zones, &nz)) != 0)
		return bad(out, "zones", "a zone record does not decode (%s)", ls_strerror(rc));
	free(zones);
	progress(out, store_db_name(STORE_HISTORY));
	if ((rc = history_since(t, 0, SIZE_MAX, history_fn, NULL)) != 0)
		return bad(out, "history", "an entry does not decode (%s)", ls_strerror(rc));
	progress(out, store_db_name(STORE_MTASTS));
	if ((rc = sts_record_each(t, sts_fn, NULL)) != 0)
		return bad(out, "mtasts", "a domain's record does not decode (%s)", ls_strerror(rc));
	progress(out, store_db_name(STORE_SECONDARIES));
	if ((rc = secondary_each(t, secondary_fn, NULL)) != 0)
		return bad(out, "secondaries", "an entry does not decode (%s)", ls_strerror(rc));
	progress(out, store_db_name(STORE_TSIG));
	if ((rc = tsig_key_list(t, tsig_fn, NULL)) != 0)
		return bad(out, "tsig", "a key does not decode (%s)", ls_strerror(rc));
	progress(out, store_db_name(STORE_UPDATE));
	if ((rc = update_policy_list(t, 0, update_fn, NULL)) != 0)
		return bad(out, "update", "a policy does not decode (%s)", ls_strerror(rc));
	return 0;
}

int store_check_walk(struct store *st, struct store_check *out)
{
	struct store_txn t;
	MDB_envinfo info;
	MDB_stat ms;
	MDB_dbi dbi;
	int rc;
	memset(out, 0, sizeof(*out));
	progress(out, MAIN_NAME);
	mdb_env_info(store_env(st), &info);
	mdb_env_stat(store_env(st), &ms);
	out->pages = (uint64_t)info.me_last_pgno + 1;
	out->page_size = ms.ms_psize;
	if ((rc = store_begin(st, false, 0, &t)) != 0)
		return rc;
	if ((rc = mdb_dbi_open(t.txn, NULL, 0, &dbi)) != 0) {
		rc = bad(out, MAIN_NAME, "cannot be opened (%s)", mdb_strerror(rc));
		goto done;
	}
	if ((rc = walk(&t, dbi, MAIN_NAME, main_record, out->pages, &out->tables, out)) != 0 ||
	    (rc = walk(&t, FREE_DBI, FREE_NAME, free_record, out->pages, &out->free_entries, out)))
		goto done;
	for (int i = 0; i < STORE_NDB; i++) {
		const char *name = store_db_name((enum store_db)i);
		if (store_db_missing(st, (enum store_db)i))
			continue;
		rc = walk(&t, store_dbi(st, (enum store_db)i), name, record_fns[i], out->pages,
		          &out->records[i], out);
		if (rc)
			goto done;
	}
	if ((rc = decode_all(&t, out)) != 0)
		goto done;
	out->table[0] = 0;
done:
	store_abort(&t);
	return rc;
}

static int child(const char *dir, struct store_check *sh)
{
	struct store *st;
	struct rlimit none = { 0, 0 };
	setrlimit(RLIMIT_CORE, &none);    /* a crash here is expected, not worth a core file */
	progress(sh, MAIN_NAME);
	int rc = store_open(&st, dir, STORE_RDONLY);
	/* The file is there (the parent saw it): what is not the system's fault is damage. */
	if (rc == LS_ETRUNCATED || (rc < 0 && rc > -4096 && rc != -ENOENT)) {
		sh->open_err = rc;
		return CHILD_OPEN;
	}
	if (rc) {
		bad(sh, MAIN_NAME, "cannot be opened (%s)",
		    rc == -ENOENT ? "a Lockstep table is missing" : ls_strerror(rc));
		return CHILD_BAD;
	}
	rc = store_check_walk(st, sh);
	store_close(st);
	if (rc == 0)
		return CHILD_SOUND;
	if (rc != LS_ECORRUPT && sh->problem[0] == 0)
		snprintf(sh->problem, sizeof(sh->problem), "cannot be read (%s)", ls_strerror(rc));
	return CHILD_BAD;
}

int store_check(const char *dir, struct store_check *out)
{
	int rc, status;
	char path[4200];
	struct stat sb;
	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	if (stat(path, &sb) != 0)
		return -errno;      /* no store: nothing to check, and nothing made */
	struct store_check *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	                              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return -errno;
	memset(sh, 0, sizeof(*sh));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		rc = -errno;
		goto done;
	}
	if (pid == 0)
		_exit(child(dir, sh));
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			rc = -errno;
			goto done;
		}
	}
	*out = *sh;
	if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_SOUND) {
		rc = 0;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_OPEN) {
		rc = out->open_err ? out->open_err : LS_ESTORE;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_BAD) {
		rc = LS_ECORRUPT;
	} else {
		/* LMDB met a page it could not follow: the table it was reading has it. */
		rc = LS_ECORRUPT;
		if (WIFSIGNALED(status))
			snprintf(out->problem, sizeof(out->problem), "LMDB crashed reading it (%s)",
			         strsignal(WTERMSIG(status)));
		else
			snprintf(out->problem, sizeof(out->problem),
			         "the check stopped reading it (exit status %d)", WEXITSTATUS(status));
	}
done:
	munmap(sh, sizeof(*sh));
	return rc;
}
