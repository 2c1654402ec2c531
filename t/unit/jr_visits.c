/*
 * Unit tests of the visits (jobrunner/events/jr_visits.c) on an
 * in-memory analytics.db: views join a visit within the gap and start
 * one after it; a batch that is discarded and added again writes what it
 * would have written the first time; a batch committed is built on by the
 * next (an update, not a second visit); the CSS beacon's human mark;
 * strings kept while a view uses them, deleted after (with the rollup's
 * retention); views written as packs, a day and page's each, and
 * those a jobrunner before them left staged; sources and channels.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "tap.h"

#include "blog_analytics_schema.h"
#include "blog_event.h"
#include "blog_hitpack.h"
#include "events/jr_rollup.h"
#include "events/jr_source.h"
#include "events/jr_useragent.h"
#include "events/jr_visits.h"


#define T0      (20000ULL * 86400000ULL + 3600000ULL)     /* 01:00 UTC */
#define MINUTE  60000ULL
#define GAP     1800
#define DAY     86400000ULL


static sqlite3  *db;


static int
hash(void *data, int64_t day, const char *visitor, size_t len,
    int64_t *out)
{
    (void) data;

    /* the test's own: any stable value serves */
    *out = day * 1000 + (int64_t) len + (unsigned char) visitor[4];

    return 0;
}


static void
view(jr_visits_t *v, uint64_t key, uint64_t ms, const char *path,
    const char *ref)
{
    char              who[24];
    jr_ua_t           ua;
    blog_event_t      ev;
    jr_visits_view_t  vw;

    memset(&ev, 0, sizeof(ev));
    ev.time_ms = ms;
    ev.status = 200;
    ev.field[BLOG_EVENT_PATH].data = path;
    ev.field[BLOG_EVENT_PATH].len = strlen(path);
    ev.field[BLOG_EVENT_REFERRER].data = ref;
    ev.field[BLOG_EVENT_REFERRER].len = strlen(ref);

    memset(who, 0, sizeof(who));
    who[4] = (char) key;
    jr_ua_classify("Firefox/120.0", 13, &ua);

    vw.key = key;
    vw.ev = &ev;
    vw.visitor = who;
    vw.vlen = sizeof(who);
    vw.country = "--";
    vw.region = "";
    vw.ua = &ua;

    ok(jr_visits_add(v, &vw) == 0, "view of %s at +%llu min", path,
       (unsigned long long) ((ms - T0) / MINUTE));
}


static int
write_batch(jr_visits_t *v)
{
    int  rc;

    rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK
         && jr_visits_write(v, hash, NULL, 1) == 0
         && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;

    if (rc) {
        jr_visits_commit(v);
    }

    return rc;
}


/* A batch written, then rolled back as a failed commit is. */
static int
write_rolled_back(jr_visits_t *v)
{
    return sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK
           && jr_visits_write(v, hash, NULL, 1) == 0
           && sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK;
}


static const char *
query(const char *sql)
{
    static char    out[1024];
    size_t         n;
    sqlite3_stmt  *stmt;

    out[0] = '\0';
    n = 0;

    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        snprintf(out, sizeof(out), "error: %s", sqlite3_errmsg(db));
        return out;
    }

    while (sqlite3_step(stmt) == SQLITE_ROW && n < sizeof(out) - 1) {
        n += snprintf(out + n, sizeof(out) - n, "%s%s", n ? ";" : "",
                      (const char *) sqlite3_column_text(stmt, 0));
    }

    sqlite3_finalize(stmt);

    return out;
}


static void
test_visits(void)
{
    jr_visits_t  *v;

    v = jr_visits_open(db, GAP);
    ok(v != NULL, "opened");

    /* a batch that fails: discarded, then read again */
    view(v, 1, T0, "/a", "news.ycombinator.com");
    view(v, 1, T0 + 10 * MINUTE, "/b", "");
    view(v, 2, T0, "/a", "");
    jr_visits_discard(v);
    is_str(query("SELECT count(*) FROM analytics_visits"), "0",
           "a discarded batch wrote nothing");

    view(v, 1, T0, "/a", "news.ycombinator.com");
    view(v, 1, T0 + 10 * MINUTE, "/b", "");
    view(v, 2, T0, "/a", "");
    ok(write_batch(v), "the batch read again is written");

    /* the next batch: visitor 1 goes on, then comes back after the gap */
    view(v, 1, T0 + 20 * MINUTE, "/c", "");
    view(v, 1, T0 + 80 * MINUTE, "/a", "");
    jr_visits_discard(v);
    view(v, 1, T0 + 20 * MINUTE, "/c", "");
    view(v, 1, T0 + 80 * MINUTE, "/a", "");
    ok(write_batch(v), "the next batch, after a discard of it");

    is_str(query("SELECT views || ' ' || entry || ' ' || exit || ' '"
                 " || ((end_ms - start_ms) / 60000) || ' ' || source || ' '"
                 " || channel FROM analytics_visits ORDER BY id"),
           "3 /a /c 20 Hacker News social;1 /a /a 0  direct;"
           "1 /a /a 0  direct",
           "visits: one went on over two batches, one after the gap");
    is_str(query("SELECT count(*) FROM analytics_views"), "5",
           "5 views, none twice");
    is_str(query("SELECT count(*) FROM analytics_visits AS v WHERE views <>"
                 " (SELECT count(*) FROM analytics_views WHERE visit = v.id)"),
           "0", "each visit's views are its rows of views");

    /*
     * a write rolled back and done again (jr_analytics.c retries a batch
     * whose commit failed): the strings it added went with the rollback,
     * the cache must not keep their ids
     */
    view(v, 3, T0 + 90 * MINUTE, "/fresh", "new.example");
    ok(write_rolled_back(v), "a write rolled back");
    ok(write_batch(v), "and done again");
    is_str(query("SELECT path || ' ' || ref_host FROM analytics_views"
                 " WHERE visit = (SELECT max(id) FROM analytics_visits)"),
           "/fresh new.example", "its view's strings are there");

    /*
     * a visit's row brought up to date binds its entry and exit pages
     * from the strings' cache; one the cache no longer holds (emptied by
     * a rollback) is read from analytics_strings by its id
     */
    view(v, 4, T0 + 100 * MINUTE, "/e1", "");
    view(v, 4, T0 + 101 * MINUTE, "/e2", "");
    ok(write_batch(v), "a visit of two views");
    view(v, 4, T0 + 102 * MINUTE, "/e3", "");
    ok(write_batch(v), "and a third, its row updated from the cache");
    is_str(query("SELECT views || ' ' || entry || ' ' || exit"
                 " FROM analytics_visits WHERE visitor = (SELECT visitor"
                 " FROM analytics_visits WHERE entry = '/e1')"),
           "3 /e1 /e3", "entry and exit bound as text");

    view(v, 4, T0 + 103 * MINUTE, "/e4", "");
    ok(write_rolled_back(v), "a fourth view's write rolled back");
    ok(write_batch(v), "and done again, the cache emptied first");
    is_str(query("SELECT views || ' ' || entry || ' ' || exit"
                 " FROM analytics_visits WHERE entry = '/e1'"),
           "4 /e1 /e4", "an entry page no longer cached found by its id");

    jr_visits_close(v);

    /* a killed jobrunner left a visit's row behind its views: repaired */
    {
        char  sql[512];

        snprintf(sql, sizeof(sql),
                 "INSERT INTO analytics_visits (id, day, visitor, start_ms,"
                 " end_ms, views, entry, exit) VALUES (100, %lld, 7, %lld,"
                 " %lld, 1, '/x', '/x');"
                 " INSERT INTO analytics_views (visit, day, time_ms, path,"
                 " status) VALUES (100, %lld, %lld, '/x', 200),"
                 " (100, %lld, %lld, '/y', 200), (100, %lld, %lld, '/z', 200)",
                 (long long) (time(NULL) / 86400),
                 (long long) time(NULL) * 1000,
                 (long long) time(NULL) * 1000,
                 (long long) (time(NULL) / 86400),
                 (long long) time(NULL) * 1000,
                 (long long) (time(NULL) / 86400),
                 (long long) time(NULL) * 1000 + 60000,
                 (long long) (time(NULL) / 86400),
                 (long long) time(NULL) * 1000 + 30000);
        ok(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK,
           "a visit row behind its views");
    }

    v = jr_visits_open(db, GAP);
    ok(v != NULL, "opened again");
    is_str(query("SELECT views || ' ' || entry || ' ' || exit || ' '"
                 " || ((end_ms - start_ms) / 1000) FROM analytics_visits"
                 " WHERE id = 100"),
           "3 /x /y 60", "brought up to date from its views at start");
    jr_visits_close(v);
}


/*
 * The CSS beacon: it marks the visitor's open visit, in the batch that
 * starts it or a later one (an UPDATE), undone with a discarded batch; a
 * beacon read before its page's view marks the visit that view starts,
 * one from before the visit's start does not; past the cap the address's
 * key finds the visit.
 */
static void
test_beacon(void)
{
    uint64_t      t1;
    jr_visits_t  *v;

    t1 = T0 + 300 * MINUTE;
    v = jr_visits_open(db, GAP);
    ok(v != NULL, "opened again");

    /* the page and its beacon in one batch, discarded, then again */
    view(v, 11, t1, "/h1", "");
    ok(jr_visits_beacon(v, t1 + 1000, 11, 99) == 0, "a beacon");
    jr_visits_discard(v);
    view(v, 11, t1, "/h1", "");
    ok(jr_visits_beacon(v, t1 + 1000, 11, 99) == 0, "... read again");
    ok(write_batch(v), "written");

    /* the page, then its beacon in a later batch */
    view(v, 12, t1, "/h2", "");
    ok(write_batch(v), "a visit without a beacon");
    is_str(query("SELECT human FROM analytics_visits WHERE entry = '/h2'"),
           "0", "... is no human's");
    ok(jr_visits_beacon(v, t1 + 2 * MINUTE, 12, 99) == 0, "its beacon");
    jr_visits_discard(v);
    ok(write_batch(v), "discarded, an empty batch");
    is_str(query("SELECT human FROM analytics_visits WHERE entry = '/h2'"),
           "0", "... leaves it as it was");
    ok(jr_visits_beacon(v, t1 + 2 * MINUTE, 12, 99) == 0, "read again");
    ok(write_batch(v), "written");

    /* a beacon before its page's view; one from before the page */
    ok(jr_visits_beacon(v, t1 + 1000, 13, 99) == 0, "a beacon first");
    view(v, 13, t1, "/h3", "");
    ok(jr_visits_beacon(v, t1, 14, 99) == 0, "a beacon of an earlier page");
    view(v, 14, t1 + MINUTE, "/h4", "");

    /* past visitors_per_address the views' key is the address's */
    view(v, 15, t1, "/h5", "");
    ok(jr_visits_beacon(v, t1 + 1000, 16, 15) == 0,
       "a beacon of a visitor past the cap");
    ok(write_batch(v), "written");

    is_str(query("SELECT entry || ':' || human FROM analytics_visits"
                 " WHERE entry LIKE '/h%' ORDER BY id"),
           "/h1:1;/h2:1;/h3:1;/h4:0;/h5:1",
           "human: with the page, later, first, not before, by the address");
    is_str(query("SELECT count(*) FROM analytics_views"
                 " WHERE path LIKE '/h%'"), "5", "beacons make no view");

    jr_visits_close(v);
}


/*
 * analytics.db migration 6: a string's last_day is its last view's day,
 * touched by the first view of a later day (cached or not); the retention
 * deletes the strings no view left uses, those of days it keeps or has
 * not rolled up stay; a string deleted while cached comes back.
 */
static void
test_strings(void)
{
    int           steps;
    char          sql[256];
    uint64_t      t1;
    jr_visits_t  *v;
    jr_rollup_t  *r;

    t1 = T0 + 600 * MINUTE;             /* 11:00 of day 20000 */
    v = jr_visits_open(db, GAP);
    ok(v != NULL, "opened again");

    view(v, 31, t1, "/old-only", "old.example");
    view(v, 32, t1, "/kept", "");
    ok(write_batch(v), "views of day 20000");
    view(v, 33, t1 + 4 * DAY, "/kept", "new.example");
    ok(write_batch(v), "a view of day 20004, its path cached");

    is_str(query("SELECT value || ':' || last_day FROM analytics_strings"
                 " WHERE value IN ('/old-only', 'old.example', '/kept',"
                 " 'new.example') ORDER BY value"),
           "/kept:20004;/old-only:20000;new.example:20004;old.example:20000",
           "last_day: the last day a view used the string");

    /* a tool's row of a day never rolled up (no visit): its strings stay */
    ok(sqlite3_exec(db, "INSERT INTO analytics_views (visit, day, time_ms,"
                    " path, status, ref_host) VALUES (999, 20001,"
                    " 1728000000000, '/orphan', 200, 'tool.example')",
                    NULL, NULL, NULL) == SQLITE_OK,
       "a row through analytics_views");
    is_str(query("SELECT group_concat(last_day) FROM analytics_strings"
                 " WHERE value IN ('/orphan', 'tool.example')"),
           "20001,20001", "... sets its strings' last_day");

    /* raw_days 3 at day 20005: day 20000 goes */
    r = jr_rollup_open(db, GAP, 3);
    ok(r != NULL, "rollup opened");

    for (steps = 0; r && steps < 1000; steps++) {
        if (jr_rollup_step(r, (int64_t) ((20005 * DAY) + 12 * 60 * MINUTE))
            != 1)
        {
            break;
        }
    }

    jr_rollup_close(r);

    is_str(query("SELECT count(*) FROM analytics_hits WHERE day = 20000"),
           "0", "day 20000's views are deleted");
    is_str(query("SELECT group_concat(value) FROM (SELECT value FROM"
                 " analytics_strings WHERE value IN ('/old-only',"
                 " 'old.example', '/a', '/b', '/kept', 'new.example',"
                 " '/orphan', 'tool.example', '') ORDER BY value)"),
           ",/kept,/orphan,new.example,tool.example",
           "its strings with them; those used since, '' and a day not"
           " rolled up's stay");
    is_str(query("SELECT count(*) FROM analytics_strings AS s WHERE id <> 0"
                 " AND NOT EXISTS (SELECT 1 FROM analytics_hits WHERE"
                 " path = s.id OR ref_host = s.id OR ref_path = s.id)"),
           "0", "no string is left that no view uses");
    is_str(query("SELECT count(*) FROM analytics_hits AS h WHERE NOT EXISTS"
                 " (SELECT 1 FROM analytics_strings WHERE id = h.path)"
                 " OR NOT EXISTS (SELECT 1 FROM analytics_strings"
                 " WHERE id = h.ref_host) OR NOT EXISTS (SELECT 1 FROM"
                 " analytics_strings WHERE id = h.ref_path)"),
           "0", "no view lost a string");

    /* the cache still has the deleted ids: found gone, added again */
    view(v, 34, t1 + 5 * DAY, "/old-only", "old.example");
    ok(write_batch(v), "a view of day 20005 of strings deleted");
    snprintf(sql, sizeof(sql), "SELECT path || ' ' || ref_host || ' '"
             " || (SELECT last_day FROM analytics_strings WHERE value = path)"
             " FROM analytics_views WHERE day = 20005");
    is_str(query(sql), "/old-only old.example 20005",
           "... reads its strings again");
    is_str(query("SELECT e.entry FROM analytics_visits AS e"
                 " WHERE e.day = 20005"), "/old-only", "its visit's entry");

    jr_visits_close(v);
}


/* A pack of migration 8's staged views: 8 varints a view, as hex. */
static const char *
old_pack(const int64_t *col, size_t n)
{
    size_t         i, len;
    uint64_t       x;
    static char    hex[512];

    len = 0;

    for (i = 0; i < n; i++) {
        for (x = (uint64_t) col[i]; ; x >>= 7) {
            len += snprintf(hex + len, sizeof(hex) - len, "%02x",
                            (unsigned) ((x & 0x7f) | (x >= 0x80 ? 0x80 : 0)));
            if (x < 0x80) {
                break;
            }
        }
    }

    return hex;
}


/*
 * analytics.db migration 10: a batch writes its views as a pack per day
 * and page, sorted by visit and n, seq the next of that day and page's;
 * one rolled back leaves the packs as they were; a day rolled up and
 * given a late view is to be summed again.  Views a jobrunner before
 * migration 10 left staged (migration 8's analytics_hits_packs) are
 * packed at the next start; a corrupt one is counted and moved aside
 * (migration 9), one already counted skipped.
 */
static void
test_packs(void)
{
    int64_t       path, col[8];
    uint64_t      t1;
    jr_visits_t  *v;
    static char   sql[1024];

    t1 = T0 + 6 * DAY;                  /* 01:00 of day 20006 */
    v = jr_visits_open(db, GAP);
    ok(v != NULL, "opened again");

    view(v, 42, t1, "/s1", "");
    view(v, 41, t1, "/s1", "");
    view(v, 41, t1 + MINUTE, "/s2", "");
    view(v, 41, t1 + 2 * MINUTE, "/s1", "");
    ok(write_batch(v), "a batch");
    is_str(query("SELECT group_concat(s.value || ':' || p.seq || ':'"
                 " || p.views, ' ') FROM analytics_hit_packs AS p"
                 " JOIN analytics_strings AS s ON s.id = p.path"
                 " WHERE p.day = 20006"),
           "/s1:0:3 /s2:0:1", "a pack per page");
    is_str(query("SELECT group_concat(h.visit || '.' || h.n, ' ')"
                 " FROM analytics_hit_packs AS p, blog_hits(p.hits) AS h"
                 " WHERE p.day = 20006 AND p.seq = 0 AND p.path = (SELECT id"
                 " FROM analytics_strings WHERE value = '/s1')"),
           query("SELECT group_concat(visit || '.' || n, ' ') FROM (SELECT"
                 " visit, n FROM analytics_views WHERE path = '/s1'"
                 " AND day = 20006 ORDER BY visit, n)"),
           "... its views by visit and n");
    is_str(query("SELECT count(*) FROM analytics_visits WHERE day = 20006"),
           "2", "the visits are written");

    view(v, 41, t1 + 3 * MINUTE, "/s3", "");
    ok(write_rolled_back(v), "a batch rolled back");
    jr_visits_discard(v);
    is_str(query("SELECT count(*) FROM analytics_hit_packs"
                 " WHERE day = 20006"), "2",
           "... leaves the packs as they were");

    view(v, 41, t1 + 3 * MINUTE, "/s3", "");
    ok(write_batch(v), "read again");
    ok(sqlite3_exec(db, "INSERT INTO analytics_rolled (day) VALUES (20006)",
                    NULL, NULL, NULL) == SQLITE_OK,
       "the day marked rolled up meanwhile");

    view(v, 43, t1 + 4 * MINUTE, "/s1", "");
    ok(write_batch(v), "a late view of it");
    is_str(query("SELECT group_concat(seq || ':' || views, ' ')"
                 " FROM analytics_hit_packs WHERE day = 20006 AND path ="
                 " (SELECT id FROM analytics_strings WHERE value = '/s1')"),
           "0:3 1:1", "... a pack after the page's others");
    is_str(query("SELECT group_concat(path || ':' || n, ' ') FROM (SELECT"
                 " path, n FROM analytics_views WHERE day = 20006"
                 " ORDER BY time_ms, path)"),
           "/s1:1 /s1:1 /s2:2 /s1:3 /s3:4 /s1:1",
           "every view once, with its number");
    is_str(query("SELECT count(*) FROM analytics_rolled WHERE day = 20006"),
           "0", "the day is to be summed again");
    is_str(query("SELECT group_concat(views || ' ' || entry || ' ' || exit,"
                 " ';') FROM (SELECT * FROM analytics_visits"
                 " WHERE day = 20006 ORDER BY id)"),
           "1 /s1 /s1;4 /s1 /s3;1 /s1 /s1", "the visits' rows");
    jr_visits_close(v);

    /*
     * migration 8's staged packs a killed jobrunner left: two good ones
     * and one cut short, of day 20007 (rolled up meanwhile): the good
     * ones' views are packed, the bad one moved aside
     */
    path = strtoll(query("SELECT id FROM analytics_strings"
                         " WHERE value = '/s1'"), NULL, 10);
    col[0] = 20007;
    col[1] = path;
    col[2] = 900;
    col[3] = 1;
    col[4] = (int64_t) (t1 + DAY);
    col[5] = 200;
    col[6] = 0;
    col[7] = 0;
    snprintf(sql, sizeof(sql), "INSERT INTO analytics_hits_packs (views,"
             " hits) VALUES (1, x'%s');", old_pack(col, 8));
    col[3] = 2;
    col[4] += 1000;
    snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql),
             "INSERT INTO analytics_hits_packs (views, hits) VALUES"
             " (1, x'%s'), (2, x'000102030405060708090a0b0c0d0e8f');"
             "INSERT INTO analytics_rolled (day) VALUES (20007)",
             old_pack(col, 8));
    ok(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK,
       "three packs left staged, the last cut short");

    v = jr_visits_open(db, GAP);
    ok(v != NULL, "... the jobrunner opens");
    ok(v != NULL && jr_visits_bad_packs(v) == 1, "... counts one bad pack");
    is_str(query("SELECT count(*) FROM analytics_hits_packs"), "0",
           "... none left staged");
    is_str(query("SELECT views || ' ' || hex(hits) || ' ' || reason"
                 " FROM analytics_hits_packs_bad"),
           "2 000102030405060708090A0B0C0D0E8F its bytes end within a view",
           "... the bad one moved aside, with why");
    is_str(query("SELECT group_concat(seq || ':' || views, ' ')"
                 " FROM analytics_hit_packs WHERE day = 20007"),
           "0:2", "... the good ones' views in one pack");
    is_str(query("SELECT group_concat(path || ':' || visit || ':' || n"
                 " || ':' || time_ms, ' ') FROM analytics_views"
                 " WHERE day = 20007"),
           "/s1:900:1:1728608400000 /s1:900:2:1728608401000",
           "... as they were staged");
    is_str(query("SELECT count(*) FROM analytics_rolled WHERE day = 20007"),
           "0", "... their day to be summed again");
    jr_visits_close(v);

    /* the other ways a pack is not one the jobrunner wrote */
    ok(sqlite3_exec(db, "DELETE FROM analytics_hits_packs_bad;"
                    "INSERT INTO analytics_hits_packs (views, hits) VALUES"
                    " (0, x'0001020304050607'),"
                    " (1, x'000102030405060708'),"
                    " (1, x'00010203040506ffffffffffffffffffff7f'),"
                    " (1, x'00010203040506ffffffffffffffffff01')",
                    NULL, NULL, NULL) == SQLITE_OK, "four more bad packs");
    v = jr_visits_open(db, GAP);
    ok(v != NULL && jr_visits_bad_packs(v) == 4, "... opens, counts four");
    is_str(query("SELECT group_concat(reason, '; ') FROM (SELECT reason"
                 " FROM analytics_hits_packs_bad ORDER BY id)"),
           "its count of views does not fit its bytes; bytes follow its last"
           " view; a varint is longer than 10 bytes; a column is over"
           " 2^63 - 1", "... each with why");
    is_str(query("SELECT count(*) FROM analytics_hits_packs"), "0",
           "... none left staged");
    jr_visits_close(v);

    /*
     * packs of today that do not decode, or not into as many views as
     * they say: moved aside at start, which reads today's views
     */
    snprintf(sql, sizeof(sql), "DELETE FROM analytics_hits_packs_bad;"
             "INSERT INTO analytics_hit_packs (day, path, seq, views, hits)"
             " VALUES (%lld, 1, 0, 1, x'0101020304'),"
             " (%lld, 1, 1, 2, (SELECT blog_hits_pack(1, 1, 1, 200, 0, 0))),"
             " (%lld, 1, 2, 1, (SELECT blog_hits_pack(1, 2, 1, 200, 0, 0)))",
             (long long) (time(NULL) / 86400),
             (long long) (time(NULL) / 86400),
             (long long) (time(NULL) / 86400));
    ok(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK,
       "two corrupt packs of today and a good one");
    ok(sqlite3_exec(db, "SELECT count(*) FROM analytics_hits"
                    " WHERE path = 1", NULL, NULL, NULL) != SQLITE_OK
       && strcmp(sqlite3_errmsg(db), "blog_hits: a corrupt pack of 5 bytes:"
                 " its count of views does not fit its bytes") == 0,
       "... which fail a read of the day");
    v = jr_visits_open(db, GAP);
    ok(v != NULL && jr_visits_bad_packs(v) == 2,
       "... the jobrunner opens, counts two");
    is_str(query("SELECT group_concat(pack || ' ' || (day > 20000) || ' '"
                 " || path || ' ' || reason, '; ') FROM (SELECT *"
                 " FROM analytics_hits_packs_bad ORDER BY pack)"),
           "0 1 1 its count of views does not fit its bytes; 1 1 1 its views"
           " are not as many as its views column says",
           "... moved aside with their key and why");
    is_str(query("SELECT group_concat(n) FROM analytics_hits"
                 " WHERE path = 1"), "2", "... the good one stays");
    jr_visits_close(v);
    ok(sqlite3_exec(db, "DELETE FROM analytics_hit_packs WHERE path = 1",
                    NULL, NULL, NULL) == SQLITE_OK, "(gone)");

    /* a staged pack that decodes, of a view counted already: skipped */
    col[3] = 1;
    col[4] -= 1000;
    snprintf(sql, sizeof(sql), "INSERT INTO analytics_hits_packs (views,"
             " hits) VALUES (1, x'%s')", old_pack(col, 8));
    ok(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK,
       "a pack counted already, again");
    v = jr_visits_open(db, GAP);
    ok(v != NULL, "... the jobrunner opens");
    is_str(query("SELECT count(*) FROM analytics_views WHERE day = 20007"),
           "2", "... its view is not counted twice");
    is_str(query("SELECT count(*) FROM analytics_hits_packs"), "0",
           "... none left staged");
    jr_visits_close(v);
}


/* Migration 7 on a file of version 6 with views: they stay as they were. */
static void
test_migration7(void)
{
    int           i, rc;
    sqlite3      *old;
    const char   *sum;
    sqlite3      *keep;
    static char   before[1024];

    rc = sqlite3_open(":memory:", &old) == SQLITE_OK;

    for (i = 0; rc && i < 6; i++) {
        rc = sqlite3_exec(old, blog_analytics_schema.migrations[i], NULL,
                          NULL, NULL) == SQLITE_OK;
    }

    ok(rc && sqlite3_exec(old, "INSERT INTO analytics_views (visit, day,"
                          " time_ms, path, status, ref_host) VALUES"
                          " (1, 20000, 1728000000000, '/m', 200, 'r.example'),"
                          " (1, 20000, 1728000001000, '/n', 404, '')",
                          NULL, NULL, NULL) == SQLITE_OK,
       "a file of version 6 with views");

    /* query() reads the global handle */
    keep = db;
    db = old;
    sum = "SELECT group_concat(day || path || visit || n || time_ms || status"
          " || ref_host || ref_path, ' ') FROM analytics_hits";
    snprintf(before, sizeof(before), "%s", query(sum));

    ok(sqlite3_exec(old, blog_analytics_schema.migrations[6], NULL, NULL,
                    NULL) == SQLITE_OK, "migration 7");
    is_str(query(sum), before, "the views' rows are as they were");
    is_str(query("SELECT count(*) FROM analytics_hits_staged"), "0",
           "none staged");

    db = keep;
    sqlite3_close(old);
}


/*
 * Migration 8 on a file of version 7 whose jobrunner was killed with
 * views staged: they are moved into analytics_hits, rows before = rows
 * after, and the day they belong to is to be summed again.
 */
static void
test_migration8(void)
{
    int           i, rc;
    sqlite3      *old;
    const char   *all;
    sqlite3      *keep;
    static char   before[1024];

    rc = sqlite3_open(":memory:", &old) == SQLITE_OK;

    for (i = 0; rc && i < 7; i++) {
        rc = sqlite3_exec(old, blog_analytics_schema.migrations[i], NULL,
                          NULL, NULL) == SQLITE_OK;
    }

    ok(rc && sqlite3_exec(old, "INSERT INTO analytics_views (visit, day,"
                          " time_ms, path, status, ref_host) VALUES"
                          " (1, 20000, 1728000000000, '/m', 200, 'r.example');"
                          "INSERT INTO analytics_hits_staged (day, path, visit,"
                          " n, time_ms, status, ref_host, ref_path) SELECT"
                          " day, path, visit, 2, time_ms + 1000, 304,"
                          " ref_host, ref_path FROM analytics_hits;"
                          "INSERT INTO analytics_hits_staged (day, path, visit,"
                          " n, time_ms, status, ref_host, ref_path) SELECT"
                          " day, path, 2, 1, time_ms + 2000, 200, 0, 0"
                          " FROM analytics_hits WHERE n = 1;"
                          "INSERT INTO analytics_rolled (day) VALUES (20000)",
                          NULL, NULL, NULL) == SQLITE_OK,
       "a file of version 7 with views, two of them staged");

    keep = db;
    db = old;
    all = "SELECT group_concat(r, ' ') FROM (SELECT day || path || visit"
          " || n || time_ms || status || ref_host || ref_path AS r FROM %s"
          " ORDER BY r)";
    snprintf(before, sizeof(before), all,
             "(SELECT * FROM analytics_hits"
             " UNION ALL SELECT * FROM analytics_hits_staged)");
    snprintf(before, sizeof(before), "%s", query(before));

    ok(sqlite3_exec(old, blog_analytics_schema.migrations[7], NULL, NULL,
                    NULL) == SQLITE_OK, "migration 8");
    is_str(query("SELECT count(*) FROM analytics_hits"), "3",
           "the staged views are in analytics_hits");
    is_str(query("SELECT group_concat(r, ' ') FROM (SELECT day || path"
                 " || visit || n || time_ms || status || ref_host || ref_path"
                 " AS r FROM analytics_hits ORDER BY r)"), before,
           "... row for row");
    is_str(query("SELECT group_concat(path || ':' || visit || ':' || n, ' ')"
                 " FROM analytics_views ORDER BY time_ms"),
           "/m:1:1 /m:1:2 /m:2:1", "... as the readers see them");
    is_str(query("SELECT count(*) FROM analytics_rolled"), "0",
           "their day is to be summed again");
    is_str(query("SELECT count(*) FROM sqlite_schema"
                 " WHERE name = 'analytics_hits_staged'"), "0",
           "migration 7's table is gone");
    is_str(query("SELECT count(*) FROM analytics_hits_packs"), "0",
           "no pack");

    db = keep;
    sqlite3_close(old);
}


static void
source_is(const char *host, const char *medium, const char *campaign,
    const char *tag, const char *source, const char *channel)
{
    blog_event_t  ev;
    jr_source_t   s;

    memset(&ev, 0, sizeof(ev));
    ev.field[BLOG_EVENT_REFERRER].data = host;
    ev.field[BLOG_EVENT_REFERRER].len = strlen(host);
    ev.field[BLOG_EVENT_UTM_MEDIUM].data = medium;
    ev.field[BLOG_EVENT_UTM_MEDIUM].len = strlen(medium);
    ev.field[BLOG_EVENT_UTM_CAMPAIGN].data = campaign;
    ev.field[BLOG_EVENT_UTM_CAMPAIGN].len = strlen(campaign);
    ev.field[BLOG_EVENT_REF].data = tag;
    ev.field[BLOG_EVENT_REF].len = strlen(tag);

    jr_source_classify(&ev, &s);

    ok(s.len == strlen(source) && memcmp(s.source, source, s.len) == 0
       && strcmp(s.channel, channel) == 0,
       "\"%s\" medium \"%s\" campaign \"%s\" ref \"%s\": %s, %s", host,
       medium, campaign, tag, source, channel);
}


int
main(void)
{
    int          i;
    const char  *sql;

    if (sqlite3_open(":memory:", &db) != SQLITE_OK
        || blog_hitpack_register(db) != SQLITE_OK)
    {
        return 1;
    }

    for (i = 0; i < blog_analytics_schema.version; i++) {
        sql = blog_analytics_schema.migrations[i];
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
            printf("Bail out! migration %d: %s\n", i + 1, sqlite3_errmsg(db));
            return 1;
        }
    }

    test_visits();
    test_beacon();
    test_strings();
    test_packs();
    test_migration7();
    test_migration8();

    source_is("", "", "", "", "", "direct");
    source_is("www.google.co.uk", "", "", "", "Google", "search");
    source_is("googleusercontent.com", "", "", "", "googleusercontent.com",
              "referral");
    source_is("m.facebook.com", "", "", "", "Facebook", "social");
    source_is("blog.example.org", "", "", "", "blog.example.org", "referral");
    source_is("", "Newsletter", "", "", "", "email");
    source_is("mail.google.com", "", "", "", "Gmail", "email");
    source_is("t.co", "cpc", "", "", "Twitter", "campaign");
    source_is("", "", "spring", "", "", "campaign");
    source_is("", "", "", "producthunt", "producthunt", "referral");
    source_is("news.ycombinator.com", "", "", "hn", "hn", "social");

    sqlite3_close(db);

    return tap_done();
}
