/*
 * libFuzzer target: redirects' "from" and "to" (blog_redirect.c).  Beyond
 * "no crash", it checks the promises the module relies on: a "from" key
 * is a path as nginx leaves a URI (from '/', no control character, no
 * empty, "." or ".." segment, no trailing '/'), then maybe a query in
 * printable ASCII, and an accepted "to" is a
 * local path or an http(s) URL in printable ASCII, so a Location never
 * carries CR, LF, a space or another scheme.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "blog_redirect.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static void
check_from(const char *key, size_t n)
{
    size_t       i;
    const char  *q;

    /* a query is kept as sent: printable ASCII, checked on its own */
    q = memchr(key, '?', n);
    if (q != NULL) {
        for (i = (size_t) (q - key) + 1; i < n; i++) {
            if ((unsigned char) key[i] <= 0x20
                || (unsigned char) key[i] >= 0x7f || key[i] == '#')
            {
                abort();
            }
        }

        if ((size_t) (q - key) + 1 == n) {
            abort();
        }

        n = (size_t) (q - key);
    }

    if (n == 0 || key[0] != '/' || (n > 1 && key[n - 1] == '/')) {
        abort();
    }

    for (i = 0; i < n; i++) {
        if ((unsigned char) key[i] < 0x20 || key[i] == 0x7f || key[i] == '?'
            || key[i] == '#' || key[i] == '\\')
        {
            abort();
        }

        if (key[i] == '/' && i + 1 < n
            && (key[i + 1] == '/'
                || (key[i + 1] == '.'
                    && (i + 2 == n || key[i + 2] == '/'
                        || (key[i + 2] == '.'
                            && (i + 3 == n || key[i + 3] == '/'))))))
        {
            abort();
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char        *key;
    size_t       i, n;
    const char  *p, *why;

    p = (const char *) data;

    key = malloc(size + 1);
    if (key == NULL) {
        return 0;
    }

    n = blog_redirect_from(p, size, key, &why);

    if (n > size || (n == 0 && why == NULL)) {
        abort();
    }

    if (n) {
        check_from(key, n);
    }

    free(key);

    if (blog_redirect_to_valid(p, size, &why)) {
        for (i = 0; i < size; i++) {
            if ((unsigned char) p[i] <= 0x20 || (unsigned char) p[i] >= 0x7f
                || p[i] == '\\')
            {
                abort();
            }
        }

        if (!(p[0] == '/' && (size == 1 || p[1] != '/'))
            && !(size > 7 && strncasecmp(p, "http://", 7) == 0)
            && !(size > 8 && strncasecmp(p, "https://", 8) == 0))
        {
            abort();
        }
    }

    return 0;
}
