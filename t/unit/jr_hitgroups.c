/*
 * Unit tests of the grouping of a batch's views by day and page
 * (jobrunner/events/jr_hitgroups.c): every view in exactly one group,
 * under its own key; groups in order of day and page; a group's views in
 * the order added; a map emptied for the next batch; growth; keys that
 * share a hash's home slot, negative and large ids.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#include "events/jr_hitgroups.h"


typedef struct {
    int64_t  day;
    int64_t  path;
} key_t_;


/*
 * Checks g against the n keys added: the groups strictly ordered, each
 * view once, in its key's group, in the order added.  Returns the
 * problems found (0: none), printed.
 */
static int
check(const jr_hitgroups_t *g, const key_t_ *keys, size_t n)
{
    int                   bad;
    size_t                j, k, seen, prev = 0;
    unsigned char        *placed;
    const jr_hitgroup_t  *a;

    bad = 0;
    seen = 0;
    placed = calloc(n ? n : 1, 1);

    for (j = 0; j < g->ngroups; j++) {
        a = &g->group[j];

        if (j && !(g->group[j - 1].day < a->day
                   || (g->group[j - 1].day == a->day
                       && g->group[j - 1].path < a->path)))
        {
            printf("# group %zu out of order\n", j);
            bad++;
        }

        if (a->first != seen || a->n == 0) {
            printf("# group %zu starts at %u with %u views\n", j, a->first,
                   a->n);
            bad++;
        }

        for (k = a->first; k < (size_t) a->first + a->n && k < n; k++) {
            size_t  v = g->order[k];

            if (v >= n || placed[v]
                || keys[v].day != a->day || keys[v].path != a->path
                || (k > a->first && v <= prev))
            {
                printf("# view %zu misplaced in group %zu\n", v, j);
                bad++;
            }

            if (v < n) {
                placed[v] = 1;
            }

            prev = v;
        }

        seen += a->n;
    }

    if (seen != n) {
        printf("# %zu views placed, %zu added\n", seen, n);
        bad++;
    }

    free(placed);

    return bad;
}


static size_t
add_all(jr_hitgroups_t *g, const key_t_ *keys, size_t n)
{
    size_t  k;

    if (jr_hitgroups_reserve(g, n) != 0) {
        return 0;
    }

    for (k = 0; k < n; k++) {
        jr_hitgroups_add(g, keys[k].day, keys[k].path);
    }

    jr_hitgroups_sort(g);

    return g->ngroups;
}


static void
test_small(void)
{
    jr_hitgroups_t  g;
    static const key_t_  keys[] = {
        { 20001, 7 }, { 20000, 9 }, { 20001, 7 }, { 20000, 3 },
        { 20000, 9 }, { 20001, 2 }, { 20000, 9 }
    };

    memset(&g, 0, sizeof(g));

    is_int(add_all(&g, keys, 7), 4, "7 views of 4 days and pages: 4 groups");
    is_int(check(&g, keys, 7), 0, "each view once, in its group, in order");
    is_int(g.group[0].day, 20000, "the first group is the first day's");
    is_int(g.group[0].path, 3, "and its smallest page's");
    is_int(g.group[1].n, 3, "page 9 of day 20000 has its 3 views");
    is_int(g.order[g.group[1].first], 1, "in the order added: view 1");
    is_int(g.order[g.group[1].first + 2], 6, "then 4, then 6");
    is_int(g.group[3].path, 7, "day 20001's page 7 last");

    jr_hitgroups_clear(&g);
    is_int(g.ngroups, 0, "cleared: no group");

    /* the same keys again: none is found in a map left behind */
    is_int(add_all(&g, keys + 3, 4), 3, "after a clear, 4 views of 3 keys");
    is_int(check(&g, keys + 3, 4), 0, "and each in its own");

    jr_hitgroups_clear(&g);
    is_int(add_all(&g, keys, 0), 0, "a batch of no view: no group");
    jr_hitgroups_free(&g);
}


static void
test_many(void)
{
    size_t           k, n, pages;
    key_t_          *keys;
    jr_hitgroups_t   g;
    unsigned         r;

    memset(&g, 0, sizeof(g));
    n = 100000;
    keys = malloc(n * sizeof(key_t_));
    r = 1;

    /* three days, 3,000 pages, ids spread over 64 bits and negatives */
    for (k = 0; k < n; k++) {
        r = r * 1103515245u + 12345u;
        keys[k].day = 19999 + (int64_t) (r >> 8) % 3;
        r = r * 1103515245u + 12345u;
        pages = (r >> 8) % 3000;
        keys[k].path = (int64_t) (pages * 0x9e3779b97f4a7c1ULL
                                  - (pages & 1 ? (uint64_t) INT64_MAX : 0));
    }

    ok(add_all(&g, keys, 1000) > 0, "1,000 views first");
    is_int(check(&g, keys, 1000), 0, "grouped");
    jr_hitgroups_clear(&g);

    /* more than the arrays held: they grow, the map empty again */
    is_int(add_all(&g, keys, n), 9000, "100,000 views of 9,000 keys");
    is_int(check(&g, keys, n), 0, "each once, in its group, in order");
    jr_hitgroups_clear(&g);

    /* keys whose hash shares a home: only the path's low bits differ */
    for (k = 0; k < n; k++) {
        keys[k].day = 20000;
        keys[k].path = (int64_t) ((k % 500) << 52);
    }

    is_int(add_all(&g, keys, n), 500, "500 pages differing above bit 52");
    is_int(check(&g, keys, n), 0, "grouped apart");

    jr_hitgroups_free(&g);
    free(keys);
}


int
main(void)
{
    test_small();
    test_many();

    return tap_done();
}
