/*
 * Pages compressed once: which content coding a request gets, and the
 * page's body in that coding, made on the first request that takes it.
 *
 * A cached page keeps each coding it was asked in, made at the configured
 * level (blog_gzip_level, blog_brotli_quality), so a repeated page costs no
 * compression at all, and brotli is preferred: at those levels it makes the
 * smaller body.  A page sent once (blog_cache off, a 404, a page larger
 * than the cache) is compressed for its one response at the least cost,
 * and gzip is preferred: ISA-L's igzip at its level 0 takes less than half
 * the time of brotli's quality 0 or libdeflate's level 1 (8.2 against 18.5
 * and 18.5 us on the demo's 5,360-byte post page, scripts/bench-compress),
 * for a body of 2,562 bytes against their 2,381 and 2,148.  A post or page
 * is joined from parts deflated once instead (ngx_http_blog_parts.c).
 * nginx's gzip filter leaves a response with a Content-Encoding alone, as
 * it does gzip_static's.
 *
 * Whom to compress for is nginx's own rule, ngx_http_gzip_ok(): the gzip
 * token and its q-value as nginx reads it, gzip_http_version, gzip_proxied
 * and gzip_disable; brotli goes to the same clients when they list "br".
 */

#include "ngx_http_blog_module.h"
#include "blog_header.h"

#include <libdeflate.h>
#include <brotli/encode.h>
#include <isa-l/igzip_lib.h>


#if !(NGX_HTTP_GZIP)
#error "blog_compress follows nginx's gzip rules: build nginx with gzip"
#endif


typedef ngx_int_t (*ngx_http_blog_encode_pt)(u_char *in, size_t len,
    ngx_int_t level, ngx_http_blog_coded_t *out);

typedef struct {
    ngx_str_t                 name;           /* the Content-Encoding */
    const char               *etag_suffix;
    ngx_int_t                 fast_level;     /* for a page sent once */
    ngx_http_blog_encode_pt   encode;
} ngx_http_blog_coding_t;


static ngx_uint_t ngx_http_blog_accepted(ngx_http_request_t *r,
    ngx_http_blog_coding_e c);
static ngx_uint_t ngx_http_blog_gzip_rules(ngx_http_request_t *r);
static ngx_int_t ngx_http_blog_make(ngx_http_request_t *r,
    ngx_http_blog_loc_conf_t *blcf, ngx_http_blog_page_t *page,
    ngx_http_blog_coding_e c);
static ngx_int_t ngx_http_blog_gzip(u_char *in, size_t len, ngx_int_t level,
    ngx_http_blog_coded_t *out);
static ngx_int_t ngx_http_blog_igzip(u_char *in, size_t len,
    ngx_http_blog_coded_t *out);
static ngx_int_t ngx_http_blog_brotli(u_char *in, size_t len,
    ngx_int_t level, ngx_http_blog_coded_t *out);
static ngx_uint_t ngx_http_blog_held_by(u_char *p, u_char *end,
    ngx_str_t *base, const char *prefix);
static ngx_uint_t ngx_http_blog_unmodified(ngx_http_request_t *r,
    time_t last_modified);
static ngx_int_t ngx_http_blog_push_header(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *value, ngx_table_elt_t **slot);


/* In ngx_http_blog_coding_e order: a cached page's order of preference. */
static ngx_http_blog_coding_t  ngx_http_blog_codings[BLOG_CODING_N] = {
    { ngx_string("br"), "-br", 0, ngx_http_blog_brotli },
    { ngx_string("gzip"), "-gz", 0, ngx_http_blog_gzip }
};

/* A page sent once: the cheaper coding first. */
static ngx_http_blog_coding_e  ngx_http_blog_once[BLOG_CODING_N] = {
    BLOG_CODING_GZIP, BLOG_CODING_BR
};

static ngx_str_t  ngx_http_blog_content_encoding = ngx_string("Content-Encoding");
static ngx_str_t  ngx_http_blog_vary = ngx_string("Vary");
static ngx_str_t  ngx_http_blog_accept_encoding = ngx_string("Accept-Encoding");


/*
 * Picks the coding of the response, the first the client takes whose body
 * is smaller than the page's, and sets Content-Encoding and Vary: *coded is
 * that body, or NULL for the page as it is.
 */

ngx_int_t
ngx_http_blog_compress(ngx_http_request_t *r, ngx_http_blog_loc_conf_t *blcf,
    ngx_http_blog_page_t *page, ngx_http_blog_coded_t **coded)
{
    ngx_uint_t                 i, c;
    ngx_http_core_loc_conf_t  *clcf;

    *coded = NULL;

    /*
     * Every answer varies by Accept-Encoding, the identity one too, once:
     * nginx adds the header itself where gzip_vary is on.
     */
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);
    r->gzip_vary = 1;

    if (!clcf->gzip_vary
        && ngx_http_blog_push_header(r, &ngx_http_blog_vary,
                                     &ngx_http_blog_accept_encoding, NULL)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    for (i = 0; i < BLOG_CODING_N; i++) {
        c = page->cached ? i : ngx_http_blog_once[i];

        if (!ngx_http_blog_accepted(r, c)) {
            continue;
        }

        if (!page->coded[c].made
            && ngx_http_blog_make(r, blcf, page, c) != NGX_OK)
        {
            /* logged; the page goes out as it is */
            continue;
        }

        if (page->coded[c].data == NULL) {
            continue;
        }

        *coded = &page->coded[c];

        return ngx_http_blog_push_header(r, &ngx_http_blog_content_encoding,
                                         &ngx_http_blog_codings[c].name,
                                         &r->headers_out.content_encoding);
    }

    return NGX_OK;
}


/*
 * A client revalidating its copy of the page in the coding it is sent in,
 * but made another way: the page whole at level 0 ("-gz0"), joined from
 * kept parts ("-gzp1"), at the cached level ("-gz6").  A worker warming up
 * sends the first, then the second, and two workers may differ, yet each
 * decodes to the page whose hash all these ETags begin with, so the copy
 * is current.  *tag becomes the copy's own ETag, so that nginx's
 * not-modified filter answers 304 with it: the copy keeps the validator of
 * its own bytes, and a Range or If-Range with it later is compared with
 * the bytes actually sent (strongly), never spliced with another variant's.
 *
 * Only the coding sent (a cache takes the 304's Content-Encoding for its
 * copy), only when the 304 is certain: not with If-Match, whose strong
 * comparison is with the bytes sent, nor when If-Modified-Since, which
 * nginx evaluates too, would say modified.
 */

void
ngx_http_blog_compress_held(ngx_http_request_t *r, ngx_http_blog_page_t *page,
    ngx_http_blog_coded_t *coded, ngx_str_t *tag)
{
    u_char            *p, *end, *start;
    ngx_str_t          base;
    const char        *prefix;
    ngx_table_elt_t   *inm;

    inm = r->headers_in.if_none_match;

    if (inm == NULL || coded == NULL || r != r->main
        || r->disable_not_modified || page->status != NGX_HTTP_OK
        || r->headers_in.if_match
        || !ngx_http_blog_unmodified(r, page->last_modified))
    {
        return;
    }

    /* the page's ETag without its closing quote */
    base.data = page->etag;
    base.len = ngx_strlen(page->etag) - 1;

    prefix = ngx_http_blog_codings[coded - page->coded].etag_suffix;

    p = inm->value.data;
    end = p + inm->value.len;

    /* a list of entity tags, as nginx's ngx_http_test_if_match() reads it */
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == ',')) {
            p++;
        }

        if (end - p > 2 && p[0] == 'W' && p[1] == '/') {
            p += 2;
        }

        start = p;

        while (p < end && *p != ',' && *p != ' ' && *p != '\t') {
            p++;
        }

        if (ngx_http_blog_held_by(start, p, &base, prefix)) {
            tag->data = start;
            tag->len = p - start;
            return;
        }

        while (p < end && *p != ',') {
            p++;
        }
    }
}


/* "<base><prefix>[p]<digits>\"": a variant of the page in that coding */

static ngx_uint_t
ngx_http_blog_held_by(u_char *p, u_char *end, ngx_str_t *base,
    const char *prefix)
{
    size_t  n;

    n = ngx_strlen(prefix);

    if ((size_t) (end - p) < base->len + n + 2
        || ngx_strncmp(p, base->data, base->len) != 0
        || ngx_strncmp(p + base->len, prefix, n) != 0
        || end[-1] != '"')
    {
        return 0;
    }

    p += base->len + n;

    if (*p == 'p') {
        p++;
    }

    if (p == end - 1) {
        return 0;
    }

    for ( /* void */ ; p < end - 1; p++) {
        if (*p < '0' || *p > '9') {
            return 0;
        }
    }

    return 1;
}


/*
 * nginx's own test of If-Modified-Since (ngx_http_test_if_modified() is
 * the not-modified filter's): true when it lets a 304 through.
 */

static ngx_uint_t
ngx_http_blog_unmodified(ngx_http_request_t *r, time_t last_modified)
{
    time_t                     ims;
    ngx_table_elt_t           *h;
    ngx_http_core_loc_conf_t  *clcf;

    h = r->headers_in.if_modified_since;

    if (h == NULL) {
        return 1;
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (last_modified == (time_t) -1
        || clcf->if_modified_since == NGX_HTTP_IMS_OFF)
    {
        return 0;
    }

    ims = ngx_parse_http_time(h->value.data, h->value.len);

    return ims == last_modified
           || (clcf->if_modified_since == NGX_HTTP_IMS_BEFORE
               && ims > last_modified);
}


/*
 * gzip is what ngx_http_gzip_ok() says, which also tells nginx's gzip
 * filter, should the page go out as it is, whether it may compress it;
 * brotli needs "br" listed, and the same rules.
 */

static ngx_uint_t
ngx_http_blog_accepted(ngx_http_request_t *r, ngx_http_blog_coding_e c)
{
    ngx_table_elt_t  *ae;

    if (c == BLOG_CODING_GZIP) {
        return ngx_http_gzip_ok(r) == NGX_OK;
    }

    ae = r->headers_in.accept_encoding;

    if (r != r->main || ae == NULL
        || !blog_accepts_coding((char *) ae->value.data, ae->value.len,
                                (char *) ngx_http_blog_codings[c].name.data,
                                ngx_http_blog_codings[c].name.len))
    {
        return 0;
    }

    return ngx_http_blog_gzip_rules(r);
}


/*
 * nginx's rules for whom to compress for, without the gzip token: asked
 * with an Accept-Encoding of "gzip" alone, ngx_http_gzip_ok() applies just
 * them.  The request's own header, and what it said of gzip, are put back.
 */

static ngx_uint_t
ngx_http_blog_gzip_rules(ngx_http_request_t *r)
{
    ngx_int_t         rc;
    ngx_uint_t        tested, ok;
    ngx_table_elt_t  *ae, gzip;

    ae = r->headers_in.accept_encoding;
    tested = r->gzip_tested;
    ok = r->gzip_ok;

    gzip = *ae;
    ngx_str_set(&gzip.value, "gzip");
    r->headers_in.accept_encoding = &gzip;

    rc = ngx_http_gzip_ok(r);

    r->headers_in.accept_encoding = ae;
    r->gzip_tested = tested;
    r->gzip_ok = ok;

    return rc == NGX_OK;
}


/*
 * Makes the page's body in coding c: at the configured level for a cached
 * page, which the cache is charged for, and at the fastest for a page made
 * for one response.  The ETag is the page's, marked with coding and level.
 */

static ngx_int_t
ngx_http_blog_make(ngx_http_request_t *r, ngx_http_blog_loc_conf_t *blcf,
    ngx_http_blog_page_t *page, ngx_http_blog_coding_e c)
{
    ngx_int_t                level, rc;
    const char              *suffix;
    ngx_http_blog_coded_t   *coded;
    ngx_http_blog_coding_t  *coding;

    coding = &ngx_http_blog_codings[c];
    coded = &page->coded[c];
    level = page->cached ? blcf->compress_level[c] : coding->fast_level;
    suffix = coding->etag_suffix;
    rc = NGX_DECLINED;

    /* a page sent once: its parts' deflate, kept, where it has parts */
    if (c == BLOG_CODING_GZIP && !page->cached) {
        rc = ngx_http_blog_parts_gzip(blcf, page, coded, r->connection->log);

        if (rc == NGX_OK) {
            level = NGX_HTTP_BLOG_PARTS_LEVEL;
            suffix = "-gzp";
        }
    }

    if (rc == NGX_ERROR
        || (rc == NGX_DECLINED
            && coding->encode(page->body, page->len, level, coded) != NGX_OK))
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "blog: %V of a %uz-byte page failed, sent as it is",
                      &coding->name, page->len);
        return NGX_ERROR;
    }

    /* a body that did not shrink is not kept: the page goes out as it is */
    if (coded->len >= page->len) {
        free(coded->data);
        coded->data = NULL;
        coded->len = 0;
    }

    coded->made = 1;

    ngx_sprintf(coded->etag, "%*s%s%i\"%Z",
                ngx_strlen(page->etag) - 1, page->etag, suffix, level);

    if (page->cached && coded->len) {
        ngx_http_blog_cache_grow(blcf->page_cache, page, coded->len);
    }

    return NGX_OK;
}


/*
 * gzip by libdeflate, whole buffer to whole buffer, with one compressor
 * per level kept for the worker's life: zlib's deflateInit2() allocates
 * and clears its state for every page, and its streaming takes 1.7 times
 * libdeflate's CPU time at level 1 on a 5 KB post page for a larger body
 * (measured with both in the same run).  The levels are zlib's, 1 to 9;
 * level 0, a page sent once, is igzip's.
 */

static ngx_int_t
ngx_http_blog_gzip(u_char *in, size_t len, ngx_int_t level,
    ngx_http_blog_coded_t *out)
{
    u_char                               *p;
    static struct libdeflate_compressor  *kept[10];

    if (level == 0) {
        return ngx_http_blog_igzip(in, len, out);
    }

    if (level < 1 || level > 9) {
        return NGX_ERROR;
    }

    if (kept[level] == NULL) {
        kept[level] = libdeflate_alloc_compressor((int) level);
        if (kept[level] == NULL) {
            return NGX_ERROR;
        }
    }

    out->len = libdeflate_gzip_compress_bound(kept[level], len);
    out->data = malloc(out->len);

    if (out->data == NULL) {
        return NGX_ERROR;
    }

    /* 0: did not fit, which the bound rules out */
    out->len = libdeflate_gzip_compress(kept[level], in, len, out->data,
                                        out->len);
    if (out->len == 0) {
        free(out->data);
        out->data = NULL;
        return NGX_ERROR;
    }

    /* keep only what was written: the cache counts these bytes */
    p = realloc(out->data, out->len);
    if (p) {
        out->data = p;
    }

    return NGX_OK;
}


/*
 * ISA-L's igzip at level 0, in one call: one hash of short history, no
 * lazy matching.  Its state (16 KB of hash heads) is kept for the worker's
 * life rather than put on the stack for every page.  A body that does not
 * fit in the page's own length did not shrink: it is not kept.
 */

static ngx_int_t
ngx_http_blog_igzip(u_char *in, size_t len, ngx_http_blog_coded_t *out)
{
    int                          rc;
    u_char                      *p;
    static struct isal_zstream   zs;

    out->data = malloc(len);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    isal_deflate_stateless_init(&zs);

    zs.level = 0;
    zs.gzip_flag = IGZIP_GZIP;
    zs.end_of_stream = 1;
    zs.flush = NO_FLUSH;
    zs.next_in = in;
    zs.avail_in = len;
    zs.next_out = out->data;
    zs.avail_out = len;

    rc = isal_deflate_stateless(&zs);

    if (rc == STATELESS_OVERFLOW) {
        out->len = len;
        return NGX_OK;
    }

    if (rc != COMP_OK) {
        free(out->data);
        out->data = NULL;
        return NGX_ERROR;
    }

    out->len = zs.total_out;

    /* keep only what was written */
    p = realloc(out->data, out->len);
    if (p) {
        out->data = p;
    }

    return NGX_OK;
}


/* Brotli in one call, with a window no larger than the page. */

static ngx_int_t
ngx_http_blog_brotli(u_char *in, size_t len, ngx_int_t level,
    ngx_http_blog_coded_t *out)
{
    int      lgwin;
    u_char  *p;

    lgwin = BROTLI_MIN_WINDOW_BITS;

    while (lgwin < BROTLI_DEFAULT_WINDOW && ((size_t) 1 << lgwin) - 16 < len) {
        lgwin++;
    }

    out->len = BrotliEncoderMaxCompressedSize(len);
    if (out->len == 0) {
        return NGX_ERROR;
    }

    out->data = malloc(out->len);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    if (!BrotliEncoderCompress((int) level, lgwin, BROTLI_MODE_TEXT, len, in,
                               &out->len, out->data))
    {
        free(out->data);
        out->data = NULL;
        return NGX_ERROR;
    }

    p = realloc(out->data, out->len);
    if (p) {
        out->data = p;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_blog_push_header(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value, ngx_table_elt_t **slot)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    h->key = *name;
    h->value = *value;

    if (slot) {
        *slot = h;
    }

    return NGX_OK;
}
