/*
 * What an upload is, shared by the panel's uploads (the module's
 * admin/ngx_http_blog_admin_media.c) and blogctl's imports of media
 * (blogctl/ctl_media.c), so that an imported image is stored, recorded
 * and thumbnailed exactly as an uploaded one:
 *
 * - accepted only if its first bytes say JPEG, PNG, GIF, WebP or AVIF;
 * - stored under the media folder by content, "ab/<sha256>.<ext>";
 * - recorded in "uploads" and given a "thumb" job in job_outbox in the
 *   same transaction, with the SQL below.
 */

#ifndef BLOG_MEDIA_H
#define BLOG_MEDIA_H

#include <stddef.h>


typedef struct {
    const char  *ext;
    const char  *type;
} blog_image_t;


/* The image type the first bytes show, or NULL: magic numbers, not names. */
const blog_image_t *blog_image_type(const unsigned char *p, size_t len);


/*
 * ?1 sha256 (hex), ?2 path ("ab/<sha256>.<ext>"), ?3 type, ?4 size,
 * ?5 name as shown in the panel, ?6 user id (NULL: an import), ?7 now.
 * Changes no row for a file already recorded.
 */
#define BLOG_MEDIA_SQL_RECORD                                                 \
    "INSERT OR IGNORE INTO uploads (sha256, path, type, size,"                \
    "  name, user_id, created_at)"                                            \
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"

/*
 * The jobrunner makes the variants: a "thumb" job like those of its media
 * scan, keyed by this version of the file (the scan adds its own
 * parameters to its keys; ours says where it came from).
 * ?1 path, ?2 size, ?3 the stored file's mtime, ?4 now.
 */
#define BLOG_MEDIA_SQL_THUMB                                                  \
    "INSERT INTO job_outbox (kind, dedupe_key, payload,"                      \
    "  run_after, created_at)"                                                \
    " VALUES ('thumb',"                                                       \
    "  'thumb:' || ?1 || ':' || ?2 || ':' || ?3 || ':upload',"                \
    "  json_object('mtime', ?3, 'path', ?1, 'size', ?2),"                     \
    "  ?4, ?4)"

#endif /* BLOG_MEDIA_H */
