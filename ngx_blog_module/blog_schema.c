/*
 * data.db migrations.  Append new migrations at the end; never edit one that
 * has shipped, because files in the field already carry its effects.
 */

#include <stdio.h>
#include <stddef.h>

#include "blog_schema.h"


static const char *const blog_migrations[BLOG_SCHEMA_VERSION] = {

    /* 1: content.  Times are Unix seconds (UTC). */
    "CREATE TABLE posts ("
    "  id           INTEGER PRIMARY KEY,"
    "  type         TEXT NOT NULL DEFAULT 'post'"
    "                 CHECK (type IN ('post', 'page')),"
    "  slug         TEXT NOT NULL UNIQUE,"
    "  title        TEXT NOT NULL,"
    "  summary      TEXT NOT NULL DEFAULT '',"
    "  body_md      TEXT NOT NULL,"
    "  body_html    TEXT NOT NULL,"
    "  status       TEXT NOT NULL DEFAULT 'draft'"
    "                 CHECK (status IN ('draft', 'published', 'scheduled')),"
    "  published_at INTEGER,"
    "  created_at   INTEGER NOT NULL,"
    "  updated_at   INTEGER NOT NULL,"
    "  source       TEXT"
    ");"
    "CREATE INDEX posts_listing ON posts (type, status, published_at DESC);"

    "CREATE TABLE tags ("
    "  id   INTEGER PRIMARY KEY,"
    "  slug TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL"
    ");"

    "CREATE TABLE post_tags ("
    "  post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,"
    "  tag_id  INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,"
    "  PRIMARY KEY (post_id, tag_id)"
    ") WITHOUT ROWID;"
    "CREATE INDEX post_tags_by_tag ON post_tags (tag_id, post_id);"

    /*
     * Every saved state of a post, numbered from 1 per post.  tags is the
     * comma-separated tag names as the author wrote them.
     */
    "CREATE TABLE revisions ("
    "  id           INTEGER PRIMARY KEY,"
    "  post_id      INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,"
    "  rev          INTEGER NOT NULL,"
    "  type         TEXT NOT NULL,"
    "  title        TEXT NOT NULL,"
    "  summary      TEXT NOT NULL,"
    "  body_md      TEXT NOT NULL,"
    "  status       TEXT NOT NULL,"
    "  published_at INTEGER,"
    "  tags         TEXT NOT NULL,"
    "  created_at   INTEGER NOT NULL,"
    "  origin       TEXT NOT NULL,"
    "  UNIQUE (post_id, rev)"
    ");"

    /* Site-wide settings: title, description, author, base_url. */
    "CREATE TABLE settings ("
    "  key   TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL"
    ") WITHOUT ROWID;"
    "INSERT INTO settings (key, value) VALUES"
    "  ('title', 'ngx_blog'),"
    "  ('description', ''),"
    "  ('author', '');"
};


int
blog_schema_check(sqlite3 *db, int *version)
{
    int            rc;
    sqlite3_stmt  *stmt;

    rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL);
    if (rc != SQLITE_OK) {
        return rc;
    }

    rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(stmt);
        return rc == SQLITE_DONE ? SQLITE_ERROR : rc;
    }

    *version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);

    return *version == BLOG_SCHEMA_VERSION ? SQLITE_OK : SQLITE_SCHEMA;
}


int
blog_schema_migrate(sqlite3 *db, char **err)
{
    int   rc, version, v;
    char  sql[64];

    *err = NULL;

    rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, err);
    if (rc != SQLITE_OK) {
        return rc;
    }

    rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, err);
    if (rc != SQLITE_OK) {
        return rc;
    }

    /* read the version inside the write lock, so two migrators cannot race */
    rc = blog_schema_check(db, &version);
    if (rc != SQLITE_OK && rc != SQLITE_SCHEMA) {
        goto failed;
    }

    if (version > BLOG_SCHEMA_VERSION) {
        *err = sqlite3_mprintf("database schema version %d is newer than "
                               "this build (%d)", version,
                               BLOG_SCHEMA_VERSION);
        rc = SQLITE_SCHEMA;
        goto failed;
    }

    for (v = version; v < BLOG_SCHEMA_VERSION; v++) {
        rc = sqlite3_exec(db, blog_migrations[v], NULL, NULL, err);
        if (rc != SQLITE_OK) {
            goto failed;
        }
    }

    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", BLOG_SCHEMA_VERSION);

    rc = sqlite3_exec(db, sql, NULL, NULL, err);
    if (rc != SQLITE_OK) {
        goto failed;
    }

    return sqlite3_exec(db, "COMMIT", NULL, NULL, err);

failed:

    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}
