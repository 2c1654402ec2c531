/*
 * blogctl import FILE.xml: a WordPress export (WXR 1.0 to 1.2), read with
 * libxml2 as the jobrunner reads S3's answers.
 *
 * Each item whose wp:post_type is post or page becomes a post or page:
 * its slug (wp:post_name, or one made of the title), title, date
 * (wp:post_date_gmt), status (publish is published, future, draft,
 * pending and private are drafts: nothing is shown that was not shown),
 * tags (its categories and tags, as tags), summary (excerpt:encoded) and
 * body (content:encoded, turned into Markdown by ctl_html2md.c).  Its old
 * permalinks become aliases (blog_redirect.h): the path and query of its
 * <link> ("/?p=123" too), and for a post WordPress's /YYYY/MM/DD/slug/ of
 * its local date.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlreader.h>

#include "ctl_import.h"
#include "ctl_html2md.h"
#include "ctl_util.h"
#include "blog_markdown.h"
#include "blog_path.h"
#include "blog_redirect.h"
#include "blog_tags.h"


#define CTL_WXR_SKIP  1


/* The channel's authors: <wp:author>'s login and display name. */
typedef struct {
    char       *login;
    char       *name;
} ctl_wxr_author_t;

typedef struct {
    ctl_wxr_author_t  *v;
    size_t             n;
} ctl_wxr_authors_t;


/* An item's elements, as libxml2 owns them. */
typedef struct {
    xmlNode    *title;
    xmlNode    *link;
    xmlNode    *content;
    xmlNode    *excerpt;
    xmlNode    *post_id;
    xmlNode    *post_name;
    xmlNode    *post_type;
    xmlNode    *status;
    xmlNode    *date;           /* wp:post_date, the site's local time */
    xmlNode    *date_gmt;
    xmlNode    *creator;        /* dc:creator, the author's login */
} ctl_wxr_item_t;


/* Whether n's namespace starts with http:// or https:// and then rest. */
static int
ctl_wxr_ns(xmlNode *n, const char *rest)
{
    const char  *href;

    if (n->ns == NULL || n->ns->href == NULL) {
        return 0;
    }

    href = (char *) n->ns->href;

    if (strncmp(href, "http://", 7) == 0) {
        href += 7;

    } else if (strncmp(href, "https://", 8) == 0) {
        href += 8;

    } else {
        return 0;
    }

    return strncmp(href, rest, strlen(rest)) == 0;
}


static int
ctl_wxr_is(xmlNode *n, const char *ns, const char *name)
{
    if (n->type != XML_ELEMENT_NODE
        || strcmp((char *) n->name, name) != 0)
    {
        return 0;
    }

    return ns == NULL ? n->ns == NULL : ctl_wxr_ns(n, ns);
}


/* The text of an element (CDATA included), malloc'ed, "" if none. */
static char *
ctl_wxr_text(xmlNode *n)
{
    char     *s;
    xmlChar  *t;

    if (n == NULL) {
        return strdup("");
    }

    t = xmlNodeGetContent(n);
    s = strdup(t ? (char *) t : "");
    xmlFree(t);

    return s;
}


static int
ctl_wxr_text_is(xmlNode *n, const char *want)
{
    int       eq;
    xmlChar  *t;

    t = n ? xmlNodeGetContent(n) : NULL;
    eq = t != NULL && strcmp((char *) t, want) == 0;
    xmlFree(t);

    return eq;
}


/* "YYYY-MM-DD HH:MM:SS" as UTC; 0 for WordPress's "0000-00-00 ..." */
static int
ctl_wxr_date(const char *s, int64_t *t)
{
    int        n;
    struct tm  tm;

    memset(&tm, 0, sizeof(tm));

    if (sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6
        || s[n] != '\0')
    {
        return CTL_ERROR;
    }

    if (tm.tm_year == 0) {
        *t = 0;
        return CTL_OK;
    }

    if (tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12
        || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23
        || tm.tm_min > 59 || tm.tm_sec > 60)
    {
        return CTL_ERROR;
    }

    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *t = (int64_t) timegm(&tm);

    return CTL_OK;
}


/*
 * Tags: the item's <category> elements of the domains category and
 * post_tag, names as written; a ',' (which a tag name cannot hold) is a
 * space, and a name without a letter or digit, or whose slug was given
 * already ("Alpha" after "alpha"), is left out.
 */
static char *
ctl_wxr_tags(xmlNode *item)
{
    char      *names, *slugs, *cand, *name, *p;
    size_t     len, sl, size;
    xmlNode   *c;
    xmlChar   *domain;

    size = 1;
    for (c = item->children; c; c = c->next) {
        if (ctl_wxr_is(c, NULL, "category")) {
            name = ctl_wxr_text(c);
            size += (name ? strlen(name) : 0) + 1;
            free(name);
        }
    }

    /* names joined by ','; slugs as ",a,b,"; never longer than these */
    names = malloc(size);
    slugs = malloc(size + 2);
    cand = malloc(size + 2);
    if (names == NULL || slugs == NULL || cand == NULL) {
        goto failed;
    }

    len = 0;
    names[0] = '\0';
    strcpy(slugs, ",");

    for (c = item->children; c; c = c->next) {
        if (!ctl_wxr_is(c, NULL, "category")) {
            continue;
        }

        domain = xmlGetProp(c, (const xmlChar *) "domain");
        sl = domain != NULL
             && (strcmp((char *) domain, "category") == 0
                 || strcmp((char *) domain, "post_tag") == 0);
        xmlFree(domain);

        if (!sl) {
            continue;
        }

        name = ctl_wxr_text(c);
        if (name == NULL) {
            goto failed;
        }

        for (p = name; *p; p++) {
            if (*p == ',') {
                *p = ' ';
            }
        }

        sl = blog_tag_slug(name, strlen(name), cand + 1);
        cand[0] = ',';
        cand[sl + 1] = ',';
        cand[sl + 2] = '\0';

        if (sl > 0 && strstr(slugs, cand) == NULL) {
            strcat(slugs, cand + 1);

            if (len > 0) {
                names[len++] = ',';
            }

            len += (size_t) sprintf(names + len, "%s", name);
        }

        free(name);
    }

    free(slugs);
    free(cand);

    return names;

failed:

    free(names);
    free(slugs);
    free(cand);

    return NULL;
}


/*
 * The slug: wp:post_name when it is one, else one made of the title (as
 * a tag's), else "post-ID"; taken[] holds those given so far, so that
 * two items never share one.
 */
static char *
ctl_wxr_slug(const char *post_name, const char *title, const char *id,
    ctl_file_t *files, size_t n)
{
    char    *slug, *s;
    size_t   i, len;

    len = strlen(post_name);

    if (blog_slug_valid(post_name, len)) {
        slug = strdup(post_name);

    } else {
        len = strlen(title);
        slug = malloc(len + 1);

        if (slug != NULL) {
            len = blog_tag_slug(title, len, slug);
            slug[len] = '\0';

            if (len > BLOG_SLUG_MAX - 24 || !blog_slug_valid(slug, len)) {
                free(slug);
                if (asprintf(&slug, "post-%s", id) == -1) {
                    slug = NULL;
                }
            }
        }
    }

    if (slug == NULL) {
        return NULL;
    }

    for (i = 0; i < n; i++) {
        if (files[i].doc.slug && strcmp(files[i].doc.slug, slug) == 0) {
            if (asprintf(&s, "%s-%s", slug, id) == -1) {
                s = NULL;
            }

            free(slug);
            return s;
        }
    }

    return slug;
}


/* Adds path's redirect key to the aliases, unless it is there. */
static int
ctl_wxr_alias(char **aliases, const char *path, size_t len)
{
    int          rc;
    char        *key, *merged;
    size_t       i, m, k;
    const char  *why, *line, *nl;

    key = malloc(len + 1);
    merged = malloc(len + 1);
    if (key == NULL || merged == NULL) {
        free(key);
        free(merged);
        return CTL_ERROR;
    }

    /* "//" is one '/', as nginx reads a request's path (merge_slashes) */
    for (i = 0, m = 0; i < len; i++) {
        if (path[i] != '/' || m == 0 || merged[m - 1] != '/') {
            merged[m++] = path[i];
        }
    }

    k = blog_redirect_from(merged, m, key, &why);
    free(merged);

    for (line = *aliases; k > 1 && *line; line = nl + 1) {
        nl = strchr(line, '\n');
        if ((size_t) (nl - line) == k && memcmp(line, key, k) == 0) {
            k = 0;
        }
    }

    rc = k > 1 ? ctl_lines_append(aliases, key, k) : CTL_OK;
    free(key);

    return rc;
}


/* The old permalinks: <link>'s path and query, /YYYY/MM/DD/slug/. */
static int
ctl_wxr_aliases(ctl_doc_t *doc, const char *link, const char *local,
    const char *post_name)
{
    char        day[64];
    const char *p, *end;

    doc->aliases = strdup("");
    if (doc->aliases == NULL) {
        return CTL_ERROR;
    }

    /* the link's path and query: "/?p=123" is asked on the index */
    p = strstr(link, "://");
    if (p != NULL) {
        p = strchr(p + 3, '/');
        end = p ? p + strcspn(p, "# \t\r\n") : NULL;

        if (p != NULL
            && ctl_wxr_alias(&doc->aliases, p, (size_t) (end - p))
               != CTL_OK)
        {
            return CTL_ERROR;
        }
    }

    if (strcmp(doc->type, "post") == 0 && post_name[0] != '\0'
        && strlen(local) >= 10 && strncmp(local, "0000", 4) != 0
        && strlen(post_name) < sizeof(day) - 16)
    {
        snprintf(day, sizeof(day), "/%.4s/%.2s/%.2s/%s/", local, local + 5,
                 local + 8, post_name);

        if (ctl_wxr_alias(&doc->aliases, day, strlen(day)) != CTL_OK) {
            return CTL_ERROR;
        }
    }

    return CTL_OK;
}


static void
ctl_wxr_elements(xmlNode *item, ctl_wxr_item_t *it)
{
    xmlNode  *c;

    memset(it, 0, sizeof(ctl_wxr_item_t));

    for (c = item->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) {
            continue;
        }

        if (ctl_wxr_is(c, NULL, "title")) {
            it->title = c;
        } else if (ctl_wxr_is(c, NULL, "link")) {
            it->link = c;
        } else if (ctl_wxr_is(c, "purl.org/rss/1.0/modules/content/",
                              "encoded"))
        {
            it->content = c;
        } else if (ctl_wxr_is(c, "purl.org/dc/elements/1.1/", "creator")) {
            it->creator = c;
        } else if (ctl_wxr_is(c, "wordpress.org/export/", "encoded")) {
            it->excerpt = c;            /* .../1.x/excerpt/ */
        } else if (!ctl_wxr_ns(c, "wordpress.org/export/")) {
            continue;
        } else if (strcmp((char *) c->name, "post_id") == 0) {
            it->post_id = c;
        } else if (strcmp((char *) c->name, "post_name") == 0) {
            it->post_name = c;
        } else if (strcmp((char *) c->name, "post_type") == 0) {
            it->post_type = c;
        } else if (strcmp((char *) c->name, "status") == 0) {
            it->status = c;
        } else if (strcmp((char *) c->name, "post_date") == 0) {
            it->date = c;
        } else if (strcmp((char *) c->name, "post_date_gmt") == 0) {
            it->date_gmt = c;
        }
    }
}


/* A <wp:author> of the channel, kept for its items. */
static int
ctl_wxr_add_author(xmlNode *a, ctl_wxr_authors_t *authors)
{
    char              *login, *name;
    xmlNode           *c;
    ctl_wxr_author_t  *v;

    login = NULL;
    name = NULL;

    for (c = a->children; c; c = c->next) {
        if (ctl_wxr_is(c, "wordpress.org/export/", "author_login")) {
            free(login);
            login = ctl_wxr_text(c);

        } else if (ctl_wxr_is(c, "wordpress.org/export/",
                              "author_display_name"))
        {
            free(name);
            name = ctl_wxr_text(c);
        }
    }

    v = realloc(authors->v, (authors->n + 1) * sizeof(ctl_wxr_author_t));

    if (v == NULL || login == NULL || name == NULL) {
        free(login);
        free(name);
        authors->v = v ? v : authors->v;
        return CTL_ERROR;
    }

    authors->v = v;
    v[authors->n].login = login;
    v[authors->n].name = name;
    authors->n++;

    return CTL_OK;
}


/*
 * The author of an item: the display name the channel's <wp:author> gives
 * the login of its <dc:creator>, else the login.  NULL for none, or when
 * out of memory (*oom set).
 */
static char *
ctl_wxr_author(ctl_wxr_authors_t *authors, xmlNode *creator, int *oom)
{
    char    *login, *name;
    size_t   i;

    login = creator ? ctl_wxr_text(creator) : NULL;
    *oom = (creator != NULL && login == NULL);

    if (login == NULL || login[0] == '\0') {
        free(login);
        return NULL;
    }

    for (i = 0; i < authors->n; i++) {
        if (strcmp(authors->v[i].login, login) == 0
            && authors->v[i].name[0] != '\0')
        {
            name = strdup(authors->v[i].name);
            *oom = (name == NULL);
            free(login);
            return name;
        }
    }

    return login;
}


/*
 * One item into f, or CTL_WXR_SKIP for one that is skipped, with a line
 * on stdout saying why.
 * Errors are reported here, with the item's line.
 */
static int
ctl_wxr_item(const char *path, xmlNode *item, ctl_file_t *f,
    ctl_file_t *files, size_t n, ctl_wxr_authors_t *authors)
{
    int              rc, oom;
    char            *type, *id, *post_name, *date, *local, *link, *html, *excerpt;
    int64_t          t;
    ctl_wxr_item_t   it;

    ctl_wxr_elements(item, &it);

    if (it.post_type == NULL) {
        ctl_error("%s:%d: <item> without <wp:post_type>", path,
                  item->line);
        return CTL_ERROR;
    }

    if (ctl_wxr_text_is(it.post_type, "post")) {
        f->doc.type = "post";

    } else if (ctl_wxr_text_is(it.post_type, "page")) {
        f->doc.type = "page";

    } else {
        type = ctl_wxr_text(it.post_type);
        printf("skipped %s:%d: %s, not a post or page\n", path, item->line,
               type ? type : "");
        free(type);
        return CTL_WXR_SKIP;
    }

    if (it.status == NULL || ctl_wxr_text_is(it.status, "trash")
        || ctl_wxr_text_is(it.status, "auto-draft")
        || ctl_wxr_text_is(it.status, "inherit"))
    {
        printf("skipped %s:%d: deleted, or a draft WordPress made by "
               "itself\n", path, item->line);
        return CTL_WXR_SKIP;
    }

    f->doc.draft = !ctl_wxr_text_is(it.status, "publish");

    id = ctl_wxr_text(it.post_id);
    post_name = ctl_wxr_text(it.post_name);
    date = ctl_wxr_text(it.date_gmt);
    local = ctl_wxr_text(it.date);
    link = ctl_wxr_text(it.link);
    html = ctl_wxr_text(it.content);
    excerpt = ctl_wxr_text(it.excerpt);
    f->doc.title = ctl_wxr_text(it.title);
    f->doc.author = ctl_wxr_author(authors, it.creator, &oom);

    rc = CTL_ERROR;

    if (id == NULL || post_name == NULL || date == NULL || local == NULL
        || link == NULL || html == NULL || excerpt == NULL
        || f->doc.title == NULL || oom)
    {
        ctl_error("out of memory");
        goto done;
    }

    if (asprintf(&f->path, "%s:%d", path, item->line) == -1
        || asprintf(&f->name, "wordpress:%s", id) == -1)
    {
        f->path = NULL;
        f->name = NULL;
        ctl_error("out of memory");
        goto done;
    }

    /* the GMT date, or the local one where WordPress left it empty */
    if (ctl_wxr_date(date, &t) != CTL_OK
        || (t == 0 && ctl_wxr_date(local, &t) != CTL_OK))
    {
        ctl_error("%s: <wp:post_date_gmt>: invalid date \"%.40s\"", f->path,
                  date);
        goto done;
    }

    f->doc.has_date = (t != 0);
    f->doc.date = t;

    if (!f->doc.has_date && !f->doc.draft && f->doc.type[1] == 'o') {
        ctl_error("%s: a published post without a date", f->path);
        goto done;
    }

    f->doc.slug = ctl_wxr_slug(post_name, f->doc.title, id, files, n);
    f->doc.tags = ctl_wxr_tags(item);
    f->doc.body = ctl_html2md(html, strlen(html), 1);

    if (f->doc.slug == NULL || f->doc.tags == NULL || f->doc.body == NULL
        || ctl_wxr_aliases(&f->doc, link, local, post_name) != CTL_OK)
    {
        ctl_error("out of memory");
        goto done;
    }

    /* a title is required; WordPress allows none */
    if (f->doc.title[0] == '\0') {
        free(f->doc.title);
        f->doc.title = strdup(f->doc.slug);
    }

    /* an excerpt of plain text is the summary, else it is derived */
    if (excerpt[0] != '\0' && strchr(excerpt, '<') == NULL) {
        f->doc.summary = excerpt;
        excerpt = NULL;
    }

    if (f->doc.title == NULL
        || blog_markdown_render(f->doc.body, strlen(f->doc.body), &f->html,
                                f->doc.summary == NULL ? &f->summary : NULL)
           != 0)
    {
        ctl_error("out of memory");
        goto done;
    }

    rc = CTL_OK;

done:

    free(id);
    free(post_name);
    free(date);
    free(local);
    free(link);
    free(html);
    free(excerpt);

    return rc;
}


/* The first error libxml2 reports, kept for the message. */
static void
ctl_wxr_error(void *arg, const xmlError *e)
{
    xmlError  *first = arg;

    if (first->message == NULL && e->message != NULL) {
        first->message = strdup(e->message);
        first->line = e->line;
    }
}


/*
 * The export is read as a stream (xmlTextReader): one <item> at a time is
 * made a tree, turned into a post and freed, so that a big export does
 * not need its whole tree in memory (scripts/bench-import).
 */
int
ctl_wxr_load(const char *path, ctl_file_t **files, size_t *n,
    size_t *skipped)
{
    int                 rc, r, depth, moved, in_channel;
    size_t              i, size;
    xmlNode            *node;
    xmlError            first;
    const char         *msg;
    ctl_file_t         *grown;
    xmlTextReader      *reader;
    ctl_wxr_authors_t   authors;

    *files = NULL;
    *n = 0;
    *skipped = 0;

    /*
     * No network, no external entities or DTD (XXE), errors kept for the
     * message rather than printed; HUGE: an export's text nodes can pass
     * libxml2's 10 MB default.
     */
    reader = xmlReaderForFile(path, NULL,
                              XML_PARSE_NONET | XML_PARSE_NOERROR
                              | XML_PARSE_NOWARNING | XML_PARSE_HUGE);
    if (reader == NULL) {
        ctl_error("%s: cannot be read", path);
        return CTL_ERROR;
    }

    memset(&first, 0, sizeof(xmlError));
    memset(&authors, 0, sizeof(ctl_wxr_authors_t));
    xmlTextReaderSetStructuredErrorHandler(reader,
        (xmlStructuredErrorFunc) ctl_wxr_error, &first);

    rc = CTL_OK;
    size = 0;
    moved = 0;
    in_channel = 0;
    r = 1;

    while (rc == CTL_OK) {
        if (!moved) {
            r = xmlTextReaderRead(reader);
        }

        moved = 0;

        if (r != 1) {
            break;
        }

        if (xmlTextReaderNodeType(reader) != XML_READER_TYPE_ELEMENT) {
            continue;
        }

        depth = xmlTextReaderDepth(reader);
        node = xmlTextReaderCurrentNode(reader);

        if (depth == 0 && !ctl_wxr_is(node, NULL, "rss")) {
            break;
        }

        if (depth == 1) {
            in_channel |= ctl_wxr_is(node, NULL, "channel");
            continue;
        }

        if (depth != 2 || !in_channel
            || !(ctl_wxr_is(node, NULL, "item")
                 || ctl_wxr_is(node, "wordpress.org/export/", "author")))
        {
            continue;
        }

        /* the element's subtree, freed when the reader passes it */
        node = xmlTextReaderExpand(reader);
        if (node == NULL) {
            r = -1;
            break;
        }

        if (!ctl_wxr_is(node, NULL, "item")) {
            if (ctl_wxr_add_author(node, &authors) != CTL_OK) {
                ctl_error("out of memory");
                rc = CTL_ERROR;
            }

            r = xmlTextReaderNext(reader);
            moved = 1;
            continue;
        }

        if (*n == size) {
            size = size ? size * 2 : 64;
            grown = realloc(*files, size * sizeof(ctl_file_t));
            if (grown == NULL) {
                ctl_error("out of memory");
                rc = CTL_ERROR;
                break;
            }

            *files = grown;
        }

        memset(&(*files)[*n], 0, sizeof(ctl_file_t));

        switch (ctl_wxr_item(path, node, &(*files)[*n], *files, *n,
                             &authors))
        {

        case CTL_OK:
            (*n)++;
            break;

        case CTL_WXR_SKIP:
            (*skipped)++;
            break;

        default:
            rc = CTL_ERROR;
            (*n)++;                     /* freed with the others */
        }

        r = xmlTextReaderNext(reader);
        moved = 1;
    }

    if (rc == CTL_OK && (r == -1 || first.message != NULL)) {
        msg = first.message ? first.message : "unreadable";
        ctl_error("%s:%d: not a WordPress export: %.*s", path,
                  first.message ? first.line
                                : xmlTextReaderGetParserLineNumber(reader),
                  (int) strcspn(msg, "\n"), msg);
        rc = CTL_ERROR;

    } else if (rc == CTL_OK && !in_channel) {
        ctl_error("%s:%d: not a WordPress export: no <rss><channel>", path,
                  xmlTextReaderGetParserLineNumber(reader));
        rc = CTL_ERROR;
    }

    xmlFreeTextReader(reader);
    free(first.message);

    for (i = 0; i < authors.n; i++) {
        free(authors.v[i].login);
        free(authors.v[i].name);
    }

    free(authors.v);

    if (*files == NULL && rc == CTL_OK) {
        *files = calloc(1, sizeof(ctl_file_t));
        if (*files == NULL) {
            ctl_error("out of memory");
            rc = CTL_ERROR;
        }
    }

    if (rc != CTL_OK) {
        for (i = 0; i < *n; i++) {
            free((*files)[i].name);
            free((*files)[i].path);
            ctl_doc_free(&(*files)[i].doc);
            free((*files)[i].html);
            free((*files)[i].summary);
        }

        free(*files);
        *files = NULL;
        *n = 0;
    }

    return rc;
}
