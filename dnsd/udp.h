/* dnsd over UDP: a worker's socket, read in recvmmsg batches and answered with sendmmsg. */
#ifndef DNSD_UDP_H
#define DNSD_UDP_H

#include <stddef.h>
#include "dnsd/worker.h"

/* Receives on w->udp_fd[i] in w's loop. Returns 0 or a libuv error. */
int dnsd_udp_start(struct dnsd_worker *w, size_t i);

#endif
