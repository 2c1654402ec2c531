/*
 * Aggregation of access events into data.db; see jr_analytics.h.
 *
 * What is counted:
 *   - every request: its day's "requests" and its status code;
 *   - a request whose user agent is a bot (jr_useragent.c): the day's
 *     "bot_views" and the bot's name, nothing else;
 *   - a page view: a GET or HEAD answered 2xx or 304 by the blog's page
 *     handler (BLOG_EVENT_F_PAGE: not a file, not the panel, analytics,
 *     metrics, a cronhook or the realtime hub) to a person's browser, and
 *     not a repeat of the same visitor's view of the path within the
 *     window of jr_views.h.  It counts for the day, its path, its post,
 *     its referrer host, country, browser and OS, and its visitor (the
 *     address alone once the address has made its day's visitors);
 *   - the CSS beacon (BLOG_EVENT_F_BEACON), fetched by a browser that
 *     built a page: no view, it marks the visitor's visit as a human's.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "blog_event.h"
#include "events/jr_analytics.h"
#include "events/jr_counts.h"
#include "core/jr_log.h"
#include "sse/jr_sse.h"
#include "events/jr_useragent.h"
#include "events/jr_views.h"
#include "events/jr_visitors.h"
#include "events/jr_visits.h"


#define JR_DAY_MS          86400000ULL

/*
 * WAL pages after which a commit checkpoints analytics.db: a batch's
 * views dirty a leaf per page of the site (analytics_hits is clustered by
 * day and page), the same leaves every batch, so a larger WAL copies each
 * of them to the file once for many batches rather than every few.
 * SQLite's 1000 (4 MB) for the other files.
 */
#define JR_ANALYTICS_WAL_PAGES  8192
#define JR_DEFAULT_WAL_PAGES    1000

/* visitors of a batch hashed ahead of their look-up in the day's set */
#define JR_ANALYTICS_AHEAD      8

/* Dimensions of the counters: those of analytics_counts first. */
enum {
    JR_DIM_PATH = 0,
    JR_DIM_POST,
    JR_DIM_REFERRER,
    JR_DIM_COUNTRY,
    JR_DIM_BROWSER,
    JR_DIM_OS,
    JR_DIM_STATUS,
    JR_DIM_BOT,
    JR_DIM_COUNTS,              /* the number of the above */

    /* analytics_daily, in jr_analytics_daily_sql order */
    JR_DIM_VIEWS = JR_DIM_COUNTS,
    JR_DIM_VISITORS,
    JR_DIM_BOT_VIEWS,
    JR_DIM_REQUESTS,

    /* a distinct visitor of the batch: family, address, user agent */
    JR_DIM_VISITOR
};

#define JR_DAILY_N  (JR_DIM_VISITOR - JR_DIM_VIEWS)

/*
 * The counters every request or view adds to whose keys are few and known
 * (jr_counts_row()): their indexes in a day's row.  A status outside
 * 100-599 or a country not of two capitals is counted by key.
 */
#define JR_STATUSES   500
#define JR_COUNTRIES  (26 * 26 + 1)         /* "AA" to "ZZ", then "--" */

enum {
    JR_IX_REQUESTS = 0,
    JR_IX_VIEWS,
    JR_IX_BOT_VIEWS,
    JR_IX_STATUS,
    JR_IX_COUNTRY = JR_IX_STATUS + JR_STATUSES,
    JR_IX_BROWSER = JR_IX_COUNTRY + JR_COUNTRIES,
    JR_IX_OS = JR_IX_BROWSER + JR_UA_IDS,
    JR_IX_BOT = JR_IX_OS + JR_UA_IDS,
    JR_IX_N = JR_IX_BOT + JR_UA_IDS
};

enum {
    JR_STMT_BEGIN = 0,
    JR_STMT_COMMIT,
    JR_STMT_ROLLBACK,
    JR_STMT_COUNT,              /* and JR_STMT_COUNT_NEW: jr_analytics_add_to() */
    JR_STMT_COUNT_NEW,
    JR_STMT_SPOOL,
    JR_STMT_TOTAL,              /* and JR_STMT_TOTAL_NEW */
    JR_STMT_TOTAL_NEW,
    JR_STMT_TOTAL_READ,
    JR_STMT_DAILY,              /* JR_DAILY_N of them */
    JR_STMT_N = JR_STMT_DAILY + JR_DAILY_N
};


/* A visitor of the batch, hashed, not yet looked for in the day's set. */
typedef struct {
    const jr_count_t      *c;
    unsigned char          md[SHA256_DIGEST_LENGTH];
} jr_analytics_person_t;

/* A path's views of all time after a batch, told once it is committed. */
typedef struct {
    const char            *path;          /* a key of the batch's counts */
    uint32_t               len;
    int64_t                views;
} jr_analytics_total_t;

/* A record decoded, by jr_analytics_peek() or jr_analytics_add(). */
typedef struct {
    const unsigned char   *rec;           /* NULL: none */
    size_t                 len;
    blog_event_rc_e        rc;
    int                    page;          /* a page view, to check */
    int                    keyed;         /* key made by jr_views_peek() */
    blog_event_t           ev;
    jr_views_key_t         key;
    size_t                 vlen;
    char                   visitor[JR_VISITOR_ADDR + BLOG_EVENT_AGENT_MAX];
} jr_analytics_rec_t;

struct jr_analytics_s {
    sqlite3               *db;
    sqlite3_stmt          *stmt[JR_STMT_N];
    jr_salt_t             *salts;
    uint64_t               salts_lost;    /* jr_salt_lost() at the last commit */
    jr_geo_t              *geo;
    jr_ua_cache_t         *agents;
    jr_visitors_t         *known;
    jr_views_t            *views;         /* the window and the cap */
    jr_visits_t           *visits;
    int64_t                oldest;        /* the first day visits are kept */
    unsigned               raw_days;
    int                    closing;       /* every open visit's row too */
    EVP_MD                *sha256;        /* fetched once: no lookup per hash */
    EVP_MD_CTX            *sha;
    jr_counts_t            counts;
    jr_counts_name_t       names[JR_IX_N];  /* of counts' rows */
    char                   keys[3 * JR_STATUSES + 2 * JR_COUNTRIES];
    jr_counts_t            people;        /* the batch's distinct visitors */
    jr_counts_t            visitors;      /* new ones per day, in a flush */
    uint64_t               pending;
    int64_t                cleaned;       /* the day visitors were kept from */
    jr_analytics_total_t  *totals;        /* of the batch being written */
    size_t                 ntotals;
    size_t                 totals_cap;
    jr_analytics_stats_t   stats;
    jr_analytics_rec_t     ahead[2];      /* the records peeked, the next */
    unsigned               next_ahead;    /* and the one to peek into */
};


const double  jr_latency_bounds[JR_LATENCY_BUCKETS] = {
    0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0
};

/* SQLite's own hook (a passive checkpoint), with analytics.db's size */
static int
jr_analytics_wal(void *data, sqlite3 *db, const char *name, int pages)
{
    (void) data;

    if (pages >= (strcmp(name, "analytics") == 0 ? JR_ANALYTICS_WAL_PAGES
                                                 : JR_DEFAULT_WAL_PAGES))
    {
        (void) sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE,
                                         NULL, NULL);
    }

    return SQLITE_OK;
}


static const char *const  jr_dim_names[JR_DIM_COUNTS] = {
    "path", "post", "referrer", "country", "browser", "os", "status", "bot"
};

static const char *const  jr_analytics_sql[JR_STMT_DAILY] = {
    "BEGIN IMMEDIATE",
    "COMMIT",
    "ROLLBACK",

    "UPDATE analytics_counts SET n = n + ?4"
    " WHERE dim = ?1 AND day = ?2 AND key = ?3",

    "INSERT INTO analytics_counts (dim, day, key, n) VALUES (?1, ?2, ?3, ?4)",

    "INSERT INTO analytics_spools (file, offset) VALUES (?1, ?2)"
    " ON CONFLICT (file) DO UPDATE SET offset = excluded.offset",

    /*
     * Not "RETURNING views": SQLite gathers what RETURNING returns in an
     * ephemeral table, opened and closed (a pager, its mallocs) by every
     * execution, a path of every batch; the total is read after, and only
     * for a live counter (jr_analytics_total()).
     */
    "UPDATE analytics_path_totals SET views = views + ?2 WHERE path = ?1",

    "INSERT INTO analytics_path_totals (path, views) VALUES (?1, ?2)",

    "SELECT views FROM analytics_path_totals WHERE path = ?1"
};

#define JR_DAILY_SQL(col)                                                     \
    "INSERT INTO analytics_daily (day, " col ") VALUES (?1, ?2)"              \
    " ON CONFLICT (day) DO UPDATE SET " col " = " col " + excluded." col

static const char *const  jr_analytics_daily_sql[JR_DAILY_N] = {
    JR_DAILY_SQL("views"),
    JR_DAILY_SQL("visitors"),
    JR_DAILY_SQL("bot_views"),
    JR_DAILY_SQL("requests")
};


static int jr_analytics_commit(jr_analytics_t *a, const char *spool,
    int64_t offset, jr_analytics_mark_pt mark, void *data);
static int jr_analytics_write(jr_analytics_t *a, const char *spool,
    int64_t offset);
static int jr_analytics_write_visitors(jr_analytics_t *a, int64_t today);
static int jr_analytics_write_visitor(jr_analytics_t *a,
    const jr_analytics_person_t *p);
static int jr_analytics_hash(jr_analytics_t *a, int64_t day, int64_t today,
    const char *key, size_t len, unsigned char *md);
static int jr_analytics_visit_hash(void *data, int64_t day,
    const char *visitor, size_t len, int64_t *hash);
static int jr_analytics_total(jr_analytics_t *a, jr_count_t *c);
static int jr_analytics_add_to(jr_analytics_t *a, int n, const jr_count_t *c);
static void jr_analytics_decode(jr_analytics_t *a, jr_analytics_rec_t *r,
    const unsigned char *rec, size_t len);
static void jr_analytics_publish(jr_analytics_t *a);
static int jr_analytics_step(jr_analytics_t *a, int n);
static int jr_analytics_status(char *buf, unsigned status);
static void jr_analytics_names(jr_analytics_t *a);


jr_analytics_t *
jr_analytics_open(sqlite3 *db, jr_salt_t *salts, jr_geo_t *geo,
    const jr_events_conf_t *ec)
{
    int              i;
    const char      *sql;
    jr_analytics_t  *a;

    a = calloc(1, sizeof(jr_analytics_t));
    if (a == NULL || (a->agents = jr_ua_cache_create()) == NULL) {
        jr_log(JR_LOG_ERROR, "analytics: out of memory");
        free(a);
        return NULL;
    }

    sqlite3_wal_hook(db, jr_analytics_wal, NULL);

    a->known = jr_visitors_open(db);
    a->views = jr_views_create((unsigned) ec->view_window,
                               ec->visitors_per_address);
    a->visits = jr_visits_open(db, (unsigned) ec->visit_gap);
    if (a->known == NULL || a->views == NULL || a->visits == NULL) {
        jr_analytics_close(a);
        return NULL;
    }

    a->stats.bad_packs = jr_visits_bad_packs(a->visits);

    a->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    a->sha = EVP_MD_CTX_new();
    if (a->sha256 == NULL || a->sha == NULL) {
        jr_log(JR_LOG_ERROR, "analytics: no SHA-256 from OpenSSL");
        jr_analytics_close(a);
        return NULL;
    }

    jr_analytics_names(a);

    a->db = db;
    a->salts = salts;
    a->geo = geo;
    a->cleaned = -1;
    a->raw_days = ec->raw_days;
    a->oldest = (int64_t) (time(NULL) / 86400) - ec->raw_days + 1;

    for (i = 0; i < JR_STMT_N; i++) {
        sql = i < JR_STMT_DAILY ? jr_analytics_sql[i]
                                : jr_analytics_daily_sql[i - JR_STMT_DAILY];

        if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                               &a->stmt[i], NULL)
            != SQLITE_OK)
        {
            jr_log(JR_LOG_ERROR, "analytics: cannot prepare \"%s\": %s", sql,
                   sqlite3_errmsg(db));
            jr_analytics_close(a);
            return NULL;
        }
    }

    return a;
}


/* The names of the counters of counts' rows: JR_IX_* */
static void
jr_analytics_names(jr_analytics_t *a)
{
    int                i;
    char              *k;
    jr_counts_name_t  *n;

    n = a->names;
    k = a->keys;

    n[JR_IX_REQUESTS] = (jr_counts_name_t) { JR_DIM_REQUESTS, 0, "" };
    n[JR_IX_VIEWS] = (jr_counts_name_t) { JR_DIM_VIEWS, 0, "" };
    n[JR_IX_BOT_VIEWS] = (jr_counts_name_t) { JR_DIM_BOT_VIEWS, 0, "" };

    for (i = 0; i < JR_STATUSES; i++, k += 3) {
        (void) jr_analytics_status(k, 100 + i);
        n[JR_IX_STATUS + i] = (jr_counts_name_t) { JR_DIM_STATUS, 3, k };
    }

    for (i = 0; i < JR_COUNTRIES - 1; i++, k += 2) {
        k[0] = (char) ('A' + i / 26);
        k[1] = (char) ('A' + i % 26);
        n[JR_IX_COUNTRY + i] = (jr_counts_name_t) { JR_DIM_COUNTRY, 2, k };
    }

    n[JR_IX_COUNTRY + i] = (jr_counts_name_t) { JR_DIM_COUNTRY, 2, "--" };

    /* an id naming nothing is never counted: its name is no matter */
    for (i = 0; i < JR_UA_IDS; i++) {
        n[JR_IX_BROWSER + i].dim = JR_DIM_BROWSER;
        n[JR_IX_OS + i].dim = JR_DIM_OS;
        n[JR_IX_BOT + i].dim = JR_DIM_BOT;
        n[JR_IX_BROWSER + i].key = jr_ua_name(JR_UA_BROWSER, i);
        n[JR_IX_OS + i].key = jr_ua_name(JR_UA_OS, i);
        n[JR_IX_BOT + i].key = jr_ua_name(JR_UA_BOT, i);
    }

    for (i = JR_IX_BROWSER; i < JR_IX_N; i++) {
        n[i].len = n[i].key ? strlen(n[i].key) : 0;
        n[i].key = n[i].key ? n[i].key : "";
    }

    jr_counts_names(&a->counts, a->names, JR_IX_N);
}


static int
jr_analytics_count(jr_analytics_t *a, uint32_t dim, int64_t day,
    const char *key, size_t len)
{
    if (jr_counts_add(&a->counts, dim, day, key, len, 1) != 0) {
        jr_log(JR_LOG_ERROR, "analytics: out of memory for a batch");
        return -1;
    }

    return 0;
}


/* A country's index in a day's row, or 0 when it is counted by key. */
static unsigned
jr_analytics_country(const char *cc)
{
    if (cc[0] >= 'A' && cc[0] <= 'Z' && cc[1] >= 'A' && cc[1] <= 'Z') {
        return JR_IX_COUNTRY + (cc[0] - 'A') * 26 + (cc[1] - 'A');
    }

    return cc[0] == '-' && cc[1] == '-' ? JR_IX_COUNTRY + JR_COUNTRIES - 1
                                        : 0;
}


/*
 * Decodes rec into r: the event, whether it is a page view, its visitor;
 * a view's keys too when the view window can make them now (keyed), and
 * then the slots they and its address will look at are asked of the CPU.
 */
static void
jr_analytics_decode(jr_analytics_t *a, jr_analytics_rec_t *r,
    const unsigned char *rec, size_t len)
{
    blog_event_t      *ev;
    blog_event_str_t  *f;

    r->rec = rec;
    r->len = len;
    r->keyed = 0;
    ev = &r->ev;

    r->rc = blog_event_decode(ev, rec, len);
    if (r->rc != BLOG_EVENT_OK) {
        return;
    }

    f = ev->field;

    /* a 404 page is no view, but it is one of its visit: a broken link */
    r->page = (ev->flags & BLOG_EVENT_F_PAGE)
              && ((ev->status >= 200 && ev->status < 300)
                  || ev->status == 304 || ev->status == 404)
              && ((f[BLOG_EVENT_METHOD].len == 3
                   && memcmp(f[BLOG_EVENT_METHOD].data, "GET", 3) == 0)
                  || (f[BLOG_EVENT_METHOD].len == 4
                      && memcmp(f[BLOG_EVENT_METHOD].data, "HEAD", 4) == 0));

    /* the visitor: family and address (17 bytes), then the agent */
    r->visitor[0] = (char) ev->family;
    memcpy(r->visitor + 1, ev->addr, 16);
    memcpy(r->visitor + JR_VISITOR_ADDR, f[BLOG_EVENT_AGENT].data,
           f[BLOG_EVENT_AGENT].len);
    r->vlen = JR_VISITOR_ADDR + f[BLOG_EVENT_AGENT].len;

    if (r->page) {
        r->keyed = jr_views_peek(a->views, &r->key, ev->time_ms, r->visitor,
                                 r->vlen, f[BLOG_EVENT_PATH].data,
                                 f[BLOG_EVENT_PATH].len);
        jr_geo_prefetch(a->geo, ev->family, ev->addr);

        if (r->keyed) {
            jr_visits_prefetch(a->visits, r->key.hv | 1);
        }
    }
}


void
jr_analytics_peek(jr_analytics_t *a, const unsigned char *rec, size_t len)
{
    jr_analytics_rec_t  *r;

    r = &a->ahead[a->next_ahead];
    a->next_ahead ^= 1;

    if (rec == NULL) {
        a->ahead[0].rec = NULL;
        a->ahead[1].rec = NULL;
        return;
    }

    jr_analytics_decode(a, r, rec, len);
}


int
jr_analytics_add(jr_analytics_t *a, const unsigned char *rec, size_t len)
{
    int                  n, page, missing;
    char                 status[8];
    int64_t             *row;
    unsigned             ix;
    char                *visitor;
    size_t               vlen;
    int64_t              day;
    jr_ua_t              ua;
    const char          *country, *region;
    blog_event_t        *ev;
    jr_visits_view_t     view;
    blog_event_str_t    *f;
    jr_views_key_t      *key;
    jr_analytics_rec_t  *r, here;

    /* read ahead by jr_analytics_peek(), or not */
    if (a->ahead[0].rec == rec && a->ahead[0].len == len) {
        r = &a->ahead[0];

    } else if (a->ahead[1].rec == rec && a->ahead[1].len == len) {
        r = &a->ahead[1];

    } else {
        r = &here;
        jr_analytics_decode(a, r, rec, len);
    }

    r->rec = NULL;

    if (r->rc != BLOG_EVENT_OK) {
        a->stats.corrupt++;
        jr_log(JR_LOG_DEBUG, "corrupt event record of %zu bytes: %s", len,
               blog_event_strerror(r->rc));
        return 1;
    }

    ev = &r->ev;
    f = ev->field;
    day = (int64_t) (ev->time_ms / JR_DAY_MS);
    missing = ev->status == 404;
    page = r->page;
    visitor = r->visitor;
    vlen = r->vlen;
    key = &r->key;

    if (page
        && !(r->keyed && jr_views_take(a->views, key, ev->time_ms)))
    {
        jr_views_prepare(a->views, key, ev->time_ms, visitor, vlen,
                         f[BLOG_EVENT_PATH].data, f[BLOG_EVENT_PATH].len);
    }

    row = jr_counts_row(&a->counts, day);
    if (row == NULL) {
        jr_log(JR_LOG_ERROR, "analytics: out of memory for a batch");
        return -1;
    }

    row[JR_IX_REQUESTS]++;

    if (ev->status >= 100 && ev->status < 100 + JR_STATUSES) {
        row[JR_IX_STATUS + ev->status - 100]++;

    } else {
        n = jr_analytics_status(status, ev->status);

        if (jr_analytics_count(a, JR_DIM_STATUS, day, status, n) != 0) {
            return -1;
        }
    }

    a->pending++;

    jr_ua_lookup(a->agents, f[BLOG_EVENT_AGENT].data, f[BLOG_EVENT_AGENT].len,
                 &ua);

    if (ua.bot) {
        row[JR_IX_BOT_VIEWS]++;
        row[JR_IX_BOT + ua.bot_id]++;
        return 0;
    }

    if (!page) {
        /* a browser fetched a page's CSS beacon: its visit is a human's */
        if ((ev->flags & BLOG_EVENT_F_BEACON) && ev->status == 200
            && day >= a->oldest)
        {
            jr_views_prepare(a->views, key, ev->time_ms, visitor, vlen, "",
                             0);

            return jr_visits_beacon(a->visits, ev->time_ms, key->hv | 1,
                                    jr_views_alone(a->views, key, visitor)
                                    | 1);
        }

        return 0;
    }

    n = jr_views_check(a->views, key, visitor, &vlen,
                       f[BLOG_EVENT_PATH].data, f[BLOG_EVENT_PATH].len);
    if (n <= 0) {
        return n;
    }

    country = jr_geo_locate(a->geo, ev->family, ev->addr, &region);

    /* visits are kept for raw_days: a record older is counted only */
    if (day >= a->oldest) {
        view.key = key->hv | 1;         /* 0 is a free slot of the map */
        view.ev = ev;
        view.visitor = visitor;
        view.vlen = vlen;
        view.country = country;
        view.region = region;
        view.ua = &ua;

        if (jr_visits_add(a->visits, &view) != 0) {
            return -1;
        }
    }

    if (missing) {
        return 0;
    }

    ix = jr_analytics_country(country);

    if (jr_analytics_count(a, JR_DIM_PATH, day, f[BLOG_EVENT_PATH].data,
                              f[BLOG_EVENT_PATH].len) != 0
        || (f[BLOG_EVENT_SLUG].len
            && jr_analytics_count(a, JR_DIM_POST, day, f[BLOG_EVENT_SLUG].data,
                                  f[BLOG_EVENT_SLUG].len) != 0)
        || (f[BLOG_EVENT_REFERRER].len
            && jr_analytics_count(a, JR_DIM_REFERRER, day,
                                  f[BLOG_EVENT_REFERRER].data,
                                  f[BLOG_EVENT_REFERRER].len) != 0)
        || (ix == 0
            && jr_analytics_count(a, JR_DIM_COUNTRY, day, country, 2) != 0))
    {
        return -1;
    }

    if (ix) {
        row[ix]++;
    }

    row[JR_IX_VIEWS]++;
    row[JR_IX_BROWSER + ua.browser_id]++;
    row[JR_IX_OS + ua.os_id]++;

    /*
     * The visitors in a table of their own: thousands a batch, where the
     * counters above are a few hundred, which then stay in the CPU's
     * cache (they were a cache miss each, among the visitors).  One that
     * a committed batch counted is among the day's known ones already:
     * not hashed again.
     */
    if (!jr_views_known(a->views, key)
        && jr_counts_add(&a->people, JR_DIM_VISITOR, day, visitor, vlen, 1)
           != 0)
    {
        jr_log(JR_LOG_ERROR, "analytics: out of memory for a batch");
        return -1;
    }

    return 0;
}


void
jr_analytics_corrupt(jr_analytics_t *a)
{
    a->stats.corrupt++;
}


uint64_t
jr_analytics_pending(jr_analytics_t *a)
{
    return a->pending;
}


int
jr_analytics_flush(jr_analytics_t *a, const char *spool, int64_t offset)
{
    if (a->pending == 0 && spool == NULL) {
        return 0;
    }

    return jr_analytics_commit(a, spool, offset, NULL, NULL);
}


int
jr_analytics_flush_mark(jr_analytics_t *a, jr_analytics_mark_pt mark,
    void *data)
{
    return jr_analytics_commit(a, NULL, 0, mark, data);
}


static int
jr_analytics_commit(jr_analytics_t *a, const char *spool, int64_t offset,
    jr_analytics_mark_pt mark, void *data)
{
    int              i;
    double           seconds;
    struct timespec  start, end;

    clock_gettime(CLOCK_MONOTONIC, &start);

    /* what the caller reads next may be elsewhere: nothing is ahead */
    jr_analytics_peek(a, NULL, 0);

    /* the counters counted by index join those by key, to be written */
    if (jr_counts_fold(&a->counts) != 0) {
        jr_log(JR_LOG_ERROR, "analytics: out of memory for a batch");
        a->stats.failed++;
        return -1;
    }

    if (jr_analytics_step(a, JR_STMT_BEGIN) != 0) {
        a->stats.failed++;
        return -1;
    }

    if (jr_analytics_write(a, spool, offset) != 0
        || (mark && mark(data) != 0)
        || jr_analytics_step(a, JR_STMT_COMMIT) != 0)
    {
        (void) jr_analytics_step(a, JR_STMT_ROLLBACK);

        /* the batch stays for a retry, visits too, or for a discard */
        jr_visitors_done(a->known, 0);
        jr_counts_clear(&a->visitors);
        a->stats.failed++;
        return -1;
    }

    jr_visitors_done(a->known, 1);

    /* a salt gone: the visitors known under it hash otherwise now */
    if (jr_salt_lost(a->salts) != a->salts_lost) {
        a->salts_lost = jr_salt_lost(a->salts);
        jr_views_unknown(a->views);
    }

    jr_views_commit(a->views);
    jr_visits_commit(a->visits);

    /* readers' counters move only with what is committed */
    jr_analytics_publish(a);

    clock_gettime(CLOCK_MONOTONIC, &end);
    seconds = (double) (end.tv_sec - start.tv_sec)
              + (double) (end.tv_nsec - start.tv_nsec) / 1e9;

    for (i = 0; i < JR_LATENCY_BUCKETS - 1; i++) {
        if (seconds <= jr_latency_bounds[i]) {
            break;
        }
    }

    a->stats.latency[i]++;
    a->stats.seconds += seconds;
    a->stats.batches++;
    a->stats.consumed += a->pending;

    jr_log(JR_LOG_DEBUG, "batch of %llu events, %zu counters, in %.3f ms",
           (unsigned long long) a->pending, a->counts.used, seconds * 1e3);

    jr_analytics_discard(a);

    return 0;
}


/* The statements of a flush, inside its transaction. */
static int
jr_analytics_write(jr_analytics_t *a, const char *spool, int64_t offset)
{
    size_t         i;
    int64_t        today;
    jr_count_t    *c;
    jr_counts_t   *sets[2];
    sqlite3_stmt  *stmt;
    size_t         k;

    today = (int64_t) (time(NULL) / 86400);
    a->ntotals = 0;

    /* a new day: yesterday's salt and visitor hashes are of no more use */
    if (a->cleaned != today
        && (jr_visitors_expire(a->known, today) != 0
            || jr_salt_expire(a->salts, today) != 0))
    {
        return -1;
    }

    for (i = 0; i < a->counts.cap; i++) {
        c = &a->counts.slot[i];

        if (c->key == NULL || c->dim >= JR_DIM_VIEWS) {
            continue;
        }

        if (jr_analytics_add_to(a, JR_STMT_COUNT, c) != 0) {
            return -1;
        }

        if (c->dim == JR_DIM_PATH && jr_analytics_total(a, c) != 0) {
            return -1;
        }
    }

    /* new visitors become the day's "visitors" counter */
    if (jr_analytics_write_visitors(a, today) != 0
        || jr_visitors_write(a->known) != 0
        || jr_visits_write(a->visits, jr_analytics_visit_hash, a,
                           a->closing) != 0)
    {
        return -1;
    }

    sets[0] = &a->counts;
    sets[1] = &a->visitors;

    for (k = 0; k < 2; k++) {
        for (i = 0; i < sets[k]->cap; i++) {
            c = &sets[k]->slot[i];

            if (c->key == NULL || c->dim < JR_DIM_VIEWS
                || c->dim >= JR_DIM_VISITOR)
            {
                continue;
            }

            stmt = a->stmt[JR_STMT_DAILY + c->dim - JR_DIM_VIEWS];
            sqlite3_bind_int64(stmt, 1, c->day);
            sqlite3_bind_int64(stmt, 2, c->n);

            if (jr_analytics_step(a, JR_STMT_DAILY + c->dim - JR_DIM_VIEWS)
                != 0)
            {
                return -1;
            }
        }
    }

    if (spool) {
        stmt = a->stmt[JR_STMT_SPOOL];
        sqlite3_bind_text(stmt, 1, spool, -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 2, offset);

        if (jr_analytics_step(a, JR_STMT_SPOOL) != 0) {
            return -1;
        }
    }

    a->cleaned = today;
    a->oldest = today - a->raw_days + 1;

    return 0;
}


/*
 * SHA-256(salt of day, key): a visitor's hash, which names no one once
 * the salt is gone.  Returns 0, or -1 after logging why.
 */
static int
jr_analytics_hash(jr_analytics_t *a, int64_t day, int64_t today,
    const char *key, size_t len, unsigned char *md)
{
    unsigned char  buf[JR_SALT_LEN + JR_VISITOR_ADDR + BLOG_EVENT_AGENT_MAX];
    int            rc;

    if (jr_salt_get(a->salts, day, today, buf) != 0) {
        return -1;
    }

    /* the key is 17 bytes of address and at most the longest agent */
    memcpy(buf + JR_SALT_LEN, key, len);

    rc = EVP_DigestInit_ex(a->sha, a->sha256, NULL) == 1
         && EVP_DigestUpdate(a->sha, buf, JR_SALT_LEN + len) == 1
         && EVP_DigestFinal_ex(a->sha, md, NULL) == 1;

    OPENSSL_cleanse(buf, JR_SALT_LEN);

    if (!rc) {
        jr_log(JR_LOG_ERROR, "analytics: SHA-256 failed");
        return -1;
    }

    return 0;
}


/* A visit's visitor: the first 8 bytes of its hash (jr_visits_hash_pt). */
static int
jr_analytics_visit_hash(void *data, int64_t day, const char *visitor,
    size_t len, int64_t *hash)
{
    int             i;
    uint64_t        h;
    unsigned char   md[SHA256_DIGEST_LENGTH];
    jr_analytics_t *a;

    a = data;

    if (jr_analytics_hash(a, day, (int64_t) (time(NULL) / 86400), visitor,
                          len, md)
        != 0)
    {
        return -1;
    }

    h = 0;
    for (i = 0; i < 8; i++) {
        h = h << 8 | md[i];
    }

    *hash = (int64_t) h;

    return 0;
}


/*
 * The batch's visitors, each hashed under its day's salt and looked for in
 * the day's set of those counted.  The set is megabytes, each look-up a
 * cache miss: the slot of a visitor is prefetched when it is hashed, and
 * looked in JR_ANALYTICS_AHEAD hashes later, when it is in the cache.  So
 * are the visitors' bytes, kept in the order they came, before they are
 * hashed (2 * JR_ANALYTICS_AHEAD slots of the table ahead).
 */
static int
jr_analytics_write_visitors(jr_analytics_t *a, int64_t today)
{
    size_t                  i, n, k;
    jr_count_t             *c;
    jr_analytics_person_t   ring[JR_ANALYTICS_AHEAD], *p;

    n = 0;

    for (i = 0; i < a->people.cap; i++) {
        if (i + 2 * JR_ANALYTICS_AHEAD < a->people.cap) {
            c = &a->people.slot[i + 2 * JR_ANALYTICS_AHEAD];

            /* an address and an agent: two or three cache lines */
            if (c->key) {
                __builtin_prefetch(c->key);
                __builtin_prefetch(c->key + 64);
                __builtin_prefetch(c->key + 128);
            }
        }

        c = &a->people.slot[i];

        if (c->key == NULL) {
            continue;
        }

        /* the slot's visitor of JR_ANALYTICS_AHEAD ago goes first */
        p = &ring[n % JR_ANALYTICS_AHEAD];

        if (n >= JR_ANALYTICS_AHEAD && jr_analytics_write_visitor(a, p) != 0) {
            return -1;
        }

        if (jr_analytics_hash(a, c->day, today, c->key, c->len, p->md) != 0) {
            return -1;
        }

        jr_visitors_prefetch(a->known, c->day, p->md);
        p->c = c;
        n++;
    }

    for (k = n > JR_ANALYTICS_AHEAD ? n - JR_ANALYTICS_AHEAD : 0; k < n; k++) {
        if (jr_analytics_write_visitor(a, &ring[k % JR_ANALYTICS_AHEAD]) != 0) {
            return -1;
        }
    }

    return 0;
}


static int
jr_analytics_write_visitor(jr_analytics_t *a, const jr_analytics_person_t *p)
{
    int  rc;

    rc = jr_visitors_add(a->known, p->c->day, p->md);
    if (rc <= 0) {
        return rc;
    }

    if (jr_counts_add(&a->visitors, JR_DIM_VISITORS, p->c->day, "", 0, 1)
        != 0)
    {
        jr_log(JR_LOG_ERROR, "analytics: out of memory for a batch");
        return -1;
    }

    return 0;
}


/*
 * Adds the batch's views of a path to its total of all time and, with the
 * live counters on, notes the new total for jr_analytics_publish().
 * Returns 0 or -1 (logged).
 */
static int
jr_analytics_total(jr_analytics_t *a, jr_count_t *c)
{
    int                    rc;
    size_t                 cap;
    sqlite3_stmt          *stmt;
    jr_analytics_total_t  *t;

    if (jr_analytics_add_to(a, JR_STMT_TOTAL, c) != 0) {
        return -1;
    }

    /* no one to tell it to */
    if (!jr_sse_running()) {
        return 0;
    }

    if (a->ntotals == a->totals_cap) {
        cap = a->totals_cap ? a->totals_cap * 2 : 64;
        t = realloc(a->totals, cap * sizeof(jr_analytics_total_t));

        /* only the live counter misses it: no reason to fail the batch */
        if (t == NULL) {
            return 0;
        }

        a->totals = t;
        a->totals_cap = cap;
    }

    stmt = a->stmt[JR_STMT_TOTAL_READ];
    sqlite3_bind_text(stmt, 1, c->key, c->len, SQLITE_STATIC);

    rc = sqlite3_step(stmt);

    if (rc != SQLITE_ROW) {
        jr_log(JR_LOG_ERROR, "analytics: %s: %s", sqlite3_sql(stmt),
               sqlite3_errmsg(a->db));
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        return -1;
    }

    t = &a->totals[a->ntotals++];
    t->path = c->key;
    t->len = c->len;
    t->views = sqlite3_column_int64(stmt, 0);

    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);

    return 0;
}


/*
 * Adds counter c to its row: statement n, an UPDATE, or n + 1, the INSERT
 * of a row the UPDATE did not find.  Not one upsert (INSERT ... ON
 * CONFLICT DO UPDATE), which SQLite runs at twice the CPU of the UPDATE
 * of a row that is there, as almost every counter's row is after the
 * day's first batch.  The statements of analytics_counts take the
 * dimension's name, the day, the key and the count (4 parameters); those
 * of analytics_path_totals the key and the count (2).  Returns 0 or -1
 * (logged).
 */
static int
jr_analytics_add_to(jr_analytics_t *a, int n, const jr_count_t *c)
{
    int            k, col;
    sqlite3_stmt  *stmt;

    for (k = n; k <= n + 1; k++) {
        stmt = a->stmt[k];
        col = 1;

        if (sqlite3_bind_parameter_count(stmt) == 4) {
            sqlite3_bind_text(stmt, col++, jr_dim_names[c->dim], -1,
                              SQLITE_STATIC);
            sqlite3_bind_int64(stmt, col++, c->day);
        }

        sqlite3_bind_text(stmt, col++, c->key, c->len, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, col, c->n);

        if (jr_analytics_step(a, k) != 0) {
            return -1;
        }

        /* the transaction's own write: no one else's between the two */
        if (sqlite3_changes(a->db) > 0) {
            break;
        }
    }

    return 0;
}


/* "metrics.views.PATH" {"path": PATH, "views": N} for each path counted. */
static void
jr_analytics_publish(jr_analytics_t *a)
{
    char     topic[sizeof("metrics.views.") + BLOG_EVENT_PATH_MAX];
    size_t   i;
    json_t  *obj;

    if (!jr_sse_running()) {
        return;
    }

    for (i = 0; i < a->ntotals; i++) {
        snprintf(topic, sizeof(topic), "metrics.views.%.*s",
                 (int) a->totals[i].len, a->totals[i].path);

        obj = json_pack("{s:s%, s:I}", "path", a->totals[i].path,
                        (size_t) a->totals[i].len, "views",
                        (json_int_t) a->totals[i].views);
        if (obj == NULL) {
            continue;
        }

        /* a path that is no topic (too long, odd bytes) has no counter */
        if (jr_sse_topic_valid(topic, strlen(topic))) {
            (void) jr_sse_publish_json(topic, "views", obj);
        }

        json_decref(obj);
    }

    a->ntotals = 0;
}


/* Runs statement n to its end and resets it.  Returns 0 or -1 (logged). */
static int
jr_analytics_step(jr_analytics_t *a, int n)
{
    int  rc;

    rc = sqlite3_step(a->stmt[n]);
    sqlite3_reset(a->stmt[n]);
    sqlite3_clear_bindings(a->stmt[n]);

    if (rc != SQLITE_DONE) {
        jr_log(JR_LOG_ERROR, "analytics: %s: %s", sqlite3_sql(a->stmt[n]),
               sqlite3_errmsg(a->db));
        return -1;
    }

    return 0;
}


/* The status code in decimal, without printf's cost; returns the length. */
static int
jr_analytics_status(char *buf, unsigned status)
{
    int       n, i;
    char      tmp[8];

    n = 0;

    do {
        tmp[n++] = (char) ('0' + status % 10);
        status /= 10;
    } while (status && n < (int) sizeof(tmp));

    for (i = 0; i < n; i++) {
        buf[i] = tmp[n - 1 - i];
    }

    return n;
}


int
jr_analytics_end_visits(jr_analytics_t *a)
{
    int  rc;

    a->closing = 1;
    rc = jr_analytics_commit(a, NULL, 0, NULL, NULL);
    a->closing = 0;

    return rc;
}


void
jr_analytics_discard(jr_analytics_t *a)
{
    jr_counts_clear(&a->counts);
    jr_counts_clear(&a->people);
    jr_counts_clear(&a->visitors);
    jr_views_discard(a->views);
    jr_visits_discard(a->visits);
    jr_analytics_peek(a, NULL, 0);
    a->pending = 0;
}


const jr_analytics_stats_t *
jr_analytics_stats(jr_analytics_t *a)
{
    return &a->stats;
}


void
jr_analytics_close(jr_analytics_t *a)
{
    int  i;

    if (a == NULL) {
        return;
    }

    for (i = 0; i < JR_STMT_N; i++) {
        sqlite3_finalize(a->stmt[i]);
    }

    jr_counts_free(&a->counts);
    jr_counts_free(&a->people);
    jr_counts_free(&a->visitors);
    free(a->totals);
    jr_ua_cache_free(a->agents);
    jr_visitors_close(a->known);
    jr_views_free(a->views);
    jr_visits_close(a->visits);
    EVP_MD_CTX_free(a->sha);
    EVP_MD_free(a->sha256);
    free(a);
}
