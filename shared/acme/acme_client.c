/* The RFC 8555 client: directory, nonces, signed requests, accounts. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <mbedtls/sha256.h>
#include "shared/util/err.h"
#include "shared/util/file.h"
#include "shared/sts/sts_fetch.h"
#include "shared/tls/cert.h"
#include "shared/tls/cert_make.h"
#include "shared/acme/acme_jws.h"
#include "shared/acme/acme_client.h"

#define NONCES 8                /* nonces kept from earlier answers */
#define BAD_NONCE_TRIES 3       /* RFC 8555 6.5: retry with the nonce the error carried */
#define ACCOUNT_FILE_MAX 8192
#define KEY_PEM_MAX 1024
#define PROBLEM_PREFIX "urn:ietf:params:acme:error:"

struct acme_client {
	const struct config *cfg;
	char state_dir[4096];
	struct sts_fetch *http;
	struct stat trust[2];             /* the system store and ca-bundle as read */
	struct cert_make mk;
	char *urls[ACME_DIRECTORIES_MAX];
	size_t nurls;
	size_t cur;                       /* the directory in use; nurls before the first */
	struct acme_directory_info info;
	bool have_info;
	mbedtls_pk_context key;           /* the account key of directory cur */
	bool have_key;
	char kid[ACME_URL_MAX];
	char thumb[ACME_B64_SHA256];
	long retry_after;                 /* of the last answer that was not a success */
	char nonces[NONCES][HTTP_RESPONSE_NONCE_MAX];
	size_t nnonces;
};

void acme_reply_free(struct acme_reply *r)
{
	json_decref(r->json);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static void stat_or_zero(const char *path, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	if (path && *path)
		stat(path, st);
}

static int open_trust(struct acme_client *c, char *err, size_t errlen)
{
	struct sts_fetch *f;
	const char *bundle = c->cfg->acme_ca_bundle;
	int rc = sts_fetch_open(&f, ACME_SYSTEM_STORE, err, errlen);
	if (rc == 0 && bundle && *bundle && (rc = sts_fetch_add_ca(f, bundle, err, errlen)) != 0)
		sts_fetch_close(f);
	if (rc)
		return rc;
	sts_fetch_close(c->http);
	c->http = f;
	stat_or_zero(ACME_SYSTEM_STORE, &c->trust[0]);
	stat_or_zero(bundle, &c->trust[1]);
	return 0;
}

static bool changed(const struct stat *a, const struct stat *b)
{
	return a->st_ino != b->st_ino || a->st_size != b->st_size ||
	       a->st_mtim.tv_sec != b->st_mtim.tv_sec || a->st_mtim.tv_nsec != b->st_mtim.tv_nsec;
}

int acme_client_refresh(struct acme_client *c, char *err, size_t errlen)
{
	struct stat now[2];
	stat_or_zero(ACME_SYSTEM_STORE, &now[0]);
	stat_or_zero(c->cfg->acme_ca_bundle, &now[1]);
	if (!changed(&now[0], &c->trust[0]) && !changed(&now[1], &c->trust[1]))
		return 0;
	return open_trust(c, err, errlen);
}

int acme_client_open(struct acme_client **out, const struct config *cfg, const char *state_dir,
                     char *err, size_t errlen)
{
	struct acme_client *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->cfg = cfg;
	snprintf(c->state_dir, sizeof(c->state_dir), "%s", state_dir);
	cert_make_init(&c->mk);
	mbedtls_pk_init(&c->key);
	for (const char *s = cfg->acme_directory; *s && c->nurls < ACME_DIRECTORIES_MAX;) {
		size_t n = strcspn(s, " \t");
		if (n && (c->urls[c->nurls++] = strndup(s, n)) == NULL)
			goto nomem;
		s += n + (s[n] != 0);
	}
	c->cur = c->nurls;
	if (c->nurls == 0) {
		snprintf(err, errlen, "acme.directory is empty");
		acme_client_close(c);
		return LS_ECONFIG;
	}
	int rc = open_trust(c, err, errlen);
	if (rc == 0 && cert_make_seed(&c->mk) != 0) {
		snprintf(err, errlen, "cannot seed the random generator");
		rc = LS_ECONFIG;
	}
	if (rc) {
		acme_client_close(c);
		return rc;
	}
	*out = c;
	return 0;
nomem:
	acme_client_close(c);
	return -ENOMEM;
}

void acme_client_close(struct acme_client *c)
{
	if (c == NULL)
		return;
	sts_fetch_close(c->http);
	for (size_t i = 0; i < c->nurls; i++)
		free(c->urls[i]);
	acme_json_directory_free(&c->info);
	mbedtls_pk_free(&c->key);
	cert_make_free(&c->mk);
	free(c);
}

size_t acme_client_directories(const struct acme_client *c)
{
	return c->nurls;
}

const char *acme_client_directory_url(const struct acme_client *c, size_t i)
{
	return i < c->nurls ? c->urls[i] : "";
}

const struct acme_directory_info *acme_client_info(const struct acme_client *c)
{
	return &c->info;
}

const char *acme_client_thumbprint(const struct acme_client *c)
{
	return c->thumb;
}

struct cert_make *acme_client_rng(struct acme_client *c)
{
	return &c->mk;
}

static void keep_nonce(struct acme_client *c, const char *nonce)
{
	if (!*nonce)
		return;
	if (c->nnonces == NONCES) {
		memmove(c->nonces[0], c->nonces[1], sizeof(c->nonces[0]) * (NONCES - 1));
		c->nnonces--;
	}
	snprintf(c->nonces[c->nnonces++], sizeof(c->nonces[0]), "%s", nonce);
}

/* One HTTPS request; the reply parsed (JSON bodies, problem documents). */
static int request(struct acme_client *c, const char *method, const char *url, const char *jws,
                   struct acme_reply *r, char *err, size_t errlen)
{
	struct sts_fetch_req q = { method, url, jws ? "application/jose+json" : NULL, jws,
	                           jws ? strlen(jws) : 0, ACME_TIMEOUT_MS, "lockstep-acme", false };
	struct http_response h;
	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
	c->retry_after = -1;
	int rc = sts_fetch_request(c->http, &q, &h, &r->body, &r->len, err, errlen);
	if (rc)
		return rc;
	r->status = h.status;
	r->retry_after = h.retry_after;
	snprintf(r->location, sizeof(r->location), "%s", h.location);
	keep_nonce(c, h.replay_nonce);
	if (strstr(h.content_type, "json"))
		r->json = json_loadb(r->body, r->len, 0, NULL);
	if (h.status >= 200 && h.status < 300)
		return 0;
	c->retry_after = h.retry_after;
	struct acme_problem p;
	acme_json_problem(r->json, &p);
	snprintf(r->problem_type, sizeof(r->problem_type), "%s", p.type);
	if (*p.detail)
		snprintf(r->problem_detail, sizeof(r->problem_detail), "%s", p.detail);
	else
		snprintf(r->problem_detail, sizeof(r->problem_detail), "HTTP status %d from %s",
		         h.status, url);
	snprintf(err, errlen, "%s%s%s", r->problem_type, *r->problem_type ? ": " : "",
	         r->problem_detail);
	return -EPROTO;
}

long acme_client_retry_after(const struct acme_client *c)
{
	return c->retry_after;
}

int acme_client_get(struct acme_client *c, const char *url, struct acme_reply *r, char *err,
                    size_t errlen)
{
	return request(c, "GET", url, NULL, r, err, errlen);
}

static bool problem_is(const struct acme_reply *r, const char *what)
{
	size_t n = strlen(PROBLEM_PREFIX);
	return strncmp(r->problem_type, PROBLEM_PREFIX, n) == 0 &&
	       strcmp(r->problem_type + n, what) == 0;
}

static int nonce(struct acme_client *c, char *out, char *err, size_t errlen)
{
	if (c->nnonces == 0) {
		struct acme_reply r;
		int rc = request(c, "HEAD", c->info.new_nonce, NULL, &r, err, errlen);
		acme_reply_free(&r);
		if (rc)
			return rc;
		if (c->nnonces == 0) {
			snprintf(err, errlen, "%s: no Replay-Nonce in the answer", c->info.new_nonce);
			return LS_EPARSE;
		}
	}
	snprintf(out, HTTP_RESPONSE_NONCE_MAX, "%s", c->nonces[--c->nnonces]);
	return 0;
}

/* A signed request, retried with a fresh nonce after badNonce. kid NULL: signed with jwk. */
static int post_signed(struct acme_client *c, const char *url, const char *kid,
                       const char *payload, struct acme_reply *r, char *err, size_t errlen)
{
	char n[HTTP_RESPONSE_NONCE_MAX];
	int rc = 0;
	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
	for (int i = 0; i < BAD_NONCE_TRIES; i++) {
		if ((rc = nonce(c, n, err, errlen)) != 0)
			return rc;
		char *jws = acme_jws_sign(&c->key, mbedtls_ctr_drbg_random, &c->mk.drbg, kid, n, url,
		                          payload);
		if (jws == NULL) {
			snprintf(err, errlen, "cannot sign the request");
			return -ENOMEM;
		}
		rc = request(c, "POST", url, jws, r, err, errlen);
		free(jws);
		if (rc != -EPROTO || !problem_is(r, "badNonce") || i + 1 == BAD_NONCE_TRIES)
			return rc;
		acme_reply_free(r);
	}
	return rc;
}

/* STATE/acme/accounts/ID, ID a hash of the directory URL: one account per directory. */
static void account_dir(const struct acme_client *c, const char *url, char *out, size_t len)
{
	uint8_t d[32];
	char hex[17];
	mbedtls_sha256_ret((const unsigned char *)url, strlen(url), d, 0);
	for (int i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	snprintf(out, len, "%s/%s/%s", c->state_dir, ACME_ACCOUNTS_DIR, hex);
}

static int mkdirs(const char *path)
{
	char p[4400];
	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			if (mkdir(p, 0700) != 0 && errno != EEXIST)
				return -errno;
			*s = '/';
		}
	return mkdir(p, 0700) != 0 && errno != EEXIST ? -errno : 0;
}

/* The account key of the directory: read, or made and written (0600) the first time. */
static int load_key(struct acme_client *c, const char *dir, char *err, size_t errlen)
{
	char path[4400];
	unsigned char pem[KEY_PEM_MAX];
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	mbedtls_pk_free(&c->key);
	mbedtls_pk_init(&c->key);
	c->have_key = false;
	int rc = cert_load_key(path, &c->key, err, errlen);
	if (rc == -ENOENT) {
		if ((rc = mkdirs(dir)) != 0) {
			snprintf(err, errlen, "%s: %s", dir, strerror(-rc));
			return rc;
		}
		if ((rc = cert_make_key(&c->mk, &c->key, err, errlen)) != 0)
			return rc;
		if ((rc = mbedtls_pk_write_key_pem(&c->key, pem, sizeof(pem))) != 0 ||
		    (rc = file_write_atomic(path, -1, pem, strlen((char *)pem), 0600)) != 0) {
			snprintf(err, errlen, "%s: cannot write the account key", path);
			mbedtls_platform_zeroize(pem, sizeof(pem));
			return rc < 0 ? rc : -EIO;
		}
		mbedtls_platform_zeroize(pem, sizeof(pem));
	} else if (rc) {
		return rc;
	}
	c->have_key = true;
	return acme_jwk_thumbprint(&c->key, c->thumb);
}

static int read_account(const char *dir, struct acme_account *a)
{
	char path[4400], *buf;
	size_t len;
	snprintf(path, sizeof(path), "%s/account.json", dir);
	memset(a, 0, sizeof(*a));
	int rc = file_read(path, ACCOUNT_FILE_MAX, FILE_REGULAR, &buf, &len);
	if (rc)
		return rc;
	json_t *o = json_loadb(buf, len, 0, NULL);
	file_free(buf, len, FILE_REGULAR);
	const char *kid = json_string_value(json_object_get(o, "kid"));
	if (kid == NULL) {
		json_decref(o);
		return LS_EPARSE;
	}
	snprintf(a->kid, sizeof(a->kid), "%s", kid);
	snprintf(a->directory, sizeof(a->directory), "%s",
	         json_string_value(json_object_get(o, "directory")) ?: "");
	snprintf(a->contact, sizeof(a->contact), "%s",
	         json_string_value(json_object_get(o, "contact")) ?: "");
	a->created = json_integer_value(json_object_get(o, "created"));
	json_decref(o);
	return 0;
}

/* newAccount (RFC 8555 7.3), with EAB when configured; the account URL kept in account.json. */
static int register_account(struct acme_client *c, const char *dir, char *err, size_t errlen)
{
	const struct config *cfg = c->cfg;
	struct acme_reply r;
	uint8_t mac[256];
	size_t maclen = 0;
	char contact[ACME_URL_MAX] = "";
	json_t *payload = json_pack("{s:b}", "termsOfServiceAgreed", 1);
	if (cfg->acme_email && *cfg->acme_email) {
		snprintf(contact, sizeof(contact), "mailto:%s", cfg->acme_email);
		json_object_set_new(payload, "contact", json_pack("[s]", contact));
	}
	if (cfg->acme_eab_kid && *cfg->acme_eab_kid) {
		if (acme_b64url_decode(cfg->acme_eab_hmac_key, mac, sizeof(mac), &maclen) != 0 ||
		    maclen == 0) {
			json_decref(payload);
			snprintf(err, errlen, "acme.eab-hmac-key is not base64url");
			return LS_ECONFIG;
		}
		json_object_set_new(payload, "externalAccountBinding",
		                    acme_jws_eab(&c->key, cfg->acme_eab_kid, mac, maclen,
		                                 c->info.new_account));
		mbedtls_platform_zeroize(mac, sizeof(mac));
	} else if (c->info.eab_required) {
		json_decref(payload);
		snprintf(err, errlen, "%s requires External Account Binding: set acme.eab-kid and "
		         "acme.eab-hmac-key", c->info.url);
		return LS_ECONFIG;
	}
	char *text = json_dumps(payload, JSON_COMPACT);
	json_decref(payload);
	int rc = text ? post_signed(c, c->info.new_account, NULL, text, &r, err, errlen) : -ENOMEM;
	free(text);
	if (rc == 0 && !*r.location) {
		snprintf(err, errlen, "%s: no account URL in the answer", c->info.new_account);
		rc = LS_EPARSE;
	}
	if (rc == 0) {
		char path[4400];
		json_t *a = json_pack("{s:s,s:s,s:s,s:I}", "directory", c->info.url, "kid", r.location,
		                      "contact", contact, "created", (json_int_t)time(NULL));
		char *out = a ? json_dumps(a, JSON_INDENT(2)) : NULL;
		json_decref(a);
		snprintf(path, sizeof(path), "%s/account.json", dir);
		rc = out ? file_write_atomic(path, -1, out, strlen(out), 0600) : -ENOMEM;
		if (rc)
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		else
			snprintf(c->kid, sizeof(c->kid), "%s", r.location);
		free(out);
	}
	acme_reply_free(&r);
	return rc;
}

/* The directory object (RFC 8555 7.1.1). */
static int fetch_directory(struct acme_client *c, const char *url, char *err, size_t errlen)
{
	struct acme_reply r;
	int rc = request(c, "GET", url, NULL, &r, err, errlen);
	acme_json_directory_free(&c->info);
	c->have_info = false;
	if (rc == 0)
		rc = acme_json_directory(r.json, url, &c->info, err, errlen);
	acme_reply_free(&r);
	c->have_info = rc == 0;
	return rc;
}

static int use(struct acme_client *c, size_t i, bool force_register, char *err, size_t errlen)
{
	char dir[4200];
	struct acme_account a;
	int rc;
	if (i >= c->nurls) {
		snprintf(err, errlen, "no ACME directory %zu", i);
		return LS_ECONFIG;
	}
	if (c->cur != i || !c->have_info) {
		c->nnonces = 0;
		c->kid[0] = 0;
		c->have_key = false;
		if ((rc = fetch_directory(c, c->urls[i], err, errlen)) != 0)
			return rc;
		c->cur = i;
	}
	account_dir(c, c->urls[i], dir, sizeof(dir));
	if (!c->have_key && (rc = load_key(c, dir, err, errlen)) != 0)
		return rc;
	if (!force_register && !*c->kid && read_account(dir, &a) == 0)
		snprintf(c->kid, sizeof(c->kid), "%s", a.kid);
	if (force_register || !*c->kid)
		return register_account(c, dir, err, errlen);
	return 0;
}

int acme_client_use(struct acme_client *c, size_t i, char *err, size_t errlen)
{
	return use(c, i, false, err, errlen);
}

int acme_client_register(struct acme_client *c, size_t i, char *err, size_t errlen)
{
	return use(c, i, true, err, errlen);
}

int acme_client_post(struct acme_client *c, const char *url, json_t *payload,
                     struct acme_reply *r, char *err, size_t errlen)
{
	char *text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
	char dir[4200];
	memset(r, 0, sizeof(*r));
	if (payload && text == NULL)
		return -ENOMEM;
	int rc = post_signed(c, url, c->kid, text, r, err, errlen);
	if (rc == -EPROTO && problem_is(r, "accountDoesNotExist")) {
		/* The CA forgot us (a reset staging CA): register the same key again, once. */
		acme_reply_free(r);
		account_dir(c, c->urls[c->cur], dir, sizeof(dir));
		if ((rc = register_account(c, dir, err, errlen)) == 0)
			rc = post_signed(c, url, c->kid, text, r, err, errlen);
	}
	free(text);
	return rc;
}

int acme_account_each(const char *state_dir, int (*fn)(const struct acme_account *a, void *ctx),
                      void *ctx)
{
	char base[4200], dir[4500];
	struct acme_account a;
	struct dirent **ents = NULL;
	snprintf(base, sizeof(base), "%s/%s", state_dir, ACME_ACCOUNTS_DIR);
	int n = scandir(base, &ents, NULL, alphasort), rc = 0;
	if (n < 0)
		return errno == ENOENT ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		if (rc == 0 && ents[i]->d_name[0] != '.') {
			snprintf(dir, sizeof(dir), "%s/%s", base, ents[i]->d_name);
			if (read_account(dir, &a) == 0)
				rc = fn(&a, ctx);
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}
