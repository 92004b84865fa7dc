/*
 * kubsd-guest: applies a role bundle inside a gateway (a VM, or a
 * compartment's network namespace) and supervises the role's daemon,
 * reporting in BUNDLE/status.  The firewall stays whatever happens to
 * the daemon or to kubsd-guest itself: a dead gateway forwards nothing.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "guest.h"
#include "log.h"

#define ERRLEN	512

struct guest {
	char		 dir[PATH_MAX];
	struct bundle	*b;
	struct event_base *base;
	struct event	*out_ev, *restart_ev, *poll_ev;
	pid_t		 pid;		/* the role's daemon; 0: none */
	int		 outfd;
	char		 obuf[4096];
	size_t		 olen;
	const char	*daemon;	/* "tor", "wireguard-go" */
	uint32_t	 conf_hash;	/* of its file when it started */
	int		 restart;	/* seconds */
	int		 stopping;
};

static struct guest	 g;

static __attribute__((noreturn)) void
usage(void)
{
	extern const char *__progname;

	fprintf(stderr, "usage: %s [-dnv] [-r seconds] bundledir\n",
	    __progname);
	exit(1);
}

/* FNV-1a of a file's contents; 0 if unreadable. */
static uint32_t
file_hash(const char *dir, const char *name)
{
	char	 path[PATH_MAX + 32];
	FILE	*fp;
	uint32_t h = 2166136261u;
	int	 c;

	if (name == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while ((c = getc(fp)) != EOF) {
		h ^= (uint8_t)c;
		h *= 16777619u;
	}
	fclose(fp);
	return h;
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
	if (apply_firewall(g.dir, 0, err, len) == -1)
		return -1;
	return apply_net(b, err, len);
}

/* What is left of the daemon's output, a line at a time. */
static void
out_lines(int eof)
{
	char	*nl, *line = g.obuf;
	int	 n;

	while ((nl = memchr(line, '\n', g.olen - (size_t)(line - g.obuf)))
	    != NULL || (eof && line < g.obuf + g.olen)) {
		if (nl != NULL)
			*nl = '\0';
		else
			g.obuf[g.olen] = '\0';
		if (*line != '\0')
			log_info("%s: %s", g.daemon, line);
		if (g.b->role == ROLE_TOR && g.pid != 0 &&
		    (n = tor_bootstrap(line)) != -1) {
			if (n == 100)
				status_write(g.dir, "ready");
			else
				status_write(g.dir, "starting bootstrapped "
				    "%d%%", n);
		}
		line = nl != NULL ? nl + 1 : g.obuf + g.olen;
	}
	g.olen -= (size_t)(line - g.obuf);
	memmove(g.obuf, line, g.olen);
	if (g.olen == sizeof(g.obuf) - 1) {	/* a line too long */
		g.obuf[g.olen] = '\0';
		log_info("%s: %s", g.daemon, g.obuf);
		g.olen = 0;
	}
}

static void
out_close(void)
{
	if (g.out_ev != NULL) {
		event_free(g.out_ev);
		g.out_ev = NULL;
	}
	if (g.outfd != -1) {
		close(g.outfd);
		g.outfd = -1;
	}
	g.olen = 0;
}

/* Read what there is; 0 at EOF or error. */
static int
out_read(void)
{
	ssize_t	 n;

	for (;;) {
		n = read(g.outfd, g.obuf + g.olen, sizeof(g.obuf) - 1 - g.olen);
		if (n > 0) {
			g.olen += (size_t)n;
			out_lines(0);
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return 1;
		out_lines(1);
		return 0;
	}
}

static void
on_output(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	if (!out_read())
		out_close();
}

static void
on_poll(evutil_socket_t fd, short ev, void *arg)
{
	long long	 t;

	(void)fd;
	(void)ev;
	(void)arg;
	if (g.pid == 0 || g.b->role != ROLE_WIREGUARD)
		return;
	t = wg_last_handshake(g.b->tunnel.ifname);
	if (t > 0 && (long long)time(NULL) - t <= GUEST_WG_FRESH)
		status_write(g.dir, "ready");
	else if (t > 0)
		status_write(g.dir, "starting handshake older than %d s",
		    GUEST_WG_FRESH);
	else if (t == 0)
		status_write(g.dir, "starting waiting for handshake");
	else
		status_write(g.dir, "starting no answer from %s", g.daemon);
}

static void
schedule_restart(void)
{
	struct timeval	 tv = { g.restart, 0 };

	if (!g.stopping)
		evtimer_add(g.restart_ev, &tv);
}

/* The daemon is gone (reaped): status, and it comes back later. */
static void
daemon_gone(int status)
{
	char	 how[64], err[ERRLEN];

	g.pid = 0;
	if (g.outfd != -1)
		out_read();
	out_close();
	evtimer_del(g.poll_ev);
	if (g.b->role == ROLE_WIREGUARD &&
	    route_flush_default(AF_INET, g.b->tunnel.ifname, err,
	    sizeof(err)) == -1)
		log_warnx("%s", err);
	if (g.stopping)
		return;
	proc_describe(status, how, sizeof(how));
	log_warnx("%s %s; restart in %d s", g.daemon, how, g.restart);
	status_write(g.dir, "down %s %s", g.daemon, how);
	schedule_restart();
}

static void
daemon_start(void)
{
	struct timeval	 sec = { 1, 0 };
	char		*argv[16], buf[2 * PATH_MAX + 64], err[ERRLEN];
	int		 fd;

	if (g.b->role == ROLE_SYSNET) {
		status_write(g.dir, "ready");
		return;
	}
	if (g.b->role == ROLE_TOR) {
		g.daemon = "tor";
		if (tor_prepare(g.dir, err, sizeof(err)) == -1 ||
		    tor_argv(g.b, g.dir, argv, 16, buf, sizeof(buf)) == -1)
			goto fail;
	} else {
		g.daemon = "wireguard-go";
		wg_prepare(g.b);
		wg_argv(g.b, argv, 16);
	}
	g.conf_hash = file_hash(g.dir, bundle_daemon_file(g.b));
	if ((g.pid = proc_spawn(argv, &fd)) == -1) {
		g.pid = 0;
		snprintf(err, sizeof(err), "%s: %s", g.daemon, strerror(errno));
		goto fail;
	}
	log_info("started %s, pid %ld", g.daemon, (long)g.pid);
	g.outfd = fd;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	g.out_ev = event_new(g.base, fd, EV_READ | EV_PERSIST, on_output,
	    NULL);
	if (g.out_ev == NULL || event_add(g.out_ev, NULL) == -1)
		fatalx("output event");
	status_write(g.dir, "starting %s", g.daemon);
	if (g.b->role == ROLE_WIREGUARD) {
		if (wg_setup(g.b, g.dir, g.pid, err, sizeof(err)) == -1) {
			/* Whatever it was, it goes down and restarts. */
			log_warnx("%s", err);
			proc_stop(g.pid, 2000);
			daemon_gone(0);
			status_write(g.dir, "error %s", err);
			return;
		}
		evtimer_add(g.poll_ev, &sec);
		on_poll(-1, 0, NULL);
	}
	return;
 fail:
	log_warnx("%s", err);
	status_write(g.dir, "error %s", err);
	schedule_restart();
}

static void
daemon_stop(void)
{
	int	 stopping = g.stopping;

	evtimer_del(g.restart_ev);
	if (g.pid == 0)
		return;
	g.stopping = 1;
	proc_stop(g.pid, 3000);
	daemon_gone(0);
	g.stopping = stopping;
}

static void
on_restart(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	if (g.pid == 0 && !g.stopping)
		daemon_start();
}

/* SIGHUP: the bundle again; the daemon restarts if its file changed. */
static void
reload(void)
{
	struct bundle	*nb, *ob = g.b;
	char		 err[ERRLEN];
	int		 restart;

	log_info("reloading %s", g.dir);
	if ((nb = load(g.dir, err, sizeof(err))) == NULL ||
	    apply(nb, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		status_write(g.dir, "error %s", err);
		bundle_free(nb);
		return;
	}
	restart = nb->role != ob->role ||
	    file_hash(g.dir, bundle_daemon_file(nb)) != g.conf_hash ||
	    strcmp(nb->tunnel.ifname, ob->tunnel.ifname) != 0 ||
	    memcmp(&nb->tunnel.addr, &ob->tunnel.addr, sizeof(nb->tunnel.addr));
	if (restart && g.pid != 0) {
		log_info("configuration changed: restarting %s", g.daemon);
		daemon_stop();
	}
	g.b = nb;
	bundle_free(ob);
	if (g.pid != 0 && nb->role == ROLE_WIREGUARD) {
		if (apply_tunnel(nb, err, sizeof(err)) == -1) {
			log_warnx("%s", err);
			status_write(g.dir, "error %s", err);
		} else
			on_poll(-1, 0, NULL);
	} else if (g.pid == 0 && !evtimer_pending(g.restart_ev, NULL))
		daemon_start();
	else if (nb->role == ROLE_SYSNET)
		status_write(g.dir, "ready");
	log_info("reloaded %s", g.dir);
}

static void
on_signal(evutil_socket_t sig, short ev, void *arg)
{
	int	 status;

	(void)ev;
	(void)arg;
	switch (sig) {
	case SIGCHLD:
		if (g.pid != 0 && waitpid(g.pid, &status, WNOHANG) == g.pid)
			daemon_gone(status);
		break;
	case SIGHUP:
		reload();
		break;
	default:
		log_info("signal %d: stopping", (int)sig);
		g.stopping = 1;
		daemon_stop();
		status_write(g.dir, "down stopped");
		event_base_loopbreak(g.base);
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
	int		 ch, debug = 0, noaction = 0, verbose = 0;

	g.restart = GUEST_RESTART;
	g.outfd = -1;
	while ((ch = getopt(argc, argv, "dnr:v")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'r':
			r = strtol(optarg, &ep, 10);
			if (*optarg == '\0' || *ep != '\0' || r < 0 || r > 3600)
				usage();
			g.restart = (int)r;
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
	if (realpath(argv[0], g.dir) == NULL)
		fatal("%s", argv[0]);
	if ((g.b = load(g.dir, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if (apply(g.b, err, sizeof(err)) == -1) {
		status_write(g.dir, "error %s", err);
		fatalx("%s", err);
	}
	log_info("applied %s (role %s)", g.dir, role_name(g.b->role));
	if (!debug) {
		log_init(0, verbose);
		if (daemon(0, 0) == -1)
			fatal("daemon");
	}
	if (pidfile_write(g.dir) == -1)
		log_warn("%s/guest.pid", g.dir);
	signal(SIGPIPE, SIG_IGN);
	if ((g.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	for (i = 0; i < 4; i++) {
		sev[i] = evsignal_new(g.base, sigs[i], on_signal, NULL);
		if (sev[i] == NULL || evsignal_add(sev[i], NULL) == -1)
			fatalx("signal events");
	}
	g.restart_ev = evtimer_new(g.base, on_restart, NULL);
	g.poll_ev = event_new(g.base, -1, EV_PERSIST, on_poll, NULL);
	if (g.restart_ev == NULL || g.poll_ev == NULL)
		fatalx("timer events");
	daemon_start();
	event_base_dispatch(g.base);

	out_close();
	for (i = 0; i < 4; i++)
		event_free(sev[i]);
	event_free(g.restart_ev);
	event_free(g.poll_ev);
	event_base_free(g.base);
	pidfile_remove(g.dir);
	bundle_free(g.b);
	log_info("exiting; the firewall stays");
	return 0;
}
