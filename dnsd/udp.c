/* UDP: recvmmsg batches through libuv, answers collected and sent with one sendmmsg. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "dnsd/udp.h"
#include "dnsd/update_msg.h"
#include "dnsd/updater.h"
#include "shared/util/clock.h"
#include "shared/util/log.h"

#define DRAIN_BATCHES 4              /* recvmmsg batches per socket and loop turn in drain */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct dnsd_worker *w = h->data;
	(void)suggested;
	/* One buffer per worker: libuv hands it back before asking again. */
	*buf = uv_buf_init(w->rxbuf, UDP_BATCH * UDP_SLOT);
}

static void flush(struct dnsd_worker *w)
{
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	if (w->nout > 0 && w->out_handle) {
		int fd;
		uv_fileno((uv_handle_t *)w->out_handle, &fd);
		for (size_t i = 0; i < w->nout; i++) {
			iov[i].iov_base = w->out[i].buf;
			iov[i].iov_len = w->out[i].len;
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_name = &w->out[i].to;
			msgs[i].msg_hdr.msg_namelen = w->out[i].tolen;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		/* A full send buffer drops answers, as it would drop queries: UDP's contract. */
		size_t sent = 0;
		for (int tries = 0; sent < w->nout && tries < 4; tries++) {
			int n = sendmmsg(fd, msgs + sent, (unsigned)(w->nout - sent), MSG_DONTWAIT);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			sent += (size_t)n;
		}
	}
	w->nout = 0;
	w->out_handle = NULL;
	worker_pool_txn_done(&w->t);
	/* Each answer of a batch waited for the batch: the time a sender sees is the batch's,
	 * and two clock reads a batch cost less than two an answer. */
	if (w->batch_answered > 0) {
		stats_latency(&w->stats, clock_mono_ns() - w->batch_start, w->batch_answered);
		w->batch_answered = 0;
	}
}

static void answer_one(struct dnsd_worker *w, const uint8_t *msg, size_t len,
                       const struct sockaddr *addr)
{
	struct dnsd_udp_out *o = &w->out[w->nout];
	size_t n = dnsd_worker_answer(w, msg, len, o->buf, sizeof(o->buf), false, addr);
	w->batch_answered++;
	if (n > 0) {
		o->len = n;
		o->tolen = addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
		                                       : sizeof(struct sockaddr_in);
		memcpy(&o->to, addr, o->tolen);
		w->nout++;
	}
	if (w->nout == UDP_BATCH)
		flush(w);
}

/*
 * The held queries answered. Their cached answers sit at random places in megabytes of
 * memory: asked for all at once, index slots and then entries, the misses overlap instead of
 * one after the other (they were most of a cached answer's user-space time).
 */
static void answer_held(struct dnsd_worker *w)
{
	size_t n = w->nin;
	w->nin = 0;
	for (size_t i = 0; i < n; i++) {
		w->in[i].hash = answer_cache_hash(w->in[i].msg, w->in[i].len);
		answer_cache_prefetch(&w->cache, w->in[i].hash, false);
	}
	for (size_t i = 0; i < n; i++)
		answer_cache_prefetch(&w->cache, w->in[i].hash, true);
	for (size_t i = 0; i < n; i++) {
		w->out_handle = w->in_handle;      /* a flush on a full out clears it */
		answer_cache_hint(&w->cache, w->in[i].hash);
		answer_one(w, w->in[i].msg, w->in[i].len, (const struct sockaddr *)&w->in[i].from);
		answer_cache_hint(&w->cache, 0);   /* unused when the query never reached the cache */
	}
}

static void end_batch(struct dnsd_worker *w)
{
	answer_held(w);
	flush(w);
	w->batch_start = 0;
}

/* An UPDATE's answer, back on the worker's loop once its commit is durable. */
static void on_update_done(void *arg, const struct sockaddr *peer, const uint8_t *answer,
                           size_t len)
{
	uv_buf_t b = uv_buf_init((char *)answer, (unsigned)len);
	if (len > 0)
		uv_udp_try_send(arg, &b, 1, peer);    /* UDP's contract: a full buffer drops it */
}

/* A datagram of socket h: an UPDATE goes to the updater, a query waits for its batch. */
static void take(struct dnsd_worker *w, uv_udp_t *h, const uint8_t *msg, size_t len,
                 const struct sockaddr *addr, bool held)
{
	if (update_msg_is_update(msg, len)) {
		/* It writes the store: off this loop, answered when done (or dropped when busy). */
		updater_submit(&w->t.loop, w->env->st, msg, len, addr, on_update_done, h);
		return;
	}
	if ((w->out_handle != h && w->nout) || (w->in_handle != h && w->nin))
		end_batch(w);
	if (w->batch_start == 0)
		w->batch_start = clock_mono_ns();
	w->out_handle = h;
	if (!held) {
		answer_one(w, msg, len, addr);
		return;
	}
	/* Part of a recvmmsg batch: held until the batch is in (the buffer stays). */
	struct dnsd_udp_in *in = &w->in[w->nin++];
	in->msg = msg;
	in->len = len;
	memcpy(&in->from, addr, addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                                    : sizeof(struct sockaddr_in));
	w->in_handle = h;
	if (w->nin == UDP_BATCH)
		answer_held(w);
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
                    unsigned flags);

/*
 * Drain: a socket that keeps filling whole batches is read here, once per loop turn, and not
 * through epoll. While a socket is in an epoll set, every answer it sent wakes the set when the
 * kernel frees the answer (sock_wfree: the socket has room to write again), whether anyone
 * waits or not: 0.2 us an answer, 7 % of all the CPU a saturated worker spends. Out of the set,
 * nobody is woken. A socket goes back to libuv (epoll) once a read finds less than a batch.
 */
static void drain_stop(struct dnsd_worker *w, size_t slot)
{
	w->draining &= ~(UINT32_C(1) << slot);
	if (w->draining == 0)
		uv_idle_stop(&w->drain);
}

/* One batch from socket h (fd), answered; false when it was not full (the socket is empty). */
static bool drain_batch(struct dnsd_worker *w, uv_udp_t *h, int fd)
{
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	struct sockaddr_storage from[UDP_BATCH];
	for (size_t i = 0; i < UDP_BATCH; i++) {
		iov[i].iov_base = w->rxbuf + i * UDP_SLOT;
		iov[i].iov_len = UDP_SLOT;
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_name = &from[i];
		msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	int n = recvmmsg(fd, msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
	for (int i = 0; i < n; i++)
		if (msgs[i].msg_hdr.msg_namelen > 0 && msgs[i].msg_len > 0 &&
		    !(msgs[i].msg_hdr.msg_flags & MSG_TRUNC))
			take(w, h, iov[i].iov_base, msgs[i].msg_len, (const struct sockaddr *)&from[i],
			     true);
	end_batch(w);
	return n == UDP_BATCH;
}

static void on_drain(uv_idle_t *idle)
{
	struct dnsd_worker *w = idle->data;
	for (size_t slot = 0; slot < LISTEN_SET_SLOTS; slot++) {
		if (!(w->draining & (UINT32_C(1) << slot)))
			continue;
		uv_udp_t *h = &w->udp[slot];
		int fd;
		if (uv_is_closing((uv_handle_t *)h) || uv_fileno((uv_handle_t *)h, &fd) != 0) {
			drain_stop(w, slot);        /* SIGHUP closed the address, or dnsd stops */
			continue;
		}
		/* A few batches a turn: TCP and the timers still get the loop every ~0.2 ms. */
		size_t i = 0;
		while (i < DRAIN_BATCHES && drain_batch(w, h, fd))
			i++;
		if (i < DRAIN_BATCHES) {
			drain_stop(w, slot);
			int rc = uv_udp_recv_start(h, on_alloc, on_recv);
			if (rc)
				log_error("udp: a socket cannot be watched again: %s", uv_strerror(rc));
		}
	}
}

static void drain_start(struct dnsd_worker *w, uv_udp_t *h)
{
	size_t slot = (size_t)(h - w->udp);
	if (uv_udp_recv_stop(h) != 0)
		return;
	if (w->draining == 0)
		uv_idle_start(&w->drain, on_drain);
	w->draining |= UINT32_C(1) << slot;
	atomic_fetch_add_explicit(&w->stats.udp_drains, 1, memory_order_relaxed);
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
                    unsigned flags)
{
	struct dnsd_worker *w = h->data;
	if (nread > 0 && addr != NULL)
		take(w, h, (const uint8_t *)buf->base, (size_t)nread, addr,
		     flags & UV_UDP_MMSG_CHUNK);
	if (flags & UV_UDP_MMSG_CHUNK)
		w->batch_got++;
	/* The end of a recvmmsg batch, or a single datagram: answers go out, the snapshot ends. */
	if ((flags & UV_UDP_MMSG_FREE) || !(flags & UV_UDP_MMSG_CHUNK)) {
		bool full = w->batch_got >= UDP_BATCH;
		w->batch_got = 0;
		end_batch(w);
		if (full && (flags & UV_UDP_MMSG_FREE))
			drain_start(w, h);
	}
}

int dnsd_udp_start(struct dnsd_worker *w, size_t i, int fd, uv_handle_t **out)
{
	uv_udp_t *h = &w->udp[i];
	int rc = uv_udp_init_ex(&w->t.loop, h, UV_UDP_RECVMMSG);
	if (rc) {
		close(fd);
		return rc;
	}
	h->data = w;
	*out = (uv_handle_t *)h;
	if ((rc = uv_udp_open(h, fd)) != 0) {
		close(fd);
		return rc;
	}
	return uv_udp_recv_start(h, on_alloc, on_recv);
}
