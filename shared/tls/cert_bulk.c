/* Demo certificates for many hosts at once: a signer per thread, hosts taken in turn. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "shared/tls/cert.h"

struct job {
	const char *state_dir;
	const char *const *hosts;
	size_t n, next;            /* next: the next host to take (atomic) */
	int *rcs;
	char (*errs)[CERT_TEXT_MAX];
};

static void *work(void *arg)
{
	struct job *j = arg;
	struct cert_signer *s;
	char err[CERT_TEXT_MAX] = "";
	int orc = cert_signer_open(&s, j->state_dir, err, sizeof(err));
	for (;;) {
		size_t i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
		if (i >= j->n)
			break;
		j->errs[i][0] = 0;
		if (orc) {
			j->rcs[i] = orc;
			snprintf(j->errs[i], CERT_TEXT_MAX, "%s", err);
		} else {
			j->rcs[i] = cert_signer_ensure(s, j->hosts[i], j->errs[i], CERT_TEXT_MAX);
		}
	}
	cert_signer_close(s);
	return NULL;
}

void cert_bulk_demo_ensure(const char *state_dir, const char *const *hosts, size_t n,
                           unsigned threads, int *rcs, char (*errs)[CERT_TEXT_MAX])
{
	pthread_t t[CERT_BULK_THREADS_MAX];
	struct job j = { state_dir, hosts, n, 0, rcs, errs };
	unsigned started = 0;
	memset(rcs, 0, n * sizeof(*rcs));
	if (!cert_demo_exists(state_dir) || n == 0)
		return;        /* no demo CA: the operator's certificates are expected */
	if (threads > CERT_BULK_THREADS_MAX)
		threads = CERT_BULK_THREADS_MAX;
	if (threads > n)
		threads = (unsigned)n;
	/* This thread works too: with no thread started, it does every host itself. */
	while (started + 1 < threads && pthread_create(&t[started], NULL, work, &j) == 0)
		started++;
	work(&j);
	for (unsigned i = 0; i < started; i++)
		pthread_join(t[i], NULL);
}
