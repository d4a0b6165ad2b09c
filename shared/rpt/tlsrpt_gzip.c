/* Bounded gzip inflate (libdeflate, zlib for what it refuses) and plain deflate (zlib) for TLS
 * reports. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <libdeflate.h>
#include <zlib.h>
#include "shared/util/err.h"
#include "shared/rpt/tlsrpt_gzip.h"

#define GZIP_WINDOW (15 + 16)       /* zlib: gzip wrapper only */
#define FIRST_CHUNK (64u << 10)
#define GZIP_FTEXT 0x01             /* RFC 1952 header flags */
#define GZIP_FEXTRA 0x04
#define GZIP_FNAME 0x08
#define GZIP_FCOMMENT 0x10

bool tlsrpt_gzip_is(const uint8_t *data, size_t len)
{
	return len >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

size_t tlsrpt_gzip_limit(size_t len, size_t max)
{
	size_t ratio = len > SIZE_MAX / TLSRPT_RATIO_MAX ? SIZE_MAX : len * TLSRPT_RATIO_MAX;
	return ratio < max ? ratio : max;
}

/* The size the gzip trailer announces (ISIZE: the length mod 2^32; a sender may lie), or 0. */
static size_t trailer_size(const uint8_t *in, size_t len)
{
	if (len < 18)
		return 0;
	const uint8_t *t = in + len - 4;
	return (size_t)t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 | (size_t)t[3] << 24;
}

/* The first buffer: ISIZE, so a report inflates without a realloc; a lie only costs growing
 * later, and the limit holds. */
static size_t first_cap(const uint8_t *in, size_t len, size_t limit)
{
	size_t want = trailer_size(in, len);
	if (want < FIRST_CHUNK)
		want = FIRST_CHUNK;
	return want < limit ? want : limit;
}

/*
 * The common case in one call: a single member whose trailer tells its size within the limit,
 * inflated by libdeflate (about twice zlib's speed, and its CRC-32 uses carry-less multiply)
 * into a buffer of exactly that size. 1 when it did not work out (a lying trailer, corrupt or
 * truncated data, more than one member): zlib's streaming path then decides, with the bound.
 */
static int inflate_fast(const uint8_t *in, size_t len, size_t limit, uint8_t **out,
                        size_t *outlen)
{
	size_t isize = trailer_size(in, len), used, got;
	/* Header flags beyond text, extra, name and comment go to zlib: libdeflate skips a header
	 * CRC (FHCRC) that zlib checks, and the reserved bits are zlib's to refuse. */
	if (isize == 0 || isize > limit || !tlsrpt_gzip_is(in, len) || len < 4 ||
	    (in[3] & ~(GZIP_FTEXT | GZIP_FEXTRA | GZIP_FNAME | GZIP_FCOMMENT)) != 0)
		return 1;
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	uint8_t *buf = malloc(isize + 1);
	int rc = 1;
	if (d == NULL || buf == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if (libdeflate_gzip_decompress_ex(d, in, len, buf, isize, &used, &got) ==
	            LIBDEFLATE_SUCCESS && got == isize && used == len) {
		buf[got] = 0;
		*out = buf;
		*outlen = got;
		buf = NULL;
		rc = 0;
	}
out:
	free(buf);
	if (d)
		libdeflate_free_decompressor(d);
	return rc;
}

int tlsrpt_gzip_inflate(const uint8_t *in, size_t len, size_t max, uint8_t **out,
                        size_t *outlen)
{
	int frc = inflate_fast(in, len, tlsrpt_gzip_limit(len, max), out, outlen);
	return frc <= 0 ? frc : tlsrpt_gzip_inflate_zlib(in, len, max, out, outlen);
}

int tlsrpt_gzip_inflate_zlib(const uint8_t *in, size_t len, size_t max, uint8_t **out,
                             size_t *outlen)
{
	size_t limit = tlsrpt_gzip_limit(len, max);
	size_t cap = first_cap(in, len, limit);
	uint8_t *buf = malloc(cap + 1), *grown;
	z_stream z;
	int rc = -ENOMEM, zr;
	memset(&z, 0, sizeof(z));
	if (buf == NULL)
		return -ENOMEM;
	if (!tlsrpt_gzip_is(in, len) || inflateInit2(&z, GZIP_WINDOW) != Z_OK) {
		free(buf);
		return tlsrpt_gzip_is(in, len) ? -ENOMEM : LS_EPARSE;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)(len > UINT32_MAX ? UINT32_MAX : len);
	for (;;) {
		if (z.total_out == cap) {
			/* Full: one byte more than the limit would be a bomb; grow only below it. */
			if (cap == limit) {
				uint8_t probe;
				z.next_out = &probe;
				z.avail_out = 1;
				zr = inflate(&z, Z_NO_FLUSH);
				rc = (zr == Z_STREAM_END && z.avail_out == 1) ? 0 : LS_ETOOBIG;
				if (rc == 0)
					break;
				goto fail;
			}
			size_t ncap = cap * 2 < limit ? cap * 2 : limit;
			if ((grown = realloc(buf, ncap + 1)) == NULL) {
				rc = -ENOMEM;
				goto fail;
			}
			buf = grown;
			cap = ncap;
		}
		z.next_out = buf + z.total_out;
		z.avail_out = (uInt)(cap - z.total_out);
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_OK)
			continue;
		if (zr == Z_BUF_ERROR && z.avail_out > 0) {
			rc = LS_EPARSE;    /* input ended before the stream did: truncated */
			goto fail;
		}
		if (zr != Z_BUF_ERROR) {
			rc = zr == Z_MEM_ERROR ? -ENOMEM : LS_EPARSE;
			goto fail;
		}
	}
	*outlen = z.total_out;
	buf[*outlen] = 0;
	*out = buf;
	inflateEnd(&z);
	return 0;
fail:
	inflateEnd(&z);
	free(buf);
	return rc;
}

int tlsrpt_gzip_deflate(const uint8_t *in, size_t len, uint8_t **out, size_t *outlen)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, GZIP_WINDOW, 8,
	                 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	size_t cap = deflateBound(&z, (uLong)len);
	uint8_t *buf = malloc(cap);
	if (buf == NULL) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = buf;
	z.avail_out = (uInt)cap;
	int zr = deflate(&z, Z_FINISH);
	*outlen = z.total_out;
	deflateEnd(&z);
	if (zr != Z_STREAM_END) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	return 0;
}
