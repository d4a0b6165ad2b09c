/* Unit tests for dnsd's TCP framing: whole messages, partial ones, bad lengths, a full buffer. */
#include <string.h>
#include "tests/unit/unit.h"
#include "dnsd/tcp_frame.h"

static void test_whole_and_partial(void **state)
{
	uint8_t in[32] = { 0, 3, 'a', 'b', 'c', 0, 2, 'd' };
	size_t mlen = 99, inlen = 8;
	assert_int_equal(tcp_frame_next(in, 0, sizeof(in), 30, &mlen), TCP_FRAME_MORE);
	assert_int_equal(tcp_frame_next(in, 1, sizeof(in), 30, &mlen), TCP_FRAME_MORE);
	assert_int_equal(tcp_frame_next(in, 4, sizeof(in), 30, &mlen), TCP_FRAME_MORE);
	assert_int_equal(tcp_frame_next(in, inlen, sizeof(in), 30, &mlen), TCP_FRAME_MSG);
	assert_int_equal(mlen, 3);
	assert_memory_equal(in + 2, "abc", 3);
	tcp_frame_drop(in, &inlen, mlen);
	/* The next message, begun but not whole, moved to the front. */
	assert_int_equal(inlen, 3);
	assert_memory_equal(in, "\0\2d", 3);
	assert_int_equal(tcp_frame_next(in, inlen, sizeof(in), 30, &mlen), TCP_FRAME_MORE);
	in[3] = 'e';
	inlen = 4;
	assert_int_equal(tcp_frame_next(in, inlen, sizeof(in), 30, &mlen), TCP_FRAME_MSG);
	assert_int_equal(mlen, 2);
	tcp_frame_drop(in, &inlen, mlen);
	assert_int_equal(inlen, 0);
	(void)state;
}

static void test_bad_lengths(void **state)
{
	uint8_t in[40] = { 0, 0 };
	size_t mlen;
	/* Zero, and one above the largest query, close the stream before its bytes arrive. */
	assert_int_equal(tcp_frame_next(in, 2, sizeof(in), 30, &mlen), TCP_FRAME_BAD);
	in[1] = 31;
	assert_int_equal(tcp_frame_next(in, 2, sizeof(in), 30, &mlen), TCP_FRAME_BAD);
	in[1] = 30;
	assert_int_equal(tcp_frame_next(in, 2, sizeof(in), 30, &mlen), TCP_FRAME_MORE);
	assert_int_equal(tcp_frame_next(in, 32, sizeof(in), 30, &mlen), TCP_FRAME_MSG);
	in[0] = 1;
	assert_int_equal(tcp_frame_next(in, 2, sizeof(in), 30, &mlen), TCP_FRAME_BAD);
	(void)state;
}

static void test_big_update(void **state)
{
	/* Length 5000, then the header's flags: opcode UPDATE (5), then a query, then an answer. */
	uint8_t in[8] = { 0x13, 0x88, 0, 1, 5 << 3, 0 };
	assert_int_equal(tcp_frame_big_update(in, 0, 4096), 0);
	assert_int_equal(tcp_frame_big_update(in, 2, 4096), -1);
	assert_int_equal(tcp_frame_big_update(in, 5, 4096), -1);
	assert_int_equal(tcp_frame_big_update(in, 6, 4096), 1);
	in[4] = 0;
	assert_int_equal(tcp_frame_big_update(in, 6, 4096), 0);
	in[4] = 0x80 | (5 << 3);
	assert_int_equal(tcp_frame_big_update(in, 6, 4096), 0);
	/* Within max: never "big", whatever it is. */
	in[4] = 5 << 3;
	assert_int_equal(tcp_frame_big_update(in, 6, 5000), 0);
	(void)state;
}

static void test_full_buffer(void **state)
{
	uint8_t in[8] = { 0, 20 };
	size_t mlen;
	/* A buffer smaller than the largest message: full and not whole is the end. */
	assert_int_equal(tcp_frame_next(in, 7, sizeof(in), 30, &mlen), TCP_FRAME_MORE);
	assert_int_equal(tcp_frame_next(in, 8, sizeof(in), 30, &mlen), TCP_FRAME_BAD);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_and_partial),
		cmocka_unit_test(test_bad_lengths),
		cmocka_unit_test(test_full_buffer),
		cmocka_unit_test(test_big_update),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
