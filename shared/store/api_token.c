/* API tokens in STORE_API: salted SHA-256 of the secret, compared in constant time. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <mbedtls/sha256.h>
#include "shared/store/api_token.h"
#include "shared/dns/wire.h"
#include "shared/util/err.h"

/* tag, version, flags, created (8), salt, hash, zone count */
#define HDR (3 + 8 + API_TOKEN_SALT + API_TOKEN_HASH + 1)
#define FLAG_READ_ONLY 1u

bool api_token_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > API_TOKEN_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

static void digest(const uint8_t salt[API_TOKEN_SALT], const char *secret, size_t len,
                   uint8_t out[API_TOKEN_HASH])
{
	mbedtls_sha256_context c;
	mbedtls_sha256_init(&c);
	mbedtls_sha256_starts_ret(&c, 0);
	mbedtls_sha256_update_ret(&c, salt, API_TOKEN_SALT);
	mbedtls_sha256_update_ret(&c, (const unsigned char *)secret, len);
	mbedtls_sha256_finish_ret(&c, out);
	mbedtls_sha256_free(&c);
}

int api_token_make(struct api_token *tk, const char *name, char secret[API_TOKEN_SECRET_TEXT])
{
	uint8_t raw[API_TOKEN_SECRET_BYTES];
	memset(tk, 0, sizeof(*tk));
	if (!api_token_name_ok(name))
		return -EINVAL;
	snprintf(tk->name, sizeof(tk->name), "%s", name);
	/* getrandom blocks only until the kernel's pool is first seeded, then never. */
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw) ||
	    getrandom(tk->salt, sizeof(tk->salt), 0) != (ssize_t)sizeof(tk->salt))
		return -EIO;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(secret + 2 * i, 3, "%02x", raw[i]);
	memset(raw, 0, sizeof(raw));
	digest(tk->salt, secret, strlen(secret), tk->hash);
	tk->created = (int64_t)time(NULL);
	return 0;
}

int api_token_decode(const void *val, size_t len, const char *name, size_t nlen,
                     struct api_token *out)
{
	const uint8_t *p = val;
	memset(out, 0, sizeof(*out));
	if (len < HDR || p[0] != API_TOKEN_TAG || p[1] != API_TOKEN_VERSION || nlen == 0 ||
	    nlen > API_TOKEN_NAME_MAX)
		return LS_EPARSE;
	memcpy(out->name, name, nlen);
	if (!api_token_name_ok(out->name))
		return LS_EPARSE;
	out->read_only = p[2] & FLAG_READ_ONLY;
	out->created = (int64_t)wire_get64(p + 3);
	memcpy(out->salt, p + 11, API_TOKEN_SALT);
	memcpy(out->hash, p + 11 + API_TOKEN_SALT, API_TOKEN_HASH);
	unsigned n = p[HDR - 1];
	size_t pos = HDR;
	if (n > API_TOKEN_ZONES_MAX)
		return LS_EPARSE;
	for (unsigned i = 0; i < n; i++) {
		if (pos >= len)
			return LS_EPARSE;
		int wl = dname_wire_len(p + pos, len - pos);
		if (wl <= 0)
			return LS_EPARSE;
		memcpy(out->zones[i], p + pos, (size_t)wl);
		pos += (size_t)wl;
	}
	out->nzones = n;
	return 0;   /* bytes after the known fields: a newer writer's additions */
}

/* The stored value of name: 0, LS_ENOTFOUND or a store error. */
static int value_of(struct store_txn *t, const char *name, size_t *nlen, MDB_val *v)
{
	*nlen = strlen(name);
	if (*nlen == 0 || *nlen > API_TOKEN_NAME_MAX)
		return LS_ENOTFOUND;
	return store_get(t, STORE_API, name, *nlen, v);
}

int api_token_get(struct store_txn *t, const char *name, struct api_token *out)
{
	MDB_val v;
	size_t nlen;
	int rc = value_of(t, name, &nlen, &v);
	return rc ? rc : api_token_decode(v.mv_data, v.mv_size, name, nlen, out);
}

void api_token_put(struct store_txn *t, const struct api_token *tk)
{
	uint8_t buf[HDR + API_TOKEN_ZONES_MAX * DNAME_MAX];
	buf[0] = API_TOKEN_TAG;
	buf[1] = API_TOKEN_VERSION;
	buf[2] = tk->read_only ? FLAG_READ_ONLY : 0;
	wire_put64(buf + 3, (uint64_t)tk->created);
	memcpy(buf + 11, tk->salt, API_TOKEN_SALT);
	memcpy(buf + 11 + API_TOKEN_SALT, tk->hash, API_TOKEN_HASH);
	buf[HDR - 1] = (uint8_t)tk->nzones;
	size_t pos = HDR;
	for (unsigned i = 0; i < tk->nzones; i++) {
		int wl = dname_wire_len(tk->zones[i], DNAME_MAX);
		memcpy(buf + pos, tk->zones[i], (size_t)wl);
		pos += (size_t)wl;
	}
	store_put(t, STORE_API, tk->name, strlen(tk->name), buf, pos, 0);
}

int api_token_del(struct store_txn *t, const char *name)
{
	MDB_val v;
	size_t nlen;
	int rc = value_of(t, name, &nlen, &v);
	if (rc)
		return rc;
	store_del(t, STORE_API, name, nlen);
	return t->err;
}

int api_token_each(struct store_txn *t, int (*fn)(const struct api_token *tk, void *ctx),
                   void *ctx)
{
	MDB_cursor *cur;
	MDB_val k, v;
	struct api_token tk;
	int rc = store_cursor(t, STORE_API, &cur);
	if (rc)
		return rc == LS_ENOTFOUND ? 0 : rc;
	for (int op = MDB_FIRST; (rc = mdb_cursor_get(cur, &k, &v, op)) == 0; op = MDB_NEXT) {
		if (api_token_decode(v.mv_data, v.mv_size, k.mv_data, k.mv_size, &tk) != 0)
			continue;     /* store check reports it; a bad token never authenticates */
		if ((rc = fn(&tk, ctx)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc > 0 ? store_errno(rc) : rc;
}

struct find {
	const char *secret;
	size_t len;
	struct api_token *out;
	bool found;
};

static int find_fn(const struct api_token *tk, void *ctx)
{
	struct find *f = ctx;
	uint8_t h[API_TOKEN_HASH];
	unsigned diff = 0;
	digest(tk->salt, f->secret, f->len, h);
	for (size_t i = 0; i < API_TOKEN_HASH; i++)
		diff |= h[i] ^ tk->hash[i];
	if (diff == 0 && !f->found) {
		*f->out = *tk;
		f->found = true;
	}
	return 0;     /* every token is hashed, found or not */
}

int api_token_find(struct store_txn *t, const char *secret, size_t len, struct api_token *out)
{
	struct find f = { secret, len, out, false };
	if (len == 0)
		return LS_ENOTFOUND;
	int rc = api_token_each(t, find_fn, &f);
	if (rc)
		return rc;
	return f.found ? 0 : LS_ENOTFOUND;
}

bool api_token_allows(const struct api_token *tk, const uint8_t *apex)
{
	if (tk->nzones == 0)
		return true;
	for (unsigned i = 0; i < tk->nzones; i++)
		if (dname_equal(tk->zones[i], apex))
			return true;
	return false;
}
