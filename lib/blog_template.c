/*
 * Template compiler and renderer; see blog_template.h for the language.
 *
 * A template compiles to a flat array of nodes.  A section node records
 * where its body ends, so rendering is a walk over index ranges with no
 * tree to allocate.  Partials are inlined while compiling, which keeps
 * rendering free of file access and of include cycles.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blog_template.h"


#define BLOG_TPL_MAX_DEPTH    32       /* nested sections and partials */
#define BLOG_TPL_MAX_FILE     (1024 * 1024)
#define BLOG_TPL_NAME_MAX     64


typedef enum {
    BLOG_TPL_OP_TEXT = 0,
    BLOG_TPL_OP_VAR,
    BLOG_TPL_OP_RAW,
    BLOG_TPL_OP_SECTION,
    BLOG_TPL_OP_INVERTED
} blog_tpl_op_e;

typedef struct {
    blog_tpl_op_e   op;
    const char     *str;        /* text, or the variable name */
    size_t          len;
    size_t          end;        /* sections: index of the first node after */
} blog_tpl_node_t;

struct blog_tpl_s {
    blog_tpl_node_t  *nodes;
    size_t            nnodes;
    size_t            nalloc;
    char            **sources;  /* file contents the nodes point into */
    size_t            nsources;
};

typedef struct {
    blog_tpl_t  *tpl;
    const char  *dir;
    char        *err;
    size_t       errlen;
} blog_tpl_compiler_t;


static int blog_tpl_compile_file(blog_tpl_compiler_t *c, const char *name,
    int depth);


static void
blog_tpl_error(blog_tpl_compiler_t *c, const char *file, const char *src,
    const char *at, const char *fmt, ...)
{
    int          n;
    size_t       line;
    va_list      ap;
    const char  *p;

    line = 1;
    for (p = src; p < at; p++) {
        if (*p == '\n') {
            line++;
        }
    }

    n = snprintf(c->err, c->errlen, "%s/%s:%zu: ", c->dir, file, line);
    if (n < 0 || (size_t) n >= c->errlen) {
        return;
    }

    va_start(ap, fmt);
    vsnprintf(c->err + n, c->errlen - n, fmt, ap);
    va_end(ap);
}


static blog_tpl_node_t *
blog_tpl_add_node(blog_tpl_t *tpl, blog_tpl_op_e op, const char *str,
    size_t len)
{
    size_t            n;
    blog_tpl_node_t  *nodes, *node;

    if (tpl->nnodes == tpl->nalloc) {
        n = tpl->nalloc ? tpl->nalloc * 2 : 64;
        nodes = realloc(tpl->nodes, n * sizeof(blog_tpl_node_t));
        if (nodes == NULL) {
            return NULL;
        }

        tpl->nodes = nodes;
        tpl->nalloc = n;
    }

    node = &tpl->nodes[tpl->nnodes++];
    node->op = op;
    node->str = str;
    node->len = len;
    node->end = 0;

    return node;
}


static char *
blog_tpl_read(blog_tpl_compiler_t *c, const char *name)
{
    long    size;
    char   *src, path[4096], **sources;
    FILE   *f;
    size_t  n;

    n = snprintf(path, sizeof(path), "%s/%s", c->dir, name);
    if (n >= sizeof(path)) {
        snprintf(c->err, c->errlen, "%s/%s: path too long", c->dir, name);
        return NULL;
    }

    f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(c->err, c->errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }

    src = NULL;

    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0)
    {
        snprintf(c->err, c->errlen, "%s: %s", path, strerror(errno));
        goto failed;
    }

    if (size > BLOG_TPL_MAX_FILE) {
        snprintf(c->err, c->errlen, "%s: larger than %d bytes", path,
                 BLOG_TPL_MAX_FILE);
        goto failed;
    }

    src = malloc(size + 1);
    sources = realloc(c->tpl->sources,
                      (c->tpl->nsources + 1) * sizeof(char *));
    if (src == NULL || sources == NULL) {
        free(src);
        src = NULL;
        snprintf(c->err, c->errlen, "%s: out of memory", path);
        goto failed;
    }

    c->tpl->sources = sources;

    if (fread(src, 1, size, f) != (size_t) size) {
        snprintf(c->err, c->errlen, "%s: read error", path);
        free(src);
        src = NULL;
        goto failed;
    }

    src[size] = '\0';
    sources[c->tpl->nsources++] = src;

failed:

    fclose(f);
    return src;
}


static int
blog_tpl_valid_name(const char *s, size_t len)
{
    size_t  i;

    if (len == 0 || len > BLOG_TPL_NAME_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')
              || s[i] == '_' || s[i] == '-'))
        {
            return 0;
        }
    }

    return 1;
}


static int
blog_tpl_compile_file(blog_tpl_compiler_t *c, const char *name, int depth)
{
    char              partial[BLOG_TPL_NAME_MAX + sizeof(".html")];
    size_t            len, nopen, open[BLOG_TPL_MAX_DEPTH];
    const char       *src, *p, *tag, *close, *s, *e;
    blog_tpl_op_e     op;
    blog_tpl_node_t  *node;

    if (depth >= BLOG_TPL_MAX_DEPTH) {
        snprintf(c->err, c->errlen, "%s/%s: partials nested deeper "
                 "than %d", c->dir, name, BLOG_TPL_MAX_DEPTH);
        return -1;
    }

    src = blog_tpl_read(c, name);
    if (src == NULL) {
        return -1;
    }

    nopen = 0;
    p = src;

    for ( ;; ) {
        tag = strstr(p, "{{");

        len = tag ? (size_t) (tag - p) : strlen(p);
        if (len && blog_tpl_add_node(c->tpl, BLOG_TPL_OP_TEXT, p, len) == NULL)
        {
            goto nomem;
        }

        if (tag == NULL) {
            break;
        }

        if (tag[2] == '{') {
            op = BLOG_TPL_OP_RAW;
            s = tag + 3;
            close = strstr(s, "}}}");

        } else {
            s = tag + 2;
            close = strstr(s, "}}");

            switch (*s) {
            case '#': op = BLOG_TPL_OP_SECTION; s++; break;
            case '^': op = BLOG_TPL_OP_INVERTED; s++; break;
            case '/': op = BLOG_TPL_OP_TEXT; s++; break;   /* section end */
            case '>': op = BLOG_TPL_OP_VAR; break;         /* see below */
            case '!': op = BLOG_TPL_OP_TEXT; break;        /* see below */
            default:  op = BLOG_TPL_OP_VAR; break;
            }
        }

        if (close == NULL) {
            blog_tpl_error(c, name, src, tag, "unclosed \"{{\"");
            return -1;
        }

        p = close + (op == BLOG_TPL_OP_RAW ? 3 : 2);

        if (op != BLOG_TPL_OP_RAW) {
            if (tag[2] == '!') {
                continue;
            }

            if (tag[2] == '>') {
                s++;
            }
        }

        for (e = close; s < e && (*s == ' ' || *s == '\t'); s++) { /* void */ }
        while (e > s && (e[-1] == ' ' || e[-1] == '\t')) {
            e--;
        }

        len = e - s;

        if (!blog_tpl_valid_name(s, len)) {
            blog_tpl_error(c, name, src, tag, "bad name \"%.*s\" (use a-z, "
                           "0-9, _ and -)", (int) len, s);
            return -1;
        }

        if (op != BLOG_TPL_OP_RAW && tag[2] == '>') {
            memcpy(partial, s, len);
            memcpy(partial + len, ".html", sizeof(".html"));

            if (blog_tpl_compile_file(c, partial, depth + 1) != 0) {
                return -1;
            }

            continue;
        }

        if (op != BLOG_TPL_OP_RAW && tag[2] == '/') {
            if (nopen == 0) {
                blog_tpl_error(c, name, src, tag, "\"{{/%.*s}}\" closes no "
                               "section", (int) len, s);
                return -1;
            }

            node = &c->tpl->nodes[open[--nopen]];

            if (node->len != len || memcmp(node->str, s, len) != 0) {
                blog_tpl_error(c, name, src, tag, "\"{{/%.*s}}\" closes "
                               "section \"%.*s\"", (int) len, s,
                               (int) node->len, node->str);
                return -1;
            }

            node->end = c->tpl->nnodes;
            continue;
        }

        if (op == BLOG_TPL_OP_SECTION || op == BLOG_TPL_OP_INVERTED) {
            if (nopen == BLOG_TPL_MAX_DEPTH) {
                blog_tpl_error(c, name, src, tag, "sections nested deeper "
                               "than %d", BLOG_TPL_MAX_DEPTH);
                return -1;
            }

            open[nopen++] = c->tpl->nnodes;
        }

        if (blog_tpl_add_node(c->tpl, op, s, len) == NULL) {
            goto nomem;
        }
    }

    if (nopen) {
        node = &c->tpl->nodes[open[nopen - 1]];
        blog_tpl_error(c, name, src, node->str, "section \"%.*s\" is not "
                       "closed", (int) node->len, node->str);
        return -1;
    }

    return 0;

nomem:

    snprintf(c->err, c->errlen, "%s/%s: out of memory", c->dir, name);
    return -1;
}


blog_tpl_t *
blog_tpl_load(const char *dir, const char *name, char *err, size_t errlen)
{
    blog_tpl_t           *tpl;
    blog_tpl_compiler_t   c;

    tpl = calloc(1, sizeof(blog_tpl_t));
    if (tpl == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    c.tpl = tpl;
    c.dir = dir;
    c.err = err;
    c.errlen = errlen;

    if (blog_tpl_compile_file(&c, name, 0) != 0) {
        blog_tpl_free(tpl);
        return NULL;
    }

    return tpl;
}


void
blog_tpl_free(blog_tpl_t *tpl)
{
    size_t  i;

    if (tpl == NULL) {
        return;
    }

    for (i = 0; i < tpl->nsources; i++) {
        free(tpl->sources[i]);
    }

    free(tpl->sources);
    free(tpl->nodes);
    free(tpl);
}


static const blog_tpl_var_t *
blog_tpl_lookup(const blog_tpl_ctx_t *ctx, const blog_tpl_node_t *node)
{
    size_t  i;

    /* the first byte before the call: most names differ there */
    for ( /* void */ ; ctx; ctx = ctx->parent) {
        for (i = 0; i < ctx->nvars; i++) {
            if (ctx->vars[i].name[0] == node->str[0]
                && strncmp(ctx->vars[i].name, node->str, node->len) == 0
                && ctx->vars[i].name[node->len] == '\0')
            {
                return &ctx->vars[i];
            }
        }
    }

    return NULL;
}


static int
blog_tpl_named(const blog_tpl_node_t *node, const char *name)
{
    return node->op != BLOG_TPL_OP_TEXT && strlen(name) == node->len
           && strncmp(node->str, name, node->len) == 0;
}


int
blog_tpl_uses(const blog_tpl_t *tpl, const char *section, const char *name)
{
    size_t  i, k;

    for (i = 0; i < tpl->nnodes; i++) {
        if (tpl->nodes[i].op != BLOG_TPL_OP_SECTION
            || !blog_tpl_named(&tpl->nodes[i], section))
        {
            continue;
        }

        for (k = i + 1; k < tpl->nodes[i].end; k++) {
            if (blog_tpl_named(&tpl->nodes[k], name)) {
                return 1;
            }
        }
    }

    return 0;
}


static int
blog_tpl_truthy(const blog_tpl_var_t *v)
{
    return v != NULL && (v->type == BLOG_TPL_LIST ? v->nitems : v->len) != 0;
}


static int
blog_tpl_render_range(const blog_tpl_t *tpl, size_t from, size_t to,
    const blog_tpl_ctx_t *ctx, blog_buf_t *out, blog_tpl_mark_t *mark)
{
    size_t                  i, k;
    blog_tpl_ctx_t          item;
    const blog_tpl_var_t   *v;
    const blog_tpl_node_t  *node;

    for (i = from; i < to; /* void */ ) {
        node = &tpl->nodes[i];

        switch (node->op) {

        case BLOG_TPL_OP_TEXT:
            if (blog_buf_append(out, node->str, node->len) != 0) {
                return -1;
            }

            i++;
            break;

        case BLOG_TPL_OP_VAR:
        case BLOG_TPL_OP_RAW:
            v = blog_tpl_lookup(ctx, node);

            if (v != NULL && v->type != BLOG_TPL_LIST) {
                if (node->op == BLOG_TPL_OP_RAW
                    && v->type == BLOG_TPL_TRUSTED)
                {
                    if (mark && !mark->found && v->str == mark->str
                        && v->len == mark->len)
                    {
                        mark->at = out->len;
                        mark->found = 1;
                    }

                    if (blog_buf_append(out, v->str, v->len) != 0) {
                        return -1;
                    }

                } else if (blog_buf_append_escaped(out, v->str, v->len) != 0)
                {
                    return -1;
                }
            }

            i++;
            break;

        case BLOG_TPL_OP_SECTION:
            v = blog_tpl_lookup(ctx, node);

            if (v != NULL && v->type == BLOG_TPL_LIST) {
                for (k = 0; k < v->nitems; k++) {
                    item = v->items[k];
                    item.parent = ctx;

                    if (blog_tpl_render_range(tpl, i + 1, node->end, &item,
                                              out, mark)
                        != 0)
                    {
                        return -1;
                    }
                }

            } else if (blog_tpl_truthy(v)
                       && blog_tpl_render_range(tpl, i + 1, node->end, ctx,
                                                out, mark)
                          != 0)
            {
                return -1;
            }

            i = node->end;
            break;

        case BLOG_TPL_OP_INVERTED:
            if (!blog_tpl_truthy(blog_tpl_lookup(ctx, node))
                && blog_tpl_render_range(tpl, i + 1, node->end, ctx, out,
                                         mark)
                   != 0)
            {
                return -1;
            }

            i = node->end;
            break;
        }
    }

    return 0;
}


int
blog_tpl_render(const blog_tpl_t *tpl, const blog_tpl_ctx_t *ctx,
    blog_buf_t *out)
{
    return blog_tpl_render_range(tpl, 0, tpl->nnodes, ctx, out, NULL);
}


int
blog_tpl_render_marked(const blog_tpl_t *tpl, const blog_tpl_ctx_t *ctx,
    blog_buf_t *out, blog_tpl_mark_t *mark)
{
    mark->found = 0;

    return blog_tpl_render_range(tpl, 0, tpl->nnodes, ctx, out, mark);
}


static int
blog_buf_reserve(blog_buf_t *buf, size_t len)
{
    char    *data;
    size_t   size;

    if (buf->size - buf->len >= len) {
        return 0;
    }

    size = buf->size ? buf->size : 4096;
    while (size - buf->len < len) {
        size *= 2;
    }

    data = realloc(buf->data, size);
    if (data == NULL) {
        return -1;
    }

    buf->data = data;
    buf->size = size;

    return 0;
}


int
blog_buf_append(blog_buf_t *buf, const char *data, size_t len)
{
    /* an empty value may come with a NULL pointer, which memcpy may not */
    if (len == 0) {
        return 0;
    }

    if (blog_buf_reserve(buf, len) != 0) {
        return -1;
    }

    memcpy(buf->data + buf->len, data, len);
    buf->len += len;

    return 0;
}


int
blog_buf_append_escaped(blog_buf_t *buf, const char *data, size_t len)
{
    size_t       i, run;
    const char  *entity;

    if (len == 0) {
        return 0;
    }

    /* the worst case, every byte an "&quot;", is reserved once */
    if (blog_buf_reserve(buf, len * 6) != 0) {
        return -1;
    }

    run = 0;

    for (i = 0; i < len; i++) {
        switch (data[i]) {
        case '&':  entity = "&amp;"; break;
        case '<':  entity = "&lt;"; break;
        case '>':  entity = "&gt;"; break;
        case '"':  entity = "&quot;"; break;
        case '\'': entity = "&#39;"; break;
        default:   continue;
        }

        memcpy(buf->data + buf->len, data + run, i - run);
        buf->len += i - run;

        run = strlen(entity);
        memcpy(buf->data + buf->len, entity, run);
        buf->len += run;

        run = i + 1;
    }

    memcpy(buf->data + buf->len, data + run, len - run);
    buf->len += len - run;

    return 0;
}
