/* dnsd over UDP: a worker's socket, read in recvmmsg batches and answered with sendmmsg. */
#ifndef DNSD_UDP_H
#define DNSD_UDP_H

#include <stddef.h>
#include "dnsd/worker.h"

/* Receives on fd (listen slot i) in w's loop: a listen_set_start_fn. Returns 0 or a libuv
 * error; *h is the handle once it is initialized, and fd is closed when it does not own it. */
int dnsd_udp_start(struct dnsd_worker *w, size_t i, int fd, uv_handle_t **h);

#endif
