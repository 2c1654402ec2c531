/*
 * Markdown to HTML with cmark.  cmark 0.30 is safe by default: raw HTML
 * becomes a comment and javascript:, vbscript:, file: and most data: URLs
 * become empty, unless CMARK_OPT_UNSAFE is set.  Posts are written by the
 * site's authors, but an imported file may come from anywhere, and
 * comments come from anyone, so it never is.
 */

#include <stdlib.h>
#include <string.h>

#include <cmark.h>

#include "blog_markdown.h"


#define BLOG_CMARK_OPTIONS  (CMARK_OPT_DEFAULT | CMARK_OPT_SMART)

#define blog_is_space(c)  ((c) == ' ' || (c) == '\t' || (c) == '\n'          \
                          || (c) == '\r')


typedef struct {
    char    *data;
    size_t   len;
    size_t   size;
} blog_text_t;


/* Appends s[0..n), collapsing whitespace to single spaces. */
static int
blog_text_add(blog_text_t *t, const char *s, size_t n)
{
    char    *d;
    size_t   i, size;

    /* every byte may need room, plus the ellipsis and NUL at the end */
    if (t->len + n + 4 > t->size) {
        size = (t->size == 0) ? 256 : t->size;

        while (t->len + n + 4 > size) {
            size *= 2;
        }

        d = realloc(t->data, size);
        if (d == NULL) {
            return -1;
        }

        t->data = d;
        t->size = size;
    }

    for (i = 0; i < n; i++) {
        if (!blog_is_space(s[i])) {
            t->data[t->len++] = s[i];

        } else if (t->len > 0 && t->data[t->len - 1] != ' ') {
            t->data[t->len++] = ' ';
        }
    }

    return 0;
}


/* Cuts the text at a word boundary before BLOG_SUMMARY_MAX characters. */
static void
blog_text_cut(blog_text_t *t)
{
    size_t  i, chars, cut;

    while (t->len > 0 && t->data[t->len - 1] == ' ') {
        t->len--;
    }

    chars = 0;
    cut = t->len;

    for (i = 0; i < t->len; i++) {
        /* count characters: UTF-8 continuation bytes are 10xxxxxx */
        if (((unsigned char) t->data[i] & 0xc0) != 0x80) {
            if (chars == BLOG_SUMMARY_MAX) {
                cut = i;
                break;
            }

            chars++;
        }
    }

    if (cut < t->len) {
        /* a word longer than the whole summary is cut where it must be */
        for (i = cut; i > 0 && t->data[i] != ' '; i--) {
            /* void */
        }

        if (i > 0) {
            cut = i;
        }

        /* "word, ..." reads badly: drop what the ellipsis replaces */
        while (cut > 0 && strchr(" ,;:-", t->data[cut - 1]) != NULL) {
            cut--;
        }

        memcpy(t->data + cut, "\xe2\x80\xa6", 3);            /* U+2026 */
        t->len = cut + 3;
    }

    t->data[t->len] = '\0';
}


static int
blog_markdown_summary(cmark_node *doc, char **summary)
{
    cmark_node        *para, *node;
    cmark_iter        *iter;
    blog_text_t         t;
    const char        *lit;
    cmark_event_type   ev;
    int                rc;

    t.data = NULL;
    t.len = 0;
    t.size = 0;

    for (para = cmark_node_first_child(doc);
         para != NULL && cmark_node_get_type(para) != CMARK_NODE_PARAGRAPH;
         para = cmark_node_next(para))
    {
        /* void */
    }

    /* allocates: a post without a paragraph still gets a "" summary */
    rc = blog_text_add(&t, "", 0);

    if (para != NULL && rc == 0) {
        iter = cmark_iter_new(para);

        while (rc == 0
               && (ev = cmark_iter_next(iter)) != CMARK_EVENT_DONE)
        {
            node = cmark_iter_get_node(iter);

            if (ev != CMARK_EVENT_ENTER) {
                continue;
            }

            switch (cmark_node_get_type(node)) {

            case CMARK_NODE_TEXT:
            case CMARK_NODE_CODE:
                lit = cmark_node_get_literal(node);
                rc = blog_text_add(&t, lit, strlen(lit));
                break;

            case CMARK_NODE_SOFTBREAK:
            case CMARK_NODE_LINEBREAK:
                rc = blog_text_add(&t, " ", 1);
                break;

            default:
                /* raw inline HTML is markup, not text; images give alt text */
                break;
            }
        }

        cmark_iter_free(iter);
    }

    if (rc != 0) {
        free(t.data);
        return -1;
    }

    blog_text_cut(&t);
    *summary = t.data;

    return 0;
}


int
blog_markdown_render(const char *md, size_t len, char **html, char **summary)
{
    cmark_node  *doc;

    /* cmark aborts on allocation failure itself, so these never fail */
    doc = cmark_parse_document(md, len, BLOG_CMARK_OPTIONS);
    *html = cmark_render_html(doc, BLOG_CMARK_OPTIONS);

    if (summary != NULL && blog_markdown_summary(doc, summary) != 0) {
        free(*html);
        *html = NULL;
        cmark_node_free(doc);
        return -1;
    }

    cmark_node_free(doc);

    return 0;
}
