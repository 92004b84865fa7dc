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
 * test_ctl.c, continued: dispatch, and a real exchange over a unix
 * socket with a small poll(2) server in a child process.
 */

static void
test_dispatch(void)
{
	struct ctl_msg	 m, r;
	uint8_t		*p, *o;
	size_t		 len, olen, used;

	p = req(CTL_ATTACH, 0, 2, "work", "tor2", &len);
	ctl_decode(p, len, &m, &used);
	o = ctl_dispatch(handlers, NHANDLERS, CTL_PRIV_NONE, &m, NULL, &olen);
	CHECK(o != NULL && ctl_decode(o, olen, &r, &used) == CTL_COMPLETE &&
	    r.type == CTL_ERROR && r.status == CTL_E_PERM && r.id == 42 &&
	    strcmp(r.text, "permission denied") == 0, "no privilege");
	free(o);
	o = ctl_dispatch(handlers, NHANDLERS, CTL_PRIV_GROUP, &m, NULL, &olen);
	CHECK(o != NULL && ctl_decode(o, olen, &r, &used) == CTL_COMPLETE &&
	    r.type == CTL_ERROR && strcmp(r.text,
	    "attach work: no chain \"tor2\"") == 0, "handler error");
	free(o);
	free(p);
	p = req(CTL_DETACH, 0, 1, "work", NULL, &len);
	ctl_decode(p, len, &m, &used);
	o = ctl_dispatch(handlers, NHANDLERS, CTL_PRIV_ROOT, &m, NULL, &olen);
	CHECK(o != NULL && ctl_decode(o, olen, &r, &used) == CTL_COMPLETE &&
	    r.status == CTL_E_NOTSUP && strcmp(r.text,
	    "detach: not supported by this kubsd-netd") == 0, "no handler");
	free(o);
	free(p);
	p = req(CTL_RELOAD, 0, 0, NULL, NULL, &len);
	ctl_decode(p, len, &m, &used);
	o = ctl_dispatch(handlers, NHANDLERS, CTL_PRIV_ROOT, &m, NULL, &olen);
	CHECK(o != NULL && ctl_decode(o, olen, &r, &used) == CTL_COMPLETE &&
	    strcmp(r.text, "reload: failed") == 0, "silent failure");
	free(o);
	free(p);
}

/* Serve until a forced teardown; exit status: 0 ok. */
static void
serve(int lfd, gid_t gid)
{
	struct ctl_conn	*conns[16];
	struct pollfd	 pfd[17];
	size_t		 n = 0, i;
	int		 fd;

	while (!quit || n > 0) {
		pfd[0].fd = quit ? -1 : lfd;
		pfd[0].events = POLLIN;
		for (i = 0; i < n; i++) {
			pfd[i + 1].fd = conns[i]->fd;
			pfd[i + 1].events = ctl_conn_pending(conns[i]) ?
			    POLLOUT : POLLIN;
		}
		if (poll(pfd, n + 1, 10000) <= 0)
			_exit(2);
		if ((pfd[0].revents & POLLIN) && n < 16 &&
		    (fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) != -1) {
			if ((conns[n] = ctl_conn_new(fd, gid)) == NULL)
				_exit(3);
			n++;
		}
		for (i = n; i-- > 0; ) {
			short	 ev = pfd[i + 1].revents;
			int	 rv = 0;

			if (ev == 0)
				continue;
			if (ev & POLLOUT)
				rv = ctl_conn_flush(conns[i]);
			else if (ev & (POLLIN | POLLHUP | POLLERR))
				rv = ctl_conn_read(conns[i], handlers,
				    NHANDLERS, NULL);
			if (rv == 0 && ctl_conn_pending(conns[i]))
				rv = ctl_conn_flush(conns[i]);
			if (rv == -1) {
				close(conns[i]->fd);
				ctl_conn_free(conns[i]);
				conns[i] = conns[--n];
			}
		}
	}
	close(lfd);
	exit(0);
}

/* As nobody: connect and try to attach; 0 when refused as it should. */
static int
unprivileged(const char *path)
{
	struct ctl_reader	 rd;
	struct ctl_msg		 rep;
	const char		*args[] = { "work", "tor" };
	int			 fd, ok;

	if (setgroups(0, NULL) == -1 || setgid(65534) == -1 ||
	    setuid(65534) == -1)
		return 10;
	if ((fd = ctl_connect(path)) == -1)
		return 11;
	ctl_reader_init(&rd, CTL_MAXREPLY);
	if (ctl_request(fd, CTL_ATTACH, 0, 2, args, &rd, &rep) == -1)
		return 12;
	ok = rep.type == CTL_ERROR && rep.status == CTL_E_PERM &&
	    strcmp(rep.text, "permission denied") == 0;
	if (!ok)
		fprintf(stderr, "nobody got: %s\n", rep.text);
	ctl_reader_free(&rd);
	close(fd);
	return ok ? 0 : 13;
}

static void
test_socket(void)
{
	char			 dir[] = "/tmp/kubsd-ctl.XXXXXX", path[64];
	struct ctl_reader	 rd;
	struct ctl_msg		 rep;
	struct stat		 st;
	const char		*args[] = { "work", "tor2" };
	pid_t			 srv, kid;
	int			 lfd, fd, status, sp[2];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0, "socketpair");
	CHECK(ctl_peer_allowed(sp[0], (gid_t)-1) == (getuid() == 0),
	    "peer check on a socketpair");
	close(sp[0]);
	close(sp[1]);

	if (mkdtemp(dir) == NULL || chmod(dir, 0755) == -1) {
		CHECK(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);

	/* Modes: 0600 without a group, 0660 with one. */
	lfd = ctl_listen(path, (gid_t)-1);
	CHECK(lfd != -1 && stat(path, &st) == 0 &&
	    (st.st_mode & 07777) == 0600, "mode 0600");
	close(lfd);
	lfd = ctl_listen(path, getgid());	/* the stale one is replaced */
	CHECK(lfd != -1 && stat(path, &st) == 0 &&
	    (st.st_mode & 07777) == 0660 && st.st_gid == getgid(),
	    "mode 0660, stale socket replaced");
	close(lfd);

	if ((lfd = ctl_listen(path, getgid())) == -1) {
		CHECK(0, "ctl_listen: %s", strerror(errno));
		return;
	}
	/* Loosened so that nobody can connect: SO_PEERCRED must refuse. */
	chmod(path, 0666);
	if ((srv = fork()) == 0)
		serve(lfd, getgid());
	close(lfd);

	errno = 0;
	CHECK(ctl_listen(path, getgid()) == -1 && errno == EADDRINUSE,
	    "a second daemon is refused");

	if ((fd = ctl_connect(path)) == -1) {
		CHECK(0, "connect: %s", strerror(errno));
		kill(srv, SIGTERM);
		waitpid(srv, NULL, 0);
		return;
	}
	ctl_reader_init(&rd, CTL_MAXREPLY);
	CHECK(ctl_request(fd, CTL_STATUS, 0, 0, NULL, &rd, &rep) == 0 &&
	    rep.type == CTL_OK && strncmp(rep.text, "{\"pid\": ", 8) == 0,
	    "status");
	CHECK(ctl_request(fd, CTL_ATTACH, 0, 2, args, &rd, &rep) == 0 &&
	    rep.type == CTL_ERROR &&
	    strcmp(rep.text, "attach work: no chain \"tor2\"") == 0,
	    "attach error");
	CHECK(ctl_request(fd, CTL_GRAPH, 0, 0, NULL, &rd, &rep) == 0 &&
	    rep.type == CTL_OK && rep.textlen == 40000 * 32,
	    "large reply: %zu bytes", rep.textlen);

	if (getuid() != 0)
		fprintf(stderr, "skip: not root, no setuid(65534) client\n");
	else if ((kid = fork()) == 0)
		_exit(unprivileged(path));
	else {
		waitpid(kid, &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "unprivileged client: status %d", status);
	}

	CHECK(ctl_request(fd, CTL_TEARDOWN, CTL_F_FORCE, 0, NULL, &rd,
	    &rep) == 0 && rep.type == CTL_OK, "teardown");
	ctl_reader_free(&rd);
	close(fd);
	waitpid(srv, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "server exit status %d", status);

	/* Not a socket: left alone. */
	unlink(path);
	close(open(path, O_CREAT | O_WRONLY, 0600));
	errno = 0;
	CHECK(ctl_listen(path, getgid()) == -1 && errno == EEXIST &&
	    access(path, F_OK) == 0, "a regular file is not replaced");
	unlink(path);
	rmdir(dir);
}
