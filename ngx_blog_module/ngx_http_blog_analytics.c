/*
 * The analytics page: "blog_analytics path/to/data.db;" in a location.
 *
 * A page for whoever holds the token of "blog_analytics_auth" (the same
 * as the Stats API's): a status screen, a colleague without a panel
 * account.  It shows what the panel's dashboard shows first, through the
 * same engine (lib/blog_stats.h), so the numbers agree: visitors, visits,
 * views, views per visit, bounce rate and visit duration of the last 30
 * days with their change against the 30 before, the top pages and the
 * top sources.  Below them, what only the request counters know and the
 * dashboard does not show: the requests of those days, bots included, by
 * status code, and the bots.  Filters, periods and every other panel are
 * the dashboard's (admin sign-in); any other question is the Stats API's.
 *
 * The engine's queries run in nginx's thread pool on a read-only
 * connection of their own (ngx_http_blog_stats_task.h), as the
 * dashboard's; the few indexed reads of the counters then open analytics.db
 * read-only on the loop, as this page always did, and close it.
 *
 * Access needs the token whose SHA-256 "blog_analytics_auth" names, as
 * "Authorization: Bearer TOKEN" or as the password of HTTP Basic (any user
 * name), compared in constant time and never logged.
 *
 * It is sent with the admin panel's headers (no caching, no framing, no
 * sniffing, same-origin referrers, the panel's Content-Security-Policy),
 * its inline style allowed by a nonce made for each response, the
 * template's {{csp_nonce}}.
 */

#include "ngx_http_blog_module.h"
#include "ngx_http_blog_events_module.h"
#include "ngx_http_blog_scope.h"
#include "ngx_http_blog_response.h"
#include "ngx_http_blog_stats_task.h"
#include "blog_db.h"
#include "blog_analytics_schema.h"
#include "blog_figures.h"
#include "blog_split.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>


#define NGX_HTTP_BLOG_DAYS        30
#define NGX_HTTP_BLOG_TOP         10
#define NGX_HTTP_BLOG_NONCE_BYTES 16

/* the engine's queries may take this long, as the dashboard's */
#define NGX_HTTP_BLOG_ANALYTICS_BUDGET_MS  3000

/* the engine's queries, in the task's array */
#define NGX_HTTP_BLOG_Q_FIGURES   0
#define NGX_HTTP_BLOG_Q_PAGES     1
#define NGX_HTTP_BLOG_Q_SOURCES   2
#define NGX_HTTP_BLOG_Q_N         3


typedef struct {
    const char  *dim;
    const char  *name;       /* the template list */
} ngx_http_blog_top_t;

/* of the request counters: what visits do not keep */
static ngx_http_blog_top_t  ngx_http_blog_tops[] = {
    { "status", "statuses" },
    { "bot", "bots" },
    { NULL, NULL }
};


static ngx_int_t ngx_http_blog_analytics_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_blog_analytics_done(ngx_http_request_t *r,
    ngx_http_blog_stats_task_t *t);
static ngx_int_t ngx_http_blog_analytics_stats(ngx_http_request_t *r,
    ngx_http_blog_stats_task_t *t, ngx_array_t *root);
static ngx_int_t ngx_http_blog_analytics_rows(ngx_http_request_t *r,
    blog_stats_result_t *res, blog_stats_metric_e m, ngx_array_t *root,
    const char *name);
static ngx_int_t ngx_http_blog_analytics_counters(ngx_http_request_t *r,
    ngx_array_t *root, const char *path, int64_t today);
static ngx_int_t ngx_http_blog_analytics_requests(ngx_http_request_t *r,
    sqlite3 *db, ngx_array_t *root, int64_t today);
static ngx_int_t ngx_http_blog_analytics_top(ngx_http_request_t *r,
    sqlite3 *db, ngx_array_t *root, ngx_http_blog_top_t *top, int64_t today);
static ngx_int_t ngx_http_blog_analytics_send(ngx_http_request_t *r,
    ngx_http_blog_events_loc_conf_t *elcf, ngx_array_t *root);


static ngx_int_t
ngx_http_blog_analytics_handler(ngx_http_request_t *r)
{
    ngx_int_t                         rc;
    ngx_uint_t                        i, m;
    ngx_table_elt_t                  *h;
    blog_stats_query_t               *q;
    ngx_http_blog_stats_task_t       *t;
    ngx_http_blog_events_loc_conf_t  *elcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    elcf = ngx_http_get_module_loc_conf(r, ngx_http_blog_events_module);

    if (ngx_http_blog_analytics_allowed(r, elcf) != NGX_OK) {
        h = ngx_http_blog_header_push(r, "WWW-Authenticate",
                  "Basic realm=\"analytics\", charset=\"UTF-8\"");
        if (h == NULL
            || ngx_http_blog_security_headers(r, NULL) != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        r->headers_out.www_authenticate = h;

        return NGX_HTTP_UNAUTHORIZED;
    }

    t = ngx_http_blog_stats_task_create(r, NGX_HTTP_BLOG_Q_N);
    if (t == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the blog's counts are in analytics.db beside data.db: blog_split.h */
    if (blog_db_sibling(t->path, sizeof(t->path),
                        (char *) elcf->analytics_db.data, "analytics.db")
        != 0)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "blog_analytics: database \"%V\": the path of "
                      "analytics.db is too long", &elcf->analytics_db);
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    for (i = 0; i < NGX_HTTP_BLOG_Q_N; i++) {
        if (blog_range_named(&t->queries[i].range, "30d", 3,
                             (int64_t) (ngx_time() / 86400))
            != 0)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    /* the dashboard's six figures, with the 30 days before */
    q = &t->queries[NGX_HTTP_BLOG_Q_FIGURES];

    for (m = 0; m < BLOG_STATS_NMETRICS; m++) {
        q->metrics[q->nmetrics++] = m;
    }

    q->compare = 1;

    q = &t->queries[NGX_HTTP_BLOG_Q_PAGES];
    q->metrics[q->nmetrics++] = BLOG_STATS_VISITORS;
    q->metrics[q->nmetrics++] = BLOG_STATS_PAGEVIEWS;
    q->dims[q->ndims++] = BLOG_STATS_PAGE;
    q->limit = NGX_HTTP_BLOG_TOP;

    q = &t->queries[NGX_HTTP_BLOG_Q_SOURCES];
    q->metrics[q->nmetrics++] = BLOG_STATS_VISITORS;
    q->metrics[q->nmetrics++] = BLOG_STATS_VISITS;
    q->dims[q->ndims++] = BLOG_STATS_SOURCE;
    q->limit = NGX_HTTP_BLOG_TOP;

    t->timeout = NGX_HTTP_BLOG_ANALYTICS_BUDGET_MS;
    t->done = ngx_http_blog_analytics_done;

    return ngx_http_blog_stats_task_run(r, t, elcf->thread_pool);
}


/* On the event loop, with the engine's answers: the page. */
static ngx_int_t
ngx_http_blog_analytics_done(ngx_http_request_t *r,
    ngx_http_blog_stats_task_t *t)
{
    ngx_int_t                         rc;
    ngx_array_t                       root;
    ngx_http_blog_events_loc_conf_t  *elcf;

    elcf = ngx_http_get_module_loc_conf(r, ngx_http_blog_events_module);

    if (t->timed_out || t->rc != BLOG_STATS_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "blog_analytics: database \"%s\": %s", t->path,
                      t->timed_out ? "the queries took too long" : t->err);
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (ngx_array_init(&root, r->pool, 32, sizeof(blog_tpl_var_t))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_blog_analytics_stats(r, t, &root);

    if (rc == NGX_OK) {
        rc = ngx_http_blog_analytics_counters(r, &root, t->path,
                                              t->queries[0].range.to);
    }

    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_blog_analytics_send(r, elcf, &root);
}


/*
 * "figures" (label, value, change, trend, previous), "from" and "to",
 * "top_pages" and "sources" (key, visitors, n), from the engine.
 */
static ngx_int_t
ngx_http_blog_analytics_stats(ngx_http_request_t *r,
    ngx_http_blog_stats_task_t *t, ngx_array_t *root)
{
    char                  from[BLOG_RANGE_DATE_SIZE], to[BLOG_RANGE_DATE_SIZE];
    ngx_uint_t            m;
    ngx_array_t           items;
    blog_stats_sums_t     cur, prev;
    blog_stats_result_t  *res;

    res = &t->results[NGX_HTTP_BLOG_Q_FIGURES];

    blog_figure_sums(res, &cur, &prev);

    if (ngx_array_init(&items, r->pool, BLOG_STATS_NMETRICS,
                       sizeof(blog_tpl_ctx_t))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (m = 0; m < BLOG_STATS_NMETRICS; m++) {
        if (ngx_http_blog_scope_figure(r, &items, m, &cur, &prev) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    blog_range_format(res->range.from, from);
    blog_range_format(res->range.to, to);

    if (ngx_http_blog_scope_list(root, "figures", &items) != NGX_OK
        || ngx_http_blog_scope_str(r, root, "from", (u_char *) from,
                                   ngx_strlen(from)) != NGX_OK
        || ngx_http_blog_scope_str(r, root, "to", (u_char *) to,
                                   ngx_strlen(to)) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_blog_analytics_rows(r, &t->results[NGX_HTTP_BLOG_Q_PAGES],
                                     BLOG_STATS_PAGEVIEWS, root, "top_pages")
        != NGX_OK
        || ngx_http_blog_analytics_rows(r,
                                        &t->results[NGX_HTTP_BLOG_Q_SOURCES],
                                        BLOG_STATS_VISITS, root, "sources")
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


/* A panel's rows: "key" ("(none)" for direct or unknown), "visitors", "n". */
static ngx_int_t
ngx_http_blog_analytics_rows(ngx_http_request_t *r, blog_stats_result_t *res,
    blog_stats_metric_e m, ngx_array_t *root, const char *name)
{
    size_t        k;
    const char   *key;
    ngx_array_t   items, *item;

    if (res->nrows == 0) {
        return NGX_OK;
    }

    if (ngx_array_init(&items, r->pool, res->nrows, sizeof(blog_tpl_ctx_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    for (k = 0; k < res->nrows; k++) {
        key = res->rows[k].dims[0];
        item = ngx_http_blog_scope_item(r->pool, &items, 3);

        if (item == NULL
            || (key && key[0]
                ? ngx_http_blog_scope_str(r, item, "key", (u_char *) key,
                                          ngx_strlen(key))
                : ngx_http_blog_scope_cstr(r, item, "key", "(none)"))
               != NGX_OK
            || ngx_http_blog_scope_int(r, item, "visitors",
                                       res->rows[k].sums.visitors) != NGX_OK
            || ngx_http_blog_scope_int(r, item, "n",
                                       m == BLOG_STATS_VISITS
                                       ? res->rows[k].sums.visits
                                       : res->rows[k].sums.views)
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return ngx_http_blog_scope_list(root, name, &items);
}


/*
 * The request counters of the days: "requests", "bot_requests" and the
 * lists of ngx_http_blog_tops, read on the loop (a few indexed reads).
 */
static ngx_int_t
ngx_http_blog_analytics_counters(ngx_http_request_t *r, ngx_array_t *root,
    const char *path, int64_t today)
{
    int                   rc;
    sqlite3              *db;
    ngx_int_t             nrc;
    blog_db_error_t       err;
    ngx_http_blog_top_t  *top;

    rc = blog_db_open(&db, path, &blog_analytics_schema,
                      BLOG_DB_QUERY_ONLY | BLOG_DB_ONE_THREAD, 0, &err);

    if (rc != SQLITE_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "blog_analytics: database \"%s\": %s", path,
                      rc == SQLITE_SCHEMA ? "another schema version"
                                          : err.msg);
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    nrc = ngx_http_blog_analytics_requests(r, db, root, today);

    for (top = ngx_http_blog_tops; nrc == NGX_OK && top->dim; top++) {
        nrc = ngx_http_blog_analytics_top(r, db, root, top, today);
    }

    if (nrc == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "blog_analytics: database \"%s\": %s", path,
                      sqlite3_errmsg(db));
        nrc = NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    sqlite3_close(db);

    return nrc;
}


/* "requests" and "bot_requests" of the days, bots included. */
static ngx_int_t
ngx_http_blog_analytics_requests(ngx_http_request_t *r, sqlite3 *db,
    ngx_array_t *root, int64_t today)
{
    int            rc;
    int64_t        requests, bots;
    sqlite3_stmt  *stmt;

    if (sqlite3_prepare_v2(db, "SELECT coalesce(sum(requests), 0),"
                           " coalesce(sum(bot_views), 0) FROM analytics_daily"
                           " WHERE day BETWEEN ?1 AND ?2",
                           -1, &stmt, NULL)
        != SQLITE_OK)
    {
        return NGX_ERROR;
    }

    sqlite3_bind_int64(stmt, 1, today - NGX_HTTP_BLOG_DAYS + 1);
    sqlite3_bind_int64(stmt, 2, today);

    rc = sqlite3_step(stmt);
    requests = sqlite3_column_int64(stmt, 0);
    bots = sqlite3_column_int64(stmt, 1);
    sqlite3_finalize(stmt);

    if (rc != SQLITE_ROW) {
        return NGX_ERROR;
    }

    if (ngx_http_blog_scope_int(r, root, "requests", requests) != NGX_OK
        || ngx_http_blog_scope_int(r, root, "bot_requests", bots) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


/* The page from the theme's analytics.html, with a nonce for its style. */
static ngx_int_t
ngx_http_blog_analytics_send(ngx_http_request_t *r,
    ngx_http_blog_events_loc_conf_t *elcf, ngx_array_t *root)
{
    ngx_int_t        nrc;
    ngx_buf_t       *b;
    ngx_str_t        nonce;
    blog_buf_t       out;
    ngx_chain_t      cl;
    blog_tpl_ctx_t   ctx;
    u_char           rnd[NGX_HTTP_BLOG_NONCE_BYTES];

    nonce.len = ngx_base64_encoded_length(sizeof(rnd));
    nonce.data = ngx_pnalloc(r->pool, nonce.len);

    if (nonce.data == NULL || RAND_bytes(rnd, sizeof(rnd)) != 1) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_encode_base64(&nonce, &(ngx_str_t) { sizeof(rnd), rnd });

    if (ngx_http_blog_scope_push(root, "csp_nonce", BLOG_TPL_TEXT,
                                 nonce.data, nonce.len)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx.parent = NULL;
    ctx.vars = root->elts;
    ctx.nvars = root->nelts;

    ngx_memzero(&out, sizeof(blog_buf_t));

    if (blog_tpl_render(elcf->analytics_tpl, &ctx, &out) != 0) {
        free(out.data);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b = ngx_create_temp_buf(r->pool, out.len ? out.len : 1);
    if (b == NULL) {
        free(out.data);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->pos, out.data, out.len);
    free(out.data);

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    if (ngx_http_blog_security_headers(r, &nonce) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type, "text/html; charset=utf-8");
    r->headers_out.content_type_len = sizeof("text/html") - 1;

    nrc = ngx_http_send_header(r);
    if (nrc == NGX_ERROR || nrc > NGX_OK || r->header_only) {
        return nrc;
    }

    cl.buf = b;
    cl.next = NULL;

    return ngx_http_output_filter(r, &cl);
}


/*
 * "Bearer TOKEN", or "Basic base64(USER:TOKEN)".  The hash of what was
 * sent is compared, so the comparison takes the same time whatever the
 * token's length.
 */
ngx_int_t
ngx_http_blog_analytics_allowed(ngx_http_request_t *r,
    ngx_http_blog_events_loc_conf_t *elcf)
{
    u_char           *colon, md[SHA256_DIGEST_LENGTH];
    ngx_int_t         rc;
    ngx_str_t         auth, token, decoded;
    ngx_table_elt_t  *h;

    h = r->headers_in.authorization;
    if (h == NULL) {
        return NGX_DECLINED;
    }

    auth = h->value;

    if (auth.len > 7 && ngx_strncasecmp(auth.data, (u_char *) "Bearer ", 7)
                        == 0)
    {
        token.data = auth.data + 7;
        token.len = auth.len - 7;

    } else if (auth.len > 6
               && ngx_strncasecmp(auth.data, (u_char *) "Basic ", 6) == 0)
    {
        auth.data += 6;
        auth.len -= 6;

        decoded.len = ngx_base64_decoded_length(auth.len);
        decoded.data = ngx_pnalloc(r->pool, decoded.len + 1);
        if (decoded.data == NULL) {
            return NGX_ERROR;
        }

        if (ngx_decode_base64(&decoded, &auth) != NGX_OK) {
            return NGX_DECLINED;
        }

        colon = ngx_strlchr(decoded.data, decoded.data + decoded.len, ':');
        if (colon == NULL) {
            return NGX_DECLINED;
        }

        token.data = colon + 1;
        token.len = decoded.data + decoded.len - token.data;

    } else {
        return NGX_DECLINED;
    }

    SHA256(token.data, token.len, md);

    rc = CRYPTO_memcmp(md, elcf->auth_hash, SHA256_DIGEST_LENGTH) == 0
         ? NGX_OK : NGX_DECLINED;

    OPENSSL_cleanse(token.data, token.len);

    if (rc != NGX_OK) {
        /* as auth_basic does: the attempt, never what was sent */
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "blog_analytics: wrong credentials");
    }

    return rc;
}


static ngx_int_t
ngx_http_blog_analytics_top(ngx_http_request_t *r, sqlite3 *db,
    ngx_array_t *root, ngx_http_blog_top_t *top, int64_t today)
{
    int            rc;
    ngx_array_t    items, *vars;
    sqlite3_stmt  *stmt;

    if (ngx_array_init(&items, r->pool, NGX_HTTP_BLOG_TOP,
                       sizeof(blog_tpl_ctx_t))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (sqlite3_prepare_v2(db, "SELECT key, sum(n) AS total"
                           " FROM analytics_counts"
                           " WHERE dim = ?1 AND day BETWEEN ?2 AND ?3"
                           " GROUP BY key ORDER BY total DESC, key LIMIT ?4",
                           -1, &stmt, NULL)
        != SQLITE_OK)
    {
        return NGX_ERROR;
    }

    sqlite3_bind_text(stmt, 1, top->dim, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, today - NGX_HTTP_BLOG_DAYS + 1);
    sqlite3_bind_int64(stmt, 3, today);
    sqlite3_bind_int(stmt, 4, NGX_HTTP_BLOG_TOP);

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        vars = ngx_http_blog_scope_item(r->pool, &items, 2);

        if (vars == NULL
            || ngx_http_blog_scope_column(r, vars, "key", stmt, 0) != NGX_OK
            || ngx_http_blog_scope_int(r, vars, "n",
                                       sqlite3_column_int64(stmt, 1))
               != NGX_OK)
        {
            sqlite3_finalize(stmt);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        return NGX_ERROR;
    }

    if (items.nelts == 0) {
        return NGX_OK;
    }

    return ngx_http_blog_scope_list(root, top->name, &items) == NGX_OK
           ? NGX_OK : NGX_HTTP_INTERNAL_SERVER_ERROR;
}


/* blog_analytics path/to/data.db; */

char *
ngx_http_blog_analytics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_blog_events_loc_conf_t *elcf = conf;

    return ngx_http_blog_stats_task_conf(cf, &elcf->analytics_db,
                                         &elcf->thread_pool,
                                         ngx_http_blog_analytics_handler);
}


/* blog_analytics_auth sha256:HEX; -- the hash of the access token */

char *
ngx_http_blog_analytics_auth(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_blog_events_loc_conf_t *elcf = conf;

    u_char      *hex;
    ngx_int_t    hi, lo;
    ngx_str_t   *value;
    ngx_uint_t   i;

    if (elcf->auth_hash) {
        return "is duplicate";
    }

    value = cf->args->elts;
    hex = value[1].data + 7;

    if (value[1].len != 7 + 2 * SHA256_DIGEST_LENGTH
        || ngx_strncmp(value[1].data, "sha256:", 7) != 0)
    {
        /* the value may be the token itself, mistyped: not echoed */
        return "takes \"sha256:\" and the 64 hex digits of the token's "
               "SHA-256 (printf %s TOKEN | sha256sum)";
    }

    elcf->auth_hash = ngx_pnalloc(cf->pool, SHA256_DIGEST_LENGTH);
    if (elcf->auth_hash == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < SHA256_DIGEST_LENGTH; i++) {
        hi = ngx_hextoi(&hex[2 * i], 1);
        lo = ngx_hextoi(&hex[2 * i + 1], 1);

        if (hi == NGX_ERROR || lo == NGX_ERROR) {
            return "takes \"sha256:\" and 64 hex digits";
        }

        elcf->auth_hash[i] = (u_char) (hi * 16 + lo);
    }

    return NGX_CONF_OK;
}


/*
 * After blog_theme is merged: analytics.html from the theme, compiled now
 * so that a broken template fails "nginx -t".
 */
char *
ngx_http_blog_analytics_merge(ngx_conf_t *cf,
    ngx_http_blog_events_loc_conf_t *conf)
{
    char                       err[512];
    ngx_pool_cleanup_t        *cln;
    ngx_http_blog_loc_conf_t  *blcf;

    if (conf->analytics_db.data == NULL) {
        return NGX_CONF_OK;
    }

    if (conf->auth_hash == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"blog_analytics\" needs "
                           "\"blog_analytics_auth\": the page is private");
        return NGX_CONF_ERROR;
    }

    blcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_blog_module);

    if (blcf->theme == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"blog_analytics\" needs "
                           "\"blog_theme\" for analytics.html");
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    conf->analytics_tpl = blog_tpl_load((char *) blcf->theme->path.data,
                                        "analytics.html", err, sizeof(err));
    if (conf->analytics_tpl == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "theme: %s", err);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_blog_analytics_cleanup;
    cln->data = conf->analytics_tpl;

    return NGX_CONF_OK;
}


void
ngx_http_blog_analytics_cleanup(void *data)
{
    blog_tpl_free(data);
}
