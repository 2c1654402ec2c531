/*
 * blog_split(): analytics and the job queue out of data.db, rows and all.
 */

#include <stdio.h>
#include <string.h>

#include "blog_analytics_schema.h"
#include "blog_queue_schema.h"
#include "blog_split.h"


typedef struct {
    const char  *file;      /* "analytics" or "queue", as attached */
    const char  *table;
    const char  *columns;
} blog_split_table_t;

#define BLOG_SPLIT_ROW(file, table, columns)  { file, table, columns },

static const blog_split_table_t  blog_split_tables[] = {
    BLOG_SPLIT_TABLES(BLOG_SPLIT_ROW)
    { NULL, NULL, NULL }
};


static int blog_split_copy(const char *data_path, const char *analytics_path,
    const char *queue_path, int busy_timeout, blog_db_error_t *err);
static int blog_split_fail(sqlite3 *db, int rc, const char *what,
    const char *msg, blog_db_error_t *err);
static void blog_split_close(sqlite3 *db);


int
blog_split(const char *data_path, const char *analytics_path,
    const char *queue_path, int busy_timeout, blog_db_error_t *err)
{
    int            rc, version;
    char          *msg;
    sqlite3       *db;
    blog_schema_t  before;

    rc = blog_db_create(analytics_path, &blog_analytics_schema,
                           busy_timeout, err);
    if (rc == SQLITE_OK) {
        rc = blog_db_create(queue_path, &blog_queue_schema, busy_timeout,
                               err);
    }

    if (rc != SQLITE_OK) {
        return rc;
    }

    /* only looked at: a missing file, or one at our version, is done */
    rc = blog_db_open(&db, data_path, &blog_data_schema, 0, busy_timeout,
                      err);

    if (rc == SQLITE_OK) {
        blog_split_close(db);
        return SQLITE_OK;
    }

    if (rc == SQLITE_CANTOPEN
        || (rc == SQLITE_SCHEMA && err->version >= BLOG_SPLIT_VERSION))
    {
        /* a newer file is refused by the caller's own open, with its words */
        return SQLITE_OK;
    }

    if (rc != SQLITE_SCHEMA) {
        return rc;
    }

    /* up to the version before the move, as any migration */
    before = blog_data_schema;
    before.version = BLOG_SPLIT_VERSION - 1;

    rc = blog_db_open(&db, data_path, &before, BLOG_DB_MIGRATE, busy_timeout,
                      err);
    if (rc != SQLITE_OK) {
        return rc;
    }

    /* no one writes data.db from here to the commit of migration 12 */
    rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        return blog_split_fail(db, rc, data_path, sqlite3_errmsg(db), err);
    }

    rc = blog_schema_check(db, &before, &version);

    if (rc == SQLITE_OK) {
        rc = blog_split_copy(data_path, analytics_path, queue_path,
                             busy_timeout, err);
        if (rc != SQLITE_OK) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            blog_split_close(db);
            return rc;
        }

    } else if (rc != SQLITE_SCHEMA) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return blog_split_fail(db, rc, data_path, sqlite3_errmsg(db), err);
    }

    /* SQLITE_SCHEMA: another process moved the rows meanwhile */
    rc = blog_migrate_locked(db, &blog_data_schema, &msg);

    if (rc == SQLITE_OK) {
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }

    if (rc != SQLITE_OK) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        rc = blog_split_fail(db, rc, data_path,
                             msg ? msg : sqlite3_errmsg(db), err);
        sqlite3_free(msg);
        return rc;
    }

    blog_split_close(db);

    return SQLITE_OK;
}


int
blog_db_create(const char *path, const blog_schema_t *schema,
    int busy_timeout, blog_db_error_t *err)
{
    int       rc;
    sqlite3  *db;

    rc = blog_db_open(&db, path, schema, BLOG_DB_CREATE | BLOG_DB_MIGRATE,
                      busy_timeout, err);
    if (rc == SQLITE_OK) {
        sqlite3_close(db);
    }

    return rc;
}


/*
 * Copies every table's rows into the new files, in one transaction of
 * theirs that reads data.db (whose write lock the caller holds: a read
 * does not wait for it).
 */
static int
blog_split_copy(const char *data_path, const char *analytics_path,
    const char *queue_path, int busy_timeout, blog_db_error_t *err)
{
    int                        rc;
    char                      *sql;
    sqlite3                   *db;
    const blog_split_table_t  *t;

    rc = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK) {
        return blog_split_fail(db, rc, "copy", sqlite3_errstr(rc), err);
    }

    rc = sqlite3_busy_timeout(db, busy_timeout);

    if (rc == SQLITE_OK) {
        rc = sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    }

    if (rc == SQLITE_OK) {
        rc = blog_db_attach(db, data_path, "data");
    }

    if (rc == SQLITE_OK) {
        rc = blog_db_attach(db, analytics_path, "analytics");
    }

    if (rc == SQLITE_OK) {
        rc = blog_db_attach(db, queue_path, "queue");
    }

    /* deferred: a write lock on the new files only, as they are written */
    if (rc == SQLITE_OK) {
        rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    }

    for (t = blog_split_tables; rc == SQLITE_OK && t->table; t++) {
        sql = sqlite3_mprintf("INSERT OR REPLACE INTO \"%w\".\"%w\" (%s)"
                              " SELECT %s FROM data.\"%w\"", t->file,
                              t->table, t->columns, t->columns, t->table);
        if (sql == NULL) {
            rc = SQLITE_NOMEM;
            break;
        }

        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
        sqlite3_free(sql);
    }

    if (rc == SQLITE_OK) {
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }

    if (rc != SQLITE_OK) {
        return blog_split_fail(db, rc, "copy", sqlite3_errmsg(db), err);
    }

    blog_split_close(db);

    return SQLITE_OK;
}


/*
 * The last connection to close a WAL file checkpoints it and deletes the
 * WAL; ours are not the program's connection to data.db, whose WAL
 * [backup] follows from a saved position: they leave it as it is.
 */
static void
blog_split_close(sqlite3 *db)
{
    (void) sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    sqlite3_close(db);
}


int
blog_db_sibling(char *buf, size_t size, const char *data_path,
    const char *name)
{
    int          n;
    const char  *slash;

    slash = strrchr(data_path, '/');

    if (slash == NULL) {
        n = snprintf(buf, size, "%s", name);

    } else {
        n = snprintf(buf, size, "%.*s/%s", (int) (slash - data_path),
                     data_path, name);
    }

    return (n < 0 || (size_t) n >= size) ? -1 : 0;
}


int
blog_db_attach(sqlite3 *db, const char *path, const char *name)
{
    int            rc;
    sqlite3_stmt  *stmt;

    rc = sqlite3_prepare_v2(db, "ATTACH ?1 AS ?2", -1, &stmt, NULL);
    if (rc != SQLITE_OK) {
        return rc;
    }

    rc = sqlite3_bind_text(stmt, 1, path, -1, SQLITE_STATIC);

    if (rc == SQLITE_OK) {
        rc = sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
    }

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
        rc = (rc == SQLITE_DONE) ? SQLITE_OK : sqlite3_errcode(db);
    }

    sqlite3_finalize(stmt);

    return rc;
}


/* Fills err as blog_db_open() does, closes db (if any); returns rc. */
static int
blog_split_fail(sqlite3 *db, int rc, const char *what, const char *msg,
    blog_db_error_t *err)
{
    err->step = BLOG_DB_MIGRATION;
    err->what = "move to analytics.db and queue.db";
    err->version = 0;
    snprintf(err->msg, sizeof(err->msg), "%s: %s", what, msg);

    sqlite3_close(db);

    return rc;
}
