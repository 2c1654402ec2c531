/*
 * The comment moderation queue: pending comments first, approved and spam
 * on their own tabs; each can be approved, marked as spam, deleted, or
 * approved with its author trusted: the commenter token her browser holds
 * (ngx_http_blog_comments.c), so that her next comments, from that
 * browser, skip the queue.  Every action is one short write; the post's
 * page changes with it, as the page cache follows data_version.
 */

#include "admin/ngx_http_blog_admin.h"


static ngx_int_t ngx_http_blog_comments_queue(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);
static ngx_int_t ngx_http_blog_comment_act(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, int64_t id);


ngx_int_t
ngx_http_blog_admin_comments(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_str_t *rest)
{
    int64_t  id;

    if (rest->len == 0) {
        return r->method == NGX_HTTP_POST ? NGX_HTTP_NOT_ALLOWED
                                          : ngx_http_blog_comments_queue(r,
                                                                         ctx);
    }

    id = ngx_http_blog_admin_id(rest->data, rest->len);

    if (id <= 0 || r->method != NGX_HTTP_POST) {
        return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_NOT_FOUND,
                   "Not found", "The admin panel has no such page.");
    }

    return ngx_http_blog_comment_act(r, ctx, id);
}


static ngx_int_t
ngx_http_blog_comments_queue(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx)
{
    int            rc;
    ngx_str_t      arg;
    const char    *status, *notice;
    ngx_array_t   *vars, items, *item;
    sqlite3_stmt  *stmt;

    status = "pending";

    if (ngx_http_arg(r, (u_char *) "status", 6, &arg) == NGX_OK) {
        if (arg.len == 8 && ngx_strncmp(arg.data, "approved", 8) == 0) {
            status = "approved";

        } else if (arg.len == 4 && ngx_strncmp(arg.data, "spam", 4) == 0) {
            status = "spam";
        }
    }

    vars = ngx_http_blog_scope_create(r);
    if (vars == NULL
        || ngx_array_init(&items, r->pool, 32, sizeof(blog_tpl_ctx_t))
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    stmt = ngx_http_blog_sql(r, ctx->alcf->data,
               "SELECT c.id, c.author_name, c.author_email, c.body_html,"
               "  c.created_at, c.address, p.id, p.title, c.commenter <> ''"
               " FROM comments c JOIN posts p ON p.id = c.post_id"
               " WHERE c.status = ?1"
               " ORDER BY c.created_at DESC, c.id DESC LIMIT 200",
               "s", status);
    if (stmt == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        item = ngx_http_blog_scope_item(r->pool, &items, 9);
        if (item == NULL
            || ngx_http_blog_scope_int(r, item, "id",
                                       sqlite3_column_int64(stmt, 0)) != NGX_OK
            || ngx_http_blog_scope_column(r, item, "name", stmt, 1) != NGX_OK
            || ngx_http_blog_scope_column(r, item, "email", stmt, 2) != NGX_OK
            || ngx_http_blog_scope_trusted(r, item, "body_html",
                                           sqlite3_column_text(stmt, 3),
                                           sqlite3_column_bytes(stmt, 3))
               != NGX_OK
            || ngx_http_blog_scope_time(r, item, "created",
                                        sqlite3_column_int64(stmt, 4))
               != NGX_OK
            || ngx_http_blog_scope_column(r, item, "address", stmt, 5)
               != NGX_OK
            || ngx_http_blog_scope_int(r, item, "post_id",
                                       sqlite3_column_int64(stmt, 6)) != NGX_OK
            || ngx_http_blog_scope_column(r, item, "post_title", stmt, 7)
               != NGX_OK
            || (sqlite3_column_int(stmt, 8)
                && ngx_http_blog_scope_cstr(r, item, "trustable", "1")
                   != NGX_OK))
        {
            sqlite3_finalize(stmt);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        ngx_http_blog_sql_error(r, ctx->alcf->data, rc, "comments");
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    notice = ngx_http_blog_done_notice(r);

    if (ngx_http_blog_scope_list(vars, "comments", &items) != NGX_OK
        || ngx_http_blog_scope_cstr(r, vars, status[0] == 'p' ? "is_pending"
                                    : status[0] == 'a' ? "is_approved"
                                    : "is_spam", "1") != NGX_OK
        || (notice && ngx_http_blog_scope_cstr(r, vars, "notice", notice)
                      != NGX_OK))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_blog_admin_page(r, ctx, NGX_HTTP_OK, BLOG_ATPL_COMMENTS,
                                    vars);
}


/* POST comments/ID, action=approve|spam|delete|trust */
static ngx_int_t
ngx_http_blog_comment_act(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, int64_t id)
{
    int                    rc;
    int64_t                now;
    ngx_str_t              action;
    ngx_uint_t             approve;
    const char            *sql, *types;
    const blog_field_t    *f;
    ngx_http_blog_conn_t  *data;

    data = ctx->alcf->data;
    now = (int64_t) ngx_time();
    types = "ii";
    approve = 0;

    f = ngx_http_blog_body_field(r, &ctx->body, "action");
    if (f == NULL) {
        return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_BAD_REQUEST,
                   "Bad request", "No action was given.");
    }

    action.data = (u_char *) f->value;
    action.len = f->len;

#define ngx_http_blog_is(s)                                                   \
    (action.len == sizeof(s) - 1 && ngx_strcmp(action.data, s) == 0)

    if (ngx_http_blog_is("approve")) {
        sql = "UPDATE comments SET status = 'approved', updated_at = ?2"
              " WHERE id = ?1";
        approve = 1;

    } else if (ngx_http_blog_is("spam")) {
        sql = "UPDATE comments SET status = 'spam', updated_at = ?2"
              " WHERE id = ?1";

    } else if (ngx_http_blog_is("delete")) {
        sql = "DELETE FROM comments WHERE id = ?1";
        types = "i";

    } else if (ngx_http_blog_is("trust")) {
        sql = NULL;
        approve = 1;

    } else {
        return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_BAD_REQUEST,
                   "Bad request", "Unknown action.");
    }

#undef ngx_http_blog_is

    rc = ngx_http_blog_sql_begin(r, data);

    /* trust: the author's token skips the queue from now on */
    if (rc == SQLITE_OK && sql == NULL) {
        rc = ngx_http_blog_sql_exec(r, data,
                 "INSERT OR IGNORE INTO trusted_commenters (commenter,"
                 "  created_at)"
                 " SELECT commenter, ?2 FROM comments"
                 " WHERE id = ?1 AND commenter != ''",
                 "ii", id, now);

        sql = "UPDATE comments SET status = 'approved', updated_at = ?2"
              " WHERE id = ?1";
    }

    /*
     * A comment that becomes visible is an event for the jobrunner, which
     * pushes it to the post's readers: in the same transaction, so the
     * push is neither lost nor made for a change that was rolled back.
     */
    if (rc == SQLITE_OK && approve) {
        rc = ngx_http_blog_sql_exec(r, data,
                 "INSERT INTO job_outbox (kind, dedupe_key, payload,"
                 "  run_after, created_at)"
                 " SELECT 'comment', 'comment:' || c.id || ':approved:' || ?2,"
                 "  json_object('comment_id', c.id, 'post_id', c.post_id,"
                 "    'slug', p.slug, 'status', 'approved',"
                 "    'moderated', json('true'), 'name', c.author_name,"
                 "    'html', c.body_html, 'created_at', c.created_at),"
                 "  ?2, ?2"
                 " FROM comments c JOIN posts p ON p.id = c.post_id"
                 " WHERE c.id = ?1 AND c.status != 'approved'"
                 "  AND p.type = 'post' AND p.status = 'published'",
                 "ii", id, now);
    }

    if (rc == SQLITE_OK) {
        rc = ngx_http_blog_sql_exec(r, data, sql, types, id, now);
    }

    if (rc == SQLITE_OK && sqlite3_changes(data->db) == 0) {
        rc = SQLITE_NOTFOUND;
    }

    if (rc == SQLITE_OK) {
        rc = ngx_http_blog_sql_commit(r, data);

    } else {
        ngx_http_blog_sql_rollback(data);
    }

    if (rc == SQLITE_NOTFOUND) {
        return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_NOT_FOUND,
                   "Not found", "There is no such comment; it may have been "
                   "deleted already.");
    }

    if (rc != SQLITE_OK) {
        return ngx_http_blog_admin_message(r, ctx,
                   NGX_HTTP_SERVICE_UNAVAILABLE, "Not done",
                   "The database did not take the change (it may be busy). "
                   "Try again.");
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "blog admin: \"%V\" did \"%V\" on comment %L",
                  &ctx->user_name, &action, id);

    return ngx_http_blog_go(r, ctx, "comments", id, "moderated");
}
