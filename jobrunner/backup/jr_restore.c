/*
 * "jobrunner restore"; see jr_restore.h.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "backup/jr_bucket.h"
#include "backup/jr_restore.h"
#include "s3/jr_s3.h"
#include "backup/jr_wal.h"


#define JR_RESTORE_MAX_SEGMENT  ((size_t) 1 << 31)


typedef struct {
    jr_bucket_name_t   n;
    const char         *key;
    uint64_t            size;
} jr_restore_obj_t;

typedef struct {
    jr_s3_t            *s3;
    FILE               *out;
    uint64_t            target;
    jr_restore_obj_t   *objs;
    size_t              nobjs;
    const jr_restore_obj_t  *snap;     /* the .db */
    const jr_restore_obj_t  *ok;       /* its .ok */
    int                 fd;
    /* replay */
    jr_wal_chain_t      chain;
    unsigned char      *tx;            /* frames of the open transaction */
    size_t              tx_len;
    size_t              tx_size;
    uint32_t            index;
    uint64_t            offset;        /* of the last commit applied */
    uint64_t            last_ms;
    unsigned            segments;
    unsigned long       commits;
} jr_restore_t;


int
jr_restore_time(const char *text, uint64_t *ms)
{
    int         n, frac_digits;
    char       *end;
    time_t      t;
    uint64_t    frac;
    struct tm   tm;
    const char *p;

    frac = 0;
    frac_digits = 0;

    if (strspn(text, "0123456789") > 0 && strchr(text, '-') == NULL) {
        t = (time_t) strtoll(text, &end, 10);
        p = end;

    } else {
        memset(&tm, 0, sizeof(tm));
        n = 0;

        if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
                   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6
            || n == 0)
        {
            return -1;
        }

        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        t = timegm(&tm);
        p = text + n;
    }

    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++) {
            if (frac_digits < 3) {
                frac = frac * 10 + (uint64_t) (*p - '0');
                frac_digits++;
            }
        }

        while (frac_digits++ < 3) {
            frac *= 10;
        }
    }

    if (strchr(text, 'T') && *p++ != 'Z') {
        return -1;
    }

    if (*p != '\0' || t < 0) {
        return -1;
    }

    *ms = (uint64_t) t * 1000 + frac;

    return 0;
}


const char *
jr_restore_iso(uint64_t ms, char *buf, size_t size)
{
    time_t     t;
    struct tm  tm;
    char       s[32];

    t = (time_t) (ms / 1000);
    gmtime_r(&t, &tm);
    strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, size, "%s.%03uZ", s, (unsigned) (ms % 1000));

    return buf;
}


static int
jr_restore_cmp(const void *a, const void *b)
{
    const jr_restore_obj_t  *x = a, *y = b;

    return strcmp(x->key, y->key);
}


/* Whether (index, offset) is at or before the snapshot's bound. */
static int
jr_restore_before_bound(const jr_restore_t *r, uint32_t index,
    uint64_t offset)
{
    return index < r->ok->n.bound_index
           || (index == r->ok->n.bound_index
               && offset <= r->ok->n.bound_offset);
}


/*
 * The segments of gen from (index, 0) cover, without a gap, everything up
 * to (bindex, boffset).
 */
static int
jr_restore_covers(const jr_restore_t *r, const char *gen, uint32_t index,
    uint32_t bindex, uint64_t boffset)
{
    size_t                   i;
    uint32_t                 idx;
    uint64_t                 expected;
    const jr_restore_obj_t  *o;

    idx = index;
    expected = 0;

    for (i = 0; i < r->nobjs; i++) {
        o = &r->objs[i];

        if (o->n.kind != JR_BUCKET_SEGMENT || strcmp(o->n.gen, gen) != 0
            || o->n.index < index)
        {
            continue;
        }

        if (idx > bindex || (idx == bindex && expected >= boffset)) {
            return 1;
        }

        if (o->n.index == idx + 1 && o->n.offset == 0) {
            idx++;
            expected = 0;
        }

        if (o->n.index != idx || o->n.offset > expected) {
            return 0;
        }

        if (o->n.offset + o->size > expected) {
            expected = o->n.offset + o->size;
        }
    }

    return idx > bindex || (idx == bindex && expected >= boffset);
}


/* The newest complete snapshot at or before the target, generation first. */
static int
jr_restore_pick(jr_restore_t *r)
{
    size_t                   i, j;
    const jr_restore_obj_t  *o, *best, *snap;

    best = NULL;
    snap = NULL;

    for (i = r->nobjs; i-- > 0; ) {
        o = &r->objs[i];

        if (o->n.kind != JR_BUCKET_SNAPSHOT_OK || o->n.done_ms > r->target) {
            continue;
        }

        /* the newest generation wins; within it, the newest snapshot */
        if (best && (strcmp(o->n.gen, best->n.gen) < 0
                     || (strcmp(o->n.gen, best->n.gen) == 0
                         && o->n.done_ms <= best->n.done_ms)))
        {
            continue;
        }

        for (j = 0; j < r->nobjs; j++) {
            if (r->objs[j].n.kind == JR_BUCKET_SNAPSHOT
                && strcmp(r->objs[j].n.gen, o->n.gen) == 0
                && r->objs[j].n.index == o->n.index
                && r->objs[j].n.ms == o->n.ms)
            {
                break;
            }
        }

        if (j == r->nobjs
            || !jr_restore_covers(r, o->n.gen, o->n.index, o->n.bound_index,
                                  o->n.bound_offset))
        {
            fprintf(r->out, "restore: snapshot %s of %s is incomplete, "
                    "skipped\n", o->key, o->n.gen);
            continue;
        }

        best = o;
        snap = &r->objs[j];
    }

    r->ok = best;
    r->snap = snap;

    return best ? 0 : -1;
}


static int
jr_restore_download(jr_restore_t *r, const char *tmp)
{
    int                    rc;
    jr_s3_req_t           *req;
    const jr_s3_result_t  *res;

    r->fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (r->fd == -1) {
        fprintf(r->out, "restore: cannot create %s: %s\n", tmp,
                strerror(errno));
        return -1;
    }

    req = jr_s3_get_req(r->s3, r->snap->key);
    if (req == NULL) {
        return -1;
    }

    jr_s3_req_output(req, r->fd);
    rc = jr_s3_perform(req);
    res = jr_s3_result(req);

    if (rc != 0) {
        fprintf(r->out, "restore: cannot download %s: %s: %s\n",
                r->snap->key, res->code, res->message);
    }

    jr_s3_req_free(req);

    return rc;
}


/* Writes the open transaction's pages and cuts the file to its size. */
static int
jr_restore_apply(jr_restore_t *r, long pages)
{
    size_t          fs, i;
    uint32_t        pgno, ps;
    unsigned char  *f;

    ps = r->chain.hdr.page_size;
    fs = jr_wal_frame_size(&r->chain.hdr);

    for (i = 0; i < r->tx_len; i += fs) {
        f = r->tx + i;
        pgno = ((uint32_t) f[0] << 24) | ((uint32_t) f[1] << 16)
               | ((uint32_t) f[2] << 8) | f[3];

        if (pwrite(r->fd, f + JR_WAL_FRAME, ps,
                   (off_t) (pgno - 1) * ps) != (ssize_t) ps)
        {
            return -1;
        }
    }

    r->tx_len = 0;
    r->commits++;

    return ftruncate(r->fd, (off_t) pages * ps);
}


/*
 * Replays one segment's frames past expected.  Returns 0 to go on, 1 when
 * the target is reached, -1 on an error.
 */
static int
jr_restore_segment(jr_restore_t *r, const jr_restore_obj_t *o,
    uint64_t expected)
{
    int                    rc;
    long                   commit;
    size_t                 fs, skip;
    uint32_t               pgno;
    uint64_t               pos;
    jr_s3_req_t           *req;
    jr_wal_hdr_t           h;
    unsigned char         *p, *end, *grown;
    const jr_s3_result_t  *res;

    req = jr_s3_get_req(r->s3, o->key);
    if (req == NULL) {
        return -1;
    }

    jr_s3_req_max_body(req, JR_RESTORE_MAX_SEGMENT);

    if (jr_s3_perform(req) != 0) {
        res = jr_s3_result(req);
        fprintf(r->out, "restore: cannot download %s: %s: %s\n", o->key,
                res->code, res->message);
        jr_s3_req_free(req);
        return -1;
    }

    res = jr_s3_result(req);
    p = res->body;
    end = p + res->body_len;
    pos = o->n.offset;
    rc = 0;

    if (pos == 0 && expected == 0) {
        if (jr_wal_header(p, res->body_len, &h) != 0) {
            fprintf(r->out, "restore: %s does not start with a WAL header\n",
                    o->key);
            rc = -1;
            goto done;
        }

        jr_wal_chain_init(&r->chain, &h);
        r->tx_len = 0;
        p += JR_WAL_HDR;
        pos = JR_WAL_HDR;

    } else {
        /* a copy made twice (a crash between file and position): once */
        skip = (size_t) (expected - o->n.offset);
        p += skip;
        pos += skip;
    }

    fs = jr_wal_frame_size(&r->chain.hdr);

    for ( ; p + fs <= end; p += fs, pos += fs) {
        if (r->tx_len + fs > r->tx_size) {
            r->tx_size = r->tx_size ? r->tx_size * 2 : 64 * fs;
            grown = realloc(r->tx, r->tx_size);
            if (grown == NULL) {
                rc = -1;
                goto done;
            }

            r->tx = grown;
        }

        /* checked before it is kept: a bad frame ends the chain */
        commit = jr_wal_frame(&r->chain, p, &pgno);
        if (commit < 0) {
            fprintf(r->out, "restore: %s: frame at %llu does not continue the "
                    "chain\n", o->key, (unsigned long long) pos);
            rc = -1;
            goto done;
        }

        memcpy(r->tx + r->tx_len, p, fs);
        r->tx_len += fs;

        if (commit == 0) {
            continue;
        }

        if (o->n.ms > r->target
            && !jr_restore_before_bound(r, o->n.index, pos + fs))
        {
            rc = 1;
            goto done;
        }

        if (jr_restore_apply(r, commit) != 0) {
            fprintf(r->out, "restore: cannot write: %s\n", strerror(errno));
            rc = -1;
            goto done;
        }

        r->index = o->n.index;
        r->offset = pos + fs;
        r->last_ms = o->n.ms;
    }

    r->segments++;

done:

    jr_s3_req_free(req);

    return rc;
}


static int
jr_restore_replay(jr_restore_t *r)
{
    int                      rc;
    size_t                   i;
    uint32_t                 idx;
    uint64_t                 expected;
    const jr_restore_obj_t  *o;

    idx = r->snap->n.index;
    expected = 0;

    for (i = 0; i < r->nobjs; i++) {
        o = &r->objs[i];

        if (o->n.kind != JR_BUCKET_SEGMENT
            || strcmp(o->n.gen, r->snap->n.gen) != 0 || o->n.index < idx)
        {
            continue;
        }

        if (o->n.index == idx + 1 && o->n.offset == 0) {
            idx++;
            expected = 0;
        }

        if (o->n.index != idx || o->n.offset > expected) {
            break;                              /* a gap: the end */
        }

        if (o->n.offset + o->size <= expected) {
            continue;                           /* already replayed */
        }

        rc = jr_restore_segment(r, o, expected);
        if (rc != 0) {
            return rc < 0 ? -1 : 0;
        }

        expected = o->n.offset + o->size;
    }

    return 0;
}


int
jr_restore_check(const char *path, FILE *out)
{
    int            rc;
    sqlite3       *db;
    sqlite3_stmt  *stmt;
    const char    *text;

    rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt,
                                NULL);
    }

    if (rc != SQLITE_OK) {
        fprintf(out, "restore: cannot open the result: %s\n",
                db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return -1;
    }

    rc = -1;

    while (sqlite3_step(stmt) == SQLITE_ROW) {
        text = (const char *) sqlite3_column_text(stmt, 0);

        if (text && strcmp(text, "ok") == 0) {
            rc = 0;
        } else {
            fprintf(out, "restore: integrity_check: %s\n",
                    text ? text : "(null)");
            rc = -1;
        }
    }

    sqlite3_finalize(stmt);
    sqlite3_close(db);

    return rc;
}


int
jr_restore_from(jr_s3_t *s3, const char *bucket, const char *base,
    const char *output, uint64_t target_ms, FILE *out, jr_restore_pos_t *pos)
{
    int              rc;
    char            *prefix, *tmp, t1[40], t2[40];
    size_t           i;
    jr_restore_t     r;
    jr_s3_list_t     list;
    jr_s3_result_t   res;

    memset(&r, 0, sizeof(r));
    memset(&list, 0, sizeof(list));
    memset(pos, 0, sizeof(jr_restore_pos_t));
    r.s3 = s3;
    r.out = out;
    r.fd = -1;
    r.target = target_ms ? target_ms : UINT64_MAX;
    tmp = NULL;
    prefix = NULL;
    rc = -1;

    if (asprintf(&prefix, "%s/", base) < 0
        || asprintf(&tmp, "%s.tmp", output) < 0)
    {
        prefix = NULL;
        tmp = NULL;
        fprintf(out, "restore: out of memory\n");
        goto done;
    }

    if (jr_s3_list_all_sync(r.s3, prefix, &list, &res) != 0) {
        fprintf(out, "restore: cannot list s3://%s/%s: %s: %s\n",
                bucket, prefix, res.code, res.message);
        goto done;
    }

    r.objs = calloc(list.nobjects ? list.nobjects : 1,
                    sizeof(jr_restore_obj_t));
    if (r.objs == NULL) {
        goto done;
    }

    for (i = 0; i < list.nobjects; i++) {
        if (jr_bucket_parse(base, list.objects[i].key,
                             &r.objs[r.nobjs].n) == 0)
        {
            r.objs[r.nobjs].key = list.objects[i].key;
            r.objs[r.nobjs].size = list.objects[i].size;
            r.nobjs++;
        }
    }

    qsort(r.objs, r.nobjs, sizeof(jr_restore_obj_t), jr_restore_cmp);

    if (jr_restore_pick(&r) != 0) {
        fprintf(out, "restore: no complete snapshot in s3://%s/%s%s%s\n",
                bucket, prefix, target_ms ? " at or before " : "",
                target_ms ? jr_restore_iso(target_ms, t1, sizeof(t1)) : "");
        goto done;
    }

    r.index = r.snap->n.index;

    fprintf(out, "restore: generation %s, snapshot %s (%llu bytes)\n",
            r.snap->n.gen, r.snap->key, (unsigned long long) r.snap->size);

    if (jr_restore_download(&r, tmp) != 0 || jr_restore_replay(&r) != 0) {
        goto done;
    }

    /* short of the bound, the snapshot may hold pages of later commits */
    if (r.index < r.ok->n.bound_index
        || (r.index == r.ok->n.bound_index
            && r.offset < r.ok->n.bound_offset))
    {
        fprintf(out, "restore: the segments of %s end before the snapshot's "
                "bound (index %u offset %llu): the replica is damaged\n",
                r.snap->n.gen, r.ok->n.bound_index,
                (unsigned long long) r.ok->n.bound_offset);
        goto done;
    }

    if (fsync(r.fd) != 0 || close(r.fd) != 0) {
        r.fd = -1;
        fprintf(out, "restore: cannot write %s: %s\n", tmp, strerror(errno));
        goto done;
    }

    r.fd = -1;

    if (jr_restore_check(tmp, out) != 0) {
        goto done;
    }

    if (rename(tmp, output) != 0) {
        fprintf(out, "restore: cannot rename %s to %s: %s\n", tmp, output,
                strerror(errno));
        goto done;
    }

    fprintf(out, "restore: %s: %u segments, %lu transactions replayed, up to "
            "index %u offset %llu, copied at %s%s%s; integrity_check ok\n",
            output, r.segments, r.commits, r.index,
            (unsigned long long) r.offset,
            r.last_ms ? jr_restore_iso(r.last_ms, t1, sizeof(t1))
                      : "the snapshot",
            target_ms ? ", target " : "",
            target_ms ? jr_restore_iso(target_ms, t2, sizeof(t2)) : "");

    memcpy(pos->gen, r.snap->n.gen, sizeof(pos->gen));
    pos->index = r.index;
    pos->offset = r.offset;
    pos->ms = r.last_ms;
    pos->chain = r.chain;
    pos->has_chain = r.commits > 0;

    rc = 0;

done:

    if (r.fd != -1) {
        close(r.fd);
    }

    if (rc != 0 && tmp) {
        (void) unlink(tmp);
    }

    free(r.tx);
    free(r.objs);
    jr_s3_list_free(&list);
    free(prefix);
    free(tmp);

    return rc;
}
