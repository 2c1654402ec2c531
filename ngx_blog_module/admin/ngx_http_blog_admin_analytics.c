/*
 * The panel's analytics page: the dashboard (ngx_http_blog_dash.h), behind
 * the admin session.  This file reads the period and the filters from the
 * query string, refuses what it cannot answer with a 400 and the reason in
 * the error log, and makes the page's links: the periods of the selector,
 * each active filter's "remove", and (for ngx_http_blog_dash.c) each
 * panel row's "filter by this".
 */

#include "admin/ngx_http_blog_dash.h"
#include "ngx_http_blog_events_module.h"
#include "blog_current.h"
#include "blog_split.h"


typedef struct {
    const char   *name;        /* blog_range_named()'s */
    const char   *label;
} ngx_http_blog_period_t;

/* The selector's periods, in its order; "custom" is the from/to form. */
static ngx_http_blog_period_t  ngx_http_blog_periods[] = {
    { "day", "Today" },
    { "yesterday", "Yesterday" },
    { "7d", "Last 7 days" },
    { "30d", "Last 30 days" },
    { "month", "This month" },
    { "last_month", "Last month" },
    { "12mo", "Last 12 months" },
    { NULL, NULL }
};

#define NGX_HTTP_BLOG_DASH_DEFAULT  3          /* "30d" */

/* A custom range may not be longer: its chart is months, ten years' */
#define NGX_HTTP_BLOG_DASH_MAX_DAYS  3660

/*
 * The page's queries run in nginx's thread pool (ngx_http_blog_stats_task.h)
 * on a read-only connection of their own: past this many milliseconds of
 * them SQLite stops, and the page is a 503 that says to ask less (a filter
 * over 30 days of a million views may read raw rows: docs/dashboard.md).
 */
#define NGX_HTTP_BLOG_DASH_BUDGET_MS  3000



static ngx_int_t ngx_http_blog_dash_done(ngx_http_request_t *r,
    ngx_http_blog_stats_task_t *t);
static ngx_int_t ngx_http_blog_dash_failed(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_int_t rc, const char *why,
    ngx_uint_t timed_out);
static ngx_int_t ngx_http_blog_dash_args(ngx_http_request_t *r,
    ngx_http_blog_dash_t *dash, const char **why);
static ngx_int_t ngx_http_blog_dash_decode(ngx_http_request_t *r,
    ngx_str_t *arg, ngx_str_t *out);
static ngx_int_t ngx_http_blog_dash_state(ngx_http_request_t *r,
    ngx_http_blog_dash_t *dash, ngx_array_t *vars);
static ngx_int_t ngx_http_blog_dash_live(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_array_t *vars);


ngx_int_t
ngx_http_blog_admin_analytics(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx)
{
    ngx_int_t                         rc;
    ngx_time_t                       *tp;
    const char                       *why;
    ngx_pool_cleanup_t               *cln;
    ngx_http_blog_dash_t             *dash;
    ngx_http_blog_stats_task_t       *t;
    ngx_http_blog_admin_main_conf_t  *amcf;
    ngx_http_blog_events_loc_conf_t  *elcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    dash = ngx_pcalloc(r->pool, sizeof(ngx_http_blog_dash_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (dash == NULL || cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_blog_dash_free;
    cln->data = dash;

    tp = ngx_timeofday();
    dash->ctx = ctx;
    dash->today = (int64_t) (tp->sec / 86400);
    dash->now_ms = (int64_t) tp->sec * 1000 + tp->msec;
    dash->base.len = ctx->alcf->prefix.len + sizeof("analytics") - 1;
    dash->base.data = ngx_pnalloc(r->pool, dash->base.len);

    if (dash->base.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf(dash->base.data, "%Vanalytics", &ctx->alcf->prefix);

    rc = ngx_http_blog_dash_args(r, dash, &why);
    if (rc != NGX_OK) {
        return ngx_http_blog_dash_failed(r, ctx, rc, why, 0);
    }

    dash->is_csv = ngx_http_arg(r, (u_char *) "csv", 3, &dash->csv) == NGX_OK;

    /* the humans' figure where the readers' pages link the CSS beacon:
       blog_analytics_beacon set for the server, or here too */
    elcf = ngx_http_get_module_loc_conf(r, ngx_http_blog_events_module);
    dash->humans = elcf->beacon == 1;

    t = ngx_http_blog_stats_task_create(r, dash->is_csv
                                           ? 1 : NGX_HTTP_BLOG_DASH_NQUERIES);
    if (t == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the panel's counts are in analytics.db beside data.db: blog_split.h */
    if (blog_db_sibling(t->path, sizeof(t->path),
                        (char *) ctx->alcf->db_path.data, "analytics.db")
        != 0)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "analytics dashboard: the path of analytics.db beside "
                      "\"%V\" is too long", &ctx->alcf->db_path);
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    rc = dash->is_csv ? ngx_http_blog_dash_csv_query(dash, t, &why)
                      : ngx_http_blog_dash_queries(r, dash, t, &why);
    if (rc != NGX_OK) {
        return ngx_http_blog_dash_failed(r, ctx, rc, why, 0);
    }

    t->timeout = NGX_HTTP_BLOG_DASH_BUDGET_MS;
    t->work = dash->is_csv ? NULL : ngx_http_blog_dash_work;
    t->done = ngx_http_blog_dash_done;
    t->data = dash;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_blog_admin_module);

    return ngx_http_blog_stats_task_run(r, t, amcf->thread_pool);
}


/* On the event loop, with the answers: the page, or its CSV file. */
static ngx_int_t
ngx_http_blog_dash_done(ngx_http_request_t *r, ngx_http_blog_stats_task_t *t)
{
    ngx_int_t              rc;
    ngx_str_t              body;
    ngx_array_t           *vars;
    ngx_http_blog_dash_t  *dash;

    dash = t->data;

    if (t->timed_out) {
        return ngx_http_blog_dash_failed(r, dash->ctx, NGX_ERROR, NULL, 1);
    }

    switch (t->rc) {

    case BLOG_STATS_OK:
        break;

    case BLOG_STATS_EQUERY:
    case BLOG_STATS_ERANGE:
        return ngx_http_blog_dash_failed(r, dash->ctx, NGX_HTTP_BAD_REQUEST,
                                         t->err, 0);

    default:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "analytics dashboard: \"%s\": %s", t->path, t->err);
        return ngx_http_blog_dash_failed(r, dash->ctx, NGX_ERROR, NULL, 0);
    }

    if (dash->is_csv) {
        rc = ngx_http_blog_dash_csv(r, dash, t, &body);

        return rc == NGX_OK ? ngx_http_blog_send_body(r, body.data, body.len)
                            : rc;
    }

    vars = ngx_http_blog_scope_create(r);
    if (vars == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_blog_dash_state(r, dash, vars);

    if (rc == NGX_OK) {
        rc = ngx_http_blog_dash_vars(r, dash, t, vars);
    }

    if (rc == NGX_OK) {
        rc = ngx_http_blog_dash_live(r, dash->ctx, vars);
    }

    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_blog_admin_page(r, dash->ctx, NGX_HTTP_OK,
                                    BLOG_ATPL_ANALYTICS, vars);
}


/*
 * A question the page cannot answer is a 400 with the reason, logged; one
 * that takes too long (timed_out), or a database that fails, a 503.
 */
static ngx_int_t
ngx_http_blog_dash_failed(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_int_t rc, const char *why,
    ngx_uint_t timed_out)
{
    if (timed_out) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "analytics dashboard: its queries stopped after %d ms",
                      NGX_HTTP_BLOG_DASH_BUDGET_MS);

        return ngx_http_blog_admin_message(r, ctx,
                   NGX_HTTP_SERVICE_UNAVAILABLE, "Too much to read",
                   "Reading this period with these filters takes longer "
                   "than the panel allows. Choose a shorter period or "
                   "fewer filters.");
    }

    if (rc == NGX_HTTP_BAD_REQUEST) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "analytics dashboard: %s", why);
        return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_BAD_REQUEST,
                                           "Bad request", why);
    }

    if (rc == NGX_ERROR) {
        return ngx_http_blog_admin_message(r, ctx,
                   NGX_HTTP_SERVICE_UNAVAILABLE, "Not available",
                   "The analytics tables could not be read (the database "
                   "may be busy). Try again.");
    }

    return rc;
}


const char *
ngx_http_blog_dash_arg(blog_stats_dim_e dim)
{
    const char  *colon;

    colon = strchr(blog_stats_dim_names[dim], ':');

    return colon ? colon + 1 : blog_stats_dim_names[dim];
}


/* The period and the filters of the query string. */
static ngx_int_t
ngx_http_blog_dash_args(ngx_http_request_t *r, ngx_http_blog_dash_t *dash,
    const char **why)
{
    const char              *name;
    ngx_str_t                arg, from, to;
    ngx_uint_t               d;
    ngx_http_blog_period_t  *p;

    dash->period = ngx_http_blog_periods[NGX_HTTP_BLOG_DASH_DEFAULT].name;

    if (ngx_http_arg(r, (u_char *) "period", 6, &arg) == NGX_OK) {
        dash->period = NULL;

        for (p = ngx_http_blog_periods; p->name; p++) {
            if (arg.len == ngx_strlen(p->name)
                && ngx_strncmp(arg.data, p->name, arg.len) == 0)
            {
                dash->period = p->name;
                break;
            }
        }

        if (dash->period == NULL) {
            if (arg.len != 6 || ngx_strncmp(arg.data, "custom", 6) != 0) {
                *why = "The period is none of the selector's.";
                return NGX_HTTP_BAD_REQUEST;
            }

            dash->period = "custom";
        }
    }

    if (ngx_strcmp(dash->period, "custom") == 0) {
        if (ngx_http_arg(r, (u_char *) "from", 4, &from) != NGX_OK
            || ngx_http_arg(r, (u_char *) "to", 2, &to) != NGX_OK
            || blog_range_dates(&dash->range, (char *) from.data, from.len,
                                (char *) to.data, to.len) != 0)
        {
            *why = "A custom period needs two dates, YYYY-MM-DD, the "
                   "first not after the second.";
            return NGX_HTTP_BAD_REQUEST;
        }

        if (dash->range.to - dash->range.from >= NGX_HTTP_BLOG_DASH_MAX_DAYS) {
            *why = "A custom period may not be longer than ten years.";
            return NGX_HTTP_BAD_REQUEST;
        }

    } else if (blog_range_named(&dash->range, dash->period,
                                ngx_strlen(dash->period), dash->today)
               != 0)
    {
        /* the table and blog_range.c disagree: a bug, not the client's */
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (d = 0; d < BLOG_STATS_TIME_DAY; d++) {
        name = ngx_http_blog_dash_arg(d);

        if (ngx_http_arg(r, (u_char *) name, ngx_strlen(name), &arg)
            != NGX_OK)
        {
            continue;
        }

        if (dash->nfilters == BLOG_STATS_MAX_FILTERS) {
            *why = "Too many filters.";
            return NGX_HTTP_BAD_REQUEST;
        }

        if (ngx_http_blog_dash_decode(r, &arg,
                                      &dash->filters[dash->nfilters].value)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (dash->filters[dash->nfilters].value.len > BLOG_STATS_MAX_VALUE) {
            *why = "A filter's value is too long.";
            return NGX_HTTP_BAD_REQUEST;
        }

        dash->filters[dash->nfilters++].dim = d;
    }

    return NGX_OK;
}


/* A form's value: "+" is a space, then %XX. */
static ngx_int_t
ngx_http_blog_dash_decode(ngx_http_request_t *r, ngx_str_t *arg,
    ngx_str_t *out)
{
    u_char  *src, *dst, *p;

    p = ngx_pnalloc(r->pool, arg->len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    for (src = arg->data, dst = p; src < arg->data + arg->len; src++) {
        *dst++ = (*src == '+') ? ' ' : *src;
    }

    src = p;
    dst = p;
    ngx_unescape_uri(&dst, &src, arg->len, 0);

    out->data = p;
    out->len = dst - p;

    return NGX_OK;
}


ngx_int_t
ngx_http_blog_dash_href(ngx_http_request_t *r, ngx_http_blog_dash_t *dash,
    const char *period, blog_stats_dim_e dim, ngx_str_t *value,
    blog_stats_dim_e drop_dim, ngx_str_t *href)
{
    u_char      *p;
    size_t       len;
    ngx_uint_t   i, n;
    ngx_str_t   *values[BLOG_STATS_MAX_FILTERS + 1];
    const char  *args[BLOG_STATS_MAX_FILTERS + 1];
    char         from[BLOG_RANGE_DATE_SIZE], to[BLOG_RANGE_DATE_SIZE];

    if (period == NULL) {
        period = dash->period;
    }

    /* the filters the link keeps: a new one replaces one of its dim */
    n = 0;

    for (i = 0; i < dash->nfilters; i++) {
        if (dash->filters[i].dim != drop_dim
            && (value == NULL || dash->filters[i].dim != dim))
        {
            args[n] = ngx_http_blog_dash_arg(dash->filters[i].dim);
            values[n++] = &dash->filters[i].value;
        }
    }

    if (value) {
        args[n] = ngx_http_blog_dash_arg(dim);
        values[n++] = value;
    }

    len = dash->base.len + sizeof("?period=") - 1 + ngx_strlen(period)
          + sizeof("&from=YYYY-MM-DD&to=YYYY-MM-DD") - 1;

    for (i = 0; i < n; i++) {
        len += 2 + ngx_strlen(args[i]) + values[i]->len
               + 2 * ngx_escape_uri(NULL, values[i]->data, values[i]->len,
                                    NGX_ESCAPE_ARGS);
    }

    href->data = ngx_pnalloc(r->pool, len);
    if (href->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(href->data, "%V?period=%s", &dash->base, period);

    if (ngx_strcmp(period, "custom") == 0) {
        blog_range_format(dash->range.from, from);
        blog_range_format(dash->range.to, to);
        p = ngx_sprintf(p, "&from=%s&to=%s", from, to);
    }

    for (i = 0; i < n; i++) {
        p = ngx_sprintf(p, "&%s=", args[i]);
        p = (u_char *) ngx_escape_uri(p, values[i]->data, values[i]->len,
                                      NGX_ESCAPE_ARGS);
    }

    href->len = p - href->data;

    return NGX_OK;
}


/*
 * The selector and the filters: "periods" (label, href, current), the
 * custom form's dates and hidden filters ("keep"), "filters" (name,
 * value, remove), and the period's dates.
 */
static ngx_int_t
ngx_http_blog_dash_state(ngx_http_request_t *r, ngx_http_blog_dash_t *dash,
    ngx_array_t *vars)
{
    char                     from[BLOG_RANGE_DATE_SIZE];
    char                     to[BLOG_RANGE_DATE_SIZE];
    ngx_str_t                href;
    ngx_uint_t               i;
    ngx_array_t              periods, filters, keep, *item;
    const char              *label;
    ngx_http_blog_period_t  *p;

    if (ngx_array_init(&periods, r->pool, 8, sizeof(blog_tpl_ctx_t))
           != NGX_OK
        || ngx_array_init(&filters, r->pool, 4, sizeof(blog_tpl_ctx_t))
           != NGX_OK
        || ngx_array_init(&keep, r->pool, 4, sizeof(blog_tpl_ctx_t))
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    label = "Custom period";

    for (p = ngx_http_blog_periods; p->name; p++) {
        item = ngx_http_blog_scope_item(r->pool, &periods, 3);

        if (item == NULL
            || ngx_http_blog_dash_href(r, dash, p->name, BLOG_STATS_NDIMS,
                                       NULL, BLOG_STATS_NDIMS, &href)
               != NGX_OK
            || ngx_http_blog_scope_cstr(r, item, "label", p->label) != NGX_OK
            || ngx_http_blog_scope_str(r, item, "href", href.data, href.len)
               != NGX_OK
            || (p->name == dash->period
                && ngx_http_blog_scope_cstr(r, item, "current", "page")
                   != NGX_OK))
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (p->name == dash->period) {
            label = p->label;
        }
    }

    for (i = 0; i < dash->nfilters; i++) {
        item = ngx_http_blog_scope_item(r->pool, &filters, 3);

        if (item == NULL
            || ngx_http_blog_dash_href(r, dash, NULL, BLOG_STATS_NDIMS, NULL,
                                       dash->filters[i].dim, &href)
               != NGX_OK
            || ngx_http_blog_scope_cstr(r, item, "name",
                   ngx_http_blog_dash_arg(dash->filters[i].dim)) != NGX_OK
            || ngx_http_blog_scope_str(r, item, "value",
                   dash->filters[i].value.data, dash->filters[i].value.len)
               != NGX_OK
            || ngx_http_blog_scope_str(r, item, "remove", href.data, href.len)
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        item = ngx_http_blog_scope_item(r->pool, &keep, 2);

        if (item == NULL
            || ngx_http_blog_scope_cstr(r, item, "name",
                   ngx_http_blog_dash_arg(dash->filters[i].dim)) != NGX_OK
            || ngx_http_blog_scope_str(r, item, "value",
                   dash->filters[i].value.data, dash->filters[i].value.len)
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    blog_range_format(dash->range.from, from);
    blog_range_format(dash->range.to, to);

    if (ngx_http_blog_scope_list(vars, "periods", &periods) != NGX_OK
        || (filters.nelts
            && (ngx_http_blog_scope_list(vars, "filters", &filters) != NGX_OK
                || ngx_http_blog_scope_list(vars, "keep", &keep) != NGX_OK
                || ngx_http_blog_scope_cstr(r, vars, "filtered", "1")
                   != NGX_OK))
        || ngx_http_blog_scope_cstr(r, vars, "period_label", label) != NGX_OK
        || ngx_http_blog_scope_str(r, vars, "from", (u_char *) from,
                                   ngx_strlen(from)) != NGX_OK
        || ngx_http_blog_scope_str(r, vars, "to", (u_char *) to,
                                   ngx_strlen(to)) != NGX_OK
        || ngx_http_blog_scope_str(r, vars, "dashboard", dash->base.data,
                                   dash->base.len) != NGX_OK
        || (ngx_strcmp(dash->period, "custom") == 0
            && ngx_http_blog_scope_cstr(r, vars, "custom", "1") != NGX_OK))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


/*
 * What the page's script needs to follow the current visitors live: the
 * hub's address (the blog's blog_live_url) and the topic the jobrunner
 * publishes the number on.
 */
static ngx_int_t
ngx_http_blog_dash_live(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_array_t *vars)
{
    ngx_str_t  *url;

    url = &ctx->alcf->blog->live_url;

    if (url->len
        && (ngx_http_blog_scope_str(r, vars, "live_url", url->data, url->len)
            != NGX_OK
            || ngx_http_blog_scope_cstr(r, vars, "current_topic",
                                        BLOG_CURRENT_TOPIC) != NGX_OK))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}
