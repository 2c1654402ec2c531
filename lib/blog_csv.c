/*
 * CSV records and fields; see blog_csv.h.
 */

#include <string.h>

#include "blog_csv.h"


int
blog_csv_record(const char *text, size_t len, size_t *pos, char *out,
    blog_csv_field_t *f, size_t max)
{
    int      quoted, closed;
    char     c;
    size_t   i, n, o, start;

    i = *pos;

    if (i == 0 && len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        i = 3;
    }

    if (i >= len) {
        *pos = len;
        return 0;
    }

    n = 0;
    o = 0;

    for ( ;; ) {
        /* a field, from text[i] */
        start = o;
        quoted = (i < len && text[i] == '"');
        closed = 0;
        i += quoted;

        while (i < len) {
            c = text[i];

            if (quoted && !closed) {
                if (c == '"') {
                    if (i + 1 < len && text[i + 1] == '"') {
                        out[o++] = '"';
                        i += 2;
                        continue;
                    }

                    closed = 1;
                    i++;
                    continue;
                }

                out[o++] = c;
                i++;
                continue;
            }

            if (c == ',' || c == '\n'
                || (c == '\r' && i + 1 < len && text[i + 1] == '\n'))
            {
                break;
            }

            if (closed) {
                goto bad;
            }

            /* a quote inside an unquoted field: taken as it is */
            out[o++] = c;
            i++;
        }

        if (quoted && !closed) {
            goto bad;
        }

        if (n < max) {
            f[n].off = start;
            f[n].len = o - start;
        }

        n++;

        if (i < len && text[i] == ',') {
            i++;
            continue;
        }

        break;
    }

    /* the line end */
    i += (i < len && text[i] == '\r');
    i += (i < len && text[i] == '\n');
    *pos = i;

    return (int) n;

bad:

    /*
     * On to the line after the record's first: the caller reports this
     * one and goes on; an unclosed quote does not swallow the rest.
     */
    for (i = *pos; i < len && text[i] != '\n'; i++) {
        /* void */
    }

    *pos = i < len ? i + 1 : len;

    return -1;
}


size_t
blog_csv_field(const char *s, size_t len, char *out)
{
    size_t  i, o;
    int     quote;

    o = 0;

    if (len > 0 && s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL) {
        out[o++] = '\'';
    }

    quote = 0;

    for (i = 0; i < len; i++) {
        if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n') {
            quote = 1;
            break;
        }
    }

    if (!quote) {
        memcpy(out + o, s, len);
        return o + len;
    }

    /* the guard inside the quotes: '"' must start the field */
    if (o) {
        out[0] = '"';
        out[1] = '\'';
        o = 2;

    } else {
        out[o++] = '"';
    }

    for (i = 0; i < len; i++) {
        if (s[i] == '"') {
            out[o++] = '"';
        }

        out[o++] = s[i];
    }

    out[o++] = '"';

    return o;
}
