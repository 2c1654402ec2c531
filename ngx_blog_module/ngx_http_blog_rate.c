/*
 * Rate limits in ttl.db (ngx_http_blog_rate.h): a row per key counts its
 * hits in the current window, so every worker sees the same count.  A
 * limit either refuses for a window once used up (rate), or, past its
 * free hits, makes each next attempt wait twice as long (backoff).
 */

#include "ngx_http_blog_rate.h"


ngx_uint_t
ngx_http_blog_client_net(ngx_http_request_t *r, u_char *net)
{
    struct sockaddr_in   *sin;
#if (NGX_HAVE_INET6)
    u_char               *p;
    struct sockaddr_in6  *sin6;
#endif

    switch (r->connection->sockaddr->sa_family) {

    case AF_INET:
        sin = (struct sockaddr_in *) r->connection->sockaddr;
        ngx_memcpy(net, &sin->sin_addr, 4);
        return 4;

#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) r->connection->sockaddr;
        p = sin6->sin6_addr.s6_addr;

        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
            ngx_memcpy(net, p + 12, 4);
            return 4;
        }

        ngx_memcpy(net, p, 8);
        return 8;
#endif

    default:
        return 0;
    }
}


ngx_int_t
ngx_http_blog_client_key(ngx_http_request_t *r, const char *prefix,
    ngx_str_t *key)
{
    u_char      net[NGX_HTTP_BLOG_CLIENT_NET_MAX], *p;
    size_t      len;
    ngx_uint_t  n;

    n = ngx_http_blog_client_net(r, net);
    len = ngx_strlen(prefix);

    /* the longest text: the address of a socket, or "hhhh:" x 4 ":/64" */
    p = ngx_pnalloc(r->pool, len + 1 + ngx_max(r->connection->addr_text.len,
                                               sizeof("ffff:") * 4 + 4));
    if (p == NULL) {
        return NGX_ERROR;
    }

    key->data = p;
    p = ngx_sprintf(p, "%s:", prefix);

    switch (n) {
    case 4:
        p = ngx_sprintf(p, "%ud.%ud.%ud.%ud", net[0], net[1], net[2], net[3]);
        break;

    case 8:
        p = ngx_sprintf(p, "%xd:%xd:%xd:%xd::/64",
                        (ngx_uint_t) (net[0] << 8 | net[1]),
                        (ngx_uint_t) (net[2] << 8 | net[3]),
                        (ngx_uint_t) (net[4] << 8 | net[5]),
                        (ngx_uint_t) (net[6] << 8 | net[7]));
        break;

    default:
        p = ngx_cpymem(p, r->connection->addr_text.data,
                       r->connection->addr_text.len);
    }

    key->len = p - key->data;

    return NGX_OK;
}


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
 * key's live row: its hits and when it expires, both 0 when it has none
 * (or it expired).  NGX_OK or NGX_ERROR.
 */
static ngx_int_t
ngx_http_blog_rate_read(ngx_http_request_t *r, ngx_http_blog_conn_t *ttl,
    ngx_str_t *key, time_t now, int64_t *hits, time_t *expires)
{
    int            rc;
    sqlite3_stmt  *stmt;

    *hits = 0;
    *expires = 0;

    stmt = ngx_http_blog_sql(r, ttl,
                             "SELECT hits, expires_at FROM rate_limits"
                             " WHERE key = ?1 AND expires_at > ?2",
                             "ti", key, (int64_t) now);
    if (stmt == NULL) {
        return NGX_ERROR;
    }

    rc = sqlite3_step(stmt);

    if (rc == SQLITE_ROW) {
        *hits = sqlite3_column_int64(stmt, 0);
        *expires = (time_t) sqlite3_column_int64(stmt, 1);

    } else if (rc != SQLITE_DONE) {
        ngx_http_blog_sql_error(r, ttl, rc, "rate limit");
    }

    sqlite3_finalize(stmt);

    return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? NGX_OK : NGX_ERROR;
}


/*
 * NGX_DECLINED with the seconds left in *retry when key has used up its
 * limit in the current window; NGX_OK otherwise, NGX_ERROR on failure.
 */
ngx_int_t
ngx_http_blog_rate_check(ngx_http_request_t *r, ngx_http_blog_conn_t *ttl,
    ngx_str_t *key, ngx_http_blog_limit_t *limit, time_t *retry)
{
    time_t   now, expires;
    int64_t  hits;

    now = ngx_time();

    if (ngx_http_blog_rate_read(r, ttl, key, now, &hits, &expires) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (hits < (int64_t) limit->count) {
        return NGX_OK;
    }

    *retry = expires - now;

    return NGX_DECLINED;
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
    time_t   now, expires, last, wait;
    int64_t  hits, over;

    now = ngx_time();

    if (ngx_http_blog_rate_read(r, ttl, key, now, &hits, &expires) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* each hit sets the row to expire a window after it */
    last = expires - limit->window;

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
