/* MTA-STS derivations inside zone commits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "shared/util/err.h"
#include "shared/dns/rrtext.h"
#include "shared/sts/sts_derive.h"
#include "shared/sts/sts_policy.h"
#include "shared/store/zone_check.h"

#define MX_TARGET 2       /* the exchange follows the 16-bit preference */

static bool label_is(const uint8_t *name, const char *label)
{
	size_t n = strlen(label);
	if (name[0] != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = name[1 + i];
		if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != (uint8_t)label[i])
			return false;
	}
	return true;
}

/*
 * True when owner/type is a record MTA-STS manages for an enabled domain (mta-sts.D and
 * _mta-sts.D, any type; _smtp._tls.D TXT when Lockstep writes its TLS-RPT record; the ACME
 * dns-01 challenge _acme-challenge.mta-sts.D, any type); the domain's name goes to domain.
 */
static bool managed_by(struct store_txn *t, const uint8_t *owner, uint16_t type,
                       uint8_t domain[DNAME_MAX])
{
	struct sts_domain d;
	const uint8_t *parent;
	bool tlsrpt = false;
	if (label_is(owner, "mta-sts") || label_is(owner, "_mta-sts")) {
		parent = owner + owner[0] + 1;
	} else if (label_is(owner, "_acme-challenge") && label_is(owner + owner[0] + 1, "mta-sts")) {
		parent = owner + owner[0] + 1;
		parent += parent[0] + 1;
	} else if (label_is(owner, "_smtp") && label_is(owner + owner[0] + 1, "_tls")) {
		parent = owner + owner[0] + 1;
		parent += parent[0] + 1;
		tlsrpt = true;
		if (type != T_TXT)
			return false;
	} else {
		return false;
	}
	if (*parent == 0 || sts_record_get(t, parent, &d) != 0 || d.state == STS_REMOVED)
		return false;
	if (tlsrpt && d.nrua == 0)
		return false;
	memcpy(domain, d.domain, (size_t)dname_wire_len(d.domain, DNAME_MAX));
	return true;
}

int sts_derive_check_mx(struct zone_txn *zt, enum sts_mode mode, const struct rdata *mx,
                        uint32_t n, char *why, size_t cap)
{
	char name[DNAME_STR_MAX];
	const struct zone_info *z = zone_txn_zone(zt);
	if (n == 0 && mode != STS_MODE_NONE) {
		snprintf(why, cap, "has no MX records, so a %s policy would list no mail server",
		         sts_mode_name(mode));
		return LS_EINVAL_ZONE;
	}
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *target = mx[i].p + MX_TARGET;
		if (mx[i].len <= MX_TARGET)
			continue;
		if (*target == 0) {
			if (mode != STS_MODE_NONE) {
				snprintf(why, cap, "has a null MX (RFC 7505: it takes no mail); only mode "
				         "none fits it");
				return LS_EINVAL_ZONE;
			}
			continue;
		}
		if (!dname_is_hostname(target)) {
			snprintf(why, cap, "has MX target %s, which is not a host name a policy can "
			         "list (RFC 8461 3.2)", dname_format(name, target));
			return LS_EINVAL_ZONE;
		}
		uint32_t cnames = 0;
		if (dname_is_sub(target, z->apex) && zone_txn_count(zt, target, T_CNAME, &cnames) == 0 &&
		    cnames) {
			snprintf(why, cap, "has MX target %s, which is a CNAME (RFC 2181 10.3); point "
			         "the MX at the host name itself", dname_format(name, target));
			return LS_EINVAL_ZONE;
		}
	}
	return 0;
}

static bool in_mx(const uint8_t *name, const struct rdata *mx, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (mx[i].len > MX_TARGET && dname_equal(mx[i].p + MX_TARGET, name))
			return true;
	return false;
}

int sts_derive_body(struct store_txn *t, struct sts_domain *d, const struct rdata *mx,
                    uint32_t n, int64_t now)
{
	struct sts_policy p = { .mode = d->mode, .max_age = d->max_age };
	char (*names)[DNAME_STR_MAX] = malloc(((size_t)n + d->ngrace + 1) * DNAME_STR_MAX);
	char *body = malloc(STS_BODY_MAX);
	const uint8_t *old;
	size_t old_len;
	int rc = 0;
	if (names == NULL || body == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	size_t k = 0;
	for (uint32_t i = 0; i < n && rc == 0; i++)
		if (mx[i].len > MX_TARGET && mx[i].p[MX_TARGET] != 0)
			rc = sts_policy_add(&p, dname_format(names[k++], mx[i].p + MX_TARGET));
	for (unsigned i = 0; i < d->ngrace && rc == 0; i++)
		rc = sts_policy_add(&p, dname_format(names[k++], d->grace[i].name));
	for (unsigned i = 0; i < d->nextra && rc == 0; i++)
		rc = sts_policy_add(&p, d->extra[i]);
	int len = rc ? rc : sts_policy_format(&p, body, STS_BODY_MAX);
	if (len < 0) {
		rc = len;
		goto out;
	}
	rc = sts_record_body(t, d->domain, &old, &old_len, NULL);
	if (rc && rc != LS_ENOTFOUND)
		goto out;
	if (rc == LS_ENOTFOUND || old_len != (size_t)len || memcmp(old, body, (size_t)len) != 0) {
		d->version++;
		d->version_time = now;
		d->next_try = 0;      /* a new policy is worth a try at once */
		d->tries = 0;
		sts_record_body_put(t, d->domain, d->version, (const uint8_t *)body, (size_t)len);
	}
	rc = 0;
	sts_record_put(t, d);
out:
	free(names);
	free(body);
	return rc ? rc : t->err;
}

/*
 * The MX RRset at c->owner changes: when it has MTA-STS, refuses an RRset that cannot carry
 * the domain's mode, moves MX names that left to the grace list, and stores the next policy
 * version when the body changes.
 */
static int derive_mx(struct zone_txn *zt, const struct zone_change *c, struct diag *d)
{
	const uint8_t *owner = c->owner;
	const struct rdata *old = c->old, *rd = c->rd;
	uint32_t nold = c->nold, n = c->n, old_ttl = c->old_ttl;
	const char *file = c->file;
	unsigned line = c->line;
	char name[DNAME_STR_MAX], why[STS_TEXT_MAX + DNAME_STR_MAX];
	struct store_txn *t = zone_txn_store(zt);
	struct sts_domain *s = malloc(sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	int rc = sts_record_get(t, owner, s);
	if (rc == LS_ENOTFOUND || (rc == 0 && s->state == STS_REMOVED)) {
		rc = 0;
		goto out;
	}
	if (rc)
		goto out;
	if (sts_derive_check_mx(zt, s->mode, rd, n, why, sizeof(why)) != 0) {
		diag_add(d, DIAG_ERROR, file, line, "%s has MTA-STS in mode %s and %s (or change the "
		         "mode first: zonectl mta-sts mode %s none)", dname_format(name, owner),
		         sts_mode_name(s->mode), why, name);
		rc = LS_EINVAL_ZONE;
		goto out;
	}
	/* Names that return leave the grace list; names that leave join it (RFC 8461 8.1). */
	unsigned kept = 0;
	for (unsigned i = 0; i < s->ngrace; i++)
		if (!in_mx(s->grace[i].name, rd, n))
			s->grace[kept++] = s->grace[i];
	s->ngrace = kept;
	for (uint32_t i = 0; i < nold; i++) {
		const uint8_t *target = old[i].p + MX_TARGET;
		if (old[i].len <= MX_TARGET || *target == 0 || in_mx(target, rd, n))
			continue;
		if (s->ngrace == STS_GRACE_MAX) {
			/* Full: the name closest to the end of its grace makes room. */
			unsigned first = 0;
			for (unsigned g = 1; g < s->ngrace; g++)
				if (s->grace[g].until < s->grace[first].until)
					first = g;
			s->grace[first] = s->grace[--s->ngrace];
		}
		struct sts_grace *g = &s->grace[s->ngrace++];
		memset(g, 0, sizeof(*g));
		memcpy(g->name, target, (size_t)dname_wire_len(target, DNAME_MAX));
		/* Senders may hold the old MX RRset for its TTL, and the old id for the TXT's. */
		g->hold = old_ttl + s->txt_ttl;
		g->until = (int64_t)time(NULL) + g->hold;
	}
	rc = sts_derive_body(t, s, rd, n, (int64_t)time(NULL));
	if (rc == LS_ETOOBIG || rc == LS_EPARSE) {
		diag_add(d, DIAG_ERROR, file, line, "the MTA-STS policy of %s would be %s",
		         dname_format(name, owner),
		         rc == LS_ETOOBIG ? "too large (over 16384 bytes)" : "invalid");
		rc = LS_EINVAL_ZONE;
	}
out:
	free(s);
	return rc;
}

/* A hand edit of a record MTA-STS manages: refused, or kept as stored by a whole-zone import
 * (the file may predate MTA-STS). */
static int guard_managed(struct zone_txn *zt, const struct zone_change *c,
                         const uint8_t *domain, struct diag *d)
{
	char name[DNAME_STR_MAX], dn[DNAME_STR_MAX], tn[16];
	dname_format(name, c->owner);
	dname_format(dn, domain);
	rr_type_name(c->type, tn, sizeof(tn));
	if (zone_txn_flags(zt) & ZONE_TXN_REPLACE) {
		if (c->n)
			diag_add(d, DIAG_WARNING, c->file, c->line, "%s %s is managed by MTA-STS for %s; "
			         "kept as it is", name, tn, dn);
		zone_txn_keep_stored(zt, c);
		return 0;
	}
	diag_add(d, DIAG_ERROR, c->file, c->line, "%s %s is managed by MTA-STS for %s; change it "
	         "with zonectl mta-sts set|mode|disable %s", name, tn, dn, dn);
	return LS_EINVAL_ZONE;
}

int sts_derive_commit(struct zone_txn *zt, struct diag *d)
{
	struct zone_change c;
	uint8_t domain[DNAME_MAX];
	size_t pos;
	int bad = 0, rc;
	if (zone_txn_creating(zt))
		return 0;     /* a new zone has no MTA-STS domains yet */
	if (!(zone_txn_flags(zt) & ZONE_TXN_MANAGED)) {
		for (pos = 0; zone_txn_next_change(zt, &pos, &c);) {
			if (!managed_by(zone_txn_store(zt), c.owner, c.type, domain))
				continue;
			if ((rc = guard_managed(zt, &c, domain, d)) != 0)
				bad = rc;
		}
	}
	for (pos = 0; zone_txn_next_change(zt, &pos, &c);) {
		if (c.type != T_MX)
			continue;
		if ((rc = derive_mx(zt, &c, d)) == LS_EINVAL_ZONE)
			bad = rc;
		else if (rc)
			return rc;
	}
	return bad;
}

struct gone {
	uint32_t zone_id;
	struct sts_domain *v;
	size_t n, cap;
};

static int collect(const struct sts_domain *s, void *arg)
{
	struct gone *g = arg;
	if (s->zone_id != g->zone_id || s->state == STS_REMOVED)
		return 0;
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 4;
		struct sts_domain *v = realloc(g->v, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		g->v = v;
		g->cap = cap;
	}
	g->v[g->n++] = *s;
	return 0;
}

int sts_derive_zone_deleted(struct store_txn *t, uint32_t zone_id)
{
	struct gone g = { zone_id, NULL, 0, 0 };
	/* Collected first: writes would move the cursor's pages. */
	int rc = sts_record_each(t, collect, &g);
	for (size_t i = 0; rc == 0 && i < g.n; i++) {
		sts_record_body_del(t, g.v[i].domain);
		g.v[i].state = STS_REMOVED;
		g.v[i].ngrace = 0;
		sts_record_put(t, &g.v[i]);
	}
	free(g.v);
	return rc ? rc : t->err;
}

int sts_derive_load_mx(struct store_txn *t, const struct zone_info *z, const uint8_t *name,
                       struct rdata **mx, uint32_t *n, uint32_t *ttl)
{
	uint8_t key[RRSET_KEY_MAX];
	MDB_val v;
	struct rrset_view view;
	*mx = NULL;
	*n = *ttl = 0;
	int kl = rrset_key(key, z->id, name, z->apex, T_MX);
	if (kl < 0)
		return LS_EPARSE;
	int rc = store_get(t, STORE_RRSETS, key, (size_t)kl, &v);
	if (rc == LS_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	if (rrset_decode(v.mv_data, v.mv_size, &view))
		return LS_ESTORE;
	/* One block: the array, then the RDATA bytes. */
	struct rdata *r = malloc(view.count * sizeof(*r) + view.len + 1);
	if (r == NULL)
		return -ENOMEM;
	uint8_t *bytes = (uint8_t *)(r + view.count);
	const uint8_t *p;
	uint16_t len;
	size_t pos = 0, used = 0;
	uint32_t i = 0;
	while (i < view.count && rrset_next(&view, &pos, &p, &len)) {
		memcpy(bytes + used, p, len);
		r[i++] = (struct rdata){ bytes + used, NULL, 0, len };
		used += len;
	}
	*mx = r;
	*n = i;
	*ttl = view.ttl;
	return 0;
}
