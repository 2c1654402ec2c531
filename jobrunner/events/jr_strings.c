/*
 * The dictionary of paths and referrers; see jr_strings.h.
 *
 * The cache is a map from the string to its id, open addressing with
 * linear probing over JR_STRINGS_SLOTS slots (at most half used), the
 * strings' bytes in one arena: emptying it is setting two counts to 0.
 *
 * Each string cached knows the last day it was touched (analytics.db
 * migration 6: last_day, by which the retention deletes it): a view of
 * that day or before costs nothing, the first of a later day one UPDATE.
 *
 * A second map, from the id to the string's slot, gives a visit's entry
 * and exit pages back as text (jr_strings_value()): their rows are
 * brought up to date with no lookup of analytics_strings.  An id that
 * changed (the string deleted by the retention and added again) leaves
 * its old entry behind, found by no id: those count towards the cache's
 * size too, so that the map never fills.
 */

#include <stdlib.h>
#include <string.h>

#include "core/jr_log.h"
#include "events/jr_strings.h"


#define JR_STRINGS_MAX    32768         /* strings cached */
#define JR_STRINGS_SLOTS  (JR_STRINGS_MAX * 2)
#define JR_STRINGS_ARENA  (1024 * 1024) /* bytes cached */


typedef struct {
    uint64_t  hash;                     /* 0: a free slot */
    int64_t   id;
    uint32_t  off;                      /* into the arena */
    uint32_t  len;
    int64_t   day;                      /* its last_day is at least this */
} jr_strings_slot_t;

struct jr_strings_s {
    sqlite3            *db;
    sqlite3_stmt       *find;
    sqlite3_stmt       *add;
    sqlite3_stmt       *touch;
    jr_strings_slot_t  *slot;
    size_t              used;
    uint32_t           *byid;           /* 1 + a slot, by id; 0: free */
    size_t              nbyid;
    char               *arena;
    size_t              nbytes;
};


static int jr_strings_lookup(jr_strings_t *s, const char *data, size_t len,
    int64_t day, int64_t *id);
static int jr_strings_touch(jr_strings_t *s, int64_t id, int64_t day);
static void jr_strings_index(jr_strings_t *s, size_t slot);


jr_strings_t *
jr_strings_open(sqlite3 *db)
{
    jr_strings_t  *s;

    s = calloc(1, sizeof(jr_strings_t));
    if (s == NULL
        || (s->slot = calloc(JR_STRINGS_SLOTS, sizeof(jr_strings_slot_t)))
           == NULL
        || (s->byid = calloc(JR_STRINGS_SLOTS, sizeof(uint32_t))) == NULL
        || (s->arena = malloc(JR_STRINGS_ARENA)) == NULL)
    {
        jr_log(JR_LOG_ERROR, "strings: out of memory");
        jr_strings_close(s);
        return NULL;
    }

    s->db = db;

    if (sqlite3_prepare_v3(db, "SELECT id, last_day FROM analytics_strings"
                           " WHERE value = ?1", -1,
                           SQLITE_PREPARE_PERSISTENT, &s->find, NULL)
        != SQLITE_OK
        || sqlite3_prepare_v3(db, "INSERT INTO analytics_strings (value,"
                              " last_day) VALUES (?1, ?2)", -1,
                              SQLITE_PREPARE_PERSISTENT, &s->add, NULL)
           != SQLITE_OK
        || sqlite3_prepare_v3(db, "UPDATE analytics_strings SET last_day = ?2"
                              " WHERE id = ?1 AND last_day < ?2", -1,
                              SQLITE_PREPARE_PERSISTENT, &s->touch, NULL)
           != SQLITE_OK)
    {
        jr_log(JR_LOG_ERROR, "strings: cannot prepare: %s",
               sqlite3_errmsg(db));
        jr_strings_close(s);
        return NULL;
    }

    return s;
}


/* FNV-1a; never 0, the free slot's mark */
static inline uint64_t
jr_strings_hash(const char *data, size_t len)
{
    size_t    i;
    uint64_t  h;

    h = 14695981039346656037ULL;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char) data[i];
        h *= 1099511628211ULL;
    }

    return h | 1;
}


/* Fibonacci hashing of an id, into the second map's slots */
static inline size_t
jr_strings_id_slot(int64_t id)
{
    return (size_t) (((uint64_t) id * 11400714819323198485ULL) >> 48)
           & (JR_STRINGS_SLOTS - 1);
}


int
jr_strings_id(jr_strings_t *s, const char *data, size_t len, int64_t day,
    int64_t *id)
{
    int                 rc;
    size_t              i;
    uint64_t            h;
    jr_strings_slot_t  *e;

    if (len == 0) {
        *id = 0;
        return 0;
    }

    h = jr_strings_hash(data, len);

    for (i = h & (JR_STRINGS_SLOTS - 1); s->slot[i].hash;
         i = (i + 1) & (JR_STRINGS_SLOTS - 1))
    {
        e = &s->slot[i];

        if (e->hash == h && e->len == len
            && memcmp(s->arena + e->off, data, len) == 0)
        {
            if (e->day < day) {
                rc = jr_strings_touch(s, e->id, day);
                if (rc < 0) {
                    return -1;
                }

                /*
                 * no row changed: the retention deleted the string (no
                 * view used it for raw_days), or a tool's row touched it;
                 * the table says which
                 */
                if (rc == 0) {
                    *id = e->id;

                    if (jr_strings_lookup(s, data, len, day, &e->id) != 0) {
                        return -1;
                    }

                    /* a full second map: found by its text only */
                    if (e->id != *id && s->nbyid < JR_STRINGS_MAX) {
                        jr_strings_index(s, i);
                    }
                }

                e->day = day;
            }

            *id = e->id;
            return 0;
        }
    }

    if (jr_strings_lookup(s, data, len, day, id) != 0) {
        return -1;
    }

    /* a full cache starts again; a string longer than it is not kept */
    if (len > JR_STRINGS_ARENA) {
        return 0;
    }

    if (s->nbyid >= JR_STRINGS_MAX || s->nbytes + len > JR_STRINGS_ARENA) {
        jr_strings_discard(s);
        i = h & (JR_STRINGS_SLOTS - 1);
    }

    e = &s->slot[i];
    e->hash = h;
    e->id = *id;
    e->off = (uint32_t) s->nbytes;
    e->len = (uint32_t) len;
    e->day = day;
    memcpy(s->arena + s->nbytes, data, len);
    s->nbytes += len;
    s->used++;
    jr_strings_index(s, i);

    return 0;
}


/* Slot i's string found by its id too. */
static void
jr_strings_index(jr_strings_t *s, size_t i)
{
    size_t  k;

    /* its old id's entry, if it had one, no longer finds it */
    k = jr_strings_id_slot(s->slot[i].id);

    while (s->byid[k]) {
        k = (k + 1) & (JR_STRINGS_SLOTS - 1);
    }

    s->byid[k] = (uint32_t) i + 1;
    s->nbyid++;
}


int
jr_strings_value(jr_strings_t *s, int64_t id, const char **data,
    size_t *len)
{
    size_t              k;
    jr_strings_slot_t  *e;

    if (id == 0) {
        *data = "";
        *len = 0;
        return 1;
    }

    for (k = jr_strings_id_slot(id); s->byid[k];
         k = (k + 1) & (JR_STRINGS_SLOTS - 1))
    {
        e = &s->slot[s->byid[k] - 1];

        if (e->id == id && e->hash) {
            *data = s->arena + e->off;
            *len = e->len;
            return 1;
        }
    }

    return 0;
}


/*
 * The string's id from the table, added to it if new, its last_day at
 * least day.
 */
static int
jr_strings_lookup(jr_strings_t *s, const char *data, size_t len,
    int64_t day, int64_t *id)
{
    int      rc;
    int64_t  last;

    last = day;

    sqlite3_bind_text(s->find, 1, data, (int) len, SQLITE_STATIC);
    rc = sqlite3_step(s->find);

    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(s->find, 0);
        last = sqlite3_column_int64(s->find, 1);
        rc = SQLITE_DONE;

    } else if (rc == SQLITE_DONE) {
        sqlite3_bind_text(s->add, 1, data, (int) len, SQLITE_STATIC);
        sqlite3_bind_int64(s->add, 2, day);
        rc = sqlite3_step(s->add);
        *id = sqlite3_last_insert_rowid(s->db);
        sqlite3_reset(s->add);
        sqlite3_clear_bindings(s->add);
    }

    sqlite3_reset(s->find);
    sqlite3_clear_bindings(s->find);

    if (rc != SQLITE_DONE) {
        jr_log(JR_LOG_ERROR, "strings: analytics_strings: %s",
               sqlite3_errmsg(s->db));
        return -1;
    }

    if (last < day && jr_strings_touch(s, *id, day) < 0) {
        return -1;
    }

    return 0;
}


/*
 * last_day of string id brought up to day.  Returns 1 when a row changed,
 * 0 when none did, -1 after logging why.
 */
static int
jr_strings_touch(jr_strings_t *s, int64_t id, int64_t day)
{
    int  rc;

    sqlite3_bind_int64(s->touch, 1, id);
    sqlite3_bind_int64(s->touch, 2, day);
    rc = sqlite3_step(s->touch);
    sqlite3_reset(s->touch);

    if (rc != SQLITE_DONE) {
        jr_log(JR_LOG_ERROR, "strings: analytics_strings: %s",
               sqlite3_errmsg(s->db));
        return -1;
    }

    return sqlite3_changes(s->db) > 0;
}


void
jr_strings_discard(jr_strings_t *s)
{
    if (s->used) {
        memset(s->slot, 0, JR_STRINGS_SLOTS * sizeof(jr_strings_slot_t));
        memset(s->byid, 0, JR_STRINGS_SLOTS * sizeof(uint32_t));
    }

    s->used = 0;
    s->nbyid = 0;
    s->nbytes = 0;
}


void
jr_strings_close(jr_strings_t *s)
{
    if (s == NULL) {
        return;
    }

    sqlite3_finalize(s->find);
    sqlite3_finalize(s->add);
    sqlite3_finalize(s->touch);
    free(s->slot);
    free(s->byid);
    free(s->arena);
    free(s);
}
