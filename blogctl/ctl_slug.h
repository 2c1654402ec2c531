/*
 * Tag slugs: the URL names of tags.
 */

#ifndef CTL_SLUG_H
#define CTL_SLUG_H

#include <stddef.h>


/*
 * Writes the slug of the tag name s[0..n) to out, which needs n + 1 bytes
 * (a slug is never longer than its name), and returns its length: ASCII
 * letters lowercased, digits kept, every run of anything else one '-', no
 * '-' at either end.  0 means the name has no letter or digit.
 */
size_t ctl_tag_slug(const char *s, size_t n, char *out);

#endif /* CTL_SLUG_H */
