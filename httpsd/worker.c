/* An httpsd worker's own state that the connections share: the Date header, once a second. */
#include <time.h>
#include "httpsd/http.h"
#include "httpsd/worker.h"

const char *httpsd_worker_date(struct httpsd_worker *w)
{
	int64_t now = (int64_t)time(NULL);
	if (now != w->date_sec) {
		http_date(w->date, now);
		w->date_sec = now;
	}
	return w->date;
}
