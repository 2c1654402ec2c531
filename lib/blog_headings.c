/*
 * Heading ids, self-links and the table of contents (blog_headings.h).
 * A heading's inner HTML is cmark's own rendering of it, with the safe
 * options of the whole post; only the id, which is ASCII letters, digits
 * and "-", and the link are put in.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blog_headings.h"
#include "blog_markdown.h"


int
blog_headings_init(blog_headings_t *h, int options)
{
    memset(h, 0, sizeof(blog_headings_t));

    h->ids = calloc(BLOG_HEADINGS_MAX, sizeof(blog_heading_t));
    h->options = options;

    return h->ids == NULL ? -1 : 0;
}


void
blog_headings_free(blog_headings_t *h)
{
    free(h->ids);
    free(h->toc.data);
    free(h->text.data);
}


/* A heading's text: its text and code spans, without the markup. */
static int
blog_heading_text(cmark_node *heading, blog_buf_t *text)
{
    cmark_iter        *iter;
    cmark_node        *node;
    cmark_node_type    type;
    cmark_event_type   ev;
    const char        *lit;
    int                rc;

    rc = 0;
    text->len = 0;
    iter = cmark_iter_new(heading);

    while (rc == 0 && (ev = cmark_iter_next(iter)) != CMARK_EVENT_DONE) {
        node = cmark_iter_get_node(iter);
        type = cmark_node_get_type(node);

        if (ev != CMARK_EVENT_ENTER) {
            continue;
        }

        if (type == CMARK_NODE_TEXT || type == CMARK_NODE_CODE) {
            lit = cmark_node_get_literal(node);
            rc = blog_buf_append(text, lit, strlen(lit));

        } else if (type == CMARK_NODE_SOFTBREAK
                   || type == CMARK_NODE_LINEBREAK)
        {
            rc = blog_buf_lit(text, " ");
        }
    }

    cmark_iter_free(iter);

    return rc;
}


void
blog_heading_slug(const char *text, size_t len, char *id, size_t size)
{
    size_t         i, n;
    unsigned char  c;

    n = 0;

    for (i = 0; i < len && n + 1 < size; i++) {
        c = (unsigned char) text[i];

        if (c >= 'A' && c <= 'Z') {
            id[n++] = (char) (c - 'A' + 'a');

        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            id[n++] = (char) c;

        } else if (c < 0x80 && n > 0 && id[n - 1] != '-') {
            id[n++] = '-';
        }
    }

    while (n > 0 && id[n - 1] == '-') {
        n--;
    }

    if (n == 0) {
        n = snprintf(id, size, "section");
    }

    id[n] = '\0';
}


/* The next heading's id, "-2", "-3"... after one given before. */
static void
blog_heading_id(blog_headings_t *h, const char *text, size_t len)
{
    char      *id;
    size_t     i, base;
    unsigned   k;

    id = h->ids[h->n].id;
    blog_heading_slug(text, len, id, BLOG_ID_MAX + 1);
    base = strlen(id);

    for (k = 2; ; k++) {
        for (i = 0; i < h->n && strcmp(h->ids[i].id, id) != 0; i++) {
            /* void */
        }

        if (i == h->n) {
            return;
        }

        snprintf(id + base, sizeof(h->ids[0].id) - base, "-%u", k);
    }
}


int
blog_headings_add(blog_headings_t *h, cmark_node *heading)
{
    int          rc;
    char        *html, *open_end, *close, *p, *id, level;
    blog_buf_t   out;
    cmark_node  *block;

    if (h->n == BLOG_HEADINGS_MAX) {
        return 0;
    }

    if (blog_heading_text(heading, &h->text) != 0) {
        return -1;
    }

    blog_heading_id(h, h->text.data, h->text.len);
    id = h->ids[h->n].id;
    level = (char) ('0' + cmark_node_get_heading_level(heading));

    html = cmark_render_html(heading, h->options);

    /* "<hN>" ... "</hN>\n": the last "</h" closes it */
    open_end = strchr(html, '>');
    close = NULL;

    for (p = strstr(html, "</h"); p != NULL; p = strstr(p + 1, "</h")) {
        close = p;
    }

    if (open_end == NULL || close == NULL || close < open_end) {
        free(html);
        return -1;
    }

    out.data = NULL;
    out.len = 0;
    out.size = 0;

    rc = blog_buf_append(&out, html, open_end - html) != 0
         || blog_buf_lit(&out, " id=\"") != 0
         || blog_buf_append(&out, id, strlen(id)) != 0
         || blog_buf_lit(&out, "\">") != 0
         || blog_buf_append(&out, open_end + 1, close - open_end - 1) != 0
         || blog_buf_lit(&out, " <a class=\"anchor\" href=\"#") != 0
         || blog_buf_append(&out, id, strlen(id)) != 0
         || blog_buf_lit(&out, "\" aria-label=\"Link to this section\">"
                               "#</a>") != 0
         || blog_buf_append(&out, close, strlen(close) + 1) != 0

         || blog_buf_lit(&h->toc, "<li class=\"toc-h") != 0
         || blog_buf_append(&h->toc, &level, 1) != 0
         || blog_buf_lit(&h->toc, "\"><a href=\"#") != 0
         || blog_buf_append(&h->toc, id, strlen(id)) != 0
         || blog_buf_lit(&h->toc, "\">") != 0
         || blog_buf_append_escaped(&h->toc, h->text.data, h->text.len) != 0
         || blog_buf_lit(&h->toc, "</a></li>") != 0;

    free(html);

    if (rc != 0) {
        free(out.data);
        return -1;
    }

    block = cmark_node_new(CMARK_NODE_CUSTOM_BLOCK);
    cmark_node_set_on_enter(block, out.data);
    free(out.data);

    cmark_node_replace(heading, block);
    cmark_node_free(heading);

    h->n++;

    return 0;
}


int
blog_headings_toc(blog_headings_t *h, char **toc)
{
    blog_buf_t  out;

    *toc = NULL;

    out.data = NULL;
    out.len = 0;
    out.size = 0;

    if (h->n < BLOG_TOC_MIN) {
        if (blog_buf_end(&out, "") != 0) {
            return -1;
        }

    } else if (blog_buf_lit(&out, "<nav class=\"toc\" aria-label=\"Contents\">"
                                  "<ol>") != 0
               || blog_buf_append(&out, h->toc.data, h->toc.len) != 0
               || blog_buf_end(&out, "</ol></nav>") != 0)
    {
        free(out.data);
        return -1;
    }

    *toc = out.data;

    return 0;
}
