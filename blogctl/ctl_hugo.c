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

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <yaml.h>

#include "ctl_import.h"
#include "ctl_util.h"
#include "blog_markdown.h"
#include "blog_path.h"
#include "blog_redirect.h"
#include "blog_tags.h"


#define CTL_HUGO_SKIP   1
#define CTL_HUGO_MAXV   256         /* values of one key, at most */


/* One key of a front matter: its values, a list's or the one. */
typedef struct {
    char        *key;
    char        *v[CTL_HUGO_MAXV];
    size_t       nv;
    unsigned     line;
} ctl_hugo_kv_t;

typedef struct {
    ctl_hugo_kv_t  *kv;
    size_t          n;
    size_t          size;
} ctl_hugo_fm_t;

/* The files found, relative to DIR. */
typedef struct {
    char          **paths;
    size_t          n;
    size_t          size;
} ctl_hugo_list_t;


static void
ctl_hugo_fm_free(ctl_hugo_fm_t *fm)
{
    size_t  i, k;

    for (i = 0; i < fm->n; i++) {
        free(fm->kv[i].key);
        for (k = 0; k < fm->kv[i].nv; k++) {
            free(fm->kv[i].v[k]);
        }
    }

    free(fm->kv);
    memset(fm, 0, sizeof(ctl_hugo_fm_t));
}


static ctl_hugo_kv_t *
ctl_hugo_fm_add(ctl_hugo_fm_t *fm, const char *key, size_t len,
    unsigned line)
{
    ctl_hugo_kv_t  *kv;

    if (fm->n == fm->size) {
        kv = realloc(fm->kv, (fm->size ? fm->size * 2 : 16)
                             * sizeof(ctl_hugo_kv_t));
        if (kv == NULL) {
            return NULL;
        }

        fm->kv = kv;
        fm->size = fm->size ? fm->size * 2 : 16;
    }

    kv = &fm->kv[fm->n];
    memset(kv, 0, sizeof(ctl_hugo_kv_t));

    kv->key = strndup(key, len);
    kv->line = line;

    if (kv->key == NULL) {
        return NULL;
    }

    fm->n++;

    return kv;
}


static int
ctl_hugo_value(ctl_hugo_kv_t *kv, const char *s, size_t len)
{
    if (kv->nv == CTL_HUGO_MAXV) {
        return CTL_OK;                      /* the rest are left */
    }

    kv->v[kv->nv] = strndup(s, len);

    return kv->v[kv->nv++] != NULL ? CTL_OK : CTL_ERROR;
}


/*
 * YAML: the top mapping's keys whose values are scalars or sequences of
 * scalars.  first is the file line of the text's first line.
 */
static int
ctl_hugo_yaml(const char *path, const char *text, size_t len,
    unsigned first, ctl_hugo_fm_t *fm)
{
    int                rc;
    yaml_node_t       *root, *k, *v, *item;
    yaml_parser_t      parser;
    yaml_document_t    doc;
    yaml_node_pair_t  *pair;
    yaml_node_item_t  *it;
    ctl_hugo_kv_t     *kv;

    if (!yaml_parser_initialize(&parser)) {
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    yaml_parser_set_input_string(&parser, (const unsigned char *) text, len);

    if (!yaml_parser_load(&parser, &doc)) {
        ctl_error("%s:%zu: YAML: %s%s%s", path,
                  first + parser.problem_mark.line,
                  parser.problem ? parser.problem : "unreadable",
                  parser.context ? " " : "",
                  parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return CTL_ERROR;
    }

    rc = CTL_OK;
    root = yaml_document_get_root_node(&doc);

    if (root != NULL && root->type != YAML_MAPPING_NODE) {
        ctl_error("%s:%u: YAML: the front matter is not a mapping", path,
                  first);
        rc = CTL_ERROR;
    }

    for (pair = root && rc == CTL_OK ? root->data.mapping.pairs.start : NULL;
         pair && pair < root->data.mapping.pairs.top && rc == CTL_OK;
         pair++)
    {
        k = yaml_document_get_node(&doc, pair->key);
        v = yaml_document_get_node(&doc, pair->value);

        if (k == NULL || v == NULL || k->type != YAML_SCALAR_NODE) {
            continue;
        }

        kv = ctl_hugo_fm_add(fm, (char *) k->data.scalar.value,
                             k->data.scalar.length,
                             first + (unsigned) k->start_mark.line);
        if (kv == NULL) {
            rc = CTL_ERROR;
            break;
        }

        if (v->type == YAML_SCALAR_NODE) {
            rc = ctl_hugo_value(kv, (char *) v->data.scalar.value,
                                v->data.scalar.length);
            continue;
        }

        if (v->type != YAML_SEQUENCE_NODE) {
            continue;
        }

        for (it = v->data.sequence.items.start;
             it < v->data.sequence.items.top && rc == CTL_OK; it++)
        {
            item = yaml_document_get_node(&doc, *it);
            if (item != NULL && item->type == YAML_SCALAR_NODE) {
                rc = ctl_hugo_value(kv, (char *) item->data.scalar.value,
                                    item->data.scalar.length);
            }
        }
    }

    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);

    return rc;
}


/*
 * One TOML value at *p: a basic ("...", with \\ escapes) or literal
 * ('...') string, or a bare word (true, a date, a number) up to a ',',
 * ']', '#' or the line's end.  NULL at a malformed one.
 */
static const char *
ctl_toml_scalar(const char *p, const char *end, ctl_hugo_kv_t *kv)
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

        if (kv->nv < CTL_HUGO_MAXV) {
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

    if (ctl_hugo_value(kv, p, (size_t) (q - p)) != CTL_OK) {
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
    unsigned first, ctl_hugo_fm_t *fm)
{
    int             in_table;
    unsigned        line;
    const char     *p, *end, *key, *kend;
    ctl_hugo_kv_t  *kv;

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

        kv = ctl_hugo_fm_add(fm, key, (size_t) (kend - key), line);
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


static ctl_hugo_kv_t *
ctl_hugo_get(ctl_hugo_fm_t *fm, const char *key)
{
    size_t  i;

    for (i = 0; i < fm->n; i++) {
        if (strcmp(fm->kv[i].key, key) == 0 && fm->kv[i].nv > 0) {
            return &fm->kv[i];
        }
    }

    return NULL;
}


/*
 * Tags and categories, all as tags: names joined by ',' (a ',' in a name
 * is a space), one per slug, a name without a letter or digit left out.
 */
static char *
ctl_hugo_tags(ctl_hugo_fm_t *fm)
{
    char           *names, *slugs, *cand, *p;
    size_t          len, size, sl, i, k;
    ctl_hugo_kv_t  *kv[2];

    kv[0] = ctl_hugo_get(fm, "tags");
    kv[1] = ctl_hugo_get(fm, "categories");

    size = 1;
    for (i = 0; i < 2; i++) {
        for (k = 0; kv[i] && k < kv[i]->nv; k++) {
            size += strlen(kv[i]->v[k]) + 1;
        }
    }

    names = malloc(size);
    slugs = malloc(size + 2);
    cand = malloc(size + 2);
    if (names == NULL || slugs == NULL || cand == NULL) {
        free(names);
        free(slugs);
        free(cand);
        return NULL;
    }

    len = 0;
    names[0] = '\0';
    strcpy(slugs, ",");

    for (i = 0; i < 2; i++) {
        for (k = 0; kv[i] && k < kv[i]->nv; k++) {
            for (p = kv[i]->v[k]; *p; p++) {
                *p = (*p == ',') ? ' ' : *p;
            }

            sl = blog_tag_slug(kv[i]->v[k], strlen(kv[i]->v[k]), cand + 1);
            cand[0] = ',';
            cand[sl + 1] = ',';
            cand[sl + 2] = '\0';

            if (sl == 0 || strstr(slugs, cand) != NULL) {
                continue;
            }

            strcat(slugs, cand + 1);
            len += (size_t) sprintf(names + len, "%s%s", len ? "," : "",
                                    kv[i]->v[k]);
        }
    }

    free(slugs);
    free(cand);

    return names;
}


/* Appends the key of an alias ('/'-less: under the section) to *out. */
static int
ctl_hugo_alias(char **out, const char *section, const char *alias,
    const char *path, unsigned line)
{
    int          rc;
    char        *full, *key;
    size_t       k;
    const char  *why;

    if (asprintf(&full, "%s%s%s%s", alias[0] == '/' ? "" : "/",
                 alias[0] == '/' ? "" : section,
                 alias[0] == '/' || section[0] == '\0' ? "" : "/", alias)
        == -1)
    {
        return CTL_ERROR;
    }

    key = malloc(strlen(full) + 1);
    if (key == NULL) {
        free(full);
        return CTL_ERROR;
    }

    k = blog_redirect_from(full, strlen(full), key, &why);

    if (k == 0) {
        ctl_error("%s:%u: aliases: \"%.60s\" %s", path, line, full, why);
        free(full);
        free(key);
        return CTL_ERROR;
    }

    free(full);

    rc = ctl_lines_append(out, key, k);
    free(key);

    return rc;
}


/*
 * The front matter into f->doc: CTL_OK, CTL_HUGO_SKIP with *why, or
 * CTL_ERROR (reported).  name is the default slug, section "" for a page.
 */
static int
ctl_hugo_doc(ctl_file_t *f, ctl_hugo_fm_t *fm, const char *name,
    const char *section, const char **why)
{
    char           *url;
    size_t          i, len;
    ctl_hugo_kv_t  *kv;

    ctl_doc_t  *doc = &f->doc;

    doc->type = section[0] ? "post" : "page";

    kv = ctl_hugo_get(fm, "title");
    if (kv == NULL || kv->v[0][0] == '\0') {
        *why = "no title";
        return CTL_HUGO_SKIP;
    }

    doc->title = strdup(kv->v[0]);

    kv = ctl_hugo_get(fm, "date");
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

    kv = ctl_hugo_get(fm, "draft");
    doc->draft = kv != NULL && strcmp(kv->v[0], "true") == 0;

    if (!doc->has_date && !doc->draft && section[0]) {
        *why = "a post without a date";
        return CTL_HUGO_SKIP;
    }

    kv = ctl_hugo_get(fm, "slug");
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

    kv = ctl_hugo_get(fm, "summary");
    kv = kv ? kv : ctl_hugo_get(fm, "description");
    if (kv != NULL) {
        doc->summary = strdup(kv->v[0]);
    }

    doc->tags = ctl_hugo_tags(fm);
    doc->aliases = strdup("");

    if (doc->title == NULL || doc->slug == NULL || doc->tags == NULL
        || doc->aliases == NULL || (kv && doc->summary == NULL))
    {
        ctl_error("out of memory");
        return CTL_ERROR;
    }

    kv = ctl_hugo_get(fm, "aliases");
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
    ctl_hugo_fm_t   fm;
    ctl_fm_error_t  err;

    memset(&fm, 0, sizeof(ctl_hugo_fm_t));
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
        text = buf + 4;
        for (close = text; close != NULL && close < buf + len;
             close = memchr(close, '\n', (size_t) (buf + len - close)),
             close = close ? close + 1 : NULL)
        {
            if ((size_t) (buf + len - close) >= 3
                && memcmp(close, fence, 3) == 0
                && (close + 3 == buf + len || close[3] == '\n'
                    || close[3] == '\r'))
            {
                break;
            }
        }
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

    rc = (fence[0] == '-') ? ctl_hugo_yaml(f->path, text, n, line, &fm)
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

    /* the body: after the closing fence's line (the text has no NUL) */
    body = close + 3;

    while (body < buf + len && *body == '\r') {
        body++;
    }

    if (body < buf + len && *body == '\n') {
        body++;
    }

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
    ctl_hugo_fm_free(&fm);

    return rc;
}


static int
ctl_hugo_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}


/* The *.md and *.markdown files under dir/rel, relative to dir. */
static int
ctl_hugo_walk(const char *dir, const char *rel, ctl_hugo_list_t *list)
{
    DIR            *d;
    int             rc;
    char           *path, *sub, **grown;
    size_t          len;
    struct stat     st;
    struct dirent  *de;

    if (asprintf(&path, "%s%s%s", dir, rel[0] ? "/" : "", rel) == -1) {
        return CTL_ERROR;
    }

    d = opendir(path);
    if (d == NULL) {
        ctl_error("%s: %s", path, strerror(errno));
        free(path);
        return CTL_ERROR;
    }

    rc = CTL_OK;

    while (rc == CTL_OK && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') {
            continue;
        }

        if (asprintf(&sub, "%s%s%s", rel, rel[0] ? "/" : "", de->d_name)
            == -1)
        {
            rc = CTL_ERROR;
            break;
        }

        free(path);
        if (asprintf(&path, "%s/%s", dir, sub) == -1 || stat(path, &st)) {
            ctl_error("%s/%s: %s", dir, sub, strerror(errno));
            free(sub);
            path = NULL;
            rc = CTL_ERROR;
            break;
        }

        len = strlen(sub);

        if (S_ISDIR(st.st_mode)) {
            rc = ctl_hugo_walk(dir, sub, list);
            free(sub);
            continue;
        }

        if (!S_ISREG(st.st_mode)
            || !((len > 3 && strcmp(sub + len - 3, ".md") == 0)
                 || (len > 9 && strcmp(sub + len - 9, ".markdown") == 0)))
        {
            free(sub);
            continue;
        }

        if (list->n == list->size) {
            grown = realloc(list->paths, (list->size ? list->size * 2 : 64)
                                         * sizeof(char *));
            if (grown == NULL) {
                free(sub);
                rc = CTL_ERROR;
                break;
            }

            list->paths = grown;
            list->size = list->size ? list->size * 2 : 64;
        }

        list->paths[list->n++] = sub;
    }

    free(path);
    closedir(d);

    return rc;
}


int
ctl_hugo_load(const char *dir, ctl_file_t **files, size_t *n,
    size_t *skipped)
{
    int               rc, r;
    size_t            i, bad;
    const char       *why;
    ctl_file_t       *f;
    ctl_hugo_list_t   list;

    *files = NULL;
    *n = 0;
    *skipped = 0;

    memset(&list, 0, sizeof(ctl_hugo_list_t));

    rc = ctl_hugo_walk(dir, "", &list);

    if (rc == CTL_OK) {
        qsort(list.paths, list.n, sizeof(char *), ctl_hugo_cmp);

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

    for (i = 0; i < list.n; i++) {
        free(list.paths[i]);
    }

    free(list.paths);

    return (rc == CTL_OK && bad == 0) ? CTL_OK : CTL_ERROR;
}
