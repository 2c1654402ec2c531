/*
 * The gzip of a page sent once, joined from parts deflated once.
 *
 * A page rendered for one response (blog_cache off, a page larger than the
 * cache) is mostly bytes the previous response had too: the post's body
 * above all, and the template around it while the post and its neighbours
 * stay as they were.  The
 * page is cut into three parts at body_html's bytes (the template engine
 * says where they went: blog_tpl_render_marked), and each part is deflated
 * on its own, once, at igzip's level 1, into blocks that are not the last
 * and end on a byte boundary (a full flush, which also keeps each part's
 * matches inside it).  A response is the gzip header, its parts' blocks
 * one after the other, an empty last block, and the trailer: the CRC-32 of
 * the page (ISA-L's) and its length.
 *
 * Parts are found by their bytes, not by page or generation: a content
 * change leaves the parts it did not change (every other post's body)
 * deflated.  An XXH3 hash finds
 * the entry and a memcmp() with the bytes kept beside the blocks decides,
 * so a part is never sent for other bytes, whatever the hash says.  Each
 * worker keeps at most blog_compress_parts_size bytes of them per
 * location, bytes and blocks counted, the least recently used going
 * first.
 *
 * Why not kept in data.db at write time: the body a page shows is
 * body_html after ngx_http_blog_srcset's rewrite, which depends on the
 * location (its prefix and media route), on blog_image_sizes and on the
 * variants the jobrunner has made so far.
 */

#include "ngx_http_blog_module.h"
#include "ngx_http_blog_events_module.h"

#include <xxhash.h>
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>


/* RFC 1952: deflate, no flags, no time, OS unknown */
static u_char  ngx_http_blog_gzip_header[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff
};

/* BFINAL, fixed Huffman codes, end of block: the stream's empty last block */
static u_char  ngx_http_blog_deflate_end[] = { 0x03, 0x00 };


typedef struct {
    ngx_rbtree_node_t         node;           /* key: XXH3 of the bytes */
    ngx_queue_t               lru;
    size_t                    len;            /* the bytes, after this */
    size_t                    dlen;           /* then their deflate */
} ngx_http_blog_part_t;

#define ngx_http_blog_part_bytes(part)  ((u_char *) ((part) + 1))
#define ngx_http_blog_part_deflate(part)                                     \
    (ngx_http_blog_part_bytes(part) + (part)->len)


static ngx_http_blog_part_t *ngx_http_blog_part_lookup(
    ngx_http_blog_parts_t *parts, ngx_rbtree_key_t key, u_char *p,
    size_t len);
static ngx_http_blog_part_t *ngx_http_blog_part_find(
    ngx_http_blog_parts_t *parts, ngx_rbtree_key_t key, u_char *p,
    size_t len, ngx_log_t *log);
static ngx_http_blog_part_t *ngx_http_blog_part_deflate_new(u_char *p,
    size_t len);
static ngx_uint_t ngx_http_blog_parts_seen(ngx_http_blog_parts_t *parts,
    ngx_rbtree_key_t key);
static void ngx_http_blog_part_evict(ngx_http_blog_parts_t *parts,
    ngx_http_blog_part_t *part);


/*
 * NGX_OK: out is the page's gzip (out->len == page->len when it would not
 * be smaller); NGX_DECLINED: the page has no parts, or a part is new or
 * does not fit the bound, and the caller compresses the page whole;
 * NGX_ERROR: out of memory.
 *
 * A part is deflated and kept only when its bytes come again: the first
 * time, its page is compressed whole at igzip's level 0, as a page with no
 * parts is.  A part that changes on every response (a view count rendered
 * per request, with blog_views_max_age 0) so costs its hash, and neither
 * a level-1 deflate nor the eviction of parts that do come again.  Each
 * body is then all joined, or all made whole: one ETag, one set of bytes.
 */

ngx_int_t
ngx_http_blog_parts_gzip(ngx_http_blog_loc_conf_t *blcf,
    ngx_http_blog_page_t *page, ngx_http_blog_coded_t *out, ngx_log_t *log)
{
    u_char                    *p, *last;
    size_t                     cut[4];
    uint32_t                   crc, len;
    ngx_uint_t                 i, fresh;
    ngx_rbtree_key_t           key[3];
    ngx_http_blog_part_t      *part;
    ngx_http_blog_parts_t     *parts;
    ngx_http_blog_counters_t  *counters;

    if (blcf->parts_size == 0 || page->part_len == 0
        || page->len < sizeof(ngx_http_blog_gzip_header)
                       + sizeof(ngx_http_blog_deflate_end) + 8)
    {
        return NGX_DECLINED;
    }

    parts = blcf->parts;

    if (parts == NULL) {
        parts = ngx_calloc(sizeof(ngx_http_blog_parts_t), log);
        if (parts == NULL) {
            return NGX_ERROR;
        }

        ngx_rbtree_init(&parts->tree, &parts->sentinel,
                        ngx_rbtree_insert_value);
        ngx_queue_init(&parts->lru);
        parts->max_size = blcf->parts_size;

        blcf->parts = parts;
    }

    cut[0] = 0;
    cut[1] = page->part_at;
    cut[2] = page->part_at + page->part_len;
    cut[3] = page->len;

    /* each part kept, or seen before; the new ones are noted */
    fresh = 0;

    for (i = 0; i < 3; i++) {
        if (cut[i + 1] == cut[i]) {
            continue;
        }

        key[i] = (ngx_rbtree_key_t) XXH3_64bits(page->body + cut[i],
                                                cut[i + 1] - cut[i]);

        if (ngx_http_blog_part_lookup(parts, key[i], page->body + cut[i],
                                      cut[i + 1] - cut[i])
            != NULL)
        {
            continue;
        }

        if (!ngx_http_blog_parts_seen(parts, key[i])) {
            fresh++;
        }
    }

    if (fresh) {
        counters = ngx_http_blog_counters();

        if (counters) {
            (void) ngx_atomic_fetch_add(&counters->parts_new, fresh);
        }

        return NGX_DECLINED;
    }

    /* a gzip no smaller than the page is not sent: it may stop there */
    out->data = malloc(page->len);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(out->data, ngx_http_blog_gzip_header,
                   sizeof(ngx_http_blog_gzip_header));
    last = out->data + page->len;

    for (i = 0; i < 3; i++) {
        if (cut[i + 1] == cut[i]) {
            continue;
        }

        /* each part's blocks are copied before the next find may evict it */
        part = ngx_http_blog_part_find(parts, key[i], page->body + cut[i],
                                       cut[i + 1] - cut[i], log);
        if (part == NULL) {
            free(out->data);
            out->data = NULL;
            return NGX_DECLINED;
        }

        if ((size_t) (last - p) < part->dlen) {
            out->len = page->len;
            return NGX_OK;
        }

        p = ngx_cpymem(p, ngx_http_blog_part_deflate(part), part->dlen);
    }

    if ((size_t) (last - p) < sizeof(ngx_http_blog_deflate_end) + 8) {
        out->len = page->len;
        return NGX_OK;
    }

    p = ngx_cpymem(p, ngx_http_blog_deflate_end,
                   sizeof(ngx_http_blog_deflate_end));

    /* the trailer: CRC-32 and length of the page, both little-endian */
    crc = crc32_gzip_refl(0, page->body, page->len);
    len = (uint32_t) page->len;

    for (i = 0; i < 4; i++) {
        p[i] = (u_char) (crc >> (8 * i));
        p[4 + i] = (u_char) (len >> (8 * i));
    }

    out->len = p + 8 - out->data;

    return NGX_OK;
}


/* The kept part of these bytes (key: their hash), or NULL. */

/*
 * Whether a part not kept was seen before; if not, it is noted.  A set
 * holds more hashes than a page has parts, and a new one goes first,
 * dropping the least recent: the parts of one page, noted together, never
 * push each other out.  With one hash per slot, two parts of a page whose
 * hashes shared their low bits took turns in it and were never kept.
 */

static ngx_uint_t
ngx_http_blog_parts_seen(ngx_http_blog_parts_t *parts, ngx_rbtree_key_t key)
{
    ngx_uint_t         i;
    ngx_rbtree_key_t  *set;

    set = parts->seen[key % NGX_HTTP_BLOG_PARTS_SEEN];

    for (i = 0; i < NGX_HTTP_BLOG_PARTS_WAYS; i++) {
        if (set[i] == key) {
            return 1;
        }
    }

    ngx_memmove(&set[1], &set[0],
                (NGX_HTTP_BLOG_PARTS_WAYS - 1) * sizeof(ngx_rbtree_key_t));
    set[0] = key;

    return 0;
}


static ngx_http_blog_part_t *
ngx_http_blog_part_lookup(ngx_http_blog_parts_t *parts, ngx_rbtree_key_t key,
    u_char *p, size_t len)
{
    ngx_rbtree_node_t     *node, *sentinel;
    ngx_http_blog_part_t  *part;

    node = parts->tree.root;
    sentinel = parts->tree.sentinel;

    while (node != sentinel && node->key != key) {
        node = (key < node->key) ? node->left : node->right;
    }

    if (node == sentinel) {
        return NULL;
    }

    part = (ngx_http_blog_part_t *) node;

    return (part->len == len
            && ngx_memcmp(ngx_http_blog_part_bytes(part), p, len) == 0)
           ? part : NULL;
}


/*
 * The part of these bytes, deflated now if it is not kept; NULL when it
 * cannot be kept within the bound, or on a failure (logged).
 */

static ngx_http_blog_part_t *
ngx_http_blog_part_find(ngx_http_blog_parts_t *parts, ngx_rbtree_key_t key,
    u_char *p, size_t len, ngx_log_t *log)
{
    size_t                     cost;
    ngx_rbtree_node_t         *node, *sentinel;
    ngx_http_blog_part_t      *part, *old;
    ngx_http_blog_counters_t  *counters;

    counters = ngx_http_blog_counters();

    part = ngx_http_blog_part_lookup(parts, key, p, len);

    if (part) {
        ngx_queue_remove(&part->lru);
        ngx_queue_insert_head(&parts->lru, &part->lru);

        if (counters) {
            (void) ngx_atomic_fetch_add(&counters->parts_hit, 1);
        }

        return part;
    }

    /* other bytes of the same hash: the new ones take their place */
    node = parts->tree.root;
    sentinel = parts->tree.sentinel;

    while (node != sentinel && node->key != key) {
        node = (key < node->key) ? node->left : node->right;
    }

    if (node != sentinel) {
        ngx_http_blog_part_evict(parts, (ngx_http_blog_part_t *) node);
    }

    /* its bytes alone do not fit: not deflated for nothing on every page */
    if (sizeof(ngx_http_blog_part_t) + len >= parts->max_size) {
        return NULL;
    }

    part = ngx_http_blog_part_deflate_new(p, len);
    if (part == NULL) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "blog: deflate of a %uz-byte part of a page failed",
                      len);
        return NULL;
    }

    cost = sizeof(ngx_http_blog_part_t) + part->len + part->dlen;

    if (cost > parts->max_size) {
        free(part);
        return NULL;
    }

    while (parts->size + cost > parts->max_size) {
        old = ngx_queue_data(ngx_queue_last(&parts->lru),
                             ngx_http_blog_part_t, lru);
        ngx_http_blog_part_evict(parts, old);
    }

    part->node.key = key;
    ngx_rbtree_insert(&parts->tree, &part->node);
    ngx_queue_insert_head(&parts->lru, &part->lru);
    parts->size += cost;

    if (counters) {
        (void) ngx_atomic_fetch_add(&counters->parts_miss, 1);
    }

    return part;
}


/*
 * len bytes and their deflate in one allocation.  igzip's level 1: on the
 * demo's post page the three parts make 2,403 bytes of gzip in all, where
 * level 0 made 3,033 and level 3 2,382, for 20 us once (level 0: 7 us;
 * scripts/bench-compress with BODY=).
 */

static ngx_http_blog_part_t *
ngx_http_blog_part_deflate_new(u_char *p, size_t len)
{
    int                          rc;
    size_t                       bound;
    ngx_http_blog_part_t        *part, *shrunk;
    static struct isal_zstream   zs;

    /* optional at level 1, and a fifth faster with it (bench-compress) */
    static u_char                level_buf[ISAL_DEF_LVL1_DEFAULT];

    /* stored blocks at worst: 5 bytes per 64 KB, and the flush's marker */
    bound = len + 5 * (len / 65535 + 2) + 64;

    part = malloc(sizeof(ngx_http_blog_part_t) + len + bound);
    if (part == NULL) {
        return NULL;
    }

    part->len = len;
    ngx_memcpy(ngx_http_blog_part_bytes(part), p, len);

    isal_deflate_stateless_init(&zs);

    zs.level = NGX_HTTP_BLOG_PARTS_LEVEL;
    zs.level_buf = level_buf;
    zs.level_buf_size = sizeof(level_buf);
    zs.gzip_flag = IGZIP_DEFLATE;
    zs.end_of_stream = 0;
    zs.flush = FULL_FLUSH;
    zs.next_in = p;
    zs.avail_in = len;
    zs.next_out = ngx_http_blog_part_deflate(part);
    zs.avail_out = bound;

    rc = isal_deflate_stateless(&zs);

    if (rc != COMP_OK) {
        free(part);
        return NULL;
    }

    part->dlen = zs.total_out;

    /* keep only what was written: the bound counts these bytes */
    shrunk = realloc(part, sizeof(ngx_http_blog_part_t) + len + part->dlen);

    return shrunk ? shrunk : part;
}


static void
ngx_http_blog_part_evict(ngx_http_blog_parts_t *parts,
    ngx_http_blog_part_t *part)
{
    ngx_rbtree_delete(&parts->tree, &part->node);
    ngx_queue_remove(&part->lru);

    parts->size -= sizeof(ngx_http_blog_part_t) + part->len + part->dlen;

    free(part);
}


void
ngx_http_blog_parts_destroy(ngx_http_blog_parts_t *parts)
{
    while (!ngx_queue_empty(&parts->lru)) {
        ngx_http_blog_part_evict(parts,
                                 ngx_queue_data(ngx_queue_head(&parts->lru),
                                                ngx_http_blog_part_t, lru));
    }

    ngx_free(parts);
}
