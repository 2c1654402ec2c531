/*
 * The CSS beacon, "blog_analytics_beacon on;" (docs/analytics.md, "The
 * CSS beacon"): a blog location's pages carry
 *
 *     <link rel="stylesheet" href="LOCATION/reader.css" media="print">
 *
 * which a browser fetches as it builds the page and a script (curl, a
 * scraper sending a browser's User-Agent) does not.  media="print": the
 * browser still fetches it, at the lowest priority, but does not wait for
 * it to draw the page.  The name says nothing of tracking on purpose:
 * blockers' lists match "beacon", "pixel", "track" or "hit" in URLs, and
 * a reader whose blocker dropped it would count as no human.
 *
 * This handler of the PREACCESS phase answers it before the location's
 * content handler: an empty stylesheet, "Cache-Control: no-store" (a
 * stylesheet kept in a cache would be fetched once for many pages) and
 * nosniff.  It marks the request, and its access event carries
 * BLOG_EVENT_F_BEACON instead of a page's flag: never a view; the
 * jobrunner marks the visit of the same visitor (address and agent, the
 * hash it makes anyway) as a human's.  The URL is the same for every
 * reader and carries nothing of them, so the pages stay one copy in the
 * page cache.  With the beacon off (or without blog_events, which would
 * not report it) no page links it and the path is the blog's 404.
 */

#include "ngx_http_blog_module.h"
#include "ngx_http_blog_events_module.h"
#include "ngx_http_blog_response.h"


/* the beacon's path, relative to the blog location */
ngx_str_t  ngx_http_blog_beacon_route = ngx_string("reader.css");

/* what ngx_http_set_ctx() holds for a request that was the beacon */
static u_char  ngx_http_blog_beacon_mark;


ngx_int_t
ngx_http_blog_beacon_on(ngx_http_request_t *r)
{
    ngx_http_blog_loc_conf_t         *blcf;
    ngx_http_blog_events_loc_conf_t  *elcf;

    elcf = ngx_http_get_module_loc_conf(r, ngx_http_blog_events_module);
    blcf = ngx_http_get_module_loc_conf(r, ngx_http_blog_module);

    return elcf->beacon == 1 && elcf->enabled == 1 && blcf->db != NULL;
}


ngx_int_t
ngx_http_blog_beacon_was(ngx_http_request_t *r)
{
    return ngx_http_get_module_ctx(r, ngx_http_blog_events_module)
           == &ngx_http_blog_beacon_mark;
}


ngx_int_t
ngx_http_blog_beacon_handler(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_str_t                 *route;
    ngx_http_blog_loc_conf_t  *blcf;

    if (r != r->main || !ngx_http_blog_beacon_on(r)) {
        return NGX_DECLINED;
    }

    blcf = ngx_http_get_module_loc_conf(r, ngx_http_blog_module);
    route = &ngx_http_blog_beacon_route;

    if (r->uri.len != blcf->prefix.len + route->len
        || ngx_strncmp(r->uri.data, blcf->prefix.data, blcf->prefix.len) != 0
        || ngx_strncmp(r->uri.data + blcf->prefix.len, route->data,
                       route->len) != 0)
    {
        return NGX_DECLINED;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    /* an error status: the phase finalizes the request with it */
    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    ngx_http_set_ctx(r, &ngx_http_blog_beacon_mark,
                     ngx_http_blog_events_module);

    if (ngx_http_blog_header(r, "Cache-Control", "no-store") != NGX_OK
        || ngx_http_blog_header(r, "X-Content-Type-Options", "nosniff")
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = 0;
    ngx_str_set(&r->headers_out.content_type, "text/css");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->header_only = 1;

    /* done here: NGX_OK would go on to the next phase */
    ngx_http_finalize_request(r, ngx_http_send_header(r));

    return NGX_DONE;
}
