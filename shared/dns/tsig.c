/* TSIG on the wire: our own bounded parsing of the record, MACs with mbedTLS. */
#include <string.h>
#include <mbedtls/md.h>
#include "shared/util/err.h"
#include "shared/dns/tsig.h"
#include "shared/dns/wire.h"

#define HDR 12
#define MAX_LABELS 128               /* a name has at most 127 labels; pointers count too */

static const struct {
	const char *name;
	const uint8_t *wire;             /* the algorithm's name in the TSIG record */
	mbedtls_md_type_t md;
	size_t mac_len;
} algs[] = {
	[TSIG_HMAC_SHA1] = { "hmac-sha1", (const uint8_t *)"\011hmac-sha1", MBEDTLS_MD_SHA1, 20 },
	[TSIG_HMAC_SHA256] = { "hmac-sha256", (const uint8_t *)"\013hmac-sha256", MBEDTLS_MD_SHA256, 32 },
	[TSIG_HMAC_SHA512] = { "hmac-sha512", (const uint8_t *)"\013hmac-sha512", MBEDTLS_MD_SHA512, 64 },
};
#define NALGS (sizeof(algs) / sizeof(algs[0]))

const char *tsig_alg_name(enum tsig_alg alg)
{
	return alg > 0 && (size_t)alg < NALGS ? algs[alg].name : NULL;
}

int tsig_alg_parse(const char *text, enum tsig_alg *out)
{
	for (size_t i = 1; i < NALGS; i++)
		if (strcmp(text, algs[i].name) == 0) {
			*out = (enum tsig_alg)i;
			return 0;
		}
	return -1;
}

size_t tsig_alg_mac_len(enum tsig_alg alg)
{
	return alg > 0 && (size_t)alg < NALGS ? algs[alg].mac_len : 0;
}

static enum tsig_alg alg_of_wire(const uint8_t *w)
{
	uint8_t lower[DNAME_MAX];
	memcpy(lower, w, (size_t)dname_wire_len(w, DNAME_MAX));
	dname_lower(lower);
	for (size_t i = 1; i < NALGS; i++)
		if (dname_equal(lower, algs[i].wire))
			return (enum tsig_alg)i;
	return TSIG_ALG_UNKNOWN;
}

/* Decompresses the name at off into out (lower case): pointers may only point backwards. */
static int read_name(const uint8_t *m, size_t len, size_t off, uint8_t out[DNAME_MAX])
{
	size_t n = 0;
	for (int hops = 0; hops < MAX_LABELS && off < len; hops++) {
		uint8_t l = m[off];
		if ((l & 0xc0) == 0xc0) {
			if (off + 2 > len)
				return -1;
			size_t to = (size_t)(l & 0x3f) << 8 | m[off + 1];
			if (to >= off)
				return -1;
			off = to;
			continue;
		}
		if (l > DNAME_LABEL_MAX || off + 1 + l > len || n + 1 + l > DNAME_MAX)
			return -1;
		memcpy(out + n, m + off, (size_t)l + 1);
		n += (size_t)l + 1;
		if (l == 0) {
			dname_lower(out);
			return 0;
		}
		off += (size_t)l + 1;
	}
	return -1;
}

int tsig_find(const uint8_t *msg, size_t len, struct tsig_rr *out)
{
	if (len < HDR)
		return LS_EPARSE;
	uint32_t qd = wire_get16(msg + 4), rrs = (uint32_t)wire_get16(msg + 6) +
	              wire_get16(msg + 8) + wire_get16(msg + 10);
	size_t off = HDR;
	for (uint32_t i = 0; i < qd; i++) {
		off = dname_skip(msg, len, off);
		if (off == 0 || off + 4 > len)
			return LS_EPARSE;
		off += 4;
	}
	for (uint32_t i = 0; i < rrs; i++) {
		size_t start = off;
		off = dname_skip(msg, len, off);
		if (off == 0 || off + 10 > len)
			return LS_EPARSE;
		uint16_t type = wire_get16(msg + off), rdlen = wire_get16(msg + off + 8);
		size_t rd = off + 10, end = rd + rdlen;
		if (end > len)
			return LS_EPARSE;
		if (type == TSIG_TYPE) {
			/* Only as the last record, in additional, with nothing after it (RFC 8945 5.1). */
			if (i + 1 != rrs || i < rrs - wire_get16(msg + 10) || end != len)
				return LS_EPARSE;
			memset(out, 0, sizeof(*out));
			out->off = start;
			if (read_name(msg, len, start, out->name) != 0 ||
			    wire_get16(msg + off + 2) != TSIG_CLASS || wire_get32(msg + off + 4) != 0)
				return LS_EPARSE;
			int al = dname_wire_len(msg + rd, rdlen);
			if (al < 0 || rd + (size_t)al + 10 > end)
				return LS_EPARSE;
			out->alg_wire = msg + rd;
			out->alg = alg_of_wire(msg + rd);
			const uint8_t *p = msg + rd + al;
			out->time = (uint64_t)wire_get16(p) << 32 | wire_get32(p + 2);
			out->fudge = wire_get16(p + 6);
			out->mac_len = wire_get16(p + 8);
			out->mac = p + 10;
			p += 10;
			if (p + out->mac_len + 6 > msg + end)
				return LS_EPARSE;
			p += out->mac_len;
			out->orig_id = wire_get16(p);
			out->error = wire_get16(p + 2);
			out->other_len = wire_get16(p + 4);
			out->other = p + 6;
			if (p + 6 + out->other_len != msg + end)
				return LS_EPARSE;
			return 0;
		}
		off = end;
	}
	return LS_ENOTFOUND;
}

/* The MAC over: prior MAC, the message as it was before the TSIG, the TSIG variables. */
static int compute(const struct tsig_key *key, const uint8_t *prior, size_t prior_len,
                   const uint8_t *msg, size_t len, uint16_t id, uint16_t arcount,
                   bool timers_only, uint64_t time, uint16_t fudge, uint16_t error,
                   const uint8_t *other, uint16_t other_len, uint8_t *mac)
{
	mbedtls_md_context_t ctx;
	uint8_t hdr[HDR], v[32];
	const mbedtls_md_info_t *info = mbedtls_md_info_from_type(algs[key->alg].md);
	int rc = -1;
	mbedtls_md_init(&ctx);
	if (info == NULL || mbedtls_md_setup(&ctx, info, 1) != 0 ||
	    mbedtls_md_hmac_starts(&ctx, key->secret, key->secret_len) != 0)
		goto fail;
	if (prior) {
		wire_put16(v, (uint16_t)prior_len);
		mbedtls_md_hmac_update(&ctx, v, 2);
		mbedtls_md_hmac_update(&ctx, prior, prior_len);
	}
	/* The message with its original ID and without the TSIG in ARCOUNT (RFC 8945 4.3.2). */
	memcpy(hdr, msg, HDR);
	wire_put16(hdr, id);
	wire_put16(hdr + 10, arcount);
	mbedtls_md_hmac_update(&ctx, hdr, HDR);
	mbedtls_md_hmac_update(&ctx, msg + HDR, len - HDR);
	if (!timers_only) {
		mbedtls_md_hmac_update(&ctx, key->name, (size_t)dname_wire_len(key->name, DNAME_MAX));
		wire_put16(v, TSIG_CLASS);
		wire_put32(v + 2, 0);
		mbedtls_md_hmac_update(&ctx, v, 6);
		mbedtls_md_hmac_update(&ctx, algs[key->alg].wire,
		                       (size_t)dname_wire_len(algs[key->alg].wire, DNAME_MAX));
	}
	wire_put16(v, (uint16_t)(time >> 32));
	wire_put32(v + 2, (uint32_t)time);
	wire_put16(v + 6, fudge);
	if (timers_only) {
		mbedtls_md_hmac_update(&ctx, v, 8);
	} else {
		wire_put16(v + 8, error);
		wire_put16(v + 10, other_len);
		mbedtls_md_hmac_update(&ctx, v, 12);
		mbedtls_md_hmac_update(&ctx, other, other_len);
	}
	rc = mbedtls_md_hmac_finish(&ctx, mac) == 0 ? 0 : -1;
fail:
	mbedtls_md_free(&ctx);
	return rc;
}

int tsig_verify(const uint8_t *msg, const struct tsig_rr *rr, const struct tsig_key *key,
                const uint8_t *prior, size_t prior_len, bool timers_only, uint64_t now)
{
	uint8_t mac[TSIG_MAC_MAX];
	size_t full = tsig_alg_mac_len(key->alg);
	if (rr->alg != key->alg || full == 0 || !dname_equal(rr->name, key->name))
		return TSIG_BADKEY;
	if (rr->mac_len > full)
		return LS_EPARSE;
	/* A truncated MAC must keep at least half the hash and 10 bytes (RFC 8945 5.2.2.1). */
	if (rr->mac_len < TSIG_MAC_MIN || rr->mac_len < full / 2)
		return TSIG_BADSIG;
	if (compute(key, prior, prior_len, msg, rr->off, rr->orig_id,
	            (uint16_t)(wire_get16(msg + 10) - 1), timers_only, rr->time, rr->fudge,
	            rr->error, rr->other, rr->other_len, mac) != 0)
		return TSIG_BADSIG;
	uint8_t diff = 0;            /* constant time: no early exit on the first wrong byte */
	for (size_t i = 0; i < rr->mac_len; i++)
		diff |= mac[i] ^ rr->mac[i];
	if (diff)
		return TSIG_BADSIG;
	if (now + rr->fudge < rr->time || rr->time + rr->fudge < now)
		return TSIG_BADTIME;
	return TSIG_NOERROR;
}

/* Writes the TSIG record (owner, type, class, TTL, RDATA) at msg + len; returns its end. */
static size_t put_rr(uint8_t *msg, size_t len, size_t cap, const uint8_t *name,
                     const uint8_t *alg_wire, uint64_t time, const uint8_t *mac, size_t mac_len,
                     uint16_t orig_id, uint16_t error, const uint8_t *other, size_t other_len)
{
	size_t nl = (size_t)dname_wire_len(name, DNAME_MAX);
	size_t al = (size_t)dname_wire_len(alg_wire, DNAME_MAX);
	size_t rdlen = al + 10 + mac_len + 6 + other_len;
	if (len + nl + 10 + rdlen > cap)
		return 0;
	uint8_t *p = msg + len;
	memcpy(p, name, nl);
	p += nl;
	wire_put16(p, TSIG_TYPE);
	wire_put16(p + 2, TSIG_CLASS);
	wire_put32(p + 4, 0);
	wire_put16(p + 8, (uint16_t)rdlen);
	p += 10;
	memcpy(p, alg_wire, al);
	p += al;
	wire_put16(p, (uint16_t)(time >> 32));
	wire_put32(p + 2, (uint32_t)time);
	wire_put16(p + 6, TSIG_FUDGE);
	wire_put16(p + 8, (uint16_t)mac_len);
	if (mac_len)
		memcpy(p + 10, mac, mac_len);
	p += 10 + mac_len;
	wire_put16(p, orig_id);
	wire_put16(p + 2, error);
	wire_put16(p + 4, (uint16_t)other_len);
	if (other_len)
		memcpy(p + 6, other, other_len);
	wire_put16(msg + 10, (uint16_t)(wire_get16(msg + 10) + 1));
	return (size_t)(p + 6 + other_len - msg);
}

size_t tsig_sign(uint8_t *msg, size_t len, size_t cap, const struct tsig_key *key,
                 const struct tsig_sign_opts *o, uint8_t *mac, size_t *mac_len)
{
	uint8_t other[TSIG_OTHER_MAX];
	size_t other_len = 0;
	size_t full = tsig_alg_mac_len(key->alg);
	if (full == 0 || len < HDR)
		return 0;
	if (o->error == TSIG_BADTIME) {
		/* The server's own time, so the client can see the difference (RFC 8945 5.2.3). */
		wire_put16(other, (uint16_t)(o->now >> 32));
		wire_put32(other + 2, (uint32_t)o->now);
		other_len = 6;
	}
	if (compute(key, o->prior, o->prior_len, msg, len, wire_get16(msg), wire_get16(msg + 10),
	            o->timers_only, o->time, TSIG_FUDGE, o->error, other, (uint16_t)other_len,
	            mac) != 0)
		return 0;
	*mac_len = full;
	return put_rr(msg, len, cap, key->name, algs[key->alg].wire, o->time, mac, full,
	              wire_get16(msg), o->error, other, other_len);
}

size_t tsig_append_error(uint8_t *msg, size_t len, size_t cap, const struct tsig_rr *req,
                         uint16_t error)
{
	return put_rr(msg, len, cap, req->name, req->alg_wire, req->time, NULL, 0, req->orig_id,
	              error, NULL, 0);
}
