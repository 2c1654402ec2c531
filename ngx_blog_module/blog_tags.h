/*
 * A post's tags in the tags and post_tags tables.
 */

#ifndef CTL_TAGS_H
#define CTL_TAGS_H

#include <stdint.h>

#include <sqlite3.h>


/*
 * Replaces the tags of post id by names, the tag names joined by ',' as in
 * revisions.tags.  A tag is found by its slug; its name becomes the one
 * written last.
 */
int ctl_tags_set(sqlite3 *db, int64_t id, const char *names);

/* Deletes the tags no post uses any more. */
int ctl_tags_prune(sqlite3 *db);

#endif /* CTL_TAGS_H */
