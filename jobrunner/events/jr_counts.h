/*
 * Counters of one batch of events, in memory: an open-addressing hash map
 * from (dimension, day, key) to a count.  A batch adds to it event by
 * event; the flush writes each distinct counter to SQLite once, so a batch
 * of a million views of ten pages costs ten UPSERTs, not a million.
 */

#ifndef JR_COUNTS_H
#define JR_COUNTS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t   hash;
    int64_t    day;
    int64_t    n;
    char      *key;         /* NULL: the slot is free */
    uint32_t   len;
    uint32_t   dim;
} jr_count_t;

typedef struct jr_counts_chunk_s  jr_counts_chunk_t;

typedef struct {
    jr_count_t         *slot;
    size_t              cap;     /* a power of two, or 0 before the first add */
    size_t              used;
    jr_counts_chunk_t  *chunks;  /* where the keys live, freed all at once */
} jr_counts_t;


/* Adds n to the counter (dim, day, key).  Returns 0, or -1 out of memory. */
int jr_counts_add(jr_counts_t *c, uint32_t dim, int64_t day,
    const char *key, size_t len, int64_t n);

/* Forgets every counter, keeping the table's memory. */
void jr_counts_clear(jr_counts_t *c);

void jr_counts_free(jr_counts_t *c);

#endif /* JR_COUNTS_H */
