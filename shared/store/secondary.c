/* Secondaries in the store, keyed by zone id and address; the transfer ACL reads them. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shared/util/addr.h"
#include "shared/util/err.h"
#include "shared/store/secondary.h"
#include "shared/dns/wire.h"

#define KEY_LEN (4 + 1 + 16)         /* zone id, family, address */
#define VAL_FIXED 5                  /* tag, version, port, key length */

int secondary_parse(const char *text, struct secondary *out)
{
	memset(out, 0, sizeof(*out));
	if (addr_parse(text, 53, &out->family, out->addr, &out->port) != 0 || out->port == 0)
		return -1;
	return 0;
}

const char *secondary_format(const struct secondary *s, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	inet_ntop(s->family, s->addr, a, sizeof(a));
	snprintf(buf, len, s->family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, s->port);
	return buf;
}

static void key_of(uint8_t k[KEY_LEN], uint32_t zone_id, int family, const uint8_t *addr)
{
	memset(k, 0, KEY_LEN);
	wire_put32(k, zone_id);
	k[4] = family == AF_INET6 ? 6 : 4;
	memcpy(k + 5, addr, family == AF_INET6 ? 16 : 4);
}

void secondary_put(struct store_txn *t, uint32_t zone_id, const struct secondary *s)
{
	uint8_t k[KEY_LEN], v[VAL_FIXED + SECONDARY_KEY_MAX];
	size_t kl = strnlen(s->key, SECONDARY_KEY_MAX - 1);
	key_of(k, zone_id, s->family, s->addr);
	v[0] = SECONDARY_TAG;
	v[1] = SECONDARY_VERSION;
	wire_put16(v + 2, s->port);
	v[4] = (uint8_t)kl;
	memcpy(v + VAL_FIXED, s->key, kl);
	store_put(t, STORE_SECONDARIES, k, sizeof(k), v, VAL_FIXED + kl, 0);
}

int secondary_del(struct store_txn *t, uint32_t zone_id, const struct secondary *s)
{
	uint8_t k[KEY_LEN];
	MDB_val v;
	key_of(k, zone_id, s->family, s->addr);
	int rc = store_get(t, STORE_SECONDARIES, k, sizeof(k), &v);
	if (rc)
		return rc;
	store_del(t, STORE_SECONDARIES, k, sizeof(k));
	return t->err;
}

static int decode(const MDB_val *k, const MDB_val *v, struct secondary *s)
{
	const uint8_t *kb = k->mv_data, *vb = v->mv_data;
	if (k->mv_size != KEY_LEN || v->mv_size < VAL_FIXED || vb[0] != SECONDARY_TAG ||
	    vb[1] != SECONDARY_VERSION || VAL_FIXED + (size_t)vb[4] != v->mv_size ||
	    vb[4] >= SECONDARY_KEY_MAX)
		return LS_ESTORE;
	memset(s, 0, sizeof(*s));
	s->family = kb[4] == 6 ? AF_INET6 : AF_INET;
	memcpy(s->addr, kb + 5, 16);
	s->port = wire_get16(vb + 2);
	memcpy(s->key, vb + VAL_FIXED, vb[4]);
	return 0;
}

int secondary_list(struct store_txn *t, uint32_t zone_id,
                   int (*fn)(const struct secondary *s, void *ctx), void *ctx)
{
	uint8_t id[4];
	MDB_cursor *cur;
	MDB_val k = { 4, id }, v;
	struct secondary s;
	wire_put32(id, zone_id);
	int rc = store_cursor(t, STORE_SECONDARIES, &cur);
	if (rc)
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < 4 || memcmp(k.mv_data, id, 4) != 0)
			break;
		if ((rc = decode(&k, &v, &s)) != 0 || (rc = fn(&s, ctx)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int secondary_each(struct store_txn *t,
                   int (*fn)(uint32_t zone_id, const struct secondary *s, void *ctx), void *ctx)
{
	MDB_cursor *cur;
	MDB_val k, v;
	struct secondary s;
	int rc = store_cursor(t, STORE_SECONDARIES, &cur);
	if (rc)
		return rc;
	for (int op = MDB_FIRST; (rc = mdb_cursor_get(cur, &k, &v, op)) == 0; op = MDB_NEXT)
		if ((rc = decode(&k, &v, &s)) != 0 || (rc = fn(wire_get32(k.mv_data), &s, ctx)) != 0)
			break;
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* The entry for family/addr: 0, LS_ENOTFOUND or a store error. */
static int get(struct store_txn *t, uint32_t zone_id, int family, const uint8_t *addr,
               struct secondary *out)
{
	uint8_t k[KEY_LEN];
	MDB_val key = { KEY_LEN, k }, v;
	key_of(k, zone_id, family, addr);
	int rc = store_get(t, STORE_SECONDARIES, k, sizeof(k), &v);
	return rc ? rc : decode(&key, &v, out);
}

int secondary_get(struct store_txn *t, uint32_t zone_id, const struct secondary *s,
                  struct secondary *out)
{
	return get(t, zone_id, s->family, s->addr, out);
}

int secondary_find(struct store_txn *t, uint32_t zone_id, const struct sockaddr *client,
                   struct secondary *out)
{
	uint8_t addr[16];
	int family = client->sa_family;
	if (family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)client)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			family = AF_INET;
			memcpy(addr, a6->s6_addr + 12, 4);
		} else {
			memcpy(addr, a6->s6_addr, 16);
		}
	} else if (family == AF_INET) {
		memcpy(addr, &((const struct sockaddr_in *)client)->sin_addr, 4);
	} else {
		return LS_ENOTFOUND;
	}
	return get(t, zone_id, family, addr, out);
}
