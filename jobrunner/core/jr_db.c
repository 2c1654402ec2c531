/*
 * data.db: open and migrate.  The jobrunner migrates, as blogctl does, so
 * whichever starts first after an upgrade brings the file up to date; the
 * nginx module only checks the version.
 */

#include <stddef.h>

#include <sqlite3.h>

#include "blog_db.h"
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
    int              rc;
    sqlite3         *db;
    blog_db_error_t  err;

    /* a replica's data.db is the primary's: read, never migrated */
    rc = blog_db_open(&db, path, &blog_data_schema,
                      replica ? BLOG_DB_QUERY_ONLY
                              : BLOG_DB_CREATE | BLOG_DB_MIGRATE,
                      JR_DB_BUSY_TIMEOUT_MS, &err);

    if (rc == SQLITE_OK) {
        return db;
    }

    if (err.step == BLOG_DB_OPEN) {
        jr_log(JR_LOG_ERROR, "cannot open database \"%s\": %s", path,
               err.msg);

    } else if (err.step == BLOG_DB_MIGRATION) {
        jr_log(JR_LOG_ERROR, "cannot migrate database \"%s\": %s", path,
               err.msg);

    } else {
        jr_log(JR_LOG_ERROR, "database \"%s\": %s", path,
               rc == SQLITE_SCHEMA ? "the primary's schema version is "
               "not this jobrunner's: upgrade the primary first, or this "
               "node" : err.msg);
    }

    return NULL;
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
