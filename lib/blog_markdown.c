/*
 * Markdown to HTML with cmark.  cmark 0.30 is safe by default: raw HTML
 * becomes a comment and javascript:, vbscript:, file: and most data: URLs
 * become empty, unless CMARK_OPT_UNSAFE is set.  Posts are written by the
 * site's authors, but an imported file may come from anywhere, and
 * comments come from anyone, so it never is.
 *
 * Before rendering, the tree is changed in two ways, both as custom
 * blocks whose HTML we write ourselves (the parser never makes one, and
 * the renderer writes them as they are, which safe mode does not
 * filter): fenced code of a language source-highlight knows becomes its
 * highlighted HTML, every byte of the code escaped by blog_highlight();
 * in posts, h2 to h4 headings get an id, unique in the post, and a link
 * to themselves, and the table of contents links to them.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmark.h>

#include "blog_headings.h"
#include "blog_highlight.h"
#include "blog_markdown.h"
#include "blog_template.h"


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


/*
 * <pre><code class="language-LANG">, highlighted, </code></pre>.  The
 * budget is charged before trying: code the library gives up on costs
 * time too.
 */
static int
blog_markdown_code(cmark_node *node, size_t *budget)
{
    int          rc;
    char        *code, lang[BLOG_HIGHLIGHT_LANG_MAX + 1];
    size_t       n, len;
    cmark_node  *block;
    blog_buf_t   out;
    const char  *info, *literal;

    info = cmark_node_get_fence_info(node);
    literal = cmark_node_get_literal(node);

    if (info == NULL || literal == NULL) {
        return 0;
    }

    /* the language is the info string's first word */
    for (n = 0; info[n] != '\0' && !blog_is_space(info[n]); n++) {
        /* void */
    }

    len = strlen(literal);

    if (n == 0 || n >= sizeof(lang) || len > *budget) {
        return 0;
    }

    memcpy(lang, info, n);
    lang[n] = '\0';

    *budget -= len;

    if (blog_highlight(lang, literal, len, &code) != 0) {
        return 0;            /* cmark writes it plain */
    }

    out.data = NULL;
    out.len = 0;
    out.size = 0;

    rc = blog_buf_lit(&out, "<pre><code class=\"language-") != 0
         || blog_buf_append_escaped(&out, lang, n) != 0
         || blog_buf_lit(&out, "\">") != 0
         || blog_buf_append(&out, code, strlen(code)) != 0
         || blog_buf_end(&out, "</code></pre>") != 0;

    free(code);

    if (rc != 0) {
        free(out.data);
        return -1;
    }

    block = cmark_node_new(CMARK_NODE_CUSTOM_BLOCK);
    cmark_node_set_on_enter(block, out.data);
    free(out.data);

    cmark_node_replace(node, block);
    cmark_node_free(node);

    return 0;
}


/*
 * Highlights the code blocks if code is set, and with toc not NULL gives
 * h2-h4 their ids and writes the table of contents into *toc.  Nodes are
 * collected first: the tree is changed after the walk, never under the
 * iterator.
 */
static int
blog_markdown_rewrite(cmark_node *doc, int code, char **toc)
{
    int               rc;
    size_t            i, n, size, budget;
    cmark_iter       *iter;
    cmark_node       *node, **nodes, **more;
    cmark_node_type   type;
    cmark_event_type  ev;
    blog_headings_t   headings;

    nodes = NULL;
    n = 0;
    size = 0;
    rc = 0;
    iter = cmark_iter_new(doc);

    while (rc == 0 && (ev = cmark_iter_next(iter)) != CMARK_EVENT_DONE) {
        node = cmark_iter_get_node(iter);
        type = cmark_node_get_type(node);

        if (ev != CMARK_EVENT_ENTER
            || !((code && type == CMARK_NODE_CODE_BLOCK)
                 || (toc != NULL && type == CMARK_NODE_HEADING
                     && cmark_node_get_heading_level(node) >= 2
                     && cmark_node_get_heading_level(node) <= 4)))
        {
            continue;
        }

        if (n == size) {
            size = size ? size * 2 : 16;
            more = realloc(nodes, size * sizeof(cmark_node *));
            if (more == NULL) {
                rc = -1;
                break;
            }

            nodes = more;
        }

        nodes[n++] = node;
    }

    cmark_iter_free(iter);

    if (rc != 0 || blog_headings_init(&headings, BLOG_CMARK_OPTIONS) != 0) {
        free(nodes);
        return -1;
    }

    budget = BLOG_HIGHLIGHT_DOC_MAX;

    for (i = 0; rc == 0 && i < n; i++) {
        rc = cmark_node_get_type(nodes[i]) == CMARK_NODE_CODE_BLOCK
             ? blog_markdown_code(nodes[i], &budget)
             : blog_headings_add(&headings, nodes[i]);
    }

    if (rc == 0 && toc != NULL) {
        rc = blog_headings_toc(&headings, toc);
    }

    blog_headings_free(&headings);
    free(nodes);

    return rc;
}


static int
blog_markdown_doc(const char *md, size_t len, char **html, char **summary,
    char **toc)
{
    cmark_node  *doc;

    *html = NULL;

    /* cmark aborts on allocation failure itself, so these never fail */
    doc = cmark_parse_document(md, len, BLOG_CMARK_OPTIONS);

    if (summary != NULL && blog_markdown_summary(doc, summary) != 0) {
        cmark_node_free(doc);
        return -1;
    }

    if (blog_markdown_rewrite(doc, 1, toc) != 0) {
        if (summary != NULL) {
            free(*summary);
            *summary = NULL;
        }

        cmark_node_free(doc);
        return -1;
    }

    *html = cmark_render_html(doc, BLOG_CMARK_OPTIONS);
    cmark_node_free(doc);

    return 0;
}


int
blog_markdown_render(const char *md, size_t len, char **html, char **summary)
{
    char  *toc;
    int    rc;

    rc = blog_markdown_doc(md, len, html, summary, &toc);

    if (rc == 0) {
        free(toc);
    }

    return rc;
}


int
blog_markdown_render_comment(const char *md, size_t len, char **html)
{
    return blog_markdown_doc(md, len, html, NULL, NULL);
}


int
blog_markdown_toc(const char *md, size_t len, char **toc)
{
    int          rc;
    cmark_node  *doc;

    /* the headings as blog_markdown_render() numbers them; no code */
    doc = cmark_parse_document(md, len, BLOG_CMARK_OPTIONS);
    rc = blog_markdown_rewrite(doc, 0, toc);
    cmark_node_free(doc);

    return rc;
}


unsigned
blog_markdown_words(const char *md, size_t len)
{
    size_t    i;
    unsigned  words;

    words = 0;

    for (i = 0; i < len; i++) {
        if (!blog_is_space(md[i]) && (i == 0 || blog_is_space(md[i - 1]))) {
            words++;
        }
    }

    return words;
}


unsigned
blog_markdown_reading_minutes(const char *md, size_t len)
{
    unsigned  words;

    words = blog_markdown_words(md, len);

    return words <= BLOG_WORDS_PER_MINUTE
           ? 1 : (words + BLOG_WORDS_PER_MINUTE - 1) / BLOG_WORDS_PER_MINUTE;
}
