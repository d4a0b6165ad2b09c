/*
 * Microseconds per operation of the public-key work in a TLS 1.2 ECDHE-ECDSA handshake, in the
 * mbedTLS httpsd links: ECDSA P-256 sign (server), verify (client), and one side's ECDHE (key
 * generation plus shared secret) on P-256 and X25519. Prints one "name microseconds" line each;
 * bench_https.py sets these beside `openssl speed` for the same operations.
 * usage: tls_cost [SECONDS per operation]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/entropy.h>
#include <mbedtls/sha256.h>

static mbedtls_ctr_drbg_context drbg;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define TIMED(name, secs, body)                                                   \
	do {                                                                          \
		long n_ = 0;                                                              \
		double t0_ = now(), t_;                                                   \
		do {                                                                      \
			body;                                                                 \
			n_++;                                                                 \
		} while ((t_ = now() - t0_) < (secs));                                    \
		printf("%s %.1f\n", name, t_ * 1e6 / (double)n_);                         \
	} while (0)

/* One side's ECDHE: a fresh key pair, then the shared secret with a fixed peer public key. */
static void ecdh(const char *name, mbedtls_ecp_group_id id, double secs)
{
	mbedtls_ecdh_context a, peer;
	unsigned char pub[128], buf[128];
	size_t plen, olen;
	mbedtls_ecdh_init(&peer);
	mbedtls_ecdh_setup(&peer, id);
	mbedtls_ecdh_make_public(&peer, &plen, pub, sizeof(pub), mbedtls_ctr_drbg_random, &drbg);
	TIMED(name, secs, {
		mbedtls_ecdh_init(&a);
		mbedtls_ecdh_setup(&a, id);
		mbedtls_ecdh_make_public(&a, &olen, buf, sizeof(buf), mbedtls_ctr_drbg_random, &drbg);
		mbedtls_ecdh_read_public(&a, pub, plen);
		mbedtls_ecdh_calc_secret(&a, &olen, buf, sizeof(buf), mbedtls_ctr_drbg_random, &drbg);
		mbedtls_ecdh_free(&a);
	});
	mbedtls_ecdh_free(&peer);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	mbedtls_entropy_context ent;
	mbedtls_ecdsa_context key;
	unsigned char hash[32] = { 1 }, sig[MBEDTLS_ECDSA_MAX_LEN];
	size_t slen;
	mbedtls_entropy_init(&ent);
	mbedtls_ctr_drbg_init(&drbg);
	mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0);
	mbedtls_ecdsa_init(&key);
	if (mbedtls_ecdsa_genkey(&key, MBEDTLS_ECP_DP_SECP256R1, mbedtls_ctr_drbg_random, &drbg) != 0)
		return 1;
	TIMED("ecdsa_p256_sign", secs,
	      mbedtls_ecdsa_write_signature(&key, MBEDTLS_MD_SHA256, hash, 32, sig, &slen,
	                                    mbedtls_ctr_drbg_random, &drbg));
	TIMED("ecdsa_p256_verify", secs, mbedtls_ecdsa_read_signature(&key, hash, 32, sig, slen));
	ecdh("ecdhe_p256_one_side", MBEDTLS_ECP_DP_SECP256R1, secs);
	ecdh("ecdhe_x25519_one_side", MBEDTLS_ECP_DP_CURVE25519, secs);
	mbedtls_ecdsa_free(&key);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&ent);
	return 0;
}
