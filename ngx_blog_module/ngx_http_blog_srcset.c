/*
 * Responsive images: when a post or page is rendered, each <img> whose src
 * is a file under the media route and that the jobrunner has made
 * variants of (the media and media_variants tables) gets
 *
 *     <picture>
 *       <source type="image/webp" srcset="... 320w, ... 640w" sizes="...">
 *       <img src="/media/x.jpg" alt="..." srcset="... 320w, ..., /media/x.jpg
 *            2000w" sizes="..." width="2000" height="1500" />
 *     </picture>
 *
 * width and height are the image's upright size, so the browser reserves
 * the space before it loads.  An image whose variants are not made yet
 * (or failed) is left as it is: the original is served meanwhile.
 *
 * Why here and not in stored HTML: body_html is written by blogctl and the
 * admin panel, and rewritten on every edit; rendering time is the one
 * place that sees both the post and the variants as they are now.  It
 * costs a query per image on a cache miss only: the jobrunner's commit of
 * new variants moves data_version, which empties the page cache, so the
 * next request renders the page with them.
 *
 * The HTML comes from cmark, which writes <img src="..." alt="..." /> and
 * an optional title, with & escaped as &amp; and unsafe bytes of URLs
 * percent-encoded: the src is read back that way.
 */

#include "ngx_http_blog_module.h"
#include "blog_path.h"
#include "ngx_http_blog_scope.h"


#define NGX_HTTP_BLOG_VARIANTS_MAX  32


typedef struct {
    ngx_str_t    format;
    ngx_int_t    width;
    ngx_str_t    path;
} ngx_http_blog_variant_t;

typedef struct {
    ngx_int_t                  width;
    ngx_int_t                  height;
    ngx_str_t                  format;
    ngx_uint_t                 n;
    ngx_http_blog_variant_t    v[NGX_HTTP_BLOG_VARIANTS_MAX];
} ngx_http_blog_media_t;


static ngx_int_t ngx_http_blog_srcset_img(ngx_http_request_t *r,
    ngx_http_blog_loc_conf_t *blcf, ngx_http_blog_db_t *db, u_char *tag,
    size_t len, ngx_str_t *media_url, ngx_str_t *out);
static ngx_int_t ngx_http_blog_media_lookup(ngx_http_request_t *r,
    ngx_http_blog_db_t *db, ngx_str_t *path, ngx_http_blog_media_t *m);
static u_char *ngx_http_blog_srcset_list(u_char *p,
    ngx_http_blog_media_t *m, ngx_str_t *format, ngx_str_t *media_url,
    ngx_str_t *src);
static ngx_uint_t ngx_http_blog_srcset_safe(ngx_str_t *path);
static u_char *ngx_http_blog_find_img(u_char *p, u_char *last);


ngx_int_t
ngx_http_blog_srcset(ngx_http_request_t *r, ngx_http_blog_loc_conf_t *blcf,
    ngx_http_blog_db_t *db, ngx_array_t *vars)
{
    u_char           *p, *last, *tag, *end, *q;
    size_t            size;
    ngx_str_t         media_url, rewritten;
    ngx_uint_t        i;
    ngx_array_t       parts;
    blog_tpl_var_t   *var;
    ngx_str_t        *part;

    var = ngx_http_blog_scope_find(vars, "body_html");

    if (var == NULL || var->len == 0) {
        return NGX_OK;
    }

    p = (u_char *) var->str;
    last = p + var->len;

    if (ngx_http_blog_find_img(p, last) == NULL) {
        return NGX_OK;
    }

    /* the URL prefix of media files: the location and the media route */
    media_url.len = blcf->prefix.len + blcf->route[BLOG_ROUTE_MEDIA].len;
    media_url.data = ngx_pnalloc(r->pool, media_url.len);
    if (media_url.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ngx_cpymem(media_url.data, blcf->prefix.data, blcf->prefix.len),
               blcf->route[BLOG_ROUTE_MEDIA].data,
               blcf->route[BLOG_ROUTE_MEDIA].len);

    if (ngx_array_init(&parts, r->pool, 8, sizeof(ngx_str_t)) != NGX_OK) {
        return NGX_ERROR;
    }

    /* the body as pieces: text between tags, and the tags rewritten */
    size = 0;

    while (p < last) {
        tag = ngx_http_blog_find_img(p, last);
        end = tag ? ngx_strlchr(tag, last, '>') : NULL;

        if (end == NULL) {
            tag = last;
        }

        part = ngx_array_push(&parts);
        if (part == NULL) {
            return NGX_ERROR;
        }

        part->data = p;
        part->len = tag - p;
        size += part->len;

        if (tag == last) {
            break;
        }

        end++;

        part = ngx_array_push(&parts);
        if (part == NULL) {
            return NGX_ERROR;
        }

        if (ngx_http_blog_srcset_img(r, blcf, db, tag, end - tag, &media_url,
                                     part)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        size += part->len;
        p = end;
    }

    rewritten.data = ngx_pnalloc(r->pool, size);
    if (rewritten.data == NULL) {
        return NGX_ERROR;
    }

    q = rewritten.data;
    part = parts.elts;

    for (i = 0; i < parts.nelts; i++) {
        q = ngx_cpymem(q, part[i].data, part[i].len);
    }

    var->str = (char *) rewritten.data;
    var->len = q - rewritten.data;

    return NGX_OK;
}


/*
 * One <img ...> tag of len bytes: *out is the replacement, or the tag
 * itself when there is nothing to add.
 */
static ngx_int_t
ngx_http_blog_srcset_img(ngx_http_request_t *r, ngx_http_blog_loc_conf_t *blcf,
    ngx_http_blog_db_t *db, u_char *tag, size_t len, ngx_str_t *media_url,
    ngx_str_t *out)
{
    u_char                 *p, *last, *close, *src_end, *dst, *s, *q;
    size_t                  size;
    ngx_str_t               src, path, webp, orig;
    ngx_uint_t              i, has_webp, has_orig;
    const char             *why;
    ngx_http_blog_media_t   m;

    out->data = tag;
    out->len = len;

    last = tag + len;

    /* cmark writes the src first; anything else is left alone */
    p = ngx_strlcasestrn(tag, last, (u_char *) " src=\"", 6 - 1);
    if (p == NULL) {
        return NGX_OK;
    }

    src.data = p + 6;
    src_end = ngx_strlchr(src.data, last, '"');
    if (src_end == NULL) {
        return NGX_OK;
    }

    src.len = src_end - src.data;

    /* a tag that has them already (raw HTML) keeps its own */
    if (ngx_strlcasestrn(tag, last, (u_char *) " srcset=", 8 - 1) != NULL
        || ngx_strlcasestrn(tag, last, (u_char *) " width=", 7 - 1) != NULL
        || src.len <= media_url->len
        || ngx_strncmp(src.data, media_url->data, media_url->len) != 0)
    {
        return NGX_OK;
    }

    /* srcset lists URLs separated by blanks and commas */
    for (p = src.data; p < src_end; p++) {
        if (*p == ',' || *p == ' ' || *p == '?' || *p == '#') {
            return NGX_OK;
        }
    }

    /* "&amp;" back to "&", then the percent-encoding, into the file name */
    path.data = ngx_pnalloc(r->pool, src.len - media_url->len);
    if (path.data == NULL) {
        return NGX_ERROR;
    }

    s = src.data + media_url->len;
    dst = path.data;

    while (s < src_end) {
        if (*s == '&' && src_end - s >= 5 && ngx_strncmp(s, "&amp;", 5) == 0) {
            *dst++ = '&';
            s += 5;

        } else {
            *dst++ = *s++;
        }
    }

    s = path.data;
    q = path.data;
    ngx_unescape_uri(&q, &s, dst - path.data, NGX_UNESCAPE_URI);
    path.len = q - path.data;

    if (blog_path_check((char *) path.data, path.len, &why) != BLOG_PATH_OK) {
        return NGX_OK;
    }

    if (ngx_http_blog_media_lookup(r, db, &path, &m) != NGX_OK) {
        return NGX_OK;
    }

    has_webp = 0;
    has_orig = 0;

    for (i = 0; i < m.n; i++) {
        if (m.v[i].format.len == 4
            && ngx_strncmp(m.v[i].format.data, "webp", 4) == 0)
        {
            has_webp = 1;
        }

        if (m.v[i].format.len == m.format.len
            && ngx_strncmp(m.v[i].format.data, m.format.data, m.format.len)
               == 0)
        {
            has_orig = 1;
        }
    }

    /* the end of the tag: "/>" or ">" */
    close = last - 1;
    if (close > tag && close[-1] == '/') {
        close--;
    }

    while (close > tag && close[-1] == ' ') {
        close--;
    }

    ngx_str_set(&webp, "webp");
    orig = m.format;

    /* generous: each variant URL, its width, and the fixed text */
    size = len + sizeof("<picture><source type=\"image/webp\" srcset=\"\""
                        " sizes=\"\">  srcset=\"\" sizes=\"\" width=\"\""
                        " height=\"\"</picture>")
           + 2 * 6 * blcf->image_sizes.len + 2 * NGX_INT_T_LEN
           + (m.n + 1) * (media_url->len + src.len + NGX_INT_T_LEN + 8);

    for (i = 0; i < m.n; i++) {
        size += m.v[i].path.len;
    }

    out->data = ngx_pnalloc(r->pool, size);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    p = out->data;

    /* a WebP original is its own WebP: one srcset is enough */
    has_webp = has_webp && !(m.format.len == 4
                             && ngx_strncmp(m.format.data, "webp", 4) == 0);

    if (has_webp) {
        p = ngx_cpymem(p, "<picture><source type=\"image/webp\" srcset=\"",
                       sizeof("<picture><source type=\"image/webp\" "
                              "srcset=\"") - 1);
        p = ngx_http_blog_srcset_list(p, &m, &webp, media_url, NULL);
        p = ngx_cpymem(p, "\" sizes=\"", sizeof("\" sizes=\"") - 1);
        p = (u_char *) ngx_escape_html(p, blcf->image_sizes.data,
                                       blcf->image_sizes.len);
        p = ngx_cpymem(p, "\">", 2);
    }

    p = ngx_cpymem(p, tag, close - tag);

    if (has_orig) {
        p = ngx_cpymem(p, " srcset=\"", sizeof(" srcset=\"") - 1);
        p = ngx_http_blog_srcset_list(p, &m, &orig, media_url, &src);
        p = ngx_cpymem(p, "\" sizes=\"", sizeof("\" sizes=\"") - 1);
        p = (u_char *) ngx_escape_html(p, blcf->image_sizes.data,
                                       blcf->image_sizes.len);
        *p++ = '"';
    }

    p = ngx_sprintf(p, " width=\"%i\" height=\"%i\"", m.width, m.height);
    p = ngx_cpymem(p, close, last - close);

    if (has_webp) {
        p = ngx_cpymem(p, "</picture>", sizeof("</picture>") - 1);
    }

    out->len = p - out->data;

    return NGX_OK;
}


/* "URL 320w, URL 640w[, SRC WIDTHw]" of one format's variants. */
static u_char *
ngx_http_blog_srcset_list(u_char *p, ngx_http_blog_media_t *m,
    ngx_str_t *format, ngx_str_t *media_url, ngx_str_t *src)
{
    ngx_uint_t  i, first;

    first = 1;

    for (i = 0; i < m->n; i++) {
        if (m->v[i].format.len != format->len
            || ngx_strncmp(m->v[i].format.data, format->data, format->len)
               != 0)
        {
            continue;
        }

        if (!first) {
            p = ngx_cpymem(p, ", ", 2);
        }

        first = 0;

        p = ngx_cpymem(p, media_url->data, media_url->len);
        p = ngx_cpymem(p, m->v[i].path.data, m->v[i].path.len);
        p = ngx_sprintf(p, " %iw", m->v[i].width);
    }

    /* the original is the widest candidate of its own format */
    if (src) {
        p = ngx_sprintf(p, ", %V %iw", src, m->width);
    }

    return p;
}


/* A variant path: [A-Za-z0-9._-] segments, as the jobrunner names them. */
static ngx_uint_t
ngx_http_blog_srcset_safe(ngx_str_t *path)
{
    u_char      c;
    ngx_uint_t  i;
    const char *why;

    for (i = 0; i < path->len; i++) {
        c = path->data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'
              || c == '/'))
        {
            return 0;
        }
    }

    return blog_path_check((char *) path->data, path->len, &why)
           == BLOG_PATH_OK;
}


/*
 * The media row of path and its variants.  NGX_DECLINED when there is no
 * row (not made yet, or not an image), NGX_ERROR when the query failed
 * (logged; the page is served without srcset rather than not at all).
 */
static ngx_int_t
ngx_http_blog_media_lookup(ngx_http_request_t *r, ngx_http_blog_db_t *db,
    ngx_str_t *path, ngx_http_blog_media_t *m)
{
    int                       rc;
    u_char                   *p;
    size_t                    len;
    sqlite3_stmt             *stmt;
    ngx_http_blog_variant_t  *v;

    ngx_memzero(m, sizeof(ngx_http_blog_media_t));

    stmt = ngx_http_blog_db_stmt(db, BLOG_STMT_MEDIA);
    if (stmt == NULL
        || sqlite3_bind_text(stmt, 1, (char *) path->data, path->len,
                             SQLITE_STATIC) != SQLITE_OK)
    {
        ngx_http_blog_db_error(db, r->connection->log,
                               sqlite3_errcode(db->db), "media query");
        return NGX_ERROR;
    }

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (m->format.data == NULL) {
            m->width = sqlite3_column_int(stmt, 0);
            m->height = sqlite3_column_int(stmt, 1);

            len = sqlite3_column_bytes(stmt, 2);
            m->format.data = ngx_pnalloc(r->pool, len + 1);
            if (m->format.data == NULL) {
                sqlite3_reset(stmt);
                return NGX_ERROR;
            }

            ngx_memcpy(m->format.data, sqlite3_column_text(stmt, 2), len);
            m->format.len = len;
        }

        /* a media row without variants: the LEFT JOIN's NULLs */
        if (sqlite3_column_type(stmt, 3) == SQLITE_NULL
            || m->n == NGX_HTTP_BLOG_VARIANTS_MAX)
        {
            continue;
        }

        v = &m->v[m->n];

        len = sqlite3_column_bytes(stmt, 3) + sqlite3_column_bytes(stmt, 5);
        p = ngx_pnalloc(r->pool, len);
        if (p == NULL) {
            sqlite3_reset(stmt);
            return NGX_ERROR;
        }

        v->format.data = p;
        v->format.len = sqlite3_column_bytes(stmt, 3);
        p = ngx_cpymem(p, sqlite3_column_text(stmt, 3), v->format.len);

        v->path.data = p;
        v->path.len = sqlite3_column_bytes(stmt, 5);
        ngx_memcpy(p, sqlite3_column_text(stmt, 5), v->path.len);

        v->width = sqlite3_column_int(stmt, 4);

        /* it goes into an attribute as it is: the jobrunner's names only */
        if (v->width > 0 && ngx_http_blog_srcset_safe(&v->path)) {
            m->n++;
        }
    }

    sqlite3_reset(stmt);

    if (rc != SQLITE_DONE) {
        ngx_http_blog_db_error(db, r->connection->log, rc, "media query");
        return NGX_ERROR;
    }

    if (m->format.data == NULL || m->width <= 0 || m->height <= 0) {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * The first "<img " in p..last, case aside.  memchr() finds each '<' many
 * bytes at a time; ngx_strlcasestrn() lowered every byte of the body, a
 * cost every uncached post paid, images or not.
 */
static u_char *
ngx_http_blog_find_img(u_char *p, u_char *last)
{
    while (last - p >= 5) {
        p = memchr(p, '<', last - p - 4);
        if (p == NULL) {
            return NULL;
        }

        if (ngx_strncasecmp(p + 1, (u_char *) "img ", 4) == 0) {
            return p;
        }

        p++;
    }

    return NULL;
}
