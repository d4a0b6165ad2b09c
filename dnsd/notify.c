/*
 * NOTIFY out. Writers are other processes (zonectl, the publish step), so dnsd learns of
 * changes by reading the history every NOTIFY_POLL_MS; each changed zone's secondaries get a
 * NOTIFY (SOA question, AA, the SOA in answer, TSIG when their entry names a key), resent
 * with back-off (1, 2, 4, 4 s) until they answer or NOTIFY_TRIES sends went unanswered.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include "dnsd/notify.h"
#include "dnsd/pkt.h"
#include "shared/util/addr.h"
#include "shared/util/err.h"
#include "shared/store/history.h"
#include "shared/util/log.h"
#include "shared/store/rrset.h"
#include "shared/store/tsig_key.h"
#include "shared/dns/wire.h"
#include "shared/store/zone.h"
#include "shared/store/zone_check.h"


static const char *zone_text(const uint8_t *apex, char buf[DNAME_STR_MAX])
{
	return dname_format(buf, apex);
}

static uint16_t next_id(struct notifier *n)
{
	/* xorshift64: IDs need not be secret (TSIG protects what matters), only unpredictable-ish. */
	n->rng ^= n->rng << 13;
	n->rng ^= n->rng >> 7;
	n->rng ^= n->rng << 17;
	return (uint16_t)(n->rng >> 24);
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a, *y = (const void *)b;
	return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

static void drop(struct notify_peer *p)
{
	tsig_key_wipe(&p->tsig);
	p->used = false;
}

struct queue_ctx {
	struct notifier *n;
	const uint8_t *apex;
	uint32_t serial;
};

/* A secondary of a changed zone: (re)start its NOTIFY at the zone's current serial. */
static int queue_peer(const struct secondary *s, void *arg)
{
	struct queue_ctx *q = arg;
	struct notifier *n = q->n;
	struct sockaddr_storage to;
	struct notify_peer *p = NULL, *free_slot = NULL;
	char zone[DNAME_STR_MAX];
	addr_sockaddr(s->family, s->addr, s->port, &to);
	for (size_t i = 0; i < NOTIFY_MAX_PENDING && p == NULL; i++) {
		struct notify_peer *c = &n->peers[i];
		if (!c->used)
			free_slot = free_slot ? free_slot : c;
		else if (dname_equal(c->apex, q->apex) && same_addr(&c->to, (struct sockaddr *)&to))
			p = c;
	}
	if (p == NULL && (p = free_slot) == NULL) {
		char addr[SECONDARY_TEXT_MAX];
		static struct log_limit full = LOG_LIMIT_INIT(10, 1000);
		log_limited(&full, LOG_LEVEL_WARNING, "%s: NOTIFY to %s not sent (more than %d waiting)",
		            zone_text(q->apex, zone), secondary_format(s, addr, sizeof(addr)),
		            NOTIFY_MAX_PENDING);
		return 0;
	}
	memset(p, 0, sizeof(*p));
	p->used = true;
	memcpy(p->apex, q->apex, (size_t)dname_wire_len(q->apex, DNAME_MAX));
	p->serial = q->serial;
	p->to = to;
	secondary_format(s, p->text, sizeof(p->text));
	memcpy(p->key, s->key, sizeof(p->key));
	p->due = uv_now(n->loop);
	return 0;
}

struct tick_ctx {
	struct notifier *n;
	struct store_txn *t;
};

static int on_history(const struct history_entry *e, void *arg)
{
	struct tick_ctx *c = arg;
	struct zone_info z;
	c->n->last_seq = e->seq;
	/* A zone deleted meanwhile has no secondaries to tell. */
	if (zone_get(c->t, e->apex, &z) != 0)
		return 0;
	struct queue_ctx q = { c->n, z.apex, 0 };
	if (zone_serial(c->t, &z, &q.serial) == 0)
		secondary_list(c->t, z.id, queue_peer, &q);
	return 0;
}

/* The NOTIFY message: header, question, the current SOA in answer, then the TSIG. */
static size_t build(struct notifier *n, struct store_txn *t, struct notify_peer *p, uint8_t *buf,
                    const char **why)
{
	struct zone_info z;
	struct rrset_view soa;
	struct pkt pk;
	uint8_t key[RRSET_KEY_MAX];
	const uint8_t *rd;
	uint16_t rdlen;
	size_t pos = 0;
	MDB_val v;
	*why = "the zone is gone";
	if (zone_get(t, p->apex, &z) != 0)
		return 0;
	int kl = rrset_key(key, z.id, z.apex, z.apex, T_SOA);
	if (store_get(t, STORE_RRSETS, key, (size_t)kl, &v) != 0 ||
	    rrset_decode(v.mv_data, v.mv_size, &soa) != 0 || !rrset_next(&soa, &pos, &rd, &rdlen) ||
	    soa_serial_offset(rd, rdlen) < 0)
		return 0;
	p->serial = wire_get32(rd + soa_serial_offset(rd, rdlen));
	p->id = next_id(n);
	pkt_init(&pk, buf, NOTIFY_MSG_MAX - TSIG_RR_MAX);
	pkt_header(&pk, p->id, PKT_OPCODE_NOTIFY << PKT_OPCODE_SHIFT | PKT_F_AA);
	pkt_set16(&pk, PKT_QDCOUNT, 1);
	pkt_set16(&pk, PKT_ANCOUNT, 1);
	if (!pkt_put_name(&pk, z.apex) || !pkt_put16(&pk, T_SOA) || !pkt_put16(&pk, PKT_CLASS_IN) ||
	    !pkt_put_name(&pk, z.apex) || !pkt_put16(&pk, T_SOA) || !pkt_put16(&pk, PKT_CLASS_IN) ||
	    !pkt_put32(&pk, soa.ttl) || !pkt_put16(&pk, rdlen) || !pkt_put(&pk, rd, rdlen))
		return 0;
	if (*p->key == 0)
		return pk.len;
	uint8_t name[DNAME_MAX];
	*why = "its TSIG key is gone";
	if (tsig_key_name(p->key, name) != 0 || tsig_key_get(t, name, &p->tsig) != 0)
		return 0;
	struct tsig_sign_opts o = { .time = (uint64_t)time(NULL) };
	return tsig_sign(buf, pk.len, NOTIFY_MSG_MAX, &p->tsig, &o, p->mac, &p->mac_len);
}

static void send_due(struct notifier *n, struct store_txn *t, uint64_t now)
{
	uint8_t buf[NOTIFY_MSG_MAX];
	char zone[DNAME_STR_MAX];
	for (size_t i = 0; i < NOTIFY_MAX_PENDING; i++) {
		struct notify_peer *p = &n->peers[i];
		if (!p->used || p->due > now)
			continue;
		zone_text(p->apex, zone);
		if (p->tries == NOTIFY_TRIES) {
			log_warning("%s: NOTIFY to %s not answered after %d tries (serial %u): "
			    "it will see the change at its next SOA refresh", zone, p->text,
			    NOTIFY_TRIES, p->serial);
			n->failed++;
			drop(p);
			continue;
		}
		const char *why;
		size_t len = build(n, t, p, buf, &why);
		if (len == 0) {
			log_warning("%s: NOTIFY to %s not sent (%s)", zone, p->text, why);
			n->failed++;
			drop(p);
			continue;
		}
		uv_udp_t *h = p->to.ss_family == AF_INET6 ? &n->udp6 : &n->udp4;
		uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
		int rc = p->to.ss_family == AF_INET6 && !n->has6 ? UV_EAFNOSUPPORT
		         : uv_udp_try_send(h, &b, 1, (const struct sockaddr *)&p->to);
		n->sent += rc >= 0;
		if (p->tries == 0 || rc < 0)
			log_notice("%s: NOTIFY to %s, serial %u%s%s%s", zone, p->text, p->serial,
			   p->key[0] ? ", TSIG key " : "", p->key,
			   rc < 0 ? (rc == UV_EAFNOSUPPORT ? " (no IPv6 socket)" : " (send failed)") : "");
		uint64_t wait = (uint64_t)NOTIFY_RETRY_MS << p->tries;
		p->due = now + (wait < NOTIFY_RETRY_MAX_MS ? wait : NOTIFY_RETRY_MAX_MS);
		p->tries++;
	}
}

static void on_tick(uv_timer_t *timer)
{
	struct notifier *n = timer->data;
	struct store_txn t;
	if (store_begin(n->st, false, 0, &t) != 0)
		return;
	struct tick_ctx c = { n, &t };
	history_since(&t, n->last_seq, NOTIFY_MAX_HISTORY, on_history, &c);
	send_due(n, &t, uv_now(n->loop));
	store_abort(&t);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct notifier *n = h->data;
	(void)suggested;
	*buf = uv_buf_init((char *)n->rx, sizeof(n->rx));
}

static const char *rcode_text(unsigned rcode)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
	                                     "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
	                                     "NOTZONE" };
	return rcode < sizeof(names) / sizeof(names[0]) ? names[rcode] : "rcode?";
}

/* An answer: from the address we sent to, with our ID, a NOTIFY response, signed if we did. */
static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
	struct notifier *n = h->data;
	const uint8_t *m = (const uint8_t *)buf->base;
	char zone[DNAME_STR_MAX];
	(void)flags;
	if (nread < PKT_HDR || from == NULL)
		return;
	uint16_t id = wire_get16(m + PKT_ID), fl = wire_get16(m + PKT_FLAGS);
	if (!(fl & PKT_F_QR) || PKT_OPCODE(fl) != PKT_OPCODE_NOTIFY)
		return;
	for (size_t i = 0; i < NOTIFY_MAX_PENDING; i++) {
		struct notify_peer *p = &n->peers[i];
		if (!p->used || p->tries == 0 || p->id != id || !same_addr(&p->to, from))
			continue;
		zone_text(p->apex, zone);
		if (*p->key) {
			struct tsig_rr rr;
			int rc = tsig_find(m, (size_t)nread, &rr);
			if (rc == 0)
				rc = tsig_verify(m, &rr, &p->tsig, p->mac, p->mac_len, false,
				                 (uint64_t)time(NULL));
			/* A forged or broken answer does not stop the retries. */
			if (rc != 0) {
				log_warning("%s: NOTIFY answer from %s ignored (%s TSIG)", zone,
				    p->text, rc == LS_ENOTFOUND ? "no" : "bad");
				return;
			}
		}
		unsigned rcode = fl & PKT_F_RCODE;
		n->answered += rcode == 0;
		n->refused += rcode != 0;
		if (rcode == 0)
			log_notice("%s: NOTIFY to %s answered (serial %u)", zone, p->text,
			   p->serial);
		else
			log_warning("%s: NOTIFY to %s refused (%s)", zone, p->text,
			    rcode_text(rcode));
		drop(p);
		return;
	}
}

static int bind_any(struct notifier *n, uv_udp_t *h, int family)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	int rc = uv_udp_init(n->loop, h);
	if (rc)
		return rc;
	h->data = n;
	if ((rc = uv_udp_bind(h, (const struct sockaddr *)&ss,
	                      family == AF_INET6 ? UV_UDP_IPV6ONLY : 0)) != 0 ||
	    (rc = uv_udp_recv_start(h, on_alloc, on_recv)) != 0) {
		uv_close((uv_handle_t *)h, NULL);
		return rc;
	}
	return 0;
}

int notify_start(struct notifier *n, uv_loop_t *loop, struct store *st)
{
	struct store_txn t;
	int rc;
	memset(n, 0, sizeof(*n));
	n->loop = loop;
	n->st = st;
	n->peers = calloc(NOTIFY_MAX_PENDING, sizeof(*n->peers));
	if (n->peers == NULL)
		return -ENOMEM;
	if (getrandom(&n->rng, sizeof(n->rng), 0) != sizeof(n->rng) || n->rng == 0)
		n->rng = (uint64_t)time(NULL) * 2654435761u | 1;
	/* Changes made before dnsd started are not announced: secondaries refresh on their own. */
	if ((rc = store_begin(st, false, 0, &t)) != 0)
		return rc;
	rc = history_last(&t, &n->last_seq);
	store_abort(&t);
	if (rc)
		return rc;
	if ((rc = bind_any(n, &n->udp4, AF_INET)) != 0)
		return rc;
	n->has6 = bind_any(n, &n->udp6, AF_INET6) == 0;
	uv_timer_init(loop, &n->timer);
	n->timer.data = n;
	return uv_timer_start(&n->timer, on_tick, NOTIFY_POLL_MS, NOTIFY_POLL_MS);
}

void notify_free(struct notifier *n)
{
	if (n->peers == NULL)
		return;
	for (size_t i = 0; i < NOTIFY_MAX_PENDING; i++)
		drop(&n->peers[i]);
	free(n->peers);
	n->peers = NULL;
}
