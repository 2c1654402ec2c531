/*
 * The newsletters in the panel: each one's delivery progress and its dead
 * letters.
 *
 *   newsletters        newest first, each with its counts
 *   newsletters/ID     its counts (queued, sent, failed, bounced...) as a
 *                      bar that moves live, and its dead letters: the
 *                      messages that failed, with their error
 *   newsletters/ID     POST retry: its dead letters (or the one given)
 *                      queued again, and a run of its send
 *
 * The counts are queue.db's deliveries (attached to data.db's
 * connection), as the jobrunner's sender writes them.  The live bar
 * follows the realtime hub's admin topic "newsletters.ID", which the
 * jobrunner publishes when the counts move (jr_nl_progress.h), through
 * blog_live_url; without it, or without JavaScript, the page shows the
 * counts it was rendered with.
 */

#include "admin/ngx_http_blog_admin.h"


#define NGX_HTTP_BLOG_NEWSLETTERS_SHOWN  100
#define NGX_HTTP_BLOG_DEAD_SHOWN         500


/* queue.db's deliveries.status, and their scope's names */
static const char  *ngx_http_blog_delivery_status[][2] = {
    { "queued", "count_queued" }, { "sending", "count_sending" },
    { "sent", "count_sent" }, { "failed", "count_failed" },
    { "bounced", "count_bounced" }, { "skipped", "count_skipped" },
    { NULL, NULL }
};


static ngx_int_t ngx_http_blog_admin_nl_list(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);
static ngx_int_t ngx_http_blog_admin_nl_page(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, int64_t id);
static ngx_int_t ngx_http_blog_admin_nl_counts(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_array_t *vars, int64_t id);
static ngx_int_t ngx_http_blog_admin_nl_retry(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, int64_t id);


ngx_int_t
ngx_http_blog_admin_newsletters(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_str_t *rest)
{
    int64_t  id;

    if (rest->len == 0) {
        return r->method == NGX_HTTP_POST
               ? ngx_http_blog_admin_message(r, ctx, NGX_HTTP_NOT_ALLOWED,
                     "Not allowed", "This page takes no form.")
               : ngx_http_blog_admin_nl_list(r, ctx);
    }

    id = ngx_http_blog_admin_id(rest->data, rest->len);

    if (id <= 0) {
        return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_NOT_FOUND,
                   "Not found", "The admin panel has no such page.");
    }

    return r->method == NGX_HTTP_POST
           ? ngx_http_blog_admin_nl_retry(r, ctx, id)
           : ngx_http_blog_admin_nl_page(r, ctx, id);
}


/* A newsletter's deliveries by status, from its id (column 0). */
static ngx_int_t
ngx_http_blog_admin_nl_row(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_array_t *item, sqlite3_stmt *stmt)
{
    return ngx_http_blog_admin_nl_counts(r, ctx, item,
                                         sqlite3_column_int64(stmt, 0));
}


static const ngx_http_blog_admin_col_t  ngx_http_blog_admin_nl_cols[] = {
    { "id", NGX_HTTP_BLOG_ACOL_INT },
    { "subject", NGX_HTTP_BLOG_ACOL_TEXT },
    { "status", NGX_HTTP_BLOG_ACOL_TEXT },
    { "created", NGX_HTTP_BLOG_ACOL_TIME },
    { "finished", NGX_HTTP_BLOG_ACOL_TIME },
    { NULL, NGX_HTTP_BLOG_ACOL_END }
};

static const ngx_http_blog_admin_list_t  ngx_http_blog_admin_nl_rows = {
    "newsletters", ngx_http_blog_admin_nl_cols, ngx_http_blog_admin_nl_row, 0
};


static ngx_int_t
ngx_http_blog_admin_nl_list(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx)
{
    ngx_int_t      rc;
    ngx_array_t   *vars;
    sqlite3_stmt  *stmt;

    vars = ngx_http_blog_scope_create(r);
    if (vars == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    stmt = ngx_http_blog_sql(r, ctx->alcf->data,
               "SELECT n.id, n.subject, n.status, n.created_at,"
               "  n.finished_at"
               " FROM newsletters n ORDER BY n.id DESC LIMIT ?1",
               "i", (int64_t) NGX_HTTP_BLOG_NEWSLETTERS_SHOWN);
    if (stmt == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    rc = ngx_http_blog_admin_list(r, ctx, stmt, &ngx_http_blog_admin_nl_rows,
                                  vars);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_blog_scope_cstr(r, vars, "title", "Newsletters") != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_blog_admin_page(r, ctx, NGX_HTTP_OK,
                                    BLOG_ATPL_NEWSLETTERS, vars);
}


/*
 * "count_queued" ... "count_skipped", "count_total", and "done_percent"
 * (the share of messages that ended) of newsletter id, into vars.
 */
static ngx_int_t
ngx_http_blog_admin_nl_counts(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_array_t *vars, int64_t id)
{
    int            rc;
    int64_t        n[6], total;
    ngx_uint_t     i;
    const char    *s;
    sqlite3_stmt  *stmt;

    ngx_memzero(n, sizeof(n));

    stmt = ngx_http_blog_sql(r, ctx->alcf->data,
               "SELECT status, count(*) FROM deliveries"
               " WHERE newsletter_id = ?1 GROUP BY status", "i", id);
    if (stmt == NULL) {
        return NGX_ERROR;
    }

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        s = (const char *) sqlite3_column_text(stmt, 0);

        for (i = 0; s && ngx_http_blog_delivery_status[i][0]; i++) {
            if (ngx_strcmp(s, ngx_http_blog_delivery_status[i][0]) == 0) {
                n[i] = sqlite3_column_int64(stmt, 1);
            }
        }
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        ngx_http_blog_sql_error(r, ctx->alcf->data, rc, "deliveries");
        return NGX_ERROR;
    }

    total = 0;

    for (i = 0; ngx_http_blog_delivery_status[i][0]; i++) {
        total += n[i];

        if (ngx_http_blog_scope_int(r, vars,
                                    ngx_http_blog_delivery_status[i][1], n[i])
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (ngx_http_blog_scope_int(r, vars, "count_total", total) != NGX_OK
        || ngx_http_blog_scope_int(r, vars, "done_percent",
                                   total ? (total - n[0] - n[1]) * 100 / total
                                         : 0)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_blog_admin_nl_page(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, int64_t id)
{
    int                        rc;
    u_char                    *topic;
    ngx_array_t               *vars, dead, *item;
    sqlite3_stmt              *stmt;
    ngx_http_blog_loc_conf_t  *blog;

    vars = ngx_http_blog_scope_create(r);
    if (vars == NULL
        || ngx_array_init(&dead, r->pool, 16, sizeof(blog_tpl_ctx_t))
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    stmt = ngx_http_blog_sql(r, ctx->alcf->data,
               "SELECT subject, status, created_at, started_at, finished_at,"
               "  post_id FROM newsletters WHERE id = ?1", "i", id);
    if (stmt == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    rc = sqlite3_step(stmt);

    if (rc == SQLITE_ROW
        && (ngx_http_blog_scope_column(r, vars, "subject", stmt, 0)
               != NGX_OK
            || ngx_http_blog_scope_column(r, vars, "title", stmt, 0)
               != NGX_OK
            || ngx_http_blog_scope_column(r, vars, "status", stmt, 1)
               != NGX_OK
            || ngx_http_blog_scope_time(r, vars, "created",
                                        sqlite3_column_int64(stmt, 2))
               != NGX_OK
            || ngx_http_blog_scope_time(r, vars, "started",
                                        sqlite3_column_int64(stmt, 3))
               != NGX_OK
            || ngx_http_blog_scope_time(r, vars, "finished",
                                        sqlite3_column_int64(stmt, 4))
               != NGX_OK
            || ngx_http_blog_scope_int(r, vars, "post_id",
                                       sqlite3_column_int64(stmt, 5))
               != NGX_OK))
    {
        rc = SQLITE_NOMEM;
    }

    sqlite3_finalize(stmt);

    if (rc == SQLITE_DONE) {
        return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_NOT_FOUND,
                   "Not found", "There is no such newsletter.");
    }

    if (rc != SQLITE_ROW) {
        ngx_http_blog_sql_error(r, ctx->alcf->data, rc, "newsletter");
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (ngx_http_blog_admin_nl_counts(r, ctx, vars, id) != NGX_OK) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    /* the dead letters, with the address they were for */
    stmt = ngx_http_blog_sql(r, ctx->alcf->data,
               "SELECT d.id, coalesce(s.email, ''), d.attempts,"
               "  coalesce(d.last_error, ''), d.updated_at"
               " FROM deliveries d"
               " LEFT JOIN subscribers s ON s.id = d.subscriber_id"
               " WHERE d.newsletter_id = ?1 AND d.status = 'failed'"
               " ORDER BY d.id LIMIT ?2",
               "ii", id, (int64_t) NGX_HTTP_BLOG_DEAD_SHOWN);
    if (stmt == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        item = ngx_http_blog_scope_item(r->pool, &dead, 5);
        if (item == NULL
            || ngx_http_blog_scope_int(r, item, "id",
                                       sqlite3_column_int64(stmt, 0)) != NGX_OK
            || ngx_http_blog_scope_column(r, item, "email", stmt, 1)
               != NGX_OK
            || ngx_http_blog_scope_int(r, item, "attempts",
                                       sqlite3_column_int64(stmt, 2)) != NGX_OK
            || ngx_http_blog_scope_column(r, item, "error", stmt, 3)
               != NGX_OK
            || ngx_http_blog_scope_time(r, item, "updated",
                                        sqlite3_column_int64(stmt, 4))
               != NGX_OK)
        {
            sqlite3_finalize(stmt);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        ngx_http_blog_sql_error(r, ctx->alcf->data, rc, "dead letters");
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    /* the live bar: the hub's address and the newsletter's topic */
    blog = ctx->alcf->blog;

    topic = ngx_pnalloc(r->pool, sizeof("newsletters.") + NGX_INT64_LEN);
    if (topic == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf(topic, "newsletters.%L%Z", id);

    if (ngx_http_blog_scope_list(vars, "dead", &dead) != NGX_OK
        || ngx_http_blog_scope_int(r, vars, "newsletter_id", id) != NGX_OK
        || (dead.nelts
            && ngx_http_blog_scope_cstr(r, vars, "has_dead", "1") != NGX_OK)
        || ngx_http_blog_scope_cstr(r, vars, "topic", (char *) topic)
           != NGX_OK
        || (blog->live_url.len
            && ngx_http_blog_scope_str(r, vars, "live_url",
                                       blog->live_url.data,
                                       blog->live_url.len) != NGX_OK)
)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_blog_admin_page(r, ctx, NGX_HTTP_OK, BLOG_ATPL_NEWSLETTER,
                                    vars);
}


/*
 * POST newsletters/ID, action=retry [delivery=N]: its dead letters (or
 * the one) queued again with their attempts reset, the newsletter sending
 * again, and a run of its "newsletter" job queued, as the sender's own
 * continuation would be.
 */
static ngx_int_t
ngx_http_blog_admin_nl_retry(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, int64_t id)
{
    int                    rc;
    int64_t                one, now, n;
    const blog_field_t    *action, *f;
    ngx_http_blog_conn_t  *data;

    data = ctx->alcf->data;
    now = (int64_t) ngx_time();

    action = ngx_http_blog_body_field(r, &ctx->body, "action");
    f = ngx_http_blog_body_field(r, &ctx->body, "delivery");

    one = f ? ngx_http_blog_admin_id((u_char *) f->value, f->len) : 0;

    if (action == NULL || ngx_strcmp(action->value, "retry") != 0
        || one < 0)
    {
        return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_BAD_REQUEST,
                   "Bad request", "Unknown action.");
    }

    if (ngx_http_blog_sql_begin(r, data) != SQLITE_OK) {
        goto busy;
    }

    rc = ngx_http_blog_sql_exec(r, data,
             "UPDATE deliveries SET status = 'queued', attempts = 0,"
             "  next_try = ?2, updated_at = ?2"
             " WHERE newsletter_id = ?1 AND status = 'failed'"
             "  AND (?3 = 0 OR id = ?3)", "iii", id, now, one);

    n = (rc == SQLITE_OK) ? sqlite3_changes(data->db) : 0;

    if (rc == SQLITE_OK && n > 0) {
        rc = ngx_http_blog_sql_exec(r, data,
                 "UPDATE newsletters SET status = 'sending',"
                 "  finished_at = NULL WHERE id = ?1 AND status = 'sent'",
                 "i", id);
    }

    if (rc == SQLITE_OK && n > 0) {
        rc = ngx_http_blog_sql_exec(r, data,
                 "INSERT INTO jobs (kind, dedupe_key, payload, run_after,"
                 "  created_at, updated_at)"
                 " SELECT 'newsletter',"
                 "  'newsletter:' || post_id || ':retry:' || ?2 || ':' || ?3,"
                 "  json_object('post', post_id), ?2, ?2, ?2"
                 " FROM newsletters WHERE id = ?1"
                 " ON CONFLICT (dedupe_key) DO NOTHING",
                 "iii", id, now, one);
    }

    if (rc != SQLITE_OK) {
        ngx_http_blog_sql_rollback(data);
        goto busy;
    }

    if (ngx_http_blog_sql_commit(r, data) != SQLITE_OK) {
        goto busy;
    }

    if (n == 0) {
        return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_NOT_FOUND,
                   "Not found", "This newsletter has no such dead letter; "
                   "it may have been retried already.");
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "blog admin: \"%V\" queued %L dead letter%s of newsletter "
                  "%L again", &ctx->user_name, n, n == 1 ? "" : "s", id);

    return ngx_http_blog_go(r, ctx, "newsletters/%L", id, "requeued");

busy:

    return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_SERVICE_UNAVAILABLE,
               "Not done", "The database did not take the change (it may be "
               "busy). Try again.");
}
