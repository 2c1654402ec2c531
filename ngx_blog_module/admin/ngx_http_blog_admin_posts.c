/*
 * Posts and pages in the admin panel: the list, the editor (create, save,
 * preview), delete, revisions with a diff, rollback, and the timer that
 * publishes scheduled posts.
 *
 * Writes go through blog_post.c, the code blogctl uses, so a post saved
 * here has revisions like an imported one.  Each write is one BEGIN
 * IMMEDIATE ... COMMIT.  The editor's form carries the post's updated_at
 * and latest revision number; a save whose post moved on since is refused
 * with a conflict message and the author's text kept, never written over
 * the other editor's.
 */

#include "admin/ngx_http_blog_admin.h"
#include "blog_diff.h"
#include "blog_markdown.h"
#include "blog_path.h"
#include "blog_post.h"
#include "blog_tags.h"


#define NGX_HTTP_BLOG_TITLE_MAX     200         /* characters */
#define NGX_HTTP_BLOG_SUMMARY_MAX   1000
#define NGX_HTTP_BLOG_TAG_MAX       100
#define NGX_HTTP_BLOG_BODY_MAX      (1024 * 1024)   /* bytes */

/* What a save the database did not take says, above the editor. */
#define NGX_HTTP_BLOG_NOT_SAVED                                               \
    "Not saved: the database did not take the change (it may be busy). "      \
    "Your text is below; save again in a moment."


/* What the editor's form says, checked; strings are NUL-terminated. */
typedef struct {
    int64_t                  id;
    ngx_str_t                title;
    ngx_str_t                slug;
    ngx_str_t                type;
    ngx_str_t                status;
    ngx_str_t                published;     /* as typed */
    ngx_str_t                tags;
    ngx_str_t                summary;
    ngx_str_t                body;
    ngx_str_t                base;          /* "updated_at.rev" */
    time_t                   published_at;
    ngx_uint_t               newsletter;    /* mailed when published */
    ngx_array_t             *errors;        /* blog_tpl_ctx_t list items */
} ngx_http_blog_post_form_t;


static ngx_int_t ngx_http_blog_posts_list(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);
static ngx_int_t ngx_http_blog_post_edit(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, int64_t id);
static ngx_int_t ngx_http_blog_post_submit(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, int64_t id);
static ngx_int_t ngx_http_blog_post_write(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_http_blog_post_form_t *pf);
static ngx_int_t ngx_http_blog_post_delete(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, int64_t id);
static ngx_int_t ngx_http_blog_post_revisions(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, int64_t id);
static ngx_int_t ngx_http_blog_post_rollback(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, int64_t id);
static ngx_int_t ngx_http_blog_post_form_read(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_http_blog_post_form_t *pf);
static ngx_int_t ngx_http_blog_post_form_page(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_http_blog_post_form_t *pf,
    ngx_uint_t status, const char *notice, ngx_uint_t preview);
static ngx_int_t ngx_http_blog_post_error(ngx_http_request_t *r,
    ngx_http_blog_post_form_t *pf, const char *text);
static ngx_int_t ngx_http_blog_base(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, int64_t id, ngx_str_t *base);
static time_t ngx_http_blog_parse_datetime(ngx_str_t *s);


/* posts, posts/new, posts/ID, posts/ID/delete|revisions|rollback */
ngx_int_t
ngx_http_blog_admin_posts(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_str_t *rest)
{
    u_char     *slash;
    int64_t     id;
    ngx_str_t   what;
    ngx_uint_t  post;

    post = (r->method == NGX_HTTP_POST);

    if (rest->len == 0) {
        return post ? NGX_HTTP_NOT_ALLOWED
                    : ngx_http_blog_posts_list(r, ctx);
    }

    if (rest->len == 3 && ngx_strncmp(rest->data, "new", 3) == 0) {
        return post ? ngx_http_blog_post_submit(r, ctx, 0)
                    : ngx_http_blog_post_edit(r, ctx, 0);
    }

    slash = ngx_strlchr(rest->data, rest->data + rest->len, '/');

    id = ngx_http_blog_admin_id(rest->data,
                                (slash ? slash : rest->data + rest->len)
                                - rest->data);
    if (id <= 0) {
        return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_NOT_FOUND,
                   "Not found", "There is no such post.");
    }

    if (slash == NULL) {
        return post ? ngx_http_blog_post_submit(r, ctx, id)
                    : ngx_http_blog_post_edit(r, ctx, id);
    }

    what.data = slash + 1;
    what.len = rest->data + rest->len - what.data;

    if (what.len == 6 && ngx_strncmp(what.data, "delete", 6) == 0 && post) {
        return ngx_http_blog_post_delete(r, ctx, id);
    }

    if (what.len == 9 && ngx_strncmp(what.data, "revisions", 9) == 0
        && !post)
    {
        return ngx_http_blog_post_revisions(r, ctx, id);
    }

    if (what.len == 8 && ngx_strncmp(what.data, "rollback", 8) == 0 && post) {
        return ngx_http_blog_post_rollback(r, ctx, id);
    }

    return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_NOT_FOUND,
                                       "Not found",
                                       "The admin panel has no such page.");
}


/* A published one's public address, from its type and slug. */
static ngx_int_t
ngx_http_blog_posts_row(ngx_http_request_t *r, ngx_http_blog_admin_ctx_t *ctx,
    ngx_array_t *item, sqlite3_stmt *stmt)
{
    if (ngx_strcmp(sqlite3_column_text(stmt, 3), "published") != 0) {
        return NGX_OK;
    }

    return ngx_http_blog_admin_link(r, ctx, item, "url",
               ngx_strcmp(sqlite3_column_text(stmt, 7), "post") == 0
               ? &ctx->alcf->blog->route[BLOG_ROUTE_POST]
               : &(ngx_str_t) ngx_null_string,
               sqlite3_column_text(stmt, 1), sqlite3_column_bytes(stmt, 1));
}


static const ngx_http_blog_admin_col_t  ngx_http_blog_posts_cols[] = {
    { "id", NGX_HTTP_BLOG_ACOL_INT },
    { "slug", NGX_HTTP_BLOG_ACOL_TEXT },
    { "title", NGX_HTTP_BLOG_ACOL_TEXT },
    { "status", NGX_HTTP_BLOG_ACOL_TEXT },
    { "published", NGX_HTTP_BLOG_ACOL_TIME },
    { "updated", NGX_HTTP_BLOG_ACOL_TIME },
    { "pending", NGX_HTTP_BLOG_ACOL_COUNT },
    { NULL, NGX_HTTP_BLOG_ACOL_SKIP },
    { NULL, NGX_HTTP_BLOG_ACOL_END }
};

static const ngx_http_blog_admin_list_t  ngx_http_blog_posts_rows = {
    "posts", ngx_http_blog_posts_cols, ngx_http_blog_posts_row, 0
};


static ngx_int_t
ngx_http_blog_posts_list(ngx_http_request_t *r, ngx_http_blog_admin_ctx_t *ctx)
{
    ngx_int_t      rc;
    ngx_str_t      arg;
    const char    *type;
    ngx_array_t   *vars;
    sqlite3_stmt  *stmt;

    type = "post";
    if (ngx_http_arg(r, (u_char *) "type", 4, &arg) == NGX_OK
        && arg.len == 4 && ngx_strncmp(arg.data, "page", 4) == 0)
    {
        type = "page";
    }

    vars = ngx_http_blog_scope_create(r);
    if (vars == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    stmt = ngx_http_blog_sql(r, ctx->alcf->data,
               "SELECT p.id, p.slug, p.title, p.status, p.published_at,"
               "  p.updated_at,"
               "  (SELECT count(*) FROM comments c"
               "    WHERE c.post_id = p.id AND c.status = 'pending'),"
               "  p.type"
               " FROM posts p WHERE p.type = ?1"
               " ORDER BY p.updated_at DESC, p.id DESC",
               "s", type);
    if (stmt == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    rc = ngx_http_blog_admin_list(r, ctx, stmt, &ngx_http_blog_posts_rows,
                                  vars);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_blog_scope_cstr(r, vars, type[1] == 'o' ? "type_post"
                                                        : "type_page",
                                 "1") != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_blog_admin_page(r, ctx, NGX_HTTP_OK, BLOG_ATPL_POSTS,
                                    vars);
}


/* "updated_at.rev" of post id, the editor's guard against lost updates. */
static ngx_int_t
ngx_http_blog_base(ngx_http_request_t *r, ngx_http_blog_admin_ctx_t *ctx,
    int64_t id, ngx_str_t *base)
{
    int            rc;
    sqlite3_stmt  *stmt;

    stmt = ngx_http_blog_sql(r, ctx->alcf->data,
               "SELECT updated_at || '.' || (SELECT coalesce(max(rev), 0)"
               "  FROM revisions WHERE post_id = ?1)"
               " FROM posts WHERE id = ?1", "i", id);
    if (stmt == NULL) {
        return NGX_ERROR;
    }

    rc = sqlite3_step(stmt);

    if (rc == SQLITE_ROW) {
        rc = ngx_http_blog_column(r, stmt, 0, base) == NGX_OK
             ? SQLITE_OK : SQLITE_NOMEM;

    } else if (rc == SQLITE_DONE) {
        sqlite3_finalize(stmt);
        return NGX_DECLINED;
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_OK) {
        ngx_http_blog_sql_error(r, ctx->alcf->data, rc, "post");
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* GET posts/new, posts/ID: the editor with the post's latest revision. */
static ngx_int_t
ngx_http_blog_post_edit(ngx_http_request_t *r, ngx_http_blog_admin_ctx_t *ctx,
    int64_t id)
{
    int                        rc;
    char                      *html, *summary;
    ngx_str_t                  arg;
    sqlite3_stmt              *stmt;
    ngx_http_blog_post_form_t  pf;

    ngx_memzero(&pf, sizeof(ngx_http_blog_post_form_t));
    pf.id = id;
    ngx_str_set(&pf.type, "post");
    ngx_str_set(&pf.status, "draft");
    pf.newsletter = 1;

    if (id == 0) {
        if (ngx_http_arg(r, (u_char *) "type", 4, &arg) == NGX_OK
            && arg.len == 4 && ngx_strncmp(arg.data, "page", 4) == 0)
        {
            ngx_str_set(&pf.type, "page");
        }

        return ngx_http_blog_post_form_page(r, ctx, &pf, NGX_HTTP_OK, NULL,
                                            0);
    }

    rc = ngx_http_blog_base(r, ctx, id, &pf.base);
    if (rc == NGX_DECLINED) {
        return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_NOT_FOUND,
                   "Not found", "There is no such post; it may have been "
                   "deleted.");
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    /* the row, and the tags as the latest revision wrote them */
    stmt = ngx_http_blog_sql(r, ctx->alcf->data,
               "SELECT p.title, p.slug, p.type, p.status, p.published_at,"
               "  p.summary, p.body_md,"
               "  coalesce((SELECT tags FROM revisions WHERE post_id = p.id"
               "    ORDER BY rev DESC LIMIT 1), ''), p.newsletter"
               " FROM posts p WHERE p.id = ?1", "i", id);
    if (stmt == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    rc = sqlite3_step(stmt);

    if (rc != SQLITE_ROW) {
        sqlite3_finalize(stmt);
        ngx_http_blog_sql_error(r, ctx->alcf->data, rc, "post");
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (ngx_http_blog_column(r, stmt, 0, &pf.title) != NGX_OK
        || ngx_http_blog_column(r, stmt, 1, &pf.slug) != NGX_OK
        || ngx_http_blog_column(r, stmt, 2, &pf.type) != NGX_OK
        || ngx_http_blog_column(r, stmt, 3, &pf.status) != NGX_OK
        || ngx_http_blog_column(r, stmt, 5, &pf.summary) != NGX_OK
        || ngx_http_blog_column(r, stmt, 6, &pf.body) != NGX_OK
        || ngx_http_blog_column(r, stmt, 7, &pf.tags) != NGX_OK)
    {
        sqlite3_finalize(stmt);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    pf.published_at = (time_t) sqlite3_column_int64(stmt, 4);
    pf.newsletter = sqlite3_column_int(stmt, 8) != 0;
    sqlite3_finalize(stmt);

    /* a summary derived from the body shows as empty: it follows edits */
    if (blog_markdown_render((char *) pf.body.data, pf.body.len, &html,
                             &summary) != 0)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_strcmp(summary, pf.summary.data) == 0) {
        pf.summary.len = 0;
    }

    free(html);
    free(summary);

    return ngx_http_blog_post_form_page(r, ctx, &pf, NGX_HTTP_OK, NULL, 0);
}


static ngx_int_t
ngx_http_blog_post_error(ngx_http_request_t *r, ngx_http_blog_post_form_t *pf,
    const char *text)
{
    ngx_array_t  *item;

    if (pf->errors == NULL) {
        pf->errors = ngx_array_create(r->pool, 4, sizeof(blog_tpl_ctx_t));
        if (pf->errors == NULL) {
            return NGX_ERROR;
        }
    }

    item = ngx_http_blog_scope_item(r->pool, pf->errors, 8);
    if (item == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_blog_scope_cstr(r, item, "text", text);
}


/* A form field as a NUL-terminated string, "" when missing. */
static void
ngx_http_blog_post_field(ngx_http_request_t *r, ngx_http_blog_admin_ctx_t *ctx,
    const char *name, ngx_str_t *s)
{
    const blog_field_t  *f;

    f = ngx_http_blog_body_field(r, &ctx->body, name);

    if (f == NULL) {
        s->data = (u_char *) "";
        s->len = 0;
        return;
    }

    s->data = (u_char *) f->value;
    s->len = f->len;
}


/* Whether s has no control characters but tab (and line breaks if nl). */
static ngx_uint_t
ngx_http_blog_plain(ngx_str_t *s, ngx_uint_t nl)
{
    size_t  i;

    for (i = 0; i < s->len; i++) {
        if ((s->data[i] < 0x20 && s->data[i] != '\t'
             && !(nl && (s->data[i] == '\n' || s->data[i] == '\r')))
            || s->data[i] == 0x7f)
        {
            return 0;
        }
    }

    return 1;
}


/*
 * Reads and checks the editor's fields into pf; every problem found is
 * added to pf->errors, in the order of the form.  NGX_ERROR: no memory.
 */
static ngx_int_t
ngx_http_blog_post_form_read(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_http_blog_post_form_t *pf)
{
    u_char      *p, *q, *end, *comma, *slug;
    size_t       n;
    ngx_str_t    name;
    ngx_uint_t   bad;

    ngx_http_blog_post_field(r, ctx, "title", &pf->title);
    ngx_http_blog_post_field(r, ctx, "slug", &pf->slug);
    ngx_http_blog_post_field(r, ctx, "type", &pf->type);
    ngx_http_blog_post_field(r, ctx, "status", &pf->status);
    ngx_http_blog_post_field(r, ctx, "published", &pf->published);
    ngx_http_blog_post_field(r, ctx, "tags", &pf->tags);
    ngx_http_blog_post_field(r, ctx, "summary", &pf->summary);
    ngx_http_blog_post_field(r, ctx, "body", &pf->body);
    ngx_http_blog_post_field(r, ctx, "base", &pf->base);

    /* a checkbox: sent when checked, absent when not */
    ngx_http_blog_post_field(r, ctx, "newsletter", &name);
    pf->newsletter = name.len != 0;

#define ngx_http_blog_fail(text)                                              \
    if (ngx_http_blog_post_error(r, pf, text) != NGX_OK) {                    \
        return NGX_ERROR;                                                     \
    }

    /* the form the panel sends is UTF-8: anything else is refused whole */
    if (!blog_utf8_valid((char *) pf->title.data, pf->title.len)
        || !blog_utf8_valid((char *) pf->tags.data, pf->tags.len)
        || !blog_utf8_valid((char *) pf->summary.data, pf->summary.len)
        || !blog_utf8_valid((char *) pf->body.data, pf->body.len))
    {
        ngx_http_blog_fail("The text is not valid UTF-8.");
        return NGX_OK;
    }

    if (pf->title.len == 0) {
        ngx_http_blog_fail("The title is required.");

    } else if (blog_utf8_chars((char *) pf->title.data, pf->title.len)
               > NGX_HTTP_BLOG_TITLE_MAX
               || !ngx_http_blog_plain(&pf->title, 0))
    {
        ngx_http_blog_fail("The title must be one line of at most 200 "
                           "characters.");
    }

    /* no slug: one made from the title, as tags get theirs */
    if (pf->slug.len == 0 && pf->title.len) {
        slug = ngx_pnalloc(r->pool, pf->title.len + 1);
        if (slug == NULL) {
            return NGX_ERROR;
        }

        n = blog_tag_slug((char *) pf->title.data, pf->title.len,
                          (char *) slug);
        while (n > BLOG_SLUG_MAX || (n && slug[n - 1] == '-')) {
            slug[--n] = '\0';
        }

        pf->slug.data = slug;
        pf->slug.len = n;
    }

    if (!blog_slug_valid((char *) pf->slug.data, pf->slug.len)) {
        ngx_http_blog_fail("The slug (the post's address) must be a-z, 0-9 "
                           "and \"-\", starting with a letter or digit, at "
                           "most 200 characters.");
    }

    if (!(pf->type.len == 4
          && (ngx_strcmp(pf->type.data, "post") == 0
              || ngx_strcmp(pf->type.data, "page") == 0)))
    {
        ngx_http_blog_fail("The type must be post or page.");
        ngx_str_set(&pf->type, "post");
    }

    if (!((pf->status.len == 5 && ngx_strcmp(pf->status.data, "draft") == 0)
          || (pf->status.len == 9
              && ngx_strcmp(pf->status.data, "published") == 0)
          || (pf->status.len == 9
              && ngx_strcmp(pf->status.data, "scheduled") == 0)))
    {
        ngx_http_blog_fail("The status must be draft, published or "
                           "scheduled.");
        ngx_str_set(&pf->status, "draft");
    }

    pf->published_at = 0;

    if (pf->published.len) {
        pf->published_at = ngx_http_blog_parse_datetime(&pf->published);
        if (pf->published_at <= 0) {
            ngx_http_blog_fail("The publication time must be a date and "
                               "time, e.g. 2026-10-03T08:30 (UTC).");
            pf->published_at = 0;
        }
    }

    if (pf->status.data[0] == 's' && pf->published_at <= ngx_time()) {
        ngx_http_blog_fail("A scheduled post needs a publication time in "
                           "the future.");
    }

    if (blog_utf8_chars((char *) pf->summary.data, pf->summary.len)
        > NGX_HTTP_BLOG_SUMMARY_MAX || !ngx_http_blog_plain(&pf->summary, 1))
    {
        ngx_http_blog_fail("The summary is plain text of at most 1000 "
                           "characters.");
    }

    if (pf->body.len > NGX_HTTP_BLOG_BODY_MAX) {
        ngx_http_blog_fail("The text is longer than 1 MB.");
    }

    /*
     * Tags: names separated by commas, stored as revisions keep them,
     * "a,b"; each needs a letter or digit for its slug.
     */
    bad = 0;
    p = pf->tags.data;
    end = p + pf->tags.len;
    q = ngx_pnalloc(r->pool, pf->tags.len + 1);
    slug = ngx_pnalloc(r->pool, pf->tags.len + 1);
    if (q == NULL || slug == NULL) {
        return NGX_ERROR;
    }

    name.data = q;

    while (p < end) {
        comma = ngx_strlchr(p, end, ',');
        if (comma == NULL) {
            comma = end;
        }

        while (p < comma && (*p == ' ' || *p == '\t')) {
            p++;
        }

        n = comma - p;
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) {
            n--;
        }

        if (n) {
            if (n > NGX_HTTP_BLOG_TAG_MAX
                || blog_tag_slug((char *) p, n, (char *) slug) == 0
                || !ngx_http_blog_plain(&(ngx_str_t) { n, p }, 0))
            {
                bad = 1;
            }

            if (q > name.data) {
                *q++ = ',';
            }

            q = ngx_cpymem(q, p, n);
        }

        p = comma + 1;
    }

    *q = '\0';
    name.len = q - name.data;
    pf->tags = name;

    if (bad) {
        ngx_http_blog_fail("Each tag needs a letter or digit and at most 100 "
                           "characters; separate tags with commas.");
    }

#undef ngx_http_blog_fail

    return NGX_OK;
}


/* "YYYY-MM-DDTHH:MM[:SS]" (datetime-local, taken as UTC); 0 if not. */
static time_t
ngx_http_blog_parse_datetime(ngx_str_t *s)
{
    int         v[6], i, k, len[6] = { 4, 2, 2, 2, 2, 2 };
    u_char     *p, *end;
    struct tm   tm;

    static const char  sep[] = "-- :: ";

    p = s->data;
    end = s->data + s->len;

    for (i = 0; i < 6; i++) {
        if (i == 5 && p == end) {
            v[5] = 0;
            break;
        }

        if (i > 0) {
            if (p == end || (*p != sep[i - 1] && !(i == 3 && *p == 'T'))) {
                return 0;
            }

            p++;
        }

        v[i] = 0;

        for (k = 0; k < len[i]; k++, p++) {
            if (p == end || *p < '0' || *p > '9') {
                return 0;
            }

            v[i] = v[i] * 10 + (*p - '0');
        }
    }

    if (p != end || v[0] < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1
        || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 59)
    {
        return 0;
    }

    ngx_memzero(&tm, sizeof(struct tm));
    tm.tm_year = v[0] - 1900;
    tm.tm_mon = v[1] - 1;
    tm.tm_mday = v[2];
    tm.tm_hour = v[3];
    tm.tm_min = v[4];
    tm.tm_sec = v[5];

    return timegm(&tm);
}


/* POST posts/new, posts/ID: preview, or save. */
static ngx_int_t
ngx_http_blog_post_submit(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, int64_t id)
{
    ngx_str_t                  action;
    ngx_http_blog_post_form_t  pf;

    ngx_memzero(&pf, sizeof(ngx_http_blog_post_form_t));
    pf.id = id;

    if (ngx_http_blog_post_form_read(r, ctx, &pf) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_blog_post_field(r, ctx, "action", &action);

    if (action.len == 7 && ngx_strcmp(action.data, "preview") == 0) {
        return ngx_http_blog_post_form_page(r, ctx, &pf, NGX_HTTP_OK, NULL,
                                            1);
    }

    if (pf.errors) {
        return ngx_http_blog_post_form_page(r, ctx, &pf,
                                            NGX_HTTP_BLOG_UNPROCESSABLE,
                                            NULL, 0);
    }

    return ngx_http_blog_post_write(r, ctx, &pf);
}


/* One transaction: conflict check, the post, its tags, a revision. */
static ngx_int_t
ngx_http_blog_post_write(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_http_blog_post_form_t *pf)
{
    int                    rc, rev, same;
    char                  *html, *summary, *origin;
    int64_t                id;
    ngx_int_t              found;
    ngx_str_t              base;
    blog_state_t           st, old;
    sqlite3_stmt          *stmt;
    ngx_http_blog_conn_t  *data;

    data = ctx->alcf->data;
    id = pf->id;

    if (blog_markdown_render((char *) pf->body.data, pf->body.len, &html,
                             &summary) != 0)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    st.type = (char *) pf->type.data;
    st.title = (char *) pf->title.data;
    st.summary = pf->summary.len ? (char *) pf->summary.data : summary;
    st.body_md = (char *) pf->body.data;
    st.status = (char *) pf->status.data;
    st.tags = (char *) pf->tags.data;
    st.has_published = pf->published_at != 0;
    st.published_at = pf->published_at;
    st.newsletter = (int) pf->newsletter;

    origin = NULL;
    stmt = NULL;

    rc = ngx_http_blog_sql_begin(r, data);
    if (rc != SQLITE_OK) {
        goto failed;
    }

    if (id) {
        found = ngx_http_blog_base(r, ctx, id, &base);

        if (found == NGX_DECLINED) {
            ngx_http_blog_sql_rollback(data);
            free(html);
            free(summary);
            return ngx_http_blog_post_form_page(r, ctx, pf, NGX_HTTP_CONFLICT,
                       "This post was deleted by someone else while you "
                       "edited it. Your text is below: copy it, or save it "
                       "as a new post.", 0);
        }

        if (found != NGX_OK) {
            rc = SQLITE_ERROR;
            goto failed;
        }

        if (base.len != pf->base.len
            || ngx_strncmp(base.data, pf->base.data, base.len) != 0)
        {
            ngx_http_blog_sql_rollback(data);
            free(html);
            free(summary);

            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "blog admin: edit conflict on post %L", id);

            return ngx_http_blog_post_form_page(r, ctx, pf, NGX_HTTP_CONFLICT,
                       "Conflict: someone else saved this post after you "
                       "opened it, and nothing was saved. Your text is below; "
                       "open the post again in another tab to see theirs, "
                       "merge, and save from there.", 0);
        }

        /* a published post keeps its date unless the form gives one */
        if (!st.has_published && st.status[0] == 'p') {
            stmt = ngx_http_blog_sql(r, data,
                       "SELECT published_at FROM posts WHERE id = ?1", "i",
                       id);
            if (stmt == NULL) {
                rc = SQLITE_ERROR;
                goto failed;
            }

            if (sqlite3_step(stmt) == SQLITE_ROW
                && sqlite3_column_type(stmt, 0) != SQLITE_NULL)
            {
                st.has_published = 1;
                st.published_at = sqlite3_column_int64(stmt, 0);
            }

            sqlite3_finalize(stmt);
            stmt = NULL;
        }

        /* saving what is already there would only add a revision */
        rev = 0;
        rc = blog_revision_read(data->db, id, &rev, &stmt, &old);
        same = (rc == SQLITE_OK && blog_state_equal(&st, &old));
        sqlite3_finalize(stmt);
        stmt = NULL;

        if (rc != SQLITE_OK && rc != SQLITE_NOTFOUND) {
            goto failed;
        }

        if (same) {
            stmt = ngx_http_blog_sql(r, data,
                       "SELECT 1 FROM posts WHERE id = ?1 AND slug = ?2",
                       "it", id, &pf->slug);
            same = (stmt != NULL && sqlite3_step(stmt) == SQLITE_ROW);
            sqlite3_finalize(stmt);
            stmt = NULL;
        }

        if (same) {
            ngx_http_blog_sql_rollback(data);
            free(html);
            free(summary);
            return ngx_http_blog_go(r, ctx, "posts/%L", id, "unchanged");
        }
    }

    if (!st.has_published && st.status[0] == 'p') {
        st.has_published = 1;
        st.published_at = ngx_time();
    }

    origin = sqlite3_mprintf("admin:%.*s", (int) ctx->user_name.len,
                             ctx->user_name.data);
    if (origin == NULL) {
        rc = SQLITE_NOMEM;
        goto failed;
    }

    rc = blog_post_save(data->db, NULL, &id, (char *) pf->slug.data, NULL,
                        &st, html, origin, ngx_time(), &rev);

    if (rc == SQLITE_CONSTRAINT_UNIQUE) {
        ngx_http_blog_sql_rollback(data);
        sqlite3_free(origin);
        free(html);
        free(summary);

        if (ngx_http_blog_post_error(r, pf, "Another post or page has this "
                                     "slug already: choose another.")
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_blog_post_form_page(r, ctx, pf,
                                            NGX_HTTP_BLOG_UNPROCESSABLE,
                                            NULL, 0);
    }

    if (rc == SQLITE_OK) {
        rc = blog_tags_prune(data->db);
    }

    if (rc != SQLITE_OK) {
        goto failed;
    }

    rc = ngx_http_blog_sql_commit(r, data);

    sqlite3_free(origin);
    free(html);
    free(summary);

    if (rc != SQLITE_OK) {
        return ngx_http_blog_post_form_page(r, ctx, pf,
                   NGX_HTTP_SERVICE_UNAVAILABLE, NGX_HTTP_BLOG_NOT_SAVED, 0);
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "blog admin: \"%V\" saved post %L as revision %d",
                  &ctx->user_name, id, rev);

    return ngx_http_blog_go(r, ctx, "posts/%L", id,
                            pf->id ? "saved" : "created");

failed:

    if (rc != SQLITE_OK && data->db) {
        ngx_http_blog_sql_error(r, data, rc, "save");
    }

    sqlite3_finalize(stmt);
    ngx_http_blog_sql_rollback(data);
    sqlite3_free(origin);
    free(html);
    free(summary);

    /* the editor again, with the text: nothing typed is lost */
    return ngx_http_blog_post_form_page(r, ctx, pf,
                                        NGX_HTTP_SERVICE_UNAVAILABLE,
                                        NGX_HTTP_BLOG_NOT_SAVED, 0);
}


/* 303 to admin + fmt (with id) + "?done=" + done. */
ngx_int_t
ngx_http_blog_go(ngx_http_request_t *r, ngx_http_blog_admin_ctx_t *ctx,
    const char *fmt, int64_t id, const char *done)
{
    u_char     *p;
    ngx_str_t   to;

    p = ngx_pnalloc(r->pool, ctx->alcf->prefix.len + ngx_strlen(fmt)
                             + NGX_INT64_LEN + sizeof("?done=")
                             + ngx_strlen(done));
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    to.data = p;
    p = ngx_cpymem(p, ctx->alcf->prefix.data, ctx->alcf->prefix.len);
    p = ngx_sprintf(p, fmt, id);
    p = ngx_sprintf(p, "?done=%s", done);
    to.len = p - to.data;

    return ngx_http_blog_redirect(r, &to);
}


/* The editor, filled from pf; preview adds the rendered body. */
static ngx_int_t
ngx_http_blog_post_form_page(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_http_blog_post_form_t *pf,
    ngx_uint_t status, const char *notice, ngx_uint_t preview)
{
    char                      *html;
    u_char                    *url;
    ngx_array_t               *vars;
    ngx_http_blog_loc_conf_t  *blog;

    blog = ctx->alcf->blog;

    vars = ngx_http_blog_scope_create(r);
    if (vars == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

#define ngx_http_blog_put(name, s)                                            \
    ngx_http_blog_scope_str(r, vars, name, (s)->data, (s)->len) != NGX_OK

    if ((pf->id && ngx_http_blog_scope_int(r, vars, "id", pf->id) != NGX_OK)
        || ngx_http_blog_put("title", &pf->title)
        || ngx_http_blog_put("slug", &pf->slug)
        || ngx_http_blog_put("tags", &pf->tags)
        || ngx_http_blog_put("summary", &pf->summary)
        || ngx_http_blog_put("body", &pf->body)
        || ngx_http_blog_put("base", &pf->base)
        || ngx_http_blog_put("published", &pf->published)
        || ngx_http_blog_scope_cstr(r, vars,
                                    pf->type.data[1] == 'a' ? "type_page"
                                                           : "type_post",
                                    "1") != NGX_OK
        || ngx_http_blog_scope_cstr(r, vars,
                                    pf->status.data[0] == 'p'
                                    ? "status_published"
                                    : pf->status.data[0] == 's'
                                    ? "status_scheduled" : "status_draft",
                                    "1") != NGX_OK
        || (pf->published.len == 0 && pf->published_at
            && ngx_http_blog_scope_time(r, vars, "published_at",
                                        pf->published_at) != NGX_OK)
        || (pf->newsletter
            && ngx_http_blog_scope_cstr(r, vars, "newsletter", "1")
               != NGX_OK)
        || (notice && ngx_http_blog_scope_cstr(r, vars, "notice", notice)
                      != NGX_OK)
        || (pf->errors && ngx_http_blog_scope_list(vars, "errors", pf->errors)
                          != NGX_OK))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

#undef ngx_http_blog_put

    /* the public address of a published post, to look at it */
    if (pf->id && pf->status.data[0] == 'p' && pf->slug.len) {
        url = ngx_pnalloc(r->pool, blog->prefix.len
                                   + blog->route[BLOG_ROUTE_POST].len
                                   + pf->slug.len + 1);
        if (url == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_sprintf(url, "%V%V%V%Z", &blog->prefix,
                    pf->type.data[1] == 'o' ? &blog->route[BLOG_ROUTE_POST]
                                            : &(ngx_str_t) ngx_null_string,
                    &pf->slug);

        if (ngx_http_blog_scope_cstr(r, vars, "url", (char *) url) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (preview) {
        if (blog_markdown_render((char *) pf->body.data, pf->body.len, &html,
                                 NULL) != 0)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (ngx_http_blog_scope_trusted(r, vars, "preview_html",
                                        (u_char *) html, ngx_strlen(html))
            != NGX_OK
            || ngx_http_blog_scope_cstr(r, vars, "preview", "1") != NGX_OK)
        {
            free(html);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        free(html);
    }

    return ngx_http_blog_admin_page(r, ctx, status, BLOG_ATPL_EDIT, vars);
}


/* POST preview: the editor's script shows the rendered body as it is. */
ngx_int_t
ngx_http_blog_admin_preview(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx)
{
    char       *html;
    ngx_str_t   body;

    ngx_http_blog_post_field(r, ctx, "body", &body);

    if (body.len > NGX_HTTP_BLOG_BODY_MAX
        || !blog_utf8_valid((char *) body.data, body.len))
    {
        return ngx_http_blog_admin_message(r, ctx,
                   NGX_HTTP_BLOG_UNPROCESSABLE, "No preview",
                   "The text is not valid UTF-8, or longer than 1 MB.");
    }

    if (blog_markdown_render((char *) body.data, body.len, &html, NULL) != 0)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* cmark's safe output: the same markup the post page will show */
    return ngx_http_blog_send_html(r, NGX_HTTP_OK, (u_char *) html,
                                   ngx_strlen(html), 1);
}


static ngx_int_t
ngx_http_blog_post_delete(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, int64_t id)
{
    int                    rc;
    ngx_http_blog_conn_t  *data;

    data = ctx->alcf->data;

    rc = ngx_http_blog_sql_begin(r, data);

    if (rc == SQLITE_OK) {
        rc = blog_post_delete(data->db, id);

        if (rc == SQLITE_OK) {
            rc = ngx_http_blog_sql_commit(r, data);

        } else {
            if (rc != SQLITE_NOTFOUND) {
                ngx_http_blog_sql_error(r, data, rc, "delete");
            }

            ngx_http_blog_sql_rollback(data);
        }
    }

    if (rc == SQLITE_NOTFOUND) {
        return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_NOT_FOUND,
                   "Not found", "There is no such post; it may have been "
                   "deleted already.");
    }

    if (rc != SQLITE_OK) {
        return ngx_http_blog_admin_message(r, ctx,
                   NGX_HTTP_SERVICE_UNAVAILABLE, "Not deleted",
                   "The database did not take the change (it may be busy). "
                   "Try again.");
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "blog admin: \"%V\" deleted post %L", &ctx->user_name, id);

    return ngx_http_blog_go(r, ctx, "posts", id, "deleted");
}


/* GET posts/ID/revisions[?rev=N]: the list, and N against N - 1. */
static ngx_int_t
ngx_http_blog_post_revisions(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, int64_t id)
{
    int                rc, want;
    size_t             i, n;
    ngx_str_t          arg, title, older, newer;
    ngx_array_t       *vars, items, lines, *item;
    sqlite3_stmt      *stmt;
    blog_diff_line_t  *d;

    want = 0;

    if (ngx_http_arg(r, (u_char *) "rev", 3, &arg) == NGX_OK) {
        want = (int) ngx_http_blog_admin_id(arg.data, ngx_min(arg.len, 9));
    }

    vars = ngx_http_blog_scope_create(r);
    if (vars == NULL
        || ngx_array_init(&items, r->pool, 16, sizeof(blog_tpl_ctx_t))
           != NGX_OK
        || ngx_array_init(&lines, r->pool, 64, sizeof(blog_tpl_ctx_t))
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    stmt = ngx_http_blog_sql(r, ctx->alcf->data,
               "SELECT title FROM posts WHERE id = ?1", "i", id);
    if (stmt == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW && ngx_http_blog_column(r, stmt, 0, &title) != NGX_OK)
    {
        rc = SQLITE_NOMEM;
    }

    sqlite3_finalize(stmt);

    if (rc == SQLITE_DONE) {
        return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_NOT_FOUND,
                   "Not found", "There is no such post.");
    }

    if (rc != SQLITE_ROW) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    stmt = ngx_http_blog_sql(r, ctx->alcf->data,
               "SELECT rev, created_at, status, title, origin"
               " FROM revisions WHERE post_id = ?1 ORDER BY rev DESC",
               "i", id);
    if (stmt == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        item = ngx_http_blog_scope_item(r->pool, &items, 8);
        if (item == NULL
            || ngx_http_blog_scope_int(r, item, "rev",
                                       sqlite3_column_int64(stmt, 0)) != NGX_OK
            || ngx_http_blog_scope_time(r, item, "created",
                                        sqlite3_column_int64(stmt, 1))
               != NGX_OK
            || ngx_http_blog_scope_column(r, item, "status", stmt, 2) != NGX_OK
            || ngx_http_blog_scope_column(r, item, "title", stmt, 3) != NGX_OK
            || ngx_http_blog_scope_column(r, item, "origin", stmt, 4)
               != NGX_OK
            || (sqlite3_column_int(stmt, 0) == want
                && ngx_http_blog_scope_cstr(r, item, "selected", "1")
                   != NGX_OK))
        {
            sqlite3_finalize(stmt);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        ngx_http_blog_sql_error(r, ctx->alcf->data, rc, "revisions");
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    /* the Markdown of revision want, and of the one before it */
    if (want) {
        older.len = 0;
        older.data = (u_char *) "";
        newer = older;

        stmt = ngx_http_blog_sql(r, ctx->alcf->data,
                   "SELECT rev, body_md FROM revisions"
                   " WHERE post_id = ?1 AND rev IN (?2, ?2 - 1)",
                   "ii", id, (int64_t) want);
        if (stmt == NULL) {
            return NGX_HTTP_SERVICE_UNAVAILABLE;
        }

        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            if (ngx_http_blog_column(r, stmt, 1,
                                     sqlite3_column_int(stmt, 0) == want
                                     ? &newer : &older) != NGX_OK)
            {
                sqlite3_finalize(stmt);
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }

        sqlite3_finalize(stmt);

        if (rc != SQLITE_DONE) {
            return NGX_HTTP_SERVICE_UNAVAILABLE;
        }

        if (blog_diff_lines((char *) older.data, older.len,
                            (char *) newer.data, newer.len, &d, &n) != 0)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        for (i = 0; i < n; i++) {
            item = ngx_http_blog_scope_item(r->pool, &lines, 8);
            if (item == NULL
                || ngx_http_blog_scope_str(r, item, "line",
                                           (u_char *) d[i].line, d[i].len)
                   != NGX_OK
                || ngx_http_blog_scope_cstr(r, item, d[i].op == '+' ? "added"
                                            : d[i].op == '-' ? "removed"
                                            : "same", "1") != NGX_OK)
            {
                free(d);
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }

        free(d);

        if (ngx_http_blog_scope_int(r, vars, "rev", want) != NGX_OK
            || ngx_http_blog_scope_int(r, vars, "prev", want - 1) != NGX_OK
            || ngx_http_blog_scope_list(vars, "diff", &lines) != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (ngx_http_blog_scope_int(r, vars, "id", id) != NGX_OK
        || ngx_http_blog_scope_str(r, vars, "title", title.data, title.len)
           != NGX_OK
        || ngx_http_blog_scope_list(vars, "revisions", &items) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_blog_admin_page(r, ctx, NGX_HTTP_OK, BLOG_ATPL_REVISIONS,
                                    vars);
}


/* POST posts/ID/rollback, rev=N: blogctl's rollback, from the panel. */
static ngx_int_t
ngx_http_blog_post_rollback(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, int64_t id)
{
    int                    rc, rev, new_rev;
    ngx_str_t              v;
    ngx_http_blog_conn_t  *data;

    data = ctx->alcf->data;

    ngx_http_blog_post_field(r, ctx, "rev", &v);
    rev = (int) ngx_http_blog_admin_id(v.data, ngx_min(v.len, 9));

    rc = ngx_http_blog_sql_begin(r, data);

    if (rc == SQLITE_OK) {
        rc = blog_post_rollback(data->db, id, rev, ngx_time(), &new_rev);

        if (rc == SQLITE_OK) {
            rc = ngx_http_blog_sql_commit(r, data);

        } else {
            if (rc != SQLITE_NOTFOUND) {
                ngx_http_blog_sql_error(r, data, rc, "rollback");
            }

            ngx_http_blog_sql_rollback(data);
        }
    }

    if (rc == SQLITE_NOTFOUND) {
        return ngx_http_blog_admin_message(r, ctx, NGX_HTTP_NOT_FOUND,
                   "Not found", "The post has no such revision.");
    }

    if (rc != SQLITE_OK) {
        return ngx_http_blog_admin_message(r, ctx,
                   NGX_HTTP_SERVICE_UNAVAILABLE, "Not rolled back",
                   "The database did not take the change (it may be busy). "
                   "Try again.");
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "blog admin: \"%V\" rolled post %L back to revision %d "
                  "as %d", &ctx->user_name, id, rev, new_rev);

    return ngx_http_blog_go(r, ctx, "posts/%L", id, "rolledback");
}


/*
 * Every second, in one worker: publishes the scheduled posts whose time has
 * come, through each panel's connection (one short transaction when there
 * is something to do, a read of an index otherwise).
 */
void
ngx_http_blog_publish_timer(ngx_event_t *ev)
{
    int                                rc, n;
    ngx_uint_t                         i;
    sqlite3_stmt                      *stmt;
    ngx_http_blog_conn_t              *data;
    ngx_http_blog_admin_loc_conf_t   **adm;
    ngx_http_blog_admin_main_conf_t   *amcf;

    amcf = ev->data;
    adm = amcf->admins.elts;

    for (i = 0; i < amcf->admins.nelts; i++) {
        data = adm[i]->data;

        /* two panels of one file share the connection: once is enough */
        if (i > 0 && data == adm[i - 1]->data) {
            continue;
        }

        if (ngx_http_blog_conn_ready(data, ev->log) != NGX_OK) {
            continue;
        }

        rc = sqlite3_prepare_v2(data->db,
                 "SELECT 1 FROM posts WHERE status = 'scheduled'"
                 " AND published_at <= ?1 LIMIT 1", -1, &stmt, NULL);
        if (rc != SQLITE_OK) {
            continue;
        }

        rc = sqlite3_bind_int64(stmt, 1, (int64_t) ngx_time());
        if (rc == SQLITE_OK) {
            rc = sqlite3_step(stmt);
        }

        sqlite3_finalize(stmt);

        if (rc != SQLITE_ROW) {
            continue;
        }

        rc = sqlite3_exec(data->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (rc == SQLITE_OK) {
            rc = blog_post_publish_due(data->db, ngx_time(), &n);
        }

        if (rc == SQLITE_OK) {
            rc = sqlite3_exec(data->db, "COMMIT", NULL, NULL, NULL);
        }

        if (rc != SQLITE_OK) {
            ngx_log_error(NGX_LOG_ERR, ev->log, 0, "blog database \"%V\": "
                          "publishing scheduled posts failed: %s",
                          &data->path, sqlite3_errmsg(data->db));
            ngx_http_blog_sql_rollback(data);
            continue;
        }

        ngx_log_error(NGX_LOG_NOTICE, ev->log, 0, "blog database \"%V\": "
                      "%d scheduled post%s published", &data->path, n,
                      n == 1 ? "" : "s");
    }

    if (!ngx_exiting && !ngx_terminate && !ngx_quit) {
        ngx_add_timer(ev, 1000);
    }
}
