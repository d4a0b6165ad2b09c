/* dnsd: the authoritative DNS server; reads the shared zone store, sees each commit at once. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dnsd/server.h"
#include "shared/daemon.h"
#include "shared/err.h"
#include "shared/journal.h"
#include "shared/log.h"

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

int main(int argc, char **argv)
{
	struct config cfg;
	struct diag d;
	struct server s;
	struct daemon_args args;
	char err[512];
	int rc = 1;
	memset(&s, 0, sizeof(s));
	diag_init(&d);
	/* A client that goes away mid-answer is an error on that write, not the end of dnsd. */
	signal(SIGPIPE, SIG_IGN);
	int arc = daemon_args_parse(&args, argc, argv, "dnsd", DNSD_VERSION, usage);
	if (arc != DAEMON_RUN)
		return arc;
	const char *config_path = args.config_path, *state = args.state;
	long workers = args.workers;
	int lrc = config_load(&cfg, config_path, &d);
	diag_print(&d, stderr);
	if (lrc) {
		log_error("configuration %s: %s",
		  config_path ? config_path : CONFIG_DEFAULT_PATH, ls_strerror(lrc));
		goto out_cfg;
	}
	s.cfg = &cfg;
	journal_set_limits(cfg.journal_max_size, cfg.journal_max_age);   /* for commits dnsd makes */
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	s.opts.udp_max = (uint16_t)cfg.udp_max_size;
	s.opts.chaos = cfg.dnsd_chaos;
	s.opts.version = "Lockstep dnsd " DNSD_VERSION;
	s.opts.identity = host;
	if (workers < 0)
		workers = cfg.dnsd_workers;
	if (workers == 0)
		workers = sysconf(_SC_NPROCESSORS_ONLN);
	if (workers < 1 || workers > SERVER_MAX_WORKERS) {
		log_error("workers must be 1 to %d", SERVER_MAX_WORKERS);
		goto out_cfg;
	}
	if (daemon_listen(&args, cfg.dnsd_listen, "dnsd.listen", cfg.path, s.addrs, &s.naddrs, err,
	                  sizeof(err)) != 0) {
		log_error("%s", err);
		goto out_cfg;
	}
	if (args.check) {
		printf("configuration OK\n");
		rc = 0;
		goto out_cfg;
	}
	s.nworkers = (size_t)workers;
	s.w = calloc(s.nworkers, sizeof(*s.w));
	if (s.w == NULL)
		goto out_cfg;
	if (server_bind(&s, err, sizeof(err)) != 0 || daemon_drop_privileges(cfg.dnsd_user, err, sizeof(err))) {
		log_error("%s", err);
		goto out;
	}
	state = state ? state : cfg.state_dir;
	int src = store_open(&s.st, state, STORE_READERS);
	if (src) {
		log_error("cannot open the store in %s: %s", state, ls_strerror(src));
		goto out;
	}
	if (asprintf(&s.stats_path, "%s/%s", state, STATS_FILE) < 0)
		goto out;
	rc = server_run(&s) == 0 ? 0 : 1;
out:
	server_free(&s);
	store_close(s.st);
out_cfg:
	config_free(&cfg);
	diag_free(&d);
	return rc;
}
