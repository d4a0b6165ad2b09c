/* What both daemons share: the command line, listen addresses, sockets, the state directory's
 * lock, the privilege drop and the pidfile. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "shared/util/addr.h"
#include "shared/util/daemon.h"
#include "shared/util/diag.h"
#include "shared/util/err.h"
#include "shared/util/log.h"
#include "shared/util/pidfile.h"
#include "shared/util/privs.h"

enum { OPT_STATE = 256, OPT_LISTEN, OPT_WORKERS, OPT_VERSION };

/* --workers: a count, 0 meaning one worker per core. */
static bool workers_value(const char *arg, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(arg, &end, 10);
	if (end == arg || *end || errno || v < 0)
		return false;
	*out = v;
	return true;
}

/*
 * argv for program prog through getopt_long (options in any order, long ones shortened while
 * unambiguous, -cFILE as -c FILE): DAEMON_RUN, or the exit status after printing (see
 * daemon_start).
 */
static int args_parse(struct daemon_args *a, int argc, char **argv, const char *prog,
                      const char *version, const char *usage)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	const char *bad = NULL;
	memset(a, 0, sizeof(*a));
	log_set_component(prog);
	a->workers = -1;
	opterr = 0;
	optind = 0;      /* glibc: a full restart of the parser */
	for (int ch; bad == NULL && (ch = getopt_long(argc, argv, ":c:nh", longopts, NULL)) != -1;) {
		switch (ch) {
		case 'c':
			a->config_path = optarg;
			break;
		case OPT_STATE:
			a->state = optarg;
			break;
		case OPT_LISTEN:
			if (a->nlisten == DAEMON_MAX_LISTEN)
				bad = optarg;      /* more than the daemons listen on: refused, not dropped */
			else
				a->listen[a->nlisten++] = optarg;
			break;
		case OPT_WORKERS:
			if (!workers_value(optarg, &a->workers))
				bad = optarg;
			break;
		case 'n':
			a->check = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case OPT_VERSION:
			printf("%s %s\n", prog, version);
			return 0;
		default:         /* '?' unknown, ':' without its value: the word just passed */
			bad = argv[optind - 1];
			break;
		}
	}
	if (bad == NULL && optind < argc)
		bad = argv[optind];        /* the daemons take no operands */
	if (bad == NULL)
		return DAEMON_RUN;
	log_error("bad argument '%s'", bad);
	fputs(usage, stderr);
	return 2;
}

/* Loads a's configuration file (the default one when there is none), printing what the loader
 * found. Returns 0, or -1 after logging why; cfg is to be freed with config_free() either way. */
static int load_config(const struct daemon_args *a, struct config *cfg)
{
	struct diag d;
	diag_init(&d);
	int rc = config_load(cfg, a->config_path, &d);
	log_diag(&d, "");
	diag_free(&d);
	if (rc) {
		log_error("configuration %s: %s", a->config_path ? a->config_path : CONFIG_DEFAULT_PATH,
		          ls_strerror(rc));
		return -1;
	}
	return 0;
}

/* Log lines where and from which level the configuration says. Returns 0, or -1 after logging
 * why (on stderr). */
static int log_setup(const struct config *cfg)
{
	struct log_opts o = { .level = cfg->log_level, .file = cfg->log_file,
	                      .syslog = cfg->log_syslog };
	int rc = log_configure(&o);
	if (rc)
		log_error("server.log-file: cannot open %s: %s", cfg->log_file, ls_strerror(rc));
	return rc ? -1 : 0;
}

int daemon_start(struct daemon_args *a, struct config *cfg, int argc, char **argv,
                 const char *prog, const char *version, const char *usage)
{
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);     /* until the main loop takes it: reopen the log file */
	signal(SIGHUP, SIG_IGN);      /* and reload: never the end of the daemon */
	int rc = args_parse(a, argc, argv, prog, version, usage);
	if (rc != DAEMON_RUN)
		return rc;
	if (!a->check)
		log_configure(NULL);      /* stderr with levels (and time stamps) from here on */
	if (load_config(a, cfg) != 0 || (!a->check && log_setup(cfg) != 0)) {
		config_free(cfg);
		return 1;
	}
	return DAEMON_RUN;
}

long daemon_workers(const struct daemon_args *a, long configured, long max)
{
	long n = a->workers >= 0 ? a->workers : configured;
	if (n == 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1 || n > max) {
		log_error("workers must be 1 to %ld", max);
		return -1;
	}
	return n;
}

/* "A.B.C.D:PORT" or "[IPv6]:PORT" (the port is required). Returns 0 or -1. */
static int listen_addr_parse(const char *text, struct daemon_addr *out)
{
	int family;
	uint8_t addr[16];
	uint16_t port;
	memset(out, 0, sizeof(*out));
	if (addr_parse(text, -1, &family, addr, &port) != 0)
		return -1;
	out->len = addr_sockaddr(family, addr, port, &out->ss);
	snprintf(out->text, sizeof(out->text), "%s", text);
	return 0;
}

int daemon_listen(const struct daemon_args *a, const char *list, const char *option,
                  const char *file, struct daemon_addr *out, size_t *n)
{
	char buf[1024], *save = NULL;
	*n = 0;
	if (a->nlisten) {
		for (size_t i = 0; i < a->nlisten; i++) {
			if (listen_addr_parse(a->listen[i], &out[(*n)++]) != 0) {
				log_error("bad --listen '%s' (ADDR:PORT or [ADDR]:PORT)", a->listen[i]);
				return -1;
			}
		}
		return 0;
	}
	const char *where = file ? file : "defaults";
	if (list && strlen(list) >= sizeof(buf)) {
		/* Cut, the last address could become another one ("...:5353" as "...:535"). */
		log_error("%s: %s: longer than %zu bytes", where, option, sizeof(buf) - 1);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", list ? list : "");
	for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (*n == DAEMON_MAX_LISTEN) {
			log_error("%s: %s: more than %d listen addresses", where, option,
			          DAEMON_MAX_LISTEN);
			return -1;
		}
		if (listen_addr_parse(t, &out[*n]) != 0) {
			log_error("%s: %s: bad listen address '%s' (ADDR:PORT or [ADDR]:PORT)", where,
			          option, t);
			return -1;
		}
		(*n)++;
	}
	if (*n == 0) {
		log_error("%s: %s: no listen address", where, option);
		return -1;
	}
	return 0;
}

const char *daemon_addrs_text(const struct daemon_addr *a, size_t n, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t k = 0; k < n && off < len; k++) {
		int w = snprintf(buf + off, len - off, "%s%s", k ? ", " : "", a[k].text);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	return buf;
}

const char *daemon_peer_text(const struct sockaddr *peer, char buf[DAEMON_PEER_TEXT_MAX])
{
	const void *bin = NULL;
	if (peer->sa_family == AF_INET)
		bin = &((const struct sockaddr_in *)peer)->sin_addr;
	else if (peer->sa_family == AF_INET6)
		bin = &((const struct sockaddr_in6 *)peer)->sin6_addr;
	if (bin == NULL || inet_ntop(peer->sa_family, bin, buf, DAEMON_PEER_TEXT_MAX) == NULL)
		strcpy(buf, "?");
	return buf;
}

int daemon_bind(const struct daemon_addr *a, int type)
{
	int one = 1;
	int fd = socket(a->ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    (a->ss.ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) ||
	    bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

int daemon_bind_alone(const struct daemon_addr *a)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)&a->ss;
	if (in->sin_port == 0)
		return 0;       /* port 0: the kernel picks a free one for each socket */
	/* A TCP socket with SO_REUSEADDR only cannot bind where another socket listens; without
	 * SO_REUSEPORT it cannot join another process's group either. UDP tells nothing: there
	 * SO_REUSEADDR on both sides would share the port. */
	int one = 1, rc = 0;
	int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    (a->ss.ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) ||
	    bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

int daemon_user(const char *configured, const char *option, const char **user)
{
	bool lockstep = getpwnam(PRIVS_DEFAULT_USER) != NULL;
	switch (privs_choose(geteuid(), configured, lockstep, user)) {
	case PRIVS_REFUSE:
		log_error("started as root, and %s is not set and there is no user '%s': create that "
		          "user, set %s to the user to run as, or to root to stay root",
		          option, PRIVS_DEFAULT_USER, option);
		return -1;
	case PRIVS_SWITCH:
		if (getpwnam(*user) == NULL) {
			log_error("%s: no such user '%s'", option, *user);
			return -1;
		}
		return 0;
	case PRIVS_KEEP:
		return 0;
	}
	return -1;
}

int daemon_lock(const char *state, const char *prog, const char *user)
{
	char path[4096];
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	pid_t holder;
	const struct passwd *pw = user && geteuid() == 0 ? getpwnam(user) : NULL;
	if (pw) {
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	if (mkdir(state, 0700) == 0) {
		/* Made by root for another user: it must be that user's, or the store cannot open. */
		if (uid != (uid_t)-1 && chown(state, uid, gid) != 0) {
			log_error("cannot give %s to user '%s': %s", state, user, strerror(errno));
			return -1;
		}
	} else if (errno != EEXIST) {
		log_error("cannot create the state directory %s: %s", state, strerror(errno));
		return -1;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s.lock", state, prog) >= sizeof(path)) {
		log_error("state directory name too long: %s", state);
		return -1;
	}
	int fd = pidfile_lock(path, uid, gid, &holder);
	if (fd == -EWOULDBLOCK && holder > 0) {
		log_error("%s already runs on %s as PID %ld (it holds %s); not starting another", prog,
		          state, (long)holder, path);
		return -1;
	} else if (fd == -EWOULDBLOCK) {
		log_error("%s already runs on %s (another process holds %s); not starting another",
		          prog, state, path);
		return -1;
	} else if (fd < 0) {
		log_error("cannot lock %s: %s", path, strerror(-fd));
		return -1;
	}
	return fd;
}

int daemon_drop_privileges(const char *user, char *err, size_t errlen)
{
	if (user != NULL && *user != '\0' && privs_drop(user, err, errlen) != 0)
		return -1;
	int rc = privs_keep_bind_only();
	if (rc) {
		snprintf(err, errlen, "cannot drop capabilities: %s", strerror(-rc));
		return -1;
	}
	rc = privs_no_new_privs();
	if (rc) {
		snprintf(err, errlen, "cannot set no_new_privs: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

int daemon_pidfile_write(const char *path)
{
	if (path == NULL || *path == '\0')
		return 0;
	int rc = pidfile_write(path);
	if (rc) {
		log_error("cannot write the pidfile %s: %s (its directory must be writable by the user "
		          "the daemon runs as)", path, strerror(-rc));
		return -1;
	}
	return 0;
}

void daemon_pidfile_remove(const char *path)
{
	if (path != NULL && *path != '\0' && unlink(path) != 0 && errno != ENOENT)
		log_warning("cannot remove the pidfile %s: %s", path, strerror(errno));
}

int daemon_addrs_free(const struct daemon_addr *a, size_t n, char *err, size_t errlen)
{
	for (size_t k = 0; k < n; k++) {
		int rc = daemon_bind_alone(&a[k]);
		if (rc < 0) {
			snprintf(err, errlen, "cannot bind %s: %s%s", a[k].text, strerror(-rc),
			         rc == -EADDRINUSE ? " (another server listens there)" : "");
			return rc;
		}
	}
	return 0;
}
