/*
 * The panel's analytics dashboard (docs/dashboard.md): what a request
 * asks for, read from its query string (ngx_http_blog_admin_analytics.c),
 * and the page's values from the query engine, lib/blog_stats.h
 * (ngx_http_blog_dash.c).
 *
 * Everything the page shows is in its URL: the period (?period=7d, or
 * period=custom with from= and to=) and the filters, one argument per
 * dimension named as blog_stats's without its prefix (?page=/posts/a,
 * ?country=DE, ?device=phone).  Each link of the page is that URL with one
 * thing changed, so the page works without JavaScript, and a view can be
 * bookmarked or shared; "&csv=country" makes it a panel's CSV file.
 */

#ifndef NGX_HTTP_BLOG_DASH_H
#define NGX_HTTP_BLOG_DASH_H

#include "admin/ngx_http_blog_admin.h"
#include "ngx_http_blog_stats_task.h"
#include "blog_stats.h"


/* figures, chart, 14 panels: the queries of the page */
#define NGX_HTTP_BLOG_DASH_NQUERIES  16
#define NGX_HTTP_BLOG_DASH_TOP       10


typedef struct {
    blog_stats_dim_e          dim;
    ngx_str_t                 value;          /* decoded */
} ngx_http_blog_dash_filter_t;

typedef struct {
    char                     *path;
    char                     *referrer;       /* host and path, or "" */
    int64_t                   n;
} ngx_http_blog_dash_broken_t;

typedef struct {
    ngx_http_blog_admin_ctx_t  *ctx;
    const char               *period;         /* "30d", ..., "custom" */
    blog_range_t              range;
    ngx_uint_t                nfilters;
    ngx_http_blog_dash_filter_t  filters[BLOG_STATS_MAX_FILTERS];
    ngx_str_t                 base;           /* the page's own path */
    int64_t                   today;
    int64_t                   now_ms;
    ngx_str_t                 csv;            /* csv=ARG, or none */
    unsigned                  is_csv:1;
    unsigned                  humans:1;       /* the beacon's figure */
    char                     *broken_sql;     /* the 404s, filtered */

    /*
     * With the CSS beacon (blog_analytics_beacon): the Humans figure's
     * query, asked in the thread after the others, apart: a period the
     * raw rows no longer cover refuses it (the rollup keeps no human),
     * which must not fail the page.
     */
    blog_stats_query_t        humans_q;
    blog_stats_result_t       humans_res;
    int                       humans_rc;      /* blog_stats_rc_e */

    /* read in the thread besides the engine's queries */
    int64_t                   current;
    ngx_uint_t                nbroken;
    ngx_http_blog_dash_broken_t  broken[NGX_HTTP_BLOG_DASH_TOP];
} ngx_http_blog_dash_t;


/* ngx_http_blog_admin_analytics.c */

/*
 * The page's address with the state of dash, the period changed to period
 * (NULL: kept) and a filter on dim set to value (value NULL: none added;
 * drop_dim, or BLOG_STATS_NDIMS for none, is taken off).
 */
ngx_int_t ngx_http_blog_dash_href(ngx_http_request_t *r,
    ngx_http_blog_dash_t *dash, const char *period, blog_stats_dim_e dim,
    ngx_str_t *value, blog_stats_dim_e drop_dim, ngx_str_t *href);

/* A dimension's argument name: "visit:country" is "country". */
const char *ngx_http_blog_dash_arg(blog_stats_dim_e dim);


/* ngx_http_blog_dash.c */

/*
 * The page's queries (NGX_HTTP_BLOG_DASH_NQUERIES), or its CSV's one, into
 * t; NGX_HTTP_BAD_REQUEST with *why when the engine takes no
 * such question (an unknown csv, a filter it refuses).
 */
ngx_int_t ngx_http_blog_dash_queries(ngx_http_request_t *r,
    ngx_http_blog_dash_t *dash, ngx_http_blog_stats_task_t *t,
    const char **why);
ngx_int_t ngx_http_blog_dash_csv_query(ngx_http_blog_dash_t *dash,
    ngx_http_blog_stats_task_t *t, const char **why);

/* The task's work hook: the 404s and the current visitors, in the thread. */
void ngx_http_blog_dash_work(ngx_http_blog_stats_task_t *t, sqlite3 *db);

/* A cleanup of the request's pool: what the work hook malloc'ed. */
void ngx_http_blog_dash_free(void *data);

/*
 * From the task's answers, on the loop: the page's values into vars (the
 * top figures and their change, the chart, the panels, the 404s, the
 * current visitors), or the CSV file (its headers set, its body in *body).
 */
ngx_int_t ngx_http_blog_dash_vars(ngx_http_request_t *r,
    ngx_http_blog_dash_t *dash, ngx_http_blog_stats_task_t *t,
    ngx_array_t *vars);
ngx_int_t ngx_http_blog_dash_csv(ngx_http_request_t *r,
    ngx_http_blog_dash_t *dash, ngx_http_blog_stats_task_t *t,
    ngx_str_t *body);

#endif /* NGX_HTTP_BLOG_DASH_H */
