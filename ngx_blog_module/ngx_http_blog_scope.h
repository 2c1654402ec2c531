/*
 * Template scopes: the variables a template is rendered with, built in
 * the request pool for the pages, the comment form, the admin panel and
 * the analytics page.
 */

#ifndef NGX_HTTP_BLOG_SCOPE_H
#define NGX_HTTP_BLOG_SCOPE_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <sqlite3.h>

#include "blog_figures.h"
#include "blog_template.h"


ngx_array_t *ngx_http_blog_scope_create(ngx_http_request_t *r);
ngx_int_t ngx_http_blog_scope_push(ngx_array_t *vars, const char *name,
    blog_tpl_type_e type, const u_char *data, size_t len);

ngx_int_t ngx_http_blog_scope_str(ngx_http_request_t *r, ngx_array_t *vars,
    const char *name, const u_char *data, size_t len);
ngx_int_t ngx_http_blog_scope_cstr(ngx_http_request_t *r, ngx_array_t *vars,
    const char *name, const char *s);
ngx_int_t ngx_http_blog_scope_int(ngx_http_request_t *r, ngx_array_t *vars,
    const char *name, int64_t n);
ngx_int_t ngx_http_blog_scope_time(ngx_http_request_t *r, ngx_array_t *vars,
    const char *name, time_t t);
ngx_int_t ngx_http_blog_scope_trusted(ngx_http_request_t *r,
    ngx_array_t *vars, const char *name, const u_char *data, size_t len);
ngx_int_t ngx_http_blog_scope_column(ngx_http_request_t *r, ngx_array_t *vars,
    const char *name, sqlite3_stmt *stmt, int col);

/* The variable the template would see: the first of that name, or NULL. */
blog_tpl_var_t *ngx_http_blog_scope_find(ngx_array_t *vars, const char *name);

ngx_array_t *ngx_http_blog_scope_item(ngx_pool_t *pool, ngx_array_t *items,
    ngx_uint_t nvars);
ngx_int_t ngx_http_blog_scope_list(ngx_array_t *vars, const char *name,
    ngx_array_t *items);

/*
 * An item of items for figure m of the analytics (lib/blog_figures.h):
 * "label", "value", "previous", "change" and "trend" (up, down, same).
 */
ngx_int_t ngx_http_blog_scope_figure(ngx_http_request_t *r,
    ngx_array_t *items, blog_stats_metric_e m, const blog_stats_sums_t *cur,
    const blog_stats_sums_t *prev);

#endif /* NGX_HTTP_BLOG_SCOPE_H */
