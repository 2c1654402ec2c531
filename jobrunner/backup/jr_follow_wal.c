/*
 * Replica mode, the thread's half: the bucket read, the primary's frames
 * checked and appended to the local WAL, published to readers.  See
 * jr_follow.h for the protocol and docs/replica.md for why it is sound.
 *
 * The wal-index (data.db-shm) as sqlite.org/walformat.html documents it:
 * two copies of a 48-byte header at offset 0 (a reader that finds them
 * different or not initialized rebuilds the index from the WAL file, under
 * the write lock), mxFrame at offset 16 of each, and the locks, one byte
 * each from offset 120: the write lock first.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backup/jr_follow_int.h"
#include "core/jr_log.h"
#include "backup/jr_bucket.h"


#define JR_SHM_HDR_BYTES        96      /* both copies of the header */
#define JR_SHM_MXFRAME          16
#define JR_SHM_WRITE_LOCK       120

#define JR_FOLLOW_BUSY_MS       5000
#define JR_FOLLOW_OUT_MAX       ((size_t) 16 << 20)     /* then publish */
#define JR_FOLLOW_GEN_MS        1000    /* between looks for a generation */
#define JR_FOLLOW_MAX_SEGMENT   ((size_t) 1 << 30)
#define JR_FOLLOW_GAP           (-2)    /* an announcement does not follow */
#define JR_FOLLOW_WATCH_SHARE   4       /* watching: wait a quarter of the
                                           quiet time (at most watch_max) */
#define JR_FOLLOW_COLD_TRIES    12      /* a cold start's restores: 3 min, */
#define JR_FOLLOW_COLD_MS       500     /* the wait between doubled */
#define JR_FOLLOW_COLD_MAX_MS   30000   /* from 0.5 s up to 30 s */
#define JR_FOLLOW_PROBE_KEYS    100     /* keys of a look: the segments of
                                           10 s of writes (interval_ms) */


static int jr_follow_restore(jr_follow_t *f, int cold);
static int jr_follow_restore_cold(jr_follow_t *f);
static int jr_follow_resync(jr_follow_t *f);
static int jr_follow_publish(jr_follow_t *f, int force);
static void jr_follow_tlog(jr_follow_t *f, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));


/*
 * Queues a log line for the loop, which writes it: the thread never logs
 * itself.
 */
static void
jr_follow_tlog(jr_follow_t *f, int level, const char *fmt, ...)
{
    va_list  ap;

    uv_mutex_lock(&f->mu);

    if (f->nlogs == JR_FOLLOW_LOGS) {
        f->logs_lost++;

    } else {
        va_start(ap, fmt);
        vsnprintf(f->logs[f->nlogs], JR_FOLLOW_LOGLEN, fmt, ap);
        va_end(ap);
        f->log_levels[f->nlogs++] = level;
    }

    uv_mutex_unlock(&f->mu);

    if (f->started) {
        (void) uv_async_send(&f->async);
    }
}


static int
jr_follow_stopping(jr_follow_t *f)
{
    int  stopping;

    uv_mutex_lock(&f->mu);
    stopping = f->stopping;
    uv_mutex_unlock(&f->mu);

    return stopping;
}


/* The position, for metrics. */
static void
jr_follow_shown(jr_follow_t *f)
{
    uv_mutex_lock(&f->mu);
    memcpy(f->gen, f->pos.gen, sizeof(f->gen));
    f->index = f->pos.index;
    f->offset = f->pos.offset;
    uv_mutex_unlock(&f->mu);
}


/* --- the saved position: local_dir/state -------------------------------- */

/*
 * One line: generation, the primary's index and offset, M, then its
 * chain (whether any, page size, sequence, salts, header checksums, byte
 * order, running checksums).  Written to a temporary file, fsynced,
 * renamed: a crash leaves the old one or the new one.
 */
static int
jr_follow_save(jr_follow_t *f)
{
    int                    fd, rc;
    char                  *tmp, line[512];
    size_t                 len;
    const jr_wal_chain_t  *c;

    c = &f->pos.chain;

    len = (size_t) snprintf(line, sizeof(line),
                            "%s %u %llu %llu %d %u %u %u %u %u %u %d %u %u\n",
                            f->pos.gen, f->pos.index,
                            (unsigned long long) f->pos.offset,
                            (unsigned long long) f->pos.ms, f->pos.has_chain,
                            c->hdr.page_size, c->hdr.seq, c->hdr.salt1,
                            c->hdr.salt2, c->hdr.ck1, c->hdr.ck2,
                            c->hdr.big_endian, c->ck1, c->ck2);

    if (asprintf(&tmp, "%s.tmp", f->state_path) < 0) {
        return -1;
    }

    rc = -1;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    if (fd != -1) {
        if (write(fd, line, len) == (ssize_t) len && fsync(fd) == 0) {
            rc = 0;
        }

        if (close(fd) != 0) {
            rc = -1;
        }
    }

    if (rc == 0 && rename(tmp, f->state_path) != 0) {
        rc = -1;
    }

    if (rc != 0) {
        jr_follow_tlog(f, JR_LOG_ERROR, "cannot save %s: %s", f->state_path,
                       strerror(errno));
        (void) unlink(tmp);
    }

    free(tmp);

    return rc;
}


/* 1 with f->pos, 0 when there is none, -1 when it is unreadable. */
static int
jr_follow_load(jr_follow_t *f)
{
    int                 n;
    char                gen[64];
    FILE               *fp;
    unsigned long long  offset, ms;
    jr_restore_pos_t    p;
    jr_wal_chain_t     *c;

    fp = fopen(f->state_path, "re");
    if (fp == NULL) {
        return errno == ENOENT ? 0 : -1;
    }

    memset(&p, 0, sizeof(p));
    c = &p.chain;

    n = fscanf(fp, "%63s %u %llu %llu %d %u %u %u %u %u %u %d %u %u", gen,
               &p.index, &offset, &ms, &p.has_chain, &c->hdr.page_size,
               &c->hdr.seq, &c->hdr.salt1, &c->hdr.salt2, &c->hdr.ck1,
               &c->hdr.ck2, &c->hdr.big_endian, &c->ck1, &c->ck2);
    fclose(fp);

    if (n != 14 || strlen(gen) != JR_BUCKET_GEN_LEN) {
        jr_follow_tlog(f, JR_LOG_ERROR, "%s is damaged: starting from a "
                       "restore", f->state_path);
        return 0;
    }

    memcpy(p.gen, gen, sizeof(p.gen));
    p.offset = offset;
    p.ms = ms;
    f->pos = p;

    return 1;
}


/* --- the local WAL ------------------------------------------------------- */

/*
 * Reads data.db-wal: its chain up to the last commit, which SQLite's
 * recovery counts too; what follows is a transaction cut by a crash,
 * overwritten by the next append.
 */
static int
jr_follow_scan(jr_follow_t *f)
{
    long             commit;
    size_t           fs;
    uint32_t         pgno, frames;
    uint64_t         pos;
    struct stat      st;
    jr_wal_hdr_t     h;
    jr_wal_chain_t   c;
    unsigned char   *buf;

    memset(&f->wal, 0, sizeof(f->wal));

    if (fstat(f->wal_fd, &st) != 0) {
        return -1;
    }

    if (st.st_size < JR_WAL_HDR) {
        return 0;
    }

    buf = malloc((size_t) st.st_size);
    if (buf == NULL) {
        return -1;
    }

    if (pread(f->wal_fd, buf, (size_t) st.st_size, 0) != st.st_size) {
        free(buf);
        return -1;
    }

    if (jr_wal_header(buf, (size_t) st.st_size, &h) != 0
        || h.page_size != f->page_size)
    {
        free(buf);
        return 0;
    }

    jr_wal_chain_init(&c, &h);
    f->wal.valid = 1;
    f->wal.chain = c;
    f->wal.end = JR_WAL_HDR;
    f->wal.seq = h.seq + 1;
    fs = jr_wal_frame_size(&h);
    frames = 0;

    for (pos = JR_WAL_HDR; pos + fs <= (uint64_t) st.st_size; pos += fs) {
        commit = jr_wal_frame(&c, buf + pos, &pgno);
        if (commit < 0) {
            break;
        }

        frames++;

        if (commit > 0) {
            f->wal.chain = c;
            f->wal.end = pos + fs;
            f->wal.frames = frames;
        }
    }

    free(buf);

    return 0;
}


/* Room for n more bytes in f->out. */
static int
jr_follow_room(jr_follow_t *f, size_t n)
{
    size_t          size;
    unsigned char  *grown;

    if (f->out_len + n <= f->out_size) {
        return 0;
    }

    size = f->out_size ? f->out_size : 1 << 20;

    while (size < f->out_len + n) {
        size *= 2;
    }

    grown = realloc(f->out, size);
    if (grown == NULL) {
        return -1;
    }

    f->out = grown;
    f->out_size = size;

    return 0;
}


/* The write lock of the WAL, as SQLite takes it, for at most busy ms. */
static int
jr_follow_lock(jr_follow_t *f, int type)
{
    int              i;
    struct flock     fl;
    struct timespec  ts = { 0, 1000000 };

    for (i = 0; i < JR_FOLLOW_BUSY_MS; i++) {
        memset(&fl, 0, sizeof(fl));
        fl.l_type = (short) type;
        fl.l_whence = SEEK_SET;
        fl.l_start = JR_SHM_WRITE_LOCK;
        fl.l_len = 1;

        /*
         * An open file description's lock: it conflicts with SQLite's
         * POSIX locks in this process too, and no close() of another
         * descriptor of the file drops it.
         */
        if (fcntl(f->shm_fd, F_OFD_SETLK, &fl) == 0) {
            return 0;
        }

        if (errno != EAGAIN && errno != EACCES && errno != EINTR) {
            break;
        }

        nanosleep(&ts, NULL);
    }

    jr_follow_tlog(f, JR_LOG_ERROR, "cannot lock %s: %s", f->shm_path,
                   strerror(errno));

    return -1;
}


/*
 * Appends f->out to the local WAL and makes readers see it (see
 * jr_follow.h).  With force and nothing to append, the wal-index is
 * rebuilt all the same (after a start: frames a crash left unpublished).
 */
static int
jr_follow_publish(jr_follow_t *f, int force)
{
    int            rc;
    uint32_t       mx;
    static const unsigned char  zero[JR_SHM_HDR_BYTES];

    if (f->out_len == 0 && !force) {
        return 0;
    }

    if (jr_follow_lock(f, F_WRLCK) != 0) {
        return -1;
    }

    rc = 0;

    /*
     * Only this thread appends to the WAL: another count of frames in the
     * wal-index means a writer on this node (blogctl, an admin panel not
     * proxied to the primary).  Its pages must not outlive it: restored.
     */
    if (!force
        && (pread(f->shm_fd, &mx, sizeof(mx), JR_SHM_MXFRAME)
                != (ssize_t) sizeof(mx)
            || mx != f->published))
    {
        (void) jr_follow_lock(f, F_UNLCK);
        jr_follow_tlog(f, JR_LOG_ERROR, "data.db was written on this "
                       "replica (%u frames in its WAL, %u published here): "
                       "restoring it; writes belong on the primary", mx,
                       f->published);
        f->written = 1;
        return -1;
    }

    if (f->out_len
        && (pwrite(f->wal_fd, f->out, f->out_len, (off_t) f->wal.end)
                != (ssize_t) f->out_len
            || fdatasync(f->wal_fd) != 0))
    {
        jr_follow_tlog(f, JR_LOG_ERROR, "cannot write %s: %s", f->wal_path,
                       strerror(errno));
        rc = -1;
    }

    if (rc == 0
        && pwrite(f->shm_fd, zero, sizeof(zero), 0) != (ssize_t) sizeof(zero))
    {
        jr_follow_tlog(f, JR_LOG_ERROR, "cannot write %s: %s", f->shm_path,
                       strerror(errno));
        rc = -1;
    }

    (void) jr_follow_lock(f, F_UNLCK);

    if (rc != 0) {
        return -1;
    }

    f->wal.end += f->out_len;
    f->out_len = 0;

    /* the recovery here, not in an nginx worker */
    rc = sqlite3_exec(f->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL,
                      NULL);
    if (rc != SQLITE_OK) {
        jr_follow_tlog(f, JR_LOG_ERROR, "cannot read data.db: %s",
                       sqlite3_errmsg(f->db));
        return -1;
    }

    /* SQLite must have counted every frame we appended */
    if (pread(f->shm_fd, &mx, sizeof(mx), JR_SHM_MXFRAME)
        != (ssize_t) sizeof(mx))
    {
        return -1;
    }

    if (mx != f->wal.frames) {
        jr_follow_tlog(f, JR_LOG_ERROR, "SQLite counts %u frames in %s, "
                       "%u were written", mx, f->wal_path, f->wal.frames);
        return -1;
    }

    f->published = mx;

    return 0;
}


/* The local WAL checkpointed into data.db and emptied, once it is long. */
static void
jr_follow_checkpoint(jr_follow_t *f, int always)
{
    int          rc, nlog, nckpt;
    struct stat  st;

    if (!f->wal.valid || (!always && f->wal.frames < f->rc->checkpoint_pages))
    {
        return;
    }

    /* waits, with the busy timeout, for readers to leave the WAL */
    rc = sqlite3_wal_checkpoint_v2(f->db, "main", SQLITE_CHECKPOINT_TRUNCATE,
                                   &nlog, &nckpt);
    if (rc != SQLITE_OK || fstat(f->wal_fd, &st) != 0 || st.st_size != 0) {
        jr_follow_tlog(f, JR_LOG_WARN, "checkpoint of %s: %s; tried again "
                       "later", f->wal_path,
                       rc != SQLITE_OK ? sqlite3_errmsg(f->db)
                                       : "the WAL was not emptied");
        return;
    }

    jr_follow_tlog(f, JR_LOG_DEBUG, "checkpoint: %d frames into data.db",
                   nckpt);

    f->wal.valid = 0;
    f->wal.end = 0;
    f->wal.frames = 0;
    f->published = 0;

    uv_mutex_lock(&f->mu);
    f->checkpoints++;
    uv_mutex_unlock(&f->mu);
}


/* The next local frame: a header first when the WAL starts anew. */
static unsigned char *
jr_follow_frame(jr_follow_t *f)
{
    size_t        fs;
    jr_wal_hdr_t  h;

    fs = JR_WAL_FRAME + f->page_size;

    if (jr_follow_room(f, JR_WAL_HDR + fs) != 0) {
        return NULL;
    }

    if (!f->wal.valid) {
        memset(&h, 0, sizeof(h));
        h.page_size = f->page_size;
        h.seq = f->wal.seq;

        /* new salts: no frame of an earlier WAL continues this one */
        if (getrandom(&h.salt1, sizeof(h.salt1), 0) != sizeof(h.salt1)
            || getrandom(&h.salt2, sizeof(h.salt2), 0) != sizeof(h.salt2))
        {
            return NULL;
        }

        jr_wal_header_make(f->out + f->out_len, &h);
        jr_wal_chain_init(&f->wal.chain, &h);
        f->wal.valid = 1;
        f->wal.end = 0;
        f->wal.seq = h.seq + 1;
        f->out_len += JR_WAL_HDR;
    }

    f->out_len += fs;

    return f->out + f->out_len - fs;
}


/* --- the bucket ---------------------------------------------------------- */

/*
 * Applies one segment of the primary's WAL from the position on: every
 * frame checked against the primary's chain, each transaction appended to
 * f->out as local frames when its commit frame comes.  Returns 0, or -1
 * (the chain broken: a resync, then a restore if a new generation came).
 */
static int
jr_follow_segment(jr_follow_t *f, const char *key,
    const jr_bucket_name_t *n)
{
    int                    rc;
    long                   commit;
    size_t                 fs, skip, mark_len;
    uint32_t               pgno, frames;
    uint64_t               pos;
    jr_s3_req_t           *req;
    jr_wal_hdr_t           h;
    jr_wal_chain_t         chain;
    jr_follow_wal_t        mark;
    unsigned char         *p, *end, *frame;
    const jr_s3_result_t  *res;

    req = jr_s3_get_req(f->s3, key);
    if (req == NULL) {
        return -1;
    }

    jr_s3_req_max_body(req, JR_FOLLOW_MAX_SEGMENT);

    if (jr_s3_perform(req) != 0) {
        res = jr_s3_result(req);
        jr_follow_tlog(f, JR_LOG_WARN, "cannot download %s: %s: %s", key,
                       res->code, res->message);
        jr_s3_req_free(req);
        return -1;
    }

    res = jr_s3_result(req);
    p = res->body;
    end = p + res->body_len;
    pos = n->offset;
    rc = -1;
    mark = f->wal;
    mark_len = f->out_len;
    chain = f->pos.chain;

    if (!f->pos.has_chain) {
        if (jr_wal_header(p, res->body_len, &h) != 0
            || h.page_size != f->page_size)
        {
            jr_follow_tlog(f, JR_LOG_ERROR, "%s does not start with a WAL "
                           "header of data.db's page size", key);
            goto done;
        }

        jr_wal_chain_init(&f->pos.chain, &h);
        chain = f->pos.chain;
        f->pos.has_chain = 1;
        f->pos.index = n->index;
        f->pos.offset = JR_WAL_HDR;
        p += JR_WAL_HDR;
        pos = JR_WAL_HDR;

    } else {
        /* a copy made twice (a crash between file and position): once */
        skip = (size_t) (f->pos.offset - n->offset);
        p += skip;
        pos += skip;
    }

    fs = jr_wal_frame_size(&f->pos.chain.hdr);
    frames = 0;

    for ( ; p + fs <= end; p += fs, pos += fs) {
        commit = jr_wal_frame(&f->pos.chain, p, &pgno);
        if (commit < 0) {
            jr_follow_tlog(f, JR_LOG_ERROR, "%s: frame at %llu does not "
                           "continue the chain", key,
                           (unsigned long long) pos);
            goto done;
        }

        frame = jr_follow_frame(f);
        if (frame == NULL) {
            jr_follow_tlog(f, JR_LOG_ERROR, "out of memory");
            goto done;
        }

        memcpy(frame + JR_WAL_FRAME, p + JR_WAL_FRAME, f->page_size);
        jr_wal_frame_make(&f->wal.chain, frame, pgno, (uint32_t) commit);
        frames++;

        if (commit == 0) {
            continue;
        }

        f->wal.frames += frames;
        frames = 0;
        mark = f->wal;
        mark_len = f->out_len;
        chain = f->pos.chain;

        f->pos.offset = pos + fs;
        f->pos.ms = n->ms;

        uv_mutex_lock(&f->mu);
        f->transactions++;
        uv_mutex_unlock(&f->mu);
    }

    rc = 0;

done:

    /*
     * Frames of no commit are not appended, and the chain goes back to
     * the last commit: a body that ends inside a transaction (an object
     * read while it was being stored, on some servers) is taken again
     * from there.
     */
    f->wal = mark;
    f->out_len = mark_len;
    f->pos.chain = chain;

    if (rc == 0) {
        uv_mutex_lock(&f->mu);
        f->segments++;
        uv_mutex_unlock(&f->mu);
    }

    jr_s3_req_free(req);

    return rc;
}


/* Frames in f->out appended and published, the position saved. */
static int
jr_follow_commit(jr_follow_t *f)
{
    uint64_t  now, lag;

    if (f->out_len == 0) {
        return 0;
    }

    if (jr_follow_publish(f, 0) != 0 || jr_follow_save(f) != 0) {
        return -1;
    }

    now = jr_bucket_now_ms();
    lag = now > f->pos.ms ? now - f->pos.ms : 0;

    uv_mutex_lock(&f->mu);
    f->copied_ms = f->pos.ms;
    f->delay_ms = lag;
    uv_mutex_unlock(&f->mu);

    jr_follow_shown(f);

    jr_follow_tlog(f, JR_LOG_DEBUG, "applied up to index %u offset %llu, "
                   "lag %llu ms", f->pos.index,
                   (unsigned long long) f->pos.offset,
                   (unsigned long long) lag);

    jr_follow_checkpoint(f, 0);

    return 0;
}


/* key: a segment at or before the position; the probe lists after it. */
static void
jr_follow_seen(jr_follow_t *f, const char *key)
{
    char  *copy;

    copy = strdup(key);

    /* without it the next probe lists from the index's start: no harm */
    free(f->seen);
    f->seen = copy;
}


/* The position moved by other means than segments: seen no longer known. */
static void
jr_follow_unseen(jr_follow_t *f)
{
    free(f->seen);
    f->seen = NULL;
}


/*
 * The segments of index in list (a listing, in key order: offset order)
 * past the position, applied in order up to a gap.  Returns how many, or
 * -1.
 */
static int
jr_follow_apply(jr_follow_t *f, uint32_t index, const jr_s3_list_t *list)
{
    int                 applied, rc;
    size_t              i;
    jr_bucket_name_t   n;

    applied = 0;
    rc = 0;

    for (i = 0; i < list->nobjects && !jr_follow_stopping(f); i++) {
        if (jr_bucket_parse(f->rc->prefix, list->objects[i].key, &n) != 0
            || n.kind != JR_BUCKET_SEGMENT || n.index != index
            || strcmp(n.gen, f->pos.gen) != 0)
        {
            continue;
        }

        if (index != f->pos.index) {
            /* the first segment of the primary's next WAL */
            if (n.offset != 0) {
                break;
            }

            f->pos.index = index;
            f->pos.offset = 0;
            f->pos.has_chain = 0;
        }

        if (f->pos.has_chain
            && n.offset + list->objects[i].size <= f->pos.offset)
        {
            jr_follow_seen(f, list->objects[i].key);
            continue;                               /* applied before */
        }

        if ((f->pos.has_chain && n.offset > f->pos.offset)
            || (!f->pos.has_chain && n.offset != 0))
        {
            break;                                  /* a gap: next poll */
        }

        if (jr_follow_segment(f, list->objects[i].key, &n) != 0) {
            rc = -1;
            break;
        }

        jr_follow_seen(f, list->objects[i].key);
        applied++;

        if (f->out_len >= JR_FOLLOW_OUT_MAX && jr_follow_commit(f) != 0) {
            rc = -1;
            break;
        }
    }

    /* the transactions before a bad segment are good */
    if (jr_follow_commit(f) != 0) {
        rc = -1;
    }

    return rc < 0 ? -1 : applied;
}


/* The segments of index past the position: listed, applied.  n or -1. */
static int
jr_follow_index(jr_follow_t *f, uint32_t index)
{
    int                 n;
    char               *prefix;
    jr_s3_list_t        list;
    jr_s3_result_t      res;

    if (asprintf(&prefix, "%s/%s/wal/%08x-", f->rc->prefix, f->pos.gen,
                 index) < 0)
    {
        return -1;
    }

    memset(&list, 0, sizeof(list));

    if (jr_s3_list_all_sync(f->s3, prefix, &list, &res) != 0) {
        jr_follow_tlog(f, JR_LOG_WARN, "cannot list %s: %s: %s", prefix,
                       res.code, res.message);
        free(prefix);
        return -1;
    }

    free(prefix);

    n = jr_follow_apply(f, index, &list);

    jr_s3_list_free(&list);

    return n;
}


/*
 * Whether the primary has begun a generation newer than ours with a
 * complete snapshot: then ours has ended, and only a restore goes on.
 * 1, 0, or -1.
 */
static int
jr_follow_newer(jr_follow_t *f)
{
    int                   rc;
    char                 *prefix, *newest;
    size_t                i, len;
    jr_s3_req_t          *req;
    jr_s3_list_t          list;
    jr_s3_result_t        res;
    const jr_s3_result_t *r;

    if (asprintf(&prefix, "%s/", f->rc->prefix) < 0) {
        return -1;
    }

    req = jr_s3_list_req(f->s3, prefix, "/", NULL, 1000);
    if (req == NULL) {
        free(prefix);
        return -1;
    }

    rc = -1;
    newest = NULL;
    len = strlen(prefix);

    if (jr_s3_perform(req) != 0) {
        r = jr_s3_result(req);
        jr_follow_tlog(f, JR_LOG_WARN, "cannot list %s: %s: %s", prefix,
                       r->code, r->message);
        goto done;
    }

    /* "PREFIX/GEN/": generations sort by their start */
    r = jr_s3_result(req);

    for (i = 0; i < r->list.nprefixes; i++) {
        if (strlen(r->list.prefixes[i]) == len + JR_BUCKET_GEN_LEN + 1
            && strncmp(r->list.prefixes[i] + len, f->pos.gen,
                       JR_BUCKET_GEN_LEN) > 0
            && (newest == NULL || strcmp(r->list.prefixes[i], newest) > 0))
        {
            newest = r->list.prefixes[i];
        }
    }

    rc = 0;

    if (newest == NULL) {
        goto done;
    }

    free(prefix);
    if (asprintf(&prefix, "%ssnapshots/", newest) < 0) {
        prefix = NULL;
        rc = -1;
        goto done;
    }

    memset(&list, 0, sizeof(list));

    if (jr_s3_list_all_sync(f->s3, prefix, &list, &res) != 0) {
        rc = -1;
        goto done;
    }

    for (i = 0; i < list.nobjects; i++) {
        len = strlen(list.objects[i].key);
        if (len > 3 && strcmp(list.objects[i].key + len - 3, ".ok") == 0) {
            rc = 1;
        }
    }

    jr_s3_list_free(&list);

done:

    free(prefix);
    jr_s3_req_free(req);

    return rc;
}


/* Whether the primary's WAL index has its first segment: 1, 0 or -1. */
static int
jr_follow_begun(jr_follow_t *f, uint32_t index)
{
    int                    rc;
    char                  *prefix;
    jr_s3_req_t           *req;
    const jr_s3_result_t  *r;

    if (asprintf(&prefix, "%s/%s/wal/%08x-000000000000-", f->rc->prefix,
                 f->pos.gen, index) < 0)
    {
        return -1;
    }

    req = jr_s3_list_req(f->s3, prefix, NULL, NULL, 1);
    if (req == NULL) {
        free(prefix);
        return -1;
    }

    rc = -1;

    if (jr_s3_perform(req) == 0) {
        rc = jr_s3_result(req)->list.nobjects > 0;

    } else {
        r = jr_s3_result(req);
        jr_follow_tlog(f, JR_LOG_WARN, "cannot list %s: %s: %s", prefix,
                       r->code, r->message);
    }

    free(prefix);
    jr_s3_req_free(req);

    return rc;
}


/*
 * Whether the bucket has a key past the last segment seen: one LIST after
 * it, under the whole prefix.  Keys sort in replay order, so its first
 * key is the next segment of this index, the first of the next one, or a
 * newer generation's: whatever jr_follow_poll() would find with its two
 * or three listings; while writes come, its keys are the new segments.
 * 1 (*out: the request, its listing to read, to free), 0 (nothing new)
 * or -1.
 */
static int
jr_follow_probe(jr_follow_t *f, jr_s3_req_t **out)
{
    int                    rc;
    char                  *prefix, *after;
    jr_s3_req_t           *req;
    const jr_s3_result_t  *r;

    *out = NULL;

    if (asprintf(&prefix, "%s/", f->rc->prefix) < 0) {
        return -1;
    }

    if (f->seen) {
        after = strdup(f->seen);

    } else if (asprintf(&after, "%s/%s/wal/%08x-", f->rc->prefix,
                        f->pos.gen, f->pos.index) < 0)
    {
        after = NULL;
    }

    req = after ? jr_s3_list_req(f->s3, prefix, NULL, NULL,
                                 JR_FOLLOW_PROBE_KEYS)
                : NULL;

    if (req == NULL || jr_s3_list_start_after(req, after) != 0) {
        jr_follow_tlog(f, JR_LOG_WARN, "out of memory");
        jr_s3_req_free(req);
        free(prefix);
        free(after);
        return -1;
    }

    rc = -1;

    if (jr_s3_perform(req) == 0) {
        r = jr_s3_result(req);

        /* PREFIX/hot/ sorts after every generation: nothing to replay */
        rc = r->list.nobjects > 0
             && !(strncmp(r->list.objects[0].key, prefix, strlen(prefix))
                  == 0
                  && strncmp(r->list.objects[0].key + strlen(prefix), "hot/",
                             4) == 0);

    } else {
        r = jr_s3_result(req);
        jr_follow_tlog(f, JR_LOG_WARN, "cannot list %s after %s: %s: %s",
                       prefix, after, r->code, r->message);
    }

    free(prefix);
    free(after);

    if (rc == 1) {
        *out = req;

    } else {
        jr_s3_req_free(req);
    }

    return rc;
}


/*
 * Whether a listing after the last segment seen holds the whole news:
 * segments of the current index only (and the hot databases' copies, which
 * sort after them), all of them on its page.
 */
static int
jr_follow_complete(jr_follow_t *f, const jr_s3_list_t *list)
{
    size_t             i, len;
    jr_bucket_name_t   n;

    if (list->truncated) {
        return 0;
    }

    len = strlen(f->rc->prefix);

    for (i = 0; i < list->nobjects; i++) {
        if (strncmp(list->objects[i].key, f->rc->prefix, len) == 0
            && strncmp(list->objects[i].key + len, "/hot/", 5) == 0)
        {
            continue;
        }

        if (jr_bucket_parse(f->rc->prefix, list->objects[i].key, &n) != 0
            || n.kind != JR_BUCKET_SEGMENT || n.index != f->pos.index
            || strcmp(n.gen, f->pos.gen) != 0)
        {
            return 0;
        }
    }

    return 1;
}


/*
 * One look at the bucket.  2: something was applied and more may wait,
 * 1: something was applied and the look saw nothing more, 0: none, -1.
 */
static int
jr_follow_poll(jr_follow_t *f)
{
    int           n, rc, complete;
    uint64_t      now;
    jr_s3_req_t  *req;

    if (f->written) {
        if (jr_follow_restore(f, 0) != 0) {
            return -1;
        }

        f->written = 0;
    }

    if (f->resync) {
        if (jr_follow_resync(f) != 0) {
            return -1;
        }

        jr_follow_unseen(f);
    }

    now = jr_bucket_now_ms();

    /* an idle poll is this one request */
    rc = jr_follow_probe(f, &req);

    if (rc <= 0) {
        if (rc == 0) {
            uv_mutex_lock(&f->mu);
            f->ok_ms = now;
            uv_mutex_unlock(&f->mu);
        }

        return rc;
    }

    /* while writes come, so is a look that finds them */
    n = jr_follow_apply(f, f->pos.index, &jr_s3_result(req)->list);
    complete = jr_follow_complete(f, &jr_s3_result(req)->list);
    jr_s3_req_free(req);

    if (n < 0) {
        return -1;
    }

    if (n > 0 && complete) {
        uv_mutex_lock(&f->mu);
        f->ok_ms = now;
        uv_mutex_unlock(&f->mu);

        return 1;
    }

    if (n == 0) {
        n = jr_follow_index(f, f->pos.index);
    }

    if (n == 0) {
        rc = jr_follow_begun(f, f->pos.index + 1);

        /*
         * The primary's next WAL has begun, so the current one has ended:
         * its last segments went up before the next one's first, perhaps
         * after the listing above.  The current index is listed again,
         * to its end, before the next one is applied.
         */
        if (rc > 0) {
            n = jr_follow_index(f, f->pos.index);

            if (n >= 0) {
                n = jr_follow_index(f, f->pos.index + 1);
            }

        } else {
            n = rc;
        }
    }

    if (n < 0) {
        return -1;
    }

    now = jr_bucket_now_ms();

    if (n == 0 && now >= f->gen_checked + JR_FOLLOW_GEN_MS) {
        f->gen_checked = now;

        rc = jr_follow_newer(f);
        if (rc < 0) {
            return -1;
        }

        if (rc > 0) {
            jr_follow_tlog(f, JR_LOG_NOTICE, "the primary began a new "
                           "generation after %s: restoring", f->pos.gen);

            if (jr_follow_restore(f, 0) != 0) {
                return -1;
            }

            n = 1;
        }
    }

    uv_mutex_lock(&f->mu);
    f->ok_ms = now;
    uv_mutex_unlock(&f->mu);

    return n > 0 ? 2 : 0;
}


static int
jr_follow_ann_cmp(const void *a, const void *b)
{
    return strcmp((*(jr_follow_ann_t * const *) a)->key,
                  (*(jr_follow_ann_t * const *) b)->key);
}


/*
 * Segments the primary announced (jr_follow_nats.c), fetched by name in
 * key order (the replay order: announcements that came out of order are
 * put back in it): each one whose PREV is the last segment applied
 * (seen) is applied, one at or before seen is skipped.  Returns how many
 * were applied, JR_FOLLOW_GAP when one does not follow (one was missed,
 * or the position was not reached by a listing: the thread lists), or -1.
 */
static int
jr_follow_announced(jr_follow_t *f, jr_follow_ann_t *list)
{
    int                 rc, applied, current;
    size_t              i, n;
    jr_follow_ann_t    *a, **v;
    jr_bucket_name_t   name;

    for (n = 0, a = list; a; a = a->next) {
        n++;
    }

    v = malloc(n * sizeof(jr_follow_ann_t *));
    if (v == NULL) {
        return JR_FOLLOW_GAP;
    }

    for (i = 0, a = list; a; a = a->next) {
        v[i++] = a;
    }

    qsort(v, n, sizeof(jr_follow_ann_t *), jr_follow_ann_cmp);

    rc = 0;
    applied = 0;
    current = 0;

    for (i = 0; i < n && !jr_follow_stopping(f); i++) {
        a = v[i];

        /* another primary's, on the same subject */
        if (jr_bucket_parse(f->rc->prefix, a->key, &name) != 0) {
            continue;
        }

        /*
         * A snapshot's marker: the primary has nothing of its generation
         * past the snapshot (jr_backup_announce_marker), so a replica of
         * that generation is current; of another, it must look.
         */
        if (name.kind == JR_BUCKET_SNAPSHOT_OK) {
            if (strcmp(name.gen, f->pos.gen) != 0) {
                rc = JR_FOLLOW_GAP;
                break;
            }

            current++;
            continue;
        }

        if (name.kind != JR_BUCKET_SEGMENT) {
            continue;
        }

        if (f->seen && strcmp(a->key, f->seen) <= 0) {
            /* applied before: the primary's heartbeat says we are current */
            current++;
            continue;
        }

        if (f->seen == NULL || a->prev == NULL
            || strcmp(a->prev, f->seen) != 0
            || strcmp(name.gen, f->pos.gen) != 0)
        {
            rc = JR_FOLLOW_GAP;
            break;
        }

        if (name.index != f->pos.index) {
            /* PREV was the last segment of the current WAL */
            if (name.index != f->pos.index + 1 || name.offset != 0) {
                rc = JR_FOLLOW_GAP;
                break;
            }

            f->pos.index = name.index;
            f->pos.offset = 0;
            f->pos.has_chain = 0;

        } else if (f->pos.has_chain ? name.offset > f->pos.offset
                                    : name.offset != 0)
        {
            rc = JR_FOLLOW_GAP;
            break;
        }

        if (jr_follow_segment(f, a->key, &name) != 0) {
            rc = -1;
            break;
        }

        jr_follow_seen(f, a->key);
        applied++;

        if (f->out_len >= JR_FOLLOW_OUT_MAX && jr_follow_commit(f) != 0) {
            rc = -1;
            break;
        }
    }

    free(v);

    /* the transactions before a bad segment are good */
    if (jr_follow_commit(f) != 0) {
        rc = -1;
    }

    if (applied || (current && rc == 0)) {
        uv_mutex_lock(&f->mu);
        f->ann_applied += applied;
        f->ann_current += current;
        f->ok_ms = jr_bucket_now_ms();
        uv_mutex_unlock(&f->mu);
    }

    return rc < 0 ? rc : applied;
}


/*
 * Whether PREFIX/.wake names a segment past the position that it did not
 * name at the last look: then a listing is due.  1, 0 (no news: also when
 * the primary never wrote it) or -1.
 */
static int
jr_follow_wake(jr_follow_t *f)
{
    int                    rc, cmp;
    char                  *key, *body, *nl;
    jr_s3_req_t           *req;
    jr_bucket_name_t       n;
    const jr_s3_result_t  *r;

    key = jr_bucket_wake_key(f->rc->prefix);
    req = key ? jr_s3_get_req(f->s3, key) : NULL;

    if (req == NULL) {
        free(key);
        jr_follow_tlog(f, JR_LOG_WARN, "out of memory");
        return -1;
    }

    /* one key and a newline */
    jr_s3_req_max_body(req, 1024);

    rc = -1;

    if (jr_s3_perform(req) != 0) {
        r = jr_s3_result(req);

        if (r->status == 404) {
            rc = 0;

        } else {
            jr_follow_tlog(f, JR_LOG_WARN, "cannot read %s: %s: %s", key,
                           r->code, r->message);
        }

        goto done;
    }

    r = jr_s3_result(req);
    body = (char *) r->body;
    rc = 0;

    if (body == NULL) {
        goto done;
    }

    nl = strchr(body, '\n');
    if (nl) {
        *nl = '\0';
    }

    /* the same as last time: acted on already */
    if (f->woken && strcmp(f->woken, body) == 0) {
        goto done;
    }

    if (jr_bucket_parse(f->rc->prefix, body, &n) != 0
        || n.kind != JR_BUCKET_SEGMENT)
    {
        goto done;
    }

    cmp = strcmp(n.gen, f->pos.gen);

    rc = cmp > 0
         || (cmp == 0 && (n.index > f->pos.index
                          || (n.index == f->pos.index
                              && n.offset >= f->pos.offset)));

    if (rc) {
        free(f->woken);
        f->woken = strdup(body);
    }

done:

    free(key);
    jr_s3_req_free(req);

    return rc;
}


/*
 * How long a watching follower waits before it reads .wake again, quiet
 * ms after its last find: a quarter of that time, from watch_ms up to
 * watch_max_ms.  A write after a quiet time of T is so seen within T / 4
 * (at most watch_max_ms), and a quiet hour costs 3600 s / watch_max_ms
 * requests and a few more while the wait grows (about 14 from watch_ms
 * to watch_max_ms with the defaults: each wait is 1.25 times the one
 * before).  A find starts it again from watch_ms.
 */
static uint64_t
jr_follow_watch_wait(const jr_replica_conf_t *rc, uint64_t quiet)
{
    uint64_t  wait;

    wait = quiet / JR_FOLLOW_WATCH_SHARE;

    if (wait > rc->watch_max_ms) {
        wait = rc->watch_max_ms;
    }

    return wait < rc->watch_ms ? rc->watch_ms : wait;
}


/*
 * Without announcements, the thread polls: at once while catching up,
 * after poll_ms when nothing came, and from a second after the last find
 * on, doubled after each empty poll up to poll_max_ms, since every look
 * is a request billed (and back to poll_ms once something came); after an
 * error, five times poll_ms.  Once it
 * has found nothing for JR_BUCKET_WATCH_MS, it reads PREFIX/.wake instead
 * (a GET, a tenth of a LIST's price), backing off as the quiet time goes
 * on (jr_follow_watch_wait), and lists when that names a segment it has
 * not applied, or poll_max_ms after its last listing (in case the
 * primary could not write it).
 *
 * While announcements come (ann_live), it polls only to catch up (at the
 * start, after a gap), then waits for them: a segment announced is
 * fetched by name, with no LIST; when none came for poll_max_ms, one poll
 * makes sure none was missed.
 */
void
jr_follow_thread(void *arg)
{
    int               rc, live, poll, wake;
    uint64_t          wait, idle, now, found, listed;
    jr_follow_t      *f = arg;
    jr_follow_ann_t  *ann;

    idle = f->rc->poll_ms;
    poll = 1;
    wake = 0;
    found = jr_bucket_now_ms();
    listed = found;

    uv_mutex_lock(&f->mu);

    while (!f->stopping) {
        ann = f->ann;
        f->ann = NULL;
        f->ann_tail = NULL;
        f->nann = 0;
        live = f->ann_live;

        if (f->ann_lost || !live) {
            f->ann_lost = 0;
            poll = 1;
        }

        if (live) {
            wake = 0;
        }

        uv_mutex_unlock(&f->mu);

        rc = 0;

        if (!poll && ann) {
            rc = f->written || f->resync ? JR_FOLLOW_GAP
                                         : jr_follow_announced(f, ann);
            if (rc == JR_FOLLOW_GAP) {
                poll = 1;
            }
        }

        jr_follow_ann_free(ann);

        /* a local write to undo, the state to read again: a poll does */
        if (f->written || f->resync) {
            wake = 0;
        }

        if (poll && wake) {
            rc = jr_follow_wake(f);

            if (rc == 0) {
                uv_mutex_lock(&f->mu);
                f->ok_ms = jr_bucket_now_ms();
                uv_mutex_unlock(&f->mu);
            }

            wake = rc == 0;
        }

        if (poll && !wake) {
            rc = jr_follow_poll(f);
            listed = jr_bucket_now_ms();
        }

        if (rc < 0) {
            /* the saved state and the WAL are what is sure */
            f->resync = 1;
            f->out_len = 0;
        }

        now = jr_bucket_now_ms();

        uv_mutex_lock(&f->mu);

        if (rc < 0) {
            f->errors++;
        }

        if (poll && live) {
            f->ann_polls++;
        }

        if (f->stopping) {
            break;
        }

        if (rc < 0) {
            wake = 0;
            (void) uv_cond_timedwait(&f->cond, &f->mu,
                                     (uint64_t) f->rc->poll_ms * 5 * 1000000);
            poll = 1;

        } else if (live) {
            /* a poll that found something: more may wait */
            poll = poll && rc > 1;

            if (!poll && f->ann == NULL && !f->ann_lost) {
                (void) uv_cond_timedwait(&f->cond, &f->mu,
                                         (uint64_t) f->rc->poll_max_ms
                                         * 1000000);

                /* nothing heard for that long: look, in case */
                poll = f->ann == NULL && !f->ann_lost;
            }

        } else if (rc > 0) {
            idle = f->rc->poll_ms;
            found = now;

            /* the look saw the end: the next segment is interval_ms away */
            if (rc == 1) {
                (void) uv_cond_timedwait(&f->cond, &f->mu,
                                         (uint64_t) f->rc->poll_ms
                                         * 1000000);
            }

        } else if (f->rc->watch_ms && f->rc->watch_ms < f->rc->poll_max_ms
                   && now >= found + JR_BUCKET_WATCH_MS)
        {
            /* the primary writes .wake for what it stores from now on */
            wait = jr_follow_watch_wait(f->rc, now - found);
            (void) uv_cond_timedwait(&f->cond, &f->mu, wait * 1000000);
            wake = jr_bucket_now_ms() < listed + f->rc->poll_max_ms;

        } else if (now < found + JR_BUCKET_WAKE_MS) {
            /*
             * Within a second of a find: while writes come the primary
             * stores a segment every interval_ms, so a gap is its
             * checkpoint (up to half a second), not the end of them.
             */
            (void) uv_cond_timedwait(&f->cond, &f->mu,
                                     (uint64_t) f->rc->poll_ms * 1000000);

        } else {
            wait = idle;
            (void) uv_cond_timedwait(&f->cond, &f->mu, wait * 1000000);
            idle = idle * 2 > f->rc->poll_max_ms ? f->rc->poll_max_ms
                                                 : idle * 2;
        }
    }

    uv_mutex_unlock(&f->mu);
}


/* --- start, restore ------------------------------------------------------ */

/* The saved position and the local WAL read again, the index rebuilt. */
static int
jr_follow_resync(jr_follow_t *f)
{
    if (jr_follow_load(f) != 1) {
        jr_follow_tlog(f, JR_LOG_ERROR, "cannot read %s", f->state_path);
        return -1;
    }

    if (jr_follow_lock(f, F_WRLCK) != 0) {
        return -1;
    }

    f->out_len = 0;

    if (jr_follow_scan(f) != 0) {
        (void) jr_follow_lock(f, F_UNLCK);
        jr_follow_tlog(f, JR_LOG_ERROR, "cannot read %s: %s", f->wal_path,
                       strerror(errno));
        return -1;
    }

    /* a transaction a crash cut short: gone before anything follows it */
    if (f->wal.valid && ftruncate(f->wal_fd, (off_t) f->wal.end) != 0) {
        (void) jr_follow_lock(f, F_UNLCK);
        jr_follow_tlog(f, JR_LOG_ERROR, "cannot truncate %s: %s",
                       f->wal_path, strerror(errno));
        return -1;
    }

    (void) jr_follow_lock(f, F_UNLCK);

    if (jr_follow_publish(f, 1) != 0) {
        return -1;
    }

    f->resync = 0;
    jr_follow_shown(f);

    return 0;
}


/* Opens data.db for the thread, and its -wal and -shm. */
static int
jr_follow_connect(jr_follow_t *f)
{
    int            rc;
    sqlite3_stmt  *stmt;
    const char    *mode;

    rc = sqlite3_open_v2(f->cf->data_db, &f->db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_busy_timeout(f->db, JR_FOLLOW_BUSY_MS);
    }

    if (rc == SQLITE_OK) {
        rc = sqlite3_prepare_v2(f->db, "PRAGMA journal_mode", -1, &stmt,
                                NULL);
    }

    if (rc != SQLITE_OK) {
        jr_follow_tlog(f, JR_LOG_ERROR, "cannot open %s: %s", f->cf->data_db,
                       f->db ? sqlite3_errmsg(f->db) : sqlite3_errstr(rc));
        return -1;
    }

    /* the first read: SQLite opens -wal and -shm */
    rc = sqlite3_step(stmt);
    mode = rc == SQLITE_ROW ? (const char *) sqlite3_column_text(stmt, 0)
                            : NULL;

    if (mode == NULL || strcmp(mode, "wal") != 0) {
        jr_follow_tlog(f, JR_LOG_ERROR, "%s is not in WAL mode (%s)",
                       f->cf->data_db, mode ? mode : sqlite3_errmsg(f->db));
        sqlite3_finalize(stmt);
        return -1;
    }

    sqlite3_finalize(stmt);

    rc = sqlite3_prepare_v2(f->db, "PRAGMA page_size", -1, &stmt, NULL);
    if (rc != SQLITE_OK || sqlite3_step(stmt) != SQLITE_ROW) {
        jr_follow_tlog(f, JR_LOG_ERROR, "cannot read %s: %s", f->cf->data_db,
                       sqlite3_errmsg(f->db));
        sqlite3_finalize(stmt);
        return -1;
    }

    f->page_size = (uint32_t) sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);

    f->wal_fd = open(f->wal_path, O_RDWR | O_CLOEXEC);
    f->shm_fd = open(f->shm_path, O_RDWR | O_CLOEXEC);

    if (f->wal_fd == -1 || f->shm_fd == -1) {
        jr_follow_tlog(f, JR_LOG_ERROR, "cannot open %s: %s",
                       f->wal_fd == -1 ? f->wal_path : f->shm_path,
                       strerror(errno));
        return -1;
    }

    return 0;
}


/* What jr_restore_from() says, as log lines. */
static void
jr_follow_relog(jr_follow_t *f, char *text, int level)
{
    char  *line, *save;

    for (line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save))
    {
        jr_follow_tlog(f, level, "%s", line);
    }
}


/*
 * The latest state of the bucket: renamed into place when there is no
 * data.db (cold), copied into the live file with SQLite's backup API
 * otherwise, as one transaction readers see whole.
 */
static int
jr_follow_restore(jr_follow_t *f, int cold)
{
    int               rc;
    char             *text;
    FILE             *out;
    size_t            len;
    sqlite3          *src;
    sqlite3_backup   *bk;
    jr_restore_pos_t  pos;

    text = NULL;
    out = open_memstream(&text, &len);
    if (out == NULL) {
        return -1;
    }

    if (cold) {
        /* what a deleted data.db left must not be taken for its WAL */
        (void) unlink(f->wal_path);
        (void) unlink(f->shm_path);
    }

    rc = jr_restore_from(f->s3, f->cf->s3.bucket, f->rc->prefix,
                         cold ? f->cf->data_db : f->restore_path, 0, out,
                         &pos);
    fclose(out);
    jr_follow_relog(f, text, rc == 0 ? JR_LOG_INFO : JR_LOG_ERROR);
    free(text);

    if (rc != 0) {
        return -1;
    }

    if (!cold) {
        src = NULL;
        rc = sqlite3_open_v2(f->restore_path, &src, SQLITE_OPEN_READONLY,
                             NULL);

        if (rc == SQLITE_OK) {
            bk = sqlite3_backup_init(f->db, "main", src, "main");
            if (bk == NULL) {
                rc = sqlite3_errcode(f->db);

            } else {
                rc = sqlite3_backup_step(bk, -1);
                (void) sqlite3_backup_finish(bk);
                rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
            }
        }

        sqlite3_close(src);
        (void) unlink(f->restore_path);

        if (rc != SQLITE_OK) {
            jr_follow_tlog(f, JR_LOG_ERROR, "cannot copy the restored "
                           "database into %s: %s", f->cf->data_db,
                           sqlite3_errstr(rc));
            return -1;
        }
    }

    f->pos = pos;
    jr_follow_unseen(f);

    if (jr_follow_save(f) != 0) {
        return -1;
    }

    uv_mutex_lock(&f->mu);
    f->restores++;
    f->copied_ms = pos.ms;
    uv_mutex_unlock(&f->mu);

    if (!cold) {
        /* the backup wrote SQLite's frames: the WAL is read again */
        if (jr_follow_resync(f) != 0) {
            return -1;
        }

        jr_follow_checkpoint(f, 1);
    }

    jr_follow_shown(f);

    jr_follow_tlog(f, JR_LOG_NOTICE, "restored generation %s up to index %u "
                   "offset %llu", pos.gen, pos.index,
                   (unsigned long long) pos.offset);

    return 0;
}


/*
 * The restore of a cold start, tried again while it fails: the primary
 * may have stored its first snapshot's ".ok" before the segments up to
 * its bound, or none yet, or the bucket may be away for a moment.  The
 * start waits (no pid file yet), as for the restore itself; a signal
 * ends it as it would any start (the loop has no handlers yet).
 */
static int
jr_follow_restore_cold(jr_follow_t *f)
{
    unsigned  i, wait;

    wait = JR_FOLLOW_COLD_MS;

    for (i = 1; ; i++) {
        if (jr_follow_restore(f, 1) == 0) {
            return 0;
        }

        if (i == JR_FOLLOW_COLD_TRIES) {
            jr_follow_tlog(f, JR_LOG_ERROR, "no restore of %s after %u "
                           "tries: giving up", f->cf->data_db, i);
            return -1;
        }

        jr_follow_tlog(f, JR_LOG_WARN, "cannot restore %s yet (try %u of "
                       "%u): trying again in %u ms", f->cf->data_db, i,
                       JR_FOLLOW_COLD_TRIES, wait);

        /* on the loop's thread, before it runs: its lines are written now */
        jr_follow_flush_logs(f);

        /* uv_sleep() sleeps the rest of the wait after a signal */
        uv_sleep(wait);

        wait = wait * 2 > JR_FOLLOW_COLD_MAX_MS ? JR_FOLLOW_COLD_MAX_MS
                                                : wait * 2;
    }
}


int
jr_follow_open(jr_follow_t *f)
{
    int          saved, cold;
    struct stat  st;

    cold = stat(f->cf->data_db, &st) != 0;
    saved = jr_follow_load(f);

    if (saved < 0) {
        jr_follow_tlog(f, JR_LOG_ERROR, "cannot read %s: %s", f->state_path,
                       strerror(errno));
        return -1;
    }

    if (cold) {
        jr_follow_tlog(f, JR_LOG_NOTICE, "no %s: restoring it",
                       f->cf->data_db);

        if (jr_follow_restore_cold(f) != 0) {
            return -1;
        }
    }

    if (jr_follow_connect(f) != 0) {
        return -1;
    }

    if (!cold && !saved) {
        jr_follow_tlog(f, JR_LOG_NOTICE, "no saved position in %s: "
                       "restoring %s", f->state_path, f->cf->data_db);

        /* jr_follow_restore() reads the WAL again */
        return jr_follow_restore(f, 0);
    }

    return jr_follow_resync(f);
}
