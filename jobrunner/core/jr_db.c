/*
 * data.db: open and migrate.  The jobrunner migrates, as blogctl does, so
 * whichever starts first after an upgrade brings the file up to date; the
 * nginx module only checks the version.
 */

#include <stddef.h>

#include <sqlite3.h>

#include "blog_schema.h"
#include "core/jr_db.h"
#include "core/jr_log.h"


/*
 * How long a statement waits for a lock held by blogctl or the module
 * before failing with SQLITE_BUSY.  The module's writes are short
 * transactions, so a few seconds is plenty.
 */
#define JR_DB_BUSY_TIMEOUT_MS  5000


sqlite3 *
jr_db_open(const char *path, int replica)
{
    int       rc, version;
    char     *err;
    sqlite3  *db;

    rc = sqlite3_open_v2(path, &db,
                         replica ? SQLITE_OPEN_READWRITE
                                 : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                         NULL);
    if (rc != SQLITE_OK) {
        /* sqlite3 allocates a handle for the message even on failure */
        jr_log(JR_LOG_ERROR, "cannot open database \"%s\": %s", path,
               db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return NULL;
    }

    rc = sqlite3_busy_timeout(db, JR_DB_BUSY_TIMEOUT_MS);
    if (rc != SQLITE_OK) {
        jr_log(JR_LOG_ERROR, "cannot set busy timeout on \"%s\": %s", path,
               sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }

    /* a replica's data.db is the primary's: read, never migrated */
    if (replica) {
        rc = sqlite3_exec(db, "PRAGMA query_only = 1", NULL, NULL, NULL);
        if (rc == SQLITE_OK) {
            rc = blog_schema_check(db, &version);
        }

        if (rc != SQLITE_OK) {
            jr_log(JR_LOG_ERROR, "database \"%s\": %s", path,
                   rc == SQLITE_SCHEMA ? "the primary's schema version is "
                   "not this jobrunner's: upgrade the primary first, or this "
                   "node" : sqlite3_errmsg(db));
            sqlite3_close(db);
            return NULL;
        }

        return db;
    }

    rc = blog_schema_migrate(db, &err);
    if (rc != SQLITE_OK) {
        jr_log(JR_LOG_ERROR, "cannot migrate database \"%s\": %s", path,
               err ? err : sqlite3_errstr(rc));
        sqlite3_free(err);
        sqlite3_close(db);
        return NULL;
    }

    return db;
}


int
jr_db_close(sqlite3 *db)
{
    int  rc;

    /* plain sqlite3_close(): a statement left unfinalized is a bug to see */
    rc = sqlite3_close(db);
    if (rc != SQLITE_OK) {
        jr_log(JR_LOG_ERROR, "cannot close database: %s", sqlite3_errstr(rc));
        return -1;
    }

    return 0;
}
