/* Unit tests for MTA-STS: policy text, ids, stored records, and the derivation in commits. */
#include <time.h>
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/sts/sts_derive.h"
#include "shared/sts/sts_id.h"
#include "shared/sts/sts_ops.h"
#include "shared/sts/sts_policy.h"
#include "shared/sts/sts_record.h"
#include "shared/sts/sts_rederive.h"
#include "shared/sts/sts_service.h"
#include "shared/store/zone_check.h"
#include "shared/store/zone_ops.h"
#include "shared/store/zone_edit.h"

static void test_policy_text(void **state)
{
	(void)state;
	char out[1024];
	struct sts_policy p = { .mode = STS_MODE_ENFORCE, .max_age = 86400 };
	sts_policy_add(&p, "MX2.Example.COM.");
	sts_policy_add(&p, "mx1.example.com");
	sts_policy_add(&p, "*.mail.example.net");
	sts_policy_add(&p, "mx1.example.com.");   /* the same name twice: one line */
	int n = sts_policy_format(&p, out, sizeof(out));
	assert_true(n > 0);
	assert_string_equal(out, "version: STSv1\r\nmode: enforce\r\nmx: *.mail.example.net\r\n"
	                         "mx: mx1.example.com\r\nmx: mx2.example.com\r\nmax_age: 86400\r\n");
	assert_int_equal((size_t)n, strlen(out));
	/* The same inputs in another order give the same bytes. */
	char again[1024];
	struct sts_policy q = { .mode = STS_MODE_ENFORCE, .max_age = 86400 };
	sts_policy_add(&q, "mx1.example.com.");
	sts_policy_add(&q, "*.mail.example.net");
	sts_policy_add(&q, "mx1.example.com");
	sts_policy_add(&q, "MX2.Example.COM.");
	assert_int_equal(sts_policy_format(&q, again, sizeof(again)), n);
	assert_memory_equal(out, again, (size_t)n);
	/* Mode none may have no mx lines. */
	struct sts_policy none = { .mode = STS_MODE_NONE, .max_age = 300 };
	sts_policy_format(&none, out, sizeof(out));
	assert_string_equal(out, "version: STSv1\r\nmode: none\r\nmax_age: 300\r\n");
	/* Too small a buffer is an error, not a cut policy. */
	assert_int_equal(sts_policy_format(&p, out, 40), LS_ETOOBIG);
}

static void test_policy_patterns(void **state)
{
	(void)state;
	const char *good[] = { "mx.example.com", "*.example.com", "a-b.example", "x1.y2.", NULL };
	const char *bad[] = { "", ".", "*.", "**.example.com", "mx..example.com", "-mx.example.com",
	                      "mx-.example.com", "mx_1.example.com", "m x.example.com",
	                      "*mx.example.com", "mx.*.example.com", "bücher.example", NULL };
	for (int i = 0; good[i]; i++)
		assert_int_equal(sts_policy_pattern_check(good[i]), 0);
	for (int i = 0; bad[i]; i++)
		if (sts_policy_pattern_check(bad[i]) != LS_EPARSE)
			fail_msg("pattern '%s' accepted", bad[i]);
	char out[256];
	struct sts_policy p = { .mode = STS_MODE_TESTING, .max_age = 1 };
	sts_policy_add(&p, "bad_name.example");
	assert_int_equal(sts_policy_format(&p, out, sizeof(out)), LS_EPARSE);
}

static void test_ids(void **state)
{
	(void)state;
	char id[STS_ID_MAX + 1];
	/* 2026-11-22 08:00:00 UTC: the id is that time; sts_id.c has its own test. */
	int64_t t = 1795334400;
	assert_int_equal(sts_id_next("", t, id), 0);
	assert_string_equal(id, "2026112208000000");
	assert_true(sts_id_valid(id));
	assert_int_equal(sts_id_next("abc", t, id), LS_EPARSE);
	assert_false(sts_id_valid(""));
	assert_false(sts_id_valid("a-b"));
	assert_false(sts_id_valid("123456789012345678901234567890123"));
}

struct fixture {
	char *dir;
	struct store *st;
	struct diag d;
};

static const char zone_text[] =
	"$ORIGIN example.com.\n"
	"@ 3600 IN SOA ns1 hostmaster 1 3600 900 1209600 300\n"
	"@ 3600 IN NS ns1\n"
	"ns1 3600 IN A 192.0.2.1\n"
	"@ 600 IN MX 10 mx1\n"
	"@ 600 IN MX 20 mx2\n"
	"mx1 IN A 192.0.2.10\n"
	"mx2 IN A 192.0.2.11\n"
	"alias IN CNAME mx1\n"
	"sub IN MX 0 .\n";

/* Creates the zone of master-file text in f's store. */
static void import_zone(struct fixture *f, const char *text)
{
	struct zone_result res;
	struct zonefile zf;
	char path[256];
	snprintf(path, sizeof(path), "%s/import.zone", f->dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	zonefile_init(&zf);
	assert_int_equal(zonefile_read(&zf, path, NULL, 3600, &f->d), 0);
	assert_int_equal(zone_ops_import(f->st, &zf, ZONE_TXN_CREATE, SERIAL_INCREMENT, NULL, "test",
	                                 &f->d, &res), 0);
	zone_result_free(&res);
	zonefile_free(&zf);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->dir = temp_dir();
	diag_init(&f->d);
	assert_int_equal(store_open(&f->st, f->dir, 0), 0);
	import_zone(f, zone_text);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_close(f->st);
	diag_free(&f->d);
	rm_tree(f->dir);
	free(f);
	return 0;
}

static const struct sts_service svc = { "192.0.2.80 2001:db8::80", NULL, 300 };

static int enable(struct fixture *f, const char *domain, enum sts_mode mode)
{
	struct sts_settings s = { .mode = mode, .mode_set = true };
	struct zone_result res;
	int rc = sts_ops_enable(f->st, N(domain), &s, &svc, &f->d, &res);
	zone_result_free(&res);
	return rc;
}

static int batch(struct fixture *f, const char *text)
{
	struct zone_result res;
	int rc = zone_ops_batch(f->st, N("example.com."), "test", text, strlen(text), 0, 3600,
	                        "test", &f->d, &res);
	zone_result_free(&res);
	return rc;
}

/* The record and served body of domain. */
static void get(struct fixture *f, const char *domain, struct sts_domain *d, char *body)
{
	struct store_txn t;
	const uint8_t *b;
	size_t len;
	assert_int_equal(store_begin(f->st, false, 0, &t), 0);
	assert_int_equal(sts_record_get(&t, N(domain), d), 0);
	if (body) {
		assert_int_equal(sts_record_body(&t, N(domain), &b, &len, NULL), 0);
		memcpy(body, b, len);
		body[len] = 0;
	}
	store_abort(&t);
}

/* Records in the owner/type RRset of zone apex; 1 only when it holds exactly rd. */
static int rrset_in(struct fixture *f, const char *apex, const char *owner, uint16_t type,
                    const uint8_t *rd, size_t len)
{
	uint8_t key[RRSET_KEY_MAX];
	struct store_txn t;
	struct zone_info z;
	struct rrset_view v;
	MDB_val val;
	const uint8_t *p;
	uint16_t l;
	size_t pos = 0;
	int n = 0;
	assert_int_equal(store_begin(f->st, false, 0, &t), 0);
	assert_int_equal(zone_get(&t, N(apex), &z), 0);
	int kl = rrset_key(key, z.id, N(owner), z.apex, type);
	if (store_get(&t, STORE_RRSETS, key, (size_t)kl, &val) == 0) {
		assert_int_equal(rrset_decode(val.mv_data, val.mv_size, &v), 0);
		while (rrset_next(&v, &pos, &p, &l))
			n += l == len && memcmp(p, rd, len) == 0 ? 1 : 100;
	}
	store_abort(&t);
	return n;
}

static int rrset_first(struct fixture *f, const char *owner, uint16_t type, const uint8_t *rd,
                       size_t len)
{
	return rrset_in(f, "example.com.", owner, type, rd, len);
}

static bool has_error(struct fixture *f, const char *text)
{
	for (size_t i = 0; i < f->d.n; i++)
		if (f->d.v[i].sev == DIAG_ERROR && strstr(f->d.v[i].text, text))
			return true;
	return false;
}

static void test_enable_and_derive(void **state)
{
	struct fixture *f = *state;
	struct sts_domain *d = malloc(sizeof(*d));
	char body[STS_BODY_MAX + 1];
	assert_int_equal(enable(f, "example.com.", STS_MODE_ENFORCE), 0);
	get(f, "example.com.", d, body);
	assert_int_equal(d->version, 1);
	assert_int_equal(d->published, 0);
	assert_string_equal(body, "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\n"
	                          "mx: mx2.example.com\r\nmax_age: 604800\r\n");
	assert_int_equal(enable(f, "example.com.", STS_MODE_ENFORCE), LS_EEXIST);

	/* An MX added by an ordinary edit: the next policy, in the same commit. */
	assert_int_equal(batch(f, "add @ 600 IN MX 30 mx3.example.com."), 0);
	get(f, "example.com.", d, body);
	assert_int_equal(d->version, 2);
	assert_non_null(strstr(body, "mx: mx3.example.com\r\n"));

	/* An MX that leaves stays listed for its grace: the body does not change. */
	int64_t before = (int64_t)time(NULL);
	assert_int_equal(batch(f, "del @ MX 20 mx2.example.com."), 0);
	get(f, "example.com.", d, body);
	assert_int_equal(d->version, 2);
	assert_non_null(strstr(body, "mx: mx2.example.com\r\n"));
	assert_int_equal(d->ngrace, 1);
	assert_true(dname_equal(d->grace[0].name, N("mx2.example.com.")));
	assert_int_equal(d->grace[0].hold, 600 + 300);
	assert_true(d->grace[0].until >= before + 900 && d->grace[0].until <= before + 901);

	/* It comes back: out of the grace list, still one line. */
	assert_int_equal(batch(f, "add @ 600 IN MX 20 mx2.example.com."), 0);
	get(f, "example.com.", d, body);
	assert_int_equal(d->ngrace, 0);
	assert_int_equal(d->version, 2);
	free(d);
}

static void test_refusals(void **state)
{
	struct fixture *f = *state;
	/* No MX, a null MX, a CNAME target. */
	assert_int_equal(enable(f, "www.example.com.", STS_MODE_TESTING), LS_EINVAL_ZONE);
	assert_true(has_error(f, "no MX records"));
	assert_int_equal(enable(f, "sub.example.com.", STS_MODE_ENFORCE), LS_EINVAL_ZONE);
	assert_true(has_error(f, "null MX"));
	assert_int_equal(enable(f, "sub.example.com.", STS_MODE_NONE), 0);
	assert_int_equal(batch(f, "add @ 600 IN MX 40 alias.example.com."), 0);
	diag_free(&f->d);
	diag_init(&f->d);
	assert_int_equal(enable(f, "example.com.", STS_MODE_TESTING), LS_EINVAL_ZONE);
	assert_true(has_error(f, "is a CNAME"));
	assert_int_equal(batch(f, "del @ MX 40 alias.example.com."), 0);
	assert_int_equal(enable(f, "example.com.", STS_MODE_TESTING), 0);

	/* Once enabled: edits that would break the policy, and hand edits, are refused. */
	diag_free(&f->d);
	diag_init(&f->d);
	assert_int_equal(batch(f, "del @ MX"), LS_EINVAL_ZONE);
	assert_true(has_error(f, "no MX records"));
	assert_int_equal(batch(f, "add @ 600 IN MX 50 alias.example.com."), LS_EINVAL_ZONE);
	assert_true(has_error(f, "is a CNAME"));
	assert_int_equal(batch(f, "add _mta-sts 300 IN TXT \"v=STSv1; id=1\""), LS_EINVAL_ZONE);
	assert_true(has_error(f, "managed by MTA-STS"));
	assert_int_equal(batch(f, "del mta-sts"), LS_EINVAL_ZONE);
	/* Nothing of those edits landed. */
	struct sts_domain d;
	get(f, "example.com.", &d, NULL);
	assert_int_equal(d.version, 1);
}

static void test_import_keeps_managed(void **state)
{
	struct fixture *f = *state;
	struct zonefile zf;
	struct zone_result res;
	assert_int_equal(enable(f, "example.com.", STS_MODE_TESTING), 0);
	/* The original file, without mta-sts records, one MX fewer. */
	char path[256];
	snprintf(path, sizeof(path), "%s/example.com.zone", f->dir);
	FILE *fp = fopen(path, "w");
	fputs(zone_text, fp);
	fputs("mta-sts 300 IN A 198.51.100.1\n", fp);
	fclose(fp);
	zonefile_init(&zf);
	assert_int_equal(zonefile_read(&zf, path, NULL, 3600, &f->d), 0);
	assert_int_equal(zone_ops_import(f->st, &zf, 0, SERIAL_INCREMENT, NULL, "test", &f->d, &res),
	                 0);
	zone_result_free(&res);
	zonefile_free(&zf);
	/* mta-sts keeps its service addresses; the file's address is a warning. */
	bool warned = false;
	for (size_t i = 0; i < f->d.n; i++)
		warned |= f->d.v[i].sev == DIAG_WARNING && strstr(f->d.v[i].text, "kept") != NULL;
	assert_true(warned);
	static const uint8_t a80[4] = { 192, 0, 2, 80 };
	assert_int_equal(rrset_first(f, "mta-sts.example.com.", 1, a80, 4), 1);
}

static void test_disable_and_zone_delete(void **state)
{
	struct fixture *f = *state;
	struct sts_domain d;
	char body[STS_BODY_MAX + 1];
	struct zone_result res;
	assert_int_equal(enable(f, "example.com.", STS_MODE_ENFORCE), 0);
	/* Never published: disable removes at once. */
	assert_int_equal(sts_ops_disable(f->st, N("example.com."), false, &f->d, &res), 0);
	zone_result_free(&res);
	get(f, "example.com.", &d, NULL);
	assert_int_equal(d.state, STS_REMOVED);
	/* Enabled again, the versions go on from where they were. */
	assert_int_equal(enable(f, "example.com.", STS_MODE_ENFORCE), 0);
	get(f, "example.com.", &d, body);
	assert_int_equal(d.version, 2);
	/* Pretend it was published, then disable: mode none, removing. */
	struct store_txn t;
	assert_int_equal(store_begin(f->st, true, 0, &t), 0);
	d.published = d.version;
	strcpy(d.id, "20261122080000");
	sts_record_put(&t, &d);
	assert_int_equal(store_commit(&t), 0);
	assert_int_equal(sts_ops_disable(f->st, N("example.com."), false, &f->d, &res), 0);
	zone_result_free(&res);
	get(f, "example.com.", &d, body);
	assert_int_equal(d.state, STS_REMOVING);
	assert_int_equal(d.version, 3);
	assert_non_null(strstr(body, "mode: none\r\n"));
	/* Deleting the zone ends it: no body served, the record kept for its ids. */
	assert_int_equal(zone_ops_delete(f->st, N("example.com.")), 0);
	get(f, "example.com.", &d, NULL);
	assert_int_equal(d.state, STS_REMOVED);
	assert_string_equal(d.id, "20261122080000");
	const uint8_t *b;
	size_t len;
	assert_int_equal(store_begin(f->st, false, 0, &t), 0);
	assert_int_equal(sts_record_body(&t, N("example.com."), &b, &len, NULL), LS_ENOTFOUND);
	store_abort(&t);
}

static const char net_text[] =
	"$ORIGIN example.net.\n"
	"@ 3600 IN SOA ns1 hostmaster 1 3600 900 1209600 300\n"
	"@ 3600 IN NS ns1\n"
	"ns1 3600 IN A 192.0.2.1\n"
	"@ 600 IN MX 10 mx1\n"
	"mx1 IN A 192.0.2.10\n";

static uint32_t serial_of(struct fixture *f, const char *apex)
{
	struct store_txn t;
	struct zone_info z;
	uint32_t serial;
	assert_int_equal(store_begin(f->st, false, 0, &t), 0);
	assert_int_equal(zone_get(&t, N(apex), &z), 0);
	assert_int_equal(zone_serial(&t, &z, &serial), 0);
	store_abort(&t);
	return serial;
}

static unsigned applied(struct fixture *f, struct sts_service_set *list)
{
	struct store_txn t;
	unsigned n;
	assert_int_equal(store_begin(f->st, false, 0, &t), 0);
	assert_int_equal(sts_service_applied(&t, list, &n), 0);
	store_abort(&t);
	return n;
}

static void test_service_sets(void **state)
{
	struct fixture *f = *state;
	struct sts_service_set *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct sts_service_set *list = malloc(STS_SERVICE_KEEP * sizeof(*list));
	char err[256];
	struct sts_service x = { "2001:db8::80  192.0.2.80 192.0.2.80", NULL, 300 };
	struct sts_service y = { "192.0.2.80 2001:DB8:0::80", NULL, 300 };
	assert_int_equal(sts_service_parse(&x, a, err, sizeof(err)), 0);
	assert_int_equal(sts_service_parse(&y, b, err, sizeof(err)), 0);
	assert_int_equal(a->n, 2);                     /* repeats go, order does not matter */
	assert_true(sts_service_same(a, b));
	struct sts_service c = { "192.0.2.80", "STS.Provider.example.", 300 };
	assert_int_equal(sts_service_parse(&c, b, err, sizeof(err)), 0);
	assert_int_equal(b->n, 1);                     /* the CNAME wins over the addresses */
	assert_int_equal(b->rr[0].type, T_CNAME);
	assert_memory_equal(b->rr[0].rd, N("sts.provider.example."), b->rr[0].len);
	struct sts_service bad = { "192.0.2.80 mta.example", NULL, 300 }, none = { "", "", 300 };
	assert_int_equal(sts_service_parse(&bad, b, err, sizeof(err)), LS_ECONFIG);
	assert_non_null(strstr(err, "mta.example is not an IP address"));
	assert_int_equal(sts_service_parse(&none, b, err, sizeof(err)), LS_ENOTFOUND);

	/* Applied services: the one in force first, noted ones after it, no repeats, bounded. */
	struct store_txn t;
	assert_int_equal(applied(f, list), 0);
	assert_int_equal(store_begin(f->st, true, 4096, &t), 0);
	assert_int_equal(sts_service_note(&t, a), 0);      /* the first becomes the one in force */
	for (int i = 0; i < 12; i++) {
		char addr[32];
		snprintf(addr, sizeof(addr), "198.51.100.%d", i);
		struct sts_service z = { addr, NULL, 300 };
		assert_int_equal(sts_service_parse(&z, b, err, sizeof(err)), 0);
		assert_int_equal(sts_service_note(&t, b), 0);
		assert_int_equal(sts_service_note(&t, b), 0);
	}
	assert_int_equal(sts_service_note(&t, a), 0);      /* in force already: no change */
	assert_int_equal(store_commit(&t), 0);
	assert_int_equal(applied(f, list), STS_SERVICE_KEEP);
	assert_true(sts_service_same(&list[0], a));
	assert_true(sts_service_same(&list[1], b));         /* the newest noted */
	assert_int_equal(store_begin(f->st, true, 4096, &t), 0);
	assert_int_equal(sts_service_apply(&t, b), 0);
	assert_int_equal(store_commit(&t), 0);
	assert_int_equal(applied(f, list), STS_SERVICE_KEEP);
	assert_true(sts_service_same(&list[0], b));
	assert_true(sts_service_same(&list[1], a));
	for (unsigned i = 2; i < STS_SERVICE_KEEP; i++)
		assert_false(sts_service_same(&list[i], a) || sts_service_same(&list[i], b));
	free(list);
	free(b);
	free(a);
}

struct heard {
	unsigned rewritten, kept;
	uint32_t serial;
};

static void hear(const struct sts_rederive_info *i, void *ctx)
{
	struct heard *h = ctx;
	h->rewritten += i->what == STS_REDERIVE_REWRITTEN;
	h->kept += i->what == STS_REDERIVE_KEPT;
	if (i->what == STS_REDERIVE_REWRITTEN)
		assert_true(i->new_serial == i->old_serial + 1);
}

static int rederive(struct fixture *f, const struct sts_service *to, bool force,
                    struct sts_rederive_result *res, struct heard *h)
{
	char err[256];
	memset(h, 0, sizeof(*h));
	int rc = sts_rederive_run(f->st, to, force, "test rederive", hear, h, res, err, sizeof(err));
	if (rc == 0) {
		assert_int_equal(h->rewritten, res->rewritten);
		assert_int_equal(h->kept, res->kept);
	}
	return rc;
}

/* A managed edit of our own: mta-sts.example.net. gets an address no service gave it. */
static int hand_fn(struct zone_txn *zt, void *arg, struct diag *d)
{
	static const uint8_t addr[4] = { 198, 51, 100, 7 };
	struct rr rr = { N("mta-sts.example.net."), addr, 300, T_A, 4, NULL, 0 };
	(void)arg;
	zone_txn_del_rrset(zt, rr.owner, 0);
	return zone_txn_add(zt, &rr, d);
}

static void test_rederive(void **state)
{
	static const uint8_t a80[4] = { 192, 0, 2, 80 }, a99[4] = { 192, 0, 2, 99 },
	                     a7[4] = { 198, 51, 100, 7 };
	struct fixture *f = *state;
	struct sts_rederive_result res;
	struct heard h;
	import_zone(f, net_text);
	assert_int_equal(enable(f, "example.com.", STS_MODE_TESTING), 0);
	assert_int_equal(enable(f, "example.net.", STS_MODE_TESTING), 0);
	uint32_t com = serial_of(f, "example.com."), net = serial_of(f, "example.net.");

	/* The service the domains were enabled with is the one in force: nothing to do. */
	assert_int_equal(rederive(f, &svc, false, &res, &h), LS_ENOCHANGE);
	struct sts_service none = { "", NULL, 300 };
	assert_int_equal(rederive(f, &none, false, &res, &h), LS_ENOTFOUND);

	/* A new address: one commit per zone, the AAAA gone, the serials one up. */
	struct sts_service v4 = { "192.0.2.99", NULL, 300 };
	assert_int_equal(rederive(f, &v4, false, &res, &h), 0);
	assert_int_equal(res.zones, 2);
	assert_int_equal(res.rewritten, 2);
	assert_int_equal(res.kept + res.current, 0);
	assert_int_equal(rrset_first(f, "mta-sts.example.com.", T_A, a99, 4), 1);
	assert_int_equal(rrset_first(f, "mta-sts.example.com.", T_AAAA, a99, 0), 0);
	assert_int_equal(rrset_in(f, "example.net.", "mta-sts.example.net.", T_A, a99, 4), 1);
	assert_int_equal(serial_of(f, "example.com."), com + 1);
	assert_int_equal(serial_of(f, "example.net."), net + 1);
	assert_int_equal(rederive(f, &v4, false, &res, &h), LS_ENOCHANGE);   /* idempotent */

	/* A CNAME instead. */
	struct sts_service cn = { "192.0.2.99", "sts.provider.example.", 300 };
	assert_int_equal(rederive(f, &cn, false, &res, &h), 0);
	assert_int_equal(res.rewritten, 2);
	assert_int_equal(rrset_first(f, "mta-sts.example.com.", T_A, a99, 4), 0);
	assert_int_equal(rrset_first(f, "mta-sts.example.com.", T_CNAME, N("sts.provider.example."),
	                             (size_t)dname_wire_len(N("sts.provider.example."), DNAME_MAX)), 1);

	/* Records no applied service made are left alone (and reported); --force takes them. */
	struct zone_edit e = { NULL, N("example.net."), ZONE_TXN_MANAGED, 4096, "test", hand_fn, NULL };
	struct zone_result zr;
	assert_int_equal(zone_edit_run(f->st, &e, &f->d, &zr), 0);
	zone_result_free(&zr);
	net = serial_of(f, "example.net.");
	assert_int_equal(rederive(f, &svc, false, &res, &h), 0);
	assert_int_equal(res.zones, 1);
	assert_int_equal(res.rewritten, 1);
	assert_int_equal(res.kept, 1);
	assert_int_equal(rrset_first(f, "mta-sts.example.com.", T_A, a80, 4), 1);
	assert_int_equal(rrset_in(f, "example.net.", "mta-sts.example.net.", T_A, a7, 4), 1);
	assert_int_equal(serial_of(f, "example.net."), net);
	assert_int_equal(rederive(f, &svc, true, &res, &h), 0);
	assert_int_equal(res.zones, 1);
	assert_int_equal(res.rewritten, 1);
	assert_int_equal(res.current, 1);
	assert_int_equal(rrset_in(f, "example.net.", "mta-sts.example.net.", T_A, a80, 4), 1);

	/* Stopped before the last step (the records moved, the service applied not written): the
	 * next run finds every record right, commits nothing and writes the service. */
	struct sts_service_set *old = malloc(sizeof(*old));
	char err[256];
	struct store_txn t;
	assert_int_equal(rederive(f, &v4, false, &res, &h), 0);
	assert_int_equal(sts_service_parse(&svc, old, err, sizeof(err)), 0);
	assert_int_equal(store_begin(f->st, true, 4096, &t), 0);
	assert_int_equal(sts_service_apply(&t, old), 0);
	assert_int_equal(store_commit(&t), 0);
	com = serial_of(f, "example.com.");
	assert_int_equal(rederive(f, &v4, false, &res, &h), 0);
	assert_int_equal(res.zones, 0);
	assert_int_equal(res.current, 2);
	assert_int_equal(serial_of(f, "example.com."), com);
	assert_int_equal(rederive(f, &v4, false, &res, &h), LS_ENOCHANGE);

	/* A store that never recorded a service takes the configuration as its start. */
	assert_int_equal(store_begin(f->st, true, 4096, &t), 0);
	store_del(&t, STORE_META, STS_SERVICE_META, strlen(STS_SERVICE_META));
	assert_int_equal(store_commit(&t), 0);
	assert_int_equal(rederive(f, &svc, false, &res, &h), 0);
	assert_true(res.adopted);
	assert_int_equal(res.zones, 0);
	assert_int_equal(rrset_first(f, "mta-sts.example.com.", T_A, a99, 4), 1);
	assert_int_equal(rederive(f, &svc, false, &res, &h), LS_ENOCHANGE);
	free(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_text),
		cmocka_unit_test(test_policy_patterns),
		cmocka_unit_test(test_ids),
		cmocka_unit_test_setup_teardown(test_enable_and_derive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_keeps_managed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disable_and_zone_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_service_sets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rederive, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
