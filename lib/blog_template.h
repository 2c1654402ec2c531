/*
 * Theme templates: a small subset of Mustache, compiled once when nginx
 * reads its configuration and rendered per page.
 *
 *   {{name}}            the value, HTML-escaped (safe in text, attributes
 *                       and XML)
 *   {{{name}}}          the value unescaped, but only if the page marked it
 *                       trusted (rendered Markdown); anything else is still
 *                       escaped, so a theme cannot open a hole by mistake
 *   {{#name}}..{{/name}} repeated for each item of a list, or once if the
 *                       value is a non-empty string
 *   {{^name}}..{{/name}} rendered once if the value is missing or empty
 *   {{> file}}          the template file.html from the same folder, inlined
 *                       at compile time
 *   {{! comment }}      dropped
 *
 * The code has no nginx dependency: it allocates with malloc and reports
 * errors as text, so blogctl or a unit test can use it as well.
 */

#ifndef BLOG_TEMPLATE_H
#define BLOG_TEMPLATE_H

#include <stddef.h>


typedef struct blog_tpl_s      blog_tpl_t;
typedef struct blog_tpl_ctx_s  blog_tpl_ctx_t;

typedef enum {
    BLOG_TPL_TEXT = 0,       /* escaped on output */
    BLOG_TPL_TRUSTED,        /* rendered Markdown: may be output raw */
    BLOG_TPL_LIST
} blog_tpl_type_e;

typedef struct {
    const char           *name;
    blog_tpl_type_e       type;
    const char           *str;
    size_t                len;
    const blog_tpl_ctx_t *items;     /* BLOG_TPL_LIST */
    size_t                nitems;
} blog_tpl_var_t;

/* A scope of variables; lookups fall back to the enclosing scope. */
struct blog_tpl_ctx_s {
    const blog_tpl_ctx_t *parent;
    const blog_tpl_var_t *vars;
    size_t                nvars;
};

typedef struct {
    char    *data;
    size_t   len;
    size_t   size;
} blog_buf_t;


/*
 * Compiles dir/file.  Returns NULL with a message in err ("file:line: why")
 * when the template cannot be read or is malformed.
 */
blog_tpl_t *blog_tpl_load(const char *dir, const char *file, char *err,
    size_t errlen);
void blog_tpl_free(blog_tpl_t *tpl);

/*
 * Whether a node inside a section called "section" names "name" (a value,
 * a section or an inverted one): a page need not read what its theme
 * never shows.  Partials are inlined, so the template is all there is.
 */
int blog_tpl_uses(const blog_tpl_t *tpl, const char *section,
    const char *name);

/* Appends the rendering to out.  Returns 0, or -1 when out of memory. */
int blog_tpl_render(const blog_tpl_t *tpl, const blog_tpl_ctx_t *ctx,
    blog_buf_t *out);

/*
 * Where one trusted value's bytes went in the output: the value is known by
 * its string (the address str and len), found the first time a {{{ }}}
 * writes it, then at is its offset in out and found is 1.  A page whose
 * body is the same in every response keeps that body's deflate apart.
 */
typedef struct {
    const char  *str;
    size_t       len;
    size_t       at;
    int          found;
} blog_tpl_mark_t;

int blog_tpl_render_marked(const blog_tpl_t *tpl, const blog_tpl_ctx_t *ctx,
    blog_buf_t *out, blog_tpl_mark_t *mark);

int blog_buf_append(blog_buf_t *buf, const char *data, size_t len);

/* Appends a string literal; blog_buf_end() with its NUL, to end it. */
#define blog_buf_lit(buf, s)  blog_buf_append(buf, s, sizeof(s) - 1)
#define blog_buf_end(buf, s)  blog_buf_append(buf, s, sizeof(s))
int blog_buf_append_escaped(blog_buf_t *buf, const char *data, size_t len);

#endif /* BLOG_TEMPLATE_H */
