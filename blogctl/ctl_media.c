/*
 * Images of an import copied into the blog's media (ctl_media.h).
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sys/stat.h>
#include <openssl/evp.h>

#include "ctl_media.h"
#include "ctl_util.h"
#include "blog_markdown.h"
#include "blog_media.h"


struct ctl_media_link_s {
    char        *url;           /* as the Markdown has it */
    char        *to;            /* the copy's URL; NULL: left as it was */
};

struct ctl_media_file_s {
    char         sha256[65];
    char        *path;          /* "ab/<sha256>.<ext>" */
    char        *name;          /* the file's name in DIR */
    const char  *type;
    int64_t      size;
    int64_t      mtime;
};


static const char *const  ctl_media_exts[] = {
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", NULL
};


static int
ctl_media_is_image_name(const char *s, size_t n)
{
    size_t  i, k;

    for (i = 0; ctl_media_exts[i] != NULL; i++) {
        k = strlen(ctl_media_exts[i]);
        if (n > k && strncasecmp(s + n - k, ctl_media_exts[i], k) == 0) {
            return 1;
        }
    }

    return 0;
}


static int
ctl_media_hex(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}


/*
 * The path under the base folder that url names, percent-decoded, or NULL
 * when url is not a media link by m's rules; *base is the folder.
 * "" with *why for a link that is media but may not be followed.
 */
static char *
ctl_media_rel(ctl_media_t *m, const char *url, const char *file_dir,
    const char **base, const char **why)
{
    int          hi, lo;
    char        *rel, *o, *seg;
    size_t       n, i;
    const char  *p, *end;

    *why = NULL;

    end = url + strcspn(url, "?#");

    p = NULL;

    if (m->markers != NULL) {
        /* a marker anywhere: in the path, or in the host (WordPress.com's) */
        for (i = 0; p == NULL && m->markers[i] != NULL; i++) {
            p = strstr(url, m->markers[i]);
            p = (p != NULL && p < end) ? p + strlen(m->markers[i]) : NULL;
        }

        if (p == NULL) {
            return NULL;
        }

        *base = m->uploads_real;

    } else if (url[0] == '/' && url[1] != '/') {
        p = url + 1;                    /* a path from the site's root */
        *base = m->uploads_real;

    } else if (m->source_real != NULL && file_dir != NULL
               && strchr(url, ':') == NULL && url[0] != '/')
    {
        p = url;                        /* relative to the post's file */
        *base = file_dir;

    } else {
        return NULL;
    }

    n = (size_t) (end - p);

    if (m->markers == NULL && !ctl_media_is_image_name(p, n)) {
        return NULL;                    /* a page's link, not media */
    }

    rel = malloc(n + 1);
    if (rel == NULL) {
        return NULL;
    }

    for (o = rel; p < end; p++) {
        if (*p == '%' && end - p >= 3
            && (hi = ctl_media_hex(p[1])) >= 0
            && (lo = ctl_media_hex(p[2])) >= 0)
        {
            *o++ = (char) (hi << 4 | lo);
            p += 2;
            continue;
        }

        *o++ = *p;
    }

    *o = '\0';

    /* no way up and out of the folder, nor a NUL cutting the name short */
    if ((size_t) (o - rel) != strlen(rel) || rel[0] == '\0') {
        *why = "not a file name";
        rel[0] = '\0';
        return rel;
    }

    for (seg = rel; seg != NULL; seg = strchr(seg, '/'), seg = seg ? seg + 1
                                                                   : NULL)
    {
        if (strncmp(seg, "..", 2) == 0 && (seg[2] == '/' || seg[2] == '\0')) {
            *why = "leaves the uploads folder";
            rel[0] = '\0';
            return rel;
        }
    }

    return rel;
}


/* Writes data to media/path unless it is there: a dot-file, renamed. */
static int
ctl_media_store(ctl_media_t *m, const char *path, const char *data,
    size_t len, int64_t *mtime)
{
    int          fd, rc;
    char        *full, *tmp, *slash;
    struct stat  st;

    if (asprintf(&full, "%s/%s", m->media, path) == -1) {
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    rc = CTL_OK;
    tmp = NULL;

    if (stat(full, &st) != 0) {
        slash = strrchr(full, '/');
        *slash = '\0';
        if (mkdir(full, 0755) != 0 && errno != EEXIST) {
            ctl_error("%s: %s", full, strerror(errno));
            free(full);
            return CTL_ERROR;
        }

        if (asprintf(&tmp, "%s/.import-%ld.tmp", full, (long) getpid())
            == -1)
        {
            ctl_error("out of memory");
            free(full);
            return CTL_ERROR;
        }

        *slash = '/';

        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        if (fd == -1 || write(fd, data, len) != (ssize_t) len
            || fsync(fd) != 0 || close(fd) != 0 || rename(tmp, full) != 0
            || stat(full, &st) != 0)
        {
            ctl_error("%s: %s", full, strerror(errno));
            (void) unlink(tmp);
            rc = CTL_ERROR;
        }
    }

    *mtime = (int64_t) st.st_mtime;

    free(tmp);
    free(full);

    return rc;
}


/* The image at base/rel copied: its media URL into *to, or NULL. */
static int
ctl_media_copy(ctl_media_t *m, const char *where, const char *url,
    const char *base, const char *rel, char **to)
{
    int                  rc;
    char                *full, real[PATH_MAX], *data, hex[65];
    size_t               len, i, n;
    unsigned int         mdlen;
    unsigned char        md[EVP_MAX_MD_SIZE];
    ctl_media_file_t    *f;
    const blog_image_t  *img;

    *to = NULL;

    if (asprintf(&full, "%s/%s", base, rel) == -1) {
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    if (realpath(full, real) == NULL) {
        printf("missing %s: %s: no file %s\n", where, url, full);
        m->missing++;
        free(full);
        return CTL_OK;
    }

    free(full);

    /* a symbolic link may lead anywhere: the file must be in DIR */
    n = strlen(base);
    if (strncmp(real, base, n) != 0 || real[n] != '/') {
        printf("refused %s: %s: leaves the uploads folder\n", where, url);
        m->refused++;
        return CTL_OK;
    }

    if (ctl_read_file(real, &data, &len) != CTL_OK) {
        printf("missing %s: %s: %s cannot be read\n", where, url, real);
        m->missing++;
        return CTL_OK;
    }

    img = blog_image_type((unsigned char *) data, len);
    if (img == NULL) {
        printf("refused %s: %s: not a JPEG, PNG, GIF, WebP or AVIF image\n",
               where, url);
        m->refused++;
        free(data);
        return CTL_OK;
    }

    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1) {
        ctl_error("SHA-256 failed");
        free(data);
        return CTL_ERROR;
    }

    for (i = 0; i < mdlen && i < 32; i++) {
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    }

    /* an image linked from two posts is copied and recorded once */
    for (i = 0; i < m->nfiles; i++) {
        if (strcmp(m->files[i].sha256, hex) == 0) {
            free(data);
            return asprintf(to, "%s%s", m->url, m->files[i].path) == -1
                   ? CTL_ERROR : CTL_OK;
        }
    }

    f = realloc(m->files, (m->nfiles + 1) * sizeof(ctl_media_file_t));
    if (f == NULL) {
        free(data);
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    m->files = f;
    f = &m->files[m->nfiles];
    memset(f, 0, sizeof(ctl_media_file_t));
    memcpy(f->sha256, hex, 65);
    f->type = img->type;
    f->size = (int64_t) len;

    rc = CTL_ERROR;

    if (asprintf(&f->path, "%.2s/%s.%s", hex, hex, img->ext) != -1
        && (f->name = strdup(strrchr(real, '/') + 1)) != NULL)
    {
        rc = ctl_media_store(m, f->path, data, len, &f->mtime);
    }

    free(data);

    if (rc != CTL_OK || asprintf(to, "%s%s", m->url, f->path) == -1) {
        free(f->path);
        free(f->name);
        *to = NULL;
        return CTL_ERROR;
    }

    m->nfiles++;
    m->copied++;

    return CTL_OK;
}


/*
 * The new URL of url (NULL: as it was), found once per URL (per URL and
 * folder for a link relative to the post's file).
 */
static int
ctl_media_link(ctl_media_t *m, ctl_file_t *f, const char *url,
    const char **to)
{
    int                rc;
    char              *rel, *dir, *key, *slash, *copy, real[PATH_MAX];
    size_t             i, n;
    const char        *base, *why;
    ctl_media_link_t  *l;

    *to = NULL;
    dir = NULL;

    if (m->source_real != NULL && url[0] != '/' && strchr(url, ':') == NULL) {
        dir = strdup(f->path);
        if (dir == NULL) {
            return CTL_ERROR;
        }

        slash = strrchr(dir, '/');
        if (slash != NULL) {
            *slash = '\0';
        }

        /* the file's folder, which must be in the content folder */
        n = strlen(m->source_real);
        if (realpath(dir, real) == NULL
            || strncmp(real, m->source_real, n) != 0
            || (real[n] != '/' && real[n] != '\0'))
        {
            free(dir);
            return CTL_OK;
        }

        free(dir);
        dir = strdup(real);
        if (dir == NULL) {
            return CTL_ERROR;
        }
    }

    if (asprintf(&key, "%s\n%s", dir ? dir : "", url) == -1) {
        free(dir);
        return CTL_ERROR;
    }

    for (i = 0; i < m->nlinks; i++) {
        if (strcmp(m->links[i].url, key) == 0) {
            *to = m->links[i].to;
            free(key);
            free(dir);
            return CTL_OK;
        }
    }

    copy = NULL;
    rc = CTL_OK;
    rel = ctl_media_rel(m, url, dir, &base, &why);

    if (rel != NULL && why != NULL) {
        printf("refused %s: %s: %s\n", f->path, url, why);
        m->refused++;

    } else if (rel != NULL) {
        rc = ctl_media_copy(m, f->path, url, base, rel, &copy);
    }

    free(rel);
    free(dir);

    l = (rc == CTL_OK)
        ? realloc(m->links, (m->nlinks + 1) * sizeof(ctl_media_link_t))
        : NULL;

    if (l == NULL) {
        free(key);
        free(copy);
        return CTL_ERROR;
    }

    m->links = l;
    l[m->nlinks].url = key;
    l[m->nlinks].to = copy;
    m->nlinks++;
    *to = copy;

    return CTL_OK;
}


int
ctl_media_post(ctl_media_t *m, ctl_file_t *f)
{
    int          changed;
    char        *url, *md, *o;
    size_t       n, size;
    const char  *p, *start, *end, *to;

    if (m->uploads == NULL) {
        return CTL_OK;
    }

    if (m->uploads_real == NULL) {
        m->uploads_real = realpath(m->uploads, NULL);
        if (m->uploads_real == NULL) {
            ctl_error("%s: %s", m->uploads, strerror(errno));
            return CTL_ERROR;
        }

        if (m->source != NULL) {
            m->source_real = realpath(m->source, NULL);
            if (m->source_real == NULL) {
                ctl_error("%s: %s", m->source, strerror(errno));
                return CTL_ERROR;
            }
        }
    }

    size = strlen(f->doc.body) + 1;
    md = malloc(size);
    if (md == NULL) {
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    o = md;
    changed = 0;

    /* "](URL" and "](<URL>": the links and images of Markdown */
    for (p = f->doc.body; *p; /* void */) {
        if (p[0] != ']' || p[1] != '(') {
            *o++ = *p++;
            continue;
        }

        *o++ = *p++;
        *o++ = *p++;

        start = p + (*p == '<');
        end = start + strcspn(start, *p == '<' ? ">\n" : " \t\n)");
        n = (size_t) (end - start);

        url = strndup(start, n);
        if (url == NULL || ctl_media_link(m, f, url, &to) != CTL_OK) {
            free(url);
            free(md);
            ctl_error("out of memory");
            return CTL_ERROR;
        }

        free(url);

        if (to == NULL) {
            memcpy(o, p, (size_t) (end - p));
            o += end - p;
            p = end;
            continue;
        }

        n = strlen(to);
        if ((size_t) (o - md) + n + strlen(end) + 2 > size) {
            size = (size_t) (o - md) + n + strlen(end) + 2 + size;
            url = realloc(md, size);
            if (url == NULL) {
                free(md);
                ctl_error("out of memory");
                return CTL_ERROR;
            }

            o = url + (o - md);
            md = url;
        }

        if (*p == '<') {
            *o++ = '<';
        }

        o = stpcpy(o, to);
        p = end;
        changed = 1;
    }

    *o = '\0';

    if (!changed) {
        free(md);
        return CTL_OK;
    }

    free(f->doc.body);
    free(f->html);
    free(f->summary);
    f->doc.body = md;
    f->html = NULL;
    f->summary = NULL;

    if (blog_markdown_render(md, strlen(md), &f->html,
                             f->doc.summary == NULL ? &f->summary : NULL)
        != 0)
    {
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    return CTL_OK;
}


int
ctl_media_record(ctl_media_t *m, sqlite3 *db, int64_t now)
{
    int                rc;
    size_t             i;
    sqlite3_stmt      *rec, *job;
    ctl_media_file_t  *f;

    if (m->nfiles == 0) {
        return CTL_OK;
    }

    rec = NULL;
    job = NULL;

    rc = sqlite3_prepare_v2(db, BLOG_MEDIA_SQL_RECORD, -1, &rec, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_prepare_v2(db, BLOG_MEDIA_SQL_THUMB, -1, &job, NULL);
    }

    for (i = 0; rc == SQLITE_OK && i < m->nfiles; i++) {
        f = &m->files[i];

        sqlite3_bind_text(rec, 1, f->sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(rec, 2, f->path, -1, SQLITE_STATIC);
        sqlite3_bind_text(rec, 3, f->type, -1, SQLITE_STATIC);
        sqlite3_bind_int64(rec, 4, f->size);
        sqlite3_bind_text(rec, 5, f->name, -1, SQLITE_STATIC);
        sqlite3_bind_null(rec, 6);
        sqlite3_bind_int64(rec, 7, now);

        rc = sqlite3_step(rec);
        sqlite3_reset(rec);

        if (rc != SQLITE_DONE) {
            break;
        }

        rc = SQLITE_OK;

        /* recorded before (a second import, an upload): its job was queued */
        if (sqlite3_changes(db) == 0) {
            continue;
        }

        sqlite3_bind_text(job, 1, f->path, -1, SQLITE_STATIC);
        sqlite3_bind_int64(job, 2, f->size);
        sqlite3_bind_int64(job, 3, f->mtime);
        sqlite3_bind_int64(job, 4, now);

        rc = sqlite3_step(job);
        sqlite3_reset(job);
        rc = (rc == SQLITE_DONE) ? SQLITE_OK : rc;
    }

    sqlite3_finalize(rec);
    sqlite3_finalize(job);

    if (rc != SQLITE_OK) {
        ctl_error("media: %s", sqlite3_errmsg(db));
        return CTL_ERROR;
    }

    return CTL_OK;
}


void
ctl_media_report(ctl_media_t *m)
{
    if (m->uploads != NULL) {
        printf("media: %zu images, %zu missing, %zu refused\n", m->copied,
               m->missing, m->refused);
    }
}


void
ctl_media_free(ctl_media_t *m)
{
    size_t  i;

    for (i = 0; i < m->nlinks; i++) {
        free(m->links[i].url);
        free(m->links[i].to);
    }

    for (i = 0; i < m->nfiles; i++) {
        free(m->files[i].path);
        free(m->files[i].name);
    }

    free(m->links);
    free(m->files);
    free(m->uploads_real);
    free(m->source_real);
}
