/*
 * Replica mode ([replica]): this node's data.db follows the primary's
 * replica in the bucket (jr_bucket.h) and stays a consistent, read-only
 * copy that the nginx module on this node serves while it changes.
 *
 * A thread of its own lists the current generation's WAL segments every
 * poll_ms, checks their frames against the primary's chain (salts,
 * running checksums) and, transaction by transaction, appends the pages
 * as frames of data.db's own WAL, with its own header and checksums: the
 * local WAL does not depend on where the primary's restarts fall, so the
 * local one is checkpointed and started anew on its own schedule
 * (checkpoint_pages).  Publishing a batch of transactions:
 *
 *   1. takes the WAL write lock (an open-file-description lock on byte 120
 *      of data.db-shm, which conflicts with SQLite's own in every process,
 *      this one included), so no writer and no recovery runs meanwhile;
 *   2. appends the frames to data.db-wal and fsyncs;
 *   3. zeroes both copies of the wal-index header in data.db-shm, which
 *      makes the next reader rebuild the wal-index from the WAL file
 *      (SQLite's own recovery, the one after a crashed writer);
 *   4. releases the lock and reads, so that this thread, not an nginx
 *      worker, runs the recovery; then checks that SQLite counted every
 *      frame, and saves the position in local_dir/state.
 *
 * Readers in a transaction keep their snapshot (frames past their end
 * are not theirs); the next ones see every new transaction whole.  A
 * crash anywhere leaves a WAL whose frames past the last complete
 * transaction SQLite ignores, and a saved position at or before what was
 * published: replaying a transaction twice writes the same pages.
 *
 * A cold start (no data.db) or a new generation of the primary restores
 * the latest state with jr_restore_from(); into place by rename when there
 * is no data.db, with SQLite's backup API into the live file otherwise.
 * See docs/replica.md.
 */

#ifndef JR_FOLLOW_H
#define JR_FOLLOW_H

#include <stdio.h>

#include <uv.h>

#include "core/jr_config.h"
#include "nats/jr_nats.h"

typedef struct jr_follow_s  jr_follow_t;

/*
 * Brings data.db up to the bucket's state when it is missing or unknown
 * (a blocking restore: before the loop runs), opens it, and starts the
 * thread.  Returns 0 with *out, or -1 after logging why (*out set too,
 * for jr_follow_stop/free).
 */
int jr_follow_start(jr_follow_t **out, uv_loop_t *loop,
    const jr_config_t *cf);

/*
 * With [nats] (nats not NULL): the primary's announcements of its
 * segments ([nats] backup_subject) are heard, and each segment is fetched
 * by name instead of listed for (jr_follow_nats.c).  Before the loop runs.
 * 0 or -1.
 */
int jr_follow_nats(jr_follow_t *f, jr_nats_t *nats);

/* Drops the subscription: on the loop, at shutdown. */
void jr_follow_nats_stop(jr_follow_t *f);

/* Ends the thread and closes the handles.  Safe twice, and with NULL. */
void jr_follow_stop(jr_follow_t *f);

/*
 * After the loop has ended and every other connection to data.db is
 * closed: closing data.db-shm's descriptor drops the process's locks on
 * it.
 */
void jr_follow_free(jr_follow_t *f);

/* Prometheus lines: jobrunner_replica_*. */
void jr_follow_render(jr_follow_t *f, FILE *out);

#endif /* JR_FOLLOW_H */
