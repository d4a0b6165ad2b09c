/* check_run(): gather what a sender sees of a domain, then judge it into problem codes. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509.h>
#include "shared/util/clock.h"
#include "shared/util/err.h"
#include "shared/check/check_connect.h"
#include "shared/check/check_net.h"
#include "shared/check/check_own.h"
#include "shared/check/check_policy.h"

#define DAY 86400

/* The _mta-sts record: sts-txt-missing, -multiple, -syntax, -cname. */
static void judge_txt(const struct check_net *n, const char *domain, struct check_result *r)
{
	char subject[300], why[256];
	const char *rec = NULL;
	size_t found = 0;
	snprintf(subject, sizeof(subject), "_mta-sts.%s", domain);
	check_result_ran(r, "sts-txt");
	for (size_t i = 0; i < n->n_txt; i++) {
		/* RFC 8461 3.1: records that do not start with v=STSv1 are not ours to read. */
		if (strncmp(n->txt[i], "v=STSv1", 7) == 0 && (n->txt[i][7] == ';' ||
		    n->txt[i][7] == ' ' || n->txt[i][7] == 0)) {
			rec = n->txt[i];
			found++;
		}
	}
	r->txt_present = found > 0;
	if (n->txt_dns.rc != 0 && found == 0) {
		check_result_add(r, "sts-txt-missing", subject, "check the zone and its name servers",
		                 "no answer for the TXT record: %s", n->txt_dns.err);
	} else if (found == 0) {
		check_result_add(r, "sts-txt-missing", subject,
		                 "publish \"v=STSv1; id=...;\" at _mta-sts to turn MTA-STS on",
		                 "no TXT record starting with v=STSv1: senders do not use MTA-STS");
	} else if (found > 1) {
		check_result_add(r, "sts-txt-multiple", subject, "keep exactly one v=STSv1 record",
		                 "%zu TXT records start with v=STSv1: senders treat that as none", found);
	} else if (check_policy_txt(rec, r->id, sizeof(r->id), why, sizeof(why)) != 0) {
		check_result_add(r, "sts-txt-syntax", subject,
		                 "write it as \"v=STSv1; id=ID;\" with 1 to 32 letters and digits",
		                 "the record \"%.120s\" is not valid: %s", rec, why);
	}
	if (found && n->txt_cname)
		check_result_add(r, "sts-txt-cname", subject,
		                 "publish the TXT record at _mta-sts itself",
		                 "the record is reached through a CNAME: it works, but breaks when the "
		                 "target changes or goes");
}

/* A TLS certificate problem in words, from mbedTLS's verify flags. */
static const char *cert_class(uint32_t flags)
{
	if (flags & MBEDTLS_X509_BADCERT_EXPIRED)
		return "expired";
	if (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH)
		return "name";
	if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
		return "untrusted chain";
	return flags ? "invalid" : NULL;
}

/* The fetch of the policy: policy-fetch-dns, -tcp, -tls, -http; true when a body came. */
static bool judge_fetch(const struct check_net *n, const char *domain, struct check_result *r)
{
	char host[300];
	snprintf(host, sizeof(host), "mta-sts.%s", domain);
	check_result_ran(r, "policy-fetch");
	/* No TXT: senders never fetch, so the policy host's state is no problem of theirs. */
	bool quiet = !r->txt_present;
	if (!n->sts_endpoint[0] && n->n_sts_addrs == 0) {
		snprintf(r->fetch_error, sizeof(r->fetch_error), "%.180s has no address%s%.40s",
		         host, n->sts_dns.rc ? ": " : "", n->sts_dns.rc ? n->sts_dns.err : "");
		if (!quiet)
			check_result_add(r, "policy-fetch-dns", host,
			                 "add an A or AAAA record (or CNAME) for the policy host",
			                 "%s", r->fetch_error);
		return false;
	}
	if (n->fetch_rc == 0)
		return true;
	snprintf(r->fetch_error, sizeof(r->fetch_error), "%s", n->fetch_err);
	if (quiet)
		return false;
	const struct sts_fetch_info *f = &n->fetch;
	if (f->stage == STS_FETCH_CONNECT) {
		check_result_add(r, "policy-fetch-tcp", host, "start the HTTPS server or open port 443",
		                 "no HTTPS connection: %s", n->fetch_err);
	} else if (f->stage == STS_FETCH_TLS) {
		const char *c = cert_class(f->verify_flags);
		check_result_add(r, "policy-fetch-tls", host,
		                 c ? "serve a valid certificate for the policy host from a public CA"
		                   : "check the server's TLS settings (TLS 1.2 or later)",
		                 c ? "certificate problem: %s (%s)" : "TLS failed%s(%s)",
		                 c ? c : " ", n->fetch_err);
	} else if (f->status >= 300 && f->status < 400) {
		check_result_add(r, "policy-fetch-http", host,
		                 "serve the policy itself: senders do not follow redirects",
		                 "HTTP status %d, a redirect to %.200s", f->status,
		                 f->location[0] ? f->location : "(no Location)");
	} else if (f->status != 200 && f->status != 0) {
		check_result_add(r, "policy-fetch-http", host,
		                 "serve /.well-known/mta-sts.txt with status 200",
		                 "HTTP status %d", f->status);
	} else if (f->status == 200 && strncasecmp(f->content_type, "text/plain", 10) != 0) {
		check_result_add(r, "policy-fetch-http", host, "serve the policy as text/plain",
		                 "content type \"%.100s\", not text/plain", f->content_type);
	} else {
		check_result_add(r, "policy-fetch-http", host, "", "%s", n->fetch_err);
	}
	return false;
}

/* The policy body: policy-syntax, -max-age, -mode-none, sts-cert-expiring. */
static bool judge_policy(const struct check_net *n, const char *domain, int64_t now,
                         struct check_result *r)
{
	char host[300], why[256];
	struct check_policy p;
	snprintf(host, sizeof(host), "mta-sts.%s", domain);
	r->policy_fetched = true;
	mbedtls_sha256_ret(n->body, n->body_len, r->policy_sha256, 0);
	r->sts_cert_not_after = (time_t)n->fetch.cert_not_after;
	if (n->fetch.cert_not_after && n->fetch.cert_not_after - now < CHECK_EXPIRING_DAYS * DAY)
		check_result_add(r, "sts-cert-expiring", host, "renew the policy host's certificate",
		                 "the certificate ends in %lld days",
		                 (long long)((n->fetch.cert_not_after - now) / DAY));
	check_result_ran(r, "policy");
	if (check_policy_parse((const char *)n->body, n->body_len, &p, why, sizeof(why)) != 0) {
		check_result_add(r, "policy-syntax", host, "fix the policy text (RFC 8461 3.2)",
		                 "the policy does not parse: %s", why);
		return false;
	}
	r->policy_ok = true;
	snprintf(r->mode, sizeof(r->mode), "%s", p.mode);
	r->max_age = p.max_age;
	memcpy(r->patterns, p.patterns, sizeof(r->patterns));
	r->n_patterns = p.n_patterns;
	if (p.max_age > CHECK_MAX_AGE_MAX)
		check_result_add(r, "policy-max-age", host, "use at most 31557600 (one year)",
		                 "max_age %ld is over a year: senders may refuse the policy", p.max_age);
	else if (p.max_age < CHECK_MAX_AGE_LOW)
		check_result_add_level(r, CHECK_WARN, "policy-max-age", host,
		                       "use a week or more (604800)", "max_age %ld is under a day: "
		                       "a policy that lapses protects little", p.max_age);
	if (strcmp(p.mode, "none") == 0)
		check_result_add(r, "policy-mode-none", host, "use testing, then enforce",
		                 "mode none: senders drop the policy; MTA-STS is off");
	return true;
}

/* The MX set against the policy: mx-missing, mx-not-covered, mx-pattern-unused. */
static void judge_mx(const struct check_net *n, const char *domain, bool policy,
                     struct check_result *r)
{
	check_result_ran(r, "mx");
	r->n_mx = n->n_mx;
	memcpy(r->mx, n->mx, n->n_mx * sizeof(n->mx[0]));
	if (n->n_mx == 1 && strcmp(n->mx[0].host, ".") == 0) {
		/* RFC 7505: a null MX says the domain takes no mail; nothing to protect. */
		r->n_mx = 0;
		check_result_add(r, "mx-missing", domain, "publish real MX records, or drop MTA-STS",
		                 "the domain has a null MX (RFC 7505): it receives no mail");
		return;
	}
	if (n->n_mx == 0) {
		check_result_add(r, "mx-missing", domain, "publish the domain's MX records",
		                 n->mx_dns.rc ? "no answer for the MX records: %s"
		                              : "the domain has no MX records%s",
		                 n->mx_dns.rc ? n->mx_dns.err : "");
		return;
	}
	if (!policy)
		return;
	for (size_t i = 0; i < r->n_mx; i++) {
		for (size_t k = 0; k < r->n_patterns && !r->mx[i].covered; k++)
			r->mx[i].covered = check_policy_match(r->patterns[k], r->mx[i].host);
		if (!r->mx[i].covered && strcmp(r->mode, "none") != 0)
			check_result_add(r, "mx-not-covered", r->mx[i].host,
			                 "add an mx: line that matches it to the policy, and a new id",
			                 "no mx: pattern of the policy matches this MX: enforcing senders "
			                 "will not deliver to it");
	}
	for (size_t k = 0; k < r->n_patterns; k++) {
		bool used = false;
		for (size_t i = 0; i < r->n_mx && !used; i++)
			used = check_policy_match(r->patterns[k], r->mx[i].host);
		if (!used)
			check_result_add(r, "mx-pattern-unused", r->patterns[k],
			                 "remove it from the policy when it is not planned",
			                 "no MX host matches the pattern");
	}
}

/* One SMTP probe's problems, one of a kind per MX host. */
static void judge_probe(const struct check_net_probe *p, const char *host, int64_t now,
                        struct check_result *r, struct check_mx *mx)
{
	const struct check_smtp_probe *s = &p->p;
	const char *code = NULL, *fix = "";
	/* This machine has no route for the family (IPv6 on an IPv4-only host): a sender that
	 * can reach it is not told anything by our failure. */
	if (s->outcome == CHECK_SMTP_TCP && p->endpoint[0] == '[' &&
	    (s->net_errno == ENETUNREACH || s->net_errno == EADDRNOTAVAIL ||
	     s->net_errno == EAFNOSUPPORT))
		return;
	if (s->outcome == CHECK_SMTP_NO_STARTTLS) {
		code = "mx-starttls-missing";
		fix = "turn STARTTLS on in the mail server";
	} else if (s->outcome != CHECK_SMTP_DONE) {
		code = "mx-starttls-failed";
		fix = "check that the mail server answers on port 25 and completes STARTTLS";
	}
	if (code) {
		mx->starttls = false;
		if (!check_result_has(r, code, host))
			check_result_add(r, code, host, fix, "%s", s->err);   /* names the endpoint */
		return;
	}
	if (s->not_after && (mx->cert_not_after == 0 || s->not_after < mx->cert_not_after))
		mx->cert_not_after = (time_t)s->not_after;
	static const struct {
		uint32_t flag;
		const char *code, *fix;
	} bad[] = {
		{ MBEDTLS_X509_BADCERT_EXPIRED, "mx-cert-expired", "renew the certificate" },
		{ MBEDTLS_X509_BADCERT_CN_MISMATCH, "mx-cert-name",
		  "use a certificate that names the MX host" },
		{ MBEDTLS_X509_BADCERT_NOT_TRUSTED, "mx-cert-untrusted",
		  "use a certificate from a public CA, with its intermediates" },
	};
	uint32_t left = s->verify_flags;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!(s->verify_flags & bad[i].flag))
			continue;
		left &= ~bad[i].flag;
		if (!check_result_has(r, bad[i].code, host))
			check_result_add(r, bad[i].code, host, bad[i].fix, "%s: %s", p->endpoint, s->err);
	}
	if (left && !check_result_has(r, "mx-cert-untrusted", host))
		check_result_add(r, "mx-cert-untrusted", host, "use a valid certificate from a public CA",
		                 "%s: %s", p->endpoint, s->err);
	if (!(s->verify_flags & MBEDTLS_X509_BADCERT_EXPIRED) && s->not_after &&
	    s->not_after - now < CHECK_EXPIRING_DAYS * DAY &&
	    !check_result_has(r, "mx-cert-expiring", host))
		check_result_add(r, "mx-cert-expiring", host, "renew the certificate",
		                 "%s: the certificate ends in %lld days", p->endpoint,
		                 (long long)((s->not_after - now) / DAY));
}

static void judge_smtp(const struct check_net *n, int64_t now, struct check_result *r)
{
	check_result_ran(r, "smtp");
	for (size_t i = 0; i < r->n_mx; i++) {
		const struct check_net_mx *m = &n->mxi[i];
		r->mx[i].starttls = true;
		if (!m->endpoint[0] && m->n_addrs == 0) {
			r->mx[i].starttls = false;
			check_result_add(r, "mx-starttls-failed", r->mx[i].host,
			                 "add A or AAAA records for the MX host",
			                 "the MX host has no address%s%s", m->dns.rc ? ": " : "",
			                 m->dns.rc ? m->dns.err : "");
		}
		if (m->tlsa && !check_result_has(r, "dane-present", NULL))
			check_result_add(r, "dane-present", r->mx[i].host, "",
			                 "TLSA records at _25._tcp.%s: DANE-capable senders use DANE, "
			                 "not MTA-STS", r->mx[i].host);
	}
	for (size_t i = 0; i < n->n_probes; i++)
		judge_probe(&n->probes[i], n->mx[n->probes[i].mx].host, now, r, &r->mx[n->probes[i].mx]);
}

/* _smtp._tls: tlsrpt-missing, tlsrpt-syntax, tlsrpt-rua-unreachable. */
static void judge_tlsrpt(const struct check_net *n, const char *domain, struct check_result *r)
{
	char subject[300], uris[CHECK_MAX_RUA][256], why[256];
	size_t found = 0, nu;
	const char *rec = NULL;
	snprintf(subject, sizeof(subject), "_smtp._tls.%s", domain);
	check_result_ran(r, "tlsrpt");
	for (size_t i = 0; i < n->n_rpt; i++)
		if (strncmp(n->rpt[i], "v=TLSRPTv1", 10) == 0 && ++found)
			rec = n->rpt[i];
	if (found == 0) {
		check_result_add(r, "tlsrpt-missing", subject,
		                 "publish \"v=TLSRPTv1; rua=mailto:...\" to get TLS reports",
		                 "no TLS-RPT record%s%s%s: failures of senders reach nobody",
		                 n->rpt_dns.rc ? " (" : "", n->rpt_dns.rc ? n->rpt_dns.err : "",
		                 n->rpt_dns.rc ? ")" : "");
		return;
	}
	if (found > 1) {
		check_result_add(r, "tlsrpt-syntax", subject, "keep exactly one v=TLSRPTv1 record",
		                 "%zu TXT records start with v=TLSRPTv1", found);
		return;
	}
	if (check_policy_tlsrpt(rec, uris, &nu, why, sizeof(why)) != 0) {
		check_result_add(r, "tlsrpt-syntax", subject,
		                 "write it as \"v=TLSRPTv1; rua=mailto:ADDRESS\" (RFC 8460 3)",
		                 "the record \"%.120s\" is not valid: %s", rec, why);
		return;
	}
	for (size_t i = 0; i < n->n_rua; i++) {
		const struct check_net_rua *u = &n->rua[i];
		if (!u->https && u->n_found == 0)
			check_result_add(r, "tlsrpt-rua-unreachable", u->uri,
			                 "give the report address's domain an MX", "%s has no MX%s%s",
			                 u->host, u->dns.rc ? ": " : "", u->dns.rc ? u->dns.err : "");
		else if (u->https && (u->n_found == 0 || u->p.outcome != CHECK_SMTP_DONE ||
		                      u->p.verify_flags))
			check_result_add(r, "tlsrpt-rua-unreachable", u->uri,
			                 "serve the report URL over HTTPS with a valid certificate",
			                 "%s does not answer over HTTPS: %s", u->host,
			                 u->n_found == 0 ? (u->dns.rc ? u->dns.err : "no address")
			                                 : u->p.err);
		else if (u->https && u->p.http_status == 0)
			check_result_add(r, "tlsrpt-rua-unreachable", u->uri,
			                 "make the URL accept the reports' POST",
			                 "OPTIONS %s got no HTTP answer", u->path);
		else if (u->https && (u->p.http_status == 404 || u->p.http_status >= 500))
			/* 405 to OPTIONS is fine: the resource is there, POST is what it takes. */
			check_result_add(r, "tlsrpt-rua-unreachable", u->uri,
			                 "make the URL accept the reports' POST",
			                 "OPTIONS %s answered HTTP status %d", u->path, u->p.http_status);
	}
}

/* domain as a lower-case name without the trailing dot; false when it is not a name. */
static bool domain_text(const char *in, char *out, size_t cap)
{
	size_t n = strlen(in);
	if (n && in[n - 1] == '.')
		n--;
	if (n == 0 || n >= cap || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (!isalnum(c) && c != '-' && c != '.' && c != '_')
			return false;
		out[i] = (char)tolower(c);
	}
	out[n] = 0;
	return strstr(out, "..") == NULL && out[0] != '.';
}

int check_run(const char *domain, const struct check_opts *o, struct check_result *out,
              char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->max_age = -1;
	if (!domain_text(domain, out->domain, sizeof(out->domain))) {
		snprintf(err, errlen, "'%s' is not a domain name", domain);
		return LS_EPARSE;
	}
	if (o->n_connect_to > CHECK_MAX_CONNECT_TO) {
		snprintf(err, errlen, "more than %d --connect-to rules", CHECK_MAX_CONNECT_TO);
		return LS_ECONFIG;
	}
	if (check_connect_parse(o->connect_to, o->n_connect_to, err, errlen) != 0)
		return LS_ECONFIG;
	int timeout = o->timeout_ms > 0 ? o->timeout_ms : CHECK_TIMEOUT_MS;
	int64_t deadline = clock_mono_ms() + timeout;
	int64_t now = o->now ? (int64_t)o->now : (int64_t)time(NULL);
	struct check_net *n = calloc(1, sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	int rc = check_net_gather(n, out->domain, o, deadline, err, errlen);
	if (rc == 0) {
		judge_txt(n, out->domain, out);
		bool policy = judge_fetch(n, out->domain, out) && judge_policy(n, out->domain, now, out);
		judge_mx(n, out->domain, policy, out);
		judge_smtp(n, now, out);
		judge_tlsrpt(n, out->domain, out);
		if (o->own_store && !(o->cancel && atomic_load(o->cancel)))
			rc = check_own(out->domain, o, deadline, out, err, errlen);
	}
	free(n);
	return rc;
}
