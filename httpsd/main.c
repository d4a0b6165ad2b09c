/* httpsd: serves MTA-STS policies over HTTPS from the shared store, certificates by SNI. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "httpsd/api/api_proc.h"
#include "httpsd/intake_queue.h"
#include "httpsd/server.h"
#include "shared/store/store_damage.h"
#include "shared/tls/cert.h"
#include "shared/util/crash.h"
#include "shared/rpt/tlsrpt_spool_log.h"
#include "shared/util/daemon.h"
#include "shared/util/err.h"
#include "shared/util/log.h"

#define HTTPSD_VERSION "0.1.0"

static const char usage[] =
	"usage: httpsd [-c FILE] [--state DIR] [--listen ADDR:PORT]... [--workers N] [-n]\n"
	"\n"
	"  -c, --config FILE   configuration file (default " CONFIG_DEFAULT_PATH " if present)\n"
	"  --state DIR         state directory: the store and certs/ (overrides state-dir)\n"
	"  --listen ADDR:PORT  address to serve HTTPS on; [ADDR]:PORT for IPv6; repeatable;\n"
	"                      replaces the configuration's httpsd.listen\n"
	"  --workers N         threads serving connections (0: one per core)\n"
	"  -n                  check the configuration and the certificates, print\n"
	"                      `configuration OK` and exit\n"
	"  -h, --help          this text\n"
	"  --version           print the version\n";

struct check_ctx {
	size_t ok, bad;
	const char *state;
};

static int check_one(const struct cert_info *info, void *arg)
{
	struct check_ctx *k = arg;
	if (info->error) {
		log_error("%s/%s/%s: %s", k->state, CERT_DIR, info->host, info->error_text);
		k->bad++;
	} else {
		k->ok++;
	}
	return 0;
}

/* -n: every host under STATE/certs must load as httpsd would load it. */
static int check_certs(const char *state)
{
	char dir[4096];
	struct stat st;
	struct check_ctx k = { 0, 0, state };
	snprintf(dir, sizeof(dir), "%s/%s", state, CERT_DIR);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		log_error("%s: %s (certificates go to %s/HOST/; `zonectl cert` makes demo ones)", dir,
		          stat(dir, &st) != 0 ? strerror(errno) : "not a directory", dir);
		return -1;
	}
	int rc = cert_list(state, check_one, &k);
	if (rc) {
		log_error("%s: %s", dir, ls_strerror(rc));
		return -1;
	}
	log_notice("%s: %zu certificate%s usable", dir, k.ok, k.ok == 1 ? "" : "s");
	return k.bad ? -1 : 0;
}

/* What the workers share: limits, client counts, the certificate cache, TLS. Returns 0 or -1
 * after logging why. */
static int server_setup(struct httpsd_server *s, const struct config *cfg, const char *state,
                        size_t nworkers)
{
	s->env.lim = (struct httpsd_limits){
		.header_ms = (uint64_t)cfg->httpsd_header_timeout * 1000,
		.idle_ms = (uint64_t)cfg->httpsd_idle_timeout * 1000,
		.max_header = cfg->httpsd_max_header_size,
		.max_body = cfg->httpsd_max_body_size,
		.access_log = cfg->httpsd_access_log,
	};
	/* Reports taken together share a segment and its sync (its thread starts with the first). */
	if (tlsrpt_spool_log_open(state, &s->spool_log) != 0 ||
	    intake_queue_open(nworkers, &s->env.queue) != 0) {
		log_error("out of memory");
		return -1;
	}
	intake_live_init(&s->env.intake, &(struct intake_settings){
		.receive = cfg->tlsrpt_receive,
		.max_size = cfg->tlsrpt_max_size,
		.max_expanded = cfg->tlsrpt_max_expanded,
		.state_dir = state,
		.log = s->spool_log,
	});
	if (intake_rate_init(&s->env.rate, cfg->tlsrpt_per_address_per_hour) != 0) {
		log_error("out of memory");
		return -1;
	}
	clients_init(&s->env.clients, cfg->httpsd_max_clients, cfg->httpsd_max_per_address);
	struct limiter_settings set;
	int prc = limiter_settings_read(&set, cfg), lrc = limiter_init(&s->env.limiter, &set);
	s->clients_ok = true;
	if (prc || lrc) {
		log_error("%s", prc ? "httpsd.trusted: not a list of prefixes" : "out of memory");
		return -1;
	}
	s->nworkers = nworkers;
	s->w = calloc(s->nworkers, sizeof(*s->w));
	if (s->w == NULL || certs_open(&s->env.certs, state, cfg->httpsd_cert_cache) != 0) {
		log_error("out of memory");
		return -1;
	}
	for (size_t i = 0; i < s->nworkers; i++)
		for (size_t k = 0; k < LISTEN_SET_SLOTS; k++)
			s->w[i].fd[k] = -1;
	int trc = tls_shared_init(&s->tls);
	if (trc) {
		log_error("cannot set up TLS (mbedTLS error -0x%04x)", (unsigned)-trc);
		return -1;
	}
	return 0;
}

/* True when st (a reader) lacks a table an older Lockstep did not make. */
static bool tables_missing(struct store *st)
{
	for (int i = 0; i < STORE_NDB; i++)
		if (store_db_missing(st, (enum store_db)i))
			return true;
	return false;
}

/*
 * The policy server only reads: the store opens with MDB_RDONLY (LMDB still takes a reader
 * slot in lock.mdb), so no bug here can change a zone. A state directory without a store yet
 * gets an empty one first, as dnsd would make it; a store from an older Lockstep gets the
 * tables it lacks, which a reader cannot make and would not see until restarted once a writer
 * made them (tls-alpn-01 entries in STORE_ACME_ALPN). Returns 0, or -1 after logging why.
 */
static int store_open_rdonly(struct store **st, const char *state)
{
	int rc = store_open(st, state, STORE_READERS | STORE_RDONLY);
	if (rc == -ENOENT || (rc == 0 && tables_missing(*st))) {
		if (rc == 0)
			store_close(*st);
		int wrc = store_open(st, state, 0);
		if (wrc == 0)
			store_close(*st);
		/* Not allowed to write: the tables come with the next restart after a writer ran. */
		rc = wrc == 0 || rc == 0 ? store_open(st, state, STORE_READERS | STORE_RDONLY) : wrc;
	}
	if (rc) {
		*st = NULL;
		log_error("cannot open the store in %s: %s%s%s", state, ls_strerror(rc),
		          *store_advice(rc) ? "; " : "", store_advice(rc));
		return -1;
	}
	return 0;
}

/* httpsd starts without certificates (they may come later), but says so. */
static void warn_no_certs(const char *state)
{
	char dir[4096];
	struct stat st;
	snprintf(dir, sizeof(dir), "%s/%s", state, CERT_DIR);
	if (stat(dir, &st) != 0)
		log_warning("%s: %s; no name can be served until certificates are there", dir,
		            strerror(errno));
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct httpsd_server s;
	struct daemon_args args;
	struct api_proc api = { .n = 0 };
	char err[512];
	int rc = 1, lock = -1;
	memset(&s, 0, sizeof(s));
	int arc = daemon_start(&args, &cfg, argc, argv, "httpsd", HTTPSD_VERSION, usage);
	if (arc != DAEMON_RUN)
		return arc;
	long workers = daemon_workers(&args, cfg.httpsd_workers, HTTPSD_MAX_WORKERS);
	struct daemon_addr maddrs[DAEMON_MAX_LISTEN];
	size_t nmaddrs;
	if (workers < 0 ||
	    daemon_listen(&args, cfg.httpsd_listen, "httpsd.listen", cfg.path, s.addrs, &s.naddrs) != 0 ||
	    metrics_http_addrs(cfg.httpsd_metrics_listen, "httpsd.metrics-listen", cfg.path, maddrs,
	                       &nmaddrs) != 0 ||
	    api_proc_addrs(&api, &cfg) != 0)
		goto out_cfg;
	const char *state = args.state ? args.state : cfg.state_dir;
	if (args.check) {
		if (check_certs(state) == 0) {
			printf("configuration OK\n");
			rc = 0;
		}
		goto out_cfg;
	}
	const char *user;
	if (daemon_user(cfg.httpsd_user, "httpsd.user", &user) != 0 ||
	    (lock = daemon_lock(state, "httpsd", user)) < 0)
		goto out_cfg;
	s.cfg = &cfg;
	if (server_setup(&s, &cfg, state, (size_t)workers) != 0)
		goto out;
	s.listen_fixed = args.nlisten > 0;
	if (httpsd_server_bind(&s, err, sizeof(err)) != 0 ||
	    metrics_http_bind(&s.metrics, maddrs, nmaddrs, err, sizeof(err)) != 0 ||
	    api_proc_bind(&api, err, sizeof(err)) != 0 ||
	    daemon_drop_privileges(user, err, sizeof(err))) {
		log_error("%s", err);
		goto out;
	}
	/* Before the store and any thread exist here: the API process opens its own store. */
	if (api_proc_start(&api, &cfg, state, lock) != 0) {
		log_error("api: cannot start the API process: %s", strerror(errno));
		goto out;
	}
	s.api_supervisor = api.supervisor;
	crash_install("httpsd");    /* a bad page in the store must not kill it silently */
	if (store_open_rdonly(&s.st, state) != 0) {
		rc = STORE_EXIT_STATUS;
		goto out;
	}
	store_damage_install();   /* as dnsd: a damaged page logged, MDB_PANIC exits 5 */
	if (daemon_pidfile_write(cfg.httpsd_pidfile) != 0)
		goto out;
	warn_no_certs(state);
	s.page = (struct counters_page){ s.w, s.nworkers, &s.env.clients, &s.env.limiter,
	                                 HTTPSD_VERSION,
	                                 (int64_t)time(NULL), { 0 }, api.counters, s.env.certs,
	                                 s.spool_log };
	if (nmaddrs)
		log_notice("metrics: GET /metrics on %s",
		           daemon_addrs_text(maddrs, nmaddrs, err, sizeof(err)));
	/* Certificates are read by a thread of their own, never on the loop that answers. */
	if (nmaddrs &&
	    cert_metrics_start(&s.page.certs, state, cfg.httpsd_metrics_cert_names) != 0)
		log_warning("metrics: cannot start the certificate reader; no certificate series");
	rc = httpsd_server_run(&s) == 0 ? 0 : 1;
	daemon_pidfile_remove(cfg.httpsd_pidfile);
out:
	httpsd_server_free(&s);
	store_close(s.st);
out_cfg:
	api_proc_stop(&api);
	if (lock >= 0)
		close(lock);
	config_free(&cfg);
	return rc;
}
