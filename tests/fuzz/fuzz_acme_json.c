/*
 * libFuzzer target: any bytes as a JSON answer of an ACME CA, read as a directory, an order,
 * an authorization (both challenge types), a problem document and an ARI renewalInfo; and as
 * a chunked body. Each reader answers 0 or LS_EPARSE, never reads or writes past its bounds,
 * and what it accepts holds what acme_json.h promises: NUL-terminated strings, https:// URLs,
 * base64url tokens, at most ACME_AUTHZ_MAX authorizations.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "shared/util/err.h"
#include "shared/tls/http_response.h"
#include "shared/acme/acme_ari.h"
#include "shared/acme/acme_json.h"

#define FUZZ_MAX_JSON 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_url(const char *u, size_t cap)
{
	if (strnlen(u, cap) == cap || (*u && strncmp(u, "https://", 8) != 0))
		abort();
}

static void check(int rc)
{
	if (rc != 0 && rc != LS_EPARSE)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	if (size > FUZZ_MAX_JSON)
		size = FUZZ_MAX_JSON;
	json_t *o = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	struct acme_directory_info d;
	int rc = acme_json_directory(o, "https://ca.test/dir", &d, err, sizeof(err));
	check(rc);
	if (rc == 0) {
		check_url(d.new_nonce, sizeof(d.new_nonce));
		check_url(d.new_order, sizeof(d.new_order));
		check_url(d.renewal_info, sizeof(d.renewal_info));
		if (!*d.new_nonce || !*d.new_account || !*d.new_order)
			abort();
	}
	acme_json_directory_free(&d);
	struct acme_order_view *v = malloc(sizeof(*v));
	rc = acme_json_order(o, v);
	check(rc);
	if (rc == 0) {
		if (v->nauthz > ACME_AUTHZ_MAX)
			abort();
		for (size_t i = 0; i < v->nauthz; i++)
			check_url(v->authz[i], sizeof(v->authz[i]));
		check_url(v->finalize, sizeof(v->finalize));
		check_url(v->certificate, sizeof(v->certificate));
	}
	free(v);
	static const char *const types[] = { "dns-01", "tls-alpn-01" };
	for (size_t t = 0; t < 2; t++) {
		struct acme_authz_view a;
		rc = acme_json_authz(o, types[t], &a);
		check(rc);
		if (rc == 0 && a.found) {
			check_url(a.ch_url, sizeof(a.ch_url));
			if (!*a.token || strspn(a.token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
			                        "wxyz0123456789-_") != strlen(a.token))
				abort();
		}
	}
	struct acme_problem p;
	check(acme_json_problem(o, &p));
	if (strnlen(p.type, sizeof(p.type)) == sizeof(p.type) ||
	    strnlen(p.detail, sizeof(p.detail)) == sizeof(p.detail))
		abort();
	int64_t start, end;
	rc = acme_ari_parse(o, &start, &end);
	check(rc);
	if (rc == 0 && end < start)
		abort();
	json_decref(o);
	/* The same bytes as a chunked body: never longer than they were. */
	char *buf = malloc(size + 1);
	memcpy(buf, data, size);
	size_t n = 0;
	rc = http_response_dechunk(buf, size, &n);
	check(rc);
	if (rc == 0 && n > size)
		abort();
	free(buf);
	return 0;
}
