/*
 * The sets of visitors; see jr_visitors.h.
 */

#include <stdlib.h>
#include <string.h>

#include "core/jr_log.h"
#include "core/jr_table.h"
#include "events/jr_visitors.h"


#define JR_VISITOR_DAYS   4          /* days held at once */
#define JR_VISITOR_MIN    4096       /* slots of a new set, a power of 2 */


typedef struct {
    int64_t         day;
    int             used;
    int             loaded;
    unsigned char  *slot;            /* cap * JR_VISITOR_HASH bytes */
    size_t          cap;
    size_t          count;
    unsigned char  *pending;         /* npending * JR_VISITOR_HASH bytes */
    size_t          npending;
    size_t          pending_cap;
} jr_visitor_day_t;

enum {
    JR_VIS_LOAD = 0,
    JR_VIS_INSERT,
    JR_VIS_EXPIRE,
    JR_VIS_N
};

static const char *const  jr_visitors_sql[JR_VIS_N] = {
    "SELECT hashes FROM analytics_visitor_hashes WHERE day = ?1",
    "INSERT INTO analytics_visitor_hashes (day, seq, hashes)"
    " VALUES (?1, (SELECT coalesce(max(seq), 0) + 1"
    " FROM analytics_visitor_hashes WHERE day = ?1), ?2)",
    "DELETE FROM analytics_visitor_hashes WHERE day < ?1"
};

struct jr_visitors_s {
    sqlite3            *db;
    sqlite3_stmt       *stmt[JR_VIS_N];
    jr_visitor_day_t    days[JR_VISITOR_DAYS];
};


static jr_visitor_day_t *jr_visitors_day(jr_visitors_t *v, int64_t day);
static int jr_visitors_insert(jr_visitor_day_t *d, const unsigned char *hash);
static void jr_visitors_drop(jr_visitor_day_t *d);


jr_visitors_t *
jr_visitors_open(sqlite3 *db)
{
    int             i;
    jr_visitors_t  *v;

    v = calloc(1, sizeof(jr_visitors_t));
    if (v == NULL) {
        jr_log(JR_LOG_ERROR, "visitors: out of memory");
        return NULL;
    }

    v->db = db;

    for (i = 0; i < JR_VIS_N; i++) {
        if (sqlite3_prepare_v3(db, jr_visitors_sql[i], -1,
                               SQLITE_PREPARE_PERSISTENT, &v->stmt[i], NULL)
            != SQLITE_OK)
        {
            jr_log(JR_LOG_ERROR, "visitors: cannot prepare: %s",
                   sqlite3_errmsg(db));
            jr_visitors_close(v);
            return NULL;
        }
    }

    return v;
}


/* The set of day, loaded from data.db on first use. */
static jr_visitor_day_t *
jr_visitors_day(jr_visitors_t *v, int64_t day)
{
    int                 i, rc;
    size_t              n, k;
    jr_visitor_day_t   *d, *oldest;
    const unsigned char *blob;

    oldest = &v->days[0];

    for (i = 0; i < JR_VISITOR_DAYS; i++) {
        d = &v->days[i];

        if (d->used && d->day == day) {
            if (d->loaded) {
                return d;
            }
            break;
        }

        if (!d->used || (oldest->used && d->day < oldest->day)) {
            oldest = d;
        }
    }

    if (i == JR_VISITOR_DAYS) {
        /* a day with a batch in hand is never evicted: only past days are */
        d = oldest;
        if (d->npending) {
            jr_log(JR_LOG_ERROR, "visitors: too many days in one batch");
            return NULL;
        }

        jr_visitors_drop(d);
        d->day = day;
        d->used = 1;
    }

    sqlite3_bind_int64(v->stmt[JR_VIS_LOAD], 1, day);

    while ((rc = sqlite3_step(v->stmt[JR_VIS_LOAD])) == SQLITE_ROW) {
        blob = sqlite3_column_blob(v->stmt[JR_VIS_LOAD], 0);
        n = (size_t) sqlite3_column_bytes(v->stmt[JR_VIS_LOAD], 0)
            / JR_VISITOR_HASH;

        for (k = 0; k < n; k++) {
            if (jr_visitors_insert(d, blob + k * JR_VISITOR_HASH) < 0) {
                rc = SQLITE_NOMEM;
                break;
            }
        }

        if (k < n) {
            break;
        }
    }

    sqlite3_reset(v->stmt[JR_VIS_LOAD]);

    if (rc != SQLITE_DONE) {
        jr_log(JR_LOG_ERROR, "visitors: cannot load day %lld: %s",
               (long long) day, sqlite3_errstr(rc));
        jr_visitors_drop(d);
        return NULL;
    }

    d->loaded = 1;

    return d;
}


/* 1 inserted, 0 already there, -1 out of memory. */
static int
jr_visitors_insert(jr_visitor_day_t *d, const unsigned char *hash)
{
    size_t          i, j, cap;
    uint64_t        h;
    unsigned char  *slot;
    static const unsigned char  empty[JR_VISITOR_HASH];

    /* at most half full; a hash is random, its first bytes index it */
    if (2 * (d->count + 1) > d->cap) {
        cap = d->cap ? d->cap * 2 : JR_VISITOR_MIN;

        slot = jr_table_alloc(cap * JR_VISITOR_HASH);
        if (slot == NULL) {
            return -1;
        }

        for (i = 0; i < d->cap; i++) {
            if (memcmp(d->slot + i * JR_VISITOR_HASH, empty,
                       JR_VISITOR_HASH) == 0)
            {
                continue;
            }

            memcpy(&h, d->slot + i * JR_VISITOR_HASH, sizeof(h));
            for (j = h & (cap - 1);
                 memcmp(slot + j * JR_VISITOR_HASH, empty, JR_VISITOR_HASH);
                 j = (j + 1) & (cap - 1))
            {
                /* the next free slot */
            }

            memcpy(slot + j * JR_VISITOR_HASH, d->slot + i * JR_VISITOR_HASH,
                   JR_VISITOR_HASH);
        }

        jr_table_free(d->slot, d->cap * JR_VISITOR_HASH);
        d->slot = slot;
        d->cap = cap;
    }

    memcpy(&h, hash, sizeof(h));

    for (i = h & (d->cap - 1);
         memcmp(d->slot + i * JR_VISITOR_HASH, empty, JR_VISITOR_HASH);
         i = (i + 1) & (d->cap - 1))
    {
        if (memcmp(d->slot + i * JR_VISITOR_HASH, hash, JR_VISITOR_HASH)
            == 0)
        {
            return 0;
        }
    }

    memcpy(d->slot + i * JR_VISITOR_HASH, hash, JR_VISITOR_HASH);
    d->count++;

    return 1;
}


int
jr_visitors_add(jr_visitors_t *v, int64_t day, const unsigned char *hash)
{
    int                rc;
    size_t             cap;
    unsigned char     *p;
    jr_visitor_day_t  *d;

    d = jr_visitors_day(v, day);
    if (d == NULL) {
        return -1;
    }

    rc = jr_visitors_insert(d, hash);
    if (rc != 1) {
        if (rc < 0) {
            jr_log(JR_LOG_ERROR, "visitors: out of memory");
        }
        return rc;
    }

    if (d->npending == d->pending_cap) {
        cap = d->pending_cap ? d->pending_cap * 2 : 1024;

        p = realloc(d->pending, cap * JR_VISITOR_HASH);
        if (p == NULL) {
            jr_log(JR_LOG_ERROR, "visitors: out of memory");
            return -1;
        }

        d->pending = p;
        d->pending_cap = cap;
    }

    memcpy(d->pending + d->npending * JR_VISITOR_HASH, hash, JR_VISITOR_HASH);
    d->npending++;

    return 1;
}


void
jr_visitors_prefetch(jr_visitors_t *v, int64_t day, const unsigned char *hash)
{
    int                i;
    uint64_t           h;
    jr_visitor_day_t  *d;

    for (i = 0; i < JR_VISITOR_DAYS; i++) {
        d = &v->days[i];

        if (d->used && d->loaded && d->day == day && d->cap) {
            memcpy(&h, hash, sizeof(h));
            __builtin_prefetch(d->slot + (h & (d->cap - 1)) * JR_VISITOR_HASH);
            return;
        }
    }
}


int
jr_visitors_write(jr_visitors_t *v)
{
    int                i, rc;
    jr_visitor_day_t  *d;
    sqlite3_stmt      *stmt;

    stmt = v->stmt[JR_VIS_INSERT];

    for (i = 0; i < JR_VISITOR_DAYS; i++) {
        d = &v->days[i];

        if (!d->used || d->npending == 0) {
            continue;
        }

        sqlite3_bind_int64(stmt, 1, d->day);
        sqlite3_bind_blob(stmt, 2, d->pending, d->npending * JR_VISITOR_HASH,
                          SQLITE_STATIC);
        rc = sqlite3_step(stmt);
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);

        if (rc != SQLITE_DONE) {
            jr_log(JR_LOG_ERROR, "visitors: cannot store: %s",
                   sqlite3_errmsg(v->db));
            return -1;
        }
    }

    return 0;
}


void
jr_visitors_done(jr_visitors_t *v, int committed)
{
    int                i;
    jr_visitor_day_t  *d;

    for (i = 0; i < JR_VISITOR_DAYS; i++) {
        d = &v->days[i];

        if (!d->used || d->npending == 0) {
            continue;
        }

        /* rolled back: the set holds hashes data.db does not */
        if (!committed) {
            jr_visitors_drop(d);
            continue;
        }

        d->npending = 0;
    }
}


int
jr_visitors_expire(jr_visitors_t *v, int64_t today)
{
    int  i, rc;

    for (i = 0; i < JR_VISITOR_DAYS; i++) {
        if (v->days[i].used && v->days[i].day < today
            && v->days[i].npending == 0)
        {
            jr_visitors_drop(&v->days[i]);
        }
    }

    sqlite3_bind_int64(v->stmt[JR_VIS_EXPIRE], 1, today);
    rc = sqlite3_step(v->stmt[JR_VIS_EXPIRE]);
    sqlite3_reset(v->stmt[JR_VIS_EXPIRE]);

    if (rc != SQLITE_DONE) {
        jr_log(JR_LOG_ERROR, "visitors: cannot delete old hashes: %s",
               sqlite3_errmsg(v->db));
        return -1;
    }

    return 0;
}


static void
jr_visitors_drop(jr_visitor_day_t *d)
{
    jr_table_free(d->slot, d->cap * JR_VISITOR_HASH);
    free(d->pending);
    memset(d, 0, sizeof(jr_visitor_day_t));
}


void
jr_visitors_close(jr_visitors_t *v)
{
    int  i;

    if (v == NULL) {
        return;
    }

    for (i = 0; i < JR_VIS_N; i++) {
        sqlite3_finalize(v->stmt[i]);
    }

    for (i = 0; i < JR_VISITOR_DAYS; i++) {
        jr_visitors_drop(&v->days[i]);
    }

    free(v);
}
