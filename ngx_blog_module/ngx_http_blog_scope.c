/*
 * Template scopes built in ngx_array_t (ngx_http_blog_scope.h).
 *
 * A scope is an ngx_array_t of blog_tpl_var_t while it is being built, and
 * becomes a blog_tpl_ctx_t only once complete, since pushing may move the
 * elements: a list's items hold their ngx_array_t in "vars"
 * (ngx_http_blog_scope_item) until ngx_http_blog_scope_list converts them.
 * Every value is BLOG_TPL_TEXT, escaped by the engine, but rendered
 * Markdown (BLOG_TPL_TRUSTED).
 */

#include "ngx_http_blog_scope.h"


/* A scope being built, in the request pool. */
ngx_array_t *
ngx_http_blog_scope_create(ngx_http_request_t *r)
{
    return ngx_array_create(r->pool, 32, sizeof(blog_tpl_var_t));
}


/* data must live as long as the scope: a literal, pool or cached memory. */
ngx_int_t
ngx_http_blog_scope_push(ngx_array_t *vars, const char *name,
    blog_tpl_type_e type, const u_char *data, size_t len)
{
    blog_tpl_var_t  *v;

    v = ngx_array_push(vars);
    if (v == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(v, sizeof(blog_tpl_var_t));
    v->name = name;
    v->type = type;
    v->str = (const char *) data;
    v->len = len;

    return NGX_OK;
}


/* Copies data: form values and SQLite's text do not live long enough. */
static ngx_int_t
ngx_http_blog_scope_copy(ngx_http_request_t *r, ngx_array_t *vars,
    const char *name, blog_tpl_type_e type, const u_char *data, size_t len)
{
    u_char  *p;

    p = NULL;

    if (len) {
        p = ngx_pnalloc(r->pool, len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(p, data, len);
    }

    return ngx_http_blog_scope_push(vars, name, type, p, len);
}


ngx_int_t
ngx_http_blog_scope_str(ngx_http_request_t *r, ngx_array_t *vars,
    const char *name, const u_char *data, size_t len)
{
    return ngx_http_blog_scope_copy(r, vars, name, BLOG_TPL_TEXT, data, len);
}


/* A string that lives as long as the request: a literal or pool memory. */
ngx_int_t
ngx_http_blog_scope_cstr(ngx_http_request_t *r, ngx_array_t *vars,
    const char *name, const char *s)
{
    return ngx_http_blog_scope_push(vars, name, BLOG_TPL_TEXT,
                                    (const u_char *) s, ngx_strlen(s));
}


ngx_int_t
ngx_http_blog_scope_int(ngx_http_request_t *r, ngx_array_t *vars,
    const char *name, int64_t n)
{
    u_char  *p, *last;

    p = ngx_pnalloc(r->pool, NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    last = ngx_sprintf(p, "%L", n);

    return ngx_http_blog_scope_push(vars, name, BLOG_TPL_TEXT, p, last - p);
}


/*
 * "name" as "2026-11-22 21:25 UTC", and "name_input" as a datetime-local
 * form value, "2026-11-22T21:25"; nothing for 0 (no time).
 */
ngx_int_t
ngx_http_blog_scope_time(ngx_http_request_t *r, ngx_array_t *vars,
    const char *name, time_t t)
{
    u_char    *p, *input, *in_name;
    size_t     n;
    ngx_tm_t   tm;

    if (t == 0) {
        return NGX_OK;
    }

    ngx_gmtime(t, &tm);

    n = ngx_strlen(name);
    p = ngx_pnalloc(r->pool, sizeof("2026-11-22 21:25 UTC") - 1
                             + sizeof("2026-11-22T21:25") - 1
                             + n + sizeof("_input"));
    if (p == NULL) {
        return NGX_ERROR;
    }

    input = ngx_sprintf(p, "%4d-%02d-%02d %02d:%02d UTC", tm.ngx_tm_year,
                        tm.ngx_tm_mon, tm.ngx_tm_mday, tm.ngx_tm_hour,
                        tm.ngx_tm_min);
    in_name = ngx_sprintf(input, "%4d-%02d-%02dT%02d:%02d", tm.ngx_tm_year,
                          tm.ngx_tm_mon, tm.ngx_tm_mday, tm.ngx_tm_hour,
                          tm.ngx_tm_min);
    ngx_sprintf(in_name, "%s_input%Z", name);

    if (ngx_http_blog_scope_push(vars, name, BLOG_TPL_TEXT, p, input - p)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_blog_scope_push(vars, (char *) in_name, BLOG_TPL_TEXT,
                                    input, in_name - input);
}


/* Rendered Markdown, which {{{name}}} may output raw; copied. */
ngx_int_t
ngx_http_blog_scope_trusted(ngx_http_request_t *r, ngx_array_t *vars,
    const char *name, const u_char *data, size_t len)
{
    return ngx_http_blog_scope_copy(r, vars, name, BLOG_TPL_TRUSTED, data,
                                    len);
}


ngx_int_t
ngx_http_blog_scope_column(ngx_http_request_t *r, ngx_array_t *vars,
    const char *name, sqlite3_stmt *stmt, int col)
{
    return ngx_http_blog_scope_str(r, vars, name,
                                   sqlite3_column_text(stmt, col),
                                   sqlite3_column_bytes(stmt, col));
}


/* Adds an item to a list being built; returns the item's own scope. */
ngx_array_t *
ngx_http_blog_scope_item(ngx_pool_t *pool, ngx_array_t *items,
    ngx_uint_t nvars)
{
    ngx_array_t     *vars;
    blog_tpl_ctx_t  *item;

    item = ngx_array_push(items);
    vars = ngx_array_create(pool, nvars, sizeof(blog_tpl_var_t));
    if (item == NULL || vars == NULL) {
        return NULL;
    }

    item->parent = NULL;
    item->vars = (void *) vars;
    item->nvars = 0;

    return vars;
}


blog_tpl_var_t *
ngx_http_blog_scope_find(ngx_array_t *vars, const char *name)
{
    ngx_uint_t       i;
    blog_tpl_var_t  *var;

    var = vars->elts;

    for (i = 0; i < vars->nelts; i++) {
        if (ngx_strcmp(var[i].name, name) == 0) {
            return &var[i];
        }
    }

    return NULL;
}


/* Turns the items' scopes into contexts and adds the list "name" to vars. */
ngx_int_t
ngx_http_blog_scope_list(ngx_array_t *vars, const char *name,
    ngx_array_t *items)
{
    ngx_uint_t       i;
    ngx_array_t     *a;
    blog_tpl_var_t  *v;
    blog_tpl_ctx_t  *item;

    item = items->elts;

    for (i = 0; i < items->nelts; i++) {
        a = (ngx_array_t *) item[i].vars;
        item[i].vars = a->elts;
        item[i].nvars = a->nelts;
    }

    if (ngx_http_blog_scope_push(vars, name, BLOG_TPL_LIST, NULL, 0)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    v = (blog_tpl_var_t *) vars->elts + vars->nelts - 1;
    v->items = items->elts;
    v->nitems = items->nelts;

    return NGX_OK;
}


ngx_int_t
ngx_http_blog_scope_figure(ngx_http_request_t *r, ngx_array_t *items,
    blog_stats_metric_e m, const blog_stats_sums_t *cur,
    const blog_stats_sums_t *prev)
{
    ngx_array_t    *item;
    blog_figure_t   f;

    blog_figure(m, cur, prev, &f);

    item = ngx_http_blog_scope_item(r->pool, items, 5);

    if (item == NULL
        || ngx_http_blog_scope_cstr(r, item, "label", blog_figure_labels[m])
           != NGX_OK
        || ngx_http_blog_scope_str(r, item, "value", (u_char *) f.value,
                                   ngx_strlen(f.value)) != NGX_OK
        || ngx_http_blog_scope_str(r, item, "previous", (u_char *) f.previous,
                                   ngx_strlen(f.previous)) != NGX_OK
        || ngx_http_blog_scope_str(r, item, "change", (u_char *) f.change,
                                   ngx_strlen(f.change)) != NGX_OK
        || ngx_http_blog_scope_cstr(r, item, "trend",
                                    f.trend > 0 ? "up"
                                    : f.trend < 0 ? "down" : "same")
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}
