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
#	make install		DESTDIR= PREFIX=/usr/local (and the systemd unit)
#	make deps		the Debian packages the build and tests need

MAKEFLAGS += --no-print-directory
PREFIX	?= /usr/local
DESTDIR	?=
MANDIR	?= $(PREFIX)/share/man
UNITDIR	?= $(PREFIX)/lib/systemd/system
YACC	 = byacc
CFLAGS	?= -O2 -g
KCFLAGS	 = -std=c11 -D_GNU_SOURCE $(CFLAGS) -Wall -Wextra -Werror \
	   -Inetd -Ipf -Iguest -Iobj
# byacc's output is not ours: quiet only its own warnings.
YACC_CFLAGS = -Wno-unused-but-set-variable -Wno-sign-compare \
	   -Wno-unused-parameter -Wno-unused-function

# Libraries, by pkg-config name: add them here as the code starts to use them
# (libnftables libmnl libevent jansson libpcap).
# libpcap only for what captures (kubsd-net leaktest, the tools, the
# tests): the daemon does not link it.
PKGS	 = libmnl jansson libevent libnftables libnftnl
PKG_CONFIG ?= pkg-config
ifneq ($(strip $(PKGS)),)
ifneq ($(shell command -v $(PKG_CONFIG) 2>/dev/null),)
KCFLAGS	+= $(shell $(PKG_CONFIG) --cflags $(PKGS) libpcap 2>/dev/null)
LDLIBS	+= $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
endif
endif
PCAPLIBS = $(shell $(PKG_CONFIG) --libs libpcap 2>/dev/null || echo -lpcap)

ASAN_CC	 = clang
SANITIZE = -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all
FUZZ_SANITIZE = -fsanitize=fuzzer-no-link,address,undefined \
	   -fno-omit-frame-pointer -fno-sanitize-recover=all

PROGS	 = kubsd-netd kubsd-net kubsd-guest
MAINS	 = netd/netd.c netd/kubsdnet.c
# kubsd-net leaktest: captures and probes, in kubsd-net alone.
LTSRCS	 = netd/capture.c netd/probe-linux.c netd/leaktest.c \
	   netd/leaktest-linux.c netd/leaktest_print.c
LIBSRCS	 = $(filter-out $(MAINS) $(LTSRCS),$(sort $(wildcard netd/*.c pf/*.c)))
LIBOBJS	 = $(LIBSRCS:%.c=obj/%.o) obj/parse.o
ASANOBJS = $(LIBSRCS:%.c=obj-asan/%.o) obj-asan/parse.o
# kubsd-guest: guest/, and of netd/ only logging, addresses and the link
# backend.  Unit tests link guest/'s objects besides netd's and pf's.
GUESTSRCS = $(filter-out guest/guest.c,$(sort $(wildcard guest/*.c)))
GUESTNETD = netd/addr.c netd/log.c netd/util.c netd/link-linux.c \
	   netd/link-set-linux.c netd/netns-linux.c
GUESTOBJS = $(GUESTSRCS:%.c=obj/%.o) $(GUESTNETD:%.c=obj/%.o)
GUESTASANOBJS = $(GUESTSRCS:%.c=obj-asan/%.o) $(GUESTNETD:%.c=obj-asan/%.o)
FUZZOBJS = $(LIBSRCS:%.c=obj-fuzz/%.o) obj-fuzz/parse.o
LTOBJS	 = $(LTSRCS:%.c=obj/%.o)
LTASANOBJS = $(LTSRCS:%.c=obj-asan/%.o)
UNITS	 = $(patsubst regress/unit/%.c,obj-asan/unit/%,$(wildcard regress/unit/*.c))
NETTESTS = $(patsubst regress/net/%.c,obj-asan/net/%,$(wildcard regress/net/*.c))
FUZZERS	 = $(patsubst regress/fuzz/%.c,obj-fuzz/%,$(wildcard regress/fuzz/fuzz_*.c))
TOOLS	 = $(patsubst regress/tools/%.c,obj/tools/%,$(wildcard regress/tools/*.c))

DEBS	 = build-essential byacc mandoc clang libclang-rt-14-dev llvm \
	   nftables iproute2 libnftables-dev libnftnl-dev libmnl-dev libevent-dev \
	   libjansson-dev libpcap-dev pkg-config graphviz tor \
	   wireguard-tools wireguard-go iperf3 hyperfine iputils-ping curl python3 util-linux

.PHONY: all asan check demo bench deps install clean lint-man \
	regress-units fuzz tools

all: $(PROGS)

asan: kubsd-netd-asan kubsd-net-asan kubsd-guest-asan

kubsd-netd: obj/netd/netd.o $(LIBOBJS)
	$(CC) $(KCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
kubsd-net: obj/netd/kubsdnet.o $(LIBOBJS) $(LTOBJS)
	$(CC) $(KCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(PCAPLIBS)
kubsd-guest: obj/guest/guest.o $(GUESTOBJS)
	$(CC) $(KCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
kubsd-netd-asan: obj-asan/netd/netd.o $(ASANOBJS)
	$(ASAN_CC) $(KCFLAGS) $(SANITIZE) $(LDFLAGS) -o $@ $^ $(LDLIBS)
kubsd-net-asan: obj-asan/netd/kubsdnet.o $(ASANOBJS) $(LTASANOBJS)
	$(ASAN_CC) $(KCFLAGS) $(SANITIZE) $(LDFLAGS) -o $@ $^ $(LDLIBS) \
	    $(PCAPLIBS)
kubsd-guest-asan: obj-asan/guest/guest.o $(GUESTASANOBJS)
	$(ASAN_CC) $(KCFLAGS) $(SANITIZE) $(LDFLAGS) -o $@ $^ $(LDLIBS)

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
regress-units: $(UNITS) $(NETTESTS)
obj-asan/unit/%: regress/unit/%.c $(wildcard regress/unit/*.h) $(ASANOBJS) \
	    $(GUESTSRCS:%.c=obj-asan/%.o) $(LTASANOBJS)
	@mkdir -p $(@D)
	$(ASAN_CC) $(KCFLAGS) $(SANITIZE) $(LDFLAGS) -o $@ $(filter-out %.h,$^) \
	    $(LDLIBS) $(PCAPLIBS)
obj-asan/net/%: regress/net/%.c $(ASANOBJS) $(LTASANOBJS)
	@mkdir -p $(@D)
	$(ASAN_CC) $(KCFLAGS) $(SANITIZE) $(LDFLAGS) -o $@ $^ $(LDLIBS) \
	    $(PCAPLIBS)

# libFuzzer harnesses: regress/fuzz/fuzz_NAME.c -> obj-fuzz/fuzz_NAME.
fuzz: $(FUZZERS)
obj-fuzz/fuzz_%: regress/fuzz/fuzz_%.c $(FUZZOBJS)
	$(ASAN_CC) $(KCFLAGS) -fsanitize=fuzzer,address,undefined \
	    -fno-omit-frame-pointer -fno-sanitize-recover=all \
	    $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Test helpers (packet capture and probes) for the integration tests,
# on the capture and probe code kubsd-net leaktest uses.
TOOLOBJS = obj/netd/capture.o obj/netd/probe-linux.o
tools: $(TOOLS)
obj/tools/%: regress/tools/%.c $(TOOLOBJS)
	@mkdir -p $(@D)
	$(CC) $(KCFLAGS) $(LDFLAGS) -o $@ $< $(TOOLOBJS) $(LDLIBS) $(PCAPLIBS)

obj/bench_compile: regress/bench/bench_compile.c $(LIBOBJS)
	$(CC) $(KCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
obj/bench_attach: regress/bench/bench_attach.c $(LIBOBJS)
	$(CC) $(KCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
obj/bench_linkmove: regress/bench/bench_linkmove.c $(LIBOBJS)
	$(CC) $(KCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

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

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(PREFIX)/share/examples/kubsd
	install -m 555 $(PROGS) $(DESTDIR)$(PREFIX)/sbin
	install -m 444 $(wildcard man/*.5) $(DESTDIR)$(MANDIR)/man5
	install -m 444 $(wildcard man/*.8) $(DESTDIR)$(MANDIR)/man8
	install -m 444 etc/netd.conf \
	    $(DESTDIR)$(PREFIX)/share/examples/kubsd/netd.conf
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/local/sbin/kubsd-netd|$(PREFIX)/sbin/kubsd-netd|' \
	    etc/kubsd-netd.service >$(DESTDIR)$(UNITDIR)/kubsd-netd.service
	chmod 444 $(DESTDIR)$(UNITDIR)/kubsd-netd.service

lint-man:
	mandoc -Tlint -Wwarning man/*

clean:
	rm -rf obj obj-asan obj-fuzz $(PROGS) kubsd-netd-asan kubsd-net-asan \
	    kubsd-guest-asan

-include $(shell find obj obj-asan obj-fuzz -name '*.d' 2>/dev/null)
