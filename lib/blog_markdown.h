/*
 * Markdown rendering with cmark, and the plain-text summary of a post.
 * Pure C, shared by blogctl and the nginx module.
 */

#ifndef BLOG_MARKDOWN_H
#define BLOG_MARKDOWN_H

#include <stddef.h>

/* Summaries are cut at a word boundary at most this many characters in. */
#define BLOG_SUMMARY_MAX  200

/*
 * A post's code blocks are highlighted up to this many bytes in all (each
 * up to BLOG_HIGHLIGHT_MAX); those after it are shown plain.  Saving a post
 * of that much code costs about 0.1 s of the worker (docs/markdown.md).
 */
#define BLOG_HIGHLIGHT_DOC_MAX  (64 * 1024)

/* A post with this many h2-h4 headings gets a table of contents. */
#define BLOG_TOC_MIN  3

/* Reading time: words of the Markdown at this pace, rounded up. */
#define BLOG_WORDS_PER_MINUTE  230


/*
 * Renders md[0..len) to HTML in *html.  When summary is not NULL, *summary
 * gets the first top-level paragraph as plain text, whitespace collapsed,
 * cut to BLOG_SUMMARY_MAX characters with an ellipsis ("" without a
 * paragraph).  Both are malloc'ed.  Returns 0, or -1 when out of memory.
 *
 * The output is safe to embed in a page whoever wrote md: raw HTML
 * becomes a comment and javascript:, vbscript:, file: and data: links
 * (but data: images) lose their target.
 *
 * Fenced code of a language source-highlight knows (```c, ```python...)
 * is highlighted into <pre><code class="language-LANG"> with
 * <span class="hl-ELEMENT"> tokens, every byte of the code escaped; other
 * code is shown plain, as is code past BLOG_HIGHLIGHT_DOC_MAX.  h2-h4
 * headings get an id, unique in the post and ASCII (blog_heading_slug),
 * and a link to themselves.
 */
int blog_markdown_render(const char *md, size_t len, char **html,
    char **summary);

/*
 * The table of contents of a post rendered by blog_markdown_render(): a
 * <nav class="toc"> of links to its h2-h4 headings, or "" under
 * BLOG_TOC_MIN of them; malloc'ed.  0, or -1 when out of memory.
 */
int blog_markdown_toc(const char *md, size_t len, char **toc);

/* A reader's comment: code highlighted, headings left without ids. */
int blog_markdown_render_comment(const char *md, size_t len, char **html);

/*
 * Words: runs of characters other than space, tab, CR and LF; the
 * reading time is words / BLOG_WORDS_PER_MINUTE rounded up, at least 1.
 * Migration 10 (lib/blog_schema.c) counts them in SQL the same way.
 */
unsigned blog_markdown_words(const char *md, size_t len);
unsigned blog_markdown_reading_minutes(const char *md, size_t len);

#endif /* BLOG_MARKDOWN_H */
