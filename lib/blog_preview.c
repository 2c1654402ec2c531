/*
 * Link previews' raw material; see blog_preview.h.
 *
 * The HTML read here is cmark's own output (raw HTML in Markdown is
 * dropped by the renderer's safe mode), so a tag is "<" up to the next
 * ">", attribute values are double-quoted, and the only entities are the
 * four cmark escapes text with; it ends each block with a new line.
 */

#include <string.h>

#include "blog_preview.h"


static const struct {
    const char  *entity;
    size_t       len;
    char         c;
} blog_preview_entities[] = {
    { "&amp;", 5, '&' },
    { "&lt;", 4, '<' },
    { "&gt;", 4, '>' },
    { "&quot;", 6, '"' },
    { NULL, 0, 0 }
};


int
blog_buf_append_json(blog_buf_t *buf, const char *s, size_t len)
{
    char           esc[8];
    size_t         i, run;
    unsigned char  c;

    static const char  hex[] = "0123456789abcdef";

    if (blog_buf_append(buf, "\"", 1) != 0) {
        return -1;
    }

    run = 0;

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char) c;
            esc[2] = '\0';

        } else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '\'') {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 0xf];
            esc[6] = '\0';

        } else if (c == 0xe2 && i + 2 < len && (unsigned char) s[i + 1] == 0x80
                   && ((unsigned char) s[i + 2] == 0xa8
                       || (unsigned char) s[i + 2] == 0xa9))
        {
            /* U+2028 and U+2029 end a line in JavaScript, not in JSON */
            memcpy(esc, (unsigned char) s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029",
                   7);

        } else {
            continue;
        }

        if (blog_buf_append(buf, s + run, i - run) != 0
            || blog_buf_append(buf, esc, strlen(esc)) != 0)
        {
            return -1;
        }

        if (c == 0xe2) {
            i += 2;
        }

        run = i + 1;
    }

    if (blog_buf_append(buf, s + run, len - run) != 0) {
        return -1;
    }

    return blog_buf_append(buf, "\"", 1);
}


size_t
blog_html_text(const char *html, size_t len, char *out, size_t max)
{
    char        c;
    size_t      i, n, k, cut;
    const char *gt;

    n = 0;
    cut = 0;            /* where the text may end: before its last space */

    for (i = 0; i < len; i++) {
        c = html[i];

        if (c == '<') {
            gt = memchr(html + i, '>', len - i);
            if (gt == NULL) {
                break;
            }

            /* cmark ends blocks with a new line: a tag itself is no space */
            i = gt - html;
            continue;

        } else if (c == '&') {
            for (k = 0; blog_preview_entities[k].entity; k++) {
                if (len - i >= blog_preview_entities[k].len
                    && memcmp(html + i, blog_preview_entities[k].entity,
                              blog_preview_entities[k].len) == 0)
                {
                    c = blog_preview_entities[k].c;
                    i += blog_preview_entities[k].len - 1;
                    break;
                }
            }

        } else if (c == '\n' || c == '\t' || c == '\r') {
            c = ' ';
        }

        if (c == ' ') {
            if (n == 0 || out[n - 1] == ' ') {
                continue;
            }

            cut = n;
        }

        if (n == max) {
            /* too long: end at the last space, or mid-word for one word */
            if (cut == 0) {
                cut = n;

                /* not inside a character: drop its first bytes too */
                if (((unsigned char) c & 0xc0) == 0x80) {
                    while (cut && ((unsigned char) out[cut - 1] & 0xc0) == 0x80)
                    {
                        cut--;
                    }

                    cut -= cut ? 1 : 0;
                }
            }

            memcpy(out + cut, "\xe2\x80\xa6", 3);
            return cut + 3;
        }

        out[n++] = c;
    }

    while (n && out[n - 1] == ' ') {
        n--;
    }

    return n;
}


int
blog_html_first_img(const char *html, size_t len, const char **src,
    size_t *src_len)
{
    const char  *p, *last, *end, *q;

    last = html + len;

    for (p = html; p < last; p++) {
        p = memchr(p, '<', last - p);
        if (p == NULL) {
            return 0;
        }

        if (last - p < 5 || memcmp(p, "<img ", 5) != 0) {
            continue;
        }

        end = memchr(p, '>', last - p);
        if (end == NULL) {
            return 0;
        }

        for (q = p + 4; q + 6 <= end; q++) {
            if (memcmp(q, " src=\"", 6) == 0) {
                q += 6;
                p = memchr(q, '"', end - q);
                if (p == NULL) {
                    return 0;
                }

                *src = q;
                *src_len = p - q;
                return *src_len > 0;
            }
        }

        p = end;
    }

    return 0;
}
