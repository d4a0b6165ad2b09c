/*
 * dnsd's watcher thread: every second the mx-changed events other writers queued go out;
 * every few seconds (when watch.enabled) the due watch checks run, watch.concurrency at a time; once an hour old
 * results are pruned. Checks wait on the network for up to their timeout, so none of this
 * runs on a query loop or on the publisher's thread.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include "dnsd/watcher.h"
#include "shared/check/check.h"
#include "shared/util/err.h"
#include "shared/util/log.h"
#include "shared/watch/watch_run.h"

static void tick(struct watcher *w, const struct config *cfg, int64_t now, int64_t *due_at,
                 int64_t *prune_at, int *last)
{
	struct watch_ctx ctx = { .st = w->st, .cfg = cfg, .check = check_run,
	                         .check_free = check_result_free, .cancel = &w->cancel };
	atomic_init(&ctx.worst, -1);
	size_t n;
	int rc = watch_outbox_deliver(&ctx, &n);
	if (rc == 0 && cfg->watch_enabled && now >= *due_at && !atomic_load(&w->cancel)) {
		*due_at = now + WATCHER_DUE_EVERY_S;
		rc = watch_run_due(&ctx, now);
	}
	if (rc == 0 && now >= *prune_at && !atomic_load(&w->cancel)) {
		*prune_at = now + WATCHER_PRUNE_EVERY_S;
		if ((rc = watch_prune(&ctx, now, &n)) == 0 && n)
			log_notice("watch: %zu result%s older than %u days pruned", n, n == 1 ? "" : "s",
			           cfg->watch_keep_days);
	}
	if (rc && rc != *last && !atomic_load(&w->cancel))   /* once per kind of failure */
		log_error("watch: run failed: %s", ls_strerror(rc));
	*last = rc;
}

static void run(void *arg)
{
	struct watcher *w = arg;
	int64_t due_at = 0, prune_at = 0;
	int last = 0;
	uv_mutex_lock(&w->lock);
	while (!w->stop) {
		const struct config *cfg = w->cfg;
		uv_mutex_unlock(&w->lock);
		tick(w, cfg, (int64_t)time(NULL), &due_at, &prune_at, &last);
		uv_mutex_lock(&w->lock);
		if (!w->stop)
			uv_cond_timedwait(&w->wake, &w->lock, (uint64_t)WATCHER_INTERVAL_MS * 1000000u);
	}
	w->done = true;
	uv_cond_broadcast(&w->wake);
	uv_mutex_unlock(&w->lock);
}

int watcher_start(struct watcher *w, struct store *st, const struct config *cfg)
{
	memset(w, 0, sizeof(*w));
	w->st = st;
	w->cfg = cfg;
	int rc = uv_mutex_init(&w->lock);
	if (rc)
		return rc;
	if ((rc = uv_cond_init(&w->wake)) != 0) {
		uv_mutex_destroy(&w->lock);
		return rc;
	}
	if ((rc = uv_thread_create(&w->thread, run, w)) != 0) {
		uv_cond_destroy(&w->wake);
		uv_mutex_destroy(&w->lock);
		return rc;
	}
	w->running = true;
	return 0;
}

void watcher_reload(struct watcher *w, const struct config *cfg)
{
	if (!w->running) {
		w->cfg = cfg;
		return;
	}
	uv_mutex_lock(&w->lock);
	w->cfg = cfg;
	uv_mutex_unlock(&w->lock);
}

bool watcher_stop(struct watcher *w)
{
	if (!w->running)
		return true;
	atomic_store(&w->cancel, true);
	uv_mutex_lock(&w->lock);
	w->stop = true;
	uv_cond_broadcast(&w->wake);
	uint64_t waited = 0;
	while (!w->done && waited < WATCHER_STOP_WAIT_MS) {
		uv_cond_timedwait(&w->wake, &w->lock, 100 * 1000000u);
		waited += 100;
	}
	bool done = w->done;
	uv_mutex_unlock(&w->lock);
	if (done) {
		uv_thread_join(&w->thread);
		uv_cond_destroy(&w->wake);
		uv_mutex_destroy(&w->lock);
	} else {
		log_notice("watch: a check still running at exit is abandoned");
	}
	w->running = false;
	return done;
}
