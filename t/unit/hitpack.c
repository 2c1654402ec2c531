/*
 * Unit tests of the packs of views (lib/blog_hitpack.c): every column's
 * whole range goes through a pack and back, a corrupt pack of each kind
 * is refused with its reason, and the SQL functions (blog_hits,
 * blog_hits_pack, blog_hits_drop) on an in-memory database.
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "tap.h"

#include "blog_hitpack.h"


static sqlite3  *db;


/* Decodes pack into out (room for max); the count, or -1 with *why. */
static long
decode(const unsigned char *pack, size_t len, blog_hit_t *out, size_t max,
    const char **why)
{
    int                    rc;
    size_t                 k;
    blog_hit_t             hit;
    blog_hitpack_reader_t  r;

    if (blog_hitpack_open(&r, pack, len, why) != 0) {
        return -1;
    }

    k = 0;

    while ((rc = blog_hitpack_next(&r, &hit, why)) == 1) {
        if (k < max) {
            out[k] = hit;
        }

        k++;
    }

    return rc < 0 ? -1 : (long) k;
}


static const char *
refused(const unsigned char *pack, size_t len)
{
    const char  *why;
    blog_hit_t   out[4];

    why = NULL;

    return decode(pack, len, out, 4, &why) < 0 ? why : "(accepted)";
}


static long long
query_int(const char *sql)
{
    long long      n;
    sqlite3_stmt  *stmt;

    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        printf("# %s: %s\n", sql, sqlite3_errmsg(db));
        return -12345;
    }

    n = sqlite3_step(stmt) == SQLITE_ROW
        ? (sqlite3_column_type(stmt, 0) == SQLITE_NULL
           ? -999 : sqlite3_column_int64(stmt, 0))
        : -12345;
    sqlite3_finalize(stmt);

    return n;
}


/* The error of sql, or "" if it ran. */
static const char *
query_error(const char *sql)
{
    int            rc;
    sqlite3_stmt  *stmt;
    static char    msg[256];

    msg[0] = '\0';

    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        snprintf(msg, sizeof(msg), "%s", sqlite3_errmsg(db));
        return msg;
    }

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        /* void */
    }

    if (rc != SQLITE_DONE) {
        snprintf(msg, sizeof(msg), "%s", sqlite3_errmsg(db));
    }

    sqlite3_finalize(stmt);

    return msg;
}


static void
test_ranges(void)
{
    int            i, j;
    long           n;
    size_t         len;
    const char    *why;
    blog_hit_t     in[8], out[8];
    unsigned char  pack[BLOG_HITPACK_MAX(8)];
    int64_t       *col_in, *col_out;

    static const int64_t  values[8] = {
        INT64_MIN, INT64_MIN + 1, -1, 0, 1, 127, 128, INT64_MAX
    };
    static const char    *names[6] = {
        "visit", "n", "time_ms", "status", "ref_host", "ref_path"
    };

    /* each column in turn takes every edge value, the others vary too */
    for (i = 0; i < 6; i++) {
        for (j = 0; j < 8; j++) {
            in[j].visit = 1000 + j;
            in[j].n = j + 1;
            in[j].time_ms = 1700000000000LL + j * 1000;
            in[j].status = 200;
            in[j].ref_host = j;
            in[j].ref_path = 0;
            col_in = &in[j].visit + i;
            *col_in = values[(j * 3 + i) % 8];
        }

        len = blog_hitpack_encode(pack, in, 8);
        ok(len <= BLOG_HITPACK_MAX(8), "%s: within BLOG_HITPACK_MAX",
           names[i]);

        n = decode(pack, len, out, 8, &why);
        is_int(n, 8, "%s: 8 views back", names[i]);

        for (j = 0; j < 8 && n == 8; j++) {
            col_in = &in[j].visit;
            col_out = &out[j].visit;

            if (memcmp(col_in, col_out, sizeof(blog_hit_t)) != 0) {
                break;
            }
        }

        is_int(j, 8, "%s: INT64_MIN to INT64_MAX, each view as it was",
               names[i]);
    }

    /* a pack of the jobrunner's kind: about 9 bytes a view */
    for (j = 0; j < 8; j++) {
        in[j].visit = 123456 + j / 2;
        in[j].n = 1 + j % 2;
        in[j].time_ms = 1733450000000LL + j * 37000;
        in[j].status = j == 5 ? 404 : 200;
        in[j].ref_host = j == 0 ? 17 : 0;
        in[j].ref_path = j == 0 ? 230 : 0;
    }

    len = blog_hitpack_encode(pack, in, 8);
    ok(len <= 2 + 8 * 10, "8 views of a page in %zu bytes", len);
    is_int(decode(pack, len, out, 8, &why), 8, "and back");
    ok(memcmp(in, out, sizeof(in)) == 0, "the same views");
}


static void
test_corrupt(void)
{
    size_t         len;
    blog_hit_t     in[2];
    unsigned char  pack[BLOG_HITPACK_MAX(2) + 4], bad[64];

    memset(in, 0, sizeof(in));
    in[0].visit = 5;
    in[0].n = 1;
    in[0].time_ms = 1733450000000LL;
    in[0].status = 200;
    in[1] = in[0];
    in[1].n = 2;
    in[1].time_ms += 1000;

    len = blog_hitpack_encode(pack, in, 2);
    is_str(refused(pack, len), "(accepted)", "the pack is whole");

    is_str(refused(pack, 0), "it is empty", "no bytes");
    is_str(refused(NULL, 0), "it is empty", "NULL");

    memcpy(bad, pack, len);
    bad[0] = 2;
    is_str(refused(bad, len), "its version is not 1", "another version");

    bad[0] = 1;
    bad[1] = 0x80;
    is_str(refused(bad, 2), "its count of views is cut",
           "a count whose varint is cut");

    bad[1] = 0;
    is_str(refused(bad, len), "its count of views does not fit its bytes",
           "a count of 0");

    memcpy(bad, pack, len);
    bad[1] = 9;
    is_str(refused(bad, len), "its count of views does not fit its bytes",
           "a count its bytes cannot hold");

    memcpy(bad, pack, len);
    bad[1] = 0xff;
    bad[2] = 0xff;
    is_str(refused(bad, len), "its count of views does not fit its bytes",
           "a huge count");

    is_str(refused(pack, len - 1), "its bytes end within a view",
           "one byte short");

    memcpy(bad, pack, len);
    bad[len] = 0;
    is_str(refused(bad, len + 1), "bytes follow its last view",
           "one byte too many");

    /* a first view whose visit is 11 bytes of 0xff: over 64 bits */
    memset(bad, 0xff, sizeof(bad));
    bad[0] = 1;
    bad[1] = 1;
    bad[12] = 0;
    is_str(refused(bad, 20), "a varint is over 64 bits",
           "an 11-byte varint");

    /* ten bytes whose last holds more than the 64th bit */
    bad[11] = 0x02;
    is_str(refused(bad, 20), "a varint is over 64 bits",
           "a 10-byte varint over 64 bits");

    bad[11] = 0x01;
    for (len = 12; len < 17; len++) {
        bad[len] = 0;
    }
    is_str(refused(bad, 17), "(accepted)",
           "a 10-byte varint of 64 bits is one");
}


static void
test_sql(void)
{
    ok(sqlite3_open(":memory:", &db) == SQLITE_OK
       && blog_hitpack_register(db) == SQLITE_OK, "functions registered");

    sqlite3_exec(db, "CREATE TABLE v (visit, n, time_ms, status, ref_host,"
                 " ref_path);"
                 "INSERT INTO v VALUES (7, 1, 1000, 200, 0, 0),"
                 " (7, 2, 2000, 304, 3, 4), (9, 1, 1500, 404, 5, 6),"
                 " (-3, 9223372036854775807, -1, 0, 1, 1);"
                 "CREATE TABLE p AS SELECT blog_hits_pack(visit, n, time_ms,"
                 " status, ref_host, ref_path) AS hits FROM"
                 " (SELECT * FROM v ORDER BY rowid);", NULL, NULL, NULL);

    is_int(query_int("SELECT count(*) FROM p, blog_hits(p.hits)"), 4,
           "blog_hits: a row a view");
    is_int(query_int("SELECT count(*) FROM (SELECT visit, n, time_ms,"
                     " status, ref_host, ref_path FROM p, blog_hits(p.hits)"
                     " EXCEPT SELECT * FROM v)"), 0,
           "the rows packed, each as it was");
    is_int(query_int("SELECT group_concat(n) = '1,2,1,9223372036854775807'"
                     " FROM p, blog_hits(p.hits)"), 1,
           "in the order given");
    is_int(query_int("SELECT sum(h.status) FROM p JOIN blog_hits AS h"
                     " ON h.hits = p.hits WHERE h.visit = 7"), 504,
           "joined with ON, filtered");
    is_int(query_int("SELECT count(*) FROM blog_hits(NULL)"), 0,
           "NULL: no view");
    is_int(query_int("SELECT count(*) FROM blog_hits"), 0,
           "no argument: no view");

    is_int(query_int("SELECT blog_hits_pack(visit, n, time_ms, status,"
                     " ref_host, ref_path) FROM v WHERE 0"), -999,
           "blog_hits_pack of no row is NULL");
    is_str(query_error("SELECT blog_hits_pack(visit, n, 'x', status,"
                       " ref_host, ref_path) FROM v"),
           "blog_hits_pack: time_ms is not an integer", "text refused");
    is_str(query_error("SELECT blog_hits_pack(visit, n, time_ms, NULL,"
                       " ref_host, ref_path) FROM v"),
           "blog_hits_pack: status is not an integer", "NULL refused");

    is_str(query_error("SELECT * FROM blog_hits(x'0102000000')"),
           "blog_hits: a corrupt pack of 5 bytes: its count of views does "
           "not fit its bytes", "a corrupt pack is an error, saying why");
    is_str(query_error("SELECT * FROM blog_hits(x'0102ffff010000000000"
                       "0000000000')"),
           "blog_hits: a corrupt pack of 15 bytes: its bytes end within a "
           "view", "one cut within its second view too");
    is_str(query_error("SELECT * FROM blog_hits('text')"),
           "blog_hits: the argument is not a pack (a blob)",
           "text is no pack");

    is_int(query_int("SELECT count(*) FROM p, blog_hits(blog_hits_drop("
                     "p.hits, 7, 2))"), 3, "blog_hits_drop: one view less");
    is_int(query_int("SELECT count(*) FROM p, blog_hits(blog_hits_drop("
                     "p.hits, 7, 2)) WHERE visit = 7 AND n = 2"), 0,
           "that one");
    is_int(query_int("SELECT sum(time_ms) FROM p, blog_hits(blog_hits_drop("
                     "p.hits, 9, 1))"), 2999,
           "the others as they were (deltas written again)");
    is_int(query_int("SELECT blog_hits_drop(p.hits, 8, 1) = p.hits FROM p"),
           1, "a view not there: the same pack");
    is_int(query_int("SELECT blog_hits_drop(blog_hits_pack(1, 1, 1, 200, 0,"
                     " 0), 1, 1)"), -999, "the last view: NULL");
    is_str(query_error("SELECT blog_hits_drop(x'01', 1, 1)"),
           "blog_hits_drop: a corrupt pack of 1 bytes: its count of views is "
           "cut", "a corrupt pack refused");

    sqlite3_close(db);
}


int
main(void)
{
    test_ranges();
    test_corrupt();
    test_sql();

    return tap_done();
}
