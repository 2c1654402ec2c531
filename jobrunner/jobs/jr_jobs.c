/*
 * The dispatcher; see jr_jobs.h.
 *
 * At most threadpool_size jobs are in flight, so a backlog waits in the
 * table, not in libuv's queue, and a shutdown waits for those few only.
 * Bulk kinds (thumbnails) take at most all threads but one: a backlog of
 * thousands of images after an import must not hold up a cronhook or a
 * cleanup.
 * A one-second timer moves the jobs the module queued with content out of
 * data.db's outbox, reclaims leases that ran out in a dead process,
 * renews ours, and starts jobs whose backoff has passed; enqueueing and
 * each finished job start more at once.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/jr_jobs.h"
#include "core/jr_log.h"
#include "sse/jr_sse.h"


#define JR_JOBS_POLL_MS  1000


static int jr_jobs_start_kinds(jr_jobs_t *jobs,
    const jr_kind_t *const *kinds);
static int jr_jobs_bulk(jr_jobs_t *jobs);
static jr_jobs_kind_t *jr_jobs_find(jr_jobs_t *jobs, const char *name);
static void jr_jobs_poll(uv_timer_t *timer);
static void jr_jobs_work(uv_work_t *req);
static void jr_jobs_after(uv_work_t *req, int status);
static void jr_jobs_record(jr_work_t *w, time_t now);
static void jr_jobs_work_free(jr_work_t *w);
static void jr_jobs_alert(jr_work_t *w);


int
jr_jobs_start(jr_jobs_t **out, uv_loop_t *loop, sqlite3 *db,
    const jr_config_t *cf, struct jr_s3_s *s3, const jr_kind_t *const *kinds)
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
    jobs->s3 = s3;
    jobs->max_running = cf->threadpool_size;

    if (jr_queue_open(&jobs->queue, db, jc->queue_max_attempts,
                      jc->queue_backoff, jc->queue_lease)
        != 0)
    {
        return -1;
    }

    /* what their jobs need is ready before the first one can run */
    if (jr_jobs_start_kinds(jobs, kinds) != 0) {
        return -1;
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

    jr_jobs_kick(jobs);

    return 0;
}


/* The dispatcher's table of kinds, each started in turn. */
static int
jr_jobs_start_kinds(jr_jobs_t *jobs, const jr_kind_t *const *kinds)
{
    size_t           i, n;
    jr_jobs_kind_t  *k, *shared;

    for (n = 0; kinds[n] != NULL; n++) { /* void */ }

    jobs->kinds = calloc(n ? n : 1, sizeof(jr_jobs_kind_t));
    if (jobs->kinds == NULL) {
        jr_log(JR_LOG_ERROR, "jobs: out of memory");
        return -1;
    }

    for (i = 0; i < n; i++) {
        k = &jobs->kinds[i];
        k->kind = kinds[i];
        jobs->nkinds = i + 1;

        if (k->kind->shares) {
            shared = jr_jobs_find(jobs, k->kind->shares->name);

            if (shared == NULL || shared->kind->shares) {
                jr_log(JR_LOG_ERROR, "jobs: kind %s shares the context of "
                       "%s, which is not listed before it", k->kind->name,
                       k->kind->shares->name);
                return -1;
            }

            k->ctx = shared->ctx;
            continue;
        }

        if (k->kind->start) {
            /* stopped by jr_jobs_free() from here, even if it fails */
            k->started = 1;

            if (k->kind->start(jobs, &k->ctx) != 0) {
                return -1;
            }
        }
    }

    return jr_jobs_bulk(jobs);
}


/*
 * The names of the bulk kinds, a JSON array, which jr_jobs_kick() has
 * the queue skip when they fill their share; none: NULL.  0, or -1 out of
 * memory.
 */
static int
jr_jobs_bulk(jr_jobs_t *jobs)
{
    int      rc;
    size_t   i;
    json_t  *names;

    names = json_array();
    rc = names ? 0 : -1;

    for (i = 0; rc == 0 && i < jobs->nkinds; i++) {
        if (jobs->kinds[i].kind->bulk) {
            rc = json_array_append_new(names,
                                       json_string(jobs->kinds[i].kind->name));
        }
    }

    if (rc == 0 && json_array_size(names) > 0) {
        jobs->bulk = json_dumps(names, JSON_COMPACT);
        rc = jobs->bulk ? 0 : -1;
    }

    json_decref(names);

    if (rc != 0) {
        jr_log(JR_LOG_ERROR, "jobs: out of memory");
    }

    return rc;
}


void
jr_jobs_free(jr_jobs_t *jobs)
{
    size_t           i;
    jr_jobs_kind_t  *k;

    if (jobs == NULL) {
        return;
    }

    jr_queue_close(&jobs->queue);

    /* in the reverse order of their start */
    for (i = jobs->nkinds; i-- > 0; ) {
        k = &jobs->kinds[i];

        if (k->started && k->kind->stop) {
            k->kind->stop(k->ctx);
        }
    }

    free(jobs->kinds);
    free(jobs->bulk);
    free(jobs);
}


const jr_kind_t *
jr_jobs_kind(jr_jobs_t *jobs, const char *name)
{
    jr_jobs_kind_t  *k;

    k = jr_jobs_find(jobs, name);

    return k ? k->kind : NULL;
}


static jr_jobs_kind_t *
jr_jobs_find(jr_jobs_t *jobs, const char *name)
{
    size_t  i;

    for (i = 0; i < jobs->nkinds; i++) {
        if (strcmp(jobs->kinds[i].kind->name, name) == 0) {
            return &jobs->kinds[i];
        }
    }

    return NULL;
}


void
jr_jobs_render(jr_jobs_t *jobs, FILE *out)
{
    size_t           i;
    jr_jobs_kind_t  *k;

    if (jobs == NULL) {
        return;
    }

    for (i = 0; i < jobs->nkinds; i++) {
        k = &jobs->kinds[i];

        if (!k->kind->shares && k->kind->render) {
            k->kind->render(k->ctx, out);
        }
    }
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


void
jr_jobs_kick(jr_jobs_t *jobs)
{
    int              rc;
    jr_work_t       *w;
    const char      *skip;
    json_error_t     jerr;
    jr_jobs_kind_t  *k;

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
                && jobs->running_bulk >= jobs->max_running - 1)
               ? jobs->bulk : NULL;

        rc = jr_queue_lease(&jobs->queue, time(NULL), skip, &w->job);
        if (rc <= 0) {
            free(w);
            return;
        }

        w->jobs = jobs;
        w->req.data = w;
        w->started = uv_now(jobs->loop);
        k = jr_jobs_find(jobs, w->job.kind);

        if (k == NULL) {
            jr_work_fail(w, 1, "unknown job kind \"%s\"", w->job.kind);
            goto not_started;
        }

        w->kind = k->kind;
        w->ctx = k->ctx;

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
        jobs->running_bulk += w->kind->bulk;

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

    (void) jr_queue_outbox(&jobs->queue);
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
    jobs->running_bulk -= w->kind->bulk;

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
