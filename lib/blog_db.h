/*
 * Opening data.db or ttl.db: one routine for the nginx module, the
 * jobrunner and blogctl, so that every connection gets the same settings.
 *
 * Every connection waits busy_timeout ms for another's lock and enforces
 * foreign keys (ON DELETE CASCADE keeps tags, revisions and comments with
 * their post, whoever deletes it).  Then the file's schema is either
 * migrated to this build's version (blogctl, the jobrunner, the module's
 * ttl.db) or only checked to be this build's version (the module's data.db
 * connections, which must never change the file under a writer, and a
 * replica's).  The flags say what truly differs between the callers.
 */

#ifndef BLOG_DB_H
#define BLOG_DB_H

#include <stddef.h>

#include <sqlite3.h>

#include "blog_schema.h"


enum {
    BLOG_DB_CREATE         = 0x01,  /* create the file if it is missing */

    /*
     * Bring the schema to this build's version (and the file to WAL);
     * without it, a file of another version is refused, never touched.
     */
    BLOG_DB_MIGRATE        = 0x02,

    BLOG_DB_QUERY_ONLY     = 0x04,  /* refuse writes: a replica's copy */
    BLOG_DB_ONE_THREAD     = 0x08,  /* used by one thread: no mutex */

    /*
     * Extended result codes (SQLITE_CONSTRAINT_UNIQUE, ...), for callers
     * that tell them apart; the others compare primary codes.
     */
    BLOG_DB_EXTENDED_CODES = 0x10
};


/* Why blog_db_open() failed. */
typedef enum {
    BLOG_DB_OPEN = 0,
    BLOG_DB_SETUP,            /* busy timeout, pragmas */
    BLOG_DB_MIGRATION,
    BLOG_DB_CHECK
} blog_db_step_e;

typedef struct {
    blog_db_step_e   step;
    const char      *what;      /* the step's name, for messages */
    int              version;   /* the file's, when a check refused it */
    char             msg[256];  /* SQLite's message, or the versions */
} blog_db_error_t;


/*
 * Opens path with the schema (blog_data_schema or blog_ttl_schema) as flags
 * say.  Returns SQLITE_OK with the connection in *db, or an SQLite result
 * code with *db NULL and err filled in: SQLITE_SCHEMA for a file of
 * another schema version (a newer one even with BLOG_DB_MIGRATE),
 * SQLITE_CANTOPEN for a missing file without BLOG_DB_CREATE.
 */
int blog_db_open(sqlite3 **db, const char *path, const blog_schema_t *schema,
    unsigned flags, int busy_timeout, blog_db_error_t *err);

#endif /* BLOG_DB_H */
