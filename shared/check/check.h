/*
 * Checking a domain's MTA-STS as a sender sees it (RFC 8461, RFC 8460): DNS through a
 * resolver, the policy over HTTPS, every MX over SMTP STARTTLS. The checks return problem
 * codes and the facts they saw, never print; zonectl check, watch, guarded enforce and the
 * API share them.
 */
#ifndef LS_CHECK_H
#define LS_CHECK_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct store;
struct config;
struct check_ctx;

#define CHECK_TIMEOUT_MS     30000  /* the overall limit when the caller gives none */
#define CHECK_MAX_MX         32     /* MX hosts checked per domain */
#define CHECK_MAX_ADDRS      8      /* addresses checked per MX host */
#define CHECK_MAX_PATTERNS   32     /* mx: lines kept from a policy */
#define CHECK_MAX_PROBLEMS   128    /* problems kept per result */
#define CHECK_MAX_CONNECT_TO 32     /* --connect-to rules */
#define CHECK_EXPIRING_DAYS  14     /* certificates closer to their end than this warn */
#define CHECK_CANCEL_SLICE_MS 250   /* a cancellable DNS wait looks at the flag this often */

enum check_level { CHECK_OK, CHECK_INFO, CHECK_WARN, CHECK_ERROR };

/* What to check with. Strings are borrowed for the duration of check_run(). */
struct check_opts {
	const char *resolver;             /* "ADDR[:PORT]"; NULL: the system's (/etc/resolv.conf) */
	const char *ca_file;              /* PEM trust store; NULL: the system's */
	const char *const *connect_to;    /* "HOST:PORT:ADDR:PORT" (curl's syntax), at most
	                                     CHECK_MAX_CONNECT_TO */
	size_t n_connect_to;
	int timeout_ms;                   /* overall limit; 0: CHECK_TIMEOUT_MS */
	unsigned concurrency;             /* connections (threads) at once; 0: up to 64 */
	struct store *own_store;          /* non-NULL: also the own-domain checks when enabled there */
	const char *state_dir;            /* unused; kept for callers that set it */
	const struct config *cfg;         /* with own_store: the httpsd endpoints and trust store */
	time_t now;                       /* 0: time(NULL); tests set it for expiry checks */
	struct check_ctx *ctx;            /* non-NULL: its trust store (ca_file ignored) */
	const atomic_bool *cancel;        /* non-NULL: once set, the DNS waits end within about
	                                     CHECK_CANCEL_SLICE_MS and the check returns early,
	                                     its result partial (dnsd's watcher at shutdown) */
};

/*
 * The trust store (PEM; NULL: the system's) and TLS settings loaded once for many checks:
 * watch, the API and the benchmark pass it in check_opts.ctx instead of loading the store
 * for every check. Threads may share it. 0, or a negative code with err.
 */
int check_ctx_open(struct check_ctx **out, const char *ca_file, char *err, size_t errlen);
void check_ctx_close(struct check_ctx *c);

struct check_problem {
	char code[40];                    /* one of the stable codes, e.g. "mx-not-covered" */
	enum check_level level;
	char subject[256];                /* what it is about: a host, "host ADDR", a record */
	char message[512];                /* one line: what is wrong */
	char fix[256];                    /* one line: what to do, "" when nothing is clear */
};

/* One MX host and what its SMTP check saw. */
struct check_mx {
	char host[256];                   /* lower case, no trailing dot */
	uint16_t pref;
	bool covered;                     /* an mx: pattern matches it */
	bool starttls;                    /* every address offered STARTTLS and handshook */
	time_t cert_not_after;            /* earliest over its addresses; 0 unknown */
};

struct check_result {
	char domain[256];
	enum check_level status;          /* the highest level of the problems; CHECK_OK for none */
	struct check_problem *problems;   /* n_problems; owned, check_result_free() */
	size_t n_problems;
	const char **checked;             /* names of the checks that ran (static strings) */
	size_t n_checked;

	/* Facts for watch: what the sender saw, compact. */
	bool txt_present;
	char id[64];                      /* the _mta-sts id, "" when none */
	bool policy_ok;                   /* the policy was fetched and parsed */
	uint8_t policy_sha256[32];        /* of the fetched body, when fetched */
	bool policy_fetched;
	char mode[16];                    /* "enforce", "testing", "none" or "" */
	long max_age;                     /* -1 unknown */
	char patterns[CHECK_MAX_PATTERNS][256];
	size_t n_patterns;
	struct check_mx mx[CHECK_MAX_MX]; /* sorted by host */
	size_t n_mx;
	time_t sts_cert_not_after;        /* the policy host's certificate; 0 unknown */
	char fetch_error[256];            /* why the fetch failed, "" when it did not */
};

/*
 * Runs every check of domain within o->timeout_ms and fills out (free with
 * check_result_free(), also after a failure). Problems the domain has are not failures:
 * returns 0 once the checks ran, or a negative code (bad options: a resolver or --connect-to
 * that does not parse, a CA file that does not load) with the reason in err.
 */
int check_run(const char *domain, const struct check_opts *o, struct check_result *out,
              char *err, size_t errlen);
void check_result_free(struct check_result *r);

/* {"domain", "status": "ok|warn|error", "problems": [{"code", "level", "subject", "message",
 * "fix"}], "checked": [...]}; new reference, NULL when out of memory. */
json_t *check_result_json(const struct check_result *r);

/* Adds a problem of code (its level from the table) to r; message and fix are printf formats
 * of one line each ("" fix: none). Problems past CHECK_MAX_PROBLEMS are dropped. 0 or -ENOMEM. */
int check_result_add(struct check_result *r, const char *code, const char *subject,
                     const char *fix, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The same with a level other than the table's (policy-max-age: short warns, long errs). */
int check_result_add_level(struct check_result *r, enum check_level level, const char *code,
                           const char *subject, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* Whether r has a problem of code about subject (NULL: any subject). */
bool check_result_has(const struct check_result *r, const char *code, const char *subject);
/* Notes that the check named name ran (a static string). */
void check_result_ran(struct check_result *r, const char *name);

/* The level of a problem code (the one table); CHECK_ERROR for codes it does not know. */
enum check_level check_code_level(const char *code);
/* The check that finds code ("sts-txt", "policy-fetch", "policy", "mx", "smtp", "tlsrpt",
 * "own": the names in "checked"); NULL for codes it does not know. */
const char *check_code_check(const char *code);
/* The codes in table order: check_code_name(i) for i < check_code_count(). */
size_t check_code_count(void);
const char *check_code_name(size_t i);
/* Whether code is one of the problem codes. */
bool check_code_known(const char *code);
/* "ok", "info", "warn", "error". */
const char *check_level_name(enum check_level l);

#endif
