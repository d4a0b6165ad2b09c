# dnsd/: libdnsd.a and dnsd (the daemon macro is in the Makefile).
$(eval $(call daemon,dnsd,DNSD))

# AF_XDP (xdp.c, xdp_prog.c): only dnsd links libxdp and libbpf, so zonectl starts without them.
XDP_LIBS := -lxdp -lbpf
$(DNSD): LDLIBS += $(XDP_LIBS)
