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


int
blog_referrer_path(const char *ref, size_t len, const char **path,
    size_t *plen)
{
    size_t       n;
    const char  *p, *end, *last;

    n = blog_http_scheme(ref, len);
    if (n == 0) {
        return 0;
    }

    last = ref + len;

    for (p = ref + n; p < last && *p != '/'; p++) {
        if (*p == '?' || *p == '#') {
            return 0;
        }
    }

    for (end = p; end < last && *end != '?' && *end != '#'; end++) {
        /* void */
    }

    /* "/" alone is the site's front page: the host says it all */
    if (end - p <= 1) {
        return 0;
    }

    *path = p;
    *plen = end - p;

    return 1;
}


/*
 * qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), at *pos:
 * whether it is above zero; *pos moves past the digits read.
 */
static int
blog_qvalue(const char **pos, const char *last)
{
    int          one, above_zero;
    size_t       digits;
    const char  *p;

    p = *pos;

    if (p == last || (*p != '0' && *p != '1')) {
        return 0;
    }

    one = (*p++ == '1');
    above_zero = one;
    digits = 0;

    if (p < last && *p == '.') {
        for (p++; p < last && *p >= '0' && *p <= '9'; p++) {
            if (*p != '0') {
                if (one) {
                    return 0;
                }

                above_zero = 1;
            }

            digits++;
        }
    }

    *pos = p;

    if (digits > 3
        || (p < last && *p != ',' && *p != ';' && *p != ' ' && *p != '\t'))
    {
        return 0;
    }

    return above_zero;
}


int
blog_accepts_coding(const char *ae, size_t len, const char *coding,
    size_t clen)
{
    int          match, q;
    const char  *p, *last, *token;

    p = ae;
    last = ae + len;

    for ( ;; ) {
        while (p < last && (*p == ',' || *p == ' ' || *p == '\t')) {
            p++;
        }

        if (p == last) {
            return 0;
        }

        token = p;

        while (p < last && *p != ',' && *p != ';' && *p != ' ' && *p != '\t') {
            p++;
        }

        match = ((size_t) (p - token) == clen
                 && strncasecmp(token, coding, clen) == 0);
        q = 1;

        /* the element's parameters: only "q" matters */
        while (p < last && *p != ',') {
            if (*p++ != ';') {
                continue;
            }

            while (p < last && (*p == ' ' || *p == '\t')) {
                p++;
            }

            if (last - p >= 2 && (*p == 'q' || *p == 'Q') && p[1] == '=') {
                p += 2;
                q = blog_qvalue(&p, last);
            }
        }

        if (match) {
            return q;
        }
    }
}
