/*
 * Analytics: access events in, aggregates in data.db out.
 *
 * Records are decoded and counted in memory as they come (jr_counts.h);
 * a flush writes the batch in one transaction: counts per path, post,
 * referrer host, country, browser, OS, status and bot, the daily totals,
 * the day's new visitor hashes, the visits and their views (jr_visits.h)
 * and, for a spool file, how far it has been read.  A record that does not decode is counted as corrupt and skipped.
 */

#ifndef JR_ANALYTICS_H
#define JR_ANALYTICS_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "events/jr_events_conf.h"
#include "events/jr_geo.h"
#include "events/jr_salt.h"

/* Upper bounds, in seconds, of the batch latency histogram's buckets. */
#define JR_LATENCY_BUCKETS  8

extern const double  jr_latency_bounds[JR_LATENCY_BUCKETS];

typedef struct {
    uint64_t   consumed;        /* records committed to data.db */
    uint64_t   corrupt;         /* records refused by the decoder */
    uint64_t   bad_packs;       /* staged packs moved aside at start */
    uint64_t   batches;         /* committed flushes */
    uint64_t   failed;          /* flushes rolled back */
    double     seconds;         /* time spent in committed flushes */
    uint64_t   latency[JR_LATENCY_BUCKETS];   /* not cumulative */
} jr_analytics_stats_t;

typedef struct jr_analytics_s  jr_analytics_t;

/*
 * Prepares the statements on db.  salts, geo and ec (the view window, the
 * visitors' cap, the visit gap, raw_days) stay the caller's.  Returns the
 * handle, or NULL after logging why.
 */
jr_analytics_t *jr_analytics_open(sqlite3 *db, jr_salt_t *salts,
    jr_geo_t *geo, const jr_events_conf_t *ec);

/*
 * Counts one record of len bytes.  Returns 0, 1 when the record is
 * corrupt (counted and skipped), or -1 out of memory (logged).
 */
int jr_analytics_add(jr_analytics_t *a, const unsigned char *rec, size_t len);

/*
 * Reads the record of len bytes ahead of those counted before it, so the
 * memory its count will look at comes into the CPU's cache meanwhile;
 * jr_analytics_add() of the same rec and len then goes on from there.
 * rec must stay where it is until then, and so must the record counted
 * in between (the last two peeked are kept).  NULL: forget those.
 */
void jr_analytics_peek(jr_analytics_t *a, const unsigned char *rec,
    size_t len);

/* Counts a record that was refused before it reached the decoder. */
void jr_analytics_corrupt(jr_analytics_t *a);

/* Records counted in memory and not yet committed. */
uint64_t jr_analytics_pending(jr_analytics_t *a);

/*
 * Writes the batch in one transaction; with spool set, also records that
 * the file has been read up to offset.  Returns 0, or -1 after logging
 * why: the batch is then still in memory, for a retry or a discard.
 */
int jr_analytics_flush(jr_analytics_t *a, const char *spool, int64_t offset);

/*
 * A caller's own rows, written by mark(data) inside the transaction of a
 * flush (on the same database handle), so they commit with the counts or
 * not at all.  Returns 0, or -1 after logging why.
 */
typedef int (*jr_analytics_mark_pt)(void *data);

/*
 * As jr_analytics_flush(), with mark instead of a spool offset; the
 * transaction runs even with no record counted, for the marks.
 */
int jr_analytics_flush_mark(jr_analytics_t *a, jr_analytics_mark_pt mark,
    void *data);

/*
 * At shutdown, after the last flush: brings the rows of the visits still
 * open up to date (jr_visits.h).  Returns 0, or -1 after logging why.
 */
int jr_analytics_end_visits(jr_analytics_t *a);

/* Forgets the batch in memory, after a flush that failed. */
void jr_analytics_discard(jr_analytics_t *a);

const jr_analytics_stats_t *jr_analytics_stats(jr_analytics_t *a);

/* Finalizes the statements; the batch in memory is lost. */
void jr_analytics_close(jr_analytics_t *a);

#endif /* JR_ANALYTICS_H */
