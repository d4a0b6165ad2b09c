/* Unit tests for RRset keys (canonical order, split back) and the tagged stored value. */
#include "tests/unit/unit.h"
#include "shared/store/rrset.h"
#include "shared/dns/wire.h"

static int key(uint8_t out[RRSET_KEY_MAX], uint32_t id, const char *owner, uint16_t type)
{
	int n = rrset_key(out, id, N(owner), N("example.com."), type);
	assert_true(n > 0);
	return n;
}

/* memcmp order of two keys, as LMDB sorts them: <0, 0, >0. */
static int key_cmp(uint32_t ida, const char *a, uint16_t ta, uint32_t idb, const char *b,
                   uint16_t tb)
{
	uint8_t ka[RRSET_KEY_MAX], kb[RRSET_KEY_MAX];
	int la = key(ka, ida, a, ta), lb = key(kb, idb, b, tb);
	return rdata_cmp(ka, (size_t)la, kb, (size_t)lb);
}

static void test_key_order(void **state)
{
	/* RFC 4034 6.1 order, a name's own RRsets before its children, type order within a name. */
	static const struct { uint32_t id; const char *owner; uint16_t type; } order[] = {
		{ 1, "example.com.", 1 }, { 1, "example.com.", 2 }, { 1, "example.com.", 6 },
		{ 1, "example.com.", 0xffff }, { 1, "a.example.com.", 1 }, { 1, "Z.a.example.com.", 1 },
		{ 1, "zABC.a.example.com.", 1 }, { 1, "z.example.com.", 1 },
		{ 1, "\\001.z.example.com.", 1 }, { 1, "*.z.example.com.", 1 },
		{ 1, "*.z.example.com.", 16 }, { 2, "example.com.", 1 }, { 256, "a.example.com.", 1 },
	};
	size_t n = sizeof(order) / sizeof(order[0]);
	for (size_t i = 0; i + 1 < n; i++)
		if (key_cmp(order[i].id, order[i].owner, order[i].type, order[i + 1].id,
		            order[i + 1].owner, order[i + 1].type) >= 0)
			fail_msg("%s/%u does not sort before %s/%u", order[i].owner, order[i].type,
			         order[i + 1].owner, order[i + 1].type);
	/* Case does not matter. */
	assert_int_equal(key_cmp(1, "WWW.example.com.", 1, 1, "www.EXAMPLE.com.", 1), 0);
	(void)state;
}

static void test_key_layout_and_split(void **state)
{
	uint8_t k[RRSET_KEY_MAX], kp[RRSET_KEY_MAX], owner[DNAME_MAX];
	uint16_t type = 0;
	int n = key(k, 0x01020304, "example.com.", 6);
	/* zone id, empty owner (the apex), the 0 separator, the type. */
	assert_int_equal(n, 4 + 1 + 2);
	assert_string_equal(unit_hex(k, (size_t)n), "01020304000006");
	assert_int_equal(rrset_key_split(k, (size_t)n, N("example.com."), owner, &type), 0);
	assert_true(dname_equal(owner, N("example.com.")));
	assert_int_equal(type, 6);

	n = key(k, 7, "Mail.Sub.example.com.", 15);
	int p = rrset_name_prefix(kp, 7, N("mail.sub.example.com."), N("example.com."));
	assert_int_equal(p + 2, n);
	assert_memory_equal(k, kp, (size_t)p);     /* the prefix is the key without its type */
	assert_int_equal(wire_get16(k + n - 2), 15);
	assert_int_equal(rrset_key_split(k, (size_t)n, N("example.com."), owner, &type), 0);
	assert_true(dname_equal(owner, N("mail.sub.example.com.")));
	assert_int_equal(owner[1], 'm');                /* lower case */
	assert_int_equal(type, 15);

	/* Not at or below the apex. */
	assert_int_equal(rrset_key(k, 1, N("example.org."), N("example.com."), 1), -1);
	assert_int_equal(rrset_key(k, 1, N("com."), N("example.com."), 1), -1);
	assert_int_equal(rrset_name_prefix(k, 1, N("xexample.com."), N("example.com.")), -1);
	/* Keys that are not keys. */
	assert_int_equal(rrset_key_split(k, 6, N("example.com."), owner, &type), -1);
	n = key(k, 7, "www.example.com.", 1);
	k[n - 3] = 1;                                   /* no separator before the type */
	assert_int_equal(rrset_key_split(k, (size_t)n, N("example.com."), owner, &type), -1);
	(void)state;
}

static void test_encode_decode(void **state)
{
	static const uint8_t r1[] = { 192, 0, 2, 1 }, r2[] = { 192, 0, 2, 2 };
	const struct rdata rd[3] = { { r1, NULL, 0, 4 }, { r2, NULL, 0, 4 }, { NULL, NULL, 0, 0 } };
	uint8_t buf[64];
	size_t len = rrset_encoded_size(rd, 3);
	assert_int_equal(len, RRSET_HDR + 6 + 6 + 2);
	rrset_encode(buf, 86400, rd, 3);
	assert_int_equal(buf[0], RRSET_TAG);
	assert_int_equal(buf[1], RRSET_VERSION);
	struct rrset_view v;
	assert_int_equal(rrset_decode(buf, len, &v), 0);
	assert_int_equal(v.ttl, 86400);
	assert_int_equal(v.count, 3);
	assert_int_equal(v.len, len - RRSET_HDR);
	size_t pos = 0;
	const uint8_t *p;
	uint16_t rl;
	assert_true(rrset_next(&v, &pos, &p, &rl));
	assert_int_equal(rl, 4);
	assert_memory_equal(p, r1, 4);
	assert_true(rrset_next(&v, &pos, &p, &rl));
	assert_memory_equal(p, r2, 4);
	assert_true(rrset_next(&v, &pos, &p, &rl));
	assert_int_equal(rl, 0);
	assert_false(rrset_next(&v, &pos, &p, &rl));

	/* An empty RRset is a header alone. */
	assert_int_equal(rrset_encoded_size(rd, 0), RRSET_HDR);
	rrset_encode(buf, 5, rd, 0);
	assert_int_equal(rrset_decode(buf, RRSET_HDR, &v), 0);
	assert_int_equal(v.count, 0);
	pos = 0;
	assert_false(rrset_next(&v, &pos, &p, &rl));
	(void)state;
}

static void test_decode_refuses(void **state)
{
	static const uint8_t r1[] = { 1, 2, 3 };
	const struct rdata rd[2] = { { r1, NULL, 0, 3 }, { r1, NULL, 0, 3 } };
	uint8_t good[32], bad[33];
	struct rrset_view v;
	size_t len = rrset_encoded_size(rd, 2);
	rrset_encode(good, 1, rd, 2);
	assert_int_equal(rrset_decode(good, len, &v), 0);
	for (size_t cut = 0; cut < len; cut++)
		assert_int_equal(rrset_decode(good, cut, &v), -1);       /* every truncation */
	memcpy(bad, good, len);
	bad[len] = 0;
	assert_int_equal(rrset_decode(bad, len + 1, &v), -1);        /* trailing byte */
	memcpy(bad, good, len);
	bad[0] = 'Z';
	assert_int_equal(rrset_decode(bad, len, &v), -1);            /* tag */
	memcpy(bad, good, len);
	bad[1] = RRSET_VERSION + 1;
	assert_int_equal(rrset_decode(bad, len, &v), -1);            /* newer version */
	memcpy(bad, good, len);
	wire_put16(bad + 8, 1);
	assert_int_equal(rrset_decode(bad, len, &v), -1);            /* count too small */
	wire_put16(bad + 8, 3);
	assert_int_equal(rrset_decode(bad, len, &v), -1);            /* count too large */
	memcpy(bad, good, len);
	wire_put16(bad + RRSET_HDR, 4);
	assert_int_equal(rrset_decode(bad, len, &v), -1);            /* a length past the end */
	(void)state;
}

static void test_rdata_cmp(void **state)
{
	static const uint8_t a[] = { 1, 2, 3 }, b[] = { 1, 2, 4 }, c[] = { 0xff };
	assert_int_equal(rdata_cmp(a, 3, a, 3), 0);
	assert_true(rdata_cmp(a, 3, b, 3) < 0);
	assert_true(rdata_cmp(b, 3, a, 3) > 0);
	assert_true(rdata_cmp(a, 2, a, 3) < 0);     /* a prefix sorts first */
	assert_true(rdata_cmp(a, 3, a, 2) > 0);
	assert_true(rdata_cmp(a, 3, c, 1) < 0);     /* octets compare unsigned */
	assert_int_equal(rdata_cmp(a, 0, b, 0), 0);
	assert_true(rdata_cmp(a, 0, b, 1) < 0);
	(void)state;
}

static void test_soa_serial_offset(void **state)
{
	uint8_t soa[64];
	size_t m = 5, r = 1;          /* "\3ns1\0" and the root */
	memcpy(soa, "\3ns1\0\0", 6);
	memset(soa + m + r, 0, 20);
	wire_put32(soa + m + r, 2024010101);
	assert_int_equal(soa_serial_offset(soa, m + r + 20), 6);
	assert_int_equal(wire_get32(soa + soa_serial_offset(soa, m + r + 20)), 2024010101);
	assert_int_equal(soa_serial_offset(soa, m + r + 19), -1);    /* one number short */
	assert_int_equal(soa_serial_offset(soa, m + r + 21), -1);    /* a byte too many */
	assert_int_equal(soa_serial_offset(soa, 3), -1);             /* MNAME cut */
	soa[0] = 64;                                                 /* not a label length */
	assert_int_equal(soa_serial_offset(soa, m + r + 20), -1);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_order),
		cmocka_unit_test(test_key_layout_and_split),
		cmocka_unit_test(test_encode_decode),
		cmocka_unit_test(test_decode_refuses),
		cmocka_unit_test(test_rdata_cmp),
		cmocka_unit_test(test_soa_serial_offset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
