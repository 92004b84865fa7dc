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
 * kubsd-netd (Makefile NETD_SRCS): the daemon's own files; no other
 * program links them.
 *
 * kubsd-netd's live mode (daemon.c) and its control socket (control.c).
 */
#ifndef DAEMON_H
#define DAEMON_H

#include <stddef.h>


struct event_base;
struct link_ctx;
struct loader;
struct netd_config;
struct netd_live;
struct ruleset;

struct netd_opts {
	const char	*conffile;
	const char	*sockpath;
	const char	*pidfile;
	int		 foreground;
	int		 verbose;
};

struct netd {
	struct event_base	*base;
	struct netd_config	*conf;		/* changed only by an attach
						   and instances */
	struct netd_live	*live;		/* of conf (live.h) */
	struct ruleset		*rs;		/* loaded; VMs' rules stripped */
	struct link_ctx		*link;
	struct loader		*loader;
	const char		*conffile;
	void			*control;	/* control.c's state */
	long long		 started;	/* time(NULL) at start */
};

/* conf_error_sink()'s: the lines joined with "; " in buf */
struct netd_errs {
	char	*buf;
	size_t	 len;
};
void	netd_conf_errors(const char *, void *);

int	netd_main(struct netd_config *, const struct netd_opts *);
/* The daemon's one context, struct netd, is passed to what needs it. */
int	netd_reload(struct netd *, int, char *, size_t);
int	netd_teardown(struct netd *, int, char *, size_t);

/* attach.c */
int	netd_attach(struct netd *, const char *, const char *, char *,
	    size_t);
int	netd_regate(struct netd *);
void	netd_gate_changed(struct netd *);

/* daemon.c, for attach.c: what an attach leaves for after its reply
 * (the attachments file's fsync, libnftables' memory) */
void		 netd_attached(void);
struct ruleset	*netd_load_rules(struct netd *, const struct netd_live *,
		    char *, size_t);
void		 netd_keep_rules(struct netd *, struct ruleset *);

int	netd_control_init(struct netd *, const char *sockpath);
void	netd_control_close(struct netd *);

#endif
