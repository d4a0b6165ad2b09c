/* DNS UPDATE: TSIG and policy first, then prerequisites and changes in one zone edit. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "dnsd/pkt.h"
#include "dnsd/query.h"
#include "dnsd/signer.h"
#include "dnsd/update.h"
#include "shared/util/daemon.h"
#include "shared/util/err.h"
#include "shared/dns/rrtext.h"
#include "shared/dns/serial.h"
#include "shared/dns/wire.h"
#include "shared/store/tsig_key.h"
#include "shared/store/update_policy.h"
#include "shared/store/zone_check.h"
#include "shared/store/zone_edit.h"

#define UPDATE_NAME_TYPES 64          /* RRsets at one name that "delete all" handles one by one */

struct edit {
	const struct update_msg *m;
	const struct update_policy *pol;
	uint8_t rcode;                    /* a failed prerequisite's */
	char *why;
};

/* The stored RRset owner/type (before this edit changed anything): 0, LS_ENOTFOUND or an error. */
static int stored(struct zone_txn *zt, const uint8_t *owner, uint16_t type, struct rrset_view *v)
{
	const struct zone_info *z = zone_txn_zone(zt);
	uint8_t key[RRSET_KEY_MAX];
	MDB_val val;
	int kl = rrset_key(key, z->id, owner, z->apex, type);
	if (kl < 0)
		return LS_ENOTFOUND;
	int rc = store_get(zone_txn_store(zt), STORE_RRSETS, key, (size_t)kl, &val);
	if (rc == 0 && rrset_decode(val.mv_data, val.mv_size, v) != 0)
		rc = LS_ESTORE;
	return rc;
}

/* The types of the RRsets stored at owner, at most max of them. */
static int name_types(struct zone_txn *zt, const uint8_t *owner, uint16_t *types, size_t max,
                      size_t *n)
{
	const struct zone_info *z = zone_txn_zone(zt);
	uint8_t prefix[RRSET_KEY_MAX];
	MDB_cursor *cur;
	MDB_val k, v;
	*n = 0;
	int pl = rrset_name_prefix(prefix, z->id, owner, z->apex);
	if (pl < 0)
		return 0;
	int rc = store_cursor(zone_txn_store(zt), STORE_RRSETS, &cur);
	if (rc)
		return rc;
	k.mv_size = (size_t)pl;
	k.mv_data = prefix;
	/* The name's own RRsets are its prefix and two bytes of type; children's keys are longer. */
	for (int op = MDB_SET_RANGE; (rc = mdb_cursor_get(cur, &k, &v, op)) == 0; op = MDB_NEXT) {
		if (k.mv_size != (size_t)pl + 2 || memcmp(k.mv_data, prefix, (size_t)pl) != 0)
			break;
		if (*n == max) {
			rc = LS_ETOOBIG;
			break;
		}
		types[(*n)++] = wire_get16((const uint8_t *)k.mv_data + pl);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND || rc == 0 ? 0 : rc > 0 ? store_errno(rc) : rc;
}

static bool has_rdata(const struct rrset_view *v, const struct rr *rr)
{
	const uint8_t *rd;
	uint16_t rdlen;
	size_t pos = 0;
	while (rrset_next(v, &pos, &rd, &rdlen))
		if (rdata_cmp(rd, rdlen, rr->rdata, rr->rdlen) == 0)
			return true;
	return false;
}

/* RFC 2136 3.2.3: the prerequisites of class IN for i's owner and type, as a set, equal the RRset. */
static bool same_set(struct zone_txn *zt, const struct update_msg *m, size_t i, int *err)
{
	const struct rr *a = &m->pre[i].rr;
	struct rrset_view v;
	size_t distinct = 0;
	int rc = stored(zt, a->owner, a->type, &v);
	if (rc) {
		*err = rc == LS_ENOTFOUND ? 0 : rc;
		return false;
	}
	for (size_t j = 0; j < m->npre; j++) {
		const struct rr *b = &m->pre[j].rr;
		if (m->pre[j].cls != m->zclass || b->type != a->type || !dname_equal(b->owner, a->owner))
			continue;
		bool dup = false;
		for (size_t k = 0; k < j && !dup; k++)
			dup = m->pre[k].cls == m->zclass && m->pre[k].rr.type == b->type &&
			      dname_equal(m->pre[k].rr.owner, b->owner) &&
			      rdata_cmp(m->pre[k].rr.rdata, m->pre[k].rr.rdlen, b->rdata, b->rdlen) == 0;
		if (dup)
			continue;
		if (!has_rdata(&v, b))
			return false;
		distinct++;
	}
	return distinct == v.count;
}

/* RFC 2136 3.2: 0 when every prerequisite holds; else e->rcode says which failed. */
static int prerequisites(struct zone_txn *zt, struct edit *e)
{
	char name[DNAME_STR_MAX], tn[16];
	for (size_t i = 0; i < e->m->npre; i++) {
		const struct update_rr *u = &e->m->pre[i];
		uint16_t types[1];
		size_t n = 0;
		uint32_t count = 0;
		int rc = 0;
		bool ok;
		if (u->rr.type == T_ANY) {
			rc = name_types(zt, u->rr.owner, types, 1, &n);
			if (rc == LS_ETOOBIG)
				rc = 0, n = 1;
			ok = u->cls == UPDATE_CLASS_ANY ? n > 0 : n == 0;
			e->rcode = u->cls == UPDATE_CLASS_ANY ? RCODE_NXDOMAIN : RCODE_YXDOMAIN;
		} else if (u->cls != e->m->zclass) {
			rc = zone_txn_count(zt, u->rr.owner, u->rr.type, &count);
			ok = u->cls == UPDATE_CLASS_ANY ? count > 0 : count == 0;
			e->rcode = u->cls == UPDATE_CLASS_ANY ? RCODE_NXRRSET : RCODE_YXRRSET;
		} else {
			ok = same_set(zt, e->m, i, &rc);
			e->rcode = RCODE_NXRRSET;
		}
		if (rc)
			return rc;
		if (!ok) {
			snprintf(e->why, UPDATE_WHY_MAX, "prerequisite %zu failed: %s %s", i + 1,
			         dname_format(name, u->rr.owner), rr_type_name(u->rr.type, tn, sizeof(tn)));
			return LS_ECONFLICT;
		}
	}
	e->rcode = 0;
	return 0;
}

/* RFC 2136 3.4.2.3: every RRset at a name, but the apex keeps its SOA and NS; a policy with
 * types deletes only those. */
static int delete_name(struct zone_txn *zt, const struct edit *e, const uint8_t *owner)
{
	bool apex = dname_equal(owner, zone_txn_zone(zt)->apex);
	uint16_t types[UPDATE_NAME_TYPES];
	size_t n;
	int rc;
	if (!apex && e->pol->ntypes == 0) {
		rc = zone_txn_del_rrset(zt, owner, 0);
		return rc == LS_ENOTFOUND ? 0 : rc;
	}
	rc = name_types(zt, owner, types, UPDATE_NAME_TYPES, &n);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if ((apex && (types[i] == T_SOA || types[i] == T_NS)) ||
		    !update_policy_allows(e->pol, owner, types[i]))
			continue;
		rc = zone_txn_del_rrset(zt, owner, types[i]);
		rc = rc == LS_ENOTFOUND ? 0 : rc;
	}
	return rc;
}

/* An SOA added by UPDATE replaces the zone's only when its serial is newer (RFC 2136 3.4.2.2). */
static int add_soa(struct zone_txn *zt, const struct rr *rr, struct diag *d)
{
	uint32_t now;
	int off = soa_serial_offset(rr->rdata, rr->rdlen);
	int rc = zone_txn_serial(zt, &now);
	if (rc || off < 0 || !serial_gt(wire_get32(rr->rdata + off), now))
		return rc;
	if ((rc = zone_txn_del_rrset(zt, rr->owner, T_SOA)) != 0 && rc != LS_ENOTFOUND)
		return rc;
	return zone_txn_add(zt, rr, d);
}

/*
 * RFC 2136 3.4.2.2, as Knot applies it: a record the RRset holds already stays as it is, its
 * TTL too; a new one joins, and its TTL becomes the RRset's (the last TTL given wins).
 */
static int add_rr(struct zone_txn *zt, const struct rr *rr, struct diag *d)
{
	uint32_t ttl;
	if (zone_txn_ttl(zt, rr->owner, rr->type, &ttl) == 0) {
		struct rr same = *rr;
		same.ttl = ttl;
		int rc = zone_txn_del_rr(zt, &same);
		if (rc == 0)
			return zone_txn_add(zt, &same, d);     /* put back unchanged */
		if (rc != LS_ENOTFOUND)
			return rc;
		if (ttl != rr->ttl && (rc = zone_txn_set_ttl(zt, rr->owner, rr->type, rr->ttl)) != 0)
			return rc;
	}
	return zone_txn_add(zt, rr, d);
}

static bool is_cname(uint16_t type)
{
	return type == T_CNAME;
}

/* What may not share a name with a CNAME: all but RRSIG and NSEC (RFC 4035 2.5). */
static bool not_cname_compatible(uint16_t type)
{
	return type != T_CNAME && type != T_RRSIG && type != T_NSEC;
}

/*
 * RFC 2136 3.4.2.2: a CNAME added where other data is, or other data added where a CNAME is,
 * is ignored, not refused, as BIND and Knot do; a CNAME replaces a CNAME.
 */
static int breaks_cname_rule(struct zone_txn *zt, const struct rr *rr, bool *ignore)
{
	*ignore = false;
	if (!not_cname_compatible(rr->type) && rr->type != T_CNAME)
		return 0;
	return zone_txn_name_has(zt, rr->owner, rr->type == T_CNAME ? not_cname_compatible
	                                                             : is_cname, ignore);
}

/* One record of the update section (RFC 2136 3.4.2). */
static int apply(struct zone_txn *zt, const struct edit *e, const struct update_rr *u,
                 struct diag *d)
{
	const struct rr *rr = &u->rr;
	bool apex = dname_equal(rr->owner, zone_txn_zone(zt)->apex);
	bool ignore;
	uint32_t count;
	int rc;
	if (u->cls == e->m->zclass) {
		if (rr->type == T_SOA)
			return apex ? add_soa(zt, rr, d) : 0;
		if ((rc = breaks_cname_rule(zt, rr, &ignore)) != 0 || ignore)
			return rc;
		if (rr->type == T_CNAME && (rc = zone_txn_del_rrset(zt, rr->owner, T_CNAME)) != 0 &&
		    rc != LS_ENOTFOUND)
			return rc;
		return add_rr(zt, rr, d);
	}
	if (u->cls == UPDATE_CLASS_ANY && rr->type == T_ANY)
		return delete_name(zt, e, rr->owner);
	if (rr->type == T_SOA || (apex && rr->type == T_NS && u->cls == UPDATE_CLASS_ANY))
		return 0;                   /* the zone keeps its SOA and its apex NS RRset */
	if (u->cls == UPDATE_CLASS_ANY)
		rc = zone_txn_del_rrset(zt, rr->owner, rr->type);
	else if (apex && rr->type == T_NS &&
	         ((rc = zone_txn_count(zt, rr->owner, T_NS, &count)) != 0 || count <= 1))
		return rc;                  /* never the last apex NS */
	else
		rc = zone_txn_del_rr(zt, rr);
	return rc == LS_ENOTFOUND ? 0 : rc;
}

static int edit_fn(struct zone_txn *zt, void *arg, struct diag *d)
{
	struct edit *e = arg;
	int rc = prerequisites(zt, e), bad = 0;
	for (size_t i = 0; rc == 0 && i < e->m->nupd; i++) {
		rc = apply(zt, e, &e->m->upd[i], d);
		if (rc == LS_EINVAL_ZONE)
			bad = rc, rc = 0;
	}
	return rc ? rc : bad;
}

/* RFC 3007 3: the key must be allowed every change, or nothing is done. */
static bool permitted(const struct update_msg *m, const struct update_policy *p, char *why)
{
	char name[DNAME_STR_MAX], tn[16];
	for (size_t i = 0; i < m->nupd; i++) {
		const struct rr *rr = &m->upd[i].rr;
		/* "Delete every RRset" needs the name; a policy with types limits what goes. */
		if (update_policy_allows(p, rr->owner, rr->type) ||
		    (rr->type == T_ANY && m->upd[i].cls == UPDATE_CLASS_ANY &&
		     update_policy_allows(p, rr->owner, p->ntypes ? p->types[0] : T_A)))
			continue;
		snprintf(why, UPDATE_WHY_MAX, "%s %s is outside the key's policy",
		         dname_format(name, rr->owner), rr_type_name(rr->type, tn, sizeof(tn)));
		return false;
	}
	return true;
}

/* The first error message of d, for the answer's reason. */
static void first_error(const struct diag *d, char *why)
{
	for (size_t i = 0; i < d->n; i++) {
		if (d->v[i].sev == DIAG_ERROR) {
			snprintf(why, UPDATE_WHY_MAX, "%s", d->v[i].text);
			return;
		}
	}
	snprintf(why, UPDATE_WHY_MAX, "the zone's rules refused the change");
}

/* Runs the edit: the RCODE for its outcome. */
static uint8_t run_edit(struct store *st, const struct update_msg *m, const struct zone_info *z,
                        const struct update_policy *pol, const struct sockaddr *peer,
                        struct update_info *info)
{
	char addr[DAEMON_PEER_TEXT_MAX], source[DNAME_STR_MAX + DAEMON_PEER_TEXT_MAX + 32];
	struct edit e = { .m = m, .pol = pol, .why = info->why };
	struct diag d;
	struct zone_result res;
	daemon_peer_text(peer, addr);
	snprintf(source, sizeof(source), "update by key %s from %s", info->key, addr);
	struct zone_edit ed = { .apex = z->apex, .flags = 0, .source = source, .fn = edit_fn,
	                        .arg = &e, .hint = 2 * (m->nupd + 1) * (DNAME_MAX + 64) };
	diag_init(&d);
	int rc = zone_edit_run(st, &ed, &d, &res);
	uint8_t rcode = RCODE_NOERROR;
	if (rc == 0) {
		info->serial = res.diff.new_serial;
		info->changes = res.diff.ndel + res.diff.nadd;
	} else if (rc == LS_ECONFLICT && e.rcode) {
		rcode = e.rcode;
	} else if (rc == LS_EINVAL_ZONE) {
		first_error(&d, info->why);
		rcode = RCODE_REFUSED;
	} else if (rc == LS_ENOZONE) {
		snprintf(info->why, UPDATE_WHY_MAX, "the zone was deleted");
		rcode = RCODE_NOTAUTH;
	} else if (rc != LS_ENOCHANGE) {
		snprintf(info->why, UPDATE_WHY_MAX, "%s", ls_strerror(rc));
		rcode = RCODE_SERVFAIL;
	}
	zone_result_free(&res);
	diag_free(&d);
	return rcode;
}

/* Zone, key and policy in a read transaction, then the edit: the RCODE. */
static uint8_t check_and_run(struct store *st, const struct update_msg *m, int parsed,
                             const uint8_t *msg, size_t len, const struct sockaddr *peer,
                             uint64_t now, struct signer *sg, struct update_info *info)
{
	struct store_txn t;
	struct zone_info z;
	struct update_policy pol;
	if (store_begin(st, false, 0, &t) != 0)
		return RCODE_SERVFAIL;
	signer_check(sg, &t, msg, len, now);
	int rc = 0;
	uint8_t rcode = RCODE_REFUSED;
	if (sg->present)
		tsig_key_name_text(sg->key.name, info->key, sizeof(info->key));
	if (!sg->present) {
		snprintf(info->why, UPDATE_WHY_MAX, "not signed with TSIG");
	} else if (sg->error == SIGNER_FORMERR) {
		rcode = RCODE_FORMERR;
		snprintf(info->why, UPDATE_WHY_MAX, "malformed TSIG");
	} else if (sg->error != TSIG_NOERROR) {
		rcode = RCODE_NOTAUTH;
		info->tsig_error = (uint16_t)sg->error;
		snprintf(info->why, UPDATE_WHY_MAX, "TSIG %s", signer_error_text(sg->error));
	} else if (parsed != 0) {
		rcode = (uint8_t)parsed;      /* NOTZONE, or NOTAUTH for a class we do not serve */
		snprintf(info->why, UPDATE_WHY_MAX, "%s", parsed == RCODE_NOTZONE
		         ? "a record outside the zone" : "not a zone of ours");
	} else if ((rc = zone_get(&t, m->zone, &z)) != 0) {
		rcode = rc == LS_ENOTFOUND || rc == LS_ENOZONE ? RCODE_NOTAUTH : RCODE_SERVFAIL;
		snprintf(info->why, UPDATE_WHY_MAX, "%s", rcode == RCODE_NOTAUTH ? "not a zone of ours"
		                                                             : ls_strerror(rc));
	} else if ((rc = update_policy_get(&t, z.id, sg->key.name, &pol)) != 0) {
		rcode = rc == LS_ENOTFOUND ? RCODE_REFUSED : RCODE_SERVFAIL;
		snprintf(info->why, UPDATE_WHY_MAX, "%s", rc == LS_ENOTFOUND
		         ? "no update policy for this key in the zone" : ls_strerror(rc));
	} else if (permitted(m, &pol, info->why)) {
		store_abort(&t);                 /* the edit takes the writer lock: no reader held */
		return run_edit(st, m, &z, &pol, peer, info);
	}
	store_abort(&t);
	return rcode;
}

/* Header, the zone section echoed, then the TSIG of a signed request. */
static size_t answer(const struct update_msg *m, const uint8_t *msg, uint8_t rcode,
                     struct signer *sg, uint64_t now, uint8_t *out, size_t cap)
{
	size_t len = PKT_HDR;
	memset(out, 0, PKT_HDR);
	wire_put16(out + PKT_ID, m->id);
	wire_put16(out + PKT_FLAGS, (uint16_t)(PKT_F_QR | (m->flags & PKT_F_OPCODE) |
	                                       (rcode & PKT_F_RCODE)));
	if (m->zone_end) {
		memcpy(out + PKT_HDR, msg + PKT_HDR, m->zone_end - PKT_HDR);
		len = m->zone_end;
		wire_put16(out + PKT_QDCOUNT, 1);
	}
	size_t n = signer_finish(sg, out, len, cap, now);
	tsig_key_wipe(&sg->key);
	return n ? n : len;
}

size_t update_process(struct store *st, const uint8_t *msg, size_t len,
                      const struct sockaddr *peer, uint64_t now, uint8_t *out, size_t cap,
                      struct update_info *info)
{
	struct update_msg m;
	struct signer sg;
	memset(info, 0, sizeof(*info));
	memset(&sg, 0, sizeof(sg));
	now = now ? now : (uint64_t)time(NULL);
	int rc = update_msg_parse(msg, len, &m);
	if (m.zone_end)
		dname_format(info->zone, m.zone);
	if (rc < 0) {
		update_msg_free(&m);
		return 0;
	}
	if (rc == RCODE_FORMERR) {
		snprintf(info->why, UPDATE_WHY_MAX, "malformed UPDATE message");
		info->rcode = RCODE_FORMERR;     /* unsigned: nothing parsed to sign with */
	} else {
		/* NOTZONE and NOTAUTH of the zone section are answered signed, like the rest. */
		info->rcode = check_and_run(st, &m, rc, msg, len, peer, now, &sg, info);
	}
	size_t n = answer(&m, msg, info->rcode, &sg, now, out, cap);
	update_msg_free(&m);
	return n;
}
