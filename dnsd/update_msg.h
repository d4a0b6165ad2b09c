/* A DNS UPDATE message (RFC 2136) from the network: bounded parsing and the prescan of 3.2 and 3.4.1. */
#ifndef DNSD_UPDATE_MSG_H
#define DNSD_UPDATE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "shared/util/arena.h"
#include "shared/store/rrset.h"

#define PKT_OPCODE_UPDATE 5
#define UPDATE_MAX_PREREQS 6000       /* prerequisite records: about what 64 KiB can hold */
#define UPDATE_MAX_CHANGES 6000       /* update records: about what 64 KiB can hold */
#define UPDATE_MAX_ADDITIONAL 4       /* OPT, TSIG and a little more */
#define UPDATE_CLASS_NONE 254         /* RFC 2136 1.3 */
#define UPDATE_CLASS_ANY 255

/* RCODEs of RFC 2136 2.2 beyond RFC 1035's. */
enum { RCODE_YXDOMAIN = 6, RCODE_YXRRSET = 7, RCODE_NXRRSET = 8, RCODE_NOTZONE = 10 };

/* One record of the prerequisite or update section: canonical owner and RDATA (rrset.h). */
struct update_rr {
	struct rr rr;
	uint16_t cls;                 /* IN, NONE or ANY */
};

struct update_msg {
	uint16_t id, flags;
	uint8_t zone[DNAME_MAX];      /* lower case */
	uint16_t zclass;
	size_t zone_end;              /* the zone section ends here (it is echoed in the answer) */
	struct update_rr *pre, *upd;  /* from the arena */
	size_t npre, nupd;
	struct arena a;
};

/*
 * Parses msg into m (free it with update_msg_free, whatever the result). Returns 0,
 * an RCODE (FORMERR, NOTAUTH for another class, NOTZONE) when the zone section parsed
 * (m->zone_end set, so the answer can echo it), FORMERR before that, or -1 when the
 * message deserves no answer (a response, or shorter than a header).
 */
int update_msg_parse(const uint8_t *msg, size_t len, struct update_msg *m);
void update_msg_free(struct update_msg *m);
/* True when msg is a request with the UPDATE opcode (what the workers hand over). */
bool update_msg_is_update(const uint8_t *msg, size_t len);

#endif
