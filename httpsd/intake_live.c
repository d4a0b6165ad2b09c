/* The tlsrpt settings of POST /tlsrpt, swapped by SIGHUP under a lock the workers share. */
#include "httpsd/intake_live.h"

void intake_live_init(struct intake_live *l, const struct intake_settings *s)
{
	pthread_mutex_init(&l->lock, NULL);
	l->s = *s;
}

void intake_live_free(struct intake_live *l)
{
	pthread_mutex_destroy(&l->lock);
}

struct intake_settings intake_live_get(struct intake_live *l)
{
	pthread_mutex_lock(&l->lock);
	struct intake_settings s = l->s;
	pthread_mutex_unlock(&l->lock);
	return s;
}

void intake_live_set(struct intake_live *l, const struct intake_settings *s)
{
	pthread_mutex_lock(&l->lock);
	const char *state_dir = l->s.state_dir;
	struct tlsrpt_spool_log *log = l->s.log;
	l->s = *s;
	l->s.state_dir = state_dir;
	l->s.log = log;
	pthread_mutex_unlock(&l->lock);
}
