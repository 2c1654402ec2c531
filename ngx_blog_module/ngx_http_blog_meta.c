/*
 * What link previews (Open Graph, Twitter cards) and search engines read
 * in a page's <head>, as variables of the page's scope:
 *
 *   description      the post's or page's summary, else the start of its
 *                    text; the site's description elsewhere
 *   og_type          "article" on posts, "website" elsewhere
 *   og_image         the post's first image, absolute, with
 *   og_image_width   og_image_height when the jobrunner has measured it;
 *                    without one, the post's social card once the
 *                    jobrunner has made it for its title (jr_card.c)
 *   twitter_card     "summary_large_image" with an image, else "summary"
 *   jsonld           a BlogPosting on posts, a WebSite with a SearchAction
 *                    on the index: JSON escaped for a <script> element,
 *                    so marked trusted and output raw ({{{jsonld}}})
 *
 * The page's own variables (title, url_abs, published_iso, ...) are read
 * back from its scope, so this runs once the page has them.
 */

#include "ngx_http_blog_module.h"
#include "ngx_http_blog_scope.h"
#include "blog_preview.h"


/* The route of the search page, relative to the blog's prefix. */
#define NGX_HTTP_BLOG_SEARCH  "search?q={search_term_string}"

#define ngx_http_blog_json_lit(out, s)  blog_buf_append(out, s, sizeof(s) - 1)


typedef struct {
    ngx_http_request_t        *r;
    ngx_http_blog_loc_conf_t  *blcf;
    ngx_http_blog_db_t        *db;
    ngx_array_t               *vars;
    ngx_str_t                 *base_url;
    ngx_str_t                  description;
    ngx_str_t                  image;
} ngx_http_blog_meta_t;


static ngx_int_t ngx_http_blog_meta_description(ngx_http_blog_meta_t *m);
static ngx_int_t ngx_http_blog_meta_image(ngx_http_blog_meta_t *m);
static ngx_int_t ngx_http_blog_meta_card(ngx_http_blog_meta_t *m,
    int64_t post_id);
static void ngx_http_blog_meta_size(ngx_http_blog_meta_t *m, u_char *src,
    size_t len, ngx_str_t *width, ngx_str_t *height);
static ngx_int_t ngx_http_blog_meta_article(ngx_http_blog_meta_t *m,
    blog_buf_t *out);
static ngx_int_t ngx_http_blog_meta_website(ngx_http_blog_meta_t *m,
    blog_buf_t *out);
static ngx_int_t ngx_http_blog_json_field(blog_buf_t *out, const char *key,
    blog_tpl_var_t *v);


ngx_int_t
ngx_http_blog_meta(ngx_http_request_t *r, ngx_http_blog_loc_conf_t *blcf,
    ngx_http_blog_db_t *db, ngx_array_t *vars, ngx_str_t *base_url,
    ngx_uint_t tpl, ngx_uint_t home, int64_t post_id)
{
    u_char                *p;
    ngx_int_t              rc;
    blog_buf_t             out;
    ngx_http_blog_meta_t   m;

    ngx_memzero(&m, sizeof(ngx_http_blog_meta_t));
    m.r = r;
    m.blcf = blcf;
    m.db = db;
    m.vars = vars;
    m.base_url = base_url;

    if (ngx_http_blog_meta_description(&m) != NGX_OK
        || ngx_http_blog_meta_image(&m) != NGX_OK
        || (m.image.len == 0 && tpl == BLOG_TPL_POST
            && ngx_http_blog_meta_card(&m, post_id) != NGX_OK)
        || ngx_http_blog_scope_cstr(r, vars, "og_type",
                                    tpl == BLOG_TPL_POST ? "article"
                                                         : "website")
           != NGX_OK
        || ngx_http_blog_scope_cstr(r, vars, "twitter_card",
                                    m.image.len ? "summary_large_image"
                                                : "summary")
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (tpl != BLOG_TPL_POST && !home) {
        return NGX_OK;
    }

    ngx_memzero(&out, sizeof(blog_buf_t));

    rc = tpl == BLOG_TPL_POST ? ngx_http_blog_meta_article(&m, &out)
                              : ngx_http_blog_meta_website(&m, &out);

    /* the scope lives in the request pool: so does its JSON */
    p = NULL;

    if (rc == NGX_OK) {
        p = ngx_pnalloc(r->pool, out.len);
        if (p != NULL) {
            ngx_memcpy(p, out.data, out.len);
        }
    }

    free(out.data);

    if (p == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_blog_scope_push(vars, "jsonld", BLOG_TPL_TRUSTED, p,
                                    out.len);
}


/* The summary, else the start of the text, else the site's description. */

static ngx_int_t
ngx_http_blog_meta_description(ngx_http_blog_meta_t *m)
{
    u_char          *p;
    blog_tpl_var_t  *v;

    v = ngx_http_blog_scope_find(m->vars, "summary");

    if (v != NULL && v->len) {
        m->description.data = (u_char *) v->str;
        m->description.len = v->len;

    } else if ((v = ngx_http_blog_scope_find(m->vars, "body_html")) != NULL) {
        p = ngx_pnalloc(m->r->pool, BLOG_DESCRIPTION_MAX + 4);
        if (p == NULL) {
            return NGX_ERROR;
        }

        m->description.data = p;
        m->description.len = blog_html_text(v->str, v->len, (char *) p,
                                            BLOG_DESCRIPTION_MAX);
    }

    if (m->description.len == 0
        && (v = ngx_http_blog_scope_find(m->vars, "site_description")) != NULL)
    {
        m->description.data = (u_char *) v->str;
        m->description.len = v->len;
    }

    if (m->description.len == 0) {
        return NGX_OK;
    }

    return ngx_http_blog_scope_push(m->vars, "description", BLOG_TPL_TEXT,
                                    m->description.data, m->description.len);
}


/*
 * The first image of a post or page, made absolute: a path on this site
 * gets the base URL; an http(s) URL stays as it is; anything else (a
 * relative path, another scheme) is no preview.
 */

static ngx_int_t
ngx_http_blog_meta_image(ngx_http_blog_meta_t *m)
{
    u_char          *p, *q, *last;
    size_t           len;
    ngx_str_t        width, height;
    const char      *src;
    blog_tpl_var_t  *v;

    v = ngx_http_blog_scope_find(m->vars, "body_html");

    if (v == NULL || !blog_html_first_img(v->str, v->len, &src, &len)) {
        return NGX_OK;
    }

    if (!(len > 1 && src[0] == '/' && src[1] != '/')
        && !(len > 8 && ngx_strncmp(src, "https://", 8) == 0)
        && !(len > 7 && ngx_strncmp(src, "http://", 7) == 0))
    {
        return NGX_OK;
    }

    p = ngx_pnalloc(m->r->pool, m->base_url->len + len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    m->image.data = p;

    if (src[0] == '/') {
        p = ngx_cpymem(p, m->base_url->data, m->base_url->len);
    }

    /* cmark wrote & as &amp; in the attribute: the URL is the decoded one */
    last = (u_char *) src + len;

    for (q = (u_char *) src; q < last; q++) {
        *p++ = *q;

        if (*q == '&' && last - q >= 5 && ngx_strncmp(q, "&amp;", 5) == 0) {
            q += 4;
        }
    }

    m->image.len = p - m->image.data;

    ngx_str_null(&width);
    ngx_str_null(&height);

    if (src[0] == '/') {
        ngx_http_blog_meta_size(m, (u_char *) src, len, &width, &height);
    }

    if (ngx_http_blog_scope_push(m->vars, "og_image", BLOG_TPL_TEXT,
                                 m->image.data, m->image.len)
        != NGX_OK
        || (width.len
            && (ngx_http_blog_scope_push(m->vars, "og_image_width",
                                         BLOG_TPL_TEXT, width.data, width.len)
                != NGX_OK
                || ngx_http_blog_scope_push(m->vars, "og_image_height",
                                            BLOG_TPL_TEXT, height.data,
                                            height.len)
                   != NGX_OK)))
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The social card the jobrunner made of the post (the cards table), if it
 * still shows the post's title; a failed query only costs the card.
 */

static ngx_int_t
ngx_http_blog_meta_card(ngx_http_blog_meta_t *m, int64_t post_id)
{
    u_char        *p;
    size_t         len, n;
    ngx_int_t      rc;
    ngx_str_t     *prefix, *route;
    sqlite3_stmt  *stmt;

    stmt = ngx_http_blog_db_stmt(m->db, BLOG_STMT_CARD);
    if (stmt == NULL
        || sqlite3_bind_int64(stmt, 1, post_id) != SQLITE_OK
        || sqlite3_step(stmt) != SQLITE_ROW)
    {
        if (stmt != NULL) {
            sqlite3_reset(stmt);
        }

        return NGX_OK;
    }

    prefix = &m->blcf->prefix;
    route = &m->blcf->route[BLOG_ROUTE_MEDIA];
    n = sqlite3_column_bytes(stmt, 0);
    len = m->base_url->len + prefix->len + route->len + n;

    p = ngx_pnalloc(m->r->pool, len + 2 * NGX_INT64_LEN);
    if (p == NULL) {
        sqlite3_reset(stmt);
        return NGX_ERROR;
    }

    m->image.data = p;
    m->image.len = len;
    ngx_sprintf(p, "%V%V%V%*s", m->base_url, prefix, route, n,
                sqlite3_column_text(stmt, 0));

    p += len;

    rc = ngx_http_blog_scope_push(m->vars, "og_image", BLOG_TPL_TEXT,
                                  m->image.data, m->image.len);

    if (rc == NGX_OK) {
        n = ngx_sprintf(p, "%L", sqlite3_column_int64(stmt, 1)) - p;
        rc = ngx_http_blog_scope_push(m->vars, "og_image_width",
                                      BLOG_TPL_TEXT, p, n);
        p += n;
    }

    if (rc == NGX_OK) {
        n = ngx_sprintf(p, "%L", sqlite3_column_int64(stmt, 2)) - p;
        rc = ngx_http_blog_scope_push(m->vars, "og_image_height",
                                      BLOG_TPL_TEXT, p, n);
    }

    sqlite3_reset(stmt);

    return rc;
}


/*
 * The size the jobrunner measured of an image under the media route
 * (the media table), if it has; a failed query only costs the size.
 */

static void
ngx_http_blog_meta_size(ngx_http_blog_meta_t *m, u_char *src, size_t len,
    ngx_str_t *width, ngx_str_t *height)
{
    u_char        *p;
    size_t         n;
    ngx_str_t     *prefix, *route;
    sqlite3_stmt  *stmt;

    prefix = &m->blcf->prefix;
    route = &m->blcf->route[BLOG_ROUTE_MEDIA];
    n = prefix->len + route->len;

    if (len <= n
        || ngx_strncmp(src, prefix->data, prefix->len) != 0
        || ngx_strncmp(src + prefix->len, route->data, route->len) != 0)
    {
        return;
    }

    stmt = ngx_http_blog_db_stmt(m->db, BLOG_STMT_MEDIA);
    if (stmt == NULL
        || sqlite3_bind_text(stmt, 1, (char *) src + n, len - n,
                             SQLITE_STATIC) != SQLITE_OK)
    {
        return;
    }

    if (sqlite3_step(stmt) == SQLITE_ROW) {
        p = ngx_pnalloc(m->r->pool, 2 * NGX_INT64_LEN);
        if (p != NULL) {
            width->data = p;
            width->len = ngx_sprintf(p, "%L", sqlite3_column_int64(stmt, 0))
                         - p;
            height->data = p + NGX_INT64_LEN;
            height->len = ngx_sprintf(height->data, "%L",
                                      sqlite3_column_int64(stmt, 1))
                          - height->data;
        }
    }

    sqlite3_reset(stmt);
}


/* schema.org's BlogPosting of a post. */

static ngx_int_t
ngx_http_blog_meta_article(ngx_http_blog_meta_t *m, blog_buf_t *out)
{
    size_t                 i;
    blog_tpl_var_t        *author, *v, tmp;
    const blog_tpl_ctx_t  *tag;

    author = ngx_http_blog_scope_find(m->vars, "site_author");
    if (author == NULL || author->len == 0) {
        author = ngx_http_blog_scope_find(m->vars, "site_title");
    }

    if (ngx_http_blog_json_lit(out, "{\"@context\":\"https://schema.org\","
                        "\"@type\":\"BlogPosting\"") != 0
        || ngx_http_blog_json_field(out, "headline",
                                    ngx_http_blog_scope_find(m->vars, "title"))
           != NGX_OK
        || ngx_http_blog_json_field(out, "datePublished",
                                    ngx_http_blog_scope_find(m->vars,
                                                             "published_iso"))
           != NGX_OK
        || ngx_http_blog_json_field(out, "dateModified",
                                    ngx_http_blog_scope_find(m->vars,
                                                             "updated_iso"))
           != NGX_OK
        || ngx_http_blog_json_field(out, "url",
                                    ngx_http_blog_scope_find(m->vars,
                                                             "url_abs"))
           != NGX_OK
        || ngx_http_blog_json_field(out, "mainEntityOfPage",
                                    ngx_http_blog_scope_find(m->vars,
                                                             "url_abs"))
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    tmp.str = (const char *) m->description.data;
    tmp.len = m->description.len;

    if (tmp.len && ngx_http_blog_json_field(out, "description", &tmp) != NGX_OK)
    {
        return NGX_ERROR;
    }

    tmp.str = (const char *) m->image.data;
    tmp.len = m->image.len;

    if (tmp.len && ngx_http_blog_json_field(out, "image", &tmp) != NGX_OK) {
        return NGX_ERROR;
    }

    if (author != NULL && author->len) {
        if (ngx_http_blog_json_lit(out, ",\"author\":{\"@type\":\"Person\"")
            != 0
            || ngx_http_blog_json_field(out, "name", author) != NGX_OK
            || ngx_http_blog_json_lit(out, "}") != 0)
        {
            return NGX_ERROR;
        }
    }

    /* the tags' names, "name" first in each tag's scope */
    v = ngx_http_blog_scope_find(m->vars, "tags");

    if (v != NULL && v->type == BLOG_TPL_LIST && v->nitems) {
        if (ngx_http_blog_json_lit(out, ",\"keywords\":[") != 0) {
            return NGX_ERROR;
        }

        for (i = 0; i < v->nitems; i++) {
            tag = &v->items[i];

            if ((i && ngx_http_blog_json_lit(out, ",") != 0)
                || blog_buf_append_json(out, tag->vars[0].str,
                                        tag->vars[0].len) != 0)
            {
                return NGX_ERROR;
            }
        }

        if (ngx_http_blog_json_lit(out, "]") != 0) {
            return NGX_ERROR;
        }
    }

    return blog_buf_append(out, "}", 1) == 0 ? NGX_OK : NGX_ERROR;
}


/* schema.org's WebSite of the home page, with the site's search. */

static ngx_int_t
ngx_http_blog_meta_website(ngx_http_blog_meta_t *m, blog_buf_t *out)
{
    u_char          *p;
    size_t           len;
    blog_tpl_var_t  *home, target;

    home = ngx_http_blog_scope_find(m->vars, "home_abs");
    if (home == NULL) {
        return NGX_ERROR;
    }

    len = home->len + sizeof(NGX_HTTP_BLOG_SEARCH) - 1;

    p = ngx_pnalloc(m->r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ngx_cpymem(p, home->str, home->len), NGX_HTTP_BLOG_SEARCH,
               sizeof(NGX_HTTP_BLOG_SEARCH) - 1);

    target.str = (const char *) p;
    target.len = len;

    if (ngx_http_blog_json_lit(out, "{\"@context\":\"https://schema.org\","
                        "\"@type\":\"WebSite\"") != 0
        || ngx_http_blog_json_field(out, "name",
                                    ngx_http_blog_scope_find(m->vars,
                                                             "site_title"))
           != NGX_OK
        || ngx_http_blog_json_field(out, "url", home) != NGX_OK
        || ngx_http_blog_json_lit(out, ",\"potentialAction\":{\"@type\":"
                                  "\"SearchAction\"") != 0
        || ngx_http_blog_json_field(out, "target", &target) != NGX_OK
        || ngx_http_blog_json_lit(out, ",\"query-input\":"
                                  "\"required name=search_term_string\"}}")
           != 0)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* ,"key":"value" for a variable that is there and not empty. */

static ngx_int_t
ngx_http_blog_json_field(blog_buf_t *out, const char *key, blog_tpl_var_t *v)
{
    if (v == NULL || v->len == 0) {
        return NGX_OK;
    }

    if (ngx_http_blog_json_lit(out, ",") != 0
        || blog_buf_append_json(out, key, ngx_strlen(key)) != 0
        || ngx_http_blog_json_lit(out, ":") != 0
        || blog_buf_append_json(out, v->str, v->len) != 0)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}
