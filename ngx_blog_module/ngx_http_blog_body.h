/*
 * Request bodies of forms and uploads, read whole into memory and parsed
 * as application/x-www-form-urlencoded or multipart/form-data.
 */

#ifndef NGX_HTTP_BLOG_BODY_H
#define NGX_HTTP_BLOG_BODY_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "blog_form.h"
#include "blog_multipart.h"


/* A multipart upload has the file and a few fields. */
#define BLOG_MAX_PARTS         8


typedef struct {
    ngx_str_t                 text;          /* the body, whole */
    blog_form_t               form;          /* urlencoded bodies */
    blog_part_t               parts[BLOG_MAX_PARTS];
    size_t                    nparts;        /* multipart bodies */
    unsigned                  multipart:1;
    unsigned                  bad:1;         /* read, but not parsed */
} ngx_http_blog_body_t;


/* Starts reading; handler runs once the body is in. */
ngx_int_t ngx_http_blog_body_read(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt handler);

/* NGX_OK (with body->bad for a malformed one), or an HTTP status. */
ngx_int_t ngx_http_blog_body_parse(ngx_http_request_t *r,
    ngx_http_blog_body_t *body);

const blog_field_t *ngx_http_blog_body_field(ngx_http_request_t *r,
    ngx_http_blog_body_t *body, const char *name);

/* The first file a multipart body sends as field name, or NULL. */
blog_part_t *ngx_http_blog_body_file(ngx_http_blog_body_t *body,
    const char *name);

#endif /* NGX_HTTP_BLOG_BODY_H */
