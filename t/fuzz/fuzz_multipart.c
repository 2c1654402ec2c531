/*
 * libFuzzer target: multipart/form-data bodies (blog_multipart.c), as the
 * admin panel's media upload reads them from any client that gets that
 * far.  The input is a Content-Type header value, a line break, and the
 * body.  Beyond "no crash", it checks the parser's promises: every name,
 * filename, type and part data lies inside what it was given, a part's
 * data never holds the delimiter, and no more parts than room.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blog_multipart.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


#define FUZZ_PARTS  8


static void
fuzz_inside(const char *p, size_t len, const char *buf, size_t size)
{
    if (p == NULL) {
        if (len != 0) {
            abort();
        }
        return;
    }

    if (p < buf || p + len > buf + size) {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char         delim[BLOG_MULTIPART_BOUNDARY_MAX + 4];
    size_t       i, n, blen, clen;
    blog_part_t  parts[FUZZ_PARTS];
    const char  *ctype, *body, *nl, *boundary;

    ctype = (const char *) data;
    nl = memchr(ctype, '\n', size);
    clen = nl ? (size_t) (nl - ctype) : size;

    if (blog_multipart_boundary(ctype, clen, &boundary, &blen)
        != BLOG_MULTIPART_OK)
    {
        return 0;
    }

    if (blen == 0 || blen > BLOG_MULTIPART_BOUNDARY_MAX
        || boundary < ctype || boundary + blen > ctype + clen)
    {
        abort();
    }

    body = nl ? nl + 1 : ctype + size;

    if (blog_multipart_parse(body, ctype + size - body, boundary, blen,
                             parts, FUZZ_PARTS, &n)
        != BLOG_MULTIPART_OK)
    {
        return 0;
    }

    if (n > FUZZ_PARTS) {
        abort();
    }

    memcpy(delim, "\r\n--", 4);
    memcpy(delim + 4, boundary, blen);

    for (i = 0; i < n; i++) {
        fuzz_inside(parts[i].name, parts[i].name_len, body,
                    ctype + size - body);
        fuzz_inside(parts[i].filename, parts[i].filename_len, body,
                    ctype + size - body);
        fuzz_inside(parts[i].type, parts[i].type_len, body,
                    ctype + size - body);
        fuzz_inside(parts[i].data, parts[i].len, body, ctype + size - body);

        if (parts[i].name == NULL
            || memmem(parts[i].data, parts[i].len, delim, blen + 4) != NULL)
        {
            abort();
        }
    }

    return 0;
}
