/*
 * The jobrunner's connection to data.db.
 */

#ifndef JR_DB_H
#define JR_DB_H

#include <sqlite3.h>

/*
 * Opens (creating if missing) the database at path and brings its schema to
 * BLOG_SCHEMA_VERSION; a replica's (jr_follow.h) is opened as it is, read
 * only, and must have that version.  Returns the connection, or NULL after
 * logging why.
 */
sqlite3 *jr_db_open(const char *path, int replica);

/* Closes the connection; returns 0, or -1 after logging why. */
int jr_db_close(sqlite3 *db);

#endif /* JR_DB_H */
