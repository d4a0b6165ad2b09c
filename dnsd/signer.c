/* Signed queries: a key lookup and tsig_verify before the answer, tsig_sign after each message. */
#include <string.h>
#include "dnsd/signer.h"
#include "shared/util/err.h"
#include "shared/store/tsig_key.h"

void signer_check(struct signer *s, struct store_txn *t, const uint8_t *msg, size_t len,
                  uint64_t now)
{
	struct tsig_rr rr;
	memset(s, 0, sizeof(*s));
	int rc = tsig_find(msg, len, &rr);
	if (rc == LS_ENOTFOUND)
		return;
	s->present = true;
	if (rc) {
		s->error = SIGNER_FORMERR;
		return;
	}
	memcpy(s->key.name, rr.name, sizeof(rr.name));
	memcpy(s->alg_wire, rr.alg_wire, (size_t)dname_wire_len(rr.alg_wire, DNAME_MAX));
	s->time = rr.time;
	s->orig_id = rr.orig_id;
	/* An unknown key or algorithm is BADKEY (RFC 8945 5.2.1), checked before the MAC. */
	if (rr.alg == TSIG_ALG_UNKNOWN || tsig_key_get(t, rr.name, &s->key) != 0 ||
	    s->key.alg != rr.alg) {
		tsig_key_wipe(&s->key);
		s->error = TSIG_BADKEY;
		return;
	}
	rc = tsig_verify(msg, &rr, &s->key, NULL, 0, false, now);
	s->error = rc == LS_EPARSE ? SIGNER_FORMERR : rc;
	memcpy(s->mac, rr.mac, rr.mac_len);
	s->mac_len = rr.mac_len;
}

size_t signer_room(const struct signer *s)
{
	if (!s->present || s->error == SIGNER_FORMERR)
		return 0;
	bool signs = s->error == TSIG_NOERROR || s->error == TSIG_BADTIME;
	return (size_t)dname_wire_len(s->key.name, DNAME_MAX) + 10 +
	       (size_t)dname_wire_len(s->alg_wire, DNAME_MAX) + 16 +
	       (signs ? tsig_alg_mac_len(s->key.alg) : 0) + TSIG_OTHER_MAX;
}

size_t signer_finish(struct signer *s, uint8_t *out, size_t len, size_t cap, uint64_t now)
{
	if (!s->present || s->error == SIGNER_FORMERR)
		return len;              /* a FORMERR answer is not signed: there is nothing to sign with */
	if (s->error == TSIG_BADKEY || s->error == TSIG_BADSIG) {
		struct tsig_rr req = { .alg_wire = s->alg_wire, .time = s->time, .orig_id = s->orig_id };
		memcpy(req.name, s->key.name, sizeof(req.name));
		return tsig_append_error(out, len, cap, &req, (uint16_t)s->error);
	}
	/* BADTIME answers are signed with the request's time, so the client can check them. */
	struct tsig_sign_opts o = { .time = s->error == TSIG_BADTIME ? s->time : now, .now = now,
	                            .error = (uint16_t)s->error, .prior = s->mac,
	                            .prior_len = s->mac_len, .timers_only = s->nsigned > 0 };
	uint8_t mac[TSIG_MAC_MAX];
	size_t mac_len = 0;
	size_t n = tsig_sign(out, len, cap, &s->key, &o, mac, &mac_len);
	if (n) {
		memcpy(s->mac, mac, mac_len);
		s->mac_len = mac_len;
		s->nsigned++;
	}
	return n;
}

const char *signer_error_text(int error)
{
	switch (error) {
	case TSIG_NOERROR: return "NOERROR";
	case TSIG_BADSIG: return "BADSIG";
	case TSIG_BADKEY: return "BADKEY";
	case TSIG_BADTIME: return "BADTIME";
	case SIGNER_FORMERR: return "malformed TSIG";
	default: return "TSIG error";
	}
}
