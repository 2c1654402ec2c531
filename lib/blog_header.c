/*
 * Request header values that come from outside; see blog_header.h.
 */

#include <string.h>
#include <strings.h>

#include "blog_header.h"


int
blog_token_valid(const char *s, size_t len)
{
    size_t  i;

    if (len != BLOG_TOKEN_LEN) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }

    return 1;
}


/* The length of an "http://" or "https://" prefix of s, or 0. */
static size_t
blog_http_scheme(const char *s, size_t len)
{
    if (len >= 7 && strncasecmp(s, "http://", 7) == 0) {
        return 7;
    }

    if (len >= 8 && strncasecmp(s, "https://", 8) == 0) {
        return 8;
    }

    return 0;
}


int
blog_origin_match(const char *origin, size_t len, const char *host,
    size_t hlen)
{
    size_t  n;

    n = blog_http_scheme(origin, len);

    if (n == 0 || hlen == 0 || len - n < hlen
        || strncasecmp(origin + n, host, hlen) != 0)
    {
        return 0;
    }

    /* "scheme://host" exactly, or followed by a path */
    return len - n == hlen || origin[n + hlen] == '/';
}


int
blog_referrer_host(const char *ref, size_t len, const char **host,
    size_t *hlen)
{
    size_t       n;
    const char  *p, *end, *start, *close;

    n = blog_http_scheme(ref, len);
    if (n == 0) {
        return 0;
    }

    start = ref + n;

    /* the authority ends at the path, the query or the fragment */
    for (end = start; end < ref + len; end++) {
        if (*end == '/' || *end == '?' || *end == '#') {
            break;
        }
    }

    /* credentials go: the host follows the last '@' */
    for (p = start; p < end; p++) {
        if (*p == '@') {
            start = p + 1;
        }
    }

    if (start < end && *start == '[') {
        close = memchr(start, ']', end - start);
        if (close == NULL) {
            return 0;
        }

        p = close + 1;

    } else {
        /* the port goes */
        p = memchr(start, ':', end - start);
        if (p == NULL) {
            p = end;
        }
    }

    if (p == start) {
        return 0;
    }

    *host = start;
    *hlen = p - start;

    return 1;
}
