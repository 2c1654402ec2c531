/*
 * A batch's page views grouped by their pack's key, day and page
 * (analytics_hit_packs), in linear time: each view's key is looked up in
 * a map of the batch's groups as it is added, then the views are placed
 * group after group by counting.  A group keeps its views in the order
 * added, the order they were counted, whose times and visits are close
 * from one to the next (a pack's varints are deltas).  The groups come
 * in order of day and page, the packs' B-tree order.
 *
 *     jr_hitgroups_reserve(g, n);
 *     for each view i: jr_hitgroups_add(g, day, path);
 *     jr_hitgroups_sort(g);
 *     for each g->group[j]: g->order[first .. first + n) are its views
 *     jr_hitgroups_clear(g);
 */

#ifndef JR_HITGROUPS_H
#define JR_HITGROUPS_H

#include <stddef.h>
#include <stdint.h>


typedef struct {
    int64_t    day;
    int64_t    path;
    uint32_t   first;                   /* its first view in order */
    uint32_t   n;                       /* its views */
    uint32_t   id;                      /* its number as first seen */
    uint32_t   slot;                    /* its slot in the map, + 1 */
} jr_hitgroup_t;

typedef struct {
    jr_hitgroup_t  *group;              /* by day and page once sorted */
    size_t          ngroups;
    uint32_t       *order;              /* the views' numbers, by group */
    uint32_t       *of;                 /* a view's group's id */
    uint32_t       *rank;               /* a group id's place in group */
    size_t          nviews;
    size_t          cap;                /* views the arrays hold */
    uint32_t       *map;                /* group id + 1 by key; 0: free */
    size_t          mask;               /* of the map, twice cap slots */
} jr_hitgroups_t;


/*
 * Room for n views in all, asked before the batch's first view; 0, or -1
 * out of memory.
 */
int jr_hitgroups_reserve(jr_hitgroups_t *g, size_t n);

/* The next view's key: views are numbered 0, 1, ... as added. */
void jr_hitgroups_add(jr_hitgroups_t *g, int64_t day, int64_t path);

/* The groups in order of day and page, and their views in order. */
void jr_hitgroups_sort(jr_hitgroups_t *g);

/* No view, no group, for the next batch. */
void jr_hitgroups_clear(jr_hitgroups_t *g);

void jr_hitgroups_free(jr_hitgroups_t *g);

#endif /* JR_HITGROUPS_H */
