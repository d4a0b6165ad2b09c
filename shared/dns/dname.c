/* Wire-form names, their lookup-format keys, and text conversion. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "shared/dns/dname.h"

static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

int dname_wire_len(const uint8_t *p, size_t max)
{
	size_t len = 0;
	for (;;) {
		if (len >= max)
			return -1;
		uint8_t l = p[len];
		if (l > DNAME_LABEL_MAX)
			return -1;     /* also rejects compression pointers */
		len += (size_t)l + 1;
		if (len > DNAME_MAX)
			return -1;
		if (l == 0)
			return (int)len;
	}
}

size_t dname_skip(const uint8_t *msg, size_t len, size_t off)
{
	/* 128 steps: a name has at most 127 labels, and a pointer ends it. */
	for (int labels = 0; off < len && labels < 128; labels++) {
		uint8_t l = msg[off];
		if (l == 0)
			return off + 1;
		if ((l & 0xc0) == 0xc0)
			return off + 2 <= len ? off + 2 : 0;
		if (l > DNAME_LABEL_MAX)
			return 0;
		off += (size_t)l + 1;
	}
	return 0;
}

void dname_lower(uint8_t *name)
{
	while (*name) {
		uint8_t l = *name++;
		for (uint8_t i = 0; i < l; i++, name++)
			*name = lower(*name);
	}
}

int dname_labels(const uint8_t *name)
{
	int n = 0;
	while (*name) {
		name += *name + 1;
		n++;
	}
	return n;
}

static size_t wire_len(const uint8_t *name)
{
	const uint8_t *p = name;
	while (*p)
		p += *p + 1;
	return (size_t)(p - name) + 1;
}

bool dname_equal(const uint8_t *a, const uint8_t *b)
{
	size_t la = wire_len(a);
	if (la != wire_len(b))
		return false;
	for (size_t i = 0; i < la; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

bool dname_is_sub(const uint8_t *name, const uint8_t *apex)
{
	/* Every record's owner passes here: walk labels until only the apex's length is left. */
	size_t ln = wire_len(name), la = wire_len(apex);
	const uint8_t *p = name, *end = name + ln;
	while ((size_t)(end - p) > la)
		p += *p + 1;
	if ((size_t)(end - p) != la)
		return false;
	for (size_t i = 0; i < la; i++)
		if (lower(p[i]) != lower(apex[i]))
			return false;
	return true;
}

/* Labels of name, root first: offsets into the name. */
static int label_offsets(const uint8_t *name, uint8_t off[128])
{
	int n = 0;
	size_t pos = 0;
	while (name[pos]) {
		off[n++] = (uint8_t)pos;
		pos += name[pos] + 1;
	}
	return n;
}

int dname_cmp(const uint8_t *a, const uint8_t *b)
{
	uint8_t oa[128], ob[128];
	int na = label_offsets(a, oa), nb = label_offsets(b, ob);
	for (int i = na - 1, j = nb - 1; i >= 0 && j >= 0; i--, j--) {
		const uint8_t *la = a + oa[i], *lb = b + ob[j];
		uint8_t n = la[0] < lb[0] ? la[0] : lb[0];
		for (uint8_t k = 1; k <= n; k++) {
			uint8_t ca = lower(la[k]), cb = lower(lb[k]);
			if (ca != cb)
				return ca < cb ? -1 : 1;
		}
		if (la[0] != lb[0])
			return la[0] < lb[0] ? -1 : 1;
	}
	return na - nb;
}

bool dname_is_hostname(const uint8_t *name)
{
	while (*name) {
		uint8_t l = *name;
		const uint8_t *s = name + 1;
		for (uint8_t i = 0; i < l; i++) {
			bool alnum = isalnum(s[i]);
			if (!alnum && !(s[i] == '-' && i > 0 && i < l - 1))
				return false;
		}
		name += l + 1;
	}
	return true;
}

int dname_lf(uint8_t *out, const uint8_t *name, const uint8_t *apex)
{
	uint8_t off[128];
	int n = label_offsets(name, off);
	int rel = n - dname_labels(apex);
	if (rel < 0)
		return -1;
	size_t len = 0;
	for (int i = rel - 1; i >= 0; i--) {
		const uint8_t *l = name + off[i];
		for (uint8_t k = 1; k <= l[0]; k++) {
			uint8_t c = lower(l[k]);
			if (c <= 1) {
				out[len++] = 1;
				out[len++] = (uint8_t)(c + 1);
			} else {
				out[len++] = c;
			}
		}
		out[len++] = 0;
	}
	return (int)len;
}

int dname_from_lf(uint8_t out[DNAME_MAX], const uint8_t *lf, size_t len, const uint8_t *apex)
{
	/* Labels come root first; collect them, then write them leaf first. */
	uint8_t labels[128][DNAME_LABEL_MAX];
	uint8_t lens[128];
	int n = 0;
	size_t i = 0;
	while (i < len) {
		if (n == 128)
			return -1;
		uint8_t l = 0;
		while (i < len && lf[i] != 0) {
			uint8_t c = lf[i++];
			if (c == 1) {
				if (i >= len)
					return -1;
				c = (uint8_t)(lf[i++] - 1);
			}
			if (l == DNAME_LABEL_MAX)
				return -1;
			labels[n][l++] = c;
		}
		if (i >= len || l == 0)
			return -1;
		i++;
		lens[n++] = l;
	}
	size_t pos = 0, alen = wire_len(apex);
	for (int k = n - 1; k >= 0; k--) {
		if (pos + lens[k] + 1 + alen > DNAME_MAX)
			return -1;
		out[pos++] = lens[k];
		memcpy(out + pos, labels[k], lens[k]);
		pos += lens[k];
	}
	memcpy(out + pos, apex, alen);
	dname_lower(out);
	return (int)(pos + alen);
}

int dname_parse(uint8_t out[DNAME_MAX], const char *text, const uint8_t *origin)
{
	size_t pos = 0, tl = strlen(text);
	if (strcmp(text, "@") == 0) {
		if (origin == NULL)
			return -1;
		size_t ol = wire_len(origin);
		memcpy(out, origin, ol);
		return (int)ol;
	}
	if (strcmp(text, ".") == 0) {
		out[0] = 0;
		return 1;
	}
	if (tl == 0)
		return -1;
	size_t i = 0;
	bool absolute = false;
	while (i < tl) {
		size_t lpos = pos++;
		uint8_t l = 0;
		while (i < tl && text[i] != '.') {
			int c = (unsigned char)text[i++];
			if (c == '\\') {
				if (i >= tl)
					return -1;
				if (isdigit((unsigned char)text[i])) {
					if (i + 2 >= tl || !isdigit((unsigned char)text[i + 1]) ||
					    !isdigit((unsigned char)text[i + 2]))
						return -1;
					c = (text[i] - '0') * 100 + (text[i + 1] - '0') * 10 + (text[i + 2] - '0');
					if (c > 255)
						return -1;
					i += 3;
				} else {
					c = (unsigned char)text[i++];
				}
			}
			if (l == DNAME_LABEL_MAX || pos >= DNAME_MAX - 1)
				return -1;
			out[pos++] = (uint8_t)c;
			l++;
		}
		if (l == 0)
			return -1;            /* empty label: "a..b" or leading dot */
		out[lpos] = l;
		if (i < tl) {
			i++;              /* the dot */
			if (i == tl)
				absolute = true;
		}
	}
	if (!absolute) {
		if (origin == NULL)
			return -1;
		size_t ol = wire_len(origin);
		if (pos + ol > DNAME_MAX)
			return -1;
		memcpy(out + pos, origin, ol);
		return (int)(pos + ol);
	}
	if (pos + 1 > DNAME_MAX)
		return -1;
	out[pos++] = 0;
	return (int)pos;
}

char *dname_format(char out[DNAME_STR_MAX], const uint8_t *name)
{
	size_t pos = 0;
	if (*name == 0) {
		strcpy(out, ".");
		return out;
	}
	while (*name) {
		uint8_t l = *name++;
		for (uint8_t i = 0; i < l; i++, name++) {
			uint8_t c = *name;
			if (c <= 0x20 || c >= 0x7f)
				pos += (size_t)sprintf(out + pos, "\\%03u", c);
			else if (strchr(".\\\"();@$", c))
				pos += (size_t)sprintf(out + pos, "\\%c", c);
			else
				out[pos++] = (char)c;
		}
		out[pos++] = '.';
	}
	out[pos] = 0;
	return out;
}
