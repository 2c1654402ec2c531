/*
 * Syntax highlighting of code blocks with GNU source-highlight's library
 * (C++, behind this C interface in blog_highlight.cc).  The language
 * definitions are read from BLOG_HIGHLIGHT_DATADIR, once per process and
 * language, on first use.
 */

#ifndef BLOG_HIGHLIGHT_H
#define BLOG_HIGHLIGHT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Code longer than this is not highlighted (the caller shows it plain):
 * highlighting runs in the nginx worker that saves the post, and costs
 * about a microsecond a byte.
 */
#define BLOG_HIGHLIGHT_MAX  (32 * 1024)

/* A language name is at most this long. */
#define BLOG_HIGHLIGHT_LANG_MAX  32

/*
 * Highlights code[0..len) as language lang (a name of source-highlight's
 * lang.map: "c", "python", "sh"...) into *html: the code HTML-escaped,
 * its tokens in <span class="hl-ELEMENT"> (hl-keyword, hl-string,
 * hl-comment...), malloc'ed, without the <pre><code> around it.
 * Returns 0, or -1 with *html NULL when the language is unknown, the
 * code too long, or the library fails: the caller shows the code plain.
 */
int blog_highlight(const char *lang, const char *code, size_t len,
    char **html);

#ifdef __cplusplus
}
#endif

#endif /* BLOG_HIGHLIGHT_H */
