/* httpsd's connections: TLS over libuv buffers, then HTTP/1.1 requests one after the other. */
#ifndef HTTPSD_CONN_H
#define HTTPSD_CONN_H

#include <stddef.h>
#include <mbedtls/ssl.h>
#include "httpsd/mailbox.h"
#include "httpsd/worker.h"

#define CONN_BACKLOG 511         /* connections the kernel queues before we accept them */

/* Listens on w->fd[i] in w's loop (libuv owns the socket from here on). Returns 0 or a libuv
 * error. */
int httpsd_conn_listen(struct httpsd_worker *w, size_t i);
/* The SNI callback of every worker's TLS configuration (arg: the worker). */
int httpsd_conn_sni(void *arg, mbedtls_ssl_context *ssl, const unsigned char *name, size_t len);
/* Every worker's reports mailbox runs this for a report back from the intake queue. */
void httpsd_conn_report_back(struct mailbox_item *it);

#endif
