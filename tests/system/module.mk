# tests/system/: helpers the system tests run (built with `all`, since `make system` needs them).
STS_PUT_BODY := $(BUILD)/tests/sts_put_body

$(STS_PUT_BODY): $(OBJ)/tests/system/sts_put_body.o $(LIBSHARED)
	$(call link)

ALL_BINS += $(STS_PUT_BODY)

# test_metrics.py checks both daemons' /metrics with promtool and scrapes them with Prometheus.
DEB_PACKAGES += prometheus

# test_tlsrpt_postfix.py pipes report mails through a Postfix of its own into tlsrpt ingest.
DEB_PACKAGES += postfix
