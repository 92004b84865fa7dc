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
 * The VM layer without a kernel: QEMU's command line for a definition
 * (sandboxed, no secret on it, sealed and credential options) and the
 * console filter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubsd.h"
#include "vm.h"
#include "check.h"
#include "conf_load.h"

static const char conf_text[] =
    "pool 10.66.0.0/16\n"
    "uplink \"wan\" { interface \"eth0\" }\n"
    "gateway \"gw\" { role sys-net; mtu 1400 }\n"
    "chain \"a\" { \"gw\" \"wan\" }\n"
    "vm \"cloud\" { template \"minimal\"; chain \"a\"; memory 192M; sealed\n"
    "\tprivate 32M mount \"/var,x\"\n"
    "\tcredential \"db\" file \"/etc/secret-db\"\n"
    "\tshare \"/srv/ph,otos\" at \"/mnt/a,b\"\n"
    "\tshare \"/srv/w\" at \"/w\" read-write; audio output-only }\n"
    "vm \"off\" { template \"minimal\" }\n";

static int
has(char **v, const char *opt, const char *val)
{
	size_t	 i;

	for (i = 0; v[i] != NULL; i++)
		if (strcmp(v[i], opt) == 0 && (val == NULL ||
		    (v[i + 1] != NULL && strcmp(v[i + 1], val) == 0)))
			return 1;
	return 0;
}

static int
has_sub(char **v, const char *sub)
{
	size_t	 i;

	for (i = 0; v[i] != NULL; i++)
		if (strstr(v[i], sub) != NULL)
			return 1;
	return 0;
}

static void
test_argv(struct netd_config *conf)
{
	struct vm	 vm;
	char		**v;

	memset(&vm, 0, sizeof(vm));
	snprintf(vm.name, sizeof(vm.name), "cloud");
	snprintf(vm.dir, sizeof(vm.dir), "/s/vms/cloud");
	snprintf(vm.adminkey, sizeof(vm.adminkey), "ssh-ed25519 AAAA k");
	vm.accel = "tcg";
	vm_qemu_argv(&vm, node_find(conf, "cloud"), "/s/templates/t", 0, &v);
	CHECK(strcmp(v[0], KUBSD_QEMU) == 0, "argv[0] %s", v[0]);
	CHECK(has(v, "-sandbox", "on,obsolete=deny,elevateprivileges=deny,"
	    "spawn=deny,resourcecontrol=deny"), "no -sandbox");
	CHECK(!has(v, "-runas", NULL), "-runas cannot work with the sandbox");
	CHECK(has(v, "-nodefaults", NULL) && has(v, "-display", "none"),
	    "defaults or a display");
	CHECK(has(v, "-accel", "tcg,tb-size=32") && has(v, "-M", "q35") &&
	    has(v, "-m", "192M"), "machine");
	CHECK(has(v, "-snapshot", NULL) && has(v, "-no-reboot", NULL),
	    "sealed: no -snapshot -no-reboot");
	CHECK(has(v, "-drive", "if=none,id=private,file=/s/private/cloud.img,"
	    "format=raw,snapshot=off") || has_sub(v, ",snapshot=off"),
	    "sealed: the data disk must say snapshot=off");
	CHECK(has(v, "-fw_cfg", "name=opt/io.systemd.credentials/db,"
	    "file=/s/vms/cloud/cred/db"), "credential not by fw_cfg");
	CHECK(!has_sub(v, "/etc/secret-db"), "the secret's path is on the "
	    "command line");
	CHECK(!has_sub(v, "host_mtu="), "a client's host_mtu would stop "
	    "an attach to a segment of a larger mtu");
	CHECK(has_sub(v, "io.systemd.credential:kubsd.address=10.66."),
	    "no address");
	CHECK(has_sub(v, "io.systemd.credential:kubsd.private=/var,,x"),
	    "a comma in a credential is doubled");
	CHECK(has_sub(v, "ssh.authorized_keys.root=ssh-ed25519 AAAA k"),
	    "admin key");
	CHECK(has(v, "-netdev", "tap,id=n0,fd=3"), "tap by fd");
	CHECK(has_sub(v, "free-page-reporting=on"), "balloon");
	CHECK(has_sub(v, "name=org.kubsd.agent.0"), "agent port");
	CHECK(has(v, "-fsdev", "local,id=fs0,path=/proc/self/fd/5,"
	    "security_model=none,readonly=on"), "a read-only share");
	CHECK(has(v, "-fsdev", "local,id=fs1,path=/proc/self/fd/6,"
	    "security_model=none"), "a read-write share");
	CHECK(has(v, "-device", "virtio-9p-pci,fsdev=fs1,mount_tag=kubsd1"),
	    "the share's device");
	CHECK(!has_sub(v, "/srv/"), "a share's host path is on the command "
	    "line (QEMU gets the open directory)");
	CHECK(has_sub(v, "io.systemd.credential:kubsd.share.0=ro /mnt/a,,b") &&
	    has_sub(v, "io.systemd.credential:kubsd.share.1=rw /w"),
	    "where the guest mounts the shares");
	CHECK(has(v, "-audiodev", "pa,id=snd0") &&
	    has(v, "-device", "hda-output,bus=hda0.0,audiodev=snd0") &&
	    !has_sub(v, "hda-duplex"), "audio output-only: no microphone");
	vm_argv_free(v);

	snprintf(vm.name, sizeof(vm.name), "off");
	vm.adminkey[0] = '\0';
	vm_qemu_argv(&vm, node_find(conf, "off"), "/s/templates/t", 1, &v);
	CHECK(!has_sub(v, "kubsd.address") && !has(v, "-snapshot", NULL),
	    "an offline, unsealed vm");
	CHECK(!has(v, "-fsdev", NULL) && !has(v, "-audiodev", NULL) &&
	    !has_sub(v, "hda"), "no share or sound device unless asked");
	CHECK(has_sub(v, "root=/dev/vda") && has_sub(v, "id=root,file="
	    "/s/vms/cloud/root.qcow2"), "a root disk");
	vm_argv_free(v);
}

/* A gateway's VM: both ports, named by MAC; no address (its bundle's). */
static void
test_gateway(struct netd_config *conf)
{
	struct vm	 vm;
	struct node	*g = node_find(conf, "gw");
	char		**v, m[32], want[64];

	memset(&vm, 0, sizeof(vm));
	snprintf(vm.name, sizeof(vm.name), "gw");
	snprintf(vm.dir, sizeof(vm.dir), "/s/vms/gw");
	vm.accel = "tcg";
	vm_qemu_argv(&vm, g, "/s/templates/minimal", 0, &v);
	CHECK(has(v, "-netdev", "tap,id=n0,fd=3") &&
	    has(v, "-netdev", "tap,id=n1,fd=4"), "a gateway: two taps");
	snprintf(want, sizeof(want), "netdev=n1,mac=%s,host_mtu=1400",
	    mac_str(g->down_mac, m, sizeof(m)));
	CHECK(has_sub(v, want), "its own segment's port: %s", want);
	CHECK(has_sub(v, "io.systemd.credential:kubsd.role=gateway") &&
	    has_sub(v, "io.systemd.credential:kubsd.mac.down="),
	    "a gateway's credentials");
	CHECK(!has_sub(v, "kubsd.address") && !has_sub(v, "kubsd.gateway"),
	    "a gateway's addresses are its bundle's");
	CHECK(has(v, "-m", "256M") && has(v, "-accel", "tcg,tb-size=8"),
	    "a gateway's default memory and translation cache");
	vm_argv_free(v);
}

static void
filt(const char *in, const char *want)
{
	char	 out[256];
	size_t	 n;
	int	 st = 0;

	n = console_filter(in, strlen(in), out, &st);
	out[n] = '\0';
	CHECK(strcmp(out, want) == 0, "filter: \"%s\", want \"%s\"", out,
	    want);
}

int
main(void)
{
	struct netd_config	*conf = conf_load(conf_text);

	test_argv(conf);
	test_gateway(conf);
	config_free(conf);
	filt("plain text\n", "plain text\n");
	filt("\033[31mred\033[0m\r\n", "red\n");
	filt("\033]0;title\007after", "after");
	filt("\033]52;c;Zm9v\033\\x", "x");
	filt("a\033Pdcs\033\\b\bc", "abc");
	filt("\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9");
	filt("\x9b" "2Jz", "z");
	return failures != 0;
}
