/* The ACME step: names in line with MTA-STS, then due orders under orders-per-hour. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "shared/util/clock.h"
#include "shared/util/err.h"
#include "shared/dns/dname.h"
#include "shared/sts/sts_record.h"
#include "shared/tls/cert.h"
#include "shared/acme/acme_order.h"
#include "shared/acme/acme_ari.h"
#include "shared/acme/acme_run.h"

#define DEMO_ISSUER "Lockstep demo CA"   /* cert_demo.c's CA subject */

int acme_run_open(struct acme_run *r, struct store *st, const struct config *cfg,
                  const char *state_dir, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->st = st;
	r->cfg = cfg;
	r->state_dir = state_dir;
	return acme_client_open(&r->client, cfg, state_dir, err, errlen);
}

void acme_run_close(struct acme_run *r)
{
	acme_client_close(r->client);
	r->client = NULL;
}

bool acme_run_urgent(const struct acme_cert *c, int64_t now)
{
	return c->had_cert && c->not_after - now < ACME_URGENT_S &&
	       now - c->last_error_log >= ACME_URGENT_EVERY_S;
}

bool acme_run_is_due(const struct acme_cert *c, int64_t now)
{
	switch (c->state) {
	case ACME_QUEUED:
		return c->next_try <= now;
	case ACME_ISSUED:
		return c->force || c->renew_at <= now;
	case ACME_NONE:
		return c->force;
	default:    /* failed, or an order a process left (after its lease) */
		return c->next_try <= now;
	}
}

static bool busy(const struct acme_cert *c, int64_t now)
{
	return (c->state == ACME_ORDERING || c->state == ACME_VALIDATING ||
	        c->state == ACME_RENEWING) && c->next_try > now;
}

int acme_run_queue(struct store *st, const char *host, bool force, bool take, int64_t now)
{
	struct store_txn t;
	struct acme_cert c;
	int rc = store_begin(st, true, 8192, &t);
	if (rc)
		return rc;
	rc = acme_record_get(&t, host, &c);
	if (rc == LS_ENOTFOUND || rc == LS_EPARSE) {
		memset(&c, 0, sizeof(c));
		snprintf(c.host, sizeof(c.host), "%s", host);
		c.state = ACME_QUEUED;
		c.queued_at = now;
		rc = 0;
	} else if (rc == 0 && take && !force && busy(&c, now)) {
		rc = LS_ECONFLICT;         /* another process works on it (its lease) */
	} else if (rc == 0 && c.state == ACME_NONE && !force) {
		c.state = ACME_QUEUED;     /* a manual certificate that went missing or due */
		c.queued_at = now;
	}
	if (rc == 0) {
		c.force = c.force || force;
		if (force)
			c.next_try = 0;
		if (take) {                /* the caller runs it now: no other runner takes it */
			c.next_try = now + ACME_LEASE_S;
			if (c.state == ACME_QUEUED)
				c.state = ACME_ORDERING;
		}
		acme_record_put(&t, &c);
		return store_commit(&t);
	}
	store_abort(&t);
	return rc;
}

struct sync {
	struct store_txn *t;
	const char *state_dir;
	int64_t now;
	char (*add)[ACME_HOST_MAX];
	size_t nadd, cap;
	char (*del)[ACME_HOST_MAX];
	size_t ndel, dcap;
};

static int push(char (**v)[ACME_HOST_MAX], size_t *n, size_t *cap, const char *host)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		void *p = realloc(*v, nc * sizeof(**v));
		if (p == NULL)
			return -ENOMEM;
		*v = p;
		*cap = nc;
	}
	snprintf((*v)[(*n)++], ACME_HOST_MAX, "%s", host);
	return 0;
}

/* A certificate the CA should replace: missing, unusable, the demo CA's, or due. */
static bool wants_cert(const char *state_dir, const char *host, int64_t now)
{
	struct cert_info info;
	if (cert_info_get(state_dir, host, &info) != 0 || info.error)
		return true;
	if (strstr(info.issuer, DEMO_ISSUER))
		return true;
	return acme_order_renew_at(info.not_before, info.not_after) <= now;
}

static int sync_one(const struct sts_domain *d, void *arg)
{
	struct sync *s = arg;
	char name[DNAME_STR_MAX], host[ACME_HOST_MAX + 16];
	struct acme_cert c;
	dname_format(name, d->domain);
	size_t n = strlen(name);
	if (n && name[n - 1] == '.')
		name[n - 1] = 0;
	snprintf(host, sizeof(host), "mta-sts.%s", name);
	for (char *p = host; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	int rc = acme_record_get(s->t, host, &c);
	if (d->state == STS_REMOVED)
		return rc == 0 ? push(&s->del, &s->ndel, &s->dcap, host) : 0;
	if (rc == 0 && c.state != ACME_NONE)
		return 0;
	if (wants_cert(s->state_dir, host, s->now))
		return push(&s->add, &s->nadd, &s->cap, host);
	return 0;
}

/* Removes the certificate files of host and their directory. */
static void remove_cert(const char *state_dir, const char *host)
{
	char path[4400];
	if (cert_path(path, sizeof(path), state_dir, host, CERT_CHAIN_FILE) == 0)
		unlink(path);
	if (cert_path(path, sizeof(path), state_dir, host, CERT_KEY_FILE) == 0)
		unlink(path);
	snprintf(path, sizeof(path), "%s/%s/%s", state_dir, CERT_DIR, host);
	rmdir(path);
}

int acme_run_sync(struct store *st, const char *state_dir, int64_t now, unsigned *queued)
{
	struct store_txn t;
	struct sync s = { .state_dir = state_dir, .now = now };
	int rc = store_begin(st, false, 0, &t);
	*queued = 0;
	if (rc)
		return rc;
	s.t = &t;
	rc = sts_record_each(&t, sync_one, &s);
	store_abort(&t);
	for (size_t i = 0; rc == 0 && i < s.nadd; i++)
		if ((rc = acme_run_queue(st, s.add[i], false, false, now)) == 0)
			(*queued)++;
	/* mta-sts disable, once the records are gone: no renewing, no certificate. */
	for (size_t i = 0; rc == 0 && i < s.ndel; i++) {
		if ((rc = store_begin(st, true, 0, &t)) != 0)
			break;
		acme_record_del(&t, s.del[i]);
		if ((rc = store_commit(&t)) == 0)
			remove_cert(state_dir, s.del[i]);
	}
	free(s.add);
	free(s.del);
	return rc;
}

struct due {
	int64_t now;
	struct acme_cert *v;
	size_t n, cap;
	const char *only;
};

/* An issued certificate whose renewalInfo is to be asked again (no order); one issued
 * before these times were kept (renew_base 0) is asked once. */
static bool ari_due(const struct acme_cert *c, int64_t now)
{
	return c->state == ACME_ISSUED && *c->replaces &&
	       (c->renew_base == 0 || (c->ari_next && c->ari_next <= now));
}

/* Asks renewalInfo again for c and stores what it moved, unless the name changed meanwhile
 * (another process renewed it). */
static void ari_poll(struct acme_run *r, struct acme_cert *c, int64_t now)
{
	struct store_txn t;
	struct acme_cert cur;
	char err[256];
	size_t i, n = acme_client_directories(r->client);
	if (!c->renew_base)           /* a record from before renew_base was kept */
		c->renew_base = c->renew_at;
	for (i = 0; i < n && strcmp(acme_client_directory_url(r->client, i), c->directory); i++)
		;
	if (i == n)                   /* its directory is no longer configured: ask no more */
		c->ari_next = 0;
	else if (acme_client_use(r->client, i, err, sizeof(err)) != 0)
		c->ari_next = now + ACME_ARI_POLL_S;
	else
		acme_ari_poll(r->client, c, now);
	if (store_begin(r->st, true, 8192, &t) != 0)
		return;
	if (acme_record_get(&t, c->host, &cur) == 0 && cur.state == ACME_ISSUED &&
	    strcmp(cur.serial, c->serial) == 0) {
		cur.renew_at = c->renew_at;
		cur.renew_base = c->renew_base;
		cur.ari_start = c->ari_start;
		cur.ari_end = c->ari_end;
		cur.ari_next = c->ari_next;
		acme_record_put(&t, &cur);
		store_commit(&t);
	} else {
		store_abort(&t);
	}
}

static int collect(const struct acme_cert *c, void *arg)
{
	struct due *d = arg;
	if (d->only ? strcmp(c->host, d->only) != 0 :
	    !acme_run_is_due(c, d->now) && !ari_due(c, d->now))
		return 0;
	if (d->n == d->cap) {
		size_t nc = d->cap ? d->cap * 2 : 16;
		if (nc > ACME_DUE_MAX)
			return 1;
		void *p = realloc(d->v, nc * sizeof(*d->v));
		if (p == NULL)
			return -ENOMEM;
		d->v = p;
		d->cap = nc;
	}
	d->v[d->n++] = *c;
	return 0;
}

/* Oldest first: the queue's order. */
static int by_age(const void *a, const void *b)
{
	const struct acme_cert *x = a, *y = b;
	if (x->queued_at != y->queued_at)
		return x->queued_at < y->queued_at ? -1 : 1;
	return strcmp(x->host, y->host);
}

/* Takes c for this process (a lease, so another runner leaves it) when it is still due. */
static bool take(struct store *st, struct acme_cert *c, int64_t now, bool only)
{
	struct store_txn t;
	char host[ACME_HOST_MAX];
	snprintf(host, sizeof(host), "%s", c->host);     /* acme_record_get clears c first */
	if (store_begin(st, true, 8192, &t) != 0)
		return false;
	/* Only one name: the caller took it with acme_run_queue(take). */
	bool ok = acme_record_get(&t, host, c) == 0 && (only || acme_run_is_due(c, now));
	if (ok) {
		struct acme_cert lease = *c;
		lease.next_try = now + ACME_LEASE_S;
		if (lease.state == ACME_QUEUED)
			lease.state = ACME_ORDERING;   /* taken off the queue */
		acme_record_put(&t, &lease);
		ok = store_commit(&t) == 0;
	} else {
		store_abort(&t);
	}
	return ok;
}

int acme_run_due(struct acme_run *r, int64_t now, const char *host, int budget_ms,
                 void (*fn)(const struct acme_outcome *o, void *ctx), void *ctx)
{
	struct store_txn t;
	struct due d = { .now = now, .only = host };
	uint32_t ordered = 0;
	char err[256];
	int rc = store_begin(r->st, false, 0, &t);
	if (rc)
		return rc;
	rc = acme_record_each(&t, collect, &d);
	if (rc == 0)
		rc = acme_record_orders(&t, now, &ordered);
	store_abort(&t);
	if (rc < 0) {
		free(d.v);
		return rc;
	}
	if (d.n)
		qsort(d.v, d.n, sizeof(*d.v), by_age);
	acme_client_refresh(r->client, err, sizeof(err));
	struct acme_order_ctx x = { r->client, r->st, r->cfg, r->state_dir };
	int64_t end = clock_mono_ms() + budget_ms;
	for (size_t i = 0; i < d.n && (host || clock_mono_ms() < end); i++) {
		struct acme_cert *c = &d.v[i];
		if (!host && !acme_run_is_due(c, now)) {
			ari_poll(r, c, now);
			continue;
		}
		/* A name with an order at the CA resumes it; a new order waits for its hour. */
		bool new_order = !*c->order;
		if (new_order && !host && !c->force && ordered >= r->cfg->acme_orders_per_hour)
			continue;
		if (!take(r->st, c, now, host != NULL))
			continue;
		ordered += new_order;
		int orc = acme_order_run(&x, c, (int64_t)time(NULL));
		struct acme_outcome o = { c, orc, new_order, false };
		if (orc && acme_run_urgent(c, now)) {
			o.urgent = true;
			c->last_error_log = now;
			acme_record_save(r->st, c);
		}
		if (fn)
			fn(&o, ctx);
	}
	free(d.v);
	return 0;
}

struct pos {
	const char *host;
	const struct acme_cert *me;
	struct acme_cert mine;
	bool found;
	uint32_t ahead;
};

static int count_ahead(const struct acme_cert *c, void *arg)
{
	struct pos *p = arg;
	if (c->state == ACME_QUEUED && by_age(c, &p->mine) < 0)
		p->ahead++;
	return 0;
}

uint32_t acme_run_position(struct store_txn *t, const char *host)
{
	struct pos p = { .host = host };
	if (acme_record_get(t, host, &p.mine) != 0 || p.mine.state != ACME_QUEUED)
		return 0;
	if (acme_record_each(t, count_ahead, &p) != 0)
		return 0;
	return p.ahead + 1;
}

void acme_run_why(const struct acme_cert *c, uint32_t position, char *out, size_t len)
{
	switch (c->state) {
	case ACME_NONE:
	case ACME_ISSUED:
		*out = 0;
		break;
	case ACME_QUEUED:
		snprintf(out, len, "queued for an order (position %u, acme.orders-per-hour)",
		         position);
		break;
	case ACME_ORDERING:
	case ACME_VALIDATING:
	case ACME_RENEWING:
		if (*c->problem_type)
			snprintf(out, len, "%s (retrying): %s: %s", acme_state_name(c->state),
			         c->problem_type, c->problem_detail);
		else
			snprintf(out, len, "%s at %s", acme_state_name(c->state), c->directory);
		break;
	default:
		snprintf(out, len, "%s: %s", c->problem_type, c->problem_detail);
		break;
	}
}

bool acme_run_may_order(struct store *st, const struct config *cfg, int64_t now)
{
	struct store_txn t;
	uint32_t n = 0;
	if (store_begin(st, false, 0, &t) != 0)
		return true;     /* the order itself will meet the store's problem */
	acme_record_orders(&t, now, &n);
	store_abort(&t);
	return n < cfg->acme_orders_per_hour;
}
