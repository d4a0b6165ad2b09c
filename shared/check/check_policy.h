/*
 * The texts a check reads, pure and bounded: the policy (RFC 8461 3.2), the _mta-sts TXT
 * record (3.1), the _smtp._tls TXT record (RFC 8460 3), and the mx pattern match (4.1).
 */
#ifndef LS_CHECK_POLICY_H
#define LS_CHECK_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include "shared/check/check.h"

#define CHECK_MAX_AGE_MAX 31557600L   /* RFC 8461 3.2: at most a year */
#define CHECK_MAX_AGE_LOW 86400L      /* under a day, senders refetch all the time: warn */
#define CHECK_MAX_RUA 8               /* rua URIs kept from a TLSRPT record */

struct check_policy {
	char mode[16];
	long max_age;                                 /* -1 when missing */
	char patterns[CHECK_MAX_PATTERNS][256];
	size_t n_patterns;
};

/* Parses a policy body; 0, or -1 with what is wrong in err (the problem's message). */
int check_policy_parse(const char *body, size_t len, struct check_policy *p, char *err,
                       size_t errlen);
/* RFC 8461 4.1: host equals pattern, or pattern is "*.PARENT" and host is one label more
 * than PARENT; case-insensitive, a trailing dot on either ignored. */
bool check_policy_match(const char *pattern, const char *host);
/* "v=STSv1; id=ID;" (3.1): 0 with the id, or -1 with what is wrong. */
int check_policy_txt(const char *txt, char *id, size_t idcap, char *err, size_t errlen);
/* "v=TLSRPTv1; rua=URI[,URI]" (RFC 8460 3): 0 with the URIs, or -1 with what is wrong. */
int check_policy_tlsrpt(const char *txt, char rua[CHECK_MAX_RUA][256], size_t *n_rua,
                        char *err, size_t errlen);

#endif
