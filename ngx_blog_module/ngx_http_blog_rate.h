/*
 * Rate limits kept in ttl.db, shared by all workers: sign-in failures,
 * sign-in codes asked for, readers' comments; and backoffs, which slow
 * down rather than refuse (a user name failing from everywhere).
 */

#ifndef NGX_HTTP_BLOG_RATE_H
#define NGX_HTTP_BLOG_RATE_H

#include "ngx_http_blog_conn.h"


/* At most count hits per key in window seconds. */
typedef struct {
    ngx_uint_t                count;
    time_t                    window;
} ngx_http_blog_limit_t;


/* "directive COUNT TIME;" into the ngx_http_blog_limit_t at cmd->offset */
char *ngx_http_blog_conf_set_limit_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

ngx_int_t ngx_http_blog_rate_check(ngx_http_request_t *r,
    ngx_http_blog_conn_t *ttl, ngx_str_t *key, ngx_http_blog_limit_t *limit,
    time_t *retry);
ngx_int_t ngx_http_blog_rate_add(ngx_http_request_t *r,
    ngx_http_blog_conn_t *ttl, ngx_str_t *key, ngx_http_blog_limit_t *limit);
ngx_int_t ngx_http_blog_backoff_check(ngx_http_request_t *r,
    ngx_http_blog_conn_t *ttl, ngx_str_t *key, ngx_http_blog_limit_t *limit,
    ngx_uint_t spared, time_t *retry);
ngx_int_t ngx_http_blog_backoff_add(ngx_http_request_t *r,
    ngx_http_blog_conn_t *ttl, ngx_str_t *key, ngx_http_blog_limit_t *limit);

#endif /* NGX_HTTP_BLOG_RATE_H */
