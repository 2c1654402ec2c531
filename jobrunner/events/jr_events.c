/*
 * Event intake; see jr_events.h.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "blog_event.h"
#include "events/jr_analytics.h"
#include "events/jr_events.h"
#include "events/jr_evsock.h"
#include "events/jr_geo.h"
#include "core/jr_log.h"
#include "nats/jr_nats_consume.h"
#include "nats/jr_nats_publish.h"
#include "nats/jr_outbox.h"
#include "events/jr_current.h"
#include "events/jr_rollup.h"
#include "events/jr_salt.h"
#include "events/jr_spool.h"
#include "sse/jr_sse.h"


/* The row of analytics_spools that says how far the socket is counted. */
#define JR_EVENTS_MARK      "socket"


struct jr_events_s {
    const jr_events_conf_t  *conf;
    jr_evsock_t              sock;
    int                      paused;       /* held_max held, commit failing */
    int                      replaying;    /* a spool file: socket unread */
    uv_poll_t                poll;
    uv_timer_t               flush;
    uv_timer_t               scan;
    uv_timer_t               roll;
    uv_idle_t                replay;       /* the spool's next slice */
    unsigned                 handles;      /* started, to close */
    int                      stopped;
    int                      failed;       /* the last commit */
    int                      replica;      /* analytics.db is the primary's */
    jr_salt_t               *salts;
    jr_geo_t                *geo;
    jr_analytics_t          *analytics;
    jr_rollup_t             *rollup;
    jr_spool_t              *spool;
    jr_nats_t               *nats;
    jr_outbox_t             *outbox;       /* publishing: NATS counts */
    jr_nats_pub_t           *pub;
    jr_nats_con_t           *con;          /* counting other nodes' too */
    jr_current_t            *current;      /* current visitors, live */
    uint64_t                 received;     /* datagrams read */
    uint64_t                 corrupt_told; /* corrupt records alerted */
    uint64_t                 alerted_at;   /* uv_now() of the last alert */
    unsigned char            buf[BLOG_EVENT_DGRAM_MAX + 1];
};

#define JR_EVENTS_POLL   0x01
#define JR_EVENTS_FLUSH  0x02
#define JR_EVENTS_SCAN   0x04
#define JR_EVENTS_ROLL   0x08
#define JR_EVENTS_REPLAY 0x10

/* How often closed days are looked for, and the time a tick may take. */
#define JR_EVENTS_ROLL_MS      1000
#define JR_EVENTS_ROLL_BUDGET  50000000ULL      /* nanoseconds */


static int jr_events_resume(jr_events_t *ev, sqlite3 *db);
static void jr_events_readable(uv_poll_t *handle, int status, int events);
static unsigned jr_events_read(jr_events_t *ev, unsigned max);
static void jr_events_datagram(jr_events_t *ev, unsigned char *buf,
    size_t len);
static void jr_events_forward(jr_events_t *ev, unsigned char *buf,
    size_t len);
static int jr_events_nats(jr_events_t *ev, uv_loop_t *loop, sqlite3 *db,
    const jr_config_t *cf);
static void jr_events_commit(jr_events_t *ev);
static void jr_events_alert(jr_events_t *ev);
static void jr_events_flush_cb(uv_timer_t *timer);
static void jr_events_scan_cb(uv_timer_t *timer);
static void jr_events_replay_cb(uv_idle_t *idle);
static void jr_events_scan(jr_events_t *ev);
static void jr_events_listen(jr_events_t *ev);
static void jr_events_roll_cb(uv_timer_t *timer);


int
jr_events_start(jr_events_t **out, uv_loop_t *loop, sqlite3 *db,
    const jr_config_t *cf, jr_nats_t *nats)
{
    const jr_events_conf_t  *ec;
    jr_events_t             *ev;

    ec = &cf->events;
    *out = NULL;

    if (ec->socket == NULL && ec->spool_dir == NULL && nats == NULL) {
        return 0;
    }

    ev = calloc(1, sizeof(jr_events_t));
    if (ev == NULL) {
        jr_log(JR_LOG_ERROR, "events: out of memory");
        return -1;
    }

    ev->conf = ec;
    ev->sock.fd = -1;
    ev->nats = nats;
    ev->replica = cf->replica.line != 0;

    ev->salts = jr_salt_open(cf->jobs.ttl_db);
    if (ev->salts == NULL) {
        goto failed;
    }

    ev->geo = jr_geo_open(ec->geoip_db, ec->geoip6_db);
    if (ev->geo == NULL) {
        goto failed;
    }

    ev->analytics = jr_analytics_open(db, ev->salts, ev->geo, ec);
    ev->rollup = jr_rollup_open(db, (unsigned) ec->visit_gap, ec->raw_days);
    if (ev->analytics == NULL || ev->rollup == NULL) {
        goto failed;
    }

    if (ec->spool_dir) {
        ev->spool = jr_spool_open(db, ec->spool_dir, ec->batch_size,
                                  ev->analytics);
        if (ev->spool == NULL) {
            goto failed;
        }
    }

    if (uv_timer_init(loop, &ev->flush) != 0
        || uv_timer_init(loop, &ev->scan) != 0
        || uv_timer_init(loop, &ev->roll) != 0
        || uv_idle_init(loop, &ev->replay) != 0)
    {
        jr_log(JR_LOG_ERROR, "events: cannot make timers");
        goto failed;
    }

    ev->flush.data = ev;
    ev->scan.data = ev;
    ev->roll.data = ev;
    ev->replay.data = ev;
    ev->handles = JR_EVENTS_FLUSH | JR_EVENTS_SCAN | JR_EVENTS_ROLL
                  | JR_EVENTS_REPLAY;

    /* a replica's analytics.db is the primary's copy: rolled up there */
    if (!ev->replica
        && uv_timer_start(&ev->roll, jr_events_roll_cb, 0, JR_EVENTS_ROLL_MS)
           != 0)
    {
        jr_log(JR_LOG_ERROR, "events: cannot start the rollup timer");
        goto failed;
    }

    if (nats && jr_events_nats(ev, loop, db, cf) != 0) {
        goto failed;
    }

    if (ec->socket) {
        if (jr_evsock_open(&ev->sock, ec->socket, ec->socket_mode) != 0
            || jr_events_resume(ev, db) != 0)
        {
            goto failed;
        }

        if (uv_poll_init(loop, &ev->poll, ev->sock.fd) != 0) {
            jr_log(JR_LOG_ERROR, "events: cannot poll the socket");
            goto failed;
        }

        ev->poll.data = ev;
        ev->handles |= JR_EVENTS_POLL;

        if (uv_poll_start(&ev->poll, UV_READABLE, jr_events_readable) != 0) {
            jr_log(JR_LOG_ERROR, "events: cannot poll the socket");
            goto failed;
        }
    }

    /* where the events are counted: a node that only publishes has none */
    if ((ev->pub == NULL || ev->con != NULL)
        && jr_current_start(&ev->current, loop, db, ec->current_interval_ms)
           != 0)
    {
        goto failed;
    }

    /*
     * What the workers spooled while we were away, before anything new:
     * the socket is left unread until the spool's files are replayed.
     */
    if (ev->spool) {
        if (uv_timer_start(&ev->scan, jr_events_scan_cb, ec->spool_scan_ms,
                           ec->spool_scan_ms) != 0)
        {
            jr_log(JR_LOG_ERROR, "events: cannot start the spool timer");
            goto failed;
        }

        jr_events_scan(ev);
    }

    jr_log(JR_LOG_INFO, "events: socket %s, spool %s, batches of %u or %u "
           "ms%s%s", ec->socket ? ec->socket : "none",
           ec->spool_dir ? ec->spool_dir : "none", ec->batch_size,
           ec->batch_interval_ms,
           ev->pub ? ", published to NATS" : "",
           ev->con ? ", counting the NATS stream" : "");

    *out = ev;

    return 0;

failed:

    /* the caller closes the loop, which calls the close callbacks */
    jr_events_stop(ev);
    *out = ev;

    return -1;
}


/*
 * [nats]: a publisher's events go to its outbox, and its workers' spool
 * files too; a consumer counts the stream's into the same analytics.
 */
static int
jr_events_nats(jr_events_t *ev, uv_loop_t *loop, sqlite3 *db,
    const jr_config_t *cf)
{
    if (cf->nats.role & JR_NATS_PUBLISH) {
        ev->outbox = jr_outbox_open(cf->events.spool_dir);
        if (ev->outbox == NULL) {
            return -1;
        }

        jr_spool_handoff(ev->spool, jr_outbox_take, ev->outbox);

        ev->pub = jr_nats_pub_start(loop, ev->nats, ev->outbox, &cf->nats);
        if (ev->pub == NULL) {
            return -1;
        }
    }

    if (cf->nats.role & JR_NATS_CONSUME) {
        ev->con = jr_nats_con_start(loop, ev->nats, db, ev->analytics,
                                    &cf->nats);
        if (ev->con == NULL) {
            return -1;
        }
    }

    return 0;
}


/*
 * A jobrunner killed between a commit and the take that follows it left
 * the datagrams it counted on a socket that outlived it: they go now.
 */
static int
jr_events_resume(jr_events_t *ev, sqlite3 *db)
{
    int            rc, n;
    int64_t        last;
    sqlite3_stmt  *stmt;

    rc = sqlite3_prepare_v2(db, "SELECT offset FROM analytics_spools"
                            " WHERE file = '" JR_EVENTS_MARK "'", -1, &stmt,
                            NULL);

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
    }

    last = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
    sqlite3_finalize(stmt);

    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        jr_log(JR_LOG_ERROR, "events: cannot read how far the socket is "
               "counted: %s", sqlite3_errmsg(db));
        return -1;
    }

    /* a publisher takes each datagram as it reads it: nothing to resume */
    if (rc == SQLITE_DONE || !ev->sock.inherited || ev->outbox) {
        return 0;
    }

    n = jr_evsock_resume(&ev->sock, (uint64_t) last);
    if (n < 0) {
        return -1;
    }

    if (n > 0) {
        jr_log(JR_LOG_INFO, "events: %d datagram%s counted before a restart "
               "taken off the socket", n, n == 1 ? "" : "s");
    }

    return 0;
}


static void
jr_events_readable(uv_poll_t *handle, int status, int events)
{
    jr_events_t  *ev = handle->data;

    (void) events;

    if (status != 0) {
        jr_log(JR_LOG_ERROR, "events: poll: %s", uv_strerror(status));
        return;
    }

    /* one batch per wake-up, so timers and signals get their turn */
    (void) jr_events_read(ev, ev->conf->batch_size);

    /* corrupt records alone start no batch: they are told here */
    jr_events_alert(ev);

    /* the open outbox file is closed batch_interval_ms after its start */
    if (ev->outbox) {
        if (jr_outbox_pending(ev->outbox)
            && !uv_is_active((uv_handle_t *) &ev->flush))
        {
            (void) uv_timer_start(&ev->flush, jr_events_flush_cb,
                                  ev->conf->batch_interval_ms, 0);
        }

        /* files closed for their size */
        jr_nats_pub_kick(ev->pub);
        return;
    }

    if (jr_analytics_pending(ev->analytics) >= ev->conf->batch_size
        || ev->sock.held >= ev->sock.held_max)
    {
        jr_events_commit(ev);

    } else if (ev->sock.held && !uv_is_active((uv_handle_t *) &ev->flush)) {
        (void) uv_timer_start(&ev->flush, jr_events_flush_cb,
                              ev->conf->batch_interval_ms, 0);
    }
}


/*
 * Peeks at up to max datagrams, until the socket is empty or the batch
 * holds as many as it may; returns how many.  A datagram carries one or
 * more records.
 */
static unsigned
jr_events_read(jr_events_t *ev, unsigned max)
{
    ssize_t   n;
    unsigned  got;

    for (got = 0; got < max && ev->sock.held < ev->sock.held_max; got++) {
        n = jr_evsock_peek(&ev->sock, ev->buf, sizeof(ev->buf));
        if (n < 0) {
            break;
        }

        ev->received++;

        /*
         * A publisher's datagram goes to the outbox, a file, not into a
         * batch: it is taken off the socket first, so that a kill in
         * between loses it rather than publishes it twice.
         */
        if (ev->outbox && jr_evsock_take(&ev->sock) != 0) {
            ev->failed = 1;
            break;
        }

        /* longer than any worker sends: not an event batch */
        if ((size_t) n > sizeof(ev->buf)) {
            jr_analytics_corrupt(ev->analytics);
            continue;
        }

        jr_events_datagram(ev, ev->buf, (size_t) n);
    }

    return got;
}


static void
jr_events_datagram(jr_events_t *ev, unsigned char *buf, size_t len)
{
    int                   rc;
    size_t                pos, n;
    const unsigned char  *rec;

    if (ev->outbox) {
        jr_events_forward(ev, buf, len);
        return;
    }

    pos = 0;

    /* an empty datagram, or frames that run past its end, are corrupt */
    if (len == 0) {
        jr_analytics_corrupt(ev->analytics);
        return;
    }

    while ((rc = blog_event_next(buf, len, &pos, &rec, &n)) == 1) {
        if (jr_analytics_add(ev->analytics, rec, n) < 0) {
            /* out of memory: this batch cannot grow, commit it */
            jr_events_commit(ev);
        }
    }

    if (rc < 0) {
        jr_analytics_corrupt(ev->analytics);
    }
}


/*
 * A publisher's datagram: its whole frames go to the outbox as they are
 * (the consumer decodes them), so a frame that runs past the datagram's
 * end cannot make the file's next frames unreadable.
 */
static void
jr_events_forward(jr_events_t *ev, unsigned char *buf, size_t len)
{
    int                   rc;
    size_t                pos, end, n;
    unsigned              frames;
    struct iovec          iov;
    const unsigned char  *rec;

    pos = 0;
    end = 0;
    frames = 0;

    while ((rc = blog_event_next(buf, len, &pos, &rec, &n)) == 1) {
        end = pos;
        frames++;
    }

    if (rc < 0 || len == 0) {
        jr_analytics_corrupt(ev->analytics);
    }

    if (frames) {
        iov.iov_base = buf;
        iov.iov_len = end;
        (void) jr_outbox_append(ev->outbox, &iov, 1, frames);
    }
}


static void
jr_events_commit(jr_events_t *ev)
{
    (void) uv_timer_stop(&ev->flush);

    if (ev->outbox) {
        jr_outbox_seal(ev->outbox);
        jr_nats_pub_kick(ev->pub);
        return;
    }

    ev->failed = jr_analytics_flush(ev->analytics,
                                    ev->sock.held ? JR_EVENTS_MARK : NULL,
                                    (int64_t) ev->sock.last) != 0;

    if (ev->failed) {
        if (ev->sock.held >= ev->sock.held_max && !ev->paused
            && !ev->stopped)
        {
            (void) uv_poll_stop(&ev->poll);
            ev->paused = 1;
        }

        if (!ev->stopped) {
            (void) uv_timer_start(&ev->flush, jr_events_flush_cb,
                                  ev->conf->batch_interval_ms, 0);
        }

        jr_events_alert(ev);
        return;
    }

    if (ev->sock.held && jr_evsock_take(&ev->sock) != 0) {
        ev->failed = 1;
    }

    if (ev->paused && !ev->stopped) {
        ev->paused = 0;
        jr_events_listen(ev);
    }

    jr_events_alert(ev);
}


/*
 * Corrupt records for the admins' live view ("alerts.events"): how many
 * since the last alert, at most one alert a second, however many come.
 */
static void
jr_events_alert(jr_events_t *ev)
{
    json_t                      *obj;
    uint64_t                     now;
    const jr_analytics_stats_t  *as;

    as = jr_analytics_stats(ev->analytics);

    if (as->corrupt == ev->corrupt_told || !jr_sse_running()) {
        return;
    }

    now = uv_now(ev->flush.loop);

    /* the rest is told when the second is over, by the flush timer */
    if (ev->alerted_at && now - ev->alerted_at < 1000) {
        if (!uv_is_active((uv_handle_t *) &ev->flush)) {
            (void) uv_timer_start(&ev->flush, jr_events_flush_cb,
                                  1000 - (now - ev->alerted_at), 0);
        }

        return;
    }

    obj = json_pack("{s:s, s:s, s:I, s:I, s:I}", "level", "warn",
                    "message", "corrupt event records skipped",
                    "corrupt", (json_int_t) (as->corrupt - ev->corrupt_told),
                    "corrupt_total", (json_int_t) as->corrupt,
                    "time", (json_int_t) time(NULL));
    if (obj == NULL) {
        return;
    }

    if (jr_sse_publish_json("alerts.events", "alert", obj) == 0) {
        ev->corrupt_told = as->corrupt;
        ev->alerted_at = now;
    }

    json_decref(obj);
}


static void
jr_events_flush_cb(uv_timer_t *timer)
{
    jr_events_commit(timer->data);
}


static void
jr_events_scan_cb(uv_timer_t *timer)
{
    jr_events_scan(timer->data);
}


static void
jr_events_replay_cb(uv_idle_t *idle)
{
    jr_events_scan(idle->data);
}


/*
 * A slice of the spool.  While a file is replayed, the socket is not read
 * (its records are newer) and the next slice comes on the next loop turn,
 * from an idle handle (a 0 ms timer restarted in its callback runs again
 * before libuv 1.45 polls): the timers, the metrics and the SSE hub are
 * served in between.
 */
static void
jr_events_scan(jr_events_t *ev)
{
    int  more;

    /* a spool file's batches carry its offset: the socket's goes first */
    if (ev->sock.held || jr_analytics_pending(ev->analytics)) {
        jr_events_commit(ev);

        if (ev->failed) {
            return;
        }
    }

    more = jr_spool_scan(ev->spool) == 1;

    if (ev->pub) {
        jr_nats_pub_kick(ev->pub);
    }

    if (ev->stopped) {
        return;
    }

    if (more) {
        if (!ev->replaying && (ev->handles & JR_EVENTS_POLL)) {
            (void) uv_poll_stop(&ev->poll);
        }

        ev->replaying = 1;

        /* the loop polls without waiting while an idle handle is active */
        if (uv_idle_start(&ev->replay, jr_events_replay_cb) != 0) {
            jr_log(JR_LOG_ERROR, "events: cannot go on with the spool");
        }

        return;
    }

    if (ev->replaying) {
        ev->replaying = 0;
        (void) uv_idle_stop(&ev->replay);
        jr_events_listen(ev);
    }
}


/*
 * Reads the socket again, unless something still holds it: a commit
 * failing with held_max records held, or a spool file being replayed.
 */
static void
jr_events_listen(jr_events_t *ev)
{
    if (!ev->paused && !ev->replaying && (ev->handles & JR_EVENTS_POLL)) {
        (void) uv_poll_start(&ev->poll, UV_READABLE, jr_events_readable);
    }
}


/* Closed days summed and old rows deleted, a few steps a tick. */
static void
jr_events_roll_cb(uv_timer_t *timer)
{
    uint64_t      start;
    jr_events_t  *ev = timer->data;

    start = uv_hrtime();

    while (jr_rollup_step(ev->rollup, (int64_t) time(NULL) * 1000) == 1
           && uv_hrtime() - start < JR_EVENTS_ROLL_BUDGET)
    {
        /* void */
    }
}


void
jr_events_stop(jr_events_t *ev)
{
    if (ev == NULL || ev->stopped) {
        return;
    }

    ev->stopped = 1;

    /* first: what is read below is only sealed in the outbox */
    jr_nats_pub_stop(ev->pub);
    jr_nats_con_stop(ev->con);

    if (ev->handles & JR_EVENTS_POLL) {
        (void) uv_poll_stop(&ev->poll);
    }

    if (ev->sock.fd != -1) {
        /*
         * A socket we bound dies with us: from here a sender gets EPIPE
         * and spools, and what the socket took before is counted now.  A
         * passed-in one keeps what comes, for the next run.
         */
        jr_evsock_shutdown(&ev->sock);

        if (!ev->sock.inherited) {
            jr_events_commit(ev);

            while (!ev->failed
                   && jr_events_read(ev, ev->conf->batch_size) != 0)
            {
                jr_events_commit(ev);
            }
        }
    }

    if (ev->analytics || ev->outbox) {
        jr_events_commit(ev);
    }

    /* the rows of visits still open, from their views (the primary's) */
    if (ev->analytics && !ev->failed && !ev->replica
        && jr_analytics_pending(ev->analytics) == 0
        && jr_analytics_end_visits(ev->analytics) != 0)
    {
        ev->failed = 1;
    }

    if (ev->handles & JR_EVENTS_POLL) {
        uv_close((uv_handle_t *) &ev->poll, NULL);
    }

    if (ev->handles & JR_EVENTS_FLUSH) {
        uv_close((uv_handle_t *) &ev->flush, NULL);
    }

    if (ev->handles & JR_EVENTS_SCAN) {
        uv_close((uv_handle_t *) &ev->scan, NULL);
    }

    if (ev->handles & JR_EVENTS_ROLL) {
        uv_close((uv_handle_t *) &ev->roll, NULL);
    }

    if (ev->handles & JR_EVENTS_REPLAY) {
        uv_close((uv_handle_t *) &ev->replay, NULL);
    }

    jr_current_stop(ev->current);

    jr_evsock_close(&ev->sock);
}


int
jr_events_free(jr_events_t *ev)
{
    int  failed;

    if (ev == NULL) {
        return 0;
    }

    failed = ev->failed;

    if (ev->analytics && jr_analytics_pending(ev->analytics)) {
        jr_log(JR_LOG_ERROR, "events: %llu counted events could not be "
               "committed", (unsigned long long)
               jr_analytics_pending(ev->analytics));
        failed = 1;
    }

    /* its statements, and its subscription before the connection goes */
    jr_nats_con_free(ev->con);
    jr_nats_pub_free(ev->pub);
    jr_outbox_close(ev->outbox);
    jr_spool_close(ev->spool);
    jr_current_free(ev->current);
    jr_rollup_close(ev->rollup);
    jr_analytics_close(ev->analytics);
    jr_geo_close(ev->geo);
    jr_salt_close(ev->salts);
    free(ev);

    return failed;
}


void
jr_events_render(jr_events_t *ev, FILE *out)
{
    int                          i;
    uint64_t                     cumulative;
    const jr_spool_stats_t      *ss;
    const jr_analytics_stats_t  *as;

    if (ev == NULL) {
        return;
    }

    as = jr_analytics_stats(ev->analytics);

    fprintf(out,
            "# HELP jobrunner_events_received_total Datagrams read from the "
            "events socket.\n"
            "# TYPE jobrunner_events_received_total counter\n"
            "jobrunner_events_received_total %llu\n"
            "# HELP jobrunner_events_consumed_total Event records committed "
            "to the analytics tables.\n"
            "# TYPE jobrunner_events_consumed_total counter\n"
            "jobrunner_events_consumed_total %llu\n"
            "# HELP jobrunner_events_corrupt_total Event records skipped as "
            "corrupt or truncated.\n"
            "# TYPE jobrunner_events_corrupt_total counter\n"
            "jobrunner_events_corrupt_total %llu\n"
            "# HELP jobrunner_analytics_packs_bad_total Packs of staged "
            "views found corrupt at start and moved aside.\n"
            "# TYPE jobrunner_analytics_packs_bad_total counter\n"
            "jobrunner_analytics_packs_bad_total %llu\n"
            "# HELP jobrunner_events_pending Events counted in memory, not "
            "yet committed.\n"
            "# TYPE jobrunner_events_pending gauge\n"
            "jobrunner_events_pending %llu\n"
            "# HELP jobrunner_batches_failed_total Batch commits rolled "
            "back.\n"
            "# TYPE jobrunner_batches_failed_total counter\n"
            "jobrunner_batches_failed_total %llu\n"
            "# HELP jobrunner_batch_seconds Time to commit one batch.\n"
            "# TYPE jobrunner_batch_seconds histogram\n",
            (unsigned long long) ev->received,
            (unsigned long long) as->consumed,
            (unsigned long long) as->corrupt,
            (unsigned long long) as->bad_packs,
            (unsigned long long) jr_analytics_pending(ev->analytics),
            (unsigned long long) as->failed);

    cumulative = 0;

    for (i = 0; i < JR_LATENCY_BUCKETS; i++) {
        cumulative += as->latency[i];
        fprintf(out, "jobrunner_batch_seconds_bucket{le=\"%g\"} %llu\n",
                jr_latency_bounds[i], (unsigned long long) cumulative);
    }

    fprintf(out, "jobrunner_batch_seconds_bucket{le=\"+Inf\"} %llu\n"
            "jobrunner_batch_seconds_sum %.6f\n"
            "jobrunner_batch_seconds_count %llu\n",
            (unsigned long long) as->batches, as->seconds,
            (unsigned long long) as->batches);

    if (ev->nats) {
        jr_nats_render(ev->nats, out);
    }

    if (ev->pub) {
        jr_nats_pub_render(ev->pub, out);
    }

    if (ev->con) {
        jr_nats_con_render(ev->con, out);
    }

    if (ev->spool == NULL) {
        return;
    }

    ss = jr_spool_stats(ev->spool);

    fprintf(out,
            "# HELP jobrunner_spool_files_replayed_total Spool files read "
            "to their end and deleted.\n"
            "# TYPE jobrunner_spool_files_replayed_total counter\n"
            "jobrunner_spool_files_replayed_total %llu\n"
            "# HELP jobrunner_spool_records_total Records read from spool "
            "files.\n"
            "# TYPE jobrunner_spool_records_total counter\n"
            "jobrunner_spool_records_total %llu\n"
            "# HELP jobrunner_spool_backlog_files Spool files waiting at the "
            "last scan.\n"
            "# TYPE jobrunner_spool_backlog_files gauge\n"
            "jobrunner_spool_backlog_files %llu\n"
            "# HELP jobrunner_spool_backlog_bytes Bytes of spool files "
            "waiting at the last scan.\n"
            "# TYPE jobrunner_spool_backlog_bytes gauge\n"
            "jobrunner_spool_backlog_bytes %llu\n",
            (unsigned long long) ss->files,
            (unsigned long long) ss->records,
            (unsigned long long) ss->backlog_files,
            (unsigned long long) ss->backlog_bytes);
}
