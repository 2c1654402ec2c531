/*
 * Migration 13 fills the reading time of the posts saved before it in
 * SQL: it must count words as blog_markdown_words() does, whatever the
 * whitespace (tabs, CRLF, indented code, blank lines), or a post's time
 * would change on its next save.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "blog_markdown.h"
#include "blog_schema.h"
#include "tap.h"


static char *
words(const char *sep, int n)
{
    int      i;
    char    *s;
    size_t   len;

    len = (strlen(sep) + 4) * n + 1;
    s = malloc(len);
    s[0] = '\0';

    for (i = 0; i < n; i++) {
        strcat(s, "w");
        strcat(s, i % 7 == 0 ? "ord" : "");
        strcat(s, sep);
    }

    return s;
}


int
main(void)
{
    int            i, rc, minutes;
    char          *err, *body[8];
    sqlite3       *db;
    blog_schema_t  before;
    sqlite3_stmt  *stmt;

    body[0] = strdup("");
    body[1] = strdup("  one\ttwo\r\n\r\n    three   ");
    body[2] = words(" ", 230);
    body[3] = words(" ", 231);
    /*
     * at a minute's edge, so that one word counted too many (460, 690)
     * or too few (231, 461) changes the minutes
     */
    body[4] = words("\r\n", 461);
    body[5] = words("\t \t", 460);
    /* indented code: runs of up to 64 blanks */
    body[6] = words("\n                                                  ", 231);
    body[7] = words("  \n\n  ", 690);

    ok(sqlite3_open(":memory:", &db) == SQLITE_OK, "database");

    /* schema 9, as a site had it before */
    before = blog_data_schema;
    before.version = 9;
    ok(blog_migrate(db, &before, &err) == SQLITE_OK, "schema 9");

    rc = sqlite3_prepare_v2(db,
             "INSERT INTO posts (slug, title, body_md, body_html, created_at,"
             "  updated_at) VALUES (?1, 't', ?2, '', 0, 0)", -1, &stmt, NULL);
    ok(rc == SQLITE_OK, "insert prepared");

    for (i = 0; i < 8; i++) {
        char  slug[16];

        snprintf(slug, sizeof(slug), "p%d", i);
        sqlite3_bind_text(stmt, 1, slug, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(stmt, 2, body[i], -1, SQLITE_STATIC);
        rc = sqlite3_step(stmt);
        sqlite3_reset(stmt);
        ok(rc == SQLITE_DONE, "post %d saved at schema 9", i);
    }

    sqlite3_finalize(stmt);

    ok(blog_migrate(db, &blog_data_schema, &err) == SQLITE_OK,
       "migrated to schema %d", BLOG_SCHEMA_VERSION);

    sqlite3_prepare_v2(db, "SELECT reading_minutes, toc_html FROM posts"
                           " WHERE slug = ?1", -1, &stmt, NULL);

    for (i = 0; i < 8; i++) {
        char  slug[16];

        snprintf(slug, sizeof(slug), "p%d", i);
        sqlite3_bind_text(stmt, 1, slug, -1, SQLITE_TRANSIENT);
        minutes = sqlite3_step(stmt) == SQLITE_ROW
                  ? sqlite3_column_int(stmt, 0) : -1;
        is_int(minutes,
               (int) blog_markdown_reading_minutes(body[i], strlen(body[i])),
               "post %d (%u words): the migration's minutes are the C's", i,
               blog_markdown_words(body[i], strlen(body[i])));
        sqlite3_reset(stmt);
        free(body[i]);
    }

    sqlite3_finalize(stmt);
    sqlite3_close(db);

    return tap_done();
}
