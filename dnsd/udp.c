/* UDP: recvmmsg batches through libuv, answers collected and sent with one sendmmsg. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "dnsd/udp.h"
#include "dnsd/update_msg.h"
#include "dnsd/updater.h"

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
}

/* An UPDATE's answer, back on the worker's loop once its commit is durable. */
static void on_update_done(void *arg, const struct sockaddr *peer, const uint8_t *answer,
                           size_t len)
{
	uv_buf_t b = uv_buf_init((char *)answer, (unsigned)len);
	if (len > 0)
		uv_udp_try_send(arg, &b, 1, peer);    /* UDP's contract: a full buffer drops it */
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
                    unsigned flags)
{
	struct dnsd_worker *w = h->data;
	if (nread > 0 && addr != NULL &&
	    update_msg_is_update((const uint8_t *)buf->base, (size_t)nread)) {
		/* It writes the store: off this loop, answered when done (or dropped when busy). */
		updater_submit(&w->t.loop, w->env->st, (const uint8_t *)buf->base, (size_t)nread, addr,
		               on_update_done, h);
	} else if (nread > 0 && addr != NULL) {
		if (w->out_handle != h && w->nout)
			flush(w);
		w->out_handle = h;
		struct dnsd_udp_out *o = &w->out[w->nout];
		size_t len = dnsd_worker_answer(w, (const uint8_t *)buf->base, (size_t)nread, o->buf,
		                                sizeof(o->buf), false, addr);
		if (len > 0) {
			o->len = len;
			o->tolen = addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
			                                        : sizeof(struct sockaddr_in);
			memcpy(&o->to, addr, o->tolen);
			w->nout++;
		}
		if (w->nout == UDP_BATCH)
			flush(w);
	}
	/* The end of a recvmmsg batch, or a single datagram: answers go out, the snapshot ends. */
	if ((flags & UV_UDP_MMSG_FREE) || !(flags & UV_UDP_MMSG_CHUNK))
		flush(w);
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
