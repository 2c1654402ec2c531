/*
 * Unit tests of jr_wal.c (SQLite's WAL format) on a WAL that SQLite itself
 * writes, of a WAL written here that SQLite reads (a replica's, as
 * jr_follow_wal.c writes it), of the replica's object names (jr_bucket.c)
 * and of restore's times (jr_restore_time).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "backup/jr_bucket.h"
#include "backup/jr_restore.h"
#include "backup/jr_wal.h"
#include "tap.h"


static unsigned char *
slurp(const char *path, size_t *len)
{
    FILE           *f;
    long            n;
    unsigned char  *buf;

    f = fopen(path, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
        return NULL;
    }

    rewind(f);
    buf = malloc((size_t) n + 1);

    if (buf && fread(buf, 1, (size_t) n, f) != (size_t) n) {
        free(buf);
        buf = NULL;
    }

    fclose(f);
    *len = (size_t) n;

    return buf;
}


static int
count_commits(const unsigned char *wal, size_t len, long *last_size,
    size_t *bad_at)
{
    int             commits;
    long            rc;
    size_t          off, fs;
    uint32_t        pgno;
    jr_wal_hdr_t    h;
    jr_wal_chain_t  c;

    if (jr_wal_header(wal, len, &h) != 0) {
        return -1;
    }

    jr_wal_chain_init(&c, &h);
    fs = jr_wal_frame_size(&h);
    commits = 0;
    *bad_at = 0;

    for (off = JR_WAL_HDR; off + fs <= len; off += fs) {
        rc = jr_wal_frame(&c, wal + off, &pgno);
        if (rc < 0) {
            *bad_at = off;
            break;
        }

        if (rc > 0) {
            commits++;
            *last_size = rc;
        }
    }

    return commits;
}


static void
test_wal(void)
{
    int             commits, i, pages;
    char            dir[] = "/tmp/jr_wal_XXXXXX", path[64], wal[80];
    long            last;
    size_t          len = 0, bad;
    sqlite3        *db;
    sqlite3_stmt   *st;
    jr_wal_hdr_t    h;
    unsigned char  *buf;

    if (!ok(mkdtemp(dir) != NULL, "a temporary folder")) {
        return;
    }

    snprintf(path, sizeof(path), "%s/t.db", dir);
    snprintf(wal, sizeof(wal), "%s-wal", path);

    /* the connection stays open, so the WAL stays as SQLite wrote it */
    ok(sqlite3_open(path, &db) == SQLITE_OK
       && sqlite3_exec(db, "PRAGMA journal_mode = WAL;"
                       "PRAGMA wal_autocheckpoint = 0;"
                       "CREATE TABLE t (a INTEGER PRIMARY KEY, b BLOB);",
                       NULL, NULL, NULL) == SQLITE_OK,
       "SQLite writes a WAL");

    for (i = 0; i < 5; i++) {
        sqlite3_exec(db, "INSERT INTO t (b) SELECT randomblob(3000) FROM "
                     "(SELECT 1 UNION SELECT 2 UNION SELECT 3)", NULL, NULL,
                     NULL);
    }

    sqlite3_prepare_v2(db, "PRAGMA page_count", -1, &st, NULL);
    sqlite3_step(st);
    pages = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);

    buf = slurp(wal, &len);
    if (!ok(buf != NULL, "the WAL is read")) {
        sqlite3_close(db);
        return;
    }

    is_int(jr_wal_header(buf, len, &h), 0, "its header is valid");
    is_int(h.page_size, 4096, "page size 4096");

    commits = count_commits(buf, len, &last, &bad);
    is_int(commits, 6, "six commits: CREATE TABLE and five inserts");
    is_int(bad, 0, "every frame continues the chain");
    is_int(last, pages, "the last commit's size is PRAGMA page_count");

    /* a flipped byte in a page ends the chain at its frame */
    buf[JR_WAL_HDR + 2 * jr_wal_frame_size(&h) + JR_WAL_FRAME + 100] ^= 1;
    commits = count_commits(buf, len, &last, &bad);
    is_int(bad, JR_WAL_HDR + 2 * jr_wal_frame_size(&h),
           "a damaged page: the chain stops at its frame");
    buf[JR_WAL_HDR + 2 * jr_wal_frame_size(&h) + JR_WAL_FRAME + 100] ^= 1;

    /* another WAL's salt: not a frame of this one */
    buf[JR_WAL_HDR + 8] ^= 0x80;
    commits = count_commits(buf, len, &last, &bad);
    is_int(commits, 0, "a frame with another salt is not taken");
    buf[JR_WAL_HDR + 8] ^= 0x80;

    buf[25] ^= 1;
    is_int(jr_wal_header(buf, len, &h), -1, "a damaged header is refused");
    is_int(jr_wal_header(buf, 31, &h), -1, "a short one too");

    free(buf);
    sqlite3_close(db);
    unlink(wal);
    snprintf(wal, sizeof(wal), "%s-shm", path);
    unlink(wal);
    unlink(path);
    rmdir(dir);
}


static int
count_rows(const char *path, const char *sql)
{
    int            n;
    sqlite3       *db;
    sqlite3_stmt  *st;

    n = -1;

    if (sqlite3_open(path, &db) == SQLITE_OK
        && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK)
    {
        if (sqlite3_step(st) == SQLITE_ROW) {
            n = sqlite3_column_int(st, 0);
        }

        sqlite3_finalize(st);
    }

    sqlite3_close(db);

    return n;
}


/*
 * SQLite's frames of one database, re-encoded (a header and salts of our
 * own, checksums computed here) into the WAL of a copy made before them:
 * SQLite recovers the copy's WAL and sees every row.
 */
static void
test_own_wal(void)
{
    long            commit;
    char            dir[] = "/tmp/jr_wal_XXXXXX", a[64], b[64], wa[80], wb[80];
    char            cmd[256];
    size_t          len = 0, fs, off, out_len;
    uint32_t        pgno;
    sqlite3        *db;
    jr_wal_hdr_t    h, own;
    jr_wal_chain_t  in, out;
    unsigned char  *buf, *wal;
    FILE           *f;

    if (!ok(mkdtemp(dir) != NULL, "a temporary folder")) {
        return;
    }

    snprintf(a, sizeof(a), "%s/a.db", dir);
    snprintf(b, sizeof(b), "%s/b.db", dir);
    snprintf(wa, sizeof(wa), "%s-wal", a);
    snprintf(wb, sizeof(wb), "%s-wal", b);

    ok(sqlite3_open(a, &db) == SQLITE_OK
       && sqlite3_exec(db, "PRAGMA journal_mode = WAL;"
                       "PRAGMA wal_autocheckpoint = 0;"
                       "CREATE TABLE t (a INTEGER PRIMARY KEY, b BLOB);"
                       "PRAGMA wal_checkpoint(TRUNCATE);",
                       NULL, NULL, NULL) == SQLITE_OK,
       "a database in WAL mode, its WAL checkpointed");

    snprintf(cmd, sizeof(cmd), "cp %s %s", a, b);
    ok(system(cmd) == 0, "a copy of its file");

    sqlite3_exec(db, "INSERT INTO t (b) SELECT randomblob(5000) FROM "
                 "(SELECT 1 UNION SELECT 2 UNION SELECT 3);"
                 "INSERT INTO t (b) VALUES ('x');"
                 "DELETE FROM t WHERE a = 2;", NULL, NULL, NULL);

    buf = slurp(wa, &len);
    if (!ok(buf != NULL && jr_wal_header(buf, len, &h) == 0,
            "SQLite's WAL of three transactions"))
    {
        free(buf);
        sqlite3_close(db);
        return;
    }

    memset(&own, 0, sizeof(own));
    own.page_size = h.page_size;
    own.seq = 7;
    own.salt1 = 0x12345678;
    own.salt2 = 0x9abcdef0;

    wal = malloc(len);
    jr_wal_header_make(wal, &own);
    ok(jr_wal_header(wal, JR_WAL_HDR, &own) == 0, "our header is valid");

    jr_wal_chain_init(&in, &h);
    jr_wal_chain_init(&out, &own);
    fs = jr_wal_frame_size(&h);
    out_len = JR_WAL_HDR;

    for (off = JR_WAL_HDR; off + fs <= len; off += fs) {
        commit = jr_wal_frame(&in, buf + off, &pgno);
        if (commit < 0) {
            break;
        }

        memcpy(wal + out_len + JR_WAL_FRAME, buf + off + JR_WAL_FRAME,
               h.page_size);
        jr_wal_frame_make(&out, wal + out_len, pgno, (uint32_t) commit);
        out_len += fs;
    }

    f = fopen(wb, "wb");
    ok(f && fwrite(wal, 1, out_len, f) == out_len && fclose(f) == 0,
       "the frames re-encoded into the copy's WAL");

    is_int(count_rows(b, "SELECT count(*) FROM t"), 3,
           "SQLite recovers our WAL: every transaction");
    is_int(count_rows(b, "SELECT count(*) FROM t WHERE a = 2"), 0,
           "the delete too");

    free(buf);
    free(wal);
    sqlite3_close(db);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    (void) system(cmd);
}


static void
test_names(void)
{
    char               gen[JR_BUCKET_GEN_LEN + 1], key[256], file[64];
    jr_bucket_name_t  n;

    ok(jr_bucket_gen(gen, 1777636800123ULL) == 0
       && strncmp(gen, "20260501T120000Z-", 17) == 0
       && strlen(gen) == JR_BUCKET_GEN_LEN, "generation name %s", gen);

    jr_bucket_segment_name(file, sizeof(file), 3, 0x1234, 1777636800123ULL);
    is_str(file, "00000003-000000001234-1777636800123.wal", "segment name");

    snprintf(key, sizeof(key), "blog/data.db/%s/wal/%s", gen, file);
    ok(jr_bucket_parse("blog/data.db", key, &n) == 0
       && n.kind == JR_BUCKET_SEGMENT && n.index == 3 && n.offset == 0x1234
       && n.ms == 1777636800123ULL && strcmp(n.gen, gen) == 0,
       "a segment's key parsed back");

    snprintf(key, sizeof(key), "blog/data.db/%s/snapshots/0000000a-"
             "1777636800000.db", gen);
    ok(jr_bucket_parse("blog/data.db", key, &n) == 0
       && n.kind == JR_BUCKET_SNAPSHOT && n.index == 10
       && n.ms == 1777636800000ULL, "a snapshot's key");

    snprintf(key, sizeof(key), "blog/data.db/%s/snapshots/0000000a-"
             "1777636800000-0000000c-0000000000ff-1777636801000.ok", gen);
    ok(jr_bucket_parse("blog/data.db", key, &n) == 0
       && n.kind == JR_BUCKET_SNAPSHOT_OK && n.bound_index == 12
       && n.bound_offset == 255 && n.done_ms == 1777636801000ULL,
       "a snapshot's .ok with its bound");

    snprintf(key, sizeof(key), "blog/data.dbx/%s/wal/%s", gen, file);
    is_int(jr_bucket_parse("blog/data.db", key, &n), -1,
           "another prefix is not ours");
    is_int(jr_bucket_parse("blog/data.db", "blog/data.db/notes.txt", &n), -1,
           "a stray object is not ours");
    is_int(jr_bucket_parse("blog/data.db", "blog/data.db/20260501T120000Z-"
                            "zzzzzzzz/wal/x", &n), -1,
           "a bad generation is not ours");
    snprintf(key, sizeof(key), "blog/data.db/%s/wal/00000003-00000000123-"
             "1777636800123.wal", gen);
    is_int(jr_bucket_parse("blog/data.db", key, &n), -1,
           "a short field is not ours");
}


static void
test_times(void)
{
    uint64_t  ms;

    ok(jr_restore_time("2026-05-01T12:00:00Z", &ms) == 0
       && ms == 1777636800000ULL, "ISO 8601 UTC");
    ok(jr_restore_time("2026-05-01T12:00:00.25Z", &ms) == 0
       && ms == 1777636800250ULL, "with a fraction");
    ok(jr_restore_time("1777636800", &ms) == 0 && ms == 1777636800000ULL,
       "Unix seconds");
    ok(jr_restore_time("1777636800.123456", &ms) == 0
       && ms == 1777636800123ULL, "Unix seconds with a fraction");
    is_int(jr_restore_time("2026-05-01T12:00:00", &ms), -1,
           "no zone: refused");
    is_int(jr_restore_time("2026-05-01 12:00", &ms), -1, "a short one");
    is_int(jr_restore_time("yesterday", &ms), -1, "words");
    is_int(jr_restore_time("12x", &ms), -1, "trailing garbage");
}


int
main(void)
{
    test_wal();
    test_own_wal();
    test_names();
    test_times();

    return tap_done();
}
