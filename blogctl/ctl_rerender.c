/*
 * blogctl rerender: every post and page rendered again from its Markdown
 * by this build, for what a newer renderer adds to posts saved before it
 * (highlighted code, heading ids, the table of contents).  One short
 * transaction per post, so the site's own writes wait for one post at a
 * time, never for the whole run.
 */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "blog_post.h"
#include "ctl_commands.h"
#include "ctl_db.h"
#include "ctl_util.h"


/* The ids of all posts, read before any is written. */
static int
ctl_post_ids(sqlite3 *db, int64_t **ids, size_t *n)
{
    int            rc;
    size_t         size;
    int64_t       *more;
    sqlite3_stmt  *stmt;

    *ids = NULL;
    *n = 0;
    size = 0;

    if (ctl_db_prepare(db, "SELECT id FROM posts ORDER BY id", &stmt)
        != CTL_OK)
    {
        return CTL_ERROR;
    }

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (*n == size) {
            size = size ? size * 2 : 64;
            more = realloc(*ids, size * sizeof(int64_t));
            if (more == NULL) {
                sqlite3_finalize(stmt);
                ctl_error("out of memory");
                return CTL_ERROR;
            }

            *ids = more;
        }

        (*ids)[(*n)++] = sqlite3_column_int64(stmt, 0);
    }

    sqlite3_finalize(stmt);

    return rc == SQLITE_DONE ? CTL_OK : ctl_db_fail(db);
}


int
ctl_cmd_rerender(sqlite3 *db, char *const *args)
{
    int       rc, changed;
    size_t    i, n, done;
    int64_t  *ids;

    (void) args;

    if (ctl_post_ids(db, &ids, &n) != CTL_OK) {
        free(ids);
        return CTL_ERROR;
    }

    done = 0;

    for (i = 0; i < n; i++) {
        if (ctl_db_begin(db) != CTL_OK) {
            free(ids);
            return CTL_ERROR;
        }

        rc = blog_post_rerender(db, ids[i], (int64_t) time(NULL), &changed);

        /* deleted since the ids were read: nothing to do */
        if (rc != SQLITE_OK && rc != SQLITE_NOTFOUND) {
            if (rc == SQLITE_NOMEM) {
                ctl_error("out of memory");

            } else {
                ctl_db_fail(db);
            }

            ctl_db_rollback(db);
            free(ids);
            return CTL_ERROR;
        }

        if (ctl_db_commit(db) != CTL_OK) {
            free(ids);
            return CTL_ERROR;
        }

        done += changed;
    }

    free(ids);

    printf("%zu of %zu posts rendered anew\n", done, n);

    return CTL_OK;
}
