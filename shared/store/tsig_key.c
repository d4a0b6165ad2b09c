/* TSIG keys stored by name: tag, version, algorithm, secret length, secret. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <mbedtls/base64.h>
#include <mbedtls/platform_util.h>
#include "shared/util/err.h"
#include "shared/store/tsig_key.h"

#define VAL_FIXED 4                  /* tag, version, algorithm, secret length */

static const uint8_t root[1] = { 0 };

/* Keys are names in lookup format, so a cursor lists them in DNS order. */
static int key_of(uint8_t k[DNAME_LF_MAX], const uint8_t *name)
{
	return dname_lf(k, name, root);
}

int tsig_key_name(const char *text, uint8_t name[DNAME_MAX])
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";
	/* Plain names only (letters, digits, - _ .): they go into other servers' configurations. */
	size_t n = strlen(text);
	if (n == 0 || n >= TSIG_KEY_TEXT_MAX || strspn(text, ok) != n || strcmp(text, ".") == 0 ||
	    dname_parse(name, text, root) <= 1)
		return -1;
	dname_lower(name);
	return 0;
}

const char *tsig_key_name_text(const uint8_t *name, char *out, size_t len)
{
	char buf[DNAME_STR_MAX];
	dname_format(buf, name);
	size_t n = strlen(buf);
	if (n > 1 && buf[n - 1] == '.')
		buf[n - 1] = 0;
	snprintf(out, len, "%s", buf);
	return out;
}

int tsig_key_generate(struct tsig_key *k, const uint8_t *name, enum tsig_alg alg)
{
	memset(k, 0, sizeof(*k));
	k->secret_len = tsig_alg_mac_len(alg);
	if (k->secret_len == 0 || k->secret_len > TSIG_SECRET_MAX)
		return -EINVAL;
	memcpy(k->name, name, (size_t)dname_wire_len(name, DNAME_MAX));
	k->alg = alg;
	/* getrandom blocks only until the kernel's pool is first seeded, then never. */
	if (getrandom(k->secret, k->secret_len, 0) != (ssize_t)k->secret_len)
		return errno ? -errno : -EIO;
	return 0;
}

int tsig_key_secret_text(const struct tsig_key *k, char out[TSIG_SECRET_TEXT_MAX])
{
	size_t n;
	if (mbedtls_base64_encode((unsigned char *)out, TSIG_SECRET_TEXT_MAX, &n, k->secret,
	                          k->secret_len) != 0)
		return LS_ETOOBIG;
	out[n] = 0;
	return 0;
}

static int decode(const MDB_val *key, const MDB_val *v, struct tsig_key *k)
{
	const uint8_t *p = v->mv_data;
	memset(k, 0, sizeof(*k));
	if (v->mv_size < VAL_FIXED || p[0] != TSIG_KEY_TAG || p[1] != TSIG_KEY_VERSION ||
	    p[3] > TSIG_SECRET_MAX || v->mv_size != VAL_FIXED + (size_t)p[3] ||
	    tsig_alg_mac_len((enum tsig_alg)p[2]) == 0 || key->mv_size > DNAME_LF_MAX ||
	    dname_from_lf(k->name, key->mv_data, key->mv_size, root) < 0)
		return LS_ESTORE;
	k->alg = (enum tsig_alg)p[2];
	k->secret_len = p[3];
	memcpy(k->secret, p + VAL_FIXED, k->secret_len);
	return 0;
}

int tsig_key_get(struct store_txn *t, const uint8_t *name, struct tsig_key *out)
{
	uint8_t k[DNAME_LF_MAX];
	MDB_val key, v;
	key.mv_size = (size_t)key_of(k, name);
	key.mv_data = k;
	int rc = store_get(t, STORE_TSIG, k, key.mv_size, &v);
	return rc ? rc : decode(&key, &v, out);
}

void tsig_key_put(struct store_txn *t, const struct tsig_key *k)
{
	uint8_t v[VAL_FIXED + TSIG_SECRET_MAX];
	v[0] = TSIG_KEY_TAG;
	v[1] = TSIG_KEY_VERSION;
	v[2] = (uint8_t)k->alg;
	v[3] = (uint8_t)k->secret_len;
	memcpy(v + VAL_FIXED, k->secret, k->secret_len);
	uint8_t key[DNAME_LF_MAX];
	store_put(t, STORE_TSIG, key, (size_t)key_of(key, k->name), v, VAL_FIXED + k->secret_len, 0);
	mbedtls_platform_zeroize(v, sizeof(v));
}

int tsig_key_del(struct store_txn *t, const uint8_t *name)
{
	uint8_t k[DNAME_LF_MAX];
	MDB_val v;
	size_t kl = (size_t)key_of(k, name);
	int rc = store_get(t, STORE_TSIG, k, kl, &v);
	if (rc)
		return rc;
	store_del(t, STORE_TSIG, k, kl);
	return t->err;
}

int tsig_key_list(struct store_txn *t, int (*fn)(const struct tsig_key *k, void *ctx), void *ctx)
{
	MDB_cursor *cur;
	MDB_val k, v;
	struct tsig_key key;
	int rc = store_cursor(t, STORE_TSIG, &cur);
	if (rc)
		return rc;
	for (int op = MDB_FIRST; (rc = mdb_cursor_get(cur, &k, &v, op)) == 0; op = MDB_NEXT) {
		rc = decode(&k, &v, &key);
		if (rc != 0 || (rc = fn(&key, ctx)) != 0)
			break;
	}
	tsig_key_wipe(&key);
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

void tsig_key_wipe(struct tsig_key *k)
{
	mbedtls_platform_zeroize(k->secret, sizeof(k->secret));
}
