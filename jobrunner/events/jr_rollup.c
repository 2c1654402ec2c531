/*
 * Rollup and retention of visits; see jr_rollup.h.
 */

#include <stdio.h>
#include <stdlib.h>

#include "blog_stats.h"
#include "core/jr_log.h"
#include "events/jr_rollup.h"
#include "events/jr_visits.h"


#define JR_ROLLUP_DAY_MS   86400000LL
#define JR_ROLLUP_DELETE   "5000"       /* rows a retention step deletes */

/* The sums of a set of visits, as analytics_rollup's columns have them. */
#define JR_ROLLUP_SUMS                                                        \
    " count(DISTINCT visitor), count(*), total(views), total(views = 1),"     \
    " total(end_ms - start_ms)"

/*
 * The dimensions of the visits, their names and columns blog_stats's (the
 * engine's raw rows, visits as "v").  The filters (country, device,
 * source) are also the segments' columns; the others are summed under
 * each filter's values too (analytics_pairs, migration 11).
 */
typedef struct {
    blog_stats_dim_e  dim;
    int               filter;
} jr_rollup_dim_t;

static const jr_rollup_dim_t  jr_rollup_dims[] = {
    { BLOG_STATS_ENTRY_PAGE, 0 },
    { BLOG_STATS_EXIT_PAGE, 0 },
    { BLOG_STATS_SOURCE, 1 },
    { BLOG_STATS_CHANNEL, 0 },
    { BLOG_STATS_REFERRER, 0 },
    { BLOG_STATS_UTM_SOURCE, 0 },
    { BLOG_STATS_UTM_MEDIUM, 0 },
    { BLOG_STATS_UTM_CAMPAIGN, 0 },
    { BLOG_STATS_COUNTRY, 1 },
    { BLOG_STATS_REGION, 0 },
    { BLOG_STATS_DEVICE, 1 },
    { BLOG_STATS_BROWSER, 0 },
    { BLOG_STATS_OS, 0 },
    { BLOG_STATS_HUMAN, 0 }                 /* analytics.db migration 5 */
};

#define JR_ROLLUP_NVISIT   (sizeof(jr_rollup_dims) / sizeof(jr_rollup_dims[0]))
#define JR_ROLLUP_NFILTER  3
#define JR_ROLLUP_NPAIRS   (JR_ROLLUP_NFILTER                                 \
                            * (JR_ROLLUP_NVISIT - JR_ROLLUP_NFILTER))

enum {
    JR_ROLLUP_BEGIN = 0,
    JR_ROLLUP_COMMIT,
    JR_ROLLUP_ROLLBACK,
    JR_ROLLUP_NEXT,
    JR_ROLLUP_ROLLED,
    JR_ROLLUP_UNPAIRED,
    JR_ROLLUP_MARKER,
    JR_ROLLUP_CLEAR,
    JR_ROLLUP_CLEAR_SEGMENTS,
    JR_ROLLUP_CLEAR_PAGE_SEGMENTS,
    JR_ROLLUP_CLEAR_PAIRS,
    JR_ROLLUP_STALE,
    JR_ROLLUP_MARK,
    JR_ROLLUP_MARK_PAIRS,
    JR_ROLLUP_EXPIRE_VIEWS,
    JR_ROLLUP_EXPIRE_VISITS,
    JR_ROLLUP_EXPIRE_PAGE_SEGMENTS,
    JR_ROLLUP_EXPIRE_PAIRED,
    JR_ROLLUP_EXPIRE_PAIRS,
    JR_ROLLUP_EXPIRE_STRINGS,
    JR_ROLLUP_SUMS_FIXED,                   /* the site, a page, segments */
    JR_ROLLUP_NSUMS_FIXED = 5,
    JR_ROLLUP_VISITS = JR_ROLLUP_SUMS_FIXED + JR_ROLLUP_NSUMS_FIXED,
    JR_ROLLUP_PAIRS = JR_ROLLUP_VISITS + JR_ROLLUP_NVISIT,
    JR_ROLLUP_NSTMT = JR_ROLLUP_PAIRS + JR_ROLLUP_NPAIRS
};

/* a day's sums: the fixed ones, a dimension's, a pair's, in this order */
#define JR_ROLLUP_FIRST    JR_ROLLUP_SUMS_FIXED

struct jr_rollup_s {
    sqlite3       *db;
    sqlite3_stmt  *stmt[JR_ROLLUP_NSTMT];
    int64_t        gap_ms;
    int64_t        raw_days;
    int64_t        day;                 /* being summed, or -1 */
    int            sum;                 /* its next statement */
    int            pairs_only;          /* rolled before migration 11 */
    int64_t        views;               /* its views when it started */
    int64_t        last;                /* and the largest visit id of them */
};


/* statements JR_ROLLUP_BEGIN .. JR_ROLLUP_VISITS - 1 */
static const char *const  jr_rollup_sql[JR_ROLLUP_VISITS] = {
    "BEGIN IMMEDIATE",
    "COMMIT",
    "ROLLBACK",
    "SELECT day FROM analytics_visits WHERE day >= ?1 ORDER BY day LIMIT 1",
    "SELECT 1 FROM analytics_rolled WHERE day = ?1",
    /*
     * a day rolled up before migration 11, and still with its raw rows,
     * that has no pairs yet (they are summed from the raw rows)
     */
    "SELECT day FROM analytics_rolled WHERE day >= max(?1, coalesce((SELECT"
    " min(day) FROM analytics_visits), ?1)) AND day NOT IN (SELECT day"
    " FROM analytics_pairs_rolled) ORDER BY day LIMIT 1",
    "SELECT count(*), coalesce(max(visit), 0) FROM analytics_hits"
    " WHERE day = ?1",
    "DELETE FROM analytics_rollup WHERE day = ?1",
    "DELETE FROM analytics_segments WHERE by_source IN (0, 1) AND day = ?1",
    /*
     * by country, the table's first key: a day's rows are of the
     * countries of its visits (which a late view adds to, never takes
     * from), one seek each rather than a scan of every day
     */
    "DELETE FROM analytics_page_segments WHERE country IN (SELECT country"
    " FROM analytics_visits WHERE day = ?1) AND day = ?1",
    "DELETE FROM analytics_pairs WHERE day = ?1",
    JR_VISITS_REPAIR_DAY,
    "INSERT OR IGNORE INTO analytics_rolled (day) VALUES (?1)",
    /* only while rolled: a late view meanwhile took it out (the trigger) */
    "INSERT OR IGNORE INTO analytics_pairs_rolled (day)"
    " SELECT day FROM analytics_rolled WHERE day = ?1",

    /* whole packs of views (migration 10): a day and page's each */
    "DELETE FROM analytics_hit_packs WHERE (day, path, seq) IN"
    " (SELECT day, path, seq FROM analytics_hit_packs"
    " WHERE day < ?1 AND day IN (SELECT day FROM analytics_rolled)"
    " LIMIT " JR_ROLLUP_DELETE ")",
    "DELETE FROM analytics_visits WHERE id IN (SELECT id FROM analytics_visits"
    " WHERE day < ?1 AND day IN (SELECT day FROM analytics_rolled)"
    " LIMIT " JR_ROLLUP_DELETE ")",
    /*
     * the pages' segments go with the raw rows: nine times the pages'
     * rollup rows, they would grow by a third of the raw rows' size a
     * month for ever; the queries they answer need the raw rows' days
     * (blog_stats.c), by country as for a day's (JR_ROLLUP_CLEAR_...)
     */
    "DELETE FROM analytics_page_segments WHERE (country, day, device, page)"
    " IN (SELECT country, day, device, page FROM analytics_page_segments"
    " WHERE country IN (SELECT country FROM analytics_segments"
    " WHERE by_source = 0 AND day < ?1) AND day < ?1"
    " LIMIT " JR_ROLLUP_DELETE ")",
    /* the pairs too, for the same reason: the day's mark first */
    "DELETE FROM analytics_pairs_rolled WHERE day < ?1",
    "DELETE FROM analytics_pairs WHERE (day, fdim, dim, fkey, key) IN"
    " (SELECT day, fdim, dim, fkey, key FROM analytics_pairs WHERE day < ?1"
    " LIMIT " JR_ROLLUP_DELETE ")",
    /*
     * the strings no view left uses (analytics.db migration 6): last_day
     * before the oldest view, which may be older than ?1 (a day not rolled
     * up yet keeps its views), by the index; '' (id 0) always stays.
     * A string the jobrunner has cached is found gone at its next view
     * (jr_strings.c).
     */
    "DELETE FROM analytics_strings WHERE id IN (SELECT id"
    " FROM analytics_strings WHERE last_day < min(?1, coalesce((SELECT"
    " min(day) FROM analytics_hit_packs), ?1)) AND id <> 0"
    " LIMIT " JR_ROLLUP_DELETE ")",

    /* the site */
    "INSERT INTO analytics_rollup (day, dim, key, visitors, visits, views,"
    " bounces, duration_ms) SELECT ?1, '', '', " JR_ROLLUP_SUMS
    " FROM analytics_visits WHERE day = ?1",

    /*
     * a page: its own views; the visits that saw it, their visitors,
     * bounces and durations
     */
    "INSERT INTO analytics_rollup (day, dim, key, visitors, visits, views,"
    " bounces, duration_ms) SELECT ?1, 'event:page', s.value,"
    " count(DISTINCT v.visitor), count(*), total(p.n), total(v.views = 1),"
    " total(v.end_ms - v.start_ms)"
    " FROM (SELECT visit, path, count(*) AS n FROM analytics_hits"
    "       WHERE day = ?1 GROUP BY visit, path) AS p"
    " JOIN analytics_visits AS v ON v.id = p.visit"
    " JOIN analytics_strings AS s ON s.id = p.path GROUP BY p.path",

    /* the segments (analytics.db migration 2): all sources, each source */
    "INSERT INTO analytics_segments (by_source, day, source, country,"
    " device, visitors, visits, views, bounces, duration_ms)"
    " SELECT 0, ?1, '', country, device," JR_ROLLUP_SUMS
    " FROM analytics_visits WHERE day = ?1 GROUP BY country, device",
    "INSERT INTO analytics_segments (by_source, day, source, country,"
    " device, visitors, visits, views, bounces, duration_ms)"
    " SELECT 1, ?1, source, country, device," JR_ROLLUP_SUMS
    " FROM analytics_visits WHERE day = ?1 GROUP BY source, country, device",

    /* the pages' segments, a page summed as for its rollup rows */
    "INSERT INTO analytics_page_segments (country, day, device, page,"
    " visitors, visits, views, bounces, duration_ms)"
    " SELECT v.country, ?1, v.device, s.value, count(DISTINCT v.visitor),"
    " count(*), total(p.n), total(v.views = 1), total(v.end_ms - v.start_ms)"
    " FROM (SELECT visit, path, count(*) AS n FROM analytics_hits"
    "       WHERE day = ?1 GROUP BY visit, path) AS p"
    " JOIN analytics_visits AS v ON v.id = p.visit"
    " JOIN analytics_strings AS s ON s.id = p.path"
    " GROUP BY v.country, v.device, p.path"
};


static int jr_rollup_prepare(jr_rollup_t *r, int n, const char *sql);
static int jr_rollup_sums_sql(jr_rollup_t *r);
static int jr_rollup_unpaired(jr_rollup_t *r, int64_t now_ms);
static int jr_rollup_sum(jr_rollup_t *r);
static int jr_rollup_expire(jr_rollup_t *r, int64_t now_ms);
static int jr_rollup_marker(jr_rollup_t *r, int64_t *views, int64_t *last);
static int jr_rollup_row(jr_rollup_t *r, int n, int64_t day, int64_t *val);
static int jr_rollup_run(jr_rollup_t *r, int n, int64_t day);


jr_rollup_t *
jr_rollup_open(sqlite3 *db, unsigned gap, unsigned raw_days)
{
    int           i;
    jr_rollup_t  *r;

    r = calloc(1, sizeof(jr_rollup_t));
    if (r == NULL) {
        jr_log(JR_LOG_ERROR, "rollup: out of memory");
        return NULL;
    }

    r->db = db;
    r->gap_ms = (int64_t) gap * 1000;
    r->raw_days = raw_days;
    r->day = -1;

    for (i = 0; i < JR_ROLLUP_VISITS; i++) {
        if (jr_rollup_prepare(r, i, jr_rollup_sql[i]) != 0) {
            jr_rollup_close(r);
            return NULL;
        }
    }

    if (jr_rollup_sums_sql(r) != 0) {
        jr_rollup_close(r);
        return NULL;
    }

    return r;
}


/*
 * A dimension of a pair by its id (analytics.db migration 11); one the
 * table lacks is NULL, which the NOT NULL column refuses: the step fails
 * and says so rather than sum rows no query finds.
 */
#define JR_ROLLUP_PAIR_DIM                                                    \
    "(SELECT id FROM analytics_pair_dims WHERE name = '%s')"

/* A dimension's sums, then each pair's, from the table of dimensions. */
static int
jr_rollup_sums_sql(jr_rollup_t *r)
{
    int                     n;
    char                    sql[512];
    size_t                  i, f;
    const jr_rollup_dim_t  *d, *fd;

    n = JR_ROLLUP_VISITS;

    for (i = 0; i < JR_ROLLUP_NVISIT; i++) {
        d = &jr_rollup_dims[i];

        snprintf(sql, sizeof(sql),
                 "INSERT INTO analytics_rollup (day, dim, key, visitors,"
                 " visits, views, bounces, duration_ms) SELECT ?1, '%s', %s,"
                 JR_ROLLUP_SUMS " FROM analytics_visits v WHERE day = ?1"
                 " GROUP BY 3", blog_stats_dim_names[d->dim],
                 blog_stats_raw_column(d->dim));

        if (jr_rollup_prepare(r, n++, sql) != 0) {
            return -1;
        }
    }

    for (f = 0; f < JR_ROLLUP_NVISIT; f++) {
        fd = &jr_rollup_dims[f];

        if (!fd->filter) {
            continue;
        }

        for (i = 0; i < JR_ROLLUP_NVISIT; i++) {
            d = &jr_rollup_dims[i];

            if (d->filter) {
                continue;
            }

            snprintf(sql, sizeof(sql),
                     "INSERT INTO analytics_pairs (day, fdim, dim, fkey, key,"
                     " visitors, visits, views, bounces, duration_ms)"
                     " SELECT ?1, " JR_ROLLUP_PAIR_DIM ", " JR_ROLLUP_PAIR_DIM
                     ", %s, %s," JR_ROLLUP_SUMS " FROM analytics_visits v"
                     " WHERE day = ?1 GROUP BY 4, 5",
                     blog_stats_dim_names[fd->dim],
                     blog_stats_dim_names[d->dim],
                     blog_stats_raw_column(fd->dim),
                     blog_stats_raw_column(d->dim));

            /* the array has room for JR_ROLLUP_NFILTER filters' pairs */
            if (n++ < JR_ROLLUP_NSTMT
                && jr_rollup_prepare(r, n - 1, sql) != 0)
            {
                return -1;
            }
        }
    }

    if (n != JR_ROLLUP_NSTMT) {
        jr_log(JR_LOG_ERROR, "rollup: jr_rollup_dims has not %d filters",
               JR_ROLLUP_NFILTER);
        return -1;
    }

    return 0;
}


static int
jr_rollup_prepare(jr_rollup_t *r, int n, const char *sql)
{
    if (sqlite3_prepare_v3(r->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                           &r->stmt[n], NULL)
        != SQLITE_OK)
    {
        jr_log(JR_LOG_ERROR, "rollup: cannot prepare \"%s\": %s", sql,
               sqlite3_errmsg(r->db));
        return -1;
    }

    return 0;
}


int
jr_rollup_step(jr_rollup_t *r, int64_t now_ms)
{
    int      rc;
    int64_t  day, from;

    if (r->day >= 0) {
        return jr_rollup_sum(r);
    }

    /* the oldest closed day not rolled up yet, one index seek a day */
    for (from = 0; /* void */ ; from = day + 1) {
        rc = jr_rollup_row(r, JR_ROLLUP_NEXT, from, &day);

        if (rc <= 0 || (day + 1) * JR_ROLLUP_DAY_MS + r->gap_ms > now_ms) {
            return rc < 0 ? -1 : jr_rollup_unpaired(r, now_ms);
        }

        rc = jr_rollup_row(r, JR_ROLLUP_ROLLED, day, NULL);
        if (rc < 0) {
            return -1;
        }

        if (rc == 0) {
            break;
        }
    }

    r->day = day;
    r->sum = JR_ROLLUP_FIRST;
    r->pairs_only = 0;

    return jr_rollup_sum(r);
}


/*
 * A day rolled up before its pairs were (migration 11) gets them, the
 * oldest first, before old rows are deleted.
 */
static int
jr_rollup_unpaired(jr_rollup_t *r, int64_t now_ms)
{
    int      rc;
    int64_t  day;

    rc = jr_rollup_row(r, JR_ROLLUP_UNPAIRED,
                       now_ms / JR_ROLLUP_DAY_MS - r->raw_days + 1, &day);
    if (rc <= 0) {
        return rc < 0 ? -1 : jr_rollup_expire(r, now_ms);
    }

    r->day = day;
    r->sum = JR_ROLLUP_PAIRS;
    r->pairs_only = 1;

    return jr_rollup_sum(r);
}


/* The next sum of the day being summed, in a transaction. */
static int
jr_rollup_sum(jr_rollup_t *r)
{
    int      done, same;
    int64_t  views, last;

    if (jr_rollup_run(r, JR_ROLLUP_BEGIN, -1) != 0) {
        return -1;
    }

    done = 0;

    /*
     * the first step clears what a step before a restart left, and brings
     * the visits' rows up to date with their views (jr_visits.h); a day
     * rolled up already only needs its pairs
     */
    if (r->sum == (r->pairs_only ? JR_ROLLUP_PAIRS : JR_ROLLUP_FIRST)
        && (jr_rollup_marker(r, &r->views, &r->last) != 0
            || jr_rollup_run(r, JR_ROLLUP_CLEAR_PAIRS, r->day) != 0
            || (!r->pairs_only
                && (jr_rollup_run(r, JR_ROLLUP_CLEAR, r->day) != 0
                    || jr_rollup_run(r, JR_ROLLUP_CLEAR_SEGMENTS, r->day) != 0
                    || jr_rollup_run(r, JR_ROLLUP_CLEAR_PAGE_SEGMENTS, r->day)
                       != 0
                    || jr_rollup_run(r, JR_ROLLUP_STALE, r->day) != 0))))
    {
        goto failed;
    }

    if (jr_rollup_run(r, r->sum, r->day) != 0) {
        goto failed;
    }

    if (++r->sum == JR_ROLLUP_NSTMT) {
        if (jr_rollup_marker(r, &views, &last) != 0) {
            goto failed;
        }

        /*
         * a late view came meanwhile: the day is summed again, whole (the
         * view took a rolled day out of analytics_rolled)
         */
        same = views == r->views && last == r->last;

        if (same
            && ((!r->pairs_only
                 && jr_rollup_run(r, JR_ROLLUP_MARK, r->day) != 0)
                || jr_rollup_run(r, JR_ROLLUP_MARK_PAIRS, r->day) != 0))
        {
            goto failed;
        }

        done = same;
        r->sum = JR_ROLLUP_FIRST;
        r->pairs_only = 0;
    }

    if (jr_rollup_run(r, JR_ROLLUP_COMMIT, -1) != 0) {
        goto failed;
    }

    if (done) {
        jr_log(JR_LOG_INFO, "rollup: day %lld summed, %lld views",
               (long long) r->day, (long long) r->views);
        r->day = -1;
    }

    return 1;

failed:

    (void) jr_rollup_run(r, JR_ROLLUP_ROLLBACK, -1);
    r->day = -1;

    return -1;
}


/*
 * Deletes a few thousand rows past raw_days, views first, the strings
 * they used last.
 */
static int
jr_rollup_expire(jr_rollup_t *r, int64_t now_ms)
{
    int      n, changed;
    int64_t  oldest;

    oldest = now_ms / JR_ROLLUP_DAY_MS - r->raw_days + 1;

    for (n = JR_ROLLUP_EXPIRE_VIEWS; n <= JR_ROLLUP_EXPIRE_STRINGS; n++) {
        if (jr_rollup_run(r, n, oldest) != 0) {
            return -1;
        }

        changed = sqlite3_changes(r->db);

        if (changed) {
            jr_log(JR_LOG_DEBUG, "rollup: %d rows before day %lld deleted",
                   changed, (long long) oldest);
            return 1;
        }
    }

    return 0;
}


static int
jr_rollup_marker(jr_rollup_t *r, int64_t *views, int64_t *last)
{
    int            rc;
    sqlite3_stmt  *stmt;

    stmt = r->stmt[JR_ROLLUP_MARKER];
    sqlite3_bind_int64(stmt, 1, r->day);

    rc = sqlite3_step(stmt);

    if (rc == SQLITE_ROW) {
        *views = sqlite3_column_int64(stmt, 0);
        *last = sqlite3_column_int64(stmt, 1);
    }

    sqlite3_reset(stmt);

    if (rc != SQLITE_ROW) {
        jr_log(JR_LOG_ERROR, "rollup: %s: %s", sqlite3_sql(stmt),
               sqlite3_errmsg(r->db));
        return -1;
    }

    return 0;
}


/*
 * Statement n of day: 1 with its first column in *val (when not NULL)
 * for a row, 0 for none, -1 after logging why.
 */
static int
jr_rollup_row(jr_rollup_t *r, int n, int64_t day, int64_t *val)
{
    int            rc;
    sqlite3_stmt  *stmt;

    stmt = r->stmt[n];
    sqlite3_bind_int64(stmt, 1, day);

    rc = sqlite3_step(stmt);

    if (rc == SQLITE_ROW && val) {
        *val = sqlite3_column_int64(stmt, 0);
    }

    sqlite3_reset(stmt);

    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        jr_log(JR_LOG_ERROR, "rollup: %s: %s", sqlite3_sql(stmt),
               sqlite3_errmsg(r->db));
        return -1;
    }

    return rc == SQLITE_ROW;
}


/* Runs statement n (of day, unless -1) to its end. */
static int
jr_rollup_run(jr_rollup_t *r, int n, int64_t day)
{
    int            rc;
    sqlite3_stmt  *stmt;

    stmt = r->stmt[n];

    if (day != -1) {
        sqlite3_bind_int64(stmt, 1, day);
    }

    rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);

    if (rc != SQLITE_DONE) {
        jr_log(JR_LOG_ERROR, "rollup: %s: %s", sqlite3_sql(stmt),
               sqlite3_errmsg(r->db));
        return -1;
    }

    return 0;
}


void
jr_rollup_close(jr_rollup_t *r)
{
    int  i;

    if (r == NULL) {
        return;
    }

    for (i = 0; i < JR_ROLLUP_NSTMT; i++) {
        sqlite3_finalize(r->stmt[i]);
    }

    free(r);
}
