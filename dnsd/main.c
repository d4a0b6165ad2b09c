/* dnsd: the authoritative DNS server; reads the shared zone store, sees each commit at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "dnsd/server.h"
#include "shared/util/crash.h"
#include "shared/util/daemon.h"
#include "shared/util/err.h"
#include "shared/store/history.h"
#include "shared/store/journal.h"
#include "shared/store/store_damage.h"
#include "shared/util/log.h"

#define DNSD_VERSION "0.1.0"

static const char usage[] =
	"usage: dnsd [-c FILE] [--state DIR] [--listen ADDR:PORT]... [--workers N] [-n]\n"
	"\n"
	"  -c, --config FILE   configuration file (default " CONFIG_DEFAULT_PATH " if present)\n"
	"  --state DIR         zone store directory (overrides state-dir)\n"
	"  --listen ADDR:PORT  address to answer on, UDP and TCP; [ADDR]:PORT for IPv6;\n"
	"                      repeatable; replaces the configuration's dnsd.listen\n"
	"  --workers N         threads answering queries (0: one per core)\n"
	"  -n                  check the configuration, print `configuration OK` and exit\n"
	"  -h, --help          this text\n"
	"  --version           print the version\n";

/* Answer options from the configuration; the identity (CHAOS id.server) is the host name. */
static void answer_setup(struct answer_opts *o, const struct config *cfg, char *host, size_t len)
{
	host[0] = '\0';
	gethostname(host, len - 1);
	o->udp_max = (uint16_t)cfg->udp_max_size;
	o->chaos = cfg->dnsd_chaos;
	o->version = "Lockstep dnsd " DNSD_VERSION;
	o->identity = host;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct dnsd_server s;
	struct daemon_args args;
	char err[512], host[256];
	int rc = 1, lock = -1;
	memset(&s, 0, sizeof(s));
	int arc = daemon_start(&args, &cfg, argc, argv, "dnsd", DNSD_VERSION, usage);
	if (arc != DAEMON_RUN)
		return arc;
	s.env.cfg = &cfg;
	journal_set_limits(cfg.journal_max_size, cfg.journal_max_age);   /* for commits dnsd makes */
	history_set_keep(cfg.keep_history);
	answer_setup(&s.env.opts, &cfg, host, sizeof(host));
	if (cfg.dnsd_cookies) {
		if (cookie_secrets_init(&s.env.cookies, cfg.dnsd_cookie_secret, err, sizeof(err))) {
			log_error("dnsd.cookie-secret: %s", err);
			goto out_cfg;
		}
		s.env.opts.cookies = &s.env.cookies;
	}
	struct rrl_config lim;
	rrl_config_read(&cfg, &lim);
	if (rrl_init(&s.env.rrl, &lim) != 0) {
		log_error("no memory for %u rate-limit buckets (dnsd.rrl-table-size)", lim.size);
		goto out_cfg;
	}
	s.env.opts.rrl = true;
	long workers = daemon_workers(&args, cfg.dnsd_workers, DNSD_MAX_WORKERS);
	struct daemon_addr maddrs[DAEMON_MAX_LISTEN];
	size_t nmaddrs;
	if (workers < 0 ||
	    daemon_listen(&args, cfg.dnsd_listen, "dnsd.listen", cfg.path, s.addrs, &s.naddrs) != 0 ||
	    metrics_http_addrs(cfg.dnsd_metrics_listen, "dnsd.metrics-listen", cfg.path, maddrs,
	                       &nmaddrs) != 0)
		goto out_cfg;
	if (args.check) {
		printf("configuration OK\n");
		rc = 0;
		goto out_cfg;
	}
	const char *state = args.state ? args.state : cfg.state_dir;
	const char *user;
	if (daemon_user(cfg.dnsd_user, "dnsd.user", &user) != 0 ||
	    (lock = daemon_lock(state, "dnsd", user)) < 0)
		goto out_cfg;
	s.nworkers = (size_t)workers;
	s.w = calloc(s.nworkers, sizeof(*s.w));
	if (s.w == NULL)
		goto out_cfg;
	s.listen_fixed = args.nlisten > 0;
	if (dnsd_server_bind(&s, err, sizeof(err)) != 0 ||
	    metrics_http_bind(&s.metrics, maddrs, nmaddrs, err, sizeof(err)) != 0 ||
	    daemon_drop_privileges(user, err, sizeof(err))) {
		log_error("%s", err);
		goto out;
	}
	crash_install("dnsd");    /* a bad page in the store must not kill it silently */
	int src = store_open(&s.env.st, state, STORE_READERS);
	if (src) {
		log_error("cannot open the store in %s: %s%s%s", state, ls_strerror(src),
		          *store_advice(src) ? "; " : "", store_advice(src));
		rc = STORE_EXIT_STATUS;
		goto out;
	}
	store_damage_install();   /* a damaged page met later: logged, and MDB_PANIC exits */
	if (asprintf(&s.stats_path, "%s/%s", state, STATS_FILE) < 0 ||
	    daemon_pidfile_write(cfg.dnsd_pidfile) != 0)
		goto out;
	s.scrape = (struct scrape){ s.w, s.nworkers, &s.notify, &s.pub, s.env.st, DNSD_VERSION,
	                            (int64_t)time(NULL), &s.xdp, { 0 } };
	if (nmaddrs)
		log_notice("metrics: GET /metrics on %s",
		           daemon_addrs_text(maddrs, nmaddrs, err, sizeof(err)));
	/* Certificates are read by a thread of their own, never on the loop that answers. */
	if (nmaddrs && cert_metrics_start(&s.scrape.certs, state, cfg.dnsd_metrics_cert_names) != 0)
		log_warning("metrics: cannot start the certificate reader; no certificate series");
	rc = dnsd_server_run(&s) == 0 ? 0 : 1;
	daemon_pidfile_remove(cfg.dnsd_pidfile);
	if (s.abandoned) {
		/* A watch check still reads the store and the configuration: free neither. */
		fflush(NULL);
		_exit(rc);
	}
out:
	dnsd_server_free(&s);
	store_close(s.env.st);
out_cfg:
	if (lock >= 0)
		close(lock);    /* after the store: the next dnsd finds it closed */
	rrl_free(&s.env.rrl);
	config_free(&cfg);
	return rc;
}
