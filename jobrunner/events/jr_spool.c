/*
 * Spool replay; see jr_spool.h.
 *
 * A file is mapped and walked in place.  Replay runs on the event loop:
 * a full 16 MB spool is about a hundred thousand records, well under a
 * second, and meanwhile the socket's queue holds what arrives (or the
 * workers spool it).
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "blog_event.h"
#include "core/jr_log.h"
#include "events/jr_spool.h"


enum {
    JR_SPOOL_OFFSET = 0,
    JR_SPOOL_FORGET,
    JR_SPOOL_LIST,
    JR_SPOOL_N
};

static const char *const  jr_spool_sql[JR_SPOOL_N] = {
    "SELECT offset FROM analytics_spools WHERE file = ?1",
    "DELETE FROM analytics_spools WHERE file = ?1",
    /* the files' rows; the socket has one too (jr_events.c) */
    "SELECT file FROM analytics_spools"
    " WHERE file >= 'events.' AND file < 'events/'"
};

struct jr_spool_s {
    sqlite3            *db;
    sqlite3_stmt       *stmt[JR_SPOOL_N];
    char               *dir;
    unsigned            batch;
    jr_analytics_t     *analytics;
    jr_spool_take_pt    take;
    void               *take_data;
    jr_spool_stats_t    stats;
};


static int jr_spool_replay(jr_spool_t *s, const char *name);
static int jr_spool_walk(jr_spool_t *s, const char *name,
    const unsigned char *p, int64_t size, int64_t offset);
static int jr_spool_ready(jr_spool_t *s, const char *name, char *ready,
    size_t len);
static void jr_spool_forget(jr_spool_t *s, const char *name);
static int jr_spool_path(jr_spool_t *s, const char *name, char *path);


jr_spool_t *
jr_spool_open(sqlite3 *db, const char *dir, unsigned batch, jr_analytics_t *a)
{
    int           i, rc;
    char          path[PATH_MAX];
    jr_spool_t   *s;
    struct stat   st;

    s = calloc(1, sizeof(jr_spool_t));
    if (s == NULL || (s->dir = strdup(dir)) == NULL) {
        jr_log(JR_LOG_ERROR, "spool: out of memory");
        free(s);
        return NULL;
    }

    s->db = db;
    s->batch = batch;
    s->analytics = a;

    for (i = 0; i < JR_SPOOL_N; i++) {
        if (sqlite3_prepare_v2(db, jr_spool_sql[i], -1, &s->stmt[i], NULL)
            != SQLITE_OK)
        {
            jr_log(JR_LOG_ERROR, "spool: cannot prepare: %s",
                   sqlite3_errmsg(db));
            jr_spool_close(s);
            return NULL;
        }
    }

    /*
     * A row whose file is gone is a file read to its end and deleted just
     * before a crash: its name may come again one day, and must start at 0.
     */
    while ((rc = sqlite3_step(s->stmt[JR_SPOOL_LIST])) == SQLITE_ROW) {
        if (jr_spool_path(s, (const char *) sqlite3_column_text(
                              s->stmt[JR_SPOOL_LIST], 0), path) == 0
            && stat(path, &st) != 0 && errno == ENOENT)
        {
            jr_spool_forget(s, (const char *) sqlite3_column_text(
                                   s->stmt[JR_SPOOL_LIST], 0));
        }
    }

    sqlite3_reset(s->stmt[JR_SPOOL_LIST]);

    if (rc != SQLITE_DONE) {
        jr_log(JR_LOG_ERROR, "spool: cannot list offsets: %s",
               sqlite3_errmsg(db));
        jr_spool_close(s);
        return NULL;
    }

    return s;
}


int
jr_spool_scan(jr_spool_t *s)
{
    int             rc;
    DIR            *dir;
    char            ready[NAME_MAX + 1], path[PATH_MAX];
    size_t          len;
    struct stat     st;
    struct dirent  *de;

    /* a failed spool batch is discarded: keep the socket's batch out of it */
    if (jr_analytics_flush(s->analytics, NULL, 0) != 0) {
        return -1;
    }

    dir = opendir(s->dir);
    if (dir == NULL) {
        jr_log(JR_LOG_ERROR, "spool: cannot open \"%s\": %s", s->dir,
               strerror(errno));
        return -1;
    }

    rc = 0;
    s->stats.backlog_files = 0;
    s->stats.backlog_bytes = 0;

    while ((de = readdir(dir)) != NULL) {
        len = strlen(de->d_name);

        if (len < sizeof("events..spool") || strncmp(de->d_name, "events.", 7))
        {
            continue;
        }

        if (len > 6 && strcmp(de->d_name + len - 6, ".ready") == 0) {
            if (jr_spool_replay(s, de->d_name) != 0) {
                rc = -1;
            }

            continue;
        }

        if (strcmp(de->d_name + len - 6, ".spool") != 0) {
            continue;
        }

        switch (jr_spool_ready(s, de->d_name, ready, sizeof(ready))) {

        case 0:
            if (jr_spool_replay(s, ready) != 0) {
                rc = -1;
            }
            break;

        case 1:
            /* a live worker's: counted once it hands the file over */
            if (jr_spool_path(s, de->d_name, path) == 0
                && stat(path, &st) == 0)
            {
                s->stats.backlog_files++;
                s->stats.backlog_bytes += st.st_size;
            }
            break;

        default:
            rc = -1;
        }
    }

    closedir(dir);

    return rc;
}


/*
 * events.PID.spool: 1 while worker PID lives; 0 when it is gone, after
 * renaming the file to a .ready name in ready; -1 on an error.
 */
static int
jr_spool_ready(jr_spool_t *s, const char *name, char *ready, size_t len)
{
    long            pid;
    char           *end, from[PATH_MAX], to[PATH_MAX];
    struct timeval  tv;

    pid = strtol(name + 7, &end, 10);

    if (pid <= 0 || strcmp(end, ".spool") != 0) {
        return 1;
    }

    /* EPERM: alive, as another user */
    if (kill((pid_t) pid, 0) == 0 || errno != ESRCH) {
        return 1;
    }

    gettimeofday(&tv, NULL);
    snprintf(ready, len, "events.%ld.%lld.ready", pid,
             (long long) tv.tv_sec * 1000 + tv.tv_usec / 1000);

    if (jr_spool_path(s, name, from) != 0 || jr_spool_path(s, ready, to) != 0) {
        return -1;
    }

    if (rename(from, to) != 0) {
        jr_log(JR_LOG_ERROR, "spool: cannot rename \"%s\": %s", from,
               strerror(errno));
        return -1;
    }

    jr_log(JR_LOG_INFO, "spool \"%s\" of exited worker %ld taken over", name,
           pid);

    return 0;
}


static int
jr_spool_replay(jr_spool_t *s, const char *name)
{
    int             fd, rc;
    char            path[PATH_MAX];
    int64_t         offset;
    struct stat     st;
    unsigned char  *p;
    sqlite3_stmt   *stmt;

    if (jr_spool_path(s, name, path) != 0) {
        return -1;
    }

    stmt = s->stmt[JR_SPOOL_OFFSET];
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    offset = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
    sqlite3_reset(stmt);

    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        jr_log(JR_LOG_ERROR, "spool: cannot read the offset of \"%s\": %s",
               name, sqlite3_errmsg(s->db));
        return -1;
    }

    if (s->take) {
        if (s->take(s->take_data, name, offset) != 0) {
            return -1;
        }

        /* gone from the spool: a row left by a crash here goes at start */
        jr_spool_forget(s, name);
        s->stats.files++;

        return 0;
    }

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1 || fstat(fd, &st) != 0) {
        jr_log(JR_LOG_ERROR, "spool: cannot open \"%s\": %s", path,
               strerror(errno));
        if (fd != -1) {
            close(fd);
        }
        return -1;
    }

    p = NULL;

    if (st.st_size > offset) {
        p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            jr_log(JR_LOG_ERROR, "spool: cannot map \"%s\": %s", path,
                   strerror(errno));
            close(fd);
            return -1;
        }
    }

    close(fd);

    rc = jr_spool_walk(s, name, p, st.st_size, offset);

    if (p) {
        munmap(p, st.st_size);
    }

    if (rc != 0) {
        s->stats.backlog_files++;
        s->stats.backlog_bytes += st.st_size;
        return -1;
    }

    /* read to its end and committed: the row goes after the file */
    if (unlink(path) != 0) {
        jr_log(JR_LOG_ERROR, "spool: cannot delete \"%s\": %s", path,
               strerror(errno));
        return -1;
    }

    jr_spool_forget(s, name);
    s->stats.files++;

    return 0;
}


/* Counts the records of the file from offset, a batch at a time. */
static int
jr_spool_walk(jr_spool_t *s, const char *name, const unsigned char *p,
    int64_t size, int64_t offset)
{
    int                   rc;
    size_t                len, pos;
    int64_t               start;
    unsigned              n;
    const unsigned char  *rec;

    start = offset;
    pos = (size_t) offset;
    n = 0;

    while ((rc = blog_event_next(p, (size_t) size, &pos, &rec, &len)) == 1) {
        if (jr_analytics_add(s->analytics, rec, len) < 0) {
            jr_analytics_discard(s->analytics);
            return -1;
        }

        s->stats.records++;

        if (++n == s->batch) {
            /* the file goes on: its views may wait for its last batch */
            if (pos < (size_t) size) {
                jr_analytics_backlog(s->analytics);
            }

            if (jr_analytics_flush(s->analytics, name, (int64_t) pos) != 0) {
                jr_analytics_discard(s->analytics);
                return -1;
            }

            n = 0;
        }
    }

    if (rc < 0) {
        jr_log(JR_LOG_WARN, "spool \"%s\": %lld bytes of a cut record at "
               "its end skipped", name, (long long) (size - (int64_t) pos));
        jr_analytics_corrupt(s->analytics);
    }

    if (jr_analytics_flush(s->analytics, name, size) != 0) {
        jr_analytics_discard(s->analytics);
        return -1;
    }

    jr_log(JR_LOG_INFO, "spool \"%s\" replayed: %lld bytes", name,
           (long long) (size - start));

    return 0;
}


static void
jr_spool_forget(jr_spool_t *s, const char *name)
{
    sqlite3_stmt  *stmt;

    stmt = s->stmt[JR_SPOOL_FORGET];
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_TRANSIENT);

    if (sqlite3_step(stmt) != SQLITE_DONE) {
        /* harmless: the row is forgotten at the next start */
        jr_log(JR_LOG_WARN, "spool: cannot forget \"%s\": %s", name,
               sqlite3_errmsg(s->db));
    }

    sqlite3_reset(stmt);
}


static int
jr_spool_path(jr_spool_t *s, const char *name, char *path)
{
    int  n;

    n = snprintf(path, PATH_MAX, "%s/%s", s->dir, name);
    if (n < 0 || n >= PATH_MAX) {
        jr_log(JR_LOG_ERROR, "spool: path of \"%s\" too long", name);
        return -1;
    }

    return 0;
}


void
jr_spool_handoff(jr_spool_t *s, jr_spool_take_pt take, void *data)
{
    s->take = take;
    s->take_data = data;
}


const jr_spool_stats_t *
jr_spool_stats(jr_spool_t *s)
{
    return &s->stats;
}


void
jr_spool_close(jr_spool_t *s)
{
    int  i;

    if (s == NULL) {
        return;
    }

    for (i = 0; i < JR_SPOOL_N; i++) {
        sqlite3_finalize(s->stmt[i]);
    }

    free(s->dir);
    free(s);
}
