/*
 * Running queued jobs: the dispatcher that leases due jobs, runs each on
 * libuv's thread pool and records the outcome back on the loop, and the
 * hooks by which a kind of job plugs into it.
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
#include <stdio.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>
#include <uv.h>

#include "core/jr_config.h"
#include "jobs/jr_queue.h"


#define JR_WORK_ERRLEN  512

typedef struct jr_jobs_s    jr_jobs_t;
typedef struct jr_work_s    jr_work_t;
typedef struct jr_kind_s    jr_kind_t;

/*
 * A kind of job: its name in the queue and its hooks.  The kinds are
 * listed in one table (jr_kinds.c) given to jr_jobs_start(); the
 * dispatcher knows them by nothing else.
 */
struct jr_kind_s {
    const char   *name;

    /*
     * its jobs, with those of every other bulk kind, take at most all
     * threads but one, so a backlog of them (thumbnails after an import)
     * never holds up the other kinds
     */
    unsigned      bulk:1;

    /*
     * a kind listed before this one whose context this one has: its start,
     * stop and render hooks, run once for both, are that kind's
     */
    const jr_kind_t  *shares;

    /*
     * loop, at start, before any job runs: what the kind's jobs share (a
     * client, a library set up, a watch) into *ctx, which each of its jobs
     * then has in w->ctx.  0, or -1 after logging why.  May be NULL.
     */
    int         (*start)(jr_jobs_t *jobs, void **ctx);

    /*
     * after the loop has ended, whenever start ran, even if it failed:
     * frees what it made.  May be NULL.
     */
    void        (*stop)(void *ctx);

    /* GET /metrics: the kind's Prometheus lines; may be NULL */
    void        (*render)(void *ctx, FILE *out);

    /*
     * loop: the payload of the job a timer enqueues for a slot; NULL:
     * {"timer": NAME, "slot": SLOT}.  Returns NULL when out of memory.
     */
    json_t     *(*timer_payload)(const jr_timer_conf_t *timer, time_t slot);

    /* loop: check the payload, set w->data; 0, or -1 after jr_work_fail() */
    int         (*prepare)(jr_work_t *w);

    /* pool thread: the work; failures through jr_work_fail() */
    void        (*work)(jr_work_t *w);

    /* loop, in the ack's transaction: record the effect; 0 or -1; or NULL */
    int         (*commit)(jr_work_t *w, sqlite3 *db);

    /* loop, after the outcome is recorded: logs, follow-ups; may be NULL */
    void        (*done)(jr_work_t *w);

    /* frees w->data; may be NULL */
    void        (*free)(jr_work_t *w);
};

struct jr_work_s {
    uv_work_t          req;
    jr_jobs_t         *jobs;
    const jr_kind_t   *kind;
    void              *ctx;            /* the kind's, from its start hook */
    jr_job_t           job;
    json_t            *payload;
    void              *data;
    int                failed;
    int                permanent;
    char               error[JR_WORK_ERRLEN];
    uint64_t           started;        /* uv_now(), ms */
    jr_work_t         *next;
};

/* A kind the dispatcher runs, with its context. */
typedef struct {
    const jr_kind_t   *kind;
    void              *ctx;
    unsigned           started:1;      /* its start hook ran */
} jr_jobs_kind_t;

struct jr_jobs_s {
    uv_loop_t            *loop;
    sqlite3              *db;
    const jr_config_t    *cf;
    struct jr_s3_s       *s3;           /* [s3]'s client (jr_s3.h), or NULL,
                                           for the kinds' start hooks */
    jr_queue_t            queue;
    uv_timer_t            poll;
    jr_jobs_kind_t       *kinds;
    size_t                nkinds;
    char                 *bulk;         /* the bulk kinds, a JSON array */
    unsigned              running;
    unsigned              max_running;
    unsigned              running_bulk;
    time_t                renewed;
    jr_work_t            *works;        /* in flight */
};


/*
 * Opens the queue on db, starts each of kinds (NULL-terminated, in order)
 * and the dispatcher; s3 is [s3]'s client or NULL, for the kinds that use
 * it.  Returns 0, or -1 after logging why.  *out is set even on failure:
 * the handles started are closed with the loop's, and jr_jobs_free(*out)
 * then releases the rest.
 */
int jr_jobs_start(jr_jobs_t **out, uv_loop_t *loop, sqlite3 *db,
    const jr_config_t *cf, struct jr_s3_s *s3, const jr_kind_t *const *kinds);

/* After the loop has ended: the kinds stopped, statements, memory. */
void jr_jobs_free(jr_jobs_t *jobs);

/* The kind named name, or NULL. */
const jr_kind_t *jr_jobs_kind(jr_jobs_t *jobs, const char *name);

/* Each kind's Prometheus lines; NULL jobs: nothing. */
void jr_jobs_render(jr_jobs_t *jobs, FILE *out);

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
