/* Enabling, changing and disabling MTA-STS for a mail domain. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "shared/util/err.h"
#include "shared/sts/sts_derive.h"
#include "shared/sts/sts_ops.h"
#include "shared/sts/sts_policy.h"
#include "shared/store/zone_check.h"

#define EDIT_HINT (64u << 10)
#define TXT_MAX 1024        /* bytes of a TXT record we write */

/* label + "." + domain. */
static int prefixed(uint8_t out[DNAME_MAX], const char *label, const uint8_t *domain)
{
	size_t l = strlen(label);
	int dl = dname_wire_len(domain, DNAME_MAX);
	if (dl < 0 || 1 + l + (size_t)dl > DNAME_MAX)
		return LS_ETOOBIG;
	out[0] = (uint8_t)l;
	memcpy(out + 1, label, l);
	memcpy(out + 1 + l, domain, (size_t)dl);
	return 0;
}

/* TXT RDATA: text in strings of at most 255 bytes. Returns the length or LS_ETOOBIG. */
static int txt_rdata(uint8_t *out, size_t cap, const char *text)
{
	size_t n = strlen(text), len = 0;
	for (size_t i = 0; i < n || len == 0; i += 255) {
		size_t chunk = n - i < 255 ? n - i : 255;
		if (len + 1 + chunk > cap)
			return LS_ETOOBIG;
		out[len++] = (uint8_t)chunk;
		memcpy(out + len, text + i, chunk);
		len += chunk;
	}
	return (int)len;
}

static int add(struct zone_txn *zt, const uint8_t *owner, uint16_t type, uint32_t ttl,
               const uint8_t *rd, size_t len, struct diag *d)
{
	struct rr rr = { owner, rd, ttl, type, (uint16_t)len, NULL, 0 };
	return zone_txn_add(zt, &rr, d);
}

static int add_txt(struct zone_txn *zt, const uint8_t *owner, uint32_t ttl, const char *text,
                   struct diag *d)
{
	uint8_t rd[TXT_MAX];
	int len = txt_rdata(rd, sizeof(rd), text);
	return len < 0 ? len : add(zt, owner, T_TXT, ttl, rd, (size_t)len, d);
}

int sts_ops_write_id(struct zone_txn *zt, const struct sts_domain *s, const char *id)
{
	uint8_t owner[DNAME_MAX];
	char text[64];
	int rc = prefixed(owner, "_mta-sts", s->domain);
	if (rc)
		return rc;
	/* Exactly one TXT, nothing else at the name: senders ignore a domain with two. */
	zone_txn_del_rrset(zt, owner, 0);
	snprintf(text, sizeof(text), "v=STSv1; id=%s", id);
	return add_txt(zt, owner, s->txt_ttl, text, NULL);
}

static int tlsrpt_text(const struct sts_domain *s, char *out, size_t cap)
{
	size_t len = (size_t)snprintf(out, cap, "v=TLSRPTv1; rua=");
	for (unsigned i = 0; i < s->nrua && len < cap; i++)
		len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? "," : "", s->rua[i]);
	return len < cap ? 0 : LS_ETOOBIG;
}

int sts_ops_remove_records(struct zone_txn *zt, const struct sts_domain *s)
{
	uint8_t owner[DNAME_MAX], tls[DNAME_MAX];
	if (prefixed(owner, "_mta-sts", s->domain) == 0)
		zone_txn_del_rrset(zt, owner, 0);
	if (prefixed(owner, "mta-sts", s->domain) == 0)
		zone_txn_del_rrset(zt, owner, 0);
	if (s->nrua && prefixed(tls, "_tls", s->domain) == 0 && prefixed(owner, "_smtp", tls) == 0)
		zone_txn_del_rrset(zt, owner, T_TXT);
	return 0;
}

/* The service records of mta-sts.<domain>; the service is remembered, so that a change of
 * the configuration later finds these records (sts_rederive.h). */
static int add_service(struct zone_txn *zt, const uint8_t *domain, const struct sts_service *svc,
                       uint32_t ttl, struct diag *d)
{
	uint8_t owner[DNAME_MAX];
	char text[DNAME_STR_MAX], err[256];
	struct sts_service_set *set = malloc(sizeof(*set));
	int rc = set ? sts_service_owner(owner, domain) : -ENOMEM;
	if (rc == 0)
		rc = sts_service_parse(svc, set, err, sizeof(err));
	if (rc == LS_ECONFIG) {
		diag_add(d, DIAG_ERROR, NULL, 0, "%s", err);
		rc = LS_EINVAL_ZONE;
	} else if (rc == LS_ENOTFOUND) {
		diag_add(d, DIAG_ERROR, NULL, 0, "nowhere to point %s: set mta-sts.service-address or "
		         "mta-sts.service-cname in the configuration", dname_format(text, owner));
		rc = LS_EINVAL_ZONE;
	}
	if (rc == 0)
		rc = sts_service_write(zt, owner, set, ttl, d);
	if (rc == 0)
		rc = sts_service_note(zone_txn_store(zt), set);
	free(set);
	return rc;
}

/* httpsd's POST /tlsrpt for s's domain as a rua; left out when the URI would not fit. */
static void own_https(struct sts_domain *s)
{
	char name[DNAME_STR_MAX];
	dname_format(name, s->domain);
	size_t len = strlen(name);
	if (len > 1 && name[len - 1] == '.')
		name[len - 1] = 0;
	int k = snprintf(s->rua[s->nrua], STS_TEXT_MAX, "https://mta-sts.%s/tlsrpt", name);
	if (k > 0 && k < STS_TEXT_MAX)
		s->nrua++;
}

/* Applies the given settings to s; refusals to d. */
static int apply(struct sts_domain *s, const struct sts_settings *set, struct diag *d)
{
	if (set->mode_set)
		s->mode = set->mode;
	if (set->max_age_set) {
		if (set->max_age > STS_MAX_AGE_MAX) {
			diag_add(d, DIAG_ERROR, NULL, 0, "max-age %u is out of range 0..%u (RFC 8461 3.2)",
			         set->max_age, STS_MAX_AGE_MAX);
			return LS_EINVAL_ZONE;
		}
		if (set->max_age == 0)
			diag_add(d, DIAG_WARNING, NULL, 0, "max-age 0: senders cache nothing, so the "
			         "policy protects only deliveries that fetch it first (RFC 8461 3.2)");
		s->max_age = set->max_age;
	}
	if (set->extra_set) {
		s->nextra = 0;
		for (unsigned i = 0; i < set->nextra && i < STS_EXTRA_MAX; i++) {
			if (sts_policy_pattern_check(set->extra[i]) != 0 ||
			    strlen(set->extra[i]) >= STS_TEXT_MAX) {
				diag_add(d, DIAG_ERROR, NULL, 0, "--mx-extra %s is not a host name or *. and "
				         "a host name (RFC 8461 3.2)", set->extra[i]);
				return LS_EINVAL_ZONE;
			}
			snprintf(s->extra[s->nextra++], STS_TEXT_MAX, "%s", set->extra[i]);
		}
	}
	if (set->rua_set) {
		s->nrua = 0;
		for (unsigned i = 0; i <= set->nrua && s->nrua < STS_RUA_MAX; i++) {
			if (set->rua_own_https && i == set->rua_own_at)
				own_https(s);
			if (i == set->nrua || s->nrua == STS_RUA_MAX)
				break;
			const char *u = set->rua[i];
			bool ok = (strncmp(u, "mailto:", 7) == 0 && strchr(u + 7, '@')) ||
			          strncmp(u, "https://", 8) == 0;
			if (!ok || strlen(u) >= STS_TEXT_MAX || strpbrk(u, ",!; \t\"\\")) {
				diag_add(d, DIAG_ERROR, NULL, 0, "--rua %s is not a mailto: or https: URI "
				         "(RFC 8460 3)", u);
				return LS_EINVAL_ZONE;
			}
			snprintf(s->rua[s->nrua++], STS_TEXT_MAX, "%s", u);
		}
	}
	return 0;
}

/* Refuses names Lockstep would take over when they already hold someone's records. */
/* Which names check_free() looks at. */
#define FREE_STS    1u   /* mta-sts.D and _mta-sts.D */
#define FREE_TLSRPT 2u   /* _smtp._tls.D TXT */

/* The names MTA-STS is about to manage (which) hold nothing of another writer's. */
static int check_free(struct zone_txn *zt, const uint8_t *domain, unsigned which, struct diag *d)
{
	static const uint16_t types[] = { T_A, T_AAAA, T_CNAME, T_TXT };
	uint8_t owner[DNAME_MAX], tls[DNAME_MAX];
	char name[DNAME_STR_MAX];
	const char *labels[] = { "mta-sts", "_mta-sts" };
	int bad = 0;
	for (int l = 0; l < 3; l++) {
		if (l < 2 ? (!(which & FREE_STS) || prefixed(owner, labels[l], domain) != 0)
		          : (!(which & FREE_TLSRPT) || prefixed(tls, "_tls", domain) ||
		             prefixed(owner, "_smtp", tls)))
			continue;
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
			uint32_t n = 0;
			if (l == 2 && types[i] != T_TXT)
				continue;
			if (zone_txn_count(zt, owner, types[i], &n) == 0 && n) {
				diag_add(d, DIAG_ERROR, NULL, 0, "%s already has records; MTA-STS manages "
				         "this name: delete them first (zonectl rr del ZONE %s)",
				         dname_format(name, owner), name);
				bad = LS_EINVAL_ZONE;
				break;
			}
		}
	}
	return bad;
}

struct op {
	const uint8_t *domain;
	const struct sts_settings *set;
	const struct sts_service *svc;
	bool now;
	int (*fn)(struct op *o, struct zone_txn *zt, struct sts_domain *s, bool exists,
	          struct diag *d);
	struct sts_domain *s;    /* the domain's record, read in the edit's transaction */
	bool unchanged;          /* set_fn: the settings asked for are the ones in force */
};

static int enable_fn(struct op *o, struct zone_txn *zt, struct sts_domain *s, bool exists,
                     struct diag *d)
{
	char name[DNAME_STR_MAX], why[STS_TEXT_MAX + DNAME_STR_MAX], text[TXT_MAX];
	struct rdata *mx = NULL;
	uint32_t n, ttl;
	const struct zone_info *z = zone_txn_zone(zt);
	struct store_txn *t = zone_txn_store(zt);
	if (exists && s->state == STS_ACTIVE)
		return LS_EEXIST;
	bool reviving = exists && s->state == STS_REMOVING;
	if (!exists) {
		memset(s, 0, sizeof(*s));
		memcpy(s->domain, o->domain, (size_t)dname_wire_len(o->domain, DNAME_MAX));
		dname_lower(s->domain);
	}
	/* A record kept from an earlier life keeps its versions and id, so ids never repeat. */
	s->zone_id = z->id;
	s->state = STS_ACTIVE;
	s->removing_since = 0;
	s->mode = STS_MODE_TESTING;
	s->max_age = STS_DEFAULT_MAX_AGE;
	s->txt_ttl = o->svc->txt_ttl;
	s->nextra = s->nrua = 0;
	int rc = apply(s, o->set, d);
	if (rc == 0)
		rc = sts_derive_load_mx(t, z, s->domain, &mx, &n, &ttl);
	if (rc)
		goto out;
	if (sts_derive_check_mx(zt, s->mode, mx, n, why, sizeof(why)) != 0) {
		diag_add(d, DIAG_ERROR, NULL, 0, "cannot enable MTA-STS for %s: it %s",
		         dname_format(name, s->domain), why);
		rc = LS_EINVAL_ZONE;
		goto out;
	}
	if (!reviving &&
	    (rc = check_free(zt, s->domain, FREE_STS | (s->nrua ? FREE_TLSRPT : 0), d)) != 0)
		goto out;
	if ((rc = add_service(zt, s->domain, o->svc, s->txt_ttl, d)) != 0)
		goto out;
	if (s->nrua) {
		uint8_t tls[DNAME_MAX], owner[DNAME_MAX];
		if ((rc = tlsrpt_text(s, text, sizeof(text))) != 0 ||
		    (rc = prefixed(tls, "_tls", s->domain)) != 0 ||
		    (rc = prefixed(owner, "_smtp", tls)) != 0)
			goto out;
		zone_txn_del_rrset(zt, owner, T_TXT);
		if ((rc = add_txt(zt, owner, s->txt_ttl, text, d)) != 0)
			goto out;
	}
	rc = sts_derive_body(t, s, mx, n, (int64_t)time(NULL));
out:
	free(mx);
	return rc;
}

/* The settings an operator sets are those of b. */
static bool same_settings(const struct sts_domain *a, const struct sts_domain *b)
{
	if (a->mode != b->mode || a->max_age != b->max_age || a->nextra != b->nextra ||
	    a->nrua != b->nrua)
		return false;
	for (unsigned i = 0; i < a->nextra; i++)
		if (strcmp(a->extra[i], b->extra[i]) != 0)
			return false;
	for (unsigned i = 0; i < a->nrua; i++)
		if (strcmp(a->rua[i], b->rua[i]) != 0)
			return false;
	return true;
}

static int set_fn(struct op *o, struct zone_txn *zt, struct sts_domain *s, bool exists,
                  struct diag *d)
{
	char name[DNAME_STR_MAX], why[STS_TEXT_MAX + DNAME_STR_MAX], text[TXT_MAX];
	struct rdata *mx = NULL;
	uint32_t n, ttl;
	if (!exists || s->state != STS_ACTIVE)
		return LS_ENOTFOUND;
	unsigned had_rua = s->nrua;
	struct sts_domain *before = malloc(sizeof(*before));
	if (before == NULL)
		return -ENOMEM;
	*before = *s;
	int rc = apply(s, o->set, d);
	if (rc == 0 && same_settings(before, s)) {
		o->unchanged = true;
		rc = LS_ENOCHANGE;       /* nothing to write: the edit ends here */
	}
	free(before);
	if (rc == 0)
		rc = sts_derive_load_mx(zone_txn_store(zt), zone_txn_zone(zt), s->domain, &mx, &n, &ttl);
	if (rc)
		goto out;
	if (sts_derive_check_mx(zt, s->mode, mx, n, why, sizeof(why)) != 0) {
		diag_add(d, DIAG_ERROR, NULL, 0, "%s: mode %s refused: it %s",
		         dname_format(name, s->domain), sts_mode_name(s->mode), why);
		rc = LS_EINVAL_ZONE;
		goto out;
	}
	if (o->set->rua_set) {
		uint8_t tls[DNAME_MAX], owner[DNAME_MAX];
		if ((rc = prefixed(tls, "_tls", s->domain)) != 0 ||
		    (rc = prefixed(owner, "_smtp", tls)) != 0)
			goto out;
		/* A first rua: only the TLS-RPT name is new to MTA-STS. */
		if (had_rua == 0 && s->nrua && (rc = check_free(zt, s->domain, FREE_TLSRPT, d)) != 0)
			goto out;
		zone_txn_del_rrset(zt, owner, T_TXT);
		if (s->nrua && ((rc = tlsrpt_text(s, text, sizeof(text))) != 0 ||
		                (rc = add_txt(zt, owner, s->txt_ttl, text, d)) != 0))
			goto out;
	}
	rc = sts_derive_body(zone_txn_store(zt), s, mx, n, (int64_t)time(NULL));
out:
	free(mx);
	return rc;
}

static int disable_fn(struct op *o, struct zone_txn *zt, struct sts_domain *s, bool exists,
                      struct diag *d)
{
	if (!exists || s->state == STS_REMOVED || (s->state == STS_REMOVING && !o->now))
		return LS_ENOTFOUND;
	if (o->now || s->published == 0) {
		/* Nothing was ever published, or the operator skips the wait. */
		sts_ops_remove_records(zt, s);
		sts_record_body_del(zone_txn_store(zt), s->domain);
		s->state = STS_REMOVED;
		s->ngrace = 0;
		s->reason[0] = 0;
		sts_record_put(zone_txn_store(zt), s);
		return zone_txn_store(zt)->err;
	}
	/* RFC 8461 8.3: mode none under a new id, served until every cached policy expired. */
	struct rdata *mx = NULL;
	uint32_t n, ttl;
	int rc = sts_derive_load_mx(zone_txn_store(zt), zone_txn_zone(zt), s->domain, &mx, &n, &ttl);
	if (rc == 0) {
		s->mode = STS_MODE_NONE;
		s->state = STS_REMOVING;
		s->removing_since = 0;
		rc = sts_derive_body(zone_txn_store(zt), s, mx, n, (int64_t)time(NULL));
	}
	free(mx);
	return rc;
}

/* zone_edit_fn: the domain's record as the transaction sees it, then the operation. */
static int op_fn(struct zone_txn *zt, void *arg, struct diag *d)
{
	struct op *o = arg;
	int rc = sts_record_get(zone_txn_store(zt), o->domain, o->s);
	bool exists = rc == 0;
	if (rc == 0 || rc == LS_ENOTFOUND)
		rc = o->fn(o, zt, o->s, exists, d);
	return rc;
}

/* The edit of o, in a transaction of its own or (b given) nested in a batch. */
static int run(struct store *st, struct zone_batch *b, struct op *o, const char *source,
               struct diag *d, struct zone_result *res)
{
	struct zone_edit e = { NULL, o->domain, ZONE_TXN_MANAGED, EDIT_HINT, source, op_fn, o };
	memset(res, 0, sizeof(*res));
	if ((o->s = malloc(sizeof(*o->s))) == NULL)
		return -ENOMEM;
	int rc = b ? zone_batch_run(b, &e, d, res) : zone_edit_run(st, &e, d, res);
	if (rc == LS_ENOCHANGE) {
		/* Nothing at all changed (unchanged), or only MTA-STS state, now committed. */
		zone_txn_free(res->zt);
		res->zt = NULL;
		rc = o->unchanged ? LS_ENOCHANGE : 0;
	}
	free(o->s);
	return rc;
}

/* Enable in a transaction of its own, or nested in b. */
static int enable(struct store *st, struct zone_batch *b, const uint8_t *domain,
                  const struct sts_settings *set, const struct sts_service *svc, struct diag *d,
                  struct zone_result *res)
{
	char name[DNAME_STR_MAX];
	struct op o = { domain, set, svc, false, enable_fn, NULL, false };
	memset(res, 0, sizeof(*res));
	/* mta-sts.<domain> must be a name a certificate can carry: a host name (RFC 8461 3.3). */
	if (!dname_is_hostname(domain)) {
		diag_add(d, DIAG_ERROR, NULL, 0, "'%s' is not a host name (letters, digits and inner "
		         "hyphens; labels of 1 to 63)", dname_format(name, domain));
		return LS_EINVAL_ZONE;
	}
	return run(st, b, &o, "mta-sts enable", d, res);
}

int sts_ops_enable(struct store *st, const uint8_t *domain, const struct sts_settings *set,
                   const struct sts_service *svc, struct diag *d, struct zone_result *res)
{
	return enable(st, NULL, domain, set, svc, d, res);
}

int sts_ops_enable_in(struct zone_batch *b, const uint8_t *domain,
                      const struct sts_settings *set, const struct sts_service *svc,
                      struct diag *d, struct zone_result *res)
{
	return enable(b->st, b, domain, set, svc, d, res);
}

int sts_ops_set(struct store *st, const uint8_t *domain, const struct sts_settings *set,
                struct diag *d, struct zone_result *res)
{
	struct op o = { domain, set, NULL, false, set_fn, NULL, false };
	return run(st, NULL, &o, "mta-sts set", d, res);
}

int sts_ops_disable(struct store *st, const uint8_t *domain, bool now, struct diag *d,
                    struct zone_result *res)
{
	struct op o = { domain, NULL, NULL, now, disable_fn, NULL, false };
	return run(st, NULL, &o, now ? "mta-sts disable --now" : "mta-sts disable",
	           d, res);
}
