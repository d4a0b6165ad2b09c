/* Routes: GET|HEAD /.well-known/mta-sts.txt from the store, 404/405/413/421 otherwise, never 3xx. */
#include <string.h>
#include <strings.h>
#include "httpsd/route.h"
#include "shared/dns/dname.h"
#include "shared/util/err.h"
#include "shared/sts/sts_record.h"
#include "httpsd/intake.h"

/* Error bodies: the reason phrase and a newline, static. */
static const struct {
	int status;
	const char *text;
} texts[] = {
	{ 400, "Bad Request\n" }, { 404, "Not Found\n" }, { 405, "Method Not Allowed\n" },
	{ 408, "Request Timeout\n" }, { 411, "Length Required\n" }, { 413, "Content Too Large\n" },
	{ 415, "Unsupported Media Type\n" }, { 429, "Too Many Requests\n" },
	{ 421, "Misdirected Request\n" }, { 431, "Request Header Fields Too Large\n" },
	{ 500, "Internal Server Error\n" }, { 503, "Service Unavailable\n" },
	{ 505, "HTTP Version Not Supported\n" },
};

void route_error(int status, struct route_answer *out)
{
	memset(out, 0, sizeof(*out));
	out->status = status;
	out->content_type = "text/plain";
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (texts[i].status == status) {
			out->body = (const uint8_t *)texts[i].text;
			out->body_len = strlen(texts[i].text);
		}
	/* After these the stream cannot be trusted to be at a request boundary. */
	out->close = status == 400 || status == 408 || status == 413 || status == 431 ||
	             status == 505 || status >= 500;
}

/* Host without a trailing dot equals the SNI name (case-insensitive). */
static bool host_is(const struct http_str *host, const char *sni)
{
	size_t n = host->len;
	if (n > 0 && host->p[n - 1] == '.')
		n--;
	return n == strlen(sni) && strncasecmp(host->p, sni, n) == 0;
}

/* The policy of the domain the SNI mta-sts.DOMAIN names: sts_record_body()'s codes. */
static int policy_of(struct store_txn *t, const char *sni, uint8_t domain[DNAME_MAX],
                     const uint8_t **body, size_t *len)
{
	static const uint8_t root[1] = { 0 };
	size_t plen = strlen(ROUTE_HOST_PREFIX);
	if (strncmp(sni, ROUTE_HOST_PREFIX, plen) != 0 || dname_parse(domain, sni + plen, root) < 0)
		return LS_ENOTFOUND;
	return sts_record_body(t, domain, body, len, NULL);
}

void route_request(struct store_txn *t, const struct http_req *req, const char *sni,
                   size_t max_body, struct route_answer *out)
{
	uint8_t domain[DNAME_MAX];
	if (req->has_body && (!req->length_known || req->content_length > max_body)) {
		route_error(413, out);
		return;
	}
	/* HTTP/1.0 may leave Host out; then the SNI name stands for it. */
	if (req->host.len > 0 && !host_is(&req->host, sni)) {
		route_error(421, out);
		goto body;
	}
	if (req->path.len != strlen(ROUTE_POLICY_PATH) ||
	    memcmp(req->path.p, ROUTE_POLICY_PATH, req->path.len) != 0) {
		route_error(404, out);
		goto body;
	}
	if (req->method != HTTP_GET && req->method != HTTP_HEAD) {
		route_error(405, out);
		out->allow = ROUTE_ALLOW;
		goto body;
	}
	const uint8_t *body;
	size_t len;
	int rc = policy_of(t, sni, domain, &body, &len);
	if (rc == LS_ENOTFOUND) {
		route_error(404, out);
		goto body;
	}
	if (rc != 0 || len > ROUTE_BODY_MAX) {
		route_error(500, out);
		goto body;
	}
	memset(out, 0, sizeof(*out));
	out->status = 200;
	out->content_type = "text/plain";
	out->body = body;
	out->body_len = len;
body:
	/* A body we did not read leaves the stream mid-request: answer, then close. */
	if (req->has_body)
		out->close = true;
}

int route_tlsrpt(struct store_txn *t, const struct http_req *req, const char *sni,
                 const struct intake_settings *s, struct route_answer *out)
{
	uint8_t domain[DNAME_MAX];
	const uint8_t *body;
	size_t len;
	int status = 404;
	if (req->host.len > 0 && !host_is(&req->host, sni))
		status = 421;
	else if (s->receive && policy_of(t, sni, domain, &body, &len) == 0 &&
	         (status = intake_head(req, s)) == 0)
		return 0;
	route_error(status, out);
	if (status == 405)
		out->allow = INTAKE_ALLOW;
	if (req->has_body)
		out->close = true;      /* a body we did not read */
	return status;
}
