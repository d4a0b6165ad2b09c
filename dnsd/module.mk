# dnsd/: libdnsd.a and dnsd (the daemon macro is in the Makefile).
$(eval $(call daemon,dnsd,DNSD))
