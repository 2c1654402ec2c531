/*
 * Visits: runs of one visitor's page views with gaps under [jobrunner]
 * visit_gap (30 minutes), written as analytics_visits and analytics_views
 * rows (analytics.db migration 2, docs/analytics.md).
 *
 * The visits still open live in memory, keyed by the visitor's key of
 * the day (jr_views_key_t.hv: a hash under a random seed of the day), so
 * a visit ends at midnight UTC at the latest: the next view starts a new
 * one under the new day's key.  A batch's views join or start visits at
 * once, and what each change replaced is kept until the batch commits or
 * is discarded (read again from its source, it must meet the visits as
 * they were).
 *
 * Rows: a visit's row is inserted by the batch that starts it, as the
 * batch leaves it; its views' rows by the batch that adds them.  A visit
 * that goes on in later batches has its row brought up to date from its
 * views' rows (JR_VISITS_RECOMPUTE) once it has ended (visit_gap after
 * its last view, by the records' time), a minute after its row was last
 * written while it is open, when the day is rolled up, at shutdown, and
 * at start for the visits a killed jobrunner left behind: one UPDATE per
 * visit and minute rather than one per batch it spans, which was most of
 * the cost of ingestion.  So the row of a visit still open is at most a
 * minute behind; its views' rows are always exact.
 *
 * A restarted jobrunner starts with no open visit: the views of a visit
 * open at the restart are neither lost nor counted twice (they commit
 * with the spool offset or the NATS sequence), but the visit's next view
 * starts a new visit.
 */

#ifndef JR_VISITS_H
#define JR_VISITS_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "blog_event.h"
#include "events/jr_useragent.h"

/*
 * Brings the rows of the visits "where" names (with ?1) up to date from
 * their views' rows: start, end, views, entry and exit.
 */
#define JR_VISITS_RECOMPUTE(where)                                            \
    "UPDATE analytics_visits AS v SET (start_ms, end_ms, views) ="           \
    " (SELECT min(time_ms), max(time_ms), count(*) FROM analytics_views"      \
    "  WHERE visit = v.id),"                                                  \
    " entry = (SELECT path FROM analytics_views WHERE visit = v.id"           \
    "  ORDER BY time_ms, id LIMIT 1),"                                        \
    " exit = (SELECT path FROM analytics_views WHERE visit = v.id"            \
    "  ORDER BY time_ms DESC, id DESC LIMIT 1) WHERE " where

/* Those of day ?1 whose rows are behind their views. */
#define JR_VISITS_STALE                                                       \
    "day = ?1 AND views <> (SELECT count(*) FROM analytics_views"             \
    " WHERE visit = v.id)"

typedef struct jr_visits_s  jr_visits_t;

/* A view that counts, with what its visit is described by. */
typedef struct {
    uint64_t             key;           /* the visitor's of the day, not 0 */
    const blog_event_t  *ev;            /* time, status, path, referrer, utm */
    const char          *visitor;       /* address and agent (jr_views.h) */
    size_t               vlen;
    const char          *country;
    const char          *region;
    const jr_ua_t       *ua;
} jr_visits_view_t;

/*
 * The visitor's 64-bit hash under the salt of day, for a new visit's row.
 * Returns 0, or -1 after logging why.
 */
typedef int (*jr_visits_hash_pt)(void *data, int64_t day,
    const char *visitor, size_t len, int64_t *hash);

/*
 * Prepares the statements on db; gap in seconds.  Returns the handle, or
 * NULL after logging why.
 */
jr_visits_t *jr_visits_open(sqlite3 *db, unsigned gap);

/* Adds a view to its visit.  Returns 0, or -1 out of memory (logged). */
int jr_visits_add(jr_visits_t *v, const jr_visits_view_t *view);

/*
 * The CSS beacon (blog_analytics_beacon) of a visitor, at time_ms: its
 * open visit is a human's (analytics_visits.human).  key is the
 * visitor's, as for a view; alone the address's (jr_views_alone()), the
 * visitor of views past visitors_per_address.  A beacon read before the
 * view of its page marks the visit that view starts.  No row of its own,
 * never a view.  Returns 0, or -1 out of memory (logged).
 */
int jr_visits_beacon(jr_visits_t *v, uint64_t time_ms, uint64_t key,
    uint64_t alone);

/*
 * Writes the batch's visits and views, inside the caller's transaction,
 * and brings up to date the rows of the visits that have ended (all: of
 * every visit still open, at shutdown).  Returns 0, or -1 after logging
 * why.
 */
int jr_visits_write(jr_visits_t *v, jr_visits_hash_pt hash, void *data,
    int all);

/* The batch was committed: its changes hold from now on. */
void jr_visits_commit(jr_visits_t *v);

/* The batch was discarded: the open visits are as before it. */
void jr_visits_discard(jr_visits_t *v);

void jr_visits_close(jr_visits_t *v);

#endif /* JR_VISITS_H */
