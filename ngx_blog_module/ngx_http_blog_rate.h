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


/* The most bytes ngx_http_blog_client_net() writes. */
#define NGX_HTTP_BLOG_CLIENT_NET_MAX  8


/*
 * The client that limits count, as bytes: the 4 of IPv4 (an IPv4-mapped
 * IPv6 address included), the first 8 of IPv6, since one client usually
 * has a whole /64 to pick from; none for a Unix socket.  Behind a proxy,
 * the realip module makes it the client's, not the proxy's.  Returns the
 * length.
 */
ngx_uint_t ngx_http_blog_client_net(ngx_http_request_t *r, u_char *net);

/*
 * "prefix:client" for a ttl.db rate_limits key, with the client as text:
 * "192.0.2.7" or "2001:db8:1:2::/64" (the address itself for a socket).
 */
ngx_int_t ngx_http_blog_client_key(ngx_http_request_t *r, const char *prefix,
    ngx_str_t *key);


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
