/*
 * The outbox; see jr_outbox.h.
 *
 * Appends run on the event loop: one writev() of a datagram to a file in
 * the page cache, a few microseconds, as the nginx workers' own spool
 * writes are.  Reading and deleting the files is the publisher's, in the
 * thread pool.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "blog_event.h"
#include "core/jr_log.h"
#include "nats/jr_outbox.h"


/* SEQ numbers are written to nats.next this many at a time. */
#define JR_OUTBOX_RESERVE  1024


struct jr_outbox_s {
    char               *dir;
    int                 fd;           /* the open file, or -1 */
    jr_outbox_file_t    open;
    jr_outbox_file_t   *files;        /* closed, oldest first */
    size_t              nfiles;
    size_t              cap;
    uint64_t            next;         /* the next SEQ to hand out */
    uint64_t            reserved;     /* nats.next: SEQs below are used */
    int                 failing;      /* the last append failed */
    jr_outbox_stats_t   stats;
};


static int jr_outbox_scan(jr_outbox_t *o);
static int jr_outbox_seq(jr_outbox_t *o, uint64_t *seq);
static int jr_outbox_grow(jr_outbox_t *o);
static int jr_outbox_cmp(const void *a, const void *b);
static int jr_outbox_file(const jr_outbox_t *o, const char *name,
    char *path);


jr_outbox_t *
jr_outbox_open(const char *dir)
{
    FILE            *f;
    char             path[PATH_MAX];
    jr_outbox_t     *o;
    struct timeval   tv;
    unsigned long long  n;

    o = calloc(1, sizeof(jr_outbox_t));
    if (o == NULL || (o->dir = strdup(dir)) == NULL) {
        jr_log(JR_LOG_ERROR, "outbox: out of memory");
        free(o);
        return NULL;
    }

    o->fd = -1;

    if (jr_outbox_file(o, "nats.next", path) != 0) {
        jr_outbox_close(o);
        return NULL;
    }

    /*
     * Without nats.next (a new outbox, or one lost), numbers start from
     * the clock in microseconds: above any this node used before, unless
     * it made a file every microsecond.
     */
    f = fopen(path, "re");

    if (f != NULL && fscanf(f, "%llu", &n) == 1) {
        o->next = n;

    } else {
        gettimeofday(&tv, NULL);
        o->next = (uint64_t) tv.tv_sec * 1000000 + (uint64_t) tv.tv_usec;
    }

    if (f != NULL) {
        fclose(f);
    }

    if (jr_outbox_scan(o) != 0) {
        jr_outbox_close(o);
        return NULL;
    }

    if (o->nfiles && o->files[o->nfiles - 1].seq >= o->next) {
        o->next = o->files[o->nfiles - 1].seq + 1;
    }

    /* the first number handed out writes nats.next */
    o->reserved = o->next;

    if (o->nfiles) {
        jr_log(JR_LOG_INFO, "outbox: %zu files from an earlier run to "
               "publish", o->nfiles);
    }

    return o;
}


/* The files an earlier run left, sorted by SEQ. */
static int
jr_outbox_scan(jr_outbox_t *o)
{
    DIR               *dir;
    char              *end, path[PATH_MAX];
    struct stat        st;
    struct dirent     *de;
    jr_outbox_file_t   f;

    dir = opendir(o->dir);
    if (dir == NULL) {
        jr_log(JR_LOG_ERROR, "outbox: cannot open \"%s\": %s", o->dir,
               strerror(errno));
        return -1;
    }

    while ((de = readdir(dir)) != NULL) {
        if (strncmp(de->d_name, "nats.", 5) != 0
            || de->d_name[5] < '0' || de->d_name[5] > '9')
        {
            continue;
        }

        memset(&f, 0, sizeof(f));
        errno = 0;
        f.seq = strtoull(de->d_name + 5, &end, 10);

        if (errno || *end != '.' || end[1] < '0' || end[1] > '9') {
            continue;
        }

        f.start = strtoll(end + 1, &end, 10);

        if (errno || strcmp(end, ".out") != 0
            || jr_outbox_file(o, de->d_name, path) != 0
            || stat(path, &st) != 0)
        {
            continue;
        }

        f.size = st.st_size;
        f.sent = f.start;

        if (jr_outbox_grow(o) != 0) {
            closedir(dir);
            return -1;
        }

        o->files[o->nfiles++] = f;
    }

    closedir(dir);

    if (o->nfiles > 1) {
        qsort(o->files, o->nfiles, sizeof(jr_outbox_file_t), jr_outbox_cmp);
    }

    return 0;
}


static int
jr_outbox_cmp(const void *a, const void *b)
{
    const jr_outbox_file_t  *x = a, *y = b;

    return x->seq < y->seq ? -1 : x->seq > y->seq;
}


/*
 * The next SEQ.  nats.next is rewritten (write, then rename over) once per
 * JR_OUTBOX_RESERVE numbers, before any of them is used.
 */
static int
jr_outbox_seq(jr_outbox_t *o, uint64_t *seq)
{
    int    fd, n;
    char   buf[32], tmp[PATH_MAX], path[PATH_MAX];

    if (o->next == o->reserved) {
        if (jr_outbox_file(o, "nats.next.tmp", tmp) != 0
            || jr_outbox_file(o, "nats.next", path) != 0)
        {
            return -1;
        }

        n = snprintf(buf, sizeof(buf), "%llu\n",
                     (unsigned long long) (o->next + JR_OUTBOX_RESERVE));

        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        if (fd == -1 || write(fd, buf, n) != n || close(fd) != 0
            || rename(tmp, path) != 0)
        {
            jr_log(JR_LOG_ERROR, "outbox: cannot write \"%s\": %s", path,
                   strerror(errno));
            if (fd != -1) {
                (void) unlink(tmp);
            }
            return -1;
        }

        o->reserved = o->next + JR_OUTBOX_RESERVE;
    }

    *seq = o->next++;

    return 0;
}


int
jr_outbox_append(jr_outbox_t *o, const struct iovec *iov, int n,
    unsigned frames)
{
    int       i, err;
    char      path[PATH_MAX];
    size_t    len;
    ssize_t   w;

    len = 0;

    for (i = 0; i < n; i++) {
        len += iov[i].iov_len;
    }

    if (o->fd != -1 && o->open.size + (int64_t) len > JR_OUTBOX_FILE_MAX) {
        jr_outbox_seal(o);
    }

    if (o->fd == -1) {
        memset(&o->open, 0, sizeof(o->open));

        /* its place in the list is made now: sealing it cannot fail */
        if (jr_outbox_grow(o) != 0
            || jr_outbox_seq(o, &o->open.seq) != 0
            || jr_outbox_path(o, &o->open, path) != 0)
        {
            goto dropped;
        }

        o->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC,
                     0600);
        if (o->fd == -1) {
            err = errno;
            if (!o->failing) {
                jr_log(JR_LOG_ERROR, "outbox: cannot create \"%s\": %s",
                       path, strerror(err));
            }
            goto dropped;
        }
    }

    w = writev(o->fd, iov, n);

    if (w != (ssize_t) len) {
        err = w == -1 ? errno : ENOSPC;

        /* frames stay whole: a later append must not land mid-frame */
        if (w > 0 && ftruncate(o->fd, o->open.size) != 0) {
            jr_log(JR_LOG_ERROR, "outbox: cannot truncate file %llu: %s",
                   (unsigned long long) o->open.seq, strerror(errno));
            jr_outbox_seal(o);
        }

        if (!o->failing) {
            jr_log(JR_LOG_ERROR, "outbox: cannot write to file %llu: %s",
                   (unsigned long long) o->open.seq, strerror(err));
        }

        goto dropped;
    }

    o->open.size += len;

    if (o->failing) {
        jr_log(JR_LOG_INFO, "outbox: writing again, %llu frames dropped so "
               "far", (unsigned long long) o->stats.dropped);
        o->failing = 0;
    }

    return 0;

dropped:

    o->failing = 1;
    o->stats.dropped += frames;

    return -1;
}


int64_t
jr_outbox_pending(jr_outbox_t *o)
{
    return o->fd == -1 ? 0 : o->open.size;
}


void
jr_outbox_seal(jr_outbox_t *o)
{
    char  path[PATH_MAX];

    if (o->fd == -1) {
        return;
    }

    (void) close(o->fd);
    o->fd = -1;

    /* an empty file (its only write failed) is no message */
    if (o->open.size == 0) {
        if (jr_outbox_path(o, &o->open, path) == 0) {
            (void) unlink(path);
        }
        return;
    }

    o->files[o->nfiles++] = o->open;
}


int
jr_outbox_take(void *data, const char *name, int64_t offset)
{
    char               from[PATH_MAX], to[PATH_MAX];
    struct stat        st;
    jr_outbox_t       *o = data;
    jr_outbox_file_t   f;

    /* the open file's SEQ is lower: it goes first */
    jr_outbox_seal(o);

    memset(&f, 0, sizeof(f));
    f.start = offset;
    f.sent = offset;

    if (jr_outbox_grow(o) != 0
        || jr_outbox_seq(o, &f.seq) != 0
        || jr_outbox_file(o, name, from) != 0
        || jr_outbox_path(o, &f, to) != 0)
    {
        return -1;
    }

    if (rename(from, to) != 0 || stat(to, &st) != 0) {
        jr_log(JR_LOG_ERROR, "outbox: cannot move \"%s\" in: %s", from,
               strerror(errno));
        return -1;
    }

    f.size = st.st_size;

    o->files[o->nfiles++] = f;

    jr_log(JR_LOG_INFO, "spool \"%s\" moved to the outbox: %lld bytes", name,
           (long long) (f.size - offset));

    return 0;
}


/*
 * Room for one more file in the list, made before the file is: a file
 * published out of its SEQ order would be taken for a copy and dropped.
 */
static int
jr_outbox_grow(jr_outbox_t *o)
{
    size_t             cap;
    jr_outbox_file_t  *files;

    if (o->nfiles == o->cap) {
        cap = o->cap ? o->cap * 2 : 16;

        files = realloc(o->files, cap * sizeof(jr_outbox_file_t));
        if (files == NULL) {
            jr_log(JR_LOG_ERROR, "outbox: out of memory");
            return -1;
        }

        o->files = files;
        o->cap = cap;
    }

    return 0;
}


jr_outbox_file_t *
jr_outbox_files(jr_outbox_t *o, size_t *n)
{
    *n = o->nfiles;

    return o->files;
}


void
jr_outbox_done(jr_outbox_t *o, size_t done, int64_t sent)
{
    if (done > o->nfiles) {
        done = o->nfiles;
    }

    if (done) {
        o->nfiles -= done;
        memmove(o->files, o->files + done,
                o->nfiles * sizeof(jr_outbox_file_t));
    }

    if (o->nfiles && sent > o->files[0].sent) {
        o->files[0].sent = sent;
    }
}


int
jr_outbox_path(const jr_outbox_t *o, const jr_outbox_file_t *f, char *path)
{
    int  n;

    n = snprintf(path, PATH_MAX, "%s/nats.%llu.%lld.out", o->dir,
                 (unsigned long long) f->seq, (long long) f->start);

    return n > 0 && n < PATH_MAX ? 0 : -1;
}


static int
jr_outbox_file(const jr_outbox_t *o, const char *name, char *path)
{
    int  n;

    n = snprintf(path, PATH_MAX, "%s/%s", o->dir, name);
    if (n < 0 || n >= PATH_MAX) {
        jr_log(JR_LOG_ERROR, "outbox: path of \"%s\" too long", name);
        return -1;
    }

    return 0;
}


size_t
jr_outbox_chunk(const unsigned char *buf, size_t size, size_t off)
{
    size_t                pos, end, len;
    const unsigned char  *rec;

    pos = off;
    end = off;

    /* a frame is at most 2 + BLOG_EVENT_MAX bytes: the first always fits */
    while (blog_event_next(buf, size, &pos, &rec, &len) == 1
           && pos - off <= JR_OUTBOX_MSG_MAX)
    {
        end = pos;
    }

    return end;
}


const jr_outbox_stats_t *
jr_outbox_stats(jr_outbox_t *o)
{
    size_t  i;

    o->stats.files = o->nfiles;
    o->stats.bytes = 0;

    for (i = 0; i < o->nfiles; i++) {
        if (o->files[i].size > o->files[i].sent) {
            o->stats.bytes += o->files[i].size - o->files[i].sent;
        }
    }

    return &o->stats;
}


void
jr_outbox_close(jr_outbox_t *o)
{
    if (o == NULL) {
        return;
    }

    jr_outbox_seal(o);
    free(o->files);
    free(o->dir);
    free(o);
}
