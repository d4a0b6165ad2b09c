/* dnsd over TCP (RFC 7766): a worker's listening socket and the connections it accepts. */
#ifndef DNSD_TCP_H
#define DNSD_TCP_H

#include <stddef.h>
#include "dnsd/worker.h"

/* Listens on fd (listen slot i) in w's loop; as dnsd_udp_start(). Connections accepted live
 * on after the listening handle closes. */
int dnsd_tcp_start(struct dnsd_worker *w, size_t i, int fd, uv_handle_t **h);

#endif
