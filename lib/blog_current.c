/*
 * Current visitors (blog_current.h).
 *
 * A visit's end_ms moves with each of its views, so the visits that ended
 * in the window are those with a view in it.  A visit belongs to the day
 * it starts: one that started before midnight may still be going, so
 * yesterday's are looked at too, through the day index; a visit cannot
 * run longer than that without a gap of its [events] visit_gap.
 */

#include <stddef.h>

#include "blog_current.h"


int
blog_current_visitors(sqlite3 *db, int64_t now_ms, int64_t *n)
{
    int            rc;
    sqlite3_stmt  *stmt;

    rc = sqlite3_prepare_v2(db, "SELECT count(DISTINCT visitor)"
                            " FROM analytics_visits"
                            " WHERE day >= ?1 AND end_ms >= ?2",
                            -1, &stmt, NULL);
    if (rc != SQLITE_OK) {
        return rc;
    }

    sqlite3_bind_int64(stmt, 1, now_ms / 86400000 - 1);
    sqlite3_bind_int64(stmt, 2, now_ms - BLOG_CURRENT_WINDOW_MS);

    rc = sqlite3_step(stmt);

    if (rc == SQLITE_ROW) {
        *n = sqlite3_column_int64(stmt, 0);
        rc = SQLITE_OK;
    }

    sqlite3_finalize(stmt);

    return rc;
}
