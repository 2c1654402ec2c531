/*
 * blogctl import ghost FILE.json: a Ghost export (Settings > Labs >
 * Export: {"db": [{"meta": ..., "data": {"posts": [...], "tags": [...],
 * "posts_tags": [...], "users": [...], "posts_authors": [...]}}]}), read
 * with jansson: each post's slug, status, date, tags, authors and old
 * URL here, its body by ctl_ghost_body.c.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl_ghost.h"
#include "ctl_html2md.h"
#include "ctl_import.h"
#include "ctl_kv.h"
#include "ctl_util.h"
#include "blog_markdown.h"
#include "blog_tags.h"


#define CTL_GHOST_SKIP  1

typedef struct {
    const char  *path;
    json_t      *tag_names;     /* post id -> [tag name...] */
    json_t      *author_names;  /* post id -> [user name...] */
    json_t      *users;         /* user id -> name */
} ctl_ghost_t;


static const char *
ctl_ghost_id(json_t *v, char buf[32])
{
    if (json_is_string(v)) {
        return json_string_value(v);
    }

    if (json_is_integer(v)) {
        snprintf(buf, 32, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    }

    return NULL;
}


/* The names of post id's tags or authors, from an index built below. */
static char *
ctl_ghost_names(json_t *index, const char *id, int tags)
{
    size_t       i, n;
    json_t      *v, *names;
    const char  *a[CTL_KV_MAXV];
    char        *s, *p;
    size_t       len;

    names = json_object_get(index, id);
    n = 0;

    json_array_foreach(names, i, v) {
        if (n < CTL_KV_MAXV) {
            a[n++] = json_string_value(v);
        }
    }

    if (tags) {
        return ctl_tags_join(a, n);
    }

    /* authors: "A, B" */
    len = 1;
    for (i = 0; i < n; i++) {
        len += strlen(a[i]) + 2;
    }

    s = malloc(len);
    if (s == NULL) {
        return NULL;
    }

    p = s;
    *p = '\0';
    for (i = 0; i < n; i++) {
        p += sprintf(p, "%s%s", i ? ", " : "", a[i]);
    }

    return s;
}


/*
 * id -> name of a table's rows (tags, users).  Ghost's internal tags
 * ("#name") are its themes' switches, not the post's subjects: left out.
 */
static json_t *
ctl_ghost_names_of(json_t *data, const char *things)
{
    size_t       i;
    char         b[32];
    json_t      *names, *thing;
    const char  *thing_id, *name;

    names = json_object();
    if (names == NULL) {
        return NULL;
    }

    json_array_foreach(json_object_get(data, things), i, thing) {
        thing_id = ctl_ghost_id(json_object_get(thing, "id"), b);
        name = ctl_ghost_str(thing, "name");

        if (thing_id != NULL && name != NULL && name[0] != '#') {
            json_object_set_new(names, thing_id, json_string(name));
        }
    }

    return names;
}


/* index: post id -> names, from a link table (posts_tags, posts_authors) */
static json_t *
ctl_ghost_index(json_t *data, const char *links, json_t *names,
    const char *key)
{
    size_t       i;
    char         b1[32], b2[32];
    json_t      *index, *link, *v;
    const char  *post_id, *thing_id;

    index = json_object();

    if (names == NULL || index == NULL) {
        json_decref(index);
        return NULL;
    }

    json_array_foreach(json_object_get(data, links), i, link) {
        post_id = ctl_ghost_id(json_object_get(link, "post_id"), b1);
        thing_id = ctl_ghost_id(json_object_get(link, key), b2);

        v = (post_id && thing_id) ? json_object_get(names, thing_id) : NULL;
        if (v == NULL) {
            continue;
        }

        if (json_object_get(index, post_id) == NULL) {
            json_object_set_new(index, post_id, json_array());
        }

        json_array_append(json_object_get(index, post_id), v);
    }

    return index;
}


/* "2025-01-01T00:00:00.000Z", or milliseconds (Ghost 0.x) */
static int
ctl_ghost_date(json_t *v, int64_t *t)
{
    char         buf[64];
    size_t       n, frac;
    const char  *s;

    if (json_is_integer(v)) {
        *t = (int64_t) (json_integer_value(v) / 1000);
        return CTL_OK;
    }

    s = json_string_value(v);
    n = s ? strlen(s) : 0;

    if (n < 19 || n >= sizeof(buf)) {
        return CTL_ERROR;
    }

    /* without the milliseconds, which ctl_parse_date does not read */
    memcpy(buf, s, 19);
    frac = (s[19] == '.') ? 1 + strspn(s + 20, "0123456789") : 0;
    snprintf(buf + 19, sizeof(buf) - 19, "%s", s + 19 + frac);

    return ctl_parse_date(buf, strlen(buf), t);
}


static int
ctl_ghost_post(ctl_ghost_t *g, json_t *post, size_t i, ctl_file_t *f)
{
    int          page;
    char         b[32], *html, *p;
    json_t      *v;
    char         ab[32];
    const char  *id, *slug, *status, *title, *type, *excerpt, *visibility;
    const char  *author_id;
    ctl_doc_t   *doc = &f->doc;

    id = ctl_ghost_id(json_object_get(post, "id"), b);
    slug = ctl_ghost_str(post, "slug");

    if (asprintf(&f->path, "%s: posts[%zu] (slug \"%.60s\")", g->path, i,
                 slug ? slug : "") == -1
        || asprintf(&f->name, "ghost:%s", id ? id : "") == -1)
    {
        f->path = NULL;
        f->name = NULL;
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    if (!json_is_object(post) || id == NULL || slug == NULL) {
        ctl_error("%s: a post without an id or a slug", f->path);
        return CTL_ERROR;
    }

    type = ctl_ghost_str(post, "type");
    v = json_object_get(post, "page");
    page = type ? strcmp(type, "page") == 0
                : (json_is_true(v) || json_integer_value(v) == 1);
    doc->type = page ? "page" : "post";

    /* scheduled: a draft, so that nothing is shown that Ghost did not */
    status = ctl_ghost_str(post, "status");
    if (status == NULL || (strcmp(status, "published") != 0
                           && strcmp(status, "draft") != 0
                           && strcmp(status, "scheduled") != 0))
    {
        printf("skipped %s: status \"%s\", not on the site\n", f->path,
               status ? status : "");
        return CTL_GHOST_SKIP;
    }

    doc->draft = strcmp(status, "published") != 0;

    /* members-only and paid posts were not for every reader: drafts */
    visibility = ctl_ghost_str(post, "visibility");
    if (!doc->draft && visibility != NULL
        && strcmp(visibility, "public") != 0)
    {
        printf("note %s: visibility \"%s\": imported as a draft\n",
               f->path, visibility);
        doc->draft = 1;
    }

    v = json_object_get(post, "published_at");
    if (!json_is_null(v) && v != NULL) {
        if (ctl_ghost_date(v, &doc->date) != CTL_OK) {
            ctl_error("%s: published_at: invalid date", f->path);
            return CTL_ERROR;
        }

        doc->has_date = 1;

    } else if (!doc->draft && !page) {
        ctl_error("%s: a published post without published_at", f->path);
        return CTL_ERROR;
    }

    /* a slug here is [a-z0-9-]: Ghost's are, unless typed by hand */
    doc->slug = malloc(strlen(slug) + 1);
    if (doc->slug == NULL) {
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    if (blog_tag_slug(slug, strlen(slug), doc->slug) == 0) {
        ctl_error("%s: the slug gives no slug here (a-z, 0-9 and '-')",
                  f->path);
        return CTL_ERROR;
    }

    doc->slug_line = 1;

    title = ctl_ghost_str(post, "title");
    doc->title = strdup(title && title[0] ? title : doc->slug);

    excerpt = ctl_ghost_str(post, "custom_excerpt");
    if (excerpt != NULL && excerpt[0] != '\0') {
        doc->summary = strdup(excerpt);
    }

    doc->tags = ctl_ghost_names(g->tag_names, id, 1);
    doc->author = ctl_ghost_names(g->author_names, id, 0);

    /* before Ghost 1's posts_authors, a post had one author_id */
    author_id = ctl_ghost_id(json_object_get(post, "author_id"), ab);
    v = author_id ? json_object_get(g->users, author_id) : NULL;
    if (doc->author != NULL && doc->author[0] == '\0'
        && json_string_value(v) != NULL)
    {
        free(doc->author);
        doc->author = strdup(json_string_value(v));
    }
    doc->aliases = strdup("");

    if (doc->title == NULL || doc->tags == NULL || doc->author == NULL
        || doc->aliases == NULL
        || (excerpt != NULL && excerpt[0] != '\0' && doc->summary == NULL))
    {
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    /* Ghost's URL of posts and pages alike: /SLUG/ */
    if (!doc->draft) {
        if (asprintf(&p, "/%s/", slug) == -1) {
            ctl_error("out of memory");
            return CTL_ERROR;
        }

        if (ctl_alias_append(&doc->aliases, p, f->path, 1) != CTL_OK) {
            free(p);
            return CTL_ERROR;
        }

        free(p);
    }

    /* the body: Ghost 0.x's Markdown as it is, else the editor's made so */
    if (ctl_ghost_str(post, "markdown") != NULL
        && ctl_ghost_str(post, "mobiledoc") == NULL
        && ctl_ghost_str(post, "lexical") == NULL)
    {
        doc->body = strdup(ctl_ghost_str(post, "markdown"));
        if (doc->body != NULL) {
            ctl_ghost_url(doc->body);
        }

    } else {
        if (ctl_ghost_body(post, f->path, &html) != CTL_OK) {
            return CTL_ERROR;
        }

        doc->body = ctl_html2md(html, strlen(html), 0);
        free(html);
    }

    if (doc->body == NULL
        || blog_markdown_render(doc->body, strlen(doc->body), &f->html,
                                doc->summary == NULL ? &f->summary : NULL)
           != 0)
    {
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    return CTL_OK;
}


/*
 * Ghost's tag pages, /tag/SLUG/, lead to this blog's, /tags/SLUG (the
 * default blog_routes): "FROM TO" lines for ctl_import.c.
 */
static int
ctl_ghost_tag_links(json_t *data, char **links)
{
    int          rc;
    char        *line, *to;
    size_t       i;
    json_t      *tag;
    const char  *slug, *name;

    *links = strdup("");
    if (*links == NULL) {
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    json_array_foreach(json_object_get(data, "tags"), i, tag) {
        slug = ctl_ghost_str(tag, "slug");
        name = ctl_ghost_str(tag, "name");

        if (slug == NULL || name == NULL || name[0] == '#') {
            continue;
        }

        /* our tag's slug is made of its name */
        to = malloc(strlen(name) + 1);
        if (to == NULL) {
            ctl_error("out of memory");
            return CTL_ERROR;
        }

        if (blog_tag_slug(name, strlen(name), to) == 0
            || strspn(slug, "abcdefghijklmnopqrstuvwxyz0123456789-")
               != strlen(slug))
        {
            free(to);
            continue;
        }

        rc = CTL_ERROR;

        if (asprintf(&line, "/tag/%s /tags/%s", slug, to) != -1) {
            rc = ctl_lines_append(links, line, strlen(line));
            free(line);
        }

        free(to);

        if (rc != CTL_OK) {
            ctl_error("out of memory");
            return CTL_ERROR;
        }
    }

    return CTL_OK;
}


int
ctl_ghost_load(const char *path, ctl_file_t **files, size_t *n,
    size_t *skipped, char **links)
{
    int            rc, r;
    size_t         i, size;
    json_t        *root, *data, *posts, *post, *tags;
    ctl_ghost_t    g;
    json_error_t   err;

    *files = NULL;
    *n = 0;
    *skipped = 0;
    *links = NULL;

    root = json_load_file(path, 0, &err);
    if (root == NULL) {
        ctl_error("%s:%d: not a Ghost export: %s", path, err.line, err.text);
        return CTL_ERROR;
    }

    data = json_object_get(json_array_get(json_object_get(root, "db"), 0),
                           "data");
    posts = json_object_get(data, "posts");

    if (!json_is_array(posts)) {
        ctl_error("%s:1: not a Ghost export: no db[0].data.posts", path);
        json_decref(root);
        return CTL_ERROR;
    }

    memset(&g, 0, sizeof(ctl_ghost_t));
    g.path = path;
    tags = ctl_ghost_names_of(data, "tags");
    g.users = ctl_ghost_names_of(data, "users");
    g.tag_names = ctl_ghost_index(data, "posts_tags", tags, "tag_id");
    g.author_names = ctl_ghost_index(data, "posts_authors", g.users,
                                     "author_id");
    json_decref(tags);

    size = json_array_size(posts);
    *files = calloc(size > 0 ? size : 1, sizeof(ctl_file_t));

    rc = CTL_OK;

    if (*files == NULL || g.tag_names == NULL || g.author_names == NULL) {
        ctl_error("out of memory");
        rc = CTL_ERROR;
    }

    /* every post is read, so that all the mistakes are reported */
    for (i = 0; *files != NULL && i < size; i++) {
        post = json_array_get(posts, i);
        r = ctl_ghost_post(&g, post, i, &(*files)[*n]);

        if (r == CTL_GHOST_SKIP) {
            (*skipped)++;
            free((*files)[*n].name);
            free((*files)[*n].path);
            ctl_doc_free(&(*files)[*n].doc);
            memset(&(*files)[*n], 0, sizeof(ctl_file_t));
            continue;
        }

        (*n)++;

        if (r != CTL_OK) {
            rc = CTL_ERROR;
        }
    }

    if (rc == CTL_OK && ctl_ghost_tag_links(data, links) != CTL_OK) {
        rc = CTL_ERROR;
    }

    json_decref(g.tag_names);
    json_decref(g.author_names);
    json_decref(g.users);
    json_decref(root);

    return rc;
}
