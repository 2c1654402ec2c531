/*
 * The worker's writable connections (ngx_http_blog_conn.h).
 *
 * Each is opened on first use and reopened (at most once a second) after
 * an error that was not a lock.  A write waits at most
 * NGX_HTTP_BLOG_WRITE_BUSY for another writer, since the worker serves
 * nothing else meanwhile; every write is one short transaction, committed
 * before the response is sent, so no lock outlives a request.
 *
 * Statements are prepared per use, not cached like the readers' pages:
 * the panel runs many different queries, rarely.
 */

#include "ngx_http_blog_module.h"
#include "blog_db.h"
#include "blog_ttl_schema.h"
#include "blog_analytics_schema.h"
#include "blog_queue_schema.h"
#include "blog_split.h"


#define NGX_HTTP_BLOG_WRITE_BUSY  250           /* ms */
#define NGX_HTTP_BLOG_CONN_RETRY  1000          /* ms */


static ngx_int_t ngx_http_blog_conn_attach(ngx_http_blog_conn_t *c,
    ngx_log_t *log);


/*
 * The blog module keeps the list, since the admin panel, comments and
 * cronhooks may all name the same file.
 */
ngx_http_blog_conn_t *
ngx_http_blog_conn_add(ngx_conf_t *cf, ngx_str_t *path, ngx_uint_t ttl)
{
    ngx_uint_t                  i;
    ngx_http_blog_conn_t       *c, **cp;
    ngx_http_blog_main_conf_t  *bmcf;

    bmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_blog_module);
    cp = bmcf->conns.elts;

    for (i = 0; i < bmcf->conns.nelts; i++) {
        if (cp[i]->path.len == path->len
            && ngx_strncmp(cp[i]->path.data, path->data, path->len) == 0)
        {
            if (cp[i]->ttl != ttl) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" is named "
                                   "both as a blog database and as a ttl "
                                   "database", path);
                return NULL;
            }

            return cp[i];
        }
    }

    c = ngx_pcalloc(cf->pool, sizeof(ngx_http_blog_conn_t));
    cp = ngx_array_push(&bmcf->conns);
    if (c == NULL || cp == NULL) {
        return NULL;
    }

    c->path = *path;
    c->ttl = ttl;
    *cp = c;

    return c;
}


ngx_int_t
ngx_http_blog_conn_ready(ngx_http_blog_conn_t *c, ngx_log_t *log)
{
    int                   rc;
    blog_db_error_t       err;
    const blog_schema_t  *schema;

    if (c->db) {
        return NGX_OK;
    }

    if (ngx_current_msec < c->retry_at) {
        return NGX_ERROR;
    }

    c->retry_at = ngx_current_msec + NGX_HTTP_BLOG_CONN_RETRY;

    /* ttl.db holds only what may be lost: the module may create it */
    schema = c->ttl ? &blog_ttl_schema : &blog_data_schema;

    rc = blog_db_open(&c->db, (char *) c->path.data, schema,
                      BLOG_DB_ONE_THREAD | BLOG_DB_EXTENDED_CODES
                      | (c->ttl ? BLOG_DB_CREATE | BLOG_DB_MIGRATE : 0),
                      NGX_HTTP_BLOG_WRITE_BUSY, &err);

    if (rc == SQLITE_SCHEMA && !c->ttl) {
        ngx_log_error(NGX_LOG_ERR, log, 0, "blog database \"%V\" has schema "
                      "version %d, this module needs %d", &c->path,
                      err.version, BLOG_SCHEMA_VERSION);
        return NGX_ERROR;
    }

    if (rc != SQLITE_OK) {
        ngx_log_error(NGX_LOG_ERR, log, 0, "blog %s \"%V\": %s failed: "
                      "%s (%d)", schema->what, &c->path, err.what, err.msg,
                      rc);
        return NGX_ERROR;
    }

    if (!c->ttl && ngx_http_blog_conn_attach(c, log) != NGX_OK) {
        ngx_http_blog_conn_close(c);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * analytics.db and queue.db beside data.db, attached: the panel reads the
 * analytics and the jobs, retries jobs and queues sign-in code mails
 * through the data.db connection, with their tables' names unqualified
 * (data.db has none of them: blog_split.h).  Like ttl.db, the module may
 * create them: they hold nothing before the jobrunner ran.
 */
static ngx_int_t
ngx_http_blog_conn_attach(ngx_http_blog_conn_t *c, ngx_log_t *log)
{
    int                   rc;
    char                  path[NGX_MAX_PATH];
    ngx_uint_t            i;
    blog_db_error_t       err;
    static const char    *names[] = { "analytics", "queue" };
    static const char    *files[] = { "analytics.db", "queue.db" };
    const blog_schema_t  *schemas[] = { &blog_analytics_schema,
                                        &blog_queue_schema };

    for (i = 0; i < 2; i++) {
        if (blog_db_sibling(path, sizeof(path), (char *) c->path.data,
                            files[i])
            != 0)
        {
            ngx_log_error(NGX_LOG_ERR, log, 0, "blog database \"%V\": the "
                          "path of %s is too long", &c->path, files[i]);
            return NGX_ERROR;
        }

        rc = blog_db_create(path, schemas[i], NGX_HTTP_BLOG_WRITE_BUSY, &err);
        if (rc != SQLITE_OK) {
            ngx_log_error(NGX_LOG_ERR, log, 0, "blog %s \"%s\": %s failed: "
                          "%s (%d)", schemas[i]->what, path, err.what,
                          err.msg, rc);
            return NGX_ERROR;
        }

        rc = blog_db_attach(c->db, path, names[i]);
        if (rc != SQLITE_OK) {
            ngx_log_error(NGX_LOG_ERR, log, 0, "blog %s \"%s\": attach "
                          "failed: %s (%d)", schemas[i]->what, path,
                          sqlite3_errmsg(c->db), rc);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


void
ngx_http_blog_conn_close(ngx_http_blog_conn_t *c)
{
    /* every statement is finalized by its user: this cannot be busy */
    sqlite3_close(c->db);
    c->db = NULL;
}


void
ngx_http_blog_sql_error(ngx_http_request_t *r, ngx_http_blog_conn_t *c,
    int rc, const char *what)
{
    ngx_uint_t  level;

    /* a busy database or a taken slug is the user's to retry, not ours */
    level = ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_CONSTRAINT)
            ? NGX_LOG_WARN : NGX_LOG_ERR;

    ngx_log_error(level, r->connection->log, 0, "blog database \"%V\": %s "
                  "failed: %s (%d)", &c->path, what,
                  c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc), rc);

    /*
     * A vanished or corrupt file is only noticed by opening it again; a
     * lock, a constraint or a full disk is no fault of the connection,
     * and closing it would turn away the next request too.
     */
    if (c->db && (rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED
        && (rc & 0xff) != SQLITE_CONSTRAINT && (rc & 0xff) != SQLITE_FULL
        && sqlite3_get_autocommit(c->db)
        && sqlite3_next_stmt(c->db, NULL) == NULL)
    {
        ngx_http_blog_conn_close(c);
    }
}


/*
 * Prepares sql and binds its parameters ?1, ?2, ... from the arguments, one
 * per character of types:
 *
 *   i  int64_t      s  const char * (NULL binds NULL)
 *   t  ngx_str_t *  n  NULL
 *
 * Text is bound SQLITE_STATIC: the arguments must outlive the statement's
 * use.  Returns an SQLite result code, logged unless SQLITE_OK.
 */
static int
ngx_http_blog_sql_vbind(ngx_http_request_t *r, ngx_http_blog_conn_t *c,
    const char *sql, const char *types, va_list ap, sqlite3_stmt **stmt)
{
    int           rc, i;
    ngx_str_t    *s;
    const char   *cs;

    *stmt = NULL;

    if (c->db == NULL && ngx_http_blog_conn_ready(c, r->connection->log)
                         != NGX_OK)
    {
        return SQLITE_CANTOPEN;
    }

    rc = sqlite3_prepare_v2(c->db, sql, -1, stmt, NULL);
    if (rc != SQLITE_OK) {
        ngx_http_blog_sql_error(r, c, rc, "prepare");
        return rc;
    }

    for (i = 0; rc == SQLITE_OK && types[i]; i++) {
        switch (types[i]) {

        case 'i':
            rc = sqlite3_bind_int64(*stmt, i + 1, va_arg(ap, int64_t));
            break;

        case 's':
            cs = va_arg(ap, const char *);
            rc = sqlite3_bind_text(*stmt, i + 1, cs, -1, SQLITE_STATIC);
            break;

        case 't':
            s = va_arg(ap, ngx_str_t *);
            /* an empty string may have a NULL pointer: bind "" then */
            rc = sqlite3_bind_text(*stmt, i + 1,
                                   s->len ? (char *) s->data : "",
                                   (int) s->len, SQLITE_STATIC);
            break;

        default: /* 'n' */
            rc = sqlite3_bind_null(*stmt, i + 1);
            break;
        }
    }

    if (rc != SQLITE_OK) {
        sqlite3_finalize(*stmt);
        *stmt = NULL;
        ngx_http_blog_sql_error(r, c, rc, "bind");
    }

    return rc;
}


/* A prepared and bound statement, or NULL (logged). */
sqlite3_stmt *
ngx_http_blog_sql(ngx_http_request_t *r, ngx_http_blog_conn_t *c,
    const char *sql, const char *types, ...)
{
    va_list        ap;
    sqlite3_stmt  *stmt;

    va_start(ap, types);
    (void) ngx_http_blog_sql_vbind(r, c, sql, types, ap, &stmt);
    va_end(ap);

    return stmt;
}


/*
 * A statement run to its end: returns SQLITE_OK, or the error (logged),
 * e.g. SQLITE_CONSTRAINT_UNIQUE for the caller to explain.
 */
int
ngx_http_blog_sql_exec(ngx_http_request_t *r, ngx_http_blog_conn_t *c,
    const char *sql, const char *types, ...)
{
    int            rc;
    va_list        ap;
    sqlite3_stmt  *stmt;

    va_start(ap, types);
    rc = ngx_http_blog_sql_vbind(r, c, sql, types, ap, &stmt);
    va_end(ap);

    if (rc != SQLITE_OK) {
        return rc;
    }

    rc = sqlite3_step(stmt);
    rc = (rc == SQLITE_DONE || rc == SQLITE_ROW) ? SQLITE_OK : rc;

    sqlite3_finalize(stmt);

    if (rc != SQLITE_OK) {
        ngx_http_blog_sql_error(r, c, rc, "query");
    }

    return rc;
}


int
ngx_http_blog_sql_begin(ngx_http_request_t *r, ngx_http_blog_conn_t *c)
{
    int  rc;

    if (c->db == NULL && ngx_http_blog_conn_ready(c, r->connection->log)
                         != NGX_OK)
    {
        return SQLITE_CANTOPEN;
    }

    /* the write lock up front: no deadlock between two upgrading readers */
    rc = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        ngx_http_blog_sql_error(r, c, rc, "begin");
    }

    return rc;
}


int
ngx_http_blog_sql_commit(ngx_http_request_t *r, ngx_http_blog_conn_t *c)
{
    int  rc;

    rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        ngx_http_blog_sql_error(r, c, rc, "commit");
        ngx_http_blog_sql_rollback(c);
    }

    return rc;
}


void
ngx_http_blog_sql_rollback(ngx_http_blog_conn_t *c)
{
    /* SQLite may have rolled back already (e.g. after SQLITE_FULL) */
    if (c->db && !sqlite3_get_autocommit(c->db)) {
        (void) sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    }
}


/* A text column copied to the request pool (SQLite's copy is short-lived). */
ngx_int_t
ngx_http_blog_column(ngx_http_request_t *r, sqlite3_stmt *stmt, int col,
    ngx_str_t *s)
{
    const u_char  *p;

    p = sqlite3_column_text(stmt, col);
    s->len = sqlite3_column_bytes(stmt, col);

    if (p == NULL) {
        s->len = 0;
        s->data = (u_char *) "";
        return NGX_OK;
    }

    s->data = ngx_pnalloc(r->pool, s->len + 1);
    if (s->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(s->data, p, s->len);
    s->data[s->len] = '\0';

    return NGX_OK;
}
