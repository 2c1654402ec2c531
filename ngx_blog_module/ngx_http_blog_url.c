/*
 * The site's absolute address, from which every absolute link of a page,
 * the feed, the sitemap, robots.txt and the canonical and preview URLs is
 * built: blog_base_url when configured, else the scheme, host and port the
 * request came with.
 *
 * The host is the one nginx validated and lowercased (headers_in.server,
 * which has no port).  The port is read back from the Host header only
 * when that header is the host nginx took plus ":" and digits; anything
 * else a client may type there is left out, so nothing unchecked from the
 * request reaches a page.  The scheme's default port is not written.
 */

#include "ngx_http_blog_module.h"


#define NGX_HTTP_BLOG_PORT_LEN  5


static size_t ngx_http_blog_request_port(ngx_http_request_t *r, u_char **port);


ngx_int_t
ngx_http_blog_site_url(ngx_http_request_t *r, ngx_http_blog_loc_conf_t *blcf,
    ngx_str_t *base)
{
    u_char      *p, *port;
    size_t       port_len;
    ngx_uint_t   tls;

    if (blcf->base_url.len) {
        *base = blcf->base_url;
        return NGX_OK;
    }

    tls = ngx_http_blog_over_tls(r);
    port_len = ngx_http_blog_request_port(r, &port);

    if ((port_len == 2 && !tls && ngx_strncmp(port, "80", 2) == 0)
        || (port_len == 3 && tls && ngx_strncmp(port, "443", 3) == 0))
    {
        port_len = 0;
    }

    p = ngx_pnalloc(r->pool, sizeof("https://") - 1 + r->headers_in.server.len
                             + 1 + NGX_HTTP_BLOG_PORT_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    base->data = p;
    p = tls ? ngx_cpymem(p, "https://", 8) : ngx_cpymem(p, "http://", 7);
    p = ngx_cpymem(p, r->headers_in.server.data, r->headers_in.server.len);

    if (port_len) {
        *p++ = ':';
        p = ngx_cpymem(p, port, port_len);
    }

    base->len = p - base->data;

    return NGX_OK;
}


/* The digits after "host:" in the Host header, or 0 when there are none. */

static size_t
ngx_http_blog_request_port(ngx_http_request_t *r, u_char **port)
{
    u_char     *p, *last;
    ngx_str_t  *host, *server;

    if (r->headers_in.host == NULL) {
        return 0;
    }

    host = &r->headers_in.host->value;
    server = &r->headers_in.server;

    /* a host in the request line wins over the header: its port is unknown */
    if (host->len <= server->len + 1
        || host->len > server->len + 1 + NGX_HTTP_BLOG_PORT_LEN
        || host->data[server->len] != ':'
        || ngx_strncasecmp(host->data, server->data, server->len) != 0)
    {
        return 0;
    }

    p = host->data + server->len + 1;
    last = host->data + host->len;
    *port = p;

    for ( /* void */ ; p < last; p++) {
        if (*p < '0' || *p > '9') {
            return 0;
        }
    }

    return last - *port;
}
