/*
 * The ttl.db schema, shared by the nginx module and the jobrunner.
 *
 * ttl.db holds what expires: sessions, one-time codes, the webhook ids the
 * module has seen (its replay guard).  It is a file of its own so that it
 * can be lost without harm and is never backed up with data.db.  Every
 * table has an "expires_at" column (Unix seconds); the jobrunner's
 * ttl_cleanup timer deletes the rows past it, in every table named in
 * blog_ttl_tables.
 *
 * Both processes migrate it, whichever opens it first: the rows are
 * disposable, and the module must be able to record a webhook id before
 * the jobrunner ever ran.
 */

#ifndef BLOG_TTL_SCHEMA_H
#define BLOG_TTL_SCHEMA_H

#include <sqlite3.h>

#include "blog_schema.h"

/* The ttl.db schema version this build reads and writes. */
#define BLOG_TTL_SCHEMA_VERSION  4

extern const blog_schema_t  blog_ttl_schema;

/* The tables with an expires_at column, NULL-terminated. */
extern const char *const  blog_ttl_tables[];

/*
 * blog_migrate() with the ttl.db schema, for the jobrunner's own
 * connections to ttl.db (its salts and ttl_cleanup).
 */
int blog_ttl_schema_migrate(sqlite3 *db, char **err);

#endif /* BLOG_TTL_SCHEMA_H */
