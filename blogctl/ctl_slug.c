/*
 * Tag slug derivation (post slugs are checked by blog_slug_valid()).  Only ASCII counts as a
 * letter: slugs end up in URLs, where anything else would be escaped.
 */

#include "ctl_slug.h"


#define ctl_is_lower_digit(c)  (((c) >= 'a' && (c) <= 'z')                   \
                                || ((c) >= '0' && (c) <= '9'))


size_t
ctl_tag_slug(const char *s, size_t n, char *out)
{
    char    c;
    size_t  i, len;
    int     dash;

    len = 0;
    dash = 0;

    for (i = 0; i < n; i++) {
        c = s[i];

        if (c >= 'A' && c <= 'Z') {
            c = (char) (c - 'A' + 'a');
        }

        if (!ctl_is_lower_digit(c)) {
            dash = 1;
            continue;
        }

        /* a run of separators becomes one '-', but only between words */
        if (dash && len > 0) {
            out[len++] = '-';
        }

        dash = 0;
        out[len++] = c;
    }

    out[len] = '\0';

    return len;
}
