/*
 * ttl.db: checked and migrated once at start, and the "ttl_cleanup" job
 * that deletes the rows past their expires_at from every table listed in
 * blog_ttl_tables, on a connection of its own in a pool thread.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blog_ttl_schema.h"
#include "jobs/jr_jobs.h"
#include "jobs/jr_kinds.h"
#include "jobs/jr_ttl.h"
#include "core/jr_log.h"


/* The module's writes to ttl.db are single rows: a short wait is plenty. */
#define JR_TTL_BUSY_TIMEOUT_MS  2000
#define JR_TTL_TABLES_MAX       32


typedef struct {
    time_t   now;
    int      deleted[JR_TTL_TABLES_MAX];
    int      total;
} jr_ttl_t;


sqlite3 *
jr_ttl_open(const char *path, char *err, size_t errlen)
{
    int       rc;
    char     *msg;
    sqlite3  *db;

    rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                         NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_busy_timeout(db, JR_TTL_BUSY_TIMEOUT_MS);
    }

    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open ttl database \"%s\": %s", path,
                 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return NULL;
    }

    rc = blog_ttl_schema_migrate(db, &msg);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot migrate ttl database \"%s\": %s", path,
                 msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        sqlite3_close(db);
        return NULL;
    }

    return db;
}


/* ttl.db, if configured, opened and migrated once before any job. */
static int
jr_ttl_start(jr_jobs_t *jobs, void **ctx)
{
    char         err[512];
    sqlite3     *db;
    const char  *path;

    (void) ctx;

    path = jobs->cf->jobs.ttl_db;

    if (path == NULL) {
        return 0;
    }

    db = jr_ttl_open(path, err, sizeof(err));
    if (db == NULL) {
        jr_log(JR_LOG_ERROR, "%s", err);
        return -1;
    }

    sqlite3_close(db);

    return 0;
}


static int
jr_ttl_prepare(jr_work_t *w)
{
    jr_ttl_t  *t;

    t = calloc(1, sizeof(jr_ttl_t));
    if (t == NULL) {
        jr_work_fail(w, 0, "out of memory");
        return -1;
    }

    t->now = time(NULL);
    w->data = t;

    return 0;
}


static void
jr_ttl_work(jr_work_t *w)
{
    int            rc, i;
    char           sql[128], err[512];
    sqlite3       *db;
    jr_ttl_t      *t;
    sqlite3_stmt  *stmt;

    t = w->data;

    db = jr_ttl_open(w->jobs->cf->jobs.ttl_db, err, sizeof(err));
    if (db == NULL) {
        jr_work_fail(w, 0, "%s", err);
        return;
    }

    rc = SQLITE_OK;

    /* the names come from blog_ttl_schema.c, never from outside */
    for (i = 0; blog_ttl_tables[i] != NULL && i < JR_TTL_TABLES_MAX; i++) {
        snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE expires_at <= ?1",
                 blog_ttl_tables[i]);

        rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
        if (rc != SQLITE_OK) {
            break;
        }

        rc = sqlite3_bind_int64(stmt, 1, t->now);
        if (rc == SQLITE_OK) {
            rc = sqlite3_step(stmt);
        }

        sqlite3_finalize(stmt);

        if (rc != SQLITE_DONE) {
            break;
        }

        rc = SQLITE_OK;
        t->deleted[i] = sqlite3_changes(db);
        t->total += t->deleted[i];
    }

    if (rc != SQLITE_OK) {
        jr_work_fail(w, 0, "cannot delete expired rows of %s: %s",
                     blog_ttl_tables[i], sqlite3_errmsg(db));
    }

    sqlite3_close(db);
}


static void
jr_ttl_done(jr_work_t *w)
{
    int        i, n;
    char       detail[512];
    jr_ttl_t  *t;

    t = w->data;

    if (t == NULL || w->failed) {
        return;
    }

    n = 0;
    detail[0] = '\0';

    for (i = 0; blog_ttl_tables[i] != NULL && i < JR_TTL_TABLES_MAX; i++) {
        if (t->deleted[i] && n < (int) sizeof(detail)) {
            n += snprintf(detail + n, sizeof(detail) - n, "%s%s %d",
                          n ? ", " : " (", blog_ttl_tables[i], t->deleted[i]);
        }
    }

    jr_log(t->total ? JR_LOG_INFO : JR_LOG_DEBUG,
           "ttl_cleanup: %d expired row%s deleted%s%s", t->total,
           t->total == 1 ? "" : "s", detail, n ? ")" : "");
}


static void
jr_ttl_free(jr_work_t *w)
{
    free(w->data);
}


const jr_kind_t  jr_ttl_kind = {
    .name = JR_TASK_TTL_CLEANUP,
    .start = jr_ttl_start,
    .prepare = jr_ttl_prepare,
    .work = jr_ttl_work,
    .done = jr_ttl_done,
    .free = jr_ttl_free
};
