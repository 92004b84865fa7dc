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
 * kubsd-guest: applies a role bundle inside a gateway (a VM, or a
 * compartment's network namespace) and supervises the role's daemon,
 * reporting in BUNDLE/status.  The firewall stays whatever happens to
 * the daemon or to kubsd-guest itself: a dead gateway forwards nothing.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "guest.h"
#include "log.h"

static __attribute__((noreturn)) void
usage(void)
{
	extern const char *__progname;

	fprintf(stderr, "usage: %s [-dknv] [-r seconds] bundledir\n",
	    __progname);
	exit(1);
}

/* The bundle, and the files its role needs. */
static struct bundle *
load(const char *dir, char *err, size_t len)
{
	struct bundle	*b;
	struct stat	 st;
	const char	*f;
	char		 path[PATH_MAX + 32];

	if ((b = bundle_read(dir, err, len)) == NULL)
		return NULL;
	if ((f = bundle_daemon_file(b)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, f);
		if (stat(path, &st) == -1) {
			snprintf(err, len, "%s: %s", f, strerror(errno));
			bundle_free(b);
			return NULL;
		}
		if (b->role == ROLE_WIREGUARD && (st.st_mode & 077))
			log_warnx("%s: readable by others (mode %04o)", f,
			    (unsigned int)(st.st_mode & 0777));
	}
	return b;
}

static int
apply(const struct bundle *b, char *err, size_t len)
{
	if (apply_firewall(gst.dir, 0, err, len) == -1)
		return -1;
	return apply_net(b, err, len);
}

/* SIGHUP: the bundle again; the daemon restarts if its file changed. */
static void
reload(void)
{
	struct bundle	*nb, *ob = gst.b;
	char		 err[ERRLEN];
	int		 restart;

	log_info("reloading %s", gst.dir);
	if ((nb = load(gst.dir, err, sizeof(err))) == NULL ||
	    apply(nb, err, sizeof(err)) == -1) {
		/* The running configuration stays; not ready till fixed. */
		log_warnx("%s", err);
		gst.broken = 1;
		status_write(gst.dir, "error %s", err);
		bundle_free(nb);
		return;
	}
	gst.broken = 0;
	restart = nb->role != ob->role || daemon_conf_changed(nb) ||
	    strcmp(nb->tunnel.ifname, ob->tunnel.ifname) != 0 ||
	    memcmp(&nb->tunnel.addr, &ob->tunnel.addr, sizeof(nb->tunnel.addr));
	if (restart && daemon_running()) {
		log_info("configuration changed: restarting %s", gst.daemon);
		daemon_stop();
	}
	gst.b = nb;
	bundle_free(ob);
	if (daemon_running() && nb->role == ROLE_WIREGUARD &&
	    apply_tunnel(nb, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		gst.broken = 1;
		status_write(gst.dir, "error %s", err);
	} else if (!daemon_running() &&
	    !evtimer_pending(gst.restart_ev, NULL))
		daemon_start();
	else
		daemon_report();
	log_info("reloaded %s", gst.dir);
}

static void
on_signal(evutil_socket_t sig, short ev, void *arg)
{
	int	 status;

	(void)ev;
	(void)arg;
	switch (sig) {
	case SIGCHLD:
		if (gst.pid != 0 && waitpid(gst.pid, &status, WNOHANG) == gst.pid)
			daemon_gone(status);
		break;
	case SIGHUP:
		reload();
		break;
	default:
		log_info("signal %d: stopping", (int)sig);
		gst.stopping = 1;
		daemon_stop();
		/* Not into a bundle kubsd-netd is removing. */
		if (bundle_exists(gst.dir))
			status_write(gst.dir, "down stopped");
		event_base_loopbreak(gst.base);
		break;
	}
}

static int
check_only(const char *dir)
{
	struct bundle	*b;
	char		 err[ERRLEN];

	if ((b = load(dir, err, sizeof(err))) == NULL ||
	    apply_firewall(dir, 1, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		bundle_free(b);
		return 1;
	}
	bundle_plan(stdout, b, dir);
	bundle_free(b);
	return fflush(stdout) == EOF || ferror(stdout) ? 1 : 0;
}

int
main(int argc, char *argv[])
{
	static const int sigs[] = { SIGCHLD, SIGHUP, SIGTERM, SIGINT };
	struct event	*sev[4];
	char		 err[ERRLEN], *ep;
	size_t		 i;
	long		 r;
	pid_t		 pid;
	int		 ch, debug = 0, noaction = 0, verbose = 0;

	if (argc > 1 && strcmp(argv[1], "agent") == 0)
		return agent_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "probe") == 0)
		return probe_main(argc - 1, argv + 1);
	while ((ch = getopt(argc, argv, "dknr:v")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'k':
			gst.kernel_wg = 1;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'r':
			r = strtol(optarg, &ep, 10);
			if (*optarg == '\0' || *ep != '\0' || r < 0 || r > 3600)
				usage();
			gst.restart = (int)r;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage();
	log_init(1, verbose);
	if (noaction)
		return check_only(argv[0]);

	if (geteuid() != 0)
		fatalx("need root privileges");
	if (realpath(argv[0], gst.dir) == NULL)
		fatal("%s", argv[0]);
	if ((pid = pidfile_running(gst.dir)) != 0)
		fatalx("%s: already running, pid %ld", gst.dir, (long)pid);
	/* At once: kubsd-netd takes a bundle without a live pid for dead. */
	if (pidfile_write(gst.dir) == -1)
		log_warn("%s/guest.pid", gst.dir);
	if ((gst.b = load(gst.dir, err, sizeof(err))) == NULL ||
	    apply(gst.b, err, sizeof(err)) == -1) {
		status_write(gst.dir, "error %s", err);
		pidfile_remove(gst.dir);
		fatalx("%s", err);
	}
	log_info("applied %s (role %s)", gst.dir, role_name(gst.b->role));
	if (!debug) {
		log_init(0, verbose);
		if (daemon(0, 0) == -1)
			fatal("daemon");
		if (pidfile_write(gst.dir) == -1)
			log_warn("%s/guest.pid", gst.dir);
	}
	signal(SIGPIPE, SIG_IGN);
	if ((gst.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	for (i = 0; i < 4; i++) {
		sev[i] = evsignal_new(gst.base, sigs[i], on_signal, NULL);
		if (sev[i] == NULL || evsignal_add(sev[i], NULL) == -1)
			fatalx("signal events");
	}
	supervise_init();
	daemon_start();
	event_base_dispatch(gst.base);

	supervise_free();
	for (i = 0; i < 4; i++)
		event_free(sev[i]);
	event_base_free(gst.base);
	pidfile_remove(gst.dir);
	bundle_free(gst.b);
	log_info("exiting; the firewall stays");
	return 0;
}
