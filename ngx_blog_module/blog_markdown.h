/*
 * Markdown rendering with cmark, and the plain-text summary of a post.
 */

#ifndef CTL_MARKDOWN_H
#define CTL_MARKDOWN_H

/* Summaries are cut at a word boundary at most this many characters in. */
#define CTL_SUMMARY_MAX  200


/*
 * Renders md to HTML in *html.  When summary is not NULL, *summary gets the
 * first top-level paragraph as plain text, whitespace collapsed, cut to
 * CTL_SUMMARY_MAX characters with an ellipsis ("" without a paragraph).
 * Both are malloc'ed.  Reports its own errors.
 */
int ctl_markdown_render(const char *md, char **html, char **summary);

#endif /* CTL_MARKDOWN_H */
