/* The texts a check reads: the policy, the _mta-sts and _smtp._tls records, mx patterns. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "shared/check/check_policy.h"

/* Length of s without one trailing dot. */
static size_t bare_len(const char *s)
{
	size_t n = strlen(s);
	return n && s[n - 1] == '.' ? n - 1 : n;
}

bool check_policy_match(const char *pattern, const char *host)
{
	size_t pl = bare_len(pattern), hl = bare_len(host);
	if (pl >= 2 && pattern[0] == '*' && pattern[1] == '.') {
		/* The wildcard stands for exactly one whole label: a.example.com, not a.b.example.com. */
		const char *dot = memchr(host, '.', hl);
		if (dot == NULL || dot == host)
			return false;
		size_t rest = hl - (size_t)(dot - host);
		return rest == pl - 1 && strncasecmp(dot, pattern + 1, rest) == 0;
	}
	return pl == hl && pl > 0 && strncasecmp(pattern, host, pl) == 0;
}

/* One "key: value" line into p; 0, or -1 with err. */
static int policy_line(const char *key, const char *val, struct check_policy *p,
                       bool *version, char *err, size_t errlen)
{
	if (strcmp(key, "version") == 0) {
		if (strcmp(val, "STSv1") != 0) {
			snprintf(err, errlen, "version is '%s', not STSv1", val);
			return -1;
		}
		*version = true;
	} else if (strcmp(key, "mode") == 0) {
		if (strcmp(val, "enforce") && strcmp(val, "testing") && strcmp(val, "none")) {
			snprintf(err, errlen, "mode '%s' is not enforce, testing or none", val);
			return -1;
		}
		snprintf(p->mode, sizeof(p->mode), "%s", val);
	} else if (strcmp(key, "max_age") == 0) {
		char *end;
		if (!isdigit((unsigned char)val[0]) || strlen(val) > 10 ||
		    (p->max_age = strtol(val, &end, 10), *end)) {
			snprintf(err, errlen, "max_age '%s' is not a number of seconds", val);
			return -1;
		}
	} else if (strcmp(key, "mx") == 0) {
		if (val[0] == 0 || strlen(val) >= sizeof(p->patterns[0])) {
			snprintf(err, errlen, "mx pattern '%.64s' is empty or too long", val);
			return -1;
		}
		if (p->n_patterns < CHECK_MAX_PATTERNS)
			snprintf(p->patterns[p->n_patterns++], sizeof(p->patterns[0]), "%s", val);
	}
	/* Other keys are extensions senders ignore (RFC 8461 3.2). */
	return 0;
}

int check_policy_parse(const char *body, size_t len, struct check_policy *p, char *err,
                       size_t errlen)
{
	char line[512];
	bool version = false;
	unsigned lineno = 0;
	memset(p, 0, sizeof(*p));
	p->max_age = -1;
	for (size_t off = 0; off < len;) {
		const char *s = body + off;
		const char *nl = memchr(s, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - s) : len - off;
		off += ll + (nl != NULL);
		lineno++;
		if (ll && s[ll - 1] == '\r')
			ll--;
		if (ll == 0)
			continue;
		if (ll >= sizeof(line) || memchr(s, 0, ll)) {
			snprintf(err, errlen, "line %u is too long or holds a NUL", lineno);
			return -1;
		}
		memcpy(line, s, ll);
		line[ll] = 0;
		char *colon = strchr(line, ':');
		if (colon == NULL) {
			snprintf(err, errlen, "line %u has no 'key: value'", lineno);
			return -1;
		}
		*colon = 0;
		char *val = colon + 1;
		val += strspn(val, " \t");
		for (char *e = val + strlen(val); e > val && (e[-1] == ' ' || e[-1] == '\t');)
			*--e = 0;
		char why[256];
		if (policy_line(line, val, p, &version, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "line %u: %s", lineno, why);
			return -1;
		}
	}
	const char *missing = !version ? "version" : !p->mode[0] ? "mode" : p->max_age < 0 ?
	                      "max_age" : p->n_patterns == 0 && strcmp(p->mode, "none") ? "mx" : NULL;
	if (missing) {
		snprintf(err, errlen, "no %s line", missing);
		return -1;
	}
	return 0;
}

/* The next "key=value" field of a TXT record, fields split by ';' with optional spaces. */
static const char *txt_field(const char *s, char *key, size_t kcap, char *val, size_t vcap)
{
	s += strspn(s, " \t");
	if (*s == 0)
		return NULL;
	size_t fl = strcspn(s, ";");
	const char *eq = memchr(s, '=', fl);
	size_t kl = eq ? (size_t)(eq - s) : fl;
	snprintf(key, kcap, "%.*s", (int)(kl < kcap ? kl : kcap - 1), s);
	const char *v = eq ? eq + 1 : s + fl;
	size_t vl = (size_t)(s + fl - v);
	while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		vl--;
	snprintf(val, vcap, "%.*s", (int)(vl < vcap ? vl : vcap - 1), v);
	if (!eq)
		key[0] = 0;   /* a field with no '=' */
	return s[fl] ? s + fl + 1 : s + fl;
}

int check_policy_txt(const char *txt, char *id, size_t idcap, char *err, size_t errlen)
{
	char key[32], val[256];
	bool first = true;
	id[0] = 0;
	for (const char *s = txt; (s = txt_field(s, key, sizeof(key), val, sizeof(val)));) {
		if (key[0] == 0) {
			snprintf(err, errlen, "a field without '=' in \"%.80s\"", txt);
			return -1;
		}
		if (first && (strcmp(key, "v") != 0 || strcmp(val, "STSv1") != 0)) {
			snprintf(err, errlen, "does not start with v=STSv1");
			return -1;
		}
		if (strcmp(key, "id") == 0) {
			size_t n = strlen(val);
			if (n == 0 || n > 32 || strspn(val, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
			                                    "QRSTUVWXYZ0123456789") != n) {
				snprintf(err, errlen, "id '%.40s' is not 1 to 32 letters and digits", val);
				return -1;
			}
			snprintf(id, idcap, "%s", val);
		}
		first = false;
	}
	if (first) {
		snprintf(err, errlen, "the record is empty");
		return -1;
	}
	if (id[0] == 0) {
		snprintf(err, errlen, "no id= field");
		return -1;
	}
	return 0;
}

int check_policy_tlsrpt(const char *txt, char rua[CHECK_MAX_RUA][256], size_t *n_rua,
                        char *err, size_t errlen)
{
	char key[32], val[1024];
	bool first = true;
	*n_rua = 0;
	for (const char *s = txt; (s = txt_field(s, key, sizeof(key), val, sizeof(val)));) {
		if (first && (strcmp(key, "v") != 0 || strcmp(val, "TLSRPTv1") != 0)) {
			snprintf(err, errlen, "does not start with v=TLSRPTv1");
			return -1;
		}
		first = false;
		if (strcmp(key, "rua") != 0)
			continue;
		char *save = NULL;
		for (char *u = strtok_r(val, ",", &save); u; u = strtok_r(NULL, ",", &save)) {
			u += strspn(u, " \t");
			if (strncmp(u, "mailto:", 7) != 0 && strncmp(u, "https://", 8) != 0) {
				snprintf(err, errlen, "rua '%.80s' is neither mailto: nor https:", u);
				return -1;
			}
			if (*n_rua < CHECK_MAX_RUA)
				snprintf(rua[(*n_rua)++], 256, "%s", u);
		}
	}
	if (first) {
		snprintf(err, errlen, "the record is empty");
		return -1;
	}
	if (*n_rua == 0) {
		snprintf(err, errlen, "no rua= field");
		return -1;
	}
	return 0;
}
