/*
 * A few prepared statements kept by the address of their SQL.  A linear
 * search: a writer uses a dozen.
 */

#include <stddef.h>

#include "blog_stmts.h"


int
blog_stmt_prepare(blog_stmts_t *cache, sqlite3 *db, const char *sql,
    sqlite3_stmt **stmt)
{
    int  i, rc;

    if (cache != NULL) {
        for (i = 0; i < cache->n; i++) {
            if (cache->sql[i] == sql) {
                *stmt = cache->stmt[i];
                return SQLITE_OK;
            }
        }
    }

    rc = sqlite3_prepare_v2(db, sql, -1, stmt, NULL);

    /* a full cache only costs the preparing */
    if (rc == SQLITE_OK && cache != NULL && cache->n < BLOG_STMTS_MAX) {
        cache->sql[cache->n] = sql;
        cache->stmt[cache->n] = *stmt;
        cache->n++;
    }

    return rc;
}


void
blog_stmt_done(blog_stmts_t *cache, sqlite3_stmt *stmt)
{
    int  i;

    if (cache != NULL) {
        for (i = 0; i < cache->n; i++) {
            if (cache->stmt[i] == stmt) {
                /* its error, if any, was the step's, seen by the caller */
                (void) sqlite3_reset(stmt);
                (void) sqlite3_clear_bindings(stmt);
                return;
            }
        }
    }

    sqlite3_finalize(stmt);
}


void
blog_stmts_free(blog_stmts_t *cache)
{
    int  i;

    for (i = 0; i < cache->n; i++) {
        sqlite3_finalize(cache->stmt[i]);
    }

    cache->n = 0;
}
