/*
 * The "thumb" job: the variants of one image under the media root.
 *
 * In the pool thread: the file is opened once (no symlinks), hashed with
 * SHA-256, its header read by libvips (cheap: no pixels), and refused if
 * it has more pixels than thumb_max_pixels or would need more memory than
 * thumb_memory_mb to decode.  Then, for the configured widths below the
 * image's own (never upscaled), vips_thumbnail() makes an upright copy at
 * the largest (EXIF orientation applied; JPEG and WebP shrink on load, so
 * a huge JPEG is never decoded at full size) and the smaller widths are
 * shrunk from it in memory; each is saved without metadata in the
 * original format and as WebP, animations with all their frames.
 *
 * The effect is idempotent: each file is written to a temporary name and
 * renamed to THUMB_DIR/HASH-WIDTH.EXT, named by the content's hash, so a
 * rerun writes the same names; on the loop the media and media_variants
 * rows are upserted in the transaction that acks the job.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <vips/vips.h>

#include "blog_path.h"
#include "jobs/jr_jobs.h"
#include "jobs/jr_kinds.h"
#include "jobs/jr_thumb.h"
#include "core/jr_log.h"


#define JR_THUMB_HASH_NAME   16            /* hex digits in file names */
#define JR_THUMB_PATH_MAX    4096
#define JR_THUMB_VARIANTS    (JR_THUMB_WIDTHS_MAX * 2)
#define JR_THUMB_READ        65536


typedef struct {
    char        format[8];
    int         width;
    int         height;
    int64_t     bytes;
    char        path[128];      /* relative to the media root */
} jr_variant_t;

typedef struct {
    char           *rel;
    char            hash[65];
    int64_t         size;
    int64_t         mtime;
    const char     *format;     /* "jpeg", "png", "gif", "webp" */
    int             width;      /* upright, per frame */
    int             height;
    int             pages;
    int             gone;       /* the file went away: nothing to do */
    size_t          nvariants;
    jr_variant_t    variants[JR_THUMB_VARIANTS];
    char          **orphans;    /* old variants to delete after commit */
    size_t          norphans;
    char            params[160];
} jr_thumb_t;

/* libvips's loader class, what we call it, whether it can stream. */
typedef struct {
    const char  *loader;
    const char  *format;
    const char  *ext;
    int          streams;       /* shrinks on load or reads sequentially */
    int          frames;        /* may be animated */
} jr_thumb_format_t;


static const jr_thumb_format_t  jr_thumb_formats[] = {
    { "VipsForeignLoadJpegSource",  "jpeg", "jpg",  1, 0 },
    { "VipsForeignLoadWebpSource",  "webp", "webp", 1, 1 },
    { "VipsForeignLoadPngSource",   "png",  "png",  1, 0 },
    { "VipsForeignLoadNsgifSource", "gif",  "gif",  0, 1 },
    { NULL, NULL, NULL, 0, 0 }
};

static const char *const  jr_thumb_exts[] = {
    ".jpg", ".jpeg", ".png", ".gif", ".webp", NULL
};

/* libvips is set up once per process, and shut down once */
static unsigned  jr_thumb_vips;


int
jr_thumb_candidate(const char *name)
{
    size_t       i, len, elen;

    len = strlen(name);

    for (i = 0; jr_thumb_exts[i] != NULL; i++) {
        elen = strlen(jr_thumb_exts[i]);

        if (len > elen
            && strcasecmp(name + len - elen, jr_thumb_exts[i]) == 0)
        {
            return 1;
        }
    }

    return 0;
}


void
jr_thumb_params(const jr_jobs_conf_t *jc, char *buf, size_t size)
{
    int     n;
    size_t  i, len;

    len = 0;

    for (i = 0; i < jc->thumb_nwidths && len < size; i++) {
        n = snprintf(buf + len, size - len, "%s%u", i ? "," : "",
                     jc->thumb_widths[i]);
        len += n > 0 ? (size_t) n : 0;
    }

    if (len < size) {
        snprintf(buf + len, size - len, ";%s%s%s",
                 jc->thumb_formats & JR_THUMB_ORIGINAL ? "original" : "",
                 jc->thumb_formats == (JR_THUMB_ORIGINAL | JR_THUMB_WEBP)
                 ? "," : "",
                 jc->thumb_formats & JR_THUMB_WEBP ? "webp" : "");
    }
}


/* With a media root: the thumbnail folder made, libvips set up. */
static int
jr_thumb_start(jr_jobs_t *jobs, void **ctx)
{
    char                   dir[JR_THUMB_PATH_MAX];
    struct stat            st;
    const jr_jobs_conf_t  *jc;

    (void) ctx;

    jc = &jobs->cf->jobs;

    if (jc->media_root == NULL) {
        return 0;
    }

    if (stat(jc->media_root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        jr_log(JR_LOG_ERROR, "media_root \"%s\" is not a folder: %s",
               jc->media_root, errno ? strerror(errno) : "not a folder");
        return -1;
    }

    snprintf(dir, sizeof(dir), "%s/%s", jc->media_root, jc->thumb_dir);

    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        jr_log(JR_LOG_ERROR, "cannot create \"%s\": %s", dir, strerror(errno));
        return -1;
    }

    if (VIPS_INIT("jobrunner") != 0) {
        jr_log(JR_LOG_ERROR, "cannot initialize libvips: %s",
               vips_error_buffer());
        return -1;
    }

    jr_thumb_vips = 1;

    /*
     * Each image is one job on one pool thread: libvips's own threads
     * would multiply the memory of every job in flight.  Its operation
     * cache is no use to us (every file is read once) and holds memory.
     */
    vips_concurrency_set(1);
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);

    return 0;
}


static void
jr_thumb_stop(void *ctx)
{
    (void) ctx;

    if (jr_thumb_vips) {
        vips_shutdown();
        jr_thumb_vips = 0;
    }
}


static int
jr_thumb_prepare(jr_work_t *w)
{
    json_t      *path;
    jr_thumb_t  *t;
    const char  *why;

    path = json_object_get(w->payload, "path");

    if (!json_is_string(path)
        || blog_path_check(json_string_value(path), json_string_length(path),
                           &why) != BLOG_PATH_OK)
    {
        jr_work_fail(w, 1, "payload has no valid \"path\"");
        return -1;
    }

    t = calloc(1, sizeof(jr_thumb_t));
    if (t == NULL || (t->rel = strdup(json_string_value(path))) == NULL) {
        free(t);
        jr_work_fail(w, 0, "out of memory");
        return -1;
    }

    jr_thumb_params(&w->jobs->cf->jobs, t->params, sizeof(t->params));

    w->data = t;

    return 0;
}


/* SHA-256 of the whole file, as hex. */
static int
jr_thumb_hash(int fd, char *hex)
{
    int            ok;
    ssize_t        n;
    unsigned int   len, i;
    EVP_MD_CTX    *ctx;
    unsigned char  buf[JR_THUMB_READ], md[EVP_MAX_MD_SIZE];

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        return -1;
    }

    ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);

    while (ok && (n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }

            ok = 0;
            break;
        }

        ok = EVP_DigestUpdate(ctx, buf, n);
    }

    ok = ok && EVP_DigestFinal_ex(ctx, md, &len);

    EVP_MD_CTX_free(ctx);

    if (!ok) {
        return -1;
    }

    for (i = 0; i < len; i++) {
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    }

    return 0;
}


/* The error libvips left, taken and cleared so the next job has its own. */
static void
jr_thumb_vips_fail(jr_work_t *w, int permanent, const char *what)
{
    char  *msg;

    msg = vips_error_buffer_copy();
    jr_work_fail(w, permanent, "%s: %s", what,
                 msg && *msg ? msg : "libvips failed");
    g_free(msg);
}


/* Saves one variant to a temporary name, then renames it into place. */
static int
jr_thumb_save(jr_work_t *w, VipsImage *img, const jr_thumb_format_t *fmt,
    int webp)
{
    int                    rc;
    char                   tmp[JR_THUMB_PATH_MAX], dst[JR_THUMB_PATH_MAX];
    jr_thumb_t            *t;
    struct stat            st;
    jr_variant_t          *v;
    const jr_jobs_conf_t  *jc;

    t = w->data;
    jc = &w->jobs->cf->jobs;
    v = &t->variants[t->nvariants];

    snprintf(v->format, sizeof(v->format), "%s", webp ? "webp" : fmt->format);
    v->width = vips_image_get_width(img);
    v->height = vips_image_get_page_height(img);

    snprintf(v->path, sizeof(v->path), "%s/%.*s-%d.%s", jc->thumb_dir,
             JR_THUMB_HASH_NAME, t->hash, v->width, webp ? "webp" : fmt->ext);
    snprintf(dst, sizeof(dst), "%s/%s", jc->media_root, v->path);

    /* a dot name: never served, never scanned; the pid and job are ours */
    snprintf(tmp, sizeof(tmp), "%s/%s/.tmp-%ld-%lld-%.*s-%d.%s",
             jc->media_root, jc->thumb_dir, (long) getpid(),
             (long long) w->job.id, JR_THUMB_HASH_NAME, t->hash, v->width,
             webp ? "webp" : fmt->ext);

    if (webp) {
        rc = vips_webpsave(img, tmp, "Q", 80, "strip", TRUE, NULL);

    } else if (strcmp(fmt->format, "jpeg") == 0) {
        rc = vips_jpegsave(img, tmp, "Q", 82, "strip", TRUE,
                           "optimize_coding", TRUE, "interlace", TRUE, NULL);

    } else if (strcmp(fmt->format, "png") == 0) {
        rc = vips_pngsave(img, tmp, "compression", 6, "strip", TRUE, NULL);

    } else {
        rc = vips_gifsave(img, tmp, "strip", TRUE, NULL);
    }

    if (rc != 0) {
        unlink(tmp);
        jr_thumb_vips_fail(w, 0, v->path);
        return -1;
    }

    if (stat(tmp, &st) != 0 || rename(tmp, dst) != 0) {
        jr_work_fail(w, 0, "cannot move %s into place: %s", v->path,
                     strerror(errno));
        unlink(tmp);
        return -1;
    }

    v->bytes = st.st_size;
    t->nvariants++;

    return 0;
}


/*
 * A thumbnail's pixels computed into memory, once: each width is saved in
 * every format, and the largest is the source of the smaller ones.  rc and
 * thumb are what the vips_thumbnail_*() call gave.
 */
static VipsImage *
jr_thumb_computed(jr_work_t *w, int rc, VipsImage *thumb)
{
    VipsImage   *mem;
    jr_thumb_t  *t;

    t = w->data;

    if (rc != 0) {
        jr_thumb_vips_fail(w, 1, t->rel);
        return NULL;
    }

    mem = vips_image_copy_memory(thumb);
    g_object_unref(thumb);

    if (mem == NULL) {
        jr_thumb_vips_fail(w, 1, t->rel);
    }

    return mem;
}


/*
 * A thumbnail of the file at one width, decoded from the file (a
 * sequential source cannot be reread: hence the copy in memory).
 */
static VipsImage *
jr_thumb_decode(jr_work_t *w, int fd, int width)
{
    int          rc;
    VipsImage   *thumb;
    VipsSource  *src;
    jr_thumb_t  *t;

    t = w->data;

    /* sources share the file's offset with fd: start each from the top */
    if (lseek(fd, 0, SEEK_SET) != 0
        || (src = vips_source_new_from_descriptor(fd)) == NULL)
    {
        jr_thumb_vips_fail(w, 0, t->rel);
        return NULL;
    }

    /*
     * The height is no limit: the width alone decides.  libvips 8.14
     * gives thumbnail's own fail_on to file loaders only; for a source it
     * must be in the loader's options, or a truncated file passes.
     */
    rc = vips_thumbnail_source(src, &thumb, width,
                               "height", VIPS_MAX_COORD,
                               "size", VIPS_SIZE_DOWN,
                               "option_string", t->pages > 1
                                   ? "n=-1,fail_on=error" : "fail_on=error",
                               NULL);
    g_object_unref(src);

    return jr_thumb_computed(w, rc, thumb);
}


/*
 * A smaller width from a larger thumbnail already in memory: already
 * upright and in sRGB, so only the resize is left, at a fraction of the
 * cost of decoding the file again.
 */
static VipsImage *
jr_thumb_shrink(jr_work_t *w, VipsImage *from, int width)
{
    int         rc;
    VipsImage  *thumb;

    rc = vips_thumbnail_image(from, &thumb, width,
                              "height", VIPS_MAX_COORD,
                              "size", VIPS_SIZE_DOWN,
                              NULL);

    return jr_thumb_computed(w, rc, thumb);
}


/* One width, saved in each configured format. */
static int
jr_thumb_store(jr_work_t *w, VipsImage *mem, const jr_thumb_format_t *fmt)
{
    int                    rc;
    const jr_jobs_conf_t  *jc;

    jc = &w->jobs->cf->jobs;
    rc = 0;

    if (jc->thumb_formats & JR_THUMB_ORIGINAL) {
        rc = jr_thumb_save(w, mem, fmt, 0);
    }

    if (rc == 0 && (jc->thumb_formats & JR_THUMB_WEBP)
        && strcmp(fmt->format, "webp") != 0)
    {
        rc = jr_thumb_save(w, mem, fmt, 1);
    }

    return rc;
}


/*
 * The widths below the image's own (n of them, ascending).  A still image
 * is decoded once, to the largest, and the others are shrunk from that
 * copy in memory.  An animation is decoded per width: resizing its frames,
 * stacked as one tall image, would blend them at their seams.
 */
static void
jr_thumb_widths(jr_work_t *w, int fd, const jr_thumb_format_t *fmt,
    size_t n)
{
    size_t                 i;
    VipsImage             *largest, *mem;
    jr_thumb_t            *t;
    const jr_jobs_conf_t  *jc;

    t = w->data;
    jc = &w->jobs->cf->jobs;
    largest = NULL;

    if (t->pages == 1) {
        largest = jr_thumb_decode(w, fd, (int) jc->thumb_widths[n - 1]);
        if (largest == NULL) {
            return;
        }
    }

    for (i = 0; i < n; i++) {
        if (largest == NULL) {
            mem = jr_thumb_decode(w, fd, (int) jc->thumb_widths[i]);

        } else if (i == n - 1) {
            mem = largest;
            g_object_ref(mem);

        } else {
            mem = jr_thumb_shrink(w, largest, (int) jc->thumb_widths[i]);
        }

        if (mem == NULL) {
            break;
        }

        if (jr_thumb_store(w, mem, fmt) != 0) {
            g_object_unref(mem);
            break;
        }

        g_object_unref(mem);
    }

    if (largest != NULL) {
        g_object_unref(largest);
    }
}


/*
 * The header, without pixels: the format, the upright size, the frames;
 * and the checks against the pixel and memory caps.
 */
static const jr_thumb_format_t *
jr_thumb_header(jr_work_t *w, int fd)
{
    int                        swap;
    uint64_t                   pixels, bytes, cap;
    VipsImage                 *in;
    VipsSource                *src;
    const char                *loader;
    jr_thumb_t                *t;
    const jr_jobs_conf_t      *jc;
    const jr_thumb_format_t   *fmt;

    t = w->data;
    jc = &w->jobs->cf->jobs;

    if (lseek(fd, 0, SEEK_SET) != 0
        || (src = vips_source_new_from_descriptor(fd)) == NULL)
    {
        jr_thumb_vips_fail(w, 0, t->rel);
        return NULL;
    }

    loader = vips_foreign_find_load_source(src);
    fmt = NULL;

    for (fmt = jr_thumb_formats; loader && fmt->loader; fmt++) {
        if (strcmp(fmt->loader, loader) == 0) {
            break;
        }
    }

    if (loader == NULL || fmt->loader == NULL) {
        g_object_unref(src);
        vips_error_clear();
        jr_work_fail(w, 1, "%s: not a JPEG, PNG, GIF or WebP image%s%s",
                     t->rel, loader ? ": libvips reads it with " : "",
                     loader ? loader : "");
        return NULL;
    }

    in = vips_image_new_from_source(src, fmt->frames ? "n=-1" : "",
                                    "access", VIPS_ACCESS_SEQUENTIAL,
                                    "fail_on", VIPS_FAIL_ON_ERROR, NULL);
    g_object_unref(src);

    if (in == NULL) {
        jr_thumb_vips_fail(w, 1, t->rel);
        return NULL;
    }

    t->format = fmt->format;
    t->pages = vips_image_get_n_pages(in);
    t->width = vips_image_get_width(in);
    t->height = vips_image_get_page_height(in);
    swap = vips_image_get_orientation_swap(in);

    g_object_unref(in);

    if (t->pages < 1 || !fmt->frames) {
        t->pages = 1;
    }

    if (swap) {
        t->height ^= t->width;
        t->width ^= t->height;
        t->height ^= t->width;
    }

    pixels = (uint64_t) t->width * t->height * t->pages;

    if (pixels > jc->thumb_max_pixels) {
        jr_work_fail(w, 1, "%s: %dx%d%s%.0d is %llu pixels, more than "
                     "thumb_max_pixels (%llu)", t->rel, t->width, t->height,
                     t->pages > 1 ? "x" : "", t->pages > 1 ? t->pages : 0,
                     (unsigned long long) pixels,
                     (unsigned long long) jc->thumb_max_pixels);
        return NULL;
    }

    /*
     * JPEG and WebP shrink on load and PNG is read in strips, so their
     * memory follows the thumbnail; a GIF frame is decoded whole, as RGBA,
     * and an animation's thumbnail holds all its frames.
     */
    cap = (uint64_t) jc->thumb_memory_mb << 20;
    bytes = fmt->streams ? 0 : (uint64_t) t->width * t->height * 4;
    bytes += (uint64_t) jc->thumb_widths[jc->thumb_nwidths - 1]
             * jc->thumb_widths[jc->thumb_nwidths - 1] * 4 * t->pages;

    if (bytes > cap) {
        jr_work_fail(w, 1, "%s: %dx%d%s%.0d needs about %llu MB to decode, "
                     "more than thumb_memory_mb (%u)", t->rel, t->width,
                     t->height, t->pages > 1 ? "x" : "",
                     t->pages > 1 ? t->pages : 0,
                     (unsigned long long) (bytes >> 20), jc->thumb_memory_mb);
        return NULL;
    }

    return fmt;
}


static void
jr_thumb_work(jr_work_t *w)
{
    int                        fd;
    char                       path[JR_THUMB_PATH_MAX];
    size_t                     i;
    jr_thumb_t                *t;
    struct stat                st;
    const jr_jobs_conf_t      *jc;
    const jr_thumb_format_t   *fmt;

    t = w->data;
    jc = &w->jobs->cf->jobs;

    snprintf(path, sizeof(path), "%s/%s", jc->media_root, t->rel);

    /* the scan never offers symlinks; a file swapped for one is refused */
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

    if (fd == -1) {
        if (errno == ENOENT) {
            t->gone = 1;

        } else {
            jr_work_fail(w, errno == ELOOP, "cannot open %s: %s", t->rel,
                         strerror(errno));
        }

        goto done;
    }

    if (fstat(fd, &st) != 0) {
        jr_work_fail(w, 0, "cannot stat %s: %s", t->rel, strerror(errno));
        goto done;
    }

    if (!S_ISREG(st.st_mode)) {
        jr_work_fail(w, 1, "%s is not a regular file", t->rel);
        goto done;
    }

    if (st.st_size == 0) {
        jr_work_fail(w, 1, "%s is empty (0 bytes)", t->rel);
        goto done;
    }

    t->size = st.st_size;
    t->mtime = st.st_mtime;

    if (jr_thumb_hash(fd, t->hash) != 0) {
        jr_work_fail(w, 0, "cannot read %s: %s", t->rel, strerror(errno));
        goto done;
    }

    fmt = jr_thumb_header(w, fd);
    if (fmt == NULL) {
        goto done;
    }

    /* widths ascending; the image itself serves its own width and above */
    for (i = 0; i < jc->thumb_nwidths; i++) {
        if ((int) jc->thumb_widths[i] >= t->width) {
            break;
        }
    }

    if (i > 0) {
        jr_thumb_widths(w, fd, fmt, i);
    }

done:

    if (fd != -1) {
        close(fd);
    }

    /* libvips keeps buffers per thread; the pool's threads live on */
    vips_thread_shutdown();
}


/* Old variants that no media row will use once this one is replaced. */
static int
jr_thumb_orphans(jr_work_t *w, sqlite3 *db)
{
    int            rc;
    char          **grown;
    const char    *path;
    jr_thumb_t    *t;
    sqlite3_stmt  *stmt;

    t = w->data;

    rc = sqlite3_prepare_v2(db,
            "SELECT v.path FROM media m JOIN media_variants v"
            " ON v.media_id = m.id"
            " WHERE m.path = ?1 AND m.hash != ?2"
            " AND NOT EXISTS (SELECT 1 FROM media o"
            "                 WHERE o.hash = m.hash AND o.id != m.id)",
            -1, &stmt, NULL);
    if (rc != SQLITE_OK) {
        return -1;
    }

    rc = sqlite3_bind_text(stmt, 1, t->rel, -1, SQLITE_STATIC)
         | sqlite3_bind_text(stmt, 2, t->hash, -1, SQLITE_STATIC);

    while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        path = (const char *) sqlite3_column_text(stmt, 0);
        grown = realloc(t->orphans, (t->norphans + 1) * sizeof(char *));

        if (path == NULL || grown == NULL) {
            rc = SQLITE_NOMEM;
            break;
        }

        t->orphans = grown;
        t->orphans[t->norphans] = strdup(path);

        if (t->orphans[t->norphans] == NULL) {
            rc = SQLITE_NOMEM;
            break;
        }

        t->norphans++;
        rc = SQLITE_OK;
    }

    sqlite3_finalize(stmt);

    return rc == SQLITE_DONE ? 0 : -1;
}


static int
jr_thumb_commit(jr_work_t *w, sqlite3 *db)
{
    int            rc;
    size_t         i;
    int64_t        id;
    jr_thumb_t    *t;
    sqlite3_stmt  *stmt;

    t = w->data;

    if (t->gone) {
        return 0;
    }

    if (jr_thumb_orphans(w, db) != 0) {
        return -1;
    }

    rc = sqlite3_prepare_v2(db,
            "INSERT INTO media (path, hash, size, mtime, params, format,"
            " width, height, updated_at)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
            " ON CONFLICT (path) DO UPDATE SET hash = excluded.hash,"
            " size = excluded.size, mtime = excluded.mtime,"
            " params = excluded.params, format = excluded.format,"
            " width = excluded.width, height = excluded.height,"
            " updated_at = excluded.updated_at"
            " RETURNING id",
            -1, &stmt, NULL);
    if (rc != SQLITE_OK) {
        return -1;
    }

    rc = sqlite3_bind_text(stmt, 1, t->rel, -1, SQLITE_STATIC)
         | sqlite3_bind_text(stmt, 2, t->hash, -1, SQLITE_STATIC)
         | sqlite3_bind_int64(stmt, 3, t->size)
         | sqlite3_bind_int64(stmt, 4, t->mtime)
         | sqlite3_bind_text(stmt, 5, t->params, -1, SQLITE_STATIC)
         | sqlite3_bind_text(stmt, 6, t->format, -1, SQLITE_STATIC)
         | sqlite3_bind_int(stmt, 7, t->width)
         | sqlite3_bind_int(stmt, 8, t->height)
         | sqlite3_bind_int64(stmt, 9, time(NULL));

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
    }

    id = sqlite3_column_int64(stmt, 0);

    if (rc == SQLITE_ROW) {
        rc = sqlite3_step(stmt);
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        return -1;
    }

    rc = sqlite3_prepare_v2(db,
            "DELETE FROM media_variants WHERE media_id = ?1",
            -1, &stmt, NULL);
    if (rc != SQLITE_OK) {
        return -1;
    }

    rc = sqlite3_bind_int64(stmt, 1, id);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        return -1;
    }

    rc = sqlite3_prepare_v2(db,
            "INSERT INTO media_variants (media_id, format, width, height,"
            " path, bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            -1, &stmt, NULL);
    if (rc != SQLITE_OK) {
        return -1;
    }

    for (i = 0; i < t->nvariants; i++) {
        rc = sqlite3_bind_int64(stmt, 1, id)
             | sqlite3_bind_text(stmt, 2, t->variants[i].format, -1,
                                 SQLITE_STATIC)
             | sqlite3_bind_int(stmt, 3, t->variants[i].width)
             | sqlite3_bind_int(stmt, 4, t->variants[i].height)
             | sqlite3_bind_text(stmt, 5, t->variants[i].path, -1,
                                 SQLITE_STATIC)
             | sqlite3_bind_int64(stmt, 6, t->variants[i].bytes);

        if (rc == SQLITE_OK) {
            rc = sqlite3_step(stmt);
        }

        sqlite3_reset(stmt);

        if (rc != SQLITE_DONE) {
            break;
        }
    }

    sqlite3_finalize(stmt);

    return (t->nvariants == 0 || rc == SQLITE_DONE) ? 0 : -1;
}


static void
jr_thumb_done(jr_work_t *w)
{
    char                   path[JR_THUMB_PATH_MAX];
    size_t                 i;
    jr_thumb_t            *t;
    const jr_jobs_conf_t  *jc;

    t = w->data;
    jc = &w->jobs->cf->jobs;

    if (t == NULL || w->failed) {
        return;
    }

    if (t->gone) {
        jr_log(JR_LOG_INFO, "thumb %s: the file is gone, nothing to do",
               t->rel);
        return;
    }

    for (i = 0; i < t->norphans; i++) {
        snprintf(path, sizeof(path), "%s/%s", jc->media_root, t->orphans[i]);

        if (unlink(path) != 0 && errno != ENOENT) {
            jr_log(JR_LOG_WARN, "cannot delete old variant \"%s\": %s", path,
                   strerror(errno));
        }
    }

    jr_log(JR_LOG_INFO, "thumb %s: %s %dx%d%s, %zu variant%s in %llu ms, "
           "peak RSS %lu MB", t->rel, t->format, t->width, t->height,
           t->pages > 1 ? " animated" : "", t->nvariants,
           t->nvariants == 1 ? "" : "s",
           (unsigned long long) (uv_now(w->jobs->loop) - w->started),
           jr_jobs_peak_rss_kb() / 1024);
}


static void
jr_thumb_free(jr_work_t *w)
{
    size_t       i;
    jr_thumb_t  *t;

    t = w->data;

    if (t == NULL) {
        return;
    }

    for (i = 0; i < t->norphans; i++) {
        free(t->orphans[i]);
    }

    free(t->orphans);
    free(t->rel);
    free(t);
}


const jr_kind_t  jr_thumb_kind = {
    .name = "thumb",
    .bulk = 1,
    .start = jr_thumb_start,
    .stop = jr_thumb_stop,
    .prepare = jr_thumb_prepare,
    .work = jr_thumb_work,
    .commit = jr_thumb_commit,
    .done = jr_thumb_done,
    .free = jr_thumb_free
};
