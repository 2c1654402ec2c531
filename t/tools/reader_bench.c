/*
 * The reader's related-posts statement timed alone, as the module runs it
 * (prepared once, persistent, run and reset), on a data.db such as
 * scripts/bench-growth writes with DATA=dir: SQLite's CPU time per run,
 * without nginx, templates or the page around it (docs/markdown.md).
 *
 *   reader_bench DB RUNS ID...           BLOG_STMT_RELATED of lib/blog_reader.c
 *   reader_bench -e SQL DB RUNS ID...    another statement, ?1 the post id
 *
 * Prints, per post id, the microseconds of CPU per run (the best of 5
 * passes of RUNS runs: the least disturbed by the machine's other work)
 * and the ids it returns.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "blog_reader.h"


#define PASSES  5


static double
cpu_us(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);

    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}


/* one run: the ids returned, as "1 2 3", into ids */
static int
run(sqlite3_stmt *stmt, sqlite3_int64 id, char *ids, size_t size)
{
    int     rc;
    size_t  len;

    if (sqlite3_bind_int64(stmt, 1, id) != SQLITE_OK) {
        return -1;
    }

    len = 0;
    ids[0] = '\0';

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (len < size) {
            len += snprintf(ids + len, size - len, "%s%lld", len ? " " : "",
                            sqlite3_column_int64(stmt, 0));
        }
    }

    sqlite3_reset(stmt);

    return rc == SQLITE_DONE ? 0 : -1;
}


int
main(int argc, char **argv)
{
    int            i, pass, runs, n;
    char           ids[256];
    double         t, best;
    sqlite3       *db;
    const char    *sql;
    sqlite3_stmt  *stmt;
    sqlite3_int64  id;

    sql = blog_reader_sql[BLOG_STMT_RELATED];

    if (argc > 2 && strcmp(argv[1], "-e") == 0) {
        sql = argv[2];
        argv += 2;
        argc -= 2;
    }

    if (argc < 4 || (runs = atoi(argv[2])) <= 0) {
        fprintf(stderr, "usage: reader_bench [-e SQL] DB RUNS ID...\n");
        return 2;
    }

    if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK
        || sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt,
                              NULL) != SQLITE_OK)
    {
        fprintf(stderr, "reader_bench: %s\n", sqlite3_errmsg(db));
        sqlite3_close(db);
        return 1;
    }

    for (i = 3; i < argc; i++) {
        id = atoll(argv[i]);
        best = 0;

        for (pass = 0; pass < PASSES; pass++) {
            t = cpu_us();

            for (n = 0; n < runs; n++) {
                if (run(stmt, id, ids, sizeof(ids)) != 0) {
                    fprintf(stderr, "reader_bench: %s\n", sqlite3_errmsg(db));
                    sqlite3_finalize(stmt);
                    sqlite3_close(db);
                    return 1;
                }
            }

            t = (cpu_us() - t) / runs;

            if (pass == 0 || t < best) {
                best = t;
            }
        }

        printf("post %lld: %.1f us per run, related %s\n", id, best, ids);
    }

    sqlite3_finalize(stmt);
    sqlite3_close(db);

    return 0;
}
