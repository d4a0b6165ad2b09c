/* Unit tests for dnsd's message writer and answer path, on a temporary store. */
#include <ldns/ldns.h>
#include "tests/unit/unit.h"
#include "dnsd/answer.h"
#include "dnsd/pkt.h"
#include "shared/store/zone_ops.h"

struct fixture {
	char *dir;
	struct store *st;
	struct store_txn t;
	MDB_cursor *cur;
};

static const char zone[] =
	"$ORIGIN example.com.\n$TTL 300\n"
	"@ SOA ns1 hostmaster 7 3600 900 1209600 60\n@ NS ns1\nns1 A 192.0.2.1\n"
	"@ MX 10 mx1\nmx1 A 192.0.2.25\nwww A 192.0.2.80\nalias CNAME www\n"
	"*.wild TXT \"wild\"\nsub NS ns.sub\nns.sub A 192.0.2.53\n"
	"d DNAME tgt\nx.tgt A 192.0.2.9\nl1 DNAME l2\nl2 DNAME l1\nto-sub CNAME h.sub\n"
	"long DNAME a23456789012345678901234567890123456789012345678901234567890123."
	"b23456789012345678901234567890123456789012345678901234567890123."
	"c23456789012345678901234567890123456789012345678901234567890123.\n"
	"big TXT \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n"
	"big TXT \"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"\n"
	"big TXT \"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\"\n";

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->dir = temp_dir();
	assert_int_equal(store_open(&f->st, f->dir, 0), 0);
	unit_import(f->st, zone, "example.com.");
	assert_int_equal(store_begin(f->st, false, 0, &f->t), 0);
	assert_int_equal(store_cursor(&f->t, STORE_RRSETS, &f->cur), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	mdb_cursor_close(f->cur);
	store_abort(&f->t);
	store_close(f->st);
	rm_tree(f->dir);
	free(f);
	return 0;
}

/* Asks name/type (EDNS payload edns, 0 for none) and parses the answer with ldns. */
static ldns_pkt *ask(struct fixture *f, const char *name, ldns_rr_type type, uint16_t edns,
                     bool tcp, struct answer_info *info, size_t *len)
{
	static uint8_t out[65535];
	static const struct answer_opts o = { .udp_max = 1232 };
	ldns_pkt *q = NULL;
	assert_int_equal(ldns_pkt_query_new_frm_str(&q, name, type, LDNS_RR_CLASS_IN, 0), LDNS_STATUS_OK);
	ldns_pkt_set_id(q, 4242);
	if (edns) {
		ldns_pkt_set_edns_udp_size(q, edns);
		ldns_pkt_set_edns_do(q, true);     /* setting the size alone does not add an OPT */
	}
	uint8_t *wire;
	size_t wlen;
	assert_int_equal(ldns_pkt2wire(&wire, q, &wlen), LDNS_STATUS_OK);
	ldns_pkt_free(q);
	*len = answer_query(&f->t, f->cur, NULL, &o, wire, wlen, out, sizeof(out), tcp, NULL, info);
	free(wire);
	ldns_pkt *a = NULL;
	if (*len)
		assert_int_equal(ldns_wire2pkt(&a, out, *len), LDNS_STATUS_OK);
	return a;
}

/* What an answer's header says; -1 where a case does not care. */
struct expect {
	const char *name;
	ldns_rr_type type;
	uint16_t edns;
	bool tcp;
	int rcode, aa, tc, an, ns, ar;
};

static const struct expect answers[] = {
	{ "Example.COM.", LDNS_RR_TYPE_MX, 0, false, LDNS_RCODE_NOERROR, 1, 0, 1, -1, 1 },  /* + mx1's A */
	{ "nope.example.com.", LDNS_RR_TYPE_A, 0, false, LDNS_RCODE_NXDOMAIN, 1, -1, 0, 1, -1 },
	{ "www.example.com.", LDNS_RR_TYPE_AAAA, 0, false, LDNS_RCODE_NOERROR, 1, -1, 0, 1, -1 },
	{ "other.org.", LDNS_RR_TYPE_A, 0, false, LDNS_RCODE_REFUSED, 0, -1, -1, -1, -1 },
	/* The CNAME and www's A. */
	{ "alias.example.com.", LDNS_RR_TYPE_A, 0, false, LDNS_RCODE_NOERROR, 1, -1, 2, -1, -1 },
	{ "x.wild.example.com.", LDNS_RR_TYPE_TXT, 0, false, LDNS_RCODE_NOERROR, 1, -1, 1, -1, -1 },
	/* A referral with glue. */
	{ "www.sub.example.com.", LDNS_RR_TYPE_A, 0, false, LDNS_RCODE_NOERROR, 0, -1, 0, 1, 1 },
	/* DNAME (RFC 6672): the DNAME, the CNAME made from it, the target's A. */
	{ "x.d.example.com.", LDNS_RR_TYPE_A, 0, false, LDNS_RCODE_NOERROR, 1, -1, 3, 0, -1 },
	{ "y.d.example.com.", LDNS_RR_TYPE_A, 0, false, LDNS_RCODE_NXDOMAIN, 1, -1, 2, 1, -1 },
	{ "d.example.com.", LDNS_RR_TYPE_A, 0, false, LDNS_RCODE_NOERROR, 1, -1, 0, 1, -1 },
	/* A loop: two DNAMEs and two CNAMEs, then the name comes back. */
	{ "x.l1.example.com.", LDNS_RR_TYPE_A, 0, false, LDNS_RCODE_NOERROR, 1, -1, 4, 0, -1 },
	/* A rewrite over 255 octets: YXDOMAIN with the DNAME. */
	{ "a123456789012345678901234567890123456789012345678901234567890.b12345678901234567890."
	  "long.example.com.", LDNS_RR_TYPE_A, 0, false, 6, 1, -1, 1, 0, -1 },
	/* A CNAME into the delegation: the CNAME, then the referral with glue, AA kept. */
	{ "to-sub.example.com.", LDNS_RR_TYPE_A, 0, false, LDNS_RCODE_NOERROR, 1, -1, 1, 1, 1 },
	/* ANY at a CNAME: the CNAME alone; DS at the apex: NODATA. */
	{ "alias.example.com.", LDNS_RR_TYPE_ANY, 0, false, LDNS_RCODE_NOERROR, 1, -1, 1, 0, -1 },
	{ "example.com.", LDNS_RR_TYPE_DS, 0, false, LDNS_RCODE_NOERROR, 1, -1, 0, 1, -1 },
	/* Three 200-byte strings: too much for 512 bytes, fine for 1232 and for TCP. */
	{ "big.example.com.", LDNS_RR_TYPE_TXT, 0, false, LDNS_RCODE_NOERROR, -1, 1, 0, -1, -1 },
	{ "big.example.com.", LDNS_RR_TYPE_TXT, 1232, false, LDNS_RCODE_NOERROR, -1, 0, 3, -1, -1 },
	{ "big.example.com.", LDNS_RR_TYPE_TXT, 0, true, LDNS_RCODE_NOERROR, -1, 0, 3, -1, -1 },
};

static void test_answers(void **state)
{
	struct fixture *f = *state;
	for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		const struct expect *e = &answers[i];
		struct answer_info info;
		size_t len;
		ldns_pkt *a = ask(f, e->name, e->type, e->edns, e->tcp, &info, &len);
		assert_non_null(a);
		const int got[] = { (int)ldns_pkt_get_rcode(a), ldns_pkt_aa(a), ldns_pkt_tc(a),
		                    ldns_pkt_ancount(a), ldns_pkt_nscount(a), ldns_pkt_arcount(a) };
		const int want[] = { e->rcode, e->aa, e->tc, e->an, e->ns, e->ar };
		for (size_t k = 0; k < 6; k++)
			if (want[k] >= 0 && got[k] != want[k])
				fail_msg("%s/%d: header field %zu is %d, want %d", e->name, e->type, k, got[k],
				         want[k]);
		assert_int_equal(ldns_pkt_id(a), 4242);
		assert_int_equal(info.truncated, ldns_pkt_tc(a));
		ldns_pkt_free(a);
	}
}

static void test_compression(void **state)
{
	struct answer_info info;
	size_t len;
	ldns_pkt *a = ask(*state, "Example.COM.", LDNS_RR_TYPE_MX, 0, false, &info, &len);
	/* Header 12, question 17, answer: owner pointer 2 + 10 + pref 2 + "mx1" + pointer 2 = 20,
	 * additional: "mx1" pointer 2 + 10 + 4 = 16. Without compression it would be longer. */
	assert_int_equal(len, 12 + 17 + 20 + 16);
	ldns_pkt_free(a);
}

static void test_answer_details(void **state)
{
	struct answer_info info;
	size_t len;
	ldns_pkt *a = ask(*state, "nope.example.com.", LDNS_RR_TYPE_A, 0, false, &info, &len);
	/* RFC 2308: the lower of the SOA's TTL (300) and its minimum (60). */
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_authority(a), 0)), 60);
	ldns_pkt_free(a);
	a = ask(*state, "x.wild.example.com.", LDNS_RR_TYPE_TXT, 0, false, &info, &len);
	char *owner = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_answer(a), 0)));
	assert_string_equal(owner, "x.wild.example.com.");
	free(owner);
	ldns_pkt_free(a);
	a = ask(*state, "big.example.com.", LDNS_RR_TYPE_TXT, 0, false, &info, &len);
	assert_true(len <= 512);
	ldns_pkt_free(a);
	a = ask(*state, "big.example.com.", LDNS_RR_TYPE_TXT, 1232, false, &info, &len);
	assert_int_equal(ldns_pkt_edns_udp_size(a), 1232);
	assert_true(ldns_pkt_edns_do(a));            /* DO echoed */
	ldns_pkt_free(a);
}

static void test_malformed(void **state)
{
	struct fixture *f = *state;
	static const struct answer_opts o = { .udp_max = 1232 };
	struct answer_info info;
	uint8_t out[512];
	static const uint8_t response[12] = { 0, 1, 0x80, 0, 0, 1 };
	static const uint8_t two_questions[] = { 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1,
	                                         0, 0, 1, 0, 1 };
	static const uint8_t pointer[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1 };
	assert_int_equal(answer_query(&f->t, f->cur, NULL, &o, response, 5, out, sizeof(out), false, NULL,
	                              &info), 0);
	assert_int_equal(answer_query(&f->t, f->cur, NULL, &o, response, 12, out, sizeof(out), false, NULL,
	                              &info), 0);
	assert_true(info.dropped);
	size_t len = answer_query(&f->t, f->cur, NULL, &o, two_questions, sizeof(two_questions), out,
	                          sizeof(out), false, NULL, &info);
	assert_int_equal(len, 12);
	assert_int_equal(out[3] & 0xf, 1);   /* FORMERR */
	len = answer_query(&f->t, f->cur, NULL, &o, pointer, sizeof(pointer), out, sizeof(out), false, NULL,
	                   &info);
	assert_int_equal(len, 12);
	assert_int_equal(out[3] & 0xf, 1);
}

static void test_pkt_compression(void **state)
{
	uint8_t buf[64];
	struct pkt p;
	pkt_init(&p, buf, sizeof(buf));
	assert_true(pkt_put(&p, "\0\0\0\0\0\0\0\0\0\0\0\0", 12));
	assert_true(pkt_put_name(&p, N("www.Example.com.")));
	assert_int_equal(p.len, 12 + 17);
	assert_true(pkt_put_name(&p, N("mail.example.COM.")));   /* "mail" + pointer to example.com */
	assert_int_equal(p.len, 12 + 17 + 5 + 2);
	assert_int_equal(buf[12 + 17 + 5], 0xc0);
	assert_int_equal(buf[12 + 17 + 6], 16);                 /* offset of "example" */
	assert_true(pkt_put_name(&p, N("www.example.com.")));    /* all one pointer */
	assert_int_equal(p.len, 12 + 17 + 7 + 2);
	/* A name that does not fit leaves the message as it was. */
	size_t before = p.len;
	assert_false(pkt_put_name(&p, N("a-rather-long-label-that-does-not-fit.org.")));
	assert_int_equal(p.len, before);
	assert_true(p.full);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_compression),
		cmocka_unit_test(test_answer_details),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_pkt_compression),
	};
	/* Every test reads the same zone: one store for the group. */
	return cmocka_run_group_tests(tests, setup, teardown);
}
