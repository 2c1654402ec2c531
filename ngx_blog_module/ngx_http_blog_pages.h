/*
 * What the reader pages' files share (ngx_http_blog_pages.c, which maps
 * paths to pages, and ngx_http_blog_search.c): the page being rendered
 * and the routines that put a post, a URL or a time into its scope.
 */

#ifndef NGX_HTTP_BLOG_PAGES_H
#define NGX_HTTP_BLOG_PAGES_H

#include "ngx_http_blog_module.h"


typedef struct {
    ngx_http_request_t        *r;
    ngx_http_blog_loc_conf_t  *blcf;
    ngx_http_blog_db_t        *db;
    ngx_array_t                root;        /* blog_tpl_var_t */
    ngx_str_t                  base_url;    /* absolute, without the prefix */
    ngx_uint_t                 base_is_host; /* base_url made of the Host */
    ngx_str_t                  location;    /* a redirect's */
    time_t                     last_modified;
    int64_t                    post_id;     /* of a post's or page's page */
    ngx_uint_t                 status;
    ngx_uint_t                 content_type;
    ngx_http_blog_tpl_e        tpl;
    ngx_msec_t                 views_at;    /* when its count was read */
    unsigned                   expires:1;   /* shows a view count */
} ngx_http_blog_render_t;


/* What ngx_http_blog_post_vars() reads besides the post's columns. */
#define NGX_HTTP_BLOG_POST_BODY  0x01       /* body_html, a column too */
#define NGX_HTTP_BLOG_POST_TAGS  0x02       /* "tags", a query of its own */

ngx_int_t ngx_http_blog_post_vars(ngx_http_blog_render_t *rn,
    ngx_array_t *vars, sqlite3_stmt *stmt, ngx_uint_t what);
ngx_int_t ngx_http_blog_var_url(ngx_http_blog_render_t *rn,
    ngx_array_t *vars, const char *name, ngx_str_t *route, u_char *slug,
    size_t len);
ngx_int_t ngx_http_blog_var_time(ngx_http_blog_render_t *rn,
    ngx_array_t *vars, const char *prefix, time_t t);
ngx_int_t ngx_http_blog_step(ngx_http_blog_render_t *rn, sqlite3_stmt *stmt);

/* ngx_http_blog_search.c */
ngx_int_t ngx_http_blog_search(ngx_http_blog_render_t *rn);

#endif /* NGX_HTTP_BLOG_PAGES_H */
