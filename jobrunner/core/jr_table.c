/*
 * Tables in huge pages; see jr_table.h.
 */

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "core/jr_table.h"


#define JR_TABLE_HUGE  (2u << 20)       /* x86-64's and arm64's huge page */

/*
 * From this size on a table is whole huge pages: one growing by doubling
 * (the view window's maps, the open visits) faults in 2 MB at a time
 * from 256 kB on, not 4 kB, for at most 1.75 MB of a page it does not
 * use yet.  Smaller ones are calloc()'s.
 */
#define JR_TABLE_SMALL  (JR_TABLE_HUGE / 8)

#define jr_table_round(n)  (((n) + JR_TABLE_HUGE - 1) & ~(size_t) (JR_TABLE_HUGE - 1))


void *
jr_table_alloc(size_t size)
{
    size_t     len, head;
    uintptr_t  p, a;

    if (size < JR_TABLE_SMALL) {
        return calloc(1, size);
    }

    /* a huge page must be aligned: map a page more, unmap what is over */
    len = jr_table_round(size);

    p = (uintptr_t) mmap(NULL, len + JR_TABLE_HUGE, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if ((void *) p == MAP_FAILED) {
        return NULL;
    }

    a = (p + JR_TABLE_HUGE - 1) & ~(uintptr_t) (JR_TABLE_HUGE - 1);
    head = a - p;

    if (head) {
        (void) munmap((void *) p, head);
    }

    (void) munmap((void *) (a + len), JR_TABLE_HUGE - head);

    /* advice only: without it the table is in 4 kB pages, and works */
    (void) madvise((void *) a, len, MADV_HUGEPAGE);

    return (void *) a;
}


void
jr_table_free(void *p, size_t size)
{
    if (p == NULL) {
        return;
    }

    if (size < JR_TABLE_SMALL) {
        free(p);
        return;
    }

    (void) munmap(p, jr_table_round(size));
}
