/*
 * What link previews and structured data are made of, from a post's
 * rendered HTML: its plain text (a description), its first image, and
 * JSON strings safe inside a <script> element.  Pure C, no nginx.
 */

#ifndef BLOG_PREVIEW_H
#define BLOG_PREVIEW_H

#include <stddef.h>

#include "blog_template.h"


/* The length of a description: what search engines show of one. */
#define BLOG_DESCRIPTION_MAX  160


/*
 * Appends s as a JSON string, quotes included, escaped so that it cannot
 * end a <script> element or open a comment in it: "<", ">", "&" and "'"
 * as \u003c etc., control characters, U+2028 and U+2029 as \u escapes.
 * Returns 0, or -1 when out of memory.
 */
int blog_buf_append_json(blog_buf_t *buf, const char *s, size_t len);

/*
 * The text of cmark's HTML: tags dropped, the entities cmark writes
 * (&amp; &lt; &gt; &quot;) decoded, runs of white space made one space,
 * cut after at most max bytes at a space, with "…" when cut.  out has
 * room for max + 4 bytes; returns the length written (no NUL).
 */
size_t blog_html_text(const char *html, size_t len, char *out, size_t max);

/*
 * The src of the first <img> of cmark's HTML, as written there (& still
 * &amp;): 1 with *src and *src_len set, or 0 when there is none.
 */
int blog_html_first_img(const char *html, size_t len, const char **src,
    size_t *src_len);

#endif /* BLOG_PREVIEW_H */
