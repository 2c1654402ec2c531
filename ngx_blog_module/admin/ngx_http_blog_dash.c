/*
 * The dashboard's values (ngx_http_blog_dash.h), asked of the query
 * engine (lib/blog_stats.h) with the page's range and filters:
 *
 *   figures      visitors, visits, views, views per visit, bounce rate,
 *                visit duration, each with its change against the period
 *                before, as long
 *   chart        visitors and views per day (per month past 92 days), an
 *                SVG from lib/blog_chart.c, and "chart_rows" for the
 *                table that says the same in text
 *   panels       the top 10 of each dimension, each row a link that adds
 *                its value as a filter
 *   broken       404s with the referrer that linked to them, under the
 *                same filters
 *   humans       with the CSS beacon on: the visitors whose browser
 *                fetched it (analytics_visits.human), and their share
 *
 * The queries are made here (ngx_http_blog_dash_queries()) and run off the
 * event loop by ngx_http_blog_stats_task.h, with the 404s and the current
 * visitors read in the same thread (ngx_http_blog_dash_work()); the page's
 * values are then made from the answers, on the loop.  Numbers are
 * formatted here, so the template only places text.
 */

#include "admin/ngx_http_blog_dash.h"
#include "blog_chart.h"
#include "blog_current.h"
#include "blog_figures.h"


#define NGX_HTTP_BLOG_DASH_DAYS_MAX  92     /* longer: a point per month */
#define NGX_HTTP_BLOG_CHART_WIDTH    720
#define NGX_HTTP_BLOG_CHART_HEIGHT   240

/* the page's queries, in the task's array */
#define NGX_HTTP_BLOG_DASH_FIGURES   0
#define NGX_HTTP_BLOG_DASH_CHART     1
#define NGX_HTTP_BLOG_DASH_PANELS    2

/* csv=time: the chart's points */
#define NGX_HTTP_BLOG_DASH_CSV_TIME  "time"


typedef struct {
    const char          *id;          /* the section's, for links and tests */
    const char          *title;
    blog_stats_dim_e     dim;
} ngx_http_blog_panel_t;

static ngx_http_blog_panel_t  ngx_http_blog_panels[] = {
    { "pages", "Top pages", BLOG_STATS_PAGE },
    { "entry-pages", "Entry pages", BLOG_STATS_ENTRY_PAGE },
    { "exit-pages", "Exit pages", BLOG_STATS_EXIT_PAGE },
    { "channels", "Channels", BLOG_STATS_CHANNEL },
    { "sources", "Sources", BLOG_STATS_SOURCE },
    { "referrers", "Referrers", BLOG_STATS_REFERRER },
    { "campaigns", "UTM campaigns", BLOG_STATS_UTM_CAMPAIGN },
    { "utm-sources", "UTM sources", BLOG_STATS_UTM_SOURCE },
    { "utm-mediums", "UTM mediums", BLOG_STATS_UTM_MEDIUM },
    { "countries", "Countries", BLOG_STATS_COUNTRY },
    { "regions", "Regions", BLOG_STATS_REGION },
    { "devices", "Devices", BLOG_STATS_DEVICE },
    { "browsers", "Browsers", BLOG_STATS_BROWSER },
    { "systems", "Operating systems", BLOG_STATS_OS },
    { NULL, NULL, 0 }
};

static const blog_chart_series_t  ngx_http_blog_chart_series[] = {
    { "visitors", "visitors" },
    { "views", "views" }
};


static ngx_int_t ngx_http_blog_dash_figures(ngx_http_request_t *r,
    blog_stats_result_t *res, ngx_array_t *vars);
static ngx_int_t ngx_http_blog_dash_chart(ngx_http_request_t *r,
    ngx_http_blog_dash_t *dash, blog_stats_result_t *res, ngx_array_t *vars);
static ngx_int_t ngx_http_blog_dash_panel(ngx_http_request_t *r,
    ngx_http_blog_dash_t *dash, blog_stats_result_t *res,
    ngx_array_t *panels, ngx_http_blog_panel_t *panel);
static ngx_int_t ngx_http_blog_dash_csv_href(ngx_http_request_t *r,
    ngx_str_t *href, const char *arg);
static ngx_int_t ngx_http_blog_dash_broken(ngx_http_request_t *r,
    ngx_http_blog_dash_t *dash, ngx_array_t *vars);
static ngx_int_t ngx_http_blog_dash_filter(ngx_http_blog_dash_t *dash,
    blog_stats_query_t *q, const char **why);
static ngx_int_t ngx_http_blog_dash_broken_sql(ngx_http_request_t *r,
    ngx_http_blog_dash_t *dash);
static ngx_int_t ngx_http_blog_dash_humans(ngx_http_request_t *r,
    ngx_http_blog_dash_t *dash, blog_stats_result_t *res,
    blog_stats_result_t *all, ngx_array_t *vars);


/* Whether the chart has a point per month: a range longer than 92 days. */
static int
ngx_http_blog_dash_months(ngx_http_blog_dash_t *dash)
{
    return dash->range.to - dash->range.from >= NGX_HTTP_BLOG_DASH_DAYS_MAX;
}


ngx_int_t
ngx_http_blog_dash_queries(ngx_http_request_t *r, ngx_http_blog_dash_t *dash,
    ngx_http_blog_stats_task_t *t, const char **why)
{
    ngx_uint_t           i, m;
    blog_stats_query_t  *q;

    q = t->queries;

    for (m = 0; m < BLOG_STATS_NMETRICS; m++) {
        q->metrics[q->nmetrics++] = m;
    }

    q->compare = 1;

    q = &t->queries[NGX_HTTP_BLOG_DASH_CHART];
    q->metrics[q->nmetrics++] = BLOG_STATS_VISITORS;
    q->metrics[q->nmetrics++] = BLOG_STATS_PAGEVIEWS;
    q->dims[q->ndims++] = ngx_http_blog_dash_months(dash)
                          ? BLOG_STATS_TIME_MONTH : BLOG_STATS_TIME_DAY;

    for (i = 0; ngx_http_blog_panels[i].id; i++) {
        q = &t->queries[NGX_HTTP_BLOG_DASH_PANELS + i];
        q->metrics[q->nmetrics++] = BLOG_STATS_VISITORS;
        q->metrics[q->nmetrics++] = BLOG_STATS_PAGEVIEWS;
        q->dims[q->ndims++] = ngx_http_blog_panels[i].dim;
        q->limit = NGX_HTTP_BLOG_DASH_TOP;
    }

    for (i = 0; i < t->nqueries; i++) {
        if (ngx_http_blog_dash_filter(dash, &t->queries[i], why) != NGX_OK) {
            return NGX_HTTP_BAD_REQUEST;
        }
    }

    /* the humans' visitors and visits: the figures', of human visits */
    if (dash->humans) {
        q = &dash->humans_q;
        blog_stats_query_init(q);
        q->metrics[q->nmetrics++] = BLOG_STATS_VISITORS;
        q->metrics[q->nmetrics++] = BLOG_STATS_VISITS;
        q->compare = 1;

        /* with the page's most filters already, no figure, still a page */
        if (ngx_http_blog_dash_filter(dash, q, why) != NGX_OK
            || blog_stats_filter_add(q, BLOG_STATS_HUMAN, BLOG_STATS_IS, "1",
                                     1)
               != BLOG_STATS_OK)
        {
            dash->humans_rc = BLOG_STATS_EQUERY;
        }
    }

    return ngx_http_blog_dash_broken_sql(r, dash);
}


/*
 * The 404s' statement, with the page's filters (each value bound, from
 * ?4 on, in the order of dash->filters): the views answered 404 of the
 * visits the filters keep.  It has no engine to map a filter to a column:
 * blog_stats's raw rows' columns, the views as "w" and the visits as "v",
 * a page filter on the 404's own path.
 */
static ngx_int_t
ngx_http_blog_dash_broken_sql(ngx_http_request_t *r,
    ngx_http_blog_dash_t *dash)
{
    u_char      *p;
    size_t       len;
    ngx_uint_t   i;

    static const char  head[] =
        "SELECT w.path, w.ref_host || w.ref_path, count(*) AS n"
        " FROM analytics_views AS w";
    static const char  join[] =
        " JOIN analytics_visits AS v ON v.id = w.visit";
    static const char  where[] =
        " WHERE w.day BETWEEN ?1 AND ?2 AND w.status = 404";
    static const char  tail[] =
        " GROUP BY w.path, w.ref_host, w.ref_path"
        " ORDER BY n DESC, w.path LIMIT ?3";

    len = sizeof(head) + sizeof(join) + sizeof(where) + sizeof(tail);

    for (i = 0; i < dash->nfilters; i++) {
        len += sizeof(" AND () = ?NN") - 1
               + ngx_strlen(blog_stats_raw_column(dash->filters[i].dim));
    }

    dash->broken_sql = ngx_pnalloc(r->pool, len);
    if (dash->broken_sql == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(dash->broken_sql, head, sizeof(head) - 1);

    /* the visits' columns only when a filter needs them */
    for (i = 0; i < dash->nfilters; i++) {
        if (dash->filters[i].dim != BLOG_STATS_PAGE) {
            p = ngx_cpymem(p, join, sizeof(join) - 1);
            break;
        }
    }

    p = ngx_cpymem(p, where, sizeof(where) - 1);

    for (i = 0; i < dash->nfilters; i++) {
        p = ngx_sprintf(p, " AND (%s) = ?%ui",
                        blog_stats_raw_column(dash->filters[i].dim),
                        i + 4);
    }

    p = ngx_cpymem(p, tail, sizeof(tail) - 1);
    *p = '\0';

    return NGX_OK;
}


/* The page's range and filters into q. */
static ngx_int_t
ngx_http_blog_dash_filter(ngx_http_blog_dash_t *dash, blog_stats_query_t *q,
    const char **why)
{
    ngx_uint_t  i;

    q->range = dash->range;

    for (i = 0; i < dash->nfilters; i++) {
        if (blog_stats_filter_add(q, dash->filters[i].dim, BLOG_STATS_IS,
                                  (char *) dash->filters[i].value.data,
                                  dash->filters[i].value.len)
            != BLOG_STATS_OK)
        {
            *why = "The engine takes no such filter.";
            return NGX_HTTP_BAD_REQUEST;
        }
    }

    return NGX_OK;
}


/*
 * In the thread, after the engine's queries, on the same read-only
 * analytics.db: the 404s with their referrers and the current visitors,
 * into dash (malloc'ed strings, freed by ngx_http_blog_dash_free()).
 */
void
ngx_http_blog_dash_work(ngx_http_blog_stats_task_t *t, sqlite3 *db)
{
    int                            rc;
    ngx_uint_t                     i;
    const char                    *s;
    sqlite3_stmt                  *stmt;
    ngx_http_blog_dash_t          *dash;
    ngx_http_blog_dash_broken_t   *b;

    dash = t->data;

    rc = blog_current_visitors(db, dash->now_ms, &dash->current);

    if (rc == SQLITE_OK) {
        rc = sqlite3_prepare_v2(db, dash->broken_sql, -1, &stmt, NULL);
    }

    if (rc != SQLITE_OK) {
        goto failed;
    }

    sqlite3_bind_int64(stmt, 1, dash->range.from);
    sqlite3_bind_int64(stmt, 2, dash->range.to);
    sqlite3_bind_int(stmt, 3, NGX_HTTP_BLOG_DASH_TOP);

    for (i = 0; i < dash->nfilters; i++) {
        sqlite3_bind_text(stmt, (int) i + 4,
                          (const char *) dash->filters[i].value.data,
                          (int) dash->filters[i].value.len, SQLITE_STATIC);
    }

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW
           && dash->nbroken < NGX_HTTP_BLOG_DASH_TOP)
    {
        b = &dash->broken[dash->nbroken];

        s = (const char *) sqlite3_column_text(stmt, 0);
        b->path = strdup(s ? s : "");
        s = (const char *) sqlite3_column_text(stmt, 1);
        b->referrer = strdup(s ? s : "");
        b->n = sqlite3_column_int64(stmt, 2);
        dash->nbroken++;

        if (b->path == NULL || b->referrer == NULL) {
            rc = SQLITE_NOMEM;
            break;
        }
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        goto failed;
    }

    if (!dash->humans || dash->humans_rc != BLOG_STATS_OK) {
        return;
    }

    /* refused (past the raw rows), the figure says so; the page stands */
    dash->humans_rc = blog_stats_run(db, &dash->humans_q, &dash->humans_res,
                                     t->err);

    if (dash->humans_rc == BLOG_STATS_EDB
        || dash->humans_rc == BLOG_STATS_ENOMEM)
    {
        t->rc = dash->humans_rc;
    }

    return;

failed:

    t->rc = BLOG_STATS_EDB;
    snprintf(t->err, sizeof(t->err), "the 404s or current visitors: %s",
             sqlite3_errstr(rc));
}


void
ngx_http_blog_dash_free(void *data)
{
    ngx_http_blog_dash_t *dash = data;

    ngx_uint_t  i;

    for (i = 0; i < dash->nbroken; i++) {
        free(dash->broken[i].path);
        free(dash->broken[i].referrer);
    }

    dash->nbroken = 0;

    blog_stats_result_free(&dash->humans_res);
    blog_stats_query_free(&dash->humans_q);
}


ngx_int_t
ngx_http_blog_dash_vars(ngx_http_request_t *r, ngx_http_blog_dash_t *dash,
    ngx_http_blog_stats_task_t *t, ngx_array_t *vars)
{
    ngx_int_t    rc;
    ngx_uint_t   i;
    ngx_array_t  panels;

    rc = ngx_http_blog_dash_figures(r, &t->results[NGX_HTTP_BLOG_DASH_FIGURES],
                                    vars);

    if (rc == NGX_OK) {
        rc = ngx_http_blog_dash_chart(r, dash,
                                      &t->results[NGX_HTTP_BLOG_DASH_CHART],
                                      vars);
    }

    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_array_init(&panels, r->pool, 16, sizeof(blog_tpl_ctx_t))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; ngx_http_blog_panels[i].id; i++) {
        rc = ngx_http_blog_dash_panel(r, dash,
                                      &t->results[NGX_HTTP_BLOG_DASH_PANELS + i],
                                      &panels, &ngx_http_blog_panels[i]);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    if (ngx_http_blog_scope_list(vars, "panels", &panels) != NGX_OK
        || ngx_http_blog_scope_int(r, vars, "current_visitors", dash->current)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (dash->humans) {
        rc = ngx_http_blog_dash_humans(r, dash, &dash->humans_res,
                                       &t->results[NGX_HTTP_BLOG_DASH_FIGURES],
                                       vars);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    return ngx_http_blog_dash_broken(r, dash, vars);
}



/* The six figures of the period, with the period before. */
static ngx_int_t
ngx_http_blog_dash_figures(ngx_http_request_t *r, blog_stats_result_t *res,
    ngx_array_t *vars)
{
    char                  prev_from[BLOG_RANGE_DATE_SIZE];
    char                  prev_to[BLOG_RANGE_DATE_SIZE];
    ngx_uint_t            m;
    ngx_array_t           items;
    blog_stats_sums_t     cur, prev;

    blog_figure_sums(res, &cur, &prev);

    blog_range_format(res->prev_range.from, prev_from);
    blog_range_format(res->prev_range.to, prev_to);

    if (ngx_array_init(&items, r->pool, BLOG_STATS_NMETRICS,
                       sizeof(blog_tpl_ctx_t))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (m = 0; m < BLOG_STATS_NMETRICS; m++) {
        if (ngx_http_blog_scope_figure(r, &items, m, &cur, &prev) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (ngx_http_blog_scope_list(vars, "figures", &items) != NGX_OK
        || ngx_http_blog_scope_str(r, vars, "prev_from", (u_char *) prev_from,
                                   ngx_strlen(prev_from)) != NGX_OK
        || ngx_http_blog_scope_str(r, vars, "prev_to", (u_char *) prev_to,
                                   ngx_strlen(prev_to)) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


/*
 * "humans": the visitors whose browser fetched the CSS beacon, with the
 * change against the period before, their visits' share of all visits,
 * and a link that filters the page to them.
 */
static ngx_int_t
ngx_http_blog_dash_humans(ngx_http_request_t *r, ngx_http_blog_dash_t *dash,
    blog_stats_result_t *res, blog_stats_result_t *all, ngx_array_t *vars)
{
    u_char             share[sizeof("100%")];
    int64_t            visits;
    ngx_str_t          href, one = ngx_string("1");
    ngx_array_t        items;
    blog_stats_sums_t  cur, prev;

    blog_figure_sums(res, &cur, &prev);

    visits = all->nrows ? all->rows[0].sums.visits : 0;

    /* a period whose raw rows are gone: no number rather than a wrong one */
    if (dash->humans_rc != BLOG_STATS_OK) {
        return ngx_http_blog_scope_cstr(r, vars, "humans_gone", "1")
               == NGX_OK ? NGX_OK : NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_array_init(&items, r->pool, 1, sizeof(blog_tpl_ctx_t)) != NGX_OK
        || ngx_http_blog_scope_figure(r, &items, BLOG_STATS_VISITORS, &cur,
                                     &prev) != NGX_OK
        || ngx_http_blog_dash_href(r, dash, NULL, BLOG_STATS_HUMAN, &one,
                                   BLOG_STATS_NDIMS, &href) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* rounded down: 99% until every visit is a human's */
    ngx_sprintf(share, "%L%%%Z",
                visits ? cur.visits * 100 / visits : (int64_t) 0);

    if (ngx_http_blog_scope_list(vars, "humans", &items) != NGX_OK
        || ngx_http_blog_scope_str(r, vars, "humans_share", share,
                                   ngx_strlen(share)) != NGX_OK
        || ngx_http_blog_scope_int(r, vars, "humans_visits", cur.visits)
           != NGX_OK
        || ngx_http_blog_scope_str(r, vars, "humans_href", href.data,
                                   href.len) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}

/*
 * Visitors and views over the range, a point per day, or per month for a
 * longer range; the days (months) without a row are zero.
 */
static ngx_int_t
ngx_http_blog_dash_chart(ngx_http_request_t *r, ngx_http_blog_dash_t *dash,
    blog_stats_result_t *res, ngx_array_t *vars)
{
    int64_t               day, *starts;
    size_t                n, i, k;
    ngx_int_t             rc;
    ngx_str_t             href;
    blog_buf_t            out;
    ngx_array_t           rows, *item;
    blog_chart_t          chart;
    blog_chart_point_t   *points;
    char                (*labels)[BLOG_RANGE_DATE_SIZE];
    int                   months;

    months = ngx_http_blog_dash_months(dash);

    /* the first day of each point */
    n = 0;

    if (months) {
        for (day = blog_range_month_start(dash->range.from, 0);
             day <= dash->range.to;
             day = blog_range_month_start(day + 31, 0))
        {
            n++;
        }

    } else {
        n = dash->range.to - dash->range.from + 1;
    }

    starts = ngx_palloc(r->pool, n * sizeof(int64_t));
    points = ngx_pcalloc(r->pool, n * sizeof(blog_chart_point_t));
    labels = ngx_palloc(r->pool, n * BLOG_RANGE_DATE_SIZE);

    if (starts == NULL || points == NULL || labels == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    day = months ? blog_range_month_start(dash->range.from, 0)
                 : dash->range.from;

    for (i = 0; i < n; i++) {
        starts[i] = day;
        blog_range_format(day, labels[i]);

        if (months) {
            labels[i][7] = '\0';            /* "YYYY-MM" */
        }

        points[i].label = labels[i];
        day = months ? blog_range_month_start(day + 31, 0) : day + 1;
    }

    for (k = 0; k < res->nrows; k++) {
        if (res->rows[k].dims[0] == NULL
            || blog_range_day(res->rows[k].dims[0],
                              ngx_strlen(res->rows[k].dims[0]), &day)
               != 0)
        {
            continue;
        }

        /* a month's row may be dated its first day, before the range */
        for (i = n; i > 0 && starts[i - 1] > day; i--) { /* void */ }

        if (i > 0) {
            points[i - 1].value[0] += res->rows[k].sums.visitors;
            points[i - 1].value[1] += res->rows[k].sums.views;
        }
    }

    chart.label = months ? "Visitors and views per month"
                         : "Visitors and views per day";
    chart.series = ngx_http_blog_chart_series;
    chart.nseries = 2;
    chart.points = points;
    chart.npoints = n;
    chart.width = NGX_HTTP_BLOG_CHART_WIDTH;
    chart.height = NGX_HTTP_BLOG_CHART_HEIGHT;

    ngx_memzero(&out, sizeof(blog_buf_t));

    if (blog_chart_svg(&chart, &out) != 0) {
        free(out.data);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_blog_scope_trusted(r, vars, "chart", (u_char *) out.data,
                                     out.len);
    free(out.data);

    if (rc != NGX_OK
        || ngx_array_init(&rows, r->pool, n, sizeof(blog_tpl_ctx_t))
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < n; i++) {
        item = ngx_http_blog_scope_item(r->pool, &rows, 3);

        if (item == NULL
            || ngx_http_blog_scope_cstr(r, item, "label", labels[i])
               != NGX_OK
            || ngx_http_blog_scope_int(r, item, "visitors",
                                       points[i].value[0]) != NGX_OK
            || ngx_http_blog_scope_int(r, item, "views", points[i].value[1])
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (ngx_http_blog_scope_list(vars, "chart_rows", &rows) != NGX_OK
        || ngx_http_blog_scope_cstr(r, vars, "chart_unit",
                                    months ? "Month" : "Day") != NGX_OK
        || ngx_http_blog_dash_href(r, dash, NULL, BLOG_STATS_NDIMS, NULL,
                                   BLOG_STATS_NDIMS, &href) != NGX_OK
        || ngx_http_blog_dash_csv_href(r, &href, NGX_HTTP_BLOG_DASH_CSV_TIME)
           != NGX_OK
        || ngx_http_blog_scope_str(r, vars, "chart_csv", href.data, href.len)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


/*
 * A panel: "id", "title" and its "rows" (key, href, visitors, views,
 * "active" when the row's value is the filter in force).
 */
static ngx_int_t
ngx_http_blog_dash_panel(ngx_http_request_t *r, ngx_http_blog_dash_t *dash,
    blog_stats_result_t *res, ngx_array_t *panels,
    ngx_http_blog_panel_t *panel)
{
    size_t                k;
    ngx_str_t             value, href;
    ngx_uint_t            i;
    ngx_array_t           rows, *item;
    unsigned              active;

    if (ngx_array_init(&rows, r->pool, NGX_HTTP_BLOG_DASH_TOP,
                       sizeof(blog_tpl_ctx_t))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (k = 0; k < res->nrows; k++) {
        value.data = (u_char *) res->rows[k].dims[0];
        value.len = value.data ? ngx_strlen(value.data) : 0;

        active = 0;

        for (i = 0; i < dash->nfilters; i++) {
            if (dash->filters[i].dim == panel->dim
                && dash->filters[i].value.len == value.len
                && ngx_memcmp(dash->filters[i].value.data, value.data,
                              value.len) == 0)
            {
                active = 1;
            }
        }

        item = ngx_http_blog_scope_item(r->pool, &rows, 5);

        if (item == NULL
            || ngx_http_blog_dash_href(r, dash, NULL, panel->dim, &value,
                                       BLOG_STATS_NDIMS, &href) != NGX_OK
            || (value.len
                ? ngx_http_blog_scope_str(r, item, "key", value.data,
                                          value.len)
                : ngx_http_blog_scope_cstr(r, item, "key", "(none)"))
               != NGX_OK
            || ngx_http_blog_scope_str(r, item, "href", href.data, href.len)
               != NGX_OK
            || ngx_http_blog_scope_int(r, item, "visitors",
                                       res->rows[k].sums.visitors) != NGX_OK
            || ngx_http_blog_scope_int(r, item, "views",
                                       res->rows[k].sums.views) != NGX_OK
            || (active
                && ngx_http_blog_scope_cstr(r, item, "active", "true")
                   != NGX_OK))
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    item = ngx_http_blog_scope_item(r->pool, panels, 5);

    if (item == NULL
        || ngx_http_blog_dash_href(r, dash, NULL, BLOG_STATS_NDIMS, NULL,
                                   BLOG_STATS_NDIMS, &href) != NGX_OK
        || ngx_http_blog_dash_csv_href(r, &href, ngx_http_blog_dash_arg(panel->dim))
           != NGX_OK
        || ngx_http_blog_scope_str(r, item, "csv", href.data, href.len)
           != NGX_OK
        || ngx_http_blog_scope_cstr(r, item, "id", panel->id) != NGX_OK
        || ngx_http_blog_scope_cstr(r, item, "title", panel->title) != NGX_OK
        || (rows.nelts
            && (ngx_http_blog_scope_list(item, "rows", &rows) != NGX_OK
                || ngx_http_blog_scope_cstr(r, item, "has_rows", "1")
                   != NGX_OK)))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


/* href with "&csv=ARG" appended. */
static ngx_int_t
ngx_http_blog_dash_csv_href(ngx_http_request_t *r, ngx_str_t *href,
    const char *arg)
{
    u_char  *p;

    p = ngx_pnalloc(r->pool, href->len + sizeof("&csv=") + ngx_strlen(arg));
    if (p == NULL) {
        return NGX_ERROR;
    }

    href->len = ngx_sprintf(p, "%V&csv=%s", href, arg) - p;
    href->data = p;

    return NGX_OK;
}


/*
 * "csv=ARG": every row of a panel (ARG a dimension's argument name) or of
 * the chart ("time"), with the range and filters of the page, as CSV
 * (blog_stats_csv(): RFC 4180, cells that a spreadsheet would run made
 * harmless), the visitors, visits, views, bounce rate and duration of each:
 * its query, then its body from the answer, the response's headers set.
 */
ngx_int_t
ngx_http_blog_dash_csv_query(ngx_http_blog_dash_t *dash,
    ngx_http_blog_stats_task_t *t, const char **why)
{
    ngx_uint_t           d;
    blog_stats_query_t  *q;

    static const blog_stats_metric_e  metrics[] = {
        BLOG_STATS_VISITORS, BLOG_STATS_VISITS, BLOG_STATS_PAGEVIEWS,
        BLOG_STATS_BOUNCE_RATE, BLOG_STATS_VISIT_DURATION
    };

    q = t->queries;

    if (dash->csv.len == sizeof(NGX_HTTP_BLOG_DASH_CSV_TIME) - 1
        && ngx_strncmp(dash->csv.data, NGX_HTTP_BLOG_DASH_CSV_TIME,
                       dash->csv.len) == 0)
    {
        q->dims[q->ndims++] = ngx_http_blog_dash_months(dash)
                              ? BLOG_STATS_TIME_MONTH : BLOG_STATS_TIME_DAY;

    } else {
        for (d = 0; d < BLOG_STATS_TIME_DAY; d++) {
            if (dash->csv.len == ngx_strlen(ngx_http_blog_dash_arg(d))
                && ngx_strncmp(dash->csv.data, ngx_http_blog_dash_arg(d),
                               dash->csv.len) == 0)
            {
                q->dims[q->ndims++] = d;
                break;
            }
        }

        if (q->ndims == 0) {
            *why = "csv names no panel.";
            return NGX_HTTP_BAD_REQUEST;
        }
    }

    for (d = 0; d < sizeof(metrics) / sizeof(metrics[0]); d++) {
        q->metrics[q->nmetrics++] = metrics[d];
    }

    return ngx_http_blog_dash_filter(dash, q, why);
}


ngx_int_t
ngx_http_blog_dash_csv(ngx_http_request_t *r, ngx_http_blog_dash_t *dash,
    ngx_http_blog_stats_task_t *t, ngx_str_t *body)
{
    int                   rc;
    u_char               *p;
    blog_buf_t            out;
    ngx_table_elt_t      *h;
    char                  from[BLOG_RANGE_DATE_SIZE], to[BLOG_RANGE_DATE_SIZE];

    ngx_memzero(&out, sizeof(blog_buf_t));

    rc = blog_stats_csv(t->queries, t->results, &out);

    p = rc == 0 ? ngx_pnalloc(r->pool, out.len + 1) : NULL;

    if (p != NULL) {
        ngx_memcpy(p, out.data, out.len);
    }

    free(out.data);

    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    blog_range_format(dash->range.from, from);
    blog_range_format(dash->range.to, to);

    /* the argument is one of the table's names: nothing to quote */
    h->hash = 1;
    ngx_str_set(&h->key, "Content-Disposition");
    h->value.data = ngx_pnalloc(r->pool, sizeof("attachment; filename="
                                "\"analytics-.csv\"") + dash->csv.len
                                + 2 * 10 + 2);
    if (h->value.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->value.len = ngx_sprintf(h->value.data, "attachment; filename="
                               "\"analytics-%V-%s-%s.csv\"", &dash->csv,
                               from, to)
                   - h->value.data;

    if (ngx_http_blog_security_headers(r, NULL) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = out.len;
    ngx_str_set(&r->headers_out.content_type, "text/csv");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    ngx_str_set(&r->headers_out.charset, "utf-8");

    body->data = p;
    body->len = out.len;

    return NGX_OK;
}


/*
 * The pages answered 404 and the referrers of those views: links to the
 * blog that lead nowhere, read by ngx_http_blog_dash_work().  The engine
 * has no status dimension, so that is one indexed query of its own over
 * the views of the range, which the raw rows keep for [events] raw_days,
 * with the page's filters (ngx_http_blog_dash_broken_sql()).
 */
static ngx_int_t
ngx_http_blog_dash_broken(ngx_http_request_t *r, ngx_http_blog_dash_t *dash,
    ngx_array_t *vars)
{
    ngx_uint_t                    i;
    ngx_array_t                   items, *item;
    ngx_http_blog_dash_broken_t  *b;

    if (dash->nbroken == 0) {
        return NGX_OK;
    }

    if (ngx_array_init(&items, r->pool, dash->nbroken, sizeof(blog_tpl_ctx_t))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < dash->nbroken; i++) {
        b = &dash->broken[i];
        item = ngx_http_blog_scope_item(r->pool, &items, 3);

        if (item == NULL
            || ngx_http_blog_scope_str(r, item, "path", (u_char *) b->path,
                                       ngx_strlen(b->path)) != NGX_OK
            || (b->referrer[0]
                ? ngx_http_blog_scope_str(r, item, "referrer",
                                          (u_char *) b->referrer,
                                          ngx_strlen(b->referrer))
                : ngx_http_blog_scope_cstr(r, item, "referrer", "(none)"))
               != NGX_OK
            || ngx_http_blog_scope_int(r, item, "n", b->n) != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (ngx_http_blog_scope_list(vars, "broken", &items) != NGX_OK
        || ngx_http_blog_scope_cstr(r, vars, "has_broken", "1") != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}
