/* NOTIFY out (RFC 1996): tails the store's history and tells each changed zone's secondaries. */
#ifndef DNSD_NOTIFY_H
#define DNSD_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>
#include "shared/store/secondary.h"
#include "shared/store/store.h"
#include "shared/dns/tsig.h"

#define NOTIFY_POLL_MS 250           /* how often the history is read */
#define NOTIFY_TRIES 5               /* sends to one secondary before giving up */
#define NOTIFY_RETRY_MS 1000         /* the first wait for an answer; doubled after each try */
#define NOTIFY_RETRY_MAX_MS 4000     /* ... up to this: 1, 2, 4, 4, 4 s, then give up */
#define NOTIFY_MAX_PENDING 2048      /* secondaries waiting for a NOTIFY at once */
#define NOTIFY_MAX_HISTORY 4096      /* history entries read per poll */
#define NOTIFY_MSG_MAX 2048          /* question, SOA and TSIG */

/* One secondary to tell about one zone's serial, until it answers or the tries run out. */
struct notify_peer {
	bool used;
	uint8_t apex[DNAME_MAX];
	uint32_t serial;
	struct sockaddr_storage to;
	char text[SECONDARY_TEXT_MAX];   /* its address, for the log */
	char key[SECONDARY_KEY_MAX];     /* TSIG key name, "" for none */
	struct tsig_key tsig;            /* loaded when sent; its answer is checked with it */
	uint8_t mac[TSIG_MAC_MAX];       /* our request's MAC, which the answer chains to */
	size_t mac_len;
	uint16_t id;
	unsigned tries;
	uint64_t due;                    /* loop time (ms) of the next send */
};

struct notifier {
	uv_loop_t *loop;
	struct store *st;
	uv_timer_t timer;
	uv_udp_t udp4, udp6;
	bool has6;
	uint64_t last_seq;               /* the newest history entry seen */
	uint64_t rng;                    /* message IDs */
	struct notify_peer *peers;       /* NOTIFY_MAX_PENDING slots */
	/* Counters for /metrics, on the loop's thread: datagrams sent, answers (NOERROR or an
	 * error rcode), NOTIFYs given up (no answer after the tries, or none could be made). */
	uint64_t sent, answered, refused, failed;
	uint8_t rx[NOTIFY_MSG_MAX];
};

/* Starts on loop: binds the sockets and notes where the history ends. 0 or a negative code. */
int notify_start(struct notifier *n, uv_loop_t *loop, struct store *st);
/* After the loop has closed the notifier's handles (uv_walk + uv_run): frees what is left. */
void notify_free(struct notifier *n);

#endif
