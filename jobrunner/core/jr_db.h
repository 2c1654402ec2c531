/*
 * The jobrunner's connection to data.db.
 */

#ifndef JR_DB_H
#define JR_DB_H

#include <sqlite3.h>

#include "core/jr_config.h"

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
