/*
 * Log lines limited per source and kind, and under one cap a minute for them all. Times
 * compare as "at or after the end": threads bring them in slightly out of order.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "shared/util/clock.h"
#include "shared/util/log_keyed.h"
#include "shared/util/fnv.h"

/* Room for one more line under the cap; false (counted) when the cap holds it back. */
static bool cap_room(struct log_keyed *k, uint64_t now, struct log_keyed_lines *out)
{
	if (now >= k->cap_start_ms + LOG_KEYED_WINDOW_MS || k->cap_start_ms == 0) {
		if (k->cap_held && out->n < LOG_KEYED_OUT)
			snprintf(out->line[out->n++], sizeof(out->line[0]),
			         "log limit: %u line%s held back in the last minute", k->cap_held,
			         k->cap_held == 1 ? "" : "s");
		k->cap_start_ms = now ? now : 1;
		k->cap_used = k->cap_held = 0;
		k->cap_said = false;
	}
	unsigned cap = atomic_load_explicit(&k->cap, memory_order_relaxed);
	if ((cap == 0 || k->cap_used < cap) && out->n < LOG_KEYED_OUT) {
		k->cap_used++;
		return true;
	}
	if (!k->cap_said && out->n < LOG_KEYED_OUT) {
		k->cap_said = true;
		snprintf(out->line[out->n++], sizeof(out->line[0]),
		         "log limit: %u lines this minute reached; like lines are counted, not written",
		         cap);
	}
	k->cap_held++;
	return false;
}

/* The summary of a slot whose minute is over, when it held lines back; the slot is freed. */
static void retire(struct log_keyed *k, struct log_keyed_slot *s, uint64_t now,
                   struct log_keyed_lines *out)
{
	if (s->more && cap_room(k, now, out))
		snprintf(out->line[out->n++], sizeof(out->line[0]),
		         "%s: %u more like this in the last minute", s->text, s->more);
	s->klen = 0;
	s->more = 0;
}

void log_keyed_set_cap(struct log_keyed *k, unsigned cap)
{
	if (atomic_load_explicit(&k->cap, memory_order_relaxed) != cap)
		atomic_store_explicit(&k->cap, cap, memory_order_relaxed);
}

void log_keyed_event(struct log_keyed *k, const void *key, size_t klen, const char *text,
                     uint64_t now_ms, struct log_keyed_lines *out)
{
	static const uint8_t none;
	struct log_keyed_slot *hit = NULL, *room = NULL;
	out->n = 0;
	if (klen == 0) {
		key = &none;
		klen = 1;
	}
	if (klen > LOG_KEYED_KEY_MAX)
		klen = LOG_KEYED_KEY_MAX;
	pthread_mutex_lock(&k->lock);
	/* A few slots a call: the summaries of sources that went quiet still come out. */
	for (int i = 0; i < 2; i++) {
		struct log_keyed_slot *s = &k->slots[k->sweep++ % LOG_KEYED_SLOTS];
		if (s->klen && now_ms >= s->start_ms + LOG_KEYED_WINDOW_MS)
			retire(k, s, now_ms, out);
	}
	size_t h = (size_t)(fnv1a(key, klen) % LOG_KEYED_SLOTS);
	for (size_t i = 0; i < LOG_KEYED_PROBES && hit == NULL; i++) {
		struct log_keyed_slot *s = &k->slots[(h + i) % LOG_KEYED_SLOTS];
		if (s->klen == klen && memcmp(s->key, key, klen) == 0)
			hit = s;
		else if (room == NULL || (room->klen && (s->klen == 0 || s->start_ms < room->start_ms)))
			room = s;         /* a free slot, else the oldest */
	}
	if (hit && now_ms >= hit->start_ms + LOG_KEYED_WINDOW_MS) {
		retire(k, hit, now_ms, out);
		room = hit;
		hit = NULL;
	}
	if (hit) {
		hit->more++;              /* logged already this minute */
	} else if (cap_room(k, now_ms, out)) {
		if (room->klen && room->more)
			k->cap_held += room->more;    /* evicted before its summary: counted */
		memcpy(room->key, key, klen);
		room->klen = (uint8_t)klen;
		room->start_ms = now_ms;
		room->more = 0;
		snprintf(room->text, sizeof(room->text), "%s", text);
		snprintf(out->line[out->n++], sizeof(out->line[0]), "%s", text);
	}
	pthread_mutex_unlock(&k->lock);
}

void log_keyed(struct log_keyed *k, const void *key, size_t klen, enum log_level level,
               const char *fmt, ...)
{
	struct log_keyed_lines out;
	char text[LOG_KEYED_TEXT_MAX];
	va_list ap;
	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_keyed_event(k, key, klen, text, (uint64_t)clock_mono_ms(), &out);
	for (size_t i = 0; i < out.n; i++)
		log_msg(level, "%s", out.line[i]);
}
