/*
 * Full-text search's reader-facing text (blog_search.h).
 */

#include <string.h>

#include "blog_search.h"


static size_t blog_utf8_char(const unsigned char *p, const unsigned char *last);


/*
 * A word character: an ASCII letter or digit, or any byte of a non-ASCII
 * character, which FTS5's unicode61 tokenizer classifies itself (its
 * punctuation splits a quoted phrase, never its syntax).
 */
#define blog_cpymem(dst, src, n)  ((char *) memcpy(dst, src, n) + (n))

#define blog_search_word_byte(c)                                              \
    (((c) >= '0' && (c) <= '9') || ((c) >= 'a' && (c) <= 'z')                 \
     || ((c) >= 'A' && (c) <= 'Z') || (c) >= 0x80)


int
blog_search_expr(const char *q, size_t len, char *out, const char **why)
{
    size_t                n;
    char                 *o, *word, *run, *last_run;
    unsigned              words;
    const unsigned char  *p, *last;

    p = (const unsigned char *) q;
    last = p + len;

    if (len > BLOG_SEARCH_QUERY_MAX) {
        *why = "search query too long";
        return -1;
    }

    if (memchr(q, '\0', len) != NULL) {
        *why = "search query has a NUL byte";
        return -1;
    }

    while (p < last) {
        n = blog_utf8_char(p, last);
        if (n == 0) {
            *why = "search query is not valid UTF-8";
            return -1;
        }

        p += n;
    }

    p = (const unsigned char *) q;
    o = out;
    words = 0;
    last_run = NULL;

    while (p < last) {

        /* a word: everything up to the next space */
        while (p < last && (*p == ' ' || (*p >= '\t' && *p <= '\r'))) {
            p++;
        }

        word = o;
        *o++ = '"';
        run = NULL;

        while (p < last && !(*p == ' ' || (*p >= '\t' && *p <= '\r'))) {
            if (!blog_search_word_byte(*p)) {
                p++;
                continue;
            }

            /* its runs of letters and digits, one space apart */
            if (run != NULL) {
                *o++ = ' ';
            }

            run = o;

            while (p < last && blog_search_word_byte(*p)) {
                *o++ = (char) *p++;
            }
        }

        if (run == NULL) {
            o = word;               /* punctuation only: nothing to find */
            continue;
        }

        if (++words > BLOG_SEARCH_WORDS_MAX) {
            *why = "search query has too many words";
            return -1;
        }

        *o++ = '"';
        *o++ = ' ';
        last_run = run;
    }

    if (words == 0) {
        *out = '\0';
        return 0;
    }

    /*
     * The word being typed: "exampl" finds "example"; not a lone letter,
     * whose prefix would match most of the index.  o is past its run's
     * closing quote and space.
     */
    if (o - last_run >= 4) {
        *o++ = '*';

    } else {
        o--;
    }

    *o = '\0';

    return (int) (o - out);
}


size_t
blog_search_snippet(const char *s, size_t len, char *out)
{
    size_t                n;
    char                 *o;
    unsigned              open;
    const char           *entity;
    const unsigned char  *p, *last;

    p = (const unsigned char *) s;
    last = p + len;
    o = out;
    open = 0;

    while (p < last) {

        if (*p == 0xff && last - p > 1 && (p[1] == '[' || p[1] == ']')) {
            if (p[1] == '[' && !open) {
                o = blog_cpymem(o, "<mark>", 6);
                open = 1;

            } else if (p[1] == ']' && open) {
                o = blog_cpymem(o, "</mark>", 7);
                open = 0;
            }

            p += 2;
            continue;
        }

        switch (*p) {
        case '&':  entity = "&amp;"; break;
        case '<':  entity = "&lt;"; break;
        case '>':  entity = "&gt;"; break;
        case '"':  entity = "&quot;"; break;
        case '\'': entity = "&#39;"; break;
        default:   entity = NULL;
        }

        if (entity != NULL) {
            n = strlen(entity);
            o = blog_cpymem(o, entity, n);
            p++;
            continue;
        }

        n = blog_utf8_char(p, last);

        if (n == 0) {
            o = blog_cpymem(o, "\xef\xbf\xbd", 3);
            p++;
            continue;
        }

        o = blog_cpymem(o, p, n);
        p += n;
    }

    if (open) {
        o = blog_cpymem(o, "</mark>", 7);
    }

    return (size_t) (o - out);
}


/*
 * The length of the UTF-8 character at p, or 0 if it is not one: no
 * overlong form, no surrogate, nothing past U+10FFFF.
 */
static size_t
blog_utf8_char(const unsigned char *p, const unsigned char *last)
{
    size_t    n, i;
    unsigned  c, min;

    if (*p < 0x80) {
        return 1;
    }

    if (*p >= 0xc2 && *p <= 0xdf) {
        n = 2; c = *p & 0x1f; min = 0x80;

    } else if (*p >= 0xe0 && *p <= 0xef) {
        n = 3; c = *p & 0x0f; min = 0x800;

    } else if (*p >= 0xf0 && *p <= 0xf4) {
        n = 4; c = *p & 0x07; min = 0x10000;

    } else {
        return 0;
    }

    if ((size_t) (last - p) < n) {
        return 0;
    }

    for (i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }

        c = (c << 6) | (p[i] & 0x3f);
    }

    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        return 0;
    }

    return n;
}
