/*
 * The visitors already counted, per day: a set of 16-byte hashes in
 * memory, loaded from analytics_visitor_hashes when a day is first seen,
 * and the hashes new in the current batch, written as one blob when the
 * batch commits.
 *
 * A visitor is new when its hash is in neither.  A commit that fails
 * leaves the set holding hashes that are not in data.db, so the set of
 * that day is dropped and loaded again on next use.
 */

#ifndef JR_VISITORS_H
#define JR_VISITORS_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define JR_VISITOR_HASH  16

typedef struct jr_visitors_s  jr_visitors_t;

/* Returns the sets, or NULL after logging why. */
jr_visitors_t *jr_visitors_open(sqlite3 *db);

/*
 * Whether hash is a new visitor of day: 1 new (and now known, pending),
 * 0 known, -1 on an error (logged).
 */
int jr_visitors_add(jr_visitors_t *v, int64_t day,
    const unsigned char *hash);

/*
 * Brings into the CPU's cache the slot of day's set where hash is looked
 * for first, for a jr_visitors_add() of it a little later.  Only a hint:
 * a day not loaded yet is skipped.
 */
void jr_visitors_prefetch(jr_visitors_t *v, int64_t day,
    const unsigned char *hash);

/*
 * Inside the batch's transaction: writes the pending hashes of every day.
 * Returns 0 or -1 (logged).
 */
int jr_visitors_write(jr_visitors_t *v);

/* After the transaction: committed (1) keeps the sets, else drops them. */
void jr_visitors_done(jr_visitors_t *v, int committed);

/* Forgets the days before today, in memory and (in the caller's
   transaction) in data.db.  Returns 0 or -1 (logged). */
int jr_visitors_expire(jr_visitors_t *v, int64_t today);

void jr_visitors_close(jr_visitors_t *v);

#endif /* JR_VISITORS_H */
