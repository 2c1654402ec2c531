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
#include "ctl_util.h"
#include "blog_post.h"


static int
ctl_find_or_fail(sqlite3 *db, const char *slug, int64_t *id)
{
    int  rc;

    rc = blog_post_find(db, slug, id);

    if (rc == SQLITE_NOTFOUND) {
        ctl_error("no post with slug \"%s\"", slug);
        return CTL_ERROR;
    }

    return rc == SQLITE_OK ? CTL_OK : ctl_db_fail(db);
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


static int
ctl_rollback(sqlite3 *db, const char *slug, int rev, int *new_rev)
{
    int      rc;
    int64_t  id;

    if (ctl_find_or_fail(db, slug, &id) != CTL_OK) {
        return CTL_ERROR;
    }

    rc = blog_post_rollback(db, id, rev, (int64_t) time(NULL), new_rev);

    if (rc == SQLITE_NOTFOUND) {
        ctl_error("post \"%s\" has no revision %d", slug, rev);
        return CTL_ERROR;
    }

    if (rc == SQLITE_NOMEM) {
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    return rc == SQLITE_OK ? CTL_OK : ctl_db_fail(db);
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
