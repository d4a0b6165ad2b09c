/* Lockstep's resource .../zones/{zone}/mta-sts[/{name}]: the MTA-STS checkbox over HTTP, through
 * the functions `zonectl mta-sts enable|set|disable|status` use (shared/sts/sts_ops.h). */
#ifndef HTTPSD_API_MTASTS_H
#define HTTPSD_API_MTASTS_H

#include "httpsd/api/api_route.h"

/* seg: the {zone} segment; name: the {name} segment, or NULL for the apex. */
void api_mtasts_get(struct api_call *c, const char *seg, const char *name, struct api_reply *r);
void api_mtasts_put(struct api_call *c, const char *seg, const char *name, struct api_reply *r);
void api_mtasts_delete(struct api_call *c, const char *seg, const char *name,
                       struct api_reply *r);
/* A PUT with ?wait=: true when r holds the answer (published, or the time is up). */
bool api_mtasts_wait(struct api_call *c, struct api_reply *r);

#endif
