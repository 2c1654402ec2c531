/*
 * multipart/form-data, as browsers send it:
 *
 *   --B CRLF headers CRLF CRLF data CRLF --B CRLF ... CRLF --B-- [CRLF]
 *
 * Only the headers a form sends are read: Content-Disposition (name,
 * filename) and Content-Type.  Parameter values are taken as they are
 * between the quotes: browsers percent-encode '"' and line breaks in
 * names, they do not backslash-escape them.
 */

#include <string.h>
#include <strings.h>

#include "blog_multipart.h"


#define blog_is_space(c)  ((c) == ' ' || (c) == '\t')


/* memmem(3) without _GNU_SOURCE, for a portable pure file. */
static const char *
blog_find(const char *p, size_t n, const char *s, size_t sn)
{
    const char  *last;

    if (sn > n) {
        return NULL;
    }

    last = p + n - sn;

    for ( /* void */ ; p <= last; p++) {
        p = memchr(p, s[0], last - p + 1);
        if (p == NULL) {
            return NULL;
        }

        if (memcmp(p, s, sn) == 0) {
            return p;
        }
    }

    return NULL;
}


static int
blog_boundary_char(char c)
{
    /* RFC 2046 bchars, less the space it allows inside */
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || strchr("'()+_,-./:=?", c) != NULL;
}


blog_multipart_rc_e
blog_multipart_boundary(const char *ctype, size_t len, const char **boundary,
    size_t *blen)
{
    size_t       i;
    const char  *p, *end, *b, *e;

    static const char  type[] = "multipart/form-data";

    if (len < sizeof(type) - 1
        || strncasecmp(ctype, type, sizeof(type) - 1) != 0)
    {
        return BLOG_MULTIPART_BAD;
    }

    end = ctype + len;

    for (p = ctype + sizeof(type) - 1; p < end; /* void */ ) {
        p = memchr(p, ';', end - p);
        if (p == NULL) {
            return BLOG_MULTIPART_BAD;
        }

        for (p++; p < end && blog_is_space(*p); p++) { /* void */ }

        if ((size_t) (end - p) < 9 || strncasecmp(p, "boundary=", 9) != 0) {
            continue;
        }

        b = p + 9;

        if (b < end && *b == '"') {
            b++;
            e = memchr(b, '"', end - b);
            if (e == NULL) {
                return BLOG_MULTIPART_BAD;
            }

        } else {
            for (e = b; e < end && *e != ';' && !blog_is_space(*e); e++) {
                /* void */
            }
        }

        if (e == b || e - b > BLOG_MULTIPART_BOUNDARY_MAX) {
            return BLOG_MULTIPART_BAD;
        }

        for (i = 0; i < (size_t) (e - b); i++) {
            if (!blog_boundary_char(b[i])) {
                return BLOG_MULTIPART_BAD;
            }
        }

        *boundary = b;
        *blen = e - b;

        return BLOG_MULTIPART_OK;
    }

    return BLOG_MULTIPART_BAD;
}


/*
 * Finds param="value" (or param=value) in a header value; names are
 * matched whole, so "name" does not match inside "filename".
 */
static int
blog_header_param(const char *v, size_t n, const char *param,
    const char **value, size_t *vlen)
{
    size_t       pl;
    const char  *p, *end, *e;

    pl = strlen(param);
    end = v + n;

    for (p = v; p < end; /* void */ ) {
        p = memchr(p, ';', end - p);
        if (p == NULL) {
            return 0;
        }

        for (p++; p < end && blog_is_space(*p); p++) { /* void */ }

        if ((size_t) (end - p) <= pl || strncasecmp(p, param, pl) != 0
            || p[pl] != '=')
        {
            continue;
        }

        p += pl + 1;

        if (p < end && *p == '"') {
            p++;
            e = memchr(p, '"', end - p);
            if (e == NULL) {
                return -1;
            }

        } else {
            for (e = p; e < end && *e != ';' && !blog_is_space(*e); e++) {
                /* void */
            }
        }

        *value = p;
        *vlen = e - p;

        return 1;
    }

    return 0;
}


/* Reads the headers of one part, h[0..n) without the blank line. */
static blog_multipart_rc_e
blog_part_headers(const char *h, size_t n, blog_part_t *part)
{
    int          seen;
    size_t       ln, vl;
    const char  *p, *end, *eol, *colon, *v;

    end = h + n;
    seen = 0;

    for (p = h; p < end; p = eol + 2) {
        eol = blog_find(p, end - p, "\r\n", 2);
        if (eol == NULL) {
            eol = end;
        }

        ln = eol - p;
        colon = memchr(p, ':', ln);
        if (colon == NULL) {
            return BLOG_MULTIPART_BAD;
        }

        for (v = colon + 1; v < eol && blog_is_space(*v); v++) { /* void */ }
        vl = eol - v;

        if (colon - p == 19 && strncasecmp(p, "Content-Disposition", 19) == 0)
        {
            if (vl < 9 || strncasecmp(v, "form-data", 9) != 0
                || blog_header_param(v, vl, "name", &part->name,
                                     &part->name_len) != 1
                || blog_header_param(v, vl, "filename", &part->filename,
                                     &part->filename_len) < 0)
            {
                return BLOG_MULTIPART_BAD;
            }

            seen = 1;

        } else if (colon - p == 12 && strncasecmp(p, "Content-Type", 12) == 0)
        {
            part->type = v;
            part->type_len = vl;
        }

        if (eol == end) {
            break;
        }
    }

    return seen ? BLOG_MULTIPART_OK : BLOG_MULTIPART_BAD;
}


blog_multipart_rc_e
blog_multipart_parse(const char *body, size_t len, const char *boundary,
    size_t blen, blog_part_t *parts, size_t max, size_t *n)
{
    char          delim[BLOG_MULTIPART_BOUNDARY_MAX + 4];
    size_t        dlen;
    const char   *p, *end, *hend, *next;
    blog_part_t  *part;

    *n = 0;

    if (blen == 0 || blen > BLOG_MULTIPART_BOUNDARY_MAX) {
        return BLOG_MULTIPART_BAD;
    }

    /* "\r\n--boundary": the first delimiter may lack the line break */
    delim[0] = '\r';
    delim[1] = '\n';
    delim[2] = '-';
    delim[3] = '-';
    memcpy(delim + 4, boundary, blen);
    dlen = blen + 4;

    end = body + len;

    if (len < dlen - 2 || memcmp(body, delim + 2, dlen - 2) != 0) {
        return BLOG_MULTIPART_BAD;
    }

    p = body + dlen - 2;

    for ( ;; ) {
        /* after a delimiter: "--" closes, CRLF opens a part */
        if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
            return BLOG_MULTIPART_OK;
        }

        while (p < end && blog_is_space(*p)) {
            p++;
        }

        if (end - p < 2 || p[0] != '\r' || p[1] != '\n') {
            return BLOG_MULTIPART_BAD;
        }

        p += 2;

        if (*n == max) {
            return BLOG_MULTIPART_BAD;
        }

        part = &parts[*n];
        memset(part, 0, sizeof(blog_part_t));

        hend = blog_find(p, end - p, "\r\n\r\n", 4);
        if (hend == NULL
            || blog_part_headers(p, hend - p, part) != BLOG_MULTIPART_OK)
        {
            return BLOG_MULTIPART_BAD;
        }

        p = hend + 4;

        next = blog_find(p, end - p, delim, dlen);
        if (next == NULL) {
            return BLOG_MULTIPART_BAD;
        }

        part->data = p;
        part->len = next - p;
        (*n)++;

        p = next + dlen;
    }
}
