/*
 * The jobrunner's queue as the panel shows it: how many jobs are in each
 * state, the dead letters with their last error, and a button that queues
 * a dead job again.  The table is the jobrunner's (schema 2); the panel
 * only reads it and resets a dead job, as the jobrunner's own retry would.
 */

#include "admin/ngx_http_blog_admin.h"


static ngx_int_t ngx_http_blog_jobs_retry(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);


static const ngx_http_blog_admin_col_t  ngx_http_blog_jobs_state_cols[] = {
    { "state", NGX_HTTP_BLOG_ACOL_TEXT },
    { "count", NGX_HTTP_BLOG_ACOL_INT },
    { NULL, NGX_HTTP_BLOG_ACOL_END }
};

static const ngx_http_blog_admin_list_t  ngx_http_blog_jobs_states = {
    "states", ngx_http_blog_jobs_state_cols, NULL, 0
};

static const ngx_http_blog_admin_col_t  ngx_http_blog_jobs_dead_cols[] = {
    { "id", NGX_HTTP_BLOG_ACOL_INT },
    { "kind", NGX_HTTP_BLOG_ACOL_TEXT },
    { "key", NGX_HTTP_BLOG_ACOL_TEXT },
    { "attempts", NGX_HTTP_BLOG_ACOL_INT },
    { "error", NGX_HTTP_BLOG_ACOL_TEXT },
    { "updated", NGX_HTTP_BLOG_ACOL_TIME },
    { NULL, NGX_HTTP_BLOG_ACOL_END }
};

static const ngx_http_blog_admin_list_t  ngx_http_blog_jobs_dead = {
    "dead", ngx_http_blog_jobs_dead_cols, NULL, 0
};


ngx_int_t
ngx_http_blog_admin_jobs(ngx_http_request_t *r, ngx_http_blog_admin_ctx_t *ctx)
{
    ngx_int_t      rc;
    ngx_array_t   *vars;
    sqlite3_stmt  *stmt;

    if (r->method == NGX_HTTP_POST) {
        return ngx_http_blog_jobs_retry(r, ctx);
    }

    vars = ngx_http_blog_scope_create(r);
    if (vars == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    stmt = ngx_http_blog_sql(r, ctx->alcf->data,
               "SELECT state, count(*) FROM jobs GROUP BY state"
               " ORDER BY state", "");
    if (stmt == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    rc = ngx_http_blog_admin_list(r, ctx, stmt, &ngx_http_blog_jobs_states,
                                  vars);
    if (rc != NGX_OK) {
        return rc;
    }

    stmt = ngx_http_blog_sql(r, ctx->alcf->data,
               "SELECT id, kind, coalesce(dedupe_key, ''), attempts,"
               "  coalesce(last_error, ''), updated_at"
               " FROM jobs WHERE state = 'dead'"
               " ORDER BY updated_at DESC, id DESC LIMIT 100", "");
    if (stmt == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    rc = ngx_http_blog_admin_list(r, ctx, stmt, &ngx_http_blog_jobs_dead,
                                  vars);
    if (rc != NGX_OK) {
        return rc;
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

    if (id == 0) {
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
