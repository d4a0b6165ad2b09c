/* LMDB environment and transactions with a sticky error and on-demand map growth. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include "shared/util/err.h"
#include "shared/util/timing.h"
#include "shared/store/store.h"
#include "shared/dns/wire.h"

#define STORE_FULL_BELOW (1u << 20)   /* free bytes under which a short write means a full disk */

struct store {
	MDB_env *env;
	MDB_dbi dbi[STORE_NDB];
	bool missing[STORE_NDB];   /* a reader of a store older than the table: it reads as empty */
	bool rdonly;
};

static const char *const db_names[STORE_NDB] = {
	[STORE_META] = "meta",
	[STORE_ZONES] = "zones",
	[STORE_RRSETS] = "rrsets",
	[STORE_JOURNAL] = "journal",
	[STORE_HISTORY] = "history",
	[STORE_MTASTS] = "mtasts",
	[STORE_SECONDARIES] = "secondaries",
	[STORE_TSIG] = "tsig",
	[STORE_UPDATE] = "update",
	[STORE_TLSRPT] = "tlsrpt",
	[STORE_ACME] = "acme",
	[STORE_ACME_ALPN] = "acme_alpn",
	[STORE_API] = "api",
	[STORE_WATCH] = "watch",
};

static void (*damage_hook)(int mdb_rc);

void store_on_damage(void (*fn)(int mdb_rc))
{
	damage_hook = fn;
}

bool store_damaged(int rc)
{
	return rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_BAD_TXN ||
	       rc == MDB_PANIC;
}

int store_errno(int rc)
{
	/* Every LMDB code the programs see passes here: the one place damage is noticed. */
	if (damage_hook && store_damaged(rc))
		damage_hook(rc);
	switch (rc) {
	case 0: return 0;
	case MDB_NOTFOUND: return LS_ENOTFOUND;
	case MDB_MAP_FULL: return LS_EMAPFULL;
	case MDB_INVALID: case MDB_CORRUPTED: case MDB_PAGE_NOTFOUND: return LS_ECORRUPT;
	default: return rc > 0 ? -rc : LS_ESTORE;   /* LMDB passes errno values through */
	}
}

/*
 * Opens the tables and checks the schema in one transaction: a writer's (creating what is
 * missing) when write, else a reader's. A reader of a writable store finds MDB_NOTFOUND when
 * anything is missing, for the writer to create it.
 */
static int open_tables(struct store *st, bool write)
{
	MDB_txn *txn;
	int rc = mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY, &txn);
	if (rc)
		return rc;
	for (int i = 0; i < STORE_NDB; i++) {
		rc = mdb_dbi_open(txn, db_names[i], write ? MDB_CREATE : 0, &st->dbi[i]);
		/* Tables added later: a reader must not create them, the first writer does. */
		if (rc == MDB_NOTFOUND && st->rdonly &&
		    (i == STORE_UPDATE || i == STORE_TLSRPT || i == STORE_ACME_ALPN ||
		     i == STORE_API || i == STORE_WATCH || i == STORE_ACME)) {
			st->missing[i] = true;
			rc = 0;
		}
		if (rc)
			goto fail;
	}
	MDB_val k = { 6, "schema" }, v;
	rc = mdb_get(txn, st->dbi[STORE_META], &k, &v);
	if (rc == MDB_NOTFOUND && write) {
		uint8_t buf[4];
		wire_put32(buf, STORE_SCHEMA);
		v.mv_size = 4;
		v.mv_data = buf;
		rc = mdb_put(txn, st->dbi[STORE_META], &k, &v, 0);
	} else if (rc == 0 && (v.mv_size != 4 || wire_get32(v.mv_data) > STORE_SCHEMA)) {
		rc = EPROTO;    /* written by a newer Lockstep */
	}
	if (rc)
		goto fail;
	/* A reader's commit too: it keeps the table handles, which an abort would close. */
	return mdb_txn_commit(txn);
fail:
	mdb_txn_abort(txn);
	return rc;
}

static int open_dbs(struct store *st)
{
	/* A writable store whose tables all exist opens in a reader's transaction: the writer
	 * lock can be held for a whole durable commit by another process (dnsd's publisher), and
	 * a zonectl that only looks would wait for it at every start. */
	int rc = open_tables(st, false);
	if (rc == MDB_NOTFOUND && !st->rdonly)
		rc = open_tables(st, true);
	return rc == MDB_NOTFOUND ? -ENOENT : store_errno(rc);
}

/*
 * Before LMDB opens data.mdb: a reader must not create anything (LMDB would make lock.mdb),
 * and an empty data.mdb is a truncated store, which LMDB would silently start afresh. An empty
 * file is also what a creator shows for a moment before it writes the meta pages, so wait a
 * little before calling it truncated.
 */
static int check_before(const char *dir, bool rdonly)
{
	char path[4096];
	struct stat sb;
	if (snprintf(path, sizeof(path), "%s/data.mdb", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (int tries = 0;; tries++) {
		if (stat(path, &sb) != 0)
			return errno == ENOENT && !rdonly ? 0 : -errno;
		if (sb.st_size > 0)
			return 0;
		if (tries == 10)
			return LS_ETRUNCATED;
		nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
	}
}

/* A data.mdb cut before its second meta page: LMDB only says "not an LMDB file". */
static bool short_file(const char *dir)
{
	char path[4096];
	struct stat sb;
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	return stat(path, &sb) == 0 && sb.st_size < 2 * sysconf(_SC_PAGESIZE);
}

/*
 * LMDB maps the whole file and trusts the meta page: a page past the end of a truncated file
 * is a SIGBUS at the first read. So the file must hold every page up to the last one the meta
 * page records, checked before any transaction reads a page. The meta page is read first:
 * a writer writes its pages before its meta page, so a commit by another process between the
 * two reads grows the file seen after it, and is never taken for a truncation.
 */
static int check_size(struct store *st)
{
	MDB_envinfo info;
	MDB_stat stat;
	struct stat sb;
	int fd;
	mdb_env_info(st->env, &info);
	mdb_env_stat(st->env, &stat);
	if (mdb_env_get_fd(st->env, &fd) != 0 || fstat(fd, &sb) != 0)
		return LS_ESTORE;
	uint64_t need = ((uint64_t)info.me_last_pgno + 1) * stat.ms_psize;
	return (uint64_t)sb.st_size < need ? LS_ETRUNCATED : 0;
}

const char *store_dir(struct store *st)
{
	const char *path = NULL;
	return mdb_env_get_path(st->env, &path) == 0 && path ? path : ".";
}

int store_open(struct store **out, const char *dir, unsigned flags)
{
	int rc;
	struct store *st = calloc(1, sizeof(*st));
	timing_mark("store_open");
	if (st == NULL)
		return -ENOMEM;
	st->rdonly = flags & STORE_RDONLY;
	if (!st->rdonly && mkdir(dir, 0700) != 0 && errno != EEXIST) {
		rc = -errno;
		goto fail;
	}
	if ((rc = check_before(dir, st->rdonly)) != 0)
		goto fail;
	rc = mdb_env_create(&st->env);
	if (rc)
		goto fail_mdb;
	mdb_env_set_maxdbs(st->env, STORE_NDB);
	mdb_env_set_maxreaders(st->env, STORE_MAX_READERS);
	mdb_env_set_mapsize(st->env, (flags & STORE_READERS) ? STORE_MAP_READERS : STORE_MAP_INITIAL);
	/* No MDB_WRITEMAP: a full disk must be an error, not SIGBUS. Durable commits. */
	rc = mdb_env_open(st->env, dir, MDB_NOTLS | (st->rdonly ? MDB_RDONLY : 0), 0600);
	if (rc == MDB_INVALID && short_file(dir)) {
		rc = LS_ETRUNCATED;
		goto fail;
	}
	if (rc)
		goto fail_mdb;
	if ((rc = check_size(st)) != 0)
		goto fail;
	int dead;
	mdb_reader_check(st->env, &dead);
	/* Another process may have grown the map: adopt the size in the file. */
	if (!(flags & STORE_READERS))
		mdb_env_set_mapsize(st->env, 0);
	rc = open_dbs(st);
	if (rc)
		goto fail;
	timing_mark("store_opened");
	*out = st;
	return 0;
fail_mdb:
	rc = store_errno(rc);
fail:
	if (st->env)
		mdb_env_close(st->env);
	free(st);
	return rc;
}

const char *store_advice(int err)
{
	if (err == LS_ETRUNCATED || err == LS_ECORRUPT)
		return "`zonectl store check` tells more, `zonectl restore --force FILE` puts a backup "
		       "in place";
	return "";
}

MDB_env *store_env(struct store *st)
{
	return st->env;
}

bool store_db_missing(const struct store *st, enum store_db db)
{
	return st->missing[db];
}

MDB_dbi store_dbi(struct store *st, enum store_db db)
{
	return st->dbi[db];
}

const char *store_db_name(enum store_db db)
{
	return db_names[db];
}

void store_close(struct store *st)
{
	if (st == NULL)
		return;
	mdb_env_close(st->env);
	free(st);
}

static int ensure_room(struct store *st, size_t hint)
{
	MDB_envinfo info;
	MDB_stat stat;
	mdb_env_info(st->env, &info);
	mdb_env_stat(st->env, &stat);
	size_t used = (info.me_last_pgno + 1) * (size_t)stat.ms_psize;
	/* B-tree pages are half full at worst, and copy-on-write needs room for old pages too. */
	size_t need = used + 3 * hint + (16u << 20);
	size_t size = info.me_mapsize;
	if (need <= size)
		return 0;
	while (size < need)
		size *= 2;
	return store_errno(mdb_env_set_mapsize(st->env, size));
}

int store_reserve(struct store *st, size_t bytes)
{
	return st->rdonly ? 0 : ensure_room(st, bytes);
}

size_t store_map_size(struct store *st)
{
	MDB_envinfo info;
	mdb_env_info(st->env, &info);
	return info.me_mapsize;
}

int store_grow(struct store *st)
{
	MDB_envinfo info;
	mdb_env_info(st->env, &info);
	return store_errno(mdb_env_set_mapsize(st->env, info.me_mapsize * 2));
}

int store_begin(struct store *st, bool write, size_t hint, struct store_txn *t)
{
	memset(t, 0, sizeof(*t));
	t->st = st;
	t->write = write;
	if (write && st->rdonly)
		return -EROFS;
	if (write) {
		int rc = ensure_room(st, hint);
		if (rc)
			return rc;
	}
	if (write)
		timing_mark("txn_begin");
	for (int tries = 0; tries < 3; tries++) {
		int rc = mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
		/* A writer's begin waits for the writer lock, held by other processes' writers. */
		if (write)
			timing_mark("txn_locked");
		if (rc != MDB_MAP_RESIZED)
			return store_errno(rc);
		/* Another process grew the map; pick up its size and try again. */
		mdb_env_set_mapsize(st->env, 0);
	}
	return LS_ESTORE;
}

int store_begin_nested(struct store_txn *parent, struct store_txn *t)
{
	memset(t, 0, sizeof(*t));
	t->st = parent->st;
	t->write = true;
	t->nested = true;
	if (!parent->write || parent->txn == NULL)
		return -EINVAL;
	if (parent->err)
		return parent->err;
	return store_errno(mdb_txn_begin(parent->st->env, parent->txn, 0, &t->txn));
}

/*
 * LMDB reports a write that stopped short as EIO; a file system left without room is what
 * makes a write stop short, and the operator needs to hear "No space left on device".
 */
static bool disk_full(struct store *st)
{
	const char *path;
	struct statvfs vfs;
	return mdb_env_get_path(st->env, &path) == 0 && statvfs(path, &vfs) == 0 &&
	       (uint64_t)vfs.f_bavail * vfs.f_frsize < STORE_FULL_BELOW;
}

int store_commit(struct store_txn *t)
{
	if (t->txn == NULL)
		return t->err;
	if (t->err) {
		mdb_txn_abort(t->txn);
		t->txn = NULL;
		return t->err;
	}
	bool durable = t->write && !t->nested;
	if (durable)
		timing_mark("commit");
	int rc = mdb_txn_commit(t->txn);
	if (durable)
		timing_mark("committed");     /* the syncs of a durable commit are in between */
	t->txn = NULL;
	return rc == EIO && disk_full(t->st) ? -ENOSPC : store_errno(rc);
}

void store_abort(struct store_txn *t)
{
	if (t->txn)
		mdb_txn_abort(t->txn);
	t->txn = NULL;
}

void store_reset(struct store_txn *t)
{
	if (t->txn)
		mdb_txn_reset(t->txn);
}

int store_renew(struct store_txn *t, MDB_cursor *cur)
{
	t->err = 0;
	int rc = mdb_txn_renew(t->txn);
	if (rc == 0 && cur)
		rc = mdb_cursor_renew(t->txn, cur);
	return store_errno(rc);
}

int store_fail(struct store_txn *t, int err)
{
	if (t->err == 0)
		t->err = err;
	return t->err;
}

int store_get(struct store_txn *t, enum store_db db, const void *key, size_t klen, MDB_val *val)
{
	if (t->err)
		return t->err;
	MDB_val k = { klen, (void *)key };
	if (t->st->missing[db])
		return LS_ENOTFOUND;
	int rc = mdb_get(t->txn, t->st->dbi[db], &k, val);
	if (rc == MDB_NOTFOUND)
		return LS_ENOTFOUND;
	if (rc)
		return store_fail(t, store_errno(rc));
	return 0;
}

void store_put(struct store_txn *t, enum store_db db, const void *key, size_t klen,
               const void *val, size_t vlen, unsigned flags)
{
	if (t->err)
		return;
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	int rc = mdb_put(t->txn, t->st->dbi[db], &k, &v, flags);
	if (rc)
		store_fail(t, store_errno(rc));
}

void store_del(struct store_txn *t, enum store_db db, const void *key, size_t klen)
{
	if (t->err)
		return;
	MDB_val k = { klen, (void *)key };
	int rc = mdb_del(t->txn, t->st->dbi[db], &k, NULL);
	if (rc && rc != MDB_NOTFOUND)
		store_fail(t, store_errno(rc));
}

int store_cursor(struct store_txn *t, enum store_db db, MDB_cursor **cur)
{
	if (t->err)
		return t->err;
	if (t->st->missing[db])
		return LS_ENOTFOUND;
	int rc = mdb_cursor_open(t->txn, t->st->dbi[db], cur);
	return rc ? store_fail(t, store_errno(rc)) : 0;
}

int store_next_id(struct store_txn *t, const char *counter, uint64_t *out)
{
	MDB_val v;
	uint64_t next = 1;
	int rc = store_get(t, STORE_META, counter, strlen(counter), &v);
	if (rc == 0 && v.mv_size != 8)
		return store_fail(t, LS_ESTORE);   /* damaged: starting over would reuse ids */
	if (rc == 0)
		next = wire_get64(v.mv_data);
	else if (rc != LS_ENOTFOUND)
		return rc;
	uint8_t buf[8];
	wire_put64(buf, next + 1);
	store_put(t, STORE_META, counter, strlen(counter), buf, 8, 0);
	*out = next;
	return t->err;
}
