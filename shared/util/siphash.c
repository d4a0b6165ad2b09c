/* SipHash-2-4: two compression rounds per 8-byte word, four finalisation rounds. */
#include "shared/util/siphash.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

struct sip {
	uint64_t v0, v1, v2, v3;
};

static void rounds(struct sip *s, int n)
{
	while (n-- > 0) {
		s->v0 += s->v1;
		s->v1 = ROTL(s->v1, 13);
		s->v1 ^= s->v0;
		s->v0 = ROTL(s->v0, 32);
		s->v2 += s->v3;
		s->v3 = ROTL(s->v3, 16);
		s->v3 ^= s->v2;
		s->v0 += s->v3;
		s->v3 = ROTL(s->v3, 21);
		s->v3 ^= s->v0;
		s->v2 += s->v1;
		s->v1 = ROTL(s->v1, 17);
		s->v1 ^= s->v2;
		s->v2 = ROTL(s->v2, 32);
	}
}

static void absorb(struct sip *s, uint64_t m)
{
	s->v3 ^= m;
	rounds(s, 2);
	s->v0 ^= m;
}

uint64_t siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	/* The initial state: the key mixed with "somepseudorandomlygeneratedbytes". */
	struct sip s = { k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
		         k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL };
	size_t whole = len - len % 8;
	for (size_t i = 0; i < whole; i += 8)
		absorb(&s, le64(p + i));
	/* The last word: the remaining bytes, and the length's low byte on top. */
	uint64_t last = (uint64_t)(len & 0xff) << 56;
	for (size_t i = whole; i < len; i++)
		last |= (uint64_t)p[i] << (8 * (i - whole));
	absorb(&s, last);
	s.v2 ^= 0xff;
	rounds(&s, 4);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

void siphash24_bytes(const uint8_t key[SIPHASH_KEY_LEN], const void *data, size_t len,
                     uint8_t out[SIPHASH_LEN])
{
	uint64_t h = siphash24(key, data, len);
	for (int i = 0; i < SIPHASH_LEN; i++)
		out[i] = (uint8_t)(h >> (8 * i));
}
