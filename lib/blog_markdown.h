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
 * Renders md[0..len) to HTML in *html.  When summary is not NULL, *summary
 * gets the first top-level paragraph as plain text, whitespace collapsed,
 * cut to BLOG_SUMMARY_MAX characters with an ellipsis ("" without a
 * paragraph).  Both are malloc'ed.  Returns 0, or -1 when out of memory.
 *
 * The output is safe to embed in a page whoever wrote md: raw HTML
 * becomes a comment and javascript:, vbscript:, file: and data: links
 * (but data: images) lose their target.  Readers' comments use it too.
 */
int blog_markdown_render(const char *md, size_t len, char **html,
    char **summary);

#endif /* BLOG_MARKDOWN_H */
