/*
 * The mirror's runs, in a pool thread under the mirror's lock; see
 * jr_mirror.h.  Nothing here logs or touches the loop: what a run did
 * goes back in its jr_mirror_run_t.
 *
 * In the mirror's bucket, under PREFIX:
 *
 *     live/media/REL          the file media_root/REL
 *     live/replica/REL        the object BACKUP_PREFIX/REL of [s3]'s bucket
 *     daily/..., 1-week/..., 2-week/...    images of live/, daily/, 1-week/
 *
 * Media: the destination is listed once, then media_root is walked with
 * openat() from the root's descriptor and O_NOFOLLOW at every step, so no
 * symlink leads out of it; dot-files (the thumbnailer's ".tmp-*" among
 * them), the thumbnail folder (made again from the originals), and the
 * SQLite files of the jobrunner (data.db has [backup]; ttl.db is never
 * backed up) are left out.  A file is sent when the bucket has no object
 * of its size and ETag; the ETag is computed here the way S3 makes it for
 * our uploads (jr_s3_etag_fd; a multipart object's may also be the whole
 * file's MD5, as some servers make it), and kept in memory with the file's size,
 * mtime and inode, so an unchanged file is read again only after a
 * restart.
 *
 * The backup's objects are never rewritten under the same name (their
 * names hold offsets and times), so the name and size decide, and they
 * are copied server side (CopyObject from [s3]'s bucket: no byte through
 * us; at most 5 GB an object).  Tiers are copied server side too; a copy
 * is current when its size matches and its ETag does or it is newer than
 * its source (the ETag of a copy of a multipart object is not its
 * source's).
 *
 * A source that lists nothing while its copy holds objects (an unmounted
 * media folder, a bucket emptied by mistake) deletes nothing: the run says
 * why and keeps the copy.
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

#include "backup/jr_mirror_int.h"


#define JR_MIRROR_DEPTH    32
#define JR_MIRROR_KEY_MAX  1024        /* S3's longest key */
#define JR_MIRROR_EXCLUDE  8


const char *const  jr_mirror_tiers[JR_MIRROR_TIMERS] = {
    "live", "daily", "1-week", "2-week"
};


typedef struct {
    jr_mirror_t         *m;
    jr_mirror_run_t     *run;
    jr_s3_list_t        *remote;       /* sorted by key */
    const char          *thumb_rel;    /* NULL: not under media_root */
    jr_mirror_file_t    *files;        /* this run's, in walk order */
    size_t               nfiles;
    size_t               cap;
    dev_t                excl_dev[JR_MIRROR_EXCLUDE];
    ino_t                excl_ino[JR_MIRROR_EXCLUDE];
    size_t               nexcl;
    char                 key[JR_MIRROR_KEY_MAX + 1];
    size_t               keylen;       /* of PREFIX/live/media/ */
} jr_mirror_walk_t;


static int __attribute__((format(printf, 2, 3)))
jr_mirror_fail(jr_mirror_run_t *run, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(run->error, sizeof(run->error), fmt, ap);
    va_end(ap);

    return -1;
}


static int
jr_mirror_object_cmp(const void *a, const void *b)
{
    return strcmp(((const jr_s3_object_t *) a)->key,
                  ((const jr_s3_object_t *) b)->key);
}


static int
jr_mirror_file_cmp(const void *a, const void *b)
{
    return strcmp(((const jr_mirror_file_t *) a)->rel,
                  ((const jr_mirror_file_t *) b)->rel);
}


static const jr_s3_object_t *
jr_mirror_find(const jr_s3_list_t *list, const char *key)
{
    jr_s3_object_t  probe;

    probe.key = (char *) key;

    return list->nobjects
           ? bsearch(&probe, list->objects, list->nobjects,
                     sizeof(jr_s3_object_t), jr_mirror_object_cmp)
           : NULL;
}


/* Every object under prefix, sorted by key; 0, or -1 with run->error. */
static int
jr_mirror_list(jr_s3_t *s3, const char *prefix, jr_s3_list_t *list,
    jr_mirror_run_t *run)
{
    jr_s3_result_t  res;

    if (jr_s3_list_all_sync(s3, prefix, list, &res) != 0) {
        jr_s3_list_free(list);
        return jr_mirror_fail(run, "cannot list %s: %s (%ld): %s", prefix,
                              res.code, res.status, res.message);
    }

    if (list->nobjects > 1) {
        qsort(list->objects, list->nobjects, sizeof(jr_s3_object_t),
              jr_mirror_object_cmp);
    }

    return 0;
}


/* One request run to its end; 0, or -1 with run->error naming what. */
static int
jr_mirror_perform(jr_s3_req_t *req, const char *what, const char *key,
    jr_mirror_run_t *run)
{
    int                    rc;
    const jr_s3_result_t  *r;

    if (req == NULL) {
        return jr_mirror_fail(run, "cannot %s %s: out of memory", what, key);
    }

    rc = jr_s3_perform(req);

    if (rc != 0) {
        r = jr_s3_result(req);
        jr_mirror_fail(run, "cannot %s %s: %s (%ld): %s", what, key, r->code,
                       r->status, r->message);
    }

    jr_s3_req_free(req);

    return rc;
}


/*
 * Deletes the objects of dst (under dprefix) whose name after it is not
 * under sprefix in src (NULL: not among the walked files).
 */
static int
jr_mirror_delete_gone(jr_mirror_t *m, const jr_s3_list_t *dst,
    const char *dprefix, const jr_s3_list_t *src, const char *sprefix,
    const jr_mirror_walk_t *wk, jr_mirror_run_t *run)
{
    char              key[JR_MIRROR_KEY_MAX + 1];
    size_t            i, dlen;
    const char       *rel;
    jr_mirror_file_t  probe;

    dlen = strlen(dprefix);

    for (i = 0; i < dst->nobjects; i++) {
        rel = dst->objects[i].key + dlen;

        if (wk) {
            probe.rel = (char *) rel;

            if (wk->nfiles
                && bsearch(&probe, wk->files, wk->nfiles,
                           sizeof(jr_mirror_file_t), jr_mirror_file_cmp))
            {
                continue;
            }

        } else if ((size_t) snprintf(key, sizeof(key), "%s%s", sprefix, rel)
                       >= sizeof(key)
                   || jr_mirror_find(src, key) != NULL)
        {
            continue;
        }

        if (jr_mirror_perform(jr_s3_delete_req(m->dst, dst->objects[i].key),
                              "delete", dst->objects[i].key, run)
            != 0)
        {
            return -1;
        }

        run->deleted++;
    }

    return 0;
}


/* --- media ------------------------------------------------------------- */

/* UTF-8 without control characters: what a key can hold and S3 takes. */
static int
jr_mirror_key_ok(const char *s)
{
    int                   n, i;
    const unsigned char  *p;

    for (p = (const unsigned char *) s; *p; p += n) {
        if (*p < 0x20 || *p == 0x7f) {
            return 0;
        }

        n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0
            ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;

        if (n == 0 || (n == 2 && *p < 0xc2)) {
            return 0;
        }

        for (i = 1; i < n; i++) {
            if ((p[i] & 0xc0) != 0x80) {
                return 0;
            }
        }
    }

    return 1;
}


static void
jr_mirror_unreadable(jr_mirror_run_t *run, const char *rel, const char *why)
{
    if (run->unreadable++ == 0) {
        snprintf(run->first_unreadable, sizeof(run->first_unreadable),
                 "%s: %s", rel, why);
    }
}


/* The last run's entry for this version of the file, or NULL. */
static const jr_mirror_file_t *
jr_mirror_known(jr_mirror_t *m, const char *rel, const struct stat *st)
{
    jr_mirror_file_t         probe;
    const jr_mirror_file_t  *f;

    if (m->nfiles == 0) {
        return NULL;
    }

    probe.rel = (char *) rel;

    f = bsearch(&probe, m->files, m->nfiles, sizeof(jr_mirror_file_t),
                jr_mirror_file_cmp);

    return f && f->size == (uint64_t) st->st_size
           && f->mtime_ns == st->st_mtim.tv_sec * 1000000000LL
                             + st->st_mtim.tv_nsec
           && f->ino == st->st_ino && f->etag[0]
           ? f : NULL;
}


static jr_mirror_file_t *
jr_mirror_push(jr_mirror_walk_t *wk, const char *rel, const struct stat *st)
{
    size_t             cap;
    jr_mirror_file_t  *f, *grown;

    if (wk->nfiles == wk->cap) {
        cap = wk->cap ? 2 * wk->cap : 256;
        grown = realloc(wk->files, cap * sizeof(jr_mirror_file_t));
        if (grown == NULL) {
            return NULL;
        }

        wk->files = grown;
        wk->cap = cap;
    }

    f = &wk->files[wk->nfiles];
    memset(f, 0, sizeof(jr_mirror_file_t));

    f->rel = strdup(rel);
    if (f->rel == NULL) {
        return NULL;
    }

    f->size = (uint64_t) st->st_size;
    f->mtime_ns = st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
    f->ino = st->st_ino;

    wk->nfiles++;

    return f;
}


/* One regular file of the walk, open as fd: compared, sent if need be. */
static int
jr_mirror_media_file(jr_mirror_walk_t *wk, int fd, const char *rel,
    const struct stat *st)
{
    jr_mirror_file_t       *f;
    const jr_mirror_file_t *known;
    jr_mirror_run_t        *run;
    const jr_s3_object_t   *o;
    jr_s3_upload_result_t   res;

    run = wk->run;

    f = jr_mirror_push(wk, rel, st);
    if (f == NULL) {
        return jr_mirror_fail(run, "out of memory");
    }

    known = jr_mirror_known(wk->m, rel, st);

    if (known) {
        memcpy(f->etag, known->etag, sizeof(f->etag));
        memcpy(f->md5, known->md5, sizeof(f->md5));

    } else if (jr_s3_etag_fd(fd, f->size, wk->m->mc->dest.part_size,
                             f->etag, sizeof(f->etag), f->md5)
               != 0)
    {
        /* shrunk while read, say: the next run looks again */
        jr_mirror_unreadable(run, rel, strerror(errno));
        free(f->rel);
        wk->nfiles--;
        return 0;

    } else {
        run->hashed++;
    }

    o = jr_mirror_find(wk->remote, wk->key);

    if (o && o->size == f->size
        && (strcmp(o->etag, f->etag) == 0 || strcmp(o->etag, f->md5) == 0))
    {
        run->skipped++;
        return 0;
    }

    if (jr_s3_upload_sync(wk->m->dst, wk->key, fd, f->size, &res) != 0) {
        return jr_mirror_fail(run, "cannot send %s: %s: %s", rel, res.code,
                              res.message);
    }

    run->sent++;
    run->sent_bytes += f->size;

    /* changed while sent: the bucket has other bytes, the next run sends */
    if (strcmp(res.etag, f->etag) != 0 && strcmp(res.etag, f->md5) != 0) {
        f->etag[0] = '\0';
    }

    return 0;
}


static int
jr_mirror_excluded(const jr_mirror_walk_t *wk, const struct stat *st)
{
    size_t  i;

    for (i = 0; i < wk->nexcl; i++) {
        if (wk->excl_dev[i] == st->st_dev && wk->excl_ino[i] == st->st_ino) {
            return 1;
        }
    }

    return 0;
}


/* The folder open as dfd (taken), its path relative to the root in rel. */
static int
jr_mirror_walk_dir(jr_mirror_walk_t *wk, int dfd, char *rel, size_t rellen,
    int depth)
{
    int             fd, rc;
    DIR            *dir;
    size_t          len;
    struct stat     st;
    struct dirent  *de;

    dir = fdopendir(dfd);
    if (dir == NULL) {
        jr_mirror_unreadable(wk->run, rellen ? rel : ".", strerror(errno));
        close(dfd);
        return 0;
    }

    rc = 0;

    while (rc == 0 && (de = readdir(dir)) != NULL) {
        /* dot-files, and the thumbnailer's .tmp-* files among them */
        if (de->d_name[0] == '.') {
            continue;
        }

        len = strlen(de->d_name);

        if (rellen + 1 + len >= JR_MIRROR_KEY_MAX - wk->keylen) {
            jr_mirror_unreadable(wk->run, de->d_name, "name too long");
            continue;
        }

        if (rellen) {
            rel[rellen] = '/';
            memcpy(rel + rellen + 1, de->d_name, len + 1);

        } else {
            memcpy(rel, de->d_name, len + 1);
        }

        if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            /* gone since the listing: nothing to send */
            if (errno != ENOENT) {
                jr_mirror_unreadable(wk->run, rel, strerror(errno));
            }

            continue;
        }

        if (S_ISDIR(st.st_mode)) {
            if ((wk->thumb_rel && strcmp(rel, wk->thumb_rel) == 0)
                || depth >= JR_MIRROR_DEPTH)
            {
                continue;
            }

            fd = openat(dirfd(dir), de->d_name,
                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd == -1) {
                jr_mirror_unreadable(wk->run, rel, strerror(errno));
                continue;
            }

            rc = jr_mirror_walk_dir(wk, fd, rel, rellen + (rellen != 0) + len,
                                    depth + 1);
            continue;
        }

        /* symlinks, sockets, devices: not media */
        if (!S_ISREG(st.st_mode) || jr_mirror_excluded(wk, &st)) {
            continue;
        }

        if (!jr_mirror_key_ok(rel)) {
            jr_mirror_unreadable(wk->run, rel, "not UTF-8, or control "
                                 "characters");
            continue;
        }

        fd = openat(dirfd(dir), de->d_name,
                    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd == -1) {
            if (errno != ENOENT) {
                jr_mirror_unreadable(wk->run, rel, strerror(errno));
            }

            continue;
        }

        /* what was opened: replaced by something else since the stat? */
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            close(fd);
            continue;
        }

        memcpy(wk->key + wk->keylen, rel, strlen(rel) + 1);

        rc = jr_mirror_media_file(wk, fd, rel, &st);

        close(fd);
    }

    /* restore the caller's rel: its own name ends where it did */
    rel[rellen] = '\0';

    closedir(dir);

    return rc;
}


/* The jobrunner's SQLite files, wherever they are: never mirrored. */
static void
jr_mirror_exclude(jr_mirror_walk_t *wk)
{
    size_t               i, j;
    char                 path[4096];
    struct stat          st;
    const char          *dbs[2];
    static const char   *const  suffixes[4] = { "", "-wal", "-shm",
                                                "-journal" };

    dbs[0] = wk->m->cf->data_db;
    dbs[1] = wk->m->cf->jobs.ttl_db;

    for (i = 0; i < 2; i++) {
        for (j = 0; dbs[i] && j < 4; j++) {
            if ((size_t) snprintf(path, sizeof(path), "%s%s", dbs[i],
                                  suffixes[j]) < sizeof(path)
                && stat(path, &st) == 0 && wk->nexcl < JR_MIRROR_EXCLUDE)
            {
                wk->excl_dev[wk->nexcl] = st.st_dev;
                wk->excl_ino[wk->nexcl] = st.st_ino;
                wk->nexcl++;
            }
        }
    }
}


static int
jr_mirror_media(jr_mirror_t *m, jr_mirror_run_t *run)
{
    int                rc, fd;
    char               rel[JR_MIRROR_KEY_MAX + 1];
    size_t             rootlen;
    const char        *root, *thumbs;
    jr_s3_list_t       remote;
    jr_mirror_walk_t   wk;

    memset(&wk, 0, sizeof(wk));
    wk.m = m;
    wk.run = run;
    wk.remote = &remote;

    root = m->cf->jobs.media_root;
    rootlen = strlen(root);
    thumbs = m->cf->jobs.thumb_dir;

    if (thumbs && strncmp(thumbs, root, rootlen) == 0
        && thumbs[rootlen] == '/')
    {
        wk.thumb_rel = thumbs + rootlen + 1;
    }

    jr_mirror_exclude(&wk);

    wk.keylen = (size_t) snprintf(wk.key, sizeof(wk.key), "%s/live/media/",
                                  m->mc->prefix);

    if (jr_mirror_list(m->dst, wk.key, &remote, run) != 0) {
        return -1;
    }

    fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1) {
        jr_s3_list_free(&remote);
        return jr_mirror_fail(run, "cannot open media_root %s: %s", root,
                              strerror(errno));
    }

    rel[0] = '\0';

    rc = jr_mirror_walk_dir(&wk, fd, rel, 0, 0);

    if (wk.nfiles > 1) {
        qsort(wk.files, wk.nfiles, sizeof(jr_mirror_file_t),
              jr_mirror_file_cmp);
    }

    if (rc == 0 && m->mc->delete_gone) {
        wk.key[wk.keylen] = '\0';

        if (wk.nfiles == 0 && remote.nobjects) {
            snprintf(run->kept, sizeof(run->kept), "%.150s has no file: its "
                     "%zu mirrored objects are kept", root, remote.nobjects);

        } else {
            rc = jr_mirror_delete_gone(m, &remote, wk.key, NULL, NULL, &wk,
                                       run);
        }
    }

    jr_s3_list_free(&remote);

    /* this run's ETags, for the next; a failed run keeps what it learnt */
    jr_mirror_files_free(m->files, m->nfiles);
    m->files = wk.files;
    m->nfiles = wk.nfiles;

    return rc;
}


/* --- server-side copies ------------------------------------------------ */

/*
 * Copies the objects of src under sprefix (in bucket sbucket) to dprefix
 * in the mirror's bucket, those not current there; then, when deletes,
 * deletes the copies whose source is gone.  by_name: the sources are
 * never rewritten, a copy of the same size is current.
 */
static int
jr_mirror_copy_all(jr_mirror_t *m, jr_s3_t *src, const char *sbucket,
    const char *sprefix, const char *dprefix, int by_name, int deletes,
    jr_mirror_run_t *run)
{
    int                    rc;
    char                   key[JR_MIRROR_KEY_MAX + 1];
    size_t                 i, slen;
    jr_s3_list_t           from, to;
    const jr_s3_object_t  *o, *d;

    if (jr_mirror_list(src, sprefix, &from, run) != 0) {
        return -1;
    }

    if (jr_mirror_list(m->dst, dprefix, &to, run) != 0) {
        jr_s3_list_free(&from);
        return -1;
    }

    slen = strlen(sprefix);
    rc = 0;

    for (i = 0; rc == 0 && i < from.nobjects; i++) {
        o = &from.objects[i];

        if ((size_t) snprintf(key, sizeof(key), "%s%s", dprefix,
                              o->key + slen)
            >= sizeof(key))
        {
            jr_mirror_unreadable(run, o->key, "name too long for its copy");
            continue;
        }

        d = jr_mirror_find(&to, key);

        if (d && d->size == o->size
            && (by_name || strcmp(d->etag, o->etag) == 0
                || strcmp(d->last_modified, o->last_modified) > 0))
        {
            run->skipped++;
            continue;
        }

        rc = jr_mirror_perform(jr_s3_copy_from_req(m->dst, sbucket, o->key,
                                                   key),
                               "copy to", key, run);
        run->copied += rc == 0;
    }

    if (rc == 0 && deletes) {
        if (from.nobjects == 0 && to.nobjects) {
            snprintf(run->kept, sizeof(run->kept), "%.80s has no object: "
                     "the %zu objects of %.80s are kept", sprefix,
                     to.nobjects, dprefix);

        } else {
            rc = jr_mirror_delete_gone(m, &to, dprefix, &from, sprefix, NULL,
                                       run);
        }
    }

    jr_s3_list_free(&from);
    jr_s3_list_free(&to);

    return rc;
}


int
jr_mirror_run_live(jr_mirror_t *m, jr_mirror_run_t *run)
{
    char                     sprefix[600], dprefix[600];
    const jr_mirror_conf_t  *mc;

    mc = m->mc;

    if (mc->media && jr_mirror_media(m, run) != 0) {
        return -1;
    }

    if (!mc->replica) {
        return 0;
    }

    snprintf(sprefix, sizeof(sprefix), "%s/", m->cf->backup.prefix);
    snprintf(dprefix, sizeof(dprefix), "%s/live/replica/", mc->prefix);

    return jr_mirror_copy_all(m, m->src, m->cf->s3.bucket, sprefix, dprefix,
                              1, mc->delete_gone, run);
}


int
jr_mirror_run_tier(jr_mirror_t *m, int tier, jr_mirror_run_t *run)
{
    char  sprefix[600], dprefix[600];

    snprintf(sprefix, sizeof(sprefix), "%s/%s/", m->mc->prefix,
             jr_mirror_tiers[tier - 1]);
    snprintf(dprefix, sizeof(dprefix), "%s/%s/", m->mc->prefix,
             jr_mirror_tiers[tier]);

    /* a tier is an image of the one below: what is gone there goes */
    return jr_mirror_copy_all(m, m->dst, m->mc->bucket, sprefix, dprefix, 0,
                              1, run);
}


void
jr_mirror_files_free(jr_mirror_file_t *files, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        free(files[i].rel);
    }

    free(files);
}
