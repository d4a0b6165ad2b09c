/* Unit tests for DNS UPDATE: message parsing and prescan, TSIG, policy, prerequisites, changes. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <ldns/ldns.h>
#include "tests/unit/unit.h"
#include "dnsd/pkt.h"
#include "dnsd/query.h"
#include "dnsd/update.h"
#include "shared/dns/serial.h"
#include "shared/dns/tsig.h"
#include "shared/dns/wire.h"
#include "shared/util/err.h"
#include "shared/store/tsig_key.h"
#include "shared/store/update_policy.h"
#include "shared/store/zone_check.h"
#include "shared/store/zone_ops.h"

#define NOW 1700000000u

struct fixture {
	char *dir;
	struct store *st;
	struct tsig_key key, limited, stranger;
};

static const char zone[] =
	"$ORIGIN example.com.\n$TTL 300\n"
	"@ SOA ns1 hostmaster 7 3600 900 1209600 60\n@ NS ns1\n@ NS ns2\nns1 A 192.0.2.1\n"
	"ns2 A 192.0.2.2\n@ MX 10 mx1\nmx1 A 192.0.2.25\nwww A 192.0.2.80\nwww A 192.0.2.81\n";

static struct tsig_key make_key(const char *name, uint8_t fill)
{
	struct tsig_key k = { .alg = TSIG_HMAC_SHA256, .secret_len = 32 };
	assert_int_equal(tsig_key_name(name, k.name), 0);
	memset(k.secret, fill, k.secret_len);
	return k;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct store_txn t;
	struct zone_info z;
	f->dir = temp_dir();
	assert_int_equal(store_open(&f->st, f->dir, 0), 0);
	unit_import(f->st, zone, "example.com.");
	f->key = make_key("upd", 1);
	f->limited = make_key("lim", 2);
	f->stranger = make_key("nopolicy", 3);
	assert_int_equal(store_begin(f->st, true, 0, &t), 0);
	assert_int_equal(zone_get(&t, N("example.com."), &z), 0);
	tsig_key_put(&t, &f->key);
	tsig_key_put(&t, &f->limited);
	tsig_key_put(&t, &f->stranger);
	struct update_policy all = { 0 }, lim = { .nnames = 1, .ntypes = 1, .types = { T_A } };
	memcpy(all.key, f->key.name, sizeof(all.key));
	memcpy(lim.key, f->limited.name, sizeof(lim.key));
	assert_int_equal(update_policy_pattern("*.dyn", N("example.com."), &lim.names[0]), 0);
	update_policy_put(&t, z.id, &all);
	update_policy_put(&t, z.id, &lim);
	assert_int_equal(store_commit(&t), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_close(f->st);
	rm_tree(f->dir);
	free(f);
	return 0;
}

/* A record for a section: text, with class cls; empty drops the RDATA (class ANY/NONE forms). */
static void add_rr(ldns_rr_list *l, const char *text, ldns_rr_class cls, bool empty)
{
	ldns_rr *rr = NULL;
	if (empty) {
		char owner[256], type[32];
		assert_int_equal(sscanf(text, "%255s %*s %*s %31s", owner, type), 2);
		rr = ldns_rr_new();
		ldns_rr_set_owner(rr, ldns_dname_new_frm_str(owner));
		ldns_rr_set_type(rr, ldns_get_rr_type_by_name(type));
		ldns_rr_set_ttl(rr, 0);
	} else {
		assert_int_equal(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL), LDNS_STATUS_OK);
	}
	ldns_rr_set_class(rr, cls);
	ldns_rr_list_push_rr(l, rr);
}

/* The wire form of an UPDATE of example.com. with prerequisites pr and changes up, signed
 * with k when k is not NULL. */
static size_t build(uint8_t *out, size_t cap, ldns_rr_list *pr, ldns_rr_list *up,
                    const struct tsig_key *k)
{
	ldns_rdf *z = ldns_dname_new_frm_str("example.com.");
	ldns_pkt *p = ldns_update_pkt_new(z, LDNS_RR_CLASS_IN, pr, up, NULL);
	uint8_t *wire = NULL;
	size_t len = 0;
	ldns_pkt_set_id(p, 4242);
	assert_int_equal(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	assert_true(len <= cap);
	memcpy(out, wire, len);
	free(wire);
	ldns_pkt_free(p);
	if (k) {
		struct tsig_sign_opts o = { .time = NOW, .now = NOW };
		uint8_t mac[TSIG_MAC_MAX];
		size_t mac_len;
		len = tsig_sign(out, len, cap, k, &o, mac, &mac_len);
		assert_true(len > 0);
	}
	return len;
}

/* Runs one update: the answer's RCODE (info filled). */
static int run(struct fixture *f, const uint8_t *msg, size_t len, struct update_info *info)
{
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(5353) };
	uint8_t out[UPDATE_ANSWER_MAX];
	inet_pton(AF_INET, "127.0.0.1", &peer.sin_addr);
	size_t n = update_process(f->st, msg, len, (struct sockaddr *)&peer, NOW, out, sizeof(out),
	                          info);
	assert_true(n >= PKT_HDR);
	assert_int_equal(wire_get16(out + PKT_ID), wire_get16(msg + PKT_ID));
	assert_true(out[PKT_FLAGS] & 0x80);
	assert_int_equal(PKT_OPCODE(wire_get16(out + PKT_FLAGS)), PKT_OPCODE_UPDATE);
	assert_int_equal(out[PKT_FLAGS + 1] & 0x0f, info->rcode & 0x0f);
	return info->rcode;
}

/* Builds and runs: lists consumed. */
static int update(struct fixture *f, ldns_rr_list *pr, ldns_rr_list *up, const struct tsig_key *k,
                  struct update_info *info)
{
	uint8_t msg[4096];
	size_t len = build(msg, sizeof(msg), pr, up, k);
	return run(f, msg, len, info);
}

/* Records at owner/type in the store, and the zone's serial. */
static uint32_t count(struct fixture *f, const char *owner, uint16_t type, uint32_t *serial)
{
	struct store_txn t;
	struct zone_info z;
	uint8_t key[RRSET_KEY_MAX];
	MDB_val v;
	struct rrset_view view = { 0 };
	assert_int_equal(store_begin(f->st, false, 0, &t), 0);
	assert_int_equal(zone_get(&t, N("example.com."), &z), 0);
	if (serial)
		assert_int_equal(zone_serial(&t, &z, serial), 0);
	int kl = rrset_key(key, z.id, N(owner), z.apex, type);
	if (store_get(&t, STORE_RRSETS, key, (size_t)kl, &v) == 0)
		assert_int_equal(rrset_decode(v.mv_data, v.mv_size, &view), 0);
	store_abort(&t);
	return view.count;
}

static ldns_rr_list *L(void)
{
	return ldns_rr_list_new();
}

static void test_parse(void **state)
{
	struct update_msg m;
	uint8_t msg[4096];
	ldns_rr_list *up = L(), *pr = L();
	(void)state;
	/* A compressed, mixed-case MX target comes out decompressed and in lower case. */
	add_rr(up, "Mail.Example.COM. 300 IN MX 10 MX9.example.COM.", LDNS_RR_CLASS_IN, false);
	add_rr(pr, "www.example.com. 0 IN A 192.0.2.80", LDNS_RR_CLASS_ANY, true);
	size_t len = build(msg, sizeof(msg), pr, up, NULL);
	assert_int_equal(update_msg_parse(msg, len, &m), 0);
	assert_int_equal(m.npre, 1);
	assert_int_equal(m.nupd, 1);
	assert_true(dname_equal(m.zone, N("example.com.")));
	assert_true(dname_equal(m.upd[0].rr.owner, N("mail.example.com.")));
	assert_int_equal(m.upd[0].rr.rdlen, 2 + 17);
	assert_memory_equal(m.upd[0].rr.rdata + 2, "\3mx9\7example\3com\0", 17);
	assert_int_equal(m.pre[0].cls, UPDATE_CLASS_ANY);
	assert_int_equal(m.pre[0].rr.rdlen, 0);
	update_msg_free(&m);

	/* A response, and a short message: no answer. */
	msg[PKT_FLAGS] |= 0x80;
	assert_int_equal(update_msg_parse(msg, len, &m), -1);
	update_msg_free(&m);
	msg[PKT_FLAGS] &= 0x7f;
	assert_int_equal(update_msg_parse(msg, 11, &m), -1);
	update_msg_free(&m);
	/* Truncated anywhere after the header: FORMERR, never a read past the end. */
	for (size_t cut = PKT_HDR; cut < len; cut++) {
		int rc = update_msg_parse(msg, cut, &m);
		assert_int_equal(rc, RCODE_FORMERR);
		update_msg_free(&m);
	}
	/* Two zones; a zone of type A; counts over the limits. */
	uint8_t bad[4096];
	memcpy(bad, msg, len);
	wire_put16(bad + PKT_QDCOUNT, 2);
	assert_int_equal(update_msg_parse(bad, len, &m), RCODE_FORMERR);
	update_msg_free(&m);
	memcpy(bad, msg, len);
	wire_put16(bad + PKT_HDR + 13, T_A);      /* "example.com." is 13 bytes */
	assert_int_equal(update_msg_parse(bad, len, &m), RCODE_FORMERR);
	update_msg_free(&m);
	memcpy(bad, msg, len);
	wire_put16(bad + PKT_NSCOUNT, UPDATE_MAX_CHANGES + 1);
	assert_int_equal(update_msg_parse(bad, len, &m), RCODE_FORMERR);
	update_msg_free(&m);
	/* Another class: not a zone of ours. */
	memcpy(bad, msg, len);
	wire_put16(bad + PKT_HDR + 15, 3);
	assert_int_equal(update_msg_parse(bad, len, &m), RCODE_NOTAUTH);
	update_msg_free(&m);
}

static void test_prescan(void **state)
{
	static const struct { const char *text; ldns_rr_class cls; bool empty, prereq; int rcode; }
	cases[] = {
		{ "www.example.org. 0 IN A 192.0.2.1", LDNS_RR_CLASS_IN, false, false, RCODE_NOTZONE },
		{ "www.example.org. 0 IN A 192.0.2.1", LDNS_RR_CLASS_ANY, true, true, RCODE_NOTZONE },
		{ "www.example.com. 300 IN A 192.0.2.1", LDNS_RR_CLASS_IN, false, true, RCODE_FORMERR },
		{ "www.example.com. 0 IN A 192.0.2.1", LDNS_RR_CLASS_ANY, false, false, RCODE_FORMERR },
		{ "www.example.com. 0 IN A 192.0.2.1", LDNS_RR_CLASS_ANY, false, true, RCODE_FORMERR },
		{ "www.example.com. 0 IN A 192.0.2.1", LDNS_RR_CLASS_CH, false, false, RCODE_FORMERR },
		{ "www.example.com. 300 IN A 192.0.2.1", LDNS_RR_CLASS_NONE, false, false, RCODE_FORMERR },
		{ "www.example.com. 0 IN AXFR", LDNS_RR_CLASS_ANY, true, false, RCODE_FORMERR },
		{ "www.example.com. 0 IN A 192.0.2.1", LDNS_RR_CLASS_NONE, false, false, 0 },
		{ "www.example.com. 0 IN A 192.0.2.1", LDNS_RR_CLASS_ANY, true, false, 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct update_msg m;
		uint8_t msg[4096];
		ldns_rr_list *pr = L(), *up = L();
		ldns_rr *rr = NULL;
		if (strstr(cases[i].text, "AXFR")) {
			rr = ldns_rr_new();
			ldns_rr_set_owner(rr, ldns_dname_new_frm_str("www.example.com."));
			ldns_rr_set_type(rr, LDNS_RR_TYPE_AXFR);
			ldns_rr_set_class(rr, cases[i].cls);
			ldns_rr_list_push_rr(up, rr);
		} else {
			add_rr(cases[i].prereq ? pr : up, cases[i].text, cases[i].cls, cases[i].empty);
		}
		size_t len = build(msg, sizeof(msg), pr, up, NULL);
		int rc = update_msg_parse(msg, len, &m);
		update_msg_free(&m);
		if (rc != cases[i].rcode)
			fail_msg("case %zu (%s): rcode %d, want %d", i, cases[i].text, rc, cases[i].rcode);
	}
}

static void test_signature_and_policy(void **state)
{
	struct fixture *f = *state;
	struct update_info info;
	uint32_t before, after;
	struct tsig_key unknown = make_key("unknown", 1), wrong = f->key;
	wrong.secret[0] ^= 1;
	count(f, "example.com.", T_SOA, &before);
	const struct { const struct tsig_key *k; int rcode; uint16_t tsig; } cases[] = {
		{ NULL, RCODE_REFUSED, 0 },                     /* unsigned */
		{ &unknown, RCODE_NOTAUTH, TSIG_BADKEY },
		{ &wrong, RCODE_NOTAUTH, TSIG_BADSIG },
		{ &f->stranger, RCODE_REFUSED, 0 },             /* no policy */
		{ &f->limited, RCODE_REFUSED, 0 },              /* outside *.dyn */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ldns_rr_list *up = L();
		add_rr(up, "new.example.com. 300 IN A 192.0.2.9", LDNS_RR_CLASS_IN, false);
		assert_int_equal(update(f, L(), up, cases[i].k, &info), cases[i].rcode);
		assert_int_equal(info.tsig_error, cases[i].tsig);
		assert_int_equal(count(f, "new.example.com.", T_A, &after), 0);
		assert_int_equal(after, before);
	}
	/* The limited key: A below dyn, not AAAA, not dyn itself; one refusal refuses all. */
	ldns_rr_list *up = L();
	add_rr(up, "h.dyn.example.com. 300 IN A 192.0.2.9", LDNS_RR_CLASS_IN, false);
	add_rr(up, "h.dyn.example.com. 300 IN AAAA 2001:db8::9", LDNS_RR_CLASS_IN, false);
	assert_int_equal(update(f, L(), up, &f->limited, &info), RCODE_REFUSED);
	assert_int_equal(count(f, "h.dyn.example.com.", T_A, NULL), 0);
	up = L();
	add_rr(up, "h.dyn.example.com. 300 IN A 192.0.2.9", LDNS_RR_CLASS_IN, false);
	assert_int_equal(update(f, L(), up, &f->limited, &info), RCODE_NOERROR);
	assert_int_equal(count(f, "h.dyn.example.com.", T_A, &after), 1);
	assert_true(after != before);
	assert_string_equal(info.key, "lim");
	/* The default policy refuses SOA. */
	up = L();
	add_rr(up, "example.com. 300 IN SOA ns1.example.com. h.example.com. 99 1 1 1 1",
	       LDNS_RR_CLASS_IN, false);
	assert_int_equal(update(f, L(), up, &f->key, &info), RCODE_REFUSED);
	/* A zone we do not have: NOTAUTH. */
	uint8_t msg[4096];
	ldns_rr_list *u2 = L();
	add_rr(u2, "a.example.net. 300 IN A 192.0.2.9", LDNS_RR_CLASS_IN, false);
	ldns_pkt *p = ldns_update_pkt_new(ldns_dname_new_frm_str("example.net."), LDNS_RR_CLASS_IN,
	                                  L(), u2, NULL);
	uint8_t *wire;
	size_t len;
	assert_int_equal(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	memcpy(msg, wire, len);
	free(wire);
	ldns_pkt_free(p);
	struct tsig_sign_opts o = { .time = NOW, .now = NOW };
	uint8_t mac[TSIG_MAC_MAX];
	size_t mac_len;
	len = tsig_sign(msg, len, sizeof(msg), &f->key, &o, mac, &mac_len);
	assert_int_equal(run(f, msg, len, &info), RCODE_NOTAUTH);
}

static void test_prerequisites(void **state)
{
	struct fixture *f = *state;
	struct update_info info;
	const struct { const char *text; ldns_rr_class cls; bool empty; int rcode; } cases[] = {
		{ "www.example.com. 0 IN A 192.0.2.1", LDNS_RR_CLASS_NONE, true, RCODE_YXRRSET },
		{ "www.example.com. 0 IN ANY", LDNS_RR_CLASS_NONE, true, RCODE_YXDOMAIN },
		{ "nope.example.com. 0 IN ANY", LDNS_RR_CLASS_ANY, true, RCODE_NXDOMAIN },
		{ "www.example.com. 0 IN AAAA ::1", LDNS_RR_CLASS_ANY, true, RCODE_NXRRSET },
		{ "www.example.com. 0 IN A 192.0.2.80", LDNS_RR_CLASS_IN, false, RCODE_NXRRSET },
		{ "www.example.com. 0 IN A 192.0.2.80", LDNS_RR_CLASS_ANY, true, RCODE_NOERROR },
		{ "nope.example.com. 0 IN ANY", LDNS_RR_CLASS_NONE, true, RCODE_NOERROR },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ldns_rr_list *pr = L(), *up = L();
		add_rr(pr, cases[i].text, cases[i].cls, cases[i].empty);
		add_rr(up, "p.example.com. 300 IN TXT \"x\"", LDNS_RR_CLASS_IN, false);
		int rc = update(f, pr, up, &f->key, &info);
		if (rc != cases[i].rcode)
			fail_msg("case %zu (%s): rcode %d, want %d", i, cases[i].text, rc, cases[i].rcode);
		assert_int_equal(count(f, "p.example.com.", T_TXT, NULL), rc == 0 ? 1 : 0);
		ldns_rr_list *del = L();
		add_rr(del, "p.example.com. 0 IN TXT \"x\"", LDNS_RR_CLASS_ANY, true);
		assert_int_equal(update(f, L(), del, &f->key, &info), 0);
	}
	/* Value-dependent: the whole RRset, in any order and with duplicates, matches. */
	ldns_rr_list *pr = L(), *up = L();
	add_rr(pr, "www.example.com. 0 IN A 192.0.2.81", LDNS_RR_CLASS_IN, false);
	add_rr(pr, "www.example.com. 0 IN A 192.0.2.80", LDNS_RR_CLASS_IN, false);
	add_rr(pr, "www.example.com. 0 IN A 192.0.2.81", LDNS_RR_CLASS_IN, false);
	add_rr(up, "q.example.com. 300 IN TXT \"y\"", LDNS_RR_CLASS_IN, false);
	assert_int_equal(update(f, pr, up, &f->key, &info), 0);
	assert_int_equal(count(f, "q.example.com.", T_TXT, NULL), 1);
}

static void test_changes(void **state)
{
	struct fixture *f = *state;
	struct update_info info;
	uint32_t s0, s1;
	ldns_rr_list *up = L();
	count(f, "example.com.", T_SOA, &s0);
	/* Add, add again (no duplicate), delete one RR, delete an RRset. */
	add_rr(up, "www.example.com. 300 IN A 192.0.2.82", LDNS_RR_CLASS_IN, false);
	add_rr(up, "www.example.com. 300 IN A 192.0.2.82", LDNS_RR_CLASS_IN, false);
	add_rr(up, "www.example.com. 0 IN A 192.0.2.80", LDNS_RR_CLASS_NONE, false);
	add_rr(up, "mx1.example.com. 0 IN A 192.0.2.25", LDNS_RR_CLASS_ANY, true);
	add_rr(up, "example.com. 300 IN MX 20 mx2.example.com.", LDNS_RR_CLASS_IN, false);
	assert_int_equal(update(f, L(), up, &f->key, &info), 0);
	assert_int_equal(count(f, "www.example.com.", T_A, &s1), 2);
	assert_true(serial_gt(s1, s0));
	assert_int_equal(count(f, "mx1.example.com.", T_A, NULL), 0);
	assert_int_equal(count(f, "example.com.", T_MX, NULL), 2);
	/* The apex keeps its SOA and NS: RRset deletes and the last NS are ignored. */
	up = L();
	add_rr(up, "example.com. 0 IN NS ns1.example.com.", LDNS_RR_CLASS_ANY, true);
	add_rr(up, "example.com. 0 IN NS ns1.example.com.", LDNS_RR_CLASS_NONE, false);
	add_rr(up, "example.com. 0 IN NS ns2.example.com.", LDNS_RR_CLASS_NONE, false);
	assert_int_equal(update(f, L(), up, &f->key, &info), 0);
	assert_int_equal(count(f, "example.com.", T_NS, NULL), 1);
	up = L();
	add_rr(up, "example.com. 0 IN ANY", LDNS_RR_CLASS_ANY, true);
	assert_int_equal(update(f, L(), up, &f->key, &info), 0);
	assert_int_equal(count(f, "example.com.", T_NS, NULL), 1);
	assert_int_equal(count(f, "example.com.", T_SOA, NULL), 1);
	assert_int_equal(count(f, "example.com.", T_MX, NULL), 0);
	/* Nothing to do: NOERROR, serial unchanged. */
	up = L();
	add_rr(up, "gone.example.com. 0 IN ANY", LDNS_RR_CLASS_ANY, true);
	count(f, "example.com.", T_SOA, &s0);
	assert_int_equal(update(f, L(), up, &f->key, &info), 0);
	count(f, "example.com.", T_SOA, &s1);
	assert_int_equal(s0, s1);
	/* A record the zone's rules refuse (data below a DNAME): REFUSED, nothing written. */
	up = L();
	add_rr(up, "q2.example.com. 300 IN TXT \"z\"", LDNS_RR_CLASS_IN, false);
	add_rr(up, "d.example.com. 300 IN DNAME example.net.", LDNS_RR_CLASS_IN, false);
	add_rr(up, "x.d.example.com. 300 IN A 192.0.2.1", LDNS_RR_CLASS_IN, false);
	assert_int_equal(update(f, L(), up, &f->key, &info), RCODE_REFUSED);
	assert_int_equal(count(f, "q2.example.com.", T_TXT, NULL), 0);
}

/* RFC 2136 3.4.2.2: a CNAME beside other data is ignored, not refused; the rest applies. */
static void test_cname_rule(void **state)
{
	struct fixture *f = *state;
	struct update_info info;
	uint32_t s0, s1;
	ldns_rr_list *up = L();
	add_rr(up, "q2.example.com. 300 IN TXT \"z\"", LDNS_RR_CLASS_IN, false);
	add_rr(up, "www.example.com. 300 IN CNAME mx1.example.com.", LDNS_RR_CLASS_IN, false);
	add_rr(up, "cn.example.com. 300 IN CNAME mx1.example.com.", LDNS_RR_CLASS_IN, false);
	/* Within one update, order decides: the CNAME came first, so the A is ignored. */
	add_rr(up, "cn.example.com. 300 IN A 192.0.2.7", LDNS_RR_CLASS_IN, false);
	add_rr(up, "n1.example.com. 300 IN A 192.0.2.7", LDNS_RR_CLASS_IN, false);
	add_rr(up, "n1.example.com. 300 IN CNAME mx1.example.com.", LDNS_RR_CLASS_IN, false);
	assert_int_equal(update(f, L(), up, &f->key, &info), 0);
	assert_int_equal(count(f, "q2.example.com.", T_TXT, &s0), 1);
	assert_int_equal(count(f, "www.example.com.", T_CNAME, NULL), 0);
	assert_int_equal(count(f, "www.example.com.", T_A, NULL), 2);
	assert_int_equal(count(f, "cn.example.com.", T_CNAME, NULL), 1);
	assert_int_equal(count(f, "cn.example.com.", T_A, NULL), 0);
	assert_int_equal(count(f, "n1.example.com.", T_A, NULL), 1);
	assert_int_equal(count(f, "n1.example.com.", T_CNAME, NULL), 0);
	/* A CNAME replaces the CNAME; data at the CNAME is ignored: both in one update. */
	up = L();
	add_rr(up, "cn.example.com. 300 IN CNAME www.example.com.", LDNS_RR_CLASS_IN, false);
	add_rr(up, "cn.example.com. 300 IN MX 10 mx1.example.com.", LDNS_RR_CLASS_IN, false);
	assert_int_equal(update(f, L(), up, &f->key, &info), 0);
	assert_int_equal(count(f, "cn.example.com.", T_CNAME, &s1), 1);
	assert_int_equal(count(f, "cn.example.com.", T_MX, NULL), 0);
	assert_true(serial_gt(s1, s0));
	/* Only ignored records: no change, the serial stays. */
	up = L();
	add_rr(up, "www.example.com. 300 IN CNAME mx1.example.com.", LDNS_RR_CLASS_IN, false);
	assert_int_equal(update(f, L(), up, &f->key, &info), 0);
	assert_int_equal(info.changes, 0);
	count(f, "example.com.", T_SOA, &s0);
	assert_int_equal(s0, s1);
	/* The A deleted first, the CNAME then finds the name free. */
	up = L();
	add_rr(up, "n1.example.com. 0 IN A", LDNS_RR_CLASS_ANY, true);
	add_rr(up, "n1.example.com. 300 IN CNAME mx1.example.com.", LDNS_RR_CLASS_IN, false);
	assert_int_equal(update(f, L(), up, &f->key, &info), 0);
	assert_int_equal(count(f, "n1.example.com.", T_CNAME, NULL), 1);
	assert_int_equal(count(f, "n1.example.com.", T_A, NULL), 0);
}

static void test_policy_store(void **state)
{
	struct fixture *f = *state;
	struct update_pattern pat;
	char text[DNAME_STR_MAX + 2];
	(void)f;
	assert_int_equal(update_policy_pattern("*.sub.example.com.", N("example.com."), &pat), 0);
	assert_true(pat.wild);
	assert_string_equal(update_policy_pattern_text(&pat, text), "*.sub.example.com.");
	assert_int_equal(update_policy_pattern("www.example.org.", N("example.com."), &pat), -1);
	assert_int_equal(update_policy_pattern("*.", N("example.com."), &pat), -1);
	struct update_policy p = { .nnames = 1 };
	assert_int_equal(update_policy_pattern("*.sub", N("example.com."), &p.names[0]), 0);
	assert_true(update_policy_allows(&p, N("a.sub.example.com."), T_TXT));
	assert_true(update_policy_allows(&p, N("b.a.sub.example.com."), T_TXT));
	assert_false(update_policy_allows(&p, N("sub.example.com."), T_TXT));
	assert_false(update_policy_allows(&p, N("a.sub.example.com."), T_SOA));
	p.ntypes = 1;
	p.types[0] = T_TXT;
	assert_false(update_policy_allows(&p, N("a.sub.example.com."), T_A));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_prescan),
		cmocka_unit_test_setup_teardown(test_signature_and_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prerequisites, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cname_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_store, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
