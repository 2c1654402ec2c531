/*
 * Continuous backup, the loop's half; see jr_backup.h.
 *
 * Segments go up one at a time, oldest first: the thread hands the head
 * of its list over (reading it from local_dir if it is not in memory), the
 * loop PUTs it, and on success tells the thread, which deletes the file
 * and hands the next.  A failed PUT (after the client's own retries) is
 * tried again after 1, 2, 4 ... 30 s; meanwhile the thread keeps copying,
 * so nothing is lost while S3 is away, and the lag grows.
 *
 * A snapshot is the database file read in the pool as it is (no lock),
 * uploaded as PREFIX/GEN/snapshots/I-S.db; then, once the thread has
 * looked at the WAL again, the .ok marker names the bound: pages the copy
 * may hold from a checkpoint during it are all in frames up to there.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/jr_alert.h"
#include "backup/jr_backup_int.h"
#include "core/jr_log.h"


#define JR_BACKUP_TICK_MS        1000
#define JR_BACKUP_RETRY_MAX_MS   30000
#define JR_BACKUP_RETENTION_MS   3600000    /* between retention runs */


static void jr_backup_async_cb(uv_async_t *async);
static void jr_backup_tick(uv_timer_t *timer);
static void jr_backup_work(jr_backup_t *b);


int
jr_backup_start(jr_backup_t **out, uv_loop_t *loop, const jr_config_t *cf,
    jr_s3_t *s3, jr_nats_t *nats)
{
    jr_backup_t  *b;

    b = calloc(1, sizeof(jr_backup_t));
    *out = b;

    if (b == NULL) {
        jr_log(JR_LOG_ERROR, "backup: out of memory");
        return -1;
    }

    b->bc = &cf->backup;
    b->loop = loop;
    b->s3 = s3;
    b->wal_fd = -1;
    b->db_fd = -1;

    if (uv_mutex_init(&b->mu) != 0 || uv_cond_init(&b->cond) != 0) {
        jr_log(JR_LOG_ERROR, "backup: cannot make a mutex");
        return -1;
    }

    b->db_path = strdup(cf->data_db);

    if (b->db_path == NULL
        || asprintf(&b->wal_path, "%s-wal", cf->data_db) < 0
        || asprintf(&b->pending_dir, "%s/pending", b->bc->local_dir) < 0
        || asprintf(&b->state_path, "%s/state", b->bc->local_dir) < 0
        || asprintf(&b->ann_path, "%s/announced", b->bc->local_dir) < 0)
    {
        jr_log(JR_LOG_ERROR, "backup: out of memory");
        return -1;
    }

    if ((mkdir(b->bc->local_dir, 0700) != 0 && errno != EEXIST)
        || (mkdir(b->pending_dir, 0700) != 0 && errno != EEXIST))
    {
        jr_log(JR_LOG_ERROR, "backup: cannot create %s: %s",
               b->pending_dir, strerror(errno));
        return -1;
    }

    /*
     * Snapshots read the file through this descriptor, opened once and
     * closed after SQLite's connections: closing a descriptor of data.db
     * would drop the process's POSIX locks on it, and another process
     * could then take itself for the last one open and delete the WAL.
     */
    b->db_fd = open(cf->data_db, O_RDONLY | O_CLOEXEC);
    if (b->db_fd == -1) {
        jr_log(JR_LOG_ERROR, "backup: cannot open %s: %s", cf->data_db,
               strerror(errno));
        return -1;
    }

    if (uv_async_init(loop, &b->async, jr_backup_async_cb) != 0) {
        jr_log(JR_LOG_ERROR, "backup: cannot make an async handle");
        return -1;
    }

    b->async.data = b;
    b->async_init = 1;

    if (uv_timer_init(loop, &b->timer) != 0) {
        jr_log(JR_LOG_ERROR, "backup: cannot make a timer");
        return -1;
    }

    b->timer.data = b;
    b->timer_init = 1;

    if (uv_timer_start(&b->timer, jr_backup_tick, JR_BACKUP_TICK_MS,
                       JR_BACKUP_TICK_MS) != 0
        || uv_thread_create(&b->thread, jr_backup_thread, b) != 0)
    {
        jr_log(JR_LOG_ERROR, "backup: cannot start its thread");
        return -1;
    }

    b->thread_started = 1;

    jr_log(JR_LOG_INFO, "backup: %s to s3://%s/%s/, local copies in %s",
           cf->data_db, cf->s3.bucket, b->bc->prefix, b->bc->local_dir);

    if (jr_backup_hot_start(&b->hot, loop, cf) != 0) {
        return -1;
    }

    if (nats) {
        b->announce = jr_backup_announce_start(loop, nats,
                                               cf->nats.backup_subject);
        if (b->announce == NULL) {
            return -1;
        }
    }

    return 0;
}


/* The thread's log lines, written on the loop. */
static void
jr_backup_flush_logs(jr_backup_t *b)
{
    unsigned  i, n, lost;
    int       levels[JR_BACKUP_LOGS];
    char      logs[JR_BACKUP_LOGS][JR_BACKUP_LOGLEN];

    uv_mutex_lock(&b->mu);

    n = b->nlogs;
    lost = b->logs_lost;
    memcpy(levels, b->log_levels, n * sizeof(int));
    memcpy(logs, b->logs, n * JR_BACKUP_LOGLEN);
    b->nlogs = 0;
    b->logs_lost = 0;

    uv_mutex_unlock(&b->mu);

    for (i = 0; i < n; i++) {
        jr_log(levels[i], "%s", logs[i]);
    }

    if (lost) {
        jr_log(JR_LOG_WARN, "backup: %u log lines lost", lost);
    }
}


void
jr_backup_stop(jr_backup_t *b)
{
    if (b == NULL || b->stopping) {
        return;
    }

    b->stopping = 1;

    /* its last pass runs in the pool while the thread takes its last look */
    jr_backup_hot_stop(b->hot);
    jr_backup_announce_stop(b->announce);

    if (b->thread_started) {
        uv_mutex_lock(&b->mu);
        b->stop = 1;
        uv_cond_signal(&b->cond);
        uv_mutex_unlock(&b->mu);

        /* a last look at the WAL, then its connections close: short */
        uv_thread_join(&b->thread);
        b->thread_started = 0;

        jr_backup_flush_logs(b);
    }

    /* the struct outlives the loop: no close callback needed */
    if (b->async_init && !uv_is_closing((uv_handle_t *) &b->async)) {
        uv_close((uv_handle_t *) &b->async, NULL);
    }

    if (b->timer_init && !uv_is_closing((uv_handle_t *) &b->timer)) {
        uv_close((uv_handle_t *) &b->timer, NULL);
    }
}


void
jr_backup_free(jr_backup_t *b)
{
    size_t            i;
    jr_backup_seg_t  *seg, *next;

    if (b == NULL) {
        return;
    }

    for (seg = b->pending; seg; seg = next) {
        next = seg->next;
        jr_backup_seg_free(seg);
    }

    for (i = 0; i < b->ret_nkeys; i++) {
        free(b->ret_keys[i]);
    }

    free(b->ret_keys);
    free(b->buf);
    jr_backup_hot_free(b->hot);
    jr_backup_announce_free(b->announce);
    free(b->announced);
    free(b->wake_body);
    free(b->wake_next);

    if (b->db_fd != -1) {
        close(b->db_fd);
    }

    free(b->db_path);
    free(b->wal_path);
    free(b->pending_dir);
    free(b->state_path);
    free(b->ann_path);
    free(b->ann_text);
    free(b->ann_resume);
    free(b->snap_ok_key);
    uv_mutex_destroy(&b->mu);
    uv_cond_destroy(&b->cond);
    free(b);
}


/* --- segments -------------------------------------------------------- */

/*
 * To replicas: the key and the one stored before it, when that is of the
 * same generation (segments go up in order, one at a time).
 */
static void
jr_backup_announce_segment(jr_backup_t *b, const jr_backup_seg_t *seg)
{
    char    *key, *prev, *text;
    size_t   len;

    if (b->announce == NULL
        || asprintf(&key, "%s/%s/wal/%s", b->bc->prefix, seg->gen, seg->file)
           < 0)
    {
        return;
    }

    len = strlen(b->bc->prefix) + 1 + JR_BUCKET_GEN_LEN;
    prev = b->announced;

    if (prev && strncmp(prev, key, len) != 0) {
        prev = NULL;
    }

    jr_backup_announce(b->announce, key, seg->len, prev);

    /* for the thread to save once all it copied is stored */
    if (asprintf(&text, "%s %zu %s", key, seg->len, prev ? prev : "-") >= 0) {
        uv_mutex_lock(&b->mu);
        free(b->ann_text);
        b->ann_text = text;
        uv_mutex_unlock(&b->mu);
    }

    free(b->announced);
    b->announced = key;
}


/*
 * The loop: the announcement the thread found saved by the run before,
 * valid at this start (jr_backup_load_announced), is repeated as if
 * stored in this run, and is the PREV of the next segment.  One stored
 * since is newer: the saved one is dropped.
 */
static void
jr_backup_announce_saved(jr_backup_t *b)
{
    char              *text, *key;
    size_t             len;
    jr_bucket_name_t   name;

    uv_mutex_lock(&b->mu);
    text = b->ann_resume;
    b->ann_resume = NULL;
    uv_mutex_unlock(&b->mu);

    if (text == NULL) {
        return;
    }

    len = strcspn(text, " ");

    if (b->announced == NULL
        && jr_backup_announce_last(b->announce) == NULL)
    {
        jr_log(JR_LOG_INFO, "backup: repeating the last announcement of "
               "the run before: %.*s", (int) len, text);
        jr_backup_announce_resume(b->announce, text);

        /* a segment is the PREV of the next one; a snapshot's marker is
           not (the next one goes with "-") */
        key = strndup(text, len);

        if (key != NULL && jr_bucket_parse(b->bc->prefix, key, &name) == 0
            && name.kind == JR_BUCKET_SEGMENT)
        {
            b->announced = key;

        } else {
            free(key);
        }
    }

    free(text);
}


/*
 * The loop: a new generation begun in this run (so it has in the bucket
 * only what this run stored) whose snapshot is complete and of which no
 * segment was stored nor waits: the snapshot's .ok marker is what the
 * primary repeats, "KEY 0 -".  A replica of that generation is current
 * (it cannot be behind: there is nothing past the snapshot); one of
 * another generation looks at the bucket.  Without it, an idle primary
 * that began a generation at its start (a first start, data.db changed
 * while it was stopped) would have nothing to repeat until its first
 * write.  The first segment stored replaces it.
 */
static void
jr_backup_announce_marker(jr_backup_t *b)
{
    char    *text;
    size_t   len;

    len = strlen(b->bc->prefix) + 1 + JR_BUCKET_GEN_LEN;

    if (b->announce == NULL || b->snap_ok_key == NULL || b->uploading
        || (b->announced && strncmp(b->announced, b->snap_ok_key, len) == 0)
        || asprintf(&text, "%s 0 -", b->snap_ok_key) < 0)
    {
        return;
    }

    jr_log(JR_LOG_INFO, "backup: nothing stored of generation %s past its "
           "snapshot: its marker is repeated", b->snap_gen);

    jr_backup_announce_forget(b->announce);
    jr_backup_announce_resume(b->announce, text);

    uv_mutex_lock(&b->mu);
    free(b->ann_text);
    b->ann_text = text;
    uv_mutex_unlock(&b->mu);
}


/*
 * The loop: once a new generation has begun, the last announcement is of
 * the old one, and a replica that applied it would take its repeats for
 * "current": it must look at the bucket instead, and find the new
 * generation (it polls after poll_max_ms without a word).
 */
static void
jr_backup_announce_check_gen(jr_backup_t *b)
{
    int          same;
    const char  *last;

    last = jr_backup_announce_last(b->announce);
    if (last == NULL) {
        return;
    }

    uv_mutex_lock(&b->mu);
    same = jr_bucket_of_gen(b->bc->prefix, last, b->gen);
    uv_mutex_unlock(&b->mu);

    if (!same) {
        jr_backup_announce_forget(b->announce);
    }
}


static void jr_backup_wake_put(jr_backup_t *b, char *body);


static void
jr_backup_wake_stored(jr_s3_req_t *req, void *data)
{
    char                  *next;
    jr_backup_t           *b = data;
    const jr_s3_result_t  *r;

    r = jr_s3_result(req);

    free(b->wake_body);
    b->wake_body = NULL;
    next = b->wake_next;
    b->wake_next = NULL;

    if (b->stopping) {
        free(next);
        return;
    }

    /* replicas that watch it list after poll_max_ms anyway */
    if (!r->ok) {
        jr_log(JR_LOG_WARN, "backup: cannot store %s/.wake: %s: %s",
               b->bc->prefix, r->code, r->message);
    }

    if (next) {
        jr_backup_wake_put(b, next);
    }
}


/* body: malloc'ed, owned from here. */
static void
jr_backup_wake_put(jr_backup_t *b, char *body)
{
    char         *key;
    jr_s3_req_t  *req;

    /* one at a time, so that the last one written is the newest */
    if (b->wake_body) {
        free(b->wake_next);
        b->wake_next = body;
        return;
    }

    key = jr_bucket_wake_key(b->bc->prefix);
    req = key ? jr_s3_put_req(b->s3, key, body, strlen(body)) : NULL;
    free(key);

    if (req == NULL || jr_s3_start(req, jr_backup_wake_stored, b) != 0) {
        jr_log(JR_LOG_ERROR, "backup: cannot start an upload of .wake");
        free(body);
        return;
    }

    b->wake_body = body;
}


/*
 * Replicas without NATS that have found nothing for JR_BUCKET_WATCH_MS
 * stop listing and read PREFIX/.wake every watch_ms instead (a GET: a
 * tenth of a LIST's price).  So a segment stored JR_BUCKET_WAKE_MS or more
 * after the one before (the first after a quiet time) has its key written
 * there; closer ones are found by replicas that still list.  Under steady
 * writes and while idle nothing is written: it costs one PUT per burst.
 */
static void
jr_backup_wake(jr_backup_t *b, const jr_backup_seg_t *seg, uint64_t now)
{
    int    quiet;
    char  *body;

    quiet = b->stored_ms == 0 || now - b->stored_ms >= JR_BUCKET_WAKE_MS;
    b->stored_ms = now;

    if (!quiet) {
        return;
    }

    if (asprintf(&body, "%s/%s/wal/%s\n", b->bc->prefix, seg->gen,
                 seg->file) < 0)
    {
        return;
    }

    jr_backup_wake_put(b, body);
}


static void
jr_backup_uploaded(jr_s3_req_t *req, void *data)
{
    uint64_t                now, delay;
    jr_backup_t            *b = data;
    jr_backup_seg_t        *seg;
    const jr_s3_result_t   *r;

    r = jr_s3_result(req);
    seg = b->uploading;
    b->uploading = NULL;

    if (b->stopping) {
        return;
    }

    now = jr_bucket_now_ms();

    if (!r->ok) {
        b->failures++;
        b->upload_fails++;

        snprintf(b->last_error, sizeof(b->last_error), "%.63s: %.180s",
                 r->code, r->message);

        delay = 1000ULL << (b->upload_fails < 6 ? b->upload_fails - 1 : 5);
        if (delay > JR_BACKUP_RETRY_MAX_MS) {
            delay = JR_BACKUP_RETRY_MAX_MS;
        }

        b->retry_at = now + delay;

        jr_log(JR_LOG_WARN, "backup: cannot store segment %s/%s (%s, %u "
               "attempts), again in %llu s", seg->gen, seg->file,
               b->last_error, r->attempts,
               (unsigned long long) delay / 1000);
        return;
    }

    b->segments++;
    b->bytes += seg->len;
    b->upload_fails = 0;
    b->retry_at = 0;

    /* lag: from before its first commit (the previous look) to stored */
    jr_log(JR_LOG_DEBUG, "backup: segment %s/%s stored, %zu bytes, lag %llu "
           "ms, put %llu ms", seg->gen, seg->file, seg->len,
           (unsigned long long) (now - seg->since_ms),
           (unsigned long long) (now - b->upload_started));

    jr_backup_announce_segment(b, seg);
    jr_backup_wake(b, seg, now);

    uv_mutex_lock(&b->mu);
    b->uploaded = 1;
    b->want = 1;
    b->serve = 1;
    uv_cond_signal(&b->cond);
    uv_mutex_unlock(&b->mu);
}


static void
jr_backup_upload_next(jr_backup_t *b)
{
    char              *key;
    jr_s3_req_t       *req;
    jr_backup_seg_t   *seg;

    if (b->stopping || b->uploading
        || (b->retry_at && jr_bucket_now_ms() < b->retry_at))
    {
        return;
    }

    uv_mutex_lock(&b->mu);

    seg = b->uploaded ? NULL : b->handed;

    if (seg == NULL && !b->uploaded && b->npending && !b->want) {
        b->want = 1;
        b->serve = 1;
        uv_cond_signal(&b->cond);
    }

    uv_mutex_unlock(&b->mu);

    if (seg == NULL) {
        return;
    }

    if (asprintf(&key, "%s/%s/wal/%s", b->bc->prefix, seg->gen, seg->file)
        < 0)
    {
        return;
    }

    req = jr_s3_put_req(b->s3, key, seg->data, seg->len);
    free(key);

    if (req == NULL || jr_s3_start(req, jr_backup_uploaded, b) != 0) {
        jr_log(JR_LOG_ERROR, "backup: cannot start an upload");
        return;
    }

    b->uploading = seg;
    b->upload_started = jr_bucket_now_ms();
}


/* --- snapshots ---------------------------------------------------------- */

static void
jr_backup_snapshot_fail(jr_backup_t *b, const char *what, const char *why)
{
    b->failures++;
    b->snap_running = 0;
    b->snap_retry_at = jr_bucket_now_ms() + 60000;

    jr_log(JR_LOG_ERROR, "backup: snapshot of generation %s %s: %s; again "
           "in 60 s", b->snap_gen, what, why);
}


static void
jr_backup_ok_stored(jr_s3_req_t *req, void *data)
{
    int                     marker;
    uint64_t                now;
    jr_backup_t            *b = data;
    const jr_s3_result_t   *r;

    r = jr_s3_result(req);

    if (b->stopping) {
        return;
    }

    if (!r->ok) {
        jr_backup_snapshot_fail(b, "cannot be marked complete", r->code);
        return;
    }

    now = jr_bucket_now_ms();

    marker = 0;

    uv_mutex_lock(&b->mu);
    if (strcmp(b->gen, b->snap_gen) == 0) {
        b->snapshot_ms = now;
        b->new_generation = 0;
        marker = b->gen_began && b->npending == 0;
    }
    uv_mutex_unlock(&b->mu);

    if (marker) {
        jr_backup_announce_marker(b);
    }

    b->snapshots++;
    b->snap_running = 0;
    b->ret_next_ms = now;

    jr_log(JR_LOG_INFO, "backup: snapshot %s/snapshots/%08x-%013llu.db "
           "stored, %llu bytes in %.1f s", b->snap_gen, b->snap_index,
           (unsigned long long) b->snap_ms,
           (unsigned long long) b->snap_size,
           (double) (now - b->snap_ms) / 1000);
}


/* The bound is known once the thread has looked again: the .ok marker. */
static void
jr_backup_snapshot_bound(jr_backup_t *b)
{
    int           same;
    char         *key;
    uint32_t      index;
    uint64_t      offset, done;
    jr_s3_req_t  *req;

    uv_mutex_lock(&b->mu);
    done = b->cycles_done;
    index = b->index;
    offset = b->offset;
    same = strcmp(b->gen, b->snap_gen) == 0;
    uv_mutex_unlock(&b->mu);

    if (done <= b->snap_cycle) {
        return;
    }

    if (!same) {
        b->snap_running = 0;
        jr_log(JR_LOG_INFO, "backup: snapshot of generation %s dropped: a "
               "new generation began", b->snap_gen);
        return;
    }

    b->snap_phase = 3;

    if (asprintf(&key, "%s/%s/snapshots/%08x-%013llu-%08x-%012llx-%013llu.ok",
                 b->bc->prefix, b->snap_gen, b->snap_index,
                 (unsigned long long) b->snap_ms, index,
                 (unsigned long long) offset,
                 (unsigned long long) jr_bucket_now_ms()) < 0)
    {
        jr_backup_snapshot_fail(b, "cannot be marked complete",
                                "out of memory");
        return;
    }

    req = jr_s3_put_req(b->s3, key, "", 0);
    free(b->snap_ok_key);
    b->snap_ok_key = key;

    if (req == NULL || jr_s3_start(req, jr_backup_ok_stored, b) != 0) {
        jr_backup_snapshot_fail(b, "cannot be marked complete",
                                "cannot start the request");
    }
}


static void
jr_backup_snapshot_uploaded(const jr_s3_upload_result_t *res, void *data)
{
    char          why[400];
    jr_backup_t  *b = data;

    if (b->stopping) {
        return;
    }

    if (!res->ok) {
        snprintf(why, sizeof(why), "%s: %s", res->code, res->message);
        jr_backup_snapshot_fail(b, "failed", why);
        return;
    }

    b->snap_size = res->size;
    b->snap_phase = 2;

    /* a look at the WAL that starts after the last byte was read */
    uv_mutex_lock(&b->mu);
    b->snap_cycle = b->cycles_started;
    b->kick = 1;
    uv_cond_signal(&b->cond);
    uv_mutex_unlock(&b->mu);
}


static void
jr_backup_snapshot_start(jr_backup_t *b)
{
    int       due;
    char     *key;
    uint64_t  now, last;

    now = jr_bucket_now_ms();

    if (b->snap_running || b->stopping || now < b->snap_retry_at) {
        return;
    }

    uv_mutex_lock(&b->mu);
    last = b->snapshot_ms;
    due = b->new_generation
          || (last && now - last >= (uint64_t) b->bc->snapshot_interval * 1000);
    memcpy(b->snap_gen, b->gen, sizeof(b->snap_gen));
    b->snap_index = b->index;
    uv_mutex_unlock(&b->mu);

    if (!due || b->snap_gen[0] == '\0') {
        return;
    }

    b->snap_ms = now;

    if (asprintf(&key, "%s/%s/snapshots/%08x-%013llu.db", b->bc->prefix,
                 b->snap_gen, b->snap_index, (unsigned long long) now) < 0)
    {
        return;
    }

    if (jr_s3_upload_fd(b->s3, key, b->db_fd, b->db_path,
                        jr_backup_snapshot_uploaded, b)
        != 0)
    {
        free(key);
        jr_backup_snapshot_fail(b, "cannot start", "out of memory");
        return;
    }

    jr_log(JR_LOG_INFO, "backup: snapshot of generation %s started: %s",
           b->snap_gen, key);
    free(key);

    b->snap_running = 1;
    b->snap_phase = 1;
}


/* --- retention ------------------------------------------------------------ */

static void jr_backup_retention_next(jr_backup_t *b);


static void
jr_backup_retention_deleted(jr_s3_req_t *req, void *data)
{
    jr_backup_t  *b = data;

    if (b->stopping) {
        return;
    }

    if (jr_s3_result(req)->ok) {
        b->deleted++;
    }

    b->ret_done++;
    jr_backup_retention_next(b);
}


static void
jr_backup_retention_end(jr_backup_t *b)
{
    size_t  i;

    if (b->ret_nkeys) {
        jr_log(JR_LOG_INFO, "backup: retention: %zu old objects deleted",
               b->ret_nkeys);
    }

    for (i = 0; i < b->ret_nkeys; i++) {
        free(b->ret_keys[i]);
    }

    free(b->ret_keys);
    b->ret_keys = NULL;
    b->ret_nkeys = 0;
    b->ret_done = 0;
    b->ret_running = 0;
    b->ret_next_ms = jr_bucket_now_ms() + JR_BACKUP_RETENTION_MS;
}


static void
jr_backup_retention_next(jr_backup_t *b)
{
    jr_s3_req_t  *req;

    if (b->ret_done == b->ret_nkeys) {
        jr_backup_retention_end(b);
        return;
    }

    req = jr_s3_delete_req(b->s3, b->ret_keys[b->ret_done]);

    if (req == NULL
        || jr_s3_start(req, jr_backup_retention_deleted, b) != 0)
    {
        jr_backup_retention_end(b);
    }
}


static int
jr_backup_retention_add(jr_backup_t *b, const char *key)
{
    char  **grown;

    grown = realloc(b->ret_keys, (b->ret_nkeys + 1) * sizeof(char *));
    if (grown == NULL) {
        return -1;
    }

    b->ret_keys = grown;
    b->ret_keys[b->ret_nkeys] = strdup(key);

    if (b->ret_keys[b->ret_nkeys] == NULL) {
        return -1;
    }

    b->ret_nkeys++;

    return 0;
}


/*
 * What to keep: every complete snapshot done after the cutoff, the newest
 * one done before it (the base of a restore to the cutoff), and in each
 * generation the segments from the first kept snapshot's index on.  Older
 * snapshots, their segments, and generations with nothing kept go; the
 * current generation is never emptied.
 */
static void
jr_backup_retention_plan(jr_backup_t *b, const jr_s3_list_t *list)
{
    size_t              i, j, n;
    uint64_t            now, cutoff, base, newest;
    uint32_t            min_index;
    char                cur[JR_BUCKET_GEN_LEN + 1];
    jr_bucket_name_t  *names, *o, *x;

    n = list->nobjects;
    names = calloc(n ? n : 1, sizeof(jr_bucket_name_t));
    if (names == NULL) {
        return;
    }

    for (i = 0; i < n; i++) {
        if (jr_bucket_parse(b->bc->prefix, list->objects[i].key, &names[i])
            != 0)
        {
            names[i].kind = 0;
        }
    }

    now = jr_bucket_now_ms();
    cutoff = now - (uint64_t) b->bc->retention * 1000;

    uv_mutex_lock(&b->mu);
    memcpy(cur, b->gen, sizeof(cur));
    uv_mutex_unlock(&b->mu);

    base = 0;

    for (i = 0; i < n; i++) {
        if (names[i].kind == JR_BUCKET_SNAPSHOT_OK
            && names[i].done_ms < cutoff && names[i].done_ms > base)
        {
            base = names[i].done_ms;
        }
    }

    for (i = 0; i < n; i++) {
        o = &names[i];

        if (o->kind == 0) {
            continue;
        }

        /* the first index kept in o's generation, and its newest object */
        min_index = UINT32_MAX;
        newest = 0;

        for (j = 0; j < n; j++) {
            x = &names[j];

            if (x->kind == 0 || strcmp(x->gen, o->gen) != 0) {
                continue;
            }

            if (x->kind == JR_BUCKET_SNAPSHOT_OK && x->done_ms >= base
                && x->index < min_index)
            {
                min_index = x->index;
            }

            if (x->ms > newest) {
                newest = x->ms;
            }
        }

        if (strcmp(o->gen, cur) == 0 && min_index == UINT32_MAX) {
            continue;
        }

        if (min_index == UINT32_MAX) {
            /* nothing kept: the whole generation, once all of it is old */
            if (newest < cutoff
                && jr_backup_retention_add(b, list->objects[i].key) != 0)
            {
                break;
            }

            continue;
        }

        if ((o->kind == JR_BUCKET_SEGMENT && o->index < min_index)
            || (o->kind == JR_BUCKET_SNAPSHOT_OK && o->done_ms < base)
            || (o->kind == JR_BUCKET_SNAPSHOT && o->index < min_index))
        {
            if (jr_backup_retention_add(b, list->objects[i].key) != 0) {
                break;
            }
        }
    }

    free(names);
}


static void
jr_backup_retention_listed(const jr_s3_result_t *res, jr_s3_list_t *list,
    void *data)
{
    jr_backup_t  *b = data;

    if (b->stopping) {
        return;
    }

    if (!res->ok) {
        jr_log(JR_LOG_WARN, "backup: retention: cannot list the bucket: %s: "
               "%s", res->code, res->message);
        jr_backup_retention_end(b);
        return;
    }

    jr_backup_retention_plan(b, list);
    jr_backup_retention_next(b);
}


static void
jr_backup_retention_start(jr_backup_t *b)
{
    char  *prefix;

    if (b->ret_running || b->stopping || b->snapshots == 0
        || jr_bucket_now_ms() < b->ret_next_ms)
    {
        return;
    }

    if (asprintf(&prefix, "%s/", b->bc->prefix) < 0) {
        return;
    }

    b->ret_running = 1;

    if (jr_s3_list_all(b->s3, prefix, jr_backup_retention_listed, b) != 0) {
        b->ret_running = 0;
    }

    free(prefix);
}


/* --- the loop's work ------------------------------------------------------ */

static void
jr_backup_lag(jr_backup_t *b)
{
    double    lag;
    uint64_t  now, since;
    unsigned  n;

    now = jr_bucket_now_ms();

    uv_mutex_lock(&b->mu);
    since = b->pending ? b->pending->since_ms : now;
    n = b->npending;
    uv_mutex_unlock(&b->mu);

    lag = since < now ? (double) (now - since) / 1000 : 0;
    b->lag = lag;

    if (!b->lagging && lag > (double) b->bc->lag_alert) {
        b->lagging = 1;
        jr_alert("backup.lag", "replication of %s is %.1f s behind (over "
                 "lag_alert %ld s), %u segments waiting; last error: %s",
                 b->db_path, lag, b->bc->lag_alert, n,
                 b->last_error[0] ? b->last_error : "none");

    } else if (b->lagging && lag <= (double) b->bc->lag_alert) {
        b->lagging = 0;
        jr_log(JR_LOG_INFO, "backup: caught up, %.1f s behind", lag);
    }
}


static void
jr_backup_work(jr_backup_t *b)
{
    int  failed;

    if (b->stopping) {
        return;
    }

    jr_backup_flush_logs(b);

    uv_mutex_lock(&b->mu);
    failed = b->failed;
    b->failed = 0;
    uv_mutex_unlock(&b->mu);

    if (failed) {
        jr_alert("backup.failed", "continuous backup of %s has stopped: see "
                 "the lines above", b->db_path);
    }

    if (b->announce) {
        jr_backup_announce_saved(b);
    }

    jr_backup_upload_next(b);

    if (b->snap_running && b->snap_phase == 2) {
        jr_backup_snapshot_bound(b);
    }

    jr_backup_snapshot_start(b);
}


static void
jr_backup_async_cb(uv_async_t *async)
{
    jr_backup_work(async->data);
}


static void
jr_backup_tick(uv_timer_t *timer)
{
    jr_backup_t  *b = timer->data;

    if (b->stopping) {
        return;
    }

    jr_backup_lag(b);
    jr_backup_work(b);
    jr_backup_retention_start(b);
    jr_backup_announce_check_gen(b);
    jr_backup_announce_again(b->announce, b->bc->heartbeat_ms);
}


void
jr_backup_render(jr_backup_t *b, FILE *out)
{
    uint64_t  gens, ckpts, snap_ms;
    unsigned  n;

    if (b == NULL) {
        return;
    }

    uv_mutex_lock(&b->mu);
    gens = b->generations;
    ckpts = b->checkpoints;
    n = b->npending;
    snap_ms = b->snapshot_ms;
    uv_mutex_unlock(&b->mu);

    fprintf(out,
            "# HELP jobrunner_backup_lag_seconds Age of the oldest commit "
            "of data.db not yet in the bucket (0: none waiting).\n"
            "# TYPE jobrunner_backup_lag_seconds gauge\n"
            "jobrunner_backup_lag_seconds %.3f\n"
            "# HELP jobrunner_backup_pending_segments WAL segments copied "
            "and waiting for upload.\n"
            "# TYPE jobrunner_backup_pending_segments gauge\n"
            "jobrunner_backup_pending_segments %u\n"
            "# HELP jobrunner_backup_segments_total WAL segments stored.\n"
            "# TYPE jobrunner_backup_segments_total counter\n"
            "jobrunner_backup_segments_total %llu\n"
            "# HELP jobrunner_backup_segment_bytes_total Bytes of WAL "
            "segments stored.\n"
            "# TYPE jobrunner_backup_segment_bytes_total counter\n"
            "jobrunner_backup_segment_bytes_total %llu\n"
            "# HELP jobrunner_backup_failures_total Uploads that failed "
            "after their retries (tried again later).\n"
            "# TYPE jobrunner_backup_failures_total counter\n"
            "jobrunner_backup_failures_total %llu\n"
            "# HELP jobrunner_backup_snapshots_total Snapshots stored.\n"
            "# TYPE jobrunner_backup_snapshots_total counter\n"
            "jobrunner_backup_snapshots_total %llu\n"
            "# HELP jobrunner_backup_last_snapshot_timestamp_seconds When "
            "the generation's last snapshot was stored.\n"
            "# TYPE jobrunner_backup_last_snapshot_timestamp_seconds gauge\n"
            "jobrunner_backup_last_snapshot_timestamp_seconds %llu\n"
            "# HELP jobrunner_backup_generations_total Generations begun "
            "(the WAL chain could not be continued).\n"
            "# TYPE jobrunner_backup_generations_total counter\n"
            "jobrunner_backup_generations_total %llu\n"
            "# HELP jobrunner_backup_checkpoints_total Checkpoints run by "
            "the backup.\n"
            "# TYPE jobrunner_backup_checkpoints_total counter\n"
            "jobrunner_backup_checkpoints_total %llu\n"
            "# HELP jobrunner_backup_deleted_total Objects deleted by "
            "retention.\n"
            "# TYPE jobrunner_backup_deleted_total counter\n"
            "jobrunner_backup_deleted_total %llu\n",
            b->lag, n, (unsigned long long) b->segments,
            (unsigned long long) b->bytes,
            (unsigned long long) b->failures,
            (unsigned long long) b->snapshots,
            (unsigned long long) snap_ms / 1000,
            (unsigned long long) gens, (unsigned long long) ckpts,
            (unsigned long long) b->deleted);

    jr_backup_hot_render(b->hot, out);
    jr_backup_announce_render(b->announce, out);
}
