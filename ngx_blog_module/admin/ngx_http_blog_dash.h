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
#include "blog_stats.h"


typedef struct {
    blog_stats_dim_e          dim;
    ngx_str_t                 value;          /* decoded */
} ngx_http_blog_dash_filter_t;

typedef struct {
    const char               *period;         /* "30d", ..., "custom" */
    blog_range_t              range;
    ngx_uint_t                nfilters;
    ngx_http_blog_dash_filter_t  filters[BLOG_STATS_MAX_FILTERS];
    ngx_str_t                 base;           /* the page's own path */
    int64_t                   today;
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
 * The page's values into vars: the top figures and their change, the
 * chart, the panels and the broken inbound links.  NGX_OK; NGX_ERROR when
 * analytics.db failed (logged); NGX_HTTP_BAD_REQUEST when the engine
 * refused the question, with *why set (a range beyond the raw rows).
 */
ngx_int_t ngx_http_blog_dash_vars(ngx_http_request_t *r,
    ngx_http_blog_dash_t *dash, sqlite3 *db, ngx_array_t *vars,
    const char **why);

/*
 * The page's "csv=ARG": a panel's rows (ARG its dimension's argument) or
 * the chart's ("time") as a CSV file: the headers set, the body in *body.
 * Fails as ngx_http_blog_dash_vars(), and NGX_HTTP_BAD_REQUEST for an
 * unknown ARG.
 */
ngx_int_t ngx_http_blog_dash_csv(ngx_http_request_t *r,
    ngx_http_blog_dash_t *dash, sqlite3 *db, ngx_str_t *arg, ngx_str_t *body,
    const char **why);

#endif /* NGX_HTTP_BLOG_DASH_H */
