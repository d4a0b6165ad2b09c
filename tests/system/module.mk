# tests/system/: helpers the system tests run (built with `all`, since `make system` needs them).
STS_PUT_BODY := $(BUILD)/tests/sts_put_body

$(STS_PUT_BODY): $(OBJ)/tests/system/sts_put_body.o $(LIBSHARED)
	$(call link)

ALL_BINS += $(STS_PUT_BODY)

# test_acme_alpn.py: puts a tls-alpn-01 validation certificate in the store.
ACME_ALPN_PUT := $(BUILD)/tests/acme_alpn_put

$(ACME_ALPN_PUT): $(OBJ)/tests/system/acme_alpn_put.o $(LIBSHARED)
	$(call link)

ALL_BINS += $(ACME_ALPN_PUT)

# acme_mock.py (the ACME test server) makes its CAs and certificates with python3-cryptography;
# test_acme_alpn.py has Pebble validate tls-alpn-01 against httpsd.
DEB_PACKAGES += python3-cryptography pebble

# test_metrics.py checks both daemons' /metrics with promtool and scrapes them with Prometheus.
DEB_PACKAGES += prometheus

# test_tlsrpt_postfix.py pipes report mails through a Postfix of its own into tlsrpt ingest.
DEB_PACKAGES += postfix
