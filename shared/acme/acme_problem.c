/* Problem types as a bounded label set for /metrics. */
#include <string.h>
#include "shared/acme/acme_problem.h"

#define URN "urn:ietf:params:acme:error:"

const char *const acme_problem_names[ACME_PROBLEM_N] = {
	/* RFC 8555 section 6.7, RFC 8737, RFC 9773 */
	"accountDoesNotExist", "alreadyRevoked", "badCSR", "badNonce", "badPublicKey",
	"badRevocationReason", "badSignatureAlgorithm", "caa", "compound", "connection",
	"dns", "externalAccountRequired", "incorrectResponse", "invalidContact", "malformed",
	"orderNotReady", "rateLimited", "rejectedIdentifier", "serverInternal", "tls",
	"unauthorized", "unsupportedContact", "unsupportedIdentifier", "userActionRequired",
	"alreadyReplaced",
	/* this client's own (acme_order.c); "connection" and "dns" are above */
	"http", "protocol", "timeout", "local", "unsupported", "account",
	"other",
};

unsigned acme_problem_index(const char *type)
{
	if (strncmp(type, URN, strlen(URN)) == 0)
		type += strlen(URN);
	for (unsigned i = 0; i + 1 < ACME_PROBLEM_N; i++)
		if (strcmp(type, acme_problem_names[i]) == 0)
			return i;
	return ACME_PROBLEM_N - 1;
}
