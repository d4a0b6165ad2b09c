/* GET search-data (names and contents matching a pattern) and GET statistics (dnsd's counters,
 * the ones `zonectl stats` shows, in PowerDNS's [{name, type, value}] shape). */
#ifndef HTTPSD_API_SEARCH_H
#define HTTPSD_API_SEARCH_H

#include "httpsd/api/api_route.h"

#define API_SEARCH_MAX_DEFAULT 100   /* results without ?max= */
#define API_SEARCH_MAX 10000         /* results ?max= may ask for */
#define API_STATS_MAX 4096           /* counters read from dnsd.stats */

void api_search_data(struct api_call *c, struct api_reply *r);
void api_search_statistics(struct api_call *c, struct api_reply *r);

#endif
