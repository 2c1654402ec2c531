/*
 * Unit tests of the analytics query engine (blog_stats.c, blog_range.c,
 * blog_stats_json.c, blog_stats_csv.c): known visits in an analytics.db
 * written at version 3 and migrated (migration 4 moves the views into
 * analytics_hits), each query's answer against the numbers worked out by
 * hand in the comments.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blog_db.h"
#include "blog_analytics_schema.h"
#include "blog_stats.h"
#include "tap.h"


#define D0     19998               /* 2024-10-02: rolled up, raw rows gone */
#define D1     19999               /* 2024-10-03 */
#define D2     20000               /* 2024-10-04: today */

static sqlite3  *db;


/*
 * Day D1: visitor 1 visits twice (/a /b /a for 120 s, then /b alone),
 * visitor 2 once (/a alone).  Day D2: visitor 1 (another hash, the same
 * number here) /b then /c for 60 s, from a hostile referrer.
 */
static const char  fixture[] =
    "INSERT INTO analytics_visits (id, day, visitor, start_ms, end_ms, views,"
    " entry, exit, source, channel, ref_host, ref_path, utm_source, country,"
    " device, browser, os) VALUES"
    " (1, 19999, 1, 1728000000000, 1728000120000, 3, '/a', '/a', 'Google',"
    "  'search', 'www.google.com', '/', '', 'DE', 'desktop', 'Firefox',"
    "  'Linux'),"
    " (2, 19999, 2, 1728001000000, 1728001000000, 1, '/a', '/a', '',"
    "  'direct', '', '', '', 'US', 'phone', 'Safari', 'iOS'),"
    " (3, 19999, 1, 1728009000000, 1728009000000, 1, '/b', '/b', 'Google',"
    "  'search', 'www.google.com', '/', '', 'DE', 'desktop', 'Firefox',"
    "  'Linux'),"
    " (4, 20000, 1, 1728090000000, 1728090060000, 2, '/b', '/c',"
    "  '=HYPERLINK(\"x\")', 'referral', 'evil.example', '/<b>\"x\"',"
    "  'a,b\r\nc', 'US', 'tablet', 'Chrome', 'Android');"
    "INSERT INTO analytics_views (visit, day, time_ms, path, status) VALUES"
    " (1, 19999, 1728000000000, '/a', 200),"
    " (1, 19999, 1728000060000, '/b', 200),"
    " (1, 19999, 1728000120000, '/a', 200),"
    " (2, 19999, 1728001000000, '/a', 200),"
    " (3, 19999, 1728009000000, '/b', 200),"
    " (4, 20000, 1728090000000, '/b', 200),"
    " (4, 20000, 1728090060000, '/c', 200);"
    /* D0 was rolled up and its raw rows purged */
    "INSERT INTO analytics_rolled VALUES (19998);"
    "INSERT INTO analytics_rollup VALUES"
    " (19998, '', '', 10, 12, 30, 6, 1200000),"
    " (19998, 'visit:country', 'DE', 4, 5, 10, 2, 500000),"
    " (19998, 'visit:country', 'FR', 6, 7, 20, 4, 700000),"
    " (19998, 'event:page', '/a', 3, 4, 9, 1, 0),"
    /* D1 being summed: a dimension's rows in, the day not marked yet */
    " (19999, '', '', 100, 100, 100, 0, 0);"
    "INSERT INTO analytics_segments VALUES"
    " (0, 19998, '', 'DE', 'desktop', 3, 4, 8, 2, 400000),"
    " (0, 19998, '', 'DE', 'phone', 1, 1, 2, 0, 100000),"
    " (0, 19998, '', 'FR', 'desktop', 6, 7, 20, 4, 700000),"
    " (1, 19998, 'Google', 'DE', 'desktop', 2, 2, 5, 1, 300000),"
    " (1, 19998, '', 'DE', 'desktop', 2, 2, 3, 1, 100000),"
    " (1, 19998, '', 'DE', 'phone', 1, 1, 2, 0, 100000),"
    " (1, 19998, '', 'FR', 'desktop', 6, 7, 20, 4, 700000);"
    "INSERT INTO analytics_page_segments VALUES"
    " ('DE', 19998, 'desktop', '/a', 2, 2, 4, 1, 0),"
    " ('DE', 19998, 'phone', '/a', 1, 1, 1, 1, 0),"
    " ('FR', 19998, 'desktop', '/a', 5, 5, 9, 0, 0);";


/*
 * The answer of a JSON query as "dims:metrics|...", metrics with %g, and
 * "(prev)" after them when compared; or "error N: why".
 */
static char *
run(const char *json, char *out, size_t size)
{
    int                  rc;
    char                 err[BLOG_STATS_ERROR_SIZE];
    size_t               i, j, len;
    blog_stats_query_t   q;
    blog_stats_result_t  res;

    rc = blog_stats_parse(&q, json, strlen(json), D2, err);
    if (rc != BLOG_STATS_OK) {
        snprintf(out, size, "error %d: %s", rc, err);
        return out;
    }

    rc = blog_stats_run(db, &q, &res, err);
    if (rc != BLOG_STATS_OK) {
        snprintf(out, size, "error %d: %s", rc, err);
        blog_stats_query_free(&q);
        return out;
    }

    out[0] = '\0';
    len = 0;

    for (i = 0; i < res.nrows; i++) {
        for (j = 0; j < q.ndims; j++) {
            len += snprintf(out + len, size - len, "%s%s", j ? "," : "",
                            res.rows[i].dims[j]);
        }

        for (j = 0; j < q.nmetrics; j++) {
            len += snprintf(out + len, size - len, "%s%g",
                            j ? "," : (q.ndims ? ":" : ""),
                            blog_stats_metric(&res.rows[i].sums,
                                              q.metrics[j]));
        }

        for (j = 0; res.rows[i].has_prev && j < q.nmetrics; j++) {
            len += snprintf(out + len, size - len, "%s%g%s",
                            j ? "," : "(",
                            blog_stats_metric(&res.rows[i].prev,
                                              q.metrics[j]),
                            j == q.nmetrics - 1 ? ")" : "");
        }

        len += snprintf(out + len, size - len, "%s",
                        i + 1 < res.nrows ? "|" : "");
    }

    blog_stats_result_free(&res);
    blog_stats_query_free(&q);

    return out;
}


#define Q(json, want, name)                                                   \
    do {                                                                      \
        char  out_[4096];                                                     \
        is_str(run(json, out_, sizeof(out_)), want, name);                    \
    } while (0)


static void
test_ranges(void)
{
    char          date[BLOG_RANGE_DATE_SIZE];
    int64_t       day;
    blog_range_t  r, prev;

    ok(blog_range_day("2024-02-29", 10, &day) == 0, "2024-02-29 is a date");
    blog_range_format(day, date);
    is_str(date, "2024-02-29", "and formats back");
    ok(blog_range_day("2023-02-29", 10, &day) != 0, "2023-02-29 is not");
    ok(blog_range_day("2024-13-01", 10, &day) != 0, "month 13 is not");
    ok(blog_range_day("2024-1-01x", 10, &day) != 0, "nor 2024-1-01x");
    ok(blog_range_day("1969-12-31", 10, &day) != 0, "nor before 1970");
    blog_range_format(0, date);
    is_str(date, "1970-01-01", "day 0");
    blog_range_day("2024-10-04", 10, &day);
    is_int(day, D2, "2024-10-04 is day %d", D2);

    blog_range_day("2024-03-15", 10, &day);
    ok(blog_range_named(&r, "last month", 10, day) == 0, "last month");
    blog_range_format(r.from, date);
    is_str(date, "2024-02-01", "last month from");
    blog_range_format(r.to, date);
    is_str(date, "2024-02-29", "last month to");

    blog_range_named(&r, "12mo", 4, day);
    blog_range_format(r.from, date);
    is_str(date, "2023-04-01", "12mo from the oldest month's first day");
    is_int(r.to, day, "12mo to today");

    blog_range_named(&r, "year", 4, day);
    blog_range_format(r.from, date);
    is_str(date, "2024-01-01", "year");

    blog_range_named(&r, "month", 5, day);
    blog_range_format(r.from, date);
    is_str(date, "2024-03-01", "month");

    blog_range_named(&r, "7d", 2, day);
    is_int(r.to - r.from, 6, "7d: seven days, today in");
    blog_range_previous(&r, &prev);
    is_int(prev.to, r.from - 1, "the previous period ends the day before");
    is_int(prev.to - prev.from, 6, "and is as long");

    blog_range_named(&r, "yesterday", 9, day);
    ok(r.from == day - 1 && r.to == day - 1, "yesterday");
    ok(blog_range_named(&r, "8d", 2, day) != 0, "8d is not a range");
    ok(blog_range_dates(&r, "2024-03-02", 10, "2024-03-01", 10) != 0,
       "from after to is refused");
}


static void
test_queries(void)
{
    /* D1 + D2: visitors 2 + 1, visits 4, views 7, bounces 2, 180 s */
    Q("{\"metrics\":[\"visitors\",\"visits\",\"pageviews\",\"bounce_rate\","
      "\"visit_duration\",\"views_per_visit\"],"
      "\"date_range\":[\"2024-10-03\",\"2024-10-04\"]}",
      "3,4,7,50,45,1.75", "totals of two days from the raw rows");

    Q("{\"metrics\":[\"visitors\",\"visits\",\"pageviews\",\"bounce_rate\","
      "\"visit_duration\"],\"date_range\":\"yesterday\","
      "\"dimensions\":[\"visit:country\"]}",
      "DE:1,2,4,50,60|US:1,1,1,100,0", "by country, yesterday");

    Q("{\"metrics\":[\"visitors\",\"pageviews\",\"visits\",\"bounce_rate\","
      "\"visit_duration\"],\"date_range\":[\"2024-10-03\",\"2024-10-04\"],"
      "\"dimensions\":[\"event:page\"]}",
      "/a:2,3,2,50,60|/b:2,3,3,33.3333,60|/c:1,1,1,0,60",
      "by page: its views, the visits that saw it");

    Q("{\"metrics\":[\"visitors\",\"visits\",\"pageviews\"],"
      "\"date_range\":[\"2024-10-03\",\"2024-10-04\"],"
      "\"filters\":[[\"is\",\"event:page\",[\"/c\"]]]}",
      "1,1,1", "a page filter");
    Q("{\"metrics\":[\"visitors\",\"visits\",\"pageviews\"],"
      "\"date_range\":[\"2024-10-03\",\"2024-10-04\"],"
      "\"filters\":[[\"contains\",\"event:page\",[\"c\"]]]}",
      "1,1,1", "a page filter by contains (the strings' ids it matches)");
    Q("{\"metrics\":[\"pageviews\"],"
      "\"date_range\":[\"2024-10-03\",\"2024-10-04\"],"
      "\"dimensions\":[\"event:page\"],"
      "\"filters\":[[\"is_not\",\"event:page\",[\"/a\"]]]}",
      "/b:3|/c:1", "is_not a page, by page");

    Q("{\"metrics\":[\"visits\"],\"date_range\":[\"2024-10-03\","
      "\"2024-10-04\"],\"dimensions\":[\"visit:device\"],"
      "\"filters\":[[\"is_not\",\"visit:country\",[\"DE\"]]],"
      "\"include\":{\"total_rows\":true}}",
      "phone:1|tablet:1", "is_not, grouped by another dimension, counted "
      "(the fuzz target's first find: a value bound for the rollup)");

    Q("{\"metrics\":[\"visits\"],\"date_range\":[\"2024-10-03\","
      "\"2024-10-04\"],\"filters\":[[\"and\",[[\"contains\","
      "\"visit:source\",[\"oog\"]],[\"is\",\"visit:device\","
      "[\"desktop\",\"phone\"]]]]]}",
      "2", "and of contains and is with two values");

    Q("{\"metrics\":[\"visitors\",\"visits\",\"pageviews\"],"
      "\"date_range\":[\"2024-10-03\",\"2024-10-04\"],"
      "\"dimensions\":[\"time:day\"]}",
      "2024-10-03:2,3,5|2024-10-04:1,1,2", "by day");

    Q("{\"metrics\":[\"pageviews\"],\"date_range\":[\"2024-10-03\","
      "\"2024-10-04\"],\"dimensions\":[\"time:month\",\"visit:device\"],"
      "\"order_by\":[[\"visit:device\",\"desc\"]]}",
      "2024-10-01,tablet:2|2024-10-01,phone:1|2024-10-01,desktop:4",
      "by month and device, ordered by the device");

    Q("{\"metrics\":[\"visits\"],\"date_range\":[\"2024-10-03\","
      "\"2024-10-04\"],\"dimensions\":[\"visit:referrer\"],"
      "\"pagination\":{\"limit\":1,\"offset\":2}}",
      "evil.example/<b>\"x\":1", "a page of rows");

    /* the count's statement holds no ?3, ?4, ?5 (the fuzz target's) */
    Q("{\"metrics\":[\"visitors\"],\"date_range\":[\"2024-10-03\","
      "\"2024-10-04\"],\"dimensions\":[\"event:page\","
      "\"visit:country\"],\"include\":{\"total_rows\":true}}",
      "/a,DE:1|/a,US:1|/b,DE:1|/b,US:1|/c,US:1",
      "two dimensions, visitors alone, counted rows");

    /* D0 (rolled) + D1 + D2 */
    Q("{\"metrics\":[\"visitors\",\"visits\",\"pageviews\"],"
      "\"date_range\":[\"2024-10-02\",\"2024-10-04\"]}",
      "13,16,37", "rolled days and raw days add up");

    Q("{\"metrics\":[\"visitors\"],\"date_range\":[\"2024-10-02\","
      "\"2024-10-04\"],\"dimensions\":[\"visit:country\"]}",
      "FR:6|DE:5|US:2", "by country over rolled and raw days");

    Q("{\"metrics\":[\"pageviews\"],\"date_range\":\"all\","
      "\"filters\":[[\"is\",\"event:page\",[\"/a\"]]]}",
      "12", "all, one page: its rollup row and its raw views");

    /*
     * D0's segments: a visitor of D0 seen from two sources (the by_source
     * rows of DE desktop sum to 4, the all-sources one says 3)
     */
    Q("{\"metrics\":[\"visitors\"],\"date_range\":[\"2024-10-02\","
      "\"2024-10-04\"],\"dimensions\":[\"visit:device\"],"
      "\"filters\":[[\"is\",\"visit:country\",[\"DE\"]]]}",
      "desktop:4|phone:1", "segments: by device, one country");

    Q("{\"metrics\":[\"visitors\",\"visits\"],\"date_range\":"
      "[\"2024-10-02\",\"2024-10-04\"],\"filters\":[[\"is\","
      "\"visit:source\",[\"Google\"]],[\"is_not\",\"visit:device\","
      "[\"phone\"]],[\"contains\",\"visit:country\",[\"E\"]]]}",
      "3,4", "segments: one source, any filter on device and country");

    Q("{\"metrics\":[\"visitors\"],\"date_range\":[\"2024-10-02\","
      "\"2024-10-04\"],\"dimensions\":[\"visit:source\"],"
      "\"filters\":[[\"is\",\"visit:country\",[\"DE\"]]]}",
      ":3|Google:3", "segments: by source, one country");

    /* the pages' segments go with the raw rows (D0's are gone) */
    Q("{\"metrics\":[\"pageviews\",\"visits\"],\"date_range\":"
      "[\"2024-10-02\",\"2024-10-04\"],\"dimensions\":[\"event:page\"],"
      "\"filters\":[[\"contains\",\"visit:country\",[\"D\"]]]}",
      "error 2: this query needs the raw rows, kept from 2024-10-03 on "
      "([jobrunner] raw_days); before it, ask without filters or with one "
      "filter on the dimension grouped by",
      "pages' segments: not beyond the raw rows");

    Q("{\"metrics\":[\"visitors\"],\"date_range\":[\"2024-10-02\","
      "\"2024-10-04\"],\"filters\":[[\"is_not\",\"visit:source\","
      "[\"Google\"]],[\"is\",\"visit:country\",[\"DE\"]]]}",
      "error 2: this query needs the raw rows, kept from 2024-10-03 on "
      "([jobrunner] raw_days); before it, ask without filters or with one "
      "filter on the dimension grouped by",
      "segments: not summed over sources for visitors");

    Q("{\"metrics\":[\"visitors\"],\"date_range\":[\"2024-10-02\","
      "\"2024-10-04\"],\"dimensions\":[\"visit:device\"],"
      "\"filters\":[[\"is\",\"visit:browser\",[\"Firefox\"]]]}",
      "error 2: this query needs the raw rows, kept from 2024-10-03 on "
      "([jobrunner] raw_days); before it, ask without filters or with one "
      "filter on the dimension grouped by",
      "beyond the raw rows' retention: refused");

    Q("{\"metrics\":[\"visitors\"],\"date_range\":\"day\","
      "\"include\":{\"comparisons\":{\"mode\":\"previous_period\"}}}",
      "1(2)", "today against yesterday");

    Q("{\"metrics\":[\"visits\"],\"date_range\":\"day\","
      "\"dimensions\":[\"time:day\"],"
      "\"include\":{\"comparisons\":{\"mode\":\"previous_period\"}}}",
      "2024-10-04:1(3)", "a day matched with the day before");
}


static void
test_refused(void)
{
    Q("{\"metrics\":[\"views\"],\"date_range\":\"7d\"}",
      "error 1: metrics: must be known names (docs/analytics-api.md)",
      "an unknown metric");
    Q("{\"metrics\":[\"visits\"],\"date_range\":\"2024-10-01\"}",
      "error 1: date_range: must be day, yesterday, 7d, 28d, 30d, 91d, "
      "month, last_month, 6mo, 12mo, year, all, or [from, to] as YYYY-MM-DD, "
      "from not after to", "a date that is not a range");
    Q("{\"metrics\":[\"visits\"],\"date_range\":\"7d\",\"filters\":"
      "[[\"or\",[]]]}",
      "error 1: filters: must be made with is, is_not, contains and and (or "
      "and not are not supported)", "or");
    Q("{\"metrics\":[\"visits\"],\"date_range\":\"7d\",\"filters\":"
      "[[\"is\",\"time:day\",[\"x\"]]]}",
      "error 1: filters: must be on known dimensions that are not time ones",
      "a filter on time");
    Q("{\"metrics\":[\"visits\"],\"date_range\":\"7d\",\"x\":1}",
      "error 1: the body: must be made of site_id, metrics, date_range, "
      "dimensions, filters, order_by, pagination and include only",
      "an unknown key");
    Q("{\"metrics\":[\"visits\"],\"date_range\":\"7d\",\"order_by\":"
      "[[\"visit:os\",\"asc\"]]}",
      "error 1: order_by: must be names of metrics, or of the query's "
      "dimensions", "order by a dimension not asked");
    Q("{\"metrics\":[\"visits\"],\"date_range\":\"7d\",\"dimensions\":"
      "[\"time:day\",\"time:week\"]}",
      "error 1: dimensions: one time dimension at most", "two time ones");
    Q("{\"metrics\":[\"visits\"],\"date_range\":\"7d\","
      "\"pagination\":{\"limit\":0}}",
      "error 1: pagination: a limit of 1 to 10000 rows and an offset of 0 "
      "or more", "limit 0");
    Q("[1", "error 1: the body is not JSON (line 1, column 2)", "not JSON");
}


/* The answer's JSON and CSV, hostile values in them. */
static void
test_output(void)
{
    int                  rc;
    char                 err[BLOG_STATS_ERROR_SIZE];
    blog_buf_t           out;
    blog_stats_query_t   q;
    blog_stats_result_t  res;
    static const char    json[] =
        "{\"metrics\":[\"visits\",\"views_per_visit\"],"
        "\"date_range\":\"day\",\"dimensions\":[\"visit:source\","
        "\"visit:utm_source\"],\"include\":{\"total_rows\":true}}";

    rc = blog_stats_parse(&q, json, sizeof(json) - 1, D2, err);
    is_int(rc, BLOG_STATS_OK, "parsed: %s", err);
    rc = blog_stats_run(db, &q, &res, err);
    is_int(rc, BLOG_STATS_OK, "ran: %s", err);

    memset(&out, 0, sizeof(blog_buf_t));
    ok(blog_stats_json(&q, &res, &out) == 0 && blog_buf_end(&out, "") == 0,
       "JSON written");
    is_str(out.data, "{\"results\":[{\"metrics\":[1,2.0],\"dimensions\":"
           "[\"=HYPERLINK(\\\"x\\\")\",\"a,b\\r\\nc\"]}],\"meta\":"
           "{\"total_rows\":1,\"source\":\"raw\"},\"query\":{\"metrics\":"
           "[\"visits\",\"views_per_visit\"],\"date_range\":[\"2024-10-04\","
           "\"2024-10-04\"],\"dimensions\":[\"visit:source\","
           "\"visit:utm_source\"],\"filters\":[],\"order_by\":[],"
           "\"pagination\":{\"limit\":10000,\"offset\":0}}}",
           "the JSON answer, values escaped");

    out.len = 0;
    ok(blog_stats_csv(&q, &res, &out) == 0 && blog_buf_end(&out, "") == 0,
       "CSV written");
    is_str(out.data, "visit:source,visit:utm_source,visits,views_per_visit"
           "\r\n\"'=HYPERLINK(\"\"x\"\")\",\"a,b\r\nc\",1,2.00\r\n",
           "the CSV answer: quoted, a formula made text");

    free(out.data);
    blog_stats_result_free(&res);
    blog_stats_query_free(&q);
}


/*
 * D0's raw rows kept after all (a visit of a country no filter matches):
 * its pages' segments answer, its raw rows, a rolled day's, are left out.
 */
static void
test_page_segments(void)
{
    if (sqlite3_exec(db, "INSERT INTO analytics_visits (id, day, visitor,"
                     " start_ms, end_ms, views, entry, exit, country)"
                     " VALUES (9, 19998, 9, 1727913600000, 1727913600000,"
                     " 1, '/a', '/a', 'DE')", NULL, NULL, NULL)
        != SQLITE_OK)
    {
        printf("Bail out! %s\n", sqlite3_errmsg(db));
        return;
    }

    Q("{\"metrics\":[\"pageviews\",\"visits\"],\"date_range\":"
      "[\"2024-10-02\",\"2024-10-04\"],\"dimensions\":[\"event:page\"],"
      "\"filters\":[[\"contains\",\"visit:country\",[\"D\"]]]}",
      "/a:7,4|/b:2,2", "pages' segments: by page, a country filter");
}


/* Appends a row's columns to the string at data, "a,b,c;". */
static int
dump_row(void *data, int n, char **cols, char **names)
{
    int     i;
    char   *out;
    size_t  len;

    (void) names;
    out = data;
    len = strlen(out);

    for (i = 0; i < n && len + 64 < 4096; i++) {
        len += (size_t) snprintf(out + len, 4096 - len, "%s%s",
                                 cols[i] ? cols[i] : "NULL",
                                 i + 1 < n ? "," : ";");
    }

    return 0;
}


/* The views' rows as analytics_views shows them, in a fixed order. */
static char *
dump_views(char *out)
{
    out[0] = '\0';

    if (sqlite3_exec(db, "SELECT visit, day, time_ms, path, status,"
                     " ref_host, ref_path FROM analytics_views"
                     " ORDER BY visit, time_ms", dump_row, out, NULL)
        != SQLITE_OK)
    {
        snprintf(out, 4096, "error: %s", sqlite3_errmsg(db));
    }

    return out;
}


/*
 * The fixture written at version 3 (analytics_views a table), then the
 * file migrated: every view moved, the same rows through the view, and
 * rows written through the view by hand as tools do.
 */
static int
open_migrated(const char *path)
{
    int                  rc;
    char                 before[4096], after[4096];
    blog_db_error_t      err;
    const blog_schema_t  v3 = { blog_analytics_schema.what,
                                blog_analytics_schema.migrations, 3 };

    rc = blog_db_open(&db, path, &v3, BLOG_DB_CREATE | BLOG_DB_MIGRATE,
                      1000, &err);
    if (rc != SQLITE_OK
        || sqlite3_exec(db, fixture, NULL, NULL, NULL) != SQLITE_OK)
    {
        printf("Bail out! analytics.db at version 3: %s\n",
               rc == SQLITE_OK ? sqlite3_errmsg(db) : err.msg);
        return -1;
    }

    dump_views(before);
    sqlite3_close(db);

    rc = blog_db_open(&db, path, &blog_analytics_schema,
                      BLOG_DB_MIGRATE, 1000, &err);
    if (rc != SQLITE_OK) {
        printf("Bail out! analytics.db migrated: %s\n", err.msg);
        return -1;
    }

    is_str(dump_views(after), before, "migration 4: the same views");

    /* D0, rolled before the beacon and purged: all its visits are '0' */
    after[0] = '\0';
    sqlite3_exec(db, "SELECT day, key, visitors, visits, views FROM"
                 " analytics_rollup WHERE dim = 'visit:human'",
                 dump_row, after, NULL);
    is_str(after, "19998,0,10,12,30;",
           "migration 5: a rolled day's visitors are not humans");

    after[0] = '\0';
    sqlite3_exec(db, "SELECT value, last_day FROM analytics_strings"
                 " ORDER BY value", dump_row, after, NULL);
    is_str(after, ",20000;/a,19999;/b,20000;/c,20000;",
           "migration 6: a string's last_day is its last view's day");

    if (sqlite3_exec(db, "INSERT INTO analytics_views (visit, day, time_ms,"
                     " path, status, ref_host, ref_path) VALUES"
                     " (9, 20000, 1728090000000, '/new', 404, 'x.example',"
                     " '/a'), (9, 20000, 1728090000000, '/new', 404, '', '');"
                     " DELETE FROM analytics_views WHERE visit = 9"
                     " AND ref_host = ''", NULL, NULL, NULL)
        != SQLITE_OK)
    {
        printf("Bail out! rows through analytics_views: %s\n",
               sqlite3_errmsg(db));
        return -1;
    }

    after[0] = '\0';
    sqlite3_exec(db, "SELECT n, path, status, ref_host || ref_path FROM"
                 " analytics_views WHERE visit = 9", dump_row, after, NULL);
    is_str(after, "1,/new,404,x.example/a;",
           "a row written through analytics_views, one deleted");

    after[0] = '\0';
    sqlite3_exec(db, "SELECT value, last_day FROM analytics_strings"
                 " WHERE value IN ('/new', 'x.example', '/a') ORDER BY value",
                 dump_row, after, NULL);
    is_str(after, "/a,20000;/new,20000;x.example,20000;",
           "... its strings' last_day is its day");

    return sqlite3_exec(db, "DELETE FROM analytics_views WHERE visit = 9",
                        NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}


int
main(void)
{
    char  path[64];

    test_ranges();

    snprintf(path, sizeof(path), "/tmp/blog-stats-unit-%d.db", (int) getpid());
    unlink(path);

    if (open_migrated(path) != 0) {
        return 1;
    }

    test_queries();
    test_refused();
    test_output();
    test_page_segments();

    sqlite3_close(db);
    unlink(path);
    unlink(strcat(path, "-wal"));

    return tap_done();
}
