/*
 * Rate limits in ttl.db (ngx_http_blog_rate.h): a row per key counts its
 * hits in the current window, so every worker sees the same count.  A
 * limit either refuses for a window once used up (rate), or, past its
 * free hits, makes each next attempt wait twice as long (backoff).
 */

#include "ngx_http_blog_rate.h"


/* blog_login_limit 5 15m; blog_comment_limit 5 10m; -- count and time */

char *
ngx_http_blog_conf_set_limit_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_int_t               n;
    ngx_str_t              *value;
    ngx_http_blog_limit_t  *limit;

    limit = (ngx_http_blog_limit_t *) ((u_char *) conf + cmd->offset);

    if (limit->count != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    n = ngx_atoi(value[1].data, value[1].len);
    if (n < 1) {
        return "needs a count of 1 or more";
    }

    limit->count = n;

    limit->window = ngx_parse_time(&value[2], 1);
    if (limit->window == (time_t) NGX_ERROR || limit->window < 1) {
        return "needs a time such as 10m";
    }

    return NGX_CONF_OK;
}


/*
 * NGX_DECLINED with the seconds left in *retry when key has used up its
 * limit in the current window; NGX_OK otherwise, NGX_ERROR on failure.
 */
ngx_int_t
ngx_http_blog_rate_check(ngx_http_request_t *r, ngx_http_blog_conn_t *ttl,
    ngx_str_t *key, ngx_http_blog_limit_t *limit, time_t *retry)
{
    int            rc;
    time_t         now;
    sqlite3_stmt  *stmt;

    now = ngx_time();

    stmt = ngx_http_blog_sql(r, ttl,
                             "SELECT hits, expires_at FROM rate_limits"
                             " WHERE key = ?1 AND expires_at > ?2",
                             "ti", key, (int64_t) now);
    if (stmt == NULL) {
        return NGX_ERROR;
    }

    rc = sqlite3_step(stmt);

    if (rc == SQLITE_ROW) {
        *retry = (time_t) sqlite3_column_int64(stmt, 1) - now;
        rc = (sqlite3_column_int64(stmt, 0) >= (int64_t) limit->count)
             ? SQLITE_FULL : SQLITE_OK;

    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;

    } else {
        ngx_http_blog_sql_error(r, ttl, rc, "rate limit");
    }

    sqlite3_finalize(stmt);

    if (rc == SQLITE_FULL) {
        return NGX_DECLINED;
    }

    return rc == SQLITE_OK ? NGX_OK : NGX_ERROR;
}


/*
 * Counts a hit on key: a window starts with the first one, and the hit
 * that reaches the limit starts the window again, so that a lock-out lasts
 * the whole window after the last failure.
 */
ngx_int_t
ngx_http_blog_rate_add(ngx_http_request_t *r, ngx_http_blog_conn_t *ttl,
    ngx_str_t *key, ngx_http_blog_limit_t *limit)
{
    int  rc;

    rc = ngx_http_blog_sql_exec(r, ttl,
             "INSERT INTO rate_limits (key, hits, expires_at)"
             " VALUES (?1, 1, ?2 + ?3)"
             " ON CONFLICT (key) DO UPDATE SET"
             "  hits = CASE WHEN expires_at <= ?2 THEN 1 ELSE hits + 1 END,"
             "  expires_at = CASE WHEN expires_at <= ?2 OR hits + 1 >= ?4"
             "               THEN ?2 + ?3 ELSE expires_at END",
             "tiii", key, (int64_t) ngx_time(), (int64_t) limit->window,
             (int64_t) limit->count);

    return rc == SQLITE_OK ? NGX_OK : NGX_ERROR;
}


/*
 * A backoff: past the first spared hits within limit->window of each
 * other, an attempt may go on only 2^(hits - spared) seconds, at most the
 * window, after the last hit.  NGX_DECLINED with the seconds left in
 * *retry, NGX_OK, or NGX_ERROR.
 */
ngx_int_t
ngx_http_blog_backoff_check(ngx_http_request_t *r, ngx_http_blog_conn_t *ttl,
    ngx_str_t *key, ngx_http_blog_limit_t *limit, ngx_uint_t spared,
    time_t *retry)
{
    int            rc;
    time_t         now, last, wait;
    int64_t        hits, over;
    sqlite3_stmt  *stmt;

    now = ngx_time();

    stmt = ngx_http_blog_sql(r, ttl,
                             "SELECT hits, expires_at FROM rate_limits"
                             " WHERE key = ?1 AND expires_at > ?2",
                             "ti", key, (int64_t) now);
    if (stmt == NULL) {
        return NGX_ERROR;
    }

    rc = sqlite3_step(stmt);
    hits = 0;
    last = 0;

    if (rc == SQLITE_ROW) {
        hits = sqlite3_column_int64(stmt, 0);
        /* each hit sets the row to expire a window after it */
        last = (time_t) sqlite3_column_int64(stmt, 1) - limit->window;
        rc = SQLITE_OK;

    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;

    } else {
        ngx_http_blog_sql_error(r, ttl, rc, "rate limit");
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_OK) {
        return NGX_ERROR;
    }

    over = hits - (int64_t) spared;

    if (over < 0) {
        return NGX_OK;
    }

    wait = (over >= 30) ? limit->window
                        : ngx_min((time_t) 1 << over, limit->window);

    if (now >= last + wait) {
        return NGX_OK;
    }

    *retry = last + wait - now;

    return NGX_DECLINED;
}


/* Counts a hit of a backoff: its row expires a window after the last. */
ngx_int_t
ngx_http_blog_backoff_add(ngx_http_request_t *r, ngx_http_blog_conn_t *ttl,
    ngx_str_t *key, ngx_http_blog_limit_t *limit)
{
    int  rc;

    rc = ngx_http_blog_sql_exec(r, ttl,
             "INSERT INTO rate_limits (key, hits, expires_at)"
             " VALUES (?1, 1, ?2 + ?3)"
             " ON CONFLICT (key) DO UPDATE SET"
             "  hits = CASE WHEN expires_at <= ?2 THEN 1 ELSE hits + 1 END,"
             "  expires_at = ?2 + ?3",
             "tii", key, (int64_t) ngx_time(), (int64_t) limit->window);

    return rc == SQLITE_OK ? NGX_OK : NGX_ERROR;
}
