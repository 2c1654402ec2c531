/*
 * Counters shared by all workers, and the "blog_metrics" handler that
 * shows them in Prometheus text format.
 *
 * The counters live in a small shared memory zone, each one added to with
 * an atomic instruction, so the numbers are those of the whole server, not
 * of the worker that happens to answer the scrape.  The zone keeps its
 * name and size across reloads, and nginx then hands the old one over:
 * counters survive a reload, as Prometheus expects of a counter.
 */

#include "ngx_http_blog_module.h"
#include "ngx_http_blog_events_module.h"


static ngx_int_t ngx_http_blog_metrics_zone(ngx_shm_zone_t *zone,
    void *data);


static ngx_shm_zone_t  *ngx_http_blog_metrics_shm;


ngx_int_t
ngx_http_blog_metrics_init_zone(ngx_conf_t *cf,
    ngx_http_blog_events_main_conf_t *emcf)
{
    ngx_str_t  name = ngx_string("blog_metrics");

    emcf->zone = ngx_shared_memory_add(cf, &name,
                                       8 * ngx_pagesize
                                       + sizeof(ngx_http_blog_counters_t),
                                       &ngx_http_blog_events_module);
    if (emcf->zone == NULL) {
        return NGX_ERROR;
    }

    emcf->zone->init = ngx_http_blog_metrics_zone;
    ngx_http_blog_metrics_shm = emcf->zone;

    return NGX_OK;
}


static ngx_int_t
ngx_http_blog_metrics_zone(ngx_shm_zone_t *zone, void *data)
{
    ngx_slab_pool_t           *pool;
    ngx_http_blog_counters_t  *counters;

    /* a reload: the old zone's counters go on */
    if (data) {
        zone->data = data;
        return NGX_OK;
    }

    pool = (ngx_slab_pool_t *) zone->shm.addr;

    if (zone->shm.exists) {
        zone->data = pool->data;
        return NGX_OK;
    }

    counters = ngx_slab_calloc(pool, sizeof(ngx_http_blog_counters_t));
    if (counters == NULL) {
        return NGX_ERROR;
    }

    pool->data = counters;
    zone->data = counters;

    return NGX_OK;
}


ngx_http_blog_counters_t *
ngx_http_blog_counters(void)
{
    return ngx_http_blog_metrics_shm ? ngx_http_blog_metrics_shm->data : NULL;
}


ngx_int_t
ngx_http_blog_metrics_handler(ngx_http_request_t *r)
{
    u_char                    *p;
    size_t                     size;
    ngx_int_t                  rc;
    ngx_buf_t                 *b;
    ngx_uint_t                 i;
    ngx_chain_t                out;
    ngx_http_blog_counters_t  *c;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    c = ngx_http_blog_counters();
    if (c == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* every status line at most, and the fixed text */
    size = NGX_HTTP_BLOG_STATUS_MAX
           * (sizeof("nginx_blog_requests_total{status=\"000\"} ") - 1
              + NGX_ATOMIC_T_LEN + 1)
           + 2048 + 9 * NGX_ATOMIC_T_LEN;

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(b->last,
                   "# HELP nginx_blog_requests_total Requests answered, by "
                   "status (0: none sent).\n"
                   "# TYPE nginx_blog_requests_total counter\n",
                   sizeof("# HELP nginx_blog_requests_total Requests answered, "
                          "by status (0: none sent).\n"
                          "# TYPE nginx_blog_requests_total counter\n") - 1);

    for (i = 0; i < NGX_HTTP_BLOG_STATUS_MAX; i++) {
        if (c->status[i]) {
            p = ngx_sprintf(p, "nginx_blog_requests_total{status=\"%ui\"} "
                            "%uA\n", i, c->status[i]);
        }
    }

    p = ngx_sprintf(p,
            "# HELP nginx_blog_page_cache_total Blog pages by page-cache "
            "result.\n"
            "# TYPE nginx_blog_page_cache_total counter\n"
            "nginx_blog_page_cache_total{result=\"hit\"} %uA\n"
            "nginx_blog_page_cache_total{result=\"miss\"} %uA\n"
            "nginx_blog_page_cache_total{result=\"bypass\"} %uA\n"
            "# HELP nginx_blog_events_total Access events by outcome: sent "
            "on the socket, spooled to a file, dropped.\n"
            "# TYPE nginx_blog_events_total counter\n"
            "nginx_blog_events_total{outcome=\"sent\"} %uA\n"
            "nginx_blog_events_total{outcome=\"spooled\"} %uA\n"
            "nginx_blog_events_total{outcome=\"dropped\"} %uA\n"
            "# HELP nginx_blog_compress_parts_total Parts of pages sent once "
            "in gzip: deflate kept (hit), made and kept (miss), or first "
            "seen, the page compressed whole (new).\n"
            "# TYPE nginx_blog_compress_parts_total counter\n"
            "nginx_blog_compress_parts_total{result=\"hit\"} %uA\n"
            "nginx_blog_compress_parts_total{result=\"miss\"} %uA\n"
            "nginx_blog_compress_parts_total{result=\"new\"} %uA\n",
            c->cache_hit, c->cache_miss, c->cache_bypass, c->events_sent,
            c->events_spooled, c->events_dropped, c->parts_hit, c->parts_miss,
            c->parts_new);

    b->last = p;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type,
                "text/plain; version=0.0.4; charset=utf-8");
    r->headers_out.content_type_len = sizeof("text/plain") - 1;

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}
