# httpsd/: libhttpsd.a and httpsd (the daemon macro is in the Makefile).
$(eval $(call daemon,httpsd,HTTPSD))

# The httpsd system tests talk to it with curl and openssl s_client.
DEB_PACKAGES += curl openssl

# Only `make bench` needs these: nginx to compare with, OpenSSL headers for its load client.
BENCH_PACKAGES += nginx libssl-dev
