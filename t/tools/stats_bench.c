/*
 * scripts/bench-stats's driver: fills a fresh analytics.db with VIEWS page
 * views in visits over 30 days (and the same views as a combined-format
 * access log for goaccess), rolls the 29 closed days up as the jobrunner
 * does, then times the dashboard's queries through blog_stats_run().
 *
 *   stats_bench fill DB LOG VIEWS [BATCH]   the data
 *   stats_bench time DB ROUNDS              p50 and p99 of each query, in ms
 *
 * The views are packed as the jobrunner packs them (analytics.db
 * migration 10): a pack per day and page of each batch of BATCH views
 * (7,300 by default: a spool batch of 20,000 requests of scripts/gen-events;
 * 1 is a pack per view, as a quiet site's socket batches write them).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blog_db.h"
#include "blog_analytics_schema.h"
#include "blog_stats.h"
#include "events/jr_rollup.h"


#define DAYS   30
#define BATCH  7300


static uint64_t  seed = 88172645463325252ULL;

static uint64_t
rnd(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

/* 0..n-1, the small ones much more often (a long tail, as pages have) */
static unsigned
skewed(unsigned n)
{
    double  u = (double) (rnd() % 1000000) / 1000000.0;

    return (unsigned) (n * u * u * u);
}


static const char *const  countries[] = { "US", "DE", "FR", "GB", "IN", "BR",
    "CA", "NL", "JP", "ES", "IT", "PL", "SE", "AU", "CH", "" };
static const char *const  devices[] = { "desktop", "phone", "tablet" };
static const char *const  browsers[] = { "Firefox", "Chrome", "Safari",
    "Edge", "Opera" };
static const char *const  systems[] = { "Linux", "Windows", "macOS", "iOS",
    "Android" };
static const char *const  hosts[] = { "", "www.google.com", "duckduckgo.com",
    "news.ycombinator.com", "www.reddit.com", "lobste.rs", "t.co",
    "www.bing.com", "mastodon.social", "github.com" };
static const char *const  channels[] = { "direct", "search", "search",
    "referral", "social", "referral", "social", "search", "social",
    "referral" };
static const char *const  sources[] = { "", "Google", "DuckDuckGo",
    "Hacker News", "Reddit", "Lobsters", "Twitter", "Bing", "Mastodon",
    "GitHub" };


static double ms_since(clockid_t clock, const struct timespec *t0);


static int
fill(const char *path, const char *log, long target, long batch)
{
    int            d, i, nviews, bounce;
    char           page[64], entry[64], exitp[64], when[64];
    long           views, visits, vid;
    int64_t        today, day, start, t, packs;
    sqlite3       *db;
    unsigned       h, c, dev, visitor;
    FILE          *f;
    time_t         secs;
    struct tm      tm;
    sqlite3_stmt  *iv, *iw;
    jr_rollup_t   *rollup;
    struct timespec  t0;
    blog_db_error_t  err;

    remove(path);

    if (blog_db_open(&db, path, &blog_analytics_schema,
                     BLOG_DB_CREATE | BLOG_DB_MIGRATE, 5000, &err)
        != SQLITE_OK)
    {
        fprintf(stderr, "stats_bench: %s\n", err.msg);
        return 1;
    }

    f = fopen(log, "w");
    if (f == NULL) {
        perror(log);
        return 1;
    }

    /*
     * 17 visits in 20 fetched the CSS beacon (scripts/bench-beacon).  The
     * views go into a table of their own first, with their batch, and are
     * packed at the end.
     */
    if (sqlite3_exec(db, "BEGIN; CREATE TEMP TABLE bench_views (visit"
                     " INTEGER, day INTEGER, time_ms INTEGER, path TEXT,"
                     " ref_host TEXT, batch INTEGER)", NULL, NULL, NULL)
           != SQLITE_OK
        || sqlite3_prepare_v2(db, "INSERT INTO analytics_visits (id, day,"
               " visitor, start_ms, end_ms, views, entry, exit, source,"
               " channel, ref_host, ref_path, utm_source, utm_medium,"
               " utm_campaign, country, region, device, browser, os, human)"
               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, '/',"
               " ?12, ?13, ?14, ?15, '', ?16, ?17, ?18, ?1 % 20 >= 3)",
               -1, &iv, NULL)
           != SQLITE_OK
        || sqlite3_prepare_v2(db, "INSERT INTO bench_views (visit, day,"
               " time_ms, path, ref_host, batch) VALUES"
               " (?1, ?2, ?3, ?4, ?5, ?6)", -1, &iw, NULL)
           != SQLITE_OK)
    {
        fprintf(stderr, "stats_bench: %s\n", sqlite3_errmsg(db));
        return 1;
    }

    today = (int64_t) (time(NULL) / 86400);
    views = 0;
    visits = 0;

    /* day by day, as the jobrunner writes them: a day's rows together */
    for (d = 0; views < target; d += views >= (d + 1) * (target / DAYS)) {
        day = today - DAYS + 1 + (d < DAYS ? d : DAYS - 1);
        visitor = (unsigned) (rnd() % 12000);      /* ~1 visit in 4 again */
        h = skewed(10);
        c = skewed(16);
        dev = (unsigned) (rnd() % 3);
        bounce = rnd() % 2 == 0;
        nviews = bounce ? 1 : 2 + (int) (rnd() % 4);
        start = day * 86400000 + (int64_t) (rnd() % 86000000);
        vid = ++visits;

        snprintf(entry, sizeof(entry), "/posts/post-%u", skewed(2000));
        strcpy(exitp, entry);

        t = start;

        for (i = 0; i < nviews; i++) {
            if (i) {
                t += 10000 + (int64_t) (rnd() % 120000);
                snprintf(page, sizeof(page), "/posts/post-%u", skewed(2000));
                strcpy(exitp, page);
            } else {
                strcpy(page, entry);
            }

            sqlite3_bind_int64(iw, 1, vid);
            sqlite3_bind_int64(iw, 2, day);
            sqlite3_bind_int64(iw, 3, t);
            sqlite3_bind_text(iw, 4, page, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(iw, 5, i ? "" : hosts[h], -1, SQLITE_STATIC);
            sqlite3_bind_int64(iw, 6, views / batch);

            if (sqlite3_step(iw) != SQLITE_DONE) {
                fprintf(stderr, "stats_bench: %s\n", sqlite3_errmsg(db));
                return 1;
            }

            sqlite3_reset(iw);

            secs = (time_t) (t / 1000);
            gmtime_r(&secs, &tm);
            strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S +0000", &tm);
            fprintf(f, "10.%u.%u.%u - - [%s] \"GET %s HTTP/1.1\" 200 %u"
                    " \"%s%s%s\" \"Mozilla/5.0 (%s) %s\"\n",
                    (visitor >> 16) & 255, (visitor >> 8) & 255,
                    visitor & 255, when, page, 5000 + skewed(20000),
                    i == 0 && h ? "https://" : "", i == 0 ? hosts[h] : "",
                    i == 0 && h ? "/" : (i == 0 ? "-" : "-"),
                    systems[dev == 0 ? rnd() % 3 : 3 + dev % 2],
                    browsers[skewed(5)]);
            views++;
        }

        sqlite3_bind_int64(iv, 1, vid);
        sqlite3_bind_int64(iv, 2, day);
        sqlite3_bind_int64(iv, 3, (int64_t) visitor);
        sqlite3_bind_int64(iv, 4, start);
        sqlite3_bind_int64(iv, 5, t);
        sqlite3_bind_int(iv, 6, nviews);
        sqlite3_bind_text(iv, 7, entry, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(iv, 8, exitp, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(iv, 9, sources[h], -1, SQLITE_STATIC);
        sqlite3_bind_text(iv, 10, channels[h], -1, SQLITE_STATIC);
        sqlite3_bind_text(iv, 11, hosts[h], -1, SQLITE_STATIC);
        sqlite3_bind_text(iv, 12, rnd() % 10 ? "" : "newsletter", -1,
                          SQLITE_STATIC);
        sqlite3_bind_text(iv, 13, "", -1, SQLITE_STATIC);
        sqlite3_bind_text(iv, 14, "", -1, SQLITE_STATIC);
        sqlite3_bind_text(iv, 15, countries[c], -1, SQLITE_STATIC);
        sqlite3_bind_text(iv, 16, devices[dev], -1, SQLITE_STATIC);
        sqlite3_bind_text(iv, 17, browsers[skewed(5)], -1, SQLITE_STATIC);
        sqlite3_bind_text(iv, 18, systems[dev == 0 ? rnd() % 3 : 3 + dev % 2],
                          -1, SQLITE_STATIC);

        if (sqlite3_step(iv) != SQLITE_DONE) {
            fprintf(stderr, "stats_bench: %s\n", sqlite3_errmsg(db));
            return 1;
        }

        sqlite3_reset(iv);
    }

    sqlite3_finalize(iv);
    sqlite3_finalize(iw);
    fclose(f);

    /*
     * The packs: the strings interned in the order the views name them
     * (their ids those analytics_views' trigger gave them), with the last
     * day a view used them; a pack per day, page and batch, its views by
     * visit and n (n: after the visit's views of that page, as the trigger
     * numbers them), seq 0, 1, ... per day and page.
     */
    if (sqlite3_exec(db,
            "INSERT OR IGNORE INTO analytics_strings (value)"
            " SELECT s FROM (SELECT path AS s, rowid * 3 AS o FROM bench_views"
            " UNION ALL SELECT ref_host, rowid * 3 + 1 FROM bench_views"
            " UNION ALL SELECT '/', rowid * 3 + 2 FROM bench_views) ORDER BY o;"
            "UPDATE analytics_strings SET last_day = u.day FROM"
            " (SELECT s, max(day) AS day FROM (SELECT path AS s, day FROM"
            " bench_views UNION ALL SELECT ref_host, day FROM bench_views"
            " UNION ALL SELECT '/', day FROM bench_views) GROUP BY s) AS u"
            " WHERE value = u.s;"
            "INSERT INTO analytics_hit_packs (day, path, seq, views, hits)"
            " SELECT day, path, row_number() OVER (PARTITION BY day, path"
            " ORDER BY batch) - 1, views, hits FROM (SELECT day, path, batch,"
            " count(*) AS views, blog_hits_pack(visit, n, time_ms, 200,"
            " ref_host, ref_path) AS hits FROM (SELECT w.day AS day,"
            " p.id AS path, w.batch AS batch, w.visit AS visit,"
            " row_number() OVER (PARTITION BY w.visit, w.path"
            " ORDER BY w.time_ms) AS n, w.time_ms AS time_ms,"
            " h.id AS ref_host, r.id AS ref_path FROM bench_views w"
            " JOIN analytics_strings p ON p.value = w.path"
            " JOIN analytics_strings h ON h.value = w.ref_host"
            " JOIN analytics_strings r ON r.value = '/'"
            " ORDER BY 1, 2, 3, 4, 5) GROUP BY day, path, batch);"
            "DROP TABLE bench_views;",
            NULL, NULL, NULL)
        != SQLITE_OK)
    {
        fprintf(stderr, "stats_bench: %s\n", sqlite3_errmsg(db));
        return 1;
    }

    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "stats_bench: %s\n", sqlite3_errmsg(db));
        return 1;
    }

    /*
     * The closed days summed by the jobrunner's own rollup (the site, each
     * dimension, the segments and the pairs), every day before today; its
     * raw rows all kept.
     */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rollup = jr_rollup_open(db, 0, DAYS + 1);
    if (rollup == NULL) {
        return 1;
    }

    while ((i = jr_rollup_step(rollup, today * 86400000LL)) == 1) {
        /* void */
    }

    jr_rollup_close(rollup);

    if (i != 0) {
        return 1;
    }

    fprintf(stderr, "stats_bench: %d days rolled up in %.1f s\n", DAYS - 1,
            ms_since(CLOCK_MONOTONIC, &t0) / 1000.0);

    if (sqlite3_exec(db, "ANALYZE; PRAGMA wal_checkpoint(TRUNCATE)",
                     NULL, NULL, NULL)
        != SQLITE_OK)
    {
        fprintf(stderr, "stats_bench: %s\n", sqlite3_errmsg(db));
        return 1;
    }

    packs = 0;

    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM analytics_hit_packs", -1,
                           &iw, NULL)
           == SQLITE_OK
        && sqlite3_step(iw) == SQLITE_ROW)
    {
        packs = sqlite3_column_int64(iw, 0);
    }

    sqlite3_finalize(iw);
    sqlite3_close(db);
    printf("%ld views in %ld visits over %d days, %lld packs (batches of"
           " %ld views)\n", views, visits, DAYS, (long long) packs, batch);

    return 0;
}


/* What the dashboard asks for a range of 30 days, without a filter. */
static const char *const  dashboard[] = {
    "top figures, vs previous 30 days",
    "{\"metrics\":[\"visitors\",\"visits\",\"pageviews\",\"bounce_rate\","
    "\"visit_duration\"],\"date_range\":\"30d\",\"include\":{\"comparisons\":"
    "{\"mode\":\"previous_period\"}}}",
    "chart: visitors, views per day",
    "{\"metrics\":[\"visitors\",\"pageviews\"],\"date_range\":\"30d\","
    "\"dimensions\":[\"time:day\"]}",
    "top pages",
    "{\"metrics\":[\"visitors\",\"pageviews\"],\"date_range\":\"30d\","
    "\"dimensions\":[\"event:page\"],\"pagination\":{\"limit\":10}}",
    "entry pages",
    "{\"metrics\":[\"visitors\",\"bounce_rate\"],\"date_range\":\"30d\","
    "\"dimensions\":[\"visit:entry_page\"],\"pagination\":{\"limit\":10}}",
    "sources",
    "{\"metrics\":[\"visitors\"],\"date_range\":\"30d\","
    "\"dimensions\":[\"visit:source\"],\"pagination\":{\"limit\":10}}",
    "countries",
    "{\"metrics\":[\"visitors\"],\"date_range\":\"30d\","
    "\"dimensions\":[\"visit:country\"],\"pagination\":{\"limit\":10}}",
    "devices",
    "{\"metrics\":[\"visitors\"],\"date_range\":\"30d\","
    "\"dimensions\":[\"visit:device\"]}",
    /* a click on a country, device or source: the segments, today raw */
    "filtered: top figures, country DE, device phone",
    "{\"metrics\":[\"visitors\",\"visits\",\"pageviews\",\"bounce_rate\","
    "\"visit_duration\"],\"date_range\":\"30d\",\"filters\":[[\"is\","
    "\"visit:country\",[\"DE\"]],[\"is\",\"visit:device\",[\"phone\"]]],"
    "\"include\":{\"comparisons\":{\"mode\":\"previous_period\"}}}",
    "filtered: top pages, country DE",
    "{\"metrics\":[\"visitors\",\"pageviews\"],\"date_range\":\"30d\","
    "\"dimensions\":[\"event:page\"],\"filters\":[[\"is\",\"visit:country\","
    "[\"DE\"]]],\"pagination\":{\"limit\":10}}",
    "filtered: chart, source Google",
    "{\"metrics\":[\"visitors\",\"pageviews\"],\"date_range\":\"30d\","
    "\"dimensions\":[\"time:day\"],\"filters\":[[\"is\",\"visit:source\","
    "[\"Google\"]],[\"is\",\"visit:device\",[\"desktop\"]]]}",
    /*
     * a click on a country: the breakdowns the segments do not have
     * (entry and exit pages, channels, referrers, campaigns, regions,
     * browsers, systems) from the pairs (analytics.db migration 11)
     */
    "filtered (pairs): entry pages, country DE",
    "{\"metrics\":[\"visitors\",\"bounce_rate\"],\"date_range\":\"30d\","
    "\"dimensions\":[\"visit:entry_page\"],\"filters\":[[\"is\","
    "\"visit:country\",[\"DE\"]]],\"pagination\":{\"limit\":10}}",
    "filtered (pairs): channels, country DE",
    "{\"metrics\":[\"visitors\"],\"date_range\":\"30d\","
    "\"dimensions\":[\"visit:channel\"],\"filters\":[[\"is\","
    "\"visit:country\",[\"DE\"]]],\"pagination\":{\"limit\":10}}",
    "filtered (pairs): browsers, device phone",
    "{\"metrics\":[\"visitors\"],\"date_range\":\"30d\","
    "\"dimensions\":[\"visit:browser\"],\"filters\":[[\"is\","
    "\"visit:device\",[\"phone\"]]],\"pagination\":{\"limit\":10}}",
    /* a click on a page: the visits that saw it, from the raw rows */
    "filtered (raw rows): sources, page /posts/post-1",
    "{\"metrics\":[\"visitors\"],\"date_range\":\"30d\","
    "\"dimensions\":[\"visit:source\"],\"filters\":[[\"is\","
    "\"event:page\",[\"/posts/post-1\"]]],\"pagination\":{\"limit\":10}}",
    NULL
};


static double
ms_since(clockid_t clock, const struct timespec *t0)
{
    struct timespec  t;

    clock_gettime(clock, &t);

    return (t.tv_sec - t0->tv_sec) * 1e3 + (t.tv_nsec - t0->tv_nsec) / 1e6;
}


static int
cmp_double(const void *a, const void *b)
{
    double  x = *(const double *) a, y = *(const double *) b;

    return x < y ? -1 : x > y;
}


static int
timing(const char *path, int rounds)
{
    int                  i, n, rc;
    char                 err[BLOG_STATS_ERROR_SIZE];
    double              *ms, *cpu, *total, all;
    sqlite3             *db;
    blog_db_error_t      dberr;
    struct timespec      t0, c0;
    blog_stats_query_t   q;
    blog_stats_result_t  res;

    if (blog_db_open(&db, path, &blog_analytics_schema,
                     BLOG_DB_QUERY_ONLY | BLOG_DB_ONE_THREAD, 5000, &dberr)
        != SQLITE_OK)
    {
        fprintf(stderr, "stats_bench: %s\n", dberr.msg);
        return 1;
    }

    for (n = 0; dashboard[2 * n]; n++) {
        /* count */
    }

    ms = calloc((size_t) (n * rounds), sizeof(double));
    cpu = calloc((size_t) (n * rounds), sizeof(double));
    total = calloc((size_t) rounds, sizeof(double));
    if (ms == NULL || cpu == NULL || total == NULL) {
        return 1;
    }

    /* rounds go through the whole dashboard, as page loads would */
    for (int r = 0; r < rounds; r++) {
        for (i = 0; i < n; i++) {
            clock_gettime(CLOCK_MONOTONIC, &t0);
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);

            rc = blog_stats_parse(&q, dashboard[2 * i + 1],
                                  strlen(dashboard[2 * i + 1]),
                                  (int64_t) (time(NULL) / 86400), err);
            if (rc == BLOG_STATS_OK) {
                rc = blog_stats_run(db, &q, &res, err);
                blog_stats_query_free(&q);
            }

            if (rc != BLOG_STATS_OK) {
                fprintf(stderr, "stats_bench: %s: %s\n", dashboard[2 * i],
                        err);
                return 1;
            }

            blog_stats_result_free(&res);
            ms[i * rounds + r] = ms_since(CLOCK_MONOTONIC, &t0);
            cpu[i * rounds + r] = ms_since(CLOCK_THREAD_CPUTIME_ID, &c0);
            total[r] += ms[i * rounds + r];
        }
    }

    /* wall time is what a user waits; CPU time what the load leaves out */
    printf("| query (30 days) | p50 ms | p99 ms | CPU p50 ms | CPU p99 ms |\n"
           "|---|---:|---:|---:|---:|\n");

    for (i = 0; i < n; i++) {
        qsort(ms + i * rounds, (size_t) rounds, sizeof(double), cmp_double);
        qsort(cpu + i * rounds, (size_t) rounds, sizeof(double), cmp_double);
        printf("| %s | %.1f | %.1f | %.1f | %.1f |\n", dashboard[2 * i],
               ms[i * rounds + rounds / 2],
               ms[i * rounds + (rounds * 99 + 99) / 100 - 1],
               cpu[i * rounds + rounds / 2],
               cpu[i * rounds + (rounds * 99 + 99) / 100 - 1]);
    }

    qsort(total, (size_t) rounds, sizeof(double), cmp_double);
    all = total[rounds / 2];
    printf("| the whole dashboard (%d queries) | %.1f | %.1f |\n", n, all,
           total[(rounds * 99 + 99) / 100 - 1]);

    free(ms);
    free(cpu);
    free(total);
    sqlite3_close(db);

    return 0;
}


int
main(int argc, char **argv)
{
    if ((argc == 5 || argc == 6) && strcmp(argv[1], "fill") == 0) {
        return fill(argv[2], argv[3], atol(argv[4]),
                    argc == 6 && atol(argv[5]) > 0 ? atol(argv[5]) : BATCH);
    }

    if (argc == 4 && strcmp(argv[1], "time") == 0) {
        return timing(argv[2], atoi(argv[3]));
    }

    fprintf(stderr, "usage: stats_bench fill DB LOG VIEWS [BATCH] | time DB ROUNDS\n");

    return 2;
}
