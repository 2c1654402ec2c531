/*
 * Timers: each schedule of [timers], of the cronhooks and of the mirrors
 * enqueues one job per slot, in place of cron: a job of the kind the
 * timer names, with the payload of the kind's timer_payload hook.
 *
 * The last slot enqueued is kept in data.db (the timers table), in the
 * transaction that enqueues the job, and the job's dedupe key is
 * "NAME:SLOT": so a slot runs at most once, and at start a timer whose
 * latest slot is newer than the one recorded (the jobrunner was down, or
 * the timer is new) runs once for it, however many slots were missed.
 * A slot whose previous run is still queued or running is skipped, so a
 * task never overlaps itself.
 *
 * A libuv timer waits for the next slot, but never longer than a minute,
 * so a change of the wall clock is noticed within a minute.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/jr_timers.h"
#include "core/jr_log.h"


#define JR_TIMERS_RECHECK_MS  60000


typedef struct {
    uv_timer_t               handle;
    jr_timers_t             *timers;
    const jr_timer_conf_t   *conf;
    time_t                   last_slot;      /* 0: never */
} jr_timer_t;

struct jr_timers_s {
    jr_jobs_t               *jobs;
    jr_timer_t              *timer;
    size_t                   n;
    sqlite3_stmt            *save;
};


static void jr_timers_tick(uv_timer_t *handle);
static void jr_timers_check(jr_timer_t *t, time_t now);
static void jr_timers_arm(jr_timer_t *t, time_t now);


/* "2026-05-01T03:00:00Z", for log lines */
static const char *
jr_timers_iso(time_t t, char *buf, size_t size)
{
    struct tm  tm;

    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);

    return buf;
}


static int
jr_timers_load(jr_timers_t *ts, sqlite3 *db)
{
    int            rc;
    size_t         i;
    sqlite3_stmt  *stmt;

    rc = sqlite3_prepare_v2(db, "SELECT last_slot FROM timers WHERE name = ?1",
                            -1, &stmt, NULL);

    for (i = 0; rc == SQLITE_OK && i < ts->n; i++) {
        rc = sqlite3_bind_text(stmt, 1, ts->timer[i].conf->name, -1,
                               SQLITE_STATIC);
        if (rc == SQLITE_OK) {
            rc = sqlite3_step(stmt);
        }

        if (rc == SQLITE_ROW) {
            ts->timer[i].last_slot = (time_t) sqlite3_column_int64(stmt, 0);
            rc = SQLITE_OK;

        } else if (rc == SQLITE_DONE) {
            rc = SQLITE_OK;
        }

        sqlite3_reset(stmt);
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_OK) {
        jr_log(JR_LOG_ERROR, "timers: cannot read the last runs: %s",
               sqlite3_errmsg(db));
        return -1;
    }

    rc = sqlite3_prepare_v3(db,
             "INSERT INTO timers (name, last_slot) VALUES (?1, ?2)"
             " ON CONFLICT (name) DO UPDATE SET last_slot = ?2",
             -1, SQLITE_PREPARE_PERSISTENT, &ts->save, NULL);

    if (rc != SQLITE_OK) {
        jr_log(JR_LOG_ERROR, "timers: cannot prepare: %s", sqlite3_errmsg(db));
        return -1;
    }

    return 0;
}


int
jr_timers_start(jr_timers_t **out, jr_jobs_t *jobs)
{
    int                    rc;
    char                   iso[32];
    size_t                 i;
    time_t                 now;
    jr_timer_t            *t;
    jr_timers_t           *ts;
    const jr_jobs_conf_t  *jc;

    jc = &jobs->cf->jobs;

    ts = calloc(1, sizeof(jr_timers_t));
    *out = ts;

    if (ts == NULL
        || (jc->ntimers
            && (ts->timer = calloc(jc->ntimers, sizeof(jr_timer_t))) == NULL))
    {
        jr_log(JR_LOG_ERROR, "timers: out of memory");
        return -1;
    }

    ts->jobs = jobs;
    ts->n = jc->ntimers;

    for (i = 0; i < ts->n; i++) {
        ts->timer[i].timers = ts;
        ts->timer[i].conf = &jc->timers[i];
    }

    if (jr_timers_load(ts, jobs->db) != 0) {
        return -1;
    }

    now = time(NULL);

    for (i = 0; i < ts->n; i++) {
        t = &ts->timer[i];

        rc = uv_timer_init(jobs->loop, &t->handle);
        if (rc != 0) {
            jr_log(JR_LOG_ERROR, "timers: cannot create a timer: %s",
                   uv_strerror(rc));
            return -1;
        }

        t->handle.data = t;

        jr_log(JR_LOG_INFO, "timer %s: %s, last run %s", t->conf->name,
               t->conf->spec,
               t->last_slot ? jr_timers_iso(t->last_slot, iso, sizeof(iso))
                            : "never");

        /* a slot missed while we were down runs now, once */
        jr_timers_check(t, now);
        jr_timers_arm(t, now);
    }

    return 0;
}


void
jr_timers_free(jr_timers_t *ts)
{
    if (ts == NULL) {
        return;
    }

    sqlite3_finalize(ts->save);
    free(ts->timer);
    free(ts);
}


static void
jr_timers_arm(jr_timer_t *t, time_t now)
{
    int       rc;
    time_t    next;
    uint64_t  ms;

    next = jr_schedule_next(&t->conf->schedule, now);
    ms = (uint64_t) (next - now) * 1000;

    if (ms > JR_TIMERS_RECHECK_MS) {
        ms = JR_TIMERS_RECHECK_MS;
    }

    rc = uv_timer_start(&t->handle, jr_timers_tick, ms, 0);
    if (rc != 0) {
        jr_log(JR_LOG_ERROR, "timer %s: cannot start: %s", t->conf->name,
               uv_strerror(rc));
    }
}


static void
jr_timers_tick(uv_timer_t *handle)
{
    time_t       now;
    jr_timer_t  *t;

    t = handle->data;

    if (jr_jobs_stopping(t->timers->jobs)) {
        return;
    }

    now = time(NULL);

    jr_timers_check(t, now);
    jr_timers_arm(t, now);
}


/* The payload of the timer's kind for a slot, by its hook or the default. */
static json_t *
jr_timers_payload(jr_timer_t *t, time_t slot)
{
    const jr_kind_t  *kind;

    kind = jr_jobs_kind(t->timers->jobs, t->conf->task);

    if (kind && kind->timer_payload) {
        return kind->timer_payload(t->conf, slot);
    }

    return json_pack("{s:s, s:I}", "timer", t->conf->name,
                     "slot", (json_int_t) slot);
}


static int
jr_timers_save(jr_timer_t *t, time_t slot)
{
    int            rc;
    sqlite3_stmt  *stmt;

    stmt = t->timers->save;

    rc = sqlite3_bind_text(stmt, 1, t->conf->name, -1, SQLITE_STATIC)
         | sqlite3_bind_int64(stmt, 2, slot);

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
    }

    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);

    return rc == SQLITE_DONE ? 0 : -1;
}


static void
jr_timers_check(jr_timer_t *t, time_t now)
{
    int          rc, active;
    char         key[128], iso[32];
    char        *text;
    time_t       slot;
    json_t      *payload;
    jr_jobs_t   *jobs;

    jobs = t->timers->jobs;
    slot = jr_schedule_prev(&t->conf->schedule, now);

    if (slot <= t->last_slot) {
        return;
    }

    jr_timers_iso(slot, iso, sizeof(iso));

    active = jr_queue_active(&jobs->queue, t->conf->name);
    if (active < 0) {
        return;
    }

    text = NULL;

    if (!active) {
        payload = jr_timers_payload(t, slot);
        text = payload ? json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS)
                       : NULL;
        json_decref(payload);

        if (text == NULL) {
            jr_log(JR_LOG_ERROR, "timer %s: out of memory", t->conf->name);
            return;
        }
    }

    snprintf(key, sizeof(key), "%s:%lld", t->conf->name, (long long) slot);

    rc = sqlite3_exec(jobs->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

    if (rc == SQLITE_OK && !active
        && jr_queue_enqueue(&jobs->queue, t->conf->task, key, text, now) < 0)
    {
        rc = SQLITE_ERROR;
    }

    if (rc == SQLITE_OK && jr_timers_save(t, slot) != 0) {
        rc = SQLITE_ERROR;
    }

    if (rc == SQLITE_OK) {
        rc = sqlite3_exec(jobs->db, "COMMIT", NULL, NULL, NULL);
    }

    free(text);

    if (rc != SQLITE_OK) {
        (void) sqlite3_exec(jobs->db, "ROLLBACK", NULL, NULL, NULL);
        jr_log(JR_LOG_ERROR, "timer %s: cannot enqueue the run of %s: %s",
               t->conf->name, iso, sqlite3_errmsg(jobs->db));
        return;
    }

    t->last_slot = slot;

    if (active) {
        jr_log(JR_LOG_WARN, "timer %s: the previous run is still queued or "
               "running, the run of %s is skipped", t->conf->name, iso);
        return;
    }

    jr_log(JR_LOG_INFO, "timer %s: run of %s enqueued", t->conf->name, iso);

    jr_jobs_kick(jobs);
}
