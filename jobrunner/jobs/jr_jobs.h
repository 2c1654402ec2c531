/*
 * Running queued jobs: the dispatcher that leases due jobs, runs each on
 * libuv's thread pool and records the outcome back on the loop, and the
 * kinds of jobs it knows.
 *
 * A kind's work() runs in a pool thread and must touch neither the loop
 * nor the loop's database connection nor the log: it leaves its result
 * (or error) in the jr_work_t.  Its commit() then runs on the loop inside
 * the transaction that marks the job done, so the effect on data.db and
 * the ack are one: a crash before the commit leaves the job leased, to be
 * run again once its lease expires, which every kind makes harmless.
 */

#ifndef JR_JOBS_H
#define JR_JOBS_H

#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>
#include <uv.h>

#include "core/jr_config.h"
#include "jobs/jr_queue.h"


#define JR_WORK_ERRLEN  512

typedef struct jr_jobs_s    jr_jobs_t;
typedef struct jr_work_s    jr_work_t;
typedef struct jr_timers_s  jr_timers_t;
typedef struct jr_scan_s    jr_scan_t;

typedef struct {
    const char   *kind;

    /* loop: check the payload, set w->data; 0, or -1 after jr_work_fail() */
    int         (*prepare)(jr_work_t *w);

    /* pool thread: the work; failures through jr_work_fail() */
    void        (*work)(jr_work_t *w);

    /* loop, in the ack's transaction: record the effect; 0 or -1 */
    int         (*commit)(jr_work_t *w, sqlite3 *db);

    /* loop, after the outcome is recorded: logs, follow-ups; may be NULL */
    void        (*done)(jr_work_t *w);

    /* frees w->data; may be NULL */
    void        (*free)(jr_work_t *w);
} jr_kind_t;

struct jr_work_s {
    uv_work_t          req;
    jr_jobs_t         *jobs;
    const jr_kind_t   *kind;
    jr_job_t           job;
    json_t            *payload;
    void              *data;
    int                failed;
    int                permanent;
    char               error[JR_WORK_ERRLEN];
    uint64_t           started;        /* uv_now(), ms */
    jr_work_t         *next;
};

struct jr_jobs_s {
    uv_loop_t            *loop;
    sqlite3              *db;
    const jr_config_t    *cf;
    jr_queue_t            queue;
    uv_timer_t            poll;
    unsigned              running;
    unsigned              max_running;
    unsigned              running_thumbs;
    time_t                renewed;
    jr_work_t            *works;        /* in flight */
    jr_timers_t          *timers;
    jr_scan_t            *scan;
    struct jr_s3_s       *s3;           /* [s3]'s client (jr_s3.h), or NULL */
    struct jr_mirror_s   *mirror;       /* [mirror] (jr_mirror.h), or NULL */
    unsigned              vips:1;
    unsigned              curl:1;
};


/*
 * Opens the queue on db, starts the dispatcher, the timers and the media
 * watch; s3 is [s3]'s client or NULL, set before the first job can run.
 * Returns 0, or -1 after logging why.  *out is set even on failure: the
 * handles started are closed with the loop's, and jr_jobs_free(*out) then
 * releases the rest.
 */
int jr_jobs_start(jr_jobs_t **out, uv_loop_t *loop, sqlite3 *db,
    const jr_config_t *cf, struct jr_s3_s *s3);

/* After the loop has ended: statements, libraries, memory. */
void jr_jobs_free(jr_jobs_t *jobs);

/*
 * Enqueues a job (payload is serialized, not stolen) and runs the
 * dispatcher.  Returns as jr_queue_enqueue().
 */
int jr_jobs_enqueue(jr_jobs_t *jobs, const char *kind, const char *dedupe_key,
    json_t *payload, time_t run_after);

/* Leases and starts due jobs while threads are free. */
void jr_jobs_kick(jr_jobs_t *jobs);

/* Whether shutdown has begun: no new work is started. */
int jr_jobs_stopping(jr_jobs_t *jobs);

/* Records a failure of w; permanent failures are not retried. */
void jr_work_fail(jr_work_t *w, int permanent, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Peak resident memory of the process, from /proc; 0 if unknown. */
unsigned long jr_jobs_peak_rss_kb(void);

#endif /* JR_JOBS_H */
