/* The API process's life: addresses checked and bound by httpsd, a supervisor that restarts
 * it, the process itself (the store read-write, the server), death with httpsd. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "httpsd/api/api_proc.h"
#include "httpsd/api/api_server.h"
#include "shared/store/history.h"
#include "shared/store/journal.h"
#include "shared/store/store_damage.h"
#include "shared/util/clock.h"
#include "shared/util/err.h"
#include "shared/util/log.h"
#include "shared/util/metrics_http.h"
#include "shared/util/reload.h"

bool api_proc_loopback(const struct daemon_addr *a)
{
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)&a->ss;
		return (ntohl(s->sin_addr.s_addr) >> 24) == 127;
	}
	if (a->ss.ss_family == AF_INET6) {
		const struct in6_addr *x = &((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
		if (IN6_IS_ADDR_LOOPBACK(x))
			return true;
		return IN6_IS_ADDR_V4MAPPED(x) && x->s6_addr[12] == 127;
	}
	return false;
}

int api_proc_addrs(struct api_proc *p, const struct config *cfg)
{
	const char *file = cfg->path ? cfg->path : "configuration";
	for (size_t i = 0; i < DAEMON_MAX_LISTEN; i++)
		p->fd[i] = -1;
	if (metrics_http_addrs(cfg->api_listen, "api.listen", cfg->path, p->addrs, &p->n) != 0)
		return -1;
	bool cert = *cfg->api_tls_cert, key = *cfg->api_tls_key;
	if (cert != key) {
		log_error("%s: api.%s is set but api.%s is not: TLS needs both", file,
		          cert ? "tls-cert" : "tls-key", cert ? "tls-key" : "tls-cert");
		return -1;
	}
	for (size_t i = 0; i < p->n; i++) {
		if (!cert && !api_proc_loopback(&p->addrs[i])) {
			log_error("%s: api.listen: %s is not a loopback address: the API serves plain "
			          "HTTP only on loopback; set api.tls-cert and api.tls-key for it", file,
			          p->addrs[i].text);
			return -1;
		}
	}
	if (p->n && (p->counters = api_counters_map()) == NULL)
		log_warning("api: no shared memory for the API's counters: %s; they stay at 0",
		            strerror(errno));
	if (cert && p->n) {
		char err[512];
		if (api_tls_load(&p->tls, cfg->api_tls_cert, cfg->api_tls_key, err, sizeof(err))) {
			log_error("%s: %s", file, err);
			return -1;
		}
		p->tls_on = true;
	}
	return 0;
}

int api_proc_bind(struct api_proc *p, char *err, size_t errlen)
{
	for (size_t i = 0; i < p->n; i++) {
		int fd = daemon_bind(&p->addrs[i], SOCK_STREAM);
		if (fd < 0) {
			snprintf(err, errlen, "api.listen: cannot bind %s: %s", p->addrs[i].text,
			         strerror(-fd));
			for (size_t k = 0; k < i; k++) {
				close(p->fd[k]);
				p->fd[k] = -1;
			}
			return fd;
		}
		p->fd[i] = fd;
	}
	return 0;
}

/* The parent may have gone between fork and prctl: then there is nothing to serve. */
static void die_with_parent(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(0);
}

/* The API process: returns its exit status. */
static int api_main(const struct config *cfg, const char *state, struct api_proc *p)
{
	struct store *st;
	struct api_server s;
	int rc = store_open(&st, state, 0);
	if (rc) {
		log_error("api: cannot open the store in %s: %s%s%s", state, ls_strerror(rc),
		          *store_advice(rc) ? "; " : "", store_advice(rc));
		return STORE_EXIT_STATUS;
	}
	store_damage_install();
	journal_set_limits(cfg->journal_max_size, cfg->journal_max_age);
	history_set_keep(cfg->keep_history);
	struct api_env *env = calloc(1, sizeof(*env));
	if (env == NULL) {
		store_close(st);
		return 1;
	}
	*env = (struct api_env){ .st = st, .cfg = cfg, .state = state };
	env->svc = (struct sts_service){ cfg->sts_service_address, cfg->sts_service_cname,
	                                 cfg->sts_txt_ttl };
	memset(&s, 0, sizeof(s));
	s.lim = (struct api_limits){
		.max_header = cfg->api_max_header_size,
		.max_body = cfg->api_max_body,
		.header_ms = (uint64_t)cfg->api_header_timeout * 1000,
		.idle_ms = (uint64_t)cfg->api_idle_timeout * 1000,
		.max_conns = cfg->api_max_connections,
		.max_per_address = cfg->api_max_per_address,
	};
	struct api_tls *tls = p->tls_on ? &p->tls : NULL;
	env->counters = p->counters;
	if (tls && (rc = api_tls_setup(tls)) != 0) {
		log_error("api: cannot set up TLS (mbedTLS error -0x%04x)", (unsigned)-rc);
		free(env);
		store_close(st);
		return 1;
	}
	s.tls = tls;
	rc = api_server_run(&s, env, p->fd, p->n) == 0 ? 0 : 1;
	free(env);
	store_close(st);
	return rc;
}

static volatile sig_atomic_t stop_asked, reload_asked;

static void on_stop(int sig)
{
	(void)sig;
	stop_asked = 1;
}

static void on_reload(int sig)
{
	(void)sig;
	reload_asked = 1;
}

static void on_child(int sig)
{
	(void)sig;     /* only wakes pselect() */
}

/* What a reload of the API process applies: every api.* option but the sockets and the
 * TLS files, which httpsd opened before it dropped its privileges (and the rest of the
 * file the API process reads: journal, history, MTA-STS service, default TTL). */
static const char *const reload_sections[] = { "api", NULL };
static const char *const reload_live[] = {
	"api.max-body", "api.max-header-size", "api.header-timeout", "api.idle-timeout",
	"api.max-connections", "api.max-per-address", NULL,
};
static const struct reload_rules rules = { reload_sections, reload_live };

/* open: the signal mask the API process runs with (the supervisor's blocks its signals). */
static pid_t spawn(const struct config *cfg, const char *state, struct api_proc *p,
                   const sigset_t *open)
{
	pid_t self = getpid(), pid = fork();
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);     /* api_server_run() takes it over */
		signal(SIGCHLD, SIG_DFL);
		sigprocmask(SIG_SETMASK, open, NULL);
		die_with_parent(self);
		_exit(api_main(cfg, state, p));
	}
	if (pid < 0)
		log_error("api: cannot start the API process: %s", strerror(errno));
	else
		log_notice("api: API process %d serves %zu address%s", (int)pid, p->n,
		           p->n == 1 ? "" : "es");
	return pid;
}

/* SIGHUP: the file read again; when it is good, a new API process with it takes new
 * connections on the same sockets at once and the old one finishes what it has begun. A bad
 * file changes nothing. Returns the process serving now. */
static pid_t reload(const struct config **cfg, struct config **owned, const char *state,
                    struct api_proc *p, pid_t cur, const sigset_t *open)
{
	struct config *next;
	if (reload_config(*cfg, &rules, &next) != 0)
		return cur;
	log_set_level(next->log_level);
	pid_t pid = spawn(next, state, p, open);
	if (pid < 0) {
		config_free(next);
		free(next);
		return cur;
	}
	if (cur > 0)
		kill(cur, SIGHUP);
	if (p->counters)
		atomic_fetch_add_explicit(&p->counters->reloads, 1, memory_order_relaxed);
	if (*owned) {
		config_free(*owned);
		free(*owned);
	}
	*cfg = *owned = next;
	log_notice("api: configuration reloaded (SIGHUP); API process %d takes over from %d",
	           (int)pid, (int)cur);
	return pid;
}


/* Reaps every child that ended; returns cur, or 0 when cur itself ended (*restart_at set). */
static pid_t reap(pid_t cur, double *restart_at)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != cur) {
			log_notice("api: API process %d ended after its last requests", (int)pid);
			continue;
		}
		if (WIFSIGNALED(status))
			log_error("api: API process %d died of signal %d; restarting it", (int)pid,
			          WTERMSIG(status));
		else
			log_error("api: API process %d exited with status %d; restarting it",
			          (int)pid, WEXITSTATUS(status));
		cur = 0;
		*restart_at = clock_mono_s() + API_RESTART_DELAY_S;
	}
	return cur;
}

/*
 * The supervisor: runs the API process, again after API_RESTART_DELAY_S when it dies, and a
 * new one on SIGHUP; old ones that finish after a reload are only reaped. Its signals are
 * blocked but inside pselect(), which opens them atomically: none arrives unseen between a
 * look at the flags and the wait.
 */
static void supervise(const struct config *cfg, const char *state, struct api_proc *p)
{
	struct config *owned = NULL;
	struct sigaction sa;
	sigset_t block, open;
	double restart_at = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_reload;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_child;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &open);
	pid_t cur = spawn(cfg, state, p, &open);
	if (cur < 0)
		restart_at = clock_mono_s() + API_RESTART_DELAY_S;
	while (!stop_asked) {
		if (reload_asked) {
			reload_asked = 0;
			cur = reload(&cfg, &owned, state, p, cur, &open);
		}
		cur = reap(cur, &restart_at);
		double left = restart_at - clock_mono_s();
		if (cur <= 0 && left <= 0) {
			if ((cur = spawn(cfg, state, p, &open)) < 0)
				restart_at = clock_mono_s() + API_RESTART_DELAY_S;
			continue;
		}
		struct timespec ts = { (time_t)left, (long)((left - (double)(time_t)left) * 1e9) };
		pselect(0, NULL, NULL, NULL, cur > 0 ? NULL : &ts, &open);
	}
	/* Old ones still finishing get SIGTERM when the supervisor ends (die_with_parent). */
	if (cur > 0) {
		kill(cur, SIGTERM);
		while (waitpid(cur, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (owned) {
		config_free(owned);
		free(owned);
	}
}

int api_proc_start(struct api_proc *p, const struct config *cfg, const char *state, int keep_fd)
{
	if (p->n == 0)
		return 0;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		die_with_parent(parent);
		if (keep_fd >= 0)
			close(keep_fd);
		supervise(cfg, state, p);
		_exit(0);
	}
	for (size_t i = 0; i < p->n; i++) {
		close(p->fd[i]);
		p->fd[i] = -1;
	}
	if (pid < 0)
		return -errno;
	p->supervisor = pid;
	return 0;
}

void api_proc_stop(struct api_proc *p)
{
	api_tls_free(&p->tls);
	api_counters_unmap(p->counters);
	p->counters = NULL;
	if (p->supervisor <= 0)
		return;
	kill(p->supervisor, SIGTERM);
	while (waitpid(p->supervisor, NULL, 0) < 0 && errno == EINTR)
		;
	p->supervisor = 0;
}
