/*
 * data.db: open and migrate.  The jobrunner migrates, as blogctl does, so
 * whichever starts first after an upgrade brings the file up to date; the
 * nginx module only checks the version.
 *
 * analytics.db and queue.db are attached to the same connection under
 * those names.  data.db has none of their tables from version 10 on, so
 * the SQL of the events, the NATS consumer and the jobs names them
 * unqualified and reaches the hot files; a transaction that writes only
 * them leaves data.db, its data_version and its WAL as they were.
 */

#include <stddef.h>

#include <sqlite3.h>

#include "blog_db.h"
#include "blog_analytics_schema.h"
#include "blog_queue_schema.h"
#include "blog_split.h"
#include "core/jr_db.h"
#include "core/jr_log.h"
#include "core/jr_table.h"


/*
 * How long a statement waits for a lock held by blogctl or the module
 * before failing with SQLITE_BUSY.  The module's writes are short
 * transactions, so a few seconds is plenty.
 */
#define JR_DB_BUSY_TIMEOUT_MS     5000
#define JR_DB_ANALYTICS_CACHE_KB  32768         /* at most, as pages are used */

/*
 * The page cache's slots reserved at start: 16 MB, half of analytics.db's
 * cache, enough for a million requests' batches (about 14 MB of pages).
 * Resident from the start: SQLite links every slot into its free list
 * when it is given them.  Pages of 4 kB (SQLite's default, which every
 * file here has); a larger page, or one past these slots, is malloc()'s.
 */
#define JR_DB_PAGE_SIZE           4096
#define JR_DB_PAGE_SLOTS          (JR_DB_ANALYTICS_CACHE_KB / 2 * 1024     \
                                   / JR_DB_PAGE_SIZE)

#define JR_DB_STR(x)              JR_DB_STR_(x)
#define JR_DB_STR_(x)             #x


int
jr_db_page_cache(void)
{
    int     hdr;
    size_t  slot;
    void   *mem;

    if (sqlite3_config(SQLITE_CONFIG_PCACHE_HDRSZ, &hdr) != SQLITE_OK) {
        return -1;
    }

    slot = (JR_DB_PAGE_SIZE + (size_t) hdr + 7) & ~(size_t) 7;

    /* reserved, not touched: a slot is a page fault when first used */
    mem = jr_table_alloc(slot * JR_DB_PAGE_SLOTS);
    if (mem == NULL) {
        return -1;
    }

    /* SQLite uses it until the process ends */
    if (sqlite3_config(SQLITE_CONFIG_PAGECACHE, mem, (int) slot,
                       JR_DB_PAGE_SLOTS)
        != SQLITE_OK)
    {
        jr_table_free(mem, slot * JR_DB_PAGE_SLOTS);
        return -1;
    }

    return 0;
}


sqlite3 *
jr_db_open(const jr_config_t *cf, int replica)
{
    int              rc;
    sqlite3         *db;
    const char      *path;
    blog_db_error_t  err;

    path = cf->data_db;

    /*
     * A replica's hot files are its own (it follows data.db only); a
     * primary's data.db gives them its rows first, if it still has them.
     */
    if (replica) {
        rc = blog_db_create(cf->analytics_db, &blog_analytics_schema,
                            JR_DB_BUSY_TIMEOUT_MS, &err);
        if (rc == SQLITE_OK) {
            rc = blog_db_create(cf->queue_db, &blog_queue_schema,
                                JR_DB_BUSY_TIMEOUT_MS, &err);
        }

    } else {
        rc = blog_split(path, cf->analytics_db, cf->queue_db,
                        JR_DB_BUSY_TIMEOUT_MS, &err);
    }

    if (rc != SQLITE_OK) {
        jr_log(JR_LOG_ERROR, "cannot prepare analytics_db \"%s\" and "
               "queue_db \"%s\": %s: %s", cf->analytics_db, cf->queue_db,
               err.what, err.msg);
        return NULL;
    }

    /*
     * A replica's data.db is the primary's: read, never migrated.  The
     * connection is the loop's alone (pool threads open their own: the
     * newsletter, the scan), so SQLite's per-call mutex, ~5% of the
     * events' CPU, is skipped.
     */
    rc = blog_db_open(&db, path, &blog_data_schema,
                      BLOG_DB_ONE_THREAD
                      | (replica ? BLOG_DB_QUERY_ONLY
                                 : BLOG_DB_CREATE | BLOG_DB_MIGRATE),
                      JR_DB_BUSY_TIMEOUT_MS, &err);

    if (rc == SQLITE_OK) {
        rc = blog_db_attach(db, cf->analytics_db, "analytics");
        if (rc == SQLITE_OK) {
            rc = blog_db_attach(db, cf->queue_db, "queue");
        }

        /*
         * The visits' tables grow by the batch: the pages their inserts,
         * updates and rollup go through stay in memory rather than be
         * read again (SQLite's default is 2 MB)
         */
        if (rc == SQLITE_OK) {
            rc = sqlite3_exec(db, "PRAGMA analytics.cache_size = -"
                              JR_DB_STR(JR_DB_ANALYTICS_CACHE_KB), NULL, NULL,
                              NULL);
        }

        if (rc == SQLITE_OK) {
            return db;
        }

        jr_log(JR_LOG_ERROR, "cannot attach analytics_db \"%s\" and "
               "queue_db \"%s\": %s", cf->analytics_db, cf->queue_db,
               sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
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
