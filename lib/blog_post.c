/*
 * Posts and revisions.  The posts row is what the site serves; the
 * revisions rows are every state it had, the latest equal to the row.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blog_markdown.h"
#include "blog_post.h"
#include "blog_tags.h"


/* sqlite3_step() of a statement that returns no row, as a result code. */
static int
blog_step_done(sqlite3_stmt *stmt)
{
    int  rc;

    rc = sqlite3_step(stmt);

    return rc == SQLITE_DONE ? SQLITE_OK : (rc == SQLITE_ROW ? SQLITE_ERROR
                                                             : rc);
}


int
blog_post_find(sqlite3 *db, const char *slug, int64_t *id)
{
    int            rc;
    sqlite3_stmt  *stmt;

    rc = sqlite3_prepare_v2(db, "SELECT id FROM posts WHERE slug = ?1", -1,
                            &stmt, NULL);
    if (rc != SQLITE_OK) {
        return rc;
    }

    rc = sqlite3_bind_text(stmt, 1, slug, -1, SQLITE_STATIC);

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);

        if (rc == SQLITE_ROW) {
            *id = sqlite3_column_int64(stmt, 0);
            rc = SQLITE_OK;

        } else if (rc == SQLITE_DONE) {
            rc = SQLITE_NOTFOUND;
        }
    }

    sqlite3_finalize(stmt);

    return rc;
}


int
blog_revision_read(sqlite3 *db, int64_t id, int *rev, sqlite3_stmt **stmt,
    blog_state_t *st)
{
    int  rc;

    rc = sqlite3_prepare_v2(db,
             "SELECT rev, type, title, summary, body_md, status,"
             "       published_at, tags"
             " FROM revisions"
             " WHERE post_id = ?1 AND (rev = ?2 OR ?2 = 0)"
             " ORDER BY rev DESC LIMIT 1", -1, stmt, NULL);
    if (rc != SQLITE_OK) {
        return rc;
    }

    rc = sqlite3_bind_int64(*stmt, 1, id);
    if (rc == SQLITE_OK) {
        rc = sqlite3_bind_int(*stmt, 2, *rev);
    }

    if (rc != SQLITE_OK) {
        return rc;
    }

    rc = sqlite3_step(*stmt);

    if (rc == SQLITE_DONE) {
        return SQLITE_NOTFOUND;
    }

    if (rc != SQLITE_ROW) {
        return rc;
    }

    *rev = sqlite3_column_int(*stmt, 0);

    /* the columns are NOT NULL; published_at is the only one that may be */
    st->type = (const char *) sqlite3_column_text(*stmt, 1);
    st->title = (const char *) sqlite3_column_text(*stmt, 2);
    st->summary = (const char *) sqlite3_column_text(*stmt, 3);
    st->body_md = (const char *) sqlite3_column_text(*stmt, 4);
    st->status = (const char *) sqlite3_column_text(*stmt, 5);
    st->has_published = sqlite3_column_type(*stmt, 6) != SQLITE_NULL;
    st->published_at = sqlite3_column_int64(*stmt, 6);
    st->tags = (const char *) sqlite3_column_text(*stmt, 7);
    st->newsletter = -1;

    /* a NULL here is SQLite out of memory converting the value */
    if (st->type == NULL || st->title == NULL || st->summary == NULL
        || st->body_md == NULL || st->status == NULL || st->tags == NULL)
    {
        return SQLITE_NOMEM;
    }

    return SQLITE_OK;
}


int
blog_state_equal(const blog_state_t *a, const blog_state_t *b)
{
    return strcmp(a->type, b->type) == 0
           && strcmp(a->title, b->title) == 0
           && strcmp(a->summary, b->summary) == 0
           && strcmp(a->body_md, b->body_md) == 0
           && strcmp(a->status, b->status) == 0
           && strcmp(a->tags, b->tags) == 0
           && a->has_published == b->has_published
           && (!a->has_published || a->published_at == b->published_at);
}


static int
blog_bind_published(sqlite3_stmt *stmt, int i, const blog_state_t *st)
{
    return st->has_published ? sqlite3_bind_int64(stmt, i, st->published_at)
                             : sqlite3_bind_null(stmt, i);
}


static int
blog_post_write(sqlite3 *db, blog_stmts_t *cache, int64_t *id,
    const char *slug, const char *source, const blog_state_t *st,
    const char *html, int64_t now)
{
    int            rc;
    char          *toc;
    sqlite3_stmt  *stmt;

    /* the table of contents and reading time follow from the Markdown */
    if (blog_markdown_toc(st->body_md, strlen(st->body_md), &toc) != 0) {
        return SQLITE_NOMEM;
    }

    if (*id == 0) {
        rc = blog_stmt_prepare(cache, db,
                 "INSERT INTO posts (type, title, summary, body_md, body_html,"
                 "  status, published_at, updated_at, source, created_at,"
                 "  slug, toc_html, reading_minutes, newsletter)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8, ?10, ?12,"
                 "  ?13, ifnull(?14, 1))",
                 &stmt);

    } else {
        rc = blog_stmt_prepare(cache, db,
                 "UPDATE posts SET type = ?1, title = ?2, summary = ?3,"
                 "  body_md = ?4, body_html = ?5, status = ?6,"
                 "  published_at = ?7, updated_at = ?8,"
                 "  source = coalesce(?9, source),"
                 "  slug = coalesce(?10, slug),"
                 "  toc_html = ?12, reading_minutes = ?13,"
                 "  newsletter = ifnull(?14, newsletter)"
                 " WHERE id = ?11",
                 &stmt);
    }

    if (rc != SQLITE_OK) {
        free(toc);
        return rc;
    }

    if ((rc = sqlite3_bind_text(stmt, 1, st->type, -1, SQLITE_STATIC))
            != SQLITE_OK
        || (rc = sqlite3_bind_text(stmt, 2, st->title, -1, SQLITE_STATIC))
            != SQLITE_OK
        || (rc = sqlite3_bind_text(stmt, 3, st->summary, -1, SQLITE_STATIC))
            != SQLITE_OK
        || (rc = sqlite3_bind_text(stmt, 4, st->body_md, -1, SQLITE_STATIC))
            != SQLITE_OK
        || (rc = sqlite3_bind_text(stmt, 5, html, -1, SQLITE_STATIC))
            != SQLITE_OK
        || (rc = sqlite3_bind_text(stmt, 6, st->status, -1, SQLITE_STATIC))
            != SQLITE_OK
        || (rc = blog_bind_published(stmt, 7, st)) != SQLITE_OK
        || (rc = sqlite3_bind_int64(stmt, 8, now)) != SQLITE_OK
        || (rc = sqlite3_bind_text(stmt, 9, source, -1, SQLITE_STATIC))
            != SQLITE_OK
        || (rc = sqlite3_bind_text(stmt, 10, slug, -1, SQLITE_STATIC))
            != SQLITE_OK
        || (*id != 0 && (rc = sqlite3_bind_int64(stmt, 11, *id)) != SQLITE_OK)
        || (rc = sqlite3_bind_text(stmt, 12, toc, -1, SQLITE_STATIC))
            != SQLITE_OK
        || (rc = sqlite3_bind_int(stmt, 13,
                     blog_markdown_reading_minutes(st->body_md,
                                                   strlen(st->body_md))))
            != SQLITE_OK
        || (st->newsletter >= 0
            && (rc = sqlite3_bind_int(stmt, 14, st->newsletter != 0))
               != SQLITE_OK)
        || (rc = blog_step_done(stmt)) != SQLITE_OK)
    {
        blog_stmt_done(cache, stmt);
        free(toc);
        return rc;
    }

    blog_stmt_done(cache, stmt);
    free(toc);

    if (*id == 0) {
        *id = sqlite3_last_insert_rowid(db);
    }

    return SQLITE_OK;
}


static int
blog_revision_append(sqlite3 *db, blog_stmts_t *cache, int64_t id,
    const blog_state_t *st, const char *origin, int64_t now, int *rev)
{
    int            rc;
    sqlite3_stmt  *stmt;

    rc = blog_stmt_prepare(cache, db,
             "INSERT INTO revisions (post_id, rev, type, title, summary,"
             "  body_md, status, published_at, tags, created_at, origin)"
             " SELECT ?1, coalesce(max(rev), 0) + 1, ?2, ?3, ?4, ?5, ?6, ?7,"
             "  ?8, ?9, ?10"
             " FROM revisions WHERE post_id = ?1"
             " RETURNING rev", &stmt);
    if (rc != SQLITE_OK) {
        return rc;
    }

    if ((rc = sqlite3_bind_int64(stmt, 1, id)) != SQLITE_OK
        || (rc = sqlite3_bind_text(stmt, 2, st->type, -1, SQLITE_STATIC))
            != SQLITE_OK
        || (rc = sqlite3_bind_text(stmt, 3, st->title, -1, SQLITE_STATIC))
            != SQLITE_OK
        || (rc = sqlite3_bind_text(stmt, 4, st->summary, -1, SQLITE_STATIC))
            != SQLITE_OK
        || (rc = sqlite3_bind_text(stmt, 5, st->body_md, -1, SQLITE_STATIC))
            != SQLITE_OK
        || (rc = sqlite3_bind_text(stmt, 6, st->status, -1, SQLITE_STATIC))
            != SQLITE_OK
        || (rc = blog_bind_published(stmt, 7, st)) != SQLITE_OK
        || (rc = sqlite3_bind_text(stmt, 8, st->tags, -1, SQLITE_STATIC))
            != SQLITE_OK
        || (rc = sqlite3_bind_int64(stmt, 9, now)) != SQLITE_OK
        || (rc = sqlite3_bind_text(stmt, 10, origin, -1, SQLITE_STATIC))
            != SQLITE_OK)
    {
        blog_stmt_done(cache, stmt);
        return rc;
    }

    rc = sqlite3_step(stmt);

    if (rc != SQLITE_ROW) {
        blog_stmt_done(cache, stmt);
        return rc == SQLITE_DONE ? SQLITE_ERROR : rc;
    }

    *rev = sqlite3_column_int(stmt, 0);

    /* RETURNING: the row is written by the time the first step returns */
    blog_stmt_done(cache, stmt);

    return SQLITE_OK;
}


static int blog_post_flip(sqlite3 *db, blog_stmts_t *cache, int64_t id,
    int64_t now);


/*
 * A new published post is written a draft, given its tags, then published:
 * its search document is then indexed once, with its tags, where each tag
 * linked to a published post would index it again (migration 11).  The
 * tables end as an insert of the published row leaves them.
 */
int
blog_post_save(sqlite3 *db, blog_stmts_t *cache, int64_t *id,
    const char *slug, const char *source, const blog_state_t *st,
    const char *html, const char *origin, int64_t now, int *rev)
{
    int            rc, flip;
    blog_state_t   draft;

    flip = (*id == 0 && strcmp(st->status, "published") == 0);

    if (flip) {
        draft = *st;
        draft.status = "draft";
        rc = blog_post_write(db, cache, id, slug, source, &draft, html,
                             now);

    } else {
        rc = blog_post_write(db, cache, id, slug, source, st, html, now);
    }

    if (rc == SQLITE_OK) {
        rc = blog_tags_set(db, cache, *id, st->tags);
    }

    if (rc == SQLITE_OK && flip) {
        rc = blog_post_flip(db, cache, *id, now);
    }

    if (rc == SQLITE_OK) {
        rc = blog_revision_append(db, cache, *id, st, origin, now, rev);
    }

    return rc;
}


/*
 * The revision's strings belong to its statement, which must be finished
 * before the same table is written: copy them into one allocation.
 */
static int
blog_state_copy(blog_state_t *to, const blog_state_t *from, char **mem)
{
    char         *p;
    size_t        i, len[6], total;
    const char   *src[6];
    const char  **dst[6];

    src[0] = from->type;     dst[0] = &to->type;
    src[1] = from->title;    dst[1] = &to->title;
    src[2] = from->summary;  dst[2] = &to->summary;
    src[3] = from->body_md;  dst[3] = &to->body_md;
    src[4] = from->status;   dst[4] = &to->status;
    src[5] = from->tags;     dst[5] = &to->tags;

    total = 0;

    for (i = 0; i < 6; i++) {
        len[i] = strlen(src[i]) + 1;
        total += len[i];
    }

    p = malloc(total);
    if (p == NULL) {
        return SQLITE_NOMEM;
    }

    *mem = p;

    for (i = 0; i < 6; i++) {
        memcpy(p, src[i], len[i]);
        *dst[i] = p;
        p += len[i];
    }

    to->has_published = from->has_published;
    to->published_at = from->published_at;
    to->newsletter = from->newsletter;

    return SQLITE_OK;
}


/*
 * Saves a copy of revision rev (0: the latest) with the status given, or
 * its own when status is NULL, as the next revision.
 */
static int
blog_post_restore(sqlite3 *db, int64_t id, int rev, const char *status,
    const char *origin, int64_t now, int *new_rev)
{
    int            rc;
    char          *mem, *html;
    blog_state_t   st, old;
    sqlite3_stmt  *stmt;

    mem = NULL;
    html = NULL;

    rc = blog_revision_read(db, id, &rev, &stmt, &old);

    if (rc == SQLITE_OK) {
        rc = blog_state_copy(&st, &old, &mem);
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_OK) {
        return rc;
    }

    if (status != NULL) {
        st.status = status;
    }

    /* the body is rendered again: the renderer may have changed since */
    if (blog_markdown_render(st.body_md, strlen(st.body_md), &html, NULL)
        != 0)
    {
        free(mem);
        return SQLITE_NOMEM;
    }

    rc = blog_post_save(db, NULL, &id, NULL, NULL, &st, html, origin, now,
                        new_rev);

    free(html);
    free(mem);

    return rc;
}


int
blog_post_rollback(sqlite3 *db, int64_t id, int rev, int64_t now,
    int *new_rev)
{
    int   rc;
    char  origin[32];

    /* rev 0 would read the latest revision: not one a caller can name */
    if (rev < 1) {
        return SQLITE_NOTFOUND;
    }

    snprintf(origin, sizeof(origin), "rollback:%d", rev);

    rc = blog_post_restore(db, id, rev, NULL, origin, now, new_rev);

    if (rc == SQLITE_OK) {
        rc = blog_tags_prune(db);
    }

    return rc;
}


int
blog_post_delete(sqlite3 *db, int64_t id)
{
    int            rc, i;
    sqlite3_stmt  *stmt;

    /* explicit, not ON DELETE CASCADE: that needs PRAGMA foreign_keys */
    static const char *const  sql[] = {
        "DELETE FROM comments WHERE post_id = ?1",
        "DELETE FROM post_tags WHERE post_id = ?1",
        "DELETE FROM revisions WHERE post_id = ?1",
        "DELETE FROM posts WHERE id = ?1"
    };

    for (i = 0; i < 4; i++) {
        rc = sqlite3_prepare_v2(db, sql[i], -1, &stmt, NULL);
        if (rc != SQLITE_OK) {
            return rc;
        }

        rc = sqlite3_bind_int64(stmt, 1, id);
        if (rc == SQLITE_OK) {
            rc = blog_step_done(stmt);
        }

        if (rc == SQLITE_OK && i == 3 && sqlite3_changes(db) == 0) {
            rc = SQLITE_NOTFOUND;
        }

        sqlite3_finalize(stmt);

        if (rc != SQLITE_OK) {
            return rc;
        }
    }

    return blog_tags_prune(db);
}


static int
blog_post_flip(sqlite3 *db, blog_stmts_t *cache, int64_t id, int64_t now)
{
    int            rc;
    sqlite3_stmt  *stmt;

    rc = blog_stmt_prepare(cache, db,
             "UPDATE posts SET status = 'published', updated_at = ?2"
             " WHERE id = ?1", &stmt);
    if (rc != SQLITE_OK) {
        return rc;
    }

    rc = sqlite3_bind_int64(stmt, 1, id);
    if (rc == SQLITE_OK) {
        rc = sqlite3_bind_int64(stmt, 2, now);
    }

    if (rc == SQLITE_OK) {
        rc = blog_step_done(stmt);
    }

    blog_stmt_done(cache, stmt);

    return rc;
}


int
blog_post_publish_due(sqlite3 *db, int64_t now, int *n)
{
    int            rc, rev;
    int64_t        id;
    sqlite3_stmt  *stmt;

    *n = 0;

    rc = sqlite3_prepare_v2(db,
             "SELECT id FROM posts"
             " WHERE status = 'scheduled' AND published_at <= ?1"
             " ORDER BY published_at LIMIT 1", -1, &stmt, NULL);
    if (rc != SQLITE_OK) {
        return rc;
    }

    /* one at a time: each save writes the table the query reads */
    for ( ;; ) {
        rc = sqlite3_bind_int64(stmt, 1, now);
        if (rc != SQLITE_OK) {
            break;
        }

        rc = sqlite3_step(stmt);
        if (rc != SQLITE_ROW) {
            rc = (rc == SQLITE_DONE) ? SQLITE_OK : rc;
            break;
        }

        id = sqlite3_column_int64(stmt, 0);
        sqlite3_reset(stmt);

        rc = blog_post_restore(db, id, 0, "published", "schedule", now, &rev);

        /* a post without revisions was made by other means: flip the row */
        if (rc == SQLITE_NOTFOUND) {
            rc = blog_post_flip(db, NULL, id, now);
        }

        if (rc != SQLITE_OK) {
            break;
        }

        (*n)++;
    }

    sqlite3_finalize(stmt);

    return rc;
}


int
blog_post_rerender(sqlite3 *db, int64_t id, int64_t now, int *changed)
{
    int            rc;
    char          *html, *toc;
    unsigned       minutes;
    const char    *md, *old_html, *old_toc;
    sqlite3_stmt  *stmt, *upd;

    *changed = 0;

    rc = sqlite3_prepare_v2(db,
             "SELECT body_md, body_html, toc_html, reading_minutes"
             " FROM posts WHERE id = ?1", -1, &stmt, NULL);
    if (rc != SQLITE_OK) {
        return rc;
    }

    rc = sqlite3_bind_int64(stmt, 1, id);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
    }

    if (rc != SQLITE_ROW) {
        sqlite3_finalize(stmt);
        return rc == SQLITE_DONE ? SQLITE_NOTFOUND : rc;
    }

    md = (const char *) sqlite3_column_text(stmt, 0);
    old_html = (const char *) sqlite3_column_text(stmt, 1);
    old_toc = (const char *) sqlite3_column_text(stmt, 2);

    if (md == NULL || old_html == NULL || old_toc == NULL) {
        sqlite3_finalize(stmt);
        return SQLITE_NOMEM;
    }

    if (blog_markdown_render(md, strlen(md), &html, NULL) != 0) {
        sqlite3_finalize(stmt);
        return SQLITE_NOMEM;
    }

    if (blog_markdown_toc(md, strlen(md), &toc) != 0) {
        free(html);
        sqlite3_finalize(stmt);
        return SQLITE_NOMEM;
    }

    minutes = blog_markdown_reading_minutes(md, strlen(md));

    /* unchanged posts keep their updated_at, and the pages their dates */
    if (strcmp(html, old_html) == 0 && strcmp(toc, old_toc) == 0
        && minutes == (unsigned) sqlite3_column_int(stmt, 3))
    {
        free(html);
        free(toc);
        sqlite3_finalize(stmt);
        return SQLITE_OK;
    }

    sqlite3_finalize(stmt);

    rc = sqlite3_prepare_v2(db,
             "UPDATE posts SET body_html = ?1, toc_html = ?2,"
             "  reading_minutes = ?3, updated_at = ?4 WHERE id = ?5",
             -1, &upd, NULL);

    if (rc == SQLITE_OK) {
        if ((rc = sqlite3_bind_text(upd, 1, html, -1, SQLITE_STATIC))
                == SQLITE_OK
            && (rc = sqlite3_bind_text(upd, 2, toc, -1, SQLITE_STATIC))
                == SQLITE_OK
            && (rc = sqlite3_bind_int(upd, 3, (int) minutes)) == SQLITE_OK
            && (rc = sqlite3_bind_int64(upd, 4, now)) == SQLITE_OK
            && (rc = sqlite3_bind_int64(upd, 5, id)) == SQLITE_OK)
        {
            rc = blog_step_done(upd);
        }

        sqlite3_finalize(upd);
    }

    free(html);
    free(toc);

    *changed = rc == SQLITE_OK;

    return rc;
}
