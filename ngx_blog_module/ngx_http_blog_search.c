/*
 * The search page: "search?q=WORDS&page=N" under the blog location, the
 * published posts and pages that have the words, best first, a page of
 * blog_posts_per_page at a time, each with a snippet of its text where the
 * words are marked.  The query is made into an FTS5 expression that is
 * only ever words (lib/blog_search.c); a query refused, or a page number
 * that is not one, is a 400 with the reason in the error log at "info".
 */

#include "ngx_http_blog_module.h"
#include "ngx_http_blog_pages.h"
#include "ngx_http_blog_scope.h"
#include "blog_path.h"
#include "blog_search.h"

#if (NGX_LINUX)
#include <malloc.h>
#endif


/*
 * Deeper pages are refused: a bounded OFFSET keeps a page's cost bounded.
 * A query with more matches than these pages hold ranks its newest only
 * (BLOG_STMT_SEARCH_FLOOR), and counts "more than" that many: ranking
 * and counting read every match they take, so a word most posts have
 * costs what the pages show, not what the site holds.
 */
#define NGX_HTTP_BLOG_SEARCH_PAGES  50

/*
 * The freed heap a worker keeps, and the block size from which glibc maps
 * memory apart (ngx_http_blog_search_heap): above FTS5's buffers.
 */
#define NGX_HTTP_BLOG_HEAP_KEEP     (16 * 1024 * 1024)
#define NGX_HTTP_BLOG_HEAP_MMAP     (4 * 1024 * 1024)


/* Set in the master when the operator tunes glibc's heap himself. */
static ngx_uint_t  ngx_http_blog_heap_env;


static ngx_int_t ngx_http_blog_search_args(ngx_http_blog_render_t *rn,
    ngx_str_t *query, ngx_uint_t *number);
static ngx_int_t ngx_http_blog_search_results(ngx_http_blog_render_t *rn,
    u_char *expr, ngx_uint_t number, ngx_uint_t *total);
static ngx_int_t ngx_http_blog_search_pager(ngx_http_blog_render_t *rn,
    ngx_str_t *query, ngx_uint_t number, ngx_uint_t total);
static ngx_int_t ngx_http_blog_search_refuse(ngx_http_blog_render_t *rn,
    const char *why);


ngx_int_t
ngx_http_blog_search(ngx_http_blog_render_t *rn)
{
    u_char      *expr, *p;
    ngx_int_t    rc;
    ngx_str_t    query;
    ngx_uint_t   number, total;
    const char  *why;

    rn->tpl = BLOG_TPL_SEARCH;
    rn->last_modified = -1;         /* results move with every write */

    rc = ngx_http_blog_search_args(rn, &query, &number);
    if (rc != NGX_OK) {
        return rc;
    }

    expr = ngx_pnalloc(rn->r->pool, BLOG_SEARCH_EXPR_SIZE(query.len));
    if (expr == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (blog_search_expr((char *) query.data, query.len, (char *) expr, &why)
        < 0)
    {
        return ngx_http_blog_search_refuse(rn, why);
    }

    /* the query as typed goes back into the search box */
    if (ngx_http_blog_scope_push(&rn->root, "query", BLOG_TPL_TEXT,
                                 query.data, query.len)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* no word to look for: the form alone */
    if (expr[0] == '\0') {
        return NGX_OK;
    }

    rc = ngx_http_blog_search_results(rn, expr, number, &total);
    if (rc != NGX_OK) {
        return rc;
    }

    p = ngx_pnalloc(rn->r->pool, NGX_INT_T_LEN);
    if (p == NULL
        || ngx_http_blog_scope_push(&rn->root, "searched", BLOG_TPL_TEXT,
                                    (u_char *) "1", 1) != NGX_OK
        || ngx_http_blog_scope_push(&rn->root, "result_count", BLOG_TPL_TEXT,
                                    p, ngx_sprintf(p, "%ui", total) - p)
           != NGX_OK
        || (total == 1
            && ngx_http_blog_scope_push(&rn->root, "one_result",
                                        BLOG_TPL_TEXT, (u_char *) "1", 1)
               != NGX_OK))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_blog_search_pager(rn, &query, number, total);
}


/*
 * q, form-encoded ('+' for a space), decoded; page, 1 without it.  A
 * query far longer than any accepted is refused before it is copied.
 */

static ngx_int_t
ngx_http_blog_search_args(ngx_http_blog_render_t *rn, ngx_str_t *query,
    ngx_uint_t *number)
{
    u_char              *src, *dst, *p;
    ngx_str_t            arg;
    ngx_http_request_t  *r;

    r = rn->r;
    *number = 1;
    ngx_str_null(query);

    if (ngx_http_arg(r, (u_char *) "page", 4, &arg) == NGX_OK) {
        *number = blog_page_number((char *) arg.data, arg.len);

        if (*number == 0) {
            return ngx_http_blog_search_refuse(rn, "search page number is "
                                               "not a number from 1");
        }

        if (*number > NGX_HTTP_BLOG_SEARCH_PAGES) {
            return ngx_http_blog_search_refuse(rn, "search page number is "
                                               "past the last one shown");
        }
    }

    if (ngx_http_arg(r, (u_char *) "q", 1, &arg) != NGX_OK) {
        return NGX_OK;
    }

    if (arg.len > 3 * BLOG_SEARCH_QUERY_MAX) {
        return ngx_http_blog_search_refuse(rn, "search query too long");
    }

    p = ngx_pnalloc(r->pool, arg.len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (src = arg.data, dst = p; src < arg.data + arg.len; src++) {
        *dst++ = (*src == '+') ? ' ' : *src;
    }

    src = p;
    dst = p;
    ngx_unescape_uri(&dst, &src, arg.len, 0);

    query->data = p;
    query->len = dst - p;

    return NGX_OK;
}


/* The count, then one page of results into "results". */

static ngx_int_t
ngx_http_blog_search_results(ngx_http_blog_render_t *rn, u_char *expr,
    ngx_uint_t number, ngx_uint_t *total)
{
    u_char          *html;
    size_t           len;
    int64_t          floor;
    ngx_int_t        rc;
    ngx_uint_t       per_page, ranked;
    ngx_array_t      items, *vars;
    sqlite3_stmt    *stmt;
    const u_char    *type;

    per_page = rn->blcf->per_page;
    ranked = NGX_HTTP_BLOG_SEARCH_PAGES * per_page;
    *total = 0;

    /* counted up to one more than is ranked: "more than 500 results" */
    stmt = ngx_http_blog_db_stmt(rn->db, BLOG_STMT_SEARCH_COUNT);
    if (stmt == NULL
        || sqlite3_bind_text(stmt, 1, (char *) expr, -1, SQLITE_STATIC)
           != SQLITE_OK
        || sqlite3_bind_int64(stmt, 2, ranked + 1) != SQLITE_OK)
    {
        return ngx_http_blog_step(rn, NULL);
    }

    rc = ngx_http_blog_step(rn, stmt);
    if (rc != NGX_AGAIN) {
        return rc == NGX_OK ? NGX_HTTP_INTERNAL_SERVER_ERROR : rc;
    }

    *total = (ngx_uint_t) sqlite3_column_int64(stmt, 0);

    if (*total > ranked) {
        *total = ranked;

        if (ngx_http_blog_scope_push(&rn->root, "more_results", BLOG_TPL_TEXT,
                                     (u_char *) "1", 1)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if ((number - 1) * per_page >= *total) {
        return NGX_OK;
    }

    /* past what the pages show, only the newest are ranked */
    floor = INT64_MIN;

    if (*total == ranked) {
        stmt = ngx_http_blog_db_stmt(rn->db, BLOG_STMT_SEARCH_FLOOR);
        if (stmt == NULL
            || sqlite3_bind_text(stmt, 1, (char *) expr, -1, SQLITE_STATIC)
               != SQLITE_OK
            || sqlite3_bind_int64(stmt, 2, ranked - 1) != SQLITE_OK)
        {
            return ngx_http_blog_step(rn, NULL);
        }

        rc = ngx_http_blog_step(rn, stmt);
        if (rc != NGX_AGAIN) {
            return rc == NGX_OK ? NGX_HTTP_INTERNAL_SERVER_ERROR : rc;
        }

        floor = sqlite3_column_int64(stmt, 0);
    }

    stmt = ngx_http_blog_db_stmt(rn->db, BLOG_STMT_SEARCH);
    if (stmt == NULL
        || sqlite3_bind_text(stmt, 1, (char *) expr, -1, SQLITE_STATIC)
           != SQLITE_OK
        || sqlite3_bind_int64(stmt, 2, per_page) != SQLITE_OK
        || sqlite3_bind_int64(stmt, 3, (number - 1) * per_page) != SQLITE_OK
        || sqlite3_bind_int64(stmt, 4, floor) != SQLITE_OK)
    {
        return ngx_http_blog_step(rn, NULL);
    }

    if (ngx_array_init(&items, rn->r->pool, per_page, sizeof(blog_tpl_ctx_t))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    while ((rc = ngx_http_blog_step(rn, stmt)) == NGX_AGAIN) {
        vars = ngx_http_blog_scope_item(rn->r->pool, &items, 16);
        if (vars == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* a page's URL is at the top of the blog, as post_vars reads tpl */
        type = sqlite3_column_text(stmt, 6);
        rn->tpl = (type && type[1] == 'a') ? BLOG_TPL_PAGE : BLOG_TPL_SEARCH;

        rc = ngx_http_blog_post_vars(rn, vars, stmt,
                                     NGX_HTTP_BLOG_POST_TAGS);

        rn->tpl = BLOG_TPL_SEARCH;

        if (rc != NGX_OK) {
            return rc;
        }

        len = sqlite3_column_bytes(stmt, 7);
        html = ngx_pnalloc(rn->r->pool, BLOG_SEARCH_SNIPPET_SIZE(len));
        if (html == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        len = blog_search_snippet((const char *) sqlite3_column_text(stmt, 7),
                                  len, (char *) html);

        if (ngx_http_blog_scope_push(vars, "snippet", BLOG_TPL_TRUSTED,
                                     html, len)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_blog_scope_list(&rn->root, "results", &items) == NGX_OK
           ? NGX_OK : NGX_HTTP_INTERNAL_SERVER_ERROR;
}


/* "page_number", and "newer_url" and "older_url" with the query in them */

static ngx_int_t
ngx_http_blog_search_pager(ngx_http_blog_render_t *rn, ngx_str_t *query,
    ngx_uint_t number, ngx_uint_t total)
{
    u_char     *p, *url;
    size_t      len;
    ngx_str_t  *route;
    ngx_uint_t  per_page, last;

    per_page = rn->blcf->per_page;
    route = &rn->blcf->route[BLOG_ROUTE_SEARCH];

    last = (total + per_page - 1) / per_page;
    last = ngx_min(last, NGX_HTTP_BLOG_SEARCH_PAGES);

    /* prefix, route, "?q=", the query escaped, "&page=N" */
    len = rn->blcf->prefix.len + route->len + sizeof("?q=") - 1
          + query->len
          + 2 * ngx_escape_uri(NULL, query->data, query->len,
                               NGX_ESCAPE_ARGS)
          + sizeof("&page=") - 1 + NGX_INT_T_LEN;

    url = ngx_pnalloc(rn->r->pool, len);
    if (url == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_sprintf(url, "%V%V?q=", &rn->blcf->prefix, route);
    p = (u_char *) ngx_escape_uri(p, query->data, query->len,
                                  NGX_ESCAPE_ARGS);
    len = p - url;

    p = ngx_pnalloc(rn->r->pool, 2 * (len + sizeof("&page=") + NGX_INT_T_LEN)
                                 + NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (number > 1 && number - 1 <= last) {
        if (ngx_http_blog_scope_push(&rn->root, "newer_url", BLOG_TPL_TEXT, p,
                                     (number == 2)
                                     ? ngx_sprintf(p, "%*s", len, url) - p
                                     : ngx_sprintf(p, "%*s&page=%ui", len,
                                                   url, number - 1) - p)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        p += len + sizeof("&page=") + NGX_INT_T_LEN;
    }

    if (number < last) {
        if (ngx_http_blog_scope_push(&rn->root, "older_url", BLOG_TPL_TEXT, p,
                                     ngx_sprintf(p, "%*s&page=%ui", len, url,
                                                 number + 1) - p)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        p += len + sizeof("&page=") + NGX_INT_T_LEN;
    }

    return ngx_http_blog_scope_push(&rn->root, "page_number", BLOG_TPL_TEXT,
                                    p, ngx_sprintf(p, "%ui", number) - p);
}


static ngx_int_t
ngx_http_blog_search_refuse(ngx_http_blog_render_t *rn, const char *why)
{
    ngx_log_error(NGX_LOG_INFO, rn->r->connection->log, 0,
                  "blog: %s, refused with 400", why);

    return NGX_HTTP_BAD_REQUEST;
}


/*
 * In the master ("init module"), whose environment is still the
 * operator's: a MALLOC_* variable or GLIBC_TUNABLES is his choice of
 * heap, which the workers then keep.
 */
ngx_int_t
ngx_http_blog_search_init_module(ngx_cycle_t *cycle)
{
    char  **e;

    ngx_http_blog_heap_env = 0;

    for (e = environ; *e != NULL; e++) {
        if (ngx_strncmp(*e, "MALLOC_", sizeof("MALLOC_") - 1) == 0
            || ngx_strncmp(*e, "GLIBC_TUNABLES=", sizeof("GLIBC_TUNABLES=") - 1)
               == 0)
        {
            ngx_http_blog_heap_env = 1;
        }
    }

    return NGX_OK;
}


/*
 * In each worker.  FTS5 reads a word's positions into buffers of about a
 * megabyte, several a query.  glibc gave those back to the kernel on
 * every free (its trim threshold, even once it adapts, is twice the
 * largest block: 2 MB), so each query of a word most posts have faulted
 * 4 MB of pages in and zeroed them again: 19 ms of CPU where SQLite's own
 * work is 6 ms (README, Benchmarks: scripts/bench-search).  The worker
 * keeps up to NGX_HTTP_BLOG_HEAP_KEEP of freed heap instead, what one
 * such query uses a few times over.
 */
void
ngx_http_blog_search_heap(ngx_cycle_t *cycle)
{
#if (NGX_LINUX) && defined(M_TRIM_THRESHOLD) && defined(M_MMAP_THRESHOLD)

    if (ngx_http_blog_heap_env) {
        ngx_log_error(NGX_LOG_INFO, cycle->log, 0,
                      "blog: glibc's heap left as the environment sets it");
        return;
    }

    if (mallopt(M_MMAP_THRESHOLD, NGX_HTTP_BLOG_HEAP_MMAP) != 1
        || mallopt(M_TRIM_THRESHOLD, NGX_HTTP_BLOG_HEAP_KEEP) != 1)
    {
        ngx_log_error(NGX_LOG_INFO, cycle->log, 0,
                      "blog: mallopt() refused, glibc's heap left as it is");
    }

#endif
}
