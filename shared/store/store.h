/* The LMDB zone store every program shares: environment, named databases, transactions. */
#ifndef LS_STORE_H
#define LS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <lmdb.h>

#define STORE_SCHEMA 1                  /* bumped only for changes old code cannot read */
#define STORE_MAP_INITIAL (256u << 20)  /* grows on demand; the file is sparse */
#define STORE_MAX_READERS 512
/* The exit status of every program that finds the store unusable (zonectl's EXIT_STORE). */
#define STORE_EXIT_STATUS 5

enum store_db {
	STORE_META,    /* schema version, id counters */
	STORE_ZONES,   /* zone name (lookup format) -> zone record */
	STORE_RRSETS,  /* zone id, owner (lookup format), 0, type -> RRset */
	STORE_JOURNAL, /* zone id, sequence -> one commit's diff */
	STORE_HISTORY, /* sequence -> who changed which zone when */
	STORE_MTASTS,  /* per-domain MTA-STS state (filled by the MTA-STS issue) */
	STORE_SECONDARIES, /* zone id, address -> a secondary allowed to transfer the zone */
	STORE_TSIG,    /* TSIG key name (lookup format) -> algorithm and secret */
	STORE_UPDATE,  /* zone id, TSIG key name (lookup format) -> the key's DNS UPDATE policy */
	STORE_TLSRPT,  /* TLS reports: raw reports, dedup keys, summary rows (tlsrpt_store.h) */
	STORE_ACME,    /* certificate name -> its ACME state (acme_record.h) */
	STORE_ACME_ALPN, /* host -> tls-alpn-01 validation certificate and key (acme_alpn.h) */
	STORE_API,     /* API token name -> its zones, flags and salted hash (api_token.h) */
	STORE_WATCH,   /* watched domains, their check results, open problems, alert outbox (watch_store.h) */
	STORE_NDB
};

#define STORE_RDONLY 1u
/*
 * A long-lived reader (dnsd): the map is reserved this large up front, so it never has to
 * follow a writer that grew the map while its own read transactions are open.
 */
#define STORE_READERS 2u
#define STORE_MAP_READERS (64ull << 30)

struct store;

/* A transaction with a sticky error: the first failure is kept and returned by commit. */
struct store_txn {
	struct store *st;
	MDB_txn *txn;
	int err;
	bool write;
	bool nested;     /* store_begin_nested(): its commit goes to the parent, no sync */
};

/*
 * Opens (creating when writable) the store in dir. Free with store_close(). A reader finds
 * -ENOENT when there is no store and creates nothing; a data.mdb shorter than the pages its
 * meta page records is LS_ETRUNCATED, found before any page is read.
 */
int store_open(struct store **out, const char *dir, unsigned flags);
/* The directory the store was opened in; borrowed until store_close(). */
const char *store_dir(struct store *st);
void store_close(struct store *st);
/* What an operator can do about err from store_open(): a sentence of advice, or "". */
const char *store_advice(int err);
/* The LMDB environment and a table's handle, for whole-store work (copies, checks). */
MDB_env *store_env(struct store *st);
MDB_dbi store_dbi(struct store *st, enum store_db db);
/* True for a table a read-only store lacks because an older Lockstep wrote it (it reads as
 * empty: store_get and store_cursor give LS_ENOTFOUND). */
bool store_db_missing(const struct store *st, enum store_db db);
/* The table's name in LMDB ("rrsets"): static. */
const char *store_db_name(enum store_db db);

/*
 * Begins a transaction. A writer passes the bytes it expects to add, so the map
 * can grow before the write starts (LMDB cannot grow it inside a transaction).
 */
int store_begin(struct store *st, bool write, size_t hint, struct store_txn *t);
/*
 * Begins a write transaction nested in the write transaction parent (LMDB nested
 * transactions): its commit folds its writes into parent and syncs nothing; its abort undoes
 * only its own. parent may not be used until t ends. The map cannot grow meanwhile: the
 * parent's store_begin() hint must cover every child.
 */
int store_begin_nested(struct store_txn *parent, struct store_txn *t);
/* Commits a writer (or ends a reader); returns the sticky error instead when one is set. */
int store_commit(struct store_txn *t);
void store_abort(struct store_txn *t);
/*
 * Grows the map now so that about bytes more fit: for a process that is about to run
 * writers in several threads, since the map cannot grow while another thread has a
 * transaction open.
 */
int store_reserve(struct store *st, size_t bytes);
/* The current map size in bytes. */
size_t store_map_size(struct store *st);
/* Ends a reader's snapshot but keeps its slot, for store_renew() (LMDB reset/renew). */
void store_reset(struct store_txn *t);
/* Starts a fresh snapshot on a reset reader; cur (may be NULL) follows it. */
int store_renew(struct store_txn *t, MDB_cursor *cur);
/* Doubles the map size; call with no transaction open, after LS_EMAPFULL. */
int store_grow(struct store *st);

/* Sets the sticky error (first one wins) and returns it. */
int store_fail(struct store_txn *t, int err);
/* Value borrowed until the transaction ends. Returns 0, LS_ENOTFOUND or an error (sticky). */
int store_get(struct store_txn *t, enum store_db db, const void *key, size_t klen, MDB_val *val);
void store_put(struct store_txn *t, enum store_db db, const void *key, size_t klen,
               const void *val, size_t vlen, unsigned flags);
/* Deleting a missing key is not an error. */
void store_del(struct store_txn *t, enum store_db db, const void *key, size_t klen);
/* Cursor over db; close with mdb_cursor_close(). */
int store_cursor(struct store_txn *t, enum store_db db, MDB_cursor **cur);
/* Allocates the next value of a named counter in STORE_META (writers only). */
int store_next_id(struct store_txn *t, const char *counter, uint64_t *out);

/* Maps an LMDB return code to the project's codes; a code that says the store is damaged
 * (store_damaged()) also goes to the hook store_on_damage() set. */
int store_errno(int mdb_rc);
/* True for the LMDB codes that say the store or the environment is damaged: MDB_CORRUPTED,
 * MDB_PAGE_NOTFOUND, MDB_BAD_TXN, MDB_PANIC. */
bool store_damaged(int mdb_rc);
/* The process's hook for such codes (NULL: none), called in the thread that met the code.
 * Set once at start, before other threads use the store (store_damage.h installs dnsd's). */
void store_on_damage(void (*fn)(int mdb_rc));

#endif
