/*
 * Statements prepared once and used again: a bulk writer (blogctl import)
 * writes thousands of posts with the same few statements, and preparing
 * one on posts or post_tags compiles the programs of all their triggers
 * (lib/blog_schema.c), more work than running it.  A NULL cache prepares
 * and finalizes at every use, for the one-post writers.
 */

#ifndef BLOG_STMTS_H
#define BLOG_STMTS_H

#include <sqlite3.h>


#define BLOG_STMTS_MAX  16


typedef struct {
    const char    *sql[BLOG_STMTS_MAX];
    sqlite3_stmt  *stmt[BLOG_STMTS_MAX];
    int            n;
} blog_stmts_t;


/*
 * *stmt: the statement of sql, from the cache when it holds it.  sql is a
 * string constant: the cache finds it by its address.  A statement is
 * used by one caller at a time, and given back with blog_stmt_done().
 */
int blog_stmt_prepare(blog_stmts_t *cache, sqlite3 *db, const char *sql,
    sqlite3_stmt **stmt);

/* Resets a statement of the cache for its next use, or finalizes one not. */
void blog_stmt_done(blog_stmts_t *cache, sqlite3_stmt *stmt);

/* Finalizes the cache's statements, before its connection is closed. */
void blog_stmts_free(blog_stmts_t *cache);

#endif /* BLOG_STMTS_H */
