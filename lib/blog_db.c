/*
 * blog_db_open(): the one way a program of ours opens data.db or ttl.db.
 */

#include <stdio.h>

#include "blog_db.h"
#include "blog_hitpack.h"


static int blog_db_fail(sqlite3 **db, int rc, blog_db_step_e step,
    const char *msg, blog_db_error_t *err);


static const char  *blog_db_steps[] = {
    "open", "setup", "migration", "schema check"
};


int
blog_db_open(sqlite3 **db, const char *path, const blog_schema_t *schema,
    unsigned flags, int busy_timeout, blog_db_error_t *err)
{
    int    rc, mode;
    char  *msg;

    err->step = BLOG_DB_OPEN;
    err->what = blog_db_steps[BLOG_DB_OPEN];
    err->version = 0;
    err->msg[0] = '\0';

    mode = SQLITE_OPEN_READWRITE
           | ((flags & BLOG_DB_CREATE) ? SQLITE_OPEN_CREATE : 0)
           | ((flags & BLOG_DB_ONE_THREAD) ? SQLITE_OPEN_NOMUTEX : 0);

    rc = sqlite3_open_v2(path, db, mode, NULL);
    if (rc != SQLITE_OK) {
        /* SQLite allocates a handle for the message even on failure */
        return blog_db_fail(db, rc, BLOG_DB_OPEN,
                            *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc),
                            err);
    }

    if (flags & BLOG_DB_EXTENDED_CODES) {
        sqlite3_extended_result_codes(*db, 1);
    }

    rc = sqlite3_busy_timeout(*db, busy_timeout);

    /* analytics.db's views are packs (migration 10): every connection reads
       them, the migration writes them */
    if (rc == SQLITE_OK) {
        rc = blog_hitpack_register(*db);
    }

    if (rc == SQLITE_OK) {
        rc = sqlite3_exec(*db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    }

    if (rc == SQLITE_OK && (flags & BLOG_DB_QUERY_ONLY)) {
        rc = sqlite3_exec(*db, "PRAGMA query_only = 1", NULL, NULL, NULL);
    }

    if (rc != SQLITE_OK) {
        return blog_db_fail(db, rc, BLOG_DB_SETUP, sqlite3_errmsg(*db), err);
    }

    if (flags & BLOG_DB_MIGRATE) {
        rc = blog_migrate(*db, schema, &msg);
        if (rc != SQLITE_OK) {
            rc = blog_db_fail(db, rc, BLOG_DB_MIGRATION,
                              msg ? msg : sqlite3_errstr(rc), err);
            sqlite3_free(msg);
        }

        return rc;
    }

    rc = blog_schema_check(*db, schema, &err->version);

    if (rc == SQLITE_SCHEMA) {
        snprintf(err->msg, sizeof(err->msg), "%s schema version %d, this "
                 "build reads %d", schema->what, err->version,
                 schema->version);
        return blog_db_fail(db, rc, BLOG_DB_CHECK, err->msg, err);
    }

    if (rc != SQLITE_OK) {
        return blog_db_fail(db, rc, BLOG_DB_CHECK, sqlite3_errmsg(*db), err);
    }

    return SQLITE_OK;
}


/* Fills err (msg may be err->msg itself), closes *db; returns rc. */
static int
blog_db_fail(sqlite3 **db, int rc, blog_db_step_e step, const char *msg,
    blog_db_error_t *err)
{
    err->step = step;
    err->what = blog_db_steps[step];

    if (msg != err->msg) {
        snprintf(err->msg, sizeof(err->msg), "%s", msg);
    }

    /* every statement of ours is finalized: this cannot be busy */
    sqlite3_close(*db);
    *db = NULL;

    return rc;
}
