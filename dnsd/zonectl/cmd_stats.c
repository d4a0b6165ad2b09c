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
	struct ctl_out o;
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return ctl_fail_msg(c, EXIT_NOTFOUND, "no counters in %s (%s); dnsd writes them every "
		                    "second while it runs", path, strerror(errno));
	fstat(fileno(f), &st);
	ctl_out_begin(&o, c);
	ctl_out_put(&o, "written", ctl_json_time(st.st_mtime));
	if (!c->json)
		printf("# dnsd counters, written %s\n", ctl_time(st.st_mtime, line, sizeof(line)));
	while (fgets(line, sizeof(line), f)) {
		char name[STATS_LINE_MAX];
		unsigned long long v;
		if (sscanf(line, "%127s %llu", name, &v) != 2)
			continue;
		if (c->json)
			ctl_out_put(&o, name, json_integer((json_int_t)v));
		else
			printf("%-24s %llu\n", name, v);
	}
	fclose(f);
	return ctl_out_end(&o);
}
