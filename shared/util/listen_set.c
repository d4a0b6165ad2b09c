/* Listen addresses that SIGHUP adds and removes while the workers go on answering. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "shared/util/listen_set.h"
#include "shared/util/log.h"

static int init(struct listen_set *ls, const struct listen_set_opts *o)
{
	memset(ls, 0, sizeof(*ls));
	if (o->nkinds == 0 || o->nkinds > LISTEN_SET_KINDS)
		return UV_EINVAL;
	int rc = uv_mutex_init(&ls->lock);
	if (rc)
		return rc;
	ls->lock_ok = true;
	memcpy(ls->types, o->types, o->nkinds * sizeof(*o->types));
	ls->nkinds = o->nkinds;
	ls->start = o->start;
	ls->fixed = o->fixed;
	if ((ls->w = calloc(o->nworkers, sizeof(*ls->w))) == NULL)
		return UV_ENOMEM;
	ls->nworkers = o->nworkers;
	for (size_t i = 0; i < ls->nworkers; i++) {
		ls->w[i].set = ls;
		for (size_t s = 0; s < LISTEN_SET_SLOTS; s++)
			for (size_t k = 0; k < LISTEN_SET_KINDS; k++)
				ls->w[i].fd[s][k] = -1;
	}
	return 0;
}

static void close_fds(struct listen_set *ls, size_t s)
{
	for (size_t i = 0; i < ls->nworkers; i++)
		for (size_t k = 0; k < ls->nkinds; k++)
			if (ls->w[i].fd[s][k] >= 0) {
				close(ls->w[i].fd[s][k]);
				ls->w[i].fd[s][k] = -1;
			}
}

/* Every worker's sockets of slot s on a, all or none. Returns 0 or -errno with err set. */
static int bind_slot(struct listen_set *ls, size_t s, const struct daemon_addr *a, char *err,
                     size_t errlen)
{
	for (size_t i = 0; i < ls->nworkers; i++)
		for (size_t k = 0; k < ls->nkinds; k++) {
			int fd = daemon_bind(a, ls->types[k]);
			/* Listening from here: a client that connects before the worker's loop takes
			 * the socket waits in the backlog (the worker sets its own) instead of a reset. */
			if (fd >= 0 && ls->types[k] == SOCK_STREAM && listen(fd, SOMAXCONN) != 0) {
				int e = -errno;
				close(fd);
				fd = e;
			}
			if (fd < 0) {
				snprintf(err, errlen, "cannot bind %s: %s", a->text, strerror(-fd));
				close_fds(ls, s);
				return fd;
			}
			ls->w[i].fd[s][k] = fd;
		}
	ls->addr[s] = *a;
	ls->holders[s] = ls->nworkers;
	ls->active[s] = true;
	return 0;
}

int listen_set_open(struct listen_set *ls, const struct listen_set_opts *o,
                    const struct daemon_addr *a, size_t n, char *err, size_t errlen)
{
	int rc = init(ls, o);
	if (rc) {
		snprintf(err, errlen, "cannot listen: %s", uv_strerror(rc));
		return rc;
	}
	rc = daemon_addrs_free(a, n, err, errlen);
	for (size_t s = 0; rc == 0 && s < n; s++)
		rc = bind_slot(ls, s, &a[s], err, errlen);
	return rc;
}

/* Worker lw no longer holds slot s; the last one frees it. Under the lock. */
static void release(struct listen_worker *lw, size_t s)
{
	struct listen_set *ls = lw->set;
	lw->open[s] = lw->closing[s] = false;
	if (--ls->holders[s] == 0)
		log_notice("stopped listening on %s", ls->addr[s].text);
}

static void on_closed(uv_handle_t *h)
{
	struct listen_worker *lw = h->data;
	struct listen_set *ls = lw->set;
	uv_mutex_lock(&ls->lock);
	for (size_t s = 0; s < LISTEN_SET_SLOTS; s++) {
		bool mine = false, left = false;
		for (size_t k = 0; k < ls->nkinds; k++) {
			if (lw->h[s][k] == h) {
				lw->h[s][k] = NULL;
				mine = true;
			}
			left |= lw->h[s][k] != NULL;
		}
		if (mine && !left)
			release(lw, s);     /* the slot's last handle of this worker */
	}
	uv_mutex_unlock(&ls->lock);
}

static int slot_start(struct listen_worker *lw, size_t s)
{
	struct listen_set *ls = lw->set;
	int rc = 0;
	for (size_t k = 0; k < ls->nkinds; k++) {
		int fd = lw->fd[s][k];
		if (fd < 0)
			continue;
		lw->fd[s][k] = -1;
		uv_handle_t *h = NULL;
		int r = ls->start(lw->arg, s, k, fd, &h);
		if (r) {
			log_error("cannot listen on %s: %s", ls->addr[s].text, uv_strerror(r));
			rc = r;
		} else {
			lw->h[s][k] = h;
		}
	}
	lw->open[s] = true;
	return rc;
}

/* Something queued on h: a datagram not read yet, a connection not accepted yet. */
static bool busy(uv_handle_t *h)
{
	uv_os_fd_t fd;
	if (h == NULL || uv_fileno(h, &fd) != 0)
		return false;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* Closes slot s's handles once drained (or drained long enough). Returns false to look again. */
static bool slot_close(struct listen_worker *lw, size_t s, uint64_t now)
{
	struct listen_set *ls = lw->set;
	bool queued = false;
	for (size_t k = 0; k < ls->nkinds; k++)
		queued |= busy(lw->h[s][k]);
	if (lw->closing_since[s] == 0)
		lw->closing_since[s] = now + 1;
	if (queued && now + 1 - lw->closing_since[s] < LISTEN_SET_DRAIN_MS)
		return false;
	lw->closing_since[s] = 0;
	lw->closing[s] = true;
	size_t n = 0;
	for (size_t k = 0; k < ls->nkinds; k++)
		if (lw->h[s][k]) {
			/* The daemon's callbacks end with uv_close: data is ours from here. */
			lw->h[s][k]->data = lw;
			uv_close(lw->h[s][k], on_closed);
			n++;
		}
	if (n == 0)
		release(lw, s);
	return true;
}

static void on_retry(uv_timer_t *t);

/* On the worker's thread: its handles made to follow the set. Returns 0 or a libuv error. */
static int follow(struct listen_worker *lw)
{
	struct listen_set *ls = lw->set;
	uint64_t now = uv_now(lw->wake.loop);
	bool again = false;
	int rc = 0;
	uv_mutex_lock(&ls->lock);
	for (size_t s = 0; s < LISTEN_SET_SLOTS; s++) {
		if (ls->active[s] && !lw->open[s]) {
			int r = slot_start(lw, s);
			rc = rc ? rc : r;
		} else if (!ls->active[s] && lw->open[s] && !lw->closing[s]) {
			again |= !slot_close(lw, s, now);
		} else if (!ls->active[s] && !lw->open[s] && lw->fd[s][0] >= 0) {
			/* Added and removed again before this worker looked. */
			for (size_t k = 0; k < ls->nkinds; k++) {
				close(lw->fd[s][k]);
				lw->fd[s][k] = -1;
			}
			release(lw, s);
		}
	}
	uv_mutex_unlock(&ls->lock);
	if (again)
		uv_timer_start(&lw->retry, on_retry, LISTEN_SET_RETRY_MS, 0);
	return rc;
}

static void on_retry(uv_timer_t *t)
{
	follow(t->data);
}

static void on_wake(uv_async_t *a)
{
	follow(a->data);
}

int listen_set_attach(struct listen_set *ls, size_t i, uv_loop_t *loop, void *arg)
{
	struct listen_worker *lw = &ls->w[i];
	lw->arg = arg;
	lw->wake.data = lw->retry.data = lw;
	int rc = uv_async_init(loop, &lw->wake, on_wake);
	if (rc)
		return rc;
	if ((rc = uv_timer_init(loop, &lw->retry)) != 0)
		return rc;
	lw->attached = true;
	return follow(lw);
}

static bool same_addr(const struct daemon_addr *a, const struct daemon_addr *b)
{
	return a->len == b->len && memcmp(&a->ss, &b->ss, a->len) == 0;
}

/* A slot for a new address: neither in force nor still closing somewhere. */
static int free_slot(const struct listen_set *ls)
{
	for (int s = 0; s < LISTEN_SET_SLOTS; s++)
		if (!ls->active[s] && ls->holders[s] == 0)
			return s;
	return -1;
}

/* Opens a (not in force) in a slot; returns it, or -1 after logging why not. */
static int add(struct listen_set *ls, const struct daemon_addr *a)
{
	char err[256];
	int s = free_slot(ls), rc = s < 0 ? -EBUSY : daemon_bind_alone(a);
	if (s < 0)
		snprintf(err, sizeof(err), "cannot bind %s: the sockets of %d removed addresses are "
		         "still closing", a->text, LISTEN_SET_SLOTS);
	else if (rc < 0)
		snprintf(err, sizeof(err), "cannot bind %s: %s%s", a->text, strerror(-rc),
		         rc == -EADDRINUSE ? " (another server listens there)" : "");
	else
		rc = bind_slot(ls, (size_t)s, a, err, sizeof(err));
	if (rc < 0) {
		log_error("SIGHUP: %s; the other changes apply", err);
		return -1;
	}
	log_notice("SIGHUP: listening on %s", a->text);
	return s;
}

size_t listen_set_reload(struct listen_set *ls, const char *old_list, const char *list,
                         const char *option, const char *file)
{
	struct daemon_args none = { .workers = -1 };
	struct daemon_addr a[DAEMON_MAX_LISTEN];
	bool keep[LISTEN_SET_SLOTS] = { false }, failed = false;
	size_t n, changed = 0;
	if (ls->fixed) {
		if (strcmp(old_list ? old_list : "", list ? list : "") != 0)
			log_warning("SIGHUP: %s changed, but --listen on the command line decides; "
			            "restart without it to use the file's", option);
		return 0;
	}
	if (daemon_listen(&none, list, option, file, a, &n) != 0) {
		log_error("SIGHUP: %s: the addresses in force stay", option);
		return 0;
	}
	uv_mutex_lock(&ls->lock);
	for (size_t i = 0; i < n; i++) {
		int s = 0;
		while (s < LISTEN_SET_SLOTS && !(ls->active[s] && same_addr(&ls->addr[s], &a[i])))
			s++;
		if (s == LISTEN_SET_SLOTS && (s = add(ls, &a[i])) >= 0)
			changed++;
		if (s >= 0)
			keep[s] = true;
		else
			failed = true;
	}
	for (size_t s = 0; s < LISTEN_SET_SLOTS; s++) {
		if (!ls->active[s] || keep[s])
			continue;
		if (failed) {
			log_warning("SIGHUP: still listening on %s, until every address of %s opens",
			            ls->addr[s].text, option);
			continue;
		}
		ls->active[s] = false;
		changed++;
		log_notice("SIGHUP: no longer listening on %s (closing once what is queued there is "
		           "answered)", ls->addr[s].text);
	}
	uv_mutex_unlock(&ls->lock);
	for (size_t i = 0; changed && i < ls->nworkers; i++)
		if (ls->w[i].attached)
			uv_async_send(&ls->w[i].wake);
	return changed;
}

const char *listen_set_text(struct listen_set *ls, char *buf, size_t len)
{
	struct daemon_addr a[LISTEN_SET_SLOTS];
	size_t n = 0;
	uv_mutex_lock(&ls->lock);
	for (size_t s = 0; s < LISTEN_SET_SLOTS; s++)
		if (ls->active[s])
			a[n++] = ls->addr[s];
	uv_mutex_unlock(&ls->lock);
	return daemon_addrs_text(a, n, buf, len);
}

void listen_set_free(struct listen_set *ls)
{
	for (size_t s = 0; ls->w && s < LISTEN_SET_SLOTS; s++)
		close_fds(ls, s);
	free(ls->w);
	ls->w = NULL;
	if (ls->lock_ok)
		uv_mutex_destroy(&ls->lock);
	ls->lock_ok = false;
}
