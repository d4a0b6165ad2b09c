/* ACME Renewal Information (RFC 9773): CertID, the suggested window, `replaces`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <mbedtls/asn1.h>
#include <mbedtls/x509_crt.h>
#include "shared/util/err.h"
#include "shared/acme/acme_jws.h"
#include "shared/acme/acme_ari.h"

#define AKI_OID "\x55\x1d\x23"        /* id-ce-authorityKeyIdentifier, 2.5.29.35 */
#define ID_MAX 128                   /* bytes of a key identifier or serial we take */

/* keyIdentifier [0] of the AKI extension in the raw extensions v3_ext. */
static int aki(const mbedtls_x509_buf *ext, const unsigned char **id, size_t *n)
{
	const unsigned char *p = ext->p, *end = ext->p + ext->len;
	for (; p + 5 <= end; p++) {
		if (memcmp(p, "\x06\x03" AKI_OID, 5) != 0)
			continue;
		unsigned char *q = (unsigned char *)p + 5;
		size_t len;
		int crit;
		/* critical BOOLEAN (optional), then the OCTET STRING holding the SEQUENCE */
		if (mbedtls_asn1_get_bool(&q, end, &crit) != 0 && q != p + 5)
			return LS_EPARSE;
		if (mbedtls_asn1_get_tag(&q, end, &len, MBEDTLS_ASN1_OCTET_STRING) != 0 ||
		    mbedtls_asn1_get_tag(&q, q + len, &len,
		                         MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0 ||
		    mbedtls_asn1_get_tag(&q, q + len, &len, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 0) != 0 ||
		    len == 0 || len > ID_MAX)
			return LS_EPARSE;
		*id = q;
		*n = len;
		return 0;
	}
	return LS_EPARSE;
}

int acme_ari_cert_id(const char *pem, size_t len, char *out, size_t cap)
{
	mbedtls_x509_crt crt;
	const unsigned char *id;
	size_t n;
	char a[ID_MAX * 2], s[ID_MAX * 2];
	int rc = LS_EPARSE;
	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse(&crt, (const unsigned char *)pem, len + 1) >= 0 &&
	    crt.version && aki(&crt.v3_ext, &id, &n) == 0 && crt.serial.len <= ID_MAX &&
	    acme_b64url(id, n, a, sizeof(a)) == 0 &&
	    acme_b64url(crt.serial.p, crt.serial.len, s, sizeof(s)) == 0 &&
	    snprintf(out, cap, "%s.%s", a, s) < (int)cap)
		rc = 0;
	mbedtls_x509_crt_free(&crt);
	return rc;
}

static int rfc3339(const char *s, int64_t *out)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (end == NULL)
		return LS_EPARSE;
	*out = (int64_t)timegm(&tm);
	return 0;
}

int acme_ari_parse(json_t *info, int64_t *start, int64_t *end)
{
	json_t *w = json_object_get(info, "suggestedWindow");
	if (rfc3339(json_string_value(json_object_get(w, "start")), start) != 0 ||
	    rfc3339(json_string_value(json_object_get(w, "end")), end) != 0 || *end < *start)
		return LS_EPARSE;
	return 0;
}

void acme_ari_window(struct acme_client *c, const char *pem, size_t len, struct acme_cert *rec,
                     int64_t now)
{
	char id[ID_MAX * 3];
	rec->renew_base = rec->renew_at;
	rec->ari_start = rec->ari_end = rec->ari_next = 0;
	if (acme_ari_cert_id(pem, len, id, sizeof(id)) != 0)
		return;
	snprintf(rec->replaces, sizeof(rec->replaces), "%s", id);
	acme_ari_poll(c, rec, now);
}

/* renew_at for the window start..end, when it is not the one seen last. */
static void apply(struct acme_cert *rec, int64_t start, int64_t end, int64_t now)
{
	if (start == rec->ari_start && end == rec->ari_end)
		return;
	rec->ari_start = start;
	rec->ari_end = end;
	int64_t base = rec->renew_base;
	if (start < base) {
		int64_t at = start + (end > start ? random() % (end - start) : 0);
		rec->renew_at = at < now ? now : at;
	} else {
		rec->renew_at = base;
	}
}

void acme_ari_poll(struct acme_client *c, struct acme_cert *rec, int64_t now)
{
	const struct acme_directory_info *info = acme_client_info(c);
	char url[ACME_URL_MAX * 2 + 2], err[256];
	struct acme_reply r;
	int64_t start, end;
	rec->ari_next = 0;
	if (!*info->renewal_info || !*rec->replaces)
		return;
	snprintf(url, sizeof(url), "%s%s%s", info->renewal_info,
	         info->renewal_info[strlen(info->renewal_info) - 1] == '/' ? "" : "/", rec->replaces);
	long wait = ACME_ARI_POLL_S;
	if (acme_client_get(c, url, &r, err, sizeof(err)) == 0) {
		if (acme_ari_parse(r.json, &start, &end) == 0)
			apply(rec, start, end, now);
		if (r.retry_after >= 0)
			wait = r.retry_after < ACME_ARI_POLL_MIN ? ACME_ARI_POLL_MIN :
			       r.retry_after > ACME_ARI_POLL_MAX ? ACME_ARI_POLL_MAX : r.retry_after;
	}
	rec->ari_next = now + wait;
	acme_reply_free(&r);
}
