/*
 * Current visitors (blog_current.h).
 *
 * From the views, not the visits: the jobrunner brings a visit's row up
 * to date (its end_ms) only once the visit has ended (jr_visits.c), while
 * the views are rows as soon as their batch commits.  The views of the
 * window are the newest rows: their ids grow with time, so the first id of
 * the window is found by a binary search over the primary key (a few dozen
 * lookups, whatever the table holds) rather than by reading the day's
 * views through the day index.  Ids follow time only roughly (a replayed
 * spool file comes late), so the count still checks each view's time.
 */

#include <stddef.h>
#include <stdint.h>

#include "blog_current.h"


/* The first view at or after id: its id and time; SQLITE_DONE if none. */
static int
blog_current_at(sqlite3_stmt *stmt, int64_t id, int64_t *found, int64_t *t)
{
    int  rc;

    sqlite3_bind_int64(stmt, 1, id);

    rc = sqlite3_step(stmt);

    if (rc == SQLITE_ROW) {
        *found = sqlite3_column_int64(stmt, 0);
        *t = sqlite3_column_int64(stmt, 1);
    }

    sqlite3_reset(stmt);

    return rc;
}


int
blog_current_visitors(sqlite3 *db, int64_t now_ms, int64_t *n)
{
    int            rc;
    int64_t        lo, hi, mid, found, t, since;
    sqlite3_stmt  *at, *count;

    *n = 0;
    since = now_ms - BLOG_CURRENT_WINDOW_MS;

    rc = sqlite3_prepare_v2(db, "SELECT id, time_ms FROM analytics_views"
                            " WHERE id >= ?1 ORDER BY id LIMIT 1",
                            -1, &at, NULL);
    if (rc != SQLITE_OK) {
        return rc;
    }

    /* the first view at or after since: in [lo, hi] */
    lo = 0;
    hi = INT64_MAX;

    rc = sqlite3_prepare_v2(db, "SELECT max(id) FROM analytics_views",
                            -1, &count, NULL);

    if (rc == SQLITE_OK && (rc = sqlite3_step(count)) == SQLITE_ROW) {
        hi = sqlite3_column_int64(count, 0);
        rc = SQLITE_OK;
    }

    sqlite3_finalize(count);

    while (rc == SQLITE_OK && lo < hi) {
        mid = lo + (hi - lo) / 2;

        rc = blog_current_at(at, mid, &found, &t);

        if (rc == SQLITE_ROW) {
            rc = SQLITE_OK;

            if (t >= since) {
                hi = mid;

            } else {
                lo = found + 1;
            }

        } else if (rc == SQLITE_DONE) {
            rc = SQLITE_OK;
            hi = mid;
        }
    }

    sqlite3_finalize(at);

    if (rc != SQLITE_OK) {
        return rc;
    }

    rc = sqlite3_prepare_v2(db, "SELECT count(DISTINCT v.visitor)"
                            " FROM analytics_views w"
                            " JOIN analytics_visits v ON v.id = w.visit"
                            " WHERE w.id >= ?1 AND w.time_ms >= ?2",
                            -1, &count, NULL);
    if (rc != SQLITE_OK) {
        return rc;
    }

    sqlite3_bind_int64(count, 1, lo);
    sqlite3_bind_int64(count, 2, since);

    rc = sqlite3_step(count);

    if (rc == SQLITE_ROW) {
        *n = sqlite3_column_int64(count, 0);
        rc = SQLITE_OK;
    }

    sqlite3_finalize(count);

    return rc;
}
