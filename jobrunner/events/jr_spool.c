/*
 * Spool replay; see jr_spool.h.
 *
 * A file is read into a buffer and walked there, a slice per loop turn: a
 * batch, or JR_SPOOL_SLICE_NS of reading if that ends first, committed
 * with the offset it reached.  A backlog of a million requests is seconds of CPU,
 * and between the slices the loop serves its timers, the metrics, the SSE
 * hub and the jobs.  Meanwhile the caller leaves the socket unread (its
 * queue holds what arrives, or the workers spool it), so the records are
 * counted in the order they were before.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "blog_event.h"
#include "core/jr_log.h"
#include "events/jr_spool.h"


/*
 * The reading a slice may take before it is committed short of a batch:
 * a batch of the default 10,000 records takes less.
 */
#define JR_SPOOL_SLICE_NS  100000000LL

/* records read between looks at the clock */
#define JR_SPOOL_CLOCK_EVERY  64

/*
 * The buffer a file is read into, a part at a time, and whose records are
 * counted where they are.  Reused from part to part, it stays in the CPU's
 * cache: a mapped file was a fresh page, a page fault and a cache miss per
 * record's field, every 4 KB.  It holds the longest frame (a 2-byte
 * length), so a frame it cannot hold whole runs past the file's end.
 */
#define JR_SPOOL_BUF  (256 * 1024)


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

/* The file being replayed, a part of it in the buffer. */
typedef struct {
    char                 name[NAME_MAX + 1];
    int                  fd;            /* -1: nothing past the offset */
    int64_t              size;
    int64_t              start;         /* the offset it was taken up at */
    int64_t              pos;           /* the next record's */
    int64_t              off;           /* the buffer's first byte's */
    size_t               have;          /* bytes in the buffer */
    unsigned             active:1;
} jr_spool_file_t;

struct jr_spool_s {
    sqlite3            *db;
    sqlite3_stmt       *stmt[JR_SPOOL_N];
    char               *dir;
    unsigned            batch;
    jr_analytics_t     *analytics;
    jr_spool_take_pt    take;
    void               *take_data;
    jr_spool_stats_t    stats;
    jr_spool_file_t     file;
    unsigned char      *buf;            /* JR_SPOOL_BUF bytes */
};


static int jr_spool_take_up(jr_spool_t *s, const char *name);
static int jr_spool_slice(jr_spool_t *s);
static int jr_spool_next(jr_spool_t *s, const unsigned char **rec,
    size_t *len);
static void jr_spool_put_down(jr_spool_t *s);
static void jr_spool_peek(jr_spool_t *s);
static int64_t jr_spool_ns(void);
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
    if (s == NULL || (s->dir = strdup(dir)) == NULL
        || (s->buf = malloc(JR_SPOOL_BUF)) == NULL)
    {
        jr_log(JR_LOG_ERROR, "spool: out of memory");
        if (s) {
            free(s->dir);
        }
        free(s);
        return NULL;
    }

    s->file.fd = -1;

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

    if (s->file.active) {
        return jr_spool_slice(s);
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
            if (jr_spool_take_up(s, de->d_name) != 0) {
                rc = -1;
            }

            continue;
        }

        if (strcmp(de->d_name + len - 6, ".spool") != 0) {
            continue;
        }

        switch (jr_spool_ready(s, de->d_name, ready, sizeof(ready))) {

        case 0:
            if (jr_spool_take_up(s, ready) != 0) {
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

    /* its first slice now; the files after it wait for the next scans */
    if (s->file.active) {
        return jr_spool_slice(s);
    }

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


/*
 * A ready file: handed over (a publisher's), or opened to be walked from
 * its offset if no other file is; else counted in the backlog.  Returns
 * 0, or -1 after logging why.
 */
static int
jr_spool_take_up(jr_spool_t *s, const char *name)
{
    int               fd, rc;
    char              path[PATH_MAX];
    int64_t           offset;
    struct stat       st;
    sqlite3_stmt     *stmt;
    jr_spool_file_t  *f;

    f = &s->file;

    if (jr_spool_path(s, name, path) != 0) {
        return -1;
    }

    if (f->active && !s->take) {
        if (stat(path, &st) == 0) {
            s->stats.backlog_files++;
            s->stats.backlog_bytes += st.st_size;
        }

        return 0;
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

    if (st.st_size <= offset) {
        close(fd);
        fd = -1;
    }

    /* names come from readdir(): at most NAME_MAX */
    snprintf(f->name, sizeof(f->name), "%s", name);
    f->fd = fd;
    f->size = st.st_size;
    f->start = offset;
    f->pos = offset;
    f->off = offset;
    f->have = 0;
    f->active = 1;

    s->stats.backlog_files++;
    s->stats.backlog_bytes += st.st_size > offset ? st.st_size - offset : 0;

    return 0;
}


/*
 * Counts the next records of the file being walked, a batch at most, and
 * commits them with the offset they reach.  Returns 1 while the spool has
 * more to do (the file goes on, or it is done and others may be ready), or
 * -1 when the file could not go on (logged; the next scan goes on from
 * its last committed offset).
 */
static int
jr_spool_slice(jr_spool_t *s)
{
    int                   rc;
    size_t                len;
    int64_t               deadline;
    unsigned              n;
    char                  path[PATH_MAX];
    jr_spool_file_t      *f;
    const unsigned char  *rec;

    f = &s->file;
    deadline = jr_spool_ns() + JR_SPOOL_SLICE_NS;
    n = 0;

    while ((rc = jr_spool_next(s, &rec, &len)) == 1) {
        jr_spool_peek(s);

        if (jr_analytics_add(s->analytics, rec, len) < 0) {
            goto failed;
        }

        s->stats.records++;

        if (++n == s->batch
            || (n % JR_SPOOL_CLOCK_EVERY == 0 && jr_spool_ns() > deadline))
        {
            break;
        }
    }

    if (rc == -2) {
        goto failed;
    }

    if (rc == 1 && f->pos < f->size) {
        if (jr_analytics_flush(s->analytics, f->name, f->pos) != 0) {
            goto failed;
        }

        return 1;
    }

    if (rc < 0) {
        jr_log(JR_LOG_WARN, "spool \"%s\": %lld bytes of a cut record at "
               "its end skipped", f->name,
               (long long) (f->size - f->pos));
        jr_analytics_corrupt(s->analytics);
    }

    if (jr_analytics_flush(s->analytics, f->name, f->size) != 0) {
        goto failed;
    }

    jr_log(JR_LOG_INFO, "spool \"%s\" replayed: %lld bytes", f->name,
           (long long) (f->size - f->start));

    jr_spool_put_down(s);

    /* read to its end and committed: the row goes after the file */
    if (jr_spool_path(s, f->name, path) != 0) {
        return -1;
    }

    if (unlink(path) != 0) {
        jr_log(JR_LOG_ERROR, "spool: cannot delete \"%s\": %s", path,
               strerror(errno));
        return -1;
    }

    jr_spool_forget(s, f->name);
    s->stats.files++;

    return 1;

failed:

    jr_analytics_discard(s->analytics);
    jr_spool_put_down(s);

    return -1;
}


/*
 * The next frame of the file being walked, as blog_event_next(): 1 and its
 * record, which stays in the buffer until the next call; 0 at the file's
 * end; -1 when a frame runs past it; -2 when the file cannot be read
 * (logged).  f->pos is then the next frame's offset.
 */
static int
jr_spool_next(jr_spool_t *s, const unsigned char **rec, size_t *len)
{
    int               rc;
    size_t            at, want;
    ssize_t           got;
    jr_spool_file_t  *f;

    f = &s->file;

    for ( ;; ) {
        at = (size_t) (f->pos - f->off);
        rc = blog_event_next(s->buf, f->have, &at, rec, len);

        if (rc == 1 || f->off + (int64_t) f->have >= f->size) {
            f->pos = f->off + (int64_t) at;
            return rc;
        }

        /* the part read is used up, or ends within a frame: the next part */
        memmove(s->buf, s->buf + at, f->have - at);
        f->have -= at;
        f->off += (int64_t) at;

        want = JR_SPOOL_BUF - f->have;
        if ((int64_t) want > f->size - f->off - (int64_t) f->have) {
            want = (size_t) (f->size - f->off - (int64_t) f->have);
        }

        got = pread(f->fd, s->buf + f->have, want,
                    f->off + (int64_t) f->have);

        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }

            jr_log(JR_LOG_ERROR, "spool: cannot read \"%s\": %s", f->name,
                   strerror(errno));
            return -2;
        }

        /* shorter than it was: what is left ends there */
        if (got == 0) {
            f->size = f->off + (int64_t) f->have;
        }

        f->have += (size_t) got;
    }
}


/*
 * Hands the record after the one jr_spool_next() returned to
 * jr_analytics_peek() when it is whole in the buffer: the next call then
 * returns it where it is, with the one before it still in place.
 */
static void
jr_spool_peek(jr_spool_t *s)
{
    size_t                at, len;
    const unsigned char  *rec;

    at = (size_t) (s->file.pos - s->file.off);

    if (blog_event_next(s->buf, s->file.have, &at, &rec, &len) != 1) {
        rec = NULL;
        len = 0;
    }

    jr_analytics_peek(s->analytics, rec, len);
}


/* The walked file closed; its name stays until the next is taken up. */
static void
jr_spool_put_down(jr_spool_t *s)
{
    jr_spool_file_t  *f;

    f = &s->file;

    if (f->fd != -1) {
        close(f->fd);
        f->fd = -1;
    }

    f->active = 0;
}


static int64_t
jr_spool_ns(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
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

    /* a file stopped mid-walk goes on from its offset at the next start */
    jr_spool_put_down(s);

    for (i = 0; i < JR_SPOOL_N; i++) {
        sqlite3_finalize(s->stmt[i]);
    }

    free(s->buf);
    free(s->dir);
    free(s);
}
