/*
 * The worker's connection to data.db: opened on first use, statements
 * prepared once and reused, and reopened (at most once a second) after the
 * file was missing, unreadable or of another schema version.
 *
 * The connection never writes, and never waits for a lock longer than
 * blog_busy_timeout: a worker blocked in SQLite blocks every request it
 * holds.  The statements' SQL is lib/blog_reader.c's.
 */

#include "ngx_http_blog_module.h"
#include "blog_db.h"
#include "blog_split.h"


#define NGX_HTTP_BLOG_DB_RETRY  1000    /* ms between attempts to reopen */
#define NGX_HTTP_BLOG_DB_START_WAIT  2000   /* ms a starting worker waits */


static ngx_int_t ngx_http_blog_db_open(ngx_http_blog_db_t *bdb,
    ngx_log_t *log);
static ngx_int_t ngx_http_blog_db_sync_version(ngx_http_blog_db_t *bdb,
    ngx_log_t *log);
static void ngx_http_blog_db_log(ngx_http_blog_db_t *bdb, ngx_log_t *log,
    int rc, const char *what, const char *msg);
static void ngx_http_blog_db_tick_end(ngx_event_t *ev);


ngx_int_t
ngx_http_blog_db_ready(ngx_http_blog_db_t *bdb, ngx_log_t *log)
{
    ngx_int_t        rc;
    ngx_file_info_t  fi;

    /*
     * A file put in place of the one open (rename) is only seen by opening
     * the path again; the old one stays readable meanwhile.
     */
    if (bdb->db != NULL && !bdb->reopen
        && ngx_current_msec - bdb->file_checked >= NGX_HTTP_BLOG_DB_RETRY)
    {
        bdb->file_checked = ngx_current_msec;

        if (ngx_file_info(bdb->path.data, &fi) == NGX_FILE_ERROR
            || fi.st_ino != bdb->ino || fi.st_dev != bdb->dev)
        {
            ngx_log_error(NGX_LOG_NOTICE, log, 0, "blog database \"%V\" "
                          "was replaced: opening it again", &bdb->path);
            bdb->reopen = 1;
        }
    }

    if (bdb->reopen) {
        ngx_http_blog_db_close(bdb);
    }

    if (bdb->db == NULL) {
        if (ngx_current_msec < bdb->retry_at) {
            ngx_log_error(NGX_LOG_INFO, log, 0,
                          "blog database \"%V\" is unavailable, retrying in "
                          "%M ms", &bdb->path, bdb->retry_at - ngx_current_msec);
            return NGX_ERROR;
        }

        rc = ngx_http_blog_db_open(bdb, log);

        if (rc != NGX_OK) {
            ngx_http_blog_db_close(bdb);

            /* a lock is held for a moment: the next request tries again */
            bdb->retry_at = ngx_current_msec
                            + (rc == NGX_BUSY ? 0 : NGX_HTTP_BLOG_DB_RETRY);
            return NGX_ERROR;
        }
    }

    /*
     * data_version is checked once per event-loop tick, not per request,
     * in the tick's read transaction: the pages rendered in this tick see
     * the snapshot whose version stamps them.
     */
    if (bdb->version_checked != ngx_current_msec) {
        if (ngx_http_blog_db_begin(bdb, log) != NGX_OK
            || ngx_http_blog_db_sync_version(bdb, log) != NGX_OK)
        {
            return NGX_ERROR;
        }

        bdb->version_checked = ngx_current_msec;
    }

    return NGX_OK;
}


/*
 * The first open, by a worker that accepts no connection yet, so it may
 * wait for a lock another process holds for a moment: the first reader of
 * a WAL file rebuilds its index, and the last connection to close one
 * checkpoints it, each under a lock that turns other readers away at once
 * with SQLITE_BUSY.  Workers started together (or by a reload), beside the
 * jobrunner or blogctl, meet it; without the wait such a worker answered
 * 503 until its next attempt.  Requests later wait only blog_busy_timeout.
 */

ngx_int_t
ngx_http_blog_db_start(ngx_http_blog_db_t *bdb, ngx_msec_t busy_timeout,
    ngx_log_t *log)
{
    ngx_int_t  rc;

    bdb->busy_timeout = ngx_max(busy_timeout, NGX_HTTP_BLOG_DB_START_WAIT);

    rc = ngx_http_blog_db_ready(bdb, log);

    bdb->busy_timeout = busy_timeout;

    if (bdb->db != NULL) {
        (void) sqlite3_busy_timeout(bdb->db, (int) busy_timeout);
    }

    return rc;
}


/* NGX_BUSY: another process holds a lock for now */

static ngx_int_t
ngx_http_blog_db_open(ngx_http_blog_db_t *bdb, ngx_log_t *log)
{
    int              rc;
    char             path[NGX_MAX_PATH];
    ngx_file_info_t  fi;
    blog_db_error_t  err;

    /*
     * Read-write without create: a missing file is an error to report, not
     * an empty database to invent; WAL readers need write access to -shm.
     */
    rc = blog_db_open(&bdb->db, (char *) bdb->path.data, &blog_data_schema,
                      BLOG_DB_ONE_THREAD | BLOG_DB_EXTENDED_CODES,
                      (int) bdb->busy_timeout, &err);

    if (rc == SQLITE_SCHEMA) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "blog database \"%V\" has schema version %d, this "
                      "module needs %d: run \"blogctl -d %V init\"",
                      &bdb->path, err.version, BLOG_SCHEMA_VERSION,
                      &bdb->path);
        return NGX_ERROR;
    }

    if (rc != SQLITE_OK) {
        ngx_http_blog_db_log(bdb, log, rc, err.what, err.msg);
        return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED
               ? NGX_BUSY : NGX_ERROR;
    }

    /*
     * The view counts are analytics.db's, beside it (blog_split.h).  Until
     * the jobrunner has made it, pages show none; the file is looked for
     * again when the connection is next opened.
     */
    bdb->analytics = 0;

    if (blog_db_sibling(path, sizeof(path), (char *) bdb->path.data,
                        "analytics.db") == 0
        && blog_db_attach(bdb->db, path, "analytics") == SQLITE_OK)
    {
        bdb->analytics = 1;

    } else {
        ngx_log_error(NGX_LOG_NOTICE, log, 0, "blog database \"%V\": no "
                      "view counts: cannot attach \"%s\": %s", &bdb->path,
                      path, sqlite3_errmsg(bdb->db));
    }

    /* the counts read from the file before are not this one's */
    if (bdb->views == NULL) {
        bdb->views = ngx_alloc(NGX_HTTP_BLOG_VIEWS
                               * sizeof(ngx_http_blog_views_t), log);
        if (bdb->views == NULL) {
            return NGX_ERROR;
        }
    }

    ngx_memzero(bdb->views,
                NGX_HTTP_BLOG_VIEWS * sizeof(ngx_http_blog_views_t));

    /* the file this connection has, for ngx_http_blog_db_ready() */
    if (ngx_file_info(bdb->path.data, &fi) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      ngx_file_info_n " \"%V\" failed", &bdb->path);
        return NGX_ERROR;
    }

    bdb->dev = fi.st_dev;
    bdb->ino = fi.st_ino;
    bdb->file_checked = ngx_current_msec;

    /* a new connection numbers data_version afresh: pages are stale */
    bdb->generation++;
    bdb->data_version = -1;
    bdb->version_checked = 0;

    ngx_log_error(NGX_LOG_INFO, log, 0, "blog database \"%V\" opened",
                  &bdb->path);

    return NGX_OK;
}


sqlite3_stmt *
ngx_http_blog_db_stmt(ngx_http_blog_db_t *bdb, blog_stmt_e n)
{
    int  rc;

    if (bdb->stmt[n] == NULL) {
        rc = sqlite3_prepare_v3(bdb->db, blog_reader_sql[n], -1,
                                SQLITE_PREPARE_PERSISTENT, &bdb->stmt[n],
                                NULL);
        if (rc != SQLITE_OK) {
            return NULL;
        }

    } else {
        sqlite3_reset(bdb->stmt[n]);
        sqlite3_clear_bindings(bdb->stmt[n]);
    }

    return bdb->stmt[n];
}


static ngx_int_t
ngx_http_blog_db_sync_version(ngx_http_blog_db_t *bdb, ngx_log_t *log)
{
    int            rc;
    int64_t        version;
    sqlite3_stmt  *stmt;

    stmt = ngx_http_blog_db_stmt(bdb, BLOG_STMT_DATA_VERSION);
    if (stmt == NULL) {
        ngx_http_blog_db_error(bdb, log, sqlite3_errcode(bdb->db),
                               "prepare");
        return NGX_ERROR;
    }

    rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(stmt);
        ngx_http_blog_db_error(bdb, log, rc, "data_version");
        return NGX_ERROR;
    }

    version = sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);

    if (version != bdb->data_version) {
        bdb->data_version = version;
        bdb->generation++;
    }

    return NGX_OK;
}


void
ngx_http_blog_db_error(ngx_http_blog_db_t *bdb, ngx_log_t *log, int rc,
    const char *what)
{
    ngx_http_blog_db_log(bdb, log, rc, what, sqlite3_errmsg(bdb->db));

    /*
     * A file that vanished, or was replaced by a restore, is only noticed
     * by opening it again; locks are transient and keep the connection.
     * The caller may still hold a statement, so the close waits for the
     * next request.
     */
    if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) {
        bdb->reopen = 1;
    }
}


static void
ngx_http_blog_db_log(ngx_http_blog_db_t *bdb, ngx_log_t *log, int rc,
    const char *what, const char *msg)
{
    ngx_log_error(NGX_LOG_ERR, log, 0,
                  "blog database \"%V\": %s failed: %s (%d)%s%s",
                  &bdb->path, what, msg, rc,
                  (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED
                      ? ", the file is locked by another process" : "",
                  (rc & 0xff) == SQLITE_CANTOPEN
                      ? ", check that it exists and is readable" : "");
}


/*
 * The reads of one event-loop tick in one transaction: every BEGIN of a
 * read transaction in WAL mode takes a lock on the -shm file (fcntl) and,
 * with an empty WAL, reads the file's size (fstat), and its end drops the
 * lock (fcntl).  Under load a tick handles a burst of requests (19 on
 * average under wrk -c20), whose pages then share these calls.
 * The transaction ends when the tick's events are handled
 * (ngx_http_blog_db_tick_end(), posted), so it never outlives the tick:
 * checkpoints wait for it no longer than for one page's before, and the
 * next tick sees what other processes committed meanwhile.  BEGIN is
 * deferred: the snapshot is taken by the first read.
 */
ngx_int_t
ngx_http_blog_db_begin(ngx_http_blog_db_t *bdb, ngx_log_t *log)
{
    int            rc;
    sqlite3_stmt  *stmt;

    if (bdb->tick.posted) {
        return NGX_OK;
    }

    stmt = ngx_http_blog_db_stmt(bdb, BLOG_STMT_BEGIN);
    if (stmt == NULL) {
        ngx_http_blog_db_error(bdb, log, sqlite3_errcode(bdb->db),
                               "prepare");
        return NGX_ERROR;
    }

    rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);

    if (rc != SQLITE_DONE) {
        ngx_http_blog_db_error(bdb, log, rc, "begin");
        return NGX_ERROR;
    }

    /* the cycle's log: a request's may be gone when the tick ends */
    bdb->tick.handler = ngx_http_blog_db_tick_end;
    bdb->tick.data = bdb;
    bdb->tick.log = ngx_cycle->log;

    ngx_post_event(&bdb->tick, &ngx_posted_events);

    return NGX_OK;
}


/*
 * A statement left on a row keeps its cursor, and would keep the next
 * page's reads of it from starting afresh: every page ends here.  The
 * transaction is the tick's, ended after the tick's events.
 */

void
ngx_http_blog_db_done(ngx_http_blog_db_t *bdb)
{
    ngx_uint_t  i;

    for (i = 0; i < BLOG_STMT_N; i++) {
        if (bdb->stmt[i] && sqlite3_stmt_busy(bdb->stmt[i])) {
            sqlite3_reset(bdb->stmt[i]);
        }
    }
}


/*
 * The tick's transaction, left open, would keep the connection on its
 * snapshot: data_version would stand still and checkpoints could not pass
 * it.  A read transaction's COMMIT only drops its locks.
 */

static void
ngx_http_blog_db_tick_end(ngx_event_t *ev)
{
    sqlite3_stmt        *stmt;
    ngx_http_blog_db_t  *bdb;

    bdb = ev->data;

    if (bdb->db == NULL) {
        return;
    }

    ngx_http_blog_db_done(bdb);

    if (sqlite3_get_autocommit(bdb->db)) {
        return;
    }

    stmt = ngx_http_blog_db_stmt(bdb, BLOG_STMT_COMMIT);

    if (stmt == NULL || sqlite3_step(stmt) != SQLITE_DONE) {
        if (stmt != NULL) {
            sqlite3_reset(stmt);
        }

        (void) sqlite3_exec(bdb->db, "ROLLBACK", NULL, NULL, NULL);
        return;
    }

    sqlite3_reset(stmt);
}


void
ngx_http_blog_db_close(ngx_http_blog_db_t *bdb)
{
    ngx_uint_t  i;

    /* closing the connection ends its transaction */
    if (bdb->tick.posted) {
        ngx_delete_posted_event(&bdb->tick);
    }

    for (i = 0; i < BLOG_STMT_N; i++) {
        sqlite3_finalize(bdb->stmt[i]);
        bdb->stmt[i] = NULL;
    }

    sqlite3_close(bdb->db);
    bdb->db = NULL;
    bdb->reopen = 0;

    ngx_free(bdb->settings);
    bdb->settings = NULL;
    bdb->nsettings = 0;
}
