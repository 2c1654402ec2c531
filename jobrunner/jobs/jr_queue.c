/*
 * The job queue's SQL; see jr_queue.h.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/jr_log.h"
#include "jobs/jr_queue.h"


/* The longest backoff: retries of a long outage still come 4 times a day. */
#define JR_QUEUE_BACKOFF_MAX  (6 * 3600L)


static const char *const  jr_queue_sql[JR_QUEUE_STMT_N] = {

    /* ENQUEUE: ?1 kind, ?2 dedupe_key, ?3 payload, ?4 run_after, ?5 now */
    "INSERT INTO jobs (kind, dedupe_key, payload, run_after, created_at,"
    " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)"
    " ON CONFLICT (dedupe_key) DO NOTHING",

    /* LEASE: ?1 now, ?2 lease seconds, ?3 owner, ?4 kinds to skip (JSON) */
    "UPDATE jobs SET state = 'leased', attempts = attempts + 1,"
    " lease_until = ?1 + ?2, lease_owner = ?3, updated_at = ?1"
    " WHERE id = (SELECT id FROM jobs WHERE state = 'queued'"
    "             AND run_after <= ?1 AND (?4 IS NULL OR kind NOT IN"
    "                 (SELECT value FROM json_each(?4)))"
    "             ORDER BY run_after, id LIMIT 1)"
    " RETURNING id, kind, dedupe_key, payload, attempts",

    /* ACK: ?1 id, ?2 now, ?3 owner */
    "UPDATE jobs SET state = 'done', lease_until = NULL, lease_owner = NULL,"
    " updated_at = ?2"
    " WHERE id = ?1 AND state = 'leased' AND lease_owner = ?3",

    /* RETRY: ?1 id, ?2 run_after, ?3 error, ?4 now, ?5 owner */
    "UPDATE jobs SET state = 'queued', run_after = ?2, lease_until = NULL,"
    " lease_owner = NULL, last_error = ?3, updated_at = ?4"
    " WHERE id = ?1 AND state = 'leased' AND lease_owner = ?5",

    /* DEAD: ?1 id, ?2 error, ?3 now, ?4 owner */
    "UPDATE jobs SET state = 'dead', lease_until = NULL, lease_owner = NULL,"
    " last_error = ?2, updated_at = ?3"
    " WHERE id = ?1 AND state = 'leased' AND lease_owner = ?4",

    /* RELEASE: ?1 id, ?2 now, ?3 owner */
    "UPDATE jobs SET state = 'queued', attempts = attempts - 1,"
    " lease_until = NULL, lease_owner = NULL, updated_at = ?2"
    " WHERE id = ?1 AND state = 'leased' AND lease_owner = ?3",

    /* RENEW: ?1 now, ?2 lease seconds, ?3 owner */
    "UPDATE jobs SET lease_until = ?1 + ?2"
    " WHERE state = 'leased' AND lease_owner = ?3",

    /* RECLAIM: ?1 now, ?2 owner, ?3 max attempts */
    "UPDATE jobs SET"
    " state = CASE WHEN attempts >= ?3 THEN 'dead' ELSE 'queued' END,"
    " run_after = ?1, lease_until = NULL, lease_owner = NULL,"
    " last_error = 'lease expired: the jobrunner that ran attempt '"
    "   || attempts || ' died or hung',"
    " updated_at = ?1"
    " WHERE state = 'leased' AND lease_until <= ?1 AND lease_owner IS NOT ?2"
    " RETURNING id, kind, state, attempts",

    /* ACTIVE: ?1 "prefix:", ?2 "prefix;" (the next string after them all) */
    "SELECT 1 FROM jobs WHERE dedupe_key >= ?1 AND dedupe_key < ?2"
    " AND state IN ('queued', 'leased') LIMIT 1",

    /* PURGE: ?1 before */
    "DELETE FROM jobs WHERE state = 'done' AND updated_at < ?1",

    /* OUTBOX_LAST: the newest row of data.db's outbox, if any */
    "SELECT max(id) FROM main.job_outbox",

    /*
     * OUTBOX_COPY: ?1 the newest row to move.  A row moved before (a crash
     * between this commit and OUTBOX_DELETE's) meets its outbox_id and is
     * not queued again; one whose dedupe_key is queued already, neither.
     */
    "INSERT INTO queue.jobs (kind, dedupe_key, payload, run_after,"
    " created_at, updated_at, outbox_id)"
    " SELECT kind, dedupe_key, payload, run_after, created_at, created_at, id"
    " FROM main.job_outbox WHERE id <= ?1 ORDER BY id"
    " ON CONFLICT DO NOTHING",

    /* OUTBOX_DELETE: ?1 the newest row moved */
    "DELETE FROM main.job_outbox WHERE id <= ?1"
};


int
jr_queue_open(jr_queue_t *q, sqlite3 *db, unsigned max_attempts, long backoff,
    long lease)
{
    int  i, rc;

    memset(q, 0, sizeof(jr_queue_t));

    q->db = db;
    q->max_attempts = max_attempts;
    q->backoff = backoff;
    q->lease = lease;

    /* unique per process life: a restarted jobrunner owns nothing yet */
    snprintf(q->owner, sizeof(q->owner), "%ld-%ld", (long) getpid(),
             (long) time(NULL));

    srandom((unsigned) (getpid() ^ time(NULL)));

    for (i = 0; i < JR_QUEUE_STMT_N; i++) {
        rc = sqlite3_prepare_v3(db, jr_queue_sql[i], -1,
                                SQLITE_PREPARE_PERSISTENT, &q->stmt[i], NULL);
        if (rc != SQLITE_OK) {
            jr_log(JR_LOG_ERROR, "queue: cannot prepare statement %d: %s", i,
                   sqlite3_errmsg(db));
            jr_queue_close(q);
            return -1;
        }
    }

    return 0;
}


void
jr_queue_close(jr_queue_t *q)
{
    int  i;

    for (i = 0; i < JR_QUEUE_STMT_N; i++) {
        sqlite3_finalize(q->stmt[i]);
        q->stmt[i] = NULL;
    }
}


/* Runs a statement that returns no rows; returns an SQLite code. */
static int
jr_queue_exec(sqlite3_stmt *stmt)
{
    int  rc;

    rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);

    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}


int
jr_queue_enqueue(jr_queue_t *q, const char *kind, const char *dedupe_key,
    const char *payload, time_t run_after)
{
    int            rc;
    sqlite3_stmt  *stmt;

    stmt = q->stmt[JR_QUEUE_STMT_ENQUEUE];

    if (sqlite3_bind_text(stmt, 1, kind, -1, SQLITE_STATIC) != SQLITE_OK
        || (dedupe_key
            ? sqlite3_bind_text(stmt, 2, dedupe_key, -1, SQLITE_STATIC)
            : sqlite3_bind_null(stmt, 2)) != SQLITE_OK
        || sqlite3_bind_text(stmt, 3, payload, -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_int64(stmt, 4, run_after) != SQLITE_OK
        || sqlite3_bind_int64(stmt, 5, time(NULL)) != SQLITE_OK)
    {
        rc = sqlite3_errcode(q->db);
        sqlite3_clear_bindings(stmt);
        goto failed;
    }

    rc = jr_queue_exec(stmt);
    if (rc != SQLITE_OK) {
        goto failed;
    }

    return sqlite3_changes(q->db) > 0;

failed:

    jr_log(JR_LOG_ERROR, "queue: cannot enqueue %s job \"%s\": %s", kind,
           dedupe_key ? dedupe_key : "", sqlite3_errstr(rc));
    return -1;
}


static char *
jr_queue_column(sqlite3_stmt *stmt, int col)
{
    const char  *text;

    text = (const char *) sqlite3_column_text(stmt, col);

    return text ? strdup(text) : NULL;
}


int
jr_queue_lease(jr_queue_t *q, time_t now, const char *skip, jr_job_t *job)
{
    int            rc, null_key;
    sqlite3_stmt  *stmt;

    memset(job, 0, sizeof(jr_job_t));

    stmt = q->stmt[JR_QUEUE_STMT_LEASE];

    if (sqlite3_bind_int64(stmt, 1, now) != SQLITE_OK
        || sqlite3_bind_int64(stmt, 2, q->lease) != SQLITE_OK
        || sqlite3_bind_text(stmt, 3, q->owner, -1, SQLITE_STATIC)
           != SQLITE_OK
        || (skip ? sqlite3_bind_text(stmt, 4, skip, -1, SQLITE_STATIC)
                 : sqlite3_bind_null(stmt, 4)) != SQLITE_OK)
    {
        rc = sqlite3_errcode(q->db);
        goto failed;
    }

    rc = sqlite3_step(stmt);

    if (rc == SQLITE_ROW) {
        job->id = sqlite3_column_int64(stmt, 0);
        job->kind = jr_queue_column(stmt, 1);
        job->dedupe_key = jr_queue_column(stmt, 2);
        job->payload = jr_queue_column(stmt, 3);
        job->attempts = (unsigned) sqlite3_column_int(stmt, 4);
        null_key = sqlite3_column_type(stmt, 2) == SQLITE_NULL;

        /* RETURNING rows are all computed by the first step: finish it */
        rc = sqlite3_step(stmt);
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);

        if (rc != SQLITE_DONE || job->kind == NULL || job->payload == NULL
            || (job->dedupe_key == NULL && !null_key))
        {
            jr_log(JR_LOG_ERROR, "queue: cannot lease job %lld: %s",
                   (long long) job->id,
                   rc != SQLITE_DONE ? sqlite3_errstr(rc) : "out of memory");
            jr_queue_job_free(job);
            return -1;
        }

        return 1;
    }

failed:

    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);

    if (rc == SQLITE_DONE) {
        return 0;
    }

    jr_log(JR_LOG_ERROR, "queue: cannot lease a job: %s", sqlite3_errstr(rc));
    return -1;
}


int
jr_queue_ack(jr_queue_t *q, int64_t id, time_t now)
{
    int            rc;
    sqlite3_stmt  *stmt;

    stmt = q->stmt[JR_QUEUE_STMT_ACK];

    if (sqlite3_bind_int64(stmt, 1, id) != SQLITE_OK
        || sqlite3_bind_int64(stmt, 2, now) != SQLITE_OK
        || sqlite3_bind_text(stmt, 3, q->owner, -1, SQLITE_STATIC)
           != SQLITE_OK)
    {
        sqlite3_clear_bindings(stmt);
        return sqlite3_errcode(q->db);
    }

    rc = jr_queue_exec(stmt);

    /* the lease was taken from us: the job's effect must not count twice */
    if (rc == SQLITE_OK && sqlite3_changes(q->db) == 0) {
        return SQLITE_ABORT;
    }

    return rc;
}


int
jr_queue_fail(jr_queue_t *q, const jr_job_t *job, const char *error,
    int permanent, time_t now, long *delay)
{
    int            rc, dead, shift;
    long           d;
    sqlite3_stmt  *stmt;

    dead = permanent || job->attempts >= q->max_attempts;
    *delay = 0;

    if (dead) {
        stmt = q->stmt[JR_QUEUE_STMT_DEAD];
        rc = sqlite3_bind_int64(stmt, 1, job->id)
             | sqlite3_bind_text(stmt, 2, error, -1, SQLITE_STATIC)
             | sqlite3_bind_int64(stmt, 3, now)
             | sqlite3_bind_text(stmt, 4, q->owner, -1, SQLITE_STATIC);

    } else {
        /* backoff, 2 backoff, 4 backoff, ... plus up to a quarter of it */
        shift = job->attempts > 20 ? 20 : (int) job->attempts - 1;
        d = q->backoff << shift;

        if (d > JR_QUEUE_BACKOFF_MAX || d < q->backoff) {
            d = JR_QUEUE_BACKOFF_MAX;
        }

        d += random() % (d / 4 + 1);
        *delay = d;

        stmt = q->stmt[JR_QUEUE_STMT_RETRY];
        rc = sqlite3_bind_int64(stmt, 1, job->id)
             | sqlite3_bind_int64(stmt, 2, now + d)
             | sqlite3_bind_text(stmt, 3, error, -1, SQLITE_STATIC)
             | sqlite3_bind_int64(stmt, 4, now)
             | sqlite3_bind_text(stmt, 5, q->owner, -1, SQLITE_STATIC);
    }

    /* SQLITE_OK is 0, so any failed bind leaves a bit set */
    if (rc != SQLITE_OK) {
        sqlite3_clear_bindings(stmt);
        rc = sqlite3_errcode(q->db);

    } else {
        rc = jr_queue_exec(stmt);
    }

    if (rc != SQLITE_OK) {
        jr_log(JR_LOG_ERROR, "queue: cannot record the failure of job %lld: "
               "%s", (long long) job->id, sqlite3_errstr(rc));
        return -1;
    }

    return dead;
}


int
jr_queue_release(jr_queue_t *q, int64_t id, time_t now)
{
    int            rc;
    sqlite3_stmt  *stmt;

    stmt = q->stmt[JR_QUEUE_STMT_RELEASE];

    rc = sqlite3_bind_int64(stmt, 1, id)
         | sqlite3_bind_int64(stmt, 2, now)
         | sqlite3_bind_text(stmt, 3, q->owner, -1, SQLITE_STATIC);

    if (rc == SQLITE_OK) {
        rc = jr_queue_exec(stmt);

    } else {
        sqlite3_clear_bindings(stmt);
    }

    if (rc != SQLITE_OK) {
        jr_log(JR_LOG_ERROR, "queue: cannot release job %lld: %s",
               (long long) id, sqlite3_errmsg(q->db));
        return -1;
    }

    return 0;
}


int
jr_queue_renew(jr_queue_t *q, time_t now)
{
    int            rc;
    sqlite3_stmt  *stmt;

    stmt = q->stmt[JR_QUEUE_STMT_RENEW];

    rc = sqlite3_bind_int64(stmt, 1, now)
         | sqlite3_bind_int64(stmt, 2, q->lease)
         | sqlite3_bind_text(stmt, 3, q->owner, -1, SQLITE_STATIC);

    if (rc == SQLITE_OK) {
        rc = jr_queue_exec(stmt);

    } else {
        sqlite3_clear_bindings(stmt);
    }

    if (rc != SQLITE_OK) {
        jr_log(JR_LOG_ERROR, "queue: cannot renew leases: %s",
               sqlite3_errmsg(q->db));
        return -1;
    }

    return 0;
}


int
jr_queue_reclaim(jr_queue_t *q, time_t now)
{
    int            rc, n;
    const char    *state;
    sqlite3_stmt  *stmt;

    stmt = q->stmt[JR_QUEUE_STMT_RECLAIM];

    rc = sqlite3_bind_int64(stmt, 1, now)
         | sqlite3_bind_text(stmt, 2, q->owner, -1, SQLITE_STATIC)
         | sqlite3_bind_int(stmt, 3, (int) q->max_attempts);

    n = 0;

    while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        n++;
        state = (const char *) sqlite3_column_text(stmt, 2);
        state = state ? state : "?";

        jr_log(strcmp(state, "dead") == 0 ? JR_LOG_ERROR : JR_LOG_WARN,
               "job %lld (%s): lease expired after attempt %d, %s",
               (long long) sqlite3_column_int64(stmt, 0),
               sqlite3_column_text(stmt, 1), sqlite3_column_int(stmt, 3),
               state);
    }

    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);

    if (rc != SQLITE_DONE) {
        jr_log(JR_LOG_ERROR, "queue: cannot reclaim expired leases: %s",
               sqlite3_errstr(rc));
        return -1;
    }

    return n;
}


int
jr_queue_active(jr_queue_t *q, const char *prefix)
{
    int            rc;
    char           lo[128], hi[128];
    sqlite3_stmt  *stmt;

    if (snprintf(lo, sizeof(lo), "%s:", prefix) >= (int) sizeof(lo)) {
        return -1;
    }

    snprintf(hi, sizeof(hi), "%s;", prefix);

    stmt = q->stmt[JR_QUEUE_STMT_ACTIVE];

    rc = sqlite3_bind_text(stmt, 1, lo, -1, SQLITE_STATIC)
         | sqlite3_bind_text(stmt, 2, hi, -1, SQLITE_STATIC);

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
    }

    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);

    if (rc == SQLITE_ROW) {
        return 1;
    }

    if (rc == SQLITE_DONE) {
        return 0;
    }

    jr_log(JR_LOG_ERROR, "queue: cannot look for %s jobs: %s", prefix,
           sqlite3_errstr(rc));
    return -1;
}


int
jr_queue_purge(jr_queue_t *q, time_t before)
{
    int            rc;
    sqlite3_stmt  *stmt;

    stmt = q->stmt[JR_QUEUE_STMT_PURGE];

    rc = sqlite3_bind_int64(stmt, 1, before);
    if (rc == SQLITE_OK) {
        rc = jr_queue_exec(stmt);
    }

    if (rc != SQLITE_OK) {
        jr_log(JR_LOG_ERROR, "queue: cannot delete old done jobs: %s",
               sqlite3_errstr(rc));
        return -1;
    }

    return sqlite3_changes(q->db);
}


int
jr_queue_outbox(jr_queue_t *q)
{
    int            rc, moved;
    int64_t        last;
    sqlite3_stmt  *stmt;

    stmt = q->stmt[JR_QUEUE_STMT_OUTBOX_LAST];

    rc = sqlite3_step(stmt);
    last = (rc == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL)
           ? sqlite3_column_int64(stmt, 0) : 0;
    sqlite3_reset(stmt);

    if (rc != SQLITE_ROW) {
        goto failed;
    }

    if (last == 0) {
        return 0;
    }

    /* queue.db's commit first: a crash after it leaves the rows to delete */
    stmt = q->stmt[JR_QUEUE_STMT_OUTBOX_COPY];
    sqlite3_bind_int64(stmt, 1, last);

    rc = jr_queue_exec(stmt);
    if (rc != SQLITE_OK) {
        goto failed;
    }

    moved = sqlite3_changes(q->db);

    stmt = q->stmt[JR_QUEUE_STMT_OUTBOX_DELETE];
    sqlite3_bind_int64(stmt, 1, last);

    rc = jr_queue_exec(stmt);
    if (rc != SQLITE_OK) {
        goto failed;
    }

    jr_log(JR_LOG_DEBUG, "queue: %d jobs from the outbox, up to %lld", moved,
           (long long) last);

    return moved;

failed:

    jr_log(JR_LOG_ERROR, "queue: cannot move jobs from the outbox: %s",
           sqlite3_errmsg(q->db));

    return -1;
}


void
jr_queue_job_free(jr_job_t *job)
{
    free(job->kind);
    free(job->dedupe_key);
    free(job->payload);

    memset(job, 0, sizeof(jr_job_t));
}
