/* dnsd over TCP (RFC 7766): a worker's listening socket and the connections it accepts. */
#ifndef DNSD_TCP_H
#define DNSD_TCP_H

#include <stddef.h>
#include "dnsd/worker.h"

/* Listens on w->tcp_fd[i] in w's loop. Returns 0 or a libuv error. */
int dnsd_tcp_start(struct dnsd_worker *w, size_t i);

#endif
