/* The check's SMTP STARTTLS client on mbedTLS: one connection, nothing after the handshake but QUIT. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include "shared/util/err.h"
#include "shared/tls/tls_conn.h"
#include "shared/check/check_smtp.h"

struct check_smtp {
	mbedtls_x509_crt ca;
};

int check_smtp_open(struct check_smtp **out, const char *ca_file, char *err, size_t errlen)
{
	struct check_smtp *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	mbedtls_x509_crt_init(&s->ca);
	/* A positive result counts certificates it skipped; some bundles have odd ones. */
	if (mbedtls_x509_crt_parse_file(&s->ca, ca_file) < 0) {
		snprintf(err, errlen, "trust store %s: cannot read any certificate", ca_file);
		check_smtp_close(s);
		return LS_ECONFIG;
	}
	*out = s;
	return 0;
}

void check_smtp_close(struct check_smtp *s)
{
	if (s == NULL)
		return;
	mbedtls_x509_crt_free(&s->ca);
	free(s);
}

/* Buffered plain-text reading of replies before TLS starts. */
struct line_in {
	struct tls_conn *c;
	char buf[CHECK_SMTP_LINE_MAX * 2];
	size_t len;
};

/* One reply line (CRLF cut) into line; 0, or -1 at the end, a timeout or a line too long. */
static int read_line(struct line_in *in, char *line)
{
	for (;;) {
		char *nl = memchr(in->buf, '\n', in->len);
		if (nl) {
			size_t ll = (size_t)(nl - in->buf);
			if (ll >= CHECK_SMTP_LINE_MAX)
				return -1;
			memcpy(line, in->buf, ll);
			line[ll && line[ll - 1] == '\r' ? ll - 1 : ll] = 0;
			memmove(in->buf, nl + 1, in->len - ll - 1);
			in->len -= ll + 1;
			return 0;
		}
		if (in->len >= CHECK_SMTP_LINE_MAX)
			return -1;
		int n = tls_conn_recv(in->c, (unsigned char *)in->buf + in->len,
		                      sizeof(in->buf) - in->len);
		if (n <= 0)
			return -1;
		in->len += (size_t)n;
	}
}

/* A whole reply: its code (or -1), and whether a line's text is STARTTLS (EHLO keywords). */
static int read_reply(struct line_in *in, bool *starttls)
{
	char line[CHECK_SMTP_LINE_MAX];
	int code = -1;
	for (int i = 0; i < CHECK_SMTP_LINES_MAX; i++) {
		if (read_line(in, line) != 0 || strlen(line) < 3 || line[0] < '2' || line[0] > '5' ||
		    (line[3] != 0 && line[3] != ' ' && line[3] != '-'))
			return -1;
		int c = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
		if (code >= 0 && c != code)
			return -1;
		code = c;
		if (starttls && line[3] && strncasecmp(line + 4, "STARTTLS", 8) == 0 &&
		    (line[12] == 0 || line[12] == ' '))
			*starttls = true;
		if (line[3] != '-')
			return code;
	}
	return -1;
}

static int send_text(struct tls_conn *c, const char *text)
{
	size_t len = strlen(text);
	for (size_t off = 0; off < len;) {
		int n = tls_conn_send(c, (const unsigned char *)text + off, len - off);
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/* "OPTIONS path" on ssl; the status of the answer's first line, 0 when there is none. */
static int http_options(mbedtls_ssl_context *ssl, const char *host, const char *path)
{
	char req[600], buf[CHECK_HTTP_HEAD_MAX];
	size_t got = 0;
	int n = snprintf(req, sizeof(req), "OPTIONS %s HTTP/1.1\r\nHost: %s\r\n"
	                 "User-Agent: lockstep-check\r\nConnection: close\r\n\r\n", path, host);
	if (n <= 0 || (size_t)n >= sizeof(req))
		return 0;
	for (int off = 0; off < n;) {
		int w = mbedtls_ssl_write(ssl, (const unsigned char *)req + off, (size_t)(n - off));
		if (w == MBEDTLS_ERR_SSL_WANT_READ || w == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		if (w <= 0)
			return 0;
		off += w;
	}
	/* Only the status line matters, and it must come within the first bytes. */
	while (got < sizeof(buf) - 1 && memchr(buf, '\n', got) == NULL) {
		int r = mbedtls_ssl_read(ssl, (unsigned char *)buf + got, sizeof(buf) - 1 - got);
		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	buf[got] = 0;
	int status = 0;
	if (strncmp(buf, "HTTP/1.", 7) != 0 || sscanf(buf + 8, " %3d", &status) != 1)
		return 0;
	return status;
}

/* The TLS part on an SMTP connection that said 220 to STARTTLS (QUIT inside TLS at the end),
 * or on a bare HTTPS connection when path is set (OPTIONS path). */
static void tls_part(struct check_smtp *s, struct tls_conn *c, const char *host,
                     const char *path, struct check_smtp_probe *out)
{
	static const char pers[] = "lockstep check smtp";
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_ssl_config conf;
	mbedtls_ssl_context ssl;
	int rc;
	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	mbedtls_ssl_config_init(&conf);
	mbedtls_ssl_init(&ssl);
	out->outcome = CHECK_SMTP_TLS;
	if ((rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
	                                (const unsigned char *)pers, sizeof(pers) - 1)) != 0 ||
	    (rc = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT,
	                                      MBEDTLS_SSL_TRANSPORT_STREAM,
	                                      MBEDTLS_SSL_PRESET_DEFAULT)) != 0)
		goto tls_fail;
	/* Verify, but finish the handshake either way: the flags name the problem. */
	mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_OPTIONAL);
	mbedtls_ssl_conf_ca_chain(&conf, &s->ca, NULL);
	mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
	/* mbedTLS offers P-521 first by default, at ten times X25519's cost per handshake. */
	static const mbedtls_ecp_group_id curves[] = { MBEDTLS_ECP_DP_CURVE25519,
	                                               MBEDTLS_ECP_DP_SECP256R1,
	                                               MBEDTLS_ECP_DP_SECP384R1, MBEDTLS_ECP_DP_NONE };
	mbedtls_ssl_conf_curves(&conf, curves);
	if ((rc = mbedtls_ssl_setup(&ssl, &conf)) != 0 ||
	    (rc = mbedtls_ssl_set_hostname(&ssl, host)) != 0)
		goto tls_fail;
	mbedtls_ssl_set_bio(&ssl, c, tls_conn_send, tls_conn_recv, NULL);
	while ((rc = mbedtls_ssl_handshake(&ssl)) != 0) {
		if (rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE)
			goto tls_fail;
	}
	out->outcome = CHECK_SMTP_DONE;
	out->verify_flags = mbedtls_ssl_get_verify_result(&ssl);
	const mbedtls_x509_crt *crt = mbedtls_ssl_get_peer_cert(&ssl);
	if (crt)
		out->not_after = tls_conn_not_after(crt);
	if (out->verify_flags) {
		char info[256];
		mbedtls_x509_crt_verify_info(info, sizeof(info), "", out->verify_flags);
		info[strcspn(info, "\n")] = 0;
		snprintf(out->err, sizeof(out->err), "%s", info);
	}
	/* QUIT and its reply, as a polite client; the answer changes nothing. */
	static const char bye[] = "QUIT\r\n";
	unsigned char sink[512];
	if (path)
		out->http_status = http_options(&ssl, host, path);
	else if (mbedtls_ssl_write(&ssl, (const unsigned char *)bye, sizeof(bye) - 1) > 0)
		(void)mbedtls_ssl_read(&ssl, sink, sizeof(sink));
	mbedtls_ssl_close_notify(&ssl);
	goto out;
tls_fail:;
	char text[160];
	if (rc == MBEDTLS_ERR_SSL_TIMEOUT)
		snprintf(text, sizeof(text), "timed out");
	else
		mbedtls_strerror(rc, text, sizeof(text));
	snprintf(out->err, sizeof(out->err), "TLS handshake: %s", text);
out:
	mbedtls_ssl_free(&ssl);
	mbedtls_ssl_config_free(&conf);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&entropy);
}

void check_smtp_probe(struct check_smtp *s, const char *endpoint, const char *host,
                      int64_t deadline, const atomic_bool *cancel,
                      struct check_smtp_probe *out)
{
	struct tls_conn c = { -1, deadline, cancel };
	struct line_in *in = calloc(1, sizeof(*in));
	char ehlo[300], me[256] = "";
	bool starttls = false;
	memset(out, 0, sizeof(*out));
	out->outcome = CHECK_SMTP_TCP;
	if (in == NULL) {
		snprintf(out->err, sizeof(out->err), "out of memory");
		return;
	}
	in->c = &c;
	int rc = tls_conn_open(&c, endpoint, 25, out->err, sizeof(out->err));
	if (rc != 0) {
		out->net_errno = rc < 0 && rc != -ETIMEDOUT ? -rc : 0;
		goto out;
	}
	out->outcome = CHECK_SMTP_PROTOCOL;
	if (read_reply(in, NULL) != 220) {
		snprintf(out->err, sizeof(out->err), "%s: no 220 greeting", endpoint);
		goto out;
	}
	/* A name with a dot, as RFC 5321 4.1.4 asks of EHLO; a bare host name is not one. */
	if (gethostname(me, sizeof(me) - 1) != 0 || strchr(me, '.') == NULL)
		snprintf(me, sizeof(me), "localhost.localdomain");
	snprintf(ehlo, sizeof(ehlo), "EHLO %s\r\n", me);
	if (send_text(&c, ehlo) != 0 || read_reply(in, &starttls) != 250) {
		snprintf(out->err, sizeof(out->err), "%s: EHLO not accepted", endpoint);
		goto out;
	}
	if (!starttls) {
		out->outcome = CHECK_SMTP_NO_STARTTLS;
		snprintf(out->err, sizeof(out->err), "%s: EHLO does not offer STARTTLS", endpoint);
		(void)send_text(&c, "QUIT\r\n");
		goto out;
	}
	out->outcome = CHECK_SMTP_TLS;
	if (send_text(&c, "STARTTLS\r\n") != 0 || read_reply(in, NULL) != 220) {
		snprintf(out->err, sizeof(out->err), "%s: STARTTLS refused", endpoint);
		goto out;
	}
	if (in->len) {
		/* Bytes after the 220 would be read as TLS: an injection (CVE-2011-0411's kind). */
		snprintf(out->err, sizeof(out->err), "%s: data after the STARTTLS reply", endpoint);
		goto out;
	}
	tls_part(s, &c, host, NULL, out);
out:
	tls_conn_close(&c);
	free(in);
}

void check_smtp_handshake(struct check_smtp *s, const char *endpoint, const char *host,
                          const char *path, int64_t deadline, const atomic_bool *cancel,
                          struct check_smtp_probe *out)
{
	struct tls_conn c = { -1, deadline, cancel };
	memset(out, 0, sizeof(*out));
	out->outcome = CHECK_SMTP_TCP;
	if (tls_conn_open(&c, endpoint, 443, out->err, sizeof(out->err)) == 0)
		tls_part(s, &c, host, path, out);
	tls_conn_close(&c);
}
