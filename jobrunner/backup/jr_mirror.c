/*
 * The mirror: its client, the "mirror" and "mirror_tier" job kinds, its
 * counters; see jr_mirror.h.  The runs themselves are in jr_mirror_sync.c.
 *
 * Why jobs of the durable queue: a run cut by a restart runs again (each
 * step is idempotent: a file already sent is skipped, a copy already made
 * is current, a delete of a missing key is ok), and the timers never
 * enqueue a run while the last one of the same timer is queued or running.
 * Runs of different timers wait for each other on the lock, so a tier
 * never copies a live copy half sent.
 */

#include <stdlib.h>
#include <string.h>

#include "core/jr_alert.h"
#include "jobs/jr_jobs.h"
#include "jobs/jr_kinds.h"
#include "core/jr_log.h"
#include "backup/jr_mirror_int.h"


/* With [mirror]: its client, shared by its two kinds. */
static int
jr_mirror_start(jr_jobs_t *jobs, void **ctx)
{
    jr_mirror_t        *m;
    const jr_config_t  *cf;

    cf = jobs->cf;

    if (cf->mirror.line == 0) {
        return 0;
    }

    m = calloc(1, sizeof(jr_mirror_t));
    if (m == NULL) {
        jr_log(JR_LOG_ERROR, "mirror: out of memory");
        return -1;
    }

    m->cf = cf;
    m->mc = &cf->mirror;

    if (uv_mutex_init(&m->lock) != 0) {
        free(m);
        jr_log(JR_LOG_ERROR, "mirror: cannot create a lock");
        return -1;
    }

    /*
     * synchronous requests only, from the pool: no loop; a source client
     * of its own, so that its requests are counted as the mirror's
     */
    m->src = jr_s3_open(&cf->s3, NULL);
    m->dst = jr_s3_open(&m->mc->dest, NULL);
    if (m->src == NULL || m->dst == NULL) {
        jr_s3_free(m->src);
        jr_s3_free(m->dst);
        uv_mutex_destroy(&m->lock);
        free(m);
        jr_log(JR_LOG_ERROR, "mirror: cannot start the S3 client");
        return -1;
    }

    jr_s3_set_user(m->src, JR_S3_USER_MIRROR);
    jr_s3_set_user(m->dst, JR_S3_USER_MIRROR);

    jr_log(JR_LOG_INFO, "mirror: %s%s%s to s3://%s/%s/%s",
           m->mc->media ? cf->jobs.media_root : "",
           m->mc->media && m->mc->replica ? " and " : "",
           m->mc->replica ? "the backup" : "", m->mc->bucket, m->mc->prefix,
           m->mc->delete_gone ? ", deletions followed" : "");

    *ctx = m;

    return 0;
}


/* After the loop has ended (no run in a pool thread any more). */
static void
jr_mirror_stop(void *ctx)
{
    jr_mirror_t  *m = ctx;

    if (m == NULL) {
        return;
    }

    jr_s3_close(m->src);
    jr_s3_free(m->src);
    jr_s3_close(m->dst);
    jr_s3_free(m->dst);
    jr_mirror_files_free(m->files, m->nfiles);
    uv_mutex_destroy(&m->lock);
    free(m);
}


/* --- the jobs ---------------------------------------------------------- */

static int
jr_mirror_prepare(jr_work_t *w)
{
    int               timer;
    json_t           *name;
    jr_mirror_run_t  *run;

    if (w->ctx == NULL) {
        jr_work_fail(w, 1, "no [mirror] section in the configuration");
        return -1;
    }

    name = json_object_get(w->payload, "timer");
    timer = json_is_string(name) ? jr_mirror_conf_timer(json_string_value(name))
                                 : -1;

    if (timer == -1
        || (timer == JR_MIRROR_LIVE)
           != (strcmp(w->kind->name, JR_TASK_MIRROR) == 0))
    {
        jr_work_fail(w, 1, "the payload names no timer of this job kind");
        return -1;
    }

    run = calloc(1, sizeof(jr_mirror_run_t));
    if (run == NULL) {
        jr_work_fail(w, 0, "out of memory");
        return -1;
    }

    run->timer = timer;
    w->data = run;

    return 0;
}


static void
jr_mirror_work(jr_work_t *w)
{
    int               rc;
    jr_mirror_t      *m;
    jr_mirror_run_t  *run;

    m = w->ctx;
    run = w->data;

    uv_mutex_lock(&m->lock);

    rc = run->timer == JR_MIRROR_LIVE
         ? jr_mirror_run_live(m, run)
         : jr_mirror_run_tier(m, run->timer, run);

    uv_mutex_unlock(&m->lock);

    if (rc != 0) {
        jr_work_fail(w, 0, "%s", run->error);
    }
}


static void
jr_mirror_done(jr_work_t *w)
{
    int               t;
    time_t            now;
    jr_mirror_t      *m;
    const char       *tier;
    jr_mirror_run_t  *run;

    m = w->ctx;
    run = w->data;

    /* prepare() failed: nothing ran */
    if (m == NULL || run == NULL) {
        return;
    }

    t = run->timer;
    tier = jr_mirror_tiers[t];
    now = time(NULL);

    /* what went before a failure was done all the same */
    m->sent += run->sent;
    m->sent_bytes += run->sent_bytes;
    m->copied[t] += run->copied;
    m->skipped[t] += run->skipped;
    m->deleted[t] += run->deleted;
    m->last_run[t] = now;
    m->runs[t][w->failed != 0]++;

    if (run->unreadable) {
        jr_log(JR_LOG_WARN, "mirror %s: %llu file%s not mirrored, first %s",
               tier, (unsigned long long) run->unreadable,
               run->unreadable == 1 ? "" : "s", run->first_unreadable);
    }

    if (run->kept[0]) {
        jr_log(JR_LOG_WARN, "mirror %s: %s", tier, run->kept);
    }

    if (w->failed) {
        jr_alert("mirror.failed", "mirror %s: run failed after %llu sent, "
                 "%llu copied: %s", tier, (unsigned long long) run->sent,
                 (unsigned long long) run->copied, w->error);
        return;
    }

    m->last_success[t] = now;

    jr_log(JR_LOG_INFO, "mirror %s: %llu sent (%llu bytes), %llu copied, "
           "%llu unchanged, %llu deleted, %llu hashed in %llu ms", tier,
           (unsigned long long) run->sent,
           (unsigned long long) run->sent_bytes,
           (unsigned long long) run->copied,
           (unsigned long long) run->skipped,
           (unsigned long long) run->deleted,
           (unsigned long long) run->hashed,
           (unsigned long long) (uv_now(w->jobs->loop) - w->started));
}


static void
jr_mirror_free_work(jr_work_t *w)
{
    free(w->data);
}


/* --- metrics ----------------------------------------------------------- */

/* Prometheus lines jobrunner_mirror_*; without [mirror], none. */
static void
jr_mirror_render(void *ctx, FILE *out)
{
    int           t;
    jr_mirror_t  *m = ctx;

    if (m == NULL) {
        return;
    }

    fprintf(out,
            "# HELP jobrunner_mirror_sent_total Files of media_root sent "
            "to the mirror (new or changed).\n"
            "# TYPE jobrunner_mirror_sent_total counter\n"
            "jobrunner_mirror_sent_total %llu\n"
            "# HELP jobrunner_mirror_sent_bytes_total Bytes of those "
            "files.\n"
            "# TYPE jobrunner_mirror_sent_bytes_total counter\n"
            "jobrunner_mirror_sent_bytes_total %llu\n",
            (unsigned long long) m->sent,
            (unsigned long long) m->sent_bytes);

    fprintf(out,
            "# HELP jobrunner_mirror_runs_total Runs of each tier, by "
            "outcome.\n"
            "# TYPE jobrunner_mirror_runs_total counter\n");

    for (t = 0; t < JR_MIRROR_TIMERS; t++) {
        fprintf(out,
                "jobrunner_mirror_runs_total{tier=\"%s\",result=\"ok\"} %llu\n"
                "jobrunner_mirror_runs_total{tier=\"%s\",result=\"failed\"} "
                "%llu\n", jr_mirror_tiers[t],
                (unsigned long long) m->runs[t][0], jr_mirror_tiers[t],
                (unsigned long long) m->runs[t][1]);
    }

#define jr_mirror_series(name, help, type, field)                             \
    fprintf(out, "# HELP jobrunner_mirror_" name " " help "\n"                \
            "# TYPE jobrunner_mirror_" name " " type "\n");                   \
    for (t = 0; t < JR_MIRROR_TIMERS; t++) {                                  \
        fprintf(out, "jobrunner_mirror_" name "{tier=\"%s\"} %llu\n",         \
                jr_mirror_tiers[t], (unsigned long long) (field));            \
    }

    jr_mirror_series("copied_total", "Objects copied server side (the "
                     "backup's to live, each tier's from the one below).",
                     "counter", m->copied[t])
    jr_mirror_series("unchanged_total", "Files and objects found current.",
                     "counter", m->skipped[t])
    jr_mirror_series("deleted_total", "Objects deleted because their "
                     "source is gone.", "counter", m->deleted[t])
    jr_mirror_series("last_run_timestamp_seconds", "When the last run "
                     "ended (0: none yet).", "gauge", m->last_run[t])
    jr_mirror_series("last_success_timestamp_seconds", "When the last "
                     "successful run ended (0: none yet).", "gauge",
                     m->last_success[t])

#undef jr_mirror_series
}


/* --- the kinds --------------------------------------------------------- */

const jr_kind_t  jr_mirror_kind = {
    .name = JR_TASK_MIRROR,
    .start = jr_mirror_start,
    .stop = jr_mirror_stop,
    .render = jr_mirror_render,
    .prepare = jr_mirror_prepare,
    .work = jr_mirror_work,
    .done = jr_mirror_done,
    .free = jr_mirror_free_work
};

const jr_kind_t  jr_mirror_tier_kind = {
    .name = JR_TASK_MIRROR_TIER,
    .shares = &jr_mirror_kind,
    .prepare = jr_mirror_prepare,
    .work = jr_mirror_work,
    .done = jr_mirror_done,
    .free = jr_mirror_free_work
};
