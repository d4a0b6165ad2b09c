/* POST /tlsrpt: the head's checks, then the body's: a report, inflated with a bound, spooled. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "httpsd/intake.h"
#include "shared/rpt/tlsrpt_gzip.h"
#include "shared/rpt/tlsrpt_shape.h"
#include "shared/rpt/tlsrpt_spool.h"
#include "shared/rpt/tlsrpt_spool_log.h"
#include "shared/util/err.h"

/* Senders vary: the RFC 8460 types, and generic ones whose body tells gzip from JSON. */
static const char *const media[] = {
	"application/tlsrpt+gzip", "application/tlsrpt+json", "application/json",
	"application/gzip", "application/octet-stream",
};

bool intake_is(const struct http_req *req)
{
	return req->path.len == strlen(INTAKE_PATH) &&
	       memcmp(req->path.p, INTAKE_PATH, req->path.len) == 0;
}

bool intake_media_ok(const struct http_str *type)
{
	for (size_t i = 0; i < sizeof(media) / sizeof(media[0]); i++)
		if (type->len == strlen(media[i]) && strncasecmp(type->p, media[i], type->len) == 0)
			return true;
	return false;
}

int intake_head(const struct http_req *req, const struct intake_settings *s)
{
	if (req->method != HTTP_POST)
		return 405;
	if (!intake_media_ok(&req->content_type))
		return 415;
	if (!req->length_known)
		return 411;
	if (req->content_length > s->max_size)
		return 413;
	if (req->content_length == 0)
		return 400;
	return 0;
}

/* JSON text starts with '{' after optional white space (a report is an object). */
static bool looks_json(const uint8_t *p, size_t len)
{
	size_t i = 0;
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	return i < len && p[i] == '{';
}

int intake_check(const struct intake_settings *s, const uint8_t *body, size_t len, char *why,
                 size_t whylen)
{
	why[0] = '\0';
	if (!tlsrpt_gzip_is(body, len) && !looks_json(body, len)) {
		snprintf(why, whylen, "body is neither gzip nor a JSON object");
		return 400;
	}
	/* Only accept or refuse here: the full parse is the importer's (tlsrpt_shape.h). */
	int rc = tlsrpt_shape_check(body, len, s->max_expanded, why, whylen);
	if (rc == LS_ETOOBIG)
		return 413;
	if (rc == LS_EPARSE)
		return 400;
	if (rc) {
		snprintf(why, whylen, "cannot check the report now: %s", ls_strerror(rc));
		return 503;
	}
	return 0;
}

int intake_spool_status(int rc, char *why, size_t whylen)
{
	snprintf(why, whylen, "cannot spool the report now: %s", ls_strerror(rc));
	return 503;
}

int intake_spool(const struct intake_settings *s, const char *domain, const uint8_t *body,
                 size_t len, char *why, size_t whylen)
{
	int rc = s->log ? tlsrpt_spool_log_put(s->log, domain, body, len)
	                : tlsrpt_spool_put(s->state_dir, domain, body, len);
	why[0] = '\0';
	return rc ? intake_spool_status(rc, why, whylen) : 200;
}

int intake_body(const struct intake_settings *s, const char *domain, const uint8_t *body,
                size_t len, char *why, size_t whylen)
{
	int st = intake_check(s, body, len, why, whylen);
	return st ? st : intake_spool(s, domain, body, len, why, whylen);
}
