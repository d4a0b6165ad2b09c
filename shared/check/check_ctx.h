/* What checks can share: the policy fetch's TLS context and the SMTP client's trust store. */
#ifndef LS_CHECK_CTX_H
#define LS_CHECK_CTX_H

#include "shared/check/check.h"
#include "shared/check/check_smtp.h"
#include "shared/sts/sts_fetch.h"

#define CHECK_SYSTEM_CA "/etc/ssl/certs/ca-certificates.crt"

struct check_ctx {
	struct sts_fetch *fetch;    /* full handshakes only: a check sees today's certificate */
	struct check_smtp *smtp;
};

#endif
