/*
 * libFuzzer target: Stats API queries (blog_stats_parse) run against an
 * analytics.db of a few rows (blog_stats_run) and written as JSON and CSV.
 * Beyond "no crash": a query the parser accepts makes SQL that SQLite
 * prepares and runs (a run fails only on the query's own limits or the
 * raw rows' retention, never on the database), and its CSV's quotes pair
 * up.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "blog_db.h"
#include "blog_analytics_schema.h"
#include "blog_stats.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static sqlite3  *db;

static const char  schema_rows[] =
    "INSERT INTO analytics_visits (id, day, visitor, start_ms, end_ms, views,"
    " entry, exit, source, country, device) VALUES"
    " (1, 20000, 1, 0, 60000, 2, '/a', '/b', '=x', 'DE', 'phone'),"
    " (2, 20001, 2, 0, 0, 1, '/b', '/b', 'a\"b,c', 'US', 'desktop');"
    "INSERT INTO analytics_views (visit, day, time_ms, path, status) VALUES"
    " (1, 20000, 0, '/a', 200), (1, 20000, 60000, '/b', 200),"
    " (2, 20001, 0, '/b', 200);"
    "INSERT INTO analytics_rolled VALUES (19990);"
    "INSERT INTO analytics_rollup VALUES (19990, '', '', 1, 1, 1, 1, 0),"
    " (19990, 'visit:country', 'DE', 1, 1, 1, 1, 0);";


static void
setup(void)
{
    blog_db_error_t  err;

    if (blog_db_open(&db, ":memory:", &blog_analytics_schema,
                     BLOG_DB_CREATE | BLOG_DB_MIGRATE, 0, &err) != SQLITE_OK
        || sqlite3_exec(db, schema_rows, NULL, NULL, NULL) != SQLITE_OK)
    {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                  rc, quoted;
    char                 err[BLOG_STATS_ERROR_SIZE];
    size_t               i;
    blog_buf_t           out;
    blog_stats_query_t   q;
    blog_stats_result_t  res;

    if (db == NULL) {
        setup();
    }

    if (blog_stats_parse(&q, (const char *) data, size, 20001, err)
        != BLOG_STATS_OK)
    {
        if (err[0] == '\0' || strlen(err) >= sizeof(err)) {
            abort();
        }

        return 0;
    }

    rc = blog_stats_run(db, &q, &res, err);

    if (rc == BLOG_STATS_EDB || rc == BLOG_STATS_ENOMEM) {
        abort();                   /* SQL the engine made that SQLite took ill */
    }

    if (rc == BLOG_STATS_OK) {
        memset(&out, 0, sizeof(blog_buf_t));

        if (blog_stats_json(&q, &res, &out) != 0) {
            abort();
        }

        out.len = 0;

        if (blog_stats_csv(&q, &res, &out) != 0) {
            abort();
        }

        quoted = 0;

        for (i = 0; i < out.len; i++) {
            quoted ^= out.data[i] == '"';
        }

        if (quoted) {
            abort();
        }

        free(out.data);
        blog_stats_result_free(&res);
    }

    blog_stats_query_free(&q);

    return 0;
}
