/*
 * The jobrunner's connection to data.db.
 */

#ifndef JR_DB_H
#define JR_DB_H

#include <sqlite3.h>

#include "core/jr_config.h"

/*
 * Gives SQLite its page cache in one region reserved now, in huge pages
 * (jr_table.h), before SQLite starts.  From glibc's heap, each page of
 * the cache was a page fault of its own, several microseconds in a
 * virtual machine: with this region, the bench's million requests take
 * 10% less CPU (docs/analytics.md#benchmarks), for 16 MB more resident
 * memory from the start.  Returns 0, or -1 (SQLite then takes its pages
 * from malloc(), as without it).
 */
int jr_db_page_cache(void);

/*
 * Opens (creating if missing) data_db and brings its schema to
 * BLOG_SCHEMA_VERSION, after moving its old analytics and jobs rows out
 * (blog_split.h); a replica's (jr_follow.h) is opened as it is, read only,
 * and must have that version.  analytics_db and queue_db, created and
 * migrated, are attached as "analytics" and "queue".  Returns the
 * connection, or NULL after logging why.
 */
sqlite3 *jr_db_open(const jr_config_t *cf, int replica);

/* Closes the connection; returns 0, or -1 after logging why. */
int jr_db_close(sqlite3 *db);

#endif /* JR_DB_H */
