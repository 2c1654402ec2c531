/*
 * The jobrunner's queue as the panel shows it: how many jobs are in each
 * state, the dead letters with their last error, and a button that queues
 * a dead job again.  The table is the jobrunner's (schema 2); the panel
 * only reads it and resets a dead job, as the jobrunner's own retry would.
 */

#include "admin/ngx_http_blog_admin.h"


static ngx_int_t ngx_http_blog_jobs_retry(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);


ngx_int_t
ngx_http_blog_admin_jobs(ngx_http_request_t *r, ngx_http_blog_admin_ctx_t *ctx)
{
    int            rc;
    const char    *notice;
    ngx_array_t   *vars, states, dead, *item;
    sqlite3_stmt  *stmt;

    if (r->method == NGX_HTTP_POST) {
        return ngx_http_blog_jobs_retry(r, ctx);
    }

    vars = ngx_http_blog_scope_create(r);
    if (vars == NULL
        || ngx_array_init(&states, r->pool, 4, sizeof(blog_tpl_ctx_t))
           != NGX_OK
        || ngx_array_init(&dead, r->pool, 16, sizeof(blog_tpl_ctx_t))
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    stmt = ngx_http_blog_sql(r, ctx->alcf->data,
               "SELECT state, count(*) FROM jobs GROUP BY state"
               " ORDER BY state", "");
    if (stmt == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        item = ngx_http_blog_scope_item(r->pool, &states, 8);
        if (item == NULL
            || ngx_http_blog_scope_column(r, item, "state", stmt, 0) != NGX_OK
            || ngx_http_blog_scope_int(r, item, "count",
                                       sqlite3_column_int64(stmt, 1))
               != NGX_OK)
        {
            sqlite3_finalize(stmt);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    stmt = ngx_http_blog_sql(r, ctx->alcf->data,
               "SELECT id, kind, coalesce(dedupe_key, ''), attempts,"
               "  coalesce(last_error, ''), updated_at"
               " FROM jobs WHERE state = 'dead'"
               " ORDER BY updated_at DESC, id DESC LIMIT 100", "");
    if (stmt == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        item = ngx_http_blog_scope_item(r->pool, &dead, 8);
        if (item == NULL
            || ngx_http_blog_scope_int(r, item, "id",
                                       sqlite3_column_int64(stmt, 0)) != NGX_OK
            || ngx_http_blog_scope_column(r, item, "kind", stmt, 1) != NGX_OK
            || ngx_http_blog_scope_column(r, item, "key", stmt, 2) != NGX_OK
            || ngx_http_blog_scope_int(r, item, "attempts",
                                       sqlite3_column_int64(stmt, 3)) != NGX_OK
            || ngx_http_blog_scope_column(r, item, "error", stmt, 4) != NGX_OK
            || ngx_http_blog_scope_time(r, item, "updated",
                                        sqlite3_column_int64(stmt, 5))
               != NGX_OK)
        {
            sqlite3_finalize(stmt);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    notice = ngx_http_blog_done_notice(r);

    if (ngx_http_blog_scope_list(vars, "states", &states) != NGX_OK
        || ngx_http_blog_scope_list(vars, "dead", &dead) != NGX_OK
        || (notice && ngx_http_blog_scope_cstr(r, vars, "notice", notice)
                      != NGX_OK))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_blog_admin_page(r, ctx, NGX_HTTP_OK, BLOG_ATPL_JOBS,
                                    vars);
}


/* POST jobs, id=N: a dead job is queued again with its attempts reset. */
static ngx_int_t
ngx_http_blog_jobs_retry(ngx_http_request_t *r, ngx_http_blog_admin_ctx_t *ctx)
{
    int                  rc;
    int64_t              id;
    const blog_field_t  *f;

    f = ngx_http_blog_body_field(r, &ctx->body, "id");
    id = f ? ngx_http_blog_admin_id((u_char *) f->value, f->len) : 0;

    if (id <= 0) {
        return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_BAD_REQUEST,
                   "Bad request", "No job was given.");
    }

    rc = ngx_http_blog_sql_exec(r, ctx->alcf->data,
             "UPDATE jobs SET state = 'queued', attempts = 0, run_after = ?2,"
             "  lease_until = NULL, lease_owner = NULL, updated_at = ?2"
             " WHERE id = ?1 AND state = 'dead'",
             "ii", id, (int64_t) ngx_time());

    if (rc != SQLITE_OK) {
        return ngx_http_blog_admin_message(r, ctx,
                   NGX_HTTP_SERVICE_UNAVAILABLE, "Not done",
                   "The database did not take the change (it may be busy). "
                   "Try again.");
    }

    if (sqlite3_changes(ctx->alcf->data->db) == 0) {
        return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_NOT_FOUND,
                   "Not found", "There is no such dead job.");
    }

    return ngx_http_blog_go(r, ctx, "jobs", id, "retried");
}
