/*
 * The progress of the newsletters' sends; see jr_nl_progress.h.
 */

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/jr_alert.h"
#include "core/jr_log.h"
#include "mail/jr_nl_progress.h"
#include "sse/jr_sse.h"


/*
 * The newsletters watched: those being sent, and the newest others, whose
 * final counts stay in /metrics.  Older ones are only in data.db.
 */
#define JR_NL_WATCHED  16


/* queue.db's deliveries.status, in the order of the counts */
static const char *const  jr_nl_status[] = {
    "queued", "sending", "sent", "failed", "bounced", "skipped"
};

#define JR_NL_NSTATUS  (sizeof(jr_nl_status) / sizeof(jr_nl_status[0]))


typedef struct {
    int64_t     id;
    int64_t     n[JR_NL_NSTATUS];
    char        status[16];        /* data.db's newsletters.status */
    time_t      moved;             /* when the counts last changed */
    unsigned    counted:1;
    unsigned    stalled:1;         /* alerted; until the counts move */
} jr_nl_watch_t;

struct jr_nl_progress_s {
    uv_timer_t          timer;
    sqlite3            *db;
    time_t              stall;     /* seconds, 0: no alert */
    sqlite3_stmt       *list;
    sqlite3_stmt       *count;
    jr_nl_watch_t       w[JR_NL_WATCHED];
    size_t              n;
};


static void jr_nl_progress_tick(uv_timer_t *timer);
static int jr_nl_progress_count(jr_nl_progress_t *p, jr_nl_watch_t *w,
    const char *status, time_t now);
static void jr_nl_progress_publish(const jr_nl_watch_t *w);


jr_nl_progress_t *
jr_nl_progress_start(uv_loop_t *loop, sqlite3 *db, const jr_config_t *cf)
{
    int                rc;
    uint64_t           ms;
    jr_nl_progress_t  *p;

    p = calloc(1, sizeof(jr_nl_progress_t));
    if (p == NULL) {
        jr_log(JR_LOG_ERROR, "newsletter progress: out of memory");
        return NULL;
    }

    p->db = db;
    p->stall = (time_t) cf->mail.newsletter_stall;

    /* the sending ones first, then the newest: the table's size at most */
    rc = sqlite3_prepare_v3(db,
             "SELECT id, status FROM newsletters WHERE status <> 'queued'"
             " ORDER BY status = 'sending' DESC, id DESC LIMIT ?1",
             -1, SQLITE_PREPARE_PERSISTENT, &p->list, NULL);

    if (rc == SQLITE_OK) {
        rc = sqlite3_prepare_v3(db,
                 "SELECT status, count(*) FROM deliveries"
                 " WHERE newsletter_id = ?1 GROUP BY status",
                 -1, SQLITE_PREPARE_PERSISTENT, &p->count, NULL);
    }

    if (rc != SQLITE_OK) {
        jr_log(JR_LOG_ERROR, "newsletter progress: cannot prepare its "
               "queries: %s", sqlite3_errmsg(db));
        jr_nl_progress_free(p);
        return NULL;
    }

    if (uv_timer_init(loop, &p->timer) != 0) {
        jr_log(JR_LOG_ERROR, "newsletter progress: cannot make its timer");
        jr_nl_progress_free(p);
        return NULL;
    }

    /* started with a callback: it cannot fail */
    p->timer.data = p;
    ms = (uint64_t) cf->mail.newsletter_progress * 1000;
    (void) uv_timer_start(&p->timer, jr_nl_progress_tick, ms, ms);

    return p;
}


void
jr_nl_progress_free(jr_nl_progress_t *p)
{
    if (p == NULL) {
        return;
    }

    sqlite3_finalize(p->list);
    sqlite3_finalize(p->count);
    free(p);
}


static jr_nl_watch_t *
jr_nl_progress_find(jr_nl_watch_t *w, size_t n, int64_t id)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (w[i].id == id) {
            return &w[i];
        }
    }

    return NULL;
}


/*
 * The newsletters to watch now, as listed, each with what was known of
 * it; the counts of those being sent (or never counted) read again.
 */
static void
jr_nl_progress_tick(uv_timer_t *timer)
{
    int                rc;
    size_t             n;
    time_t             now;
    const char        *status;
    jr_nl_watch_t      w[JR_NL_WATCHED], *old;
    jr_nl_progress_t  *p;

    p = timer->data;
    now = time(NULL);
    n = 0;

    sqlite3_reset(p->list);
    sqlite3_bind_int(p->list, 1, JR_NL_WATCHED);

    while ((rc = sqlite3_step(p->list)) == SQLITE_ROW) {
        memset(&w[n], 0, sizeof(jr_nl_watch_t));
        w[n].id = sqlite3_column_int64(p->list, 0);

        old = jr_nl_progress_find(p->w, p->n, w[n].id);
        if (old != NULL) {
            w[n] = *old;
        }

        status = (const char *) sqlite3_column_text(p->list, 1);

        if (jr_nl_progress_count(p, &w[n], status ? status : "", now) != 0) {
            /* a busy file: the next tick tries again, nothing lost */
            sqlite3_reset(p->list);
            return;
        }

        n++;
    }

    sqlite3_reset(p->list);

    if (rc != SQLITE_DONE) {
        jr_log(JR_LOG_WARN, "newsletter progress: cannot list the "
               "newsletters: %s", sqlite3_errmsg(p->db));
        return;
    }

    memcpy(p->w, w, n * sizeof(jr_nl_watch_t));
    p->n = n;
}


/* Counts w's deliveries if need be; publishes a change; the stall alert. */
static int
jr_nl_progress_count(jr_nl_progress_t *p, jr_nl_watch_t *w,
    const char *status, time_t now)
{
    int          rc, moved;
    size_t       i;
    int64_t      n[JR_NL_NSTATUS], remain;
    const char  *s;

    moved = strcmp(w->status, status) != 0;

    if (w->counted && !moved && strcmp(status, "sending") != 0) {
        return 0;
    }

    memset(n, 0, sizeof(n));

    sqlite3_reset(p->count);
    sqlite3_bind_int64(p->count, 1, w->id);

    while ((rc = sqlite3_step(p->count)) == SQLITE_ROW) {
        s = (const char *) sqlite3_column_text(p->count, 0);

        for (i = 0; s && i < JR_NL_NSTATUS; i++) {
            if (strcmp(s, jr_nl_status[i]) == 0) {
                n[i] = sqlite3_column_int64(p->count, 1);
            }
        }
    }

    sqlite3_reset(p->count);

    if (rc != SQLITE_DONE) {
        jr_log(JR_LOG_WARN, "newsletter progress: cannot count the "
               "deliveries of newsletter %" PRId64 ": %s", w->id,
               sqlite3_errmsg(p->db));
        return -1;
    }

    moved |= !w->counted || memcmp(n, w->n, sizeof(n)) != 0;

    memcpy(w->n, n, sizeof(n));
    snprintf(w->status, sizeof(w->status), "%s", status);

    if (moved) {
        w->counted = 1;
        w->moved = now;
        w->stalled = 0;
        jr_nl_progress_publish(w);
        return 0;
    }

    remain = n[0] + n[1];

    if (p->stall && !w->stalled && remain > 0
        && strcmp(status, "sending") == 0 && now - w->moved >= p->stall)
    {
        w->stalled = 1;
        jr_alert("newsletter.stalled", "newsletter %" PRId64 ": no message "
                 "sent, failed or bounced for %lld s while %" PRId64 " "
                 "remain (%" PRId64 " sent): is the SMTP server down or the "
                 "sender stopped? See the panel's newsletter page and the "
                 "log", w->id, (long long) (now - w->moved), remain, n[2]);
    }

    return 0;
}


static void
jr_nl_progress_publish(const jr_nl_watch_t *w)
{
    char     topic[64];
    size_t   i;
    json_t  *o;
    int64_t  total;

    if (!jr_sse_running()) {
        return;
    }

    o = json_object();
    if (o == NULL) {
        return;
    }

    total = 0;

    for (i = 0; i < JR_NL_NSTATUS; i++) {
        total += w->n[i];
        json_object_set_new(o, jr_nl_status[i], json_integer(w->n[i]));
    }

    json_object_set_new(o, "id", json_integer(w->id));
    json_object_set_new(o, "status", json_string(w->status));
    json_object_set_new(o, "total", json_integer(total));

    snprintf(topic, sizeof(topic), "newsletters.%" PRId64, w->id);

    (void) jr_sse_publish_json(topic, "progress", o);
    json_decref(o);
}


void
jr_nl_progress_render(jr_nl_progress_t *p, FILE *out)
{
    size_t  i, k;

    if (p == NULL || p->n == 0) {
        return;
    }

    fprintf(out, "# HELP jobrunner_newsletter_messages The messages of the "
            "newest newsletters, by state (sent, failed, bounced...).\n"
            "# TYPE jobrunner_newsletter_messages gauge\n");

    for (i = 0; i < p->n; i++) {
        for (k = 0; k < JR_NL_NSTATUS; k++) {
            fprintf(out, "jobrunner_newsletter_messages{newsletter=\"%"
                    PRId64 "\",status=\"%s\"} %" PRId64 "\n", p->w[i].id,
                    jr_nl_status[k], p->w[i].n[k]);
        }
    }

    fprintf(out, "# HELP jobrunner_newsletter_stalled 1 while a send has "
            "made no progress for newsletter_stall with messages left.\n"
            "# TYPE jobrunner_newsletter_stalled gauge\n");

    for (i = 0; i < p->n; i++) {
        fprintf(out, "jobrunner_newsletter_stalled{newsletter=\"%" PRId64
                "\"} %d\n", p->w[i].id, p->w[i].stalled);
    }
}
