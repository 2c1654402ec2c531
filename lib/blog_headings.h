/*
 * The h2-h4 headings of a post being rendered (blog_markdown.c): each
 * gets an id, unique in the post, and a link to itself, and an entry in
 * the table of contents.  Pure C and cmark.
 */

#ifndef BLOG_HEADINGS_H
#define BLOG_HEADINGS_H

#include <stddef.h>

#include <cmark.h>

#include "blog_template.h"

/*
 * A heading's id is at most BLOG_ID_MAX characters of its text, and a
 * suffix; the first BLOG_HEADINGS_MAX headings of a post get one.
 */
#define BLOG_ID_MAX        64
#define BLOG_HEADINGS_MAX  256


typedef struct {
    char    id[BLOG_ID_MAX + 8];
} blog_heading_t;

typedef struct {
    blog_heading_t  *ids;        /* given so far, n of them */
    size_t           n;
    blog_buf_t       toc;        /* their <li> entries */
    blog_buf_t       text;       /* the current heading's text */
    int              options;    /* cmark's, to render a heading */
} blog_headings_t;


/* 0, or -1 when out of memory. */
int blog_headings_init(blog_headings_t *h, int options);
void blog_headings_free(blog_headings_t *h);

/*
 * Replaces an h2-h4 heading node with a custom block of its HTML, id and
 * self-link put in, and adds its entry to the table of contents; past
 * BLOG_HEADINGS_MAX it is left as it is.  0, or -1 when out of memory.
 */
int blog_headings_add(blog_headings_t *h, cmark_node *heading);

/*
 * The table of contents, malloc'ed: a <nav class="toc"> of links to the
 * headings added, or "" under BLOG_TOC_MIN (blog_markdown.h) of them.
 */
int blog_headings_toc(blog_headings_t *h, char **toc);

/*
 * The id of a heading of text[0..len): ASCII letters and digits
 * lowercased, other runs of ASCII characters as one "-", characters
 * outside ASCII left out (an id reads the same in every tool), "section"
 * if nothing is left; at most size - 1 characters.
 */
void blog_heading_slug(const char *text, size_t len, char *id, size_t size);

#endif /* BLOG_HEADINGS_H */
