/*
 * What a check gathers from the network before judging: the DNS answers, the policy fetch,
 * one SMTP probe per MX address, the rua servers. Three rounds of parallel work, each
 * needing the one before; nothing here decides what is a problem.
 */
#ifndef LS_CHECK_NET_H
#define LS_CHECK_NET_H

#include <stdbool.h>
#include <stdint.h>
#include "shared/check/check.h"
#include "shared/check/check_dns.h"
#include "shared/check/check_policy.h"
#include "shared/check/check_smtp.h"
#include "shared/sts/sts_fetch.h"

#define CHECK_NET_TXT 8          /* TXT records kept per name */
#define CHECK_NET_THREADS 64     /* threads (so connections) at once, at most */

/* One DNS answer: whether it came, and why not. */
struct check_net_dns {
	int rc;
	char err[256];
};

struct check_net_mx {
	struct check_net_dns dns;                  /* its addresses */
	char addrs[CHECK_MAX_ADDRS][ADDR_TEXT_MAX];
	size_t n_addrs;
	char endpoint[80];                         /* --connect-to's, "" when none applies */
	uint16_t port;                             /* 25, or --connect-to's */
	size_t tlsa;                               /* TLSA records at _25._tcp.HOST */
	struct check_net_dns tlsa_dns;
};

struct check_net_probe {
	size_t mx;                                 /* index into mx */
	char endpoint[80];
	struct check_smtp_probe p;
};

struct check_net_rua {
	char uri[256];
	bool https;
	char host[256];
	char path[256];                            /* https: the URI's path, "/" at least */
	uint16_t port;
	struct check_net_dns dns;                  /* mailto: its MX; https: its addresses */
	size_t n_found;
	char endpoint[80];                         /* https: where the handshake went */
	struct check_smtp_probe p;                 /* https: the handshake */
};

struct check_net {
	/* Round 1 */
	char txt[CHECK_NET_TXT][CHECK_DNS_TXT_MAX];
	size_t n_txt;
	bool txt_cname;
	struct check_net_dns txt_dns;
	struct check_mx mx[CHECK_MAX_MX];
	size_t n_mx;
	struct check_net_dns mx_dns;
	char rpt[CHECK_NET_TXT][CHECK_DNS_TXT_MAX];
	size_t n_rpt;
	struct check_net_dns rpt_dns;
	char sts_addrs[CHECK_MAX_ADDRS][ADDR_TEXT_MAX];
	size_t n_sts_addrs;
	struct check_net_dns sts_dns;
	char sts_endpoint[80];                     /* --connect-to's for mta-sts.DOMAIN:443 */
	uint16_t sts_port;                         /* 443, or --connect-to's */
	/* Round 2 */
	struct check_net_mx mxi[CHECK_MAX_MX];
	struct check_net_rua rua[CHECK_MAX_RUA];
	size_t n_rua;
	/* Round 3 */
	int fetch_rc;
	char fetch_err[256];
	struct sts_fetch_info fetch;
	uint8_t body[STS_FETCH_BODY_MAX];
	size_t body_len;
	struct check_net_probe probes[CHECK_MAX_MX * CHECK_MAX_ADDRS];
	size_t n_probes;
};

/* Gathers everything for domain (lower case, no trailing dot) by deadline (monotonic ms).
 * 0, or a negative code with err (the trust store or the resolver does not load). */
int check_net_gather(struct check_net *n, const char *domain, const struct check_opts *o,
                     int64_t deadline, char *err, size_t errlen);
/* The CA file a check trusts: o->ca_file, else the system's bundle. */
const char *check_net_ca(const struct check_opts *o);

#endif
