/*
 * The durable job queue: the jobs table of data.db (schema 2).
 *
 *     enqueue --> queued --lease--> leased --ack--> done
 *                   ^                  |
 *                   +---fail/expire----+--> dead (too many attempts, or a
 *                                                 failure that cannot heal)
 *
 * A lease is taken by one jobrunner process (its owner token) until
 * lease_until; the owner renews the leases of the jobs it is running, so
 * a lease only expires when its process died or hung, and then the job is
 * queued again.  A job's effect is made idempotent by its kind, so running
 * it again after a crash does no harm; attempts counts leases, so a job
 * that kills the process every time ends up dead instead of looping.
 *
 * All calls run on the loop thread, on the loop's connection: each is one
 * short statement on an index.
 */

#ifndef JR_QUEUE_H
#define JR_QUEUE_H

#include <stdint.h>
#include <time.h>

#include <sqlite3.h>


typedef enum {
    JR_QUEUE_STMT_ENQUEUE = 0,
    JR_QUEUE_STMT_LEASE,
    JR_QUEUE_STMT_ACK,
    JR_QUEUE_STMT_RETRY,
    JR_QUEUE_STMT_DEAD,
    JR_QUEUE_STMT_RELEASE,
    JR_QUEUE_STMT_RENEW,
    JR_QUEUE_STMT_RECLAIM,
    JR_QUEUE_STMT_ACTIVE,
    JR_QUEUE_STMT_PURGE,
    JR_QUEUE_STMT_OUTBOX_LAST,
    JR_QUEUE_STMT_OUTBOX_COPY,
    JR_QUEUE_STMT_OUTBOX_DELETE,
    JR_QUEUE_STMT_N
} jr_queue_stmt_e;

typedef struct {
    sqlite3        *db;
    sqlite3_stmt   *stmt[JR_QUEUE_STMT_N];
    char            owner[48];          /* "pid-starttime" */
    unsigned        max_attempts;
    long            backoff;            /* seconds, doubled per attempt */
    long            lease;              /* seconds */
} jr_queue_t;

/* A leased job; the strings are malloc'ed, freed by jr_queue_job_free. */
typedef struct {
    int64_t         id;
    char           *kind;
    char           *dedupe_key;        /* may be NULL */
    char           *payload;
    unsigned        attempts;           /* this one included */
} jr_job_t;


/* Prepares the statements.  Returns 0, or -1 after logging why. */
int jr_queue_open(jr_queue_t *q, sqlite3 *db, unsigned max_attempts,
    long backoff, long lease);
void jr_queue_close(jr_queue_t *q);

/*
 * Adds a job due at run_after.  Returns 1 if added, 0 if a job with the
 * same dedupe_key exists (in any state), -1 on error (logged).
 */
int jr_queue_enqueue(jr_queue_t *q, const char *kind, const char *dedupe_key,
    const char *payload, time_t run_after);

/*
 * Leases the job due first, of any kind but those of skip, a JSON array
 * of names (NULL: any), for q->lease seconds.  Returns 1 with *job
 * filled, 0 when no job is due, -1 on error (logged).
 */
int jr_queue_lease(jr_queue_t *q, time_t now, const char *skip,
    jr_job_t *job);

/* Marks our leased job done.  Returns 0, or an SQLite error code. */
int jr_queue_ack(jr_queue_t *q, int64_t id, time_t now);

/*
 * Records a failed attempt: queued again after a backoff that doubles per
 * attempt, or dead when permanent or out of attempts.  Returns 1 if dead,
 * 0 if queued again, -1 on error (logged).  *delay gets the backoff.
 */
int jr_queue_fail(jr_queue_t *q, const jr_job_t *job, const char *error,
    int permanent, time_t now, long *delay);

/* Gives a job that did not run back, attempt uncounted.  Returns 0 or -1. */
int jr_queue_release(jr_queue_t *q, int64_t id, time_t now);

/* Extends the leases we hold.  Returns 0 or -1 (logged). */
int jr_queue_renew(jr_queue_t *q, time_t now);

/*
 * Queues again, or kills when out of attempts, the jobs whose lease ran out
 * in another process.  Returns how many, or -1 (logged).
 */
int jr_queue_reclaim(jr_queue_t *q, time_t now);

/*
 * Whether a job whose dedupe_key starts with "prefix:" is queued or
 * leased.  Returns 1, 0, or -1 (logged).
 */
int jr_queue_active(jr_queue_t *q, const char *prefix);

/* Deletes done jobs last changed before "before".  Returns the count. */
int jr_queue_purge(jr_queue_t *q, time_t before);

/*
 * Moves the jobs the module queued with content (data.db's job_outbox)
 * into the queue: copied in one commit of queue.db, then deleted from the
 * outbox in one of data.db.  Returns how many were queued, or -1 after
 * logging why.
 */
int jr_queue_outbox(jr_queue_t *q);

void jr_queue_job_free(jr_job_t *job);

#endif /* JR_QUEUE_H */
