/*
 * libFuzzer target: the request header values the module reads from
 * anyone (blog_header.c): a cookie's value as a session or CSRF token, the
 * Origin or Referer of a POST against the Host, the Referer's host for the
 * analytics, the codings of Accept-Encoding.  The input is a header value,
 * a line break, and a Host (or a coding).  Beyond "no crash", it checks the
 * promises the module relies on: a token is 64 lowercase hex digits and
 * nothing else, an accepted origin starts with the scheme and the host, a
 * referrer host lies inside the value with no credentials, path or
 * (outside brackets) port in it, and a coding taken is in the value and
 * never taken as "coding;q=0".
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "blog_header.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t       i, len, hlen, n;
    const char  *v, *host, *nl, *h;

    v = (const char *) data;
    nl = memchr(v, '\n', size);
    len = nl ? (size_t) (nl - v) : size;
    host = nl ? nl + 1 : v + size;
    hlen = v + size - host;

    if (blog_token_valid(v, len)) {
        if (len != BLOG_TOKEN_LEN) {
            abort();
        }

        for (i = 0; i < len; i++) {
            if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
            {
                abort();
            }
        }
    }

    if (blog_origin_match(v, len, host, hlen)) {
        n = strncasecmp(v, "https://", 8) == 0 ? 8 : 7;

        if (hlen == 0 || len < n + hlen
            || (strncasecmp(v, "http://", 7) != 0 && n == 7)
            || strncasecmp(v + n, host, hlen) != 0
            || (len > n + hlen && v[n + hlen] != '/'))
        {
            abort();
        }
    }

    if (blog_referrer_host(v, len, &h, &n)) {
        if (n == 0 || h < v || h + n > v + len) {
            abort();
        }

        for (i = 0; i < n; i++) {
            if (h[i] == '@' || h[i] == '/' || h[i] == '?' || h[i] == '#'
                || (h[i] == ':' && h[0] != '['))
            {
                abort();
            }
        }
    }

    if (hlen && blog_accepts_coding(v, len, host, hlen)) {
        for (i = 0; i + hlen <= len; i++) {
            if (strncasecmp(v + i, host, hlen) == 0) {
                break;
            }
        }

        if (i + hlen > len
            || (len == hlen + 4 && memcmp(v + hlen, ";q=0", 4) == 0))
        {
            abort();
        }
    }

    return 0;
}
