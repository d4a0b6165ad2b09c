/*
 * libFuzzer target: a DNS over TCP byte stream through dnsd's framing (tcp_frame_next and
 * tcp_frame_drop), read as dnsd/tcp.c reads it: in chunks whose sizes the fuzzer chooses, each
 * read no larger than the buffer's free room, with answers in flight between them (reading
 * stops, the bytes wait in the socket); every whole message goes to the answer path over TCP.
 * A plain reading of the whole stream must find the same messages, in the same order, and
 * close at the same point. An UPDATE may be longer than the largest query (tcp_frame_big_update):
 * the buffer then grows to a whole TCP message, as tcp.c's does, and shrinks after it.
 *
 * Input: byte 0 chooses the largest query (0: dnsd's TCP_MAX_QUERY, else 16 times it); then
 * operations: a byte with bit 7 set toggles "an answer is being written"; else bits 0-5 plus
 * one are a chunk size (times 64 with bit 6), and that many stream bytes follow.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dnsd/answer.h"
#include "dnsd/pkt.h"
#include "dnsd/tcp_frame.h"
#include "dnsd/update_msg.h"
#include "dnsd/worker.h"
#include "shared/dns/wire.h"
#include "tests/fuzz/fuzz_store.h"

#define FUZZ_STREAM_MAX (1u << 16)
#define FUZZ_MSGS_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct msg_ref {
	size_t off, len;           /* in the stream: the message after its length bytes */
};

/* The connection as tcp.c keeps it, and what it did. */
struct conn {
	uint8_t in[2 + TCP_FRAME_UPDATE_MAX];
	size_t inlen, cap, max;    /* cap: the small buffer's, 2 + max */
	bool big;                  /* the buffer grew for a long UPDATE */
	size_t sent, taken;        /* stream bytes in the socket so far; read from it so far */
	size_t at;                 /* stream offset of in[0] */
	bool writing, closed;
	size_t ngot;
	struct msg_ref got[FUZZ_MSGS_MAX];   /* last: a new input clears what comes before */
};

static uint8_t stream[FUZZ_STREAM_MAX];
static struct store *st;
static MDB_cursor *cur;
static struct store_txn txn;

static void load(void)
{
	static const char zone[] =
		"$ORIGIN fuzz.example.\n$TTL 300\n@ SOA ns hostmaster 1 3600 900 1209600 300\n@ NS ns\n"
		"ns A 192.0.2.1\n@ MX 10 mx\nmx A 192.0.2.2\nwww CNAME @\n*.wild TXT \"w\"\n";
	static const uint8_t apex[] = "\4fuzz\7example";
	st = fuzz_store();
	fuzz_load_zone(st, zone, sizeof(zone) - 1, apex);
}

/* One whole message: answered over TCP as tcp.c's process() answers it. */
static void answer(struct conn *c, const uint8_t *msg, size_t len)
{
	static uint8_t out[65535];
	static const struct answer_opts opts = { .udp_max = 1232, .now = 1795345200 };
	struct answer_info info;
	if (c->ngot == FUZZ_MSGS_MAX)
		abort();
	c->got[c->ngot++] = (struct msg_ref){ c->at + 2, len };
	size_t n = answer_query(&txn, cur, NULL, &opts, msg, len, out, sizeof(out), true, NULL, &info);
	if (n > 65535 || (n > 0 && (n < PKT_HDR || memcmp(out, msg, 2) != 0)))
		abort();
}

/* The buffer's size now: the small one, or a whole TCP message's while a long UPDATE needs it. */
static size_t room_of(const struct conn *c)
{
	return c->big ? 2 + TCP_FRAME_UPDATE_MAX : c->cap;
}

/* tcp.c's process(): every whole message in the buffer, unless an answer is being written. */
static void process(struct conn *c)
{
	size_t mlen;
	while (!c->writing && !c->closed) {
		int big = tcp_frame_big_update(c->in, c->inlen, c->max);
		if (big < 0)
			return;
		c->big = c->big || big;
		size_t max = big ? TCP_FRAME_UPDATE_MAX : c->max;
		enum tcp_frame f = tcp_frame_next(c->in, c->inlen, room_of(c), max, &mlen);
		if (f == TCP_FRAME_BAD) {
			c->closed = true;
			return;
		}
		if (f == TCP_FRAME_MORE)
			return;
		if (mlen == 0 || mlen > max || 2 + mlen > c->inlen)
			abort();
		answer(c, c->in + 2, mlen);
		size_t before = c->inlen;
		tcp_frame_drop(c->in, &c->inlen, mlen);
		if (c->inlen != before - 2 - mlen ||
		    memcmp(c->in, stream + c->at + 2 + mlen, c->inlen) != 0)
			abort();
		c->at += 2 + mlen;
		c->big = c->big && c->inlen > c->cap;     /* back to the small buffer when it fits */
	}
}

/* libuv's reading: while reading runs, chunks of at most the free room, each processed. */
static void deliver(struct conn *c)
{
	while (!c->writing && !c->closed && c->taken < c->sent) {
		size_t room = room_of(c) - c->inlen, n = c->sent - c->taken;
		if (room == 0)
			abort();           /* process() closes a full buffer before this */
		n = n < room ? n : room;
		memcpy(c->in + c->inlen, stream + c->taken, n);
		c->inlen += n;
		c->taken += n;
		process(c);
	}
}

/* The messages a plain reading of stream[0, len) finds; *bad when it meets a bad length. */
static size_t reference(size_t len, size_t max, struct msg_ref *out, bool *bad)
{
	size_t pos = 0, n = 0;
	*bad = false;
	while (pos + 2 <= len && n < FUZZ_MSGS_MAX) {
		size_t mlen = wire_get16(stream + pos);
		if (mlen > max && pos + 2 + PKT_FLAGS + 2 > len)
			break;             /* too little to tell an UPDATE from a query */
		bool update = mlen > max && PKT_OPCODE(wire_get16(stream + pos + 2 + PKT_FLAGS)) ==
		              PKT_OPCODE_UPDATE && !(stream[pos + 2 + PKT_FLAGS] & (PKT_F_QR >> 8));
		if (mlen == 0 || (mlen > max && !update)) {
			*bad = true;
			break;
		}
		if (pos + 2 + mlen > len)
			break;
		out[n++] = (struct msg_ref){ pos + 2, mlen };
		pos += 2 + mlen;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conn c;
	static struct msg_ref want[FUZZ_MSGS_MAX];
	if (size < 1)
		return 0;
	if (st == NULL)
		load();
	if (store_begin(st, false, 0, &txn) != 0 || store_cursor(&txn, STORE_RRSETS, &cur) != 0)
		abort();
	memset(&c, 0, offsetof(struct conn, got));
	c.max = data[0] ? (size_t)data[0] * 16 : TCP_MAX_QUERY;
	c.max = c.max < TCP_MAX_QUERY ? c.max : TCP_MAX_QUERY;
	c.cap = 2 + c.max;
	for (size_t i = 1; i < size && !c.closed;) {
		uint8_t op = data[i++];
		if (op & 0x80) {
			/* An answer goes out or is done: reading stops, or resumes with what waited. */
			c.writing = !c.writing;
			if (!c.writing)
				process(&c);
			deliver(&c);
			continue;
		}
		size_t n = (size_t)(op & 0x3f) + 1;
		n *= (op & 0x40) ? 64 : 1;
		n = n < size - i ? n : size - i;
		n = n < sizeof(stream) - c.sent ? n : sizeof(stream) - c.sent;
		memcpy(stream + c.sent, data + i, n);
		c.sent += n;
		i += n;
		deliver(&c);
	}
	/* The last answer goes out: what waited in the socket is read. */
	c.writing = false;
	process(&c);
	deliver(&c);

	bool bad;
	size_t nwant = reference(c.sent, c.max, want, &bad);
	if (c.closed != bad || c.ngot != nwant ||
	    memcmp(c.got, want, nwant * sizeof(want[0])) != 0)
		abort();
	/* Nothing was read past a bad length; everything was read otherwise. */
	if (!c.closed && c.taken != c.sent)
		abort();
	mdb_cursor_close(cur);
	store_abort(&txn);
	return 0;
}
