/*
 * The backup thread: copies the WAL of data.db into segment files and
 * checkpoints; see jr_backup.h for why it is safe, docs/backup.md for
 * the whole design.
 *
 * Each look at the WAL (every interval_ms, or when the loop asks for one;
 * an upload done only has the next segment handed):
 *
 *   - the header is the one of the index being copied: the frames after
 *     the copied offset are checked (salts, running checksum) and those up
 *     to the last commit go into a new segment file;
 *   - the header is the next one (salt-1 plus one): the WAL was restarted.
 *     The old WAL's last frames are still in the file past the new WAL's,
 *     unless the new WAL has grown over them: they are copied, then the
 *     new index begins.  Since the read transaction is held, the WAL can
 *     be restarted at most once between two looks;
 *   - anything else: the chain is broken, a new generation begins.
 *
 * Every checkpoint_pages frames the thread checkpoints (RESTART, see
 * jr_backup_checkpoint()), then copies the last frames under the write
 * lock; the next writer restarts the WAL, which the next look follows.
 *
 * The position (generation, index, offset, the index's header and the
 * running checksum) is saved in local_dir/state after each segment,
 * segment first, both fsynced: after a crash the position is never ahead
 * of the segments.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup/jr_backup_int.h"
#include "core/jr_log.h"


#define JR_BACKUP_SEG_MAX   (16 << 20)     /* a segment ends at a commit
                                              past this many bytes */
#define JR_BACKUP_READ      (4 << 20)      /* WAL bytes read at once */
#define JR_BACKUP_RESTART_MS  500          /* a checkpoint waits for readers */

enum {
    JR_BACKUP_OK = 0,
    JR_BACKUP_BROKEN,                      /* a new generation is needed */
    JR_BACKUP_ERROR
};


void
jr_backup_tlog(jr_backup_t *b, int level, const char *fmt, ...)
{
    va_list  ap;

    uv_mutex_lock(&b->mu);

    if (b->nlogs == JR_BACKUP_LOGS) {
        b->logs_lost++;

    } else {
        va_start(ap, fmt);
        vsnprintf(b->logs[b->nlogs], JR_BACKUP_LOGLEN, fmt, ap);
        va_end(ap);
        b->log_levels[b->nlogs++] = level;
    }

    uv_mutex_unlock(&b->mu);
    uv_async_send(&b->async);
}


void
jr_backup_seg_free(jr_backup_seg_t *seg)
{
    if (seg) {
        free(seg->data);
        free(seg);
    }
}


/* --- files ---------------------------------------------------------- */

static int
jr_backup_fsync_dir(const char *dir)
{
    int  fd, rc;

    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1) {
        return -1;
    }

    rc = fsync(fd);
    close(fd);

    return rc;
}


/* Writes len bytes to path durably: a temporary file, fsync, rename. */
static int
jr_backup_write_file(const char *path, const char *dir, const void *data,
    size_t len)
{
    int          fd;
    char        *tmp;
    size_t       done;
    ssize_t      n;
    const char  *p;

    if (asprintf(&tmp, "%s.tmp", path) < 0) {
        return -1;
    }

    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd == -1) {
        free(tmp);
        return -1;
    }

    p = data;

    for (done = 0; done < len; done += (size_t) n) {
        n = write(fd, p + done, len - done);
        if (n < 0 && errno == EINTR) {
            n = 0;
            continue;
        }

        if (n <= 0) {
            close(fd);
            unlink(tmp);
            free(tmp);
            return -1;
        }
    }

    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0
        || jr_backup_fsync_dir(dir) != 0)
    {
        unlink(tmp);
        free(tmp);
        return -1;
    }

    free(tmp);

    return 0;
}


static void
jr_backup_hex(char *out, const unsigned char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        sprintf(out + 2 * i, "%02x", p[i]);
    }
}


static int
jr_backup_save(jr_backup_t *b)
{
    int               n;
    char              line[256], hex[2 * JR_WAL_HDR + 1];
    jr_backup_pos_t  *p;

    p = &b->pos;

    if (p->have_hdr) {
        jr_backup_hex(hex, p->hdr, JR_WAL_HDR);
    } else {
        strcpy(hex, "-");
    }

    n = snprintf(line, sizeof(line), "%s %u %llu %s %u %u %llu %d\n",
                 p->gen, p->index, (unsigned long long) p->offset, hex,
                 p->chain.ck1, p->chain.ck2,
                 (unsigned long long) p->snapshot_ms, p->sealed);

    if (jr_backup_write_file(b->state_path, b->bc->local_dir, line,
                             (size_t) n) != 0)
    {
        jr_backup_tlog(b, JR_LOG_ERROR, "backup: cannot write %s: %s",
                       b->state_path, strerror(errno));
        return -1;
    }

    return 0;
}


/* Reads local_dir/state.  Returns 0, or -1 when there is none valid. */
static int
jr_backup_load_state(jr_backup_t *b)
{
    FILE              *f;
    char               gen[64], hex[80];
    int                sealed;
    unsigned           index, ck1, ck2, i, byte;
    unsigned long long offset, snap;
    jr_wal_hdr_t       h;
    jr_backup_pos_t   *p;

    f = fopen(b->state_path, "re");
    if (f == NULL) {
        return -1;
    }

    p = &b->pos;
    memset(p, 0, sizeof(jr_backup_pos_t));

    if (fscanf(f, "%63s %u %llu %79s %u %u %llu %d", gen, &index, &offset,
               hex, &ck1, &ck2, &snap, &sealed) != 8
        || strlen(gen) != JR_BUCKET_GEN_LEN)
    {
        fclose(f);
        return -1;
    }

    fclose(f);

    memcpy(p->gen, gen, JR_BUCKET_GEN_LEN + 1);
    p->index = index;
    p->offset = offset;
    p->snapshot_ms = snap;
    p->sealed = sealed != 0;

    if (strcmp(hex, "-") != 0) {
        if (strlen(hex) != 2 * JR_WAL_HDR) {
            return -1;
        }

        for (i = 0; i < JR_WAL_HDR; i++) {
            if (sscanf(hex + 2 * i, "%2x", &byte) != 1) {
                return -1;
            }

            p->hdr[i] = (unsigned char) byte;
        }

        if (jr_wal_header(p->hdr, JR_WAL_HDR, &h) != 0) {
            return -1;
        }

        jr_wal_chain_init(&p->chain, &h);
        p->chain.ck1 = ck1;
        p->chain.ck2 = ck2;
        p->have_hdr = 1;
    }

    return p->have_hdr || p->offset == 0 ? 0 : -1;
}


/*
 * local_dir/announced: the last segment stored, as announced ("KEY SIZE
 * PREV"; or the snapshot marker of a generation with nothing past its
 * snapshot, jr_backup_announce_marker()), and the position (generation,
 * index, offset, checksums) when everything copied up to it was stored,
 * so that the next run repeats it
 * from its start (jr_backup_announce_resume) while it stores nothing new.
 * Written only when the copy is idle (a look found nothing new) or
 * stopping, never once per segment under writes: after a kill -9 under
 * writes it does not match the state and the next run repeats nothing
 * until it stores a segment (the replicas poll meanwhile).
 */
static void
jr_backup_save_announced(jr_backup_t *b)
{
    int               n;
    char             *text, *line;
    jr_backup_pos_t  *p;

    uv_mutex_lock(&b->mu);
    text = b->pending == NULL ? b->ann_text : NULL;
    if (text) {
        b->ann_text = NULL;
    }
    uv_mutex_unlock(&b->mu);

    if (text == NULL) {
        return;
    }

    p = &b->pos;

    /* one of an older generation, stored after a new one began, is not
       the newest of this one: nothing is saved, and a saved one of this
       generation no longer matches the position */
    if (!jr_bucket_of_gen(b->bc->prefix, text, p->gen)) {
        free(text);
        return;
    }

    n = asprintf(&line, "%s %s %u %llu %u %u\n", text, p->gen, p->index,
                 (unsigned long long) p->offset, p->chain.ck1, p->chain.ck2);
    free(text);

    if (n < 0) {
        return;
    }

    if (jr_backup_write_file(b->ann_path, b->bc->local_dir, line, (size_t) n)
        != 0)
    {
        jr_backup_tlog(b, JR_LOG_WARN, "backup: cannot write %s: %s; the "
                       "next run repeats no announcement until it stores "
                       "a segment", b->ann_path, strerror(errno));
    }

    free(line);
}


/*
 * At the start, with the saved position matched and nothing pending: the
 * saved announcement, for the loop to repeat, when it was saved at this
 * very position (so nothing was copied, let alone stored, after it).  A
 * file that is not that is logged and ignored.
 */
static void
jr_backup_load_announced(jr_backup_t *b)
{
    FILE              *f;
    char               key[256], prev[256], gen[64], *text;
    unsigned           index, ck1, ck2;
    unsigned long long size, offset;
    jr_backup_pos_t   *p;

    f = fopen(b->ann_path, "re");
    if (f == NULL) {
        if (errno != ENOENT) {
            jr_backup_tlog(b, JR_LOG_WARN, "backup: cannot read %s: %s",
                           b->ann_path, strerror(errno));
        }

        return;
    }

    p = &b->pos;

    if (fscanf(f, "%255s %llu %255s %63s %u %llu %u %u", key, &size, prev,
               gen, &index, &offset, &ck1, &ck2) != 8
        || !jr_bucket_of_gen(b->bc->prefix, key, gen))
    {
        fclose(f);
        jr_backup_tlog(b, JR_LOG_WARN, "backup: %s is not an announcement "
                       "(cut short?): ignored, none repeated until a "
                       "segment is stored", b->ann_path);
        return;
    }

    fclose(f);

    if (strcmp(gen, p->gen) != 0 || index != p->index || offset != p->offset
        || ck1 != p->chain.ck1 || ck2 != p->chain.ck2)
    {
        jr_backup_tlog(b, JR_LOG_INFO, "backup: the last announcement saved "
                       "(%s) is not of the current position: none repeated "
                       "until a segment is stored", key);
        return;
    }

    if (asprintf(&text, "%s %llu %s", key, size, prev) < 0) {
        return;
    }

    uv_mutex_lock(&b->mu);
    free(b->ann_resume);
    b->ann_resume = text;
    uv_mutex_unlock(&b->mu);

    uv_async_send(&b->async);
}


/* The segments left in local_dir/pending by an earlier run, in order. */
static int
jr_backup_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}


static int
jr_backup_scan_pending(jr_backup_t *b)
{
    DIR               *d;
    char             **names, **grown, *path;
    size_t             n, i, len;
    struct dirent     *de;
    jr_backup_seg_t   *seg;
    jr_bucket_name_t  rn;
    char               key[128];

    d = opendir(b->pending_dir);
    if (d == NULL) {
        return -1;
    }

    names = NULL;
    n = 0;

    while ((de = readdir(d)) != NULL) {
        len = strlen(de->d_name);

        /* a temporary file of a write cut short */
        if (len > 4 && strcmp(de->d_name + len - 4, ".tmp") == 0) {
            if (asprintf(&path, "%s/%s", b->pending_dir, de->d_name) > 0) {
                (void) unlink(path);
                free(path);
            }

            continue;
        }

        if (de->d_name[0] == '.') {
            continue;
        }

        grown = realloc(names, (n + 1) * sizeof(char *));
        if (grown == NULL || (grown[n] = strdup(de->d_name)) == NULL) {
            names = grown ? grown : names;
            break;
        }

        names = grown;
        n++;
    }

    closedir(d);

    if (n > 1) {
        qsort(names, n, sizeof(char *), jr_backup_name_cmp);
    }

    for (i = 0; i < n; i++) {
        /* "GEN_IIIIIIII-OOOOOOOOOOOO-MMMMMMMMMMMMM.wal" */
        snprintf(key, sizeof(key), "p/%.*s/wal/%s", JR_BUCKET_GEN_LEN,
                 names[i], names[i] + JR_BUCKET_GEN_LEN + 1);

        if (strlen(names[i]) <= JR_BUCKET_GEN_LEN + 1
            || names[i][JR_BUCKET_GEN_LEN] != '_'
            || jr_bucket_parse("p", key, &rn) != 0
            || (seg = calloc(1, sizeof(jr_backup_seg_t))) == NULL)
        {
            jr_backup_tlog(b, JR_LOG_WARN, "backup: %s/%s is not a segment, "
                           "left alone", b->pending_dir, names[i]);
            free(names[i]);
            continue;
        }

        memcpy(seg->gen, rn.gen, sizeof(seg->gen));
        snprintf(seg->file, sizeof(seg->file), "%s",
                 names[i] + JR_BUCKET_GEN_LEN + 1);
        seg->index = rn.index;
        seg->offset = rn.offset;
        seg->ms = rn.ms;
        seg->since_ms = rn.ms;

        if (b->pending_tail) {
            b->pending_tail->next = seg;
        } else {
            b->pending = seg;
        }

        b->pending_tail = seg;
        b->npending++;
        free(names[i]);
    }

    free(names);

    return 0;
}


int
jr_backup_load(jr_backup_t *b, jr_backup_seg_t *seg)
{
    int          fd;
    char        *path;
    ssize_t      n;
    struct stat  st;

    if (asprintf(&path, "%s/%s_%s", b->pending_dir, seg->gen, seg->file) < 0)
    {
        return -1;
    }

    fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);

    if (fd == -1 || fstat(fd, &st) != 0) {
        if (fd != -1) {
            close(fd);
        }

        return -1;
    }

    seg->len = (size_t) st.st_size;
    seg->data = malloc(seg->len ? seg->len : 1);

    n = seg->data ? pread(fd, seg->data, seg->len, 0) : -1;
    close(fd);

    if (n < 0 || (size_t) n != seg->len) {
        free(seg->data);
        seg->data = NULL;
        return -1;
    }

    return 0;
}


/* --- SQLite ------------------------------------------------------- */

static sqlite3 *
jr_backup_open_db(jr_backup_t *b, int busy_ms)
{
    int       one;
    sqlite3  *db;

    if (sqlite3_open_v2(b->db_path, &db, SQLITE_OPEN_READWRITE, NULL)
        != SQLITE_OK)
    {
        jr_backup_tlog(b, JR_LOG_ERROR, "backup: cannot open %s: %s",
                       b->db_path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }

    /* a checkpoint on close must not delete the WAL we follow */
    one = 1;
    (void) sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
    (void) sqlite3_busy_timeout(db, busy_ms);

    return db;
}


/* Starts the read transaction that keeps checkpoints behind us. */
static int
jr_backup_read_begin(jr_backup_t *b)
{
    int  rc;

    rc = sqlite3_exec(b->rd, "BEGIN", NULL, NULL, NULL);

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(b->touch);
        rc = rc == SQLITE_ROW ? SQLITE_OK : rc;
        sqlite3_reset(b->touch);
    }

    if (rc != SQLITE_OK) {
        (void) sqlite3_exec(b->rd, "ROLLBACK", NULL, NULL, NULL);
        jr_backup_tlog(b, JR_LOG_ERROR, "backup: cannot start reading %s: %s",
                       b->db_path, sqlite3_errstr(rc));
        return -1;
    }

    return 0;
}


static void
jr_backup_read_end(jr_backup_t *b)
{
    (void) sqlite3_exec(b->rd, "COMMIT", NULL, NULL, NULL);
}


/* --- copying frames -------------------------------------------------- */

static ssize_t
jr_backup_pread(jr_backup_t *b, void *buf, size_t len, uint64_t off)
{
    ssize_t  n;

    do {
        n = pread(b->wal_fd, buf, len, (off_t) off);
    } while (n < 0 && errno == EINTR);

    return n;
}


/* Writes seg's bytes to local_dir/pending, saves the position, queues it. */
static int
jr_backup_emit(jr_backup_t *b, unsigned char *data, size_t len,
    uint64_t start, const jr_wal_chain_t *chain)
{
    char              *path;
    jr_backup_seg_t   *seg;

    seg = calloc(1, sizeof(jr_backup_seg_t));
    if (seg == NULL) {
        return -1;
    }

    memcpy(seg->gen, b->pos.gen, sizeof(seg->gen));
    seg->index = b->pos.index;
    seg->offset = start;
    seg->ms = jr_bucket_now_ms();
    seg->since_ms = b->prev_cycle_ms ? b->prev_cycle_ms : b->cycle_ms;
    seg->len = len;
    jr_bucket_segment_name(seg->file, sizeof(seg->file), seg->index,
                            seg->offset, seg->ms);

    if (asprintf(&path, "%s/%s_%s", b->pending_dir, seg->gen, seg->file) < 0)
    {
        free(seg);
        return -1;
    }

    if (jr_backup_write_file(path, b->pending_dir, data, len) != 0) {
        jr_backup_tlog(b, JR_LOG_ERROR, "backup: cannot write %s: %s", path,
                       strerror(errno));
        free(path);
        free(seg);
        return -1;
    }

    free(path);

    b->pos.offset = start + len;
    b->pos.chain = *chain;
    b->pos.sealed = 0;

    uv_mutex_lock(&b->mu);
    b->pos.snapshot_ms = b->snapshot_ms;
    uv_mutex_unlock(&b->mu);

    if (jr_backup_save(b) != 0) {
        free(seg);
        return -1;
    }

    /* kept in memory for the upload, within a bound */
    if (b->mem + len <= JR_BACKUP_MEM_MAX) {
        seg->data = malloc(len);
        if (seg->data) {
            memcpy(seg->data, data, len);
            b->mem += len;
        }
    }

    uv_mutex_lock(&b->mu);

    if (b->pending_tail) {
        b->pending_tail->next = seg;
    } else {
        b->pending = seg;
    }

    b->pending_tail = seg;
    b->npending++;
    b->offset = b->pos.offset;

    uv_mutex_unlock(&b->mu);

    return 0;
}


/*
 * Copies the valid frames of index pos.index from `from` to `size`, with
 * chain (advanced to the last commit copied); the index's header first
 * when from is past it and nothing of the index is copied yet.  Segments
 * end at commits.  Returns JR_BACKUP_OK or JR_BACKUP_ERROR.
 */
static int
jr_backup_copy(jr_backup_t *b, jr_wal_chain_t *chain, uint64_t from,
    uint64_t size)
{
    int             rc;
    long            commit;
    size_t          fs, n, i, seg_len, seg_size, committed;
    ssize_t         got;
    uint32_t        pgno;
    uint64_t        pos, start;
    unsigned char  *seg, *grown, *p;
    jr_wal_chain_t  c, at_commit;

    fs = jr_wal_frame_size(&chain->hdr);
    c = *chain;
    at_commit = c;
    pos = from;
    rc = JR_BACKUP_OK;

    seg = NULL;
    seg_len = 0;
    seg_size = 0;
    committed = 0;
    start = from;

    if (b->pos.offset == 0) {
        /* the first segment of an index starts with its header */
        start = 0;
        seg_size = JR_WAL_HDR + fs;
        seg = malloc(seg_size);
        if (seg == NULL) {
            return JR_BACKUP_ERROR;
        }

        memcpy(seg, b->pos.hdr, JR_WAL_HDR);
        seg_len = JR_WAL_HDR;
    }

    while (pos + fs <= size) {
        n = (size - pos) / fs;
        if (n > b->buf_size / fs) {
            n = b->buf_size / fs;
        }

        got = jr_backup_pread(b, b->buf, n * fs, pos);
        if (got < 0) {
            rc = JR_BACKUP_ERROR;
            break;
        }

        n = (size_t) got / fs;
        if (n == 0) {
            break;
        }

        for (i = 0; i < n; i++) {
            p = b->buf + i * fs;

            commit = jr_wal_frame(&c, p, &pgno);
            if (commit < 0) {
                goto done;
            }

            if (seg_len + fs > seg_size) {
                seg_size = seg_size ? seg_size * 2 : 64 * fs;
                grown = realloc(seg, seg_size);
                if (grown == NULL) {
                    rc = JR_BACKUP_ERROR;
                    goto done;
                }

                seg = grown;
            }

            memcpy(seg + seg_len, p, fs);
            seg_len += fs;
            pos += fs;

            if (commit == 0) {
                continue;
            }

            committed = seg_len;
            at_commit = c;

            if (committed >= JR_BACKUP_SEG_MAX) {
                if (jr_backup_emit(b, seg, committed, start, &at_commit)
                    != 0)
                {
                    rc = JR_BACKUP_ERROR;
                    goto done;
                }

                start += committed;
                seg_len = 0;
                committed = 0;
            }
        }
    }

done:

    if (rc == JR_BACKUP_OK && committed > 0
        && jr_backup_emit(b, seg, committed, start, &at_commit) != 0)
    {
        rc = JR_BACKUP_ERROR;
    }

    if (rc == JR_BACKUP_OK) {
        *chain = b->pos.chain;
    }

    free(seg);

    return rc;
}


/* The end of the valid frames of a WAL whose header is h, from 32. */
static uint64_t
jr_backup_extent(jr_backup_t *b, const jr_wal_hdr_t *h, uint64_t size)
{
    size_t           fs, n, i;
    ssize_t          got;
    uint32_t         pgno;
    uint64_t         pos;
    jr_wal_chain_t   c;

    jr_wal_chain_init(&c, h);
    fs = jr_wal_frame_size(h);
    pos = JR_WAL_HDR;

    while (pos + fs <= size) {
        n = (size - pos) / fs;
        if (n > b->buf_size / fs) {
            n = b->buf_size / fs;
        }

        got = jr_backup_pread(b, b->buf, n * fs, pos);
        if (got <= 0) {
            break;
        }

        for (i = 0; i < (size_t) got / fs; i++) {
            if (jr_wal_frame(&c, b->buf + i * fs, &pgno) < 0) {
                return pos;
            }

            pos += fs;
        }
    }

    return pos;
}


static void
jr_backup_adopt(jr_backup_t *b, const unsigned char *raw,
    const jr_wal_hdr_t *h)
{
    memcpy(b->pos.hdr, raw, JR_WAL_HDR);
    jr_wal_chain_init(&b->pos.chain, h);
    b->pos.have_hdr = 1;
    b->pos.offset = 0;
}


/* One look at the WAL.  Returns JR_BACKUP_OK, _BROKEN or _ERROR. */
static int
jr_backup_capture(jr_backup_t *b, char *why, size_t whylen)
{
    int              rc;
    uint64_t         from, extent;
    struct stat      st;
    jr_wal_hdr_t     h, old;
    jr_wal_chain_t   chain;
    unsigned char    raw[JR_WAL_HDR];

    if (b->wal_fd == -1) {
        b->wal_fd = open(b->wal_path, O_RDONLY | O_CLOEXEC);
        if (b->wal_fd == -1) {
            return errno == ENOENT ? JR_BACKUP_OK : JR_BACKUP_ERROR;
        }
    }

    if (fstat(b->wal_fd, &st) != 0) {
        return JR_BACKUP_ERROR;
    }

    /* empty: truncated by a checkpoint, or not written yet */
    if ((uint64_t) st.st_size < JR_WAL_HDR
        || jr_backup_pread(b, raw, JR_WAL_HDR, 0) != JR_WAL_HDR
        || jr_wal_header(raw, JR_WAL_HDR, &h) != 0)
    {
        return JR_BACKUP_OK;
    }

    if (!b->pos.have_hdr) {
        jr_backup_adopt(b, raw, &h);
    }

    if (memcmp(raw, b->pos.hdr, JR_WAL_HDR) == 0) {
        chain = b->pos.chain;
        from = b->pos.offset ? b->pos.offset : JR_WAL_HDR;

        return jr_backup_copy(b, &chain, from, (uint64_t) st.st_size);
    }

    (void) jr_wal_header(b->pos.hdr, JR_WAL_HDR, &old);

    if (h.salt1 != old.salt1 + 1) {
        snprintf(why, whylen, "the WAL's header changed (salt-1 %u, then "
                 "%u): restarted more than once since the last copy",
                 old.salt1, h.salt1);
        return JR_BACKUP_BROKEN;
    }

    /*
     * Restarted once.  After our checkpoint (sealed), nothing can have
     * followed our last copy in the old WAL: the first writer restarts it.
     * Otherwise the old WAL's tail first, if the new one left it.
     */
    chain = b->pos.chain;
    from = b->pos.offset ? b->pos.offset : JR_WAL_HDR;
    extent = 0;

    if (!b->pos.sealed) {
        rc = jr_backup_copy(b, &chain, from, (uint64_t) st.st_size);
        if (rc != JR_BACKUP_OK) {
            return rc;
        }

        extent = jr_backup_extent(b, &h, (uint64_t) st.st_size);
    }

    if (extent > from) {
        snprintf(why, whylen, "the WAL was restarted and its new frames "
                 "(to byte %llu) may cover old ones not copied (from byte "
                 "%llu)", (unsigned long long) extent,
                 (unsigned long long) from);
        return JR_BACKUP_BROKEN;
    }

    b->pos.index++;
    b->pos.sealed = 0;
    jr_backup_adopt(b, raw, &h);

    if (jr_backup_save(b) != 0) {
        return JR_BACKUP_ERROR;
    }

    uv_mutex_lock(&b->mu);
    b->index = b->pos.index;
    b->offset = 0;
    uv_mutex_unlock(&b->mu);

    chain = b->pos.chain;

    return jr_backup_copy(b, &chain, JR_WAL_HDR, (uint64_t) st.st_size);
}


/* A new generation: a new name, index 0, the WAL as it is from its start. */
static int
jr_backup_generation(jr_backup_t *b, const char *why)
{
    uint64_t          snap;
    jr_backup_pos_t  *p;

    p = &b->pos;

    if (jr_bucket_gen(p->gen, jr_bucket_now_ms()) != 0) {
        return -1;
    }

    jr_backup_tlog(b, JR_LOG_WARN, "backup: new generation %s: %s", p->gen,
                   why);

    p->index = 0;
    p->offset = 0;
    p->have_hdr = 0;
    p->snapshot_ms = 0;
    snap = 0;

    if (jr_backup_save(b) != 0) {
        return -1;
    }

    uv_mutex_lock(&b->mu);
    memcpy(b->gen, p->gen, sizeof(b->gen));
    b->index = 0;
    b->offset = 0;
    b->snapshot_ms = snap;
    b->new_generation = 1;
    b->gen_began = 1;
    b->generations++;
    uv_mutex_unlock(&b->mu);

    return 0;
}


/*
 * Does the WAL still match the saved position?  The header is the same
 * and the frame that ends at the offset carries the saved checksum; or
 * the WAL was restarted once, which the next look follows.
 */
static int
jr_backup_matches(jr_backup_t *b)
{
    size_t           fs;
    uint64_t         off;
    struct stat      st;
    jr_wal_hdr_t     h, old;
    unsigned char    raw[JR_WAL_HDR], fh[JR_WAL_FRAME];

    if (!b->pos.have_hdr) {
        return b->pos.offset == 0;
    }

    b->wal_fd = open(b->wal_path, O_RDONLY | O_CLOEXEC);

    if (b->wal_fd == -1 || fstat(b->wal_fd, &st) != 0
        || (uint64_t) st.st_size < JR_WAL_HDR
        || jr_backup_pread(b, raw, JR_WAL_HDR, 0) != JR_WAL_HDR
        || jr_wal_header(raw, JR_WAL_HDR, &h) != 0)
    {
        return 0;
    }

    (void) jr_wal_header(b->pos.hdr, JR_WAL_HDR, &old);

    if (memcmp(raw, b->pos.hdr, JR_WAL_HDR) != 0) {
        return h.salt1 == old.salt1 + 1;
    }

    off = b->pos.offset;
    fs = jr_wal_frame_size(&h);

    if (off <= JR_WAL_HDR) {
        return 1;
    }

    if (off > (uint64_t) st.st_size
        || jr_backup_pread(b, fh, JR_WAL_FRAME, off - fs) != JR_WAL_FRAME)
    {
        return 0;
    }

    return ((uint32_t) fh[16] << 24 | (uint32_t) fh[17] << 16
            | (uint32_t) fh[18] << 8 | fh[19]) == b->pos.chain.ck1
           && ((uint32_t) fh[20] << 24 | (uint32_t) fh[21] << 16
               | (uint32_t) fh[22] << 8 | fh[23]) == b->pos.chain.ck2;
}


/* Frames copied of the current index. */
static uint64_t
jr_backup_frames(jr_backup_t *b)
{
    jr_wal_hdr_t  h;

    if (!b->pos.have_hdr || b->pos.offset <= JR_WAL_HDR
        || jr_wal_header(b->pos.hdr, JR_WAL_HDR, &h) != 0)
    {
        return 0;
    }

    return (b->pos.offset - JR_WAL_HDR) / jr_wal_frame_size(&h);
}


/*
 * The checkpoint.  Our read transaction ends, and a RESTART checkpoint
 * copies every frame into the database, holding the write lock until no
 * reader uses the WAL (readers started after see it all in the database),
 * so the next writer, whoever it is, restarts the WAL.  Before that can
 * happen, we take the write lock and copy the last frames, those committed
 * between our last look and the checkpoint; then read again.  If readers
 * keep the WAL busy longer than JR_BACKUP_RESTART_MS, the checkpoint gives
 * up and the next one tries again; writers wait for it meanwhile.
 */
static int
jr_backup_checkpoint(jr_backup_t *b, char *why, size_t whylen)
{
    int       rc, busy, log, done, locked;
    uint32_t  index;
    uint64_t  started;

    /* once per WAL: nothing to do until a writer restarts it */
    if (b->ckpt_offset == b->pos.offset && b->ckpt_index == b->pos.index) {
        return JR_BACKUP_OK;
    }

    jr_backup_read_end(b);

    started = jr_bucket_now_ms();
    (void) sqlite3_busy_timeout(b->rd, JR_BACKUP_RESTART_MS);
    busy = 1;
    log = 0;
    done = 0;
    rc = sqlite3_wal_checkpoint_v2(b->rd, "main", SQLITE_CHECKPOINT_RESTART,
                                   &log, &done);
    busy = rc == SQLITE_BUSY || (rc == SQLITE_OK && done < log);
    (void) sqlite3_busy_timeout(b->rd, 5000);

    if (busy) {
        jr_backup_tlog(b, JR_LOG_DEBUG, "backup: checkpoint of index %u "
                       "postponed after %llu ms: %s (%d of %d frames)",
                       b->pos.index,
                       (unsigned long long) (jr_bucket_now_ms() - started),
                       rc == SQLITE_OK ? "readers" : sqlite3_errstr(rc),
                       done, log);
    }

    rc = JR_BACKUP_OK;

    if (!busy) {
        /* the frames of the commits since our last look, under the lock */
        index = b->pos.index;
        locked = sqlite3_exec(b->wr, "BEGIN IMMEDIATE", NULL, NULL, NULL)
                 == SQLITE_OK;

        rc = jr_backup_capture(b, why, whylen);

        if (locked) {
            (void) sqlite3_exec(b->wr, "COMMIT", NULL, NULL, NULL);
        }

        b->ckpt_offset = b->pos.offset;
        b->ckpt_index = b->pos.index;

        /*
         * Copied under the lock after a full checkpoint of this same WAL
         * (no writer restarted it in between): the index is complete.
         */
        if (rc == JR_BACKUP_OK && locked && b->pos.index == index
            && b->pos.have_hdr)
        {
            b->pos.sealed = 1;

            if (jr_backup_save(b) != 0) {
                rc = JR_BACKUP_ERROR;
            }
        }

        uv_mutex_lock(&b->mu);
        b->checkpoints++;
        uv_mutex_unlock(&b->mu);

        jr_backup_tlog(b, JR_LOG_DEBUG, "backup: checkpoint of index %u: "
                       "%d frames in the database in %llu ms (writers wait "
                       "meanwhile), the next write restarts the WAL",
                       b->pos.index, done,
                       (unsigned long long) (jr_bucket_now_ms() - started));
    }

    if (jr_backup_read_begin(b) != 0) {
        return JR_BACKUP_ERROR;
    }

    return rc;
}


static int
jr_backup_thread_open(jr_backup_t *b)
{
    b->buf_size = JR_BACKUP_READ;
    b->buf = malloc(b->buf_size);
    b->rd = jr_backup_open_db(b, 5000);
    b->wr = b->rd ? jr_backup_open_db(b, 1000) : NULL;

    if (b->buf == NULL || b->rd == NULL || b->wr == NULL) {
        return -1;
    }

    if (sqlite3_prepare_v2(b->rd, "SELECT count(*) FROM sqlite_schema", -1,
                           &b->touch, NULL) != SQLITE_OK)
    {
        jr_backup_tlog(b, JR_LOG_ERROR, "backup: cannot prepare: %s",
                       sqlite3_errmsg(b->rd));
        return -1;
    }

    return jr_backup_read_begin(b);
}


/*
 * The segments that wait behind seg, of the same WAL index and each
 * starting where the one before ends, joined to its data: one PUT stores
 * them all, under seg's key.  They wait when an upload takes longer than
 * interval_ms (a slow bucket, a loaded machine), and each would otherwise
 * wait for a PUT of its own, so the queue, and with it the lag, would
 * only grow.  Their files stay until the PUT is done: after a crash they
 * are stored one by one, seg's key again with its own frames only, which
 * a replica that applied the whole has already applied.
 */
static void
jr_backup_absorb(jr_backup_t *b, jr_backup_seg_t *seg)
{
    size_t            len;
    unsigned char    *grown;
    jr_backup_seg_t  *next;

    for (next = seg->next; next; next = next->next) {
        if (strcmp(next->gen, seg->gen) != 0 || next->index != seg->index
            || next->offset != seg->offset + seg->len)
        {
            return;
        }

        if (next->data == NULL) {
            if (jr_backup_load(b, next) != 0) {
                /* jr_backup_serve() finds it so when its turn comes */
                return;
            }

            b->mem += next->len;
        }

        len = seg->len + next->len;
        if (len > JR_BACKUP_SEG_MAX) {
            return;
        }

        grown = realloc(seg->data, len);
        if (grown == NULL) {
            return;
        }

        memcpy(grown + seg->len, next->data, next->len);
        seg->data = grown;
        seg->len = len;
        seg->absorbed++;

        /* the bytes counted once, in seg */
        free(next->data);
        next->data = NULL;
    }
}


/* Takes seg, the head, off the pending list; the loop may be adding. */
static void
jr_backup_pop(jr_backup_t *b, jr_backup_seg_t *seg)
{
    uv_mutex_lock(&b->mu);
    b->pending = seg->next;
    if (b->pending == NULL) {
        b->pending_tail = NULL;
    }

    b->npending--;
    uv_mutex_unlock(&b->mu);
}


/* Drops the head of the pending list, stored: its file and its memory. */
static void
jr_backup_stored(jr_backup_t *b, jr_backup_seg_t *seg)
{
    char  *path;

    jr_backup_pop(b, seg);

    if (asprintf(&path, "%s/%s_%s", b->pending_dir, seg->gen, seg->file) > 0) {
        if (unlink(path) != 0 && errno != ENOENT) {
            jr_backup_tlog(b, JR_LOG_WARN, "backup: cannot delete %s: %s",
                           path, strerror(errno));
        }

        free(path);
    }

    if (seg->data) {
        b->mem -= seg->len;
    }

    jr_backup_seg_free(seg);
}


/* The loop asked for the next segment, or has stored the one it had. */
static void
jr_backup_serve(jr_backup_t *b)
{
    unsigned          absorbed;
    jr_backup_seg_t   *seg;

    uv_mutex_lock(&b->mu);

    if (b->uploaded && b->handed) {
        seg = b->handed;
        b->handed = NULL;
        b->uploaded = 0;
        uv_mutex_unlock(&b->mu);

        /* it is the head of the list, the ones it absorbed after it */
        absorbed = seg->absorbed;
        jr_backup_stored(b, seg);

        while (absorbed--) {
            jr_backup_stored(b, b->pending);
        }

        uv_mutex_lock(&b->mu);
    }

    seg = b->want && b->handed == NULL ? b->pending : NULL;
    uv_mutex_unlock(&b->mu);

    if (seg == NULL) {
        return;
    }

    /* only this thread adds to or frees the list: seg stays valid */
    if (seg->data == NULL) {
        if (jr_backup_load(b, seg) != 0) {
            /* the bucket's chain has a hole there: start a new one */
            jr_backup_tlog(b, JR_LOG_ERROR, "backup: cannot read segment "
                           "%s_%s: %s; it is dropped", seg->gen, seg->file,
                           strerror(errno));

            jr_backup_pop(b, seg);

            if (strcmp(seg->gen, b->pos.gen) == 0) {
                b->lost = 1;
            }

            jr_backup_seg_free(seg);
            return;
        }

        b->mem += seg->len;
    }

    jr_backup_absorb(b, seg);

    uv_mutex_lock(&b->mu);
    b->handed = seg;
    b->want = 0;
    uv_mutex_unlock(&b->mu);

    uv_async_send(&b->async);
}


void
jr_backup_thread(void *arg)
{
    int           rc, stop, idle;
    char          why[256], idle_gen[JR_BUCKET_GEN_LEN + 1];
    uint32_t      idle_index;
    uint64_t      timeout, now, idle_offset;
    jr_backup_t  *b = arg;

    why[0] = '\0';

    if (jr_backup_thread_open(b) != 0) {
        goto failed;
    }

    if (jr_backup_scan_pending(b) != 0) {
        jr_backup_tlog(b, JR_LOG_ERROR, "backup: cannot read %s: %s",
                       b->pending_dir, strerror(errno));
        goto failed;
    }

    if (jr_backup_load_state(b) != 0) {
        rc = jr_backup_generation(b, "no saved position (first start, or "
                                  "local_dir was emptied)");

    } else if (!jr_backup_matches(b)) {
        rc = jr_backup_generation(b, "the WAL does not continue from the "
                                  "saved position (it was checkpointed "
                                  "while the jobrunner was stopped)");

    } else {
        rc = 0;

        uv_mutex_lock(&b->mu);
        memcpy(b->gen, b->pos.gen, sizeof(b->gen));
        b->index = b->pos.index;
        b->offset = b->pos.offset;
        b->snapshot_ms = b->pos.snapshot_ms;
        b->new_generation = b->pos.snapshot_ms == 0;
        uv_mutex_unlock(&b->mu);

        jr_backup_tlog(b, JR_LOG_INFO, "backup: generation %s, index %u, "
                       "offset %llu: going on", b->pos.gen, b->pos.index,
                       (unsigned long long) b->pos.offset);

        /* after b->gen is set: the loop drops one of another generation;
           pending segments are stored, and announced, first */
        if (b->pending == NULL) {
            jr_backup_load_announced(b);
        }
    }

    if (rc != 0) {
        goto failed;
    }

    for ( ;; ) {
        uv_mutex_lock(&b->mu);
        b->cycles_started++;
        uv_mutex_unlock(&b->mu);

        b->prev_cycle_ms = b->cycle_ms;
        b->cycle_ms = jr_bucket_now_ms();

        memcpy(idle_gen, b->pos.gen, sizeof(idle_gen));
        idle_index = b->pos.index;
        idle_offset = b->pos.offset;

        rc = jr_backup_capture(b, why, sizeof(why));

        idle = rc == JR_BACKUP_OK && strcmp(idle_gen, b->pos.gen) == 0
               && idle_index == b->pos.index && idle_offset == b->pos.offset;

        if (b->lost) {
            b->lost = 0;
            snprintf(why, sizeof(why), "a segment waiting in %s was lost",
                     b->pending_dir);
            rc = JR_BACKUP_BROKEN;
        }

        if (rc == JR_BACKUP_OK
            && jr_backup_frames(b) >= b->bc->checkpoint_pages)
        {
            rc = jr_backup_checkpoint(b, why, sizeof(why));
        }

        if (rc == JR_BACKUP_BROKEN) {
            if (jr_backup_generation(b, why) != 0) {
                goto failed;
            }

            continue;
        }

        if (rc == JR_BACKUP_ERROR) {
            jr_backup_tlog(b, JR_LOG_ERROR, "backup: cannot copy %s: %s",
                           b->wal_path, strerror(errno));
        }

        uv_mutex_lock(&b->mu);
        b->cycles_done++;
        uv_mutex_unlock(&b->mu);
        uv_async_send(&b->async);

        jr_backup_serve(b);

        if (idle) {
            jr_backup_save_announced(b);
        }

        /*
         * The next look is interval_ms after this one began, or at once
         * when the loop asks for one (a snapshot's bound).  An upload done
         * meanwhile only wants the next segment handed: were it a look
         * too, every PUT's round trip would make a segment, and a PUT, of
         * what it let pass (38 a second at 100 writes/s instead of 10).
         * A stop is seen after a look: the last commits are copied.
         */
        uv_mutex_lock(&b->mu);

        for ( ;; ) {
            stop = b->stop;
            now = jr_bucket_now_ms();

            if (stop || b->kick
                || now - b->cycle_ms >= (uint64_t) b->bc->interval_ms)
            {
                break;
            }

            if (b->serve) {
                b->serve = 0;
                uv_mutex_unlock(&b->mu);
                jr_backup_serve(b);
                uv_mutex_lock(&b->mu);
                continue;
            }

            timeout = (b->cycle_ms + b->bc->interval_ms - now) * 1000000;
            (void) uv_cond_timedwait(&b->cond, &b->mu, timeout);
        }

        b->kick = 0;
        b->serve = 0;
        uv_mutex_unlock(&b->mu);

        if (stop) {
            break;
        }
    }

    /* the last look was this cycle's: what it left pending is not stored,
       and then nothing is saved */
    jr_backup_save_announced(b);

    goto done;

failed:

    uv_mutex_lock(&b->mu);
    b->failed = 1;
    uv_mutex_unlock(&b->mu);
    uv_async_send(&b->async);

done:

    if (b->rd) {
        jr_backup_read_end(b);
    }

    sqlite3_finalize(b->touch);
    b->touch = NULL;

    /* plain close: the jobrunner's own connection stays open longer */
    sqlite3_close(b->rd);
    sqlite3_close(b->wr);
    b->rd = NULL;
    b->wr = NULL;

    if (b->wal_fd != -1) {
        close(b->wal_fd);
        b->wal_fd = -1;
    }
}
