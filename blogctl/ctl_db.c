/*
 * The data.db connection.  The nginx workers read the same file while
 * blogctl writes it (WAL), so every write waits for the lock instead of
 * failing at once.
 */

#include <stddef.h>

#include "blog_schema.h"
#include "ctl_db.h"
#include "ctl_util.h"


#define CTL_BUSY_TIMEOUT  5000                              /* ms */


sqlite3 *
ctl_db_open(const char *path, int writable)
{
    int       rc, flags, version;
    char     *err;
    sqlite3  *db;

    flags = SQLITE_OPEN_READWRITE | (writable ? SQLITE_OPEN_CREATE : 0);

    rc = sqlite3_open_v2(path, &db, flags, NULL);

    if (rc != SQLITE_OK) {
        ctl_error("%s: %s", path,
                  db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return NULL;
    }

    sqlite3_extended_result_codes(db, 1);

    rc = sqlite3_busy_timeout(db, CTL_BUSY_TIMEOUT);

    if (rc == SQLITE_OK) {
        rc = sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    }

    if (rc != SQLITE_OK) {
        ctl_error("%s: %s", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }

    if (writable) {
        rc = blog_schema_migrate(db, &err);

        if (rc != SQLITE_OK) {
            ctl_error("%s: %s", path,
                      err != NULL ? err : sqlite3_errstr(rc));
            sqlite3_free(err);
            sqlite3_close(db);
            return NULL;
        }

        return db;
    }

    rc = blog_schema_check(db, &version);

    if (rc == SQLITE_SCHEMA) {
        if (version == 0) {
            ctl_error("%s: not a blog database (run \"blogctl init\")", path);

        } else {
            ctl_error("%s: schema version %d, this blogctl reads %d%s", path,
                      version, BLOG_SCHEMA_VERSION,
                      version < BLOG_SCHEMA_VERSION
                      ? " (run \"blogctl init\")" : "");
        }

        sqlite3_close(db);
        return NULL;
    }

    if (rc != SQLITE_OK) {
        ctl_error("%s: %s", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }

    return db;
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
