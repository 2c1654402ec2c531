/*
 * A post's tags in the tags and post_tags tables, and tag slugs.  Pure C
 * and SQLite, shared by blogctl and the nginx module; functions return
 * SQLite result codes and leave the reporting to the caller.
 */

#ifndef BLOG_TAGS_H
#define BLOG_TAGS_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "blog_stmts.h"


/*
 * Writes the slug of the tag name s[0..n) to out, which needs n + 1 bytes
 * (a slug is never longer than its name), and returns its length: ASCII
 * letters lowercased, digits kept, every run of anything else one '-', no
 * '-' at either end.  0 means the name has no letter or digit.
 */
size_t blog_tag_slug(const char *s, size_t n, char *out);

/*
 * Replaces the tags of post id by names, the tag names joined by ',' as in
 * revisions.tags.  A tag is found by its slug; its name becomes the one
 * written last.  Names without a letter or digit are skipped.  cache: as
 * blog_post_save()'s.
 */
int blog_tags_set(sqlite3 *db, blog_stmts_t *cache, int64_t id,
    const char *names);

/*
 * A bulk write (blogctl import) between blog_tags_defer() and
 * blog_tags_rename() renames each tag once, at the end, to the name
 * written last, where blog_tags_set() alone would rename it at every post
 * that spells it another way ("News", then "news"), and each rename
 * indexes again every published post of the tag (migration 11).  The
 * tables end the same.  In the caller's transaction.
 */
int blog_tags_defer(sqlite3 *db);
int blog_tags_rename(sqlite3 *db);

/* Deletes the tags no post uses any more. */
int blog_tags_prune(sqlite3 *db);

#endif /* BLOG_TAGS_H */
