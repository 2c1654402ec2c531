/*
 * The batch's counters; see jr_counts.h.
 */

#include <stdlib.h>
#include <string.h>

#include "core/jr_hash.h"
#include "events/jr_counts.h"


#define JR_COUNTS_MIN    1024
#define JR_COUNTS_CHUNK  65536


struct jr_counts_chunk_s {
    jr_counts_chunk_t  *next;
    size_t              used;
    size_t              size;
    char                data[];
};


/* A copy of the key in the current chunk, or a new chunk. */
static char *
jr_counts_key(jr_counts_t *c, const char *key, size_t len)
{
    char               *p;
    size_t              size;
    jr_counts_chunk_t  *ch;

    ch = c->chunks;

    /* one byte more, so an empty key is not a NULL pointer */
    if (ch == NULL || ch->size - ch->used < len + 1) {
        size = len + 1 > JR_COUNTS_CHUNK ? len + 1 : JR_COUNTS_CHUNK;

        ch = malloc(sizeof(jr_counts_chunk_t) + size);
        if (ch == NULL) {
            return NULL;
        }

        ch->next = c->chunks;
        ch->used = 0;
        ch->size = size;
        c->chunks = ch;
    }

    p = ch->data + ch->used;
    memcpy(p, key, len);
    p[len] = '\0';
    ch->used += len + 1;

    return p;
}


/* A counter's entry in the index: its hash's top half, its number + 1. */
#define JR_COUNTS_ENTRY(hash, i)  (((hash) >> 32 << 32) | ((i) + 1))


static int
jr_counts_grow(jr_counts_t *c)
{
    size_t       i, j, cap, mask;
    uint64_t    *index;
    jr_count_t  *slot;

    cap = c->cap ? c->cap * 2 : JR_COUNTS_MIN;

    /* the numbers are 32 bits */
    if (cap > UINT32_MAX) {
        return -1;
    }

    slot = realloc(c->slot, cap * sizeof(jr_count_t));
    if (slot == NULL) {
        return -1;
    }

    c->slot = slot;
    memset(slot + c->cap, 0, (cap - c->cap) * sizeof(jr_count_t));

    index = calloc(2 * cap, sizeof(uint64_t));
    if (index == NULL) {
        return -1;
    }

    mask = 2 * cap - 1;

    for (i = 0; i < c->used; i++) {
        /* linear probing: the next free slot */
        j = slot[i].hash & mask;
        while (index[j]) {
            j = (j + 1) & mask;
        }

        index[j] = JR_COUNTS_ENTRY(slot[i].hash, i);
    }

    free(c->index);
    c->index = index;
    c->cap = cap;

    return 0;
}


int
jr_counts_add(jr_counts_t *c, uint32_t dim, int64_t day, const char *key,
    size_t len, int64_t n)
{
    size_t       i, mask;
    uint64_t     x, hash;
    jr_count_t  *e;

    /* the array full; the index is then half full, so probes stay short */
    if (c->used == c->cap && jr_counts_grow(c) != 0) {
        return -1;
    }

    mask = 2 * c->cap - 1;
    hash = jr_hash(key, len, ((uint64_t) dim << 40) ^ (uint64_t) day);

    for (i = hash & mask; (x = c->index[i]) != 0; i = (i + 1) & mask) {
        if ((x ^ hash) >> 32) {
            continue;
        }

        e = &c->slot[(uint32_t) x - 1];

        if (e->hash == hash && e->dim == dim && e->day == day && e->len == len
            && memcmp(e->key, key, len) == 0)
        {
            e->n += n;
            return 0;
        }
    }

    e = &c->slot[c->used];

    e->key = jr_counts_key(c, key, len);
    if (e->key == NULL) {
        return -1;
    }

    e->len = (uint32_t) len;
    e->hash = hash;
    e->dim = dim;
    e->day = day;
    e->n = n;
    c->index[i] = JR_COUNTS_ENTRY(hash, c->used);
    c->used++;

    return 0;
}


void
jr_counts_names(jr_counts_t *c, const jr_counts_name_t *names, size_t n)
{
    c->names = names;
    c->nnames = n;
}


int64_t *
jr_counts_row_find(jr_counts_t *c, int64_t day)
{
    unsigned          i;
    jr_counts_row_t  *r;

    for (i = 0; i < c->nrows; i++) {
        if (c->rows[i].day == day) {
            c->row = &c->rows[i];
            return c->row->n;
        }
    }

    /* a batch over more days than that (a replay of old files) is rare */
    if (c->nrows == JR_COUNTS_ROWS && jr_counts_fold(c) != 0) {
        return NULL;
    }

    r = &c->rows[c->nrows];

    if (r->n == NULL) {
        r->n = calloc(c->nnames, sizeof(int64_t));
        if (r->n == NULL) {
            return NULL;
        }
    }

    r->day = day;
    c->nrows++;
    c->row = r;

    return r->n;
}


int
jr_counts_fold(jr_counts_t *c)
{
    size_t                   i;
    unsigned                 k;
    jr_counts_row_t         *r;
    const jr_counts_name_t  *name;

    for (k = 0; k < c->nrows; k++) {
        r = &c->rows[k];

        for (i = 0; i < c->nnames; i++) {
            if (r->n[i] == 0) {
                continue;
            }

            name = &c->names[i];

            if (jr_counts_add(c, name->dim, r->day, name->key, name->len,
                              r->n[i])
                != 0)
            {
                return -1;
            }

            r->n[i] = 0;
        }
    }

    c->nrows = 0;
    c->row = NULL;

    return 0;
}


void
jr_counts_clear(jr_counts_t *c)
{
    unsigned            k;
    jr_counts_chunk_t  *ch;

    for (k = 0; k < c->nrows; k++) {
        memset(c->rows[k].n, 0, c->nnames * sizeof(int64_t));
    }

    c->nrows = 0;
    c->row = NULL;

    while (c->chunks) {
        ch = c->chunks;
        c->chunks = ch->next;
        free(ch);
    }

    if (c->used == 0) {
        return;
    }

    memset(c->slot, 0, c->used * sizeof(jr_count_t));
    memset(c->index, 0, 2 * c->cap * sizeof(uint64_t));
    c->used = 0;
}


void
jr_counts_free(jr_counts_t *c)
{
    unsigned  k;

    jr_counts_clear(c);

    for (k = 0; k < JR_COUNTS_ROWS; k++) {
        free(c->rows[k].n);
        c->rows[k].n = NULL;
    }

    free(c->slot);
    free(c->index);
    c->slot = NULL;
    c->index = NULL;
    c->cap = 0;
}
