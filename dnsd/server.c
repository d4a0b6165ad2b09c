/* Sockets bound up front, one libuv loop per worker thread, signals and counters on the main loop. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dnsd/server.h"
#include "dnsd/tcp.h"
#include "dnsd/updater.h"
#include "dnsd/udp.h"
#include "shared/util/err.h"
#include "shared/util/log.h"
#include "shared/util/reload.h"
#include "shared/util/sdnotify.h"

#define STATS_INTERVAL_MS 1000

/* A listen slot's socket in worker arg's loop: kind 0 is UDP, 1 TCP (the types below). */
static int start_socket(void *arg, size_t slot, size_t kind, int fd, uv_handle_t **h)
{
	struct dnsd_worker *w = arg;
	return kind == 0 ? dnsd_udp_start(w, slot, fd, h) : dnsd_tcp_start(w, slot, fd, h);
}

/* dnsd.xdp-listen's sockets and program; the workers take the queues later. */
static int xdp_setup(struct dnsd_server *s, const char *spec, char *err, size_t errlen)
{
	if (dnsd_xdp_open(&s->xdp, spec, err, errlen) != 0)
		return -1;
	bool socket_too = false;     /* UPDATE, NOTIFY, fragments and TCP go through the kernel */
	for (size_t i = 0; i < s->naddrs; i++)
		socket_too |= ntohs(((const struct sockaddr_in *)&s->addrs[i].ss)->sin_port) ==
		              s->xdp.port;    /* sin6_port lies at the same place */
	log_notice("xdp: %s@%u, %u queue%s%s", s->xdp.ifname, s->xdp.port, s->xdp.nq,
	           s->xdp.nq == 1 ? "" : "s", s->xdp.generic ? ", generic hook (the driver has "
	           "no native XDP: no faster than sockets)" : "");
	if (!socket_too)
		log_warning("xdp: no dnsd.listen address has port %u: UPDATE, NOTIFY and TCP "
		            "to it get no answer", s->xdp.port);
	return 0;
}

int dnsd_server_bind(struct dnsd_server *s, char *err, size_t errlen)
{
	static const int types[] = { SOCK_DGRAM, SOCK_STREAM };
	const struct listen_set_opts o = { s->nworkers, types, 2, start_socket, s->listen_fixed };
	const char *xdp = dnsd_env_cfg(&s->env)->dnsd_xdp_listen;
	int rc = listen_set_open(&s->listen, &o, s->addrs, s->naddrs, err, errlen);
	if (rc || *xdp == 0)
		return rc;
	return xdp_setup(s, xdp, err, errlen);
}

/* Worker i: its loop and read transaction (worker_pool_add), UDP buffers, sockets. */
static int worker_init(void *arg, size_t i)
{
	struct dnsd_server *s = arg;
	struct dnsd_worker *w = &s->w[i];
	int rc = worker_pool_add(&s->pool, &w->t, s->env.st, true);
	if (rc)
		goto fail;
	w->env = &s->env;
	w->rxbuf = malloc((size_t)UDP_BATCH * UDP_SLOT);
	w->out = malloc(UDP_BATCH * sizeof(*w->out));
	if (w->rxbuf == NULL || w->out == NULL ||
	    answer_cache_init(&w->cache, dnsd_env_cfg(&s->env)->dnsd_answer_cache) != 0) {
		rc = UV_ENOMEM;
		goto fail;
	}
	if ((rc = uv_idle_init(&w->t.loop, &w->drain)) != 0)
		goto fail;
	w->drain.data = w;
	if ((rc = listen_set_attach(&s->listen, i, &w->t.loop, w)) != 0)
		goto fail;
	if (s->xdp.open && (rc = dnsd_xdp_start(&s->xdp, w, i, s->nworkers)) != 0)
		goto fail;
	return 0;
fail:
	log_error("worker %zu: %s", i, uv_strerror(rc));
	return rc;
}

/* Counters go to the state directory each second: a snapshot, so no fsync. The xdp-listen
 * interface is checked at the same pace. */
static void on_stats(uv_timer_t *t)
{
	struct dnsd_server *s = t->data;
	char tmp[4096];
	if (dnsd_xdp_lost(&s->xdp))
		log_warning("xdp: interface %s is gone: queries to it are no longer read through "
		            "AF_XDP; restart dnsd once it is back", s->xdp.ifname);
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->stats_path);
	FILE *f = fopen(tmp, "w");
	if (f == NULL)
		return;
	struct stats total[DNSD_MAX_WORKERS];
	for (size_t i = 0; i < s->nworkers; i++)
		total[i] = s->w[i].stats;
	stats_write(total, s->nworkers, f);
	struct updater_counts u;
	updater_counts(&u);
	fprintf(f, "update.applied %llu\nupdate.unchanged %llu\nupdate.refused %llu\n"
	        "update.busy %llu\n", (unsigned long long)u.applied,
	        (unsigned long long)u.unchanged, (unsigned long long)u.refused,
	        (unsigned long long)u.busy);
	if (fclose(f) == 0)
		rename(tmp, s->stats_path);
}

/* What dnsd reads, and what of it a SIGHUP changes while it runs (lockstep.conf(5)). */
static const char *const reload_sections[] = { "server", "zones", "dnsd", "mta-sts", NULL };
static const char *const reload_live[] = {
	"server.log-level", "zones.serial-policy", "zones.default-ttl", "dnsd.listen",
	"dnsd.tcp-idle-timeout", "dnsd.tcp-io-timeout", "dnsd.tcp-max-clients", "dnsd.tcp-max-per-address",
	"dnsd.query-log", "mta-sts.endpoints", "mta-sts.trust-store", "mta-sts.rotate-interval",
	"mta-sts.fetch-timeout", "mta-sts.retry-max", "mta-sts.service-address",
	"mta-sts.service-cname", "mta-sts.txt-ttl",
	"dnsd.rrl-rate", "dnsd.rrl-slip", "dnsd.rrl-ipv4-prefix", "dnsd.rrl-ipv6-prefix", "dnsd.rrl-exempt", NULL,
};
static const struct reload_rules rules = { reload_sections, reload_live };

/* The one-line state systemd shows (sd_notify STATUS=), at start and after a SIGHUP. */
static void notify_status(struct dnsd_server *s, const char *head)
{
	char addrs[DAEMON_ADDRS_TEXT_MAX];
	int rc = sdnotifyf("%sSTATUS=answering on %s with %zu worker%s", head,
	                   listen_set_text(&s->listen, addrs, sizeof(addrs)), s->nworkers,
	                   s->nworkers == 1 ? "" : "s");
	if (rc)
		log_warning("NOTIFY_SOCKET: %s", ls_strerror(rc));
}

/* SIGHUP: the new configuration goes in whole once it loaded; the old one stays valid for
 * the workers that still hold it, until dnsd exits. */
static void reload(void *arg)
{
	struct dnsd_server *s = arg;
	struct config *cfg, **v;
	const struct config *old = dnsd_env_cfg(&s->env);
	if (reload_config(old, &rules, &cfg) != 0)
		return;
	if ((v = realloc(s->reloaded, (s->nreloaded + 1) * sizeof(*v))) == NULL) {
		log_error("SIGHUP: out of memory; the configuration in force stays");
		config_free(cfg);
		free(cfg);
		return;
	}
	s->reloaded = v;
	s->reloaded[s->nreloaded++] = cfg;
	log_set_level(cfg->log_level);
	struct rrl_config lim;
	rrl_config_read(cfg, &lim);
	if (rrl_set(&s->env.rrl, &lim) != 0)
		log_error("SIGHUP: dnsd.rrl-exempt not applied (out of memory); the old list stays");
	publisher_reload(&s->pub, cfg);
	watcher_reload(&s->watch, cfg);
	__atomic_store_n(&s->env.cfg, cfg, __ATOMIC_RELEASE);
	if (listen_set_reload(&s->listen, old->dnsd_listen, cfg->dnsd_listen, "dnsd.listen",
	                      cfg->path))
		notify_status(s, "");
	log_notice("configuration %s reloaded (SIGHUP)", cfg->path ? cfg->path : "(defaults)");
}

int dnsd_server_run(struct dnsd_server *s)
{
	char addrs[DAEMON_ADDRS_TEXT_MAX];
	int rc = worker_pool_init(&s->pool, s->nworkers, worker_init, s);
	if (rc)
		return rc;
	uv_timer_init(&s->pool.loop, &s->stats_timer);
	s->stats_timer.data = s;
	if ((rc = notify_start(&s->notify, &s->pool.loop, s->env.st)) != 0) {
		log_error("NOTIFY cannot start: %s", ls_strerror(rc));
		return rc;
	}
	uv_timer_start(&s->stats_timer, on_stats, STATS_INTERVAL_MS, STATS_INTERVAL_MS);
	if ((rc = worker_pool_start(&s->pool)) != 0) {
		worker_pool_stop(&s->pool);
		return rc;
	}
	if ((rc = publisher_start(&s->pub, s->env.st, s->env.cfg)) != 0)
		log_error("mta-sts: cannot start the publisher: %s", uv_strerror(rc));
	if ((rc = watcher_start(&s->watch, s->env.st, s->env.cfg)) != 0)
		log_error("watch: cannot start the watcher: %s", uv_strerror(rc));
	worker_pool_on_reload(&s->pool, reload, s);
	if ((rc = metrics_http_start(&s->metrics, &s->pool.loop, scrape_render, &s->scrape)) != 0) {
		log_error("metrics-listen: %s", uv_strerror(rc));
		watcher_stop(&s->watch);
		publisher_stop(&s->pub);
		worker_pool_stop(&s->pool);
		return rc;
	}
	log_notice("ready: %zu worker%s on %s (udp, tcp)", s->nworkers, s->nworkers == 1 ? "" : "s",
	           daemon_addrs_text(s->addrs, s->naddrs, addrs, sizeof(addrs)));
	notify_status(s, "READY=1\n");
	int sig = worker_pool_wait(&s->pool);
	log_notice("stopping (%s)", sig == SIGINT ? "SIGINT" : "SIGTERM");
	sdnotify("STOPPING=1\nSTATUS=stopping");
	metrics_http_close(&s->metrics);
	s->abandoned = !watcher_stop(&s->watch);
	publisher_stop(&s->pub);
	/* Workers finish the batch in hand, close their sockets and connections, and end. */
	worker_pool_stop(&s->pool);
	on_stats(&s->stats_timer);
	return 0;
}

void dnsd_server_free(struct dnsd_server *s)
{
	for (size_t i = 0; i < s->nreloaded; i++) {
		config_free(s->reloaded[i]);
		free(s->reloaded[i]);
	}
	free(s->reloaded);
	metrics_http_close(&s->metrics);     /* its connections' memory goes in their callbacks */
	/* The main loop's handles close here, NOTIFY's sockets among them, before its memory goes. */
	worker_pool_free(&s->pool);
	scrape_free(&s->scrape);
	notify_free(&s->notify);
	for (size_t i = 0; i < s->nworkers; i++) {
		free(s->w[i].rxbuf);
		free(s->w[i].out);
		answer_cache_free(&s->w[i].cache);
	}
	free(s->w);
	dnsd_xdp_close(&s->xdp);         /* after the loops that read its sockets closed */
	listen_set_free(&s->listen);     /* sockets bound for workers that never took them */
	free(s->stats_path);
}
