/* Finding the report part of a TLS report mail with GMime. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <gmime/gmime.h>
#include "shared/util/err.h"
#include "shared/rpt/tlsrpt_mime.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void)
{
	g_mime_init();
}

struct find {
	GMimeObject *best;
	int rank;                 /* 2: tlsrpt type, 1: a generic type that may hold one */
	unsigned parts;
};

static int rank_of(GMimeContentType *ct)
{
	if (ct == NULL || !g_mime_content_type_is_type(ct, "application", "*"))
		return 0;
	if (g_mime_content_type_is_type(ct, "application", "tlsrpt+gzip") ||
	    g_mime_content_type_is_type(ct, "application", "tlsrpt+json"))
		return 2;
	if (g_mime_content_type_is_type(ct, "application", "gzip") ||
	    g_mime_content_type_is_type(ct, "application", "json") ||
	    g_mime_content_type_is_type(ct, "application", "octet-stream"))
		return 1;
	return 0;
}

static void visit(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	struct find *f = data;
	(void)parent;
	if (++f->parts > TLSRPT_MIME_PARTS_MAX || !GMIME_IS_PART(part))
		return;
	int r = rank_of(g_mime_object_get_content_type(part));
	if (r > f->rank) {
		f->best = part;
		f->rank = r;
	}
}

/* A stream filter would grow without a bound: copy through a counted loop instead. */
static int decode(GMimePart *part, size_t max, uint8_t **out, size_t *outlen)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	if (w == NULL)
		return LS_ENOTFOUND;
	GMimeStream *dec = g_mime_data_wrapper_get_stream(w), *filtered;
	GMimeStream *f = g_mime_stream_filter_new(dec);
	GMimeFilter *basic = g_mime_filter_basic_new(g_mime_data_wrapper_get_encoding(w), FALSE);
	g_mime_stream_filter_add(GMIME_STREAM_FILTER(f), basic);
	g_object_unref(basic);
	filtered = f;
	g_mime_stream_reset(dec);
	size_t cap = max < 4096 ? max : 4096, n = 0;
	uint8_t *buf = malloc(cap + 1);
	int rc = buf ? 0 : -ENOMEM;
	while (rc == 0) {
		if (n == cap) {
			size_t ncap = cap * 2 > max ? max : cap * 2;
			uint8_t *grown = ncap > cap ? realloc(buf, ncap + 1) : NULL;
			if (grown == NULL) {
				rc = ncap > cap ? -ENOMEM : LS_ETOOBIG;
				/* Full at max: one byte more means too big. */
				char probe;
				if (ncap <= cap && g_mime_stream_read(filtered, &probe, 1) <= 0)
					rc = 0;
				break;
			}
			buf = grown;
			cap = ncap;
		}
		ssize_t got = g_mime_stream_read(filtered, (char *)buf + n, cap - n);
		if (got < 0)
			rc = -EIO;
		else if (got == 0)
			break;
		else
			n += (size_t)got;
	}
	g_object_unref(filtered);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[n] = 0;
	*out = buf;
	*outlen = n;
	return 0;
}

int tlsrpt_mime_find(const uint8_t *msg, size_t len, size_t max, uint8_t **out, size_t *outlen)
{
	struct find f = { NULL, 0, 0 };
	pthread_once(&once, init);
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer((const char *)msg, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *m = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	if (m == NULL)
		return LS_ENOTFOUND;
	GMimeObject *top = g_mime_message_get_mime_part(m);
	if (top)
		visit(NULL, top, &f);
	g_mime_message_foreach(m, visit, &f);
	int rc = f.best ? decode(GMIME_PART(f.best), max, out, outlen) : LS_ENOTFOUND;
	g_object_unref(m);
	return rc;
}
