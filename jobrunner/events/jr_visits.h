/*
 * Visits: runs of one visitor's page views with gaps under [jobrunner]
 * visit_gap (30 minutes), written as analytics_visits rows and packs of
 * views, analytics_hit_packs (analytics.db migrations 2 and 10,
 * docs/analytics.md).
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
 * batch leaves it; its views by the batch that adds them, a pack per day
 * and page (lib/blog_hitpack.h).  A visit
 * that goes on in later batches has its row brought up to date from what
 * the open visit keeps in memory (its start, end, views, entry and exit
 * pages) once it has ended (visit_gap after
 * its last view, by the records' time), a minute after its row was last
 * written while it is open, and at shutdown; from its views' rows when
 * the day is rolled up and at start for the visits a killed jobrunner
 * left behind (JR_VISITS_REPAIR_DAY): one UPDATE per
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
 * Brings the rows of day ?1's visits that are behind their views up to
 * date from the views (analytics_hits, a view of the packs of
 * migration 10): start, end, views, entry and exit (the first and last
 * view by time, then by n).  One read of the day's packs per aggregate
 * rather than a seek per visit: the packs are keyed by day and page,
 * not by visit.
 */
#define JR_VISITS_REPAIR_DAY                                                  \
    "WITH c AS (SELECT visit, count(*) AS n, min(time_ms) AS s,"              \
    "  max(time_ms) AS e FROM analytics_hits WHERE day = ?1 GROUP BY visit)," \
    " f AS (SELECT visit, min(time_ms * 1048576 + n) AS k, path"              \
    "  FROM analytics_hits WHERE day = ?1 GROUP BY visit),"                   \
    " l AS (SELECT visit, max(time_ms * 1048576 + n) AS k, path"              \
    "  FROM analytics_hits WHERE day = ?1 GROUP BY visit)"                    \
    " UPDATE analytics_visits AS v SET start_ms = c.s, end_ms = c.e,"         \
    " views = c.n,"                                                           \
    " entry = (SELECT value FROM analytics_strings WHERE id = f.path),"       \
    " exit = (SELECT value FROM analytics_strings WHERE id = l.path)"         \
    " FROM c JOIN f ON f.visit = c.visit JOIN l ON l.visit = c.visit"         \
    " WHERE v.id = c.visit AND v.day = ?1 AND v.views <> c.n"

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

/*
 * Asks the CPU for the map's slot of the visitor key (as for a view), for
 * a record read ahead of the one being counted: a miss each otherwise.
 */
void jr_visits_prefetch(jr_visits_t *v, uint64_t key);

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

/*
 * Packs of views staged by a jobrunner before migration 10 found corrupt
 * at open and moved aside into analytics_hits_packs_bad (migration 9)
 * rather than refused.
 */
uint64_t jr_visits_bad_packs(jr_visits_t *v);

/* The batch was committed: its changes hold from now on. */
void jr_visits_commit(jr_visits_t *v);

/* The batch was discarded: the open visits are as before it. */
void jr_visits_discard(jr_visits_t *v);

void jr_visits_close(jr_visits_t *v);

#endif /* JR_VISITS_H */
