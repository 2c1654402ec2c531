/*
 * blogctl import ... --uploads DIR: the images an imported post links to,
 * found in DIR (the old blog's uploads folder), stored in the blog's
 * media folder and recorded as the panel stores and records an upload
 * (lib/blog_media.h: by content, "ab/<sha256>.<ext>", a "thumb" job in
 * the same transaction as the posts), and the post's links rewritten to
 * them.  A file that is missing, is not an image, or lies outside DIR
 * (a ".." or a symbolic link out of it) is reported and its link left as
 * it was: an import does not fail for a missing picture.
 */

#ifndef CTL_MEDIA_H
#define CTL_MEDIA_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "ctl_import.h"


typedef struct ctl_media_link_s  ctl_media_link_t;
typedef struct ctl_media_file_s  ctl_media_file_t;

typedef struct {
    const char         *uploads;    /* --uploads DIR; NULL: no copying */
    const char         *media;      /* the blog's media folder */
    const char         *url;        /* its URL: "/media/" */

    /*
     * Which links are media: those with one of markers in their URL, the
     * rest of the path under DIR ("/wp-content/uploads/" and WordPress.com's
     * ".files.wordpress.com/" for WordPress, "/content/images/" for
     * Ghost); without any, an image's path from the site's root
     * ("/assets/a.png": Jekyll's DIR is its site, Hugo's its static/).
     * With source, an image's path relative to the post's file is under
     * that file's folder (Hugo's page bundles), which must be in source.
     */
    const char *const  *markers;
    const char         *source;

    char               *uploads_real;
    char               *source_real;
    ctl_media_link_t   *links;      /* each URL seen once */
    size_t              nlinks;
    ctl_media_file_t   *files;      /* the images to record */
    size_t              nfiles;
    size_t              copied;
    size_t              missing;
    size_t              refused;
} ctl_media_t;


/*
 * Rewrites the links of f's Markdown (f->doc.body) to the images copied,
 * renders it again if it changed: CTL_OK, or CTL_ERROR (out of memory, a
 * media folder that cannot be written; reported).
 */
int ctl_media_post(ctl_media_t *m, ctl_file_t *f);

/* Records the images copied, inside the import's transaction. */
int ctl_media_record(ctl_media_t *m, sqlite3 *db, int64_t now);

/* "media: N images, M missing, K refused", when --uploads was given. */
void ctl_media_report(ctl_media_t *m);

void ctl_media_free(ctl_media_t *m);

#endif /* CTL_MEDIA_H */
