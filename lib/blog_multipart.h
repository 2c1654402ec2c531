/*
 * multipart/form-data bodies (RFC 7578): buffer in, parts out.  Parts
 * point into the buffer, nothing is copied or allocated.  Pure C, no nginx
 * types, so that it can be unit-tested and fuzzed alone.
 */

#ifndef BLOG_MULTIPART_H
#define BLOG_MULTIPART_H

#include <stddef.h>

/* RFC 2046: a boundary is 1 to 70 characters. */
#define BLOG_MULTIPART_BOUNDARY_MAX  70

typedef enum {
    BLOG_MULTIPART_OK = 0,
    BLOG_MULTIPART_BAD,          /* malformed, or more parts than room */
} blog_multipart_rc_e;

typedef struct {
    const char  *name;           /* form field name, not NUL-terminated */
    size_t       name_len;
    const char  *filename;       /* NULL for a plain field */
    size_t       filename_len;
    const char  *type;           /* Content-Type, NULL if none */
    size_t       type_len;
    const char  *data;
    size_t       len;
} blog_part_t;


/*
 * Finds the boundary parameter of a Content-Type header value
 * ("multipart/form-data; boundary=xyz", quoted or not).  Returns
 * BLOG_MULTIPART_BAD unless the type is multipart/form-data with a valid
 * boundary.
 */
blog_multipart_rc_e blog_multipart_boundary(const char *ctype, size_t len,
    const char **boundary, size_t *blen);

/*
 * Splits body[0..len) into at most max parts; *n gets how many.  Every
 * part must have a Content-Disposition: form-data header with a name;
 * the body must end with the close delimiter ("--boundary--").
 */
blog_multipart_rc_e blog_multipart_parse(const char *body, size_t len,
    const char *boundary, size_t blen, blog_part_t *parts, size_t max,
    size_t *n);

#endif /* BLOG_MULTIPART_H */
