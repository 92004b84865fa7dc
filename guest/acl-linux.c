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
 * Letting tor's user reach its data directory in the bundle: the
 * directories above a bundle (kubsd-netd's state directory) are
 * root's, mode 0700.  Rather than open them to everyone, each one that
 * stops the user gets a POSIX ACL entry "user:UID:--x" (search only),
 * written as the kernel's system.posix_acl_access attribute.
 */
#include <sys/stat.h>
#include <sys/xattr.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"
#include "log.h"

#define ACL_XATTR	"system.posix_acl_access"
#define ACL_VERSION	2
#define ACL_USER_OBJ	0x01
#define ACL_USER	0x02
#define ACL_GROUP_OBJ	0x04
#define ACL_GROUP	0x08
#define ACL_MASK	0x10
#define ACL_OTHER	0x20
#define ACL_X		1
#define ACL_MAXENT	64

struct acl_ent {
	uint16_t	 tag;
	uint16_t	 perm;
	uint32_t	 id;
} __attribute__((packed));

struct acl {
	uint32_t	 version;
	struct acl_ent	 e[ACL_MAXENT];
} __attribute__((packed));

static int
ent_cmp(const void *a, const void *b)
{
	const struct acl_ent *x = a, *y = b;

	if (x->tag != y->tag)
		return x->tag < y->tag ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * Add search for uid to dir's ACL (made from its mode if it has none):
 * 1 if added, 0 if it was there, -1 on error.
 */
static int
grant(const char *dir, const struct stat *st, uid_t uid)
{
	struct acl	 acl;
	ssize_t		 len;
	size_t		 n, i;
	uint16_t	 named = 0;
	int		 have_user = 0, mask = -1;

	memset(&acl, 0, sizeof(acl));
	len = getxattr(dir, ACL_XATTR, &acl, sizeof(acl));
	if (len == -1 && errno != ENODATA)
		return -1;
	if (len == -1) {
		acl.version = ACL_VERSION;
		acl.e[0] = (struct acl_ent){ ACL_USER_OBJ,
		    (st->st_mode >> 6) & 7, UINT32_MAX };
		acl.e[1] = (struct acl_ent){ ACL_GROUP_OBJ,
		    (st->st_mode >> 3) & 7, UINT32_MAX };
		acl.e[2] = (struct acl_ent){ ACL_OTHER, st->st_mode & 7,
		    UINT32_MAX };
		n = 3;
	} else {
		if (len < 4 || (len - 4) % sizeof(struct acl_ent) != 0 ||
		    acl.version != ACL_VERSION) {
			errno = EINVAL;
			return -1;
		}
		n = (size_t)(len - 4) / sizeof(struct acl_ent);
	}
	for (i = 0; i < n; i++) {
		if (acl.e[i].tag == ACL_USER && acl.e[i].id == uid) {
			if (acl.e[i].perm & ACL_X)
				have_user = 2;
			acl.e[i].perm |= ACL_X;
			have_user |= 1;
		}
		if (acl.e[i].tag == ACL_MASK)
			mask = (int)i;
	}
	if (have_user == 3 && mask != -1 && (acl.e[mask].perm & ACL_X))
		return 0;	/* allowed already */
	if (!have_user) {
		if (n + 2 > ACL_MAXENT) {
			errno = ENOSPC;
			return -1;
		}
		acl.e[n++] = (struct acl_ent){ ACL_USER, ACL_X, uid };
	}
	/* The mask bounds named entries and the group: keep the group's. */
	for (i = 0; i < n; i++)
		if (acl.e[i].tag == ACL_USER || acl.e[i].tag == ACL_GROUP ||
		    acl.e[i].tag == ACL_GROUP_OBJ)
			named |= acl.e[i].perm;
	if (mask == -1)
		acl.e[n++] = (struct acl_ent){ ACL_MASK, named, UINT32_MAX };
	else
		acl.e[mask].perm |= named & ACL_X;
	qsort(acl.e, n, sizeof(acl.e[0]), ent_cmp);
	if (setxattr(dir, ACL_XATTR, &acl, 4 + n * sizeof(acl.e[0]), 0) == -1)
		return -1;
	return 1;
}

/*
 * Every directory above path (not path itself) that the user cannot
 * search by its mode gets an ACL entry that lets it.
 */
int
acl_allow_search(const char *path, uid_t uid, gid_t gid, char *err,
    size_t errlen)
{
	char		 dir[PATH_MAX], *p;
	struct stat	 st;
	int		 rv;

	if (strlen(path) >= sizeof(dir) || path[0] != '/') {
		snprintf(err, errlen, "%s: not an absolute path", path);
		return -1;
	}
	memcpy(dir, path, strlen(path) + 1);
	for (p = dir + 1; (p = strchr(p, '/')) != NULL; *p++ = '/') {
		*p = '\0';
		if (stat(dir, &st) == -1)
			goto fail;
		if ((st.st_uid == uid && (st.st_mode & S_IXUSR)) ||
		    (st.st_gid == gid && (st.st_mode & S_IXGRP)) ||
		    (st.st_mode & S_IXOTH))
			continue;
		if ((rv = grant(dir, &st, uid)) == -1)
			goto fail;
		if (rv == 1)
			log_info("%s: search allowed to uid %ld (ACL)", dir,
		    (long)uid);
	}
	return 0;
 fail:
	snprintf(err, errlen, "%s: %s", dir, strerror(errno));
	return -1;
}
