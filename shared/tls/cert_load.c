/* Reading a host's certificate and key with their checks: key 0600, pair, name. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <mbedtls/x509_crt.h>
#include "shared/tls/cert.h"
#include "shared/util/err.h"
#include "shared/util/file.h"

#define LIST_MAX 100000               /* host directories cert_list() reads */

/* A PEM file whole, NUL-terminated as mbedTLS wants it (*len counts the NUL). */
static int read_pem(const char *path, unsigned flags, unsigned char **buf, size_t *len)
{
	char *b;
	size_t n;
	/* CERT_FILE_MAX bytes is already too many. */
	int rc = file_read(path, CERT_FILE_MAX - 1, FILE_REGULAR | flags, &b, &n);
	if (rc == 0) {
		*buf = (unsigned char *)b;
		*len = n + 1;
	}
	return rc;
}

int cert_load_chain(const char *path, mbedtls_x509_crt *chain, char *err, size_t errlen)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int rc = read_pem(path, 0, &buf, &len);
	if (rc) {
		snprintf(err, errlen, "%s: %s", path, rc == LS_ETOOBIG ? "file too large" : ls_strerror(rc));
		return rc;
	}
	rc = mbedtls_x509_crt_parse(chain, buf, len);
	file_free((char *)buf, len, 0);
	if (rc != 0) {
		/* A positive count means some certificates in the file could not be parsed. */
		if (rc < 0)
			cert_tls_error(err, errlen, path, rc);
		else
			snprintf(err, errlen, "%s: %d certificates cannot be parsed", path, rc);
		return LS_EPARSE;
	}
	return 0;
}

int cert_load_key(const char *path, mbedtls_pk_context *key, char *err, size_t errlen)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int rc = read_pem(path, FILE_SECRET, &buf, &len);
	if (rc == -EPERM) {
		struct stat st;
		unsigned mode = stat(path, &st) == 0 ? (unsigned)(st.st_mode & 0777) : 0;
		snprintf(err, errlen, "%s: readable by group or others (mode %04o, want 0600); not used",
		         path, mode);
		return rc;
	}
	if (rc) {
		snprintf(err, errlen, "%s: %s", path, rc == LS_ETOOBIG ? "file too large" : ls_strerror(rc));
		return rc;
	}
	rc = mbedtls_pk_parse_key(key, buf, len, NULL, 0);
	file_free((char *)buf, len, FILE_SECRET);
	if (rc != 0) {
		cert_tls_error(err, errlen, path, rc);
		return LS_EPARSE;
	}
	return 0;
}

/* RFC 6125 6.4: exact match, or a wildcard standing for exactly the left-most label. */
static bool name_matches(const char *pattern, size_t plen, const char *host)
{
	size_t hlen = strlen(host);
	if (plen == hlen && strncasecmp(pattern, host, hlen) == 0)
		return true;
	if (plen > 2 && pattern[0] == '*' && pattern[1] == '.') {
		const char *dot = strchr(host, '.');
		return dot && dot != host && strlen(dot) == plen - 1 &&
		       strncasecmp(dot, pattern + 1, plen - 1) == 0;
	}
	return false;
}

bool cert_names_host(const mbedtls_x509_crt *crt, const char *host)
{
	for (const mbedtls_x509_sequence *s = &crt->subject_alt_names; s && s->buf.p; s = s->next) {
		/* dNSName is [2] IMPLICIT IA5String */
		if (s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2) &&
		    name_matches((const char *)s->buf.p, s->buf.len, host))
			return true;
	}
	return false;
}

int cert_load(const char *state_dir, const char *host, mbedtls_x509_crt *chain,
              mbedtls_pk_context *key, char *err, size_t errlen)
{
	return cert_load_flags(state_dir, host, 0, chain, key, err, errlen);
}

int cert_load_flags(const char *state_dir, const char *host, unsigned flags,
                    mbedtls_x509_crt *chain, mbedtls_pk_context *key, char *err, size_t errlen)
{
	char path[4096];
	int rc;
	if (cert_host_check(host) != 0) {
		snprintf(err, errlen, "'%.*s' is not a host name", 64, host);
		return LS_EPARSE;
	}
	if ((rc = cert_path(path, sizeof(path), state_dir, host, CERT_CHAIN_FILE)) != 0 ||
	    (rc = cert_load_chain(path, chain, err, errlen)) != 0)
		return rc;
	if ((rc = cert_path(path, sizeof(path), state_dir, host, CERT_KEY_FILE)) != 0 ||
	    (rc = cert_load_key(path, key, err, errlen)) != 0)
		return rc;
	if (!(flags & CERT_LOAD_PAIR_SEEN) && mbedtls_pk_check_pair(&chain->pk, key) != 0) {
		snprintf(err, errlen, "%s does not belong to the first certificate of %s", CERT_KEY_FILE,
		         CERT_CHAIN_FILE);
		return LS_EPARSE;
	}
	if (!cert_names_host(chain, host)) {
		snprintf(err, errlen, "the certificate does not name %s in its subjectAltName", host);
		return LS_EPARSE;
	}
	return 0;
}

static int64_t x509_time(const mbedtls_x509_time *t)
{
	struct tm tm = { .tm_year = t->year - 1900, .tm_mon = t->mon - 1, .tm_mday = t->day,
	                 .tm_hour = t->hour, .tm_min = t->min, .tm_sec = t->sec };
	return (int64_t)timegm(&tm);
}

int cert_info_get(const char *state_dir, const char *host, struct cert_info *out)
{
	mbedtls_x509_crt chain;
	mbedtls_pk_context key;
	memset(out, 0, sizeof(*out));
	if (cert_host_check(host) != 0)
		return LS_EPARSE;
	snprintf(out->host, sizeof(out->host), "%s", host);
	mbedtls_x509_crt_init(&chain);
	mbedtls_pk_init(&key);
	out->error = cert_load(state_dir, host, &chain, &key, out->error_text,
	                       sizeof(out->error_text));
	/* Dates and issuer are worth showing even when the key is the problem. */
	if (chain.raw.p) {
		out->not_before = x509_time(&chain.valid_from);
		out->not_after = x509_time(&chain.valid_to);
		if (mbedtls_x509_dn_gets(out->issuer, sizeof(out->issuer), &chain.issuer) < 0)
			snprintf(out->issuer, sizeof(out->issuer), "?");
	}
	mbedtls_x509_crt_free(&chain);
	mbedtls_pk_free(&key);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void cert_hosts_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int cert_hosts(const char *state_dir, char ***out, size_t *nout)
{
	char path[4096];
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	*out = NULL;
	*nout = 0;
	snprintf(path, sizeof(path), "%s/%s", state_dir, CERT_DIR);
	DIR *d = opendir(path);
	if (d == NULL)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n < LIST_MAX) {
		if (cert_host_check(e->d_name) != 0)
			continue;       /* ".", "..", temporary files and anything not ours */
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **nn = realloc(names, ncap * sizeof(*nn));
			if (nn == NULL) {
				rc = -ENOMEM;
				goto fail;
			}
			names = nn;
			cap = ncap;
		}
		if ((names[n] = strdup(e->d_name)) == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
		n++;
	}
	closedir(d);
	if (n > 1)      /* names is NULL when certs/ is empty */
		qsort(names, n, sizeof(*names), cmp_names);
	*out = names;
	*nout = n;
	return 0;
fail:
	closedir(d);
	cert_hosts_free(names, n);
	return rc;
}

int cert_list(const char *state_dir, int (*fn)(const struct cert_info *info, void *ctx), void *ctx)
{
	char **names;
	size_t n;
	int rc = cert_hosts(state_dir, &names, &n);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct cert_info info;
		if (cert_info_get(state_dir, names[i], &info) == 0)
			rc = fn(&info, ctx);
	}
	cert_hosts_free(names, n);
	return rc;
}
