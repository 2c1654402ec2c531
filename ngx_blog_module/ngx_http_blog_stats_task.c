/*
 * blog_stats queries off the event loop; see ngx_http_blog_stats_task.h.
 */

#include "ngx_http_blog_stats_task.h"
#include "blog_db.h"
#include "blog_analytics_schema.h"

#if (NGX_THREADS)
#include <ngx_thread_pool.h>
#endif


#define NGX_HTTP_BLOG_STATS_STEPS  1000      /* VM steps between checks */


static void ngx_http_blog_stats_task_work(void *data, ngx_log_t *log);
static int ngx_http_blog_stats_task_progress(void *data);
#if (NGX_THREADS)
static void ngx_http_blog_stats_task_event(ngx_event_t *ev);
#endif
static void ngx_http_blog_stats_task_cleanup(void *data);


ngx_http_blog_stats_task_t *
ngx_http_blog_stats_task_create(ngx_http_request_t *r, ngx_uint_t nqueries)
{
    ngx_uint_t                   i;
    ngx_pool_cleanup_t          *cln;
    ngx_http_blog_stats_task_t  *t;
#if (NGX_THREADS)
    ngx_thread_task_t           *task;

    task = ngx_thread_task_alloc(r->pool, sizeof(ngx_http_blog_stats_task_t));
    if (task == NULL) {
        return NULL;
    }

    t = task->ctx;
    ngx_memzero(t, sizeof(ngx_http_blog_stats_task_t));
    t->task = task;
#else
    t = ngx_pcalloc(r->pool, sizeof(ngx_http_blog_stats_task_t));
    if (t == NULL) {
        return NULL;
    }
#endif

    t->queries = ngx_pcalloc(r->pool, nqueries * sizeof(blog_stats_query_t));
    t->results = ngx_pcalloc(r->pool, nqueries * sizeof(blog_stats_result_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (t->queries == NULL || t->results == NULL || cln == NULL) {
        return NULL;
    }

    for (i = 0; i < nqueries; i++) {
        blog_stats_query_init(&t->queries[i]);
    }

    t->nqueries = nqueries;
    cln->handler = ngx_http_blog_stats_task_cleanup;
    cln->data = t;

    return t;
}


ngx_int_t
ngx_http_blog_stats_task_run(ngx_http_request_t *r,
    ngx_http_blog_stats_task_t *t, void *thread_pool)
{
#if (NGX_THREADS)
    ngx_thread_task_t  *task;
#endif

    r->main->count++;

#if (NGX_THREADS)
    if (thread_pool) {
        task = t->task;
        task->event.data = r;
        task->event.handler = ngx_http_blog_stats_task_event;
        task->handler = ngx_http_blog_stats_task_work;

        if (ngx_thread_task_post(thread_pool, task) == NGX_OK) {
            r->main->blocked++;
            r->aio = 1;
            return NGX_DONE;
        }
    }
#else
    (void) thread_pool;
#endif

    /* no thread pool: the event loop runs them, bounded by the timeout */
    ngx_http_blog_stats_task_work(t, r->connection->log);
    ngx_http_finalize_request(r, t->done(r, t));

    return NGX_DONE;
}


/* In a thread: nothing here touches nginx's pools or logs. */
static void
ngx_http_blog_stats_task_work(void *data, ngx_log_t *log)
{
    ngx_http_blog_stats_task_t *t = data;

    int              rc;
    sqlite3         *db;
    ngx_uint_t       i;
    blog_db_error_t  err;

    t->err[0] = '\0';

    rc = blog_db_open(&db, t->path, &blog_analytics_schema,
                      BLOG_DB_QUERY_ONLY | BLOG_DB_ONE_THREAD, 0, &err);

    if (rc != SQLITE_OK) {
        t->rc = BLOG_STATS_EDB;
        ngx_cpystrn((u_char *) t->err,
                    (u_char *) (rc == SQLITE_SCHEMA ? "another schema version"
                                                    : err.msg),
                    sizeof(t->err));
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
                             ngx_http_blog_stats_task_progress, t);

    t->rc = BLOG_STATS_OK;

    for (i = 0; i < t->nqueries && t->rc == BLOG_STATS_OK; i++) {
        t->rc = blog_stats_run(db, &t->queries[i], &t->results[i], t->err);
        t->failed = i;
    }

    if (t->rc == BLOG_STATS_OK && t->work) {
        t->work(t, db);
    }

    sqlite3_close(db);
}


/* SQLite asks every few thousand steps: past the deadline, it stops. */
static int
ngx_http_blog_stats_task_progress(void *data)
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
ngx_http_blog_stats_task_event(ngx_event_t *ev)
{
    ngx_connection_t            *c;
    ngx_http_request_t          *r;
    ngx_thread_task_t           *task;
    ngx_http_blog_stats_task_t  *t;

    r = ev->data;
    c = r->connection;
    task = (ngx_thread_task_t *) ((u_char *) ev
                                  - offsetof(ngx_thread_task_t, event));
    t = task->ctx;

    ngx_http_set_log_request(c->log, r);

    r->main->blocked--;
    r->aio = 0;

    ngx_http_finalize_request(r, t->done(r, t));
    ngx_http_run_posted_requests(c);
}

#endif


static void
ngx_http_blog_stats_task_cleanup(void *data)
{
    ngx_http_blog_stats_task_t *t = data;

    ngx_uint_t  i;

    for (i = 0; i < t->nqueries; i++) {
        blog_stats_result_free(&t->results[i]);
        blog_stats_query_free(&t->queries[i]);
    }
}


char *
ngx_http_blog_stats_task_conf(ngx_conf_t *cf, ngx_str_t *path,
    void **thread_pool, ngx_http_handler_pt handler)
{
    ngx_str_t                 *value;
    ngx_http_core_loc_conf_t  *clcf;

    if (path->data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    *path = value[1];

    if (ngx_conf_full_name(cf->cycle, path, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

#if (NGX_THREADS)
    *thread_pool = ngx_thread_pool_add(cf, NULL);
    if (*thread_pool == NULL) {
        return NGX_CONF_ERROR;
    }
#endif

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = handler;

    return NGX_CONF_OK;
}
