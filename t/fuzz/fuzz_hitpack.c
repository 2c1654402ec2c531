/*
 * libFuzzer target: packs of views (lib/blog_hitpack.c), as analytics.db
 * holds them and anyone who can write to the file may have changed them.
 * Beyond "no crash and no read past the blob", it checks the decoder's
 * promises: an accepted pack holds at most a view per 6 bytes, its views
 * encoded again decode the same, and blog_hits() in SQL reads the same
 * count of views as the C reader, or fails as it does.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "blog_hitpack.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static long
decode(const uint8_t *data, size_t size, blog_hit_t **hits)
{
    int                    rc;
    size_t                 k;
    const char            *why;
    blog_hitpack_reader_t  r;

    *hits = NULL;

    if (blog_hitpack_open(&r, data, size, &why) != 0) {
        return -1;
    }

    if (r.views > size / 6) {
        abort();
    }

    *hits = malloc(r.views * sizeof(blog_hit_t));
    if (*hits == NULL) {
        abort();
    }

    k = 0;

    while ((rc = blog_hitpack_next(&r, &(*hits)[k], &why)) == 1) {
        if (++k > r.views) {
            abort();
        }
    }

    return rc < 0 ? -1 : (long) k;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long                   n, m, rows;
    size_t                 len;
    blog_hit_t            *hits, *again;
    unsigned char         *pack;
    static sqlite3        *db;
    static sqlite3_stmt   *stmt;

    n = decode(data, size, &hits);

    if (n >= 0) {
        pack = malloc(BLOG_HITPACK_MAX(n));
        if (pack == NULL) {
            abort();
        }

        len = blog_hitpack_encode(pack, hits, (size_t) n);

        if (len > BLOG_HITPACK_MAX(n)) {
            abort();
        }

        m = decode(pack, len, &again);

        if (m != n || memcmp(hits, again, n * sizeof(blog_hit_t)) != 0) {
            abort();
        }

        free(again);
        free(pack);
    }

    free(hits);

    /* the SQL reader: as many rows, or an error (one connection for all) */
    if (stmt == NULL
        && (sqlite3_open(":memory:", &db) != SQLITE_OK
            || blog_hitpack_register(db) != SQLITE_OK
            || sqlite3_prepare_v2(db, "SELECT count(*) FROM blog_hits(?1)",
                                  -1, &stmt, NULL) != SQLITE_OK))
    {
        abort();
    }

    sqlite3_bind_blob(stmt, 1, size ? data : (const void *) "", (int) size,
                      SQLITE_STATIC);

    if (sqlite3_step(stmt) == SQLITE_ROW) {
        rows = sqlite3_column_int64(stmt, 0);

        if (rows != n) {
            abort();
        }

    } else if (n >= 0) {
        abort();
    }

    sqlite3_reset(stmt);

    return 0;
}
