/*
 * blogctl list: one line per post and page, for people and for scripts.
 */

#include <stdio.h>

#include "ctl_commands.h"
#include "ctl_db.h"
#include "ctl_util.h"


int
ctl_cmd_list(sqlite3 *db, char *const *args)
{
    int            rc;
    const char    *type, *status, *slug, *title;
    sqlite3_stmt  *stmt;

    (void) args;

    /* newest first, as the site lists them; undated drafts at the end */
    if (ctl_db_prepare(db,
            "SELECT type, status, slug, title FROM posts"
            " ORDER BY type DESC, published_at DESC, slug", &stmt) != CTL_OK)
    {
        return CTL_ERROR;
    }

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        type = (const char *) sqlite3_column_text(stmt, 0);
        status = (const char *) sqlite3_column_text(stmt, 1);
        slug = (const char *) sqlite3_column_text(stmt, 2);
        title = (const char *) sqlite3_column_text(stmt, 3);

        /* NOT NULL columns: NULL means no memory to convert them */
        if (type == NULL || status == NULL || slug == NULL || title == NULL) {
            ctl_error("out of memory");
            sqlite3_finalize(stmt);
            return CTL_ERROR;
        }

        printf("%s\t%s\t%s\t%s\n", type, status, slug, title);
    }

    rc = (rc == SQLITE_DONE) ? CTL_OK : ctl_db_fail(db);
    sqlite3_finalize(stmt);

    return rc;
}
