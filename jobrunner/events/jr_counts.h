/*
 * Counters of one batch of events, in memory: a hash map from (dimension,
 * day, key) to a count.  A batch adds to it event by event; the flush
 * writes each distinct counter to SQLite once, so a batch of a million
 * views of ten pages costs ten UPSERTs, not a million.
 *
 * The counters are an array in the order they came, slot[0] to
 * slot[used - 1]; the map is an open-addressing index of 8 bytes a slot
 * beside it (a counter's number and its hash's top half), so a lookup
 * among thousands (the batch's visitors) reads a table a fifth of the
 * counters' size, and a counter only when its hash matches.
 */

#ifndef JR_COUNTS_H
#define JR_COUNTS_H

#include <stddef.h>
#include <stdint.h>


typedef struct {
    uint64_t   hash;
    int64_t    day;
    int64_t    n;
    char      *key;         /* NULL: the slot is not used yet */
    uint32_t   len;
    uint32_t   dim;
} jr_count_t;

typedef struct jr_counts_chunk_s  jr_counts_chunk_t;

/*
 * Counters known in advance (a day's requests, a status code, a country,
 * a browser) may be counted by index instead, in a row of them per day:
 * an add is an increment, no key hashed or compared.  A name per index
 * says which counter of the map it is; jr_counts_fold() adds the rows
 * into the map, which then holds what adding by key would have.
 */
typedef struct {
    uint32_t            dim;
    uint32_t            len;
    const char         *key;
} jr_counts_name_t;

typedef struct {
    int64_t             day;
    int64_t            *n;       /* one per name */
} jr_counts_row_t;

/* days a batch has rows for at once; a further day folds them first */
#define JR_COUNTS_ROWS  4

typedef struct {
    jr_count_t         *slot;
    size_t              cap;     /* a power of two, or 0 before the first add */
    size_t              used;
    uint64_t           *index;   /* 2 * cap: hash >> 32 << 32 | number + 1 */
    jr_counts_chunk_t  *chunks;  /* where the keys live, freed all at once */

    const jr_counts_name_t  *names;     /* of the rows' indexes */
    size_t              nnames;
    jr_counts_row_t     rows[JR_COUNTS_ROWS];
    unsigned            nrows;   /* in use; the others keep their memory */
    jr_counts_row_t    *row;     /* the last one found */
} jr_counts_t;


/* Adds n to the counter (dim, day, key).  Returns 0, or -1 out of memory. */
int jr_counts_add(jr_counts_t *c, uint32_t dim, int64_t day,
    const char *key, size_t len, int64_t n);

/*
 * Names the indexes of the rows: names[i] is index i's counter.  names
 * must last as long as c.
 */
void jr_counts_names(jr_counts_t *c, const jr_counts_name_t *names,
    size_t n);

int64_t *jr_counts_row_find(jr_counts_t *c, int64_t day);

/*
 * The row of the day's counters by index, to add to (row[i] += n), or
 * NULL out of memory.  It stays valid until the next call of another day,
 * a fold or a clear.
 */
static inline int64_t *
jr_counts_row(jr_counts_t *c, int64_t day)
{
    if (c->row && c->row->day == day) {
        return c->row->n;
    }

    return jr_counts_row_find(c, day);
}

/*
 * Adds the rows' counters into the map and empties the rows.  Returns 0,
 * or -1 out of memory (what was added is out of the rows: a call again
 * adds the rest, never a counter twice).
 */
int jr_counts_fold(jr_counts_t *c);

/* Forgets every counter, keeping the table's memory. */
void jr_counts_clear(jr_counts_t *c);

void jr_counts_free(jr_counts_t *c);

#endif /* JR_COUNTS_H */
