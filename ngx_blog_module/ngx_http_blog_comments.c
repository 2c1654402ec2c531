/*
 * Readers' comments: POST <post route>SLUG/comments on a blog location
 * with "blog_comments on".  The blog's content handler passes such
 * requests here.
 *
 * A comment has a name (up to 100 characters), an optional e-mail address
 * (up to 200) and a Markdown body (up to 10000), rendered by cmark in safe
 * mode: no raw HTML, no javascript: links.  It waits for approval unless
 * its author is trusted: signed in to the panel, or holding a commenter
 * token the panel trusted.  A hidden "website" field that people leave
 * empty catches form-filling bots, which are told "thank you" and stored
 * nowhere.  Each address may post blog_comment_limit comments per window.
 *
 * Trust rests on what only the author has.  A commenter's browser gets a
 * random 256-bit token in the cookie "blog_commenter" with her first
 * comment, and keeps it; the comment stores only its SHA-256, and
 * "approve and trust" in the panel trusts that hash.  Her later comments
 * carry the cookie and are published at once; anyone else, whatever name
 * or e-mail address they type, is not.  A cookie is believed only when its
 * hash is one this site stored: one made up or altered gets a new token
 * and waits for approval like any first comment.  The lookup compares
 * hashes, as sessions do: its timing may tell about a hash, never about a
 * token that would have it.
 *
 * A problem answers the post's page with the form filled in again and the
 * reason (422, or 429 for the limit); success redirects (303) to the
 * comment, or to the post's "awaiting moderation" note.  A new comment
 * also queues a "comment" job, the event from which the jobrunner tells
 * the owner and pushes the news to readers.
 */

#include "ngx_http_blog_module.h"
#include "ngx_http_blog_body.h"
#include "ngx_http_blog_cookie.h"
#include "ngx_http_blog_response.h"
#include "ngx_http_blog_scope.h"
#include "blog_markdown.h"
#include "blog_path.h"
#include "blog_secret.h"


#define NGX_HTTP_BLOG_CNAME_MAX    100          /* characters */
#define NGX_HTTP_BLOG_CEMAIL_MAX   200
#define NGX_HTTP_BLOG_CBODY_MAX    10000

/* A reader's commenter token, kept for a year. */
#define NGX_HTTP_BLOG_COMMENTER_COOKIE  "blog_commenter"
#define NGX_HTTP_BLOG_COMMENTER_AGE     (365 * 86400)


/* A comment being posted. */
struct ngx_http_blog_comment_s {
    ngx_http_blog_loc_conf_t  *blcf;
    ngx_str_t                  slug;          /* of the post */
    ngx_http_blog_body_t       body;
};


static void ngx_http_blog_comment_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_blog_comment_save(ngx_http_request_t *r,
    ngx_http_blog_comment_t *ctx);
static ngx_int_t ngx_http_blog_comment_form(ngx_http_request_t *r,
    ngx_http_blog_comment_t *ctx, ngx_uint_t status, const char *error);
static ngx_int_t ngx_http_blog_comment_done(ngx_http_request_t *r,
    ngx_http_blog_comment_t *ctx, int64_t id, ngx_uint_t approved);
static ngx_int_t ngx_http_blog_commenter(ngx_http_request_t *r,
    ngx_http_blog_comment_t *ctx, u_char *token, u_char *hash,
    ngx_uint_t *trusted);


ngx_int_t
ngx_http_blog_comments_enabled(ngx_http_request_t *r)
{
    ngx_http_blog_loc_conf_t  *blcf;

    blcf = ngx_http_get_module_loc_conf(r, ngx_http_blog_module);

    return blcf->comments && blcf->comment_conn != NULL;
}


/*
 * From the blog's handler: path is the part of the URI under the location,
 * "posts/SLUG/comments".  NGX_DECLINED when it is not a comment's address.
 */
ngx_int_t
ngx_http_blog_comment_post(ngx_http_request_t *r,
    ngx_http_blog_loc_conf_t *blcf, ngx_str_t *path)
{
    ngx_str_t                 *route, slug;
    ngx_http_blog_ctx_t       *bctx;
    ngx_http_blog_comment_t   *ctx;

    static const char  tail[] = "/comments";

    route = &blcf->route[BLOG_ROUTE_POST];

    if (path->len <= route->len + sizeof(tail) - 1
        || ngx_strncmp(path->data, route->data, route->len) != 0
        || ngx_strncmp(path->data + path->len - (sizeof(tail) - 1), tail,
                       sizeof(tail) - 1) != 0)
    {
        return NGX_DECLINED;
    }

    slug.data = path->data + route->len;
    slug.len = path->len - route->len - (sizeof(tail) - 1);

    if (!blog_slug_valid((char *) slug.data, slug.len)) {
        return NGX_DECLINED;
    }

    if (!blcf->comments || blcf->comment_conn == NULL) {
        return NGX_DECLINED;
    }

    bctx = ngx_pcalloc(r->pool, sizeof(ngx_http_blog_ctx_t));
    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_blog_comment_t));
    if (bctx == NULL || ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->blcf = blcf;
    ctx->slug = slug;
    bctx->comment = ctx;
    ngx_http_set_ctx(r, bctx, ngx_http_blog_module);

    return ngx_http_blog_body_read(r, ngx_http_blog_comment_body);
}


static void
ngx_http_blog_comment_body(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    ngx_http_blog_ctx_t      *bctx;
    ngx_http_blog_comment_t  *ctx;

    bctx = ngx_http_get_module_ctx(r, ngx_http_blog_module);
    ctx = bctx->comment;

    rc = ngx_http_blog_body_parse(r, &ctx->body);

    if (rc == NGX_OK) {
        rc = ngx_http_blog_comment_save(r, ctx);
    }

    ngx_http_finalize_request(r, rc);
}


/* A field's value, "" when missing. */
static void
ngx_http_blog_comment_field(ngx_http_request_t *r,
    ngx_http_blog_comment_t *ctx, const char *name, ngx_str_t *s)
{
    const blog_field_t  *f;

    f = ngx_http_blog_body_field(r, &ctx->body, name);

    s->data = (u_char *) (f ? f->value : "");
    s->len = f ? f->len : 0;
}


static ngx_int_t
ngx_http_blog_comment_save(ngx_http_request_t *r,
    ngx_http_blog_comment_t *ctx)
{
    int                        rc;
    char                      *html;
    u_char                     msg[128], *p;
    u_char                     token[BLOG_TOKEN_LEN + 1];
    u_char                     hash[BLOG_TOKEN_LEN + 1];
    time_t                     retry;
    int64_t                    post, id, now, user;
    ngx_str_t                  name, email, body, trap, key, status;
    ngx_str_t                  commenter;
    ngx_uint_t                 i, trusted;
    sqlite3_stmt              *stmt;
    ngx_http_blog_conn_t      *data;
    ngx_http_blog_loc_conf_t  *blcf;

    blcf = ctx->blcf;
    data = blcf->comment_conn;

    if (ngx_http_blog_conn_ready(data, r->connection->log) != NGX_OK
        || ngx_http_blog_conn_ready(blcf->ttl, r->connection->log) != NGX_OK)
    {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    ngx_http_blog_comment_field(r, ctx, "name", &name);
    ngx_http_blog_comment_field(r, ctx, "email", &email);
    ngx_http_blog_comment_field(r, ctx, "body", &body);
    ngx_http_blog_comment_field(r, ctx, "website", &trap);

    /* the post, published and a post (pages take no comments) */
    stmt = ngx_http_blog_sql(r, data,
               "SELECT id FROM posts WHERE slug = ?1 AND type = 'post'"
               " AND status = 'published'", "t", &ctx->slug);
    if (stmt == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    rc = sqlite3_step(stmt);
    post = (rc == SQLITE_ROW) ? sqlite3_column_int64(stmt, 0) : 0;
    sqlite3_finalize(stmt);

    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        ngx_http_blog_sql_error(r, data, rc, "post");
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (post == 0) {
        return NGX_HTTP_NOT_FOUND;
    }

    if (ctx->body.bad || ctx->body.multipart) {
        return ngx_http_blog_comment_form(r, ctx, NGX_HTTP_BAD_REQUEST,
                                          "The form could not be read.");
    }

    if (trap.len) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "blog comment: honeypot field filled in, dropped");
        return ngx_http_blog_comment_done(r, ctx, 0, 0);
    }

    if (!blog_utf8_valid((char *) name.data, name.len)
        || !blog_utf8_valid((char *) email.data, email.len)
        || !blog_utf8_valid((char *) body.data, body.len))
    {
        return ngx_http_blog_comment_form(r, ctx,
                   NGX_HTTP_BLOG_UNPROCESSABLE,
                   "The comment is not valid UTF-8 text.");
    }

    /* names are one line: no control characters */
    for (i = 0; i < name.len; i++) {
        if (name.data[i] < 0x20 || name.data[i] == 0x7f) {
            name.len = 0;
            break;
        }
    }

    if (name.len == 0) {
        return ngx_http_blog_comment_form(r, ctx,
                   NGX_HTTP_BLOG_UNPROCESSABLE, "Please give your name.");
    }

    if (blog_utf8_chars((char *) name.data, name.len)
        > NGX_HTTP_BLOG_CNAME_MAX)
    {
        return ngx_http_blog_comment_form(r, ctx,
                   NGX_HTTP_BLOG_UNPROCESSABLE,
                   "The name is longer than 100 characters.");
    }

    if (email.len) {
        p = ngx_strlchr(email.data, email.data + email.len, '@');

        for (i = 0; i < email.len; i++) {
            if (email.data[i] <= ' ' || email.data[i] == 0x7f) {
                p = NULL;
            }
        }

        if (p == NULL || p == email.data || p == email.data + email.len - 1
            || blog_utf8_chars((char *) email.data, email.len)
               > NGX_HTTP_BLOG_CEMAIL_MAX)
        {
            return ngx_http_blog_comment_form(r, ctx,
                       NGX_HTTP_BLOG_UNPROCESSABLE,
                       "The e-mail address does not look right (at most "
                       "200 characters, with an @), or leave it empty.");
        }
    }

    for (i = 0; i < body.len && (body.data[i] == ' ' || body.data[i] == '\t'
                                 || body.data[i] == '\r'
                                 || body.data[i] == '\n'); i++)
    {
        /* void */
    }

    if (i == body.len) {
        return ngx_http_blog_comment_form(r, ctx,
                   NGX_HTTP_BLOG_UNPROCESSABLE,
                   "The comment is empty.");
    }

    if (blog_utf8_chars((char *) body.data, body.len)
        > NGX_HTTP_BLOG_CBODY_MAX)
    {
        return ngx_http_blog_comment_form(r, ctx,
                   NGX_HTTP_BLOG_UNPROCESSABLE,
                   "The comment is longer than 10000 characters.");
    }

    if (ngx_http_blog_client_key(r, "comment", &key) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    retry = 0;

    rc = ngx_http_blog_rate_check(r, blcf->ttl, &key, &blcf->comment_limit,
                                  &retry);
    if (rc == NGX_ERROR) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (rc == NGX_DECLINED) {
        ngx_sprintf(msg, "You have posted many comments in a short time. "
                    "Please try again in %T minute%s.%Z", (retry + 59) / 60,
                    (retry + 59) / 60 == 1 ? "" : "s");

        return ngx_http_blog_comment_form(r, ctx, NGX_HTTP_TOO_MANY_REQUESTS,
                                          (char *) msg);
    }

    /* trusted: signed in to the panel, or holding a token it trusts */
    if (ngx_http_blog_signed_in(r, &user) != NGX_OK) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    rc = ngx_http_blog_commenter(r, ctx, token, hash, &trusted);
    if (rc != NGX_OK) {
        return rc;
    }

    trusted = trusted || user != 0;
    commenter.data = hash;
    commenter.len = BLOG_TOKEN_LEN;

    if (blog_markdown_render_comment((char *) body.data, body.len, &html) != 0)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    now = (int64_t) ngx_time();
    ngx_str_set(&status, "pending");
    if (trusted) {
        ngx_str_set(&status, "approved");
    }

    id = 0;

    rc = ngx_http_blog_sql_begin(r, data);

    if (rc == SQLITE_OK) {
        stmt = ngx_http_blog_sql(r, data,
                   "INSERT INTO comments (post_id, author_name, author_email,"
                   "  body_md, body_html, status, address, created_at,"
                   "  updated_at, commenter)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)"
                   " RETURNING id",
                   "itttsttit", post, &name, &email, &body, html, &status,
                   &r->connection->addr_text, now, &commenter);

        rc = stmt ? sqlite3_step(stmt) : SQLITE_ERROR;

        if (rc == SQLITE_ROW) {
            id = sqlite3_column_int64(stmt, 0);
            rc = SQLITE_OK;
        }

        sqlite3_finalize(stmt);
    }

    /* the event: the jobrunner notifies the owner and pushes it live */
    if (rc == SQLITE_OK) {
        rc = ngx_http_blog_sql_exec(r, data,
                 "INSERT INTO job_outbox (kind, dedupe_key, payload,"
                 "  run_after, created_at)"
                 " SELECT 'comment', 'comment:' || id,"
                 "  json_object('comment_id', id, 'post_id', post_id,"
                 "    'slug', ?2, 'status', status, 'name', author_name,"
                 "    'html', body_html, 'created_at', created_at),"
                 "  ?3, ?3"
                 " FROM comments WHERE id = ?1",
                 "iti", id, &ctx->slug, now);
    }

    free(html);

    if (rc == SQLITE_OK) {
        rc = ngx_http_blog_sql_commit(r, data);

    } else {
        ngx_http_blog_sql_error(r, data, rc, "comment");
        ngx_http_blog_sql_rollback(data);
    }

    if (rc != SQLITE_OK) {
        return ngx_http_blog_comment_form(r, ctx,
                   NGX_HTTP_SERVICE_UNAVAILABLE,
                   "The comment could not be saved just now (the database "
                   "is busy). Please send it again.");
    }

    if (ngx_http_blog_rate_add(r, blcf->ttl, &key, &blcf->comment_limit)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "blog comment: the rate limit could not be counted");
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "blog comment %L on \"%V\" stored as %V", id, &ctx->slug,
                  &status);

    /* the token goes back (again) to the browser that holds it */
    if (ngx_http_blog_set_cookie(r, NGX_HTTP_BLOG_COMMENTER_COOKIE, token,
                                 &blcf->prefix, NGX_HTTP_BLOG_COMMENTER_AGE)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    explicit_bzero(token, sizeof(token));

    return ngx_http_blog_comment_done(r, ctx, id, trusted);
}


/*
 * The commenter's token: the one of the request's cookie when this site
 * made it (a stored comment or a trust has its hash), else a new one.
 * token gets the token and hash its SHA-256, BLOG_TOKEN_LEN hex digits
 * each; *trusted whether the panel trusts it.  Returns NGX_OK, or the
 * status to answer (logged).
 */
static ngx_int_t
ngx_http_blog_commenter(ngx_http_request_t *r, ngx_http_blog_comment_t *ctx,
    u_char *token, u_char *hash, ngx_uint_t *trusted)
{
    int                    rc;
    ngx_str_t              cookie, h;
    ngx_uint_t             known;
    sqlite3_stmt          *stmt;
    ngx_http_blog_conn_t  *data;

    data = ctx->blcf->comment_conn;
    *trusted = 0;

    if (ngx_http_blog_get_cookie(r, NGX_HTTP_BLOG_COMMENTER_COOKIE, &cookie)
        == NGX_OK
        && ngx_http_blog_token_valid(&cookie))
    {
        ngx_memcpy(token, cookie.data, BLOG_TOKEN_LEN);
        token[BLOG_TOKEN_LEN] = '\0';
        ngx_http_blog_sha256_hex(token, BLOG_TOKEN_LEN, hash);

        h.data = hash;
        h.len = BLOG_TOKEN_LEN;

        stmt = ngx_http_blog_sql(r, data,
                   "SELECT EXISTS (SELECT 1 FROM trusted_commenters"
                   "               WHERE commenter = ?1),"
                   "       EXISTS (SELECT 1 FROM comments"
                   "               WHERE commenter = ?1)", "t", &h);
        if (stmt == NULL) {
            return NGX_HTTP_SERVICE_UNAVAILABLE;
        }

        rc = sqlite3_step(stmt);
        known = 0;

        if (rc == SQLITE_ROW) {
            *trusted = sqlite3_column_int(stmt, 0) != 0;
            known = *trusted || sqlite3_column_int(stmt, 1) != 0;
        }

        sqlite3_finalize(stmt);

        if (rc != SQLITE_ROW) {
            ngx_http_blog_sql_error(r, data, rc, "commenter");
            return NGX_HTTP_SERVICE_UNAVAILABLE;
        }

        if (known) {
            return NGX_OK;
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "blog comment: a commenter cookie this site did not "
                      "make, replaced");
    }

    if (blog_random_hex((char *) token, BLOG_TOKEN_BYTES) != 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_blog_sha256_hex(token, BLOG_TOKEN_LEN, hash);

    return NGX_OK;
}


/* 303 to the comment, or to the post's note that it awaits moderation. */
static ngx_int_t
ngx_http_blog_comment_done(ngx_http_request_t *r,
    ngx_http_blog_comment_t *ctx, int64_t id, ngx_uint_t approved)
{
    u_char     *p;
    ngx_str_t   to, *route;

    route = &ctx->blcf->route[BLOG_ROUTE_POST];

    to.data = ngx_pnalloc(r->pool, ctx->blcf->prefix.len + route->len
                                   + ctx->slug.len + sizeof("#comment-pending")
                                   + NGX_INT64_LEN);
    if (to.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_sprintf(to.data, "%V%V%V", &ctx->blcf->prefix, route,
                    &ctx->slug);
    p = approved ? ngx_sprintf(p, "#comment-%L", id)
                 : ngx_cpymem(p, "#comment-pending", 16);
    to.len = p - to.data;

    return ngx_http_blog_redirect(r, &to);
}


/*
 * The post's page again, uncached, with the reader's values in the form
 * (escaped like everything else) and what was wrong.
 */
static ngx_int_t
ngx_http_blog_comment_form(ngx_http_request_t *r,
    ngx_http_blog_comment_t *ctx, ngx_uint_t status, const char *error)
{
    u_char                *p;
    ngx_int_t              rc;
    ngx_str_t              path, v, *route;
    ngx_array_t           *vars;
    ngx_http_blog_page_t  *page;

    static const char  *fields[] = { "name", "email", "body" };
    static const char  *names[] = { "comment_name", "comment_email",
                                    "comment_body" };

    ngx_uint_t  i;

    vars = ngx_http_blog_scope_create(r);
    if (vars == NULL
        || ngx_http_blog_scope_cstr(r, vars, "comment_error", error)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < 3; i++) {
        ngx_http_blog_comment_field(r, ctx, fields[i], &v);

        if (ngx_http_blog_scope_str(r, vars, names[i], v.data, v.len)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    route = &ctx->blcf->route[BLOG_ROUTE_POST];
    path.len = route->len + ctx->slug.len;
    path.data = ngx_pnalloc(r->pool, path.len);
    if (path.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(path.data, route->data, route->len);
    ngx_memcpy(p, ctx->slug.data, ctx->slug.len);

    if (ngx_http_blog_db_ready(ctx->blcf->db, r->connection->log)
        != NGX_OK)
    {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    page = ngx_http_blog_page_alloc(&path);
    if (page == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_blog_render_with(r, ctx->blcf, &path, page,
                                   vars->elts, vars->nelts);

    if (rc != NGX_OK || ngx_http_blog_page_hold(r, page) != NGX_OK) {
        ngx_http_blog_page_release(page);
        return rc != NGX_OK ? rc : NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_blog_page_release(page);

    return ngx_http_blog_send_html(r, page->status == NGX_HTTP_OK
                                      ? status : page->status,
                                   page->body, page->len, 0);
}
