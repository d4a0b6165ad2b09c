/* Domain names in uncompressed wire form, and the lookup-format keys that sort them. */
#ifndef LS_DNAME_H
#define LS_DNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNAME_MAX 255          /* RFC 1035 2.3.4: a name in wire form */
#define DNAME_LABEL_MAX 63
/*
 * Lookup format: labels from the root down, each with byte 0 escaped (0 -> 1 1,
 * 1 -> 1 2), letters lower-cased, and a 0 byte after each label. memcmp order
 * of these keys is the DNS canonical order (RFC 4034 6.1), and a name's key is
 * a prefix of its children's keys. Worst case for a 255-byte name is 504 bytes.
 */
#define DNAME_LF_MAX 508

/* Offset just after the name at off in a message of len bytes, compression allowed; 0 if bad. */
size_t dname_skip(const uint8_t *msg, size_t len, size_t off);
/* Length of a valid wire name starting at p (at most max bytes), or -1. */
int dname_wire_len(const uint8_t *p, size_t max);
void dname_lower(uint8_t *name);
int dname_labels(const uint8_t *name);
bool dname_equal(const uint8_t *a, const uint8_t *b);
/* True when name equals apex or lies below it. */
bool dname_is_sub(const uint8_t *name, const uint8_t *apex);
/* Canonical order (RFC 4034 6.1): <0, 0, >0. */
int dname_cmp(const uint8_t *a, const uint8_t *b);
/* True for names whose labels are letters, digits and inner hyphens (RFC 952/1123). */
bool dname_is_hostname(const uint8_t *name);

/* Key of name relative to apex (name must be at or below apex): bytes written, or -1. */
int dname_lf(uint8_t *out, const uint8_t *name, const uint8_t *apex);
/* The name (lower case, absolute) back from a relative key: wire length, or -1. */
int dname_from_lf(uint8_t out[DNAME_MAX], const uint8_t *lf, size_t len, const uint8_t *apex);

/* Parses text ("www", "@", "a.example.com.") against origin (may be NULL for absolute only). */
int dname_parse(uint8_t out[DNAME_MAX], const char *text, const uint8_t *origin);
/* Presentation form, absolute with trailing dot; returns out. out needs 4 * 255 + 1 bytes. */
#define DNAME_STR_MAX 1021
char *dname_format(char out[DNAME_STR_MAX], const uint8_t *name);

#endif
