/*
 * The Stats API: "blog_stats_api path/to/data.db;" in a location answers
 * a POST of a Plausible Stats API v2 query (docs/analytics-api.md) with
 * its JSON answer, or with CSV when the request's query string has
 * format=csv, from analytics.db beside data.db (lib/blog_stats.c).
 *
 * Access needs the token of blog_analytics_auth as a Bearer token (or the
 * Basic password), checked by the analytics page's routine: constant
 * time, never logged.
 *
 * A query over a long range with filters reads raw rows and may take
 * some time: it runs in nginx's default thread pool (when nginx has
 * threads), so the event loop goes on serving; and it is stopped after
 * blog_stats_api_timeout by SQLite's progress handler, answered 503
 * (ngx_http_blog_stats_task.h).
 * Each request opens analytics.db read-only and closes it, as the
 * analytics page does: both are for one person now and then.
 */

#include "ngx_http_blog_module.h"
#include "ngx_http_blog_events_module.h"
#include "ngx_http_blog_response.h"
#include "ngx_http_blog_stats_task.h"
#include "blog_split.h"


#define NGX_HTTP_BLOG_STATS_BODY_MAX  (64 * 1024)


/* the answer, made in the thread (ngx_http_blog_stats_format) */
typedef struct {
    unsigned             csv:1;
    blog_buf_t           out;
} ngx_http_blog_stats_answer_t;


static ngx_int_t ngx_http_blog_stats_handler(ngx_http_request_t *r);
static void ngx_http_blog_stats_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_blog_stats_start(ngx_http_request_t *r);
static void ngx_http_blog_stats_format(ngx_http_blog_stats_task_t *t,
    sqlite3 *db);
static ngx_int_t ngx_http_blog_stats_send(ngx_http_request_t *r,
    ngx_http_blog_stats_task_t *t);
static ngx_int_t ngx_http_blog_stats_out(ngx_http_request_t *r,
    ngx_uint_t status, ngx_buf_t *b, ngx_uint_t csv);
static ngx_int_t ngx_http_blog_stats_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *why);
static void ngx_http_blog_stats_cleanup(void *data);


static ngx_int_t
ngx_http_blog_stats_handler(ngx_http_request_t *r)
{
    ngx_int_t                         rc;
    ngx_table_elt_t                  *h;
    ngx_http_blog_events_loc_conf_t  *elcf;

    elcf = ngx_http_get_module_loc_conf(r, ngx_http_blog_events_module);

    if (ngx_http_blog_analytics_allowed(r, elcf) != NGX_OK) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        h = ngx_http_blog_header_push(r, "WWW-Authenticate",
                                      "Bearer realm=\"stats\"");
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        r->headers_out.www_authenticate = h;

        return ngx_http_blog_stats_error(r, NGX_HTTP_UNAUTHORIZED,
                                         "a Bearer token is needed");
    }

    if (r->method != NGX_HTTP_POST) {
        rc = ngx_http_discard_request_body(r);
        return rc != NGX_OK ? rc : NGX_HTTP_NOT_ALLOWED;
    }

    if (r->headers_in.content_length_n > NGX_HTTP_BLOG_STATS_BODY_MAX) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "blog_stats_api: a body of %O bytes, over 64k",
                      r->headers_in.content_length_n);
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_blog_stats_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_blog_stats_body(ngx_http_request_t *r)
{
    ngx_http_finalize_request(r, ngx_http_blog_stats_start(r));
}


/*
 * The body is in: parsed here (64k at most), the query run and its answer
 * made off the event loop (ngx_http_blog_stats_task.h).
 */
static ngx_int_t
ngx_http_blog_stats_start(ngx_http_request_t *r)
{
    int                               rc;
    size_t                            len;
    u_char                           *body, *p;
    ngx_str_t                         format;
    ngx_chain_t                      *cl;
    ngx_pool_cleanup_t               *cln;
    ngx_http_blog_stats_task_t       *t;
    ngx_http_blog_stats_answer_t     *a;
    ngx_http_blog_events_loc_conf_t  *elcf;

    elcf = ngx_http_get_module_loc_conf(r, ngx_http_blog_events_module);

    len = 0;

    for (cl = r->request_body ? r->request_body->bufs : NULL; cl;
         cl = cl->next)
    {
        if (cl->buf->in_file) {
            /* over client_body_buffer_size: a body this API never needs */
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "blog_stats_api: a body over "
                          "client_body_buffer_size");
            return ngx_http_blog_stats_error(r,
                       NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                       "the query is too long");
        }

        len += cl->buf->last - cl->buf->pos;
    }

    if (len > NGX_HTTP_BLOG_STATS_BODY_MAX) {
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    t = ngx_http_blog_stats_task_create(r, 1);
    a = ngx_pcalloc(r->pool, sizeof(ngx_http_blog_stats_answer_t));
    body = ngx_pnalloc(r->pool, len + 1);
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (t == NULL || a == NULL || body == NULL || cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_blog_stats_cleanup;
    cln->data = a;
    t->data = a;

    p = body;

    for (cl = r->request_body ? r->request_body->bufs : NULL; cl;
         cl = cl->next)
    {
        p = ngx_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);
    }

    rc = blog_stats_parse(&t->queries[0], (char *) body, len,
                          (int64_t) (ngx_time() / 86400), t->err);

    if (rc != BLOG_STATS_OK) {
        t->rc = rc;
        return ngx_http_blog_stats_send(r, t);
    }

    a->csv = ngx_http_arg(r, (u_char *) "format", 6, &format) == NGX_OK
             && format.len == 3 && ngx_strncmp(format.data, "csv", 3) == 0;

    t->timeout = elcf->stats_timeout;
    t->work = ngx_http_blog_stats_format;
    t->done = ngx_http_blog_stats_send;

    /* the blog's counts are in analytics.db beside data.db: blog_split.h */
    if (blog_db_sibling(t->path, sizeof(t->path), (char *) elcf->stats_db.data,
                        "analytics.db") != 0)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "blog_stats_api: database \"%V\": the path of "
                      "analytics.db is too long", &elcf->stats_db);
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    return ngx_http_blog_stats_task_run(r, t, elcf->thread_pool);
}


/* In the thread: the answer as JSON or CSV. */
static void
ngx_http_blog_stats_format(ngx_http_blog_stats_task_t *t, sqlite3 *db)
{
    ngx_http_blog_stats_answer_t *a = t->data;

    (void) db;                          /* the query has read all it needs */

    if ((a->csv ? blog_stats_csv(&t->queries[0], &t->results[0], &a->out)
                : blog_stats_json(&t->queries[0], &t->results[0], &a->out))
        != 0)
    {
        t->rc = BLOG_STATS_ENOMEM;
    }
}


static ngx_int_t
ngx_http_blog_stats_send(ngx_http_request_t *r, ngx_http_blog_stats_task_t *t)
{
    ngx_buf_t                        *b;
    ngx_http_blog_stats_answer_t     *a;
    ngx_http_blog_events_loc_conf_t  *elcf;

    a = t->data;

    switch (t->rc) {

    case BLOG_STATS_OK:
        break;

    case BLOG_STATS_EQUERY:
    case BLOG_STATS_ERANGE:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "blog_stats_api: a refused query: %s", t->err);
        return ngx_http_blog_stats_error(r, NGX_HTTP_BAD_REQUEST, t->err);

    case BLOG_STATS_EDB:
        elcf = ngx_http_get_module_loc_conf(r, ngx_http_blog_events_module);

        if (t->timed_out) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "blog_stats_api: a query stopped after %M ms "
                          "(blog_stats_api_timeout)", t->timeout);
            return ngx_http_blog_stats_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                       "the query took longer than the server allows "
                       "(blog_stats_api_timeout); ask a shorter range or "
                       "fewer filters");
        }

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "blog_stats_api: database \"%V\": %s", &elcf->stats_db,
                      t->err);
        return ngx_http_blog_stats_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                         "the analytics database failed");

    default:
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* a->out is freed with the request's pool: ngx_http_blog_stats_cleanup */
    b->pos = (u_char *) a->out.data;
    b->last = b->pos + a->out.len;
    b->memory = a->out.len ? 1 : 0;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    return ngx_http_blog_stats_out(r, NGX_HTTP_OK, b, a->csv);
}


/* b, the whole body, with the answer's headers: CSV or JSON. */
static ngx_int_t
ngx_http_blog_stats_out(ngx_http_request_t *r, ngx_uint_t status,
    ngx_buf_t *b, ngx_uint_t csv)
{
    ngx_int_t     rc;
    ngx_chain_t   out;

    r->headers_out.status = status;
    r->headers_out.content_length_n = b->last - b->pos;

    if (csv) {
        ngx_str_set(&r->headers_out.content_type, "text/csv; charset=utf-8");
        r->headers_out.content_type_len = sizeof("text/csv") - 1;

        if (ngx_http_blog_header(r, "Content-Disposition",
                                 "attachment; filename=\"stats.csv\"")
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

    } else {
        ngx_str_set(&r->headers_out.content_type, "application/json");
        r->headers_out.content_type_len = r->headers_out.content_type.len;
    }

    if (ngx_http_blog_security_headers(r, NULL) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* {"error": why} with status. */
static ngx_int_t
ngx_http_blog_stats_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *why)
{
    ngx_buf_t   *b;
    blog_buf_t   json;

    ngx_memzero(&json, sizeof(blog_buf_t));

    if (blog_stats_error_json(why, &json) != 0) {
        free(json.data);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b = ngx_create_temp_buf(r->pool, json.len);
    if (b == NULL) {
        free(json.data);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->pos, json.data, json.len);
    free(json.data);

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    return ngx_http_blog_stats_out(r, status, b, 0);
}


static void
ngx_http_blog_stats_cleanup(void *data)
{
    ngx_http_blog_stats_answer_t *a = data;

    free(a->out.data);
}


/* blog_stats_api path/to/data.db; */

char *
ngx_http_blog_stats_api(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_blog_events_loc_conf_t *elcf = conf;

    return ngx_http_blog_stats_task_conf(cf, &elcf->stats_db,
                                         &elcf->thread_pool,
                                         ngx_http_blog_stats_handler);
}


char *
ngx_http_blog_stats_api_merge(ngx_conf_t *cf,
    ngx_http_blog_events_loc_conf_t *conf)
{
    if (conf->stats_db.data && conf->auth_hash == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"blog_stats_api\" needs "
                           "\"blog_analytics_auth\": the statistics are "
                           "private");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}
