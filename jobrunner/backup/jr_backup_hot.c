/*
 * Hot databases, copied whole when they changed; see jr_backup_hot.h.
 *
 * A pass runs in libuv's pool, one at a time: each database's connection
 * (opened once and kept, as PRAGMA data_version counts the commits of
 * other connections since it opened) says whether anything was committed
 * since the last copy stored; if so, VACUUM INTO writes a consistent
 * image to local_dir, which goes up with the synchronous client, and the
 * copy it replaces is deleted (DELETEs are free at S3).  The first pass
 * also lists PREFIX/hot/ for the copies an earlier run left.  The loop
 * only starts passes and reads their outcome once they are done.
 */

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "backup/jr_backup_hot.h"
#include "backup/jr_bucket.h"
#include "core/jr_log.h"
#include "s3/jr_s3.h"


#define JR_BACKUP_HOT_BUSY_MS  5000

typedef enum {
    JR_BACKUP_HOT_UNCHANGED = 0,
    JR_BACKUP_HOT_STORED,
    JR_BACKUP_HOT_FAILED
} jr_backup_hot_outcome_e;

typedef struct {
    const char               *path;
    const char               *name;       /* in the bucket */
    char                     *tmp;        /* the image, before upload */

    /* the pool's, one pass at a time */
    sqlite3                  *db;
    sqlite3_int64             version;    /* data_version of the last copy */
    int                       stored;     /* a copy since the start */
    char                     *key;        /* of that copy */
    char                    **old;        /* earlier copies, to delete */
    size_t                    nold;

    /* the last pass's outcome, read on the loop after it */
    jr_backup_hot_outcome_e   outcome;
    char                      error[320];
    uint64_t                  size;

    /* the loop's, for /metrics */
    uint64_t                  copies;
    uint64_t                  bytes;
    uint64_t                  failures;
    uint64_t                  stored_ms;
} jr_backup_hot_db_t;

struct jr_backup_hot_s {
    const jr_backup_conf_t   *bc;
    uv_loop_t                *loop;
    jr_s3_t                  *s3;         /* synchronous: no loop */
    uv_timer_t                timer;
    int                       timer_init;
    uv_work_t                 work;
    int                       running;
    int                       again;      /* the last pass, after this one */
    int                       stopping;
    int                       final;      /* the pass running is the last */
    int                       listed;     /* PREFIX/hot/ was listed */
    char                      list_error[320];
    unsigned                  ndbs;
    jr_backup_hot_db_t        dbs[];
};


static void jr_backup_hot_tick(uv_timer_t *timer);
static void jr_backup_hot_queue(jr_backup_hot_t *h);


int
jr_backup_hot_start(jr_backup_hot_t **out, uv_loop_t *loop,
    const jr_config_t *cf)
{
    unsigned              i;
    uint64_t              every;
    jr_backup_hot_t      *h;
    jr_backup_hot_db_t   *d;
    const jr_backup_conf_t  *bc = &cf->backup;

    *out = NULL;

    if (bc->nhot == 0) {
        return 0;
    }

    h = calloc(1, sizeof(jr_backup_hot_t)
                  + bc->nhot * sizeof(jr_backup_hot_db_t));
    if (h == NULL) {
        jr_log(JR_LOG_ERROR, "backup: out of memory");
        return -1;
    }

    *out = h;
    h->bc = bc;
    h->loop = loop;
    h->ndbs = bc->nhot;
    h->work.data = h;

    for (i = 0; i < h->ndbs; i++) {
        d = &h->dbs[i];
        d->path = bc->hot_paths[i];
        d->name = jr_backup_conf_hot_name(d->path);

        if (asprintf(&d->tmp, "%s/hot-%s.tmp", bc->local_dir, d->name) < 0) {
            d->tmp = NULL;
            jr_log(JR_LOG_ERROR, "backup: out of memory");
            return -1;
        }
    }

    /* a client of its own: its requests are performed in the pool */
    h->s3 = jr_s3_open(&cf->s3, NULL);
    if (h->s3 == NULL) {
        jr_log(JR_LOG_ERROR, "backup: cannot start the S3 client");
        return -1;
    }

    if (uv_timer_init(loop, &h->timer) != 0) {
        jr_log(JR_LOG_ERROR, "backup: cannot make a timer");
        return -1;
    }

    h->timer.data = h;
    h->timer_init = 1;
    every = (uint64_t) bc->hot_interval * 1000;

    if (uv_timer_start(&h->timer, jr_backup_hot_tick, every, every) != 0) {
        jr_log(JR_LOG_ERROR, "backup: cannot start a timer");
        return -1;
    }

    jr_log(JR_LOG_INFO, "backup: hot databases %s, copied every %ld s when "
           "they changed", bc->hot_databases, bc->hot_interval);

    return 0;
}


void
jr_backup_hot_stop(jr_backup_hot_t *h)
{
    if (h == NULL || h->stopping) {
        return;
    }

    h->stopping = 1;

    if (h->timer_init && !uv_is_closing((uv_handle_t *) &h->timer)) {
        uv_close((uv_handle_t *) &h->timer, NULL);
    }

    /* what was committed since the last pass: the loop waits for it */
    if (h->s3 == NULL) {
        return;
    }

    if (h->running) {
        h->again = 1;
        return;
    }

    jr_backup_hot_queue(h);
}


void
jr_backup_hot_free(jr_backup_hot_t *h)
{
    size_t               j;
    unsigned             i;
    jr_backup_hot_db_t  *d;

    if (h == NULL) {
        return;
    }

    for (i = 0; i < h->ndbs; i++) {
        d = &h->dbs[i];

        if (d->db) {
            sqlite3_close(d->db);
        }

        for (j = 0; j < d->nold; j++) {
            free(d->old[j]);
        }

        free(d->old);
        free(d->key);
        free(d->tmp);
    }

    if (h->s3) {
        jr_s3_close(h->s3);
        jr_s3_free(h->s3);
    }

    free(h);
}


/* --- the pass, in the pool ------------------------------------------- */

static int
jr_backup_hot_add_old(jr_backup_hot_db_t *d, char *key)
{
    char  **grown;

    grown = realloc(d->old, (d->nold + 1) * sizeof(char *));
    if (grown == NULL) {
        free(key);
        return -1;
    }

    d->old = grown;
    d->old[d->nold++] = key;

    return 0;
}


/* The copies an earlier run stored: deleted once a new one is. */
static void
jr_backup_hot_list(jr_backup_hot_t *h)
{
    char            *prefix, name[256], *key;
    size_t           i;
    uint64_t         ms;
    unsigned         k;
    jr_s3_list_t     list;
    jr_s3_result_t   res;

    prefix = jr_bucket_hot_prefix(h->bc->prefix);
    if (prefix == NULL) {
        return;
    }

    memset(&list, 0, sizeof(list));

    if (jr_s3_list_all_sync(h->s3, prefix, &list, &res) != 0) {
        snprintf(h->list_error, sizeof(h->list_error), "%.63s: %.200s",
                 res.code, res.message);
        free(prefix);
        return;
    }

    free(prefix);
    h->listed = 1;

    for (i = 0; i < list.nobjects; i++) {
        if (jr_bucket_hot_parse(h->bc->prefix, list.objects[i].key, name,
                                sizeof(name), &ms) != 0)
        {
            continue;
        }

        for (k = 0; k < h->ndbs; k++) {
            if (strcmp(h->dbs[k].name, name) == 0) {
                key = strdup(list.objects[i].key);
                if (key) {
                    (void) jr_backup_hot_add_old(&h->dbs[k], key);
                }
                break;
            }
        }
    }

    jr_s3_list_free(&list);
}


static int
jr_backup_hot_fail(jr_backup_hot_db_t *d, const char *what,
    const char *why)
{
    d->outcome = JR_BACKUP_HOT_FAILED;
    snprintf(d->error, sizeof(d->error), "%s: %s", what, why);

    return -1;
}


static int
jr_backup_hot_open(jr_backup_hot_db_t *d)
{
    struct stat  st;

    /* not there (yet): the part that writes it may not be installed */
    if (stat(d->path, &st) != 0) {
        return errno == ENOENT ? 1
               : jr_backup_hot_fail(d, "cannot stat it", strerror(errno));
    }

    if (sqlite3_open_v2(d->path, &d->db, SQLITE_OPEN_READWRITE, NULL)
        != SQLITE_OK)
    {
        jr_backup_hot_fail(d, "cannot open it",
                           d->db ? sqlite3_errmsg(d->db) : "out of memory");
        sqlite3_close(d->db);
        d->db = NULL;
        return -1;
    }

    (void) sqlite3_busy_timeout(d->db, JR_BACKUP_HOT_BUSY_MS);

    return 0;
}


/* PRAGMA data_version: 0 or -1. */
static int
jr_backup_hot_version(jr_backup_hot_db_t *d, sqlite3_int64 *version)
{
    int            rc;
    sqlite3_stmt  *stmt;

    if (sqlite3_prepare_v2(d->db, "PRAGMA data_version", -1, &stmt, NULL)
        != SQLITE_OK)
    {
        return jr_backup_hot_fail(d, "cannot read its data_version",
                                  sqlite3_errmsg(d->db));
    }

    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *version = sqlite3_column_int64(stmt, 0);
    }

    sqlite3_finalize(stmt);

    return rc == SQLITE_ROW ? 0
           : jr_backup_hot_fail(d, "cannot read its data_version",
                                sqlite3_errmsg(d->db));
}


/* VACUUM INTO tmp: one read transaction, so one consistent image. */
static int
jr_backup_hot_image(jr_backup_hot_db_t *d)
{
    int            rc;
    sqlite3_stmt  *stmt;

    if (unlink(d->tmp) != 0 && errno != ENOENT) {
        return jr_backup_hot_fail(d, "cannot remove an old image",
                                  strerror(errno));
    }

    if (sqlite3_prepare_v2(d->db, "VACUUM INTO ?", -1, &stmt, NULL)
        != SQLITE_OK)
    {
        return jr_backup_hot_fail(d, "cannot copy it",
                                  sqlite3_errmsg(d->db));
    }

    rc = sqlite3_bind_text(stmt, 1, d->tmp, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        (void) unlink(d->tmp);
        return jr_backup_hot_fail(d, "cannot copy it",
                                  sqlite3_errmsg(d->db));
    }

    return 0;
}


static void
jr_backup_hot_delete_old(jr_backup_hot_t *h, jr_backup_hot_db_t *d)
{
    size_t        i, kept;
    jr_s3_req_t  *req;

    kept = 0;

    for (i = 0; i < d->nold; i++) {
        req = jr_s3_delete_req(h->s3, d->old[i]);

        if (req && jr_s3_perform(req) == 0) {
            free(d->old[i]);

        } else {
            /* tried again after the next copy */
            d->old[kept++] = d->old[i];
        }

        jr_s3_req_free(req);
    }

    d->nold = kept;
}


static void
jr_backup_hot_copy(jr_backup_hot_t *h, jr_backup_hot_db_t *d)
{
    int                     fd, rc;
    char                   *key;
    uint64_t                ms;
    struct stat             st;
    sqlite3_int64           version;
    jr_s3_upload_result_t   res;

    d->outcome = JR_BACKUP_HOT_UNCHANGED;

    if (d->db == NULL && jr_backup_hot_open(d) != 0) {
        return;
    }

    if (jr_backup_hot_version(d, &version) != 0
        || (d->stored && version == d->version))
    {
        return;
    }

    /*
     * A commit after data_version was read is in the image or not; if
     * not, the next pass sees data_version move and copies again.
     */
    ms = jr_bucket_now_ms();

    if (jr_backup_hot_image(d) != 0) {
        return;
    }

    fd = open(d->tmp, O_RDONLY | O_CLOEXEC);
    if (fd == -1 || fstat(fd, &st) != 0) {
        jr_backup_hot_fail(d, "cannot read its image", strerror(errno));
        if (fd != -1) {
            close(fd);
        }
        (void) unlink(d->tmp);
        return;
    }

    key = jr_bucket_hot_key(h->bc->prefix, d->name, ms);

    rc = key ? jr_s3_upload_sync(h->s3, key, fd, (uint64_t) st.st_size,
                                 &res)
             : -1;

    close(fd);
    (void) unlink(d->tmp);

    if (rc != 0) {
        d->outcome = JR_BACKUP_HOT_FAILED;
        snprintf(d->error, sizeof(d->error), "cannot store it: %.63s: %.200s",
                 key ? res.code : "OutOfMemory",
                 key ? res.message : "out of memory");
        free(key);
        return;
    }

    /* freed, if the list cannot grow: left in the bucket, as after a crash */
    if (d->key) {
        (void) jr_backup_hot_add_old(d, d->key);
    }

    d->key = key;
    d->version = version;
    d->stored = 1;
    d->size = (uint64_t) st.st_size;
    d->outcome = JR_BACKUP_HOT_STORED;

    jr_backup_hot_delete_old(h, d);
}


static void
jr_backup_hot_pass(uv_work_t *work)
{
    unsigned          i;
    jr_backup_hot_t  *h = work->data;

    if (!h->listed) {
        jr_backup_hot_list(h);
    }

    for (i = 0; i < h->ndbs; i++) {
        jr_backup_hot_copy(h, &h->dbs[i]);
    }
}


/* --- the loop ----------------------------------------------------------- */

static void
jr_backup_hot_passed(uv_work_t *work, int status)
{
    unsigned             i;
    jr_backup_hot_t     *h = work->data;
    jr_backup_hot_db_t  *d;

    (void) status;

    h->running = 0;

    if (h->list_error[0]) {
        jr_log(JR_LOG_WARN, "backup: cannot list the hot databases' earlier "
               "copies: %s; again at the next pass", h->list_error);
        h->list_error[0] = '\0';
    }

    for (i = 0; i < h->ndbs; i++) {
        d = &h->dbs[i];

        switch (d->outcome) {

        case JR_BACKUP_HOT_STORED:
            d->copies++;
            d->bytes += d->size;
            d->stored_ms = jr_bucket_now_ms();
            jr_log(h->final ? JR_LOG_INFO : JR_LOG_DEBUG, "backup: %s "
                   "stored as %s, %llu bytes%s", d->path, d->key,
                   (unsigned long long) d->size,
                   h->final ? ", at shutdown" : "");
            break;

        case JR_BACKUP_HOT_FAILED:
            d->failures++;
            jr_log(JR_LOG_WARN, "backup: hot database %s %s%s", d->path,
                   d->error, h->final ? "" : "; again at the next pass");
            break;

        case JR_BACKUP_HOT_UNCHANGED:
            break;
        }

        d->outcome = JR_BACKUP_HOT_UNCHANGED;
    }

    if (h->again) {
        h->again = 0;
        jr_backup_hot_queue(h);
    }
}


static void
jr_backup_hot_queue(jr_backup_hot_t *h)
{
    h->final = h->stopping;

    if (uv_queue_work(h->loop, &h->work, jr_backup_hot_pass,
                      jr_backup_hot_passed) != 0)
    {
        jr_log(JR_LOG_ERROR, "backup: cannot copy the hot databases: the "
               "thread pool refused");
        return;
    }

    h->running = 1;
}


static void
jr_backup_hot_tick(uv_timer_t *timer)
{
    jr_backup_hot_t  *h = timer->data;

    if (!h->running && !h->stopping) {
        jr_backup_hot_queue(h);
    }
}


/* The metrics of each hot database: one line per database under each. */
static const struct {
    const char  *name;
    const char  *help;
    const char  *type;
    size_t       offset;            /* a uint64_t of jr_backup_hot_db_t */
    uint64_t     divisor;
} jr_backup_hot_metrics[] = {
    { "jobrunner_backup_hot_copies_total",
      "Copies of a hot database stored.", "counter",
      offsetof(jr_backup_hot_db_t, copies), 1 },
    { "jobrunner_backup_hot_bytes_total",
      "Bytes of the copies of a hot database stored.", "counter",
      offsetof(jr_backup_hot_db_t, bytes), 1 },
    { "jobrunner_backup_hot_failures_total",
      "Passes that could not copy or store a hot database.", "counter",
      offsetof(jr_backup_hot_db_t, failures), 1 },
    { "jobrunner_backup_hot_last_copy_timestamp_seconds",
      "When the last copy of a hot database was stored (0: none since the "
      "start).", "gauge",
      offsetof(jr_backup_hot_db_t, stored_ms), 1000 },
};


void
jr_backup_hot_render(jr_backup_hot_t *h, FILE *out)
{
    size_t               m;
    unsigned             i;
    uint64_t             v;
    jr_backup_hot_db_t  *d;

    if (h == NULL) {
        return;
    }

    for (m = 0; m < sizeof(jr_backup_hot_metrics)
                    / sizeof(jr_backup_hot_metrics[0]); m++)
    {
        fprintf(out, "# HELP %s %s\n# TYPE %s %s\n",
                jr_backup_hot_metrics[m].name, jr_backup_hot_metrics[m].help,
                jr_backup_hot_metrics[m].name, jr_backup_hot_metrics[m].type);

        for (i = 0; i < h->ndbs; i++) {
            d = &h->dbs[i];
            memcpy(&v, (char *) d + jr_backup_hot_metrics[m].offset,
                   sizeof(v));
            v /= jr_backup_hot_metrics[m].divisor;
            fprintf(out, "%s{db=\"%s\"} %llu\n",
                    jr_backup_hot_metrics[m].name, d->name,
                    (unsigned long long) v);
        }
    }
}
