/*
 * Token cookies (ngx_http_blog_cookie.h).
 */

#include "ngx_http_blog_cookie.h"

#include <openssl/evp.h>


ngx_int_t
ngx_http_blog_get_cookie(ngx_http_request_t *r, const char *name,
    ngx_str_t *value)
{
    ngx_str_t  n;

    n.data = (u_char *) name;
    n.len = ngx_strlen(name);

#if (nginx_version >= 1023000)
    return ngx_http_parse_multi_header_lines(r, r->headers_in.cookie, &n,
                                             value) != NULL
           ? NGX_OK : NGX_DECLINED;
#else
    return ngx_http_parse_multi_header_lines(&r->headers_in.cookies, &n,
                                             value) != NGX_DECLINED
           ? NGX_OK : NGX_DECLINED;
#endif
}


ngx_int_t
ngx_http_blog_set_cookie(ngx_http_request_t *r, const char *name,
    u_char *value, ngx_str_t *path, time_t max_age)
{
    u_char           *p;
    size_t            len;
    ngx_uint_t        secure;
    ngx_table_elt_t  *h;

    secure = 0;
#if (NGX_HTTP_SSL)
    secure = r->connection->ssl != NULL;
#endif

    len = ngx_strlen(name) + 1 + ngx_strlen(value)
          + sizeof("; Path=") - 1 + path->len
          + sizeof("; Max-Age=") - 1 + NGX_TIME_T_LEN
          + sizeof("; HttpOnly; SameSite=Strict; Secure") - 1;

    p = ngx_pnalloc(r->pool, len);
    h = ngx_list_push(&r->headers_out.headers);
    if (p == NULL || h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    ngx_str_set(&h->key, "Set-Cookie");
    h->value.data = p;

    p = ngx_sprintf(p, "%s=%s; Path=%V; Max-Age=%T; HttpOnly; "
                    "SameSite=Strict", name, value, path, max_age);
    if (secure) {
        p = ngx_cpymem(p, "; Secure", 8);
    }

    h->value.len = p - h->value.data;

    return NGX_OK;
}


ngx_int_t
ngx_http_blog_token_valid(ngx_str_t *s)
{
    return blog_token_valid((char *) s->data, s->len);
}


void
ngx_http_blog_sha256_hex(u_char *data, size_t len, u_char *out)
{
    u_char        md[EVP_MAX_MD_SIZE];
    unsigned int  n;

    if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1) {
        /* cannot happen with the built-in SHA-256; match nothing then */
        ngx_memset(out, 'x', BLOG_TOKEN_LEN);
        out[BLOG_TOKEN_LEN] = '\0';
        return;
    }

    *ngx_hex_dump(out, md, n) = '\0';
}
