/*
 * The data.db schema, shared by the nginx module, blogctl and the jobrunner.
 *
 * The schema is a list of migrations; PRAGMA user_version records how many
 * have been applied.  blogctl and the jobrunner migrate; the module only
 * checks, because a reader must never change the file under a writer.
 */

#ifndef BLOG_SCHEMA_H
#define BLOG_SCHEMA_H

#include <sqlite3.h>

/* The schema version this build reads and writes. */
#define BLOG_SCHEMA_VERSION  17

/*
 * The most URLs in one file of the sitemap, the protocol's limit
 * (sitemaps.org): migration 8 numbers the files with it, so it is fixed.
 */
#define BLOG_SITEMAP_URLS  50000

/*
 * A post page shows BLOG_RELATED related posts, found among the
 * BLOG_RELATED_NEAR posts just before and after it in each of its tags'
 * listings.  Migration 17 keeps the lists with these in its triggers' text,
 * so they are fixed too: other values take a new migration.
 */
#define BLOG_RELATED       3
#define BLOG_RELATED_NEAR  3


/*
 * A database's schema: its migrations in order, PRAGMA user_version
 * counting those applied.  data.db's is here, ttl.db's in
 * blog_ttl_schema.h; blog_db_open() (blog_db.h) opens a file of either.
 */
typedef struct {
    const char          *what;          /* "database": names it in errors */
    const char *const   *migrations;
    int                  version;       /* how many: this build's version */
} blog_schema_t;

extern const blog_schema_t  blog_data_schema;


/*
 * Switches the file to WAL and applies every migration newer than its
 * user_version, all in one transaction, so a failure leaves it untouched.
 * Returns SQLITE_OK, or an SQLite error code with a malloc'ed message in
 * *err (free with sqlite3_free).  A file newer than this build is refused,
 * never touched.
 */
int blog_migrate(sqlite3 *db, const blog_schema_t *schema, char **err);

/*
 * blog_migrate() inside a write transaction (BEGIN IMMEDIATE) the caller
 * holds, and commits or rolls back: for a caller that must do something
 * else under the same lock first (blog_split()).
 */
int blog_migrate_locked(sqlite3 *db, const blog_schema_t *schema, char **err);

/*
 * Reads user_version into *version.  Returns SQLITE_OK when it is the
 * schema's version, SQLITE_SCHEMA when it differs, or the SQLite error
 * that stopped the read.
 */
int blog_schema_check(sqlite3 *db, const blog_schema_t *schema, int *version);

#endif /* BLOG_SCHEMA_H */
