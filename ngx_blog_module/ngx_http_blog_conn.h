/*
 * A worker's writable connections: data.db for the admin panel and
 * readers' comments, ttl.db (blog_ttl_db) for sessions, rate limits and
 * the cronhooks' replay guard.  The readers' pages keep ngx_http_blog_db_t,
 * which never writes and notices these commits through PRAGMA
 * data_version like any other writer's.
 */

#ifndef NGX_HTTP_BLOG_CONN_H
#define NGX_HTTP_BLOG_CONN_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <sqlite3.h>


/*
 * One file, opened on first use and shared by every location that names
 * it.  Reads of the panel go through it too, so that they see its own
 * writes.
 */
typedef struct {
    ngx_str_t                 path;
    sqlite3                  *db;
    ngx_msec_t                retry_at;
    unsigned                  ttl:1;         /* create and migrate ttl.db */
} ngx_http_blog_conn_t;


/* At configuration: the connection to path, made once per file. */
ngx_http_blog_conn_t *ngx_http_blog_conn_add(ngx_conf_t *cf, ngx_str_t *path,
    ngx_uint_t ttl);

ngx_int_t ngx_http_blog_conn_ready(ngx_http_blog_conn_t *c, ngx_log_t *log);
void ngx_http_blog_conn_close(ngx_http_blog_conn_t *c);

sqlite3_stmt *ngx_http_blog_sql(ngx_http_request_t *r, ngx_http_blog_conn_t *c,
    const char *sql, const char *types, ...);
int ngx_http_blog_sql_exec(ngx_http_request_t *r, ngx_http_blog_conn_t *c,
    const char *sql, const char *types, ...);
int ngx_http_blog_sql_begin(ngx_http_request_t *r, ngx_http_blog_conn_t *c);
int ngx_http_blog_sql_commit(ngx_http_request_t *r, ngx_http_blog_conn_t *c);
void ngx_http_blog_sql_rollback(ngx_http_blog_conn_t *c);
void ngx_http_blog_sql_error(ngx_http_request_t *r, ngx_http_blog_conn_t *c,
    int rc, const char *what);
ngx_int_t ngx_http_blog_column(ngx_http_request_t *r, sqlite3_stmt *stmt,
    int col, ngx_str_t *s);

#endif /* NGX_HTTP_BLOG_CONN_H */
