/*
 * Unit tests of ctl_html2md.c: the Markdown made of HTML, and, for each
 * case, that cmark renders it to the text the HTML shows.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>

#include "blog_markdown.h"
#include "ctl_html2md.h"
#include "tap.h"


static int
is_anchor(xmlNode *n)
{
    xmlChar  *cls;
    int       yes;

    if (xmlStrcasecmp(n->name, (const xmlChar *) "a") != 0) {
        return 0;
    }

    cls = xmlGetProp(n, (const xmlChar *) "class");
    yes = cls != NULL && xmlStrcmp(cls, (const xmlChar *) "anchor") == 0;
    xmlFree(cls);

    return yes;
}


/*
 * The text an HTML fragment shows: blanks collapsed, scripts dropped, and
 * the renderer's heading anchors ("#" links of class "anchor"), which are
 * its decoration, not the author's text.
 */
static void
text_of(xmlNode *n, char *out, size_t *len, size_t size)
{
    const char  *p;

    for ( ; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE
            && (xmlStrcasecmp(n->name, (const xmlChar *) "script") == 0
                || xmlStrcasecmp(n->name, (const xmlChar *) "style") == 0
                || is_anchor(n)))
        {
            continue;
        }

        if (n->type == XML_TEXT_NODE) {
            for (p = (char *) n->content; *p && *len + 2 < size; p++) {
                if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
                    if (*len > 0 && out[*len - 1] != ' ') {
                        out[(*len)++] = ' ';
                    }
                } else {
                    out[(*len)++] = *p;
                }
            }
        }

        if (n->type == XML_ELEMENT_NODE) {
            /* a block, a break or an image's place separates words */
            if (*len > 0 && out[*len - 1] != ' ') {
                out[(*len)++] = ' ';
            }

            text_of(n->children, out, len, size);

            if (*len > 0 && out[*len - 1] != ' ') {
                out[(*len)++] = ' ';
            }
        }
    }
}


static void
html_text(const char *html, char *out, size_t size)
{
    size_t   len;
    xmlDoc  *doc;

    len = 0;
    doc = htmlReadMemory(html, (int) strlen(html), NULL, "UTF-8",
                         HTML_PARSE_NONET | HTML_PARSE_NOERROR
                         | HTML_PARSE_NOWARNING);
    if (doc) {
        text_of(xmlDocGetRootElement(doc), out, &len, size);
    }
    xmlFreeDoc(doc);

    while (len > 0 && out[len - 1] == ' ') {
        len--;
    }

    out[len] = '\0';
}


static void
md_is(const char *html, int autop, const char *want)
{
    char        *md, *rendered, a[4096], b[4096];
    static int   n;

    md = ctl_html2md(html, strlen(html), autop);

    /* the cases have newlines, which TAP lines cannot: numbered */
    if (!ok(md != NULL && strcmp(md, want) == 0, "case %d: Markdown", ++n))
    {
        printf("#   html: [%s]\n#   got: [%s]\n#   want: [%s]\n", html,
               md ? md : "(null)", want);
    }

    rendered = NULL;
    if (md && blog_markdown_render(md, strlen(md), &rendered, NULL) == 0) {
        html_text(html, a, sizeof(a));
        html_text(rendered, b, sizeof(b));

        if (!ok(strcmp(a, b) == 0, "case %d: renders to the same text", n)) {
            printf("#   rendered: [%s]\n#   text: [%s]\n", rendered, b);
        }
    }

    free(rendered);
    free(md);
}


int
main(void)
{
    md_is("<p>Hello <strong>bold</strong> and <em>it</em>.</p>", 0,
          "Hello **bold** and *it*.\n\n");
    md_is("One\n\nTwo\nline", 1, "One\n\nTwo\\\nline\n\n");
    md_is("<strong>Bold </strong>text", 0, "**Bold** text\n\n");
    md_is("<h2>Title\nhere</h2>Body", 1, "## Title here\n\nBody\n\n");
    md_is("<a href=\"http://x.example/a b(c)\">link</a>", 0,
          "[link](http://x.example/a%20b%28c%29)\n\n");
    md_is("<img src=\"/i.jpg\" alt=\"An *image*\">", 0,
          "![An \\*image\\*](/i.jpg)\n\n");
    md_is("<ul><li>one</li><li>two</li></ul>", 0, "- one\n- two\n\n");
    md_is("<ol><li>a</li><li>b</li></ol>", 0, "1. a\n2. b\n\n");
    md_is("<blockquote><p>q1</p><p>q2</p></blockquote>", 0,
          "> q1\n>\n> q2\n\n");
    md_is("<pre>int *p = &x;\n  y;</pre>", 0,
          "~~~~~\nint *p = &x;\n  y;\n~~~~~\n\n");
    md_is("Use <code>a_b*c</code> here", 0, "Use `` a_b*c `` here\n\n");
    md_is("# not a heading\n\n1. not a list\n\n- nor this", 1,
          "\\# not a heading\n\n1\\. not a list\n\n\\- nor this\n\n");
    md_is("a [b] &lt;c&gt; &amp; *d* _e_ `f`", 0,
          "a \\[b\\] \\<c\\> \\& \\*d\\* \\_e\\_ \\`f\\`\n\n");
    md_is("<p>x</p><script>alert(1)</script><p>y</p>", 0, "x\n\ny\n\n");
    md_is("line<br />\n", 1, "line\n\n");
    md_is("<hr />after", 0, "---\n\nafter\n\n");
    md_is("", 0, "");

    return tap_done();
}
