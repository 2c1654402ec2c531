/*
 * The batch's counters; see jr_counts.h.
 */

#include <stdlib.h>
#include <string.h>

#include "jr_counts.h"


#define JR_COUNTS_MIN  1024


static uint64_t
jr_counts_hash(uint32_t dim, int64_t day, const char *key, size_t len)
{
    size_t    i;
    uint64_t  h;

    /* FNV-1a, seeded with the dimension and the day */
    h = 0xcbf29ce484222325ULL ^ ((uint64_t) dim << 32) ^ (uint64_t) day;

    for (i = 0; i < len; i++) {
        h = (h ^ (unsigned char) key[i]) * 0x100000001b3ULL;
    }

    return h ^ (h >> 29);
}


static int
jr_counts_grow(jr_counts_t *c)
{
    size_t       i, j, cap;
    jr_count_t  *slot;

    cap = c->cap ? c->cap * 2 : JR_COUNTS_MIN;

    slot = calloc(cap, sizeof(jr_count_t));
    if (slot == NULL) {
        return -1;
    }

    for (i = 0; i < c->cap; i++) {
        if (c->slot[i].key == NULL) {
            continue;
        }

        /* linear probing: the next free slot */
        j = c->slot[i].hash & (cap - 1);
        while (slot[j].key) {
            j = (j + 1) & (cap - 1);
        }

        slot[j] = c->slot[i];
    }

    free(c->slot);
    c->slot = slot;
    c->cap = cap;

    return 0;
}


int
jr_counts_add(jr_counts_t *c, uint32_t dim, int64_t day, const char *key,
    size_t len, int64_t n)
{
    size_t       i;
    uint64_t     hash;
    jr_count_t  *e;

    /* at most half full, so probes stay short */
    if (2 * (c->used + 1) > c->cap && jr_counts_grow(c) != 0) {
        return -1;
    }

    hash = jr_counts_hash(dim, day, key, len);

    for (i = hash & (c->cap - 1); c->slot[i].key; i = (i + 1) & (c->cap - 1)) {
        e = &c->slot[i];

        if (e->hash == hash && e->dim == dim && e->day == day && e->len == len
            && memcmp(e->key, key, len) == 0)
        {
            e->n += n;
            return 0;
        }
    }

    e = &c->slot[i];

    /* one byte more, so an empty key is not a NULL pointer */
    e->key = malloc(len + 1);
    if (e->key == NULL) {
        return -1;
    }

    memcpy(e->key, key, len);
    e->key[len] = '\0';
    e->len = (uint32_t) len;
    e->hash = hash;
    e->dim = dim;
    e->day = day;
    e->n = n;
    c->used++;

    return 0;
}


void
jr_counts_clear(jr_counts_t *c)
{
    size_t  i;

    if (c->used == 0) {
        return;
    }

    for (i = 0; i < c->cap; i++) {
        free(c->slot[i].key);
    }

    memset(c->slot, 0, c->cap * sizeof(jr_count_t));
    c->used = 0;
}


void
jr_counts_free(jr_counts_t *c)
{
    jr_counts_clear(c);
    free(c->slot);
    c->slot = NULL;
    c->cap = 0;
}
