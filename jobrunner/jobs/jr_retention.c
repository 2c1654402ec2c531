/*
 * The "retention" job: in each [retention.NAME] folder, the regular files
 * matching its pattern and older (by mtime) than its max_age are deleted,
 * in a pool thread; then, on the loop, the done jobs older than
 * queue_keep_done.  Dead jobs stay until an admin retries or deletes them.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobs/jr_jobs.h"
#include "jobs/jr_kinds.h"
#include "core/jr_log.h"


typedef struct {
    time_t    now;
    size_t    deleted;
    size_t    failed;
    int       purged;
    char      note[256];        /* the first problem, for the log */
} jr_retention_t;


static int
jr_retention_prepare(jr_work_t *w)
{
    jr_retention_t  *r;

    r = calloc(1, sizeof(jr_retention_t));
    if (r == NULL) {
        jr_work_fail(w, 0, "out of memory");
        return -1;
    }

    r->now = time(NULL);
    w->data = r;

    return 0;
}


static void
jr_retention_note(jr_retention_t *r, const char *what, const char *path,
    int err)
{
    r->failed++;

    if (r->note[0] == '\0') {
        snprintf(r->note, sizeof(r->note), "cannot %s \"%.160s\": %s", what,
                 path, strerror(err));
    }
}


static void
jr_retention_dir(jr_retention_t *r, const jr_retention_conf_t *rc)
{
    int             fd;
    DIR            *dir;
    struct stat     st;
    struct dirent  *de;
    const char     *pattern;

    pattern = rc->pattern ? rc->pattern : "*";

    fd = open(rc->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    dir = fd == -1 ? NULL : fdopendir(fd);

    if (dir == NULL) {
        jr_retention_note(r, "read", rc->path, errno);

        if (fd != -1) {
            close(fd);
        }

        return;
    }

    while ((de = readdir(dir)) != NULL) {
        /* "*" does not match dot-files, as in a shell */
        if (fnmatch(pattern, de->d_name, FNM_PERIOD) != 0) {
            continue;
        }

        if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0
            || !S_ISREG(st.st_mode)
            || st.st_mtime > r->now - rc->max_age)
        {
            continue;
        }

        if (unlinkat(fd, de->d_name, 0) != 0) {
            jr_retention_note(r, "delete", de->d_name, errno);
            continue;
        }

        r->deleted++;
    }

    closedir(dir);
}


static void
jr_retention_work(jr_work_t *w)
{
    size_t                 i;
    jr_retention_t        *r;
    const jr_jobs_conf_t  *jc;

    r = w->data;
    jc = &w->jobs->cf->jobs;

    for (i = 0; i < jc->nretention; i++) {
        jr_retention_dir(r, &jc->retention[i]);
    }
}


static int
jr_retention_commit(jr_work_t *w, sqlite3 *db)
{
    jr_retention_t  *r;

    (void) db;

    r = w->data;
    r->purged = jr_queue_purge(&w->jobs->queue,
                               r->now - w->jobs->cf->jobs.queue_keep_done);

    return r->purged < 0 ? -1 : 0;
}


static void
jr_retention_done(jr_work_t *w)
{
    jr_retention_t  *r;

    r = w->data;

    if (r == NULL || w->failed) {
        return;
    }

    jr_log(r->deleted || r->purged ? JR_LOG_INFO : JR_LOG_DEBUG,
           "retention: %zu old file%s deleted, %d done job%s purged",
           r->deleted, r->deleted == 1 ? "" : "s", r->purged,
           r->purged == 1 ? "" : "s");

    /* a missing folder is a configuration problem, not a job to retry */
    if (r->failed) {
        jr_log(JR_LOG_WARN, "retention: %zu problem%s, first: %s", r->failed,
               r->failed == 1 ? "" : "s", r->note);
    }
}


static void
jr_retention_free(jr_work_t *w)
{
    free(w->data);
}


const jr_kind_t  jr_retention_kind = {
    .name = JR_TASK_RETENTION,
    .prepare = jr_retention_prepare,
    .work = jr_retention_work,
    .commit = jr_retention_commit,
    .done = jr_retention_done,
    .free = jr_retention_free
};
