/*
 * Runs blog_stats queries for a request off the event loop: in nginx's
 * default thread pool (when nginx has threads and the location added it),
 * all of them on one read-only connection to analytics.db, the whole
 * batch stopped after a timeout by SQLite's progress handler; then the
 * request goes on in the caller's done handler, on the event loop.
 *
 * A query over a long range with filters reads raw rows and may take a
 * while: run in the worker itself it would hold every other request of
 * that worker.  The Stats API (ngx_http_blog_stats_api.c) asks through
 * here; so can any page that shows statistics (the dashboard).
 *
 * Use, from a content handler (or a request body handler):
 *
 *     t = ngx_http_blog_stats_task_create(r, nqueries);
 *     fill t->path (analytics.db), t->timeout, t->queries[0 .. n-1]
 *         (blog_stats_query_init() done; freed with the request; n may
 *         be 0), t->done, and t->data for it (and t->work, optional);
 *     return ngx_http_blog_stats_task_run(r, t, thread_pool);
 *
 * (from a body handler: ngx_http_finalize_request(r, ..._run(r, t))).
 * run returns NGX_DONE, having taken a reference on the request; done is
 * called once, on the event loop, with t->rc (BLOG_STATS_OK or the first
 * failure, whose query is t->failed, and why in t->err) and t->results
 * (one per query when OK); what done returns finalizes the request.
 * thread_pool is the location's ngx_thread_pool_add(cf, NULL), or NULL:
 * then the queries run at once, still bounded by the timeout.  Results
 * and queries are freed with the request's pool.
 */

#ifndef NGX_HTTP_BLOG_STATS_TASK_H
#define NGX_HTTP_BLOG_STATS_TASK_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <time.h>

#include "blog_stats.h"


typedef struct ngx_http_blog_stats_task_s  ngx_http_blog_stats_task_t;

/*
 * In the thread, after the queries when they succeeded, analytics.db still
 * open and bounded by the timeout: the caller's own reads (a statement of
 * its own) or the answer's formatting.  No nginx call, no pool: memory
 * from malloc(), freed by a cleanup of the request's pool.  It sets t->rc
 * and t->err on a failure.
 */
typedef void (*ngx_http_blog_stats_work_pt)(ngx_http_blog_stats_task_t *t,
    sqlite3 *db);

/* on the event loop: the request's status, as a content handler's */
typedef ngx_int_t (*ngx_http_blog_stats_done_pt)(ngx_http_request_t *r,
    ngx_http_blog_stats_task_t *t);

struct ngx_http_blog_stats_task_s {
    /* the caller's */
    char                          path[NGX_MAX_PATH];   /* analytics.db */
    ngx_msec_t                    timeout;              /* for the batch */
    ngx_uint_t                    nqueries;
    blog_stats_query_t           *queries;
    ngx_http_blog_stats_work_pt   work;
    ngx_http_blog_stats_done_pt   done;
    void                         *data;

    /* the answer */
    blog_stats_result_t          *results;
    int                           rc;                   /* blog_stats_rc_e */
    ngx_uint_t                    failed;               /* its query */
    char                          err[BLOG_STATS_ERROR_SIZE];
    unsigned                      timed_out:1;

    /* private */
    void                         *task;        /* ngx_thread_task_t * */
    struct timespec               deadline;
};


ngx_http_blog_stats_task_t *ngx_http_blog_stats_task_create(
    ngx_http_request_t *r, ngx_uint_t nqueries);
ngx_int_t ngx_http_blog_stats_task_run(ngx_http_request_t *r,
    ngx_http_blog_stats_task_t *t, void *thread_pool);

/*
 * The body of a directive whose location answers through the engine
 * (blog_analytics, blog_stats_api): its argument, the database, into
 * *path (once, made absolute), nginx's default thread pool into
 * *thread_pool for the tasks, and handler as the location's handler.
 */
char *ngx_http_blog_stats_task_conf(ngx_conf_t *cf, ngx_str_t *path,
    void **thread_pool, ngx_http_handler_pt handler);

#endif /* NGX_HTTP_BLOG_STATS_TASK_H */
