/*
 * libFuzzer target: DNS UPDATE messages through dnsd's whole update path. The first byte
 * chooses: odd, the rest is signed here with the zone's key (so policies, prerequisites and
 * the edit are reached); even, the rest goes as it is (parsing, TSIG refusals).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include "dnsd/pkt.h"
#include "dnsd/update.h"
#include "shared/dns/tsig.h"
#include "shared/store/tsig_key.h"
#include "shared/store/update_policy.h"
#include "tests/fuzz/fuzz_store.h"

#define FUZZ_NOW 1795345200u
#define FUZZ_MSG_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tsig_key key = { .name = "\3upd", .alg = TSIG_HMAC_SHA256, .secret_len = 32 };

static void load(struct store *st)
{
	static const char zone[] =
		"$ORIGIN fuzz.example.\n$TTL 300\n@ SOA ns hostmaster 1 3600 900 1209600 300\n@ NS ns\n"
		"@ NS ns2\nns A 192.0.2.1\nns2 A 192.0.2.5\n@ MX 10 mx\nmx A 192.0.2.2\n"
		"www A 192.0.2.3\nwww A 192.0.2.4\nalias CNAME www\n*.wild TXT \"w\"\n";
	static const uint8_t apex[] = "\4fuzz\7example";
	struct store_txn t;
	struct zone_info z;
	struct update_policy all = { .key = "\3upd" };
	fuzz_load_zone(st, zone, sizeof(zone) - 1, apex);
	memset(key.secret, 7, key.secret_len);
	if (store_begin(st, true, 0, &t) != 0 || zone_get(&t, apex, &z) != 0)
		abort();
	tsig_key_put(&t, &key);
	update_policy_put(&t, z.id, &all);
	if (store_commit(&t) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct store *st;
	static uint8_t msg[FUZZ_MSG_MAX + TSIG_RR_MAX], out[UPDATE_ANSWER_MAX];
	static const struct sockaddr_in peer = { .sin_family = AF_INET,
		                                 .sin_addr = { .s_addr = 0x0100007f } };
	struct update_info info;
	if (st == NULL) {
		st = fuzz_store();
		load(st);
	}
	if (size < 1 || size - 1 > FUZZ_MSG_MAX)
		return 0;
	size_t len = size - 1;
	memcpy(msg, data + 1, len);
	if ((data[0] & 1) && len >= PKT_HDR) {
		struct tsig_sign_opts o = { .time = FUZZ_NOW, .now = FUZZ_NOW };
		uint8_t mac[TSIG_MAC_MAX];
		size_t mac_len, n = tsig_sign(msg, len, sizeof(msg), &key, &o, mac, &mac_len);
		len = n ? n : len;
	}
	size_t n = update_process(st, msg, len, (const struct sockaddr *)&peer, FUZZ_NOW, out,
	                          sizeof(out), &info);
	/* An answer is a response with the request's id and opcode, within its buffer. */
	if (n > sizeof(out) || (n > 0 && n < PKT_HDR))
		abort();
	if (n > 0 && (memcmp(out, msg, 2) != 0 || !(out[2] & 0x80) ||
	              PKT_OPCODE(wire_get16(out + PKT_FLAGS)) != PKT_OPCODE(wire_get16(msg + PKT_FLAGS))))
		abort();
	return 0;
}
