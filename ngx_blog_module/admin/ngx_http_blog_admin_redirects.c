/*
 * The panel's redirects: the list of what answers with 301, 302, 308 or
 * 410 instead of a 404 (data.db's redirects, lib/blog_schema.c), newest
 * first; a redirect added, edited or deleted.  Those the panel writes lead
 * from a path to a local path or an http(s) URL, checked by
 * lib/blog_redirect.c; those that lead to a post (its old slugs, its
 * aliases) follow the post, and are only deleted here.
 */

#include "admin/ngx_http_blog_admin.h"
#include "blog_redirect.h"


#define NGX_HTTP_BLOG_REDIRECTS_SHOWN  500


/* A redirect as the form sends it, checked. */
typedef struct {
    ngx_str_t                 from;         /* the key, blog_redirect.h */
    ngx_str_t                 to;           /* "" for a 410 */
    ngx_int_t                 status;
    const u_char             *error;        /* what to fix, or NULL */
    const blog_field_t       *raw_from;
    const blog_field_t       *raw_to;
} ngx_http_blog_redirect_form_t;


static ngx_int_t ngx_http_blog_redirects_list(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_uint_t status,
    ngx_http_blog_redirect_form_t *rf);
static ngx_int_t ngx_http_blog_redirect_item(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_array_t *item, sqlite3_stmt *stmt);
static ngx_int_t ngx_http_blog_status_vars(ngx_http_request_t *r,
    ngx_array_t *vars, ngx_uint_t new_form, ngx_int_t status);
static ngx_int_t ngx_http_blog_redirect_read(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_http_blog_redirect_form_t *rf);
static ngx_int_t ngx_http_blog_redirect_write(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, int64_t id);


ngx_int_t
ngx_http_blog_admin_redirects(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_str_t *rest)
{
    int64_t  id;

    if (rest->len == 0) {
        return r->method == NGX_HTTP_POST
               ? ngx_http_blog_redirect_write(r, ctx, 0)
               : ngx_http_blog_redirects_list(r, ctx, NGX_HTTP_OK, NULL);
    }

    id = ngx_http_blog_admin_id(rest->data, rest->len);

    if (id <= 0 || r->method != NGX_HTTP_POST) {
        return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_NOT_FOUND,
                   "Not found", "The admin panel has no such page.");
    }

    return ngx_http_blog_redirect_write(r, ctx, id);
}


/* The list, with the new-redirect form; rf: a refused form sent back. */
static ngx_int_t
ngx_http_blog_redirects_list(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_uint_t status,
    ngx_http_blog_redirect_form_t *rf)
{
    int            rc;
    ngx_int_t      n;
    const char    *notice;
    ngx_array_t   *vars, items, *item;
    sqlite3_stmt  *stmt;

    vars = ngx_http_blog_scope_create(r);
    if (vars == NULL
        || ngx_array_init(&items, r->pool, 32, sizeof(blog_tpl_ctx_t))
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    stmt = ngx_http_blog_sql(r, ctx->alcf->data,
               "SELECT r.id, r.kind, r.from_path, r.to_url, r.status,"
               "  r.origin, r.post_id, p.type, p.slug, p.title"
               " FROM redirects r LEFT JOIN posts p ON p.id = r.post_id"
               " ORDER BY r.id DESC LIMIT ?1",
               "i", (int64_t) NGX_HTTP_BLOG_REDIRECTS_SHOWN + 1);
    if (stmt == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    n = 0;

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (++n > NGX_HTTP_BLOG_REDIRECTS_SHOWN) {
            if (ngx_http_blog_scope_int(r, vars, "more",
                                        NGX_HTTP_BLOG_REDIRECTS_SHOWN)
                != NGX_OK)
            {
                sqlite3_finalize(stmt);
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            continue;
        }

        item = ngx_http_blog_scope_item(r->pool, &items, 16);
        if (item == NULL
            || ngx_http_blog_redirect_item(r, ctx, item, stmt) != NGX_OK)
        {
            sqlite3_finalize(stmt);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        ngx_http_blog_sql_error(r, ctx->alcf->data, rc, "redirects");
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    notice = ngx_http_blog_done_notice(r);

    if (ngx_http_blog_scope_list(vars, "redirects", &items) != NGX_OK
        || ngx_http_blog_scope_cstr(r, vars, "title", "Redirects") != NGX_OK
        || (notice && ngx_http_blog_scope_cstr(r, vars, "notice", notice)
                      != NGX_OK))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the refused values go back into the new-redirect form */
    if (rf && (ngx_http_blog_scope_cstr(r, vars, "error",
                                        (char *) rf->error) != NGX_OK
               || (rf->raw_from
                   && ngx_http_blog_scope_str(r, vars, "new_from",
                          (u_char *) rf->raw_from->value, rf->raw_from->len)
                      != NGX_OK)
               || (rf->raw_to
                   && ngx_http_blog_scope_str(r, vars, "new_to",
                          (u_char *) rf->raw_to->value, rf->raw_to->len)
                      != NGX_OK)))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_blog_status_vars(r, vars, 1, rf ? rf->status : 301)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_blog_admin_page(r, ctx, status, BLOG_ATPL_REDIRECTS,
                                    vars);
}


/*
 * A row: the panel's own ("editable") show their path and target; those
 * that lead to a post show the post's URL as readers see it now.
 */
static ngx_int_t
ngx_http_blog_redirect_item(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_array_t *item, sqlite3_stmt *stmt)
{
    u_char                    *p;
    ngx_str_t                  kind, from, slug, *route;
    ngx_http_blog_loc_conf_t  *blog;

    blog = ctx->alcf->blog;

    if (ngx_http_blog_column(r, stmt, 1, &kind) != NGX_OK
        || ngx_http_blog_column(r, stmt, 2, &from) != NGX_OK
        || ngx_http_blog_column(r, stmt, 8, &slug) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* an old slug: the URL it had, under the route of its kind */
    if (kind.len == 4 && ngx_strncmp(kind.data, "path", 4) != 0) {
        route = (kind.data[1] == 'o') ? &blog->route[BLOG_ROUTE_POST]
                                      : &(ngx_str_t) ngx_null_string;

        p = ngx_pnalloc(r->pool, blog->prefix.len + route->len + from.len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        from.len = ngx_sprintf(p, "%V%V%V", &blog->prefix, route, &from) - p;
        from.data = p;
    }

    if (ngx_http_blog_scope_int(r, item, "id", sqlite3_column_int64(stmt, 0))
           != NGX_OK
        || ngx_http_blog_scope_str(r, item, "from", from.data, from.len)
           != NGX_OK
        || ngx_http_blog_scope_column(r, item, "to", stmt, 3) != NGX_OK
        || ngx_http_blog_scope_int(r, item, "status",
                                   sqlite3_column_int(stmt, 4)) != NGX_OK
        || ngx_http_blog_scope_column(r, item, "origin", stmt, 5) != NGX_OK
        || ngx_http_blog_status_vars(r, item, 0,
                                     sqlite3_column_int(stmt, 4)) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (sqlite3_column_type(stmt, 6) == SQLITE_NULL) {
        return ngx_http_blog_scope_cstr(r, item, "editable", "1");
    }

    route = (sqlite3_column_type(stmt, 7) != SQLITE_NULL
             && sqlite3_column_text(stmt, 7)[1] == 'o')
            ? &blog->route[BLOG_ROUTE_POST] : &(ngx_str_t) ngx_null_string;

    p = ngx_pnalloc(r->pool, blog->prefix.len + route->len + slug.len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    slug.len = ngx_sprintf(p, "%V%V%V", &blog->prefix, route, &slug) - p;
    slug.data = p;

    if (ngx_http_blog_scope_int(r, item, "post_id",
                                sqlite3_column_int64(stmt, 6)) != NGX_OK
        || ngx_http_blog_scope_column(r, item, "post_title", stmt, 9)
           != NGX_OK
        || ngx_http_blog_scope_str(r, item, "post_url", slug.data, slug.len)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* "is_301" ... "is_410" (the new form's: "new_is_301"...): the selected */
static ngx_int_t
ngx_http_blog_status_vars(ngx_http_request_t *r, ngx_array_t *vars,
    ngx_uint_t new_form, ngx_int_t status)
{
    static const char  *names[][3] = {
        { "301", "is_301", "new_is_301" },
        { "302", "is_302", "new_is_302" },
        { "308", "is_308", "new_is_308" },
        { "410", "is_410", "new_is_410" }
    };

    ngx_uint_t  i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (ngx_atoi((u_char *) names[i][0], 3) == status) {
            return ngx_http_blog_scope_cstr(r, vars, names[i][1 + new_form],
                                            "1");
        }
    }

    return NGX_OK;
}


/*
 * Reads and checks from, to and status.  NGX_DECLINED with rf->error
 * set when the form must be fixed; NGX_ERROR when out of memory.
 */
static ngx_int_t
ngx_http_blog_redirect_read(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_http_blog_redirect_form_t *rf)
{
    u_char              *p;
    const char          *why;
    const blog_field_t  *f;

    ngx_memzero(rf, sizeof(ngx_http_blog_redirect_form_t));

    rf->raw_from = ngx_http_blog_body_field(r, &ctx->body, "from");
    rf->raw_to = ngx_http_blog_body_field(r, &ctx->body, "to");
    f = ngx_http_blog_body_field(r, &ctx->body, "status");

    rf->status = f ? ngx_atoi((u_char *) f->value, f->len) : NGX_ERROR;

    if (!blog_redirect_status_valid(rf->status)) {
        rf->status = 301;
        rf->error = (u_char *) "Status: choose 301, 302, 308 or 410.";
        return NGX_DECLINED;
    }

    if (rf->raw_from == NULL) {
        rf->error = (u_char *) "From: give the path to redirect.";
        return NGX_DECLINED;
    }

    rf->from.data = ngx_pnalloc(r->pool, rf->raw_from->len + 1);
    if (rf->from.data == NULL) {
        return NGX_ERROR;
    }

    rf->from.len = blog_redirect_from(rf->raw_from->value, rf->raw_from->len,
                                      (char *) rf->from.data, &why);
    if (rf->from.len == 0) {
        goto refused;
    }

    /* a page that is gone needs no target */
    if (rf->status == 410) {
        ngx_str_null(&rf->to);
        return NGX_OK;
    }

    if (rf->raw_to == NULL
        || !blog_redirect_to_valid(rf->raw_to->value, rf->raw_to->len, &why))
    {
        why = rf->raw_to ? why : "is empty";

        p = ngx_pnalloc(r->pool, sizeof("To:  (410 needs none).")
                                 + ngx_strlen(why));
        if (p == NULL) {
            return NGX_ERROR;
        }

        ngx_sprintf(p, "To: %s (410 needs none).%Z", why);
        rf->error = p;
        return NGX_DECLINED;
    }

    rf->to.data = (u_char *) rf->raw_to->value;
    rf->to.len = rf->raw_to->len;

    return NGX_OK;

refused:

    p = ngx_pnalloc(r->pool, sizeof("From: the path .") + ngx_strlen(why));
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(p, "From: the path %s.%Z", why);
    rf->error = p;

    return NGX_DECLINED;
}


/* POST redirects (add), POST redirects/ID action=save|delete */
static ngx_int_t
ngx_http_blog_redirect_write(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, int64_t id)
{
    int                            rc;
    ngx_int_t                      read;
    const char                    *done;
    const blog_field_t            *action;
    ngx_http_blog_conn_t          *data;
    ngx_http_blog_redirect_form_t  rf;

    data = ctx->alcf->data;
    action = ngx_http_blog_body_field(r, &ctx->body, "action");

    if (id && action && ngx_strcmp(action->value, "delete") == 0) {
        rc = ngx_http_blog_sql_exec(r, data,
                 "DELETE FROM redirects WHERE id = ?1", "i", id);
        done = "deleted";
        goto written;
    }

    if (id && (action == NULL || ngx_strcmp(action->value, "save") != 0)) {
        return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_BAD_REQUEST,
                   "Bad request", "Unknown action.");
    }

    read = ngx_http_blog_redirect_read(r, ctx, &rf);

    if (read == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (read == NGX_DECLINED) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "blog admin: redirect refused: %s", rf.error);
        return ngx_http_blog_redirects_list(r, ctx, NGX_HTTP_BAD_REQUEST,
                                            &rf);
    }

    if (id == 0) {
        rc = ngx_http_blog_sql_exec(r, data,
                 "INSERT INTO redirects (kind, from_path, to_url, status,"
                 "  origin, created_at, updated_at)"
                 " VALUES ('path', ?1, ?2, ?3, 'panel', ?4, ?4)",
                 "ttii", &rf.from, &rf.to, (int64_t) rf.status,
                 (int64_t) ngx_time());
        done = "created";

    } else {
        /* only the panel's own: the others follow their post */
        rc = ngx_http_blog_sql_exec(r, data,
                 "UPDATE redirects SET from_path = ?2, to_url = ?3,"
                 "  status = ?4, updated_at = ?5"
                 " WHERE id = ?1 AND kind = 'path' AND post_id IS NULL",
                 "ittii", id, &rf.from, &rf.to, (int64_t) rf.status,
                 (int64_t) ngx_time());
        done = "saved";
    }

    if (rc == SQLITE_CONSTRAINT_UNIQUE) {
        rf.error = (u_char *) "From: another redirect has this path "
                              "already; edit that one.";
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "blog admin: redirect refused: %s", rf.error);
        return ngx_http_blog_redirects_list(r, ctx, NGX_HTTP_BAD_REQUEST,
                                            &rf);
    }

written:

    if (rc == SQLITE_OK && id && sqlite3_changes(data->db) == 0) {
        return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_NOT_FOUND,
                   "Not found", "There is no such redirect the panel can "
                   "edit; it may have been deleted already.");
    }

    if (rc != SQLITE_OK) {
        return ngx_http_blog_admin_message(r, ctx,
                   NGX_HTTP_SERVICE_UNAVAILABLE, "Not done",
                   "The database did not take the change (it may be busy). "
                   "Try again.");
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "blog admin: \"%V\" %s redirect %L", &ctx->user_name, done,
                  id ? id : (int64_t) sqlite3_last_insert_rowid(data->db));

    return ngx_http_blog_go(r, ctx, "redirects", 0, done);
}
