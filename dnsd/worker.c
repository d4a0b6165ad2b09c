/* One query through a worker: the read transaction, the answer, the counters, the log lines. */
#include <string.h>
#include "dnsd/query.h"
#include "dnsd/worker.h"
#include "shared/dns/wire.h"
#include "shared/util/log.h"
#include "shared/util/log_keyed.h"
#include "shared/dns/rrtext.h"


static const char *rcode_text(const struct answer_info *info)
{
	if (info->rrl_dropped)
		return "dropped (rate limit)";
	if (info->dropped)
		return "dropped";
	if (info->rcode == RCODE_BADVERS)
		return "BADVERS";
	if (info->rcode == RCODE_BADCOOKIE)
		return "BADCOOKIE";
	return info->rcode < STATS_RCODES ? stats_rcode_names[info->rcode] : "other";
}

/* One line per query, when query-log is on. */
static void log_query(const struct dnsd_worker *w, const struct sockaddr *peer,
                      const struct answer_info *info, bool tcp)
{
	char addr[DAEMON_PEER_TEXT_MAX], name[DNAME_STR_MAX] = "-", type[16];
	if (!dnsd_env_cfg(w->env)->dnsd_query_log)
		return;
	daemon_peer_text(peer, addr);
	if (info->qname)
		dname_format(name, info->qname);
	log_info("query: %s %s %s %s %s", addr, tcp ? "tcp" : "udp", name,
	         rr_type_name(info->qtype, type, sizeof(type)), rcode_text(info));
}

/* The source address and the failure (its kind and why): what refusal lines are limited by. */
static size_t refusal_key(uint8_t key[LOG_KEYED_KEY_MAX], const struct sockaddr *peer,
                          uint8_t kind, const char *why)
{
	size_t n = 0;
	uint32_t h = 2166136261u;           /* FNV-1a of why */
	for (; *why; why++)
		h = (h ^ (uint8_t)*why) * 16777619u;
	key[n++] = kind;
	wire_put32(key + n, h);
	n += 4;
	if (peer && peer->sa_family == AF_INET) {
		memcpy(key + n, &((const struct sockaddr_in *)peer)->sin_addr, 4);
		n += 4;
	} else if (peer && peer->sa_family == AF_INET6) {
		memcpy(key + n, &((const struct sockaddr_in6 *)peer)->sin6_addr, 16);
		n += 16;
	}
	return n;
}

/*
 * The line of a refused transfer, a failed TSIG check (info->why) or a malformed query.
 * Anyone can send those, from spoofed addresses too: each source and kind is logged once a
 * minute, with a count of the rest, and all of them together at most log-rate-limit lines.
 */
static void log_refusal(const struct dnsd_worker *w, const struct sockaddr *peer,
                        const struct answer_info *info)
{
	static struct log_keyed refusals = LOG_KEYED_INIT(0);
	char addr[DAEMON_PEER_TEXT_MAX], name[DNAME_STR_MAX] = "?";
	uint8_t key[LOG_KEYED_KEY_MAX];
	if (info->why[0] == 0 && !info->malformed)
		return;
	log_keyed_set_cap(&refusals, dnsd_env_cfg(w->env)->log_rate_limit);    /* SIGHUP may change it */
	if (info->qname)
		dname_format(name, info->qname);
	uint8_t kind = info->why[0] == 0 ? 'm' : info->transfer ? 'x' : 't';
	size_t klen = refusal_key(key, peer, kind, info->why);
	daemon_peer_text(peer, addr);
	if (kind == 'm')
		log_keyed(&refusals, key, klen, LOG_LEVEL_WARNING, "malformed query from %s (FORMERR)",
		          addr);
	else
		log_keyed(&refusals, key, klen, LOG_LEVEL_WARNING, "%s: %s for %s (%s)", name,
		          info->transfer ? "transfer refused" : "TSIG check failed", addr, info->why);
}

/*
 * An answer the rate limit slipped: the header, the question and the OPT, with TC, so that
 * a real resolver asks again over TCP (which is never limited).
 */
static size_t slip(uint8_t *out, const struct answer_info *info)
{
	size_t len = info->question_end;
	if (info->opt_len) {
		memmove(out + len, out + info->opt_off, info->opt_len);
		len += info->opt_len;
	}
	out[2] |= PKT_F_TC >> 8;
	wire_put16(out + PKT_ANCOUNT, 0);
	wire_put16(out + PKT_NSCOUNT, 0);
	wire_put16(out + PKT_ARCOUNT, info->opt_len ? 1 : 0);
	return len;
}

/*
 * UDP answers over the rate: dropped or slipped. A valid cookie or a TSIG signature proves
 * the address, so those pass.
 */
static size_t limit(struct dnsd_worker *w, const struct sockaddr *peer, uint8_t *out, size_t n,
                    struct answer_info *info)
{
	if (n == 0 || info->cookie == COOKIE_VALID || info->signed_answer ||
	    !w->env->opts.rrl)
		return n;
	uint32_t now = (uint32_t)(uv_now(&w->t.loop) / 1000);
	switch (rrl_check(&w->env->rrl, peer, info->rrl_class, info->rrl_name, now,
	                  &w->rrl_limited)) {
	case RRL_SEND:
		return n;
	case RRL_SLIP:
		info->rrl_slipped = true;
		return slip(out, info);
	case RRL_DROP:
		break;
	}
	info->rrl_dropped = true;
	return 0;
}

size_t dnsd_worker_answer(struct dnsd_worker *w, const uint8_t *msg, size_t len, uint8_t *out,
                          size_t outlen, bool tcp, const struct sockaddr *peer)
{
	struct answer_info info;
	size_t n = 0;
	if (worker_pool_txn(&w->t)) {
		answer_cache_sync(&w->cache, mdb_txn_id(w->t.rt.txn));
		n = answer_query(&w->t.rt, w->t.cur, &w->cache, &w->env->opts, msg, len, out, outlen,
		                 tcp, peer, &info);
	} else {
		info = (struct answer_info){ .dropped = true };
	}
	if (!tcp)
		n = limit(w, peer, out, n, &info);
	stats_count(&w->stats, &info, tcp);
	if (info.transfer && info.why[0])
		atomic_fetch_add_explicit(&w->stats.xfr[SX_REFUSED], 1, memory_order_relaxed);
	log_query(w, peer, &info, tcp);
	log_refusal(w, peer, &info);
	return n;
}
