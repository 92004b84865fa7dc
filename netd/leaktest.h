/*
 * Copyright (c) 2026 The kubsd authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * kubsd-net (Makefile NET_SRCS): the leak test the CLI runs itself.
 *
 * kubsd-net leaktest: tagged probes of every class sent from inside a
 * VM's compartment while the interfaces of its chain are captured.
 *
 * leaktest.c plans the test from kubsd-netd's status (which interfaces
 * to capture, which probes to send, where each may appear in clear);
 * leaktest-linux.c runs it (captures in kubsd-netd's namespace, probes
 * from the compartment, or from inside a QEMU VM: kubsd-guest probe
 * run by the VM's agent); leaktest_print.c judges and prints the
 * result.
 */
#ifndef LEAKTEST_H
#define LEAKTEST_H

#include <sys/types.h>
#include <sys/socket.h>
#include <stdint.h>

#include "kubsd.h"
#include "probe.h"

#define LT_MAXIF	32
#define LT_MAXPROBE	32
#define LT_NAMELEN	48

enum lt_class {
	LT_TCP, LT_UDP, LT_ICMP, LT_DNS, LT_IPV6, LT_SPOOF, LT_VM, LT_HOST
};

/* An interface captured in the host namespace. */
struct lt_if {
	char		 name[KUBSD_IFNAMSIZ];
	const char	*what;		/* "vm port", "gw-a down", ... */
	int		 down;		/* could not be captured: down */
};

struct lt_probe {
	char			 name[LT_NAMELEN];	/* "tcp", "vm-other" */
	enum lt_class		 class;
	struct probe_spec	 s;	/* what is sent; tag RUN-NAME */
	char			 target[KADDR_STRLEN];	/* printable */
	uint32_t		 expect;	/* bits: lt_if indexes */
	uint32_t		 seen;
	enum probe_result	 result;
	char			 err[256];
};

struct leaktest {
	char		 vm[LT_NAMELEN];
	char		 netns[LT_NAMELEN + 8];	/* kubsd-VM, or "" */
	char		 exec[108];	/* a QEMU VM's agent: exec.sock */
	uint8_t		 vmmac[6];
	char		 chain[LT_NAMELEN];	/* "none": offline */
	char		 path[256];	/* "gw-a (sys-net) -> wan" */
	char		 run[16];	/* random part of the tags */
	char		 target[KADDR_STRLEN], target6[KADDR_STRLEN];
	int		 port;		/* tcp */
	int		 waitms;	/* per answered probe */
	struct lt_if	 ifs[LT_MAXIF];
	size_t		 nifs;
	struct lt_probe	 probes[LT_MAXPROBE];
	size_t		 nprobes;
};

/* A probe's result, from the prober to lt_run(); idx UINT32_MAX: failed. */
struct lt_report {
	uint32_t	 idx;
	int32_t		 result;
	char		 err[256];
};

/*
 * What the plan asks of the host: whether a compartment exists (1), an
 * interface's IPv4 address and MAC (-1: no such interface), the IPv4
 * default route's next hop (via an interface; -1: none).
 */
struct lt_host {
	int	(*has_compartment)(const char *);
	int	(*host_if)(const char *, struct sockaddr_storage *,
		    uint8_t[6]);
	int	(*default_gw)(const char *, char *, size_t);
};

/*
 * leaktest.c: these return 0, 1 (a leak) or 2 (usage, an error, or a
 * probe that could not be tested)
 */
int	 leaktest_args(struct leaktest *, int *, int, char **);
/* the status of the nodes, then of the VMs (kubsd-vm status -j) */
int	 leaktest_plan(struct leaktest *, const char *, size_t,
	    const char *, size_t, const struct lt_host *);
int	 leaktest_main(struct leaktest *, int, int, const char *, size_t,
	    const char *, size_t);
struct lt_probe	*leaktest_probe(struct leaktest *, const char *);

/* leaktest_print.c */
int		 leaktest_leaked(const struct lt_probe *);
int		 leaktest_untested(const struct lt_probe *);
const char	*leaktest_verdict(const struct lt_probe *);
int		 leaktest_status(const struct leaktest *);
const char	*leaktest_iflist(const struct leaktest *, uint32_t, char *,
		    size_t);
void		 leaktest_print_table(const struct leaktest *);
void		 leaktest_print_json(const struct leaktest *, int);
void		 leaktest_report_leaks(const struct leaktest *);
void		 leaktest_report_untested(const struct leaktest *);

/* leaktest_vm.c: the prober's reports; a QEMU VM's prober */
void	 lt_report(int, uint32_t, enum probe_result, const char *);
__attribute__((noreturn)) void lt_vmprober(const struct leaktest *, int);

/* leaktest-linux.c */
extern const struct lt_host lt_host_linux;
int	 lt_enter_daemon(int, char *, size_t);
int	 lt_random(char *, size_t);
int	 lt_run(struct leaktest *, char *, size_t);

#endif
