# Copyright (c) 2026 The kubsd authors
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.

# kubsd: GNU make.
#
#	make			kubsd-netd, kubsd-net, kubsd-guest
#	make asan		the same with ASan+UBSan (clang): *-asan
#	make check		deps, all, asan, then regress/run.sh
#	make demo		deps, all, then regress/demo.sh
#	make install		DESTDIR= PREFIX=/usr/local (and the systemd unit;
#				/etc/kubsd/netd.conf when there is none)
#	make deps		the Debian packages the build and tests need

MAKEFLAGS += --no-print-directory
PREFIX	?= /usr/local
DESTDIR	?=
MANDIR	?= $(PREFIX)/share/man
UNITDIR	?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
# the uplink of the first /etc/kubsd/netd.conf: the default route's
UPLINK	?= $(or $(shell ip -o route show default 2>/dev/null | \
	   awk '{ for (i = 1; i < NF; i++) if ($$i == "dev") { print $$(i + 1); exit } }'),eth0)
YACC	 = byacc
CFLAGS	?= -O2 -g
# byacc's output is not ours: quiet only its own warnings.
YACC_CFLAGS = -Wno-unused-but-set-variable -Wno-sign-compare \
	   -Wno-unused-parameter -Wno-unused-function

PLATFORM ?= linux

# What each program is, layer by layer, bottom up.  Every layer is an
# archive (obj/libNAME.a; obj-asan/ and obj-fuzz/ for the sanitizer and
# fuzzer builds), so a program holds only the objects it calls.  Lists
# ending in _linux are the host's backends: an OpenBSD port adds
# *_openbsd lists and builds with PLATFORM=openbsd; no other list changes.
#
# libkubsd: the configuration model and graph (netd/kubsd.h): netd.conf's
# parser, names resolved into a graph, addresses, printing, logging.
MODEL_SRCS = netd/addr.c netd/alloc.c netd/dot.c netd/file.c netd/graph.c \
	   netd/graph_move.c netd/log.c netd/printconf.c netd/share.c \
	   netd/sock.c netd/template.c netd/util.c
# librules: the rule compiler (pf/rules.h): graph -> intermediate rules
# -> nftables or pf text; the gateways' own firewalls (pf/gwfw.h); an
# OpenBSD host's plan (pf/openbsd.h).  Text only: no kernel, no daemon.
RULES_SRCS = pf/anchor.c pf/compile.c pf/compile_vm.c pf/emit_nft.c \
	   pf/emit_nft_chain.c pf/emit_nft_rule.c pf/emit_pf.c pf/gwfw.c \
	   pf/gwfw_nft.c pf/gwfw_pf.c pf/nft_words.c pf/openbsd_plan.c \
	   pf/openbsd_step.c pf/openbsd_units.c pf/openbsd_veb.c pf/openbsd_vm.c \
	   pf/vmport.c
# libctl: the control socket's protocol (netd/ctl.h): framing, the
# command table, the client side (CLIs) and the server side (daemon).
CTL_SRCS = netd/ctl_client.c netd/ctl_cmd.c netd/ctl_proto.c netd/ctl_server.c \
	   $(CTL_SRCS_$(PLATFORM))
CTL_SRCS_linux = netd/ctl_peer-linux.c
# liblink: the link backend (netd/link.h): interfaces, routes, network
# namespaces, and whether a kubsd-guest runs.
LINK_SRCS = $(LINK_SRCS_$(PLATFORM))
LINK_SRCS_linux = netd/link-linux.c netd/link-route-linux.c \
	   netd/link-set-linux.c netd/netns-linux.c netd/pidfile-linux.c \
	   netd/link-watch-linux.c
# libload: the rule loader (pf/load.h): a compiled ruleset into the kernel.
LOAD_SRCS = $(LOAD_SRCS_$(PLATFORM))
LOAD_SRCS_linux = pf/load-nft-linux.c pf/vmport-nl-linux.c
# OpenBSD: the host plan (pf/openbsd.h) run step by step; the executor
# is plain POSIX, built and tested on Linux too (regress/obsd/apply.c).
LOAD_SRCS_openbsd = pf/load-openbsd.c pf/openbsd_exec.c pf/openbsd_host.c
# libvm: what of the VM layer needs no daemon (netd/vm.h): QMP's
# replies, the console filter, kubsd-vm cp's header; menu entries
# (netd/menu.h): .desktop files, the manifest's apps, the host's entries;
# the agent channel's lines (netd/agentline.h, the guest's too).
VMLIB_SRCS = netd/agentline.c netd/console.c netd/cphdr.c netd/qmp.c \
	   netd/desktop.c netd/desktop_exec.c netd/desktop_line.c netd/menu.c \
	   netd/shquote.c \
	   $(VMLIB_SRCS_$(PLATFORM))
# a template's applications, read at its build (openat2, RESOLVE_IN_ROOT)
VMLIB_SRCS_linux = netd/apps-linux.c
#
# kubsd-netd, the daemon (netd/daemon.h): live mode, the control socket's
# handlers, attach, the nodes' live state, the state directory, the
# gateways' bundles, and the kernel's links made to match the graph.
NETD_SRCS = netd/netd.c netd/attach.c netd/bundle.c netd/control.c \
	   netd/daemon.c netd/live.c netd/state.c $(VMD_SRCS) \
	   $(NETD_SRCS_$(PLATFORM))
NETD_SRCS_linux = netd/gwguest-linux.c netd/topology-linux.c
NETD_SRCS_openbsd = netd/topology-openbsd.c
# The VM layer in the daemon (netd/vm.h): the lifecycle, disks, the
# handlers of kubsd-vm's requests, and the host's VM driver.
VMD_SRCS = netd/vm.c netd/vm_instance.c netd/disk.c netd/control_vm.c netd/gwvm.c \
	   netd/vmuser.c $(VMD_SRCS_$(PLATFORM))
VMD_SRCS_linux = netd/vm-qemu-linux.c netd/share-linux.c netd/vmmem-linux.c
NETD_LIBS = ctl load rules link vm kubsd
NETD_PKGS = jansson libevent libnftables libmnl libnftnl
# kubsd-net, the CLI (netd/ctl.h): requests to kubsd-netd, the offline
# commands on a configuration, and leaktest (netd/leaktest.h).
NET_SRCS = netd/kubsdnet.c netd/capture.c netd/leaktest.c \
	   netd/leaktest_print.c netd/leaktest_vm.c netd/probe_wire.c \
	   $(NET_SRCS_$(PLATFORM))
NET_SRCS_linux = netd/leaktest-linux.c netd/probe-linux.c
NET_LIBS = ctl rules link kubsd
NET_PKGS = jansson
# kubsd-vm, the VM CLI: template builds (the recipes in templates/),
# requests to kubsd-netd, and the VM's console, log, agent and ssh.
VM_SRCS	 = netd/kubsdvm.c netd/menu_cli.c netd/vmcp.c netd/vmrun.c $(VM_SRCS_$(PLATFORM))
VM_SRCS_linux = netd/template_build-linux.c
VM_LIBS	 = ctl vm kubsd
VM_PKGS	 = jansson
# kubsd-guest, inside a gateway (guest/guest.h); inside a VM, it sends
# leaktest's probes with kubsd-net's code (netd/probe.h).
GUEST_SRCS = guest/guest.c guest/bundle_check.c guest/bundle_read.c \
	   guest/plan.c guest/role_tor.c guest/role_wg.c guest/status.c \
	   guest/supervise.c guest/prober.c netd/agentline.c netd/probe_wire.c \
	   $(GUEST_SRCS_$(PLATFORM))
GUEST_SRCS_linux = guest/acl-linux.c guest/apply-linux.c guest/proc-linux.c \
	   guest/agent-linux.c guest/agent_gw-linux.c guest/agent_relay.c \
	   netd/probe-linux.c
GUEST_LIBS = link kubsd
GUEST_PKGS = libevent libnftables libmnl


LIBNAMES = kubsd rules ctl link load vm
LIBSRCS_kubsd = $(MODEL_SRCS)
LIBSRCS_rules = $(RULES_SRCS)
LIBSRCS_ctl = $(CTL_SRCS)
LIBSRCS_link = $(LINK_SRCS)
LIBSRCS_load = $(LOAD_SRCS)
LIBSRCS_vm = $(VMLIB_SRCS)
# libkubsd also holds the parser byacc makes from netd/parse.y.
LIBEXTRA_kubsd = parse.o
MAINS	 = netd/netd.c netd/kubsdnet.c guest/guest.c netd/kubsdvm.c
# Tests, fuzzers and benchmarks link the programs' objects but their mains.
TESTSRCS = $(sort $(filter-out $(MAINS),$(NETD_SRCS) $(NET_SRCS) \
	   $(GUEST_SRCS)))
ALL_LIBS = $(NETD_LIBS)

# Objects of a source list in a build directory; archives of lib names.
objs	 = $(patsubst %.c,$(1)/%.o,$(2))
libs	 = $(patsubst %,$(1)/lib%.a,$(2))

# Include paths per layer: the model sees only netd/, the compiler pf/
# and the model, the guest guest/ and the model and link backend.
INC	 = -Inetd -Ipf -Iguest -Iobj
KCFLAGS	 = -std=c11 -D_GNU_SOURCE $(CFLAGS) -Wall -Wextra -Werror $(INC)
obj/pf/%.o obj-asan/pf/%.o obj-fuzz/pf/%.o: INC = -Ipf -Inetd -Iobj
obj/guest/%.o obj-asan/guest/%.o: INC = -Iguest -Inetd -Iobj

# Libraries, by pkg-config name, per program.  libpcap only for what
# captures (kubsd-net leaktest, the tools, the tests): the daemon does not
# link it.
PKG_CONFIG ?= pkg-config
HAVE_PKGCONF := $(shell command -v $(PKG_CONFIG) 2>/dev/null)
pkglibs	 = $(if $(HAVE_PKGCONF),$(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null))
ifneq ($(HAVE_PKGCONF),)
KCFLAGS	+= $(shell $(PKG_CONFIG) --cflags $(NETD_PKGS) libpcap 2>/dev/null)
endif
PCAPLIBS = $(shell $(PKG_CONFIG) --libs libpcap 2>/dev/null || echo -lpcap)
NETD_LDLIBS = $(call pkglibs,$(NETD_PKGS))
NET_LDLIBS = $(call pkglibs,$(NET_PKGS)) $(PCAPLIBS)
GUEST_LDLIBS = $(call pkglibs,$(GUEST_PKGS))
VM_LDLIBS = $(call pkglibs,$(VM_PKGS))
TEST_LDLIBS = $(call pkglibs,$(NETD_PKGS)) $(PCAPLIBS)

ASAN_CC	 = clang
SANITIZE = -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all
FUZZ_SANITIZE = -fsanitize=fuzzer-no-link,address,undefined \
	   -fno-omit-frame-pointer -fno-sanitize-recover=all

PROGS	 = kubsd-netd kubsd-net kubsd-guest kubsd-vm
UNITS	 = $(patsubst regress/unit/%.c,obj-asan/unit/%,$(wildcard regress/unit/*.c))
NETTESTS = $(patsubst regress/net/%.c,obj-asan/net/%,$(wildcard regress/net/*.c))
OBSDTESTS = obj-asan/obsd/apply
FUZZERS	 = $(patsubst regress/fuzz/%.c,obj-fuzz/%,$(wildcard regress/fuzz/fuzz_*.c))
TOOLS	 = $(patsubst regress/tools/%.c,obj/tools/%,$(wildcard regress/tools/*.c))

DEBS	 = build-essential byacc mandoc clang libclang-rt-14-dev llvm \
	   nftables iproute2 libnftables-dev libnftnl-dev libmnl-dev libevent-dev \
	   libjansson-dev libpcap-dev pkg-config graphviz tor \
	   wireguard-tools wireguard-go iperf3 hyperfine iputils-ping curl python3 util-linux \
	   qemu-system-x86 qemu-utils mmdebstrap busybox-static e2fsprogs cpio zstd \
	   openssh-client acl desktop-file-utils xauth xvfb x11-utils x11-apps \
	   xdotool netpbm

.PHONY: all asan check demo bench deps install clean lint-man qemu-user \
	regress-units fuzz tools

all: $(PROGS)

asan: kubsd-netd-asan kubsd-net-asan kubsd-guest-asan kubsd-vm-asan

# The archives, in each build directory.
define archive
$(1)/lib$(2).a: $(call objs,$(1),$(LIBSRCS_$(2))) $(addprefix $(1)/,$(LIBEXTRA_$(2)))
	@rm -f $$@
	$$(AR) rcs $$@ $$^
endef
$(foreach d,obj obj-asan obj-fuzz,$(foreach l,$(LIBNAMES),\
	$(eval $(call archive,$(d),$(l)))))

kubsd-netd: $(call objs,obj,$(NETD_SRCS)) $(call libs,obj,$(NETD_LIBS))
	$(CC) $(KCFLAGS) $(LDFLAGS) -o $@ $^ $(NETD_LDLIBS)
kubsd-net: $(call objs,obj,$(NET_SRCS)) $(call libs,obj,$(NET_LIBS))
	$(CC) $(KCFLAGS) $(LDFLAGS) -o $@ $^ $(NET_LDLIBS)
kubsd-guest: $(call objs,obj,$(GUEST_SRCS)) $(call libs,obj,$(GUEST_LIBS))
	$(CC) $(KCFLAGS) $(LDFLAGS) -o $@ $^ $(GUEST_LDLIBS)
kubsd-vm: $(call objs,obj,$(VM_SRCS)) $(call libs,obj,$(VM_LIBS))
	$(CC) $(KCFLAGS) $(LDFLAGS) -o $@ $^ $(VM_LDLIBS)
kubsd-vm-asan: $(call objs,obj-asan,$(VM_SRCS)) \
	    $(call libs,obj-asan,$(VM_LIBS))
	$(ASAN_CC) $(KCFLAGS) $(SANITIZE) $(LDFLAGS) -o $@ $^ $(VM_LDLIBS)
kubsd-netd-asan: $(call objs,obj-asan,$(NETD_SRCS)) \
	    $(call libs,obj-asan,$(NETD_LIBS))
	$(ASAN_CC) $(KCFLAGS) $(SANITIZE) $(LDFLAGS) -o $@ $^ $(NETD_LDLIBS)
kubsd-net-asan: $(call objs,obj-asan,$(NET_SRCS)) \
	    $(call libs,obj-asan,$(NET_LIBS))
	$(ASAN_CC) $(KCFLAGS) $(SANITIZE) $(LDFLAGS) -o $@ $^ $(NET_LDLIBS)
kubsd-guest-asan: $(call objs,obj-asan,$(GUEST_SRCS)) \
	    $(call libs,obj-asan,$(GUEST_LIBS))
	$(ASAN_CC) $(KCFLAGS) $(SANITIZE) $(LDFLAGS) -o $@ $^ $(GUEST_LDLIBS)

obj/parse.c: netd/parse.y
	@mkdir -p $(@D)
	$(YACC) -d -o $@ $<

# Every object waits for parse.c (and its parse.h) to exist.
obj/%.o: %.c | obj/parse.c
	@mkdir -p $(@D)
	$(CC) $(KCFLAGS) -MMD -MP -c -o $@ $<
obj/parse.o: obj/parse.c
	$(CC) $(KCFLAGS) $(YACC_CFLAGS) -MMD -MP -c -o $@ $<
obj-asan/%.o: %.c | obj/parse.c
	@mkdir -p $(@D)
	$(ASAN_CC) $(KCFLAGS) $(SANITIZE) -MMD -MP -c -o $@ $<
obj-asan/parse.o: obj/parse.c
	@mkdir -p $(@D)
	$(ASAN_CC) $(KCFLAGS) $(YACC_CFLAGS) $(SANITIZE) -MMD -MP -c -o $@ $<
obj-fuzz/%.o: %.c | obj/parse.c
	@mkdir -p $(@D)
	$(ASAN_CC) $(KCFLAGS) $(FUZZ_SANITIZE) -MMD -MP -c -o $@ $<
obj-fuzz/parse.o: obj/parse.c
	@mkdir -p $(@D)
	$(ASAN_CC) $(KCFLAGS) $(YACC_CFLAGS) $(FUZZ_SANITIZE) -MMD -MP -c -o $@ $<

# Test programs, with sanitizers: regress/unit/NAME.c -> obj-asan/unit/NAME
# (exit 0 = pass), regress/net/NAME.c -> obj-asan/net/NAME (run by the
# regress/net/*.sh scripts).
regress-units: $(UNITS) $(NETTESTS) $(OBSDTESTS)
TESTOBJS_ASAN = $(call objs,obj-asan,$(TESTSRCS)) $(call libs,obj-asan,$(ALL_LIBS))
obj-asan/unit/%: regress/unit/%.c $(wildcard regress/unit/*.h) $(TESTOBJS_ASAN)
	@mkdir -p $(@D)
	$(ASAN_CC) $(KCFLAGS) $(SANITIZE) $(LDFLAGS) -o $@ $(filter-out %.h,$^) \
	    $(TEST_LDLIBS)
obj-asan/net/%: regress/net/%.c $(TESTOBJS_ASAN)
	@mkdir -p $(@D)
	$(ASAN_CC) $(KCFLAGS) $(SANITIZE) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS)
# The OpenBSD backend, on Linux (regress/obsd/group.sh: stub programs).
obj-asan/obsd/apply: regress/obsd/apply.c \
	    $(call objs,obj-asan,$(LOAD_SRCS_openbsd) $(NETD_SRCS_openbsd)) \
	    $(call libs,obj-asan,rules kubsd)
	@mkdir -p $(@D)
	$(ASAN_CC) $(KCFLAGS) $(SANITIZE) $(LDFLAGS) -o $@ $^

# libFuzzer harnesses: regress/fuzz/fuzz_NAME.c -> obj-fuzz/fuzz_NAME.
fuzz: $(FUZZERS)
obj-fuzz/fuzz_%: regress/fuzz/fuzz_%.c $(call libs,obj-fuzz,ctl rules vm kubsd)
	$(ASAN_CC) $(KCFLAGS) -fsanitize=fuzzer,address,undefined \
	    -fno-omit-frame-pointer -fno-sanitize-recover=all \
	    $(LDFLAGS) -o $@ $^ $(call pkglibs,$(NET_PKGS))
# what a VM's kubsd-guest probe says, and what it is told
obj-fuzz/fuzz_probe: obj-fuzz/netd/probe_wire.o

# Test helpers (packet capture and probes) for the integration tests,
# on the capture and probe code kubsd-net leaktest uses.
TOOLOBJS = obj/netd/capture.o obj/netd/probe-linux.o obj/netd/probe_wire.o
tools: $(TOOLS)
obj/tools/%: regress/tools/%.c $(TOOLOBJS)
	@mkdir -p $(@D)
	$(CC) $(KCFLAGS) $(LDFLAGS) -o $@ $< $(TOOLOBJS) $(PCAPLIBS)

BENCHOBJS = $(call objs,obj,$(filter-out $(MAINS),$(NETD_SRCS))) \
	   $(call libs,obj,$(NETD_LIBS))
obj/bench_%: regress/bench/bench_%.c $(BENCHOBJS)
	$(CC) $(KCFLAGS) $(LDFLAGS) -o $@ $^ $(NETD_LDLIBS)

# check and demo run deps first, then a fresh make: the Makefile is read
# again once pkg-config and the libraries exist (and -j cannot reorder).
check: deps
	@$(MAKE) all asan regress-units
	@regress/run.sh

demo: deps
	@$(MAKE) all
	@regress/demo.sh

bench: all
	@if [ -x regress/bench/bench.sh ] || [ -f regress/bench/bench.sh ]; then \
		if [ -f regress/bench/bench_compile.c ]; then \
			$(MAKE) obj/bench_compile || exit 1; fi; \
		if [ -f regress/bench/bench_attach.c ]; then \
			$(MAKE) obj/bench_attach obj/bench_linkmove || exit 1; fi; \
		sh regress/bench/bench.sh; sh regress/bench/gateways.sh; \
		sh regress/bench/vm.sh; sh regress/bench/gwvm.sh; \
	else echo "bench: regress/bench/bench.sh not present"; fi

deps:
	@missing=; for p in $(DEBS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		    grep -q '^install ok installed$$' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -q && \
		apt-get install -y -q --no-install-recommends $$missing; \
	fi
	@$(MAKE) qemu-user

# QEMU's own unprivileged user (kubsd-netd runs every VM as it), and
# the group whose members may use kubsd-netd's socket and run programs
# in VMs as their user (kubsd-vm(8)).
qemu-user:
	@getent passwd _kubsd-qemu >/dev/null || \
	    useradd --system --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin --user-group _kubsd-qemu
	@getent group kubsd >/dev/null || groupadd --system kubsd

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(PREFIX)/share/examples/kubsd
	install -m 555 $(PROGS) $(DESTDIR)$(PREFIX)/sbin
	@[ -n "$(DESTDIR)" ] || $(MAKE) qemu-user
	install -m 444 $(wildcard man/*.5) $(DESTDIR)$(MANDIR)/man5
	install -m 444 $(wildcard man/*.8) $(DESTDIR)$(MANDIR)/man8
	install -d $(DESTDIR)$(PREFIX)/share/kubsd/templates/minimal \
	    $(DESTDIR)$(PREFIX)/share/kubsd/templates/debian
	install -m 444 templates/lib.sh $(DESTDIR)$(PREFIX)/share/kubsd/templates
	install -m 555 templates/minimal/build templates/minimal/init \
	    $(DESTDIR)$(PREFIX)/share/kubsd/templates/minimal
	install -m 555 $(wildcard templates/debian/*) \
	    $(DESTDIR)$(PREFIX)/share/kubsd/templates/debian
	install -m 444 etc/netd.conf \
	    $(DESTDIR)$(PREFIX)/share/examples/kubsd/netd.conf
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/local/sbin/kubsd-netd|$(PREFIX)/sbin/kubsd-netd|' \
	    etc/kubsd-netd.service >$(DESTDIR)$(UNITDIR)/kubsd-netd.service
	chmod 444 $(DESTDIR)$(UNITDIR)/kubsd-netd.service
	@# a first configuration, never over one that exists
	install -d $(DESTDIR)$(SYSCONFDIR)/kubsd
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/kubsd/netd.conf ]; then \
		echo "install: keeping $(DESTDIR)$(SYSCONFDIR)/kubsd/netd.conf"; \
	else \
		sed 's|@UPLINK@|$(UPLINK)|' etc/first.conf \
		    >$(DESTDIR)$(SYSCONFDIR)/kubsd/netd.conf && \
		chmod 644 $(DESTDIR)$(SYSCONFDIR)/kubsd/netd.conf && \
		echo "install: wrote $(DESTDIR)$(SYSCONFDIR)/kubsd/netd.conf (uplink $(UPLINK))"; \
	fi

lint-man:
	mandoc -Tlint -Wwarning man/*

clean:
	rm -rf obj obj-asan obj-fuzz $(PROGS) kubsd-netd-asan kubsd-net-asan \
	    kubsd-guest-asan kubsd-vm-asan

-include $(shell find obj obj-asan obj-fuzz -name '*.d' 2>/dev/null)
