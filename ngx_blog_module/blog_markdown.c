/*
 * Markdown to HTML with cmark.  cmark 0.30 is safe by default: raw HTML
 * becomes a comment and javascript:, vbscript:, file: and most data: URLs
 * become empty, unless CMARK_OPT_UNSAFE is set.  Posts are written by the
 * site's authors, but an imported file may come from anywhere, so it never
 * is.
 */

#include <stdlib.h>
#include <string.h>

#include <cmark.h>

#include "ctl_markdown.h"
#include "ctl_util.h"


#define CTL_CMARK_OPTIONS  (CMARK_OPT_DEFAULT | CMARK_OPT_SMART)

#define ctl_is_space(c)  ((c) == ' ' || (c) == '\t' || (c) == '\n'          \
                          || (c) == '\r')


typedef struct {
    char    *data;
    size_t   len;
    size_t   size;
} ctl_text_t;


/* Appends s[0..n), collapsing whitespace to single spaces. */
static int
ctl_text_add(ctl_text_t *t, const char *s, size_t n)
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
            return CTL_ERROR;
        }

        t->data = d;
        t->size = size;
    }

    for (i = 0; i < n; i++) {
        if (!ctl_is_space(s[i])) {
            t->data[t->len++] = s[i];

        } else if (t->len > 0 && t->data[t->len - 1] != ' ') {
            t->data[t->len++] = ' ';
        }
    }

    return CTL_OK;
}


/* Cuts the text at a word boundary before CTL_SUMMARY_MAX characters. */
static void
ctl_text_cut(ctl_text_t *t)
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
            if (chars == CTL_SUMMARY_MAX) {
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
ctl_markdown_summary(cmark_node *doc, char **summary)
{
    cmark_node        *para, *node;
    cmark_iter        *iter;
    ctl_text_t         t;
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
    rc = ctl_text_add(&t, "", 0);

    if (para != NULL && rc == CTL_OK) {
        iter = cmark_iter_new(para);

        while (rc == CTL_OK
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
                rc = ctl_text_add(&t, lit, strlen(lit));
                break;

            case CMARK_NODE_SOFTBREAK:
            case CMARK_NODE_LINEBREAK:
                rc = ctl_text_add(&t, " ", 1);
                break;

            default:
                /* raw inline HTML is markup, not text; images give alt text */
                break;
            }
        }

        cmark_iter_free(iter);
    }

    if (rc != CTL_OK) {
        free(t.data);
        return CTL_ERROR;
    }

    ctl_text_cut(&t);
    *summary = t.data;

    return CTL_OK;
}


int
ctl_markdown_render(const char *md, char **html, char **summary)
{
    cmark_node  *doc;

    /* cmark aborts on allocation failure itself, so these never fail */
    doc = cmark_parse_document(md, strlen(md), CTL_CMARK_OPTIONS);
    *html = cmark_render_html(doc, CTL_CMARK_OPTIONS);

    if (summary != NULL && ctl_markdown_summary(doc, summary) != CTL_OK) {
        ctl_error("out of memory");
        free(*html);
        *html = NULL;
        cmark_node_free(doc);
        return CTL_ERROR;
    }

    cmark_node_free(doc);

    return CTL_OK;
}
