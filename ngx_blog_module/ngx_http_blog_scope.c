/*
 * Template scopes built in ngx_array_t, for the pages, the admin panel and
 * the analytics page.
 *
 * A scope is an ngx_array_t of blog_tpl_var_t while it is being built, and
 * becomes a blog_tpl_ctx_t only once complete, since pushing may move the
 * elements: a list's items hold their ngx_array_t in "vars"
 * (ngx_http_blog_scope_item) until ngx_http_blog_scope_list converts them.
 */

#include "ngx_http_blog_module.h"


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

    v = ngx_array_push(vars);
    if (v == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(v, sizeof(blog_tpl_var_t));
    v->name = name;
    v->type = BLOG_TPL_LIST;
    v->items = items->elts;
    v->nitems = items->nelts;

    return NGX_OK;
}
