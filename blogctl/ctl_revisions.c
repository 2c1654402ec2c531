/*
 * blogctl revisions SLUG, blogctl rollback SLUG REV.
 *
 * A rollback never rewrites history: the old state comes back as a new
 * revision, so that the rollback itself can be rolled back.
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_commands.h"
#include "ctl_db.h"
#include "ctl_markdown.h"
#include "ctl_post.h"
#include "ctl_tags.h"
#include "ctl_util.h"


static int
ctl_find_or_fail(sqlite3 *db, const char *slug, int64_t *id)
{
    int  rc;

    rc = ctl_post_find(db, slug, id);

    if (rc == CTL_NOTFOUND) {
        ctl_error("no post with slug \"%s\"", slug);
        return CTL_ERROR;
    }

    return rc;
}


int
ctl_cmd_revisions(sqlite3 *db, char *const *args)
{
    int            rc;
    char           when[CTL_ISO8601_SIZE];
    int64_t        id;
    const char    *status, *title, *origin;
    sqlite3_stmt  *stmt;

    if (ctl_find_or_fail(db, args[0], &id) != CTL_OK) {
        return CTL_ERROR;
    }

    if (ctl_db_prepare(db,
            "SELECT rev, created_at, status, title, origin"
            " FROM revisions WHERE post_id = ?1 ORDER BY rev DESC", &stmt)
        != CTL_OK)
    {
        return CTL_ERROR;
    }

    if (sqlite3_bind_int64(stmt, 1, id) != SQLITE_OK) {
        rc = ctl_db_fail(db);
        sqlite3_finalize(stmt);
        return rc;
    }

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        status = (const char *) sqlite3_column_text(stmt, 2);
        title = (const char *) sqlite3_column_text(stmt, 3);
        origin = (const char *) sqlite3_column_text(stmt, 4);

        /* NOT NULL columns: NULL means no memory to convert them */
        if (status == NULL || title == NULL || origin == NULL) {
            rc = SQLITE_NOMEM;
            break;
        }

        ctl_iso8601(sqlite3_column_int64(stmt, 1), when);

        printf("%d\t%s\t%s\t%s\t%s\n", sqlite3_column_int(stmt, 0), when,
               status, title, origin);
    }

    if (rc == SQLITE_NOMEM) {
        ctl_error("out of memory");
        rc = CTL_ERROR;

    } else {
        rc = (rc == SQLITE_DONE) ? CTL_OK : ctl_db_fail(db);
    }

    sqlite3_finalize(stmt);

    return rc;
}


/* A revision number: decimal digits only, 1 or more. */
static int
ctl_parse_rev(const char *s, int *rev)
{
    long   v;
    char  *end;

    if (*s < '0' || *s > '9') {
        return CTL_ERROR;
    }

    errno = 0;
    v = strtol(s, &end, 10);

    if (errno != 0 || *end != '\0' || v < 1 || v > INT_MAX) {
        return CTL_ERROR;
    }

    *rev = (int) v;

    return CTL_OK;
}


/*
 * The revision's strings belong to its statement, which must be finished
 * before the same table is written: copy them into one allocation.
 */
static int
ctl_state_copy(ctl_state_t *to, const ctl_state_t *from, char **mem)
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
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    *mem = p;

    for (i = 0; i < 6; i++) {
        memcpy(p, src[i], len[i]);
        *dst[i] = p;
        p += len[i];
    }

    to->has_published = from->has_published;
    to->published_at = from->published_at;

    return CTL_OK;
}


static int
ctl_rollback(sqlite3 *db, const char *slug, int rev, int *new_rev)
{
    int            rc, got;
    char          *mem, *html, *origin;
    int64_t        id;
    ctl_state_t    st, old;
    sqlite3_stmt  *stmt;

    if (ctl_find_or_fail(db, slug, &id) != CTL_OK) {
        return CTL_ERROR;
    }

    got = rev;
    mem = NULL;

    rc = ctl_revision_read(db, id, &got, &stmt, &old);

    if (rc == CTL_OK) {
        rc = ctl_state_copy(&st, &old, &mem);

    } else if (rc == CTL_NOTFOUND) {
        ctl_error("post \"%s\" has no revision %d", slug, rev);
        rc = CTL_ERROR;
    }

    sqlite3_finalize(stmt);

    if (rc != CTL_OK) {
        return CTL_ERROR;
    }

    html = NULL;
    origin = sqlite3_mprintf("rollback:%d", rev);

    if (origin == NULL) {
        ctl_error("out of memory");
        rc = CTL_ERROR;

    } else {
        rc = ctl_markdown_render(st.body_md, &html, NULL);
    }

    /* the body is rendered again: the renderer may have changed since */
    if (rc == CTL_OK) {
        rc = ctl_post_save(db, &id, slug, NULL, &st, html, origin,
                           (int64_t) time(NULL), new_rev);
    }

    if (rc == CTL_OK) {
        rc = ctl_tags_prune(db);
    }

    sqlite3_free(origin);
    free(html);
    free(mem);

    return rc;
}


int
ctl_cmd_rollback(sqlite3 *db, char *const *args)
{
    int  rev, new_rev;

    if (ctl_parse_rev(args[1], &rev) != CTL_OK) {
        ctl_error("invalid revision \"%s\": expected a number from 1",
                  args[1]);
        return CTL_ERROR;
    }

    if (ctl_db_begin(db) != CTL_OK) {
        return CTL_ERROR;
    }

    if (ctl_rollback(db, args[0], rev, &new_rev) != CTL_OK) {
        ctl_db_rollback(db);
        return CTL_ERROR;
    }

    if (ctl_db_commit(db) != CTL_OK) {
        return CTL_ERROR;
    }

    printf("%s: revision %d restored as revision %d\n", args[0], rev,
           new_rev);

    return CTL_OK;
}
