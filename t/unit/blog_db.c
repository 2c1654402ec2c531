/*
 * Unit tests of blog_db.c: opening data.db and ttl.db as the module, the
 * jobrunner and blogctl do, on real files in a temporary folder.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "blog_db.h"
#include "blog_ttl_schema.h"
#include "tap.h"


static char  dir[] = "/tmp/blog_db.XXXXXX";


/* The first column of the first row of sql, as an integer; -1 on error. */
static long long
query_int(sqlite3 *db, const char *sql)
{
    long long      n;
    sqlite3_stmt  *stmt;

    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        return -1;
    }

    n = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
    sqlite3_finalize(stmt);

    return n;
}


/* The same as text, in buf. */
static const char *
query_text(sqlite3 *db, const char *sql, char *buf, size_t size)
{
    sqlite3_stmt  *stmt;

    snprintf(buf, size, "(error)");

    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK) {
        if (sqlite3_step(stmt) == SQLITE_ROW) {
            snprintf(buf, size, "%s", sqlite3_column_text(stmt, 0));
        }

        sqlite3_finalize(stmt);
    }

    return buf;
}


/* Sets user_version of path with a plain connection of SQLite's own. */
static int
set_version(const char *path, int version)
{
    int       rc;
    char      sql[64];
    sqlite3  *db;

    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version);

    rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK) {
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    }

    sqlite3_close(db);

    return rc;
}


static void
fresh_data_db(void)
{
    int              rc;
    char             path[64], buf[64];
    sqlite3         *db;
    blog_db_error_t  err;

    snprintf(path, sizeof(path), "%s/data.db", dir);

    rc = blog_db_open(&db, path, &blog_data_schema,
                      BLOG_DB_CREATE | BLOG_DB_MIGRATE, 1234, &err);
    is_int(rc, SQLITE_OK, "a new data.db is created and migrated");
    if (rc != SQLITE_OK) {
        printf("#   %s: %s\n", err.what, err.msg);
        return;
    }

    is_int(query_int(db, "PRAGMA user_version"), BLOG_SCHEMA_VERSION,
           "its schema is this build's");
    is_str(query_text(db, "PRAGMA journal_mode", buf, sizeof(buf)), "wal",
           "it is in WAL mode");
    is_int(query_int(db, "PRAGMA foreign_keys"), 1, "foreign keys enforced");
    is_int(query_int(db, "PRAGMA busy_timeout"), 1234,
           "the busy timeout asked for");
    is_int(query_int(db, "PRAGMA query_only"), 0, "writable");
    is_str(query_text(db, "SELECT value FROM settings WHERE key = 'title'",
                      buf, sizeof(buf)),
           "ngx_blog", "the first migration's rows are there");

    /* a tag of a post that does not exist: refused, as primary code */
    rc = sqlite3_exec(db, "INSERT INTO post_tags (post_id, tag_id)"
                      " VALUES (99, 99)", NULL, NULL, NULL);
    is_int(rc, SQLITE_CONSTRAINT, "a dangling foreign key is refused");

    sqlite3_close(db);

    /* opened again, as the module opens it: only checked */
    rc = blog_db_open(&db, path, &blog_data_schema,
                      BLOG_DB_ONE_THREAD | BLOG_DB_EXTENDED_CODES, 0, &err);
    is_int(rc, SQLITE_OK, "the current schema passes the check");
    if (rc != SQLITE_OK) {
        return;
    }

    ok(sqlite3_db_mutex(db) == NULL, "one thread: no mutex");
    is_int(query_int(db, "PRAGMA busy_timeout"), 0, "no busy timeout");
    is_int(query_int(db, "PRAGMA foreign_keys"), 1,
           "foreign keys enforced for checked connections too");

    rc = sqlite3_exec(db, "INSERT INTO post_tags (post_id, tag_id)"
                      " VALUES (99, 99)", NULL, NULL, NULL);
    is_int(rc, SQLITE_CONSTRAINT_FOREIGNKEY, "extended result codes");

    sqlite3_close(db);

    /* a replica's: read only */
    rc = blog_db_open(&db, path, &blog_data_schema, BLOG_DB_QUERY_ONLY, 0,
                      &err);
    is_int(rc, SQLITE_OK, "opened query-only");
    if (rc != SQLITE_OK) {
        return;
    }

    is_int(query_int(db, "PRAGMA query_only"), 1, "query_only is set");
    is_int(sqlite3_exec(db, "DELETE FROM settings", NULL, NULL, NULL),
           SQLITE_READONLY, "a write is refused");
    /* title, description, author and the newsletter_key */
    is_int(query_int(db, "SELECT count(*) FROM settings"), 4,
           "and nothing was deleted");

    sqlite3_close(db);
}


static void
missing_file(void)
{
    int              rc;
    char             path[64];
    sqlite3         *db;
    blog_db_error_t  err;

    snprintf(path, sizeof(path), "%s/missing.db", dir);

    rc = blog_db_open(&db, path, &blog_data_schema, BLOG_DB_MIGRATE, 0, &err);
    is_int(rc, SQLITE_CANTOPEN, "a missing file without CREATE");
    ok(db == NULL, "no connection");
    is_int(err.step, BLOG_DB_OPEN, "the open failed");
    is_str(err.what, "open", "named \"open\"");
    is_str(err.msg, "unable to open database file", "SQLite's message");
    ok(access(path, F_OK) != 0, "and no file was made");
}


static void
other_versions(void)
{
    int              rc;
    char             path[64], want[128];
    sqlite3         *db;
    blog_db_error_t  err;

    /* a file from a newer build */
    snprintf(path, sizeof(path), "%s/newer.db", dir);

    ok(set_version(path, BLOG_SCHEMA_VERSION + 1) == SQLITE_OK,
       "a file of schema version %d", BLOG_SCHEMA_VERSION + 1);

    rc = blog_db_open(&db, path, &blog_data_schema,
                      BLOG_DB_CREATE | BLOG_DB_MIGRATE, 0, &err);
    is_int(rc, SQLITE_SCHEMA, "migration refuses a newer file");
    ok(db == NULL, "no connection");
    is_int(err.step, BLOG_DB_MIGRATION, "in the migration");

    snprintf(want, sizeof(want), "database schema version %d is newer than "
             "this build (%d)", BLOG_SCHEMA_VERSION + 1, BLOG_SCHEMA_VERSION);
    is_str(err.msg, want, "with a clear message");

    rc = blog_db_open(&db, path, &blog_data_schema, 0, 0, &err);
    is_int(rc, SQLITE_SCHEMA, "the check refuses it too");
    is_int(err.step, BLOG_DB_CHECK, "in the check");
    is_int(err.version, BLOG_SCHEMA_VERSION + 1, "giving its version");

    snprintf(want, sizeof(want), "database schema version %d, this build "
             "reads %d", BLOG_SCHEMA_VERSION + 1, BLOG_SCHEMA_VERSION);
    is_str(err.msg, want, "and saying which versions");

    ok(sqlite3_open(path, &db) == SQLITE_OK
       && query_int(db, "PRAGMA user_version") == BLOG_SCHEMA_VERSION + 1
       && query_int(db, "SELECT count(*) FROM sqlite_schema") == 0,
       "the newer file was not touched");
    sqlite3_close(db);

    /* an older one: the check refuses it, a migration brings it up */
    snprintf(path, sizeof(path), "%s/older.db", dir);

    ok(set_version(path, 0) == SQLITE_OK, "a file of schema version 0");

    rc = blog_db_open(&db, path, &blog_data_schema, 0, 0, &err);
    is_int(rc, SQLITE_SCHEMA, "the check refuses an older file");
    is_int(err.version, 0, "of version 0");

    rc = blog_db_open(&db, path, &blog_data_schema, BLOG_DB_MIGRATE, 0,
                      &err);
    is_int(rc, SQLITE_OK, "a migration brings it up");
    is_int(db ? query_int(db, "PRAGMA user_version") : -1,
           BLOG_SCHEMA_VERSION, "to this build's version");
    sqlite3_close(db);
}


static void
not_a_database(void)
{
    int              rc;
    char             path[64];
    FILE            *f;
    sqlite3         *db;
    blog_db_error_t  err;

    snprintf(path, sizeof(path), "%s/text.db", dir);

    f = fopen(path, "w");
    ok(f != NULL && fputs("not an SQLite file, but long enough to have a "
                          "header of one: 0123456789abcdef0123456789\n", f)
                    >= 0
       && fclose(f) == 0, "a text file");

    rc = blog_db_open(&db, path, &blog_data_schema, 0, 0, &err);
    is_int(rc, SQLITE_NOTADB, "refused");
    is_str(err.msg, "file is not a database", "SQLite says why");
}


static void
ttl_db(void)
{
    int              rc;
    char             path[64];
    sqlite3         *db;
    blog_db_error_t  err;

    snprintf(path, sizeof(path), "%s/ttl.db", dir);

    rc = blog_db_open(&db, path, &blog_ttl_schema,
                      BLOG_DB_CREATE | BLOG_DB_MIGRATE, 0, &err);
    is_int(rc, SQLITE_OK, "a new ttl.db is created and migrated");
    if (rc != SQLITE_OK) {
        return;
    }

    is_int(query_int(db, "PRAGMA user_version"), BLOG_TTL_SCHEMA_VERSION,
           "with ttl.db's schema");
    is_int(query_int(db, "SELECT count(*) FROM webhook_ids"), 0,
           "its tables are there");
    sqlite3_close(db);

    rc = blog_db_open(&db, path, &blog_data_schema, 0, 0, &err);
    is_int(rc, SQLITE_SCHEMA, "a ttl.db is not a data.db");
}


int
main(void)
{
    char  cmd[64];

    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }

    fresh_data_db();
    missing_file();
    other_versions();
    not_a_database();
    ttl_db();

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) {
        ok(0, "removing %s", dir);
    }

    return tap_done();
}
