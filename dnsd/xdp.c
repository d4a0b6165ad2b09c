/*
 * AF_XDP sockets for dnsd.xdp-listen. Each receive queue has its own frames: half of them
 * wait in the fill ring for queries, half carry answers. A query's frame goes back to the
 * fill ring as soon as its answer is written into a transmit frame; the completion ring hands
 * transmit frames back once sent. So the kernel and dnsd never hold the same frame.
 */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "dnsd/worker.h"
#include "dnsd/xdp.h"
#include "dnsd/xdp_frame.h"
#include "dnsd/xdp_prog.h"
#include "shared/util/addr.h"
#include "shared/util/clock.h"
#include "shared/util/log.h"

#define XDP_FRAMES 2048                 /* per queue: half to receive, half to send */
#define XDP_FRAME_SIZE 4096
#define XDP_RING (XDP_FRAMES / 2)       /* each ring holds all the frames of its side */
#define XDP_BATCH 64                    /* frames read at a time */
#define XDP_TURNS 4                     /* batches a loop turn, so TCP and timers get theirs */
#define ETH_HDR 14
#define XDP_KICKS (XDP_BATCH / 32 + 2)   /* sends a batch may need (kick()), bounded */
#define XDP_RESEND_MS 1
#define BUSY_TRIES 100                  /* 2 s for a closed socket's queue to be free */
#define BUSY_WAIT_US 20000

/* Quiet: every failure is reported through the return codes, in dnsd's own words. */
static int no_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0;
}

static int no_print_xdp(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0;
}

/* The interface's MTU and receive queues (ETHTOOL_GCHANNELS; 1 when the driver has none). */
static int link_info(const char *ifname, unsigned *mtu, uint32_t *nq)
{
	struct ifreq ifr;
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	int rc = ioctl(fd, SIOCGIFMTU, &ifr);
	*mtu = (unsigned)ifr.ifr_mtu;
	ifr.ifr_data = (void *)&ch;
	*nq = 1;
	if (rc == 0 && ioctl(fd, SIOCETHTOOL, &ifr) == 0)
		*nq = ch.combined_count > ch.rx_count ? ch.combined_count : ch.rx_count;
	if (*nq == 0)
		*nq = 1;
	close(fd);
	return rc;
}

static int queue_open(struct dnsd_xdp *x, struct xdp_queue *q, uint32_t id, unsigned mtu,
                      char *err, size_t errlen)
{
	const struct xsk_umem_config ucfg = { .fill_size = XDP_RING, .comp_size = XDP_RING,
	                                      .frame_size = XDP_FRAME_SIZE };
	/* No copy nor zero-copy flag: the kernel takes zero-copy where the driver has it. */
	const struct xsk_socket_config scfg = { .rx_size = XDP_RING, .tx_size = XDP_RING,
	                                        .libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
	                                        .bind_flags = XDP_USE_NEED_WAKEUP };
	size_t size = (size_t)XDP_FRAMES * XDP_FRAME_SIZE;
	const char *what = "the frames";
	uint32_t i;
	int rc = -ENOMEM;
	q->id = id;
	q->answer_max = XDP_FRAME_SIZE - XDP_FRAME_HDR_MAX;
	if (mtu + ETH_HDR < XDP_FRAME_SIZE)
		q->answer_max = mtu - (XDP_FRAME_HDR_MAX - ETH_HDR);   /* never an IP fragment */
	if (q->answer_max > UDP_ANSWER_MAX)
		q->answer_max = UDP_ANSWER_MAX;
	q->area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	q->free = malloc(XDP_RING * sizeof(*q->free));
	if (q->area == MAP_FAILED || q->free == NULL) {
		q->area = q->area == MAP_FAILED ? NULL : q->area;
		goto fail;
	}
	what = "the frames' registration";
	if ((rc = xsk_umem__create(&q->umem, q->area, size, &q->fq, &q->cq, &ucfg)) != 0)
		goto fail;
	what = "the socket";
	/* A socket closed a moment ago (dnsd restarted) frees its queue after its process is
	 * gone, from a kernel work queue: wait for that, a bounded while. */
	for (int tries = 0; tries < BUSY_TRIES; tries++) {
		rc = xsk_socket__create(&q->xsk, x->ifname, id, q->umem, &q->rx, &q->tx, &scfg);
		if (rc != -EBUSY)
			break;
		usleep(BUSY_WAIT_US);
	}
	if (rc == -EBUSY)
		what = "the queue is another AF_XDP socket's (another dnsd, or Knot's XDP mode)";
	if (rc != 0)
		goto fail;
	what = "the socket map";
	if ((rc = xsk_socket__update_xskmap(q->xsk, x->map_fd)) != 0)
		goto fail;
	if (xsk_ring_prod__reserve(&q->fq, XDP_RING, &i) != XDP_RING) {
		rc = -ENOBUFS;
		what = "the fill ring";
		goto fail;
	}
	for (uint32_t k = 0; k < XDP_RING; k++)
		*xsk_ring_prod__fill_addr(&q->fq, i + k) = (uint64_t)k * XDP_FRAME_SIZE;
	xsk_ring_prod__submit(&q->fq, XDP_RING);
	for (uint32_t k = 0; k < XDP_RING; k++)
		q->free[q->nfree++] = (uint64_t)(XDP_RING + k) * XDP_FRAME_SIZE;
	return 0;
fail:
	snprintf(err, errlen, "%s@%u, queue %u: %s: %s%s", x->ifname, x->port, id, what,
	         strerror(-rc), rc == -EPERM ? " (needs root: CAP_NET_ADMIN, CAP_NET_RAW, "
	         "CAP_BPF, CAP_IPC_LOCK)" : "");
	return -1;
}

int dnsd_xdp_open(struct dnsd_xdp *x, const char *spec, char *err, size_t errlen)
{
	unsigned mtu;
	char why[512];
	memset(x, 0, sizeof(*x));
	x->prog_fd = x->map_fd = x->link_fd = -1;
	x->open = true;
	libbpf_set_print(no_print);
	libxdp_set_print(no_print_xdp);
	if (addr_ifport_parse(spec, x->ifname, &x->port) != 0) {
		snprintf(err, errlen, "dnsd.xdp-listen: \"%s\" is not IFACE@PORT", spec);
		return -1;
	}
	if ((x->ifindex = (int)if_nametoindex(x->ifname)) == 0 ||
	    link_info(x->ifname, &mtu, &x->nq) != 0) {
		snprintf(err, errlen, "dnsd.xdp-listen: no interface %s here", x->ifname);
		return -1;
	}
	if (xdp_prog_load(x->port, x->nq, &x->prog_fd, &x->map_fd, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "dnsd.xdp-listen: %s", why);
		goto fail;
	}
	if ((x->q = calloc(x->nq, sizeof(*x->q))) == NULL) {
		snprintf(err, errlen, "dnsd.xdp-listen: out of memory");
		goto fail;
	}
	for (uint32_t i = 0; i < x->nq; i++)
		if (queue_open(x, &x->q[i], i, mtu, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "dnsd.xdp-listen: %s", why);
			goto fail;
		}
	int generic;
	if ((x->link_fd = xdp_prog_attach(x->prog_fd, x->ifindex, &generic, why, sizeof(why))) < 0) {
		snprintf(err, errlen, "dnsd.xdp-listen: %s: %s", x->ifname, why);
		goto fail;
	}
	x->generic = generic;
	return 0;
fail:
	dnsd_xdp_close(x);
	return -1;
}

/* Sent frames back to the free list. */
static void reclaim(struct xdp_queue *q)
{
	uint32_t i;
	unsigned n = xsk_ring_cons__peek(&q->cq, XDP_RING, &i);
	for (unsigned k = 0; k < n; k++)
		q->free[q->nfree++] = *xsk_ring_cons__comp_addr(&q->cq, i + k);
	if (n)
		xsk_ring_cons__release(&q->cq, n);
}

/* Received frames back to the fill ring; it has room for all of them by its size. */
static void refill(struct xdp_queue *q, const uint64_t *addr, unsigned n)
{
	uint32_t i;
	if (xsk_ring_prod__reserve(&q->fq, n, &i) != n)
		return;
	for (unsigned k = 0; k < n; k++)
		*xsk_ring_prod__fill_addr(&q->fq, i + k) = addr[k];
	xsk_ring_prod__submit(&q->fq, n);
}

/*
 * The transmit ring's frames sent. Copy mode sends in the call, at most 32 frames a call
 * (the kernel's TX_BATCH_SIZE; EAGAIN when more wait), so it is called until the ring is
 * empty: a frame left in the ring would wait for the next query. Zero-copy drivers send by
 * themselves and only ask for a call when they sleep.
 */
static void kick(struct xdp_queue *q);

static void on_resend(uv_timer_t *t)
{
	kick(t->data);
}

static void kick(struct xdp_queue *q)
{
	for (int i = 0; i < XDP_KICKS && xsk_ring_prod__needs_wakeup(&q->tx); i++)
		if (sendto(xsk_socket__fd(q->xsk), NULL, 0, MSG_DONTWAIT, NULL, 0) == 0 ||
		    (errno != EAGAIN && errno != EBUSY && errno != ENOBUFS))
			break;
	/* A device too busy to take them all: the rest go a millisecond later, not whenever
	 * the next query comes. */
	if (xsk_prod_nb_free(&q->tx, XDP_RING) < XDP_RING && !uv_is_active((uv_handle_t *)&q->resend))
		uv_timer_start(&q->resend, on_resend, XDP_RESEND_MS, 0);
}

/* A received query: its frame, where its parts are, its answer's cache hash. */
struct xdp_in {
	const uint8_t *f;
	struct xdp_frame_info fi;
	uint64_t hash;
	bool ok;
};

/* One answer into a transmit frame: the descriptor's length, 0 for none. */
static uint32_t answer(struct xdp_queue *q, const struct xdp_in *in, uint64_t frame)
{
	struct dnsd_worker *w = q->w;
	uint8_t *o = xsk_umem__get_data(q->area, frame);
	answer_cache_hint(&w->cache, in->hash);
	size_t n = dnsd_worker_answer(w, in->f + in->fi.hdr, in->fi.dns_len, o + in->fi.hdr,
	                              q->answer_max, false, (const struct sockaddr *)&in->fi.peer);
	answer_cache_hint(&w->cache, 0);
	return n ? (uint32_t)xdp_frame_reply(in->f, &in->fi, o, n) : 0;
}

/* One batch read and answered; returns the frames read. */
static unsigned batch(struct xdp_queue *q)
{
	struct dnsd_worker *w = q->w;
	struct xdp_in in[XDP_BATCH];
	uint64_t got[XDP_BATCH];
	struct xdp_desc out[XDP_BATCH];
	unsigned nout = 0, answered = 0, dropped = 0;
	uint32_t ri, ti;
	unsigned n = xsk_ring_cons__peek(&q->rx, XDP_BATCH, &ri);
	if (n == 0)
		return 0;
	uint64_t start = clock_mono_ns();
	/* As udp.c does: the answers' cache entries asked for at once, so their misses overlap. */
	for (unsigned i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&q->rx, ri + i);
		got[i] = d->addr;
		in[i].f = xsk_umem__get_data(q->area, d->addr);
		in[i].ok = xdp_frame_parse(in[i].f, d->len, &in[i].fi) == 0;
		if (in[i].ok) {
			in[i].hash = answer_cache_hash(in[i].f + in[i].fi.hdr, in[i].fi.dns_len);
			answer_cache_prefetch(&w->cache, in[i].hash, false);
		}
	}
	for (unsigned i = 0; i < n; i++)
		if (in[i].ok)
			answer_cache_prefetch(&w->cache, in[i].hash, true);
	reclaim(q);
	for (unsigned i = 0; i < n; i++) {
		if (!in[i].ok)
			continue;
		if (q->nfree == 0) {
			dropped++;              /* every answer frame in flight: UDP's contract, drop */
			continue;
		}
		uint64_t frame = q->free[--q->nfree];
		uint32_t len = answer(q, &in[i], frame);
		answered++;
		if (len == 0)
			q->free[q->nfree++] = frame;
		else
			out[nout++] = (struct xdp_desc){ .addr = frame, .len = len };
	}
	xsk_ring_cons__release(&q->rx, n);
	refill(q, got, n);
	/* The ring holds every transmit frame, so it has room for these (else they are dropped). */
	if (nout && xsk_ring_prod__reserve(&q->tx, nout, &ti) == nout) {
		for (unsigned i = 0; i < nout; i++)
			*xsk_ring_prod__tx_desc(&q->tx, ti + i) = out[i];
		xsk_ring_prod__submit(&q->tx, nout);
		kick(q);
	} else {
		for (unsigned i = 0; i < nout; i++)
			q->free[q->nfree++] = out[i].addr;
		dropped += nout;
	}
	worker_pool_txn_done(&w->t);
	if (answered)
		stats_latency(&w->stats, clock_mono_ns() - start, answered);
	atomic_fetch_add_explicit(&w->stats.xdp, answered, memory_order_relaxed);
	if (dropped)
		atomic_fetch_add_explicit(&w->stats.xdp_dropped, dropped, memory_order_relaxed);
	return n;
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct xdp_queue *q = h->data;
	(void)events;
	if (status < 0) {
		log_error("xdp: queue %u: %s; its queries are no longer read", q->id,
		          uv_strerror(status));
		uv_poll_stop(h);
		return;
	}
	for (int i = 0; i < XDP_TURNS && batch(q) == XDP_BATCH; i++)
		;
	if (xsk_ring_prod__needs_wakeup(&q->fq))
		recvfrom(xsk_socket__fd(q->xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
}

int dnsd_xdp_start(struct dnsd_xdp *x, struct dnsd_worker *w, size_t i, size_t n)
{
	for (uint32_t k = 0; k < x->nq; k++) {
		struct xdp_queue *q = &x->q[k];
		if (k % n != i)
			continue;
		q->w = w;
		int rc = uv_poll_init(&w->t.loop, &q->poll, xsk_socket__fd(q->xsk));
		if (rc)
			return rc;
		q->poll.data = q;
		if ((rc = uv_timer_init(&w->t.loop, &q->resend)) != 0)
			return rc;
		q->resend.data = q;
		if ((rc = uv_poll_start(&q->poll, UV_READABLE, on_poll)) != 0)
			return rc;
	}
	return 0;
}

bool dnsd_xdp_lost(struct dnsd_xdp *x)
{
	if (!x->open || x->gone)
		return false;
	/* An interface that goes down and up keeps its index, its program and its sockets. */
	errno = 0;
	unsigned idx = if_nametoindex(x->ifname);
	if (idx == 0 && errno != ENODEV)
		return false;              /* no socket to ask with just now: the next second */
	x->gone = idx != (unsigned)x->ifindex;
	return x->gone;
}

void dnsd_xdp_close(struct dnsd_xdp *x)
{
	if (!x->open)
		return;
	if (x->link_fd >= 0)
		close(x->link_fd);         /* first: no frame is redirected to a closing socket */
	for (uint32_t i = 0; x->q && i < x->nq; i++) {
		struct xdp_queue *q = &x->q[i];
		if (q->xsk)
			xsk_socket__delete(q->xsk);
		if (q->umem)
			xsk_umem__delete(q->umem);
		if (q->area)
			munmap(q->area, (size_t)XDP_FRAMES * XDP_FRAME_SIZE);
		free(q->free);
	}
	free(x->q);
	if (x->prog_fd >= 0)
		close(x->prog_fd);
	if (x->map_fd >= 0)
		close(x->map_fd);
	memset(x, 0, sizeof(*x));
}
