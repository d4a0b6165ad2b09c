/* Certificates in the state directory: checked loading, the demo CA and what it issues. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/x509_crt.h>
#include "shared/cert.h"
#include "shared/err.h"

#define PEM_MAX 4096                  /* one certificate or key we write, in PEM */
#define CA_SUBJECT "CN=Lockstep demo CA,O=Lockstep"
#define SKEW_SECONDS 3600             /* notBefore lies this far back, for clocks behind ours */
#define LIST_MAX 100000               /* host directories cert_list() reads */

int cert_host_check(const char *host)
{
	size_t n = strlen(host), label = 0;
	if (n == 0 || n > CERT_HOST_MAX)
		return LS_EPARSE;
	for (size_t i = 0; i < n; i++) {
		char c = host[i];
		if (c == '.') {
			/* No empty label, none ending in a hyphen: also keeps "." and ".." out of paths. */
			if (label == 0 || host[i - 1] == '-')
				return LS_EPARSE;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && label > 0)))
			return LS_EPARSE;
		if (++label > 63)
			return LS_EPARSE;
	}
	return label == 0 || host[n - 1] == '-' ? LS_EPARSE : 0;
}

int cert_host_norm(const char *host, char *out)
{
	size_t n = strlen(host);
	if (n > 0 && host[n - 1] == '.')
		n--;
	if (n == 0 || n > CERT_HOST_MAX)
		return LS_EPARSE;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)(host[i] >= 'A' && host[i] <= 'Z' ? host[i] + 32 : host[i]);
	out[n] = '\0';
	return cert_host_check(out);
}

static int host_path(char *out, size_t len, const char *state_dir, const char *host,
                     const char *file)
{
	int n = snprintf(out, len, "%s/%s/%s%s%s", state_dir, CERT_DIR, host, file ? "/" : "",
	                 file ? file : "");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static void file_stamp(const char *path, struct cert_file_stamp *s)
{
	struct stat st;
	memset(s, 0, sizeof(*s));
	if (stat(path, &st) != 0)
		return;
	s->present = true;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->size = st.st_size;
	s->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	s->ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
	s->mode = st.st_mode;
}

int cert_stamp_get(const char *state_dir, const char *host, struct cert_stamp *out)
{
	char path[4096];
	memset(out, 0, sizeof(*out));
	if (cert_host_check(host) != 0)
		return LS_EPARSE;
	if (host_path(path, sizeof(path), state_dir, host, CERT_CHAIN_FILE) == 0)
		file_stamp(path, &out->chain);
	if (host_path(path, sizeof(path), state_dir, host, CERT_KEY_FILE) == 0)
		file_stamp(path, &out->key);
	return 0;
}

static bool file_stamp_equal(const struct cert_file_stamp *a, const struct cert_file_stamp *b)
{
	return a->present == b->present && a->dev == b->dev && a->ino == b->ino &&
	       a->size == b->size && a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns &&
	       a->mode == b->mode;
}

bool cert_stamp_equal(const struct cert_stamp *a, const struct cert_stamp *b)
{
	return file_stamp_equal(&a->chain, &b->chain) && file_stamp_equal(&a->key, &b->key);
}

/*
 * Reads a PEM file whole, NUL-terminated as mbedTLS wants it (*len counts the NUL).
 * A secret file must not be open to group or others: -EPERM. Zero and free with drop().
 */
static int read_pem(const char *path, bool secret, unsigned char **buf, size_t *len)
{
	struct stat st;
	unsigned char *b = NULL;
	size_t n = 0;
	int rc = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	/* The mode of the file we opened, not of whatever the name points to by now. */
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto fail;
	}
	if (secret && (st.st_mode & 077)) {
		rc = -EPERM;
		goto fail;
	}
	if (st.st_size > CERT_FILE_MAX) {
		rc = LS_ETOOBIG;
		goto fail;
	}
	b = malloc(CERT_FILE_MAX + 1);
	if (b == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	for (;;) {
		ssize_t r = read(fd, b + n, CERT_FILE_MAX - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == CERT_FILE_MAX) {
			rc = LS_ETOOBIG;
			goto fail;
		}
	}
	close(fd);
	b[n] = 0;
	*buf = b;
	*len = n + 1;
	return 0;
fail:
	if (b) {
		mbedtls_platform_zeroize(b, CERT_FILE_MAX + 1);
		free(b);
	}
	close(fd);
	return rc;
}

static void drop(unsigned char *buf, size_t len)
{
	if (buf) {
		mbedtls_platform_zeroize(buf, len);
		free(buf);
	}
}

static void tls_error(char *err, size_t errlen, const char *what, int rc)
{
	char text[128];
	mbedtls_strerror(rc, text, sizeof(text));
	snprintf(err, errlen, "%s: %s", what, text);
}

/* Reads a certificate file (one or more PEM certificates) into chain. */
static int load_chain(const char *path, mbedtls_x509_crt *chain, char *err, size_t errlen)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int rc = read_pem(path, false, &buf, &len);
	if (rc) {
		snprintf(err, errlen, "%s: %s", path, rc == LS_ETOOBIG ? "file too large" : ls_strerror(rc));
		return rc;
	}
	rc = mbedtls_x509_crt_parse(chain, buf, len);
	drop(buf, len);
	if (rc != 0) {
		/* A positive count means some certificates in the file could not be parsed. */
		if (rc < 0)
			tls_error(err, errlen, path, rc);
		else
			snprintf(err, errlen, "%s: %d certificates cannot be parsed", path, rc);
		return LS_EPARSE;
	}
	return 0;
}

static int load_key(const char *path, mbedtls_pk_context *key, char *err, size_t errlen)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int rc = read_pem(path, true, &buf, &len);
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
	drop(buf, len);
	if (rc != 0) {
		tls_error(err, errlen, path, rc);
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
	char path[4096];
	int rc;
	if (cert_host_check(host) != 0) {
		snprintf(err, errlen, "'%.*s' is not a host name", 64, host);
		return LS_EPARSE;
	}
	if ((rc = host_path(path, sizeof(path), state_dir, host, CERT_CHAIN_FILE)) != 0 ||
	    (rc = load_chain(path, chain, err, errlen)) != 0)
		return rc;
	if ((rc = host_path(path, sizeof(path), state_dir, host, CERT_KEY_FILE)) != 0 ||
	    (rc = load_key(path, key, err, errlen)) != 0)
		return rc;
	if (mbedtls_pk_check_pair(&chain->pk, key) != 0) {
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

int cert_list(const char *state_dir, int (*fn)(const struct cert_info *info, void *ctx), void *ctx)
{
	char path[4096];
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
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
				goto out;
			}
			names = nn;
			cap = ncap;
		}
		if ((names[n] = strdup(e->d_name)) == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		n++;
	}
	qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct cert_info info;
		if (cert_info_get(state_dir, names[i], &info) == 0)
			rc = fn(&info, ctx);
	}
out:
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* ---- writing: the demo CA and what it issues ---- */

struct rng {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
};

static void rng_init(struct rng *r)
{
	mbedtls_entropy_init(&r->entropy);
	mbedtls_ctr_drbg_init(&r->drbg);
}

static int rng_seed(struct rng *r)
{
	static const char pers[] = "lockstep cert";
	return mbedtls_ctr_drbg_seed(&r->drbg, mbedtls_entropy_func, &r->entropy,
	                             (const unsigned char *)pers, sizeof(pers) - 1);
}

static void rng_free(struct rng *r)
{
	mbedtls_ctr_drbg_free(&r->drbg);
	mbedtls_entropy_free(&r->entropy);
}

/* Creates dir (mode) unless it is there, and takes an exclusive lock on it. Returns the fd. */
static int lock_dir(const char *dir, mode_t mode)
{
	if (mkdir(dir, mode) != 0 && errno != EEXIST)
		return -errno;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Two writers of the same host (or CA) would otherwise mix one's key with the other's cert. */
	if (flock(fd, LOCK_EX) != 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* Writes path through a temporary file in the same directory, fsync and rename (Redis rdb.c). */
static int write_atomic(const char *path, int dirfd, const void *data, size_t len, mode_t mode)
{
	char tmp[4200];
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = mkstemp(tmp);      /* created 0600: a key is never readable, not even briefly */
	if (fd < 0)
		return -errno;
	int rc = 0;
	const char *p = data;
	size_t left = len;
	while (left > 0) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = -errno;
			goto fail;
		}
		p += w;
		left -= (size_t)w;
	}
	if (fchmod(fd, mode) != 0 || fsync(fd) != 0) {
		rc = -errno;
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = -errno;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		rc = -errno;
		goto fail;
	}
	if (dirfd >= 0)
		fsync(dirfd);       /* the rename itself survives a crash */
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

static void validity(char *from, char *to, int days)
{
	time_t now = time(NULL), a = now - SKEW_SECONDS, b = now + (time_t)days * 86400;
	struct tm tm;
	gmtime_r(&a, &tm);
	strftime(from, 16, "%Y%m%d%H%M%S", &tm);
	gmtime_r(&b, &tm);
	strftime(to, 16, "%Y%m%d%H%M%S", &tm);
}

static int gen_key(mbedtls_pk_context *key, struct rng *r)
{
	int rc = mbedtls_pk_setup(key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
	if (rc == 0)
		rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*key),
		                         mbedtls_ctr_drbg_random, &r->drbg);
	return rc;
}

/* Common fields of both kinds of certificate: random positive serial, SHA-256, validity. */
static int crt_common(mbedtls_x509write_cert *crt, struct rng *r, int days)
{
	unsigned char sb[16];
	char from[16], to[16];
	mbedtls_mpi serial;
	mbedtls_mpi_init(&serial);
	int rc = mbedtls_ctr_drbg_random(&r->drbg, sb, sizeof(sb));
	sb[0] &= 0x7f;
	sb[0] |= 0x01;    /* positive, and always 16 bytes long */
	if (rc == 0)
		rc = mbedtls_mpi_read_binary(&serial, sb, sizeof(sb));
	if (rc == 0)
		rc = mbedtls_x509write_crt_set_serial(crt, &serial);
	mbedtls_mpi_free(&serial);
	validity(from, to, days);
	mbedtls_x509write_crt_set_version(crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(crt, MBEDTLS_MD_SHA256);
	if (rc == 0)
		rc = mbedtls_x509write_crt_set_validity(crt, from, to);
	return rc;
}

/* subjectAltName with one dNSName, and extKeyUsage serverAuth, DER-encoded by hand (2.28 has
 * no helpers for them). */
static int leaf_extensions(mbedtls_x509write_cert *crt, const char *host)
{
	unsigned char buf[CERT_HOST_MAX + 32], *p = buf + sizeof(buf);
	size_t hlen = strlen(host);
	int len = 0, k;
#define W(call) do { if ((k = (call)) < 0) return k; len += k; } while (0)
	W(mbedtls_asn1_write_raw_buffer(&p, buf, (const unsigned char *)host, hlen));
	W(mbedtls_asn1_write_len(&p, buf, hlen));
	W(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2));
	W(mbedtls_asn1_write_len(&p, buf, (size_t)len));
	W(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	int rc = mbedtls_x509write_crt_set_extension(crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
	                                             MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0,
	                                             p, (size_t)len);
	if (rc)
		return rc;
	p = buf + sizeof(buf);
	len = 0;
	W(mbedtls_asn1_write_oid(&p, buf, MBEDTLS_OID_SERVER_AUTH,
	                         MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)));
	W(mbedtls_asn1_write_len(&p, buf, (size_t)len));
	W(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
#undef W
	return mbedtls_x509write_crt_set_extension(crt, MBEDTLS_OID_EXTENDED_KEY_USAGE,
	                                           MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE), 0,
	                                           p, (size_t)len);
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* Loads the CA: certificate, key (0600) and the two matching. */
static int load_ca(const char *state_dir, mbedtls_x509_crt *ca, mbedtls_pk_context *key,
                   char *err, size_t errlen)
{
	char path[4096];
	int rc;
	snprintf(path, sizeof(path), "%s/%s/%s", state_dir, CERT_CA_DIR, CERT_CA_FILE);
	if ((rc = load_chain(path, ca, err, errlen)) != 0)
		return rc;
	snprintf(path, sizeof(path), "%s/%s/%s", state_dir, CERT_CA_DIR, CERT_CA_KEY_FILE);
	if ((rc = load_key(path, key, err, errlen)) != 0)
		return rc;
	if (mbedtls_pk_check_pair(&ca->pk, key) != 0) {
		snprintf(err, errlen, "%s/%s: %s does not belong to %s", state_dir, CERT_CA_DIR,
		         CERT_CA_KEY_FILE, CERT_CA_FILE);
		return LS_EPARSE;
	}
	return 0;
}

int cert_demo_ca(const char *state_dir, bool *created, char *err, size_t errlen)
{
	char dir[4096], cpath[4200], kpath[4200];
	unsigned char kpem[PEM_MAX], cpem[PEM_MAX];
	mbedtls_pk_context key;
	mbedtls_x509write_cert crt;
	mbedtls_x509_crt ca;
	struct rng r;
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
	if ((dfd = lock_dir(dir, 0755)) < 0) {
		snprintf(err, errlen, "%s: %s", dir, ls_strerror(dfd));
		return dfd;
	}
	mbedtls_pk_init(&key);
	mbedtls_x509write_crt_init(&crt);
	mbedtls_x509_crt_init(&ca);
	rng_init(&r);
	bool has_crt = exists(cpath), has_key = exists(kpath);
	if (has_crt || has_key) {
		/* Keep what is there; a half CA is the operator's to repair, never ours to replace. */
		if (!has_crt || !has_key) {
			snprintf(err, errlen, "%s has %s but no %s; remove the directory to start over", dir,
			         has_crt ? CERT_CA_FILE : CERT_CA_KEY_FILE,
			         has_crt ? CERT_CA_KEY_FILE : CERT_CA_FILE);
			rc = LS_EPARSE;
		} else {
			rc = load_ca(state_dir, &ca, &key, err, errlen);
		}
		goto out;
	}
	if ((rc = rng_seed(&r)) != 0 || (rc = gen_key(&key, &r)) != 0) {
		tls_error(err, errlen, "cannot make a key", rc);
		goto out;
	}
	mbedtls_x509write_crt_set_subject_key(&crt, &key);
	mbedtls_x509write_crt_set_issuer_key(&crt, &key);
	if ((rc = crt_common(&crt, &r, CERT_CA_DAYS)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_subject_name(&crt, CA_SUBJECT)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_issuer_name(&crt, CA_SUBJECT)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_basic_constraints(&crt, 1, 0)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_key_usage(&crt, MBEDTLS_X509_KU_KEY_CERT_SIGN |
	                                                    MBEDTLS_X509_KU_CRL_SIGN)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_subject_key_identifier(&crt)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_authority_key_identifier(&crt)) != 0 ||
	    (rc = mbedtls_x509write_crt_pem(&crt, cpem, sizeof(cpem), mbedtls_ctr_drbg_random,
	                                    &r.drbg)) != 0 ||
	    (rc = mbedtls_pk_write_key_pem(&key, kpem, sizeof(kpem))) != 0) {
		tls_error(err, errlen, "cannot make the CA certificate", rc);
		goto out;
	}
	/* The key first: a certificate without its key is the state the next run refuses. */
	if ((rc = write_atomic(kpath, dfd, kpem, strlen((char *)kpem), 0600)) != 0 ||
	    (rc = write_atomic(cpath, dfd, cpem, strlen((char *)cpem), 0644)) != 0) {
		snprintf(err, errlen, "%s: %s", dir, ls_strerror(rc));
		goto out;
	}
	*created = true;
out:
	mbedtls_platform_zeroize(kpem, sizeof(kpem));
	mbedtls_x509_crt_free(&ca);
	mbedtls_x509write_crt_free(&crt);
	mbedtls_pk_free(&key);
	rng_free(&r);
	close(dfd);
	return rc;
}

int cert_issue(const char *state_dir, const char *host, char *err, size_t errlen)
{
	char dir[4096], path[4200], issuer[CERT_TEXT_MAX], subject[CERT_HOST_MAX + 8];
	unsigned char kpem[PEM_MAX], *chain = NULL;
	mbedtls_pk_context cakey, key;
	mbedtls_x509_crt ca;
	mbedtls_x509write_cert crt;
	struct rng r;
	int rc, dfd = -1;
	if (cert_host_check(host) != 0) {
		snprintf(err, errlen, "'%.*s' is not a lower-case host name", 64, host);
		return LS_EPARSE;
	}
	snprintf(path, sizeof(path), "%s/%s/%s", state_dir, CERT_CA_DIR, CERT_CA_FILE);
	if (!exists(path)) {
		snprintf(err, errlen, "no demo CA in %s/%s (zonectl cert demo-ca makes one)", state_dir,
		         CERT_CA_DIR);
		return -ENOENT;
	}
	mbedtls_pk_init(&cakey);
	mbedtls_pk_init(&key);
	mbedtls_x509_crt_init(&ca);
	mbedtls_x509write_crt_init(&crt);
	rng_init(&r);
	size_t cap = 2 * PEM_MAX + CERT_FILE_MAX;
	if ((chain = malloc(cap)) == NULL) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if ((rc = load_ca(state_dir, &ca, &cakey, err, errlen)) != 0)
		goto out;
	if (mbedtls_x509_dn_gets(issuer, sizeof(issuer), &ca.subject) < 0) {
		rc = LS_EPARSE;
		snprintf(err, errlen, "the demo CA's subject name cannot be read");
		goto out;
	}
	snprintf(subject, sizeof(subject), "CN=%s", host);
	if ((rc = rng_seed(&r)) != 0 || (rc = gen_key(&key, &r)) != 0) {
		tls_error(err, errlen, "cannot make a key", rc);
		goto out;
	}
	mbedtls_x509write_crt_set_subject_key(&crt, &key);
	mbedtls_x509write_crt_set_issuer_key(&crt, &cakey);
	if ((rc = crt_common(&crt, &r, CERT_LEAF_DAYS)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_subject_name(&crt, subject)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_issuer_name(&crt, issuer)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_basic_constraints(&crt, 0, -1)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_key_usage(&crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE)) != 0 ||
	    (rc = leaf_extensions(&crt, host)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_subject_key_identifier(&crt)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_authority_key_identifier(&crt)) != 0 ||
	    (rc = mbedtls_x509write_crt_pem(&crt, chain, PEM_MAX, mbedtls_ctr_drbg_random,
	                                    &r.drbg)) != 0 ||
	    (rc = mbedtls_pk_write_key_pem(&key, kpem, sizeof(kpem))) != 0) {
		tls_error(err, errlen, "cannot make the certificate", rc);
		goto out;
	}
	/* fullchain = the leaf, then the CA as the CA file has it. */
	size_t n = strlen((char *)chain);
	size_t olen = 0;
	rc = mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n", "-----END CERTIFICATE-----\n",
	                              ca.raw.p, ca.raw.len, chain + n, cap - n, &olen);
	if (rc) {
		tls_error(err, errlen, "cannot write the chain", rc);
		goto out;
	}
	n += olen - 1;      /* olen counts the NUL */
	snprintf(dir, sizeof(dir), "%s/%s", state_dir, CERT_DIR);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		goto out;
	}
	snprintf(dir, sizeof(dir), "%s/%s/%s", state_dir, CERT_DIR, host);
	if ((dfd = lock_dir(dir, 0755)) < 0) {
		rc = dfd;
		snprintf(err, errlen, "%s: %s", dir, ls_strerror(rc));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, CERT_KEY_FILE);
	if ((rc = write_atomic(path, dfd, kpem, strlen((char *)kpem), 0600)) != 0) {
		snprintf(err, errlen, "%s: %s", path, ls_strerror(rc));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, CERT_CHAIN_FILE);
	if ((rc = write_atomic(path, dfd, chain, n, 0644)) != 0) {
		snprintf(err, errlen, "%s: %s", path, ls_strerror(rc));
		goto out;
	}
out:
	mbedtls_platform_zeroize(kpem, sizeof(kpem));
	free(chain);
	mbedtls_x509write_crt_free(&crt);
	mbedtls_x509_crt_free(&ca);
	mbedtls_pk_free(&key);
	mbedtls_pk_free(&cakey);
	rng_free(&r);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

int cert_demo_ensure(const char *state_dir, const char *host, char *err, size_t errlen)
{
	char path[4096];
	struct cert_info info;
	snprintf(path, sizeof(path), "%s/%s/%s", state_dir, CERT_CA_DIR, CERT_CA_FILE);
	if (!exists(path))
		return 0;
	if (cert_info_get(state_dir, host, &info) != 0) {
		snprintf(err, errlen, "'%.*s' is not a lower-case host name", 64, host);
		return LS_EPARSE;
	}
	if (info.error == 0 && info.not_after - (int64_t)time(NULL) > (int64_t)CERT_RENEW_DAYS * 86400)
		return 0;
	return cert_issue(state_dir, host, err, errlen);
}
