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
 * libctl (Makefile CTL_SRCS): the control protocol and the command
 * table, shared by kubsd-netd and the command line programs.
 *
 * The control channel between kubsd-netd and kubsd-net: a unix stream
 * socket carrying length-prefixed messages.
 *
 * Every message starts with a 12-byte header, all in network byte order:
 *
 *	u32 length	the whole message, header included
 *	u16 type	CTL_STATUS ... CTL_LOG (requests), CTL_OK, CTL_ERROR
 *	u16 flags	CTL_F_FORCE for teardown and reload; every other bit
 *			must be 0
 *	u32 id		chosen by the client, echoed in the reply
 *
 * A request's payload is its string arguments, each followed by a NUL
 * (so an empty payload means no arguments).  A reply's payload is a u32
 * status code (0 for CTL_OK, a CTL_E_* for CTL_ERROR), then the text
 * followed by one NUL; the text holds no NUL.  An error's text is one
 * lowercase line naming the object, e.g. `attach work: no chain "tor2"`.
 * Requests are at most CTL_MAXREQ bytes, replies at most CTL_MAXREPLY,
 * sent as one message.  Anything else is malformed: the receiver drops
 * the connection.
 */
#ifndef CTL_H
#define CTL_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define KUBSD_SOCKET	"/var/run/kubsd-netd.sock"
#define KUBSD_GROUP	"kubsd"		/* may use the socket */

#define CTL_HDRLEN	12
#define CTL_MAXREQ	(64 * 1024)
#define CTL_MAXREPLY	(16 * 1024 * 1024)
#define CTL_MAXARGS	8

enum ctl_type {
	CTL_STATUS = 1,		/* -> JSON text, see kubsd-net(8) */
	CTL_ATTACH,		/* vm chain ("none": offline) */
	CTL_DETACH,		/* vm */
	CTL_SHOW_RULES,		/* pf|nft [name] */
	CTL_GRAPH,		/* -> DOT text */
	CTL_RELOAD,		/* flags: CTL_F_FORCE */
	CTL_TEARDOWN,		/* flags: CTL_F_FORCE */
	CTL_LOG,		/* verbose|brief */
	CTL_VM_START,		/* vm */
	CTL_VM_STOP,		/* vm */
	CTL_VM_KILL,		/* vm */
	CTL_VM_STATUS,		/* [vm] -> JSON, see kubsd-vm(8) */
	CTL_OK = 0x100,		/* status 0, text */
	CTL_ERROR,		/* status CTL_E_*, one line */
	/* Commands a program runs alone: never on the wire. */
	CTL_L_CHECK = 0x200,
	CTL_L_HELP,
	CTL_L_LEAKTEST,
	CTL_L_TEMPLATE_BUILD,
	CTL_L_VM_CONSOLE,
	CTL_L_VM_LOG,
	CTL_L_VM_RUN,
	CTL_L_VM_EXEC,
	CTL_L_VM_SSH,
	CTL_L_VM_PROXY,
	CTL_L_VM_CP,
	CTL_L_VM_MV,
	CTL_L_MENU_INSTALL,
	CTL_L_MENU_REMOVE,
	CTL_L_TEMPLATE_APPS
};

#define CTL_F_FORCE	0x0001

/* Status codes of a CTL_ERROR reply. */
enum ctl_errcode {
	CTL_E_FAIL = 1,		/* the command failed: see the text */
	CTL_E_PERM,		/* "permission denied" */
	CTL_E_NOTSUP,		/* the daemon does not handle this type */
	CTL_E_TOOBIG		/* the reply would exceed CTL_MAXREPLY */
};

/* ctl_decode() and ctl_reader_next() results. */
#define CTL_COMPLETE	 1
#define CTL_INCOMPLETE	 0
#define CTL_MALFORMED	-1

/*
 * A decoded message.  The strings point into the decoded buffer and are
 * valid as long as it is (for a reader: until the next feed or next).
 */
struct ctl_msg {
	uint16_t	 type;
	uint16_t	 flags;
	uint32_t	 id;
	size_t		 nargs;			/* requests */
	const char	*args[CTL_MAXARGS];
	uint32_t	 status;		/* replies */
	const char	*text;			/* replies, NUL-terminated */
	size_t		 textlen;
	const char	*why;			/* CTL_MALFORMED: the reason */
};

/*
 * ctl_cmd.c: the command table, one token tree per program (how to add
 * a command: the comment at the top of ctl_cmd.c).  A node is a word;
 * a leaf is a command.
 */
struct ctl_cmd {
	const char		*word;
	const struct ctl_cmd	*sub;		/* the next word's tree */
	const char		*name;		/* all its words, below a subtree */
	uint16_t		 type;		/* CTL_* (sent) or CTL_L_* */
	uint16_t		 wflags;	/* header flags it may carry */
	int			 priv;		/* CTL_PRIV_* kubsd-netd requires */
	size_t			 minargs, maxargs;	/* arguments sent */
	const char		*choices;	/* "a|b": the first argument's */
	const char		*opts;		/* its flags, for getopt(3) */
	int			 rawargs;	/* its run parses its arguments */
	const char		*usage;		/* after the words */
	const char		*help;		/* one line */
	int			 offline;	/* can run on a file (-f) */
};

/* A command line, its flags parsed by ctl_cmd_getopt(). */
struct ctl_args {
	const struct ctl_cmd	*cmd;
	int			 opt[128];	/* times each flag was given */
	const char		*optarg[128];	/* its last argument */
	int			 badopt;	/* an unknown flag, or 0 */
	int			 argc;		/* the operands */
	char			**argv;
};

extern const struct ctl_cmd	 t_net[];	/* kubsd-net */
extern const struct ctl_cmd	 t_vm[];	/* kubsd-vm */

const struct ctl_cmd	*ctl_cmd_type(uint16_t);
const char	*ctl_cmd_name(const struct ctl_cmd *);
int		 ctl_cmd_choice(const struct ctl_cmd *, const char *);
const struct ctl_cmd	*ctl_cmd_parse(const struct ctl_cmd *, int, char **,
		    int *, const struct ctl_cmd **);
int		 ctl_cmd_getopt(const struct ctl_cmd *, int, char **,
		    struct ctl_args *);
void		 ctl_cmd_usage(FILE *, const struct ctl_cmd *, int);
void		 ctl_cmd_list(FILE *, const struct ctl_cmd *, int);

/* ctl_proto.c: the wire format */
int		 ctl_decode(const uint8_t *, size_t, struct ctl_msg *,
		    size_t *);
int		 ctl_is_request(uint16_t);
const char	*ctl_type_name(uint16_t);
uint8_t		*ctl_encode_request(uint16_t, uint16_t, uint32_t, size_t,
		    const char *const *, size_t *);
uint8_t		*ctl_encode_reply(uint16_t, uint32_t, uint32_t, const char *,
		    size_t, size_t *);

/*
 * An incremental reader for a non-blocking socket: feed it bytes (or let
 * ctl_reader_fill() read them), then call ctl_reader_next() until it
 * returns CTL_INCOMPLETE.  max is the largest message accepted
 * (CTL_MAXREQ on the server, CTL_MAXREPLY on the client); a larger one
 * is malformed as soon as its header arrives.
 */
struct ctl_reader {
	uint8_t		*buf;
	size_t		 len, cap;	/* bytes held, allocated */
	size_t		 off;		/* start of the unread bytes */
	size_t		 max;
	int		 broken;	/* a malformed message was seen */
};

void		 ctl_reader_init(struct ctl_reader *, size_t);
void		 ctl_reader_free(struct ctl_reader *);
int		 ctl_reader_feed(struct ctl_reader *, const void *, size_t);
ssize_t		 ctl_reader_fill(struct ctl_reader *, int);
int		 ctl_reader_next(struct ctl_reader *, struct ctl_msg *);

/* ctl_server.c: the daemon's side, independent of any event loop */

/* Privilege levels: of a peer, and needed by a handler. */
#define CTL_PRIV_NONE	0	/* anyone who can connect */
#define CTL_PRIV_GROUP	1	/* root or a member of the socket's group */
#define CTL_PRIV_ROOT	2	/* root only */

/*
 * A handler gets the decoded request and writes its reply text to
 * rep->fp (an open_memstream), or calls ctl_reply_error() and returns
 * -1.  arg is the daemon's, passed through ctl_dispatch().
 */
struct ctl_reply {
	FILE		*fp;
	char		*buf;
	size_t		 len;
	int		 error;		/* set by ctl_reply_error() */
	uint32_t	 code;
	char		 errmsg[4096];	/* one line: a reload's errors, whole */
};

/* The privilege a request needs is its command's (ctl_cmd.c). */
struct ctl_handler {
	uint16_t	 type;
	int		(*fn)(const struct ctl_msg *, struct ctl_reply *,
			    void *);
};

int		 ctl_reply_error(struct ctl_reply *, uint32_t, const char *,
		    ...) __attribute__((format(printf, 3, 4)));
uint8_t		*ctl_dispatch(const struct ctl_handler *, size_t, int,
		    const struct ctl_msg *, void *, size_t *);

int		 ctl_group(const char *, gid_t *);
int		 ctl_listen(const char *, gid_t);
int		 ctl_peer_allowed(int, gid_t);
int		 ctl_peer_priv(int, gid_t);
/* ctl_peer-linux.c: the peer's uid and primary gid (getpeereid(2)). */
int		 ctl_peer_cred(int, uid_t *, gid_t *);

/*
 * One accepted connection: reads requests, dispatches them, queues the
 * replies.  ctl_conn_read() and ctl_conn_flush() return -1 when the
 * connection is to be closed (EOF, error, malformed input), else 0;
 * ctl_conn_pending() says whether replies wait to be written.
 */
struct ctl_conn {
	int			 fd;
	int			 priv;
	struct ctl_reader	 rd;
	uint8_t			*out;
	size_t			 outlen, outoff;
};

struct ctl_conn	*ctl_conn_new(int, gid_t);
void		 ctl_conn_free(struct ctl_conn *);
int		 ctl_conn_read(struct ctl_conn *, const struct ctl_handler *,
		    size_t, void *);
int		 ctl_conn_flush(struct ctl_conn *);
int		 ctl_conn_pending(const struct ctl_conn *);

/* ctl_client.c: blocking, for kubsd-net and the tests */
int		 ctl_connect(const char *);
int		 ctl_request(int, uint16_t, uint16_t, size_t,
		    const char *const *, struct ctl_reader *,
		    struct ctl_msg *);

#endif
