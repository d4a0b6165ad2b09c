/*
 * The check benchmark's driver: check_run() over many domains, concurrency checks at a time
 * (each one connection at a time, as watch runs them), with the wall time, the CPU time and
 * the most sockets this process held at once (sampled from /proc/self/fd every millisecond).
 *
 *   check_many --resolver ADDR:PORT --ca FILE [--connect-to RULE]... --concurrency N
 *              [--timeout S] DOMAINS-FILE
 * prints one JSON object: domains, ok, warn, error, failed, wall_s, cpu_s, max_sockets, codes.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "shared/check/check.h"
#include "shared/util/parallel.h"

#define MAX_DOMAINS 100000
#define MAX_RULES 32

static char **domains;
static size_t n_domains;
static struct check_opts opts;
static atomic_int counts[4], failed;
static atomic_int code_counts[64];
static atomic_bool done;
static int max_sockets;

static int sockets_now(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char path[64], link[64];
	int n = 0;
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		ssize_t l = readlink(path, link, sizeof(link) - 1);
		if (l > 0 && (link[l] = 0, strncmp(link, "socket:", 7) == 0))
			n++;
	}
	closedir(d);
	return n;
}

static void *sampler(void *arg)
{
	(void)arg;
	while (!atomic_load(&done)) {
		int n = sockets_now();
		if (n > max_sockets)
			max_sockets = n;
		usleep(1000);
	}
	return NULL;
}

static int one(size_t i, void *arg)
{
	struct check_result r;
	char err[256];
	(void)arg;
	if (check_run(domains[i], &opts, &r, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", domains[i], err);
		atomic_fetch_add(&failed, 1);
	} else {
		atomic_fetch_add(&counts[r.status], 1);
		for (size_t k = 0; k < r.n_problems; k++)
			for (size_t c = 0; c < check_code_count() && c < 64; c++)
				if (strcmp(check_code_name(c), r.problems[k].code) == 0)
					atomic_fetch_add(&code_counts[c], 1);
	}
	check_result_free(&r);
	return 0;
}

static double secs(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	static const char *rules[MAX_RULES];
	unsigned concurrency = 16;
	const char *file = NULL;
	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--resolver") == 0)
			opts.resolver = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--ca") == 0)
			opts.ca_file = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--connect-to") == 0 && opts.n_connect_to < MAX_RULES)
			rules[opts.n_connect_to++] = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--concurrency") == 0)
			concurrency = (unsigned)atoi(argv[++i]);
		else if (i + 1 < argc && strcmp(argv[i], "--timeout") == 0)
			opts.timeout_ms = atoi(argv[++i]) * 1000;
		else
			file = argv[i];
	}
	opts.connect_to = rules;
	opts.concurrency = 1;   /* one connection at a time per check */
	FILE *in = file ? fopen(file, "r") : NULL;
	char line[300];
	if (in == NULL || concurrency < 1 || (domains = calloc(MAX_DOMAINS, sizeof(*domains))) == NULL) {
		fprintf(stderr, "usage: check_many --resolver A:P --ca F [--connect-to R]... "
		        "--concurrency N [--timeout S] FILE\n");
		return 2;
	}
	while (n_domains < MAX_DOMAINS && fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\r\n")] = 0;
		if (line[0])
			domains[n_domains++] = strdup(line);
	}
	fclose(in);
	/* One trust store for every check, as watch loads it. */
	char err[256];
	if (check_ctx_open(&opts.ctx, opts.ca_file, err, sizeof(err)) != 0) {
		fprintf(stderr, "check_many: %s\n", err);
		return 1;
	}
	pthread_t t;
	pthread_create(&t, NULL, sampler, NULL);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	parallel_run(n_domains, concurrency, one, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	atomic_store(&done, true);
	pthread_join(t, NULL);
	check_ctx_close(opts.ctx);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"domains\":%zu,\"ok\":%d,\"info\":%d,\"warn\":%d,\"error\":%d,\"failed\":%d,"
	       "\"wall_s\":%.3f,\"cpu_s\":%.3f,\"max_sockets\":%d,\"concurrency\":%u,\"codes\":{",
	       n_domains, counts[CHECK_OK], counts[CHECK_INFO], counts[CHECK_WARN],
	       counts[CHECK_ERROR], failed,
	       (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9,
	       secs(&ru.ru_utime) + secs(&ru.ru_stime), max_sockets, concurrency);
	const char *sep = "";
	for (size_t c = 0; c < check_code_count() && c < 64; c++) {
		if (code_counts[c]) {
			printf("%s\"%s\":%d", sep, check_code_name(c), code_counts[c]);
			sep = ",";
		}
	}
	printf("}}\n");
	return 0;
}
