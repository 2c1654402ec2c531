/*
 * A batch's views grouped by day and page; see jr_hitgroups.h.
 *
 * The map is open addressing with linear probing, twice as many slots as
 * views it may hold, so it stays at most half full; each group knows its
 * slot, so clearing it takes a walk of the groups, not of the map.
 */

#include <stdlib.h>
#include <string.h>

#include "events/jr_hitgroups.h"


#define JR_HITGROUPS_MIN  4096


static size_t
jr_hitgroups_home(const jr_hitgroups_t *g, int64_t day, int64_t path)
{
    uint64_t  h;

    h = ((uint64_t) path ^ ((uint64_t) day << 40)) * 0x9e3779b97f4a7c15ULL;

    return (size_t) (h >> 32) & g->mask;
}


/* One of the arrays of views, grown to cap. */
static int
jr_hitgroups_grow(uint32_t **a, size_t cap)
{
    uint32_t  *p;

    p = realloc(*a, cap * sizeof(uint32_t));
    if (p == NULL) {
        return -1;
    }

    *a = p;

    return 0;
}


int
jr_hitgroups_reserve(jr_hitgroups_t *g, size_t n)
{
    size_t          cap;
    uint32_t       *map;
    jr_hitgroup_t  *group;

    if (n <= g->cap) {
        return 0;
    }

    cap = g->cap ? g->cap : JR_HITGROUPS_MIN;

    while (cap < n) {
        cap *= 2;
    }

    /* views and the map's slots are numbered in 32 bits */
    if (cap > UINT32_MAX / 2) {
        return -1;
    }

    group = realloc(g->group, cap * sizeof(jr_hitgroup_t));
    if (group == NULL) {
        return -1;
    }

    g->group = group;

    if (jr_hitgroups_grow(&g->order, cap) != 0
        || jr_hitgroups_grow(&g->of, cap) != 0
        || jr_hitgroups_grow(&g->rank, cap) != 0)
    {
        return -1;
    }

    /* empty: a batch reserves before its first view */
    map = calloc(2 * cap, sizeof(uint32_t));
    if (map == NULL) {
        return -1;
    }

    free(g->map);
    g->map = map;
    g->mask = 2 * cap - 1;
    g->cap = cap;

    return 0;
}


void
jr_hitgroups_add(jr_hitgroups_t *g, int64_t day, int64_t path)
{
    size_t          i;
    uint32_t        id;
    jr_hitgroup_t  *group;

    for (i = jr_hitgroups_home(g, day, path); g->map[i];
         i = (i + 1) & g->mask)
    {
        group = &g->group[g->map[i] - 1];

        if (group->path == path && group->day == day) {
            group->n++;
            g->of[g->nviews++] = group->id;
            return;
        }
    }

    id = (uint32_t) g->ngroups++;
    group = &g->group[id];
    group->day = day;
    group->path = path;
    group->n = 1;
    group->id = id;
    group->slot = (uint32_t) i + 1;
    g->map[i] = id + 1;
    g->of[g->nviews++] = id;
}


static int
jr_hitgroups_cmp(const void *a, const void *b)
{
    const jr_hitgroup_t  *x = a, *y = b;

    if (x->day != y->day) {
        return x->day < y->day ? -1 : 1;
    }

    return x->path < y->path ? -1 : x->path > y->path;
}


void
jr_hitgroups_sort(jr_hitgroups_t *g)
{
    size_t          k;
    uint32_t        first;
    jr_hitgroup_t  *group;

    /* qsort() of none: no array to name (UBSan) */
    if (g->ngroups > 1) {
        qsort(g->group, g->ngroups, sizeof(jr_hitgroup_t), jr_hitgroups_cmp);
    }

    first = 0;

    for (k = 0; k < g->ngroups; k++) {
        group = &g->group[k];
        g->rank[group->id] = (uint32_t) k;
        group->first = first;
        first += group->n;
        group->n = 0;
    }

    /* counting: each view after those of its group placed before it */
    for (k = 0; k < g->nviews; k++) {
        group = &g->group[g->rank[g->of[k]]];
        g->order[group->first + group->n++] = (uint32_t) k;
    }
}


void
jr_hitgroups_clear(jr_hitgroups_t *g)
{
    size_t  k;

    for (k = 0; k < g->ngroups; k++) {
        g->map[g->group[k].slot - 1] = 0;
    }

    g->ngroups = 0;
    g->nviews = 0;
}


void
jr_hitgroups_free(jr_hitgroups_t *g)
{
    free(g->group);
    free(g->order);
    free(g->of);
    free(g->rank);
    free(g->map);
    memset(g, 0, sizeof(jr_hitgroups_t));
}
