/*
 * libFuzzer target: any bytes as one API request (head, then the body), answered by the API's
 * router against a store holding a zone. The head parser answers 0 or an error status with every
 * string inside the head; a parsed request gets an answer whose head fits, a JSON error body
 * for every 4xx, and the store stays usable. "X-API-Key: fuzz" stands for a valid token.
 */
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include "httpsd/api/api_route.h"
#include "shared/store/api_token.h"
#include "tests/fuzz/fuzz_store.h"

#define FUZZ_MAX_HEAD 16384          /* api.max-header-size's default */
#define FUZZ_MAX_BODY 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char zone_text[] =
	"$ORIGIN example.com.\n@ 3600 SOA ns1 hostmaster 1 3600 900 604800 300\n"
	"@ NS ns1\n@ MX 10 mx1\nns1 A 192.0.2.1\nmx1 A 192.0.2.25\nwww A 192.0.2.80\n";
static struct api_env *env;
static char secret[API_TOKEN_SECRET_TEXT];

static void setup(void)
{
	static const uint8_t apex[] = "\7example\3com";
	struct store *st = fuzz_store();
	struct api_token tk;
	struct store_txn t;
	fuzz_load_zone(st, zone_text, sizeof(zone_text) - 1, apex);
	if (api_token_make(&tk, "fuzz", secret) != 0 || store_begin(st, true, 0, &t) != 0)
		abort();
	api_token_put(&t, &tk);
	if (store_commit(&t) != 0)
		abort();
	static struct config cfg;
	if (config_defaults(&cfg) != 0 || (env = calloc(1, sizeof(*env))) == NULL)
		abort();
	*env = (struct api_env){ .st = st, .cfg = &cfg, .state = fuzz_dir };
}

static void inside(struct http_str s, const char *buf, size_t len)
{
	if (s.len && (s.p < buf || s.p + s.len > buf + len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_req req;
	struct http_scan scan = { 0 };
	struct api_reply r = { 0 };
	char head[API_HEAD_MAX];
	if (env == NULL)
		setup();
	size_t len = size < FUZZ_MAX_HEAD + FUZZ_MAX_BODY ? size : FUZZ_MAX_HEAD + FUZZ_MAX_BODY;
	char *buf = malloc(len ? len : 1);
	memcpy(buf, data, len);
	size_t hl = http_head_end(buf, len < FUZZ_MAX_HEAD ? len : FUZZ_MAX_HEAD, &scan);
	if (hl == 0)
		goto out;
	int rc = api_request_parse(buf, hl, &req);
	if (rc) {
		if (rc < 400 || rc > 505)
			abort();
		goto out;
	}
	inside(req.query, buf, hl);
	inside(req.key, buf, hl);
	if (req.key.len == 4 && memcmp(req.key.p, "fuzz", 4) == 0)
		req.key = (struct http_str){ secret, strlen(secret) };
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	size_t blen = len - hl;
	if (req.h.content_length < blen)
		blen = (size_t)req.h.content_length;
	struct api_call c = { .env = env, .req = &req, .body = blen ? buf + hl : NULL,
	                      .body_len = blen, .peer = (struct sockaddr *)&peer, .now = 1 };
	api_route(&c, &r);
	if (c.wait) {
		c.now = c.wait_until;     /* the time is up: it must answer now */
		if (!api_route_wait(&c, &r))
			abort();
	}
	if (r.status < 200 || r.status > 599 || api_reply_head(&r, false, head, sizeof(head)) == 0)
		abort();
	if (r.status >= 400 && r.status != 405 && r.status != 404 &&
	    (r.type == NULL || strcmp(r.type, "application/json") != 0))
		abort();
	api_reply_free(&r);
out:
	free(buf);
	return 0;
}
