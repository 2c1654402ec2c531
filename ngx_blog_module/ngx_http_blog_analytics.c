/*
 * The analytics page: "blog_analytics path/to/data.db;" in a location.
 *
 * It shows the last 30 days from the jobrunner's aggregate tables: views
 * and unique visitors per day as a bar chart (SVG drawn by the theme's
 * analytics.html from numbers computed here, so nothing needs to be
 * trusted HTML), top pages and posts, referrer hosts, countries, browsers,
 * operating systems, status codes and bots.
 *
 * Access needs the token whose SHA-256 "blog_analytics_auth" names, as
 * "Authorization: Bearer TOKEN" or as the password of HTTP Basic (any user
 * name), compared in constant time and never logged.
 *
 * It is sent with the admin panel's headers (no caching, no framing, no
 * sniffing, same-origin referrers, the panel's Content-Security-Policy),
 * its inline style allowed by a nonce made for each response, the
 * template's {{csp_nonce}}.
 *
 * The page is for one person now and then: each request opens data.db
 * read-only, runs its few indexed queries and closes it, rather than
 * keeping a connection in every worker.
 */

#include "ngx_http_blog_module.h"
#include "ngx_http_blog_events_module.h"
#include "ngx_http_blog_scope.h"
#include "ngx_http_blog_response.h"
#include "blog_db.h"
#include "blog_analytics_schema.h"
#include "blog_split.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>


#define NGX_HTTP_BLOG_DAYS        30
#define NGX_HTTP_BLOG_TOP         10
#define NGX_HTTP_BLOG_CHART_W     20      /* px per day */
#define NGX_HTTP_BLOG_CHART_H     160     /* px of the tallest bar */
#define NGX_HTTP_BLOG_NONCE_BYTES 16


typedef struct {
    const char  *dim;
    const char  *name;       /* the template list */
} ngx_http_blog_top_t;

static ngx_http_blog_top_t  ngx_http_blog_tops[] = {
    { "path", "top_pages" },
    { "post", "top_posts" },
    { "referrer", "referrers" },
    { "country", "countries" },
    { "browser", "browsers" },
    { "os", "systems" },
    { "status", "statuses" },
    { "bot", "bots" },
    { NULL, NULL }
};


static ngx_int_t ngx_http_blog_analytics_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_blog_analytics_vars(ngx_http_request_t *r,
    sqlite3 *db, ngx_array_t *root);
static ngx_int_t ngx_http_blog_analytics_days(ngx_http_request_t *r,
    sqlite3 *db, ngx_array_t *root, int64_t today);
static ngx_int_t ngx_http_blog_analytics_top(ngx_http_request_t *r,
    sqlite3 *db, ngx_array_t *root, ngx_http_blog_top_t *top, int64_t today);


static ngx_int_t
ngx_http_blog_analytics_handler(ngx_http_request_t *r)
{
    int                               rc;
    ngx_int_t                         nrc;
    sqlite3                          *db;
    char                              path[NGX_MAX_PATH];
    blog_db_error_t                   err;
    ngx_buf_t                        *b;
    blog_buf_t                        out;
    ngx_str_t                         nonce;
    ngx_chain_t                       cl;
    ngx_array_t                       root;
    blog_tpl_ctx_t                    ctx;
    ngx_table_elt_t                  *h;
    ngx_http_blog_events_loc_conf_t  *elcf;
    u_char                            rnd[NGX_HTTP_BLOG_NONCE_BYTES];

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    nrc = ngx_http_discard_request_body(r);
    if (nrc != NGX_OK) {
        return nrc;
    }

    elcf = ngx_http_get_module_loc_conf(r, ngx_http_blog_events_module);

    if (ngx_http_blog_analytics_allowed(r, elcf) != NGX_OK) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL
            || ngx_http_blog_security_headers(r, NULL) != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "WWW-Authenticate");
        ngx_str_set(&h->value, "Basic realm=\"analytics\", charset=\"UTF-8\"");
        r->headers_out.www_authenticate = h;

        return NGX_HTTP_UNAUTHORIZED;
    }

    /* the blog's counts are in analytics.db beside data.db: blog_split.h */
    if (blog_db_sibling(path, sizeof(path), (char *) elcf->analytics_db.data,
                        "analytics.db") != 0)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "blog_analytics: database \"%V\": the path of "
                      "analytics.db is too long", &elcf->analytics_db);
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    rc = blog_db_open(&db, path, &blog_analytics_schema,
                      BLOG_DB_QUERY_ONLY | BLOG_DB_ONE_THREAD, 0, &err);

    if (rc != SQLITE_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "blog_analytics: database \"%s\": %s", path,
                      rc == SQLITE_SCHEMA ? "another schema version"
                                          : err.msg);
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (ngx_array_init(&root, r->pool, 32, sizeof(blog_tpl_var_t))
        != NGX_OK)
    {
        sqlite3_close(db);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    nonce.len = ngx_base64_encoded_length(sizeof(rnd));
    nonce.data = ngx_pnalloc(r->pool, nonce.len);

    if (nonce.data == NULL || RAND_bytes(rnd, sizeof(rnd)) != 1) {
        sqlite3_close(db);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_encode_base64(&nonce, &(ngx_str_t) { sizeof(rnd), rnd });

    if (ngx_http_blog_scope_push(&root, "csp_nonce", BLOG_TPL_TEXT,
                                 nonce.data, nonce.len)
        != NGX_OK)
    {
        sqlite3_close(db);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    nrc = ngx_http_blog_analytics_vars(r, db, &root);

    if (nrc == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "blog_analytics: database \"%V\": %s",
                      &elcf->analytics_db, sqlite3_errmsg(db));
    }

    sqlite3_close(db);

    if (nrc != NGX_OK) {
        return nrc == NGX_ERROR ? NGX_HTTP_SERVICE_UNAVAILABLE : nrc;
    }

    ctx.parent = NULL;
    ctx.vars = root.elts;
    ctx.nvars = root.nelts;

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


/*
 * The page's values, from the aggregate tables of db, added to root.  (The
 * panel's analytics page is the dashboard of admin/ngx_http_blog_dash.h.)
 */
static ngx_int_t
ngx_http_blog_analytics_vars(ngx_http_request_t *r, sqlite3 *db,
    ngx_array_t *root)
{
    int64_t               today;
    ngx_int_t             rc;
    ngx_http_blog_top_t  *top;

    today = (int64_t) (ngx_time() / 86400);

    rc = ngx_http_blog_analytics_days(r, db, root, today);
    if (rc != NGX_OK) {
        return rc;
    }

    for (top = ngx_http_blog_tops; top->dim; top++) {
        rc = ngx_http_blog_analytics_top(r, db, root, top, today);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    return NGX_OK;
}


/* The days, oldest first, with their bars; the totals over them. */
static ngx_int_t
ngx_http_blog_analytics_days(ngx_http_request_t *r, sqlite3 *db,
    ngx_array_t *root, int64_t today)
{
    u_char         date[16];
    int64_t        day, views[NGX_HTTP_BLOG_DAYS];
    int64_t        visitors[NGX_HTTP_BLOG_DAYS], max, total_views;
    int64_t        total_visitors, bots, h;
    ngx_tm_t       tm;
    ngx_uint_t     i;
    ngx_array_t    items, *vars;
    sqlite3_stmt  *stmt;
    int            rc;

    ngx_memzero(views, sizeof(views));
    ngx_memzero(visitors, sizeof(visitors));
    total_views = 0;
    total_visitors = 0;
    bots = 0;

    if (sqlite3_prepare_v2(db, "SELECT day, views, visitors, bot_views"
                           " FROM analytics_daily WHERE day BETWEEN ?1 AND ?2",
                           -1, &stmt, NULL)
        != SQLITE_OK)
    {
        return NGX_ERROR;
    }

    sqlite3_bind_int64(stmt, 1, today - NGX_HTTP_BLOG_DAYS + 1);
    sqlite3_bind_int64(stmt, 2, today);

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        i = (ngx_uint_t) (sqlite3_column_int64(stmt, 0)
                          - (today - NGX_HTTP_BLOG_DAYS + 1));
        views[i] = sqlite3_column_int64(stmt, 1);
        visitors[i] = sqlite3_column_int64(stmt, 2);
        total_views += views[i];
        total_visitors += visitors[i];
        bots += sqlite3_column_int64(stmt, 3);
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        return NGX_ERROR;
    }

    max = 1;
    for (i = 0; i < NGX_HTTP_BLOG_DAYS; i++) {
        max = ngx_max(max, ngx_max(views[i], visitors[i]));
    }

    if (ngx_array_init(&items, r->pool, NGX_HTTP_BLOG_DAYS,
                       sizeof(blog_tpl_ctx_t))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < NGX_HTTP_BLOG_DAYS; i++) {
        day = today - NGX_HTTP_BLOG_DAYS + 1 + i;
        ngx_gmtime((time_t) day * 86400, &tm);
        ngx_sprintf(date, "%4d-%02d-%02d", tm.ngx_tm_year, tm.ngx_tm_mon,
                    tm.ngx_tm_mday);

        vars = ngx_http_blog_scope_item(r->pool, &items, 8);
        if (vars == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (ngx_http_blog_scope_str(r, vars, "date", date, 10) != NGX_OK
            || ngx_http_blog_scope_int(r, vars, "views", views[i])
               != NGX_OK
            || ngx_http_blog_scope_int(r, vars, "visitors", visitors[i])
               != NGX_OK
            || ngx_http_blog_scope_int(r, vars, "x", i * NGX_HTTP_BLOG_CHART_W)
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h = views[i] * NGX_HTTP_BLOG_CHART_H / max;

        if (ngx_http_blog_scope_int(r, vars, "views_h", h) != NGX_OK
            || ngx_http_blog_scope_int(r, vars, "views_y",
                                       NGX_HTTP_BLOG_CHART_H - h)
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h = visitors[i] * NGX_HTTP_BLOG_CHART_H / max;

        if (ngx_http_blog_scope_int(r, vars, "visitors_h", h) != NGX_OK
            || ngx_http_blog_scope_int(r, vars, "visitors_y",
                                       NGX_HTTP_BLOG_CHART_H - h)
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (ngx_http_blog_scope_list(root, "days", &items) != NGX_OK
        || ngx_http_blog_scope_int(r, root, "total_views", total_views)
           != NGX_OK
        || ngx_http_blog_scope_int(r, root, "total_visitors", total_visitors)
           != NGX_OK
        || ngx_http_blog_scope_int(r, root, "bot_views", bots) != NGX_OK
        || ngx_http_blog_scope_int(r, root, "chart_max", max) != NGX_OK
        || ngx_http_blog_scope_int(r, root, "chart_width",
                                   NGX_HTTP_BLOG_DAYS * NGX_HTTP_BLOG_CHART_W)
           != NGX_OK
        || ngx_http_blog_scope_int(r, root, "chart_height",
                                   NGX_HTTP_BLOG_CHART_H)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
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

    ngx_str_t                 *value;
    ngx_http_core_loc_conf_t  *clcf;

    if (elcf->analytics_db.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    elcf->analytics_db = value[1];

    if (ngx_conf_full_name(cf->cycle, &elcf->analytics_db, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_blog_analytics_handler;

    return NGX_CONF_OK;
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
