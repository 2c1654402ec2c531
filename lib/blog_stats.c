/*
 * The analytics query engine (blog_stats.h): a query made into one SQL
 * statement over analytics.db, its names mapped through the tables below
 * to columns, its values bound.
 *
 * The statement has three levels.  The innermost rows are visits (or,
 * when event:page is asked, a visit's views of one page, grouped per
 * visit and page); the middle level sums them per day, where a visitor
 * is counted once (its hash is the day's); the outer level sums the days
 * per time bucket and dimension values, orders and cuts.  The rollup,
 * when it can answer, is a second branch of the middle level (UNION ALL)
 * holding the rolled days, the raw branch keeping the others.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blog_stats.h"


#define BLOG_STATS_SEP  '\x1f'       /* between a row's values in its key */


typedef struct {
    const char  *raw;                /* column of the innermost rows */
    int          page;               /* needs the views */
} blog_stats_dim_t;


const char *const  blog_stats_metric_names[BLOG_STATS_NMETRICS] = {
    "visitors", "visits", "pageviews", "views_per_visit", "bounce_rate",
    "visit_duration"
};

/* the metrics as the outer level's columns, to order by */
static const char *const  blog_stats_metric_sql[BLOG_STATS_NMETRICS] = {
    "visitors", "visits", "views", "(1.0 * views / max(visits, 1))",
    "(1.0 * bounces / max(visits, 1))", "(1.0 * dur / max(visits, 1))"
};

const char *const  blog_stats_dim_names[BLOG_STATS_NDIMS] = {
    "event:page", "visit:entry_page", "visit:exit_page", "visit:source",
    "visit:channel", "visit:referrer", "visit:utm_source",
    "visit:utm_medium", "visit:utm_campaign", "visit:country",
    "visit:region", "visit:device", "visit:browser", "visit:os",
    "visit:human", "time:day", "time:week", "time:month"
};

static const blog_stats_dim_t  blog_stats_dims[BLOG_STATS_NDIMS] = {
    /*
     * analytics_hits' path is an analytics_strings id (migration 4): the
     * raw rows group by it, the middle level gives the string
     */
    { "w.path", 1 },
    { "v.entry", 0 },
    { "v.exit", 0 },
    { "v.source", 0 },
    { "v.channel", 0 },
    { "v.ref_host || v.ref_path", 0 },
    { "v.utm_source", 0 },
    { "v.utm_medium", 0 },
    { "v.utm_campaign", 0 },
    { "v.country", 0 },
    { "v.region", 0 },
    { "v.device", 0 },
    { "v.browser", 0 },
    { "v.os", 0 },
    /*
     * migration 3, the CSS beacon: an integer, as text as the rolled rows'
     * key is, or a range of both would group 0 and '0' apart
     */
    { "CAST(v.human AS TEXT)", 0 },
    /* the time buckets, of the middle level's day d */
    { "d", 0 },
    { "d - (d + 3) % 7", 0 },        /* 1970-01-01 was a Thursday */
    { "CAST(strftime('%s', d * 86400, 'unixepoch', 'start of month')"
      " AS INTEGER) / 86400", 0 }
};

#define blog_stats_is_time(dim)  ((dim) >= BLOG_STATS_TIME_DAY)

/* the sums a query's metrics need (blog_stats_metric) */
#define BLOG_STATS_NEED_VISITORS  0x01
#define BLOG_STATS_NEED_VISITS    0x02
#define BLOG_STATS_NEED_VIEWS     0x04
#define BLOG_STATS_NEED_BOUNCES   0x08
#define BLOG_STATS_NEED_DUR       0x10

static const unsigned  blog_stats_metric_needs[BLOG_STATS_NMETRICS] = {
    BLOG_STATS_NEED_VISITORS,
    BLOG_STATS_NEED_VISITS,
    BLOG_STATS_NEED_VIEWS,
    BLOG_STATS_NEED_VIEWS | BLOG_STATS_NEED_VISITS,
    BLOG_STATS_NEED_BOUNCES | BLOG_STATS_NEED_VISITS,
    BLOG_STATS_NEED_DUR | BLOG_STATS_NEED_VISITS
};


typedef struct {
    const blog_stats_query_t  *q;
    blog_range_t               range;
    int                        rollup;
    int                        rollup_dim;   /* -1: the site's ('') */
    int                        segments;     /* rolled days from
                                                analytics_segments (1),
                                                _page_segments (2) or
                                                analytics_pairs (3) */
    int                        by_source;    /* the rows of each source */
    const blog_stats_filter_t *rolled;       /* its filters, bound again */
    size_t                     nrolled;
    int                        time;         /* index in q->dims, or -1 */
    int                        page;
    unsigned                   need;         /* BLOG_STATS_NEED_* */
    int                        nparams;
    blog_range_t               raw;          /* the raw branch's days */
    blog_buf_t                 sql;
} blog_stats_plan_t;


static int blog_stats_check(const blog_stats_query_t *q, char *err);
static int blog_stats_plan(sqlite3 *db, blog_stats_plan_t *p,
    const blog_range_t *range, char *err);
static int blog_stats_sql(blog_stats_plan_t *p);
static int blog_stats_filter_sql(blog_stats_plan_t *p,
    const blog_stats_filter_t *f, const char *col);
static int blog_stats_bind(blog_stats_plan_t *p, sqlite3_stmt *stmt);
static int blog_stats_fetch(sqlite3 *db, blog_stats_plan_t *p, int64_t limit,
    int64_t offset, blog_stats_row_t **rows, size_t *nrows, char *err);
static int blog_stats_count(sqlite3 *db, blog_stats_plan_t *p,
    int64_t *total, char *err);
static int blog_stats_compare(sqlite3 *db, const blog_stats_query_t *q,
    blog_stats_result_t *res, char *err);
static char *blog_stats_row_key(const blog_stats_query_t *q,
    const blog_stats_row_t *row, int64_t index);
static int64_t blog_stats_bucket_index(const blog_stats_query_t *q,
    const blog_stats_row_t *row, const blog_range_t *range);
static int blog_stats_unrolled(sqlite3 *db, const char *rolled,
    const blog_range_t *range, blog_range_t *raw);
static int blog_stats_segmented(const blog_stats_query_t *q, int *by_source);
static int blog_stats_paired(const blog_stats_query_t *q, int dim);
static const char *blog_stats_rolled_days(const blog_stats_plan_t *p);
static const char *blog_stats_segment(blog_stats_dim_e dim);
static int64_t blog_stats_int(sqlite3 *db, const char *sql, int64_t a,
    int64_t b, int *rc);
static void blog_stats_rows_free(blog_stats_row_t *rows, size_t n);
static int blog_stats_err(char *err, int rc, const char *fmt,
    const char *arg);


/* The index of name[0..len) in names[0..n), or -1. */
static int
blog_stats_name_find(const char *const *names, int n, const char *name,
    size_t len)
{
    int  i;

    for (i = 0; i < n; i++) {
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0) {
            return i;
        }
    }

    return -1;
}


int
blog_stats_metric_find(const char *name, size_t len)
{
    return blog_stats_name_find(blog_stats_metric_names, BLOG_STATS_NMETRICS,
                                name, len);
}


int
blog_stats_dim_find(const char *name, size_t len)
{
    return blog_stats_name_find(blog_stats_dim_names, BLOG_STATS_NDIMS, name,
                                len);
}


const char *
blog_stats_raw_column(blog_stats_dim_e dim)
{
    return blog_stats_dims[dim].raw;
}


void
blog_stats_query_init(blog_stats_query_t *q)
{
    memset(q, 0, sizeof(blog_stats_query_t));
}


void
blog_stats_query_free(blog_stats_query_t *q)
{
    size_t  i, j;

    for (i = 0; i < q->nfilters; i++) {
        for (j = 0; j < q->filters[i].nvalues; j++) {
            free(q->filters[i].values[j]);
        }
    }

    q->nfilters = 0;
}


int
blog_stats_filter_add(blog_stats_query_t *q, blog_stats_dim_e dim,
    blog_stats_op_e op, const char *value, size_t len)
{
    blog_stats_filter_t  *f;

    if ((int) dim < 0 || dim >= BLOG_STATS_NDIMS || blog_stats_is_time(dim)
        || q->nfilters == BLOG_STATS_MAX_FILTERS
        || len > BLOG_STATS_MAX_VALUE || memchr(value, '\0', len) != NULL)
    {
        return BLOG_STATS_EQUERY;
    }

    f = &q->filters[q->nfilters];
    f->values[0] = malloc(len + 1);
    if (f->values[0] == NULL) {
        return BLOG_STATS_ENOMEM;
    }

    memcpy(f->values[0], value, len);
    f->values[0][len] = '\0';
    f->dim = dim;
    f->op = op;
    f->nvalues = 1;
    q->nfilters++;

    return BLOG_STATS_OK;
}


double
blog_stats_metric(const blog_stats_sums_t *s, blog_stats_metric_e m)
{
    switch (m) {
    case BLOG_STATS_VISITORS:
        return (double) s->visitors;
    case BLOG_STATS_VISITS:
        return (double) s->visits;
    case BLOG_STATS_PAGEVIEWS:
        return (double) s->views;
    default:
        break;
    }

    if (s->visits == 0) {
        return 0;
    }

    switch (m) {
    case BLOG_STATS_VIEWS_PER_VISIT:
        return (double) s->views / (double) s->visits;
    case BLOG_STATS_BOUNCE_RATE:
        return 100.0 * (double) s->bounces / (double) s->visits;
    default:
        return (double) s->duration_ms / 1000.0 / (double) s->visits;
    }
}


int
blog_stats_run(sqlite3 *db, const blog_stats_query_t *q,
    blog_stats_result_t *res, char *err)
{
    int                rc;
    int64_t            limit;
    blog_stats_plan_t  p;

    memset(res, 0, sizeof(blog_stats_result_t));
    err[0] = '\0';

    rc = blog_stats_check(q, err);
    if (rc != BLOG_STATS_OK) {
        return rc;
    }

    memset(&p, 0, sizeof(blog_stats_plan_t));
    p.q = q;

    rc = blog_stats_plan(db, &p, &q->range, err);
    if (rc != BLOG_STATS_OK) {
        free(p.sql.data);
        return rc;
    }

    res->range = p.range;
    res->rollup = p.rollup;
    limit = q->limit > 0 ? q->limit : BLOG_STATS_DEFAULT_LIMIT;

    rc = blog_stats_fetch(db, &p, limit, q->offset, &res->rows, &res->nrows,
                          err);

    if (rc == BLOG_STATS_OK && q->total_rows) {
        rc = blog_stats_count(db, &p, &res->total_rows, err);
    }

    free(p.sql.data);

    if (rc == BLOG_STATS_OK && q->compare) {
        rc = blog_stats_compare(db, q, res, err);
    }

    if (rc != BLOG_STATS_OK) {
        blog_stats_result_free(res);
    }

    return rc;
}


void
blog_stats_result_free(blog_stats_result_t *res)
{
    blog_stats_rows_free(res->rows, res->nrows);
    res->rows = NULL;
    res->nrows = 0;
}


/* What no table can refuse: the shape of the query itself. */
static int
blog_stats_check(const blog_stats_query_t *q, char *err)
{
    int     times;
    size_t  i, j;

    if (q->nmetrics == 0 || q->nmetrics > BLOG_STATS_MAX_METRICS
        || q->ndims > BLOG_STATS_MAX_DIMS
        || q->nfilters > BLOG_STATS_MAX_FILTERS
        || q->norder > BLOG_STATS_MAX_ORDER)
    {
        return blog_stats_err(err, BLOG_STATS_EQUERY,
                              "metrics: 1 to %s, dimensions: up to 3, "
                              "filters: up to 8, order_by: up to 4", "6");
    }

    if (q->limit < 0 || q->limit > BLOG_STATS_MAX_LIMIT || q->offset < 0) {
        return blog_stats_err(err, BLOG_STATS_EQUERY,
                              "pagination: a limit of 1 to %s rows and an "
                              "offset of 0 or more", "10000");
    }

    if (q->range.from > q->range.to || q->range.from < 0) {
        return blog_stats_err(err, BLOG_STATS_EQUERY, "%s: from is after to",
                              "date_range");
    }

    for (i = 0; i < q->nmetrics; i++) {
        if ((int) q->metrics[i] < 0 || q->metrics[i] >= BLOG_STATS_NMETRICS) {
            return blog_stats_err(err, BLOG_STATS_EQUERY, "%s: unknown metric",
                                  "metrics");
        }
    }

    times = 0;

    for (i = 0; i < q->ndims; i++) {
        if ((int) q->dims[i] < 0 || q->dims[i] >= BLOG_STATS_NDIMS) {
            return blog_stats_err(err, BLOG_STATS_EQUERY,
                                  "%s: unknown dimension", "dimensions");
        }

        times += blog_stats_is_time(q->dims[i]);

        for (j = 0; j < i; j++) {
            if (q->dims[j] == q->dims[i]) {
                return blog_stats_err(err, BLOG_STATS_EQUERY,
                                      "%s: a dimension twice", "dimensions");
            }
        }
    }

    if (times > 1) {
        return blog_stats_err(err, BLOG_STATS_EQUERY,
                              "%s: one time dimension at most", "dimensions");
    }

    for (i = 0; i < q->nfilters; i++) {
        if ((int) q->filters[i].dim < 0
            || q->filters[i].dim >= BLOG_STATS_NDIMS
            || blog_stats_is_time(q->filters[i].dim)
            || q->filters[i].op > BLOG_STATS_CONTAINS
            || q->filters[i].nvalues == 0
            || q->filters[i].nvalues > BLOG_STATS_MAX_VALUES)
        {
            return blog_stats_err(err, BLOG_STATS_EQUERY,
                                  "%s: each is an operator, a dimension that "
                                  "is not a time one, and 1 to 16 values",
                                  "filters");
        }
    }

    for (i = 0; i < q->norder; i++) {
        if (!q->order[i].is_dim) {
            if (q->order[i].id < 0 || q->order[i].id >= BLOG_STATS_NMETRICS) {
                return blog_stats_err(err, BLOG_STATS_EQUERY,
                                      "%s: unknown metric", "order_by");
            }

            continue;
        }

        for (j = 0; j < q->ndims; j++) {
            if ((int) q->dims[j] == q->order[i].id) {
                break;
            }
        }

        if (j == q->ndims) {
            return blog_stats_err(err, BLOG_STATS_EQUERY,
                                  "%s: a dimension that is not in dimensions",
                                  "order_by");
        }
    }

    return BLOG_STATS_OK;
}


/*
 * Where the answer comes from, for range (the query's or the previous
 * period), and its SQL in p->sql.
 */
static int
blog_stats_plan(sqlite3 *db, blog_stats_plan_t *p, const blog_range_t *range,
    char *err)
{
    int                        rc;
    size_t                     i;
    int64_t                    first, oldest, lost;
    const blog_stats_query_t  *q;

    q = p->q;
    p->range = *range;
    p->time = -1;
    p->rollup_dim = -1;
    p->segments = 0;
    p->by_source = 0;
    p->rolled = NULL;
    p->nrolled = 0;
    p->page = 0;
    p->need = 0;
    p->sql.len = 0;

    for (i = 0; i < q->nmetrics; i++) {
        p->need |= blog_stats_metric_needs[q->metrics[i]];
    }

    for (i = 0; i < q->norder; i++) {
        if (!q->order[i].is_dim) {
            p->need |= blog_stats_metric_needs[q->order[i].id];
        }
    }

    for (i = 0; i < q->ndims; i++) {
        if (blog_stats_is_time(q->dims[i])) {
            p->time = (int) i;

        } else {
            p->page |= blog_stats_dims[q->dims[i]].page;

            if (p->rollup_dim == -1) {
                p->rollup_dim = q->dims[i];
            } else {
                p->rollup_dim = -2;               /* two: not in the rollup */
            }
        }
    }

    for (i = 0; i < q->nfilters; i++) {
        p->page |= blog_stats_dims[q->filters[i].dim].page;
    }

    /*
     * The rollup has one row per day and value of one dimension: it
     * answers a question about at most one dimension and one filter, on
     * that dimension.  Ungrouped, only an "is" of one value: summing
     * several values' rows would count twice a visitor (or, for pages, a
     * visit) found under two of them.
     */
    p->rollup = p->rollup_dim != -2 && q->nfilters <= 1;

    if (p->rollup && q->nfilters == 1) {
        const blog_stats_filter_t  *f = &q->filters[0];

        if (p->rollup_dim == -1 && f->op == BLOG_STATS_IS
            && f->nvalues == 1)
        {
            p->rollup_dim = f->dim;

        } else if ((int) f->dim != p->rollup_dim) {
            p->rollup = 0;
        }

        /* bound in the rollup's branch too (blog_stats_bind) */
        p->rolled = f;
        p->nrolled = p->rollup;
    }

    if (!p->rollup) {
        p->segments = blog_stats_segmented(q, &p->by_source);
    }

    if (!p->rollup && !p->segments && blog_stats_paired(q, p->rollup_dim)) {
        p->segments = 3;
    }

    if (p->segments) {
        p->rollup = 1;
        p->rolled = q->filters;
        p->nrolled = q->nfilters;
    }

    if (p->range.from == BLOG_RANGE_ALL) {
        first = blog_stats_int(db, "SELECT min(m) FROM ("
                               "SELECT min(day) AS m FROM analytics_rolled"
                               " UNION ALL"
                               " SELECT min(day) FROM analytics_visits)"
                               " WHERE ?1 <= ?2",
                               0, 0, &rc);
        if (rc != SQLITE_OK) {
            return blog_stats_err(err, BLOG_STATS_EDB, "%s",
                                  sqlite3_errmsg(db));
        }

        p->range.from = first >= 0 && first <= p->range.to ? first
                                                            : p->range.to;
    }

    p->raw = p->range;

    if (p->rollup) {
        /*
         * The raw branch reads only from the first day not rolled up to
         * the last (today, mostly), not the whole range through the days'
         * index: the rolled ones in between are left out by the statement.
         */
        rc = blog_stats_unrolled(db, blog_stats_rolled_days(p), &p->range,
                                 &p->raw);
        if (rc != SQLITE_OK) {
            return blog_stats_err(err, BLOG_STATS_EDB, "%s",
                                  sqlite3_errmsg(db));
        }
    }

    if (!p->rollup || p->segments >= 2) {
        /*
         * The raw rows only, or the pages' segments or the pairs, which go
         * with them (jr_rollup.c): refused when the range has days that
         * were rolled up with traffic but whose visits are gone (purged).
         */
        oldest = blog_stats_int(db, "SELECT min(day) FROM analytics_visits"
                                " WHERE ?1 <= ?2", 0, 0, &rc);
        if (rc == SQLITE_OK) {
            if (oldest < 0) {
                oldest = p->range.to + 1;
            }

#define BLOG_STATS_LOST                                                       \
    "SELECT min(day) FROM analytics_rollup WHERE dim = ''"                    \
    " AND day BETWEEN ?1 AND ?2 AND visits > 0"

            /* the pairs' days are summed whole: their raw rows may go */
            lost = blog_stats_int(db, p->segments == 3
                                  ? BLOG_STATS_LOST " AND day NOT IN (SELECT"
                                    " day FROM analytics_pairs_rolled)"
                                  : BLOG_STATS_LOST,
                                  p->range.from,
                                  oldest - 1 < p->range.to ? oldest - 1
                                                           : p->range.to,
                                  &rc);
        }

        if (rc != SQLITE_OK) {
            return blog_stats_err(err, BLOG_STATS_EDB, "%s",
                                  sqlite3_errmsg(db));
        }

        if (lost >= 0) {
            char  date[BLOG_RANGE_DATE_SIZE];

            blog_range_format(oldest, date);
            return blog_stats_err(err, BLOG_STATS_ERANGE,
                                  "this query needs the raw rows, kept from "
                                  "%s on ([jobrunner] raw_days); before it, ask "
                                  "without filters or with one filter on the "
                                  "dimension grouped by", date);
        }
    }

    return blog_stats_sql(p) == 0
           ? BLOG_STATS_OK
           : blog_stats_err(err, BLOG_STATS_ENOMEM, "%s", "out of memory");
}


/*
 * The first and last days of range not in the table of rolled days
 * (analytics_rolled, or analytics_pairs_rolled for the pairs).
 */
static int
blog_stats_unrolled(sqlite3 *db, const char *rolled, const blog_range_t *range,
    blog_range_t *raw)
{
    int            rc;
    char           sql[96];
    int64_t        day, next;
    sqlite3_stmt  *stmt;

    snprintf(sql, sizeof(sql), "SELECT day FROM %s"
             " WHERE day BETWEEN ?1 AND ?2 ORDER BY day", rolled);

    rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
    if (rc != SQLITE_OK) {
        return rc;
    }

    sqlite3_bind_int64(stmt, 1, range->from);
    sqlite3_bind_int64(stmt, 2, range->to);

    raw->from = -1;
    raw->to = -1;
    next = range->from;

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        day = sqlite3_column_int64(stmt, 0);

        if (day > next) {
            /* next .. day - 1 are not rolled up */
            raw->from = raw->from < 0 ? next : raw->from;
            raw->to = day - 1;
        }

        next = day + 1;
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        return rc;
    }

    if (next <= range->to) {
        raw->from = raw->from < 0 ? next : raw->from;
        raw->to = range->to;
    }

    if (raw->from < 0) {
        raw->from = 1;                      /* all rolled up: no raw day */
        raw->to = 0;
    }

    return SQLITE_OK;
}


/*
 * Whether segments answer q's rolled days: 1 analytics_segments, when its
 * filters are on country, device and source, in any mix, and it is
 * grouped by at most one of them (and time); 2 analytics_page_segments,
 * grouped by page, its filters on country and device; 0 neither.
 * Segments summed count a visitor once, but not across sources: a source
 * filter of a query not grouped by source is the only one on source and
 * an "is" of one value.  *by_source: the segments of each source are read.
 */
static int
blog_stats_segmented(const blog_stats_query_t *q, int *by_source)
{
    int                         page;
    size_t                      i, grouped, sources;
    const blog_stats_filter_t  *f;

    page = 0;
    grouped = 0;
    *by_source = 0;

    for (i = 0; i < q->ndims; i++) {
        if (blog_stats_is_time(q->dims[i])) {
            continue;
        }

        if (grouped++) {
            return 0;
        }

        if (q->dims[i] == BLOG_STATS_PAGE) {
            page = 1;
            continue;
        }

        if (blog_stats_segment(q->dims[i]) == NULL) {
            return 0;
        }

        *by_source = q->dims[i] == BLOG_STATS_SOURCE;
    }

    sources = 0;

    for (i = 0; i < q->nfilters; i++) {
        f = &q->filters[i];

        if (blog_stats_segment(f->dim) == NULL
            || (page && f->dim == BLOG_STATS_SOURCE))
        {
            return 0;
        }

        if (f->dim == BLOG_STATS_SOURCE && !*by_source
            && (sources++ || f->op != BLOG_STATS_IS || f->nvalues != 1))
        {
            return 0;
        }
    }

    *by_source |= sources != 0;

    return page ? 2 : 1;
}


/*
 * Whether analytics_pairs answers q's rolled days: grouped by dim (and
 * time), a dimension of the visits that is not a segment's, with one
 * filter on a segment's dimension and any others on dim.  Pairs of
 * several sources are not summed for visitors: a source filter is an "is"
 * of one value.
 */
static int
blog_stats_paired(const blog_stats_query_t *q, int dim)
{
    size_t                      i, paired;
    const blog_stats_filter_t  *f;

    if (dim < 0 || dim == BLOG_STATS_PAGE
        || blog_stats_segment((blog_stats_dim_e) dim) != NULL)
    {
        return 0;
    }

    paired = 0;

    for (i = 0; i < q->nfilters; i++) {
        f = &q->filters[i];

        if ((int) f->dim == dim) {
            continue;
        }

        if (blog_stats_segment(f->dim) == NULL || paired++
            || (f->dim == BLOG_STATS_SOURCE
                && (f->op != BLOG_STATS_IS || f->nvalues != 1)))
        {
            return 0;
        }
    }

    return paired == 1;
}


/*
 * The table of the days the rolled branch reads: the pairs' own (days
 * rolled up before analytics.db migration 11 get their pairs later).
 */
static const char *
blog_stats_rolled_days(const blog_stats_plan_t *p)
{
    return p->segments == 3 ? "analytics_pairs_rolled" : "analytics_rolled";
}


/* A dimension's column in analytics_segments, or NULL. */
static const char *
blog_stats_segment(blog_stats_dim_e dim)
{
    switch (dim) {
    case BLOG_STATS_COUNTRY:
        return "country";
    case BLOG_STATS_DEVICE:
        return "device";
    case BLOG_STATS_SOURCE:
        return "source";
    default:
        return NULL;
    }
}


/* One value of a query as an SQL text; -1 when it is none (or empty). */
static int64_t
blog_stats_int(sqlite3 *db, const char *sql, int64_t a, int64_t b, int *rc)
{
    int64_t        v;
    sqlite3_stmt  *stmt;

    v = -1;

    *rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
    if (*rc != SQLITE_OK) {
        return -1;
    }

    sqlite3_bind_int64(stmt, 1, a);
    sqlite3_bind_int64(stmt, 2, b);

    *rc = sqlite3_step(stmt);

    if (*rc == SQLITE_ROW) {
        if (sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
            v = sqlite3_column_int64(stmt, 0);
        }

        *rc = SQLITE_OK;

    } else if (*rc == SQLITE_DONE) {
        *rc = SQLITE_OK;
    }

    sqlite3_finalize(stmt);

    return v;
}


#define blog_stats_lit(p, s)  (blog_buf_lit(&(p)->sql, s) != 0)

static int
blog_stats_str(blog_stats_plan_t *p, const char *s)
{
    return blog_buf_append(&p->sql, s, strlen(s));
}


static int
blog_stats_param(blog_stats_plan_t *p)
{
    char  num[24];

    p->nparams++;
    snprintf(num, sizeof(num), "?%d", p->nparams + 5);

    return blog_stats_str(p, num);
}


/*
 * The statement, without its LIMIT: ?1 and ?2 are the raw branch's days,
 * ?3 and ?4 the range's, ?5 today, then one parameter per filter value
 * (bound in the order they appear, by blog_stats_bind()).
 */
static int
blog_stats_sql(blog_stats_plan_t *p)
{
    int                        visits, fresh;
    char                       col[32];
    size_t                     i, k, keys;
    unsigned                   need;
    const blog_stats_query_t  *q;

    q = p->q;
    p->nparams = 0;
    keys = q->ndims - (p->time >= 0);

    /* the outer level */
    if (blog_stats_lit(p, "SELECT ")) {
        return -1;
    }

    for (i = 0, k = 0; i < q->ndims; i++) {
        if ((int) i == p->time) {
            if (blog_stats_str(p, blog_stats_dims[q->dims[i]].raw)
                || blog_stats_lit(p, " AS t, "))
            {
                return -1;
            }

            continue;
        }

        snprintf(col, sizeof(col), "k%zu, ", k++);

        if (blog_stats_str(p, col)) {
            return -1;
        }
    }

    if (blog_stats_lit(p, "coalesce(sum(visitors), 0) AS visitors,"
                       " coalesce(sum(visits), 0) AS visits,"
                       " coalesce(sum(views), 0) AS views,"
                       " coalesce(sum(bounces), 0) AS bounces,"
                       " coalesce(sum(dur), 0) AS dur FROM ("))
    {
        return -1;
    }

    /* the middle level: the raw days */
    if (blog_stats_lit(p, "SELECT d")) {
        return -1;
    }

    for (i = 0, k = 0; i < q->ndims; i++) {
        if ((int) i == p->time) {
            continue;
        }

        if (q->dims[i] == BLOG_STATS_PAGE) {
            snprintf(col, sizeof(col), "k%zu) AS k%zu", k, k);

            if (blog_stats_lit(p, ", (SELECT value FROM analytics_strings"
                               " WHERE id = ")
                || blog_stats_str(p, col))
            {
                return -1;
            }

            k++;
            continue;
        }

        snprintf(col, sizeof(col), ", k%zu", k++);

        if (blog_stats_str(p, col)) {
            return -1;
        }
    }

    /*
     * A visit's n is its views, but for a page the page's: b says.  A sum
     * no metric needs is 0: counting distinct visitors sorts, a visit's
     * grouping and an open visit's views are lookups (the panels of pages,
     * sources or countries ask for visitors and views alone).
     */
    need = p->need;

    if (blog_stats_str(p, need & BLOG_STATS_NEED_VISITORS
                          ? ", count(DISTINCT who) AS visitors"
                          : ", 0 AS visitors")
        || blog_stats_str(p, need & BLOG_STATS_NEED_VISITS
                             ? ", count(*) AS visits" : ", 0 AS visits")
        || blog_stats_lit(p, ", sum(n) AS views, ")
        || blog_stats_str(p, !(need & BLOG_STATS_NEED_BOUNCES) ? "0"
                             : p->page ? "sum(b)" : "sum(n = 1)")
        || blog_stats_lit(p, " AS bounces, sum(dur) AS dur FROM ("))
    {
        return -1;
    }

    /*
     * The innermost rows.  A visit still open (today's: a visit ends at
     * midnight) has a row the jobrunner brings up to date only when it
     * ends (jr_visits.c): its views, end and so bounce and duration are
     * taken from its views instead, looked up by visit for today's only.
     */
#define BLOG_STATS_FRESH(agg, col)                                            \
    "CASE WHEN v.day >= ?5 THEN " agg " ELSE v." col " END"

    /*
     * today's views per visit, read once (a range of the views' rows)
     * and joined: the rows are clustered by day and page, not by visit
     */
#define BLOG_STATS_TODAY                                                      \
    " LEFT JOIN (SELECT visit, count(*) AS n, max(time_ms) AS e"              \
    " FROM analytics_hits WHERE day >= ?5 GROUP BY visit) f ON f.visit = v.id"

    /*
     * the raw branch's days, one by one: a page's rows of a day are a seek.
     * One day (today, mostly) is written as such: SQLite guesses a list
     * of some 25, then more views than visits there are, and builds a
     * Bloom filter of the visits before the join, a scan of every day's
     * (445,000 at a million views: 40 ms of the 60 of today's pages under
     * a country filter).
     */
#define BLOG_STATS_DAYS                                                       \
    "(WITH RECURSIVE days(d) AS (SELECT ?1 UNION ALL SELECT d + 1 FROM days"  \
    " WHERE d < ?2) SELECT d FROM days)"

    /* without visits, a page's rows are its views, not grouped per visit */
    visits = !p->page || (need & BLOG_STATS_NEED_VISITS);

    if (blog_stats_lit(p, "SELECT v.day AS d, v.visitor AS who, ")
        || blog_stats_str(p, need & BLOG_STATS_NEED_DUR
                             ? BLOG_STATS_FRESH("f.e", "end_ms")
                               " - v.start_ms AS dur, "
                             : "0 AS dur, ")
        || (p->page
            ? blog_stats_str(p, !visits ? "0 AS b, 1 AS n"
                                : need & BLOG_STATS_NEED_BOUNCES
                                ? BLOG_STATS_FRESH("coalesce(f.n, 0)",
                                                   "views")
                                  " = 1 AS b, count(*) AS n"
                                : "0 AS b, count(*) AS n")
            : blog_stats_str(p, need & (BLOG_STATS_NEED_VIEWS
                                        | BLOG_STATS_NEED_BOUNCES)
                                ? BLOG_STATS_FRESH("coalesce(f.n, 0)",
                                                   "views")
                                  " AS n"
                                : "1 AS n")))
    {
        return -1;
    }

    fresh = (need & BLOG_STATS_NEED_DUR)
            || (p->page ? visits && (need & BLOG_STATS_NEED_BOUNCES)
                        : (need & (BLOG_STATS_NEED_VIEWS
                                   | BLOG_STATS_NEED_BOUNCES)) != 0);

    for (i = 0, k = 0; i < q->ndims; i++) {
        if ((int) i == p->time) {
            continue;
        }

        snprintf(col, sizeof(col), " AS k%zu", k++);

        if (blog_stats_lit(p, ", ")
            || blog_stats_str(p, blog_stats_dims[q->dims[i]].raw)
            || blog_stats_str(p, col))
        {
            return -1;
        }
    }

    /* a page's rows first (CROSS JOIN keeps the order): no index by visit */
    if ((p->page
         ? blog_stats_lit(p, " FROM analytics_hits w CROSS JOIN"
                          " analytics_visits v ON v.id = w.visit")
         : blog_stats_lit(p, " FROM analytics_visits v"))
        || (fresh && blog_stats_lit(p, BLOG_STATS_TODAY))
        || blog_stats_lit(p, " WHERE v.day BETWEEN ?1 AND ?2")
        || (p->page
            && blog_stats_str(p, p->raw.from == p->raw.to
                                 ? " AND w.day = ?1"
                                 : " AND w.day IN " BLOG_STATS_DAYS))
        || (p->rollup
            && (blog_stats_lit(p, " AND v.day NOT IN (SELECT day FROM ")
                || blog_stats_str(p, blog_stats_rolled_days(p))
                || blog_stats_lit(p, " WHERE day BETWEEN ?1 AND ?2)"))))
    {
        return -1;
    }

    for (i = 0; i < q->nfilters; i++) {
        if (blog_stats_lit(p, " AND ")
            || blog_stats_filter_sql(p, &q->filters[i],
                                     blog_stats_dims[q->filters[i].dim].raw))
        {
            return -1;
        }
    }

    if (p->page && visits) {
        if (blog_stats_lit(p, " GROUP BY v.id")) {
            return -1;
        }

        for (i = 0; i < q->ndims; i++) {
            if (blog_stats_dims[q->dims[i]].page
                && blog_stats_lit(p, ", w.path"))
            {
                return -1;
            }
        }
    }

    if (blog_stats_lit(p, ") GROUP BY d")) {
        return -1;
    }

    for (k = 0; k < keys; k++) {
        snprintf(col, sizeof(col), ", k%zu", k);

        if (blog_stats_str(p, col)) {
            return -1;
        }
    }

    /*
     * The middle level: the rolled days.  Only those marked in
     * analytics_rolled, as the raw branch leaves out: a day being summed
     * has some dimensions' rows before it is marked, and a late view
     * unmarks a day until it is summed again.
     */
#define BLOG_STATS_ROLLED                                                     \
    "(SELECT day FROM analytics_rolled WHERE day BETWEEN ?3 AND ?4)"

    /*
     * A rolled row's sums, summed by the outer level alone: rows of one
     * day (several devices' or countries') add up as the day's would, and
     * are not grouped per day first, a sort of every row read.
     */
#define BLOG_STATS_SUMS  " visitors, visits, views, bounces, duration_ms"

    /* a pair's dimension by name (analytics.db migration 11), one lookup */
#define BLOG_STATS_PAIR_DIM                                                   \
    "(SELECT id FROM analytics_pair_dims WHERE name = '"

    if (p->segments == 3) {
        /* names of the table above, not values: no quote to escape */
        for (i = 0; i < p->nrolled && blog_stats_segment(p->rolled[i].dim)
                                      == NULL; i++)
        {
            /* the filter on a segment's dimension */
        }

        if (blog_stats_lit(p, " UNION ALL SELECT day AS d, key AS k0,"
                           BLOG_STATS_SUMS " FROM analytics_pairs WHERE day IN"
                           " (SELECT day FROM analytics_pairs_rolled"
                           " WHERE day BETWEEN ?3 AND ?4) AND fdim = "
                           BLOG_STATS_PAIR_DIM)
            || blog_stats_str(p, blog_stats_dim_names[p->rolled[i].dim])
            || blog_stats_lit(p, "') AND dim = " BLOG_STATS_PAIR_DIM)
            || blog_stats_str(p, blog_stats_dim_names[p->rollup_dim])
            || blog_stats_lit(p, "')"))
        {
            return -1;
        }

        for (i = 0; i < p->nrolled; i++) {
            if (blog_stats_lit(p, " AND ")
                || blog_stats_filter_sql(p, &p->rolled[i],
                                         (int) p->rolled[i].dim
                                         == p->rollup_dim ? "key" : "fkey"))
            {
                return -1;
            }
        }

    } else if (p->segments == 2) {
        /* one seek per country of the range, whatever the filters */
        if (blog_stats_lit(p, " UNION ALL SELECT day AS d, page AS k0,"
                           BLOG_STATS_SUMS " FROM analytics_page_segments"
                           " WHERE country IN (SELECT country"
                           " FROM analytics_segments WHERE by_source = 0"
                           " AND day BETWEEN ?3 AND ?4)"
                           " AND day IN " BLOG_STATS_ROLLED))
        {
            return -1;
        }

        for (i = 0; i < p->nrolled; i++) {
            if (blog_stats_lit(p, " AND ")
                || blog_stats_filter_sql(p, &p->rolled[i],
                                         blog_stats_segment(p->rolled[i].dim)))
            {
                return -1;
            }
        }

    } else if (p->segments) {
        if (blog_stats_lit(p, " UNION ALL SELECT day AS d")
            || (keys
                && (blog_stats_lit(p, ", ")
                    || blog_stats_str(p, blog_stats_segment(p->rollup_dim))
                    || blog_stats_lit(p, " AS k0")))
            || blog_stats_lit(p, "," BLOG_STATS_SUMS
                              " FROM analytics_segments WHERE by_source = ")
            || blog_stats_str(p, p->by_source ? "1" : "0")
            || blog_stats_lit(p, " AND day IN " BLOG_STATS_ROLLED))
        {
            return -1;
        }

        for (i = 0; i < p->nrolled; i++) {
            if (blog_stats_lit(p, " AND ")
                || blog_stats_filter_sql(p, &p->rolled[i],
                                         blog_stats_segment(p->rolled[i].dim)))
            {
                return -1;
            }
        }

    } else if (p->rollup) {
        if (blog_stats_lit(p, " UNION ALL SELECT day AS d")
            || (keys && blog_stats_lit(p, ", key AS k0"))
            || blog_stats_lit(p, "," BLOG_STATS_SUMS " FROM analytics_rollup"
                              " WHERE day IN " BLOG_STATS_ROLLED
                              " AND dim = "))
        {
            return -1;
        }

        if (p->rollup_dim < 0) {
            if (blog_stats_lit(p, "''")) {
                return -1;
            }

        } else {
            /* a name of the table above, not a value: no quote to escape */
            if (blog_stats_lit(p, "'")
                || blog_stats_str(p, blog_stats_dim_names[p->rollup_dim])
                || blog_stats_lit(p, "'"))
            {
                return -1;
            }
        }

        if (p->nrolled
            && (blog_stats_lit(p, " AND ")
                || blog_stats_filter_sql(p, p->rolled, "key")))
        {
            return -1;
        }
    }

    if (blog_stats_lit(p, ")")) {
        return -1;
    }

    /* grouped, ordered */
    if (q->ndims) {
        if (blog_stats_lit(p, " GROUP BY ")) {
            return -1;
        }

        for (i = 0, k = 0; i < q->ndims; i++) {
            if ((int) i == p->time) {
                snprintf(col, sizeof(col), "%st", i ? ", " : "");

            } else {
                snprintf(col, sizeof(col), "%sk%zu", i ? ", " : "", k++);
            }

            if (blog_stats_str(p, col)) {
                return -1;
            }
        }
    }

    if (blog_stats_lit(p, " ORDER BY ")) {
        return -1;
    }

    for (i = 0; i < q->norder; i++) {
        const blog_stats_order_t  *o = &q->order[i];

        if (o->is_dim) {
            for (k = 0; k < q->ndims && (int) q->dims[k] != o->id; k++) {
                /* its position */
            }

            if ((int) k == p->time) {
                snprintf(col, sizeof(col), "t");

            } else {
                snprintf(col, sizeof(col), "k%zu",
                         k - (p->time >= 0 && (int) k > p->time));
            }

            if (blog_stats_str(p, col)) {
                return -1;
            }

        } else if (blog_stats_str(p, blog_stats_metric_sql[o->id])) {
            return -1;
        }

        if (blog_stats_str(p, o->desc ? " DESC, " : " ASC, ")) {
            return -1;
        }
    }

    if (q->norder == 0) {
        if (p->time >= 0) {
            if (blog_stats_lit(p, "t ASC, ")) {
                return -1;
            }

        } else if (blog_stats_str(p, blog_stats_metric_sql[q->metrics[0]])
                   || blog_stats_lit(p, " DESC, "))
        {
            return -1;
        }
    }

    /* ties: by the values, so that pages of rows do not overlap */
    if (p->time >= 0 && blog_stats_lit(p, "t, ")) {
        return -1;
    }

    for (k = 0; k < keys; k++) {
        snprintf(col, sizeof(col), "k%zu, ", k);

        if (blog_stats_str(p, col)) {
            return -1;
        }
    }

    return blog_stats_lit(p, "1") ? -1 : 0;
}


static int
blog_stats_filter_sql(blog_stats_plan_t *p, const blog_stats_filter_t *f,
    const char *col)
{
    size_t               i;
    blog_stats_filter_t  is;

    /*
     * a page's rows by the ids of the strings the filter takes: for "is"
     * a seek, not a lookup of every row's path
     */
    if (col == blog_stats_dims[BLOG_STATS_PAGE].raw) {
        is = *f;

        if (is.op == BLOG_STATS_IS_NOT) {
            is.op = BLOG_STATS_IS;
        }

        if (blog_stats_str(p, f->op == BLOG_STATS_IS_NOT ? "w.path NOT IN"
                                                         : "w.path IN")
            || blog_stats_lit(p, " (SELECT id FROM analytics_strings WHERE ")
            || blog_stats_filter_sql(p, &is, "value"))
        {
            return -1;
        }

        return blog_stats_lit(p, ")") ? -1 : 0;
    }

    if (f->op == BLOG_STATS_CONTAINS) {
        if (blog_stats_lit(p, "(")) {
            return -1;
        }

        for (i = 0; i < f->nvalues; i++) {
            if ((i && blog_stats_lit(p, " OR "))
                || blog_stats_lit(p, "instr(")
                || blog_stats_str(p, col)
                || blog_stats_lit(p, ", ")
                || blog_stats_param(p)
                || blog_stats_lit(p, ") > 0"))
            {
                return -1;
            }
        }

        return blog_stats_lit(p, ")") ? -1 : 0;
    }

    if (blog_stats_lit(p, "(")
        || blog_stats_str(p, col)
        || blog_stats_str(p, f->op == BLOG_STATS_IS ? ") IN (" : ") NOT IN ("))
    {
        return -1;
    }

    for (i = 0; i < f->nvalues; i++) {
        if ((i && blog_stats_lit(p, ", ")) || blog_stats_param(p)) {
            return -1;
        }
    }

    return blog_stats_lit(p, ")") ? -1 : 0;
}


/* The range and the filters' values, in the order blog_stats_sql() wrote. */
static int
blog_stats_bind(blog_stats_plan_t *p, sqlite3_stmt *stmt)
{
    int                        n, last;
    size_t                     i, j;
    const blog_stats_query_t  *q;

    q = p->q;

    /*
     * A statement may hold neither the rolled days (?3, ?4) nor today (?5,
     * no open visit looked up), and without a LIMIT (blog_stats_count) it
     * ends at its last one: binding past it is an error.
     */
    last = sqlite3_bind_parameter_count(stmt);

    if (sqlite3_bind_int64(stmt, 1, p->raw.from) != SQLITE_OK
        || sqlite3_bind_int64(stmt, 2, p->raw.to) != SQLITE_OK
        || (last >= 4
            && (sqlite3_bind_int64(stmt, 3, p->range.from) != SQLITE_OK
                || sqlite3_bind_int64(stmt, 4, p->range.to) != SQLITE_OK))
        || (last >= 5
            && sqlite3_bind_int64(stmt, 5, (int64_t) (time(NULL) / 86400))
               != SQLITE_OK))
    {
        return -1;
    }

    n = 6;

    for (i = 0; i < q->nfilters; i++) {
        for (j = 0; j < q->filters[i].nvalues; j++) {
            if (sqlite3_bind_text(stmt, n++, q->filters[i].values[j], -1,
                                  SQLITE_STATIC)
                != SQLITE_OK)
            {
                return -1;
            }
        }
    }

    for (i = 0; i < p->nrolled; i++) {
        for (j = 0; j < p->rolled[i].nvalues; j++) {
            if (sqlite3_bind_text(stmt, n++, p->rolled[i].values[j], -1,
                                  SQLITE_STATIC)
                != SQLITE_OK)
            {
                return -1;
            }
        }
    }

    return 0;
}


static int
blog_stats_fetch(sqlite3 *db, blog_stats_plan_t *p, int64_t limit,
    int64_t offset, blog_stats_row_t **rows, size_t *nrows, char *err)
{
    int                        rc, c;
    size_t                     i, n, size, len;
    blog_stats_row_t          *row, *grown;
    sqlite3_stmt              *stmt;
    const unsigned char       *text;
    const blog_stats_query_t  *q;

    q = p->q;
    len = p->sql.len;

    if (blog_buf_lit(&p->sql, " LIMIT ?1000 OFFSET ?999") != 0
        || blog_buf_append(&p->sql, "", 1) != 0)
    {
        return blog_stats_err(err, BLOG_STATS_ENOMEM, "%s", "out of memory");
    }

    rc = sqlite3_prepare_v2(db, p->sql.data, -1, &stmt, NULL);
    p->sql.len = len;

    if (rc != SQLITE_OK) {
        return blog_stats_err(err, BLOG_STATS_EDB, "%s", sqlite3_errmsg(db));
    }

    if (blog_stats_bind(p, stmt) != 0
        || sqlite3_bind_int64(stmt, 1000, limit) != SQLITE_OK
        || sqlite3_bind_int64(stmt, 999, offset) != SQLITE_OK)
    {
        sqlite3_finalize(stmt);
        return blog_stats_err(err, BLOG_STATS_EDB, "%s", sqlite3_errmsg(db));
    }

    n = 0;
    size = 0;
    *rows = NULL;

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (n == size) {
            size = size ? 2 * size : 16;
            grown = realloc(*rows, size * sizeof(blog_stats_row_t));

            if (grown == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }

            *rows = grown;
        }

        row = &(*rows)[n++];
        memset(row, 0, sizeof(blog_stats_row_t));
        c = 0;

        for (i = 0; i < q->ndims; i++, c++) {
            if ((int) i == p->time) {
                row->time = sqlite3_column_int64(stmt, c);
                row->dims[i] = malloc(BLOG_RANGE_DATE_SIZE);

                if (row->dims[i] != NULL) {
                    blog_range_format(row->time, row->dims[i]);
                }

            } else {
                text = sqlite3_column_text(stmt, c);
                row->dims[i] = strdup(text ? (const char *) text : "");
            }

            if (row->dims[i] == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
        }

        if (rc == SQLITE_NOMEM) {
            break;
        }

        row->sums.visitors = sqlite3_column_int64(stmt, c++);
        row->sums.visits = sqlite3_column_int64(stmt, c++);
        row->sums.views = sqlite3_column_int64(stmt, c++);
        row->sums.bounces = sqlite3_column_int64(stmt, c++);
        row->sums.duration_ms = sqlite3_column_int64(stmt, c);
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        blog_stats_rows_free(*rows, n);
        *rows = NULL;

        return rc == SQLITE_NOMEM
               ? blog_stats_err(err, BLOG_STATS_ENOMEM, "%s", "out of memory")
               : blog_stats_err(err, BLOG_STATS_EDB, "%s", sqlite3_errmsg(db));
    }

    *nrows = n;

    return BLOG_STATS_OK;
}


static int
blog_stats_count(sqlite3 *db, blog_stats_plan_t *p, int64_t *total,
    char *err)
{
    int            rc;
    blog_buf_t     sql;
    sqlite3_stmt  *stmt;

    memset(&sql, 0, sizeof(blog_buf_t));

    if (blog_buf_lit(&sql, "SELECT count(*) FROM (") != 0
        || blog_buf_append(&sql, p->sql.data, p->sql.len) != 0
        || blog_buf_end(&sql, ")") != 0)
    {
        free(sql.data);
        return blog_stats_err(err, BLOG_STATS_ENOMEM, "%s", "out of memory");
    }

    rc = sqlite3_prepare_v2(db, sql.data, -1, &stmt, NULL);
    free(sql.data);

    if (rc != SQLITE_OK) {
        return blog_stats_err(err, BLOG_STATS_EDB, "%s", sqlite3_errmsg(db));
    }

    if (blog_stats_bind(p, stmt) != 0 || sqlite3_step(stmt) != SQLITE_ROW) {
        sqlite3_finalize(stmt);
        return blog_stats_err(err, BLOG_STATS_EDB, "%s", sqlite3_errmsg(db));
    }

    *total = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);

    return BLOG_STATS_OK;
}


typedef struct {
    char    *key;
    size_t   row;
} blog_stats_key_t;


static int
blog_stats_key_cmp(const void *a, const void *b)
{
    return strcmp(((const blog_stats_key_t *) a)->key,
                  ((const blog_stats_key_t *) b)->key);
}


/*
 * The previous period, as long as the range and ending the day before it:
 * all its rows, each matched to the row of the range with the same
 * dimension values.  A time bucket matches the bucket at the same place
 * in its period (the 3rd day with the 3rd day).
 */
static int
blog_stats_compare(sqlite3 *db, const blog_stats_query_t *q,
    blog_stats_result_t *res, char *err)
{
    int                rc;
    size_t             i, n;
    blog_range_t       prev;
    blog_stats_key_t  *keys, key, *found;
    blog_stats_row_t  *rows;
    blog_stats_plan_t  p;

    blog_range_previous(&res->range, &prev);
    res->prev_range = prev;

    if (prev.from < 0) {
        return BLOG_STATS_OK;               /* nothing before 1970 */
    }

    memset(&p, 0, sizeof(blog_stats_plan_t));
    p.q = q;

    rc = blog_stats_plan(db, &p, &prev, err);

    if (rc == BLOG_STATS_ERANGE) {
        /* the previous period is beyond the raw rows: no comparison */
        free(p.sql.data);
        err[0] = '\0';
        return BLOG_STATS_OK;
    }

    rows = NULL;
    n = 0;

    if (rc == BLOG_STATS_OK) {
        rc = blog_stats_fetch(db, &p, -1, 0, &rows, &n, err);
    }

    free(p.sql.data);

    if (rc != BLOG_STATS_OK) {
        return rc;
    }

    keys = calloc(n ? n : 1, sizeof(blog_stats_key_t));
    rc = keys == NULL ? BLOG_STATS_ENOMEM : BLOG_STATS_OK;

    for (i = 0; rc == BLOG_STATS_OK && i < n; i++) {
        keys[i].row = i;
        keys[i].key = blog_stats_row_key(q, &rows[i],
                          blog_stats_bucket_index(q, &rows[i], &prev));
        if (keys[i].key == NULL) {
            rc = BLOG_STATS_ENOMEM;
        }
    }

    if (rc == BLOG_STATS_OK) {
        qsort(keys, n, sizeof(blog_stats_key_t), blog_stats_key_cmp);
    }

    for (i = 0; rc == BLOG_STATS_OK && i < res->nrows; i++) {
        key.key = blog_stats_row_key(q, &res->rows[i],
                      blog_stats_bucket_index(q, &res->rows[i], &res->range));
        if (key.key == NULL) {
            rc = BLOG_STATS_ENOMEM;
            break;
        }

        found = bsearch(&key, keys, n, sizeof(blog_stats_key_t),
                        blog_stats_key_cmp);
        free(key.key);

        res->rows[i].has_prev = 1;

        if (found) {
            res->rows[i].prev = rows[found->row].sums;
        }
    }

    for (i = 0; keys && i < n; i++) {
        free(keys[i].key);
    }

    free(keys);
    blog_stats_rows_free(rows, n);

    return rc == BLOG_STATS_OK
           ? BLOG_STATS_OK
           : blog_stats_err(err, rc, "%s", "out of memory");
}


/* The bucket's place in range: 0 for its first day, week or month. */
static int64_t
blog_stats_bucket_index(const blog_stats_query_t *q,
    const blog_stats_row_t *row, const blog_range_t *range)
{
    size_t   i;
    int64_t  first;

    for (i = 0; i < q->ndims; i++) {
        switch (q->dims[i]) {
        case BLOG_STATS_TIME_DAY:
            return row->time - range->from;
        case BLOG_STATS_TIME_WEEK:
            first = range->from - (range->from + 3) % 7;
            return (row->time - first) / 7;
        case BLOG_STATS_TIME_MONTH:
            return blog_range_month(row->time)
                   - blog_range_month(range->from);
        default:
            break;
        }
    }

    return 0;
}


/* "index SEP value SEP value", the time dimension by its index. */
static char *
blog_stats_row_key(const blog_stats_query_t *q, const blog_stats_row_t *row,
    int64_t index)
{
    char        num[24];
    size_t      i;
    blog_buf_t  key;

    memset(&key, 0, sizeof(blog_buf_t));
    snprintf(num, sizeof(num), "%lld", (long long) index);

    if (blog_buf_append(&key, num, strlen(num)) != 0) {
        return NULL;
    }

    for (i = 0; i < q->ndims; i++) {
        if (blog_stats_is_time(q->dims[i])) {
            continue;
        }

        if (blog_buf_append(&key, &(char) { BLOG_STATS_SEP }, 1) != 0
            || blog_buf_append(&key, row->dims[i], strlen(row->dims[i])) != 0)
        {
            free(key.data);
            return NULL;
        }
    }

    if (blog_buf_append(&key, "", 1) != 0) {
        free(key.data);
        return NULL;
    }

    return key.data;
}


static void
blog_stats_rows_free(blog_stats_row_t *rows, size_t n)
{
    size_t  i, j;

    for (i = 0; i < n; i++) {
        for (j = 0; j < BLOG_STATS_MAX_DIMS; j++) {
            free(rows[i].dims[j]);
        }
    }

    free(rows);
}


/* Fills err with fmt and arg (a name or a number, never a value); rc. */
static int
blog_stats_err(char *err, int rc, const char *fmt, const char *arg)
{
    snprintf(err, BLOG_STATS_ERROR_SIZE, fmt, arg);

    return rc;
}
