/*
 * Current visitors (blog_current.h).
 *
 * From the views, not the visits: the jobrunner brings a visit's row up
 * to date (its end_ms) only once the visit has ended (jr_visits.c), while
 * the views are rows as soon as their batch commits.  The views' rows
 * (analytics_hits, analytics.db migration 4) are clustered by day: the
 * window's are read from the days it spans (today's, and yesterday's
 * just after midnight), each view's time checked, its visit looked up.
 */

#include <stddef.h>
#include <stdint.h>

#include "blog_current.h"


#define BLOG_CURRENT_DAY_MS  86400000LL


int
blog_current_visitors(sqlite3 *db, int64_t now_ms, int64_t *n)
{
    int            rc;
    int64_t        since;
    sqlite3_stmt  *count;

    *n = 0;
    since = now_ms - BLOG_CURRENT_WINDOW_MS;

    rc = sqlite3_prepare_v2(db, "SELECT count(DISTINCT v.visitor)"
                            " FROM analytics_hits w CROSS JOIN"
                            " analytics_visits v ON v.id = w.visit"
                            " WHERE w.day BETWEEN ?1 AND ?2"
                            " AND w.time_ms >= ?3",
                            -1, &count, NULL);
    if (rc != SQLITE_OK) {
        return rc;
    }

    sqlite3_bind_int64(count, 1, since / BLOG_CURRENT_DAY_MS);
    sqlite3_bind_int64(count, 2, now_ms / BLOG_CURRENT_DAY_MS);
    sqlite3_bind_int64(count, 3, since);

    rc = sqlite3_step(count);

    if (rc == SQLITE_ROW) {
        *n = sqlite3_column_int64(count, 0);
        rc = SQLITE_OK;
    }

    sqlite3_finalize(count);

    return rc;
}
