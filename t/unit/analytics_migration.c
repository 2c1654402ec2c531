/*
 * analytics.db migration 10 (lib/blog_analytics_schema.c): a database of
 * migration 9 holding views has every one of them after it, row for row
 * (analytics_views and analytics_hits before = after), as packs of a
 * (day, page) each; analytics_views' triggers still write and delete
 * views as before (n after the visit's views of the page; a pack left
 * empty goes).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "tap.h"

#include "blog_analytics_schema.h"
#include "blog_hitpack.h"
#include "blog_schema.h"


static sqlite3  *db;


static long long
query_int(const char *sql)
{
    long long      n;
    sqlite3_stmt  *stmt;

    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        printf("# %s: %s\n", sql, sqlite3_errmsg(db));
        return -12345;
    }

    n = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0)
                                         : -12345;
    sqlite3_finalize(stmt);

    return n;
}


/* The rows of sql, one line each, columns joined by '|'; to be freed. */
static char *
dump(const char *sql)
{
    int            i, n;
    char          *out, *more;
    size_t         len, cap, add;
    sqlite3_stmt  *stmt;
    const char    *text;

    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        printf("# %s: %s\n", sql, sqlite3_errmsg(db));
        return strdup("(error)");
    }

    cap = 4096;
    len = 0;
    out = malloc(cap);
    out[0] = '\0';
    n = sqlite3_column_count(stmt);

    while (sqlite3_step(stmt) == SQLITE_ROW) {
        for (i = 0; i < n; i++) {
            text = (const char *) sqlite3_column_text(stmt, i);
            text = text ? text : "NULL";
            add = strlen(text) + 2;

            if (len + add + 1 > cap) {
                cap = 2 * (len + add + 1);
                more = realloc(out, cap);
                if (more == NULL) {
                    abort();
                }

                out = more;
            }

            len += (size_t) sprintf(out + len, "%s%c", text,
                                    i + 1 < n ? '|' : '\n');
        }
    }

    sqlite3_finalize(stmt);

    return out;
}


static int
exec(const char *sql)
{
    char  *err;

    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        printf("# %s: %s\n", sql, err);
        sqlite3_free(err);
        return -1;
    }

    return 0;
}


int
main(void)
{
    int            i, rc;
    char          *err, *views9, *hits9, *views10, *hits10, sql[512];
    unsigned int   seed;
    blog_schema_t  nine;

    static const char  *paths[] = {
        "/", "/posts/hello", "/about", "/posts/<b>\"x\"</b>", "/tags/c"
    };
    static const char  *hosts[] = { "", "www.google.com", "t.co", "" };

    /* a database of migration 9, its views written as the tools did */
    ok(sqlite3_open(":memory:", &db) == SQLITE_OK
       && blog_hitpack_register(db) == SQLITE_OK, "a database");

    nine = blog_analytics_schema;
    nine.version = 9;
    err = NULL;
    ok(blog_migrate(db, &nine, &err) == SQLITE_OK, "at migration 9 %s",
       err ? err : "");
    sqlite3_free(err);

    exec("BEGIN");
    seed = 7;

    for (i = 0; i < 3000; i++) {
        seed = seed * 1103515245 + 12345;
        snprintf(sql, sizeof(sql), "INSERT INTO analytics_views (visit, day,"
                 " time_ms, path, status, ref_host, ref_path) VALUES"
                 " (%u, %u, %llu, '%s', %d, '%s', '%s')",
                 1 + (seed >> 8) % 400, 20000 + (seed >> 4) % 3,
                 1728000000000ULL + (seed >> 3) % 86400000,
                 paths[(seed >> 12) % 5], (seed >> 20) % 7 ? 200 : 404,
                 hosts[(seed >> 16) % 4], (seed >> 16) % 4 == 2 ? "/x/1" : "");
        if (exec(sql) != 0) {
            break;
        }
    }

    exec("COMMIT");

    is_int(query_int("SELECT count(*) FROM analytics_hits"), 3000,
           "3000 views' rows");

    views9 = dump("SELECT * FROM analytics_views"
                  " ORDER BY day, path, visit, n");
    hits9 = dump("SELECT * FROM analytics_hits ORDER BY day, path, visit, n");

    /* this build's migrations: 10 */
    err = NULL;
    rc = blog_migrate(db, &blog_analytics_schema, &err);
    ok(rc == SQLITE_OK, "migration 10 %s", err ? err : "");
    sqlite3_free(err);

    is_int(query_int("PRAGMA user_version"), 11, "schema version 11");
    is_int(query_int("SELECT count(*) FROM sqlite_schema WHERE"
                     " name = 'analytics_hits' AND type = 'view'"), 1,
           "analytics_hits is a view");
    is_int(query_int("SELECT count(*) FROM analytics_hit_packs"), 15,
           "a pack per day and page");
    is_int(query_int("SELECT sum(views) FROM analytics_hit_packs"), 3000,
           "holding every view");
    is_int(query_int("SELECT max(seq) FROM analytics_hit_packs"), 0,
           "each its (day, page)'s first");
    is_int(query_int("SELECT count(*) FROM (SELECT h.visit * 1000000 + h.n"
                     " AS k, lag(h.visit * 1000000 + h.n) OVER (PARTITION BY"
                     " p.day, p.path ORDER BY h.rowid) AS before"
                     " FROM analytics_hit_packs AS p, blog_hits(p.hits) AS h)"
                     " WHERE k <= before"), 0,
           "a pack's views ordered by visit and n");
    is_int(query_int("SELECT count(*) FROM (SELECT h.visit * 1000000 + h.n"
                     " AS k, lag(h.visit * 1000000 + h.n) OVER (PARTITION BY"
                     " p.day, p.path ORDER BY h.rowid) AS before"
                     " FROM analytics_hit_packs AS p, blog_hits(p.hits) AS h)"
                     " WHERE k > before"), 3000 - 15,
           "(each view after the first compared)");

    views10 = dump("SELECT * FROM analytics_views"
                   " ORDER BY day, path, visit, n");
    hits10 = dump("SELECT * FROM analytics_hits"
                  " ORDER BY day, path, visit, n");

    ok(strlen(views9) > 3000 * 20 && strcmp(views9, views10) == 0,
       "analytics_views: the same rows before and after");
    ok(strcmp(hits9, hits10) == 0, "analytics_hits: the same rows");

    free(views9);
    free(hits9);
    free(views10);
    free(hits10);

    /* the triggers: a view written by hand is a pack of its own */
    exec("INSERT INTO analytics_views (visit, day, time_ms, path, status,"
         " ref_host, ref_path) VALUES (5, 20001, 1728090000000, '/about',"
         " 200, 'lobste.rs', '/s/1')");
    is_int(query_int("SELECT n FROM analytics_views WHERE visit = 5"
                     " AND day = 20001 AND ref_host = 'lobste.rs'"),
           query_int("SELECT count(*) FROM analytics_views WHERE visit = 5"
                     " AND day = 20001 AND path = '/about'"),
           "INSERT: n after the visit's views of the page");
    is_int(query_int("SELECT views FROM analytics_hit_packs WHERE"
                     " day = 20001 AND path = (SELECT id FROM"
                     " analytics_strings WHERE value = '/about')"
                     " AND seq = 1"), 1,
           "appended as a pack of one view, seq 1");
    is_int(query_int("SELECT last_day FROM analytics_strings"
                     " WHERE value = 'lobste.rs'"), 20001,
           "its strings interned, last_day set");

    exec("DELETE FROM analytics_views WHERE ref_host = 'lobste.rs'");
    is_int(query_int("SELECT count(*) FROM analytics_hit_packs WHERE"
                     " seq = 1"), 0, "DELETE: a pack left empty goes");
    is_int(query_int("SELECT count(*) FROM analytics_views"), 3000,
           "the others stay");

    exec("DELETE FROM analytics_views WHERE visit = 17");
    is_int(query_int("SELECT count(*) FROM analytics_views WHERE"
                     " visit = 17"), 0, "DELETE out of the migrated packs");
    is_int(query_int("SELECT sum(views) FROM analytics_hit_packs"),
           query_int("SELECT count(*) FROM analytics_hits"),
           "the packs' counts follow");
    is_int(query_int("SELECT count(*) FROM analytics_hit_packs"
                     " WHERE views <= 0"), 0, "no empty pack");

    sqlite3_close(db);

    /* an empty database migrates too */
    err = NULL;
    ok(sqlite3_open(":memory:", &db) == SQLITE_OK
       && blog_hitpack_register(db) == SQLITE_OK
       && blog_migrate(db, &blog_analytics_schema, &err) == SQLITE_OK
       && query_int("SELECT count(*) FROM analytics_hits") == 0,
       "a new database, at 10 at once");
    sqlite3_free(err);
    sqlite3_close(db);

    return tap_done();
}
