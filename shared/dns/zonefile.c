/*
 * Master file reader: our own entry splitter (comments, quotes, parentheses, exact
 * line numbers, directives, $INCLUDE confinement), ldns for each record's text.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ldns/ldns.h>
#include "shared/util/err.h"
#include "shared/util/file.h"
#include "shared/dns/rrlint.h"
#include "shared/dns/rrtext.h"
#include "shared/dns/zonefile.h"

struct reader {
	struct zonefile *zf;
	struct rr_parser p;
	struct diag *d;
	char *root;                 /* real path of the top file's directory; NULL: no $INCLUDE */
	char *entry;                /* one entry, parentheses joined */
	size_t elen;
	int depth;
};

void zonefile_init(struct zonefile *zf)
{
	memset(zf, 0, sizeof(*zf));
	arena_init(&zf->a);
}

void zonefile_free(struct zonefile *zf)
{
	free(zf->rr);
	arena_free(&zf->a);
	zonefile_init(zf);
}

static int push(struct zonefile *zf, const struct rr *rr)
{
	if (zf->n == zf->cap) {
		size_t cap = zf->cap ? zf->cap * 2 : 1024;
		struct rr *v = realloc(zf->rr, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		zf->rr = v;
		zf->cap = cap;
	}
	zf->rr[zf->n++] = *rr;
	zf->bytes += (size_t)dname_wire_len(rr->owner, DNAME_MAX) + rr->rdlen + 32;
	return 0;
}

/* A zone file whole: a regular file of at most ZONEFILE_MAX bytes. */
static int read_file(const char *path, char **out, size_t *len)
{
	int rc = file_read(path, ZONEFILE_MAX, FILE_REGULAR, out, len);
	return rc == LS_ETOOBIG ? -EFBIG : rc;
}

static void read_text(struct reader *r, const char *file, const char *text, size_t len);

/* Next whitespace-separated token of s at *pos into tok; false at the end. */
static bool token(const char *s, size_t *pos, char *tok, size_t cap)
{
	size_t i = *pos, n = 0;
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	if (s[i] == 0)
		return false;
	while (s[i] && s[i] != ' ' && s[i] != '\t') {
		if (n + 1 < cap)
			tok[n++] = s[i];
		i++;
	}
	tok[n] = 0;
	*pos = i;
	return true;
}

static void do_include(struct reader *r, const char *file, unsigned line, const char *arg,
                       const char *origin_arg)
{
	char resolved[PATH_MAX], joined[PATH_MAX * 2];
	uint8_t origin[DNAME_MAX], saved[DNAME_MAX];
	const uint8_t *cur = rr_parser_origin(&r->p);
	bool had = cur != NULL;
	if (r->root == NULL) {
		diag_add(r->d, DIAG_ERROR, file, line, "$INCLUDE is not allowed here");
		return;
	}
	if (r->depth >= ZONEFILE_INCLUDE_DEPTH) {
		diag_add(r->d, DIAG_ERROR, file, line, "$INCLUDE nested deeper than %d",
		         ZONEFILE_INCLUDE_DEPTH);
		return;
	}
	if (arg[0] == '/')
		snprintf(joined, sizeof(joined), "%s", arg);
	else
		snprintf(joined, sizeof(joined), "%s/%s", r->root, arg);
	size_t rl = strlen(r->root);
	if (realpath(joined, resolved) == NULL) {
		diag_add(r->d, DIAG_ERROR, file, line, "$INCLUDE %s: %s", arg, strerror(errno));
		return;
	}
	if (rl > 1 && (strncmp(resolved, r->root, rl) != 0 || resolved[rl] != '/')) {
		diag_add(r->d, DIAG_ERROR, file, line,
		         "$INCLUDE %s is outside the zone file's directory %s", arg, r->root);
		return;
	}
	if (origin_arg && dname_parse(origin, origin_arg, cur) < 0) {
		diag_add(r->d, DIAG_ERROR, file, line, "$INCLUDE: bad origin '%s'", origin_arg);
		return;
	}
	char *text;
	size_t len;
	int rc = read_file(resolved, &text, &len);
	if (rc) {
		diag_add(r->d, DIAG_ERROR, file, line, "$INCLUDE %s: %s", arg, ls_strerror(rc));
		return;
	}
	if (had)
		memcpy(saved, cur, (size_t)dname_wire_len(cur, DNAME_MAX));
	if (origin_arg)
		rr_parser_set_origin(&r->p, origin);
	/* The name lives as long as the records that point at it. */
	char *name = arena_dup(&r->zf->a, arg, strlen(arg) + 1);
	r->depth++;
	read_text(r, name ? name : "?", text, len);
	r->depth--;
	free(text);
	/* RFC 1035 5.1: the origin goes back to what it was before the include. */
	rr_parser_set_origin(&r->p, had ? saved : NULL);
}

static void directive(struct reader *r, const char *file, unsigned line, const char *s)
{
	char name[32], arg[PATH_MAX], arg2[DNAME_STR_MAX];
	size_t pos = 0;
	token(s, &pos, name, sizeof(name));
	bool have_arg = token(s, &pos, arg, sizeof(arg));
	bool have_arg2 = token(s, &pos, arg2, sizeof(arg2));
	if (strcasecmp(name, "$ORIGIN") == 0) {
		uint8_t origin[DNAME_MAX];
		if (!have_arg || have_arg2 || dname_parse(origin, arg, rr_parser_origin(&r->p)) < 0)
			diag_add(r->d, DIAG_ERROR, file, line, "$ORIGIN needs one valid domain name");
		else
			rr_parser_set_origin(&r->p, origin);
	} else if (strcasecmp(name, "$TTL") == 0) {
		uint32_t ttl = 0;
		if (!have_arg || have_arg2 || !rrlint_period(arg, strlen(arg), &ttl))
			diag_add(r->d, DIAG_ERROR, file, line, "$TTL needs one TTL value (0 to 2147483647)");
		else if (ttl > 2147483647u)
			diag_add(r->d, DIAG_ERROR, file, line, "$TTL %s is above 2147483647", arg);
		else {
			r->p.dollar_ttl = ttl;
			r->p.have_dollar_ttl = true;
		}
	} else if (strcasecmp(name, "$INCLUDE") == 0) {
		char extra[8];
		if (!have_arg || token(s, &pos, extra, sizeof(extra)))
			diag_add(r->d, DIAG_ERROR, file, line, "$INCLUDE needs a file name and an optional origin");
		else
			do_include(r, file, line, arg, have_arg2 ? arg2 : NULL);
	} else {
		diag_add(r->d, DIAG_ERROR, file, line, "unknown or unsupported directive %s", name);
	}
}

static void record(struct reader *r, const char *file, unsigned line, const char *s)
{
	struct rr rr;
	char err[256];
	int rc = rr_parse(&r->p, s, &rr, err, sizeof(err));
	if (rc) {
		diag_add(r->d, DIAG_ERROR, file, line, "%s", rc == LS_EPARSE ? err : ls_strerror(rc));
		return;
	}
	rr.file = file;
	rr.line = line;
	if (!r->zf->have_apex && rr.type == 6) {
		memcpy(r->zf->apex, rr.owner, (size_t)dname_wire_len(rr.owner, DNAME_MAX));
		r->zf->have_apex = true;
	}
	if (push(r->zf, &rr))
		diag_add(r->d, DIAG_ERROR, file, line, "out of memory");
}

static void entry_done(struct reader *r, const char *file, unsigned line)
{
	r->entry[r->elen] = 0;
	size_t i = 0;
	while (r->entry[i] == ' ' || r->entry[i] == '\t')
		i++;
	if (r->entry[i] == 0)
		return;                       /* blank or comment only */
	if (r->entry[0] == '$')
		directive(r, file, line, r->entry);
	else
		record(r, file, line, r->entry);
}

/* True when a line has none of the characters the splitter must look at one by one. */
static bool plain(const char *s, size_t n)
{
	static const bool special[256] = {
		[0] = true, [';'] = true, ['('] = true, [')'] = true, ['"'] = true, ['\\'] = true,
		['\r'] = true,
	};
	for (size_t i = 0; i < n; i++)
		if (special[(unsigned char)s[i]])
			return false;
	return true;
}

/* Where the entry splitter stands between two characters of a file. */
struct split {
	unsigned line, start, open_line;  /* the current line, the entry's first, the open '(' */
	int paren;
	bool quote, skip, comment;        /* skip: the entry is broken, already reported */
};

/* Most lines are one plain entry: takes the line at *i whole when nothing in it needs care. */
static bool take_plain(struct reader *r, const char *file, const char *text, size_t len,
                       size_t *i, struct split *s)
{
	if (r->elen != 0 || s->paren != 0 || s->quote || s->comment || s->skip || *i >= len)
		return false;
	const char *nl = memchr(text + *i, '\n', len - *i);
	size_t n = nl ? (size_t)(nl - (text + *i)) : len - *i;
	if (n >= ZONEFILE_ENTRY_MAX || !plain(text + *i, n))
		return false;
	memcpy(r->entry, text + *i, n);
	r->elen = n;
	entry_done(r, file, s->line);
	r->elen = 0;
	*i += n;           /* at the newline (or the end): the caller's loop steps past it */
	s->line++;
	s->start = s->line;
	return true;
}

/* A line ends (eof: the file does): the entry ends too unless a '(' is still open. */
static void end_line(struct reader *r, const char *file, struct split *s, bool eof)
{
	s->comment = false;
	if (s->quote) {
		diag_add(r->d, DIAG_ERROR, file, s->line, "unterminated quoted string");
		s->quote = false;
		s->skip = true;
		s->paren = 0;
	}
	if (eof && s->paren > 0) {
		diag_add(r->d, DIAG_ERROR, file, s->open_line, "'(' is never closed");
		s->skip = true;
		s->paren = 0;
	}
	if (s->paren == 0) {
		if (!s->skip)
			entry_done(r, file, s->start);
		r->elen = 0;
		s->skip = false;
		s->start = s->line + 1;
	} else if (r->elen < ZONEFILE_ENTRY_MAX) {
		r->entry[r->elen++] = ' ';
	}
	s->line++;
}

/* Adds c, text[i], to the entry: quotes, comments, parentheses and escapes. Returns the index
 * of the last character used (an escape takes two). */
static size_t add_char(struct reader *r, const char *file, const char *text, size_t len,
                       size_t i, char c, struct split *s)
{
	if (r->elen + 2 >= ZONEFILE_ENTRY_MAX) {
		if (!s->skip)
			diag_add(r->d, DIAG_ERROR, file, s->start, "record longer than %u bytes",
			         ZONEFILE_ENTRY_MAX);
		s->skip = true;
		return i;
	}
	if (c == '\\' && i + 1 < len && text[i + 1] != '\n') {
		r->entry[r->elen++] = c;
		r->entry[r->elen++] = text[++i] ? text[i] : ' ';
		return i;
	}
	if (s->quote) {
		if (c == '"')
			s->quote = false;
	} else if (c == '"') {
		s->quote = true;
	} else if (c == ';') {
		s->comment = true;
		return i;
	} else if (c == '(') {
		if (s->paren++ == 0)
			s->open_line = s->line;
		c = ' ';
	} else if (c == ')') {
		if (--s->paren < 0) {
			diag_add(r->d, DIAG_ERROR, file, s->line, "')' without '('");
			s->paren = 0;
			s->skip = true;
		}
		c = ' ';
	} else if (c == '\r' || c == '\t') {
		c = c == '\t' ? '\t' : ' ';
	}
	r->entry[r->elen++] = c;
	return i;
}

/* Splits text into entries: one per line, or several lines joined by parentheses. */
static void read_text(struct reader *r, const char *file, const char *text, size_t len)
{
	struct split s = { .line = 1, .start = 1 };
	r->elen = 0;
	for (size_t i = 0; i <= len; i++) {
		if (take_plain(r, file, text, len, &i, &s))
			continue;
		char c = i < len ? text[i] : '\n';
		if (c == 0) {
			diag_add(r->d, DIAG_ERROR, file, s.line, "NUL byte in the file");
			c = ' ';
			s.skip = true;
		}
		if (s.comment && c != '\n')
			continue;
		if (c == '\n')
			end_line(r, file, &s, i == len);
		else
			i = add_char(r, file, text, len, i, c, &s);
	}
}

static int run(struct zonefile *zf, const char *name, const char *root, const char *text,
               size_t len, const uint8_t *origin, uint32_t default_ttl, struct diag *d)
{
	struct reader r = { .zf = zf, .d = d };
	size_t errors = d->errors;
	int rc = rr_parser_init(&r.p, &zf->a, origin, default_ttl);
	if (rc)
		return rc;
	r.p.no_fast = zf->no_fast;
	r.entry = malloc(ZONEFILE_ENTRY_MAX + 1);
	r.root = root ? strdup(root) : NULL;
	if (r.entry == NULL || (root && r.root == NULL)) {
		rc = -ENOMEM;
		goto out;
	}
	if (origin) {
		memcpy(zf->apex, origin, (size_t)dname_wire_len(origin, DNAME_MAX));
		zf->have_apex = true;
	}
	read_text(&r, name, text, len);
	rc = d->errors > errors ? LS_EPARSE : 0;
	if (rc == 0 && !zf->have_apex) {
		diag_add(d, DIAG_ERROR, name, 0, "no SOA record and no origin: cannot tell the zone");
		rc = LS_EPARSE;
	}
out:
	free(r.entry);
	free(r.root);
	rr_parser_free(&r.p);
	return rc;
}

int zonefile_read(struct zonefile *zf, const char *path, const uint8_t *origin,
                  uint32_t default_ttl, struct diag *d)
{
	char *text, dir[PATH_MAX];
	size_t len;
	int rc = read_file(path, &text, &len);
	if (rc)
		return rc;
	if (realpath(path, dir) == NULL) {
		free(text);
		return -errno;
	}
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = 0;
	else if (slash)
		*slash = 0;
	char *name = arena_dup(&zf->a, path, strlen(path) + 1);
	rc = name ? run(zf, name, dir, text, len, origin, default_ttl, d) : -ENOMEM;
	free(text);
	return rc;
}

int zonefile_read_mem(struct zonefile *zf, const char *name, const char *text, size_t len,
                      const uint8_t *origin, uint32_t default_ttl, struct diag *d)
{
	char *n = arena_dup(&zf->a, name, strlen(name) + 1);
	return n ? run(zf, n, NULL, text, len, origin, default_ttl, d) : -ENOMEM;
}
