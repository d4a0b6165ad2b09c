/*
 * The API process: httpsd forks it when api.listen is set (privilege separation, as OpenBSD's
 * daemons do). A supervisor child restarts it when it dies and both exit with httpsd; the API
 * process opens the store read-write, the policy server keeps its read-only one.
 */
#ifndef HTTPSD_API_PROC_H
#define HTTPSD_API_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "httpsd/api/api_counters.h"
#include "httpsd/api/api_tls.h"
#include "shared/util/config.h"
#include "shared/util/daemon.h"

#define API_RESTART_DELAY_S 1        /* after the API process died, before the next one */

struct api_proc {
	struct daemon_addr addrs[DAEMON_MAX_LISTEN];
	size_t n;
	int fd[DAEMON_MAX_LISTEN];
	pid_t supervisor;                /* 0 before api_proc_start() */
	struct api_tls tls;              /* read by api_proc_addrs() when tls_on */
	bool tls_on;
	struct api_counters *counters;   /* shared with the API processes; NULL: not counted */
};

/* True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
bool api_proc_loopback(const struct daemon_addr *a);
/*
 * The addresses of api.listen, checked: off loopback only with api.tls-cert and api.tls-key,
 * which are read here (before the privilege drop). n 0 when the API is off. Returns 0, or -1
 * after logging why (file: api.listen: ...). Free with api_proc_stop().
 */
int api_proc_addrs(struct api_proc *p, const struct config *cfg);
/* Binds the addresses (before the privilege drop). Returns 0 or -errno with why in err. */
int api_proc_bind(struct api_proc *p, char *err, size_t errlen);
/*
 * Forks the supervisor (after the privilege drop, before any thread or store exists in
 * httpsd). keep_fd is closed in the children (httpsd's lock). Returns 0 or -errno; the
 * listening sockets are httpsd's no more either way.
 */
int api_proc_start(struct api_proc *p, const struct config *cfg, const char *state, int keep_fd);
/* Stops the supervisor and the API process (SIGTERM) and waits for the supervisor. */
void api_proc_stop(struct api_proc *p);

#endif
