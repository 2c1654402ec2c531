/*
 * The panel's analytics page: the numbers of "blog_analytics" (the
 * jobrunner's aggregate tables, the last 30 days), behind the admin
 * session instead of a token, in the panel's own layout.
 */

#include "admin/ngx_http_blog_admin.h"
#include "ngx_http_blog_events_module.h"


ngx_int_t
ngx_http_blog_admin_analytics(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx)
{
    ngx_int_t     rc;
    ngx_array_t  *vars;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    vars = ngx_http_blog_scope_create(r);
    if (vars == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_blog_analytics_vars(r, ctx->alcf->data->db, vars);

    if (rc == NGX_ERROR) {
        ngx_http_blog_sql_error(r, ctx->alcf->data,
                                sqlite3_extended_errcode(ctx->alcf->data->db),
                                "analytics");

        return ngx_http_blog_admin_message(r, ctx,
                   NGX_HTTP_SERVICE_UNAVAILABLE, "Not available",
                   "The analytics tables could not be read (the database "
                   "may be busy). Try again.");
    }

    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_blog_admin_page(r, ctx, NGX_HTTP_OK, BLOG_ATPL_ANALYTICS,
                                    vars);
}
