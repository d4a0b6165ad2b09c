/* dnsd.xdp-listen: plain UDP queries read and answered through AF_XDP sockets, one per
 * receive queue of the interface, past the kernel's IP and socket layers. */
#ifndef DNSD_XDP_H
#define DNSD_XDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include <xdp/xsk.h>

struct dnsd_worker;

/* One receive queue's socket, its frames (UMEM) and rings; read by one worker. */
struct xdp_queue {
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fq, tx;     /* fill: frames the kernel may receive into; transmit */
	struct xsk_ring_cons cq, rx;     /* completion: frames sent; receive */
	uint8_t *area;                   /* the frames */
	uint64_t *free;                  /* transmit frames not in use (offsets in area) */
	uint32_t nfree;
	uint32_t id;                     /* the interface's receive queue */
	size_t answer_max;               /* DNS bytes an answer frame can carry (the link's MTU) */
	uv_poll_t poll;
	uv_timer_t resend;               /* sends again what a busy device left in the ring */
	struct dnsd_worker *w;
};

struct dnsd_xdp {
	char ifname[16];
	int ifindex;
	uint16_t port;
	bool open;                       /* false: off (a zeroed struct), or closed */
	int prog_fd, map_fd, link_fd;    /* -1 when not open */
	bool generic;                    /* the driver has no native XDP: the slow hook */
	bool gone;                       /* the interface went away while dnsd ran */
	struct xdp_queue *q;
	uint32_t nq;
};

/*
 * Sets up spec ("IFACE@PORT"): the program, a socket per receive queue, the program attached.
 * Needs CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF and CAP_IPC_LOCK (root), so before the privilege
 * drop. Returns 0, or -1 with the reason in err (x is then closed).
 */
int dnsd_xdp_open(struct dnsd_xdp *x, const char *spec, char *err, size_t errlen);
/* Worker i of n reads the queues q with q % n == i, on its loop. Returns 0 or a libuv code. */
int dnsd_xdp_start(struct dnsd_xdp *x, struct dnsd_worker *w, size_t i, size_t n);
/*
 * True the first time a check finds the interface gone or its name taken by another (a
 * deleted veth, an unloaded driver): its sockets then get nothing, and only a restart
 * attaches again. Cheap enough for a timer of a second.
 */
bool dnsd_xdp_lost(struct dnsd_xdp *x);
/* Detaches the program and frees the sockets; after the workers' loops have closed. */
void dnsd_xdp_close(struct dnsd_xdp *x);

#endif
