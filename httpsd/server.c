/* Sockets bound up front, one libuv loop per worker thread, signals on the main loop. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <mbedtls/error.h>
#include "httpsd/conn.h"
#include "httpsd/intake_queue.h"
#include "httpsd/server.h"
#include "shared/rpt/tlsrpt_spool_log.h"
#include "shared/util/err.h"
#include "shared/util/log.h"
#include "shared/util/reload.h"
#include "shared/util/sdnotify.h"

/* A listen slot's socket in worker arg's loop (a listen_set_start_fn). */
static int start_socket(void *arg, size_t slot, size_t kind, int fd, uv_handle_t **h)
{
	struct httpsd_worker *w = arg;
	(void)kind;
	w->fd[slot] = fd;
	int rc = httpsd_conn_listen(w, slot);
	*h = (uv_handle_t *)&w->tcp[slot];   /* uv_tcp_init cannot fail: the handle is open */
	if (w->fd[slot] >= 0)
		close(w->fd[slot]);              /* libuv did not take it */
	w->fd[slot] = -1;
	return rc;
}

int httpsd_server_bind(struct httpsd_server *s, char *err, size_t errlen)
{
	static const int types[] = { SOCK_STREAM };
	const struct listen_set_opts o = { s->nworkers, types, 1, start_socket, s->listen_fixed };
	return listen_set_open(&s->listen, &o, s->addrs, s->naddrs, err, errlen);
}

/* Worker i: its loop and read transaction (worker_pool_add), TLS configuration, sockets. */
static int worker_init(void *arg, size_t i)
{
	struct httpsd_server *s = arg;
	struct httpsd_worker *w = &s->w[i];
	int rc = worker_pool_add(&s->pool, &w->t, s->st, false);
	if (rc)
		goto fail;
	w->env = &s->env;
	if ((rc = tls_worker_init(&w->tls, &s->tls, httpsd_conn_sni, w)) != 0) {
		char text[128];
		mbedtls_strerror(rc, text, sizeof(text));
		log_error("worker %zu: TLS: %s", i, text);
		rc = UV_EINVAL;
		goto fail;
	}
	if ((rc = mailbox_init(&w->reports, &w->t.loop, httpsd_conn_report_back)) != 0)
		goto fail;
	if ((rc = listen_set_attach(&s->listen, i, &w->t.loop, w)) != 0)
		goto fail;
	return 0;
fail:
	log_error("worker %zu: %s", i, uv_strerror(rc));
	return rc;
}

/* What httpsd reads, and what of it a SIGHUP changes while it runs (lockstep.conf(5));
 * certificates need no SIGHUP: httpsd looks at their files again by itself. */
static const char *const reload_sections[] = { "server", "httpsd", NULL };
static const char *const reload_live[] = {
	"server.log-level", "httpsd.listen",
	"httpsd.max-clients", "httpsd.max-per-address", "httpsd.max-handshakes",
	"httpsd.max-handshakes-per-address", "httpsd.new-connections-per-second",
	"httpsd.handshake-timeout", "httpsd.trusted",
	NULL,
};
static const struct reload_rules rules = { reload_sections, reload_live };

/* SIGHUP's connection limits: the workers read them under their locks at each accept. The
 * counts so far go to the log, so a change of limits can be judged. */
static void reload_limits(struct httpsd_server *s, const struct config *cfg)
{
	struct limiter_settings set;
	char text[512];
	if (limiter_settings_read(&set, cfg) != 0)
		return;      /* config_load() checked the list: not reached */
	clients_set(&s->env.clients, cfg->httpsd_max_clients, cfg->httpsd_max_per_address);
	limiter_set(&s->env.limiter, &set);
	log_notice("limits: so far %s", limiter_counters_text(&s->env.limiter.count, text,
	                                                      sizeof(text)));
}

/* SIGHUP's tlsrpt settings (all live; the tlsrpt section is not in reload_sections, as the
 * rest of it is dnsd's and zonectl's): the next report's head reads them. */
static void reload_intake(struct httpsd_server *s, const struct config *cfg)
{
	intake_live_set(&s->env.intake, &(struct intake_settings){
		.receive = cfg->tlsrpt_receive,
		.max_size = cfg->tlsrpt_max_size,
		.max_expanded = cfg->tlsrpt_max_expanded,
	});
	intake_rate_set(&s->env.rate, cfg->tlsrpt_per_address_per_hour);
}

/* SIGHUP: nothing of the new configuration but what is live is used, so only the latest is
 * kept (the workers never read it). */
static void reload(void *arg)
{
	struct httpsd_server *s = arg;
	struct config *cfg;
	char addrs[DAEMON_ADDRS_TEXT_MAX];
	if (s->cfg == NULL || reload_config(s->cfg, &rules, &cfg) != 0)
		return;
	log_set_level(cfg->log_level);
	reload_limits(s, cfg);
	reload_intake(s, cfg);
	if (listen_set_reload(&s->listen, s->cfg->httpsd_listen, cfg->httpsd_listen,
	                      "httpsd.listen", cfg->path) &&
	    sdnotifyf("STATUS=serving HTTPS on %s with %zu worker%s",
	              listen_set_text(&s->listen, addrs, sizeof(addrs)), s->nworkers,
	              s->nworkers == 1 ? "" : "s") != 0)
		log_warning("NOTIFY_SOCKET: cannot tell systemd the new addresses");
	if (s->reloaded) {
		config_free(s->reloaded);
		free(s->reloaded);
	}
	s->cfg = s->reloaded = cfg;
	log_notice("configuration %s reloaded (SIGHUP)", cfg->path ? cfg->path : "(defaults)");
	/* The API process reads the file again itself and restarts with it (api_proc.c). */
	if (s->api_supervisor > 0 && kill(s->api_supervisor, SIGHUP) != 0)
		log_warning("api: cannot pass SIGHUP on: %s", strerror(errno));
}

int httpsd_server_run(struct httpsd_server *s)
{
	int rc = worker_pool_init(&s->pool, s->nworkers, worker_init, s);
	if (rc)
		return rc;
	worker_pool_on_reload(&s->pool, reload, s);
	if ((rc = metrics_http_start(&s->metrics, &s->pool.loop, counters_render, &s->page)) != 0)
		log_error("metrics-listen: %s", uv_strerror(rc));
	else if ((rc = worker_pool_start(&s->pool)) == 0) {
		char addrs[DAEMON_ADDRS_TEXT_MAX];
		log_notice("ready: %zu worker%s on %s", s->nworkers, s->nworkers == 1 ? "" : "s",
		           daemon_addrs_text(s->addrs, s->naddrs, addrs, sizeof(addrs)));
		int nrc = sdnotifyf("READY=1\nSTATUS=serving HTTPS on %s with %zu worker%s", addrs,
		                    s->nworkers, s->nworkers == 1 ? "" : "s");
		if (nrc)
			log_warning("NOTIFY_SOCKET: %s", ls_strerror(nrc));
		int sig = worker_pool_wait(&s->pool);
		log_notice("stopping (%s)", sig == SIGINT ? "SIGINT" : "SIGTERM");
		sdnotify("STOPPING=1\nSTATUS=stopping");
		char text[512];
		log_notice("limits: %s", limiter_counters_text(&s->env.limiter.count, text,
		                                               sizeof(text)));
	}
	metrics_http_close(&s->metrics);
	/* Workers close their sockets and connections, and end. */
	worker_pool_stop(&s->pool);
	return rc;
}

void httpsd_server_free(struct httpsd_server *s)
{
	if (s->reloaded) {
		config_free(s->reloaded);
		free(s->reloaded);
		s->reloaded = NULL;
	}
	metrics_http_close(&s->metrics);     /* its connections' memory goes in their callbacks */
	/* Reports still in the queue or waiting for their sync come back, and their
	 * connections (all closing: the loops have ended) are freed here. */
	intake_queue_close(s->env.queue);
	s->env.queue = NULL;
	for (size_t i = 0; i < s->nworkers && s->w; i++)
		mailbox_drain(&s->w[i].reports);
	worker_pool_free(&s->pool);
	counters_page_free(&s->page);
	for (size_t i = 0; i < s->nworkers && s->w; i++) {
		struct httpsd_worker *w = &s->w[i];
		tls_worker_free(&w->tls);
		mailbox_free(&w->reports);
	}
	listen_set_free(&s->listen);      /* sockets bound for workers that never took them */
	free(s->w);
	s->w = NULL;
	tls_shared_free(&s->tls);
	certs_close(s->env.certs);
	s->env.certs = NULL;
	intake_rate_free(&s->env.rate);
	intake_live_free(&s->env.intake);
	tlsrpt_spool_log_close(s->spool_log);    /* the workers are gone: its segment to new/ */
	s->spool_log = NULL;
	if (s->clients_ok) {
		clients_free(&s->env.clients);
		limiter_free(&s->env.limiter);
	}
	s->clients_ok = false;
}
