/* The records of mta-sts.<domain> a service gives, holds and has given. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shared/util/err.h"
#include "shared/dns/wire.h"
#include "shared/store/rrset.h"
#include "shared/store/zone_check.h"
#include "shared/sts/sts_service.h"

#define META_TAG 'V'
#define META_VERSION 1
#define ADDR_TEXT 64   /* bytes of one address word we look at */

static int rr_cmp(const void *x, const void *y)
{
	const struct sts_service_rr *a = x, *b = y;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return rdata_cmp(a->rd, a->len, b->rd, b->len);
}

/* Sorts the set and drops repeats, so that two sets compare record by record. */
static void normalise(struct sts_service_set *s)
{
	unsigned k = 0;
	qsort(s->rr, s->n, sizeof(s->rr[0]), rr_cmp);
	for (unsigned i = 0; i < s->n; i++)
		if (k == 0 || rr_cmp(&s->rr[k - 1], &s->rr[i]) != 0)
			s->rr[k++] = s->rr[i];
	s->n = k;
}

static int push(struct sts_service_set *s, uint16_t type, const uint8_t *rd, size_t len)
{
	if (s->n == STS_SERVICE_MAX || len > DNAME_MAX)
		return LS_ETOOBIG;
	struct sts_service_rr *r = &s->rr[s->n++];
	r->type = type;
	r->len = (uint16_t)len;
	memcpy(r->rd, rd, len);
	return 0;
}

int sts_service_parse(const struct sts_service *svc, struct sts_service_set *out, char *err,
                      size_t cap)
{
	uint8_t target[DNAME_MAX], addr[16];
	char buf[ADDR_TEXT];
	int rc = 0;
	out->n = 0;
	if (svc->cname && *svc->cname) {
		if (dname_parse(target, svc->cname, NULL) < 0) {
			snprintf(err, cap, "mta-sts.service-cname %s is not a domain name", svc->cname);
			return LS_ECONFIG;
		}
		dname_lower(target);
		return push(out, T_CNAME, target, (size_t)dname_wire_len(target, DNAME_MAX));
	}
	const char *p = svc->addresses ? svc->addresses : "";
	while (*p && rc == 0) {
		size_t n = strcspn(p, " \t");
		if (n == 0) {
			p++;
			continue;
		}
		snprintf(buf, sizeof(buf), "%.*s", (int)(n < sizeof(buf) ? n : sizeof(buf) - 1), p);
		p += n;
		if (inet_pton(AF_INET, buf, addr) == 1) {
			rc = push(out, T_A, addr, 4);
		} else if (inet_pton(AF_INET6, buf, addr) == 1) {
			rc = push(out, T_AAAA, addr, 16);
		} else {
			snprintf(err, cap, "mta-sts.service-address: %s is not an IP address", buf);
			return LS_ECONFIG;
		}
	}
	if (rc)
		return rc;
	normalise(out);
	return out->n ? 0 : LS_ENOTFOUND;
}

int sts_service_owner(uint8_t out[DNAME_MAX], const uint8_t *domain)
{
	int dl = dname_wire_len(domain, DNAME_MAX);
	if (dl < 0 || 8 + (size_t)dl > DNAME_MAX)
		return LS_ETOOBIG;
	out[0] = 7;
	memcpy(out + 1, "mta-sts", 7);
	memcpy(out + 8, domain, (size_t)dl);
	return 0;
}

int sts_service_stored(struct store_txn *t, const struct zone_info *z, const uint8_t *owner,
                       struct sts_service_set *out)
{
	static const uint16_t types[] = { T_A, T_AAAA, T_CNAME };
	uint8_t key[RRSET_KEY_MAX];
	out->n = 0;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		MDB_val v;
		struct rrset_view view;
		const uint8_t *rd;
		uint16_t len;
		size_t pos = 0;
		int kl = rrset_key(key, z->id, owner, z->apex, types[i]);
		if (kl < 0)
			return LS_EPARSE;
		int rc = store_get(t, STORE_RRSETS, key, (size_t)kl, &v);
		if (rc == LS_ENOTFOUND)
			continue;
		if (rc)
			return rc;
		if (rrset_decode(v.mv_data, v.mv_size, &view))
			return LS_ESTORE;
		while (rrset_next(&view, &pos, &rd, &len))
			if ((rc = push(out, types[i], rd, len)) != 0)
				return rc;
	}
	normalise(out);
	return 0;
}

bool sts_service_same(const struct sts_service_set *a, const struct sts_service_set *b)
{
	if (a->n != b->n)
		return false;
	for (unsigned i = 0; i < a->n; i++)
		if (rr_cmp(&a->rr[i], &b->rr[i]) != 0)
			return false;
	return true;
}

int sts_service_write(struct zone_txn *zt, const uint8_t *owner, const struct sts_service_set *set,
                      uint32_t ttl, struct diag *d)
{
	zone_txn_del_rrset(zt, owner, 0);
	for (unsigned i = 0; i < set->n; i++) {
		const struct sts_service_rr *r = &set->rr[i];
		struct rr rr = { owner, r->rd, ttl, r->type, r->len, NULL, 0 };
		int rc = zone_txn_add(zt, &rr, d);
		if (rc)
			return rc;
	}
	return 0;
}

/* The list's value: tag, version, count; per set its count, then type, length, RDATA. */
int sts_service_applied(struct store_txn *t, struct sts_service_set *list, unsigned *n)
{
	MDB_val v;
	*n = 0;
	int rc = store_get(t, STORE_META, STS_SERVICE_META, strlen(STS_SERVICE_META), &v);
	if (rc == LS_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	const uint8_t *p = v.mv_data, *end = p + v.mv_size;
	if (v.mv_size < 3 || p[0] != META_TAG || p[1] != META_VERSION || p[2] > STS_SERVICE_KEEP)
		return LS_ESTORE;
	unsigned count = p[2];
	p += 3;
	for (unsigned k = 0; k < count; k++) {
		struct sts_service_set *s = &list[k];
		if (p >= end || *p > STS_SERVICE_MAX)
			return LS_ESTORE;
		s->n = *p++;
		for (unsigned i = 0; i < s->n; i++) {
			if (end - p < 4)
				return LS_ESTORE;
			s->rr[i].type = wire_get16(p);
			s->rr[i].len = wire_get16(p + 2);
			p += 4;
			if (s->rr[i].len > DNAME_MAX || end - p < s->rr[i].len)
				return LS_ESTORE;
			memcpy(s->rr[i].rd, p, s->rr[i].len);
			p += s->rr[i].len;
		}
	}
	*n = count;
	return p == end ? 0 : LS_ESTORE;
}

static int applied_put(struct store_txn *t, const struct sts_service_set *list, unsigned n)
{
	uint8_t *buf = malloc(3 + (size_t)n * (1 + STS_SERVICE_MAX * (4 + DNAME_MAX)));
	if (buf == NULL)
		return store_fail(t, -ENOMEM);
	uint8_t *p = buf;
	*p++ = META_TAG;
	*p++ = META_VERSION;
	*p++ = (uint8_t)n;
	for (unsigned k = 0; k < n; k++) {
		*p++ = (uint8_t)list[k].n;
		for (unsigned i = 0; i < list[k].n; i++) {
			wire_put16(p, list[k].rr[i].type);
			wire_put16(p + 2, list[k].rr[i].len);
			memcpy(p + 4, list[k].rr[i].rd, list[k].rr[i].len);
			p += 4 + list[k].rr[i].len;
		}
	}
	store_put(t, STORE_META, STS_SERVICE_META, strlen(STS_SERVICE_META), buf, (size_t)(p - buf), 0);
	free(buf);
	return t->err;
}

/* The list as stored (an empty one when its value does not decode: it is only a memory). */
static int applied_read(struct store_txn *t, struct sts_service_set *list, unsigned *n)
{
	int rc = sts_service_applied(t, list, n);
	if (rc == LS_ESTORE) {
		*n = 0;
		return 0;
	}
	return rc;
}

/* Puts set first (in_force) or second in the list, its other copy and the oldest beyond
 * STS_SERVICE_KEEP dropped; note (not in_force) leaves a list that has set as it is. */
static int insert(struct store_txn *t, const struct sts_service_set *set, bool in_force)
{
	struct sts_service_set *list = malloc((STS_SERVICE_KEEP + 1) * sizeof(*list));
	unsigned n, k;
	if (list == NULL)
		return store_fail(t, -ENOMEM);
	int rc = applied_read(t, list, &n);
	if (rc)
		goto out;
	for (k = 0; k < n && !sts_service_same(&list[k], set); k++)
		;
	if (!in_force && n && k < n)
		goto out;                 /* remembered already */
	if (k < n) {
		memmove(list + k, list + k + 1, (n - k - 1) * sizeof(*list));
		n--;
	}
	unsigned at = in_force || n == 0 ? 0 : 1;
	memmove(list + at + 1, list + at, (n - at) * sizeof(*list));
	list[at] = *set;
	n = n + 1 > STS_SERVICE_KEEP ? STS_SERVICE_KEEP : n + 1;
	rc = applied_put(t, list, n);
out:
	free(list);
	return rc;
}

int sts_service_apply(struct store_txn *t, const struct sts_service_set *set)
{
	return insert(t, set, true);
}

int sts_service_note(struct store_txn *t, const struct sts_service_set *set)
{
	return insert(t, set, false);
}
