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
 * kubsd-guest's pieces that need no namespace: bundle.conf's reading
 * (what the goldens of regress/guest cannot see: the values it keeps,
 * comments, order, CRLF), tor's bootstrap lines, the status file, and
 * the answer of a (fake) wireguard-go control socket.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest.h"
#include "check.h"

static char	 dir[] = "/tmp/kubsd-unit-guest.XXXXXX";

static struct bundle *
read_text(const char *text, char *err, size_t len)
{
	char	 path[256];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/bundle.conf", dir);
	if ((fp = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, fp);
	fclose(fp);
	err[0] = '\0';
	return bundle_read(dir, err, len);
}

static void
test_bundle(void)
{
	struct bundle	*b;
	char		 err[ERRLEN], a[KADDR_STRLEN];

	/* Another order, tabs, comments, CRLF, trailing blanks. */
	b = read_text("# a wireguard gateway\r\n"
	    "ready wg-handshake\r\n"
	    "role\twireguard   # the role\r\n"
	    "name sys-wg\r\n"
	    "\r\n"
	    "upstream eth0 10.66.0.3/24 10.66.0.1 \r\n"
	    "downstream eth1 10.66.3.1/24\r\n"
	    "tunnel kw-sys-wg 10.99.0.2/32\r\n"
	    "endpoint 192.0.2.2 51820\r\n"
	    "endpoint 198.51.100.7 4500\r\n"
	    "client work 10.66.3.7 52:54:00:12:34:56\r\n"
	    "client home 10.66.3.8 52:54:00:AB:cd:ef\r\n", err, sizeof(err));
	CHECK(b != NULL, "wireguard bundle: %s", err);
	if (b == NULL)
		return;
	CHECK(strcmp(b->name, "sys-wg") == 0, "name %s", b->name);
	CHECK(b->role == ROLE_WIREGUARD, "role %d", b->role);
	CHECK(b->ready == READY_WG, "ready %d", b->ready);
	CHECK(strcmp(b->up.ifname, "eth0") == 0 && b->up.addr.prefixlen == 24,
	    "upstream %s", b->up.ifname);
	CHECK(strcmp(kaddr_host(&b->up.nexthop, a, sizeof(a)), "10.66.0.1")
	    == 0, "next hop %s", a);
	CHECK(strcmp(b->tunnel.ifname, "kw-sys-wg") == 0, "tunnel %s",
	    b->tunnel.ifname);
	CHECK(b->nendpoints == 2 && b->endpoints[1].port == 4500,
	    "endpoints %zu", b->nendpoints);
	CHECK(b->nclients == 2 && b->clients[1].mac[3] == 0xab &&
	    b->clients[1].mac[5] == 0xef, "clients %zu", b->nclients);
	CHECK(b->resolver.af == 0 && b->up6.lineno == 0, "absent keys");
	CHECK(strcmp(bundle_daemon_file(b), "wg.conf") == 0, "daemon file");
	bundle_free(b);

	b = read_text("name a\nrole sys-net\nupstream eth0 10.0.0.2/24 10.0.0.1\n"
	    "downstream eth1 10.1.0.1/24\n"
	    "upstream6 eth0 fd00::2/64 fd00::1\n"
	    "downstream6 eth1 fd01::1/64\nresolver fd00::53\nready applied\n",
	    err, sizeof(err));
	CHECK(b != NULL && b->up6.addr.af == AF_INET6 &&
	    b->resolver.af == AF_INET6 && bundle_daemon_file(b) == NULL,
	    "sys-net with IPv6: %s", err);
	bundle_free(b);

	/* One error, the first, with its line. */
	b = read_text("name a\nrole tor\nbogus 1\nmore 2\n", err, sizeof(err));
	CHECK(b == NULL && strcmp(err, "bundle.conf:3: unknown key \"bogus\"")
	    == 0, "unknown key: \"%s\"", err);
	b = read_text("", err, sizeof(err));
	CHECK(b == NULL && strcmp(err, "bundle.conf: no name line") == 0,
	    "empty file: \"%s\"", err);
	b = read_text("name a b\n", err, sizeof(err));
	CHECK(b == NULL && strcmp(err, "bundle.conf:1: name takes a name")
	    == 0, "two names: \"%s\"", err);
}

static void
test_tor(void)
{
	CHECK(tor_bootstrap("Nov 23 12:00:00.000 [notice] Bootstrapped 45% "
	    "(loading_descriptors): Loading relay descriptors") == 45, "45");
	CHECK(tor_bootstrap("[notice] Bootstrapped 100% (done): Done") == 100,
	    "100");
	CHECK(tor_bootstrap("[notice] Bootstrapped 0% (starting)") == 0, "0");
	CHECK(tor_bootstrap("[notice] Bootstrapped x%") == -1, "x");
	CHECK(tor_bootstrap("[notice] Bootstrapped 101%") == -1, "101");
	CHECK(tor_bootstrap("[notice] Bootstrapped 12") == -1, "no %%");
	CHECK(tor_bootstrap("[notice] Opening Socks listener") == -1, "other");
}

static void
test_status(void)
{
	char	 path[256], line[64];
	FILE	*fp;

	CHECK(status_write(dir, "starting bootstrapped %d%%", 5) == 0,
	    "status_write");
	CHECK(status_write(dir, "ready") == 0, "status_write");
	snprintf(path, sizeof(path), "%s/status", dir);
	line[0] = '\0';
	if ((fp = fopen(path, "r")) != NULL) {
		if (fgets(line, sizeof(line), fp) == NULL)
			line[0] = '\0';
		fclose(fp);
	}
	CHECK(strcmp(line, "ready\n") == 0, "status \"%s\"", line);
	/* the writer, so that netd believes it only from this process */
	snprintf(path, sizeof(path), "%s/status", dir);
	if ((fp = fopen(path, "r")) != NULL) {
		char	 who[64], want[64];

		if (fgets(line, sizeof(line), fp) == NULL ||
		    fgets(who, sizeof(who), fp) == NULL)
			who[0] = '\0';
		fclose(fp);
		snprintf(want, sizeof(want), "pid %ld %llu\n", (long)getpid(),
		    proc_starttime(getpid()));
		CHECK(proc_starttime(getpid()) != 0 && strcmp(who, want) == 0,
		    "status writer \"%s\", not \"%s\"", who, want);
	}
	CHECK(strcmp(status_get(), "ready") == 0, "status_get");
	snprintf(path, sizeof(path), "%s/status.tmp", dir);
	CHECK(access(path, F_OK) == -1, "status.tmp left behind");
}

/* A wireguard-go that answers one get=1 with two peers. */
static void
test_handshake(void)
{
	static const char answer[] =
	    "private_key=00\nlisten_port=0\n"
	    "public_key=11\nlast_handshake_time_sec=1700000000\n"
	    "last_handshake_time_nsec=5\n"
	    "public_key=22\nlast_handshake_time_sec=1700000100\n"
	    "last_handshake_time_nsec=0\nerrno=0\n\n";
	struct sockaddr_un sun;
	char		 ifname[16], buf[64];
	pid_t		 pid;
	int		 s, c, status;

	snprintf(ifname, sizeof(ifname), "kwu%ld", (long)getpid());
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s.sock",
	    GUEST_WG_RUNDIR, ifname);
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    (mkdir(GUEST_WG_RUNDIR, 0755) == -1 && errno != EEXIST) ||
	    bind(s, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(s, 1) == -1) {
		printf("skip handshake (%s: %s)\n", sun.sun_path,
		    strerror(errno));
		return;
	}
	if ((pid = fork()) == 0) {
		if ((c = accept(s, NULL, NULL)) != -1 &&
		    read(c, buf, sizeof(buf)) > 0)
			(void)!write(c, answer, sizeof(answer) - 1);
		_exit(0);
	}
	CHECK(wg_last_handshake(ifname) == 1700000100LL, "newest handshake");
	waitpid(pid, &status, 0);
	close(s);
	unlink(sun.sun_path);
	CHECK(wg_last_handshake(ifname) == -1, "no socket: -1");
}

int
main(void)
{
	char	 cmd[64];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_bundle();
	test_tor();
	test_status();
	test_handshake();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
	if (failures)
		fprintf(stderr, "%d failed\n", failures);
	return failures != 0;
}
