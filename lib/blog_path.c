/*
 * Slugs, page numbers and confined file paths; see blog_path.h.
 */

#include "blog_path.h"


#define blog_is_lower_digit(c)  (((c) >= 'a' && (c) <= 'z')                  \
                                 || ((c) >= '0' && (c) <= '9'))


int
blog_slug_valid(const char *s, size_t n)
{
    size_t  i;

    if (n == 0 || n > BLOG_SLUG_MAX || !blog_is_lower_digit(s[0])) {
        return 0;
    }

    for (i = 1; i < n; i++) {
        if (!blog_is_lower_digit(s[i]) && s[i] != '-') {
            return 0;
        }
    }

    return 1;
}


unsigned long
blog_page_number(const char *s, size_t n)
{
    size_t         i;
    unsigned long  number;

    /* one spelling per page, so caches and crawlers see one URL */
    if (n == 0 || n > 9 || s[0] == '0') {
        return 0;
    }

    number = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }

        number = number * 10 + (unsigned long) (s[i] - '0');
    }

    return number;
}


blog_path_e
blog_path_check(const char *p, size_t len, const char **why)
{
    size_t  i, start;

    *why = NULL;

    if (len == 0) {
        return BLOG_PATH_NOT_FOUND;
    }

    start = 0;

    for (i = 0; i <= len; i++) {

        if (i < len && p[i] != '/') {
            if (p[i] == '\0') {
                *why = "NUL byte";
                return BLOG_PATH_BAD;
            }

            if (p[i] == '\\') {
                *why = "backslash";
                return BLOG_PATH_BAD;
            }

            continue;
        }

        /* a segment ends at i */

        if (i == start) {
            if (i == len) {
                return BLOG_PATH_NOT_FOUND;     /* "dir/": a folder */
            }

            *why = "empty segment";
            return BLOG_PATH_BAD;
        }

        if (p[start] == '.') {
            *why = (i - start == 2 && p[start + 1] == '.') ? "\"..\" segment"
                                                          : "dot-file segment";
            return BLOG_PATH_BAD;
        }

        start = i + 1;
    }

    return BLOG_PATH_OK;
}
