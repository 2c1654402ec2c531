/*
 * Posts and their revisions: the writes shared by blogctl (import,
 * rollback) and the admin panel.  Pure C, SQLite and cmark; functions
 * return SQLite result codes (SQLITE_NOTFOUND for a missing row) and leave
 * the reporting to the caller, who has the connection's message.
 */

#ifndef BLOG_POST_H
#define BLOG_POST_H

#include <stdint.h>

#include <sqlite3.h>

#include "blog_stmts.h"


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
    /*
     * posts.newsletter: 1 send the post to the subscribers when it is
     * published, 0 not, -1 leave it as the post has it (1 for a new one).
     * Not a revision's: a rollback does not change it.
     */
    int          newsletter;
} blog_state_t;


/* posts.id of slug: SQLITE_OK, SQLITE_NOTFOUND or an error. */
int blog_post_find(sqlite3 *db, const char *slug, int64_t *id);

/*
 * Reads revision *rev of post id, or its latest when *rev is 0, into *st
 * and *rev.  The strings belong to *stmt: the caller finalizes it when done
 * with them, whatever the result.  SQLITE_OK, SQLITE_NOTFOUND or an error.
 */
int blog_revision_read(sqlite3 *db, int64_t id, int *rev, sqlite3_stmt **stmt,
    blog_state_t *st);

int blog_state_equal(const blog_state_t *a, const blog_state_t *b);

/*
 * Makes st the current state of a post, inside the caller's transaction:
 * inserts the post if *id is 0 (setting *id), otherwise updates it (slug
 * or source NULL keeps the old one); replaces its tags; appends the next
 * revision with origin, whose number goes to *rev.  html is body_md
 * rendered.  cache keeps the statements for the next post, or is NULL.
 */
int blog_post_save(sqlite3 *db, blog_stmts_t *cache, int64_t *id,
    const char *slug, const char *source, const blog_state_t *st,
    const char *html, const char *origin, int64_t now, int *rev);

/*
 * Makes revision rev of post id current again, as a new revision with the
 * origin "rollback:REV" whose number goes to *new_rev; the Markdown is
 * rendered again and unused tags pruned.  Inside the caller's transaction.
 * SQLITE_NOTFOUND when the post has no such revision.
 */
int blog_post_rollback(sqlite3 *db, int64_t id, int rev, int64_t now,
    int *new_rev);

/*
 * Deletes post id with its tags links, revisions and comments, and prunes
 * unused tags.  Inside the caller's transaction.
 */
int blog_post_delete(sqlite3 *db, int64_t id);

/*
 * Publishes the scheduled posts whose published_at has come, each as a
 * new revision with the origin "schedule"; *n gets how many.  Inside the
 * caller's transaction.
 */
int blog_post_publish_due(sqlite3 *db, int64_t now, int *n);

/*
 * Renders post id's Markdown again, as a new version of the renderer does
 * (highlighting, heading ids, the table of contents, the reading time),
 * and stores what changed, moving updated_at to now; *changed tells
 * whether it did.  No revision is added: the author's text is the same.
 * Inside the caller's transaction.  SQLITE_NOTFOUND for no such post.
 */
int blog_post_rerender(sqlite3 *db, int64_t id, int64_t now, int *changed);

#endif /* BLOG_POST_H */
