/*
 * The data.db connection.  The nginx workers read the same file while
 * blogctl writes it (WAL), so every write waits for the lock instead of
 * failing at once.
 */

#include <stddef.h>

#include "blog_db.h"
#include "blog_split.h"
#include "ctl_db.h"
#include "ctl_util.h"


#define CTL_BUSY_TIMEOUT  5000                              /* ms */


sqlite3 *
ctl_db_open(const char *path, int writable)
{
    int              rc;
    sqlite3         *db;
    char             analytics[4096], queue[4096];
    blog_db_error_t  err;

    /*
     * A writer migrates; an old data.db gives its analytics and jobs rows
     * to the files beside it first (blog_split.h), where the jobrunner and
     * the module look for them unless configured otherwise.
     */
    if (writable) {
        if (blog_db_sibling(analytics, sizeof(analytics), path,
                            "analytics.db") != 0
            || blog_db_sibling(queue, sizeof(queue), path, "queue.db") != 0)
        {
            ctl_error("%s: path too long", path);
            return NULL;
        }

        rc = blog_split(path, analytics, queue, CTL_BUSY_TIMEOUT, &err);
        if (rc != SQLITE_OK) {
            ctl_error("%s: %s: %s", path, err.what, err.msg);
            return NULL;
        }
    }

    rc = blog_db_open(&db, path, &blog_data_schema,
                      BLOG_DB_EXTENDED_CODES
                      | (writable ? BLOG_DB_CREATE | BLOG_DB_MIGRATE : 0),
                      CTL_BUSY_TIMEOUT, &err);

    if (rc == SQLITE_OK) {
        return db;
    }

    if (err.step != BLOG_DB_CHECK || rc != SQLITE_SCHEMA) {
        ctl_error("%s: %s", path, err.msg);

    } else if (err.version == 0) {
        ctl_error("%s: not a blog database (run \"blogctl init\")", path);

    } else {
        ctl_error("%s: schema version %d, this blogctl reads %d%s", path,
                  err.version, BLOG_SCHEMA_VERSION,
                  err.version < BLOG_SCHEMA_VERSION
                  ? " (run \"blogctl init\")" : "");
    }

    return NULL;
}


void
ctl_db_close(sqlite3 *db)
{
    /* every statement is finalized by its user, so this cannot be busy */
    sqlite3_close(db);
}


int
ctl_db_begin(sqlite3 *db)
{
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        return ctl_db_fail(db);
    }

    return CTL_OK;
}


int
ctl_db_commit(sqlite3 *db)
{
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        ctl_db_fail(db);
        ctl_db_rollback(db);
        return CTL_ERROR;
    }

    return CTL_OK;
}


void
ctl_db_rollback(sqlite3 *db)
{
    /* SQLite may have rolled back already (e.g. after SQLITE_FULL) */
    if (!sqlite3_get_autocommit(db)) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
}


int
ctl_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **stmt)
{
    if (sqlite3_prepare_v2(db, sql, -1, stmt, NULL) != SQLITE_OK) {
        return ctl_db_fail(db);
    }

    return CTL_OK;
}


int
ctl_db_fail(sqlite3 *db)
{
    ctl_error("%s: %s", sqlite3_db_filename(db, "main"), sqlite3_errmsg(db));
    return CTL_ERROR;
}
