/* Sockets bound up front, one libuv loop per worker thread, signals and counters on the main loop. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dnsd/server.h"
#include "shared/addr.h"
#include "shared/err.h"
#include "shared/rrtext.h"
#include "shared/log.h"

#define STATS_INTERVAL_MS 1000
#define REFUSAL_LOG_BURST 20     /* refusal lines per second; the rest are counted */

int server_bind(struct server *s, char *err, size_t errlen)
{
	for (size_t i = 0; i < s->nworkers; i++) {
		struct worker *w = &s->w[i];
		for (size_t k = 0; k < s->naddrs; k++) {
			w->udp_fd[k] = daemon_bind(&s->addrs[k], SOCK_DGRAM);
			w->tcp_fd[k] = w->udp_fd[k] < 0 ? -1 : daemon_bind(&s->addrs[k], SOCK_STREAM);
			int rc = w->udp_fd[k] < 0 ? w->udp_fd[k] : w->tcp_fd[k];
			if (rc < 0) {
				snprintf(err, errlen, "cannot bind %s: %s", s->addrs[k].text, strerror(-rc));
				return rc;
			}
		}
	}
	return 0;
}

/* The client's address as text, for log lines ("?" when it is neither IPv4 nor IPv6). */
static const char *addr_text(const struct sockaddr *peer, char addr[INET6_ADDRSTRLEN])
{
	strcpy(addr, "?");
	if (peer->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)peer)->sin_addr, addr, INET6_ADDRSTRLEN);
	else if (peer->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)peer)->sin6_addr, addr,
		          INET6_ADDRSTRLEN);
	return addr;
}

void worker_log_query(struct worker *w, const struct sockaddr *peer, const struct answer_info *info,
                      bool tcp)
{
	char addr[INET6_ADDRSTRLEN], name[DNAME_STR_MAX] = "-", type[16];
	if (!w->srv->cfg->dnsd_query_log)
		return;
	addr_text(peer, addr);
	if (info->qname)
		dname_format(name, info->qname);
	log_info("query: %s %s %s %s %s", addr, tcp ? "tcp" : "udp", name,
	 rr_type_name(info->qtype, type, sizeof(type)),
	 info->dropped ? "dropped" : info->rcode == 16 ? "BADVERS"
	 : (const char *[]){ "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
	                     "REFUSED" }[info->rcode < 6 ? info->rcode : 2]);
}

/* Anyone can send refused transfers and bad signatures: a flood must not flood the log. */
static struct log_limit refusals = LOG_LIMIT_INIT(REFUSAL_LOG_BURST, 1000);

void worker_log_refusal(const struct sockaddr *peer, const struct answer_info *info)
{
	char addr[INET6_ADDRSTRLEN], name[DNAME_STR_MAX] = "?";
	if (info->why[0] == 0)
		return;
	if (info->qname)
		dname_format(name, info->qname);
	log_limited(&refusals, LOG_LEVEL_WARNING, "%s: %s for %s (%s)", name,
	            info->transfer ? "transfer refused" : "TSIG check failed", addr_text(peer, addr),
	            info->why);
}

bool worker_txn(struct worker *w)
{
	if (!w->store_ok)
		return false;
	if (!w->renewed) {
		if (store_renew(&w->rt, w->cur) != 0)
			return false;
		w->renewed = true;
	}
	return true;
}

void worker_txn_done(struct worker *w)
{
	if (w->renewed) {
		store_reset(&w->rt);
		w->renewed = false;
	}
}

static void close_handle(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void on_stop(uv_async_t *a)
{
	struct worker *w = a->data;
	w->stopping = true;
	tcp_close_all(w);
	uv_walk(&w->loop, close_handle, NULL);
}

static void worker_main(void *arg)
{
	struct worker *w = arg;
	uv_run(&w->loop, UV_RUN_DEFAULT);
}

static int worker_init(struct server *s, struct worker *w)
{
	int rc = uv_loop_init(&w->loop);
	if (rc)
		return rc;
	w->srv = s;
	w->rxbuf = malloc((size_t)UDP_BATCH * UDP_SLOT);
	w->out = malloc(UDP_BATCH * sizeof(*w->out));
	if (w->rxbuf == NULL || w->out == NULL)
		return UV_ENOMEM;
	/* A read transaction and cursor kept for the worker's life, reset between batches. */
	if (store_begin(s->st, false, 0, &w->rt) == 0 && store_cursor(&w->rt, STORE_RRSETS, &w->cur) == 0) {
		store_reset(&w->rt);
		w->store_ok = true;
	}
	w->stop.data = w;
	if ((rc = uv_async_init(&w->loop, &w->stop, on_stop)) != 0)
		return rc;
	for (size_t k = 0; k < s->naddrs; k++) {
		if ((rc = udp_start(w, k)) != 0 || (rc = tcp_start(w, k)) != 0)
			return rc;
	}
	return 0;
}

/* Counters go to the state directory each second: a snapshot, so no fsync. */
static void on_stats(uv_timer_t *t)
{
	struct server *s = t->data;
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->stats_path);
	FILE *f = fopen(tmp, "w");
	if (f == NULL)
		return;
	struct stats total[SERVER_MAX_WORKERS];
	for (size_t i = 0; i < s->nworkers; i++)
		total[i] = s->w[i].stats;
	stats_write(total, s->nworkers, f);
	if (fclose(f) == 0)
		rename(tmp, s->stats_path);
}

static uv_loop_t *main_loop;
static int stop_signal;

static void on_signal(uv_signal_t *h, int signum)
{
	(void)h;
	stop_signal = signum;
	uv_stop(main_loop);
}

int server_run(struct server *s)
{
	uv_loop_t loop;
	uv_signal_t term, intr;
	uv_timer_t stats;
	int rc = uv_loop_init(&loop);
	if (rc)
		return rc;
	main_loop = &loop;
	for (size_t i = 0; i < s->nworkers; i++) {
		s->w[i].index = (int)i;
		if ((rc = worker_init(s, &s->w[i])) != 0) {
			log_error("worker %zu: %s", i, uv_strerror(rc));
			return rc;
		}
	}
	uv_signal_init(&loop, &term);
	uv_signal_init(&loop, &intr);
	uv_signal_start(&term, on_signal, SIGTERM);
	uv_signal_start(&intr, on_signal, SIGINT);
	uv_timer_init(&loop, &stats);
	stats.data = s;
	if ((rc = notify_start(&s->notify, &loop, s->st)) != 0) {
		log_error("NOTIFY cannot start: %s", ls_strerror(rc));
		return rc;
	}
	uv_timer_start(&stats, on_stats, STATS_INTERVAL_MS, STATS_INTERVAL_MS);
	for (size_t i = 0; i < s->nworkers; i++)
		if ((rc = uv_thread_create(&s->w[i].thread, worker_main, &s->w[i])) != 0)
			return rc;
	if ((rc = publisher_start(&s->pub, s->st, s->cfg)) != 0)
		log_error("mta-sts: cannot start the publisher: %s", uv_strerror(rc));
	char addrs[DAEMON_ADDRS_TEXT_MAX];
	log_notice("ready: %zu worker%s on %s (udp, tcp)", s->nworkers, s->nworkers == 1 ? "" : "s",
	           daemon_addrs_text(s->addrs, s->naddrs, addrs, sizeof(addrs)));
	uv_run(&loop, UV_RUN_DEFAULT);
	log_notice("stopping (%s)", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
	publisher_stop(&s->pub);
	/* Workers finish the batch in hand, close their sockets and connections, and end. */
	for (size_t i = 0; i < s->nworkers; i++)
		uv_async_send(&s->w[i].stop);
	for (size_t i = 0; i < s->nworkers; i++)
		uv_thread_join(&s->w[i].thread);
	on_stats(&stats);
	uv_walk(&loop, close_handle, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	notify_free(&s->notify);
	return 0;
}

void server_free(struct server *s)
{
	for (size_t i = 0; i < s->nworkers; i++) {
		struct worker *w = &s->w[i];
		if (w->cur)
			mdb_cursor_close(w->cur);
		store_abort(&w->rt);
		if (w->srv)
			uv_loop_close(&w->loop);
		free(w->rxbuf);
		free(w->out);
	}
	free(s->w);
	free(s->stats_path);
}
