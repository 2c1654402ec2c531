/*
 * The rollup of closed days and the retention of visits' rows
 * (docs/analytics.md, "Storage").
 *
 * A day has closed when its last visit cannot grow any more: the day has
 * ended (a visit ends at midnight) and visit_gap has passed since, for
 * the records still on their way (a worker's batch, a spool file).  Its
 * visits and views are then summed into analytics_rollup, per dimension
 * (blog_stats's names: "event:page", "visit:source"... and "" for the
 * site), into the segments (per country, device and source), and into the
 * pairs (each other dimension under each country, device and source),
 * and the day goes into analytics_rolled and analytics_pairs_rolled.  A
 * day rolled up before the pairs were (analytics.db migration 11) gets
 * them once no day waits to be rolled up.  A late view of a rolled
 * day takes it out again (jr_visits.c), and it is summed again.
 *
 * Rows of days before the last raw_days go, once their day is rolled up,
 * a few thousand a transaction, then the strings no view left uses.
 *
 * Each step is one short transaction, so ingestion (on the same
 * connection, between steps) never waits long: a day's sums take one per
 * dimension.  A day whose views change between its first step and its
 * last (a late record) starts again; a restart in the middle starts the
 * day again, as its rows in analytics_rollup are replaced.
 */

#ifndef JR_ROLLUP_H
#define JR_ROLLUP_H

#include <stdint.h>

#include <sqlite3.h>

typedef struct jr_rollup_s  jr_rollup_t;

/*
 * Prepares the statements on db; gap in seconds, raw_days in days.
 * Returns the handle, or NULL after logging why.
 */
jr_rollup_t *jr_rollup_open(sqlite3 *db, unsigned gap, unsigned raw_days);

/*
 * One transaction of work at now_ms (Unix milliseconds).  Returns 1 when
 * there is more to do, 0 when there is nothing, -1 after logging why.
 */
int jr_rollup_step(jr_rollup_t *r, int64_t now_ms);

void jr_rollup_close(jr_rollup_t *r);

#endif /* JR_ROLLUP_H */
