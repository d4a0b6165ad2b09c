/* libFuzzer target: any bytes as a DNS query to dnsd's answer path, over UDP and TCP limits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include "dnsd/answer.h"
#include "dnsd/pkt.h"
#include "shared/store/zone_ops.h"
#include "tests/fuzz/fuzz_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void load(struct store *st)
{
	static const char zone[] =
		"$ORIGIN fuzz.example.\n$TTL 300\n@ SOA ns hostmaster 1 3600 900 1209600 300\n@ NS ns\n"
		"ns A 192.0.2.1\n@ MX 10 mx\nmx A 192.0.2.2\nmx AAAA 2001:db8::2\nwww CNAME @\n"
		"a CNAME b\nb CNAME a\nout CNAME www.example.net.\n*.wild TXT \"w\"\n*.wild MX 5 mx\n"
		"x.y.z A 192.0.2.3\nsub NS ns.sub\nns.sub A 192.0.2.4\n_s._tcp SRV 0 0 53 ns\n"
		"d DNAME y.z.fuzz.example.\nl1 DNAME l2\nl2 DNAME l1\nto-sub CNAME a.sub\n"
		"dout DNAME example.net.\nlong DNAME "
		"a23456789012345678901234567890123456789012345678901234567890123."
		"b23456789012345678901234567890123456789012345678901234567890123."
		"c23456789012345678901234567890123456789012345678901234567890123.\n"
		"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789\"\n"
		"big TXT \"1123456789012345678901234567890123456789012345678901234567890123456789\"\n"
		"big TXT \"2123456789012345678901234567890123456789012345678901234567890123456789\"\n"
		"big TXT \"3123456789012345678901234567890123456789012345678901234567890123456789\"\n"
		"big TXT \"4123456789012345678901234567890123456789012345678901234567890123456789\"\n"
		"big TXT \"5123456789012345678901234567890123456789012345678901234567890123456789\"\n"
		"big TXT \"6123456789012345678901234567890123456789012345678901234567890123456789\"\n"
		"big TXT \"7123456789012345678901234567890123456789012345678901234567890123456789\"\n";
	static const uint8_t apex[] = "\4fuzz\7example";
	fuzz_load_zone(st, zone, sizeof(zone) - 1, apex);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct store *st;
	static uint8_t out[65535];
	static struct cookie_secrets secrets = { .configured = true, .n = 1, .key = { { 1, 2, 3 } } };
	static const struct answer_opts opts = { .udp_max = 1232, .cookies = &secrets,
		                                 .now = 1795345200 };
	static const struct sockaddr_in client = { .sin_family = AF_INET,
		                                   .sin_addr = { .s_addr = 0x0100007f } };
	static struct answer_cache cache;
	static uint8_t cached[65535];
	if (st == NULL) {
		st = fuzz_store();
		load(st);
		if (answer_cache_init(&cache, ANSWER_CACHE_MIN) != 0)
			abort();
	}
	struct store_txn t;
	MDB_cursor *cur;
	if (store_begin(st, false, 0, &t) != 0 || store_cursor(&t, STORE_RRSETS, &cur) != 0)
		abort();
	for (int tcp = 0; tcp < 2; tcp++) {
		struct answer_info info;
		/* UDP from an address (cookies hash it), TCP from none. */
		const struct sockaddr *from = tcp ? NULL : (const struct sockaddr *)&client;
		size_t len = answer_query(&t, cur, NULL, &opts, data, size, out, sizeof(out), tcp,
		                          from, &info);
		/* Built, then kept, then taken from the cache: the same bytes each time. */
		answer_cache_sync(&cache, mdb_txn_id(t.txn));
		for (int k = 0; k < 2; k++)
			if (answer_query(&t, cur, &cache, &opts, data, size, cached, sizeof(cached), tcp,
			                 from, &info) != len || memcmp(cached, out, len) != 0)
				abort();
		/* An answer fits its transport, keeps the query's id, and is a response. */
		if (len > (tcp ? 65535u : 4096u) || (len > 0 && len < PKT_HDR))
			abort();
		if (len > 0 && (size < 2 || memcmp(out, data, 2) != 0 || !(out[2] & 0x80)))
			abort();
		if (!tcp && len > 512 && !info.edns)
			abort();
	}
	mdb_cursor_close(cur);
	store_abort(&t);
	return 0;
}
