/* Unit tests for shared/tls/cert.c: host names, the demo CA, issuing, checked loading, ensure. */
#include <errno.h>
#include <sys/stat.h>
#include "tests/unit/unit.h"
#include <mbedtls/oid.h>
#include "shared/tls/cert.h"
#include "shared/util/err.h"

/* dir/rest in one of a few rotating buffers, so two may be used in one call. */
static const char *P(const char *dir, const char *rest)
{
	static char paths[4][4096];
	static int next;
	char *p = paths[next++ % 4];
	snprintf(p, 4096, "%s/%s", dir, rest);
	return p;
}

static void copy(const char *from, const char *to)
{
	char cmd[9000];
	snprintf(cmd, sizeof(cmd), "cp -p '%s' '%s'", from, to);
	assert_int_equal(system(cmd), 0);
}

static int load(const char *dir, const char *host, char *err)
{
	mbedtls_x509_crt chain;
	mbedtls_pk_context key;
	mbedtls_x509_crt_init(&chain);
	mbedtls_pk_init(&key);
	int rc = cert_load(dir, host, &chain, &key, err, 512);
	mbedtls_x509_crt_free(&chain);
	mbedtls_pk_free(&key);
	return rc;
}

static void test_host_names(void **state)
{
	(void)state;
	char out[CERT_HOST_MAX + 1];
	assert_int_equal(cert_host_check("mta-sts.example.com"), 0);
	assert_int_equal(cert_host_check("a"), 0);
	assert_int_equal(cert_host_check("x1.y-2.z"), 0);
	static const char *const bad[] = { "", ".", "..", "a..b", ".a", "a.", "-a", "a-", "a-.b",
	                                   "A.example", "a/b", "a b", "*.example.com", "a_b" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cert_host_check(bad[i]) == 0)
			fail_msg("'%s' accepted", bad[i]);
	char label[80];
	memset(label, 'a', 64);
	label[64] = 0;
	assert_int_equal(cert_host_check(label), LS_EPARSE);
	assert_int_equal(cert_host_norm("MTA-STS.Example.COM.", out), 0);
	assert_string_equal(out, "mta-sts.example.com");
	assert_int_equal(cert_host_norm(".", out), LS_EPARSE);
	assert_int_equal(cert_host_norm("../etc", out), LS_EPARSE);
}

static void test_demo_ca_and_issue(void **state)
{
	(void)state;
	char *dir = temp_dir(), err[512];
	struct stat st;
	bool created;
	/* No CA: issue refuses, ensure does nothing. */
	assert_int_equal(cert_issue(dir, "mta-sts.example.com", err, sizeof(err)), -ENOENT);
	assert_int_equal(cert_demo_ensure(dir, "mta-sts.example.com", err, sizeof(err)), 0);
	assert_int_equal(stat(P(dir, "certs"), &st), -1);
	assert_int_equal(cert_demo_ca(dir, &created, err, sizeof(err)), 0);
	assert_true(created);
	assert_int_equal(stat(P(dir, "demo-ca/ca.key"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	ino_t ino = st.st_ino;
	/* Idempotent: the CA stays. */
	assert_int_equal(cert_demo_ca(dir, &created, err, sizeof(err)), 0);
	assert_false(created);
	assert_int_equal(stat(P(dir, "demo-ca/ca.key"), &st), 0);
	assert_int_equal(st.st_ino, ino);

	assert_int_equal(cert_issue(dir, "mta-sts.example.com", err, sizeof(err)), 0);
	assert_int_equal(stat(P(dir, "certs/mta-sts.example.com/privkey.pem"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(load(dir, "mta-sts.example.com", err), 0);
	struct cert_info info;
	assert_int_equal(cert_info_get(dir, "mta-sts.example.com", &info), 0);
	assert_int_equal(info.error, 0);
	assert_true(strstr(info.issuer, "Lockstep demo CA") != NULL);
	int64_t days = (info.not_after - (int64_t)time(NULL)) / 86400;
	assert_true(days >= CERT_LEAF_DAYS - 1 && days <= CERT_LEAF_DAYS);

	/* The leaf verifies against the CA and names the host. */
	mbedtls_x509_crt ca, chain;
	uint32_t flags;
	mbedtls_x509_crt_init(&ca);
	mbedtls_x509_crt_init(&chain);
	assert_int_equal(mbedtls_x509_crt_parse_file(&ca, P(dir, "demo-ca/ca.pem")), 0);
	assert_int_equal(mbedtls_x509_crt_parse_file(&chain,
	                 P(dir, "certs/mta-sts.example.com/fullchain.pem")), 0);
	assert_non_null(chain.next);        /* leaf, then the CA */
	assert_int_equal(mbedtls_x509_crt_verify(&chain, &ca, NULL, "mta-sts.example.com", &flags,
	                                         NULL, NULL), 0);
	assert_true(cert_names_host(&chain, "MTA-STS.example.com"));
	assert_false(cert_names_host(&chain, "example.com"));
	assert_false(cert_names_host(&chain, "x.mta-sts.example.com"));
	assert_int_equal(mbedtls_x509_crt_check_extended_key_usage(&chain, MBEDTLS_OID_SERVER_AUTH,
	                 MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)), 0);
	mbedtls_x509_crt_free(&chain);
	mbedtls_x509_crt_free(&ca);

	/* A bad name writes nothing. */
	assert_int_equal(cert_issue(dir, "../evil", err, sizeof(err)), LS_EPARSE);
	assert_int_equal(cert_demo_ensure(dir, "Bad Name", err, sizeof(err)), LS_EPARSE);
	rm_tree(dir);
}

static void test_load_refuses(void **state)
{
	(void)state;
	char *dir = temp_dir(), err[512], a[4200];
	bool created;
	assert_int_equal(cert_demo_ca(dir, &created, err, sizeof(err)), 0);
	assert_int_equal(cert_issue(dir, "mta-sts.a.example", err, sizeof(err)), 0);
	assert_int_equal(cert_issue(dir, "mta-sts.b.example", err, sizeof(err)), 0);
	/* A key readable by others: -EPERM, and the message says the mode. */
	snprintf(a, sizeof(a), "%s/certs/mta-sts.a.example/privkey.pem", dir);
	assert_int_equal(chmod(a, 0644), 0);
	assert_int_equal(load(dir, "mta-sts.a.example", err), -EPERM);
	assert_non_null(strstr(err, "0644"));
	assert_int_equal(chmod(a, 0640), 0);
	assert_int_equal(load(dir, "mta-sts.a.example", err), -EPERM);
	assert_int_equal(chmod(a, 0600), 0);
	assert_int_equal(load(dir, "mta-sts.a.example", err), 0);
	/* b's key with a's certificate: mismatch. */
	copy(P(dir, "certs/mta-sts.b.example/privkey.pem"), a);
	assert_int_equal(load(dir, "mta-sts.a.example", err), LS_EPARSE);
	assert_non_null(strstr(err, "does not belong"));
	/* b's pair under a's name: the certificate does not name a. */
	copy(P(dir, "certs/mta-sts.b.example/fullchain.pem"),
	     P(dir, "certs/mta-sts.a.example/fullchain.pem"));
	assert_int_equal(load(dir, "mta-sts.a.example", err), LS_EPARSE);
	assert_non_null(strstr(err, "does not name"));
	/* Missing and garbage files. */
	assert_int_equal(load(dir, "mta-sts.none.example", err), -ENOENT);
	FILE *f = fopen(P(dir, "certs/mta-sts.b.example/fullchain.pem"), "w");
	fputs("not a certificate\n", f);
	fclose(f);
	assert_int_equal(load(dir, "mta-sts.b.example", err), LS_EPARSE);
	rm_tree(dir);
}

static int count(const struct cert_info *info, void *ctx)
{
	char *seen = ctx;
	strcat(seen, info->host);
	strcat(seen, info->error ? "!" : ";");
	return 0;
}

static void test_ensure_and_list(void **state)
{
	(void)state;
	char *dir = temp_dir(), err[512], seen[512] = "";
	struct stat st1, st2;
	bool created;
	assert_int_equal(cert_demo_ca(dir, &created, err, sizeof(err)), 0);
	assert_int_equal(cert_demo_ensure(dir, "mta-sts.b.example", err, sizeof(err)), 0);
	assert_int_equal(stat(P(dir, "certs/mta-sts.b.example/fullchain.pem"), &st1), 0);
	/* A usable certificate stays as it is. */
	assert_int_equal(cert_demo_ensure(dir, "mta-sts.b.example", err, sizeof(err)), 0);
	assert_int_equal(stat(P(dir, "certs/mta-sts.b.example/fullchain.pem"), &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);
	/* An exposed key is not usable: ensure replaces the pair. */
	assert_int_equal(chmod(P(dir, "certs/mta-sts.b.example/privkey.pem"), 0644), 0);
	assert_int_equal(cert_demo_ensure(dir, "mta-sts.b.example", err, sizeof(err)), 0);
	assert_int_equal(stat(P(dir, "certs/mta-sts.b.example/privkey.pem"), &st2), 0);
	assert_int_equal(st2.st_mode & 0777, 0600);
	assert_int_equal(cert_issue(dir, "mta-sts.a.example", err, sizeof(err)), 0);
	assert_int_equal(mkdir(P(dir, "certs/mta-sts.c.example"), 0755), 0);
	assert_int_equal(mkdir(P(dir, "certs/.tmp"), 0755), 0);
	assert_int_equal(cert_list(dir, count, seen), 0);
	assert_string_equal(seen, "mta-sts.a.example;mta-sts.b.example;mta-sts.c.example!");
	/* A half CA is refused and never replaced. */
	assert_int_equal(unlink(P(dir, "demo-ca/ca.key")), 0);
	assert_int_equal(cert_demo_ca(dir, &created, err, sizeof(err)), LS_EPARSE);
	assert_false(created);
	assert_int_equal(stat(P(dir, "demo-ca/ca.key"), &st1), -1);
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_names),
		cmocka_unit_test(test_demo_ca_and_issue),
		cmocka_unit_test(test_load_refuses),
		cmocka_unit_test(test_ensure_and_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
