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
 * blog_stats_api_timeout by SQLite's progress handler, answered 503.
 * Each request opens analytics.db read-only and closes it, as the
 * analytics page does: both are for one person now and then.
 */

#include "ngx_http_blog_module.h"
#include "ngx_http_blog_events_module.h"
#include "ngx_http_blog_response.h"
#include "blog_db.h"
#include "blog_analytics_schema.h"
#include "blog_split.h"
#include "blog_stats.h"

#include <time.h>


#define NGX_HTTP_BLOG_STATS_BODY_MAX  (64 * 1024)
#define NGX_HTTP_BLOG_STATS_STEPS     1000    /* VM steps between checks */


typedef struct {
    ngx_http_request_t  *r;
    char                 path[NGX_MAX_PATH];
    u_char              *body;
    size_t               len;
    int64_t              today;
    ngx_msec_t           timeout;
    struct timespec      deadline;
    unsigned             csv:1;
    unsigned             timed_out:1;

    int                  rc;                  /* blog_stats_rc_e */
    char                 err[BLOG_STATS_ERROR_SIZE];
    blog_buf_t           out;
} ngx_http_blog_stats_task_t;


static ngx_int_t ngx_http_blog_stats_handler(ngx_http_request_t *r);
static void ngx_http_blog_stats_body(ngx_http_request_t *r);
static void ngx_http_blog_stats_work(void *data, ngx_log_t *log);
static int ngx_http_blog_stats_progress(void *data);
#if (NGX_THREADS)
static void ngx_http_blog_stats_done(ngx_event_t *ev);
#endif
static ngx_int_t ngx_http_blog_stats_send(ngx_http_request_t *r,
    ngx_http_blog_stats_task_t *t);
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

        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "WWW-Authenticate");
        ngx_str_set(&h->value, "Bearer realm=\"stats\"");
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


/* The body is in: the query runs in a thread, or here without threads. */
static void
ngx_http_blog_stats_body(ngx_http_request_t *r)
{
    size_t                            len;
    u_char                           *p;
    ngx_str_t                         format;
    ngx_chain_t                      *cl;
    ngx_pool_cleanup_t               *cln;
    ngx_http_blog_stats_task_t       *t;
    ngx_http_blog_events_loc_conf_t  *elcf;
#if (NGX_THREADS)
    ngx_thread_task_t                *task;
#endif

    elcf = ngx_http_get_module_loc_conf(r, ngx_http_blog_events_module);

    len = 0;

    for (cl = r->request_body ? r->request_body->bufs : NULL; cl;
         cl = cl->next)
    {
        if (cl->buf->in_file) {
            /* over client_body_buffer_size: a body this API never needs */
            ngx_http_finalize_request(r,
                ngx_http_blog_stats_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                          "the query is too long"));
            return;
        }

        len += cl->buf->last - cl->buf->pos;
    }

    if (len > NGX_HTTP_BLOG_STATS_BODY_MAX) {
        ngx_http_finalize_request(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE);
        return;
    }

#if (NGX_THREADS)
    task = ngx_thread_task_alloc(r->pool, sizeof(ngx_http_blog_stats_task_t));
    t = task ? task->ctx : NULL;
#else
    t = ngx_pcalloc(r->pool, sizeof(ngx_http_blog_stats_task_t));
#endif

    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (t == NULL || cln == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_memzero(t, sizeof(ngx_http_blog_stats_task_t));
    cln->handler = ngx_http_blog_stats_cleanup;
    cln->data = t;

    t->r = r;
    t->body = ngx_pnalloc(r->pool, len + 1);
    if (t->body == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    p = t->body;

    for (cl = r->request_body ? r->request_body->bufs : NULL; cl;
         cl = cl->next)
    {
        p = ngx_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);
    }

    t->len = len;
    t->today = (int64_t) (ngx_time() / 86400);
    t->timeout = elcf->stats_timeout;
    t->csv = ngx_http_arg(r, (u_char *) "format", 6, &format) == NGX_OK
             && format.len == 3 && ngx_strncmp(format.data, "csv", 3) == 0;

    /* the blog's counts are in analytics.db beside data.db: blog_split.h */
    if (blog_db_sibling(t->path, sizeof(t->path), (char *) elcf->stats_db.data,
                        "analytics.db") != 0)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "blog_stats_api: database \"%V\": the path of "
                      "analytics.db is too long", &elcf->stats_db);
        ngx_http_finalize_request(r, NGX_HTTP_SERVICE_UNAVAILABLE);
        return;
    }

#if (NGX_THREADS)
    if (elcf->thread_pool) {
        task->event.data = r;
        task->event.handler = ngx_http_blog_stats_done;
        task->handler = ngx_http_blog_stats_work;

        if (ngx_thread_task_post(elcf->thread_pool, task) == NGX_OK) {
            r->main->blocked++;
            r->aio = 1;
            return;
        }
    }
#endif

    /* no thread pool: the event loop runs it, bounded by the timeout */
    ngx_http_blog_stats_work(t, r->connection->log);
    ngx_http_finalize_request(r, ngx_http_blog_stats_send(r, t));
}


/*
 * In a thread: nothing here touches nginx's pools or logs.  t->out is
 * the answer, or t->rc and t->err say why there is none.
 */
static void
ngx_http_blog_stats_work(void *data, ngx_log_t *log)
{
    ngx_http_blog_stats_task_t *t = data;

    int                  rc;
    sqlite3             *db;
    blog_db_error_t      err;
    blog_stats_query_t   q;
    blog_stats_result_t  res;

    t->rc = blog_stats_parse(&q, (char *) t->body, t->len, t->today, t->err);
    if (t->rc != BLOG_STATS_OK) {
        return;
    }

    rc = blog_db_open(&db, t->path, &blog_analytics_schema,
                      BLOG_DB_QUERY_ONLY | BLOG_DB_ONE_THREAD, 0, &err);

    if (rc != SQLITE_OK) {
        t->rc = BLOG_STATS_EDB;
        ngx_cpystrn((u_char *) t->err,
                    (u_char *) (rc == SQLITE_SCHEMA ? "another schema version"
                                                    : err.msg),
                    sizeof(t->err));
        blog_stats_query_free(&q);
        return;
    }

    clock_gettime(CLOCK_MONOTONIC, &t->deadline);
    t->deadline.tv_sec += t->timeout / 1000;
    t->deadline.tv_nsec += (long) (t->timeout % 1000) * 1000000;

    if (t->deadline.tv_nsec >= 1000000000) {
        t->deadline.tv_sec++;
        t->deadline.tv_nsec -= 1000000000;
    }

    sqlite3_progress_handler(db, NGX_HTTP_BLOG_STATS_STEPS,
                             ngx_http_blog_stats_progress, t);

    t->rc = blog_stats_run(db, &q, &res, t->err);

    sqlite3_close(db);

    if (t->rc == BLOG_STATS_OK) {
        if ((t->csv ? blog_stats_csv(&q, &res, &t->out)
                    : blog_stats_json(&q, &res, &t->out))
            != 0)
        {
            t->rc = BLOG_STATS_ENOMEM;
        }

        blog_stats_result_free(&res);
    }

    blog_stats_query_free(&q);
}


/* SQLite asks every few thousand steps: past the deadline, it stops. */
static int
ngx_http_blog_stats_progress(void *data)
{
    ngx_http_blog_stats_task_t *t = data;

    struct timespec  now;

    clock_gettime(CLOCK_MONOTONIC, &now);

    if (now.tv_sec > t->deadline.tv_sec
        || (now.tv_sec == t->deadline.tv_sec
            && now.tv_nsec >= t->deadline.tv_nsec))
    {
        t->timed_out = 1;
        return 1;
    }

    return 0;
}


#if (NGX_THREADS)

static void
ngx_http_blog_stats_done(ngx_event_t *ev)
{
    ngx_connection_t            *c;
    ngx_http_request_t          *r;
    ngx_thread_task_t           *task;

    r = ev->data;
    c = r->connection;
    task = (ngx_thread_task_t *) ((u_char *) ev
                                  - offsetof(ngx_thread_task_t, event));

    ngx_http_set_log_request(c->log, r);

    r->main->blocked--;
    r->aio = 0;

    ngx_http_finalize_request(r, ngx_http_blog_stats_send(r, task->ctx));
    ngx_http_run_posted_requests(c);
}

#endif


static ngx_int_t
ngx_http_blog_stats_send(ngx_http_request_t *r, ngx_http_blog_stats_task_t *t)
{
    ngx_int_t                         rc;
    ngx_buf_t                        *b;
    ngx_chain_t                       out;
    ngx_table_elt_t                  *h;
    ngx_http_blog_events_loc_conf_t  *elcf;

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

    /* t->out is freed with the request's pool: ngx_http_blog_stats_cleanup */
    b->pos = (u_char *) t->out.data;
    b->last = b->pos + t->out.len;
    b->memory = t->out.len ? 1 : 0;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = t->out.len;

    if (t->csv) {
        ngx_str_set(&r->headers_out.content_type, "text/csv; charset=utf-8");
        r->headers_out.content_type_len = sizeof("text/csv") - 1;

        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Content-Disposition");
        ngx_str_set(&h->value, "attachment; filename=\"stats.csv\"");

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
    ngx_int_t    rc;
    ngx_buf_t   *b;
    blog_buf_t   json;
    ngx_chain_t  out;

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

    r->headers_out.status = status;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

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


static void
ngx_http_blog_stats_cleanup(void *data)
{
    ngx_http_blog_stats_task_t *t = data;

    free(t->out.data);
}


/* blog_stats_api path/to/data.db; */

char *
ngx_http_blog_stats_api(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_blog_events_loc_conf_t *elcf = conf;

    ngx_str_t                 *value;
    ngx_http_core_loc_conf_t  *clcf;

    if (elcf->stats_db.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    elcf->stats_db = value[1];

    if (ngx_conf_full_name(cf->cycle, &elcf->stats_db, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

#if (NGX_THREADS)
    /* queries run in nginx's default thread pool */
    elcf->thread_pool = ngx_thread_pool_add(cf, NULL);
    if (elcf->thread_pool == NULL) {
        return NGX_CONF_ERROR;
    }
#endif

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_blog_stats_handler;

    return NGX_CONF_OK;
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
