/*
 * The running jobrunner: its loop, its database connection and the handles
 * on the loop.  jr_runner_run() is the whole life of the process after the
 * configuration is read.
 */

#ifndef JR_RUNNER_H
#define JR_RUNNER_H

#include <sqlite3.h>
#include <uv.h>

#include "core/jr_config.h"
#include "core/jr_signal.h"

typedef struct jr_runner_s  jr_runner_t;

struct jr_runner_s {
    uv_loop_t    *loop;
    sqlite3      *db;
    jr_signals_t  signals;
    struct jr_jobs_s  *jobs;    /* the job queue and its kinds */
    struct jr_timers_s  *timers;    /* the schedules that enqueue jobs */
    struct jr_events_s  *events;    /* event intake, analytics */
    struct jr_s3_s  *s3;        /* the [s3] bucket's client, or NULL */
    struct jr_sse_s  *sse;      /* the realtime hub */
    struct jr_nats_s  *nats;    /* the connection to NATS, if any */
    struct jr_sse_nats_s  *ssenats;  /* the hub's messages over NATS */
    struct jr_backup_s  *backup;    /* replication of data.db, or NULL */
    struct jr_follow_s  *follow;    /* replica mode, or NULL */
    struct jr_metrics_s  *metrics;  /* GET /metrics, or NULL */
    struct jr_nl_progress_s  *nlprogress;  /* newsletters' sends, or NULL */
};

/*
 * Opens the log and the database, writes the pid file and runs the loop
 * until SIGTERM or SIGINT.  Returns the process exit status: 0 after a clean
 * shutdown, 1 when starting or stopping failed (the reason is logged).
 */
int jr_runner_run(const jr_config_t *cf);

/* Closes every handle, so the loop ends once their close callbacks ran. */
void jr_runner_stop(jr_runner_t *r);

#endif /* JR_RUNNER_H */
