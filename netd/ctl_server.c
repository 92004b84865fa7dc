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
 * The daemon's side of the control socket, independent of any event
 * loop: the listening socket, the peer's credentials, the dispatch of
 * requests to the daemon's handlers, and buffered connections.
 *
 * Access: the socket is mode 0660, group "kubsd" (or the group given to
 * ctl_group()); when that group does not exist it is mode 0600 and only
 * root may connect.  Every connection's peer is checked (ctl_peer_cred())
 * as well, so loosening the mode grants nothing: a peer is CTL_PRIV_ROOT
 * (uid 0), CTL_PRIV_GROUP (the group is its primary group or one of its
 * supplementary groups per getgrouplist(3)) or CTL_PRIV_NONE.  The daemon
 * registers every command, read-only ones included, with CTL_PRIV_GROUP:
 * the graph and the rules tell which VM goes out through Tor or which
 * VPN, which is not for every local user to learn.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "kubsd.h"
#include "log.h"

/* The gid of the named group (NULL: KUBSD_GROUP); -1 if it is unknown. */
int
ctl_group(const char *name, gid_t *gid)
{
	struct group	*gr;

	*gid = (gid_t)-1;
	if ((gr = getgrnam(name != NULL ? name : KUBSD_GROUP)) == NULL)
		return -1;
	*gid = gr->gr_gid;
	return 0;
}

/*
 * Is something listening at path?  1 yes, 0 no (nothing there, or a
 * stale socket, now removed), -1 error (e.g. EEXIST: not a socket).
 */
static int
ctl_probe(const char *path)
{
	struct stat	 st;
	int		 s, saved;

	if ((s = sock_connect(path)) != -1) {
		close(s);
		return 1;
	}
	saved = errno;
	if (saved == ENOENT)
		return 0;
	if (saved != ECONNREFUSED) {
		errno = saved;
		return -1;
	}
	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

/*
 * Listen at path: non-blocking, close-on-exec, mode 0660 and group gid,
 * or 0600 when gid is (gid_t)-1.  A stale socket is replaced; -1 with
 * errno EADDRINUSE when another daemon answers there.
 */
int
ctl_listen(const char *path, gid_t gid)
{
	struct sockaddr_un	 sun;
	mode_t			 omask;
	int			 fd, rv, saved;

	if (sock_addr(&sun, path) == -1)
		return -1;
	if ((rv = ctl_probe(path)) != 0) {
		if (rv == 1)
			errno = EADDRINUSE;
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
	omask = umask(0177);
	rv = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(omask);
	if (rv == -1)
		goto fail;
	if (gid != (gid_t)-1) {
		if (chown(path, (uid_t)-1, gid) == -1 ||
		    chmod(path, 0660) == -1)
			goto unlink;
	} else if (chmod(path, 0600) == -1)
		goto unlink;
	if (listen(fd, 16) == -1)
		goto unlink;
	return fd;
 unlink:
	saved = errno;
	unlink(path);
	errno = saved;
 fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* Is gid among the groups of uid (primary or supplementary)? */
static int
uid_in_group(uid_t uid, gid_t primary, gid_t gid)
{
	struct passwd	*pw;
	gid_t		*groups = NULL, *ng;
	int		 n = 16, i, found = 0;

	if (primary == gid)
		return 1;
	if ((pw = getpwuid(uid)) == NULL)
		return 0;
	if (pw->pw_gid == gid)
		return 1;
	for (;;) {
		if ((ng = reallocarray(groups, n, sizeof(*groups))) == NULL) {
			free(groups);
			return -1;
		}
		groups = ng;
		if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) != -1)
			break;
		if (n > 65536) {
			free(groups);
			return 0;
		}
		n *= 2;
	}
	for (i = 0; i < n && !found; i++)
		found = groups[i] == gid;
	free(groups);
	return found;
}

/* The peer's privilege level (CTL_PRIV_*), or -1 if it is unknown. */
int
ctl_peer_priv(int fd, gid_t group)
{
	uid_t	 uid;
	gid_t	 gid;
	int	 rv;

	if (ctl_peer_cred(fd, &uid, &gid) == -1)
		return -1;
	if (uid == 0)
		return CTL_PRIV_ROOT;
	if (group == (gid_t)-1)
		return CTL_PRIV_NONE;
	if ((rv = uid_in_group(uid, gid, group)) == -1)
		return -1;
	return rv ? CTL_PRIV_GROUP : CTL_PRIV_NONE;
}

/* May the peer change things?  1 yes, 0 no, -1 error. */
int
ctl_peer_allowed(int fd, gid_t group)
{
	int	 priv;

	if ((priv = ctl_peer_priv(fd, group)) == -1)
		return -1;
	return priv >= CTL_PRIV_GROUP;
}

/* Make the reply an error: one line, lowercase, naming the object. */
int
ctl_reply_error(struct ctl_reply *rep, uint32_t code, const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	rep->error = 1;
	rep->code = code != 0 ? code : CTL_E_FAIL;
	va_start(ap, fmt);
	vsnprintf(rep->errmsg, sizeof(rep->errmsg), fmt, ap);
	va_end(ap);
	for (p = rep->errmsg; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (rep->errmsg[0] == '\0')
		snprintf(rep->errmsg, sizeof(rep->errmsg), "failed");
	return -1;
}

static uint8_t *
error_reply(uint32_t id, uint32_t code, const char *text, size_t *lenp)
{
	return ctl_encode_reply(CTL_ERROR, id, code, text, strlen(text),
	    lenp);
}

/*
 * Run the handler for req, if the peer (of level priv) may: the encoded
 * reply, malloc'd, its length in *lenp; NULL only when out of memory.
 */
uint8_t *
ctl_dispatch(const struct ctl_handler *tab, size_t ntab, int priv,
    const struct ctl_msg *req, void *arg, size_t *lenp)
{
	const struct ctl_handler	*h = NULL;
	const struct ctl_cmd		*c = ctl_cmd_type(req->type);
	struct ctl_reply		 rep;
	uint8_t				*out;
	char				 msg[128];
	size_t				 i;
	int				 rv;

	for (i = 0; i < ntab && h == NULL; i++)
		if (tab[i].type == req->type)
			h = &tab[i];
	if (h == NULL || h->fn == NULL || c == NULL) {
		snprintf(msg, sizeof(msg), "%s: not supported by this "
		    "kubsd-netd", ctl_type_name(req->type));
		return error_reply(req->id, CTL_E_NOTSUP, msg, lenp);
	}
	if (priv < c->priv)
		return error_reply(req->id, CTL_E_PERM, "permission denied",
		    lenp);
	memset(&rep, 0, sizeof(rep));
	if ((rep.fp = open_memstream(&rep.buf, &rep.len)) == NULL)
		return NULL;
	rv = h->fn(req, &rep, arg);
	if (fclose(rep.fp) == EOF && !rep.error)
		ctl_reply_error(&rep, CTL_E_FAIL, "%s: out of memory",
		    ctl_type_name(req->type));
	if (rv == -1 && !rep.error)
		ctl_reply_error(&rep, CTL_E_FAIL, "%s: failed",
		    ctl_type_name(req->type));
	if (rep.error)
		out = error_reply(req->id, rep.code, rep.errmsg, lenp);
	else if ((out = ctl_encode_reply(CTL_OK, req->id, 0, rep.buf,
	    rep.len, lenp)) == NULL && errno == EMSGSIZE) {
		snprintf(msg, sizeof(msg), "%s: reply too large",
		    ctl_type_name(req->type));
		out = error_reply(req->id, CTL_E_TOOBIG, msg, lenp);
	}
	free(rep.buf);
	return out;
}

/* A connection accepted on the control socket; NULL on error. */
struct ctl_conn *
ctl_conn_new(int fd, gid_t group)
{
	struct ctl_conn	*c;
	int		 priv;

	if ((priv = ctl_peer_priv(fd, group)) == -1)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->fd = fd;
	c->priv = priv;
	ctl_reader_init(&c->rd, CTL_MAXREQ);
	return c;
}

/* Free the connection; the caller closes the fd. */
void
ctl_conn_free(struct ctl_conn *c)
{
	if (c == NULL)
		return;
	ctl_reader_free(&c->rd);
	free(c->out);
	free(c);
}

static int
queue(struct ctl_conn *c, const uint8_t *p, size_t n)
{
	uint8_t	*nb;

	if (c->outoff > 0) {
		memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
		c->outlen -= c->outoff;
		c->outoff = 0;
	}
	/* A peer that sends but does not read is dropped. */
	if (c->outlen + n > 2 * (size_t)CTL_MAXREPLY)
		return -1;
	if ((nb = realloc(c->out, c->outlen + n)) == NULL)
		return -1;
	c->out = nb;
	memcpy(c->out + c->outlen, p, n);
	c->outlen += n;
	return 0;
}

/* The socket is readable: read once, dispatch every complete request. */
int
ctl_conn_read(struct ctl_conn *c, const struct ctl_handler *tab,
    size_t ntab, void *arg)
{
	struct ctl_msg	 m;
	uint8_t		*rep;
	size_t		 len;
	ssize_t		 n;
	int		 rv;

	if ((n = ctl_reader_fill(&c->rd, c->fd)) == 0)
		return -1;
	if (n == -1)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	while ((rv = ctl_reader_next(&c->rd, &m)) == CTL_COMPLETE) {
		if ((rep = ctl_dispatch(tab, ntab, c->priv, &m, arg,
		    &len)) == NULL)
			return -1;
		rv = queue(c, rep, len);
		free(rep);
		if (rv == -1)
			return -1;
	}
	if (rv == CTL_MALFORMED) {
		log_warnx("control: dropping a client: %s", m.why);
		return -1;
	}
	return 0;
}

int
ctl_conn_pending(const struct ctl_conn *c)
{
	return c->outoff < c->outlen;
}

/* The socket is writable: write what is queued. */
int
ctl_conn_flush(struct ctl_conn *c)
{
	ssize_t	 n;

	while (c->outoff < c->outlen) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		c->outoff += (size_t)n;
	}
	c->outoff = c->outlen = 0;
	return 0;
}
