/*
 * Responses of the admin panel and the comment form: template scopes built
 * from rows and form values, rendering, redirects, and the headers every
 * panel page carries.
 *
 * Scopes are ngx_array_t of blog_tpl_var_t in the request pool; a list's
 * items hold their ngx_array_t in "vars" until ngx_http_blog_scope_list()
 * turns them into scopes, since pushing may move the elements.  Every
 * value is BLOG_TPL_TEXT, escaped by the engine, except rendered Markdown.
 */

#include "admin/ngx_http_blog_admin.h"


ngx_array_t *
ngx_http_blog_view(ngx_http_request_t *r)
{
    return ngx_array_create(r->pool, 32, sizeof(blog_tpl_var_t));
}


static ngx_int_t
ngx_http_blog_view_push(ngx_array_t *vars, const char *name,
    blog_tpl_type_e type, const u_char *data, size_t len)
{
    blog_tpl_var_t  *v;

    v = ngx_array_push(vars);
    if (v == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(v, sizeof(blog_tpl_var_t));
    v->name = name;
    v->type = type;
    v->str = (const char *) data;
    v->len = len;

    return NGX_OK;
}


/* Copies data: form values and SQLite's text do not live long enough. */
ngx_int_t
ngx_http_blog_view_str(ngx_http_request_t *r, ngx_array_t *vars,
    const char *name, const u_char *data, size_t len)
{
    u_char  *p;

    p = NULL;

    if (len) {
        p = ngx_pnalloc(r->pool, len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(p, data, len);
    }

    return ngx_http_blog_view_push(vars, name, BLOG_TPL_TEXT, p, len);
}


/* A string that lives as long as the request: a literal or pool memory. */
ngx_int_t
ngx_http_blog_view_cstr(ngx_http_request_t *r, ngx_array_t *vars,
    const char *name, const char *s)
{
    return ngx_http_blog_view_push(vars, name, BLOG_TPL_TEXT,
                                   (const u_char *) s, ngx_strlen(s));
}


ngx_int_t
ngx_http_blog_view_int(ngx_http_request_t *r, ngx_array_t *vars,
    const char *name, int64_t n)
{
    u_char  *p, *last;

    p = ngx_pnalloc(r->pool, NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    last = ngx_sprintf(p, "%L", n);

    return ngx_http_blog_view_push(vars, name, BLOG_TPL_TEXT, p, last - p);
}


/*
 * "name" as "2026-11-22 21:25 UTC", and "name_input" as a datetime-local
 * form value, "2026-11-22T21:25"; nothing for 0 (no time).
 */
ngx_int_t
ngx_http_blog_view_time(ngx_http_request_t *r, ngx_array_t *vars,
    const char *name, time_t t)
{
    u_char    *p, *input, *in_name;
    size_t     n;
    ngx_tm_t   tm;

    if (t == 0) {
        return NGX_OK;
    }

    ngx_gmtime(t, &tm);

    n = ngx_strlen(name);
    p = ngx_pnalloc(r->pool, sizeof("2026-11-22 21:25 UTC") - 1
                             + sizeof("2026-11-22T21:25") - 1
                             + n + sizeof("_input"));
    if (p == NULL) {
        return NGX_ERROR;
    }

    input = ngx_sprintf(p, "%4d-%02d-%02d %02d:%02d UTC", tm.ngx_tm_year,
                        tm.ngx_tm_mon, tm.ngx_tm_mday, tm.ngx_tm_hour,
                        tm.ngx_tm_min);
    in_name = ngx_sprintf(input, "%4d-%02d-%02dT%02d:%02d", tm.ngx_tm_year,
                          tm.ngx_tm_mon, tm.ngx_tm_mday, tm.ngx_tm_hour,
                          tm.ngx_tm_min);
    ngx_sprintf(in_name, "%s_input%Z", name);

    if (ngx_http_blog_view_push(vars, name, BLOG_TPL_TEXT, p, input - p)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_blog_view_push(vars, (char *) in_name, BLOG_TPL_TEXT,
                                   input, in_name - input);
}


/* Rendered Markdown, which {{{name}}} may output raw. */
ngx_int_t
ngx_http_blog_view_trusted(ngx_http_request_t *r, ngx_array_t *vars,
    const char *name, const u_char *data, size_t len)
{
    u_char  *p;

    p = NULL;

    if (len) {
        p = ngx_pnalloc(r->pool, len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(p, data, len);
    }

    return ngx_http_blog_view_push(vars, name, BLOG_TPL_TRUSTED, p, len);
}


ngx_int_t
ngx_http_blog_view_column(ngx_http_request_t *r, ngx_array_t *vars,
    const char *name, sqlite3_stmt *stmt, int col)
{
    return ngx_http_blog_view_str(r, vars, name,
                                  sqlite3_column_text(stmt, col),
                                  sqlite3_column_bytes(stmt, col));
}


static void
ngx_http_blog_free_body(void *data)
{
    free(data);
}


static ngx_int_t
ngx_http_blog_header(ngx_http_request_t *r, const char *name,
    const char *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value.data = (u_char *) value;
    h->value.len = ngx_strlen(value);

    return NGX_OK;
}


/*
 * Panel pages and form answers are private and change on every write:
 * never cached, never framed, scripts only from the panel itself.
 */
ngx_int_t
ngx_http_blog_security_headers(ngx_http_request_t *r)
{
    if (ngx_http_blog_header(r, "Cache-Control", "no-store") != NGX_OK
        || ngx_http_blog_header(r, "X-Frame-Options", "DENY") != NGX_OK
        || ngx_http_blog_header(r, "X-Content-Type-Options", "nosniff")
           != NGX_OK
        || ngx_http_blog_header(r, "Referrer-Policy", "same-origin")
           != NGX_OK
        || ngx_http_blog_header(r, "Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; "
                                "frame-ancestors 'none'; form-action 'self'; "
                                "base-uri 'none'; object-src 'none'")
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* Sends data as the whole HTML response; owned data is free()d after. */
ngx_int_t
ngx_http_blog_send_html(ngx_http_request_t *r, ngx_uint_t status,
    u_char *data, size_t len, ngx_uint_t owned)
{
    ngx_int_t            rc;
    ngx_buf_t           *b;
    ngx_chain_t          out;
    ngx_pool_cleanup_t  *cln;

    if (owned) {
        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (cln == NULL) {
            free(data);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        cln->handler = ngx_http_blog_free_body;
        cln->data = data;
    }

    if (ngx_http_blog_security_headers(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;
    ngx_str_set(&r->headers_out.content_type, "text/html");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    ngx_str_set(&r->headers_out.charset, "utf-8");

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = data;
    b->last = data + len;
    b->memory = len ? 1 : 0;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/*
 * Renders a panel template with vars and what every page shows: the
 * panel's and the blog's addresses, the signed-in user and the CSRF token
 * every form carries.
 */
ngx_int_t
ngx_http_blog_admin_page(ngx_http_request_t *r, ngx_http_blog_admin_ctx_t *ctx,
    ngx_uint_t status, ngx_http_blog_atpl_e tpl, ngx_array_t *vars)
{
    u_char                          *p;
    blog_buf_t                       out;
    blog_tpl_ctx_t                   scope;
    ngx_http_blog_admin_loc_conf_t  *alcf;

    alcf = ctx->alcf;

    p = ngx_pnalloc(r->pool, alcf->prefix.len + sizeof("static/"));
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf(p, "%Vstatic/%Z", &alcf->prefix);

    if (ngx_http_blog_view_str(r, vars, "admin", alcf->prefix.data,
                               alcf->prefix.len) != NGX_OK
        || ngx_http_blog_view_cstr(r, vars, "admin_static", (char *) p)
           != NGX_OK
        || ngx_http_blog_view_str(r, vars, "blog_home",
                                  alcf->blog->prefix.data,
                                  alcf->blog->prefix.len) != NGX_OK
        || (ctx->user_id
            && (ngx_http_blog_view_str(r, vars, "user", ctx->user_name.data,
                                       ctx->user_name.len) != NGX_OK
                || ngx_http_blog_view_cstr(r, vars, "csrf",
                                           (char *) ctx->csrf) != NGX_OK)))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    scope.parent = NULL;
    scope.vars = vars->elts;
    scope.nvars = vars->nelts;

    ngx_memzero(&out, sizeof(blog_buf_t));

    if (blog_tpl_render(alcf->theme->tpl[tpl], &scope, &out) != 0) {
        free(out.data);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_blog_send_html(r, status, (u_char *) out.data, out.len,
                                   1);
}


ngx_int_t
ngx_http_blog_admin_message(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_uint_t status, const char *title,
    const char *text)
{
    ngx_array_t  *vars;

    vars = ngx_http_blog_view(r);
    if (vars == NULL
        || ngx_http_blog_view_cstr(r, vars, "title", title) != NGX_OK
        || ngx_http_blog_view_cstr(r, vars, "text", text) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_blog_admin_page(r, ctx, status, BLOG_ATPL_MESSAGE, vars);
}


/* 303 See Other: after a POST, the browser GETs the next page. */
ngx_int_t
ngx_http_blog_redirect(ngx_http_request_t *r, ngx_str_t *location)
{
    ngx_table_elt_t  *h;

    if (ngx_http_blog_security_headers(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    ngx_str_set(&h->key, "Location");
    h->value = *location;

    r->headers_out.location = h;
    r->headers_out.status = NGX_HTTP_SEE_OTHER;
    r->headers_out.content_length_n = 0;
    r->header_only = 1;

    return ngx_http_send_header(r);
}
