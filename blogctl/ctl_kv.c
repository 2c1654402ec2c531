/*
 * The front-matter table of ctl_kv.h, and its YAML reader (libyaml).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "ctl_kv.h"
#include "ctl_util.h"
#include "blog_tags.h"


const char *
ctl_kv_close(const char *buf, size_t len)
{
    const char  *p;

    for (p = buf + 4; p != NULL && p < buf + len;
         p = memchr(p, '\n', (size_t) (buf + len - p)), p = p ? p + 1 : NULL)
    {
        if ((size_t) (buf + len - p) >= 3 && memcmp(p, buf, 3) == 0
            && (p + 3 == buf + len || p[3] == '\n' || p[3] == '\r'))
        {
            return p;
        }
    }

    return NULL;
}


const char *
ctl_kv_body(const char *close, const char *end)
{
    const char  *body;

    body = close + 3;

    while (body < end && *body == '\r') {
        body++;
    }

    if (body < end && *body == '\n') {
        body++;
    }

    return body;
}


void
ctl_kvs_free(ctl_kvs_t *fm)
{
    size_t  i, k;

    for (i = 0; i < fm->n; i++) {
        free(fm->kv[i].key);
        for (k = 0; k < fm->kv[i].nv; k++) {
            free(fm->kv[i].v[k]);
        }
    }

    free(fm->kv);
    memset(fm, 0, sizeof(ctl_kvs_t));
}


ctl_kv_t *
ctl_kvs_add(ctl_kvs_t *fm, const char *key, size_t len,
    unsigned line)
{
    ctl_kv_t  *kv;

    if (fm->n == fm->size) {
        kv = realloc(fm->kv, (fm->size ? fm->size * 2 : 16)
                             * sizeof(ctl_kv_t));
        if (kv == NULL) {
            return NULL;
        }

        fm->kv = kv;
        fm->size = fm->size ? fm->size * 2 : 16;
    }

    kv = &fm->kv[fm->n];
    memset(kv, 0, sizeof(ctl_kv_t));

    kv->key = strndup(key, len);
    kv->line = line;

    if (kv->key == NULL) {
        return NULL;
    }

    fm->n++;

    return kv;
}


int
ctl_kvs_value(ctl_kv_t *kv, const char *s, size_t len)
{
    if (kv->nv == CTL_KV_MAXV) {
        return CTL_OK;                      /* the rest are left */
    }

    kv->v[kv->nv] = strndup(s, len);

    return kv->v[kv->nv++] != NULL ? CTL_OK : CTL_ERROR;
}


/*
 * A YAML mapping's keys whose values are scalars or sequences of scalars,
 * under prefix ("" at the top); a mapping's keys are "KEY.SUB"
 * (_config.yml's "collections.posts.permalink"), depth bounded by YAML's
 * own nesting limit.
 */
static int
ctl_kvs_map(yaml_document_t *doc, yaml_node_t *map, const char *prefix,
    unsigned first, ctl_kvs_t *fm)
{
    int                rc;
    char              *key;
    yaml_node_t       *k, *v, *item;
    yaml_node_pair_t  *pair;
    yaml_node_item_t  *it;
    ctl_kv_t          *kv;

    rc = CTL_OK;

    for (pair = map->data.mapping.pairs.start;
         pair < map->data.mapping.pairs.top && rc == CTL_OK;
         pair++)
    {
        k = yaml_document_get_node(doc, pair->key);
        v = yaml_document_get_node(doc, pair->value);

        if (k == NULL || v == NULL || k->type != YAML_SCALAR_NODE) {
            continue;
        }

        if (asprintf(&key, "%s%s%.*s", prefix, prefix[0] ? "." : "",
                     (int) k->data.scalar.length,
                     (char *) k->data.scalar.value) == -1)
        {
            return CTL_ERROR;
        }

        if (v->type == YAML_MAPPING_NODE) {
            rc = ctl_kvs_map(doc, v, key, first, fm);
            free(key);
            continue;
        }

        kv = ctl_kvs_add(fm, key, strlen(key),
                         first + (unsigned) k->start_mark.line);
        free(key);

        if (kv == NULL) {
            return CTL_ERROR;
        }

        if (v->type == YAML_SCALAR_NODE) {
            rc = ctl_kvs_value(kv, (char *) v->data.scalar.value,
                               v->data.scalar.length);
            continue;
        }

        kv->list = 1;

        for (it = v->data.sequence.items.start;
             it < v->data.sequence.items.top && rc == CTL_OK; it++)
        {
            item = yaml_document_get_node(doc, *it);
            if (item != NULL && item->type == YAML_SCALAR_NODE) {
                rc = ctl_kvs_value(kv, (char *) item->data.scalar.value,
                                   item->data.scalar.length);
            }
        }
    }

    return rc;
}


int
ctl_kvs_yaml(const char *path, const char *text, size_t len,
    unsigned first, ctl_kvs_t *fm)
{
    int               rc;
    yaml_node_t      *root;
    yaml_parser_t     parser;
    yaml_document_t   doc;

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

    } else if (root != NULL) {
        rc = ctl_kvs_map(&doc, root, "", first, fm);
        if (rc != CTL_OK) {
            ctl_error("out of memory");
        }
    }

    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);

    return rc;
}


ctl_kv_t *
ctl_kvs_get(ctl_kvs_t *fm, const char *key)
{
    size_t  i;

    for (i = 0; i < fm->n; i++) {
        if (strcmp(fm->kv[i].key, key) == 0 && fm->kv[i].nv > 0) {
            return &fm->kv[i];
        }
    }

    return NULL;
}


char *
ctl_kvs_tags(ctl_kvs_t *fm, const char *const *keys)
{
    char      *names;
    size_t     n, k;
    ctl_kv_t  *kv;
    char     **v, **grown;

    v = NULL;
    n = 0;

    for ( /* void */ ; *keys != NULL; keys++) {
        kv = ctl_kvs_get(fm, *keys);
        if (kv == NULL) {
            continue;
        }

        grown = realloc(v, (n + kv->nv + 1) * sizeof(char *));
        if (grown == NULL) {
            free(v);
            return NULL;
        }

        v = grown;

        for (k = 0; k < kv->nv; k++) {
            v[n++] = kv->v[k];
        }
    }

    names = ctl_tags_join((const char *const *) v, n);
    free(v);

    return names;
}


char *
ctl_tags_join(const char *const *v, size_t n)
{
    char        *names, *slugs, *cand, *o;
    const char  *p;
    size_t       len, size, sl, i;

    size = 1;
    for (i = 0; i < n; i++) {
        size += strlen(v[i]) + 1;
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

    for (i = 0; i < n; i++) {
        sl = blog_tag_slug(v[i], strlen(v[i]), cand + 1);
        cand[0] = ',';
        cand[sl + 1] = ',';
        cand[sl + 2] = '\0';

        if (sl == 0 || strstr(slugs, cand) != NULL) {
            continue;
        }

        strcat(slugs, cand + 1);

        /* a ',' in a name is a space: ',' separates the names */
        o = names + len + (len ? 1 : 0);
        if (len) {
            names[len] = ',';
        }

        for (p = v[i]; *p; p++) {
            *o++ = (*p == ',') ? ' ' : *p;
        }

        *o = '\0';
        len = (size_t) (o - names);
    }

    free(slugs);
    free(cand);

    return names;
}
