/*
 * Posts and revisions.  The posts row is what the site serves; the
 * revisions rows are every state it had, the latest equal to the row.
 */

#include <string.h>

#include "ctl_db.h"
#include "ctl_post.h"
#include "ctl_tags.h"
#include "ctl_util.h"


int
ctl_post_find(sqlite3 *db, const char *slug, int64_t *id)
{
    int            rc;
    sqlite3_stmt  *stmt;

    if (ctl_db_prepare(db, "SELECT id FROM posts WHERE slug = ?1", &stmt)
        != CTL_OK)
    {
        return CTL_ERROR;
    }

    if (sqlite3_bind_text(stmt, 1, slug, -1, SQLITE_STATIC) != SQLITE_OK) {
        rc = ctl_db_fail(db);
        goto done;
    }

    switch (sqlite3_step(stmt)) {

    case SQLITE_ROW:
        *id = sqlite3_column_int64(stmt, 0);
        rc = CTL_OK;
        break;

    case SQLITE_DONE:
        rc = CTL_NOTFOUND;
        break;

    default:
        rc = ctl_db_fail(db);
    }

done:

    sqlite3_finalize(stmt);

    return rc;
}


int
ctl_revision_read(sqlite3 *db, int64_t id, int *rev, sqlite3_stmt **stmt,
    ctl_state_t *st)
{
    int  rc;

    if (ctl_db_prepare(db,
            "SELECT rev, type, title, summary, body_md, status,"
            "       published_at, tags"
            " FROM revisions"
            " WHERE post_id = ?1 AND (rev = ?2 OR ?2 = 0)"
            " ORDER BY rev DESC LIMIT 1", stmt) != CTL_OK)
    {
        return CTL_ERROR;
    }

    if (sqlite3_bind_int64(*stmt, 1, id) != SQLITE_OK
        || sqlite3_bind_int(*stmt, 2, *rev) != SQLITE_OK)
    {
        return ctl_db_fail(db);
    }

    rc = sqlite3_step(*stmt);

    if (rc == SQLITE_DONE) {
        return CTL_NOTFOUND;
    }

    if (rc != SQLITE_ROW) {
        return ctl_db_fail(db);
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

    /* a NULL here is SQLite out of memory converting the value */
    if (st->type == NULL || st->title == NULL || st->summary == NULL
        || st->body_md == NULL || st->status == NULL || st->tags == NULL)
    {
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    return CTL_OK;
}


int
ctl_state_equal(const ctl_state_t *a, const ctl_state_t *b)
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
ctl_bind_published(sqlite3_stmt *stmt, int i, const ctl_state_t *st)
{
    return st->has_published ? sqlite3_bind_int64(stmt, i, st->published_at)
                             : sqlite3_bind_null(stmt, i);
}


static int
ctl_post_write(sqlite3 *db, int64_t *id, const char *slug,
    const char *source, const ctl_state_t *st, const char *html,
    int64_t now)
{
    int            rc;
    sqlite3_stmt  *stmt;

    if (*id == 0) {
        rc = ctl_db_prepare(db,
                 "INSERT INTO posts (type, title, summary, body_md, body_html,"
                 "  status, published_at, updated_at, source, created_at,"
                 "  slug)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8, ?10)",
                 &stmt);

    } else {
        rc = ctl_db_prepare(db,
                 "UPDATE posts SET type = ?1, title = ?2, summary = ?3,"
                 "  body_md = ?4, body_html = ?5, status = ?6,"
                 "  published_at = ?7, updated_at = ?8,"
                 "  source = coalesce(?9, source)"
                 " WHERE id = ?11",
                 &stmt);
    }

    if (rc != CTL_OK) {
        return CTL_ERROR;
    }

    if (sqlite3_bind_text(stmt, 1, st->type, -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_text(stmt, 2, st->title, -1, SQLITE_STATIC)
           != SQLITE_OK
        || sqlite3_bind_text(stmt, 3, st->summary, -1, SQLITE_STATIC)
           != SQLITE_OK
        || sqlite3_bind_text(stmt, 4, st->body_md, -1, SQLITE_STATIC)
           != SQLITE_OK
        || sqlite3_bind_text(stmt, 5, html, -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_text(stmt, 6, st->status, -1, SQLITE_STATIC)
           != SQLITE_OK
        || ctl_bind_published(stmt, 7, st) != SQLITE_OK
        || sqlite3_bind_int64(stmt, 8, now) != SQLITE_OK
        || sqlite3_bind_text(stmt, 9, source, -1, SQLITE_STATIC) != SQLITE_OK
        || (*id == 0
            ? sqlite3_bind_text(stmt, 10, slug, -1, SQLITE_STATIC)
            : sqlite3_bind_int64(stmt, 11, *id)) != SQLITE_OK
        || sqlite3_step(stmt) != SQLITE_DONE)
    {
        rc = ctl_db_fail(db);
        sqlite3_finalize(stmt);
        return rc;
    }

    sqlite3_finalize(stmt);

    if (*id == 0) {
        *id = sqlite3_last_insert_rowid(db);
    }

    return CTL_OK;
}


static int
ctl_revision_append(sqlite3 *db, int64_t id, const ctl_state_t *st,
    const char *origin, int64_t now, int *rev)
{
    int            rc;
    sqlite3_stmt  *stmt;

    if (ctl_db_prepare(db,
            "INSERT INTO revisions (post_id, rev, type, title, summary,"
            "  body_md, status, published_at, tags, created_at, origin)"
            " SELECT ?1, coalesce(max(rev), 0) + 1, ?2, ?3, ?4, ?5, ?6, ?7,"
            "  ?8, ?9, ?10"
            " FROM revisions WHERE post_id = ?1"
            " RETURNING rev", &stmt) != CTL_OK)
    {
        return CTL_ERROR;
    }

    if (sqlite3_bind_int64(stmt, 1, id) != SQLITE_OK
        || sqlite3_bind_text(stmt, 2, st->type, -1, SQLITE_STATIC)
           != SQLITE_OK
        || sqlite3_bind_text(stmt, 3, st->title, -1, SQLITE_STATIC)
           != SQLITE_OK
        || sqlite3_bind_text(stmt, 4, st->summary, -1, SQLITE_STATIC)
           != SQLITE_OK
        || sqlite3_bind_text(stmt, 5, st->body_md, -1, SQLITE_STATIC)
           != SQLITE_OK
        || sqlite3_bind_text(stmt, 6, st->status, -1, SQLITE_STATIC)
           != SQLITE_OK
        || ctl_bind_published(stmt, 7, st) != SQLITE_OK
        || sqlite3_bind_text(stmt, 8, st->tags, -1, SQLITE_STATIC)
           != SQLITE_OK
        || sqlite3_bind_int64(stmt, 9, now) != SQLITE_OK
        || sqlite3_bind_text(stmt, 10, origin, -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_step(stmt) != SQLITE_ROW)
    {
        rc = ctl_db_fail(db);
        sqlite3_finalize(stmt);
        return rc;
    }

    *rev = sqlite3_column_int(stmt, 0);

    /* RETURNING: the row is written by the time the first step returns */
    sqlite3_finalize(stmt);

    return CTL_OK;
}


int
ctl_post_save(sqlite3 *db, int64_t *id, const char *slug,
    const char *source, const ctl_state_t *st, const char *html,
    const char *origin, int64_t now, int *rev)
{
    if (ctl_post_write(db, id, slug, source, st, html, now) != CTL_OK
        || ctl_tags_set(db, *id, st->tags) != CTL_OK
        || ctl_revision_append(db, *id, st, origin, now, rev) != CTL_OK)
    {
        return CTL_ERROR;
    }

    return CTL_OK;
}
