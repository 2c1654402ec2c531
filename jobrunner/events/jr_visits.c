/*
 * Visits and their views; see jr_visits.h.
 *
 * Three arrays make a batch: the views (rows to insert), the "touches"
 * (one per visit the batch started or changed, with its state as the
 * batch leaves it) and the bytes of their strings.  The open visits are
 * a map from the visitor's key to the visit, open addressing with linear
 * probing; an entry touched by the batch knows its touch.
 *
 * A visit's id is given here, from the largest in analytics_visits at
 * start, so that its views name it before it is written; a discarded
 * batch leaves a gap in the ids, nothing else.
 *
 * Undo: the first touch of a visitor's key in a batch keeps the entry as
 * it was; a discard walks the touches backwards and puts those back (an
 * entry the batch added is killed: id 0, found by no view).
 */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blog_hitpack.h"
#include "core/jr_log.h"
#include "events/jr_hitgroups.h"
#include "events/jr_source.h"
#include "events/jr_strings.h"
#include "core/jr_table.h"
#include "events/jr_visits.h"


#define JR_VISITS_DAY_MS  86400000ULL
#define JR_VISITS_MIN     1024          /* slots of the map when first used */
#define JR_VISITS_UTM     3             /* utm_source, utm_medium, utm_campaign */
#define JR_VISITS_REFRESH 60            /* seconds an open visit's row may lag */
#define JR_VISITS_AHEAD   8             /* visits' slots prefetched ahead */


typedef struct {
    uint64_t   key;                     /* 0: a free slot */
    int64_t    id;                      /* 0: dead, found by no view */
    uint64_t   start_ms;
    uint64_t   end_ms;
    int64_t    entry;                   /* analytics_strings ids of the */
    int64_t    exit;                    /* first and last views' paths */
    uint32_t   views;
    uint32_t   touch;                   /* 1 + its touch in the batch, or 0 */
    uint16_t   dirty;                   /* its row is behind its views */
    uint16_t   human;                   /* the CSS beacon came: human = 1 */
    uint32_t   written;                 /* when its row was, Unix seconds */
    uint64_t   beacon_ms;               /* the visitor's last beacon, for
                                           the visit its view will start */
} jr_visit_t;

typedef struct {
    uint32_t   off;                     /* into the batch's bytes */
    uint32_t   len;
} jr_visits_str_t;

typedef struct {
    jr_visit_t        old;              /* before the batch; key 0: none */
    unsigned          first:1;          /* the key's first touch: undo it */
    unsigned          is_new:1;         /* started by the batch: insert */
    unsigned          human:1;          /* the visit is a human's */
    int64_t           id;
    int64_t           day;
    uint64_t          start_ms;
    uint64_t          end_ms;
    uint32_t          views;
    int32_t           entry;            /* the view of a new entry, or -1 */
    int32_t           exit;             /* the view of a new exit, or -1 */

    /* a new visit's description */
    jr_visits_str_t   visitor;
    jr_visits_str_t   source;
    jr_visits_str_t   utm[JR_VISITS_UTM];
    const char       *channel;
    const char       *device;
    const char       *browser;
    const char       *os;
    char              country[3];
    char              region[8];
} jr_visits_touch_t;

/*
 * A view as it is written: its day and page, the key of its pack
 * (analytics_hit_packs, migration 10), and its columns in the pack.  A
 * batch's are sorted here, in C, and written a pack per day and page.
 */
typedef struct {
    int64_t           day;
    int64_t           path;
    blog_hit_t        hit;
} jr_visits_hit_t;

typedef struct {
    int64_t           visit;
    int64_t           day;
    uint64_t          time_ms;
    uint32_t          n;                /* the view's number in its visit */
    unsigned          status;
    jr_visits_str_t   path;
    jr_visits_str_t   ref_host;
    jr_visits_str_t   ref_path;
    int64_t           path_id;          /* interned by jr_visits_write() */
} jr_visits_row_t;

/*
 * A visit whose row is behind and that the batch ended (its visitor's
 * next view starts another): its state then, and its touch in the batch
 * (-1: none), whose views give its entry and exit ids once interned.
 */
typedef struct {
    jr_visit_t        state;
    int32_t           touch;
} jr_visits_ended_t;

/* a visit the sweep brings up to date: in order of id, its row's */
typedef struct {
    int64_t           id;
    uint64_t          key;
    jr_visit_t       *e;                /* valid within the sweep only */
} jr_visits_done_t;

/*
 * A pack found corrupt, and why: a staged one jr_visits_load() could not
 * decode (its id in seq, day and path unused), or one of
 * analytics_hit_packs jr_visits_check() refused (its key).
 */
typedef struct {
    int64_t           day;
    int64_t           path;
    int64_t           seq;
    const char       *why;
} jr_visits_bad_t;

/* The packs found corrupt by a read, moved aside once it is done. */
typedef struct {
    jr_visits_bad_t  *pack;
    size_t            n;
    size_t            cap;
} jr_visits_bads_t;

enum {
    JR_VISITS_INSERT = 0,
    JR_VISITS_UPDATE,
    JR_VISITS_UPDATE_PAGES,
    JR_VISITS_REPAIR,
    JR_VISITS_PACK,
    JR_VISITS_UNROLL,
    JR_VISITS_HUMAN,
    JR_VISITS_PACKS,
    JR_VISITS_CLEAR,
    JR_VISITS_BAD,
    JR_VISITS_DROP,
    JR_VISITS_HAS,
    JR_VISITS_DAY_PACKS,
    JR_VISITS_SET_ASIDE,
    JR_VISITS_UNPACK,
    JR_VISITS_NSTMT
};

struct jr_visits_s {
    sqlite3            *db;
    sqlite3_stmt       *stmt[JR_VISITS_NSTMT];
    jr_strings_t       *strings;
    unsigned            written:1;      /* a write not committed yet */
    jr_visits_hit_t    *hits;           /* the write's views */
    size_t              nhits;
    size_t              hits_cap;
    blog_hit_t         *group;          /* those of one day and page */
    unsigned char      *pack;           /* and their pack */
    jr_hitgroups_t      groups;         /* the write's views by pack */
    uint64_t            bad_packs;      /* moved aside at start */
    uint64_t            gap_ms;
    int64_t             next_id;
    uint64_t            newest;         /* the latest view's time */
    time_t              swept;          /* when ended visits were looked for */
    time_t              sweeping;       /* and by the batch being written */
    jr_visits_done_t   *done;           /* the rows brought up to date */
    size_t              ndone;          /* in this batch */
    size_t              done_cap;
    jr_visits_ended_t  *ended;          /* visits behind their rows */
    size_t              nended;         /* that the batch ended */
    size_t              ended_cap;

    jr_visit_t         *slot;
    size_t              cap;            /* a power of two, or 0 */
    size_t              used;

    jr_visits_touch_t  *touch;
    size_t              ntouch;
    size_t              touch_cap;
    jr_visits_row_t    *row;
    size_t              nrow;
    size_t              row_cap;
    char               *bytes;
    size_t              nbytes;
    size_t              bytes_cap;
};


static const char *const  jr_visits_sql[JR_VISITS_NSTMT] = {
    "INSERT INTO analytics_visits (id, day, visitor, start_ms, end_ms, views,"
    " entry, exit, source, channel, ref_host, ref_path, utm_source,"
    " utm_medium, utm_campaign, country, region, device, browser, os, human)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
    " ?15, ?16, ?17, ?18, ?19, ?20, ?21)",

    /*
     * a visit's row brought up to date from the open visit's state, its
     * entry and exit pages as text from the strings' cache, or, for those
     * it no longer holds, by their ids
     */
    "UPDATE analytics_visits SET start_ms = ?2, end_ms = ?3, views = ?4,"
    " entry = ?5, exit = ?6 WHERE id = ?1",

    "UPDATE analytics_visits SET start_ms = ?2, end_ms = ?3, views = ?4,"
    " entry = (SELECT value FROM analytics_strings WHERE id = ?5),"
    " exit = (SELECT value FROM analytics_strings WHERE id = ?6)"
    " WHERE id = ?1",

    JR_VISITS_REPAIR_DAY,

    /*
     * a day and page's views of a batch, one pack (migration 10): after
     * those there are, found by the key's index (one seek, on the leaf
     * the insert writes)
     */
    "INSERT INTO analytics_hit_packs (day, path, seq, views, hits)"
    " SELECT ?1, ?2, coalesce(max(seq), -1) + 1, ?3, ?4"
    " FROM analytics_hit_packs WHERE day = ?1 AND path = ?2",

    /* a day rolled up and then given a late view is summed again */
    "DELETE FROM analytics_rolled WHERE day = ?1",

    /* the beacon of a visit whose row an earlier batch wrote */
    "UPDATE analytics_visits SET human = 1 WHERE id = ?1",

    /*
     * views a jobrunner before migration 10 staged (migration 8) and was
     * killed before it moved them, read at start
     */
    "SELECT id, views, hits FROM analytics_hits_packs ORDER BY id",

    "DELETE FROM analytics_hits_packs",

    /* one of those that is corrupt, moved aside (migration 9) */
    "INSERT INTO analytics_hits_packs_bad (pack, views, hits, reason, time)"
    " SELECT id, views, hits, ?2, unixepoch() FROM analytics_hits_packs"
    " WHERE id = ?1",

    "DELETE FROM analytics_hits_packs WHERE id = ?1",

    /* a view of those already counted (a corrupt pack): skipped */
    "SELECT 1 FROM analytics_hits WHERE day = ?1 AND path = ?2"
    " AND visit = ?3 AND n = ?4",

    /* the packs the repair at start reads, checked first */
    "SELECT day, path, seq, views, hits FROM analytics_hit_packs"
    " WHERE day >= ?1",

    /* one of those that is corrupt, moved aside (migrations 9 and 10) */
    "INSERT INTO analytics_hits_packs_bad (pack, views, hits, reason, time,"
    " day, path) SELECT seq, views, hits, ?4, unixepoch(), day, path"
    " FROM analytics_hit_packs WHERE day = ?1 AND path = ?2 AND seq = ?3",

    "DELETE FROM analytics_hit_packs WHERE day = ?1 AND path = ?2"
    " AND seq = ?3"
};


static jr_visit_t *jr_visits_find(jr_visits_t *v, uint64_t key);
static jr_visit_t *jr_visits_insert(jr_visits_t *v, uint64_t key);
static int jr_visits_touch(jr_visits_t *v, jr_visit_t *e, int fresh,
    jr_visits_touch_t **t);
static int jr_visits_str(jr_visits_t *v, jr_visits_str_t *s,
    const char *data, size_t len);
static int jr_visits_describe(jr_visits_t *v, jr_visits_touch_t *t,
    const jr_visits_view_t *view);
static int jr_visits_step(jr_visits_t *v, int n);
static void jr_visits_bind_str(jr_visits_t *v, sqlite3_stmt *stmt, int col,
    const jr_visits_str_t *s);
static void jr_visits_untouch(jr_visits_t *v);
static int jr_visits_sweep(jr_visits_t *v, int all);
static int jr_visits_ended(jr_visits_t *v, const jr_visit_t *e);
static void jr_visits_pages(jr_visits_t *v, jr_visit_t *e, int32_t touch);
static int jr_visits_recompute(jr_visits_t *v, const jr_visit_t *e);
static int jr_visits_repair(jr_visits_t *v);
static int jr_visits_query_only(sqlite3 *db);
static int jr_visits_packs(jr_visits_t *v, int staged);
static int jr_visits_seen(jr_visits_t *v, const jr_visits_hit_t *hit);
static int jr_visits_hits_reserve(jr_visits_t *v, size_t n);
static int jr_visits_unpack(jr_visits_t *v, const unsigned char *p,
    size_t len, int64_t views, const char **why);
static int jr_visits_set_aside(jr_visits_t *v, int64_t id, const char *why);
static int jr_visits_load(jr_visits_t *v);
static int jr_visits_check(jr_visits_t *v, int64_t day);
static int jr_visits_check_one(const unsigned char *p, size_t len,
    int64_t views, const char **why);
static int jr_visits_bads_add(jr_visits_bads_t *b, int64_t day,
    int64_t path, int64_t seq, const char *why);
static int jr_visits_set_aside_pack(jr_visits_t *v,
    const jr_visits_bad_t *c);
static int jr_visits_done_cmp(const void *a, const void *b);


/* Whether a slot holds a visit to keep when the map is made again. */
static inline int
jr_visits_alive(jr_visits_t *v, const jr_visit_t *e)
{
    return e->key
           && (e->touch || e->dirty
               || (e->id && e->end_ms + v->gap_ms > v->newest));
}


jr_visits_t *
jr_visits_open(sqlite3 *db, unsigned gap)
{
    int            i;
    sqlite3_stmt  *max;
    jr_visits_t   *v;

    v = calloc(1, sizeof(jr_visits_t));
    if (v == NULL) {
        jr_log(JR_LOG_ERROR, "visits: out of memory");
        return NULL;
    }

    v->db = db;
    v->gap_ms = (uint64_t) gap * 1000;

    v->strings = jr_strings_open(db);
    if (v->strings == NULL) {
        jr_visits_close(v);
        return NULL;
    }

    for (i = 0; i < JR_VISITS_NSTMT; i++) {
        if (sqlite3_prepare_v3(db, jr_visits_sql[i], -1,
                               SQLITE_PREPARE_PERSISTENT, &v->stmt[i], NULL)
            != SQLITE_OK)
        {
            jr_log(JR_LOG_ERROR, "visits: cannot prepare \"%s\": %s",
                   jr_visits_sql[i], sqlite3_errmsg(db));
            jr_visits_close(v);
            return NULL;
        }
    }

    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(id), 0) + 1"
                           " FROM analytics_visits", -1, &max, NULL)
        != SQLITE_OK
        || sqlite3_step(max) != SQLITE_ROW)
    {
        jr_log(JR_LOG_ERROR, "visits: cannot read analytics_visits: %s",
               sqlite3_errmsg(db));
        sqlite3_finalize(max);
        jr_visits_close(v);
        return NULL;
    }

    v->next_id = sqlite3_column_int64(max, 0);
    sqlite3_finalize(max);

    /* a replica's copy (query_only) is the primary's to repair */
    if (!jr_visits_query_only(db) && jr_visits_repair(v) != 0) {
        jr_visits_close(v);
        return NULL;
    }

    return v;
}


/* Whether db refuses writes (PRAGMA query_only, a replica's). */
static int
jr_visits_query_only(sqlite3 *db)
{
    int            on;
    sqlite3_stmt  *stmt;

    on = 0;

    if (sqlite3_prepare_v2(db, "PRAGMA query_only", -1, &stmt, NULL)
        == SQLITE_OK)
    {
        on = sqlite3_step(stmt) == SQLITE_ROW
             && sqlite3_column_int(stmt, 0);
    }

    sqlite3_finalize(stmt);

    return on;
}


/*
 * The rows a jobrunner that was killed left behind its views, of
 * yesterday and today (older days are brought up to date by their
 * rollup), in one transaction.
 */
static int
jr_visits_repair(jr_visits_t *v)
{
    int      rc;
    int64_t  day, today;

    if (sqlite3_exec(v->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)
        != SQLITE_OK)
    {
        jr_log(JR_LOG_ERROR, "visits: cannot begin: %s",
               sqlite3_errmsg(v->db));
        return -1;
    }

    today = (int64_t) (time(NULL) / 86400);

    /* views a killed jobrunner left staged are the rows' first */
    rc = jr_visits_load(v);

    if (rc == 0 && v->nhits) {
        rc = jr_visits_packs(v, 1);
    }

    if (rc == 0 && v->nhits) {
        rc = jr_visits_step(v, JR_VISITS_CLEAR);
    }

    if (rc == 0) {
        rc = jr_visits_check(v, today - 1);
    }

    for (day = today - 1; day <= today && rc == 0; day++) {
        sqlite3_bind_int64(v->stmt[JR_VISITS_REPAIR], 1, day);
        rc = jr_visits_step(v, JR_VISITS_REPAIR);

        if (rc == 0 && sqlite3_changes(v->db)) {
            jr_log(JR_LOG_INFO, "visits: %d of day %lld brought up to date "
                   "from their views", sqlite3_changes(v->db),
                   (long long) day);
        }
    }

    if (sqlite3_exec(v->db, rc == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL,
                     NULL)
        != SQLITE_OK)
    {
        jr_log(JR_LOG_ERROR, "visits: cannot commit: %s",
               sqlite3_errmsg(v->db));
        return -1;
    }

    /* packed, or the jobrunner does not start */
    v->nhits = 0;

    return rc;
}


int
jr_visits_add(jr_visits_t *v, const jr_visits_view_t *view)
{
    size_t                cap;
    uint64_t              t;
    jr_visit_t           *e;
    jr_visits_row_t      *row;
    jr_visits_touch_t    *touch;
    const blog_event_t   *ev;

    ev = view->ev;
    t = ev->time_ms;

    if (t > v->newest) {
        v->newest = t;
    }

    if (v->nrow == v->row_cap) {
        cap = v->row_cap ? v->row_cap * 2 : 4096;
        row = realloc(v->row, cap * sizeof(jr_visits_row_t));
        if (row == NULL) {
            goto nomem;
        }

        v->row = row;
        v->row_cap = cap;
    }

    e = jr_visits_find(v, view->key);

    /* the visitor's visit goes on unless the gap ended it */
    if (e && e->id && t < e->end_ms + v->gap_ms) {
        if (jr_visits_touch(v, e, 0, &touch) != 0) {
            goto nomem;
        }

        /* a row written by an earlier batch is now behind */
        e->dirty |= !touch->is_new;

    } else {
        if (e == NULL && (e = jr_visits_insert(v, view->key)) == NULL) {
            goto nomem;
        }

        if ((e->dirty && jr_visits_ended(v, e) != 0)
            || jr_visits_touch(v, e, 1, &touch) != 0)
        {
            goto nomem;
        }

        e->id = v->next_id++;
        e->start_ms = t;
        e->end_ms = t;
        e->views = 0;
        e->dirty = 0;
        e->written = (uint32_t) time(NULL);

        /* a beacon read before its page's view (another worker's batch) */
        e->human = e->beacon_ms >= t && e->beacon_ms < t + v->gap_ms;

        touch->is_new = 1;
        touch->human = e->human;
        touch->id = e->id;
        touch->day = (int64_t) (t / JR_VISITS_DAY_MS);
        touch->entry = (int32_t) v->nrow;

        if (jr_visits_describe(v, touch, view) != 0) {
            goto nomem;
        }
    }

    /* a record older than the visit's start (a late spool) moves it */
    if (t < e->start_ms) {
        e->start_ms = t;
        touch->entry = (int32_t) v->nrow;
    }

    if (t >= e->end_ms) {
        e->end_ms = t;
        touch->exit = (int32_t) v->nrow;
    }

    e->views++;
    touch->start_ms = e->start_ms;
    touch->end_ms = e->end_ms;
    touch->views = e->views;

    row = &v->row[v->nrow];
    row->visit = e->id;
    row->day = touch->day;
    row->time_ms = t;
    row->n = e->views;
    row->status = ev->status;

    if (jr_visits_str(v, &row->path, ev->field[BLOG_EVENT_PATH].data,
                      ev->field[BLOG_EVENT_PATH].len) != 0
        || jr_visits_str(v, &row->ref_host,
                         ev->field[BLOG_EVENT_REFERRER].data,
                         ev->field[BLOG_EVENT_REFERRER].len) != 0
        || jr_visits_str(v, &row->ref_path,
                         ev->field[BLOG_EVENT_REF_PATH].data,
                         ev->field[BLOG_EVENT_REF_PATH].len) != 0)
    {
        goto nomem;
    }

    v->nrow++;

    return 0;

nomem:

    jr_log(JR_LOG_ERROR, "visits: out of memory for a batch");
    return -1;
}


int
jr_visits_beacon(jr_visits_t *v, uint64_t time_ms, uint64_t key,
    uint64_t alone)
{
    jr_visit_t         *e;
    jr_visits_touch_t  *touch;

    /* the visit open when the page's CSS was fetched, the visitor's or,
       past visitors_per_address, the address's */
    e = jr_visits_find(v, key);

    if (e == NULL || e->id == 0 || time_ms < e->start_ms
        || time_ms >= e->end_ms + v->gap_ms)
    {
        e = jr_visits_find(v, alone);

        if (e && (e->id == 0 || time_ms < e->start_ms
                  || time_ms >= e->end_ms + v->gap_ms))
        {
            e = NULL;
        }
    }

    if (e == NULL) {
        /*
         * No visit yet: the beacon was read before its page's view, which
         * another worker sent in a later batch.  The view that starts the
         * visit looks at it (jr_visits_add()).  Not undone with a
         * discarded batch: read again, it sets the same time.
         */
        e = jr_visits_find(v, key);

        if (e == NULL && (e = jr_visits_insert(v, key)) == NULL) {
            goto nomem;
        }

        if (time_ms > e->beacon_ms) {
            e->beacon_ms = time_ms;
        }

        return 0;
    }

    if (e->human) {
        return 0;
    }

    if (jr_visits_touch(v, e, 0, &touch) != 0) {
        goto nomem;
    }

    e->human = 1;
    touch->human = 1;

    return 0;

nomem:

    jr_log(JR_LOG_ERROR, "visits: out of memory for a batch");
    return -1;
}


/*
 * The touch of entry e's visit in this batch: the one it has, unless
 * fresh (a new visit starts), else a new one; the key's first touch keeps
 * the entry as it was before the batch.  Returns 0, or -1 out of memory.
 */
static int
jr_visits_touch(jr_visits_t *v, jr_visit_t *e, int fresh,
    jr_visits_touch_t **t)
{
    size_t              cap;
    jr_visits_touch_t  *touch;

    if (e->touch && !fresh) {
        *t = &v->touch[e->touch - 1];
        return 0;
    }

    if (v->ntouch == v->touch_cap) {
        cap = v->touch_cap ? v->touch_cap * 2 : 1024;
        touch = realloc(v->touch, cap * sizeof(jr_visits_touch_t));
        if (touch == NULL) {
            return -1;
        }

        v->touch = touch;
        v->touch_cap = cap;
    }

    touch = &v->touch[v->ntouch];
    memset(touch, 0, sizeof(jr_visits_touch_t));
    touch->first = (e->touch == 0);
    touch->old = *e;
    touch->old.touch = 0;
    touch->id = e->id;
    touch->day = (int64_t) (e->start_ms / JR_VISITS_DAY_MS);
    touch->entry = -1;
    touch->exit = -1;

    e->touch = (uint32_t) ++v->ntouch;
    *t = touch;

    return 0;
}


/* A new visit's description, from its first view. */
static int
jr_visits_describe(jr_visits_t *v, jr_visits_touch_t *t,
    const jr_visits_view_t *view)
{
    int                  i;
    jr_source_t          src;
    const blog_event_t  *ev;

    ev = view->ev;
    jr_source_classify(ev, &src);

    if (jr_visits_str(v, &t->visitor, view->visitor, view->vlen) != 0
        || jr_visits_str(v, &t->source, src.source, src.len) != 0)
    {
        return -1;
    }

    for (i = 0; i < JR_VISITS_UTM; i++) {
        if (jr_visits_str(v, &t->utm[i],
                          ev->field[BLOG_EVENT_UTM_SOURCE + i].data,
                          ev->field[BLOG_EVENT_UTM_SOURCE + i].len)
            != 0)
        {
            return -1;
        }
    }

    t->channel = src.channel;
    t->device = view->ua->device;
    t->browser = view->ua->browser;
    t->os = view->ua->os;

    /* "--", the unknown country, is "" in the rows */
    if (strcmp(view->country, "--") != 0) {
        memcpy(t->country, view->country, 3);
    }

    strncpy(t->region, view->region, sizeof(t->region) - 1);

    return 0;
}


/* Copies len bytes into the batch's bytes. */
static int
jr_visits_str(jr_visits_t *v, jr_visits_str_t *s, const char *data,
    size_t len)
{
    char    *p;
    size_t   cap;

    if (v->nbytes + len > v->bytes_cap) {
        cap = v->bytes_cap ? v->bytes_cap : 65536;

        while (cap < v->nbytes + len) {
            cap *= 2;
        }

        p = realloc(v->bytes, cap);
        if (p == NULL) {
            return -1;
        }

        v->bytes = p;
        v->bytes_cap = cap;
    }

    if (len) {
        memcpy(v->bytes + v->nbytes, data, len);
    }

    s->off = (uint32_t) v->nbytes;
    s->len = (uint32_t) len;
    v->nbytes += len;

    return 0;
}


int
jr_visits_write(jr_visits_t *v, jr_visits_hash_pt hash, void *data,
    int all)
{
    int                 i;
    size_t              k;
    int64_t             visitor, unrolled;
    jr_visit_t          ended;
    sqlite3_stmt       *stmt;
    jr_visit_t         *e;
    jr_visits_row_t    *row;
    jr_visits_touch_t  *t;
    jr_visits_hit_t    *hit;

    unrolled = -1;

    /*
     * a write after one that failed does it all again; the strings it
     * added went with its rollback
     */
    v->ndone = 0;

    if (v->written) {
        jr_strings_discard(v->strings);
    }

    v->written = 1;

    if (jr_visits_hits_reserve(v, v->nrow) != 0) {
        return -1;
    }

    /* the views' paths, then the open visits' entry and exit pages */
    for (k = 0; k < v->nrow; k++) {
        row = &v->row[k];

        if (jr_strings_id(v->strings, v->bytes + row->path.off,
                          row->path.len, row->day, &row->path_id)
            != 0)
        {
            return -1;
        }
    }

    for (k = 0; k < v->ntouch; k++) {
        t = &v->touch[k];
        e = jr_visits_find(v, t->old.key);

        if (e && e->id == t->id) {
            jr_visits_pages(v, e, (int32_t) k);
        }
    }

    for (k = 0; k < v->ntouch; k++) {
        t = &v->touch[k];

        /* a late view of a day already summed: it is summed again */
        if (t->day != unrolled) {
            sqlite3_bind_int64(v->stmt[JR_VISITS_UNROLL], 1, t->day);

            if (jr_visits_step(v, JR_VISITS_UNROLL) != 0) {
                return -1;
            }

            unrolled = t->day;
        }

        /* a visit that goes on is brought up to date once it ends */
        if (!t->is_new) {
            if (t->human && !t->old.human) {
                sqlite3_bind_int64(v->stmt[JR_VISITS_HUMAN], 1, t->id);

                if (jr_visits_step(v, JR_VISITS_HUMAN) != 0) {
                    return -1;
                }
            }

            continue;
        }

        if (hash(data, t->day, v->bytes + t->visitor.off, t->visitor.len,
                 &visitor)
            != 0)
        {
            return -1;
        }

        /* the referrer is the entry view's */
        row = &v->row[t->entry];
        stmt = v->stmt[JR_VISITS_INSERT];
        sqlite3_bind_int64(stmt, 1, t->id);
        sqlite3_bind_int64(stmt, 2, t->day);
        sqlite3_bind_int64(stmt, 3, visitor);
        sqlite3_bind_int64(stmt, 4, (int64_t) t->start_ms);
        sqlite3_bind_int64(stmt, 5, (int64_t) t->end_ms);
        sqlite3_bind_int64(stmt, 6, t->views);
        jr_visits_bind_str(v, stmt, 7, &row->path);
        jr_visits_bind_str(v, stmt, 8,
                           &v->row[t->exit >= 0 ? t->exit : t->entry].path);
        jr_visits_bind_str(v, stmt, 9, &t->source);
        sqlite3_bind_text(stmt, 10, t->channel, -1, SQLITE_STATIC);
        jr_visits_bind_str(v, stmt, 11, &row->ref_host);
        jr_visits_bind_str(v, stmt, 12, &row->ref_path);

        for (i = 0; i < JR_VISITS_UTM; i++) {
            jr_visits_bind_str(v, stmt, 13 + i, &t->utm[i]);
        }

        sqlite3_bind_text(stmt, 16, t->country, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 17, t->region, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 18, t->device, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 19, t->browser, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 20, t->os, -1, SQLITE_STATIC);
        sqlite3_bind_int(stmt, 21, t->human);

        if (jr_visits_step(v, JR_VISITS_INSERT) != 0) {
            return -1;
        }
    }

    /* the views, a pack per day and page */
    v->nhits = v->nrow;

    for (k = 0; k < v->nrow; k++) {
        row = &v->row[k];
        hit = &v->hits[k];

        if (jr_strings_id(v->strings, v->bytes + row->ref_host.off,
                          row->ref_host.len, row->day, &hit->hit.ref_host)
            != 0
            || jr_strings_id(v->strings, v->bytes + row->ref_path.off,
                             row->ref_path.len, row->day, &hit->hit.ref_path)
               != 0)
        {
            return -1;
        }

        hit->day = row->day;
        hit->path = row->path_id;
        hit->hit.visit = row->visit;
        hit->hit.n = row->n;
        hit->hit.time_ms = (int64_t) row->time_ms;
        hit->hit.status = row->status;
    }

    if (jr_visits_packs(v, 0) != 0) {
        return -1;
    }

    for (k = 0; k < v->nended; k++) {
        ended = v->ended[k].state;

        if (v->ended[k].touch >= 0) {
            jr_visits_pages(v, &ended, v->ended[k].touch);
        }

        if (jr_visits_recompute(v, &ended) != 0) {
            return -1;
        }
    }

    return jr_visits_sweep(v, all);
}


uint64_t
jr_visits_bad_packs(jr_visits_t *v)
{
    return v->bad_packs;
}


/*
 * Writes v->hits as packs (analytics_hit_packs, migration 10): grouped
 * here, in C, by day and page (jr_hitgroups.h), one INSERT per day and
 * page with its views in the order they were counted.  A batch of 20,000
 * requests writes some 300 rows rather than 7,000: no staging, no move.
 *
 * staged: the views are those a jobrunner before migration 10 left staged
 * (read at start by jr_visits_load()); each day they belong to is
 * unmarked (it may have been rolled up without them), and a view already
 * counted, which only a corrupt pack holds, is logged and skipped.
 */
static int
jr_visits_packs(jr_visits_t *v, int staged)
{
    int               rc;
    size_t            i, k, n, skipped;
    int64_t           unrolled;
    sqlite3_stmt     *stmt;
    jr_hitgroup_t    *group;
    jr_visits_hit_t  *hit;

    if (jr_hitgroups_reserve(&v->groups, v->nhits) != 0) {
        jr_log(JR_LOG_ERROR, "visits: out of memory for a batch's views");
        return -1;
    }

    for (k = 0; k < v->nhits; k++) {
        jr_hitgroups_add(&v->groups, v->hits[k].day, v->hits[k].path);
    }

    jr_hitgroups_sort(&v->groups);

    stmt = v->stmt[JR_VISITS_PACK];
    unrolled = -1;
    skipped = 0;
    rc = 0;

    for (i = 0; i < v->groups.ngroups; i++) {
        group = &v->groups.group[i];
        n = 0;

        for (k = group->first; k < group->first + group->n; k++) {
            hit = &v->hits[v->groups.order[k]];

            if (staged) {
                if (group->day != unrolled) {
                    sqlite3_bind_int64(v->stmt[JR_VISITS_UNROLL], 1,
                                       group->day);

                    if (jr_visits_step(v, JR_VISITS_UNROLL) != 0) {
                        goto failed;
                    }

                    unrolled = group->day;
                }

                rc = jr_visits_seen(v, hit);
                if (rc < 0) {
                    goto failed;
                }

                if (rc) {
                    skipped++;
                    continue;
                }
            }

            v->group[n++] = hit->hit;
        }

        if (n == 0) {
            continue;
        }

        sqlite3_bind_int64(stmt, 1, group->day);
        sqlite3_bind_int64(stmt, 2, group->path);
        sqlite3_bind_int64(stmt, 3, (int64_t) n);
        sqlite3_bind_blob(stmt, 4, v->pack,
                          (int) blog_hitpack_encode(v->pack, v->group, n),
                          SQLITE_STATIC);

        if (jr_visits_step(v, JR_VISITS_PACK) != 0) {
            goto failed;
        }
    }

    jr_hitgroups_clear(&v->groups);

    if (skipped) {
        jr_log(JR_LOG_ERROR, "visits: %zu views of analytics_hits_packs "
               "were counted already (a corrupt pack), skipped", skipped);
    }

    if (staged) {
        jr_log(JR_LOG_INFO, "visits: %zu views a jobrunner left staged "
               "packed into analytics_hit_packs", v->nhits - skipped);
    }

    return 0;

failed:

    jr_hitgroups_clear(&v->groups);

    return -1;
}


/* Whether the staged view hit is counted already: 1, 0, or -1 (logged). */
static int
jr_visits_seen(jr_visits_t *v, const jr_visits_hit_t *hit)
{
    int            rc;
    sqlite3_stmt  *stmt;

    stmt = v->stmt[JR_VISITS_HAS];
    sqlite3_bind_int64(stmt, 1, hit->day);
    sqlite3_bind_int64(stmt, 2, hit->path);
    sqlite3_bind_int64(stmt, 3, hit->hit.visit);
    sqlite3_bind_int64(stmt, 4, hit->hit.n);

    rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);

    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        jr_log(JR_LOG_ERROR, "visits: %s: %s", sqlite3_sql(stmt),
               sqlite3_errmsg(v->db));
        return -1;
    }

    return rc == SQLITE_ROW;
}


/*
 * Room for n views in v->hits, and for the pack of as many (a day and
 * page may have them all).
 */
static int
jr_visits_hits_reserve(jr_visits_t *v, size_t n)
{
    size_t            cap;
    blog_hit_t       *group;
    unsigned char    *pack;
    jr_visits_hit_t  *hits;

    if (n <= v->hits_cap) {
        return 0;
    }

    cap = v->hits_cap ? v->hits_cap : 4096;

    while (cap < n) {
        cap *= 2;
    }

    hits = realloc(v->hits, cap * sizeof(jr_visits_hit_t));
    if (hits == NULL) {
        goto nomem;
    }

    v->hits = hits;

    group = realloc(v->group, cap * sizeof(blog_hit_t));
    if (group == NULL) {
        goto nomem;
    }

    v->group = group;

    pack = realloc(v->pack, BLOG_HITPACK_MAX(cap));
    if (pack == NULL) {
        goto nomem;
    }

    v->pack = pack;
    v->hits_cap = cap;

    return 0;

nomem:

    jr_log(JR_LOG_ERROR, "visits: out of memory for a batch's views");
    return -1;
}


/*
 * Appends a staged pack's views to v->hits: migration 8's format, their
 * eight columns as unsigned LEB128 varints in analytics_hits' order.  Returns 0; 1 for a pack that is
 * not views of 8 varints each, with *why, and v->hits as it was; or -1
 * (out of memory, logged).
 */
static int
jr_visits_unpack(jr_visits_t *v, const unsigned char *p, size_t len,
    int64_t views, const char **why)
{
    int                   i, shift;
    size_t                nhits;
    int64_t               k;
    uint64_t              x, col[8];
    jr_visits_hit_t      *hit;
    const unsigned char  *end;

    /* a view is 8 bytes at least */
    if (p == NULL || views <= 0 || (size_t) views > len / 8) {
        *why = "its count of views does not fit its bytes";
        return 1;
    }

    if (jr_visits_hits_reserve(v, v->nhits + (size_t) views) != 0) {
        return -1;
    }

    nhits = v->nhits;
    end = p + len;

    for (k = 0; k < views; k++) {
        for (i = 0; i < 8; i++) {
            x = 0;

            for (shift = 0; ; shift += 7) {
                if (p == end) {
                    *why = "its bytes end within a view";
                    goto bad;
                }

                if (shift > 63) {
                    *why = "a varint is longer than 10 bytes";
                    goto bad;
                }

                x |= (uint64_t) (*p & 0x7f) << shift;

                if ((*p++ & 0x80) == 0) {
                    break;
                }
            }

            /* every column is an SQLite integer, at least 0 */
            if (x > INT64_MAX) {
                *why = "a column is over 2^63 - 1";
                goto bad;
            }

            col[i] = x;
        }

        hit = &v->hits[v->nhits++];
        hit->day = (int64_t) col[0];
        hit->path = (int64_t) col[1];
        hit->hit.visit = (int64_t) col[2];
        hit->hit.n = (int64_t) col[3];
        hit->hit.time_ms = (int64_t) col[4];
        hit->hit.status = (int64_t) col[5];
        hit->hit.ref_host = (int64_t) col[6];
        hit->hit.ref_path = (int64_t) col[7];
    }

    if (p == end) {
        return 0;
    }

    *why = "bytes follow its last view";

bad:

    v->nhits = nhits;
    return 1;
}


/*
 * The packs a killed jobrunner left, into v->hits: its staged views.  A
 * pack that is not one the jobrunner wrote is logged, counted and moved
 * aside (analytics_hits_packs_bad, migration 9), and the others are read
 * on: a corrupt record is skipped, never a reason to stop the jobrunner's
 * mail, backups and jobs.  Its views are lost to the counts, as a corrupt
 * spool record's are.
 */
static int
jr_visits_load(jr_visits_t *v)
{
    int                   rc;
    size_t                k;
    int64_t               id;
    const char           *why;
    sqlite3_stmt         *stmt;
    jr_visits_bads_t      bad;
    const unsigned char  *hits;

    v->nhits = 0;
    stmt = v->stmt[JR_VISITS_PACKS];
    memset(&bad, 0, sizeof(bad));

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        id = sqlite3_column_int64(stmt, 0);

        /* the blob before its size, as SQLite asks */
        hits = sqlite3_column_blob(stmt, 2);

        rc = jr_visits_unpack(v, hits,
                              (size_t) sqlite3_column_bytes(stmt, 2),
                              sqlite3_column_int64(stmt, 1), &why);
        if (rc == 0) {
            continue;
        }

        if (rc < 0) {
            sqlite3_reset(stmt);
            free(bad.pack);
            return -1;
        }

        jr_log(JR_LOG_ERROR, "visits: pack %lld of analytics_hits_packs "
               "(%lld views, %d bytes) is not one the jobrunner wrote: %s; "
               "moved to analytics_hits_packs_bad, its views not counted",
               (long long) id, (long long) sqlite3_column_int64(stmt, 1),
               sqlite3_column_bytes(stmt, 2), why);

        /* moved once the read is done: not under a running SELECT */
        if (jr_visits_bads_add(&bad, 0, 0, id, why) != 0) {
            sqlite3_reset(stmt);
            free(bad.pack);
            return -1;
        }
    }

    sqlite3_reset(stmt);

    if (rc != SQLITE_DONE) {
        jr_log(JR_LOG_ERROR, "visits: %s: %s", sqlite3_sql(stmt),
               sqlite3_errmsg(v->db));
        free(bad.pack);
        return -1;
    }

    for (k = 0; k < bad.n; k++) {
        if (jr_visits_set_aside(v, bad.pack[k].seq, bad.pack[k].why) != 0) {
            free(bad.pack);
            return -1;
        }
    }

    free(bad.pack);

    v->bad_packs += bad.n;

    return 0;
}


/*
 * The packs of days from day on (yesterday and today: those the repair
 * reads next, and the rollup after).  One that does not decode, or whose
 * views are not as many as its views column says, is logged, counted and
 * moved aside into analytics_hits_packs_bad with its key, as a staged one
 * is: every read of its day would fail on it (blog_hits()), the repair at
 * start with them, and analytics data never stops the jobrunner.
 */
static int
jr_visits_check(jr_visits_t *v, int64_t day)
{
    int                   rc;
    size_t                k;
    const char           *why;
    sqlite3_stmt         *stmt;
    jr_visits_bads_t      bad;

    stmt = v->stmt[JR_VISITS_DAY_PACKS];
    sqlite3_bind_int64(stmt, 1, day);
    memset(&bad, 0, sizeof(bad));

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        /* the blob before its size, as SQLite asks */
        if (jr_visits_check_one(sqlite3_column_blob(stmt, 4),
                                (size_t) sqlite3_column_bytes(stmt, 4),
                                sqlite3_column_int64(stmt, 3), &why)
            == 0)
        {
            continue;
        }

        jr_log(JR_LOG_ERROR, "visits: the pack of analytics_hit_packs of "
               "day %lld, path %lld, seq %lld (%lld views, %d bytes) is "
               "not one the jobrunner wrote: %s; moved to "
               "analytics_hits_packs_bad, its views not counted",
               (long long) sqlite3_column_int64(stmt, 0),
               (long long) sqlite3_column_int64(stmt, 1),
               (long long) sqlite3_column_int64(stmt, 2),
               (long long) sqlite3_column_int64(stmt, 3),
               sqlite3_column_bytes(stmt, 4), why);

        /* moved once the read is done: not under a running SELECT */
        if (jr_visits_bads_add(&bad, sqlite3_column_int64(stmt, 0),
                               sqlite3_column_int64(stmt, 1),
                               sqlite3_column_int64(stmt, 2), why)
            != 0)
        {
            sqlite3_reset(stmt);
            sqlite3_clear_bindings(stmt);
            free(bad.pack);
            return -1;
        }
    }

    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);

    if (rc != SQLITE_DONE) {
        jr_log(JR_LOG_ERROR, "visits: %s: %s", sqlite3_sql(stmt),
               sqlite3_errmsg(v->db));
        free(bad.pack);
        return -1;
    }

    for (k = 0; k < bad.n; k++) {
        if (jr_visits_set_aside_pack(v, &bad.pack[k]) != 0) {
            free(bad.pack);
            return -1;
        }
    }

    free(bad.pack);

    v->bad_packs += bad.n;

    return 0;
}


/* Whether pack p decodes into views views: 0, or -1 with *why. */
static int
jr_visits_check_one(const unsigned char *p, size_t len, int64_t views,
    const char **why)
{
    int                    rc;
    blog_hit_t             hit;
    blog_hitpack_reader_t  r;

    if (blog_hitpack_open(&r, p, len, why) != 0) {
        return -1;
    }

    while ((rc = blog_hitpack_next(&r, &hit, why)) == 1) {
        /* void */
    }

    if (rc < 0) {
        return -1;
    }

    if (views < 0 || r.views != (uint64_t) views) {
        *why = "its views are not as many as its views column says";
        return -1;
    }

    return 0;
}


/* Notes a corrupt pack in b.  0, or -1 out of memory (logged). */
static int
jr_visits_bads_add(jr_visits_bads_t *b, int64_t day, int64_t path,
    int64_t seq, const char *why)
{
    size_t            cap;
    jr_visits_bad_t  *more;

    if (b->n == b->cap) {
        cap = b->cap ? 2 * b->cap : 4;
        more = realloc(b->pack, cap * sizeof(jr_visits_bad_t));
        if (more == NULL) {
            jr_log(JR_LOG_ERROR, "visits: out of memory");
            return -1;
        }

        b->pack = more;
        b->cap = cap;
    }

    b->pack[b->n].day = day;
    b->pack[b->n].path = path;
    b->pack[b->n].seq = seq;
    b->pack[b->n].why = why;
    b->n++;

    return 0;
}


/* Moves pack c into analytics_hits_packs_bad, with why. */
static int
jr_visits_set_aside_pack(jr_visits_t *v, const jr_visits_bad_t *c)
{
    sqlite3_stmt  *stmt;

    stmt = v->stmt[JR_VISITS_SET_ASIDE];
    sqlite3_bind_int64(stmt, 1, c->day);
    sqlite3_bind_int64(stmt, 2, c->path);
    sqlite3_bind_int64(stmt, 3, c->seq);
    sqlite3_bind_text(stmt, 4, c->why, -1, SQLITE_STATIC);

    if (jr_visits_step(v, JR_VISITS_SET_ASIDE) != 0) {
        return -1;
    }

    stmt = v->stmt[JR_VISITS_UNPACK];
    sqlite3_bind_int64(stmt, 1, c->day);
    sqlite3_bind_int64(stmt, 2, c->path);
    sqlite3_bind_int64(stmt, 3, c->seq);

    return jr_visits_step(v, JR_VISITS_UNPACK);
}


/* Moves pack id into analytics_hits_packs_bad, with why. */
static int
jr_visits_set_aside(jr_visits_t *v, int64_t id, const char *why)
{
    sqlite3_bind_int64(v->stmt[JR_VISITS_BAD], 1, id);
    sqlite3_bind_text(v->stmt[JR_VISITS_BAD], 2, why, -1, SQLITE_STATIC);

    if (jr_visits_step(v, JR_VISITS_BAD) != 0) {
        return -1;
    }

    sqlite3_bind_int64(v->stmt[JR_VISITS_DROP], 1, id);

    return jr_visits_step(v, JR_VISITS_DROP);
}


/*
 * Brings up to date the rows of the visits that have ended by the
 * records' time, and of those still open whose row is older than
 * JR_VISITS_REFRESH (all: every one), looked for once a second at most:
 * a walk of the map.  The rows are written in the order of their ids,
 * neighbours in the table's B-tree (the map's order is the keys' hash's),
 * and the keys kept for jr_visits_commit().
 */
static int
jr_visits_sweep(jr_visits_t *v, int all)
{
    size_t             i, cap;
    time_t             now;
    jr_visit_t        *e;
    jr_visits_done_t  *done;

    now = time(NULL);

    if (!all && now == v->swept) {
        return 0;
    }

    v->sweeping = now;

    for (i = 0; i < v->cap; i++) {
        e = &v->slot[i];

        /* ended, or open and written a while ago (a reader sees today) */
        if (!e->dirty
            || (!all && e->end_ms + v->gap_ms > v->newest
                && (uint32_t) now - e->written < JR_VISITS_REFRESH))
        {
            continue;
        }

        if (v->ndone == v->done_cap) {
            cap = v->done_cap ? v->done_cap * 2 : 1024;
            done = realloc(v->done, cap * sizeof(jr_visits_done_t));
            if (done == NULL) {
                jr_log(JR_LOG_ERROR, "visits: out of memory for a batch");
                return -1;
            }

            v->done = done;
            v->done_cap = cap;
        }

        done = &v->done[v->ndone++];
        done->id = e->id;
        done->key = e->key;
        done->e = e;
    }

    /* qsort() of none: no array to name (UBSan) */
    if (v->ndone > 1) {
        qsort(v->done, v->ndone, sizeof(jr_visits_done_t),
              jr_visits_done_cmp);
    }

    /* in the order of ids, the visits' slots are a cache miss each */
    for (i = 0; i < v->ndone; i++) {
        if (i + JR_VISITS_AHEAD < v->ndone) {
            __builtin_prefetch(v->done[i + JR_VISITS_AHEAD].e);
        }

        if (jr_visits_recompute(v, v->done[i].e) != 0) {
            return -1;
        }
    }

    return 0;
}


static int
jr_visits_done_cmp(const void *a, const void *b)
{
    const jr_visits_done_t  *x = a, *y = b;

    return x->id < y->id ? -1 : x->id > y->id;
}


/* A visit whose row is behind ended in the batch: its row is made so. */
static int
jr_visits_ended(jr_visits_t *v, const jr_visit_t *e)
{
    size_t              cap;
    jr_visits_ended_t  *ended;

    if (v->nended == v->ended_cap) {
        cap = v->ended_cap ? v->ended_cap * 2 : 256;
        ended = realloc(v->ended, cap * sizeof(jr_visits_ended_t));
        if (ended == NULL) {
            return -1;
        }

        v->ended = ended;
        v->ended_cap = cap;
    }

    ended = &v->ended[v->nended++];
    ended->state = *e;
    ended->touch = e->touch ? (int32_t) e->touch - 1 : -1;

    return 0;
}


/* The entry and exit pages touch k's views gave visit e, interned. */
static void
jr_visits_pages(jr_visits_t *v, jr_visit_t *e, int32_t k)
{
    jr_visits_touch_t  *t;

    t = &v->touch[k];

    if (t->entry >= 0) {
        e->entry = v->row[t->entry].path_id;
    }

    if (t->exit >= 0) {
        e->exit = v->row[t->exit].path_id;
    }
}


static int
jr_visits_recompute(jr_visits_t *v, const jr_visit_t *e)
{
    int            n;
    size_t         first_len, last_len;
    const char    *first, *last;
    sqlite3_stmt  *stmt;

    n = jr_strings_value(v->strings, e->entry, &first, &first_len)
        && jr_strings_value(v->strings, e->exit, &last, &last_len)
        ? JR_VISITS_UPDATE : JR_VISITS_UPDATE_PAGES;

    stmt = v->stmt[n];
    sqlite3_bind_int64(stmt, 1, e->id);
    sqlite3_bind_int64(stmt, 2, (int64_t) e->start_ms);
    sqlite3_bind_int64(stmt, 3, (int64_t) e->end_ms);
    sqlite3_bind_int64(stmt, 4, e->views);

    if (n == JR_VISITS_UPDATE) {
        sqlite3_bind_text(stmt, 5, first, (int) first_len, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 6, last, (int) last_len, SQLITE_STATIC);

    } else {
        sqlite3_bind_int64(stmt, 5, e->entry);
        sqlite3_bind_int64(stmt, 6, e->exit);
    }

    return jr_visits_step(v, n);
}


static void
jr_visits_bind_str(jr_visits_t *v, sqlite3_stmt *stmt, int col,
    const jr_visits_str_t *s)
{
    /* "" and not NULL for an empty string: the columns are NOT NULL */
    sqlite3_bind_text(stmt, col, s->len ? v->bytes + s->off : "",
                      (int) s->len, SQLITE_STATIC);
}


/* Runs statement n to its end and resets it.  Returns 0 or -1 (logged). */
static int
jr_visits_step(jr_visits_t *v, int n)
{
    int  rc;

    rc = sqlite3_step(v->stmt[n]);
    sqlite3_reset(v->stmt[n]);
    sqlite3_clear_bindings(v->stmt[n]);

    if (rc != SQLITE_DONE) {
        jr_log(JR_LOG_ERROR, "visits: %s: %s", sqlite3_sql(v->stmt[n]),
               sqlite3_errmsg(v->db));
        return -1;
    }

    return 0;
}


void
jr_visits_commit(jr_visits_t *v)
{
    size_t       k;
    jr_visit_t  *e;

    /* the rows brought up to date are, now */
    if (v->sweeping) {
        v->swept = v->sweeping;
    }

    for (k = 0; k < v->ndone; k++) {
        e = jr_visits_find(v, v->done[k].key);
        if (e) {
            e->dirty = 0;
            e->written = (uint32_t) v->sweeping;
        }
    }

    jr_visits_untouch(v);
}


void
jr_visits_discard(jr_visits_t *v)
{
    size_t              k;
    jr_visit_t         *e;
    jr_visits_touch_t  *t;

    /* ids its write gave went with the rollback */
    if (v->written) {
        jr_strings_discard(v->strings);
    }

    /* backwards: a key's first touch, the state before the batch, last */
    for (k = v->ntouch; k > 0; k--) {
        t = &v->touch[k - 1];

        if (t->first && (e = jr_visits_find(v, t->old.key)) != NULL) {
            *e = t->old;
        }
    }

    jr_visits_untouch(v);
}


/* Forgets the batch: its touches, rows and bytes. */
static void
jr_visits_untouch(jr_visits_t *v)
{
    size_t       k;
    jr_visit_t  *e;

    for (k = 0; k < v->ntouch; k++) {
        e = jr_visits_find(v, v->touch[k].old.key);
        if (e) {
            e->touch = 0;
        }
    }

    v->ntouch = 0;
    v->nrow = 0;
    v->nbytes = 0;
    v->ndone = 0;
    v->nended = 0;
    v->sweeping = 0;
    v->written = 0;
    v->nhits = 0;
}


void
jr_visits_close(jr_visits_t *v)
{
    int  i;

    if (v == NULL) {
        return;
    }

    for (i = 0; i < JR_VISITS_NSTMT; i++) {
        sqlite3_finalize(v->stmt[i]);
    }

    jr_strings_close(v->strings);
    jr_table_free(v->slot, v->cap * sizeof(jr_visit_t));
    free(v->done);
    free(v->ended);
    free(v->touch);
    free(v->row);
    free(v->bytes);
    free(v->hits);
    free(v->group);
    free(v->pack);
    jr_hitgroups_free(&v->groups);
    free(v);
}


void
jr_visits_prefetch(jr_visits_t *v, uint64_t key)
{
    if (v->cap) {
        __builtin_prefetch(&v->slot[key & (v->cap - 1)]);
    }
}


static jr_visit_t *
jr_visits_find(jr_visits_t *v, uint64_t key)
{
    size_t  i;

    if (v->cap == 0) {
        return NULL;
    }

    for (i = key & (v->cap - 1); v->slot[i].key; i = (i + 1) & (v->cap - 1)) {
        if (v->slot[i].key == key) {
            return &v->slot[i];
        }
    }

    return NULL;
}


/*
 * Adds an entry for key, which is not in the map, dead (id 0).  A map
 * that would be more than half full is made again without the visits
 * that are over (dead, or ended a gap before the latest view) and that
 * the batch has not touched, twice the size unless that left it a quarter
 * full or less.  Returns the entry, or NULL out of memory.
 */
static jr_visit_t *
jr_visits_insert(jr_visits_t *v, uint64_t key)
{
    size_t       i, j, cap, kept;
    jr_visit_t  *slot, *e;

    if ((v->used + 1) * 2 > v->cap) {
        kept = 0;

        for (i = 0; i < v->cap; i++) {
            kept += jr_visits_alive(v, &v->slot[i]);
        }

        cap = v->cap ? v->cap : JR_VISITS_MIN;

        if ((kept + 1) * 4 > cap) {
            cap *= 2;
        }

        slot = jr_table_alloc(cap * sizeof(jr_visit_t));
        if (slot == NULL) {
            return NULL;
        }

        for (i = 0; i < v->cap; i++) {
            e = &v->slot[i];

            if (!jr_visits_alive(v, e)) {
                continue;
            }

            for (j = e->key & (cap - 1); slot[j].key; j = (j + 1) & (cap - 1)) {
                /* void */
            }

            slot[j] = *e;
        }

        jr_table_free(v->slot, v->cap * sizeof(jr_visit_t));
        v->slot = slot;
        v->cap = cap;
        v->used = kept;
    }

    for (i = key & (v->cap - 1); v->slot[i].key; i = (i + 1) & (v->cap - 1)) {
        /* void */
    }

    e = &v->slot[i];
    memset(e, 0, sizeof(jr_visit_t));
    e->key = key;
    v->used++;

    return e;
}
