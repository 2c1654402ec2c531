/*
 * Unit test of SQLite's page cache reserved at start
 * (jobrunner/core/jr_db.c, jr_db_page_cache()): a connection's pages
 * come from the reserved slots, none from malloc(), and the file reads
 * back what was written.
 */

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sqlite3.h>

#include "tap.h"

#include "core/jr_db.h"


int
main(void)
{
    int            rc;
    char           path[] = "/tmp/jr_db_cache-XXXXXX";
    char           aux[sizeof(path) + 8];
    sqlite3       *db;
    sqlite3_int64  used, high, over;
    sqlite3_stmt  *stmt;

    is_int(jr_db_page_cache(), 0, "the page cache is reserved before "
           "SQLite starts");

    rc = mkstemp(path);
    ok(rc >= 0, "a file for the database");
    close(rc);

    rc = sqlite3_open(path, &db);
    is_int(rc, SQLITE_OK, "a connection opens");

    rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL;"
                      " PRAGMA cache_size = -8192;"
                      " CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT);"
                      " WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL"
                      "  SELECT i + 1 FROM n WHERE i < 20000)"
                      " INSERT INTO t SELECT i, printf('%0100d', i) FROM n",
                      NULL, NULL, NULL);
    is_int(rc, SQLITE_OK, "20,000 rows of 100 bytes written");

    sqlite3_status64(SQLITE_STATUS_PAGECACHE_USED, &used, &high, 0);
    ok(used > 500, "their pages are in the reserved slots (%lld)",
       (long long) used);

    sqlite3_status64(SQLITE_STATUS_PAGECACHE_OVERFLOW, &over, &high, 0);
    is_int(over, 0, "no page came from malloc()");

    rc = sqlite3_prepare_v2(db, "SELECT count(*), sum(length(v)) FROM t", -1,
                            &stmt, NULL);
    if (rc == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
        is_int(sqlite3_column_int64(stmt, 0), 20000, "20,000 rows read back");
        is_int(sqlite3_column_int64(stmt, 1), 2000000, "of 100 bytes each");
    } else {
        ok(0, "the rows read back: %s", sqlite3_errmsg(db));
    }

    sqlite3_finalize(stmt);
    sqlite3_close(db);

    unlink(path);
    snprintf(aux, sizeof(aux), "%s-wal", path);
    unlink(aux);
    snprintf(aux, sizeof(aux), "%s-shm", path);
    unlink(aux);

    return tap_done();
}
