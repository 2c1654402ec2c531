/*
 * Cookies that carry random tokens, shared by the admin panel (sessions,
 * form tokens, sign-in codes) and readers' comments (commenter tokens):
 * reading and setting them, and the SHA-256 a token is stored as, so that
 * a copy of a database holds no working token.
 */

#ifndef NGX_HTTP_BLOG_COOKIE_H
#define NGX_HTTP_BLOG_COOKIE_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "blog_header.h"


/* A token: 256 random bits, BLOG_TOKEN_LEN (64) lowercase hex digits. */
#define BLOG_TOKEN_BYTES       32


/* The value of the request's cookie name: NGX_OK, or NGX_DECLINED. */
ngx_int_t ngx_http_blog_get_cookie(ngx_http_request_t *r, const char *name,
    ngx_str_t *value);

/* Set-Cookie, HttpOnly, SameSite=Strict, and Secure over TLS. */
ngx_int_t ngx_http_blog_set_cookie(ngx_http_request_t *r, const char *name,
    u_char *value, ngx_str_t *path, time_t max_age);

/* Whether s looks like a token, and nothing else (blog_header.c). */
ngx_int_t ngx_http_blog_token_valid(ngx_str_t *s);

/* The SHA-256 of data as BLOG_TOKEN_LEN hex digits and a NUL in out. */
void ngx_http_blog_sha256_hex(u_char *data, size_t len, u_char *out);

#endif /* NGX_HTTP_BLOG_COOKIE_H */
