/*
 * The analytics query engine: metrics over a date range, grouped by
 * dimensions, filtered, ordered and paginated, with the previous period
 * for comparison, from analytics.db (lib/blog_analytics_schema.c,
 * migrations 2 and 4).  The shape follows Plausible's Stats API v2 so that a
 * query written for it carries over; the module's POST /api/v2/query, the
 * panel's dashboard and the jobrunner's e-mail reports all ask through
 * blog_stats_run().
 *
 * Where the answer comes from: a range of closed days (each in
 * analytics_rolled) asked without a filter, or with one filter on the
 * dimension it is grouped by (or an "is" of one value when not grouped),
 * is summed from analytics_rollup; the days not rolled up yet (today) are
 * added from the raw rows in the same statement.  Filters on country,
 * device and source only, grouped by at most one of them, are summed for
 * the closed days from analytics_segments (a source filter, when not
 * grouped by source, an "is" of one value).  Any other question is
 * answered from the raw rows (analytics_visits, analytics_hits), which
 * are kept for [jobrunner] raw_days: a range that reaches rolled-up days
 * whose raw rows are gone is refused (BLOG_STATS_ERANGE).
 *
 * Counting: a visit and its views belong to the day the visit starts; a
 * visitor counts once per day (the daily salt), so over a range, visitors
 * is the sum of the days' visitors; the same sum is what analytics_rollup
 * keeps, so rolled and raw days add up.  With event:page (as dimension or
 * filter), pageviews are the page's views, visits and visitors those that
 * saw it, bounce rate and duration those visits'.
 *
 * Names and values: dimension and metric names map through the tables of
 * blog_stats.c to columns; filter values are always bound.
 */

#ifndef BLOG_STATS_H
#define BLOG_STATS_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "blog_range.h"
#include "blog_template.h"


#define BLOG_STATS_MAX_METRICS   6
#define BLOG_STATS_MAX_DIMS      3
#define BLOG_STATS_MAX_FILTERS   8
#define BLOG_STATS_MAX_VALUES    16
#define BLOG_STATS_MAX_ORDER     4
#define BLOG_STATS_MAX_VALUE     1024     /* bytes of one filter value */
#define BLOG_STATS_DEFAULT_LIMIT 10000
#define BLOG_STATS_MAX_LIMIT     10000

#define BLOG_STATS_ERROR_SIZE    256


typedef enum {
    BLOG_STATS_VISITORS = 0,
    BLOG_STATS_VISITS,
    BLOG_STATS_PAGEVIEWS,
    BLOG_STATS_VIEWS_PER_VISIT,
    BLOG_STATS_BOUNCE_RATE,          /* percent of visits, 0 to 100 */
    BLOG_STATS_VISIT_DURATION,       /* seconds per visit */
    BLOG_STATS_NMETRICS
} blog_stats_metric_e;

/*
 * The dimensions, in the order of blog_stats_dims[]; their names are
 * Plausible's ("event:page", "visit:source", "time:day"...) and are also
 * analytics_rollup's dim (time ones excepted: they group its days).
 */
typedef enum {
    BLOG_STATS_PAGE = 0,             /* event:page */
    BLOG_STATS_ENTRY_PAGE,           /* visit:entry_page */
    BLOG_STATS_EXIT_PAGE,            /* visit:exit_page */
    BLOG_STATS_SOURCE,               /* visit:source */
    BLOG_STATS_CHANNEL,              /* visit:channel */
    BLOG_STATS_REFERRER,             /* visit:referrer: host and path */
    BLOG_STATS_UTM_SOURCE,           /* visit:utm_source */
    BLOG_STATS_UTM_MEDIUM,           /* visit:utm_medium */
    BLOG_STATS_UTM_CAMPAIGN,         /* visit:utm_campaign */
    BLOG_STATS_COUNTRY,              /* visit:country */
    BLOG_STATS_REGION,               /* visit:region */
    BLOG_STATS_DEVICE,               /* visit:device */
    BLOG_STATS_BROWSER,              /* visit:browser */
    BLOG_STATS_OS,                   /* visit:os */
    BLOG_STATS_HUMAN,                /* visit:human: "1" when the visitor's
                                        browser fetched the CSS beacon,
                                        else "0"; raw rows only */
    BLOG_STATS_TIME_DAY,             /* time:day "YYYY-MM-DD" */
    BLOG_STATS_TIME_WEEK,            /* time:week, its Monday */
    BLOG_STATS_TIME_MONTH,           /* time:month, its first day */
    BLOG_STATS_NDIMS
} blog_stats_dim_e;

typedef enum {
    BLOG_STATS_IS = 0,               /* equal to one of the values */
    BLOG_STATS_IS_NOT,               /* equal to none of them */
    BLOG_STATS_CONTAINS              /* contains one of them (bytes, case
                                        sensitive) */
} blog_stats_op_e;

typedef struct {
    blog_stats_dim_e   dim;          /* not a time dimension */
    blog_stats_op_e    op;
    size_t             nvalues;
    char              *values[BLOG_STATS_MAX_VALUES];   /* owned */
} blog_stats_filter_t;

typedef struct {
    int                is_dim;       /* id is a blog_stats_dim_e of dims[] */
    int                id;           /* else a blog_stats_metric_e */
    int                desc;
} blog_stats_order_t;

/*
 * A query.  Zero it (or blog_stats_query_init()), fill it, or have
 * blog_stats_parse() fill it from JSON; blog_stats_query_free() frees the
 * filters' values.  Without order, rows come by time (oldest first) when
 * grouped by time, else by the first metric, largest first; ties by the
 * dimensions' values.
 */
typedef struct {
    size_t               nmetrics;
    blog_stats_metric_e  metrics[BLOG_STATS_MAX_METRICS];
    blog_range_t         range;
    size_t               ndims;
    blog_stats_dim_e     dims[BLOG_STATS_MAX_DIMS];
    size_t               nfilters;
    blog_stats_filter_t  filters[BLOG_STATS_MAX_FILTERS];   /* all apply */
    size_t               norder;
    blog_stats_order_t   order[BLOG_STATS_MAX_ORDER];
    int64_t              limit;      /* rows; 0: BLOG_STATS_DEFAULT_LIMIT */
    int64_t              offset;
    int                  compare;    /* the previous period too */
    int                  total_rows; /* count the rows without the limit */
} blog_stats_query_t;

/* What the metrics are computed from. */
typedef struct {
    int64_t  visitors;
    int64_t  visits;
    int64_t  views;
    int64_t  bounces;
    int64_t  duration_ms;
} blog_stats_sums_t;

/*
 * A row.  Its sums are those the query's metrics need (blog_stats_metric
 * of each of them is right); a sum none needs may be 0.
 */
typedef struct {
    char               *dims[BLOG_STATS_MAX_DIMS];   /* owned, UTF-8 */
    int64_t             time;        /* the time dimension's first day */
    blog_stats_sums_t   sums;
    int                 has_prev;    /* compare: the previous period's */
    blog_stats_sums_t   prev;        /* row with the same dimensions */
} blog_stats_row_t;

typedef struct {
    blog_stats_row_t  *rows;
    size_t             nrows;
    blog_range_t       range;        /* as run: "all" from the first data */
    blog_range_t       prev_range;   /* compare */
    int64_t            total_rows;   /* total_rows: without the limit */
    int                rollup;       /* answered (partly) from the rollup */
} blog_stats_result_t;

typedef enum {
    BLOG_STATS_OK = 0,
    BLOG_STATS_EQUERY,               /* the query is wrong: a 400 */
    BLOG_STATS_ERANGE,               /* beyond the raw rows' retention: 400 */
    BLOG_STATS_EDB,                  /* SQLite failed: a 503 */
    BLOG_STATS_ENOMEM
} blog_stats_rc_e;


extern const char *const  blog_stats_metric_names[BLOG_STATS_NMETRICS];
extern const char *const  blog_stats_dim_names[BLOG_STATS_NDIMS];

/* A metric's or dimension's id by name, or -1. */
int blog_stats_metric_find(const char *name, size_t len);
int blog_stats_dim_find(const char *name, size_t len);

/*
 * A dimension's column (not time's) in a statement over the raw rows,
 * the visits as "v" and the views as "w": analytics_visits' columns, and
 * w.path for a page (an id in analytics_hits, the path in analytics_views).
 */
const char *blog_stats_raw_column(blog_stats_dim_e dim);

void blog_stats_query_init(blog_stats_query_t *q);
void blog_stats_query_free(blog_stats_query_t *q);

/*
 * Adds a filter of one value (copied): the dashboard's clicks.  Returns
 * BLOG_STATS_EQUERY when dim is a time one, the value too long, or there
 * are BLOG_STATS_MAX_FILTERS already.
 */
int blog_stats_filter_add(blog_stats_query_t *q, blog_stats_dim_e dim,
    blog_stats_op_e op, const char *value, size_t len);

/*
 * Fills q from a Stats API v2 JSON body (docs/analytics-api.md); today is
 * the day named ranges end on.  On BLOG_STATS_EQUERY, err says why (no
 * more than BLOG_STATS_ERROR_SIZE bytes with the NUL, safe to log; it
 * names fields, never echoes values).
 */
int blog_stats_parse(blog_stats_query_t *q, const char *json, size_t len,
    int64_t today, char *err);

/*
 * Runs q on db (analytics.db, read-only is enough).  res is freed with
 * blog_stats_result_free().  On an error, err says why as above.
 */
int blog_stats_run(sqlite3 *db, const blog_stats_query_t *q,
    blog_stats_result_t *res, char *err);
void blog_stats_result_free(blog_stats_result_t *res);

/* A metric from its sums (0 when it has no visits). */
double blog_stats_metric(const blog_stats_sums_t *s, blog_stats_metric_e m);

/*
 * The answer as Plausible's JSON ({"results": [{"metrics", "dimensions",
 * "comparison"}], "meta", "query"}) or as CSV (RFC 4180: a header line,
 * CRLF line ends, fields quoted when needed; a cell starting with = + -
 * @ TAB or CR gets a leading ' so that a spreadsheet does not run it).
 * Both append to out and return 0, or -1 when out of memory.
 */
int blog_stats_json(const blog_stats_query_t *q,
    const blog_stats_result_t *res, blog_buf_t *out);
int blog_stats_csv(const blog_stats_query_t *q,
    const blog_stats_result_t *res, blog_buf_t *out);

/* {"error": err}, the API's answer to a refused query. */
int blog_stats_error_json(const char *err, blog_buf_t *out);

#endif /* BLOG_STATS_H */
