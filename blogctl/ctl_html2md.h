/*
 * HTML to Markdown, for bodies imported from other blogs (WordPress's
 * content:encoded): the Markdown renders, through cmark, to the same text
 * with the same structure (paragraphs, headings, emphasis, links, images,
 * lists, quotes, code, rules).  What Markdown cannot say (tables, classes,
 * embeds) keeps its text and loses its markup; script, style and
 * iframe go with their content, as the pages would never show them.
 *
 * WordPress stores posts without <p>: a blank line ends a paragraph and a
 * single newline is a line break (wpautop); autop says to read text so.
 */

#ifndef CTL_HTML2MD_H
#define CTL_HTML2MD_H

#include <stddef.h>


/* Returns the Markdown (free it), or NULL when out of memory. */
char *ctl_html2md(const char *html, size_t len, int autop);

#endif /* CTL_HTML2MD_H */
