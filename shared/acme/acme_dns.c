/* dns-01: the challenge record through the zone edit path, and the wait for every server. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <ldns/ldns.h>
#include "shared/util/clock.h"
#include "shared/util/addr.h"
#include "shared/util/err.h"
#include "shared/dns/dname.h"
#include "shared/dns/serial.h"
#include "shared/store/secondary.h"
#include "shared/store/zone.h"
#include "shared/store/zone_check.h"
#include "shared/store/zone_edit.h"
#include "shared/acme/acme_dns.h"

#define LABEL "_acme-challenge."
#define ANSWER_MAX 4096               /* bytes of one SOA answer we read */
#define SERVERS_MAX 64                /* dnsd and the zone's secondaries we ask */
#define POLL_MS 200

static int owner_of(const char *host, uint8_t owner[DNAME_MAX])
{
	char text[DNAME_STR_MAX + 32];
	snprintf(text, sizeof(text), LABEL "%s.", host);
	return dname_parse(owner, text, NULL) < 0 ? LS_EPARSE : 0;
}

bool acme_dns_zone_here(struct store *st, const char *host)
{
	uint8_t owner[DNAME_MAX];
	struct store_txn t;
	struct zone_info z;
	if (owner_of(host, owner) != 0 || store_begin(st, false, 0, &t) != 0)
		return false;
	bool here = zone_enclosing(&t, owner, &z) == 0;
	store_abort(&t);
	return here;
}

struct edit {
	const uint8_t *owner;
	const char *value;        /* NULL: remove */
};

static int edit_fn(struct zone_txn *zt, void *arg, struct diag *d)
{
	struct edit *e = arg;
	uint8_t rd[256];
	size_t n = e->value ? strlen(e->value) : 0;
	int rc = zone_txn_del_rrset(zt, e->owner, T_TXT);
	if (rc && rc != LS_ENOTFOUND)
		return rc;
	if (e->value == NULL)
		return 0;
	if (n > 255)
		return LS_ETOOBIG;
	rd[0] = (uint8_t)n;
	memcpy(rd + 1, e->value, n);
	struct rr rr = { e->owner, rd, ACME_DNS_TTL, T_TXT, (uint16_t)(n + 1), NULL, 0 };
	return zone_txn_add(zt, &rr, d);
}

static int run(struct store *st, const char *host, const char *value, uint32_t *serial,
               char *err, size_t errlen)
{
	uint8_t owner[DNAME_MAX];
	struct zone_result res;
	struct diag dg, *d = &dg;
	struct edit e = { owner, value };
	if (owner_of(host, owner) != 0) {
		snprintf(err, errlen, "%s: not a host name", host);
		return LS_EPARSE;
	}
	diag_init(d);
	struct zone_edit ze = { .within = owner, .flags = ZONE_TXN_MANAGED, .hint = 4096,
	                        .source = value ? "acme dns-01 challenge" :
	                                          "acme dns-01 challenge removed",
	                        .fn = edit_fn, .arg = &e };
	memset(&res, 0, sizeof(res));
	int rc = zone_edit_run(st, &ze, d, &res);
	if (rc == 0 && serial)
		*serial = res.diff.new_serial;
	if (rc && rc != LS_ENOCHANGE) {
		const char *msg = d->n ? d->v[0].text : ls_strerror(rc);
		snprintf(err, errlen, "_acme-challenge.%s: %s", host, msg);
	}
	zone_result_free(&res);
	diag_free(d);
	return rc == LS_ENOCHANGE ? 0 : rc;
}

int acme_dns_put(struct store *st, const char *host, const char *value, uint32_t *serial,
                 char *err, size_t errlen)
{
	return run(st, host, value, serial, err, errlen);
}

int acme_dns_del(struct store *st, const char *host, char *err, size_t errlen)
{
	return run(st, host, NULL, NULL, err, errlen);
}

int acme_dns_soa_serial(int family, const uint8_t addr[16], uint16_t port, const char *apex,
                        int timeout_ms, uint32_t *serial)
{
	struct sockaddr_storage ss;
	socklen_t sl = addr_sockaddr(family, addr, port, &ss);
	uint8_t *wire = NULL, answer[ANSWER_MAX];
	size_t wlen;
	ldns_pkt *q = NULL, *a = NULL;
	ldns_rdf *name = ldns_dname_new_frm_str(apex);
	int rc = -EIO, fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || name == NULL)
		goto out;
	q = ldns_pkt_query_new(name, LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 0);
	name = NULL;      /* the packet owns it */
	uint16_t id = (uint16_t)(clock_mono_ms() ^ getpid());
	ldns_pkt_set_id(q, id);
	if (q == NULL || ldns_pkt2wire(&wire, q, &wlen) != LDNS_STATUS_OK ||
	    sendto(fd, wire, wlen, 0, (struct sockaddr *)&ss, sl) < 0)
		goto out;
	for (int64_t end = clock_mono_ms() + timeout_ms;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int64_t left = end - clock_mono_ms();
		if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
			rc = -ETIMEDOUT;
			goto out;
		}
		ssize_t n = recv(fd, answer, sizeof(answer), 0);
		if (n < 12 || answer[0] != (id >> 8) || answer[1] != (id & 0xff))
			continue;     /* not our answer; bounded by the buffer before ldns sees it */
		if (ldns_wire2pkt(&a, answer, (size_t)n) != LDNS_STATUS_OK)
			continue;
		break;
	}
	rc = -ENOENT;
	ldns_rr_list *soa = ldns_pkt_rr_list_by_type(a, LDNS_RR_TYPE_SOA, LDNS_SECTION_ANSWER);
	if (soa && ldns_rr_list_rr_count(soa) > 0 && ldns_rr_rd_count(ldns_rr_list_rr(soa, 0)) >= 3) {
		*serial = ldns_rdf2native_int32(ldns_rr_rdf(ldns_rr_list_rr(soa, 0), 2));
		rc = 0;
	}
	ldns_rr_list_deep_free(soa);
out:
	if (fd >= 0)
		close(fd);
	ldns_rdf_deep_free(name);
	ldns_pkt_free(q);
	ldns_pkt_free(a);
	LDNS_FREE(wire);
	return rc;
}

struct server {
	int family;
	uint8_t addr[16];
	uint16_t port;
	bool done;
};

struct servers {
	struct server v[SERVERS_MAX];
	size_t n;
};

static int add_secondary(const struct secondary *s, void *ctx)
{
	struct servers *l = ctx;
	if (l->n == SERVERS_MAX)
		return 0;
	struct server *v = &l->v[l->n++];
	*v = (struct server){ .family = s->family, .port = s->port };
	memcpy(v->addr, s->addr, 16);
	return 0;
}

/* dnsd's first listen address; 0.0.0.0 and :: are asked on loopback. */
static bool dnsd_address(const struct config *cfg, struct server *s)
{
	char w[ADDR_TEXT_MAX];
	const char *l = cfg->dnsd_listen + strspn(cfg->dnsd_listen, " \t");
	size_t n = strcspn(l, " \t");
	if (n == 0 || n >= sizeof(w))
		return false;
	memcpy(w, l, n);
	w[n] = 0;
	memset(s, 0, sizeof(*s));
	if (addr_parse(w, 53, &s->family, s->addr, &s->port) != 0)
		return false;
	static const uint8_t zero[16];
	if (memcmp(s->addr, zero, 16) == 0) {
		if (s->family == AF_INET)
			memcpy(s->addr, "\x7f\0\0\1", 4);
		else
			s->addr[15] = 1;
	}
	return true;
}

int acme_dns_wait(struct store *st, const struct config *cfg, const char *host, uint32_t serial,
                  char *err, size_t errlen)
{
	uint8_t owner[DNAME_MAX];
	char apex[DNAME_STR_MAX];
	struct servers l = { .n = 0 };
	struct store_txn t;
	struct zone_info z;
	int rc;
	if (owner_of(host, owner) != 0)
		return LS_EPARSE;
	if (dnsd_address(cfg, &l.v[0]))
		l.n = 1;
	if ((rc = store_begin(st, false, 0, &t)) != 0)
		return rc;
	if ((rc = zone_enclosing(&t, owner, &z)) == 0)
		rc = secondary_list(&t, z.id, add_secondary, &l);
	store_abort(&t);
	if (rc)
		return rc;
	dname_format(apex, z.apex);
	for (int64_t end = clock_mono_ms() + ACME_DNS_WAIT_MS;;) {
		size_t left = 0, lag = 0;
		for (size_t i = 0; i < l.n; i++) {
			uint32_t s;
			struct server *v = &l.v[i];
			if (!v->done)
				v->done = acme_dns_soa_serial(v->family, v->addr, v->port, apex,
				                              ACME_DNS_QUERY_MS, &s) == 0 &&
				          (s == serial || serial_gt(s, serial));
			if (!v->done && left++ == 0)
				lag = i;
		}
		if (left == 0)
			return 0;
		if (clock_mono_ms() >= end) {
			char a[ADDR_TEXT_MAX + 8];
			struct secondary s = { l.v[lag].family, { 0 }, l.v[lag].port, "" };
			memcpy(s.addr, l.v[lag].addr, 16);
			snprintf(err, errlen, "%s does not serve serial %u of %s yet (%zu server%s lag)",
			         secondary_format(&s, a, sizeof(a)), serial, apex, left,
			         left == 1 ? "" : "s");
			return -ETIMEDOUT;
		}
		usleep(POLL_MS * 1000);
	}
}
