/*
 * blogctl import hugo DIR: a Hugo content folder, its Markdown files with
 * YAML ("---", read by libyaml) or TOML ("+++", the subset front matter
 * uses, read here: Debian packages no TOML library for C) front matter.
 *
 * A file in a section (a folder under DIR: post/, blog/...) is a post; one
 * at DIR's top is a page.  A page bundle's index.md takes its folder's
 * name; a section's _index.md is a list, not content.  Keys read: title,
 * date, draft, slug, tags and categories (both tags), aliases (those
 * without a leading '/' are under the file's section, as Hugo reads them),
 * summary or description; the others (author, weight, layout...) are
 * Hugo's own and left.  The post's Hugo URL, /SECTION/SLUG/, becomes an
 * alias too.  A file without a title, or a post without a date, is
 * skipped with the reason; a front matter that does not parse is an error
 * naming the file and line.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "ctl_import.h"
#include "ctl_kv.h"
#include "ctl_util.h"
#include "ctl_walk.h"
#include "blog_markdown.h"
#include "blog_path.h"
#include "blog_redirect.h"
#include "blog_tags.h"


#define CTL_HUGO_SKIP   1


/*
 * One TOML value at *p: a basic ("...", with \\ escapes) or literal
 * ('...') string, or a bare word (true, a date, a number) up to a ',',
 * ']', '#' or the line's end.  NULL at a malformed one.
 */
static const char *
ctl_toml_scalar(const char *p, const char *end, ctl_kv_t *kv)
{
    char        *s, *o;
    const char  *q;

    if (*p == '"' || *p == '\'') {
        s = malloc((size_t) (end - p) + 1);
        if (s == NULL) {
            return NULL;
        }

        o = s;
        for (q = p + 1; q < end && *q != *p && *q != '\n'; q++) {
            if (*p == '"' && *q == '\\' && q + 1 < end) {
                q++;
                *o++ = (*q == 'n') ? '\n' : (*q == 't') ? '\t' : *q;
                continue;
            }

            *o++ = *q;
        }

        if (q >= end || *q != *p) {
            free(s);
            return NULL;
        }

        if (kv->nv < CTL_KV_MAXV) {
            kv->v[kv->nv++] = strndup(s, (size_t) (o - s));
        }

        free(s);
        return q + 1;
    }

    for (q = p; q < end && *q != ',' && *q != ']' && *q != '#'
                && *q != '\n'; q++)
    {
        /* void */
    }

    while (q > p && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\r')) {
        q--;
    }

    if (q == p) {
        return NULL;
    }

    if (ctl_kvs_value(kv, p, (size_t) (q - p)) != CTL_OK) {
        return NULL;
    }

    return q;
}


/*
 * Skips blanks; inside an array (newlines) also line ends and comments,
 * counting lines.
 */
static const char *
ctl_toml_skip(const char *p, const char *end, unsigned *line, int newlines)
{
    while (p < end) {
        if (*p == ' ' || *p == '\t' || *p == '\r') {
            p++;

        } else if (newlines && *p == '\n') {
            p++;
            (*line)++;

        } else if (newlines && *p == '#') {
            while (p < end && *p != '\n') {
                p++;
            }

        } else {
            break;
        }
    }

    return p;
}


/* TOML's "key = value" lines, arrays across lines; tables are left. */
static int
ctl_hugo_toml(const char *path, const char *text, size_t len,
    unsigned first, ctl_kvs_t *fm)
{
    int             in_table;
    unsigned        line;
    const char     *p, *end, *key, *kend;
    ctl_kv_t  *kv;

    p = text;
    end = text + len;
    line = first;
    in_table = 0;

    while (p < end) {
        p = ctl_toml_skip(p, end, &line, 0);

        /* a blank line, a comment, or [params]: keys not the page's own */
        if (p < end && (*p == '\n' || *p == '#' || *p == '[')) {
            in_table |= (*p == '[');

            while (p < end && *p != '\n') {
                p++;
            }
        }

        if (p >= end || *p == '\n') {
            p++;
            line++;
            continue;
        }

        key = p;
        while (p < end && *p != '=' && *p != '\n') {
            p++;
        }

        if (p >= end || *p != '=') {
            ctl_error("%s:%u: TOML: expected \"key = value\"", path, line);
            return CTL_ERROR;
        }

        for (kend = p; kend > key && (kend[-1] == ' ' || kend[-1] == '\t');
             kend--)
        {
            /* void */
        }

        if (kend - key >= 2 && key[0] == '"' && kend[-1] == '"') {
            key++;
            kend--;
        }

        kv = ctl_kvs_add(fm, key, (size_t) (kend - key), line);
        if (kv == NULL) {
            ctl_error("out of memory");
            return CTL_ERROR;
        }

        if (in_table) {
            kv->key[0] = '\0';              /* not a top-level key */
        }

        p = ctl_toml_skip(p + 1, end, &line, 0);

        if (p < end && *p == '[') {
            p = ctl_toml_skip(p + 1, end, &line, 1);

            while (p != NULL && p < end && *p != ']') {
                p = ctl_toml_scalar(p, end, kv);
                p = p ? ctl_toml_skip(p, end, &line, 1) : NULL;

                if (p != NULL && p < end && *p == ',') {
                    p = ctl_toml_skip(p + 1, end, &line, 1);
                }
            }

            if (p == NULL || p >= end) {
                ctl_error("%s:%u: TOML: a malformed array", path, kv->line);
                return CTL_ERROR;
            }

            p++;

        } else {
            p = (p < end) ? ctl_toml_scalar(p, end, kv) : NULL;
            if (p == NULL) {
                ctl_error("%s:%u: TOML: a malformed value", path, line);
                return CTL_ERROR;
            }
        }

        p = ctl_toml_skip(p, end, &line, 0);

        if (p < end && *p == '#') {
            while (p < end && *p != '\n') {
                p++;
            }
        }

        if (p < end && *p != '\n') {
            ctl_error("%s:%u: TOML: text after the value", path, line);
            return CTL_ERROR;
        }
    }

    return CTL_OK;
}


/* Hugo's taxonomies, both made tags here */
static const char *const  ctl_hugo_tag_keys[] = { "tags", "categories", NULL };


/* Appends the key of an alias ('/'-less: under the section) to *out. */
static int
ctl_hugo_alias(char **out, const char *section, const char *alias,
    const char *path, unsigned line)
{
    int    rc;
    char  *full;

    if (asprintf(&full, "%s%s%s%s", alias[0] == '/' ? "" : "/",
                 alias[0] == '/' ? "" : section,
                 alias[0] == '/' || section[0] == '\0' ? "" : "/", alias)
        == -1)
    {
        return CTL_ERROR;
    }

    rc = ctl_alias_append(out, full, path, line);
    free(full);

    return rc;
}


/*
 * The front matter into f->doc: CTL_OK, CTL_HUGO_SKIP with *why, or
 * CTL_ERROR (reported).  name is the default slug, section "" for a page.
 */
static int
ctl_hugo_doc(ctl_file_t *f, ctl_kvs_t *fm, const char *name,
    const char *section, const char **why)
{
    char           *url;
    size_t          i, len;
    ctl_kv_t  *kv;

    ctl_doc_t  *doc = &f->doc;

    doc->type = section[0] ? "post" : "page";

    kv = ctl_kvs_get(fm, "title");
    if (kv == NULL || kv->v[0][0] == '\0') {
        *why = "no title";
        return CTL_HUGO_SKIP;
    }

    doc->title = strdup(kv->v[0]);

    kv = ctl_kvs_get(fm, "date");
    if (kv != NULL) {
        if (ctl_parse_date(kv->v[0], strlen(kv->v[0]), &doc->date)
            != CTL_OK)
        {
            ctl_error("%s:%u: date: invalid date \"%.40s\"", f->path,
                      kv->line, kv->v[0]);
            return CTL_ERROR;
        }

        doc->has_date = 1;
    }

    kv = ctl_kvs_get(fm, "draft");
    doc->draft = kv != NULL && strcmp(kv->v[0], "true") == 0;

    if (!doc->has_date && !doc->draft && section[0]) {
        *why = "a post without a date";
        return CTL_HUGO_SKIP;
    }

    kv = ctl_kvs_get(fm, "slug");
    if (kv != NULL) {
        if (!blog_slug_valid(kv->v[0], strlen(kv->v[0]))) {
            ctl_error("%s:%u: slug: \"%.60s\" is no slug: use a-z, 0-9 "
                      "and '-'", f->path, kv->line, kv->v[0]);
            return CTL_ERROR;
        }

        doc->slug = strdup(kv->v[0]);
        doc->slug_line = kv->line;

    } else {
        doc->slug = strdup(name);
        doc->slug_line = 1;

        for (i = 0; doc->slug && doc->slug[i]; i++) {
            if (doc->slug[i] >= 'A' && doc->slug[i] <= 'Z') {
                doc->slug[i] += 'a' - 'A';
            }
        }

        if (doc->slug && !blog_slug_valid(doc->slug, strlen(doc->slug))) {
            ctl_error("%s:1: the file name gives the invalid slug \"%.60s\": "
                      "rename it or set slug", f->path, doc->slug);
            return CTL_ERROR;
        }
    }

    kv = ctl_kvs_get(fm, "summary");
    kv = kv ? kv : ctl_kvs_get(fm, "description");
    if (kv != NULL) {
        doc->summary = strdup(kv->v[0]);
    }

    doc->tags = ctl_kvs_tags(fm, ctl_hugo_tag_keys);

    /* "author" is not Hugo's own, but themes read it: the first, if many */
    kv = ctl_kvs_get(fm, "author");
    kv = kv ? kv : ctl_kvs_get(fm, "authors");
    if (kv != NULL && kv->v[0][0] && (doc->author = strdup(kv->v[0])) == NULL) {
        ctl_error("out of memory");
        return CTL_ERROR;
    }
    doc->aliases = strdup("");

    if (doc->title == NULL || doc->slug == NULL || doc->tags == NULL
        || doc->aliases == NULL || (kv && doc->summary == NULL))
    {
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    kv = ctl_kvs_get(fm, "aliases");
    for (i = 0; kv && i < kv->nv; i++) {
        if (ctl_hugo_alias(&doc->aliases, section, kv->v[i], f->path,
                           kv->line) != CTL_OK)
        {
            return CTL_ERROR;
        }
    }

    /* the post's URL on the Hugo site: /SECTION/SLUG/ */
    if (section[0]) {
        len = strlen(section) + strlen(doc->slug) + 4;
        url = malloc(len);
        if (url == NULL) {
            return CTL_ERROR;
        }

        snprintf(url, len, "/%s/%s/", section, doc->slug);

        if (ctl_hugo_alias(&doc->aliases, "", url, f->path, 1) != CTL_OK) {
            free(url);
            return CTL_ERROR;
        }

        free(url);
    }

    return CTL_OK;
}


/* One file: read, then parsed. */
static int
ctl_hugo_file(const char *dir, const char *rel, ctl_file_t *f,
    const char **why)
{
    int          rc;
    char        *buf;
    size_t       len;
    const char  *base;

    *why = NULL;

    if (asprintf(&f->path, "%s/%s", dir, rel) == -1
        || asprintf(&f->name, "hugo:%s", rel) == -1)
    {
        f->path = NULL;
        f->name = NULL;
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;

    if (strncmp(base, "_index.", 7) == 0) {
        *why = "a section's list page, not content";
        return CTL_HUGO_SKIP;
    }

    if (ctl_read_file(f->path, &buf, &len) != CTL_OK) {
        return CTL_ERROR;
    }

    rc = ctl_hugo_parse(rel, buf, len, f, why);
    free(buf);

    return rc;
}


int
ctl_hugo_parse(const char *rel, const char *buf, size_t len, ctl_file_t *f,
    const char **why)
{
    int             rc;
    char           *name, *section, *slash, *dot;
    size_t          n;
    unsigned        line;
    const char     *fence, *text, *close, *body, *base;
    ctl_kvs_t   fm;
    ctl_fm_error_t  err;

    memset(&fm, 0, sizeof(ctl_kvs_t));
    *why = NULL;

    if (ctl_check_text(buf, len, &err) != CTL_OK) {
        ctl_error("%s:%u: %s", f->path, err.line, err.msg);
        return CTL_ERROR;
    }

    /* "---" YAML or "+++" TOML, from the first line to the same again */
    fence = (len >= 4 && (memcmp(buf, "---\n", 4) == 0
                          || memcmp(buf, "+++\n", 4) == 0)) ? buf : NULL;
    close = NULL;

    if (fence != NULL) {
        close = ctl_kv_close(buf, len);
    }

    if (fence == NULL || close == NULL || close >= buf + len) {
        *why = fence ? "its front matter is not closed" : "no front matter";
        if (fence) {
            ctl_error("%s:1: the front matter is not closed by \"%.3s\"",
                      f->path, fence);
            return CTL_ERROR;
        }
        return CTL_HUGO_SKIP;
    }

    text = buf + 4;
    n = (size_t) (close - text);
    line = 2;

    rc = (fence[0] == '-') ? ctl_kvs_yaml(f->path, text, n, line, &fm)
                           : ctl_hugo_toml(f->path, text, n, line, &fm);

    /* the default slug and the section, from where the file is */
    name = strdup(rel);
    section = strdup(rel);

    if (rc == CTL_OK && (name == NULL || section == NULL)) {
        ctl_error("out of memory");
        rc = CTL_ERROR;
    }

    if (rc == CTL_OK) {
        dot = strrchr(name, '.');
        *dot = '\0';                            /* .md, .markdown */

        /* a bundle: DIR/.../NAME/index.md is NAME */
        slash = strrchr(name, '/');
        if (slash != NULL && strcmp(slash + 1, "index") == 0) {
            *slash = '\0';
        }

        slash = strrchr(name, '/');
        base = slash ? slash + 1 : name;

        /* the section: the first folder, unless the file is at the top */
        slash = strchr(section, '/');
        if (slash == NULL || (size_t) (slash - section) >= strlen(name)) {
            section[0] = '\0';

        } else {
            *slash = '\0';
        }

        rc = ctl_hugo_doc(f, &fm, base, section, why);
    }

    body = ctl_kv_body(close, buf + len);

    if (rc == CTL_OK) {
        f->doc.body = strndup(body, (size_t) (buf + len - body));

        if (f->doc.body == NULL
            || blog_markdown_render(f->doc.body, strlen(f->doc.body),
                                    &f->html,
                                    f->doc.summary == NULL ? &f->summary
                                                           : NULL) != 0)
        {
            ctl_error("out of memory");
            rc = CTL_ERROR;
        }
    }

    free(name);
    free(section);
    ctl_kvs_free(&fm);

    return rc;
}


/* Hugo's content: Markdown files, in any folder but dot ones */
static int
ctl_hugo_want(const char *name, size_t len, int is_dir)
{
    if (name[0] == '.') {
        return 0;
    }

    return is_dir || (len > 3 && strcmp(name + len - 3, ".md") == 0)
           || (len > 9 && strcmp(name + len - 9, ".markdown") == 0);
}


int
ctl_hugo_load(const char *dir, ctl_file_t **files, size_t *n,
    size_t *skipped)
{
    int               rc, r;
    size_t            i, bad;
    const char       *why;
    ctl_file_t       *f;
    ctl_walk_t        list;

    *files = NULL;
    *n = 0;
    *skipped = 0;

    rc = ctl_walk(dir, ctl_hugo_want, &list);

    if (rc == CTL_OK) {

        *files = calloc(list.n > 0 ? list.n : 1, sizeof(ctl_file_t));
        if (*files == NULL) {
            ctl_error("out of memory");
            rc = CTL_ERROR;
        }
    }

    bad = 0;

    for (i = 0; rc == CTL_OK && i < list.n; i++) {
        /* each file is read, so that all the mistakes are reported */
        f = &(*files)[*n];
        r = ctl_hugo_file(dir, list.paths[i], f, &why);

        if (r == CTL_HUGO_SKIP) {
            printf("skipped %s: %s\n", f->path, why);
            (*skipped)++;
            free(f->name);
            free(f->path);
            ctl_doc_free(&f->doc);
            memset(f, 0, sizeof(ctl_file_t));
            continue;
        }

        (*n)++;
        bad += (r != CTL_OK);
    }

    ctl_walk_free(&list);

    return (rc == CTL_OK && bad == 0) ? CTL_OK : CTL_ERROR;
}
