/*
 * application/x-www-form-urlencoded bodies: buffer in, fields out.  Pure
 * C, no nginx types, so that it can be unit-tested and fuzzed alone.
 */

#ifndef BLOG_FORM_H
#define BLOG_FORM_H

#include <stddef.h>

/* More fields than any form of the admin panel or the comment form has. */
#define BLOG_FORM_MAX_FIELDS  64

typedef enum {
    BLOG_FORM_OK = 0,
    BLOG_FORM_BAD,             /* malformed escape, %00, too many fields */
    BLOG_FORM_NOMEM
} blog_form_rc_e;

typedef struct {
    const char  *name;         /* decoded, NUL-terminated */
    const char  *value;        /* decoded, NUL-terminated */
    size_t       len;          /* of value */
} blog_field_t;

typedef struct {
    blog_field_t  *fields;
    size_t         n;
    char          *mem;        /* the decoded names and values */
} blog_form_t;


/*
 * Decodes buf[0..len): fields separated by '&', name and value by the
 * first '=', '+' for space, %XX escapes.  Empty segments ("a=1&&b=2") are
 * skipped; a field without '=' has an empty value.  A NUL byte (%00) is
 * refused: values are used as C strings.  On success free the form with
 * blog_form_free.
 */
blog_form_rc_e blog_form_parse(blog_form_t *form, const char *buf,
    size_t len);

/* The first field called name, or NULL. */
const blog_field_t *blog_form_get(const blog_form_t *form, const char *name);

void blog_form_free(blog_form_t *form);

/* Whether s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
int blog_utf8_valid(const char *s, size_t len);

/* How many characters (code points) well-formed UTF-8 s[0..len) has. */
size_t blog_utf8_chars(const char *s, size_t len);

#endif /* BLOG_FORM_H */
