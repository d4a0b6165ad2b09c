/*
 * The RFC 8555 client: the directory (the first of acme.directory that answers), nonces
 * (a small pool, badNonce retried), signed POSTs (kid after registration), problem
 * documents, and the account per directory: key P-256 in STATE/acme/accounts/ID/key.pem
 * (0600), its URL and contact in account.json; registered once, again when the CA says
 * accountDoesNotExist. HTTPS through sts_fetch_request (system store + acme.ca-bundle).
 */
#ifndef LS_ACME_CLIENT_H
#define LS_ACME_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "shared/util/config.h"
#include "shared/acme/acme_json.h"
#include "shared/acme/acme_record.h"

#define ACME_DIRECTORIES_MAX 8
#define ACME_TIMEOUT_MS 30000          /* one HTTPS request to the CA */
#define ACME_SYSTEM_STORE "/etc/ssl/certs/ca-certificates.crt"
#define ACME_ACCOUNTS_DIR "acme/accounts"

struct acme_client;

/* The CA's answer to one request. */
struct acme_reply {
	int status;                         /* HTTP status */
	char location[ACME_URL_MAX];
	long retry_after;                   /* seconds, -1 without */
	json_t *json;                       /* the body when it is JSON (owned), else NULL */
	char *body;                         /* the body as it came (owned), NUL-terminated */
	size_t len;
	char problem_type[128];             /* a problem document's type and detail, else "" */
	char problem_detail[ACME_PROBLEM_MAX];
};
void acme_reply_free(struct acme_reply *r);

/*
 * A client for cfg (borrowed for the client's life; acme.directory not empty) writing its
 * accounts under state_dir. Reads the trust (system store + ca-bundle) now, again when a
 * file changed (acme_client_refresh). Returns 0 or LS_ECONFIG with the reason in err.
 */
int acme_client_open(struct acme_client **out, const struct config *cfg, const char *state_dir,
                     char *err, size_t errlen);
void acme_client_close(struct acme_client *c);
/* Reads the trust store files again when one changed since they were read. */
int acme_client_refresh(struct acme_client *c, char *err, size_t errlen);
/* The configured directory URLs: how many, and the i-th (borrowed). */
size_t acme_client_directories(const struct acme_client *c);
const char *acme_client_directory_url(const struct acme_client *c, size_t i);
/*
 * Uses directory i: fetches it (cached after the first success) and makes sure of the
 * account there (registered unless account.json has one). Returns 0, or a negative code
 * with the problem (the CA's or the connection's) in r->problem_* when r is given, and in err.
 */
int acme_client_use(struct acme_client *c, size_t i, char *err, size_t errlen);
/* The directory in use (after acme_client_use); borrowed. */
const struct acme_directory_info *acme_client_info(const struct acme_client *c);
/*
 * POST to url signed with the account key (kid), payload a JSON value (borrowed) or NULL
 * for POST-as-GET. badNonce is retried with the fresh nonce; accountDoesNotExist registers
 * the account again and retries once. r is filled (free it with acme_reply_free) whenever
 * the CA answered: 0 for a 2xx, -EPROTO for a problem (r->problem_*, err "type: detail"),
 * or a connection error (err in words, r->status 0).
 */
int acme_client_post(struct acme_client *c, const char *url, json_t *payload,
                     struct acme_reply *r, char *err, size_t errlen);
/* Retry-After of the last answer that was not a success (seconds), or -1. */
long acme_client_retry_after(const struct acme_client *c);
/* GET of url (ARI renewalInfo): 0 with r filled, or a negative code with the reason in err. */
int acme_client_get(struct acme_client *c, const char *url, struct acme_reply *r, char *err,
                    size_t errlen);
/* The account key's JWK thumbprint (RFC 7638), for key authorizations; borrowed. */
const char *acme_client_thumbprint(const struct acme_client *c);
/* The random generator of the client (for certificate keys and CSRs). */
struct cert_make *acme_client_rng(struct acme_client *c);
/* Registers (again) at directory i, now; for zonectl acme register. */
int acme_client_register(struct acme_client *c, size_t i, char *err, size_t errlen);

/* One stored account: its directory, URL (kid) and contact. */
struct acme_account {
	char directory[ACME_URL_MAX];
	char kid[ACME_URL_MAX];
	char contact[ACME_URL_MAX];
	int64_t created;
};
/* fn for each account under state_dir/acme/accounts; 0 or fn's first non-zero. */
int acme_account_each(const char *state_dir, int (*fn)(const struct acme_account *a, void *ctx),
                      void *ctx);

#endif
