/* The demo CA in STATE/demo-ca: made once, kept, never replaced; it issues via cert_issue(). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <mbedtls/platform_util.h>
#include "shared/tls/cert.h"
#include "shared/tls/cert_make.h"
#include "shared/util/err.h"
#include "shared/util/file.h"

#define CA_SUBJECT "CN=Lockstep demo CA,O=Lockstep"

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

bool cert_demo_exists(const char *state_dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s/%s", state_dir, CERT_CA_DIR, CERT_CA_FILE);
	return exists(path);
}

int cert_demo_load(const char *state_dir, mbedtls_x509_crt *ca, mbedtls_pk_context *key,
                   char *err, size_t errlen)
{
	char path[4096];
	int rc;
	snprintf(path, sizeof(path), "%s/%s/%s", state_dir, CERT_CA_DIR, CERT_CA_FILE);
	if ((rc = cert_load_chain(path, ca, err, errlen)) != 0)
		return rc;
	snprintf(path, sizeof(path), "%s/%s/%s", state_dir, CERT_CA_DIR, CERT_CA_KEY_FILE);
	if ((rc = cert_load_key(path, key, err, errlen)) != 0)
		return rc;
	if (mbedtls_pk_check_pair(&ca->pk, key) != 0) {
		snprintf(err, errlen, "%s/%s: %s does not belong to %s", state_dir, CERT_CA_DIR,
		         CERT_CA_KEY_FILE, CERT_CA_FILE);
		return LS_EPARSE;
	}
	return 0;
}

/* Keeps what is there; a half CA is the operator's to repair, never ours to replace. */
static int check_kept(const char *state_dir, const char *dir, bool has_crt, bool has_key,
                      char *err, size_t errlen)
{
	mbedtls_x509_crt ca;
	mbedtls_pk_context key;
	if (!has_crt || !has_key) {
		snprintf(err, errlen, "%s has %s but no %s; remove the directory to start over", dir,
		         has_crt ? CERT_CA_FILE : CERT_CA_KEY_FILE,
		         has_crt ? CERT_CA_KEY_FILE : CERT_CA_FILE);
		return LS_EPARSE;
	}
	mbedtls_x509_crt_init(&ca);
	mbedtls_pk_init(&key);
	int rc = cert_demo_load(state_dir, &ca, &key, err, errlen);
	mbedtls_pk_free(&key);
	mbedtls_x509_crt_free(&ca);
	return rc;
}

/* Makes a self-signed CA and writes it into dir, locked by dfd. */
static int make_ca(const char *dir, int dfd, const char *cpath, const char *kpath, char *err,
                   size_t errlen)
{
	unsigned char kpem[CERT_MAKE_PEM_MAX], cpem[CERT_MAKE_PEM_MAX];
	struct cert_make m;
	mbedtls_pk_context key;
	mbedtls_x509write_cert crt;
	int rc;
	cert_make_init(&m);
	mbedtls_pk_init(&key);
	mbedtls_x509write_crt_init(&crt);
	if ((rc = cert_make_key(&m, &key, err, errlen)) != 0)
		goto out;
	if ((rc = cert_make_fields(&m, &crt, &key, CA_SUBJECT, &key, CA_SUBJECT, CERT_CA_DAYS)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_basic_constraints(&crt, 1, 0)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_key_usage(&crt, MBEDTLS_X509_KU_KEY_CERT_SIGN |
	                                                    MBEDTLS_X509_KU_CRL_SIGN)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_subject_key_identifier(&crt)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_authority_key_identifier(&crt)) != 0 ||
	    (rc = cert_make_pem(&m, &crt, &key, cpem, sizeof(cpem), kpem, sizeof(kpem))) != 0) {
		cert_tls_error(err, errlen, "cannot make the CA certificate", rc);
		goto out;
	}
	/* The key first: a certificate without its key is the state the next run refuses. */
	if ((rc = file_write_atomic(kpath, dfd, kpem, strlen((char *)kpem), 0600)) != 0 ||
	    (rc = file_write_atomic(cpath, dfd, cpem, strlen((char *)cpem), 0644)) != 0)
		snprintf(err, errlen, "%s: %s", dir, ls_strerror(rc));
out:
	mbedtls_platform_zeroize(kpem, sizeof(kpem));
	mbedtls_x509write_crt_free(&crt);
	mbedtls_pk_free(&key);
	cert_make_free(&m);
	return rc;
}

int cert_demo_ca(const char *state_dir, bool *created, char *err, size_t errlen)
{
	char dir[4096], cpath[4200], kpath[4200];
	int rc, dfd;
	*created = false;
	snprintf(dir, sizeof(dir), "%s/%s", state_dir, CERT_CA_DIR);
	snprintf(cpath, sizeof(cpath), "%s/%s", dir, CERT_CA_FILE);
	snprintf(kpath, sizeof(kpath), "%s/%s", dir, CERT_CA_KEY_FILE);
	if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", state_dir, strerror(errno));
		return rc;
	}
	/* Two writers of the CA would otherwise mix one's key with the other's certificate. */
	if ((dfd = file_lock_dir(dir, 0755)) < 0) {
		snprintf(err, errlen, "%s: %s", dir, ls_strerror(dfd));
		return dfd;
	}
	bool has_crt = exists(cpath), has_key = exists(kpath);
	if (has_crt || has_key) {
		rc = check_kept(state_dir, dir, has_crt, has_key, err, errlen);
	} else {
		rc = make_ca(dir, dfd, cpath, kpath, err, errlen);
		*created = rc == 0;
	}
	close(dfd);
	return rc;
}
