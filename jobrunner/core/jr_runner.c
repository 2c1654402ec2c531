/*
 * The life of the process: start, loop, stop.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "blog_schema.h"
#include "core/jr_alert.h"
#include "backup/jr_backup.h"
#include "core/jr_db.h"
#include "events/jr_events.h"
#include "backup/jr_follow.h"
#include "jobs/jr_jobs.h"
#include "jobs/jr_kinds.h"
#include "jobs/jr_timers.h"
#include "mail/jr_nl_progress.h"
#include "core/jr_log.h"
#include "nats/jr_nats.h"
#include "core/jr_metrics.h"
#include "core/jr_pid.h"
#include "core/jr_runner.h"
#include "s3/jr_s3.h"
#include "core/jr_signal.h"
#include "sse/jr_sse.h"
#include "sse/jr_sse_nats.h"


static int jr_runner_threadpool(const jr_config_t *cf);
static void jr_runner_signaled(void *data);
static void jr_runner_render(void *data, FILE *out);
static int jr_runner_close_loop(jr_runner_t *r);
static void jr_runner_close_handle(uv_handle_t *handle, void *arg);


int
jr_runner_run(const jr_config_t *cf)
{
    int          rc;
    jr_runner_t  r;

    memset(&r, 0, sizeof(r));

    if (jr_log_open(cf->log, cf->log_level) != 0) {
        fprintf(stderr, "jobrunner: cannot open log \"%s\": %s\n", cf->log,
                strerror(errno));
        return 1;
    }

    /* until the loop runs, errors also go to the terminal that started us */
    jr_log_echo(1);

    jr_log(JR_LOG_DEBUG, "data_db %s, pid file %s, threadpool_size %u",
           cf->data_db, cf->pid ? cf->pid : "none", cf->threadpool_size);

    if (jr_runner_threadpool(cf) != 0) {
        goto failed;
    }

    r.loop = uv_default_loop();
    if (r.loop == NULL) {
        jr_log(JR_LOG_ERROR, "cannot create the event loop");
        goto failed;
    }

    /* a replica's data.db comes from the bucket, restored if missing */
    if (cf->replica.line && jr_follow_start(&r.follow, r.loop, cf) != 0) {
        goto failed;
    }

    r.db = jr_db_open(cf, cf->replica.line != 0);
    if (r.db == NULL) {
        goto failed;
    }

    /* before the pid file: whoever reads it may signal us at once */
    if (jr_signal_start(&r.signals, r.loop, jr_runner_signaled, &r) != 0) {
        goto failed;
    }

    /* one client, one connection cache, for every user of the bucket */
    if (cf->s3.line) {
        r.s3 = jr_s3_open(&cf->s3, r.loop);
        if (r.s3 == NULL) {
            jr_log(JR_LOG_ERROR, "cannot start the S3 client");
            goto failed;
        }
    }

    /* first: the jobs and the events publish to it as they start */
    if (jr_sse_start(&r.sse, r.loop, &cf->sse) != 0) {
        goto failed;
    }

    /*
     * before the pid file too: it says the jobrunner is ready.  The queue
     * is in data.db: a replica's jobs run on the primary.  The timers
     * start once every kind has, as their jobs may run at once.
     */
    if (cf->replica.line) {
        jr_log(JR_LOG_INFO, "replica: jobs, timers and cronhooks run on the "
               "primary, not here");

    } else if (jr_jobs_start(&r.jobs, r.loop, r.db, cf, r.s3, jr_kinds) != 0
               || jr_timers_start(&r.timers, r.jobs) != 0)
    {
        goto failed;
    }

    /* the sends' progress: watched where they are sent, not on a replica */
    if (!cf->replica.line) {
        r.nlprogress = jr_nl_progress_start(r.loop, r.db, cf);
        if (r.nlprogress == NULL) {
            goto failed;
        }
    }

    /* connects in the thread pool; its users start with the loop */
    if (cf->nats.line && jr_nats_start(&r.nats, r.loop, &cf->nats) != 0) {
        goto failed;
    }

    /* a replica hears of the primary's segments */
    if (jr_follow_nats(r.follow, r.nats) != 0) {
        goto failed;
    }

    /* the hub shares its messages with the other nodes' hubs */
    if (r.sse && r.nats && cf->nats.sse) {
        r.ssenats = jr_sse_nats_start(r.loop, r.nats, &cf->nats);
        if (r.ssenats == NULL) {
            goto failed;
        }
    }

    /* replays the spool: what the pid file's reader sends next comes after */
    if (jr_events_start(&r.events, r.loop, r.db, cf, r.nats) != 0) {
        goto failed;
    }

    if (cf->backup.line
        && jr_backup_start(&r.backup, r.loop, cf, r.s3, r.nats) != 0)
    {
        goto failed;
    }

    if (cf->events.metrics.ss_family) {
        r.metrics = jr_metrics_start(r.loop,
                                     (const struct sockaddr *)
                                         &cf->events.metrics,
                                     jr_runner_render, &r);
        if (r.metrics == NULL) {
            goto failed;
        }
    }

    if (cf->pid && jr_pid_write(cf->pid) != 0) {
        goto failed;
    }

    jr_log(JR_LOG_INFO, "jobrunner started, schema version %d",
           BLOG_SCHEMA_VERSION);
    jr_log(JR_LOG_DEBUG, "pid %ld", (long) getpid());

    jr_log_echo(0);

    /*
     * Nothing calls uv_stop(), so this returns when jr_runner_stop() has
     * closed the last handle, and its result, "no handles left", says
     * nothing new.
     */
    (void) uv_run(r.loop, UV_RUN_DEFAULT);

    rc = jr_runner_close_loop(&r);

    /* their statements go before the database they belong to */
    jr_timers_free(r.timers);
    jr_jobs_free(r.jobs);
    jr_nl_progress_free(r.nlprogress);
    jr_s3_free(r.s3);

    if (jr_events_free(r.events) != 0) {
        rc = 1;
    }

    jr_sse_free(r.sse);
    jr_nats_free(r.nats);

    /* after libnats's threads: its message handler may run until then */
    jr_sse_nats_free(r.ssenats);

    if (jr_db_close(r.db) != 0) {
        rc = 1;
    }

    /* after the database: it holds a descriptor of the file */
    jr_backup_free(r.backup);
    jr_follow_free(r.follow);

    if (cf->pid) {
        jr_pid_remove(cf->pid);
    }

    /*
     * The pool's threads end here, while the libraries are still up: their
     * per-thread state (OpenSSL's error queue, ...) is freed by destructors
     * that do nothing once the libraries' own exit handlers have run.
     */
    uv_library_shutdown();

    jr_log(JR_LOG_INFO, "jobrunner exited");
    jr_log_close();

    return rc;

failed:

    if (r.loop) {
        jr_runner_close_loop(&r);
    }

    jr_timers_free(r.timers);
    jr_jobs_free(r.jobs);
    jr_nl_progress_free(r.nlprogress);
    jr_s3_free(r.s3);
    (void) jr_events_free(r.events);
    jr_sse_free(r.sse);
    jr_nats_free(r.nats);
    jr_sse_nats_free(r.ssenats);

    if (r.db) {
        jr_db_close(r.db);
    }

    jr_backup_free(r.backup);
    jr_follow_free(r.follow);

    jr_log_close();

    return 1;
}


void
jr_runner_stop(jr_runner_t *r)
{
    /* the batch in hand is committed before its handles go */
    jr_events_stop(r->events);

    if (r->metrics) {
        jr_metrics_stop(r->metrics);
        r->metrics = NULL;
    }

    /* the last commits copied locally, before the transfers are canceled */
    jr_backup_stop(r->backup);
    jr_follow_stop(r->follow);

    /* transfers canceled, its handles closed with its own callbacks */
    jr_s3_close(r->s3);

    /* unhooked from the hub first, its subscription dropped */
    jr_sse_nats_stop(r->ssenats);

    /* its connections are freed by their own close callbacks */
    jr_sse_stop(r->sse);

    /* before its handle is closed below: libnats's threads may still post */
    jr_nats_stop(r->nats);

    /*
     * Closing every handle, rather than a list kept here, stops whatever
     * later parts of the jobrunner add to the loop as well.
     */
    uv_walk(r->loop, jr_runner_close_handle, NULL);
}


/* SIGTERM, SIGINT */
static void
jr_runner_signaled(void *data)
{
    jr_runner_stop(data);
}


static void
jr_runner_close_handle(uv_handle_t *handle, void *arg)
{
    (void) arg;

    if (!uv_is_closing(handle)) {
        uv_close(handle, NULL);
    }
}


/* GET /metrics: every part's numbers. */
static void
jr_runner_render(void *data, FILE *out)
{
    jr_runner_t  *r = data;

    jr_events_render(r->events, out);
    jr_sse_render(out);

    if (r->ssenats) {
        jr_sse_nats_render(r->ssenats, out);
    }
    jr_backup_render(r->backup, out);
    jr_jobs_render(r->jobs, out);
    jr_nl_progress_render(r->nlprogress, out);
    jr_follow_render(r->follow, out);

    if (r->s3) {
        jr_s3_render(r->s3, out);
    }

    jr_alert_render(out);
}


/*
 * libuv sizes its thread pool from UV_THREADPOOL_SIZE once, when work is
 * first queued, so setting it before the loop runs is enough.  The
 * configuration wins over the environment.
 */
static int
jr_runner_threadpool(const jr_config_t *cf)
{
    char  size[16];

    /* NATS's blocking calls have threads of their own, not the jobs' */
    snprintf(size, sizeof(size), "%u",
             cf->threadpool_size + (cf->nats.line ? JR_NATS_THREADS : 0));

    if (setenv("UV_THREADPOOL_SIZE", size, 1) != 0) {
        jr_log(JR_LOG_ERROR, "cannot set UV_THREADPOOL_SIZE: %s",
               strerror(errno));
        return -1;
    }

    return 0;
}


/*
 * Closes any handle still open, runs the loop until their close callbacks
 * are done, then frees the loop.  Returns 0 or 1, as jr_runner_run().
 */
static int
jr_runner_close_loop(jr_runner_t *r)
{
    int  rc;

    jr_runner_stop(r);

    rc = uv_run(r->loop, UV_RUN_DEFAULT);
    if (rc == 0) {
        rc = uv_loop_close(r->loop);
    }

    if (rc != 0) {
        jr_log(JR_LOG_ERROR, "cannot close the event loop: %s",
               rc > 0 ? "handles still active" : uv_strerror(rc));
        return 1;
    }

    return 0;
}
