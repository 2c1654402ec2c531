/*
 * Redirects (data.db's redirects table, lib/blog_schema.c): what a
 * "from" path and a "to" target may be, and a post's aliases.  The checks
 * are pure functions on byte ranges, shared by the module's panel,
 * blogctl and the unit tests; the module answers with them on the 404
 * path only (ngx_http_blog_pages.c).
 */

#ifndef BLOG_REDIRECT_H
#define BLOG_REDIRECT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "blog_stmts.h"

#define BLOG_REDIRECT_FROM_MAX  1024
#define BLOG_REDIRECT_TO_MAX    2048


/*
 * Writes the key of a "from" path to out (room for len bytes): the path a
 * reader's request must have for it to apply, as nginx leaves r->uri:
 * percent-decoded, then without trailing '/' (but "/" itself).  It must
 * start with '/'; no "." or ".." segment, no empty segment, no control
 * character: nginx's URI never has them, so such a "from" could never
 * match.  A query ("/?p=123", WordPress's permalinks) is kept as sent,
 * not decoded: the module asks for it only on the blog's index, with the
 * request's query as it came.  Returns the key's length, or 0 with *why
 * set.
 */
size_t blog_redirect_from(const char *in, size_t len, char *out,
    const char **why);

/* Whether q[0..len) may be a "from" query: printable ASCII, no '#'. */
int blog_redirect_query_valid(const char *q, size_t len);

/* The length of a request's path as a key: without trailing '/'. */
size_t blog_redirect_key_len(const char *path, size_t len);

/*
 * Whether to[0..len) may be a Location: a local path ("/..." but not
 * "//", which browsers read as another host) or an absolute http:// or
 * https:// URL with a host, in printable ASCII without spaces (so no CR,
 * LF or other header injection, no "javascript:").  0 with *why set.
 */
int blog_redirect_to_valid(const char *to, size_t len, const char **why);

/* 301, 302, 308 or 410. */
int blog_redirect_status_valid(long status);

/*
 * Makes aliases (keys from blog_redirect_from, each followed by '\n') the
 * paths that lead to post id with 301, inside the caller's transaction:
 * rows already so are left alone, so writing the same list again changes
 * nothing; the post's aliases no longer listed are deleted.  An alias
 * takes over a "from" that led elsewhere.  cache: as blog_post_save()'s.
 */
int blog_redirect_aliases(sqlite3 *db, blog_stmts_t *cache, int64_t id,
    const char *aliases, int64_t now);

#endif /* BLOG_REDIRECT_H */
