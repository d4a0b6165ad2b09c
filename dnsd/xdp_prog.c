/*
 * The XDP program, written as BPF instructions here rather than built by clang: it is short,
 * and dnsd then needs no BPF compiler nor object file. It redirects a frame to the AF_XDP
 * socket of its receive queue when it is IPv4 (no options, no fragment) or IPv6 (UDP as the
 * first header) to the port, with a DNS header that says query (QR 0, opcode QUERY).
 * Everything else, and every frame of a queue without a socket, goes on to the kernel:
 * UPDATE, NOTIFY, ARP, ICMP, TCP and other ports reach dnsd's sockets or whoever else.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include "dnsd/xdp_prog.h"

#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX(sz, d, s, o)     INSN(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define MOV_REG(d, s)        INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV_IMM(d, i)        INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define ADD_IMM(d, i)        INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define AND_IMM(d, i)        INSN(BPF_ALU64 | BPF_AND | BPF_K, d, 0, 0, i)
#define JGT_REG(d, s, l)     INSN(BPF_JMP | BPF_JGT | BPF_X, d, s, l, 0)
#define JEQ_IMM(d, i, l)     INSN(BPF_JMP | BPF_JEQ | BPF_K, d, 0, l, i)
#define JNE_IMM(d, i, l)     INSN(BPF_JMP | BPF_JNE | BPF_K, d, 0, l, i)
#define JA(l)                INSN(BPF_JMP | BPF_JA, 0, 0, l, 0)
#define CALL(f)              INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT()               INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define LD_MAP(d, fd)        INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd), \
                             INSN(0, 0, 0, 0, 0)

/* Jump targets as labels: LABEL marks a place and is not an instruction; a jump's offset
 * holds the label until layout() turns it into the distance. */
enum { L_PASS = 0x7f00, L_IP6, L_REDIRECT, L_END };
#define LABEL_CODE 0xff
#define LABEL(l)             INSN(LABEL_CODE, 0, 0, l, 0)

#define R_DATA 2
#define R_END 3
#define R_TMP 4
#define R_VAL 5
#define R_CTX 6

/* Offsets in the frame: Ethernet 14, then IPv4 (20) or IPv6 (40), UDP (8), the DNS header. */
#define OFF_ETHERTYPE 12
#define OFF_IP4_VIHL 14
#define OFF_IP4_FRAG 20
#define OFF_IP4_PROTO 23
#define OFF_IP4_DPORT 36
#define OFF_IP4_FLAGS 44
#define OFF_IP6_NEXT 20
#define OFF_IP6_DPORT 56
#define OFF_IP6_FLAGS 64
#define MIN_IP4 54
#define MIN_IP6 74
#define QR_OPCODE 0xf8                /* QR and the opcode, in the header's third byte */

/* Copies code[0..n) to p without its labels, jumps resolved; returns the count written. */
static size_t layout(struct bpf_insn *p, const struct bpf_insn *code, size_t n)
{
	long at[L_END - L_PASS] = { 0 };
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		if (code[i].code == LABEL_CODE)
			at[code[i].off - L_PASS] = (long)out;
		else
			out++;
	}
	out = 0;
	for (size_t i = 0; i < n; i++) {
		if (code[i].code == LABEL_CODE)
			continue;
		p[out] = code[i];
		if (BPF_CLASS(p[out].code) == BPF_JMP && p[out].off >= L_PASS && p[out].off < L_END)
			p[out].off = (int16_t)(at[p[out].off - L_PASS] - (long)out - 1);
		out++;
	}
	return out;
}

static size_t program(struct bpf_insn *p, uint16_t port, int map_fd)
{
	/* Halfwords are loaded as the host reads memory: compare with network-order values. */
	int32_t ip4 = htons(0x0800), ip6 = htons(0x86dd), dport = htons(port);
	int32_t frag = htons(0x3fff);
	const struct bpf_insn code[] = {
		MOV_REG(R_CTX, 1),
		LDX(BPF_W, R_DATA, R_CTX, offsetof(struct xdp_md, data)),
		LDX(BPF_W, R_END, R_CTX, offsetof(struct xdp_md, data_end)),
		MOV_REG(R_TMP, R_DATA),
		ADD_IMM(R_TMP, MIN_IP4),
		JGT_REG(R_TMP, R_END, L_PASS),
		LDX(BPF_H, R_VAL, R_DATA, OFF_ETHERTYPE),
		JEQ_IMM(R_VAL, ip6, L_IP6),
		JNE_IMM(R_VAL, ip4, L_PASS),
		LDX(BPF_B, R_VAL, R_DATA, OFF_IP4_VIHL),
		JNE_IMM(R_VAL, 0x45, L_PASS),
		LDX(BPF_B, R_VAL, R_DATA, OFF_IP4_PROTO),
		JNE_IMM(R_VAL, IPPROTO_UDP, L_PASS),
		LDX(BPF_H, R_VAL, R_DATA, OFF_IP4_FRAG),
		AND_IMM(R_VAL, frag),
		JNE_IMM(R_VAL, 0, L_PASS),
		LDX(BPF_H, R_VAL, R_DATA, OFF_IP4_DPORT),
		JNE_IMM(R_VAL, dport, L_PASS),
		LDX(BPF_B, R_VAL, R_DATA, OFF_IP4_FLAGS),
		AND_IMM(R_VAL, QR_OPCODE),
		JNE_IMM(R_VAL, 0, L_PASS),
		JA(L_REDIRECT),
		LABEL(L_IP6),
		MOV_REG(R_TMP, R_DATA),
		ADD_IMM(R_TMP, MIN_IP6),
		JGT_REG(R_TMP, R_END, L_PASS),
		LDX(BPF_B, R_VAL, R_DATA, OFF_IP6_NEXT),
		JNE_IMM(R_VAL, IPPROTO_UDP, L_PASS),
		LDX(BPF_H, R_VAL, R_DATA, OFF_IP6_DPORT),
		JNE_IMM(R_VAL, dport, L_PASS),
		LDX(BPF_B, R_VAL, R_DATA, OFF_IP6_FLAGS),
		AND_IMM(R_VAL, QR_OPCODE),
		JNE_IMM(R_VAL, 0, L_PASS),
		LABEL(L_REDIRECT),     /* bpf_redirect_map(map, rx_queue_index, XDP_PASS) */
		LDX(BPF_W, 2, R_CTX, offsetof(struct xdp_md, rx_queue_index)),
		LD_MAP(1, map_fd),
		MOV_IMM(3, XDP_PASS),
		CALL(BPF_FUNC_redirect_map),
		EXIT(),
		LABEL(L_PASS),
		MOV_IMM(0, XDP_PASS),
		EXIT(),
	};
	return layout(p, code, sizeof(code) / sizeof(code[0]));
}

int xdp_prog_load(uint16_t port, uint32_t nqueues, int *prog_fd, int *map_fd, char *err,
                  size_t errlen)
{
	struct bpf_insn insns[64];
	static char log[4096];
	*prog_fd = -1;
	*map_fd = bpf_map_create(BPF_MAP_TYPE_XSKMAP, "dnsd_xsks", 4, 4, nqueues, NULL);
	if (*map_fd < 0) {
		snprintf(err, errlen, "cannot create the socket map: %s", strerror(errno));
		return -1;
	}
	size_t n = program(insns, port, *map_fd);
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = sizeof(log),
	            .log_level = 0);
	*prog_fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "dnsd_xdp", "GPL", insns, n, &opts);
	if (*prog_fd < 0) {
		int e = errno;
		/* The verifier's words only come with a log level: ask again for them. */
		opts.log_level = 1;
		log[0] = 0;
		bpf_prog_load(BPF_PROG_TYPE_XDP, "dnsd_xdp", "GPL", insns, n, &opts);
		snprintf(err, errlen, "cannot load the XDP program: %s%s%.200s", strerror(e),
		         log[0] ? "; " : "", log);
		return -1;
	}
	return 0;
}

int xdp_prog_attach(int prog_fd, int ifindex, int *generic, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = XDP_FLAGS_DRV_MODE);
	*generic = 0;
	int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EINVAL)) {
		opts.flags = XDP_FLAGS_SKB_MODE;
		*generic = 1;
		fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
	}
	if (fd < 0)
		snprintf(err, errlen, "cannot attach the XDP program: %s%s", strerror(errno),
		         errno == EBUSY || errno == EEXIST ? " (the interface has one already)" : "");
	return fd;
}
