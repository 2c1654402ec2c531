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
 * written last.  Names without a letter or digit are skipped.
 */
int blog_tags_set(sqlite3 *db, int64_t id, const char *names);

/* Deletes the tags no post uses any more. */
int blog_tags_prune(sqlite3 *db);

#endif /* BLOG_TAGS_H */
