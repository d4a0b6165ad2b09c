/* A check's DNS queries through ldns, CNAMEs followed by hand, all under one deadline. */
#include <errno.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ldns/ldns.h>
#include "shared/util/clock.h"
#include "shared/util/err.h"
#include "shared/check/check_dns.h"

struct check_dns {
	ldns_resolver *res;
	int64_t deadline;
	const atomic_bool *cancel;
};

void check_dns_set_cancel(struct check_dns *d, const atomic_bool *cancel)
{
	if (d)
		d->cancel = cancel;
}

bool check_dns_cancelled(const struct check_dns *d)
{
	return d && d->cancel && atomic_load(d->cancel);
}

int check_dns_open(struct check_dns **out, const char *resolver, int64_t deadline, char *err,
                   size_t errlen)
{
	struct check_dns *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	d->deadline = deadline;
	if (resolver == NULL) {
		if (ldns_resolver_new_frm_file(&d->res, NULL) != LDNS_STATUS_OK) {
			snprintf(err, errlen, "cannot read the system's resolver (/etc/resolv.conf)");
			goto fail;
		}
	} else {
		int family;
		uint8_t a[16];
		uint16_t port;
		if (addr_parse(resolver, 53, &family, a, &port) != 0) {
			snprintf(err, errlen, "--resolver '%s' is not ADDR[:PORT]", resolver);
			goto fail;
		}
		ldns_rdf *ns = ldns_rdf_new_frm_data(family == AF_INET ? LDNS_RDF_TYPE_A :
		                                     LDNS_RDF_TYPE_AAAA, family == AF_INET ? 4 : 16, a);
		if ((d->res = ldns_resolver_new()) == NULL || ns == NULL ||
		    ldns_resolver_push_nameserver(d->res, ns) != LDNS_STATUS_OK) {
			ldns_rdf_deep_free(ns);
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		ldns_rdf_deep_free(ns);
		ldns_resolver_set_port(d->res, port);
	}
	ldns_resolver_set_recursive(d->res, true);
	ldns_resolver_set_retry(d->res, 2);
	ldns_resolver_set_fallback(d->res, true);   /* TCP when truncated */
	*out = d;
	return 0;
fail:
	check_dns_close(d);
	return LS_ECONFIG;
}

void check_dns_close(struct check_dns *d)
{
	if (d == NULL)
		return;
	if (d->res)
		ldns_resolver_deep_free(d->res);
	free(d);
}

/* One query, bounded by what is left of the deadline. NULL with err when nothing usable came. */
static ldns_pkt *query(struct check_dns *d, const ldns_rdf *name, ldns_rr_type type, char *err,
                       size_t errlen)
{
	ldns_pkt *p = NULL;
	ldns_status s;
	int64_t left;
	/* A cancellable query asks again every slice: ldns itself cannot be interrupted. */
	do {
		if (check_dns_cancelled(d)) {
			snprintf(err, errlen, "stopped");
			return NULL;
		}
		if ((left = d->deadline - clock_mono_ms()) <= 0) {
			snprintf(err, errlen, "timed out");
			return NULL;
		}
		/* The tries of every server share what is left, so a lost datagram still gets a
		 * second chance and a dead server leaves time for the next. */
		int64_t tries = 2 * (int64_t)(ldns_resolver_nameserver_count(d->res) ?
		                              ldns_resolver_nameserver_count(d->res) : 1);
		int64_t per = left / tries > 0 ? left / tries : 1;
		if (d->cancel && per > CHECK_CANCEL_SLICE_MS)
			per = CHECK_CANCEL_SLICE_MS;
		struct timeval tv = { (time_t)(per / 1000), (suseconds_t)(per % 1000) * 1000 };
		ldns_resolver_set_timeout(d->res, tv);
		int64_t t0 = clock_mono_ms();
		ldns_pkt_free(p);
		p = NULL;
		s = ldns_resolver_query_status(&p, d->res, name, type, LDNS_RR_CLASS_IN, LDNS_RD);
		/* again only after a wait that timed out, never in a tight loop on an error */
		if (!(d->cancel && (s != LDNS_STATUS_OK || p == NULL) &&
		      clock_mono_ms() - t0 >= per * tries / 2))
			break;
	} while (1);
	if (s != LDNS_STATUS_OK || p == NULL) {
		snprintf(err, errlen, "no answer from the resolver (%s)", ldns_get_errorstr_by_id(s));
		ldns_pkt_free(p);
		return NULL;
	}
	ldns_pkt_rcode rc = ldns_pkt_get_rcode(p);
	if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN) {
		ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes, (int)rc);
		snprintf(err, errlen, "the resolver answered %s", lt ? lt->name : "an error");
		ldns_pkt_free(p);
		return NULL;
	}
	return p;
}

/*
 * The records of type at name, CNAMEs followed within each answer and by new queries: fn
 * sees each one. 0 when the DNS answered, negative with err when it did not.
 */
static int chase(struct check_dns *d, const char *name, ldns_rr_type type,
                 void (*fn)(const ldns_rr *rr, void *ctx), void *ctx, bool *cname, char *err,
                 size_t errlen)
{
	ldns_rdf *cur = ldns_dname_new_frm_str(name);
	int rc = 0;
	if (cname)
		*cname = false;
	if (cur == NULL) {
		snprintf(err, errlen, "'%s' is not a domain name", name);
		return LS_EPARSE;
	}
	for (int hops = 0; hops <= CHECK_DNS_CHAIN; hops++) {
		ldns_pkt *p = query(d, cur, type, err, errlen);
		if (p == NULL) {
			rc = -EIO;
			break;
		}
		ldns_rr_list *an = ldns_pkt_answer(p);
		bool moved = false, found = false;
		/* An answer may carry the chain and the target's records (in-zone targets). */
		for (int inner = 0; inner <= CHECK_DNS_CHAIN && !found; inner++) {
			bool step = false;
			for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
				ldns_rr *rr = ldns_rr_list_rr(an, i);
				if (ldns_dname_compare(ldns_rr_owner(rr), cur) != 0)
					continue;
				if (ldns_rr_get_type(rr) == type) {
					fn(rr, ctx);
					found = true;
				} else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && !found && !step &&
				           ldns_rr_rd_count(rr) == 1) {
					ldns_rdf_deep_free(cur);
					cur = ldns_rdf_clone(ldns_rr_rdf(rr, 0));
					step = moved = true;
					if (cname)
						*cname = true;
				}
			}
			if (!step)
				break;
		}
		ldns_pkt_free(p);
		if (found || !moved)
			break;   /* records, or none there (NXDOMAIN, NODATA) */
		if (hops == CHECK_DNS_CHAIN) {
			snprintf(err, errlen, "more than %d CNAMEs", CHECK_DNS_CHAIN);
			rc = LS_ETOOBIG;
		}
	}
	ldns_rdf_deep_free(cur);
	return rc;
}

struct txt_ctx {
	char (*txt)[CHECK_DNS_TXT_MAX];
	size_t max, n;
};

static void take_txt(const ldns_rr *rr, void *ctx)
{
	struct txt_ctx *c = ctx;
	if (c->n == c->max)
		return;
	char *out = c->txt[c->n++];
	size_t len = 0;
	/* The character-strings of one record are one text (RFC 7208 3.3, RFC 8461 3.1). */
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		const uint8_t *b = ldns_rdf_data(f);
		size_t bl = ldns_rdf_size(f);
		if (bl == 0 || b[0] + 1u > bl)
			continue;
		size_t take = b[0] < CHECK_DNS_TXT_MAX - 1 - len ? b[0] : CHECK_DNS_TXT_MAX - 1 - len;
		memcpy(out + len, b + 1, take);
		len += take;
	}
	out[len] = 0;
	for (size_t i = 0; i < len; i++)
		if (out[i] == 0 || (unsigned char)out[i] < 0x20)
			out[i] = '?';   /* one line for the messages */
}

int check_dns_txt(struct check_dns *d, const char *name, char (*txt)[CHECK_DNS_TXT_MAX],
                  size_t max, size_t *n, bool *cname, char *err, size_t errlen)
{
	struct txt_ctx c = { txt, max, 0 };
	int rc = chase(d, name, LDNS_RR_TYPE_TXT, take_txt, &c, cname, err, errlen);
	*n = c.n;
	return rc;
}

/* A name from the wire as lower-case text without the trailing dot. */
static void name_text(const ldns_rdf *rdf, char *out, size_t cap)
{
	char *s = ldns_rdf2str(rdf);
	snprintf(out, cap, "%s", s ? s : "");
	free(s);
	size_t l = strlen(out);
	if (l > 1 && out[l - 1] == '.')
		out[l - 1] = 0;
	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
}

struct mx_ctx {
	struct check_mx *mx;
	size_t max, n;
};

static void take_mx(const ldns_rr *rr, void *ctx)
{
	struct mx_ctx *c = ctx;
	if (c->n == c->max || ldns_rr_rd_count(rr) != 2)
		return;
	struct check_mx *m = &c->mx[c->n];
	memset(m, 0, sizeof(*m));
	m->pref = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
	name_text(ldns_rr_rdf(rr, 1), m->host, sizeof(m->host));
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->mx[i].host, m->host) == 0)
			return;   /* the same host twice */
	c->n++;
}

static int mx_cmp(const void *a, const void *b)
{
	return strcmp(((const struct check_mx *)a)->host, ((const struct check_mx *)b)->host);
}

int check_dns_mx(struct check_dns *d, const char *name, struct check_mx *mx, size_t max,
                 size_t *n, char *err, size_t errlen)
{
	struct mx_ctx c = { mx, max, 0 };
	int rc = chase(d, name, LDNS_RR_TYPE_MX, take_mx, &c, NULL, err, errlen);
	qsort(mx, c.n, sizeof(*mx), mx_cmp);
	*n = c.n;
	return rc;
}

struct addr_ctx {
	char (*addrs)[ADDR_TEXT_MAX];
	size_t max, n;
};

static void take_addr(const ldns_rr *rr, void *ctx)
{
	struct addr_ctx *c = ctx;
	if (c->n == c->max || ldns_rr_rd_count(rr) != 1)
		return;
	char *s = ldns_rdf2str(ldns_rr_rdf(rr, 0));
	if (s)
		snprintf(c->addrs[c->n++], ADDR_TEXT_MAX, "%s", s);
	free(s);
}

int check_dns_addrs(struct check_dns *d, const char *host, char (*addrs)[ADDR_TEXT_MAX],
                    size_t max, size_t *n, char *err, size_t errlen)
{
	struct addr_ctx c = { addrs, max, 0 };
	int rc = chase(d, host, LDNS_RR_TYPE_A, take_addr, &c, NULL, err, errlen);
	int rc6 = chase(d, host, LDNS_RR_TYPE_AAAA, take_addr, &c, NULL, err, errlen);
	*n = c.n;
	return c.n ? 0 : rc ? rc : rc6;   /* one family answering is enough */
}

static void count_rr(const ldns_rr *rr, void *ctx)
{
	(void)rr;
	(*(size_t *)ctx)++;
}

int check_dns_count(struct check_dns *d, const char *name, uint16_t type, size_t *n,
                    char *err, size_t errlen)
{
	*n = 0;
	return chase(d, name, (ldns_rr_type)type, count_rr, n, NULL, err, errlen);
}
