/* Sockets bound up front, one libuv loop per worker thread, signals on the main loop. */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <mbedtls/error.h>
#include "httpsd/http.h"
#include "httpsd/server.h"
#include "shared/addr.h"
#include "shared/err.h"
#include "shared/log.h"

int server_bind(struct server *s, char *err, size_t errlen)
{
	for (size_t i = 0; i < s->nworkers; i++)
		for (size_t k = 0; k < SERVER_MAX_LISTEN; k++)
			s->w[i].fd[k] = -1;
	for (size_t i = 0; i < s->nworkers; i++) {
		for (size_t k = 0; k < s->naddrs; k++) {
			int fd = daemon_bind(&s->addrs[k], SOCK_STREAM);
			if (fd < 0) {
				snprintf(err, errlen, "cannot bind %s: %s", s->addrs[k].text, strerror(-fd));
				return fd;
			}
			s->w[i].fd[k] = fd;
		}
	}
	return 0;
}

bool worker_txn(struct worker *w)
{
	return w->store_ok && store_renew(&w->rt, NULL) == 0;
}

void worker_txn_done(struct worker *w)
{
	store_reset(&w->rt);
}

const char *worker_date(struct worker *w)
{
	int64_t now = (int64_t)time(NULL);
	if (now != w->date_sec) {
		http_date(w->date, now);
		w->date_sec = now;
	}
	return w->date;
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
	conn_close_all(w);
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
	w->loop_ok = true;
	w->srv = s;
	if ((rc = tls_worker_init(&w->tls, &s->tls, conn_sni, w)) != 0) {
		char text[128];
		mbedtls_strerror(rc, text, sizeof(text));
		log_error("worker %d: TLS: %s", w->index, text);
		return UV_EINVAL;
	}
	/* A read transaction kept for the worker's life, reset between requests. */
	if (store_begin(s->st, false, 0, &w->rt) == 0) {
		store_reset(&w->rt);
		w->store_ok = true;
	}
	w->stop.data = w;
	if ((rc = uv_async_init(&w->loop, &w->stop, on_stop)) != 0)
		return rc;
	for (size_t k = 0; k < s->naddrs; k++)
		if ((rc = conn_listen(w, k)) != 0)
			return rc;
	return 0;
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
	int rc = uv_loop_init(&loop);
	if (rc)
		return rc;
	main_loop = &loop;
	for (size_t i = 0; i < s->nworkers; i++) {
		s->w[i].index = (int)i;
		if ((rc = worker_init(s, &s->w[i])) != 0) {
			log_error("worker %zu: %s", i, uv_strerror(rc));
			uv_loop_close(&loop);
			return rc;
		}
	}
	uv_signal_init(&loop, &term);
	uv_signal_init(&loop, &intr);
	uv_signal_start(&term, on_signal, SIGTERM);
	uv_signal_start(&intr, on_signal, SIGINT);
	size_t started = 0;
	for (; started < s->nworkers; started++)
		if ((rc = uv_thread_create(&s->w[started].thread, worker_main, &s->w[started])) != 0)
			break;
	if (rc == 0) {
		char addrs[DAEMON_ADDRS_TEXT_MAX];
		log_notice("ready: %zu worker%s on %s", s->nworkers, s->nworkers == 1 ? "" : "s",
		           daemon_addrs_text(s->addrs, s->naddrs, addrs, sizeof(addrs)));
		uv_run(&loop, UV_RUN_DEFAULT);
		log_notice("stopping (%s)", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
	}
	/* Workers close their sockets and connections, and end. */
	for (size_t i = 0; i < started; i++)
		uv_async_send(&s->w[i].stop);
	for (size_t i = 0; i < started; i++)
		uv_thread_join(&s->w[i].thread);
	uv_walk(&loop, close_handle, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return rc;
}

void server_free(struct server *s)
{
	for (size_t i = 0; i < s->nworkers; i++) {
		struct worker *w = &s->w[i];
		store_abort(&w->rt);
		if (w->loop_ok) {
			/* Handles a failed start left open are closed before the loop goes. */
			uv_walk(&w->loop, close_handle, NULL);
			uv_run(&w->loop, UV_RUN_DEFAULT);
			uv_loop_close(&w->loop);
		}
		tls_worker_free(&w->tls);
		for (size_t k = 0; k < SERVER_MAX_LISTEN; k++)
			if (w->fd[k] >= 0)
				close(w->fd[k]);     /* bound, but never handed to libuv */
	}
	free(s->w);
	s->w = NULL;
	tls_shared_free(&s->tls);
	certs_close(s->certs);
	s->certs = NULL;
	if (s->clients_ok)
		clients_free(&s->clients);
	s->clients_ok = false;
}
