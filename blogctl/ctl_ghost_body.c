/*
 * The body of a Ghost post (ctl_ghost.h): Ghost's editor document,
 * Lexical (Ghost 5) or Mobiledoc (Ghost 1 to 4), whose sections and cards
 * are written as HTML here and made Markdown by the converter WordPress's
 * bodies go through (ctl_html2md.c), so that one piece of code decides
 * what HTML becomes; a Markdown card is rendered by cmark first, an HTML
 * card is the HTML the author wrote (html2md keeps its text and drops its
 * scripts).  A post with a card not understood here (a bookmark, a
 * gallery, a signup form...) takes Ghost's own rendering, the export's
 * "html", instead, so that nothing the readers saw is lost; without one,
 * the card is left out and the report says so.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl_ghost.h"
#include "ctl_util.h"
#include "blog_markdown.h"


/* Lexical's text formats (lexical's TextNode: IS_BOLD...) */
#define CTL_LEX_BOLD     1
#define CTL_LEX_ITALIC   2
#define CTL_LEX_STRIKE   4
#define CTL_LEX_CODE     16


typedef struct {
    const char  *unknown;       /* the first card not understood */
} ctl_ghost_doc_t;


const char *
ctl_ghost_str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}


/* An id, a string in Ghost 1+ and a number before, as a string. */


static void
ctl_ghost_esc(FILE *out, const char *s, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        switch (s[i]) {
        case '&':  fputs("&amp;", out);  break;
        case '<':  fputs("&lt;", out);   break;
        case '>':  fputs("&gt;", out);   break;
        case '"':  fputs("&quot;", out); break;
        default:   fputc(s[i], out);
        }
    }
}


static void
ctl_ghost_esc_str(FILE *out, const char *s)
{
    if (s != NULL) {
        ctl_ghost_esc(out, s, strlen(s));
    }
}


/* An image card, Lexical's or Mobiledoc's: the same keys. */
static void
ctl_ghost_image(FILE *out, json_t *card)
{
    const char  *caption;

    fputs("<figure><img src=\"", out);
    ctl_ghost_esc_str(out, ctl_ghost_str(card, "src"));
    fputs("\" alt=\"", out);
    ctl_ghost_esc_str(out, ctl_ghost_str(card, "alt"));
    fputs("\">", out);

    /* the caption is the editor's HTML */
    caption = ctl_ghost_str(card, "caption");
    if (caption != NULL && caption[0] != '\0') {
        fprintf(out, "<figcaption>%s</figcaption>", caption);
    }

    fputs("</figure>\n", out);
}


static void
ctl_ghost_code(FILE *out, json_t *card)
{
    const char  *lang;

    lang = ctl_ghost_str(card, "language");

    fputs("<pre><code", out);
    if (lang != NULL && lang[0] != '\0') {
        fputs(" class=\"language-", out);
        ctl_ghost_esc_str(out, lang);
        fputc('"', out);
    }

    fputc('>', out);
    ctl_ghost_esc_str(out, ctl_ghost_str(card, "code"));
    fputs("</code></pre>\n", out);
}


/* A Markdown card, rendered by cmark as any post's Markdown. */
static int
ctl_ghost_markdown(FILE *out, const char *md)
{
    char  *html;

    if (md == NULL) {
        return CTL_OK;
    }

    if (blog_markdown_render(md, strlen(md), &html, NULL) != 0) {
        return CTL_ERROR;
    }

    fputs(html, out);
    free(html);

    return CTL_OK;
}


/*
 * The cards Lexical and Mobiledoc share by name: CTL_OK, CTL_ERROR (out
 * of memory) or CTL_NOTFOUND for a card not understood.
 */
static int
ctl_ghost_card(FILE *out, const char *name, json_t *card)
{
    const char  *html;

    if (strcmp(name, "image") == 0) {
        ctl_ghost_image(out, card);

    } else if (strcmp(name, "code") == 0 || strcmp(name, "codeblock") == 0) {
        ctl_ghost_code(out, card);

    } else if (strcmp(name, "markdown") == 0
               || strcmp(name, "card-markdown") == 0)
    {
        return ctl_ghost_markdown(out, ctl_ghost_str(card, "markdown"));

    } else if (strcmp(name, "html") == 0) {
        html = ctl_ghost_str(card, "html");
        fputs(html ? html : "", out);

    } else if (strcmp(name, "hr") == 0
               || strcmp(name, "horizontalrule") == 0)
    {
        fputs("<hr>\n", out);

    } else {
        return CTL_NOTFOUND;
    }

    return CTL_OK;
}


static int ctl_lex_children(ctl_ghost_doc_t *g, FILE *out, json_t *node);


/* One Lexical node as HTML. */
static int
ctl_lex_node(ctl_ghost_doc_t *g, FILE *out, json_t *node)
{
    int          rc;
    json_int_t   format;
    const char  *type, *tag, *text;

    type = ctl_ghost_str(node, "type");
    if (type == NULL) {
        return CTL_OK;
    }

    /* Ghost's own kinds of Lexical's nodes: "extended-text"... */
    if (strncmp(type, "extended-", 9) == 0) {
        type += 9;
    }

    if (strcmp(type, "root") == 0) {
        return ctl_lex_children(g, out, node);
    }

    if (strcmp(type, "text") == 0) {
        text = ctl_ghost_str(node, "text");
        format = json_integer_value(json_object_get(node, "format"));

        fputs(format & CTL_LEX_CODE ? "<code>" : "", out);
        fputs(format & CTL_LEX_BOLD ? "<strong>" : "", out);
        fputs(format & CTL_LEX_ITALIC ? "<em>" : "", out);
        fputs(format & CTL_LEX_STRIKE ? "<s>" : "", out);
        ctl_ghost_esc_str(out, text);
        fputs(format & CTL_LEX_STRIKE ? "</s>" : "", out);
        fputs(format & CTL_LEX_ITALIC ? "</em>" : "", out);
        fputs(format & CTL_LEX_BOLD ? "</strong>" : "", out);
        fputs(format & CTL_LEX_CODE ? "</code>" : "", out);

        return CTL_OK;
    }

    if (strcmp(type, "linebreak") == 0) {
        fputs("<br>", out);
        return CTL_OK;
    }

    if (strcmp(type, "tab") == 0) {
        fputc('\t', out);
        return CTL_OK;
    }

    if (strcmp(type, "link") == 0 || strcmp(type, "autolink") == 0) {
        fputs("<a href=\"", out);
        ctl_ghost_esc_str(out, ctl_ghost_str(node, "url"));
        fputs("\">", out);
        rc = ctl_lex_children(g, out, node);
        fputs("</a>", out);
        return rc;
    }

    if (strcmp(type, "paragraph") == 0) {
        tag = "p";

    } else if (strcmp(type, "heading") == 0) {
        tag = ctl_ghost_str(node, "tag");
        if (tag == NULL || tag[0] != 'h' || tag[1] < '1' || tag[1] > '6'
            || tag[2] != '\0')
        {
            tag = "h2";
        }

    } else if (strcmp(type, "quote") == 0 || strcmp(type, "aside") == 0) {
        tag = "blockquote";

    } else if (strcmp(type, "list") == 0) {
        tag = ctl_ghost_str(node, "listType");
        tag = (tag != NULL && strcmp(tag, "number") == 0) ? "ol" : "ul";

    } else if (strcmp(type, "listitem") == 0) {
        tag = "li";

    } else {
        rc = ctl_ghost_card(out, type, node);

        if (rc == CTL_NOTFOUND) {
            g->unknown = g->unknown ? g->unknown : type;
            rc = CTL_OK;
        }

        return rc;
    }

    fprintf(out, "<%s>", tag);
    rc = ctl_lex_children(g, out, node);
    fprintf(out, "</%s>\n", tag);

    return rc;
}


static int
ctl_lex_children(ctl_ghost_doc_t *g, FILE *out, json_t *node)
{
    size_t   i;
    json_t  *child;

    json_array_foreach(json_object_get(node, "children"), i, child) {
        if (ctl_lex_node(g, out, child) != CTL_OK) {
            return CTL_ERROR;
        }
    }

    return CTL_OK;
}


/*
 * Mobiledoc's markers: text runs that open markups (indexes into
 * markups: [tag, [attr, value...]]) and close the last n opened; atoms
 * (a soft return is a line break).
 */
static void
ctl_mob_markers(FILE *out, json_t *doc, json_t *markers)
{
    size_t       i, k, depth, n;
    json_t      *m, *open, *markup, *attrs, *atom;
    const char  *tag, *name, *stack[64];

    depth = 0;

    json_array_foreach(markers, i, m) {
        json_array_foreach(json_array_get(m, 1), k, open) {
            markup = json_array_get(json_object_get(doc, "markups"),
                                    (size_t) json_integer_value(open));
            tag = json_string_value(json_array_get(markup, 0));

            if (tag == NULL || depth == 64
                || strspn(tag, "abcdefghijklmnopqrstuvwxyz") != strlen(tag))
            {
                continue;
            }

            stack[depth++] = tag;
            fprintf(out, "<%s", tag);

            attrs = json_array_get(markup, 1);
            if (strcmp(tag, "a") == 0
                && json_is_string(json_array_get(attrs, 0))
                && strcmp(json_string_value(json_array_get(attrs, 0)),
                          "href") == 0)
            {
                fputs(" href=\"", out);
                ctl_ghost_esc_str(out,
                    json_string_value(json_array_get(attrs, 1)));
                fputc('"', out);
            }

            fputc('>', out);
        }

        if (json_integer_value(json_array_get(m, 0)) == 1) {
            atom = json_array_get(json_object_get(doc, "atoms"),
                (size_t) json_integer_value(json_array_get(m, 3)));
            name = json_string_value(json_array_get(atom, 0));

            if (name != NULL && strcmp(name, "soft-return") == 0) {
                fputs("<br>", out);

            } else {
                ctl_ghost_esc_str(out,
                                  json_string_value(json_array_get(atom, 1)));
            }

        } else {
            ctl_ghost_esc_str(out, json_string_value(json_array_get(m, 3)));
        }

        n = (size_t) json_integer_value(json_array_get(m, 2));
        while (n-- > 0 && depth > 0) {
            fprintf(out, "</%s>", stack[--depth]);
        }
    }

    while (depth > 0) {
        fprintf(out, "</%s>", stack[--depth]);
    }
}


/* A Mobiledoc document (0.3) as HTML. */
static int
ctl_mob_doc(ctl_ghost_doc_t *g, FILE *out, json_t *doc)
{
    int          rc;
    size_t       i, k;
    json_t      *s, *item, *card;
    const char  *tag, *name;

    json_array_foreach(json_object_get(doc, "sections"), i, s) {
        tag = json_string_value(json_array_get(s, 1));

        switch (json_integer_value(json_array_get(s, 0))) {

        case 1:                                 /* markup section */
            if (tag != NULL && (strcmp(tag, "aside") == 0
                                || strcmp(tag, "pull-quote") == 0))
            {
                tag = "blockquote";             /* Ghost's other quotes */

            } else if (tag == NULL || !(strcmp(tag, "p") == 0
                                        || strcmp(tag, "blockquote") == 0
                                        || (tag[0] == 'h' && tag[1] >= '1'
                                            && tag[1] <= '6'
                                            && tag[2] == '\0')))
            {
                tag = "p";
            }

            fprintf(out, "<%s>", tag);
            ctl_mob_markers(out, doc, json_array_get(s, 2));
            fprintf(out, "</%s>\n", tag);
            break;

        case 2:                                 /* image section */
            fputs("<p><img src=\"", out);
            ctl_ghost_esc_str(out, tag);
            fputs("\"></p>\n", out);
            break;

        case 3:                                 /* list section */
            tag = (tag != NULL && strcmp(tag, "ol") == 0) ? "ol" : "ul";
            fprintf(out, "<%s>", tag);

            json_array_foreach(json_array_get(s, 2), k, item) {
                fputs("<li>", out);
                ctl_mob_markers(out, doc, item);
                fputs("</li>", out);
            }

            fprintf(out, "</%s>\n", tag);
            break;

        case 10:                                /* card */
            card = json_array_get(json_object_get(doc, "cards"),
                       (size_t) json_integer_value(json_array_get(s, 1)));
            name = json_string_value(json_array_get(card, 0));

            rc = (name != NULL)
                 ? ctl_ghost_card(out, name, json_array_get(card, 1))
                 : CTL_NOTFOUND;

            if (rc == CTL_ERROR) {
                return CTL_ERROR;
            }

            if (rc == CTL_NOTFOUND) {
                g->unknown = g->unknown ? g->unknown : (name ? name : "?");
            }

            break;
        }
    }

    return CTL_OK;
}


/*
 * Ghost 5 writes its own site's URL as "__GHOST_URL__": the links become
 * paths from the root ("/content/images/...", "/about/"), to this site.
 */
void
ctl_ghost_url(char *s)
{
    char    *p;
    size_t   n;

    n = sizeof("__GHOST_URL__") - 1;

    while ((p = strstr(s, "__GHOST_URL__")) != NULL) {
        memmove(p, p + n, strlen(p + n) + 1);
        s = p;
    }
}


/*
 * The post's body as HTML, from its Lexical or Mobiledoc (a JSON string
 * in the export), or its "html" when a card is not understood here.
 */
int
ctl_ghost_body(json_t *post, const char *where, char **html)
{
    int                rc;
    FILE              *out;
    size_t             len;
    json_t            *doc;
    const char        *src, *ghost_html, *field, *feature;
    ctl_ghost_doc_t    gd, *g;
    json_error_t       err;

    *html = NULL;
    doc = NULL;
    g = &gd;
    g->unknown = NULL;
    ghost_html = ctl_ghost_str(post, "html");

    field = "lexical";
    src = ctl_ghost_str(post, field);
    if (src == NULL) {
        field = "mobiledoc";
        src = ctl_ghost_str(post, field);
    }

    out = open_memstream(html, &len);
    if (out == NULL) {
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    /* the feature image heads the post, as Ghost's themes show it */
    feature = ctl_ghost_str(post, "feature_image");
    if (feature != NULL && feature[0] != '\0') {
        fputs("<p><img src=\"", out);
        ctl_ghost_esc_str(out, feature);
        fputs("\" alt=\"\"></p>\n", out);
    }

    rc = CTL_OK;

    if (src != NULL) {
        doc = json_loads(src, 0, &err);

        if (doc == NULL) {
            fclose(out);
            free(*html);
            *html = NULL;
            ctl_error("%s: %s: not JSON: %s (column %d)", where, field,
                      err.text, err.column);
            return CTL_ERROR;
        }

        rc = (field[0] == 'l') ? ctl_lex_node(g, out, json_object_get(doc,
                                                                "root"))
                               : ctl_mob_doc(g, out, doc);

        if (g->unknown != NULL && ghost_html != NULL) {
            printf("note %s: the %s card is not understood here: Ghost's "
                   "HTML of the post is imported instead\n", where,
                   g->unknown);

        } else if (g->unknown != NULL) {
            printf("note %s: the %s card is not understood here and has "
                   "no HTML: left out\n", where, g->unknown);
        }

    } else if (ghost_html != NULL) {
        fputs(ghost_html, out);
    }

    if (fclose(out) != 0 || rc != CTL_OK) {
        json_decref(doc);
        free(*html);
        *html = NULL;
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    if (g->unknown != NULL && ghost_html != NULL) {
        free(*html);
        *html = strdup(ghost_html);
    }

    /* g->unknown points into the document */
    json_decref(doc);
    g->unknown = NULL;

    if (*html == NULL) {
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    ctl_ghost_url(*html);

    return CTL_OK;
}
