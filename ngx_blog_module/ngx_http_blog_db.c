/*
 * The worker's connection to data.db: opened on first use, statements
 * prepared once and reused, and reopened (at most once a second) after the
 * file was missing, unreadable or of another schema version.
 *
 * The connection never writes, and never waits for a lock longer than
 * blog_busy_timeout: a worker blocked in SQLite blocks every request it
 * holds.
 */

#include "ngx_http_blog_module.h"
#include "blog_db.h"


#define NGX_HTTP_BLOG_DB_RETRY  1000    /* ms between attempts to reopen */

#define BLOG_PUBLISHED_POST  "type = 'post' AND status = 'published'"


static const char *ngx_http_blog_stmt_sql[BLOG_STMT_N] = {

    /* BLOG_STMT_DATA_VERSION */
    "PRAGMA data_version",

    /* BLOG_STMT_SETTINGS */
    "SELECT key, value FROM settings",

    /* BLOG_STMT_POSTS: ?1 limit, ?2 offset */
    "SELECT id, slug, title, summary, published_at, updated_at"
    " FROM posts WHERE " BLOG_PUBLISHED_POST
    " ORDER BY published_at DESC, id DESC LIMIT ?1 OFFSET ?2",

    /* BLOG_STMT_POSTS_COUNT */
    "SELECT count(*), max(updated_at) FROM posts"
    " WHERE " BLOG_PUBLISHED_POST,

    /* BLOG_STMT_POST: ?1 slug, ?2 type */
    "SELECT id, slug, title, summary, published_at, updated_at, body_html"
    " FROM posts WHERE slug = ?1 AND type = ?2 AND status = 'published'",

    /* BLOG_STMT_POST_TAGS: ?1 post id */
    "SELECT t.slug, t.name FROM post_tags pt JOIN tags t ON t.id = pt.tag_id"
    " WHERE pt.post_id = ?1 ORDER BY t.name",

    /* BLOG_STMT_TAG: ?1 slug */
    "SELECT id, name FROM tags WHERE slug = ?1",

    /* BLOG_STMT_TAG_POSTS: ?1 tag id, ?2 limit, ?3 offset */
    "SELECT p.id, p.slug, p.title, p.summary, p.published_at, p.updated_at"
    " FROM post_tags pt JOIN posts p ON p.id = pt.post_id"
    " WHERE pt.tag_id = ?1 AND p.type = 'post' AND p.status = 'published'"
    " ORDER BY p.published_at DESC, p.id DESC LIMIT ?2 OFFSET ?3",

    /* BLOG_STMT_TAG_POSTS_COUNT: ?1 tag id */
    "SELECT count(*), max(p.updated_at)"
    " FROM post_tags pt JOIN posts p ON p.id = pt.post_id"
    " WHERE pt.tag_id = ?1 AND p.type = 'post' AND p.status = 'published'",

    /* BLOG_STMT_FEED: ?1 limit */
    "SELECT id, slug, title, summary, published_at, updated_at, body_html"
    " FROM posts WHERE " BLOG_PUBLISHED_POST
    " ORDER BY published_at DESC, id DESC LIMIT ?1",

    /* BLOG_STMT_SITEMAP */
    "SELECT type, slug, updated_at FROM posts WHERE status = 'published'"
    " ORDER BY type DESC, published_at DESC, id DESC",

    /* BLOG_STMT_SITEMAP_TAGS */
    "SELECT t.slug, max(p.updated_at)"
    " FROM tags t JOIN post_tags pt ON pt.tag_id = t.id"
    " JOIN posts p ON p.id = pt.post_id"
    " WHERE p.type = 'post' AND p.status = 'published'"
    " GROUP BY t.id ORDER BY t.slug",

    /* BLOG_STMT_COMMENTS: ?1 post id; the approved ones, oldest first */
    "SELECT id, author_name, body_html, created_at FROM comments"
    " WHERE post_id = ?1 AND status = 'approved'"
    " ORDER BY created_at, id",

    /* BLOG_STMT_MEDIA: ?1 path under the media root; variants may be none */
    "SELECT m.width, m.height, m.format, v.format, v.width, v.path"
    " FROM media m LEFT JOIN media_variants v ON v.media_id = m.id"
    " WHERE m.path = ?1 ORDER BY v.format, v.width",

    /* BLOG_STMT_VIEWS: ?1 path; the jobrunner's count of all time */
    "SELECT views FROM analytics_path_totals WHERE path = ?1"
};


static ngx_int_t ngx_http_blog_db_open(ngx_http_blog_db_t *bdb,
    ngx_log_t *log);
static ngx_int_t ngx_http_blog_db_sync_version(ngx_http_blog_db_t *bdb,
    ngx_log_t *log);
static void ngx_http_blog_db_log(ngx_http_blog_db_t *bdb, ngx_log_t *log,
    int rc, const char *what, const char *msg);


ngx_int_t
ngx_http_blog_db_ready(ngx_http_blog_db_t *bdb, ngx_log_t *log)
{
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

        if (ngx_http_blog_db_open(bdb, log) != NGX_OK) {
            ngx_http_blog_db_close(bdb);
            bdb->retry_at = ngx_current_msec + NGX_HTTP_BLOG_DB_RETRY;
            return NGX_ERROR;
        }
    }

    /*
     * Checking data_version costs a read transaction, so it is done once
     * per event-loop tick, not per request: a burst of requests shares it.
     */
    if (bdb->version_checked != ngx_current_msec) {
        if (ngx_http_blog_db_sync_version(bdb, log) != NGX_OK) {
            return NGX_ERROR;
        }

        bdb->version_checked = ngx_current_msec;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_blog_db_open(ngx_http_blog_db_t *bdb, ngx_log_t *log)
{
    int              rc;
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
        return NGX_ERROR;
    }

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
ngx_http_blog_db_stmt(ngx_http_blog_db_t *bdb, ngx_http_blog_stmt_e n)
{
    int  rc;

    if (bdb->stmt[n] == NULL) {
        rc = sqlite3_prepare_v3(bdb->db, ngx_http_blog_stmt_sql[n], -1,
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
 * A statement left on a row keeps its read transaction open: the
 * connection would go on seeing the old snapshot, data_version would stand
 * still, and checkpoints could not pass it.  Every page ends here.
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


void
ngx_http_blog_db_close(ngx_http_blog_db_t *bdb)
{
    ngx_uint_t  i;

    for (i = 0; i < BLOG_STMT_N; i++) {
        sqlite3_finalize(bdb->stmt[i]);
        bdb->stmt[i] = NULL;
    }

    sqlite3_close(bdb->db);
    bdb->db = NULL;
    bdb->reopen = 0;
}
