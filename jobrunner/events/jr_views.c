/*
 * The view window and the visitors' cap per address; see jr_views.h.
 *
 * Three maps from a key to a small value, open addressing with linear
 * probing:
 *
 *   seen      visitors admitted today (day, address, agent) -> 0, or the
 *             generation of the marks of jr_views_known() when counted
 *   per_addr  visitors admitted today per address (day, address) -> count
 *   recent    the last counted view (visitor, path) -> its second of the
 *             day; found, it also says the visitor was admitted
 *
 * A batch writes its decisions into the maps at once and logs what each
 * write replaced; a commit forgets the log, a discard plays it backwards.
 * So a record costs one probe of each map it needs, on the hot path of
 * ingestion, and a commit costs nothing.
 *
 * The keys are jr_hash() of the bytes under a random seed of the day: a
 * client cannot aim its agents or paths at another's key without the
 * seed.  "recent" sheds the views older than the window when it grows, so
 * it holds about the views of the last 30 minutes.
 */

#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "blog_event.h"
#include "core/jr_hash.h"
#include "core/jr_log.h"
#include "core/jr_table.h"
#include "events/jr_views.h"


#define JR_VIEWS_DAY_MS  86400000ULL
#define JR_VIEWS_MIN     1024           /* slots of a map when first used */

/*
 * A slot is one 64-bit word, to halve the memory the lookups walk (they
 * are the cost of a view, in cache misses): a key of 46 bits and a value
 * of 17, a count or the seconds of the day.  The bit between is always
 * set, so no key is 0, the free slot.
 */
#define JR_VIEWS_VAL_BITS  17
#define JR_VIEWS_VAL       ((1ULL << JR_VIEWS_VAL_BITS) - 1)
#define JR_VIEWS_KEY(h)    (((h) & ~JR_VIEWS_VAL) | (1ULL << JR_VIEWS_VAL_BITS))
#define JR_VIEWS_HOME(k)   ((size_t) ((k) >> (JR_VIEWS_VAL_BITS + 1)))


typedef struct {
    uint64_t  *slot;                    /* key | value, 0 when free */
    size_t     cap;                     /* a power of two, or 0 */
    size_t     used;
} jr_views_map_t;

/* What a write of the batch replaced: a value, or nothing (added). */
typedef struct {
    uint64_t   key;
    uint32_t   old;
    uint16_t   map;
    uint16_t   added;
} jr_views_undo_t;

enum {
    JR_VIEWS_SEEN = 0,
    JR_VIEWS_PER_ADDR,
    JR_VIEWS_RECENT,
    JR_VIEWS_MAPS
};

struct jr_views_s {
    jr_views_map_t    map[JR_VIEWS_MAPS];
    jr_views_undo_t  *undo;                   /* the batch's writes */
    size_t            nundo;
    size_t            undo_cap;
    uint64_t          seed;
    uint64_t          day;                    /* of the maps, or 0 */
    uint64_t          newest;                 /* the latest view, ms */
    uint64_t          window;                 /* seconds */
    uint64_t          per_address;
    uint64_t          known;                  /* the marks' generation */
    uint64_t         *knowing;                /* the batch's, to mark */
    size_t            nknowing;
    size_t            knowing_cap;
};


static uint64_t *jr_views_find(jr_views_map_t *map, uint64_t key);
static int jr_views_set(jr_views_t *v, int m, uint64_t *s, uint64_t key,
    uint64_t val, uint64_t oldest);
static int jr_views_add(jr_views_map_t *map, uint64_t key, uint64_t val,
    uint64_t oldest);
static void jr_views_remove(jr_views_map_t *map, uint64_t key);
static void jr_views_new_day(jr_views_t *v, uint64_t day);


/* k's keys under the day's seed, and their slots asked of the CPU */
static inline void
jr_views_keys(jr_views_t *v, jr_views_key_t *k, const char *visitor,
    size_t len, const char *path, size_t path_len)
{
    k->hv = jr_hash(visitor, len, v->seed ^ k->day);
    k->rkey = JR_VIEWS_KEY(jr_hash(path, path_len, k->hv));

    if (v->map[JR_VIEWS_RECENT].cap) {
        __builtin_prefetch(&v->map[JR_VIEWS_RECENT].slot[
            JR_VIEWS_HOME(k->rkey) & (v->map[JR_VIEWS_RECENT].cap - 1)]);
    }

    if (v->map[JR_VIEWS_SEEN].cap) {
        __builtin_prefetch(&v->map[JR_VIEWS_SEEN].slot[
            JR_VIEWS_HOME(JR_VIEWS_KEY(k->hv))
            & (v->map[JR_VIEWS_SEEN].cap - 1)]);
    }
}


jr_views_t *
jr_views_create(unsigned window_s, unsigned per_address)
{
    jr_views_t  *v;

    v = calloc(1, sizeof(jr_views_t));
    if (v == NULL) {
        jr_log(JR_LOG_ERROR, "views: out of memory");
        return NULL;
    }

    v->window = window_s;
    v->per_address = per_address;
    v->known = 1;

    return v;
}


void
jr_views_prepare(jr_views_t *v, jr_views_key_t *k, uint64_t time_ms,
    const char *visitor, size_t len, const char *path, size_t path_len)
{
    k->day = time_ms / JR_VIEWS_DAY_MS;
    k->sec = time_ms / 1000 % 86400;

    if (k->day > v->day) {
        jr_views_new_day(v, k->day);
    }

    if (time_ms > v->newest) {
        v->newest = time_ms;
    }

    jr_views_keys(v, k, visitor, len, path, path_len);
}


int
jr_views_peek(jr_views_t *v, jr_views_key_t *k, uint64_t time_ms,
    const char *visitor, size_t len, const char *path, size_t path_len)
{
    k->day = time_ms / JR_VIEWS_DAY_MS;

    /* another day's seed is not drawn yet: jr_views_prepare() will */
    if (k->day != v->day) {
        return 0;
    }

    k->sec = time_ms / 1000 % 86400;
    jr_views_keys(v, k, visitor, len, path, path_len);

    return 1;
}


int
jr_views_take(jr_views_t *v, const jr_views_key_t *k, uint64_t time_ms)
{
    /* a record between the peek and now began a day: a new seed */
    if (k->day != v->day) {
        return 0;
    }

    if (time_ms > v->newest) {
        v->newest = time_ms;
    }

    return 1;
}


uint64_t
jr_views_alone(jr_views_t *v, const jr_views_key_t *k, const char *visitor)
{
    char    addr[JR_VISITOR_ADDR];
    size_t  addr_len;

    /* as jr_views_check() makes it past the cap */
    addr_len = (visitor[0] == BLOG_EVENT_ADDR_V6) ? 1 + 8 : JR_VISITOR_ADDR;
    memcpy(addr, visitor, addr_len);
    memset(addr + addr_len, 0, JR_VISITOR_ADDR - addr_len);

    return jr_hash(addr, JR_VISITOR_ADDR, v->seed ^ k->day);
}


int
jr_views_check(jr_views_t *v, jr_views_key_t *k, char *visitor,
    size_t *len, const char *path, size_t path_len)
{
    size_t     addr_len;
    uint64_t   key, n, oldest, *s;

    oldest = v->newest / 1000 % 86400;
    oldest = oldest > v->window ? oldest - v->window : 0;

    /* a view of the path counted for this visitor: it was admitted */
    s = jr_views_find(&v->map[JR_VIEWS_RECENT], k->rkey);

    if (s == NULL
        && jr_views_find(&v->map[JR_VIEWS_SEEN], JR_VIEWS_KEY(k->hv))
           == NULL)
    {
        /* a visitor new today is one more of its address, up to the cap;
           an IPv6 client may hold a whole /64: it is one address here */
        addr_len = (visitor[0] == BLOG_EVENT_ADDR_V6) ? 1 + 8
                                                      : JR_VISITOR_ADDR;

        key = JR_VIEWS_KEY(jr_hash(visitor, addr_len, ~v->seed ^ k->day));
        s = jr_views_find(&v->map[JR_VIEWS_PER_ADDR], key);
        n = s ? (*s & JR_VIEWS_VAL) : 0;

        if (n >= v->per_address) {
            memset(visitor + addr_len, 0, JR_VISITOR_ADDR - addr_len);
            *len = JR_VISITOR_ADDR;
            k->hv = jr_hash(visitor, *len, v->seed ^ k->day);
            k->rkey = JR_VIEWS_KEY(jr_hash(path, path_len, k->hv));

        } else if (jr_views_set(v, JR_VIEWS_PER_ADDR, s, key, n + 1, 0) != 0
                   || jr_views_set(v, JR_VIEWS_SEEN, NULL,
                                   JR_VIEWS_KEY(k->hv), 0, 0)
                      != 0)
        {
            return -1;
        }

        s = jr_views_find(&v->map[JR_VIEWS_RECENT], k->rkey);
    }

    /* the visitor's last counted view of the path, within the window? */
    if (s) {
        n = *s & JR_VIEWS_VAL;

        if ((k->sec > n ? k->sec - n : n - k->sec) < v->window) {
            return 0;
        }
    }

    return jr_views_set(v, JR_VIEWS_RECENT, s, k->rkey, k->sec, oldest) == 0
           ? 1 : -1;
}


int
jr_views_known(jr_views_t *v, const jr_views_key_t *k)
{
    size_t     cap;
    uint64_t   key, *s, *p;

    key = JR_VIEWS_KEY(k->hv);
    s = jr_views_find(&v->map[JR_VIEWS_SEEN], key);

    /* past the cap the address alone is no admitted visitor: never known */
    if (s == NULL || (*s & JR_VIEWS_VAL) == v->known) {
        return s != NULL;
    }

    if (v->nknowing == v->knowing_cap) {
        cap = v->knowing_cap ? v->knowing_cap * 2 : 1024;
        p = realloc(v->knowing, cap * sizeof(uint64_t));

        /* unmarked, it is only hashed again by the next batch */
        if (p == NULL) {
            return 0;
        }

        v->knowing = p;
        v->knowing_cap = cap;
    }

    v->knowing[v->nknowing++] = key;

    return 0;
}


void
jr_views_unknown(jr_views_t *v)
{
    size_t           i;
    jr_views_map_t  *map;

    v->nknowing = 0;

    if (++v->known <= JR_VIEWS_VAL) {
        return;
    }

    /* the generations wrapped: the old marks go, one pass in 2^17 days */
    map = &v->map[JR_VIEWS_SEEN];

    for (i = 0; i < map->cap; i++) {
        map->slot[i] &= ~JR_VIEWS_VAL;
    }

    v->known = 1;
}


void
jr_views_commit(jr_views_t *v)
{
    size_t     i;
    uint64_t  *s;

    v->nundo = 0;

    /* the batch's visitors are in the day's set now */
    for (i = 0; i < v->nknowing; i++) {
        s = jr_views_find(&v->map[JR_VIEWS_SEEN], v->knowing[i]);
        if (s) {
            *s = v->knowing[i] | v->known;
        }
    }

    v->nknowing = 0;
}


void
jr_views_discard(jr_views_t *v)
{
    uint64_t         *s;
    jr_views_undo_t  *u;

    v->nknowing = 0;

    while (v->nundo) {
        u = &v->undo[--v->nundo];

        if (u->added) {
            jr_views_remove(&v->map[u->map], u->key);

        } else {
            /* gone only if shed as past the window: it may stay gone */
            s = jr_views_find(&v->map[u->map], u->key);
            if (s) {
                *s = u->key | u->old;
            }
        }
    }
}


void
jr_views_free(jr_views_t *v)
{
    int  m;

    if (v == NULL) {
        return;
    }

    for (m = 0; m < JR_VIEWS_MAPS; m++) {
        jr_table_free(v->map[m].slot, v->map[m].cap * sizeof(uint64_t));
    }

    free(v->undo);
    free(v->knowing);
    free(v);
}


/*
 * A new day: yesterday's maps and seed go (a record of an earlier day,
 * replayed late, meets empty maps), and with them what the batch wrote.
 */
static void
jr_views_new_day(jr_views_t *v, uint64_t day)
{
    int  m;

    for (m = 0; m < JR_VIEWS_MAPS; m++) {
        jr_table_free(v->map[m].slot, v->map[m].cap * sizeof(uint64_t));
        memset(&v->map[m], 0, sizeof(jr_views_map_t));
    }

    /* without randomness the seed is the old one: keys are still hashes */
    if (RAND_bytes((unsigned char *) &v->seed, sizeof(v->seed)) != 1) {
        jr_log(JR_LOG_WARN, "views: no random seed for the day");
    }

    v->nundo = 0;
    v->nknowing = 0;
    v->day = day;
    v->newest = 0;
}


static uint64_t *
jr_views_find(jr_views_map_t *map, uint64_t key)
{
    size_t  i;

    if (map->cap == 0) {
        return NULL;
    }

    for (i = JR_VIEWS_HOME(key) & (map->cap - 1); map->slot[i];
         i = (i + 1) & (map->cap - 1))
    {
        if ((map->slot[i] & ~JR_VIEWS_VAL) == key) {
            return &map->slot[i];
        }
    }

    return NULL;
}


/*
 * Sets key, whose slot s is known (NULL: key is not in the map), to val,
 * and logs what it replaces.  Returns 0, or -1 out of memory (logged).
 */
static int
jr_views_set(jr_views_t *v, int m, uint64_t *s, uint64_t key, uint64_t val,
    uint64_t oldest)
{
    size_t            cap;
    jr_views_undo_t  *u;

    if (v->nundo == v->undo_cap) {
        cap = v->undo_cap ? v->undo_cap * 2 : 4096;
        u = realloc(v->undo, cap * sizeof(jr_views_undo_t));
        if (u == NULL) {
            goto failed;
        }

        v->undo = u;
        v->undo_cap = cap;
    }

    u = &v->undo[v->nundo];
    u->key = key;
    u->map = (uint16_t) m;
    u->added = (s == NULL);
    u->old = s ? (uint32_t) (*s & JR_VIEWS_VAL) : 0;

    if (s) {
        *s = key | val;

    } else if (jr_views_add(&v->map[m], key, val, oldest) != 0) {
        goto failed;
    }

    v->nundo++;

    return 0;

failed:

    jr_log(JR_LOG_ERROR, "views: out of memory for a batch");
    return -1;
}


/*
 * Adds key, which is not in the map.  A map that would be more than half
 * full is made again, without the entries whose value is below oldest
 * (0 keeps all), twice the size unless that left it a quarter full or
 * less.  Returns 0, or -1 out of memory.
 */
static int
jr_views_add(jr_views_map_t *map, uint64_t key, uint64_t val, uint64_t oldest)
{
    size_t     i, j, cap, kept;
    uint64_t  *slot, e;

    if ((map->used + 1) * 2 > map->cap) {
        kept = 0;

        for (i = 0; i < map->cap; i++) {
            kept += map->slot[i] && (map->slot[i] & JR_VIEWS_VAL) >= oldest;
        }

        cap = map->cap ? map->cap : JR_VIEWS_MIN;

        if ((kept + 1) * 4 > cap) {
            cap *= 2;
        }

        slot = jr_table_alloc(cap * sizeof(uint64_t));
        if (slot == NULL) {
            return -1;
        }

        for (i = 0; i < map->cap; i++) {
            e = map->slot[i];

            if (e == 0 || (e & JR_VIEWS_VAL) < oldest) {
                continue;
            }

            for (j = JR_VIEWS_HOME(e) & (cap - 1); slot[j];
                 j = (j + 1) & (cap - 1))
            {
                /* void */
            }

            slot[j] = e;
        }

        jr_table_free(map->slot, map->cap * sizeof(uint64_t));
        map->slot = slot;
        map->cap = cap;
        map->used = kept;
    }

    for (i = JR_VIEWS_HOME(key) & (map->cap - 1); map->slot[i];
         i = (i + 1) & (map->cap - 1))
    {
        /* void */
    }

    map->slot[i] = key | val;
    map->used++;

    return 0;
}


/*
 * Takes key out, moving back the entries after it that linear probing
 * would otherwise no longer find.
 */
static void
jr_views_remove(jr_views_map_t *map, uint64_t key)
{
    size_t     i, j, home, mask;
    uint64_t  *s;

    s = jr_views_find(map, key);
    if (s == NULL) {
        return;
    }

    mask = map->cap - 1;
    i = (size_t) (s - map->slot);

    for (j = (i + 1) & mask; map->slot[j]; j = (j + 1) & mask) {
        home = JR_VIEWS_HOME(map->slot[j]) & mask;

        /* the entry at j may move to i unless its home lies in (i, j] */
        if ((i < j) ? (home <= i || home > j) : (home <= i && home > j)) {
            map->slot[i] = map->slot[j];
            i = j;
        }
    }

    map->slot[i] = 0;
    map->used--;
}
