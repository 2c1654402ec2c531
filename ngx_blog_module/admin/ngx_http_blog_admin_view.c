/*
 * The admin panel's pages: a panel template rendered with a scope
 * (ngx_http_blog_scope.h) and what every page shows, sent as a private
 * page (ngx_http_blog_response.h).
 */

#include "admin/ngx_http_blog_admin.h"


/* The message of ?done=..., from a fixed list: nothing is echoed. */
static const char *
ngx_http_blog_done_notice(ngx_http_request_t *r)
{
    ngx_str_t  v;

    static const char  *notices[][2] = {
        { "saved", "Saved." },
        { "created", "Created." },
        { "unchanged", "Nothing changed: not saved again." },
        { "deleted", "Deleted." },
        { "rolledback", "Rolled back: the old revision is current again, as "
                        "a new revision." },
        { "uploaded", "Uploaded." },
        { "moderated", "Done." },
        { "retried", "The job is queued again." },
        { "requeued", "The dead letters are queued again: the send goes "
                      "on." },
        { NULL, NULL }
    };

    ngx_uint_t  i;

    if (ngx_http_arg(r, (u_char *) "done", 4, &v) != NGX_OK) {
        return NULL;
    }

    for (i = 0; notices[i][0]; i++) {
        if (v.len == ngx_strlen(notices[i][0])
            && ngx_strncmp(v.data, notices[i][0], v.len) == 0)
        {
            return notices[i][1];
        }
    }

    return NULL;
}


/*
 * Renders a panel template with vars and what every page shows: the
 * panel's and the blog's addresses, the signed-in user, the CSRF token
 * every form carries, and the notice of ?done= when vars has none.
 */
ngx_int_t
ngx_http_blog_admin_page(ngx_http_request_t *r, ngx_http_blog_admin_ctx_t *ctx,
    ngx_uint_t status, ngx_http_blog_atpl_e tpl, ngx_array_t *vars)
{
    u_char                          *p;
    const char                      *notice;
    blog_buf_t                       out;
    blog_tpl_ctx_t                   scope;
    ngx_http_blog_admin_loc_conf_t  *alcf;

    alcf = ctx->alcf;

    p = ngx_pnalloc(r->pool, alcf->prefix.len + sizeof("static/"));
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf(p, "%Vstatic/%Z", &alcf->prefix);

    notice = ngx_http_blog_scope_find(vars, "notice") != NULL
             ? NULL : ngx_http_blog_done_notice(r);

    if (ngx_http_blog_scope_str(r, vars, "admin", alcf->prefix.data,
                                alcf->prefix.len) != NGX_OK
        || ngx_http_blog_scope_cstr(r, vars, "admin_static", (char *) p)
           != NGX_OK
        || ngx_http_blog_scope_str(r, vars, "blog_home",
                                   alcf->blog->prefix.data,
                                   alcf->blog->prefix.len) != NGX_OK
        || (notice && ngx_http_blog_scope_cstr(r, vars, "notice", notice)
                      != NGX_OK)
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
