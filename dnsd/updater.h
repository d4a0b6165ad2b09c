/*
 * DNS UPDATE off the query loops: a worker hands the message to libuv's thread pool, where
 * update_process waits for the store's writer lock and the durable commit; the answer comes
 * back to the worker's own loop, which sends it.
 */
#ifndef DNSD_UPDATER_H
#define DNSD_UPDATER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>
#include "shared/store/store.h"

#define UPDATER_MAX_PENDING 64      /* updates waiting or running in the whole process */

/* On the submitting loop: the answer to peer (len 0: none, or the update was not run). */
typedef void (*updater_done_fn)(void *arg, const struct sockaddr *peer, const uint8_t *answer,
                                size_t len);

/*
 * Queues the UPDATE msg[0..len) (copied) from peer. Returns 0, or -EBUSY when
 * UPDATER_MAX_PENDING are pending, -ENOMEM, or a libuv error: done is then not called.
 */
int updater_submit(uv_loop_t *loop, struct store *st, const uint8_t *msg, size_t len,
                   const struct sockaddr *peer, updater_done_fn done, void *arg);

#endif
