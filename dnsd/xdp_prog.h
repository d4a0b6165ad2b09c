/* The XDP program: plain UDP queries to one port go to the queue's AF_XDP socket. */
#ifndef DNSD_XDP_PROG_H
#define DNSD_XDP_PROG_H

#include <stddef.h>
#include <stdint.h>

/*
 * Loads the program for port and an XSKMAP of nqueues slots (by receive queue) into
 * *prog_fd and *map_fd. Returns 0, or -1 with the reason in err.
 */
int xdp_prog_load(uint16_t port, uint32_t nqueues, int *prog_fd, int *map_fd, char *err,
                  size_t errlen);
/*
 * Attaches prog_fd to interface ifindex through a BPF link: the link's fd, or -1 with the
 * reason in err. Native XDP when the driver has it, else the generic hook (*generic set).
 * Closing the fd detaches it, also when dnsd is killed: no program stays behind.
 */
int xdp_prog_attach(int prog_fd, int ifindex, int *generic, char *err, size_t errlen);

#endif
