/*
 * The dispatcher; see jr_jobs.h.
 *
 * At most threadpool_size jobs are in flight, so a backlog waits in the
 * table, not in libuv's queue, and a shutdown waits for those few only.
 * Thumbnails take at most all threads but one: a backlog of thousands of
 * images after an import must not hold up a cronhook or a cleanup.
 * A one-second timer reclaims leases that ran out in a dead process,
 * renews ours, and starts jobs whose backoff has passed; enqueueing and
 * each finished job start more at once.
 */

#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/jr_jobs.h"
#include "jobs/jr_kinds.h"
#include "core/jr_log.h"
#include "backup/jr_mirror.h"
#include "sse/jr_sse.h"


#define JR_JOBS_POLL_MS  1000


static const jr_kind_t *const  jr_kinds[] = {
    &jr_thumb_kind,
    &jr_scan_kind,
    &jr_ttl_kind,
    &jr_retention_kind,
    &jr_cronhook_kind,
    &jr_comment_kind,
    &jr_mail_kind,
    &jr_mirror_kind,
    &jr_mirror_tier_kind,
    NULL
};


static void jr_jobs_poll(uv_timer_t *timer);
static void jr_jobs_work(uv_work_t *req);
static void jr_jobs_after(uv_work_t *req, int status);
static void jr_jobs_record(jr_work_t *w, time_t now);
static void jr_jobs_work_free(jr_work_t *w);
static void jr_jobs_alert(jr_work_t *w);


int
jr_jobs_start(jr_jobs_t **out, uv_loop_t *loop, sqlite3 *db,
    const jr_config_t *cf, struct jr_s3_s *s3)
{
    int                    rc;
    jr_jobs_t             *jobs;
    const jr_jobs_conf_t  *jc;

    jc = &cf->jobs;

    jobs = calloc(1, sizeof(jr_jobs_t));
    *out = jobs;

    if (jobs == NULL) {
        jr_log(JR_LOG_ERROR, "jobs: out of memory");
        return -1;
    }

    jobs->loop = loop;
    jobs->db = db;
    jobs->cf = cf;
    jobs->max_running = cf->threadpool_size;

    /* before the timers: a job they start at once may run in the pool */
    jobs->s3 = s3;

    if (cf->mirror.line) {
        jobs->mirror = jr_mirror_open(cf, s3);
        if (jobs->mirror == NULL) {
            return -1;
        }
    }

    if (jr_queue_open(&jobs->queue, db, jc->queue_max_attempts,
                      jc->queue_backoff, jc->queue_lease)
        != 0)
    {
        return -1;
    }

    if (jc->ttl_db && jr_ttl_check(jc->ttl_db) != 0) {
        return -1;
    }

    if (cf->mail.smtp_url) {
        jr_log(JR_LOG_INFO, "mail: sign-in codes are sent through %s as %s",
               cf->mail.smtp_url, cf->mail.from_addr);

    } else {
        jr_log(JR_LOG_INFO, "mail: no [mail] smtp_url: sign-in codes are "
               "written to this log, not sent");
    }

    if (jc->ncronhooks || cf->mail.smtp_url) {
        rc = curl_global_init(CURL_GLOBAL_DEFAULT);
        if (rc != CURLE_OK) {
            jr_log(JR_LOG_ERROR, "cannot initialize libcurl: %s",
                   curl_easy_strerror(rc));
            return -1;
        }

        jobs->curl = 1;
    }

    if (jc->media_root) {
        if (jr_thumb_init(jobs) != 0) {
            return -1;
        }

        jobs->vips = 1;
    }

    /* leases of a previous life that ran out while we were down */
    if (jr_queue_reclaim(&jobs->queue, time(NULL)) < 0) {
        return -1;
    }

    rc = uv_timer_init(loop, &jobs->poll);
    if (rc == 0) {
        jobs->poll.data = jobs;
        rc = uv_timer_start(&jobs->poll, jr_jobs_poll, JR_JOBS_POLL_MS,
                            JR_JOBS_POLL_MS);
    }

    if (rc != 0) {
        jr_log(JR_LOG_ERROR, "jobs: cannot start the poll timer: %s",
               uv_strerror(rc));
        return -1;
    }

    jobs->renewed = time(NULL);

    if (jr_timers_start(jobs) != 0) {
        return -1;
    }

    if (jc->media_root && jr_scan_start(jobs) != 0) {
        return -1;
    }

    jr_jobs_kick(jobs);

    return 0;
}


void
jr_jobs_free(jr_jobs_t *jobs)
{
    if (jobs == NULL) {
        return;
    }

    jr_timers_free(jobs);
    jr_scan_free(jobs);
    jr_mirror_free(jobs->mirror);
    jr_queue_close(&jobs->queue);

    if (jobs->vips) {
        jr_thumb_shutdown();
    }

    if (jobs->curl) {
        curl_global_cleanup();
    }

    free(jobs);
}


int
jr_jobs_stopping(jr_jobs_t *jobs)
{
    /* jr_runner_stop() closes every handle: ours closing means shutdown */
    return uv_is_closing((uv_handle_t *) &jobs->poll);
}


int
jr_jobs_enqueue(jr_jobs_t *jobs, const char *kind, const char *dedupe_key,
    json_t *payload, time_t run_after)
{
    int    rc;
    char  *text;

    text = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL) {
        jr_log(JR_LOG_ERROR, "jobs: cannot serialize a %s payload", kind);
        return -1;
    }

    rc = jr_queue_enqueue(&jobs->queue, kind, dedupe_key, text, run_after);

    free(text);

    if (rc == 1) {
        jr_log(JR_LOG_DEBUG, "job enqueued: %s %s", kind,
               dedupe_key ? dedupe_key : "");
        jr_jobs_kick(jobs);
    }

    return rc;
}


static const jr_kind_t *
jr_jobs_kind(const char *name)
{
    size_t  i;

    for (i = 0; jr_kinds[i] != NULL; i++) {
        if (strcmp(jr_kinds[i]->kind, name) == 0) {
            return jr_kinds[i];
        }
    }

    return NULL;
}


void
jr_jobs_kick(jr_jobs_t *jobs)
{
    int            rc;
    jr_work_t     *w;
    const char    *skip;
    json_error_t   jerr;

    if (jr_jobs_stopping(jobs)) {
        return;
    }

    while (jobs->running < jobs->max_running) {
        w = calloc(1, sizeof(jr_work_t));
        if (w == NULL) {
            jr_log(JR_LOG_ERROR, "jobs: out of memory");
            return;
        }

        skip = (jobs->max_running > 1
                && jobs->running_thumbs >= jobs->max_running - 1)
               ? jr_thumb_kind.kind : NULL;

        rc = jr_queue_lease(&jobs->queue, time(NULL), skip, &w->job);
        if (rc <= 0) {
            free(w);
            return;
        }

        w->jobs = jobs;
        w->req.data = w;
        w->started = uv_now(jobs->loop);
        w->kind = jr_jobs_kind(w->job.kind);

        if (w->kind == NULL) {
            jr_work_fail(w, 1, "unknown job kind \"%s\"", w->job.kind);
            goto not_started;
        }

        w->payload = json_loads(w->job.payload, 0, &jerr);
        if (w->payload == NULL || !json_is_object(w->payload)) {
            jr_work_fail(w, 1, "payload is not a JSON object: %s",
                         w->payload ? "" : jerr.text);
            goto not_started;
        }

        if (w->kind->prepare && w->kind->prepare(w) != 0) {
            goto not_started;
        }

        rc = uv_queue_work(jobs->loop, &w->req, jr_jobs_work, jr_jobs_after);
        if (rc != 0) {
            jr_work_fail(w, 0, "cannot start: %s", uv_strerror(rc));
            goto not_started;
        }

        w->next = jobs->works;
        jobs->works = w;
        jobs->running++;
        jobs->running_thumbs += w->kind == &jr_thumb_kind;

        jr_log(JR_LOG_DEBUG, "job %lld (%s) started, attempt %u",
               (long long) w->job.id, w->job.kind, w->job.attempts);

        continue;

    not_started:

        jr_jobs_record(w, time(NULL));
        jr_jobs_work_free(w);
    }
}


static void
jr_jobs_poll(uv_timer_t *timer)
{
    time_t      now;
    jr_jobs_t  *jobs;

    jobs = timer->data;
    now = time(NULL);

    (void) jr_queue_reclaim(&jobs->queue, now);

    /* renewed three times per lease, one lost renewal is no harm */
    if (jobs->running && now - jobs->renewed >= jobs->queue.lease / 3) {
        (void) jr_queue_renew(&jobs->queue, now);
        jobs->renewed = now;
    }

    jr_jobs_kick(jobs);
}


static void
jr_jobs_work(uv_work_t *req)
{
    jr_work_t  *w = req->data;

    w->kind->work(w);
}


static void
jr_jobs_after(uv_work_t *req, int status)
{
    time_t       now;
    jr_jobs_t   *jobs;
    jr_work_t   *w, **pw;

    w = req->data;
    jobs = w->jobs;
    now = time(NULL);

    for (pw = &jobs->works; *pw != NULL; pw = &(*pw)->next) {
        if (*pw == w) {
            *pw = w->next;
            break;
        }
    }

    jobs->running--;
    jobs->running_thumbs -= w->kind == &jr_thumb_kind;

    if (status == UV_ECANCELED) {
        (void) jr_queue_release(&jobs->queue, w->job.id, now);

    } else {
        jr_jobs_record(w, now);

        if (w->kind->done) {
            w->kind->done(w);
        }
    }

    jr_jobs_work_free(w);

    jr_jobs_kick(jobs);
}


/*
 * The outcome on the loop: the kind's effect and the ack in one
 * transaction, or the failure with its backoff.
 */
static void
jr_jobs_record(jr_work_t *w, time_t now)
{
    int          rc, dead;
    long         delay;
    jr_jobs_t   *jobs;
    const char  *what;

    jobs = w->jobs;

    if (!w->failed) {
        what = "begin";
        rc = sqlite3_exec(jobs->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

        if (rc == SQLITE_OK && w->kind->commit
            && w->kind->commit(w, jobs->db) != 0)
        {
            what = "record the result";
            rc = sqlite3_errcode(jobs->db);
            rc = rc == SQLITE_OK ? SQLITE_ERROR : rc;
        }

        if (rc == SQLITE_OK) {
            what = "mark it done";
            rc = jr_queue_ack(&jobs->queue, w->job.id, now);
        }

        if (rc == SQLITE_OK) {
            what = "commit";
            rc = sqlite3_exec(jobs->db, "COMMIT", NULL, NULL, NULL);
        }

        if (rc == SQLITE_OK) {
            jr_log(JR_LOG_DEBUG, "job %lld (%s) done in %llu ms",
                   (long long) w->job.id, w->job.kind,
                   (unsigned long long) (uv_now(jobs->loop) - w->started));
            return;
        }

        (void) sqlite3_exec(jobs->db, "ROLLBACK", NULL, NULL, NULL);

        if (!w->failed) {
            jr_work_fail(w, 0, "cannot %s: %s", what,
                         rc == SQLITE_ABORT ? "the lease was lost"
                                            : sqlite3_errstr(rc));
        }
    }

    dead = jr_queue_fail(&jobs->queue, &w->job, w->error, w->permanent, now,
                         &delay);

    if (dead == 1) {
        jr_log(JR_LOG_ERROR, "job %lld (%s %s) dead after %u attempt%s: %s",
               (long long) w->job.id, w->job.kind,
               w->job.dedupe_key ? w->job.dedupe_key : "", w->job.attempts,
               w->job.attempts == 1 ? "" : "s", w->error);
        jr_jobs_alert(w);

    } else if (dead == 0) {
        jr_log(JR_LOG_WARN, "job %lld (%s %s) attempt %u failed, retry in "
               "%ld s: %s", (long long) w->job.id, w->job.kind,
               w->job.dedupe_key ? w->job.dedupe_key : "", w->job.attempts,
               delay, w->error);
    }
}


/* A dead job for the admins' live view: "alerts.jobs", event "alert". */
static void
jr_jobs_alert(jr_work_t *w)
{
    json_t  *obj;

    if (!jr_sse_running()) {
        return;
    }

    obj = json_pack("{s:s, s:I, s:s, s:s, s:i, s:s, s:I}",
                    "level", "error", "job", (json_int_t) w->job.id,
                    "kind", w->job.kind,
                    "key", w->job.dedupe_key ? w->job.dedupe_key : "",
                    "attempts", (int) w->job.attempts, "message", w->error,
                    "time", (json_int_t) time(NULL));
    if (obj != NULL) {
        (void) jr_sse_publish_json("alerts.jobs", "alert", obj);
        json_decref(obj);
    }
}


static void
jr_jobs_work_free(jr_work_t *w)
{
    if (w->kind && w->kind->free) {
        w->kind->free(w);
    }

    if (w->payload) {
        json_decref(w->payload);
    }

    jr_queue_job_free(&w->job);
    free(w);
}


void
jr_work_fail(jr_work_t *w, int permanent, const char *fmt, ...)
{
    char     *p;
    va_list   ap;

    /* the first reason is the one that counts */
    if (w->failed) {
        return;
    }

    w->failed = 1;
    w->permanent = permanent;

    va_start(ap, fmt);
    vsnprintf(w->error, sizeof(w->error), fmt, ap);
    va_end(ap);

    /* one log line per failure: libvips messages span several */
    for (p = w->error; *p; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t') {
            *p = ' ';
        }
    }

    while (p > w->error && p[-1] == ' ') {
        *--p = '\0';
    }
}


unsigned long
jr_jobs_peak_rss_kb(void)
{
    char           line[128];
    FILE          *f;
    unsigned long  kb;

    f = fopen("/proc/self/status", "re");
    if (f == NULL) {
        return 0;
    }

    kb = 0;

    while (fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "VmHWM: %lu kB", &kb) == 1) {
            break;
        }
    }

    fclose(f);

    return kb;
}
