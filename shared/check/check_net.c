/* A check's network rounds: DNS, then the names the answers gave, then HTTPS and SMTP. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "shared/util/clock.h"
#include "shared/util/parallel.h"
#include "shared/check/check_connect.h"
#include "shared/check/check_ctx.h"
#include "shared/check/check_net.h"

struct round {
	struct check_net *n;
	const char *domain;
	const struct check_opts *o;
	int64_t deadline;
	struct sts_fetch *fetch;
	struct check_smtp *smtp;
};

const char *check_net_ca(const struct check_opts *o)
{
	return o->ca_file ? o->ca_file : CHECK_SYSTEM_CA;
}

/* A DNS step on a resolver of its own (ldns resolvers are not shared between threads). */
static struct check_dns *dns_for(struct round *r, struct check_net_dns *res)
{
	struct check_dns *d = NULL;
	res->rc = check_dns_open(&d, r->o->resolver, r->deadline, res->err, sizeof(res->err));
	check_dns_set_cancel(d, r->o->cancel);
	return res->rc ? NULL : d;
}

/* "ADDR:PORT" with IPv6 in brackets. */
static void endpoint_of(const char *addr, uint16_t port, char *out, size_t cap)
{
	snprintf(out, cap, strchr(addr, ':') ? "[%s]:%u" : "%s:%u", addr, port);
}

/* Whether --connect-to names an endpoint for host and port (then no DNS for it); *to_port
 * is the port to use either way. */
static bool redirected(const struct check_opts *o, const char *host, uint16_t port, char *out,
                       size_t cap, uint16_t *to_port)
{
	return check_connect_find(o->connect_to, o->n_connect_to, host, port, out, cap, to_port) &&
	       out[0];
}

static int round1(size_t i, void *arg)
{
	struct round *r = arg;
	struct check_net *n = r->n;
	char name[300];
	struct check_dns *d;
	switch (i) {
	case 0:
		snprintf(name, sizeof(name), "_mta-sts.%s", r->domain);
		if ((d = dns_for(r, &n->txt_dns)) != NULL)
			n->txt_dns.rc = check_dns_txt(d, name, n->txt, CHECK_NET_TXT, &n->n_txt,
			                              &n->txt_cname, n->txt_dns.err, sizeof(n->txt_dns.err));
		break;
	case 1:
		if ((d = dns_for(r, &n->mx_dns)) != NULL)
			n->mx_dns.rc = check_dns_mx(d, r->domain, n->mx, CHECK_MAX_MX, &n->n_mx,
			                            n->mx_dns.err, sizeof(n->mx_dns.err));
		break;
	case 2:
		snprintf(name, sizeof(name), "_smtp._tls.%s", r->domain);
		if ((d = dns_for(r, &n->rpt_dns)) != NULL)
			n->rpt_dns.rc = check_dns_txt(d, name, n->rpt, CHECK_NET_TXT, &n->n_rpt, NULL,
			                              n->rpt_dns.err, sizeof(n->rpt_dns.err));
		break;
	default:
		snprintf(name, sizeof(name), "mta-sts.%s", r->domain);
		if (redirected(r->o, name, 443, n->sts_endpoint, sizeof(n->sts_endpoint), &n->sts_port))
			return 0;   /* a sender would resolve it; --connect-to says where to go instead */
		if ((d = dns_for(r, &n->sts_dns)) != NULL)
			n->sts_dns.rc = check_dns_addrs(d, name, n->sts_addrs, CHECK_MAX_ADDRS,
			                                &n->n_sts_addrs, n->sts_dns.err,
			                                sizeof(n->sts_dns.err));
		break;
	}
	check_dns_close(d);
	return 0;
}

/* The rua URIs of the one v=TLSRPTv1 record, with the host and port of the https ones. */
static void rua_list(struct check_net *n)
{
	char uris[CHECK_MAX_RUA][256], why[256];
	size_t nu = 0, found = 0;
	for (size_t i = 0; i < n->n_rpt; i++) {
		if (strncmp(n->rpt[i], "v=TLSRPTv1", 10) != 0)
			continue;
		if (found++ == 0 && check_policy_tlsrpt(n->rpt[i], uris, &nu, why, sizeof(why)) != 0)
			nu = 0;
	}
	if (found != 1)
		return;   /* none, or several: the judge says so; nothing to reach */
	for (size_t i = 0; i < nu; i++) {
		struct check_net_rua *u = &n->rua[n->n_rua++];
		memset(u, 0, sizeof(*u));
		memcpy(u->uri, uris[i], sizeof(u->uri));   /* both 256 bytes, NUL-terminated */
		u->https = strncmp(uris[i], "https://", 8) == 0;
		const char *h = u->https ? uris[i] + 8 : strchr(uris[i], '@');
		h = h ? h + !u->https : "";
		size_t hl = strcspn(h, u->https ? ":/?#" : "?!");   /* mailto: size limit after '!' */
		snprintf(u->host, sizeof(u->host), "%.*s", (int)hl, h);
		u->port = 443;
		if (u->https && h[hl] == ':')
			u->port = (uint16_t)strtoul(h + hl + 1, NULL, 10);
		const char *path = u->https ? strchr(h + hl, '/') : NULL;
		snprintf(u->path, sizeof(u->path), "%s", path ? path : "/");
	}
}

static int round2(size_t i, void *arg)
{
	struct round *r = arg;
	struct check_net *n = r->n;
	struct check_dns *d = NULL;
	char name[300];
	if (i < n->n_mx) {
		struct check_net_mx *m = &n->mxi[i];
		if (redirected(r->o, n->mx[i].host, 25, m->endpoint, sizeof(m->endpoint), &m->port))
			return 0;
		if ((d = dns_for(r, &m->dns)) != NULL)
			m->dns.rc = check_dns_addrs(d, n->mx[i].host, m->addrs, CHECK_MAX_ADDRS,
			                            &m->n_addrs, m->dns.err, sizeof(m->dns.err));
	} else if (i < 2 * n->n_mx) {
		struct check_net_mx *m = &n->mxi[i - n->n_mx];
		snprintf(name, sizeof(name), "_25._tcp.%s", n->mx[i - n->n_mx].host);
		if ((d = dns_for(r, &m->tlsa_dns)) != NULL)
			m->tlsa_dns.rc = check_dns_count(d, name, 52 /* TLSA */, &m->tlsa,
			                                 m->tlsa_dns.err, sizeof(m->tlsa_dns.err));
	} else {
		struct check_net_rua *u = &n->rua[i - 2 * n->n_mx];
		if (u->https) {
			char addrs[CHECK_MAX_ADDRS][ADDR_TEXT_MAX];
			if (redirected(r->o, u->host, u->port, u->endpoint, sizeof(u->endpoint), &u->port)) {
				u->n_found = 1;
				return 0;
			}
			if ((d = dns_for(r, &u->dns)) != NULL)
				u->dns.rc = check_dns_addrs(d, u->host, addrs, CHECK_MAX_ADDRS, &u->n_found,
				                            u->dns.err, sizeof(u->dns.err));
			if (u->n_found)
				endpoint_of(addrs[0], u->port, u->endpoint, sizeof(u->endpoint));
		} else {
			struct check_mx mx[4];
			if ((d = dns_for(r, &u->dns)) != NULL)
				u->dns.rc = check_dns_mx(d, u->host, mx, 4, &u->n_found, u->dns.err,
				                         sizeof(u->dns.err));
		}
	}
	check_dns_close(d);
	return 0;
}

/* The policy as a sender fetches it: the addresses in turn until one connects. */
static void fetch_policy(struct round *r)
{
	struct check_net *n = r->n;
	char host[300], ep[80];
	snprintf(host, sizeof(host), "mta-sts.%s", r->domain);
	size_t tries = n->sts_endpoint[0] ? 1 : n->n_sts_addrs;
	n->fetch_rc = -ENOENT;
	for (size_t k = 0; k < tries; k++) {
		if (n->sts_endpoint[0])
			snprintf(ep, sizeof(ep), "%s", n->sts_endpoint);
		else
			endpoint_of(n->sts_addrs[k], n->sts_port, ep, sizeof(ep));
		int64_t left = r->deadline - clock_mono_ms();
		n->fetch_rc = sts_fetch_get_cancel(r->fetch, ep, host, left > 0 ? (int)left : 1,
		                                   r->o->cancel, n->body, sizeof(n->body), &n->body_len,
		                                   &n->fetch, n->fetch_err, sizeof(n->fetch_err));
		if (n->fetch_rc == 0 || n->fetch.stage != STS_FETCH_CONNECT)
			break;
	}
}

static int round3(size_t i, void *arg)
{
	struct round *r = arg;
	struct check_net *n = r->n;
	if (i == 0) {
		if (n->sts_endpoint[0] || n->n_sts_addrs)
			fetch_policy(r);
	} else if (i - 1 < n->n_probes) {
		struct check_net_probe *p = &n->probes[i - 1];
		check_smtp_probe(r->smtp, p->endpoint, n->mx[p->mx].host, r->deadline, r->o->cancel,
		                 &p->p);
	} else {
		struct check_net_rua *u = &n->rua[i - 1 - n->n_probes];
		if (u->https && u->endpoint[0])
			check_smtp_handshake(r->smtp, u->endpoint, u->host, u->path, r->deadline,
			                     r->o->cancel, &u->p);
	}
	return 0;
}

/* One probe per MX host and address (or where --connect-to sends it). */
static void plan_probes(struct check_net *n)
{
	for (size_t i = 0; i < n->n_mx; i++) {
		struct check_net_mx *m = &n->mxi[i];
		size_t k = strcmp(n->mx[i].host, ".") == 0 ? 0 : m->endpoint[0] ? 1 : m->n_addrs;
		for (size_t a = 0; a < k; a++) {
			struct check_net_probe *p = &n->probes[n->n_probes++];
			p->mx = i;
			if (m->endpoint[0])
				snprintf(p->endpoint, sizeof(p->endpoint), "%s", m->endpoint);
			else
				endpoint_of(m->addrs[a], m->port, p->endpoint, sizeof(p->endpoint));
		}
	}
}

static unsigned threads(const struct check_opts *o, size_t tasks)
{
	size_t t = o->concurrency ? o->concurrency : CHECK_NET_THREADS;
	if (t > CHECK_NET_THREADS)
		t = CHECK_NET_THREADS;
	return (unsigned)(tasks < t ? (tasks ? tasks : 1) : t);
}

int check_net_gather(struct check_net *n, const char *domain, const struct check_opts *o,
                     int64_t deadline, char *err, size_t errlen)
{
	struct round r = { n, domain, o, deadline, NULL, NULL };
	struct check_dns *probe = NULL;
	struct check_ctx *own = NULL;
	int rc;
	/* A resolver or trust store that does not load is the caller's mistake: say so first. */
	if ((rc = check_dns_open(&probe, o->resolver, deadline, err, errlen)) != 0)
		return rc;
	check_dns_close(probe);
	if (o->ctx == NULL && (rc = check_ctx_open(&own, check_net_ca(o), err, errlen)) != 0)
		return rc;
	r.fetch = (o->ctx ? o->ctx : own)->fetch;
	r.smtp = (o->ctx ? o->ctx : own)->smtp;
	parallel_run(4, threads(o, 4), round1, &r);
	rua_list(n);
	size_t t2 = 2 * n->n_mx + n->n_rua;
	parallel_run(t2, threads(o, t2), round2, &r);
	plan_probes(n);
	size_t t3 = 1 + n->n_probes + n->n_rua;
	parallel_run(t3, threads(o, t3), round3, &r);
	check_ctx_close(own);
	return 0;
}
