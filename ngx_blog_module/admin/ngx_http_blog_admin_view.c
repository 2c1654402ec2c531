/*
 * The admin panel's pages: a panel template rendered with a scope
 * (ngx_http_blog_scope.h) and what every page shows, sent as a private
 * page (ngx_http_blog_response.h).
 */

#include "admin/ngx_http_blog_admin.h"


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

    if (ngx_http_blog_scope_str(r, vars, "admin", alcf->prefix.data,
                                alcf->prefix.len) != NGX_OK
        || ngx_http_blog_scope_cstr(r, vars, "admin_static", (char *) p)
           != NGX_OK
        || ngx_http_blog_scope_str(r, vars, "blog_home",
                                   alcf->blog->prefix.data,
                                   alcf->blog->prefix.len) != NGX_OK
        || (ctx->user_id
            && (ngx_http_blog_scope_str(r, vars, "user", ctx->user_name.data,
                                        ctx->user_name.len) != NGX_OK
                || ngx_http_blog_scope_cstr(r, vars, "csrf",
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

    vars = ngx_http_blog_scope_create(r);
    if (vars == NULL
        || ngx_http_blog_scope_cstr(r, vars, "title", title) != NGX_OK
        || ngx_http_blog_scope_cstr(r, vars, "text", text) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_blog_admin_page(r, ctx, status, BLOG_ATPL_MESSAGE, vars);
}
