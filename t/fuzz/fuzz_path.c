/*
 * libFuzzer target: the rules for what a URL may name (blog_path.c).
 * Beyond "no crash", it checks the promises the module relies on: an
 * accepted path has no ".." segment, NUL or backslash, and an accepted
 * slug only [a-z0-9-].
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blog_path.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t       i;
    const char  *p, *why;

    p = (const char *) data;

    if (blog_path_check(p, size, &why) == BLOG_PATH_OK) {
        if (memchr(p, '\0', size) || memchr(p, '\\', size) || p[0] == '.'
            || p[0] == '/')
        {
            abort();
        }

        for (i = 0; i + 1 < size; i++) {
            if (p[i] == '/' && (p[i + 1] == '.' || p[i + 1] == '/')) {
                abort();
            }
        }
    }

    if (blog_slug_valid(p, size)) {
        for (i = 0; i < size; i++) {
            if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9')
                  || (p[i] == '-' && i > 0)))
            {
                abort();
            }
        }
    }

    if (blog_page_number(p, size) > 999999999UL) {
        abort();
    }

    return 0;
}
