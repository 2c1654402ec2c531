/*
 * Spool files: where nginx workers put the events that the socket did not
 * take (the jobrunner down, or its socket full).
 *
 * A worker appends to events.PID.spool and, once the socket answers
 * again, renames it to events.PID.MSEC.ready and starts afresh.  The
 * jobrunner replays .ready files (and the .spool file of a worker that is
 * gone) on start and at every scan after.  Each batch of a file is
 * committed together with the offset it reached (analytics_spools), so a
 * crash at any point resumes where the last commit ended: no record is
 * counted twice or lost.  A fully read file is deleted, then its row.
 *
 * Records are framed by a 2-byte little-endian length.  A frame that runs
 * past the end of the file (a worker killed mid-write) is counted as
 * corrupt, like a record that does not decode.
 */

#ifndef JR_SPOOL_H
#define JR_SPOOL_H

#include <stdint.h>

#include <sqlite3.h>

#include "events/jr_analytics.h"

typedef struct jr_spool_s  jr_spool_t;

typedef struct {
    uint64_t   files;           /* files replayed to their end */
    uint64_t   records;         /* records read from them */
    uint64_t   backlog_files;   /* spool files left after the last scan */
    uint64_t   backlog_bytes;   /* and their bytes not yet counted */
} jr_spool_stats_t;

/*
 * Prepares the statements and forgets the offsets of files that are gone.
 * Returns the handle, or NULL after logging why.
 */
jr_spool_t *jr_spool_open(sqlite3 *db, const char *dir, unsigned batch,
    jr_analytics_t *a);

/*
 * Replays the files that are ready, a slice of one at a call (a batch, or
 * at most about 100 ms of reading), so the loop goes on between them.
 * Returns 1 when more is to be done: the caller calls again on the next
 * loop turn and, to keep the records in their order, reads nothing else
 * into the analytics until it gets 0, or -1 when a file could not go on
 * (logged; the next scan goes on from its committed offset).
 */
int jr_spool_scan(jr_spool_t *s);

/*
 * On a node that publishes its events (jr_outbox.h) rather than counting
 * them, scans hand each ready file to take(data, name, offset) instead of
 * replaying it: take moves the file out of the spool and returns 0, or -1
 * to leave it for the next scan.  offset is how far an earlier count had
 * read the file (0 but after a change of role).
 */
typedef int (*jr_spool_take_pt)(void *data, const char *name,
    int64_t offset);

void jr_spool_handoff(jr_spool_t *s, jr_spool_take_pt take, void *data);

const jr_spool_stats_t *jr_spool_stats(jr_spool_t *s);

void jr_spool_close(jr_spool_t *s);

#endif /* JR_SPOOL_H */
