/* zonectl stats: dnsd's counters, as dnsd last wrote them to the state directory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "dnsd/stats.h"
#include "dnsd/zonectl/zonectl.h"

#define STATS_LINE_MAX 256

int cmd_stats(struct ctl *c)
{
	char path[4096], line[STATS_LINE_MAX];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", c->state, STATS_FILE);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "zonectl: no counters in %s (%s); dnsd writes them every second while it runs\n",
		        path, strerror(errno));
		return EXIT_NOTFOUND;
	}
	fstat(fileno(f), &st);
	if (c->json)
		printf("{\"written\":%lld", (long long)st.st_mtime);
	else
		printf("# dnsd counters, written %s\n", ctl_time(st.st_mtime, line, sizeof(line)));
	while (fgets(line, sizeof(line), f)) {
		char name[STATS_LINE_MAX];
		unsigned long long v;
		if (sscanf(line, "%127s %llu", name, &v) != 2)
			continue;
		if (c->json) {
			printf(",");
			json_str(stdout, name);
			printf(":%llu", v);
		} else {
			printf("%-24s %llu\n", name, v);
		}
	}
	if (c->json)
		printf("}\n");
	fclose(f);
	return EXIT_OK;
}
