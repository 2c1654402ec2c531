/*
 * The "thumb_scan" job and the watch on the media root.
 *
 * A scan walks the media root in a pool thread (no symlinks, no dot-files,
 * not the thumbnail folder), compares each image with its media row on a
 * connection of its own, and on the loop enqueues one "thumb" job per new
 * or changed file, keyed by path, size, mtime and the thumbnail settings,
 * so the same version of a file is never enqueued twice.  At start, the
 * temporary files a killed jobrunner left in the thumbnail folder go.
 *
 * Scans run at start, on the thumb_scan timer and on inotify events
 * (uv_fs_event) from the media root and its folders, a second after the
 * last event; a scan requested while one is queued or running runs after
 * it.  A file modified in the last second may still be being written: it
 * is left for a scan two seconds later.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobs/jr_jobs.h"
#include "jobs/jr_kinds.h"
#include "jobs/jr_thumb.h"
#include "core/jr_log.h"


#define JR_SCAN_DEPTH      16
#define JR_SCAN_WATCH_MAX  1024
#define JR_SCAN_DEBOUNCE   1000      /* ms after the last event */
#define JR_SCAN_SETTLE     2000      /* ms before a look at fresh files */
#define JR_SCAN_PATH_MAX   4096


typedef struct {
    char      *path;
    int64_t    size;
    int64_t    mtime;
} jr_scan_file_t;

typedef struct {
    jr_scan_file_t  *files;          /* new or changed */
    size_t           nfiles;
    char           **dirs;           /* every folder, "" the root */
    size_t           ndirs;
    size_t           images;
    size_t           fresh;
    time_t           now;
    char             params[160];
} jr_scan_data_t;

typedef struct {
    jr_jobs_t        *jobs;
    uv_timer_t        debounce;
    uv_fs_event_t   **watches;
    char            **watched;       /* their folders, relative */
    size_t            nwatches;
    unsigned          rescan:1;
    unsigned          watch_full:1;
} jr_scan_t;


static void jr_scan_event(uv_fs_event_t *handle, const char *name,
    int events, int status);
static void jr_scan_debounced(uv_timer_t *timer);
static int jr_scan_watch(jr_scan_t *scan, const char *rel);
static void jr_scan_request(jr_scan_t *scan);


/*
 * Deletes the temporary files that a killed jobrunner left in a folder of
 * files it makes, thumbnails or social cards (".tmp-PID-..." of a process
 * that is gone).  This runs once at
 * start, before any job: a job's rename is the only way a variant appears,
 * so a leftover is never anything but garbage, and a scan queued behind
 * the restarted jobs would leave it in place for too long.
 */
static void
jr_scan_remove_stale_tmp(jr_jobs_t *jobs, const char *folder)
{
    int                    fd;
    long                   pid;
    char                  *end, path[JR_SCAN_PATH_MAX];
    DIR                   *dir;
    size_t                 removed;
    struct dirent         *de;
    const jr_jobs_conf_t  *jc;

    jc = &jobs->cf->jobs;

    snprintf(path, sizeof(path), "%s/%s", jc->media_root, folder);

    dir = opendir(path);
    if (dir == NULL) {
        /* the cards' folder is made when its kind starts, after this one */
        if (errno != ENOENT) {
            jr_log(JR_LOG_WARN, "scan: cannot open \"%s\": %s", path,
                   strerror(errno));
        }

        return;
    }

    fd = dirfd(dir);
    removed = 0;

    while ((de = readdir(dir)) != NULL) {
        if (strncmp(de->d_name, ".tmp-", 5) != 0) {
            continue;
        }

        pid = strtol(de->d_name + 5, &end, 10);

        if (*end != '-' || pid <= 0
            || (kill((pid_t) pid, 0) == 0 || errno != ESRCH))
        {
            continue;
        }

        if (unlinkat(fd, de->d_name, 0) == 0) {
            removed++;

        } else {
            jr_log(JR_LOG_WARN, "scan: cannot remove \"%s/%s\": %s", path,
                   de->d_name, strerror(errno));
        }
    }

    closedir(dir);

    if (removed) {
        jr_log(JR_LOG_INFO, "scan: %zu temporary file%s of a killed run "
               "removed from \"%s\"", removed, removed == 1 ? "" : "s", path);
    }
}


/* With a media root: the watch on it, its first scan asked for. */
static int
jr_scan_start(jr_jobs_t *jobs, void **ctx)
{
    int         rc;
    jr_scan_t  *scan;

    if (jobs->cf->jobs.media_root == NULL) {
        return 0;
    }

    scan = calloc(1, sizeof(jr_scan_t));
    if (scan == NULL) {
        jr_log(JR_LOG_ERROR, "scan: out of memory");
        return -1;
    }

    scan->jobs = jobs;
    *ctx = scan;

    rc = uv_timer_init(jobs->loop, &scan->debounce);
    if (rc != 0) {
        jr_log(JR_LOG_ERROR, "scan: cannot create a timer: %s",
               uv_strerror(rc));
        return -1;
    }

    scan->debounce.data = scan;

    /* the root now; its folders once the first scan has found them */
    if (jr_scan_watch(scan, "") != 0) {
        return -1;
    }

    /* the social cards' folder (jr_card.c) is written the same way */
    jr_scan_remove_stale_tmp(jobs, jobs->cf->jobs.thumb_dir);
    jr_scan_remove_stale_tmp(jobs, jobs->cf->jobs.card_dir);

    /*
     * Files added while we were down, once the loop runs: enqueueing may
     * start jobs at once, so not before every kind has started, and the
     * timers' thumb_scan slot missed meanwhile goes first.
     */
    rc = uv_timer_start(&scan->debounce, jr_scan_debounced, 0, 0);
    if (rc != 0) {
        jr_log(JR_LOG_ERROR, "scan: cannot start a timer: %s",
               uv_strerror(rc));
        return -1;
    }

    return 0;
}


static void
jr_scan_stop(void *ctx)
{
    size_t      i;
    jr_scan_t  *scan;

    scan = ctx;

    if (scan == NULL) {
        return;
    }

    /* the loop has ended, so the handles are closed */
    for (i = 0; i < scan->nwatches; i++) {
        free(scan->watches[i]);
        free(scan->watched[i]);
    }

    free(scan->watches);
    free(scan->watched);
    free(scan);
}


static int
jr_scan_watch(jr_scan_t *scan, const char *rel)
{
    int              rc;
    char             path[JR_SCAN_PATH_MAX];
    char           **names;
    uv_fs_event_t   *h, **handles;
    const char      *root;

    if (scan->nwatches == JR_SCAN_WATCH_MAX) {
        if (!scan->watch_full) {
            jr_log(JR_LOG_WARN, "scan: watching %d folders, the most; new "
                   "files in others wait for the thumb_scan timer",
                   JR_SCAN_WATCH_MAX);
            scan->watch_full = 1;
        }

        return 0;
    }

    root = scan->jobs->cf->jobs.media_root;
    snprintf(path, sizeof(path), "%s%s%s", root, *rel ? "/" : "", rel);

    handles = realloc(scan->watches,
                      (scan->nwatches + 1) * sizeof(uv_fs_event_t *));
    if (handles == NULL) {
        goto nomem;
    }

    scan->watches = handles;

    names = realloc(scan->watched, (scan->nwatches + 1) * sizeof(char *));
    if (names == NULL) {
        goto nomem;
    }

    scan->watched = names;

    h = calloc(1, sizeof(uv_fs_event_t));
    if (h == NULL || (names[scan->nwatches] = strdup(rel)) == NULL) {
        free(h);
        goto nomem;
    }

    rc = uv_fs_event_init(scan->jobs->loop, h);
    if (rc != 0) {
        free(names[scan->nwatches]);
        free(h);
        jr_log(JR_LOG_ERROR, "scan: cannot watch \"%s\": %s", path,
               uv_strerror(rc));
        return -1;
    }

    /* from here the handle belongs to the loop, freed in jr_scan_stop() */
    handles[scan->nwatches++] = h;
    h->data = scan;

    rc = uv_fs_event_start(h, jr_scan_event, path, 0);
    if (rc != 0) {
        jr_log(JR_LOG_WARN, "scan: cannot watch \"%s\": %s; new files there "
               "wait for the thumb_scan timer", path, uv_strerror(rc));
    }

    return 0;

nomem:

    jr_log(JR_LOG_ERROR, "scan: out of memory");
    return -1;
}


static void
jr_scan_event(uv_fs_event_t *handle, const char *name, int events,
    int status)
{
    jr_scan_t  *scan;

    (void) events;

    scan = handle->data;

    if (status < 0) {
        jr_log(JR_LOG_WARN, "scan: watch error: %s", uv_strerror(status));
        return;
    }

    /* our own temporary files come and go in the thumbnail folder only */
    if (name != NULL && name[0] == '.') {
        return;
    }

    if (!jr_jobs_stopping(scan->jobs)) {
        (void) uv_timer_start(&scan->debounce, jr_scan_debounced,
                              JR_SCAN_DEBOUNCE, 0);
    }
}


static void
jr_scan_debounced(uv_timer_t *timer)
{
    jr_scan_t  *scan;

    scan = timer->data;

    jr_scan_request(scan);
}


static void
jr_scan_request(jr_scan_t *scan)
{
    char              key[64];
    json_t           *payload;
    jr_jobs_t        *jobs;
    static unsigned   n;

    jobs = scan->jobs;

    if (jr_jobs_stopping(jobs)) {
        return;
    }

    switch (jr_queue_active(&jobs->queue, JR_TASK_THUMB_SCAN)) {

    case 0:
        break;

    case 1:
        scan->rescan = 1;
        return;

    default:
        return;
    }

    /*
     * Unique across runs too: a jobrunner restarted within the second
     * would otherwise find its start-up scan's key taken by the last run's
     * and, the key being a dedupe key, enqueue nothing.
     */
    snprintf(key, sizeof(key), JR_TASK_THUMB_SCAN ":event-%ld-%ld-%u",
             (long) time(NULL), (long) getpid(), n++);

    payload = json_pack("{s:s}", "trigger", "event");
    if (payload == NULL) {
        jr_log(JR_LOG_ERROR, "scan: out of memory");
        return;
    }

    (void) jr_jobs_enqueue(jobs, JR_TASK_THUMB_SCAN, key, payload,
                           time(NULL));

    json_decref(payload);
}


static int
jr_scan_prepare(jr_work_t *w)
{
    jr_scan_data_t  *d;

    d = calloc(1, sizeof(jr_scan_data_t));
    if (d == NULL) {
        jr_work_fail(w, 0, "out of memory");
        return -1;
    }

    d->now = time(NULL);
    jr_thumb_params(&w->jobs->cf->jobs, d->params, sizeof(d->params));

    w->data = d;

    return 0;
}


static int
jr_scan_push_dir(jr_scan_data_t *d, const char *rel)
{
    char  **grown;

    grown = realloc(d->dirs, (d->ndirs + 1) * sizeof(char *));
    if (grown == NULL) {
        return -1;
    }

    d->dirs = grown;
    d->dirs[d->ndirs] = strdup(rel);

    if (d->dirs[d->ndirs] == NULL) {
        return -1;
    }

    d->ndirs++;

    return 0;
}


static int
jr_scan_push_file(jr_scan_data_t *d, const char *rel, const struct stat *st)
{
    jr_scan_file_t  *grown;

    grown = realloc(d->files, (d->nfiles + 1) * sizeof(jr_scan_file_t));
    if (grown == NULL) {
        return -1;
    }

    d->files = grown;
    d->files[d->nfiles].path = strdup(rel);
    d->files[d->nfiles].size = st->st_size;
    d->files[d->nfiles].mtime = st->st_mtime;

    if (d->files[d->nfiles].path == NULL) {
        return -1;
    }

    d->nfiles++;

    return 0;
}


/*
 * Walks rel (under the media root, open as dirfd, which this closes).
 * A folder that cannot be read is skipped; -1 means out of memory.
 */
static int
jr_scan_dir(jr_work_t *w, int dirfd, const char *rel, int depth)
{
    int                    fd, thumbs;
    DIR                   *dir;
    char                   sub[JR_SCAN_PATH_MAX];
    struct stat            st;
    struct dirent         *de;
    jr_scan_data_t        *d;
    const jr_jobs_conf_t  *jc;

    d = w->data;
    jc = &w->jobs->cf->jobs;

    dir = fdopendir(dirfd);
    if (dir == NULL) {
        close(dirfd);
        return 0;
    }

    if (jr_scan_push_dir(d, rel) != 0) {
        closedir(dir);
        return -1;
    }

    /* the thumbnails' and the social cards' folders: made, not scanned */
    thumbs = *rel && (strcmp(rel, jc->thumb_dir) == 0
                      || strcmp(rel, jc->card_dir) == 0);

    while ((de = readdir(dir)) != NULL) {
        /* dot-files are not served; the thumbnail folder is ours */
        if (de->d_name[0] == '.' || thumbs) {
            continue;
        }

        if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            continue;
        }

        if (snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "",
                     de->d_name) >= (int) sizeof(sub))
        {
            continue;
        }

        if (S_ISDIR(st.st_mode)) {
            /* the thumbnail folder is walked for its leftovers only */
            if (depth < JR_SCAN_DEPTH) {
                fd = openat(dirfd, de->d_name,
                            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

                if (fd != -1 && jr_scan_dir(w, fd, sub, depth + 1) != 0) {
                    closedir(dir);
                    return -1;
                }
            }

            continue;
        }

        if (!S_ISREG(st.st_mode) || !jr_thumb_candidate(de->d_name)) {
            continue;
        }

        d->images++;

        if (st.st_mtime >= d->now - 1) {
            d->fresh++;
            continue;
        }

        if (jr_scan_push_file(d, sub, &st) != 0) {
            closedir(dir);
            return -1;
        }
    }

    closedir(dir);

    return 0;
}


/* Drops the files whose media row says they are done as they are. */
static int
jr_scan_known(jr_work_t *w)
{
    int              rc;
    size_t           i, kept;
    sqlite3         *db;
    const char      *params;
    sqlite3_stmt    *stmt;
    jr_scan_data_t  *d;
    jr_scan_file_t  *f;

    d = w->data;

    rc = sqlite3_open_v2(w->jobs->cf->data_db, &db, SQLITE_OPEN_READONLY,
                         NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_busy_timeout(db, 5000);
    }

    if (rc == SQLITE_OK) {
        rc = sqlite3_prepare_v2(db, "SELECT size, mtime, params FROM media"
                                " WHERE path = ?1", -1, &stmt, NULL);
    }

    if (rc != SQLITE_OK) {
        jr_work_fail(w, 0, "cannot read media rows: %s",
                     db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return -1;
    }

    kept = 0;

    for (i = 0; i < d->nfiles; i++) {
        f = &d->files[i];

        rc = sqlite3_bind_text(stmt, 1, f->path, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK) {
            rc = sqlite3_step(stmt);
        }

        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            jr_work_fail(w, 0, "cannot read media rows: %s",
                         sqlite3_errmsg(db));
            break;
        }

        if (rc == SQLITE_ROW) {
            params = (const char *) sqlite3_column_text(stmt, 2);

            if (sqlite3_column_int64(stmt, 0) == f->size
                && sqlite3_column_int64(stmt, 1) == f->mtime
                && params && strcmp(params, d->params) == 0)
            {
                free(f->path);
                sqlite3_reset(stmt);
                continue;
            }
        }

        sqlite3_reset(stmt);
        d->files[kept++] = *f;
    }

    /* after a failure, the ones not looked at are still to be freed */
    for ( ; i < d->nfiles; i++) {
        d->files[kept++] = d->files[i];
    }

    d->nfiles = kept;

    sqlite3_finalize(stmt);
    sqlite3_close(db);

    return w->failed ? -1 : 0;
}


static void
jr_scan_work(jr_work_t *w)
{
    int                    fd;
    const jr_jobs_conf_t  *jc;

    jc = &w->jobs->cf->jobs;

    fd = open(jc->media_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1) {
        jr_work_fail(w, 0, "cannot open media_root \"%s\": %s",
                     jc->media_root, strerror(errno));
        return;
    }

    if (jr_scan_dir(w, fd, "", 0) != 0) {
        jr_work_fail(w, 0, "out of memory");
        return;
    }

    (void) jr_scan_known(w);
}


static int
jr_scan_commit(jr_work_t *w, sqlite3 *db)
{
    int              rc;
    char             key[JR_SCAN_PATH_MAX + 256];
    size_t           i;
    char            *text;
    json_t          *payload;
    jr_scan_data_t  *d;
    jr_scan_file_t  *f;

    (void) db;

    d = w->data;

    for (i = 0; i < d->nfiles; i++) {
        f = &d->files[i];

        payload = json_pack("{s:s, s:I, s:I}", "path", f->path,
                            "size", (json_int_t) f->size,
                            "mtime", (json_int_t) f->mtime);
        text = payload ? json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS)
                       : NULL;
        json_decref(payload);

        if (text == NULL) {
            jr_work_fail(w, 0, "out of memory");
            return -1;
        }

        snprintf(key, sizeof(key), "thumb:%s:%lld:%lld:%s", f->path,
                 (long long) f->size, (long long) f->mtime, d->params);

        rc = jr_queue_enqueue(&w->jobs->queue, "thumb", key, text, d->now);

        free(text);

        if (rc < 0) {
            return -1;
        }

        /* an existing key: the same version is queued, done or dead */
        if (rc == 0) {
            f->size = -1;
        }
    }

    return 0;
}


static void
jr_scan_done(jr_work_t *w)
{
    size_t           i, j, added;
    jr_scan_t       *scan;
    jr_scan_data_t  *d;

    d = w->data;
    scan = w->ctx;

    if (d == NULL || w->failed || scan == NULL) {
        return;
    }

    added = 0;

    for (i = 0; i < d->nfiles; i++) {
        added += d->files[i].size >= 0;
    }

    jr_log(added ? JR_LOG_INFO : JR_LOG_DEBUG, "thumb_scan: %zu image%s, "
           "%zu new to thumbnail, %zu still being written", d->images,
           d->images == 1 ? "" : "s", added, d->fresh);

    if (jr_jobs_stopping(w->jobs)) {
        return;
    }

    for (i = 0; i < d->ndirs; i++) {
        for (j = 0; j < scan->nwatches; j++) {
            if (strcmp(scan->watched[j], d->dirs[i]) == 0) {
                break;
            }
        }

        if (j == scan->nwatches
            && strcmp(d->dirs[i], w->jobs->cf->jobs.thumb_dir) != 0
            && strcmp(d->dirs[i], w->jobs->cf->jobs.card_dir) != 0
            && jr_scan_watch(scan, d->dirs[i]) != 0)
        {
            break;
        }
    }

    if (scan->rescan) {
        scan->rescan = 0;
        jr_scan_request(scan);

    } else if (d->fresh) {
        (void) uv_timer_start(&scan->debounce, jr_scan_debounced,
                              JR_SCAN_SETTLE, 0);
    }
}


static void
jr_scan_free_data(jr_work_t *w)
{
    size_t           i;
    jr_scan_data_t  *d;

    d = w->data;

    if (d == NULL) {
        return;
    }

    for (i = 0; i < d->nfiles; i++) {
        free(d->files[i].path);
    }

    for (i = 0; i < d->ndirs; i++) {
        free(d->dirs[i]);
    }

    free(d->files);
    free(d->dirs);
    free(d);
}


const jr_kind_t  jr_scan_kind = {
    .name = JR_TASK_THUMB_SCAN,
    .start = jr_scan_start,
    .stop = jr_scan_stop,
    .prepare = jr_scan_prepare,
    .work = jr_scan_work,
    .commit = jr_scan_commit,
    .done = jr_scan_done,
    .free = jr_scan_free_data
};
