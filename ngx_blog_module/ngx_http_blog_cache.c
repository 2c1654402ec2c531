/*
 * The per-worker rendered-page cache of one blog location.
 *
 * Pages are keyed by the request path (and host, when links depend on it),
 * kept in LRU order within a byte budget, and all dropped at once when the
 * database generation moves: any commit may change any page, and working
 * out which ones is dearer than rendering the few that are asked for again.
 *
 * A page is reference-counted: a response still sending it to a slow client
 * keeps it alive after the cache has let it go.  Its compressed bodies,
 * made later, count toward the budget as they come (ngx_http_blog_cache_grow).
 */

#include "ngx_http_blog_module.h"


/* What a page costs besides its body: the struct, its key, allocator slack */
#define NGX_HTTP_BLOG_PAGE_OVERHEAD  256


static void ngx_http_blog_cache_evict(ngx_http_blog_cache_t *cache,
    ngx_http_blog_page_t *page);
static void ngx_http_blog_page_cleanup(void *data);


ngx_http_blog_cache_t *
ngx_http_blog_cache_create(size_t max_size)
{
    ngx_http_blog_cache_t  *cache;

    cache = ngx_calloc(sizeof(ngx_http_blog_cache_t), ngx_cycle->log);
    if (cache == NULL) {
        return NULL;
    }

    ngx_rbtree_init(&cache->tree, &cache->sentinel, ngx_str_rbtree_insert_value);
    ngx_queue_init(&cache->lru);
    cache->max_size = max_size;

    return cache;
}


ngx_http_blog_page_t *
ngx_http_blog_cache_lookup(ngx_http_blog_cache_t *cache, ngx_str_t *key,
    uint64_t generation)
{
    uint32_t               hash;
    ngx_str_node_t        *node;
    ngx_http_blog_page_t  *page;

    if (cache->generation != generation) {
        while (!ngx_queue_empty(&cache->lru)) {
            page = ngx_queue_data(ngx_queue_last(&cache->lru),
                                  ngx_http_blog_page_t, lru);
            ngx_http_blog_cache_evict(cache, page);
        }

        cache->generation = generation;
    }

    hash = ngx_crc32_long(key->data, key->len);

    node = ngx_str_rbtree_lookup(&cache->tree, key, hash);
    if (node == NULL) {
        cache->misses++;
        return NULL;
    }

    page = (ngx_http_blog_page_t *)
               ((u_char *) node - offsetof(ngx_http_blog_page_t, key));

    /* a view count older than blog_views_max_age: rendered again */
    if (page->expires && (ngx_msec_int_t) (ngx_current_msec - page->expires)
                         >= 0)
    {
        ngx_http_blog_cache_evict(cache, page);
        cache->misses++;
        return NULL;
    }

    ngx_queue_remove(&page->lru);
    ngx_queue_insert_head(&cache->lru, &page->lru);
    cache->hits++;

    return page;
}


ngx_int_t
ngx_http_blog_cache_insert(ngx_http_blog_cache_t *cache,
    ngx_http_blog_page_t *page)
{
    size_t                 cost;
    ngx_http_blog_page_t  *old;

    /* a page comes in as rendered: its compressed bodies come later */
    cost = page->len + page->key.str.len + NGX_HTTP_BLOG_PAGE_OVERHEAD;

    if (cost > cache->max_size) {
        return NGX_DECLINED;
    }

    while (cache->size + cost > cache->max_size) {
        old = ngx_queue_data(ngx_queue_last(&cache->lru),
                             ngx_http_blog_page_t, lru);
        ngx_http_blog_cache_evict(cache, old);
    }

    page->key.node.key = ngx_crc32_long(page->key.str.data, page->key.str.len);
    ngx_rbtree_insert(&cache->tree, &page->key.node);
    ngx_queue_insert_head(&cache->lru, &page->lru);

    page->cached = 1;
    page->refs++;
    page->cost = cost;
    cache->size += cost;

    return NGX_OK;
}


/*
 * A cached page took bytes more (a body in another coding): the least
 * recently used pages make room, the page itself last, as it was just used.
 * Evicted, it lives on for the responses that hold it.
 */

void
ngx_http_blog_cache_grow(ngx_http_blog_cache_t *cache,
    ngx_http_blog_page_t *page, size_t bytes)
{
    ngx_http_blog_page_t  *old;

    page->cost += bytes;
    cache->size += bytes;

    while (cache->size > cache->max_size) {
        old = ngx_queue_data(ngx_queue_last(&cache->lru),
                             ngx_http_blog_page_t, lru);
        ngx_http_blog_cache_evict(cache, old);
    }
}


static void
ngx_http_blog_cache_evict(ngx_http_blog_cache_t *cache,
    ngx_http_blog_page_t *page)
{
    ngx_rbtree_delete(&cache->tree, &page->key.node);
    ngx_queue_remove(&page->lru);

    cache->size -= page->cost;
    page->cached = 0;

    ngx_http_blog_page_release(page);
}


void
ngx_http_blog_cache_destroy(ngx_http_blog_cache_t *cache)
{
    ngx_http_blog_page_t  *page;

    while (!ngx_queue_empty(&cache->lru)) {
        page = ngx_queue_data(ngx_queue_head(&cache->lru),
                              ngx_http_blog_page_t, lru);
        ngx_http_blog_cache_evict(cache, page);
    }

    ngx_free(cache);
}


ngx_http_blog_page_t *
ngx_http_blog_page_alloc(ngx_str_t *key)
{
    ngx_http_blog_page_t  *page;

    page = ngx_calloc(sizeof(ngx_http_blog_page_t) + key->len, ngx_cycle->log);
    if (page == NULL) {
        return NULL;
    }

    page->key.str.data = (u_char *) page + sizeof(ngx_http_blog_page_t);
    page->key.str.len = key->len;
    ngx_memcpy(page->key.str.data, key->data, key->len);

    page->refs = 1;

    return page;
}


/* The request keeps the page until its pool goes, after the last byte. */

ngx_int_t
ngx_http_blog_page_hold(ngx_http_request_t *r, ngx_http_blog_page_t *page)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_blog_page_cleanup;
    cln->data = page;
    page->refs++;

    return NGX_OK;
}


static void
ngx_http_blog_page_cleanup(void *data)
{
    ngx_http_blog_page_release(data);
}


void
ngx_http_blog_page_release(ngx_http_blog_page_t *page)
{
    ngx_uint_t  i;

    if (--page->refs) {
        return;
    }

    /* the body comes from blog_buf_t, which allocates with realloc */
    free(page->body);

    for (i = 0; i < BLOG_CODING_N; i++) {
        free(page->coded[i].data);
    }

    ngx_free(page);
}
