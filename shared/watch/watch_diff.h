/*
 * Events from two watch rows: drift between the previous run and this one, and the problem
 * codes that opened or cleared, with the domain's stored set of open problems making each
 * "open" (and its daily repeat) and "resolved" exact.
 */
#ifndef LS_WATCH_DIFF_H
#define LS_WATCH_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include "shared/util/alert.h"
#include "shared/watch/watch_row.h"

#define WATCH_OPEN_MAX (WATCH_CODES_MAX + 2)     /* check codes and the two drift problems */
#define WATCH_DIFF_EVENTS_MAX (2 * WATCH_OPEN_MAX + 8)
#define WATCH_REPEAT_S 86400                     /* an open problem is re-sent once a day */

#define WATCH_UNREACHABLE "policy-unreachable-txt-present"
#define WATCH_CHANGED_SAME_ID "policy-changed-id-unchanged"

/* One open problem of a domain. */
struct watch_open {
	char code[WATCH_CODE_MAX];
	enum alert_level level;
	int64_t opened;              /* when it was first sent */
	int64_t sent;                /* when it was last sent (opened, or a daily repeat) */
	char id[WATCH_ID_MAX];       /* policy-changed-id-unchanged: the id that stayed */
	char hash[WATCH_HASH_LEN + 1];   /* ... and the body that id was published with */
};

/* The open problems of one domain. */
struct watch_open_set {
	struct watch_open v[WATCH_OPEN_MAX];
	unsigned n;
};

/*
 * The events for domain from prev (NULL on a domain's first run) to cur, at cur->time; own
 * says the domain is one of ours with MTA-STS enabled (mx-changed-policy-unchanged is then
 * an error, else a warning). open is the domain's open problems: updated in place (opened,
 * resolved, repeats stamped). Events go to ev (at most cap; *n says how many).
 */
void watch_diff(const char *domain, const struct watch_row *prev, const struct watch_row *cur,
                bool own, struct watch_open_set *open, struct alert_event *ev, size_t cap,
                size_t *n);

#endif
