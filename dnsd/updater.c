/* UPDATE through libuv's thread pool: the write and its fsync never block a query loop. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "dnsd/update.h"
#include "dnsd/updater.h"
#include "shared/util/daemon.h"
#include "shared/util/log.h"

#define UPDATE_LOG_BURST 20          /* refusal lines per second; the rest are counted */

struct job {
	uv_work_t req;
	struct store *st;
	struct sockaddr_storage peer;
	updater_done_fn done;
	void *arg;
	size_t len, outlen;
	uint8_t out[UPDATE_ANSWER_MAX];
	uint8_t msg[];
};

static atomic_uint pending;

static const char *rcode_name(uint8_t rcode)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
	                                     "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
	                                     "NOTZONE" };
	return rcode < sizeof(names) / sizeof(names[0]) ? names[rcode] : "?";
}

static void log_update(const struct sockaddr *peer, const struct update_info *i)
{
	/* Anyone can send unsigned or badly signed updates: a flood must not flood the log. */
	static struct log_limit refusals = LOG_LIMIT_INIT(UPDATE_LOG_BURST, 1000);
	char addr[DAEMON_PEER_TEXT_MAX];
	daemon_peer_text(peer, addr);
	if (i->rcode == 0 && i->changes)
		log_notice("%s: update by key %s from %s: %zu records changed, serial %u", i->zone,
		           i->key, addr, i->changes, i->serial);
	else if (i->rcode == 0)
		log_info("%s: update by key %s from %s: no change", i->zone, i->key, addr);
	else
		log_limited(&refusals, LOG_LEVEL_WARNING, "%s: update from %s%s%s refused: %s (%s)",
		            i->zone[0] ? i->zone : "?", addr, i->key[0] ? " by key " : "", i->key,
		            rcode_name(i->rcode), i->why);
}

static void work(uv_work_t *req)
{
	struct job *j = req->data;
	struct update_info info;
	j->outlen = update_process(j->st, j->msg, j->len, (const struct sockaddr *)&j->peer, 0,
	                           j->out, sizeof(j->out), &info);
	if (j->outlen)
		log_update((const struct sockaddr *)&j->peer, &info);
}

static void after(uv_work_t *req, int status)
{
	struct job *j = req->data;
	j->done(j->arg, (const struct sockaddr *)&j->peer, j->out, status == 0 ? j->outlen : 0);
	atomic_fetch_sub(&pending, 1);
	free(j);
}

int updater_submit(uv_loop_t *loop, struct store *st, const uint8_t *msg, size_t len,
                   const struct sockaddr *peer, updater_done_fn done, void *arg)
{
	if (atomic_fetch_add(&pending, 1) >= UPDATER_MAX_PENDING) {
		atomic_fetch_sub(&pending, 1);
		return -EBUSY;
	}
	struct job *j = malloc(sizeof(*j) + len);
	if (j == NULL) {
		atomic_fetch_sub(&pending, 1);
		return -ENOMEM;
	}
	j->req.data = j;
	j->st = st;
	j->done = done;
	j->arg = arg;
	j->len = len;
	j->outlen = 0;
	memset(&j->peer, 0, sizeof(j->peer));
	memcpy(&j->peer, peer, peer->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                                   : sizeof(struct sockaddr_in));
	memcpy(j->msg, msg, len);
	int rc = uv_queue_work(loop, &j->req, work, after);
	if (rc) {
		atomic_fetch_sub(&pending, 1);
		free(j);
	}
	return rc;
}
