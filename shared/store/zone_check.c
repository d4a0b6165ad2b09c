/* Zone validation rules: per record, per RRset, per name. */
#include "shared/dns/rrtext.h"
#include "shared/store/zone_check.h"

int zone_check_rr(const struct rr *rr, const uint8_t *apex, struct diag *d)
{
	char name[DNAME_STR_MAX], zone[DNAME_STR_MAX];
	if (!dname_is_sub(rr->owner, apex)) {
		diag_add(d, DIAG_ERROR, rr->file, rr->line, "%s is outside the zone %s",
		         dname_format(name, rr->owner), dname_format(zone, apex));
		return -1;
	}
	if (rr->ttl > TTL_MAX) {
		diag_add(d, DIAG_ERROR, rr->file, rr->line, "TTL %u is above %u (RFC 2181)",
		         rr->ttl, TTL_MAX);
		return -1;
	}
	switch (rr->type) {
	case 0: case T_OPT: case T_IXFR: case T_AXFR: case 253: case 254: case T_ANY:
		diag_add(d, DIAG_ERROR, rr->file, rr->line, "type %s cannot be stored in a zone",
		         rr_type_name(rr->type, name, sizeof(name)));
		return -1;
	case T_SOA:
		if (!dname_equal(rr->owner, apex)) {
			diag_add(d, DIAG_ERROR, rr->file, rr->line, "SOA at %s is not at the zone apex",
			         dname_format(name, rr->owner));
			return -1;
		}
		if (soa_serial_offset(rr->rdata, rr->rdlen) < 0) {
			diag_add(d, DIAG_ERROR, rr->file, rr->line, "malformed SOA data");
			return -1;
		}
		break;
	}
	return 0;
}

/* The name inside an MX, NS or CNAME RDATA, or NULL. */
static const uint8_t *target(uint16_t type, const struct rdata *r)
{
	size_t off = type == T_MX ? 2 : 0;
	if (r->len <= off || dname_wire_len(r->p + off, r->len - off) < 0)
		return NULL;
	return r->p + off;
}

void zone_check_rrset(const uint8_t *owner, uint16_t type, const struct rdata *rd, size_t n,
                      struct diag *d)
{
	char name[DNAME_STR_MAX], host[DNAME_STR_MAX];
	if (n > RRSET_MAX_RECORDS) {
		diag_add(d, DIAG_ERROR, rd[0].file, rd[0].line, "%zu records in one RRset at %s (limit %u)",
		         n, dname_format(name, owner), RRSET_MAX_RECORDS);
		return;
	}
	if ((type == T_SOA || type == T_CNAME || type == T_DNAME) && n > 1)
		diag_add(d, DIAG_ERROR, rd[1].file, rd[1].line, "a second %s record at %s",
		         type == T_SOA ? "SOA" : type == T_CNAME ? "CNAME" : "DNAME",
		         dname_format(name, owner));
	if (type != T_MX && type != T_NS)
		return;
	const char *tn = type == T_MX ? "MX" : "NS";
	for (size_t i = 0; i < n; i++) {
		const uint8_t *t = target(type, &rd[i]);
		if (t == NULL)
			diag_add(d, DIAG_ERROR, rd[i].file, rd[i].line, "malformed %s data at %s", tn,
			         dname_format(name, owner));
		else if (type == T_MX && t[0] == 0 && n > 1)
			diag_add(d, DIAG_ERROR, rd[i].file, rd[i].line,
			         "a null MX (RFC 7505) at %s must be the only MX record",
			         dname_format(name, owner));
		else if (type == T_NS && t[0] == 0)
			diag_add(d, DIAG_ERROR, rd[i].file, rd[i].line, "NS at %s points at the root",
			         dname_format(name, owner));
		else if (!dname_is_hostname(t))
			diag_add(d, DIAG_WARNING, rd[i].file, rd[i].line,
			         "%s target %s of %s is not a valid host name", tn, dname_format(host, t),
			         dname_format(name, owner));
	}
}

void zone_check_name(const uint8_t *owner, const uint16_t *types, size_t n, const char *file,
                     unsigned line, struct diag *d)
{
	char name[DNAME_STR_MAX];
	bool cname = false;
	size_t other = 0;
	for (size_t i = 0; i < n; i++) {
		if (types[i] == T_CNAME)
			cname = true;
		else if (types[i] != T_RRSIG && types[i] != T_NSEC)   /* RFC 4035 2.5 */
			other++;
	}
	if (cname && other)
		diag_add(d, DIAG_ERROR, file, line, "CNAME at %s beside other data (RFC 1034 3.6.2)",
		         dname_format(name, owner));
}
