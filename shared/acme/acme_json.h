/*
 * The CA's JSON objects read into plain structs (RFC 8555 7.1): directory, order,
 * authorization with its challenges, problem documents. Input is the CA's: every string is
 * bounded, URLs must be https://, tokens base64url; nothing here does I/O, so a fuzz target
 * (tests/fuzz/fuzz_acme_json.c) drives it.
 */
#ifndef LS_ACME_JSON_H
#define LS_ACME_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "shared/acme/acme_record.h"

#define ACME_AUTHZ_MAX 8             /* authorizations of one order we follow (we ask for one) */
#define ACME_STATUS_MAX 16

struct acme_problem {
	char type[128];
	char detail[ACME_PROBLEM_MAX];
};

/* What the directory offers besides the URLs every request needs. */
struct acme_directory_info {
	char url[ACME_URL_MAX];
	char new_nonce[ACME_URL_MAX], new_account[ACME_URL_MAX], new_order[ACME_URL_MAX];
	char renewal_info[ACME_URL_MAX];    /* ARI (RFC 9773); "" when not offered */
	bool eab_required;
	json_t *profiles;                   /* meta.profiles (owned), NULL when none */
};

struct acme_order_view {
	char status[ACME_STATUS_MAX];
	char finalize[ACME_URL_MAX];
	char certificate[ACME_URL_MAX];     /* "" until valid */
	char authz[ACME_AUTHZ_MAX][ACME_URL_MAX];
	size_t nauthz;
	struct acme_problem error;          /* "" when none */
};

struct acme_authz_view {
	char status[ACME_STATUS_MAX];
	bool found;                         /* a challenge of the type asked for */
	char ch_url[ACME_URL_MAX];
	char ch_type[16];
	char ch_status[ACME_STATUS_MAX];
	char token[ACME_TOKEN_MAX];
	struct acme_problem error;          /* the challenge's error, "" when none */
};

/* A problem document's type and detail (either may be missing): 0, or LS_EPARSE when o has
 * neither. */
int acme_json_problem(json_t *o, struct acme_problem *p);
/* The directory fetched from url into out (out->profiles a new reference: free with
 * acme_json_directory_free). 0, or LS_EPARSE with what is missing in err. */
int acme_json_directory(json_t *o, const char *url, struct acme_directory_info *out, char *err,
                        size_t errlen);
void acme_json_directory_free(struct acme_directory_info *d);
/* An order object: 0, or LS_EPARSE (no status, a URL that is not https://, too many
 * authorizations). */
int acme_json_order(json_t *o, struct acme_order_view *v);
/* An authorization object and its challenge of type (dns-01, tls-alpn-01): 0 or LS_EPARSE
 * (no status; the challenge's URL not https:// or its token not base64url). */
int acme_json_authz(json_t *o, const char *type, struct acme_authz_view *v);

#endif
