/*
 * What keeps one client from inflating the views (docs/events.md, "What
 * is counted"):
 *
 *   - a visitor's views of one path count once per window ([jobrunner]
 *     view_window, 30 minutes): reloading a page, or a script fetching it
 *     in a loop, is one view every 30 minutes;
 *   - one address makes at most a cap of visitors a day ([jobrunner]
 *     visitors_per_address, 50; an
 *     IPv6 address counts by its /64).  A visitor is an address and a user
 *     agent, so a client that sends another agent with every request would
 *     otherwise be a new visitor, with new views, every time; past the cap,
 *     the address's other agents are one visitor, the address alone.
 *
 * Both are decided as records are added to a batch, in memory only: the
 * tables hold 64-bit hashes keyed with a random secret made afresh each
 * day, when the tables are emptied, so no identifier outlives its day and
 * none is ever written.  A batch's decisions are kept apart until it
 * commits; a batch that is discarded is read again from its source, and
 * must meet the tables as they were.  A restarted jobrunner starts with
 * empty tables: until the window passes, a visitor's next view of a path
 * may count again, and an address may make up to the cap of visitors
 * again (the day's visitor hashes in data.db still count no one twice).
 */

#ifndef JR_VIEWS_H
#define JR_VIEWS_H

#include <stddef.h>
#include <stdint.h>

/* A visitor's identity: family (1 byte), address (16), then the agent. */
#define JR_VISITOR_ADDR          17

typedef struct jr_views_s  jr_views_t;

/*
 * The window in seconds (at most a day) and the cap (below 2^17: values
 * are 17 bits).  Returns the tables, or NULL out of memory (logged).
 */
jr_views_t *jr_views_create(unsigned window_s, unsigned per_address);

/* A view's keys, between jr_views_prepare() and jr_views_check(). */
typedef struct {
    uint64_t   day;
    uint64_t   sec;                     /* of the day */
    uint64_t   hv;                      /* of the visitor */
    uint64_t   rkey;                    /* of the visitor and the path */
} jr_views_key_t;

/*
 * Hashes a page view at time_ms (Unix milliseconds) of path by visitor
 * of len bytes into k, and asks the CPU to fetch the slots it will look
 * at: those are cache misses, the cost of a view, which the caller's work
 * until jr_views_check() hides.
 */
void jr_views_prepare(jr_views_t *v, jr_views_key_t *k, uint64_t time_ms,
    const char *visitor, size_t len, const char *path, size_t path_len);

/*
 * As jr_views_prepare(), for a record read ahead of the one being
 * counted, so its slots come into the cache meanwhile: it changes
 * nothing in v.  Returns 0 when the record's day is not the tables' (a
 * new day's seed is drawn only when its record is counted): k is then
 * to be prepared as usual.
 */
int jr_views_peek(jr_views_t *v, jr_views_key_t *k, uint64_t time_ms,
    const char *visitor, size_t len, const char *path, size_t path_len);

/*
 * The record of k, peeked, is counted now: what jr_views_prepare() would
 * have noted of it is.  Returns 1, or 0 when a record counted since the
 * peek began a new day: k is then to be prepared as usual.
 */
int jr_views_take(jr_views_t *v, const jr_views_key_t *k, uint64_t time_ms);

/*
 * Whether the view of k counts.  visitor, *len and path are those given
 * to jr_views_prepare().  When the address has made its visitors of the
 * day, the visitor becomes the address alone (an IPv6 one's /64, the rest
 * zeroed) and *len JR_VISITOR_ADDR, for the caller to count the view for
 * that.  Returns 1 when it counts, 0 for a repeat within the window, -1
 * out of memory (logged).
 */
int jr_views_check(jr_views_t *v, jr_views_key_t *k, char *visitor,
    size_t *len, const char *path, size_t path_len);

/*
 * The visitor key of k's visitor (given to jr_views_prepare()) once its
 * address has made its visitors of the day: the address alone, as
 * jr_views_check() counts it.  For the CSS beacon, which is no view but
 * must find the visit the views made.
 */
uint64_t jr_views_alone(jr_views_t *v, const jr_views_key_t *k,
    const char *visitor);

/*
 * Whether the visitor of k, whose view counted (jr_views_check() said 1),
 * is known to be counted among the day's visitors by a committed batch:
 * its salted hash is in the day's set (jr_visitors.h), and the caller
 * need not hash it again.  Otherwise 0, and the visitor is marked known
 * when the batch commits, for the caller counts it in this batch.  The
 * mark is on the visitor's entry in the day's admitted visitors, so it
 * costs no lookup of its own, and goes with them at the end of the day.
 */
int jr_views_known(jr_views_t *v, const jr_views_key_t *k);

/*
 * Forgets every mark of jr_views_known(): a salt the marked visitors
 * were hashed under is gone, and the same visitors now hash otherwise.
 */
void jr_views_unknown(jr_views_t *v);

/* The batch was committed: its decisions hold from now on. */
void jr_views_commit(jr_views_t *v);

/* The batch was discarded: its decisions are forgotten. */
void jr_views_discard(jr_views_t *v);

void jr_views_free(jr_views_t *v);

#endif /* JR_VIEWS_H */
