/* mx-changed events: a commit hook queues them with the change, so no writer is missed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "shared/dns/dname.h"
#include "shared/store/history.h"
#include "shared/store/zone_check.h"
#include "shared/sts/sts_record.h"
#include "shared/dns/wire.h"
#include "shared/watch/watch_mx.h"
#include "shared/watch/watch_store.h"

#define MX_TARGET 2       /* the exchange follows the 16-bit preference */

/* "10 mx1.example.org. 20 mx2.example.org." in stored (sorted) order. */
static void mx_text(const struct rdata *rd, uint32_t n, char *out, size_t cap)
{
	size_t off = 0;
	*out = 0;
	for (uint32_t i = 0; i < n && off < cap; i++) {
		char name[DNAME_STR_MAX];
		if (rd[i].len <= MX_TARGET)
			continue;
		dname_format(name, rd[i].p + MX_TARGET);
		int k = snprintf(out + off, cap - off, "%s%u %s", off ? " " : "",
		                 (unsigned)wire_get16(rd[i].p), name);
		off += k > 0 ? (size_t)k : 0;
	}
}

int watch_mx_commit(struct zone_txn *zt, struct diag *d)
{
	(void)d;
	struct zone_change c;
	size_t pos;
	if (zone_txn_creating(zt))
		return 0;
	struct store_txn *t = zone_txn_store(zt);
	struct sts_domain *s = NULL;
	struct alert_event *e = NULL;
	int rc = 0;
	for (pos = 0; zone_txn_next_change(zt, &pos, &c);) {
		if (c.type != T_MX)
			continue;
		if (s == NULL && ((s = malloc(sizeof(*s))) == NULL || (e = malloc(sizeof(*e))) == NULL)) {
			rc = -ENOMEM;
			break;
		}
		if (sts_record_get(t, c.owner, s) != 0 || s->state != STS_ACTIVE)
			continue;
		memset(e, 0, sizeof(*e));
		mx_text(c.old, c.nold, e->before, sizeof(e->before));
		mx_text(c.rd, c.n, e->after, sizeof(e->after));
		if (strcmp(e->before, e->after) == 0)
			continue;    /* a TTL change */
		char name[DNAME_STR_MAX];
		dname_format(name, c.owner);
		watch_store_name(name, e->domain);
		snprintf(e->code, sizeof(e->code), WATCH_MX_CODE);
		e->level = ALERT_INFO;
		e->state = ALERT_ONCE;
		e->time = (int64_t)time(NULL);
		/* As the history names it: the source, and who ran it ("by user alice"). */
		const char *src = zone_txn_source(zt), *who = history_actor();
		bool named = *who && !strstr(src, " by ");
		snprintf(e->writer, sizeof(e->writer), "%.*s%s%.*s", 96, src, named ? " by " : "",
		         64, named ? who : "");
		watch_store_outbox_put(t, e);
	}
	free(s);
	free(e);
	return rc;
}
