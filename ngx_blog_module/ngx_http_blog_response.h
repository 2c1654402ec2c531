/*
 * Answers to forms, of the admin panel and of readers' comments: whole
 * HTML pages and 303 redirects, never cached, never framed; the headers
 * of such private pages, which the analytics page has too.
 */

#ifndef NGX_HTTP_BLOG_RESPONSE_H
#define NGX_HTTP_BLOG_RESPONSE_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/* 422: a form that was read but not accepted (nginx 1.22 has no name). */
#define NGX_HTTP_BLOG_UNPROCESSABLE  422


ngx_int_t ngx_http_blog_send_html(ngx_http_request_t *r, ngx_uint_t status,
    u_char *data, size_t len, ngx_uint_t owned);
ngx_int_t ngx_http_blog_send_body(ngx_http_request_t *r, u_char *data,
    size_t len);
ngx_int_t ngx_http_blog_redirect(ngx_http_request_t *r, ngx_str_t *location);
ngx_int_t ngx_http_blog_security_headers(ngx_http_request_t *r,
    ngx_str_t *style_nonce);
ngx_int_t ngx_http_blog_header(ngx_http_request_t *r, const char *name,
    const char *value);
ngx_table_elt_t *ngx_http_blog_header_push(ngx_http_request_t *r,
    const char *name, const char *value);

#endif /* NGX_HTTP_BLOG_RESPONSE_H */
