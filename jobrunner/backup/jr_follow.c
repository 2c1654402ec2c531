/*
 * Replica mode, the loop's half: start and stop, the thread's log lines,
 * metrics and the "replica.lag" alert.  See jr_follow.h.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/jr_alert.h"
#include "backup/jr_follow_int.h"
#include "core/jr_log.h"
#include "backup/jr_bucket.h"


#define JR_FOLLOW_TICK_MS  1000


static void jr_follow_async_cb(uv_async_t *async);
static void jr_follow_tick(uv_timer_t *timer);
static uint64_t jr_follow_lag_ms(jr_follow_t *f, uint64_t now);


int
jr_follow_start(jr_follow_t **out, uv_loop_t *loop, const jr_config_t *cf)
{
    jr_follow_t  *f;

    f = calloc(1, sizeof(jr_follow_t));
    *out = f;

    if (f == NULL) {
        jr_log(JR_LOG_ERROR, "replica: out of memory");
        return -1;
    }

    f->cf = cf;
    f->rc = &cf->replica;
    f->loop = loop;
    f->wal_fd = -1;
    f->shm_fd = -1;

    if (uv_mutex_init(&f->mu) != 0 || uv_cond_init(&f->cond) != 0) {
        jr_log(JR_LOG_ERROR, "replica: cannot make a mutex");
        free(f);
        *out = NULL;
        return -1;
    }

    if (asprintf(&f->wal_path, "%s-wal", cf->data_db) < 0
        || asprintf(&f->shm_path, "%s-shm", cf->data_db) < 0
        || asprintf(&f->state_path, "%s/state", f->rc->local_dir) < 0
        || asprintf(&f->restore_path, "%s/restore.db", f->rc->local_dir) < 0)
    {
        jr_log(JR_LOG_ERROR, "replica: out of memory");
        return -1;
    }

    if (mkdir(f->rc->local_dir, 0700) != 0 && errno != EEXIST) {
        jr_log(JR_LOG_ERROR, "replica: cannot create %s: %s",
               f->rc->local_dir, strerror(errno));
        return -1;
    }

    /* the thread's own client: it performs its requests, the loop never */
    f->s3 = jr_s3_open(&cf->s3, NULL);
    if (f->s3 == NULL) {
        jr_log(JR_LOG_ERROR, "replica: cannot start the S3 client");
        return -1;
    }

    jr_s3_set_user(f->s3, JR_S3_USER_REPLICA);

    jr_log(JR_LOG_INFO, "replica: following s3://%s/%s/ every %u ms, "
           "up to %u ms when idle", cf->s3.bucket, f->rc->prefix,
           f->rc->poll_ms, f->rc->poll_max_ms);

    if (jr_follow_open(f) != 0) {
        jr_follow_flush_logs(f);
        return -1;
    }

    jr_follow_flush_logs(f);

    if (uv_async_init(loop, &f->async, jr_follow_async_cb) != 0) {
        jr_log(JR_LOG_ERROR, "replica: cannot start its handles");
        return -1;
    }

    f->async.data = f;
    f->handles++;

    if (uv_timer_init(loop, &f->timer) != 0) {
        jr_log(JR_LOG_ERROR, "replica: cannot start its handles");
        return -1;
    }

    f->timer.data = f;
    f->handles++;

    if (uv_timer_start(&f->timer, jr_follow_tick, JR_FOLLOW_TICK_MS,
                       JR_FOLLOW_TICK_MS) != 0)
    {
        jr_log(JR_LOG_ERROR, "replica: cannot start its timer");
        return -1;
    }

    /* before the thread reads it: its log lines wake the loop */
    f->started = 1;

    if (uv_thread_create(&f->thread, jr_follow_thread, f) != 0) {
        f->started = 0;
        jr_log(JR_LOG_ERROR, "replica: cannot start its thread");
        return -1;
    }

    return 0;
}


void
jr_follow_stop(jr_follow_t *f)
{
    if (f == NULL) {
        return;
    }

    if (f->started) {
        uv_mutex_lock(&f->mu);
        f->stopping = 1;
        uv_cond_signal(&f->cond);
        uv_mutex_unlock(&f->mu);

        /* at most a request's retries: the thread looks between steps */
        uv_thread_join(&f->thread);
        f->started = 0;

        jr_follow_flush_logs(f);
    }

    jr_follow_nats_stop(f);

    /* jr_runner_stop() closes them with every other handle */
}


void
jr_follow_free(jr_follow_t *f)
{
    if (f == NULL) {
        return;
    }

    jr_follow_ann_free(f->ann);

    if (f->db) {
        (void) sqlite3_close(f->db);
    }

    if (f->s3) {
        jr_s3_close(f->s3);
        jr_s3_free(f->s3);
    }

    if (f->wal_fd != -1) {
        close(f->wal_fd);
    }

    /* last: closing it drops every lock of the process on data.db-shm */
    if (f->shm_fd != -1) {
        close(f->shm_fd);
    }

    free(f->out);
    free(f->seen);
    free(f->woken);
    free(f->wal_path);
    free(f->shm_path);
    free(f->state_path);
    free(f->restore_path);
    uv_mutex_destroy(&f->mu);
    uv_cond_destroy(&f->cond);
    free(f);
}


void
jr_follow_flush_logs(jr_follow_t *f)
{
    int       levels[JR_FOLLOW_LOGS];
    char      (*logs)[JR_FOLLOW_LOGLEN];
    unsigned  i, n, lost;

    logs = malloc(sizeof(f->logs));

    uv_mutex_lock(&f->mu);

    n = logs ? f->nlogs : 0;
    lost = f->logs_lost;

    if (n) {
        memcpy(logs, f->logs, sizeof(f->logs[0]) * n);
        memcpy(levels, f->log_levels, sizeof(int) * n);
    }

    f->nlogs -= n;
    f->logs_lost = 0;

    uv_mutex_unlock(&f->mu);

    for (i = 0; i < n; i++) {
        jr_log(levels[i], "replica: %s", logs[i]);
    }

    if (lost) {
        jr_log(JR_LOG_WARN, "replica: %u log lines lost", lost);
    }

    free(logs);
}


static void
jr_follow_async_cb(uv_async_t *async)
{
    jr_follow_flush_logs(async->data);
}


/* Time since the primary copied what we have, or since we last knew. */
static uint64_t
jr_follow_lag_ms(jr_follow_t *f, uint64_t now)
{
    uint64_t  lag, since, every, watch;

    lag = f->delay_ms;

    /*
     * Polls failing: we may be behind by as long as that.  An idle
     * follower reads the bucket at least every watch_max_ms while it can
     * watch .wake (its backoff before it does is shorter: twice that, or
     * twice JR_BUCKET_WATCH_MS, leaves room for a slow request), or lists
     * only every poll_max_ms (with announcements, which tell it that it
     * is current, or without .wake).
     */
    every = f->rc->poll_max_ms;
    watch = f->rc->watch_max_ms > JR_BUCKET_WATCH_MS ? f->rc->watch_max_ms
                                                      : JR_BUCKET_WATCH_MS;

    if (f->rc->watch_ms && f->rc->watch_ms < f->rc->poll_max_ms
        && !f->ann_live && every > 2 * watch)
    {
        every = 2 * watch;
    }

    if (f->ok_ms && now > f->ok_ms + every) {
        since = now - f->ok_ms - every;
        if (since > lag) {
            lag = since;
        }
    }

    return lag;
}


static void
jr_follow_tick(uv_timer_t *timer)
{
    uint64_t      lag;
    jr_follow_t  *f = timer->data;

    uv_mutex_lock(&f->mu);
    lag = jr_follow_lag_ms(f, jr_bucket_now_ms());
    uv_mutex_unlock(&f->mu);

    if (lag > (uint64_t) f->rc->lag_alert * 1000) {
        if (!f->alerting) {
            f->alerting = 1;
            jr_alert("replica.lag", "replica: %.1f s behind the primary "
                     "(lag_alert %ld s)", (double) lag / 1000,
                     f->rc->lag_alert);
        }

    } else if (f->alerting) {
        f->alerting = 0;
        jr_log(JR_LOG_INFO, "replica: caught up");
    }
}


void
jr_follow_render(jr_follow_t *f, FILE *out)
{
    uint64_t  now;

    if (f == NULL) {
        return;
    }

    now = jr_bucket_now_ms();

    uv_mutex_lock(&f->mu);

    fprintf(out,
            "# HELP jobrunner_replica_lag_seconds How far this replica is "
            "behind the primary: the delay of the last transaction applied "
            "(from the primary's copy to its publication here), or the time "
            "since the bucket was last read, if longer.\n"
            "# TYPE jobrunner_replica_lag_seconds gauge\n"
            "jobrunner_replica_lag_seconds %.3f\n"
            "# HELP jobrunner_replica_copied_timestamp_seconds When the "
            "primary copied the last transaction applied here.\n"
            "# TYPE jobrunner_replica_copied_timestamp_seconds gauge\n"
            "jobrunner_replica_copied_timestamp_seconds %.3f\n"
            "# HELP jobrunner_replica_position The primary's WAL index and "
            "offset applied up to, in generation gen.\n"
            "# TYPE jobrunner_replica_position gauge\n"
            "jobrunner_replica_position{gen=\"%s\",what=\"index\"} %u\n"
            "jobrunner_replica_position{gen=\"%s\",what=\"offset\"} %llu\n"
            "# HELP jobrunner_replica_segments_total WAL segments applied.\n"
            "# TYPE jobrunner_replica_segments_total counter\n"
            "jobrunner_replica_segments_total %llu\n"
            "# HELP jobrunner_replica_transactions_total Transactions "
            "applied.\n"
            "# TYPE jobrunner_replica_transactions_total counter\n"
            "jobrunner_replica_transactions_total %llu\n"
            "# HELP jobrunner_replica_checkpoints_total Checkpoints of the "
            "local WAL.\n"
            "# TYPE jobrunner_replica_checkpoints_total counter\n"
            "jobrunner_replica_checkpoints_total %llu\n"
            "# HELP jobrunner_replica_restores_total Restores of the whole "
            "database (a cold start, a new generation).\n"
            "# TYPE jobrunner_replica_restores_total counter\n"
            "jobrunner_replica_restores_total %llu\n"
            "# HELP jobrunner_replica_errors_total Polls that failed.\n"
            "# TYPE jobrunner_replica_errors_total counter\n"
            "jobrunner_replica_errors_total %llu\n",
            (double) jr_follow_lag_ms(f, now) / 1000,
            (double) f->copied_ms / 1000,
            f->gen, f->index, f->gen, (unsigned long long) f->offset,
            (unsigned long long) f->segments,
            (unsigned long long) f->transactions,
            (unsigned long long) f->checkpoints,
            (unsigned long long) f->restores,
            (unsigned long long) f->errors);

    if (f->nats) {
        fprintf(out,
                "# HELP jobrunner_replica_announced_segments_total Segments "
                "fetched by name, as the primary announced them on NATS.\n"
                "# TYPE jobrunner_replica_announced_segments_total counter\n"
                "jobrunner_replica_announced_segments_total %llu\n"
                "# HELP jobrunner_replica_announced_polls_total Polls of the "
                "bucket while announcements came: catching up, a gap, or "
                "poll_max_ms without one.\n"
                "# TYPE jobrunner_replica_announced_polls_total counter\n"
                "jobrunner_replica_announced_polls_total %llu\n"
                "# HELP jobrunner_replica_announced_current_total "
                "Announcements of a segment applied before (the primary's "
                "repeats while it stores nothing): current, no LIST.\n"
                "# TYPE jobrunner_replica_announced_current_total counter\n"
                "jobrunner_replica_announced_current_total %llu\n",
                (unsigned long long) f->ann_applied,
                (unsigned long long) f->ann_polls,
                (unsigned long long) f->ann_current);
    }

    uv_mutex_unlock(&f->mu);
}
