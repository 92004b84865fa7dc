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
 * bundle_write(): files made with the right modes, rewritten only when
 * they change, key material and the torrc include read in, and errors
 * that name the gateway and the file.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubsd.h"
#include "bundle.h"
#include "check.h"

#define PRIVKEY	"yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
#define PSK	"FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="

static char	 tmp[256];

static void
put(const char *name, const char *fmt, ...)
{
	char	 path[512];
	FILE	*fp;
	va_list	 ap;

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	if ((fp = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	va_start(ap, fmt);
	vfprintf(fp, fmt, ap);
	va_end(ap);
	fclose(fp);
}

/* The contents of tmp/name, or "" (static buffer). */
static const char *
get(const char *name)
{
	static char	 buf[65536];
	char		 path[512];
	FILE		*fp;
	size_t		 n;

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	buf[0] = '\0';
	if ((fp = fopen(path, "r")) == NULL)
		return buf;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static int
mode_of(const char *name)
{
	char		 path[512];
	struct stat	 st;

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	if (stat(path, &st) == -1)
		return -1;
	return (int)(st.st_mode & 07777);
}

/* A wireguard gateway: sys-wg a compartment, vm-wg a VM (the default). */
#define WG_GW(name, driver)						\
	"gateway \"" name "\" {\n"						\
	"\trole wireguard\n"						\
	driver								\
	"\twireguard {\n"							\
	"\t\tprivate key file \"%s/wg.key\"\n"				\
	"\t\taddress 10.99.0.2/32\n"					\
	"\t\tpeer \"vpn\" {\n"						\
	"\t\t\tpublic key \"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\"\n"	\
	"\t\t\tpreshared key file \"%s/wg.psk\"\n"			\
	"\t\t\tendpoint 198.51.100.7 port 51820\n"			\
	"\t\t\tallowed ips 0.0.0.0/0\n"					\
	"\t\t}\n"								\
	"\t}\n"								\
	"}\n"

static void
write_conf(const char *torrc)
{
	put("netd.conf",
	    "uplink \"wan\" { interface \"eth0\"; resolver 192.0.2.53 }\n"
	    "gateway \"sys-net\" { role sys-net }\n"
	    "gateway \"sys-tor\" { role tor; torrc include \"%s/%s\" }\n"
	    WG_GW("sys-wg", "\tdriver netns\n")
	    WG_GW("vm-wg", "")
	    "chain \"tor\" { \"sys-tor\" \"sys-net\" \"wan\" }\n"
	    "chain \"vpn\" { \"sys-wg\" \"sys-net\" \"wan\" }\n"
	    "chain \"vpn2\" { \"vm-wg\" \"sys-net\" \"wan\" }\n"
	    "vm \"work\" { chain \"vpn\" }\n", tmp, torrc, tmp, tmp, tmp, tmp);
}

static struct netd_config *
load(void)
{
	struct netd_config	*conf;
	char			 path[512];

	snprintf(path, sizeof(path), "%s/netd.conf", tmp);
	if ((conf = parse_config(path)) == NULL || graph_build(conf) != 0) {
		fprintf(stderr, "FAIL: %s does not load\n", path);
		exit(1);
	}
	return conf;
}

static int
write_gw(struct netd_config *conf, const char *gw, char *err, size_t len)
{
	char	 dir[512];

	snprintf(dir, sizeof(dir), "%s/state/gateways/%s", tmp, gw);
	return bundle_write(conf, node_find(conf, gw), dir, err, len);
}

int
main(void)
{
	struct netd_config	*conf;
	char			 err[1024], cmd[600];
	int			 rv;

	snprintf(tmp, sizeof(tmp), "%s/kubsd-bundle.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	put("wg.key", "%s\n", PRIVKEY);
	put("wg.psk", "  %s  \n", PSK);
	put("test.torrc", "DirAuthority test 127.0.0.1:7000 AAAA\n"
	    "TestingTorNetwork 1");
	write_conf("test.torrc");
	conf = load();

	/* first write: everything new, modes right */
	rv = write_gw(conf, "sys-wg", err, sizeof(err));
	CHECK(rv == 1, "sys-wg first write: %d (%s)", rv, err);
	CHECK(mode_of("state/gateways") == 0700, "gateways/ mode %o",
	    mode_of("state/gateways"));
	CHECK(mode_of("state/gateways/sys-wg") == 0700, "sys-wg/ mode %o",
	    mode_of("state/gateways/sys-wg"));
	CHECK(mode_of("state/gateways/sys-wg/wg.conf") == 0600,
	    "wg.conf mode %o", mode_of("state/gateways/sys-wg/wg.conf"));
	CHECK(strstr(get("state/gateways/sys-wg/wg.conf"),
	    "PrivateKey = " PRIVKEY "\n") != NULL, "no private key inline");
	CHECK(strstr(get("state/gateways/sys-wg/wg.conf"),
	    "PresharedKey = " PSK "\n") != NULL, "no preshared key inline");
	CHECK(strstr(get("state/gateways/sys-wg/bundle.conf"),
	    "\ntunnel kw-sys-wg 10.99.0.2/32\n") != NULL, "no tunnel line");
	CHECK(strstr(get("state/gateways/sys-wg/rules.nft"),
	    "table inet kubsd_guest\ndelete table inet kubsd_guest\n") !=
	    NULL, "rules.nft does not replace the table");
	CHECK(get("state/gateways/sys-wg/torrc")[0] == '\0',
	    "torrc in a wireguard bundle");

	/* a gateway VM's: its keys are credentials, not in the bundle */
	rv = write_gw(conf, "vm-wg", err, sizeof(err));
	CHECK(rv == 1, "vm-wg first write: %d (%s)", rv, err);
	CHECK(strstr(get("state/gateways/vm-wg/wg.conf"),
	    "PrivateKey = <credential kubsd.wg.key>\n") != NULL,
	    "a gateway vm's private key is not a credential");
	CHECK(strstr(get("state/gateways/vm-wg/wg.conf"),
	    "PresharedKey = <credential kubsd.wg.psk.0>\n") != NULL,
	    "a gateway vm's preshared key is not a credential");
	CHECK(strstr(get("state/gateways/vm-wg/wg.conf"), PRIVKEY) == NULL &&
	    strstr(get("state/gateways/vm-wg/wg.conf"), PSK) == NULL,
	    "a key in a gateway vm's bundle");

	/* the same again: nothing changes */
	rv = write_gw(conf, "sys-wg", err, sizeof(err));
	CHECK(rv == 0, "sys-wg second write: %d (%s)", rv, err);

	/* a file changed behind netd's back is put back */
	put("state/gateways/sys-wg/rules.pf", "pass all\n");
	rv = write_gw(conf, "sys-wg", err, sizeof(err));
	CHECK(rv == 1, "sys-wg after tampering: %d (%s)", rv, err);
	CHECK(strstr(get("state/gateways/sys-wg/rules.pf"), "block all") !=
	    NULL, "rules.pf not restored");

	/* tor: the include after its comment, a final newline added */
	rv = write_gw(conf, "sys-tor", err, sizeof(err));
	CHECK(rv == 1, "sys-tor: %d (%s)", rv, err);
	snprintf(cmd, sizeof(cmd), "\n# from %s/test.torrc\nDirAuthority test "
	    "127.0.0.1:7000 AAAA\nTestingTorNetwork 1\n", tmp);
	CHECK(strstr(get("state/gateways/sys-tor/torrc"), cmd) != NULL,
	    "torrc include: %s", get("state/gateways/sys-tor/torrc"));
	CHECK(get("state/gateways/sys-tor/wg.conf")[0] == '\0',
	    "wg.conf in a tor bundle");

	/* sys-net: the uplink's resolver, its clients */
	rv = write_gw(conf, "sys-net", err, sizeof(err));
	CHECK(rv == 1, "sys-net: %d (%s)", rv, err);
	CHECK(strstr(get("state/gateways/sys-net/bundle.conf"),
	    "\nresolver 192.0.2.53\n") != NULL, "no resolver");
	CHECK(strstr(get("state/gateways/sys-net/bundle.conf"),
	    "\nclient sys-wg ") != NULL, "no client sys-wg");
	CHECK(strstr(get("state/gateways/sys-net/bundle.conf"),
	    "\nready applied\n") != NULL, "not ready applied");
	config_free(conf);

	/* a missing include: an error naming the gateway and the file */
	write_conf("missing.torrc");
	conf = load();
	rv = write_gw(conf, "sys-tor", err, sizeof(err));
	CHECK(rv == -1, "missing include: %d", rv);
	CHECK(strstr(err, "gateway \"sys-tor\"") != NULL &&
	    strstr(err, "missing.torrc") != NULL, "error: %s", err);

	/* a bad key: an error, no secret in it, the old wg.conf kept */
	put("wg.key", "not a key\n");
	rv = write_gw(conf, "sys-wg", err, sizeof(err));
	CHECK(rv == -1, "bad key: %d", rv);
	CHECK(strstr(err, "gateway \"sys-wg\"") != NULL &&
	    strstr(err, "wg.key") != NULL &&
	    strstr(err, "not a WireGuard private key") != NULL,
	    "error: %s", err);
	CHECK(strstr(get("state/gateways/sys-wg/wg.conf"), PRIVKEY) != NULL,
	    "wg.conf not kept");
	config_free(conf);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmp);
	return failures != 0;
}
