/* A damaged store in a running daemon: a rate-limited error line, and an exit on MDB_PANIC. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <lmdb.h>
#include "shared/util/log.h"
#include "shared/store/store.h"
#include "shared/store/store_damage.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t last;          /* when the last line went out; 0: never */
static uint64_t held;         /* lines held back since */

void store_damage_reset(void)
{
	pthread_mutex_lock(&lock);
	last = 0;
	held = 0;
	pthread_mutex_unlock(&lock);
}

bool store_damage_note(int mdb_rc, int64_t now, char *out, size_t cap)
{
	char more[64] = "";
	pthread_mutex_lock(&lock);
	bool due = mdb_rc == MDB_PANIC || last == 0 || now - last >= STORE_DAMAGE_LOG_INTERVAL;
	if (!due) {
		held++;
		pthread_mutex_unlock(&lock);
		return false;
	}
	if (held)
		snprintf(more, sizeof(more), "; %llu more since the last such line",
		         (unsigned long long)held);
	last = now;
	held = 0;
	pthread_mutex_unlock(&lock);
	snprintf(out, cap, "store: %s (LMDB %d)%s: the store is damaged; run `zonectl store check`%s",
	         mdb_strerror(mdb_rc), mdb_rc, more,
	         mdb_rc == MDB_PANIC ? "; exiting so that a fresh start reopens it" : "");
	return true;
}

/* The daemons' edge: this is where the library's code is turned into a line for the operator. */
static void on_damage(int mdb_rc)
{
	char line[512];
	if (store_damage_note(mdb_rc, (int64_t)time(NULL), line, sizeof(line)))
		log_error("%s", line);
	if (mdb_rc == MDB_PANIC)
		_exit(STORE_EXIT_STATUS);   /* other threads still hold the environment: no atexit */
}

void store_damage_install(void)
{
	store_on_damage(on_damage);
}
