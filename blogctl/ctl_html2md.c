/*
 * HTML to Markdown with libxml2's HTML parser; see ctl_html2md.h.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>

#include "ctl_html2md.h"


typedef struct {
    char        *data;
    size_t       len;
    size_t       size;
    size_t       brk_end;       /* where the last hard break ends */
    int          failed;
} ctl_md_t;

typedef struct {
    int          autop;
    int          pre;           /* inside <pre>: text as it is */
} ctl_md_ctx_t;


static void ctl_md_children(ctl_md_ctx_t *cx, ctl_md_t *out, xmlNode *node);


static void
ctl_md_add(ctl_md_t *out, const char *s, size_t n)
{
    char    *p;
    size_t   size;

    if (out->failed) {
        return;
    }

    if (out->len + n + 1 > out->size) {
        size = (out->size ? out->size * 2 : 256);
        while (size < out->len + n + 1) {
            size *= 2;
        }

        p = realloc(out->data, size);
        if (p == NULL) {
            out->failed = 1;
            return;
        }

        out->data = p;
        out->size = size;
    }

    memcpy(out->data + out->len, s, n);
    out->len += n;
    out->data[out->len] = '\0';
}


static void
ctl_md_str(ctl_md_t *out, const char *s)
{
    ctl_md_add(out, s, strlen(s));
}


static int
ctl_md_at_line_start(ctl_md_t *out)
{
    return out->len == 0 || out->data[out->len - 1] == '\n';
}


static void
ctl_md_break(ctl_md_t *out)
{
    if (!ctl_md_at_line_start(out)) {
        ctl_md_add(out, "\\\n", 2);
        out->brk_end = out->len;
    }
}


/* Ends the current block: the output then ends with one blank line. */
static void
ctl_md_block(ctl_md_t *out)
{
    /* a hard break at the end of a block would show its backslash */
    if (out->brk_end && out->len == out->brk_end) {
        out->len -= 2;
    }

    while (out->len > 0 && (out->data[out->len - 1] == ' '
                            || out->data[out->len - 1] == '\n'))
    {
        out->len--;
    }

    if (out->len > 0) {
        ctl_md_add(out, "\n\n", 2);
    }
}


/* Whether the line so far is digits: "1." would start a list. */
static int
ctl_md_after_number(ctl_md_t *out)
{
    size_t  i;

    for (i = out->len; i > 0 && out->data[i - 1] >= '0'
                       && out->data[i - 1] <= '9'; i--)
    {
        /* void */
    }

    return i < out->len && (i == 0 || out->data[i - 1] == '\n');
}


/*
 * Text, escaped so that cmark shows it as it is: every ASCII punctuation
 * mark that can start markup gets a backslash, which CommonMark allows
 * before any punctuation.  Runs of blanks are one space, as HTML shows
 * them; with autop, a blank line is a new paragraph and a newline a
 * hard break.
 */
static void
ctl_md_text(ctl_md_ctx_t *cx, ctl_md_t *out, const char *s)
{
    const char  *p;
    int          newlines;

    if (cx->pre) {
        ctl_md_str(out, s);
        return;
    }

    for (p = s; *p; p++) {

        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            newlines = 0;

            while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
                newlines += (*p == '\n');
                p++;
            }

            p--;

            if (cx->autop && newlines >= 2) {
                ctl_md_block(out);

            } else if (cx->autop && newlines == 1) {
                ctl_md_break(out);

            } else if (!ctl_md_at_line_start(out)
                       && out->data[out->len - 1] != ' ')
            {
                ctl_md_add(out, " ", 1);
            }

            continue;
        }

        /* inline markup anywhere; block markup where a line starts */
        if (strchr("\\`*_[]<>&", *p) != NULL
            || (ctl_md_at_line_start(out) && strchr("#+-~=", *p) != NULL)
            || ((*p == '.' || *p == ')') && ctl_md_after_number(out)))
        {
            ctl_md_add(out, "\\", 1);
        }

        ctl_md_add(out, p, 1);
    }
}


/* A URL inside (...): spaces, parentheses and controls percent-encoded. */
static void
ctl_md_url(ctl_md_t *out, const char *url)
{
    char        hex[4];
    const char *p;

    for (p = url; *p; p++) {
        if ((unsigned char) *p <= 0x20 || *p == '(' || *p == ')' || *p == '<'
            || *p == '>' || *p == '\\' || (unsigned char) *p == 0x7f)
        {
            hex[0] = '%';
            hex[1] = "0123456789ABCDEF"[(unsigned char) *p >> 4];
            hex[2] = "0123456789ABCDEF"[(unsigned char) *p & 0xf];
            ctl_md_add(out, hex, 3);
            continue;
        }

        ctl_md_add(out, p, 1);
    }
}


/* The node's children rendered alone, for a wrapper to lay out. */
static char *
ctl_md_render_apart(ctl_md_ctx_t *cx, xmlNode *node, size_t *len)
{
    ctl_md_t  sub;

    memset(&sub, 0, sizeof(ctl_md_t));
    ctl_md_children(cx, &sub, node);
    ctl_md_block(&sub);

    while (sub.len > 0 && sub.data[sub.len - 1] == '\n') {
        sub.len--;
    }

    if (sub.failed) {
        free(sub.data);
        return NULL;
    }

    *len = sub.len;

    return sub.data != NULL ? sub.data : strdup("");
}


/* Each line of the rendered children with a prefix: quotes, list items. */
static void
ctl_md_prefixed(ctl_md_ctx_t *cx, ctl_md_t *out, xmlNode *node,
    const char *first, const char *rest)
{
    char        *s, *nl;
    size_t       len;
    const char  *p, *prefix;

    s = ctl_md_render_apart(cx, node, &len);
    if (s == NULL) {
        out->failed = 1;
        return;
    }

    prefix = first;

    for (p = s; p < s + len; p = nl + 1) {
        nl = memchr(p, '\n', (size_t) (s + len - p));
        if (nl == NULL) {
            nl = s + len;
        }

        if (nl > p) {
            ctl_md_str(out, prefix);

        } else if (prefix[0] == '>') {
            ctl_md_str(out, ">");           /* a blank line of the quote */
        }

        ctl_md_add(out, p, (size_t) (nl - p));
        ctl_md_add(out, "\n", 1);
        prefix = rest;
    }

    free(s);
}


static int
ctl_md_is(xmlNode *node, const char *name)
{
    return xmlStrcasecmp(node->name, (const xmlChar *) name) == 0;
}


/*
 * Emphasis.  CommonMark takes "**x**" only when the marks touch the text,
 * so blanks at either edge go outside them, and empty emphasis goes.
 */
static void
ctl_md_inline(ctl_md_ctx_t *cx, ctl_md_t *out, xmlNode *node,
    const char *mark)
{
    int     lead, trail;
    size_t  m, start;

    m = strlen(mark);
    ctl_md_add(out, mark, m);
    start = out->len;
    ctl_md_children(cx, out, node);

    if (out->failed) {
        return;
    }

    lead = (out->len > start && out->data[start] == ' ');
    if (lead) {
        memmove(out->data + start, out->data + start + 1,
                out->len - start - 1);
        out->len--;
    }

    trail = 0;
    while (out->len > start && out->data[out->len - 1] == ' ') {
        out->len--;
        trail = 1;
    }

    if (out->len == start) {
        out->len = start - m;
        if (lead || trail) {
            ctl_md_add(out, " ", 1);
        }
        return;
    }

    ctl_md_add(out, mark, m);

    if (trail) {
        ctl_md_add(out, " ", 1);
    }

    if (lead) {
        ctl_md_add(out, " ", 1);
        if (!out->failed) {
            memmove(out->data + start - m + 1, out->data + start - m,
                    out->len - 1 - (start - m));
            out->data[start - m] = ' ';
        }
    }
}


static void
ctl_md_element(ctl_md_ctx_t *cx, ctl_md_t *out, xmlNode *node)
{
    char      head[8], num[24];
    int       i, n;
    xmlChar  *href, *alt;
    xmlNode  *li;

    if (ctl_md_is(node, "script") || ctl_md_is(node, "style")
        || ctl_md_is(node, "iframe") || ctl_md_is(node, "object")
        || ctl_md_is(node, "embed") || ctl_md_is(node, "noscript"))
    {
        return;
    }

    if (ctl_md_is(node, "p") || ctl_md_is(node, "div")
        || ctl_md_is(node, "figure") || ctl_md_is(node, "table")
        || ctl_md_is(node, "tr") || ctl_md_is(node, "section")
        || ctl_md_is(node, "dl") || ctl_md_is(node, "dt")
        || ctl_md_is(node, "dd"))
    {
        ctl_md_block(out);
        ctl_md_children(cx, out, node);
        ctl_md_block(out);
        return;
    }

    if (node->name[0] == 'h' && node->name[1] >= '1' && node->name[1] <= '6'
        && node->name[2] == '\0')
    {
        ctl_md_block(out);
        n = node->name[1] - '0';
        for (i = 0; i < n; i++) {
            head[i] = '#';
        }
        head[n] = ' ';
        ctl_md_add(out, head, (size_t) n + 1);
        i = cx->autop;
        cx->autop = 0;                  /* a heading is one line */
        ctl_md_children(cx, out, node);
        cx->autop = i;
        ctl_md_block(out);
        return;
    }

    if (ctl_md_is(node, "br")) {
        ctl_md_break(out);
        return;
    }

    if (ctl_md_is(node, "hr")) {
        ctl_md_block(out);
        ctl_md_str(out, "---");
        ctl_md_block(out);
        return;
    }

    if (ctl_md_is(node, "strong") || ctl_md_is(node, "b")) {
        ctl_md_inline(cx, out, node, "**");
        return;
    }

    if (ctl_md_is(node, "em") || ctl_md_is(node, "i")) {
        ctl_md_inline(cx, out, node, "*");
        return;
    }

    if (ctl_md_is(node, "code") && !cx->pre) {
        ctl_md_str(out, "`` ");
        cx->pre++;
        ctl_md_children(cx, out, node);
        cx->pre--;
        ctl_md_str(out, " ``");
        return;
    }

    if (ctl_md_is(node, "pre")) {
        ctl_md_block(out);
        ctl_md_str(out, "~~~~~\n");
        cx->pre++;
        ctl_md_children(cx, out, node);
        cx->pre--;
        if (!ctl_md_at_line_start(out)) {
            ctl_md_str(out, "\n");
        }
        ctl_md_str(out, "~~~~~");
        ctl_md_block(out);
        return;
    }

    if (ctl_md_is(node, "a")) {
        href = xmlGetProp(node, (const xmlChar *) "href");
        if (href == NULL || href[0] == '\0') {
            xmlFree(href);
            ctl_md_children(cx, out, node);
            return;
        }

        ctl_md_str(out, "[");
        ctl_md_children(cx, out, node);
        ctl_md_str(out, "](");
        ctl_md_url(out, (char *) href);
        ctl_md_str(out, ")");
        xmlFree(href);
        return;
    }

    if (ctl_md_is(node, "img")) {
        href = xmlGetProp(node, (const xmlChar *) "src");
        if (href == NULL || href[0] == '\0') {
            xmlFree(href);
            return;
        }

        alt = xmlGetProp(node, (const xmlChar *) "alt");
        ctl_md_str(out, "![");
        if (alt) {
            ctl_md_text(cx, out, (char *) alt);
        }
        ctl_md_str(out, "](");
        ctl_md_url(out, (char *) href);
        ctl_md_str(out, ")");
        xmlFree(alt);
        xmlFree(href);
        return;
    }

    if (ctl_md_is(node, "blockquote")) {
        ctl_md_block(out);
        ctl_md_prefixed(cx, out, node, "> ", "> ");
        ctl_md_block(out);
        return;
    }

    if (ctl_md_is(node, "ul") || ctl_md_is(node, "ol")) {
        ctl_md_block(out);
        n = 1;

        for (li = node->children; li; li = li->next) {
            if (li->type != XML_ELEMENT_NODE || !ctl_md_is(li, "li")) {
                continue;
            }

            if (ctl_md_is(node, "ol")) {
                snprintf(num, sizeof(num), "%d. ", n++);
                ctl_md_prefixed(cx, out, li, num, "    ");

            } else {
                ctl_md_prefixed(cx, out, li, "- ", "  ");
            }
        }

        ctl_md_block(out);
        return;
    }

    /* span, td, figcaption, font, ...: their text, without the markup */
    ctl_md_children(cx, out, node);

    if (ctl_md_is(node, "td") || ctl_md_is(node, "th")) {
        ctl_md_str(out, " ");
    }
}


static void
ctl_md_children(ctl_md_ctx_t *cx, ctl_md_t *out, xmlNode *node)
{
    xmlNode  *c;

    for (c = node->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            ctl_md_text(cx, out, (char *) c->content);

        } else if (c->type == XML_ELEMENT_NODE) {
            ctl_md_element(cx, out, c);
        }
    }
}


char *
ctl_html2md(const char *html, size_t len, int autop)
{
    xmlDoc        *doc;
    xmlNode       *root, *body;
    ctl_md_t       out;
    ctl_md_ctx_t   cx;

    memset(&out, 0, sizeof(ctl_md_t));

    cx.autop = autop ? 1 : 0;
    cx.pre = 0;

    /* as lenient as browsers; no network, no errors printed */
    doc = htmlReadMemory(html, (int) len, NULL, "UTF-8",
                         HTML_PARSE_NONET | HTML_PARSE_NOERROR
                         | HTML_PARSE_NOWARNING);

    /* the fragment is the implied <body>'s content */
    root = doc ? xmlDocGetRootElement(doc) : NULL;
    body = NULL;

    for (root = root ? root->children : NULL; root; root = root->next) {
        if (root->type == XML_ELEMENT_NODE && ctl_md_is(root, "body")) {
            body = root;
        }
    }

    if (body != NULL) {
        ctl_md_children(&cx, &out, body);
    }

    xmlFreeDoc(doc);

    ctl_md_block(&out);

    if (out.failed) {
        free(out.data);
        return NULL;
    }

    return out.data != NULL ? out.data : strdup("");
}
