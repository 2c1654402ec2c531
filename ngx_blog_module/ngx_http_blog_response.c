/*
 * Answers to forms (ngx_http_blog_response.h): whole HTML pages and 303
 * redirects, with the headers of a private page, which the analytics page
 * has too; response headers of constant strings, for files too.
 */

#include "ngx_http_blog_response.h"


static void
ngx_http_blog_free_body(void *data)
{
    free(data);
}


/* A response header of constant strings. */
ngx_int_t
ngx_http_blog_header(ngx_http_request_t *r, const char *name,
    const char *value)
{
    return ngx_http_blog_header_push(r, name, value) ? NGX_OK : NGX_ERROR;
}


/* The same, its entry returned for a headers_out pointer, or NULL. */
ngx_table_elt_t *
ngx_http_blog_header_push(ngx_http_request_t *r, const char *name,
    const char *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NULL;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value.data = (u_char *) value;
    h->value.len = ngx_strlen(value);

    return h;
}


/*
 * Private pages, the panel's (pages and form answers) and the analytics
 * page, change on every write: never cached, never framed, never sniffed,
 * no address sent to other sites, scripts and styles only from the site
 * itself.  With style_nonce the page's own <style nonce="..."> is allowed
 * too (the analytics page is one file, its style inline).
 */
ngx_int_t
ngx_http_blog_security_headers(ngx_http_request_t *r, ngx_str_t *style_nonce)
{
    u_char  *csp;

    static const char  policy[] =
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
        "form-action 'self'; base-uri 'none'; object-src 'none'";

    csp = (u_char *) policy;

    if (style_nonce) {
        csp = ngx_pnalloc(r->pool, sizeof(policy)
                          + sizeof("; style-src 'self' 'nonce-'")
                          + style_nonce->len);
        if (csp == NULL) {
            return NGX_ERROR;
        }

        ngx_sprintf(csp, "%s; style-src 'self' 'nonce-%V'%Z", policy,
                    style_nonce);
    }

    if (ngx_http_blog_header(r, "Cache-Control", "no-store") != NGX_OK
        || ngx_http_blog_header(r, "X-Frame-Options", "DENY") != NGX_OK
        || ngx_http_blog_header(r, "X-Content-Type-Options", "nosniff")
           != NGX_OK
        || ngx_http_blog_header(r, "Referrer-Policy", "same-origin")
           != NGX_OK
        || ngx_http_blog_header(r, "Content-Security-Policy", (char *) csp)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* Sends data as the whole HTML response; owned data is free()d after. */
ngx_int_t
ngx_http_blog_send_html(ngx_http_request_t *r, ngx_uint_t status,
    u_char *data, size_t len, ngx_uint_t owned)
{
    ngx_pool_cleanup_t  *cln;

    if (owned) {
        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (cln == NULL) {
            free(data);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        cln->handler = ngx_http_blog_free_body;
        cln->data = data;
    }

    if (ngx_http_blog_security_headers(r, NULL) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;
    ngx_str_set(&r->headers_out.content_type, "text/html");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    ngx_str_set(&r->headers_out.charset, "utf-8");

    return ngx_http_blog_send_body(r, data, len);
}


/*
 * The headers as the caller set them, then len bytes of memory as the
 * whole body; the bytes must live as long as the request.
 */
ngx_int_t
ngx_http_blog_send_body(ngx_http_request_t *r, u_char *data, size_t len)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = data;
    b->last = data + len;
    b->memory = len ? 1 : 0;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* 303 See Other: after a POST, the browser GETs the next page. */
ngx_int_t
ngx_http_blog_redirect(ngx_http_request_t *r, ngx_str_t *location)
{
    ngx_table_elt_t  *h;

    if (ngx_http_blog_security_headers(r, NULL) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    ngx_str_set(&h->key, "Location");
    h->value = *location;

    r->headers_out.location = h;
    r->headers_out.status = NGX_HTTP_SEE_OTHER;
    r->headers_out.content_length_n = 0;
    r->header_only = 1;

    return ngx_http_send_header(r);
}
