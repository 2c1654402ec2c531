/*
 * Posts and their revisions: the writes shared by import and rollback.
 */

#ifndef CTL_POST_H
#define CTL_POST_H

#include <stdint.h>

#include <sqlite3.h>


/* What a revision saves of a post: everything an author writes. */
typedef struct {
    const char  *type;
    const char  *title;
    const char  *summary;
    const char  *body_md;
    const char  *status;
    const char  *tags;            /* names joined by ',' */
    int          has_published;
    int64_t      published_at;
} ctl_state_t;


/* posts.id of slug: CTL_OK, CTL_NOTFOUND, or CTL_ERROR (reported). */
int ctl_post_find(sqlite3 *db, const char *slug, int64_t *id);

/*
 * Reads revision *rev of post id, or its latest when *rev is 0, into *st
 * and *rev.  The strings belong to *stmt: the caller finalizes it when done
 * with them, whatever the result.  CTL_OK, CTL_NOTFOUND or CTL_ERROR.
 */
int ctl_revision_read(sqlite3 *db, int64_t id, int *rev, sqlite3_stmt **stmt,
    ctl_state_t *st);

int ctl_state_equal(const ctl_state_t *a, const ctl_state_t *b);

/*
 * Makes st the current state of a post, inside the caller's transaction:
 * inserts the post if *id is 0 (setting *id), otherwise updates it (source
 * NULL keeps the old one); replaces its tags; appends the next revision
 * with origin, whose number goes to *rev.  html is body_md rendered.
 */
int ctl_post_save(sqlite3 *db, int64_t *id, const char *slug,
    const char *source, const ctl_state_t *st, const char *html,
    const char *origin, int64_t now, int *rev);

#endif /* CTL_POST_H */
