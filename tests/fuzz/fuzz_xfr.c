/*
 * libFuzzer target: transfer requests and TSIG. The first byte picks the client address
 * (127.0.0.1 must sign with k1, .2 needs no key, .3 is no secondary) and whether the harness
 * signs the rest with k1 or k2 (so the fuzzer reaches the paths behind a valid MAC); the rest is
 * the query. It goes through the answer path (UDP and TCP), then xfr_start/xfr_next until the
 * transfer ends: every message must be a well-formed answer and, for a signed query, carry a
 * TSIG that verifies against the previous one.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dnsd/answer.h"
#include "dnsd/pkt.h"
#include "dnsd/query.h"
#include "dnsd/xfr.h"
#include "shared/util/err.h"
#include "shared/store/secondary.h"
#include "shared/store/tsig_key.h"
#include "shared/dns/wire.h"
#include "shared/store/zone_ops.h"
#include "tests/fuzz/fuzz_store.h"

#define NOW 1700000000u              /* the fixed clock; seeds are signed at this time */
#define MAX_MESSAGES 64              /* the zone takes a few; a loop would run forever */
#define MAX_QUERY 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tsig_key k1, k2;

static void key(struct tsig_key *k, const char *name, enum tsig_alg alg, const char *secret)
{
	memset(k, 0, sizeof(*k));
	if (tsig_key_name(name, k->name) != 0)
		abort();
	k->alg = alg;
	k->secret_len = strlen(secret);
	memcpy(k->secret, secret, k->secret_len);
}

static void load(struct store *st)
{
	static const char zone[] =
		"$ORIGIN fuzz.example.\n$TTL 300\n@ SOA ns hostmaster 1 3600 900 1209600 300\n@ NS ns\n"
		"ns A 192.0.2.1\n@ MX 10 mx\nmx A 192.0.2.2\nwww CNAME @\nsub NS ns.sub\n"
		"ns.sub A 192.0.2.4\nbig TXT \"0123456789012345678901234567890123456789\"\n";
	static const uint8_t apex[] = "\4fuzz\7example";
	static const char *const edits[] = { "add mx2 300 IN A 192.0.2.3\nadd @ 300 IN MX 20 mx2\n",
	                                     "del www CNAME\n", "set ns A 600 192.0.2.1\n" };
	struct diag d;
	struct zone_result res;
	struct store_txn t;
	struct zone_info z;
	struct secondary s;
	fuzz_load_zone(st, zone, sizeof(zone) - 1, apex);
	diag_init(&d);
	for (size_t i = 0; i < 3; i++) {
		if (zone_ops_batch(st, apex, "fuzz", edits[i], strlen(edits[i]), 0, 300, "fuzz", &d,
		                   &res) != 0)
			abort();
		zone_result_free(&res);
	}
	diag_free(&d);
	key(&k1, "k1", TSIG_HMAC_SHA256, "secret-key-for-lockstep-tests-32");
	key(&k2, "k2", TSIG_HMAC_SHA1, "sha1-secret-key-20b");
	if (store_begin(st, true, 0, &t) != 0 || zone_get(&t, apex, &z) != 0)
		abort();
	tsig_key_put(&t, &k1);
	tsig_key_put(&t, &k2);
	secondary_parse("127.0.0.1", &s);
	memcpy(s.key, "k1", 3);
	secondary_put(&t, z.id, &s);
	secondary_parse("127.0.0.2", &s);
	secondary_put(&t, z.id, &s);
	if (store_commit(&t) != 0)
		abort();
}

/* Runs a transfer to its end, checking every message and its TSIG chain. */
static void transfer(struct store *st, const uint8_t *msg, size_t len, const struct query *q,
                     const struct sockaddr *client, const struct tsig_key *k, const uint8_t *mac,
                     size_t mac_len)
{
	static uint8_t out[2 + XFR_MSG_LARGEST];
	uint8_t prev[TSIG_MAC_MAX];
	size_t prev_len = mac_len;
	struct xfr *x = xfr_start(st, msg, len, q, client, NOW);
	if (x == NULL)
		return;
	memcpy(prev, mac, mac_len);
	for (int i = 0; i < MAX_MESSAGES; i++) {
		size_t n = xfr_next(x, out, sizeof(out));
		if (n == 0)
			break;
		if (n < 2 + PKT_HDR || wire_get16(out) != n - 2 || wire_get16(out + 2) != q->id ||
		    !(out[4] & 0x80))
			abort();
		struct tsig_rr rr;
		int rc = tsig_find(out + 2, n - 2, &rr);
		if (k == NULL) {
			if (rc != LS_ENOTFOUND)
				abort();
			continue;
		}
		/* Later messages are signed at the real time: only the MAC chain is checked here. */
		if (rc != 0 || tsig_verify(out + 2, &rr, k, prev, prev_len, i > 0, rr.time) != TSIG_NOERROR)
			abort();
		memcpy(prev, rr.mac, rr.mac_len);
		prev_len = rr.mac_len;
	}
	if (xfr_failed(x) || xfr_next(x, out, sizeof(out)) != 0)
		abort();
	xfr_free(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct store *st;
	static uint8_t msg[MAX_QUERY + TSIG_RR_MAX], out[65535];
	static const struct answer_opts opts = { .udp_max = 1232, .now = NOW };
	if (st == NULL) {
		st = fuzz_store();
		load(st);
	}
	if (size < 1 || size - 1 > MAX_QUERY)
		return 0;
	struct sockaddr_in client = { .sin_family = AF_INET };
	client.sin_addr.s_addr = htonl(0x7f000001u + (data[0] & 3) % 3);
	size_t len = size - 1;
	memcpy(msg, data + 1, len);
	const struct tsig_key *k = NULL;
	uint8_t mac[TSIG_MAC_MAX];
	size_t mac_len = 0;
	if ((data[0] & 4) && len >= PKT_HDR) {
		struct tsig_sign_opts o = { .time = NOW };
		size_t n = tsig_sign(msg, len, sizeof(msg), data[0] & 8 ? &k2 : &k1, &o, mac, &mac_len);
		if (n == 0)
			return 0;
		len = n;
	}
	/* TSIG on the raw message, whatever it is; the key it names is the one answers chain to. */
	struct tsig_rr rr;
	if (tsig_find(msg, len, &rr) == 0) {
		tsig_verify(msg, &rr, &k1, NULL, 0, false, NOW);
		k = dname_equal(rr.name, k1.name) ? &k1 : dname_equal(rr.name, k2.name) ? &k2 : NULL;
		mac_len = rr.mac_len;
		memcpy(mac, rr.mac, mac_len);
	}

	struct store_txn t;
	MDB_cursor *cur;
	if (store_begin(st, false, 0, &t) != 0 || store_cursor(&t, STORE_RRSETS, &cur) != 0)
		abort();
	for (int tcp = 0; tcp < 2; tcp++) {
		struct answer_info info;
		size_t n = answer_query(&t, cur, NULL, &opts, msg, len, out, sizeof(out), tcp,
		                        (const struct sockaddr *)&client, &info);
		if (n > (tcp ? 65535u : 4096u) || (n > 0 && n < PKT_HDR))
			abort();
		if (n > 0 && (memcmp(out, msg, 2) != 0 || !(out[2] & 0x80)))
			abort();
		/* An answer to a signed query is signed, unless it is a TSIG error, FORMERR or NOTIMP. */
		unsigned rcode = out[3] & 0xf;
		if (n > 0 && k && info.rcode != 9 && rcode != 1 && rcode != 4) {
			if (tsig_find(out, n, &rr) != 0 ||
			    tsig_verify(out, &rr, k, mac, mac_len, false, NOW) != TSIG_NOERROR)
				abort();
		}
	}
	mdb_cursor_close(cur);
	store_abort(&t);

	struct query q;
	if (query_parse(msg, len, &q) == QUERY_OK && (q.qtype == 251 || q.qtype == 252))
		transfer(st, msg, len, &q, (const struct sockaddr *)&client, q.has_tsig ? k : NULL, mac,
		         mac_len);
	return 0;
}
