/*
 * The blogctl connection to data.db: opening, transactions, and reporting
 * SQLite errors.
 */

#ifndef CTL_DB_H
#define CTL_DB_H

#include <sqlite3.h>


/*
 * Opens the database.  With writable set, the file is created if needed and
 * migrated to the current schema; otherwise it must exist and already be
 * current, because a reader has no business changing it.  Reports its own
 * errors; NULL on failure.
 */
sqlite3 *ctl_db_open(const char *path, int writable);
void ctl_db_close(sqlite3 *db);

/* Write transactions take the write lock up front: BEGIN IMMEDIATE. */
int ctl_db_begin(sqlite3 *db);
int ctl_db_commit(sqlite3 *db);
void ctl_db_rollback(sqlite3 *db);

int ctl_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **stmt);

/* Reports the connection's last error; returns CTL_ERROR. */
int ctl_db_fail(sqlite3 *db);

#endif /* CTL_DB_H */
