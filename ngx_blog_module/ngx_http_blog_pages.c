/*
 * Reader pages: maps a path under the blog location to queries, turns the
 * rows into template scopes, and renders the theme's template into a page.
 *
 *   ""                     index, page 1
 *   page/N                 index, page N
 *   posts/SLUG             a published post
 *   tags/SLUG[/page/N]     published posts with a tag
 *   feed.xml, sitemap.xml  Atom feed, sitemap (or its index)
 *   sitemap-KIND-N.xml     a file of the sitemap, KIND posts or tags
 *   robots.txt             the theme's robots.txt, if it has one
 *   search?q=WORDS         search results (ngx_http_blog_search.c)
 *   opensearch.xml         the OpenSearch description of the search
 *   SLUG                   a published page ("about")
 *
 * A path that finds nothing may have moved: the redirects table
 * (lib/blog_redirect.h) is asked then, and only then.  Everything else,
 * and every draft, is the theme's 404.  Strings copied out
 * of SQLite live in the request pool; the rendering itself is malloc'ed, as
 * it may outlive the request in the page cache.
 */

#include <xxhash.h>

#include "ngx_http_blog_module.h"
#include "ngx_http_blog_pages.h"
#include "ngx_http_blog_events_module.h"
#include "ngx_http_blog_scope.h"
#include "blog_path.h"
#include "blog_redirect.h"
#include "blog_schema.h"


#define NGX_HTTP_BLOG_FEED_ENTRIES  20


/* A file of the sitemap: a row of sitemap_parts. */
typedef struct {
    ngx_uint_t                 tags;        /* the kind: tags, or posts */
    int64_t                    number;      /* from 0; URLs say N + 1 */
    time_t                     updated_at;
} ngx_http_blog_part_t;


static ngx_int_t ngx_http_blog_route_page(ngx_http_blog_render_t *rn,
    ngx_str_t *path);
static ngx_int_t ngx_http_blog_redirect(ngx_http_blog_render_t *rn,
    ngx_str_t *path);
static ngx_int_t ngx_http_blog_redirect_find(ngx_http_blog_render_t *rn,
    const char *kind, u_char *from, size_t len);
static ngx_int_t ngx_http_blog_index(ngx_http_blog_render_t *rn,
    ngx_str_t *tag, ngx_uint_t number);
static ngx_int_t ngx_http_blog_post(ngx_http_blog_render_t *rn,
    ngx_str_t *slug, const char *type);
static ngx_int_t ngx_http_blog_views(ngx_http_blog_render_t *rn,
    ngx_str_t *slug, ngx_uint_t comments);
static ngx_int_t ngx_http_blog_comments(ngx_http_blog_render_t *rn,
    int64_t post, ngx_str_t *slug);
static ngx_int_t ngx_http_blog_feed(ngx_http_blog_render_t *rn);
static ngx_int_t ngx_http_blog_sitemap(ngx_http_blog_render_t *rn);
static ngx_int_t ngx_http_blog_robots(ngx_http_blog_render_t *rn);
static ngx_int_t ngx_http_blog_sitemap_part(ngx_http_blog_render_t *rn,
    ngx_http_blog_part_t *part);
static ngx_int_t ngx_http_blog_sitemap_urls(ngx_http_blog_render_t *rn,
    ngx_array_t *items, ngx_http_blog_part_t *part);
static void ngx_http_blog_sitemap_route(ngx_http_blog_render_t *rn,
    ngx_str_t *stem, ngx_str_t *ext);
static ngx_int_t ngx_http_blog_sitemap_path(ngx_http_blog_render_t *rn,
    ngx_http_blog_part_t *part, ngx_str_t *path);
static ngx_int_t ngx_http_blog_sitemap_parse(ngx_http_blog_render_t *rn,
    ngx_str_t *path, ngx_http_blog_part_t *part);
static ngx_int_t ngx_http_blog_head(ngx_http_blog_render_t *rn,
    ngx_str_t *path);
static ngx_int_t ngx_http_blog_settings(ngx_http_blog_render_t *rn);
static ngx_int_t ngx_http_blog_settings_read(ngx_http_blog_render_t *rn);
static ngx_int_t ngx_http_blog_neighbours(ngx_http_blog_render_t *rn,
    int64_t post);
static ngx_int_t ngx_http_blog_related(ngx_http_blog_render_t *rn,
    int64_t post);
static ngx_int_t ngx_http_blog_post_list(ngx_http_blog_render_t *rn,
    ngx_array_t *vars, const char *name, sqlite3_stmt *stmt,
    ngx_uint_t what);
static ngx_int_t ngx_http_blog_tag_cmp(const void *one, const void *two);
static ngx_int_t ngx_http_blog_pager(ngx_http_blog_render_t *rn,
    ngx_str_t *base, ngx_uint_t number, ngx_uint_t total);


static const char *ngx_http_blog_months[] = {
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December"
};


ngx_int_t
ngx_http_blog_render(ngx_http_request_t *r, ngx_http_blog_loc_conf_t *blcf,
    ngx_str_t *path, ngx_http_blog_page_t *page)
{
    return ngx_http_blog_render_with(r, blcf, path, page, NULL, 0);
}


/*
 * Renders with extra root variables, which come first and so win over the
 * page's own: the comment form sent back with the reader's values and what
 * was wrong with them.
 */

ngx_int_t
ngx_http_blog_render_with(ngx_http_request_t *r,
    ngx_http_blog_loc_conf_t *blcf, ngx_str_t *path,
    ngx_http_blog_page_t *page, blog_tpl_var_t *extra, ngx_uint_t nextra)
{
    uint64_t                 hash;
    ngx_int_t                rc;
    ngx_uint_t               i;
    blog_buf_t               out;
    blog_tpl_ctx_t           ctx;
    blog_tpl_var_t          *var;
    blog_tpl_mark_t          mark;
    ngx_http_blog_render_t   rn;

    ngx_memzero(&rn, sizeof(ngx_http_blog_render_t));

    rn.r = r;
    rn.blcf = blcf;
    rn.db = blcf->db;
    rn.status = NGX_HTTP_OK;
    rn.content_type = BLOG_TYPE_HTML;

    if (ngx_array_init(&rn.root, r->pool, 16 + nextra,
                       sizeof(blog_tpl_var_t))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < nextra; i++) {
        *(blog_tpl_var_t *) ngx_array_push(&rn.root) = extra[i];
    }

    if (ngx_http_blog_db_begin(rn.db, r->connection->log) != NGX_OK) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    rc = ngx_http_blog_settings(&rn);
    if (rc != NGX_OK) {
        ngx_http_blog_db_done(rn.db);
        return rc;
    }

    rc = ngx_http_blog_route_page(&rn, path);

    /* a page that moved answers a GET or HEAD, not a comment's POST */
    if (rc == NGX_DECLINED && (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        rc = ngx_http_blog_redirect(&rn, path);
    }

    if (rc == NGX_OK && rn.content_type == BLOG_TYPE_HTML
        && rn.location.len == 0) {
        rc = ngx_http_blog_head(&rn, path);
    }

    ngx_http_blog_db_done(rn.db);

    if (rc != NGX_OK && rc != NGX_DECLINED) {
        return rc;
    }

    if (rn.location.len) {
        page->status = rn.status;
        page->location = rn.location;
        return NGX_OK;
    }

    /* not found, or gone for good (a redirect's 410): the theme's 404 */
    if (rc == NGX_DECLINED) {
        rn.status = (rn.status == NGX_HTTP_BLOG_GONE) ? NGX_HTTP_BLOG_GONE
                                                 : NGX_HTTP_NOT_FOUND;
        rn.content_type = BLOG_TYPE_HTML;
        rn.tpl = BLOG_TPL_NOT_FOUND;
    }

    ctx.parent = NULL;
    ctx.vars = rn.root.elts;
    ctx.nvars = rn.root.nelts;

    ngx_memzero(&out, sizeof(blog_buf_t));
    ngx_memzero(&mark, sizeof(blog_tpl_mark_t));

    /* where the body goes: its deflate is kept (ngx_http_blog_parts.c) */
    var = ngx_http_blog_scope_find(&rn.root, "body_html");

    if (var != NULL) {
        mark.str = (var->type == BLOG_TPL_TRUSTED) ? var->str : NULL;
        mark.len = var->len;
    }

    if (blog_tpl_render_marked(blcf->theme->tpl[rn.tpl], &ctx, &out, &mark)
        != 0)
    {
        free(out.data);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    page->body = (u_char *) out.data;
    page->len = out.len;
    page->part_at = mark.at;
    page->part_len = (mark.found && mark.str) ? mark.len : 0;
    page->status = rn.status;
    page->content_type = rn.content_type;
    page->last_modified = rn.last_modified;

    /*
     * Views are counted in analytics.db, which does not move the
     * generation: a page that shows a count is rendered again
     * blog_views_max_age after the count was read (the theme's script
     * keeps it live meanwhile).
     */
    page->expires = rn.expires ? rn.views_at + blcf->views_max_age : 0;

    /*
     * A hash of the body: a strong validator that survives a re-render in
     * any worker.  XXH3 rather than a byte-at-a-time hash: on an uncached
     * page it is paid per response (FNV-1a was 6% of the worker's time).
     */
    hash = XXH3_64bits(out.data, out.len);

    ngx_sprintf(page->etag, "\"%016xL\"", (uint64_t) hash);

    return NGX_OK;
}


/*
 * The index asked with a query: an old permalink of another blog
 * ("/?p=123", WordPress's) when a redirect has that path and query.
 * NGX_OK with page->status and page->location set, NGX_DECLINED when
 * none has (the index is served), or an HTTP status.
 */

ngx_int_t
ngx_http_blog_render_query(ngx_http_request_t *r,
    ngx_http_blog_loc_conf_t *blcf, ngx_http_blog_page_t *page)
{
    u_char                  *p;
    size_t                   len;
    ngx_int_t                rc;
    ngx_http_blog_render_t   rn;

    ngx_memzero(&rn, sizeof(ngx_http_blog_render_t));

    rn.r = r;
    rn.blcf = blcf;
    rn.db = blcf->db;

    if (ngx_array_init(&rn.root, r->pool, 16, sizeof(blog_tpl_var_t))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = blog_redirect_key_len((char *) r->uri.data, r->uri.len);

    p = ngx_pnalloc(r->pool, len + 1 + r->args.len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf(p, "%*s?%V", len, r->uri.data, &r->args);

    rc = ngx_http_blog_settings(&rn);

    if (rc == NGX_OK) {
        rc = ngx_http_blog_redirect_find(&rn, "path", p,
                                         len + 1 + r->args.len);
    }

    ngx_http_blog_db_done(rn.db);

    /* a 410 has no place here: the index is still there */
    if (rc != NGX_OK || rn.location.len == 0) {
        return rc == NGX_OK ? NGX_DECLINED : rc;
    }

    page->status = rn.status;
    page->location = rn.location;

    return NGX_OK;
}


/*
 * Returns NGX_OK with rn->tpl set, NGX_DECLINED for "not found", or an
 * HTTP status for failures.
 */

static ngx_int_t
ngx_http_blog_route_page(ngx_http_blog_render_t *rn, ngx_str_t *path)
{
    u_char                    *p, *last, *slash;
    ngx_str_t                  tag, slug, *route;
    ngx_uint_t                 number;
    ngx_http_blog_part_t       part;
    ngx_http_blog_loc_conf_t  *blcf;

    blcf = rn->blcf;
    p = path->data;
    last = p + path->len;
    route = blcf->route;

    if (p == last) {
        return ngx_http_blog_index(rn, NULL, 1);
    }

    if (ngx_http_blog_newsletter_page(blcf, path)) {
        rn->tpl = BLOG_TPL_NEWSLETTER;
        return NGX_OK;
    }

#define ngx_http_blog_starts(n)                                               \
    ((size_t) (last - p) > route[n].len                                       \
     && ngx_strncmp(p, route[n].data, route[n].len) == 0)

    if (ngx_http_blog_starts(BLOG_ROUTE_PAGE)) {
        number = blog_page_number((char *) p + route[BLOG_ROUTE_PAGE].len,
                                  last - p - route[BLOG_ROUTE_PAGE].len);
        return number > 1 ? ngx_http_blog_index(rn, NULL, number)
                          : NGX_DECLINED;
    }

    if (ngx_http_blog_starts(BLOG_ROUTE_POST)) {
        slug.data = p + route[BLOG_ROUTE_POST].len;
        slug.len = last - slug.data;
        return ngx_http_blog_post(rn, &slug, "post");
    }

    if (ngx_http_blog_starts(BLOG_ROUTE_TAG)) {
        tag.data = p + route[BLOG_ROUTE_TAG].len;
        slash = ngx_strlchr(tag.data, last, '/');
        tag.len = (slash ? slash : last) - tag.data;

        if (slash == NULL) {
            return ngx_http_blog_index(rn, &tag, 1);
        }

        /* tags/SLUG/page/N */
        p = slash + 1;
        if (!ngx_http_blog_starts(BLOG_ROUTE_PAGE)) {
            return NGX_DECLINED;
        }

        number = blog_page_number((char *) p + route[BLOG_ROUTE_PAGE].len,
                                  last - p - route[BLOG_ROUTE_PAGE].len);
        return number > 1 ? ngx_http_blog_index(rn, &tag, number)
                          : NGX_DECLINED;
    }

#undef ngx_http_blog_starts

    if (path->len == route[BLOG_ROUTE_FEED].len
        && ngx_strncmp(p, route[BLOG_ROUTE_FEED].data, path->len) == 0)
    {
        return ngx_http_blog_feed(rn);
    }

    if (path->len == route[BLOG_ROUTE_SITEMAP].len
        && ngx_strncmp(p, route[BLOG_ROUTE_SITEMAP].data, path->len) == 0)
    {
        return ngx_http_blog_sitemap(rn);
    }

    if (path->len == sizeof("robots.txt") - 1
        && ngx_strncmp(p, "robots.txt", path->len) == 0)
    {
        return ngx_http_blog_robots(rn);
    }

    if (path->len == route[BLOG_ROUTE_SEARCH].len
        && ngx_strncmp(p, route[BLOG_ROUTE_SEARCH].data, path->len) == 0)
    {
        return ngx_http_blog_search(rn);
    }

    if (path->len == route[BLOG_ROUTE_OPENSEARCH].len
        && ngx_strncmp(p, route[BLOG_ROUTE_OPENSEARCH].data, path->len) == 0)
    {
        rn->tpl = BLOG_TPL_OPENSEARCH;
        rn->content_type = BLOG_TYPE_OPENSEARCH;
        return NGX_OK;
    }

    if (ngx_http_blog_sitemap_parse(rn, path, &part) == NGX_OK) {
        return ngx_http_blog_sitemap_part(rn, &part);
    }

    return ngx_http_blog_post(rn, path, "page");
}


/*
 * What a page's <head> says of it besides its title: "canonical" and
 * "canonical_abs", its own address (a comment sent back with errors is
 * rendered for the post's path), and the link previews and structured
 * data of ngx_http_blog_meta.c.
 */

static ngx_int_t
ngx_http_blog_head(ngx_http_blog_render_t *rn, ngx_str_t *path)
{
    if (ngx_http_blog_var_url(rn, &rn->root, "canonical", NULL, path->data,
                              path->len)
        != NGX_OK
        || ngx_http_blog_meta(rn->r, rn->blcf, rn->db, &rn->root,
                              &rn->base_url, rn->tpl, path->len == 0,
                              rn->post_id)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


/*
 * A path that found nothing: a redirect of the request's path (the
 * panel's, an alias, an importer's), else, for a post's or a page's URL,
 * of a slug a post had.  NGX_OK with rn->status and rn->location set,
 * NGX_DECLINED (rn->status NGX_HTTP_BLOG_GONE for a 410), or an HTTP status.
 */

static ngx_int_t
ngx_http_blog_redirect(ngx_http_blog_render_t *rn, ngx_str_t *path)
{
    size_t       len;
    ngx_int_t    rc;
    ngx_str_t   *route, slug;
    const char  *kind;

    /* r->uri as nginx leaves it: decoded, no "//", no dot segments */
    len = blog_redirect_key_len((char *) rn->r->uri.data, rn->r->uri.len);

    rc = ngx_http_blog_redirect_find(rn, "path", rn->r->uri.data, len);
    if (rc != NGX_DECLINED || rn->status == NGX_HTTP_BLOG_GONE) {
        return rc;
    }

    slug.data = path->data;
    slug.len = blog_redirect_key_len((char *) path->data, path->len);
    route = &rn->blcf->route[BLOG_ROUTE_POST];

    if (slug.len > route->len
        && ngx_strncmp(slug.data, route->data, route->len) == 0)
    {
        kind = "post";
        slug.data += route->len;
        slug.len -= route->len;

    } else {
        kind = "page";
    }

    if (!blog_slug_valid((char *) slug.data, slug.len)) {
        return NGX_DECLINED;
    }

    return ngx_http_blog_redirect_find(rn, kind, slug.data, slug.len);
}


static ngx_int_t
ngx_http_blog_redirect_find(ngx_http_blog_render_t *rn, const char *kind,
    u_char *from, size_t len)
{
    u_char        *p;
    size_t         n;
    ngx_int_t      rc;
    ngx_str_t      to, slug, *route, base;
    const char    *why;
    sqlite3_stmt  *stmt;

    stmt = ngx_http_blog_db_stmt(rn->db, BLOG_STMT_REDIRECT);
    if (stmt == NULL
        || sqlite3_bind_text(stmt, 1, kind, -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_text(stmt, 2, (char *) from, len, SQLITE_STATIC)
           != SQLITE_OK)
    {
        return ngx_http_blog_step(rn, NULL);
    }

    rc = ngx_http_blog_step(rn, stmt);
    if (rc != NGX_AGAIN) {
        return rc == NGX_OK ? NGX_DECLINED : rc;
    }

    if (sqlite3_column_int(stmt, 0) == NGX_HTTP_BLOG_GONE) {
        rn->status = NGX_HTTP_BLOG_GONE;
        return NGX_DECLINED;
    }

    /*
     * Without a base URL set, a local target stays "/...": nginx makes it
     * absolute with the request's scheme, host and port (absolute_redirect).
     */
    base.len = rn->base_is_host ? 0 : rn->base_url.len;
    base.data = rn->base_url.data;

    if (sqlite3_column_type(stmt, 2) != SQLITE_NULL) {

        /* a post that is not published leads nowhere */
        if (sqlite3_column_type(stmt, 3) == SQLITE_NULL) {
            return NGX_DECLINED;
        }

        route = ngx_strcmp(sqlite3_column_text(stmt, 3), "post") == 0
                ? &rn->blcf->route[BLOG_ROUTE_POST]
                : &(ngx_str_t) ngx_null_string;
        slug.data = (u_char *) sqlite3_column_text(stmt, 4);
        slug.len = sqlite3_column_bytes(stmt, 4);

        n = base.len + rn->blcf->prefix.len + route->len + slug.len;
        p = ngx_pnalloc(rn->r->pool, n);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_sprintf(p, "%V%V%V%V", &base, &rn->blcf->prefix, route, &slug);

    } else {
        to.data = (u_char *) sqlite3_column_text(stmt, 1);
        to.len = sqlite3_column_bytes(stmt, 1);

        /* the panel checks it; a hand-typed INSERT may not have */
        if (!blog_redirect_to_valid((char *) to.data, to.len, &why)) {
            ngx_log_error(NGX_LOG_ERR, rn->r->connection->log, 0,
                          "blog redirect from \"%*s\": its target %s, "
                          "ignored", len, from, why);
            return NGX_DECLINED;
        }

        if (to.data[0] != '/') {
            base.len = 0;
        }

        n = base.len + to.len;
        p = ngx_pnalloc(rn->r->pool, n);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_sprintf(p, "%V%V", &base, &to);
    }

    rn->status = sqlite3_column_int(stmt, 0);
    rn->location.data = p;
    rn->location.len = n;

    return NGX_OK;
}


/*
 * The settings table, read once per generation of the database into one
 * block of the worker's memory, whose strings a page's variables point to
 * until the render ends: the table changes far less often than pages are
 * rendered.  A snapshot read in this tick is never older than the one the
 * generation was checked in (ngx_http_blog_db_ready()), so a change is
 * never missed.
 */

static ngx_int_t
ngx_http_blog_settings_read(ngx_http_blog_render_t *rn)
{
    u_char                   *p;
    size_t                    size;
    ngx_int_t                 rc;
    ngx_uint_t                i;
    ngx_array_t               rows;
    sqlite3_stmt             *stmt;
    ngx_http_blog_db_t       *db;
    ngx_http_blog_setting_t  *row, *kept;

    db = rn->db;

    if (db->settings != NULL && db->settings_gen == db->generation) {
        return NGX_OK;
    }

    if (ngx_array_init(&rows, rn->r->pool, 16,
                       sizeof(ngx_http_blog_setting_t))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    stmt = ngx_http_blog_db_stmt(db, BLOG_STMT_SETTINGS);
    if (stmt == NULL) {
        return ngx_http_blog_step(rn, NULL);
    }

    size = 0;

    while ((rc = ngx_http_blog_step(rn, stmt)) == NGX_AGAIN) {
        row = ngx_array_push(&rows);
        if (row == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* SQLite's text lives until the next step: copied */
        row->name.len = sqlite3_column_bytes(stmt, 0);
        row->name.data = ngx_pnalloc(rn->r->pool, row->name.len);
        row->value.len = sqlite3_column_bytes(stmt, 1);
        row->value.data = ngx_pnalloc(rn->r->pool, row->value.len);

        if (row->name.data == NULL || row->value.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memcpy(row->name.data, sqlite3_column_text(stmt, 0),
                   row->name.len);
        ngx_memcpy(row->value.data, sqlite3_column_text(stmt, 1),
                   row->value.len);

        size += sizeof("site_") + row->name.len + row->value.len;
    }

    if (rc != NGX_OK) {
        return rc;
    }

    kept = ngx_alloc(rows.nelts * sizeof(ngx_http_blog_setting_t) + size,
                     rn->r->connection->log);
    if (kept == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = (u_char *) (kept + rows.nelts);
    row = rows.elts;

    for (i = 0; i < rows.nelts; i++) {
        kept[i].name.data = p;

        if (row[i].name.len == 8
            && ngx_strncmp(row[i].name.data, "base_url", 8) == 0)
        {
            p = ngx_cpymem(p, "base_url", 8);

        } else {
            p = ngx_cpymem(ngx_cpymem(p, "site_", 5), row[i].name.data,
                           row[i].name.len);
        }

        kept[i].name.len = p - kept[i].name.data;
        *p++ = '\0';

        kept[i].value.data = p;
        kept[i].value.len = row[i].value.len;
        p = ngx_cpymem(p, row[i].value.data, row[i].value.len);
    }

    ngx_free(db->settings);
    db->settings = kept;
    db->nsettings = rows.nelts;
    db->settings_gen = db->generation;

    return NGX_OK;
}


static ngx_int_t
ngx_http_blog_settings(ngx_http_blog_render_t *rn)
{
    ngx_int_t                  rc;
    ngx_uint_t                 i;
    ngx_http_request_t        *r;
    ngx_http_blog_setting_t   *row;
    ngx_http_blog_loc_conf_t  *blcf;

    r = rn->r;
    blcf = rn->blcf;

    rn->base_url = blcf->base_url;

    rc = ngx_http_blog_settings_read(rn);
    if (rc != NGX_OK) {
        return rc;
    }

    row = rn->db->settings;

    for (i = 0; i < rn->db->nsettings; i++) {
        if (row[i].name.len != 8
            || ngx_strncmp(row[i].name.data, "base_url", 8) != 0)
        {
            if (ngx_http_blog_scope_push(&rn->root, (char *) row[i].name.data,
                                         BLOG_TPL_TEXT, row[i].value.data,
                                         row[i].value.len)
                != NGX_OK)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            continue;
        }

        /* base_url: a redirect's Location outlives the render, so copied */
        if (blcf->base_url.len == 0 && row[i].value.len) {
            rn->base_url.data = ngx_pstrdup(r->pool, &row[i].value);
            if (rn->base_url.data == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            rn->base_url.len = row[i].value.len;

            /* links are built as base_url + "/...": drop a final '/' */
            while (rn->base_url.len
                   && rn->base_url.data[rn->base_url.len - 1] == '/')
            {
                rn->base_url.len--;
            }
        }
    }

    /*
     * Without a configured base URL, absolute links follow the request
     * (ngx_http_blog_url.c); a redirect's Location is then left to nginx.
     */
    if (rn->base_url.len == 0) {
        rn->base_is_host = 1;

        if (ngx_http_blog_site_url(r, blcf, &rn->base_url) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (ngx_http_blog_scope_push(&rn->root, "base_url", BLOG_TPL_TEXT,
                                 rn->base_url.data, rn->base_url.len)
        != NGX_OK
        || ngx_http_blog_var_url(rn, &rn->root, "home", NULL, NULL, 0)
           != NGX_OK
        || ngx_http_blog_var_url(rn, &rn->root, "static_url",
                                 &blcf->route[BLOG_ROUTE_STATIC], NULL, 0)
           != NGX_OK
        || ngx_http_blog_var_url(rn, &rn->root, "feed_url",
                                 &blcf->route[BLOG_ROUTE_FEED], NULL, 0)
           != NGX_OK
        || ngx_http_blog_var_url(rn, &rn->root, "search_url",
                                 &blcf->route[BLOG_ROUTE_SEARCH], NULL, 0)
           != NGX_OK
        || ngx_http_blog_var_url(rn, &rn->root, "opensearch_url",
                                 &blcf->route[BLOG_ROUTE_OPENSEARCH], NULL, 0)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the CSS beacon's link (ngx_http_blog_beacon.c), the same for all */
    if (ngx_http_blog_beacon_on(rn->r)
        && ngx_http_blog_var_url(rn, &rn->root, "beacon_url",
                                 &ngx_http_blog_beacon_route, NULL, 0)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the theme shows the subscription form where it has this */
    if (blcf->newsletter
        && ngx_http_blog_var_url(rn, &rn->root, "subscribe_url",
                                 &ngx_http_blog_subscribe_route, NULL, 0)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


/*
 * The index (tag == NULL) or a tag's listing, page "number" from 1: the
 * listing's count, then one range of its posts by seq, newest first,
 * however deep the page (listing_posts, lib/blog_schema.c).
 */

static ngx_int_t
ngx_http_blog_index(ngx_http_blog_render_t *rn, ngx_str_t *tag,
    ngx_uint_t number)
{
    u_char                    *p;
    int64_t                    tag_id, newest;
    ngx_int_t                  rc;
    ngx_str_t                  base;
    ngx_uint_t                 total, per_page;
    sqlite3_stmt              *stmt;
    ngx_http_blog_loc_conf_t  *blcf;

    blcf = rn->blcf;
    per_page = blcf->per_page;
    tag_id = 0;

    if (tag != NULL) {
        if (!blog_slug_valid((char *) tag->data, tag->len)) {
            return NGX_DECLINED;
        }

        stmt = ngx_http_blog_db_stmt(rn->db, BLOG_STMT_TAG);
        if (stmt == NULL
            || sqlite3_bind_text(stmt, 1, (char *) tag->data, tag->len,
                                 SQLITE_STATIC) != SQLITE_OK)
        {
            return ngx_http_blog_step(rn, NULL);
        }

        rc = ngx_http_blog_step(rn, stmt);
        if (rc != NGX_AGAIN) {
            return rc == NGX_OK ? NGX_DECLINED : rc;
        }

        tag_id = sqlite3_column_int64(stmt, 0);

        if (ngx_http_blog_scope_column(rn->r, &rn->root, "tag_name", stmt, 1)
            != NGX_OK
            || ngx_http_blog_scope_push(&rn->root, "tag_slug", BLOG_TPL_TEXT,
                                        tag->data, tag->len)
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    stmt = ngx_http_blog_db_stmt(rn->db, BLOG_STMT_LISTING_STATS);
    if (stmt == NULL || sqlite3_bind_int64(stmt, 1, tag_id) != SQLITE_OK) {
        return ngx_http_blog_step(rn, NULL);
    }

    rc = ngx_http_blog_step(rn, stmt);
    if (rc != NGX_AGAIN && rc != NGX_OK) {
        return rc;
    }

    /* a tag without a listing yet has no published post */
    total = 0;

    if (rc == NGX_AGAIN) {
        total = (ngx_uint_t) sqlite3_column_int64(stmt, 0);
        rn->last_modified = (time_t) sqlite3_column_int64(stmt, 1);
    }

    /* a tag whose posts are all drafts does not exist for readers */
    if ((number > 1 || tag != NULL) && (number - 1) * per_page >= total) {
        return NGX_DECLINED;
    }

    /* seq counts from the oldest: page 1 ends with the newest, seq total */
    newest = (int64_t) (total - (number - 1) * per_page);

    stmt = ngx_http_blog_db_stmt(rn->db, BLOG_STMT_LISTING);
    if (stmt == NULL
        || sqlite3_bind_int64(stmt, 1, tag_id) != SQLITE_OK
        || sqlite3_bind_int64(stmt, 2, newest - (int64_t) per_page + 1)
           != SQLITE_OK
        || sqlite3_bind_int64(stmt, 3, newest) != SQLITE_OK)
    {
        return ngx_http_blog_step(rn, NULL);
    }

    rc = ngx_http_blog_post_list(rn, &rn->root, "posts", stmt,
                                 NGX_HTTP_BLOG_POST_TAGS);
    if (rc != NGX_OK) {
        return rc;
    }

    /* the listing's own URL, from which "page/N" links are built */
    if (tag != NULL) {
        base.len = blcf->prefix.len + blcf->route[BLOG_ROUTE_TAG].len
                   + tag->len + 1;
        base.data = ngx_pnalloc(rn->r->pool, base.len);
        if (base.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        p = ngx_cpymem(base.data, blcf->prefix.data, blcf->prefix.len);
        p = ngx_cpymem(p, blcf->route[BLOG_ROUTE_TAG].data,
                       blcf->route[BLOG_ROUTE_TAG].len);
        p = ngx_cpymem(p, tag->data, tag->len);
        *p = '/';

    } else {
        base = blcf->prefix;
    }

    rc = ngx_http_blog_pager(rn, &base, number, total);
    if (rc != NGX_OK) {
        return rc;
    }

    rn->tpl = tag ? BLOG_TPL_TAG : BLOG_TPL_INDEX;

    return NGX_OK;
}


static ngx_int_t
ngx_http_blog_pager(ngx_http_blog_render_t *rn, ngx_str_t *base,
    ngx_uint_t number, ngx_uint_t total)
{
    u_char     *p;
    size_t      len;
    ngx_str_t  *route;
    ngx_uint_t  per_page;

    per_page = rn->blcf->per_page;
    route = &rn->blcf->route[BLOG_ROUTE_PAGE];
    len = base->len + route->len + NGX_INT_T_LEN;

    p = ngx_pnalloc(rn->r->pool, NGX_INT_T_LEN);
    if (p == NULL
        || ngx_http_blog_scope_push(&rn->root, "page_number", BLOG_TPL_TEXT, p,
                                    ngx_sprintf(p, "%ui", number) - p)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (number == 2) {
        if (ngx_http_blog_scope_push(&rn->root, "newer_url", BLOG_TPL_TEXT,
                                     base->data, base->len)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

    } else if (number > 2) {
        p = ngx_pnalloc(rn->r->pool, len);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        len = ngx_sprintf(p, "%V%V%ui", base, route, number - 1) - p;

        if (ngx_http_blog_scope_push(&rn->root, "newer_url", BLOG_TPL_TEXT,
                                     p, len)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (number * per_page < total) {
        p = ngx_pnalloc(rn->r->pool, len);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        len = ngx_sprintf(p, "%V%V%ui", base, route, number + 1) - p;

        if (ngx_http_blog_scope_push(&rn->root, "older_url", BLOG_TPL_TEXT,
                                     p, len)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_blog_post(ngx_http_blog_render_t *rn, ngx_str_t *slug,
    const char *type)
{
    ngx_int_t      rc;
    sqlite3_stmt  *stmt;

    if (!blog_slug_valid((char *) slug->data, slug->len)) {
        return NGX_DECLINED;
    }

    stmt = ngx_http_blog_db_stmt(rn->db, BLOG_STMT_POST);
    if (stmt == NULL
        || sqlite3_bind_text(stmt, 1, (char *) slug->data, slug->len,
                             SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_text(stmt, 2, type, -1, SQLITE_STATIC) != SQLITE_OK)
    {
        return ngx_http_blog_step(rn, NULL);
    }

    rc = ngx_http_blog_step(rn, stmt);
    if (rc != NGX_AGAIN) {
        return rc == NGX_OK ? NGX_DECLINED : rc;
    }

    rn->last_modified = (time_t) sqlite3_column_int64(stmt, 5);
    rn->post_id = sqlite3_column_int64(stmt, 0);
    rn->tpl = type[1] == 'o' ? BLOG_TPL_POST : BLOG_TPL_PAGE;

    /* the approved comments, where readers may comment */
    if (type[1] == 'o' && ngx_http_blog_comments_enabled(rn->r)) {
        rc = ngx_http_blog_comments(rn, sqlite3_column_int64(stmt, 0), slug);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    rc = ngx_http_blog_post_vars(rn, &rn->root, stmt,
                                 NGX_HTTP_BLOG_POST_BODY
                                 |NGX_HTTP_BLOG_POST_TAGS);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_blog_scope_trusted(rn->r, &rn->root, "toc_html",
                                    sqlite3_column_text(stmt, 8),
                                    sqlite3_column_bytes(stmt, 8))
        != NGX_OK
        || ngx_http_blog_scope_column(rn->r, &rn->root, "author", stmt, 9)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (type[1] == 'o') {
        rc = ngx_http_blog_neighbours(rn, sqlite3_column_int64(stmt, 0));
        if (rc != NGX_OK) {
            return rc;
        }

        rc = ngx_http_blog_related(rn, sqlite3_column_int64(stmt, 0));
        if (rc != NGX_OK) {
            return rc;
        }

        rc = ngx_http_blog_views(rn, slug,
                                 ngx_http_blog_comments_enabled(rn->r));
        if (rc != NGX_OK) {
            return rc;
        }
    }

    /* images with variants made by the jobrunner get srcset and sizes */
    return ngx_http_blog_srcset(rn->r, rn->blcf, rn->db, &rn->root) == NGX_OK
           ? NGX_OK : NGX_HTTP_INTERNAL_SERVER_ERROR;
}


/*
 * "prev_url" and "prev_title", the post published before this one, and
 * "next_url" and "next_title", the one after: its neighbours in the
 * index's numbering (migration 8), two rows of an index whatever the site
 * holds.
 */

static ngx_int_t
ngx_http_blog_neighbours(ngx_http_blog_render_t *rn, int64_t post)
{
    ngx_int_t      rc;
    ngx_uint_t     next;
    sqlite3_stmt  *stmt;

    stmt = ngx_http_blog_db_stmt(rn->db, BLOG_STMT_NEIGHBOURS);
    if (stmt == NULL || sqlite3_bind_int64(stmt, 1, post) != SQLITE_OK) {
        return ngx_http_blog_step(rn, NULL);
    }

    while ((rc = ngx_http_blog_step(rn, stmt)) == NGX_AGAIN) {
        next = sqlite3_column_int(stmt, 0) > 0;

        if (ngx_http_blog_var_url(rn, &rn->root,
                                  next ? "next_url" : "prev_url",
                                  &rn->blcf->route[BLOG_ROUTE_POST],
                                  (u_char *) sqlite3_column_text(stmt, 1),
                                  sqlite3_column_bytes(stmt, 1))
            != NGX_OK
            || ngx_http_blog_scope_column(rn->r, &rn->root,
                                          next ? "next_title" : "prev_title",
                                          stmt, 2)
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    return rc;
}


/*
 * "related": up to BLOG_RELATED published posts that share the most tags
 * with this one (lib/blog_reader.c), as the listings' cards show them,
 * and "has_related" when there is one.
 */

static ngx_int_t
ngx_http_blog_related(ngx_http_blog_render_t *rn, int64_t post)
{
    ngx_int_t        rc;
    sqlite3_stmt    *stmt;
    blog_tpl_var_t  *var;

    stmt = ngx_http_blog_db_stmt(rn->db, BLOG_STMT_RELATED);
    if (stmt == NULL || sqlite3_bind_int64(stmt, 1, post) != SQLITE_OK) {
        return ngx_http_blog_step(rn, NULL);
    }

    rc = ngx_http_blog_post_list(rn, &rn->root, "related", stmt,
                                 rn->blcf->theme->related_tags
                                 ? NGX_HTTP_BLOG_POST_TAGS : 0);
    if (rc != NGX_OK) {
        return rc;
    }

    /* the list just added: "has_related" lets the theme title it once */
    var = rn->root.elts;
    var += rn->root.nelts - 1;

    if (var->nitems == 0) {
        return NGX_OK;
    }

    return ngx_http_blog_scope_push(&rn->root, "has_related", BLOG_TPL_TEXT,
                                    (u_char *) "1", 1);
}


/*
 * "views", the views of the post's page of all time as the jobrunner has
 * counted them, and with blog_live_url what the theme's script needs to
 * follow them and new comments live: "live_url", "views_topic" and,
 * where readers comment, "comments_topic".
 */

static ngx_int_t
ngx_http_blog_views(ngx_http_blog_render_t *rn, ngx_str_t *slug,
    ngx_uint_t comments)
{
    u_char                 *p, *n;
    size_t                  len;
    int64_t                 views;
    uint64_t                key;
    ngx_int_t               rc;
    ngx_str_t              *route, *prefix, path;
    sqlite3_stmt           *stmt;
    ngx_http_blog_views_t  *slot;

    prefix = &rn->blcf->prefix;
    route = &rn->blcf->route[BLOG_ROUTE_POST];
    len = sizeof("metrics.views.") - 1 + prefix->len + route->len + slug->len;

    p = ngx_pnalloc(rn->r->pool, len + NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf(p, "metrics.views.%V%V%V", prefix, route, slug);

    /* the page's path: the topic without "metrics.views." */
    path.data = p + sizeof("metrics.views.") - 1;
    path.len = len - (sizeof("metrics.views.") - 1);

    /* none counted yet where the jobrunner has not made analytics.db */
    views = 0;
    rn->views_at = ngx_current_msec;

    /*
     * A count read less than blog_views_max_age ago is shown again, as a
     * cached page would: an uncached page then takes no lock on
     * analytics.db, which cost about a tenth of its time.
     */
    key = XXH3_64bits(path.data, path.len) | 1;
    slot = &rn->db->views[key % NGX_HTTP_BLOG_VIEWS];

    if (rn->db->analytics && slot->key == key
        && ngx_current_msec - slot->read_at < rn->blcf->views_max_age)
    {
        views = slot->views;
        rn->views_at = slot->read_at;

    } else if (rn->db->analytics) {
        stmt = ngx_http_blog_db_stmt(rn->db, BLOG_STMT_VIEWS);
        if (stmt == NULL
            || sqlite3_bind_text(stmt, 1, (char *) path.data, path.len,
                                 SQLITE_STATIC) != SQLITE_OK)
        {
            return ngx_http_blog_step(rn, NULL);
        }

        rc = ngx_http_blog_step(rn, stmt);
        if (rc != NGX_AGAIN && rc != NGX_OK) {
            return rc;
        }

        if (rc == NGX_AGAIN) {
            views = sqlite3_column_int64(stmt, 0);
        }

        slot->key = key;
        slot->views = views;
        slot->read_at = ngx_current_msec;
    }

    /* counted views do not move data.db: the page is kept a while only */
    rn->expires = 1;
    n = ngx_sprintf(p + len, "%L", views);

    if (ngx_http_blog_scope_push(&rn->root, "views", BLOG_TPL_TEXT, p + len,
                                 n - (p + len)) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rn->blcf->live_url.len == 0) {
        return NGX_OK;
    }

    if (ngx_http_blog_scope_push(&rn->root, "live_url", BLOG_TPL_TEXT,
                                 rn->blcf->live_url.data,
                                 rn->blcf->live_url.len)
        != NGX_OK
        || ngx_http_blog_scope_push(&rn->root, "views_topic", BLOG_TPL_TEXT,
                                    p, len) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!comments) {
        return NGX_OK;
    }

    p = ngx_pnalloc(rn->r->pool, sizeof("comments.") - 1 + slug->len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    n = ngx_sprintf(p, "comments.%V", slug);

    return ngx_http_blog_scope_push(&rn->root, "comments_topic", BLOG_TPL_TEXT,
                                    p, n - p);
}


/*
 * "comments" (id, name, body_html, created_date, created_iso), their
 * count, and the form's address, "comment_url".
 */

static ngx_int_t
ngx_http_blog_comments(ngx_http_blog_render_t *rn, int64_t post,
    ngx_str_t *slug)
{
    u_char        *p;
    size_t         len;
    ngx_int_t      rc;
    ngx_str_t     *route;
    ngx_array_t    items, *vars;
    sqlite3_stmt  *stmt;

    stmt = ngx_http_blog_db_stmt(rn->db, BLOG_STMT_COMMENTS);
    if (stmt == NULL || sqlite3_bind_int64(stmt, 1, post) != SQLITE_OK) {
        return ngx_http_blog_step(rn, NULL);
    }

    if (ngx_array_init(&items, rn->r->pool, 8, sizeof(blog_tpl_ctx_t))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    while ((rc = ngx_http_blog_step(rn, stmt)) == NGX_AGAIN) {
        vars = ngx_http_blog_scope_item(rn->r->pool, &items, 5);
        p = ngx_pnalloc(rn->r->pool, NGX_INT64_LEN);
        if (vars == NULL || p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        len = ngx_sprintf(p, "%L", sqlite3_column_int64(stmt, 0)) - p;

        if (ngx_http_blog_scope_push(vars, "id", BLOG_TPL_TEXT, p, len)
            != NGX_OK
            || ngx_http_blog_scope_column(rn->r, vars, "name", stmt, 1)
               != NGX_OK
            || ngx_http_blog_scope_trusted(rn->r, vars, "body_html",
                                           sqlite3_column_text(stmt, 2),
                                           sqlite3_column_bytes(stmt, 2))
               != NGX_OK
            || ngx_http_blog_var_time(rn, vars, "created",
                                      sqlite3_column_int64(stmt, 3))
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (rc != NGX_OK) {
        return rc;
    }

    route = &rn->blcf->route[BLOG_ROUTE_POST];
    len = rn->blcf->prefix.len + route->len + slug->len
          + sizeof("/comments") - 1;

    p = ngx_pnalloc(rn->r->pool, len + NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf(p, "%V%V%V/comments", &rn->blcf->prefix, route, slug);

    if (ngx_http_blog_scope_push(&rn->root, "comment_url", BLOG_TPL_TEXT,
                                 p, len) != NGX_OK
        || ngx_http_blog_scope_list(&rn->root, "comments", &items) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p += len;
    len = ngx_sprintf(p, "%ui", items.nelts) - p;

    return ngx_http_blog_scope_push(&rn->root, "comment_count", BLOG_TPL_TEXT,
                                    p, len);
}


static ngx_int_t
ngx_http_blog_feed(ngx_http_blog_render_t *rn)
{
    sqlite3_stmt  *stmt;

    stmt = ngx_http_blog_db_stmt(rn->db, BLOG_STMT_FEED);
    if (stmt == NULL
        || sqlite3_bind_int(stmt, 1, NGX_HTTP_BLOG_FEED_ENTRIES) != SQLITE_OK)
    {
        return ngx_http_blog_step(rn, NULL);
    }

    if (ngx_http_blog_post_list(rn, &rn->root, "posts", stmt,
                                NGX_HTTP_BLOG_POST_BODY
                                |NGX_HTTP_BLOG_POST_TAGS)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the feed is as new as its newest entry, or the epoch when empty */
    if (ngx_http_blog_var_time(rn, &rn->root, "feed", rn->last_modified)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rn->tpl = BLOG_TPL_FEED;
    rn->content_type = BLOG_TYPE_ATOM;

    return NGX_OK;
}


/*
 * The sitemap: every URL in one file while the site has at most
 * BLOG_SITEMAP_URLS of them, else an index of its files, the rows of
 * sitemap_parts (lib/blog_schema.c): posts and pages by id, and tags by
 * id after the home page, BLOG_SITEMAP_URLS ids to a file, at
 * "sitemap-posts-N.xml" and "sitemap-tags-N.xml" beside "sitemap.xml".
 */

static ngx_int_t
ngx_http_blog_sitemap(ngx_http_blog_render_t *rn)
{
    int64_t                 urls;
    ngx_int_t               rc;
    ngx_str_t               path;
    ngx_uint_t              i;
    ngx_array_t             parts, items, *vars;
    sqlite3_stmt           *stmt;
    ngx_http_blog_part_t   *part;

    if (ngx_array_init(&parts, rn->r->pool, 4, sizeof(ngx_http_blog_part_t))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    stmt = ngx_http_blog_db_stmt(rn->db, BLOG_STMT_SITEMAP_PARTS);
    if (stmt == NULL) {
        return ngx_http_blog_step(rn, NULL);
    }

    urls = 1;       /* the home page */

    while ((rc = ngx_http_blog_step(rn, stmt)) == NGX_AGAIN) {
        part = ngx_array_push(&parts);
        if (part == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        part->tags = sqlite3_column_text(stmt, 0)[0] == 't';
        part->number = sqlite3_column_int64(stmt, 1);
        part->updated_at = (time_t) sqlite3_column_int64(stmt, 3);

        urls += sqlite3_column_int64(stmt, 2);
        rn->last_modified = ngx_max(rn->last_modified, part->updated_at);
    }

    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_array_init(&items, rn->r->pool, urls <= BLOG_SITEMAP_URLS
                                            ? (ngx_uint_t) urls : parts.nelts,
                       sizeof(blog_tpl_ctx_t))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    part = parts.elts;

    if (urls <= BLOG_SITEMAP_URLS) {
        for (i = 0; i < parts.nelts; i++) {
            rc = ngx_http_blog_sitemap_urls(rn, &items, &part[i]);
            if (rc != NGX_OK) {
                return rc;
            }
        }

        rn->tpl = BLOG_TPL_SITEMAP;
        rn->content_type = BLOG_TYPE_XML;

        return ngx_http_blog_scope_list(&rn->root, "urls", &items) == NGX_OK
               ? NGX_OK : NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < parts.nelts; i++) {
        vars = ngx_http_blog_scope_item(rn->r->pool, &items, 4);
        if (vars == NULL
            || ngx_http_blog_sitemap_path(rn, &part[i], &path) != NGX_OK
            || ngx_http_blog_var_url(rn, vars, "url", NULL, path.data,
                                     path.len)
               != NGX_OK
            || ngx_http_blog_var_time(rn, vars, "updated", part[i].updated_at)
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    rn->tpl = BLOG_TPL_SITEMAP_INDEX;
    rn->content_type = BLOG_TYPE_XML;

    return ngx_http_blog_scope_list(&rn->root, "sitemaps", &items) == NGX_OK
           ? NGX_OK : NGX_HTTP_INTERNAL_SERVER_ERROR;
}


/*
 * robots.txt, from the theme's template, with "sitemap_url_abs" for its
 * "Sitemap:" line; none when the theme has no robots.txt.
 */

static ngx_int_t
ngx_http_blog_robots(ngx_http_blog_render_t *rn)
{
    if (rn->blcf->theme->tpl[BLOG_TPL_ROBOTS] == NULL) {
        return NGX_DECLINED;
    }

    if (ngx_http_blog_var_url(rn, &rn->root, "sitemap_url",
                              &rn->blcf->route[BLOG_ROUTE_SITEMAP], NULL, 0)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rn->tpl = BLOG_TPL_ROBOTS;
    rn->content_type = BLOG_TYPE_TEXT;

    return NGX_OK;
}


/* One file of the sitemap, "sitemap-posts-N.xml" or "sitemap-tags-N.xml". */

static ngx_int_t
ngx_http_blog_sitemap_part(ngx_http_blog_render_t *rn,
    ngx_http_blog_part_t *part)
{
    ngx_int_t       rc;
    ngx_array_t     items;
    sqlite3_stmt   *stmt;

    stmt = ngx_http_blog_db_stmt(rn->db, BLOG_STMT_SITEMAP_PART);
    if (stmt == NULL
        || sqlite3_bind_text(stmt, 1, part->tags ? "tags" : "posts", -1,
                             SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_int64(stmt, 2, part->number) != SQLITE_OK)
    {
        return ngx_http_blog_step(rn, NULL);
    }

    rc = ngx_http_blog_step(rn, stmt);
    if (rc != NGX_AGAIN) {
        return rc == NGX_OK ? NGX_DECLINED : rc;
    }

    /* an empty file is not a sitemap; the first "tags" has the home page */
    if (sqlite3_column_int64(stmt, 0) == 0
        && !(part->tags && part->number == 0))
    {
        return NGX_DECLINED;
    }

    rn->last_modified = (time_t) sqlite3_column_int64(stmt, 1);

    if (ngx_array_init(&items, rn->r->pool, 64, sizeof(blog_tpl_ctx_t))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_blog_sitemap_urls(rn, &items, part);
    if (rc != NGX_OK) {
        return rc;
    }

    rn->tpl = BLOG_TPL_SITEMAP;
    rn->content_type = BLOG_TYPE_XML;

    return ngx_http_blog_scope_list(&rn->root, "urls", &items) == NGX_OK
           ? NGX_OK : NGX_HTTP_INTERNAL_SERVER_ERROR;
}


/* Appends the URLs of one file of the sitemap to items. */

static ngx_int_t
ngx_http_blog_sitemap_urls(ngx_http_blog_render_t *rn, ngx_array_t *items,
    ngx_http_blog_part_t *part)
{
    int            slug;
    int64_t        first;
    ngx_int_t      rc;
    ngx_str_t     *route;
    ngx_array_t   *vars;
    sqlite3_stmt  *stmt;

    first = part->number * BLOG_SITEMAP_URLS;

    if (part->tags && part->number == 0) {
        stmt = ngx_http_blog_db_stmt(rn->db, BLOG_STMT_LISTING_STATS);
        if (stmt == NULL || sqlite3_bind_int64(stmt, 1, 0) != SQLITE_OK) {
            return ngx_http_blog_step(rn, NULL);
        }

        rc = ngx_http_blog_step(rn, stmt);
        if (rc != NGX_AGAIN && rc != NGX_OK) {
            return rc;
        }

        vars = ngx_http_blog_scope_item(rn->r->pool, items, 4);
        if (vars == NULL
            || ngx_http_blog_var_url(rn, vars, "url", NULL, NULL, 0)
               != NGX_OK
            || (rc == NGX_AGAIN
                && ngx_http_blog_var_time(rn, vars, "updated",
                                          sqlite3_column_int64(stmt, 1))
                   != NGX_OK))
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* tag 0 is the index's listing, not a tag */
        first = 1;
    }

    stmt = ngx_http_blog_db_stmt(rn->db, part->tags ? BLOG_STMT_SITEMAP_TAGS
                                                    : BLOG_STMT_SITEMAP_POSTS);
    if (stmt == NULL
        || sqlite3_bind_int64(stmt, 1, first) != SQLITE_OK
        || sqlite3_bind_int64(stmt, 2, (part->number + 1) * BLOG_SITEMAP_URLS
                                       - 1)
           != SQLITE_OK)
    {
        return ngx_http_blog_step(rn, NULL);
    }

    /* posts: type, slug, updated_at; tags: slug, updated_at */
    slug = part->tags ? 0 : 1;

    while ((rc = ngx_http_blog_step(rn, stmt)) == NGX_AGAIN) {
        if (part->tags) {
            route = &rn->blcf->route[BLOG_ROUTE_TAG];

        } else {
            /* pages live at the top of the blog, posts under their route */
            route = sqlite3_column_text(stmt, 0)[1] == 'o'
                    ? &rn->blcf->route[BLOG_ROUTE_POST] : NULL;
        }

        vars = ngx_http_blog_scope_item(rn->r->pool, items, 4);
        if (vars == NULL
            || ngx_http_blog_var_url(rn, vars, "url", route,
                                     (u_char *) sqlite3_column_text(stmt, slug),
                                     sqlite3_column_bytes(stmt, slug))
               != NGX_OK
            || ngx_http_blog_var_time(rn, vars, "updated",
                                      sqlite3_column_int64(stmt, slug + 1))
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    return rc;
}


/*
 * The route of the sitemap's files: "sitemap.xml" gives "sitemap-" before
 * the kind and number, and ".xml" after them (nothing when the route has
 * no extension).
 */

static void
ngx_http_blog_sitemap_route(ngx_http_blog_render_t *rn, ngx_str_t *stem,
    ngx_str_t *ext)
{
    u_char     *p;
    ngx_str_t  *route;

    route = &rn->blcf->route[BLOG_ROUTE_SITEMAP];

    for (p = route->data + route->len; p > route->data; p--) {
        if (p[-1] == '.' || p[-1] == '/') {
            break;
        }
    }

    if (p == route->data || p[-1] == '/') {
        p = route->data + route->len + 1;
    }

    stem->data = route->data;
    stem->len = p - 1 - route->data;
    ext->data = p - 1;
    ext->len = route->data + route->len - ext->data;
}


/* A file's path relative to the location, "sitemap-posts-2.xml". */

static ngx_int_t
ngx_http_blog_sitemap_path(ngx_http_blog_render_t *rn,
    ngx_http_blog_part_t *part, ngx_str_t *path)
{
    ngx_str_t  stem, ext;

    ngx_http_blog_sitemap_route(rn, &stem, &ext);

    path->data = ngx_pnalloc(rn->r->pool, stem.len + sizeof("-posts-") - 1
                                          + NGX_INT64_LEN + ext.len);
    if (path->data == NULL) {
        return NGX_ERROR;
    }

    path->len = ngx_sprintf(path->data, "%V-%s-%L%V", &stem,
                            part->tags ? "tags" : "posts", part->number + 1,
                            &ext)
                - path->data;

    return NGX_OK;
}


/*
 * Whether path names a file of the sitemap; the number in its name counts
 * from 1, and is spelt one way only, as page numbers are.
 */

static ngx_int_t
ngx_http_blog_sitemap_parse(ngx_http_blog_render_t *rn, ngx_str_t *path,
    ngx_http_blog_part_t *part)
{
    u_char      *p, *last;
    ngx_str_t    stem, ext;
    ngx_uint_t   number;

    ngx_http_blog_sitemap_route(rn, &stem, &ext);

    p = path->data;
    last = path->data + path->len;

    if (path->len <= stem.len + 1 + ext.len
        || ngx_strncmp(p, stem.data, stem.len) != 0
        || p[stem.len] != '-'
        || ngx_strncmp(last - ext.len, ext.data, ext.len) != 0)
    {
        return NGX_DECLINED;
    }

    p += stem.len + 1;
    last -= ext.len;

    if (last - p > 6 && ngx_strncmp(p, "posts-", 6) == 0) {
        part->tags = 0;
        p += 6;

    } else if (last - p > 5 && ngx_strncmp(p, "tags-", 5) == 0) {
        part->tags = 1;
        p += 5;

    } else {
        return NGX_DECLINED;
    }

    number = blog_page_number((char *) p, last - p);
    if (number == 0) {
        return NGX_DECLINED;
    }

    part->number = (int64_t) number - 1;

    return NGX_OK;
}


/*
 * Reads every row of stmt into a list "name" of post scopes; the columns
 * are those of BLOG_STMT_LISTING, plus body_html with
 * NGX_HTTP_BLOG_POST_BODY in what.
 */

static ngx_int_t
ngx_http_blog_post_list(ngx_http_blog_render_t *rn, ngx_array_t *vars,
    const char *name, sqlite3_stmt *stmt, ngx_uint_t what)
{
    ngx_int_t     rc;
    ngx_array_t   items, *item_vars;

    if (ngx_array_init(&items, rn->r->pool, 16, sizeof(blog_tpl_ctx_t))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    while ((rc = ngx_http_blog_step(rn, stmt)) == NGX_AGAIN) {
        item_vars = ngx_http_blog_scope_item(rn->r->pool, &items, 16);
        if (item_vars == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        rc = ngx_http_blog_post_vars(rn, item_vars, stmt, what);
        if (rc != NGX_OK) {
            return rc;
        }

        rn->last_modified = ngx_max(rn->last_modified,
                                    (time_t) sqlite3_column_int64(stmt, 5));
    }

    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_blog_scope_list(vars, name, &items) == NGX_OK
           ? NGX_OK : NGX_HTTP_INTERNAL_SERVER_ERROR;
}


/*
 * One post's scope from the current row: id, slug, title, summary,
 * published_at, updated_at, reading_minutes [, body_html].  Pages live at
 * the top of the blog, posts under their route.  Tags need their own
 * query, which would reset the statement, so they are read after the
 * columns, and only when what asks for them.
 */

ngx_int_t
ngx_http_blog_post_vars(ngx_http_blog_render_t *rn, ngx_array_t *vars,
    sqlite3_stmt *stmt, ngx_uint_t what)
{
    int64_t          id;
    ngx_int_t        rc;
    ngx_array_t      tags, *tag_vars;
    sqlite3_stmt    *tstmt;

    id = sqlite3_column_int64(stmt, 0);

    if (ngx_http_blog_scope_column(rn->r, vars, "slug", stmt, 1) != NGX_OK
        || ngx_http_blog_var_url(rn, vars, "url",
                                 rn->tpl == BLOG_TPL_PAGE
                                     ? NULL : &rn->blcf->route[BLOG_ROUTE_POST],
                                 (u_char *) sqlite3_column_text(stmt, 1),
                                 sqlite3_column_bytes(stmt, 1))
           != NGX_OK
        || ngx_http_blog_scope_column(rn->r, vars, "title", stmt, 2)
           != NGX_OK
        || ngx_http_blog_scope_column(rn->r, vars, "summary", stmt, 3)
           != NGX_OK
        || ngx_http_blog_var_time(rn, vars, "published",
                                  sqlite3_column_int64(stmt, 4))
           != NGX_OK
        || ngx_http_blog_var_time(rn, vars, "updated",
                                  sqlite3_column_int64(stmt, 5))
           != NGX_OK
        || ngx_http_blog_scope_column(rn->r, vars, "reading_minutes", stmt, 6)
           != NGX_OK
        || ((what & NGX_HTTP_BLOG_POST_BODY)
            && ngx_http_blog_scope_trusted(rn->r, vars, "body_html",
                                           sqlite3_column_text(stmt, 7),
                                           sqlite3_column_bytes(stmt, 7))
               != NGX_OK))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!(what & NGX_HTTP_BLOG_POST_TAGS)) {
        return NGX_OK;
    }

    /* the caller's statement is still needed: read the tags with another */
    tstmt = ngx_http_blog_db_stmt(rn->db, BLOG_STMT_POST_TAGS);
    if (tstmt == NULL || sqlite3_bind_int64(tstmt, 1, id) != SQLITE_OK) {
        return ngx_http_blog_step(rn, NULL);
    }

    if (ngx_array_init(&tags, rn->r->pool, 4, sizeof(blog_tpl_ctx_t))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    while ((rc = ngx_http_blog_step(rn, tstmt)) == NGX_AGAIN) {
        tag_vars = ngx_http_blog_scope_item(rn->r->pool, &tags, 2);
        if (tag_vars == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (ngx_http_blog_scope_column(rn->r, tag_vars, "name", tstmt, 1)
            != NGX_OK
            || ngx_http_blog_var_url(rn, tag_vars, "url",
                                     &rn->blcf->route[BLOG_ROUTE_TAG],
                                     (u_char *) sqlite3_column_text(tstmt, 0),
                                     sqlite3_column_bytes(tstmt, 0))
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    sqlite3_reset(tstmt);

    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_blog_scope_list(vars, "tags", &tags) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* by name: a post's few tags, sorted here rather than in a temp B-tree */
    ngx_sort(tags.elts, tags.nelts, sizeof(blog_tpl_ctx_t),
             ngx_http_blog_tag_cmp);

    return NGX_OK;
}


/* Tags by name, byte by byte as SQLite's BINARY collation orders them. */

static ngx_int_t
ngx_http_blog_tag_cmp(const void *one, const void *two)
{
    ngx_int_t              rc;
    const blog_tpl_var_t  *a, *b;

    /* "name" is the first variable of a tag's scope */
    a = ((const blog_tpl_ctx_t *) one)->vars;
    b = ((const blog_tpl_ctx_t *) two)->vars;

    rc = ngx_memcmp(a->str, b->str, ngx_min(a->len, b->len));

    if (rc != 0) {
        return rc;
    }

    return (a->len > b->len) - (a->len < b->len);
}


/*
 * "name" = prefix + route + slug, and "name_abs" the same with base_url;
 * route NULL means a slug straight under the prefix (pages).
 */

ngx_int_t
ngx_http_blog_var_url(ngx_http_blog_render_t *rn, ngx_array_t *vars,
    const char *name, ngx_str_t *route, u_char *slug, size_t len)
{
    u_char      *p, *abs_name;
    size_t       n;
    ngx_str_t   *prefix;

    prefix = &rn->blcf->prefix;
    n = rn->base_url.len + prefix->len + (route ? route->len : 0) + len;

    p = ngx_pnalloc(rn->r->pool, n);
    abs_name = ngx_pnalloc(rn->r->pool, ngx_strlen(name) + sizeof("_abs"));
    if (p == NULL || abs_name == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(p, "%V%V%V%*s", &rn->base_url, prefix,
                route ? route : &(ngx_str_t) ngx_null_string, len, slug);
    ngx_sprintf(abs_name, "%s_abs%Z", name);

    if (ngx_http_blog_scope_push(vars, (char *) abs_name, BLOG_TPL_TEXT, p, n)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_blog_scope_push(vars, name, BLOG_TPL_TEXT,
                                    p + rn->base_url.len,
                                    n - rn->base_url.len);
}


/* "prefix_date" (May 1, 2026) and "prefix_iso" (2026-05-01T10:00:00Z) */

ngx_int_t
ngx_http_blog_var_time(ngx_http_blog_render_t *rn, ngx_array_t *vars,
    const char *prefix, time_t t)
{
    u_char    *p, *date_name, *iso_name, *date, *iso;
    size_t     n;
    ngx_tm_t   tm;

    ngx_gmtime(t, &tm);

    n = ngx_strlen(prefix) + sizeof("_date");
    p = ngx_pnalloc(rn->r->pool, 2 * n + sizeof("September 30, 2026")
                                 + sizeof("2026-05-01T10:00:00Z"));
    if (p == NULL) {
        return NGX_ERROR;
    }

    date_name = p;
    iso_name = date_name + n;
    date = iso_name + n;

    ngx_sprintf(date_name, "%s_date%Z", prefix);
    ngx_sprintf(iso_name, "%s_iso%Z", prefix);

    iso = ngx_sprintf(date, "%s %d, %d",
                      ngx_http_blog_months[tm.ngx_tm_mon - 1],
                      tm.ngx_tm_mday, tm.ngx_tm_year);
    p = ngx_sprintf(iso, "%4d-%02d-%02dT%02d:%02d:%02dZ",
                    tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                    tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec);

    if (ngx_http_blog_scope_push(vars, (char *) date_name, BLOG_TPL_TEXT, date,
                                 iso - date)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_blog_scope_push(vars, (char *) iso_name, BLOG_TPL_TEXT,
                                    iso, p - iso);
}


/*
 * sqlite3_step() as NGX_AGAIN (a row), NGX_OK (done), or an HTTP status
 * after logging; stmt NULL reports a failed prepare or bind.
 */

ngx_int_t
ngx_http_blog_step(ngx_http_blog_render_t *rn, sqlite3_stmt *stmt)
{
    int  rc;

    if (stmt == NULL) {
        rc = sqlite3_errcode(rn->db->db);
        ngx_http_blog_db_error(rn->db, rn->r->connection->log, rc, "prepare");
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    rc = sqlite3_step(stmt);

    if (rc == SQLITE_ROW) {
        return NGX_AGAIN;
    }

    if (rc == SQLITE_DONE) {
        return NGX_OK;
    }

    sqlite3_reset(stmt);
    ngx_http_blog_db_error(rn->db, rn->r->connection->log, rc, "query");

    return NGX_HTTP_SERVICE_UNAVAILABLE;
}
