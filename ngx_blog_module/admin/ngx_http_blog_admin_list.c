/*
 * The panel's lists: a SELECT's rows made template items, declared as a
 * table of columns (ngx_http_blog_admin_col_t) instead of a loop per page,
 * and the id of a row in a page's path ("comments/12") or a form.
 */

#include "admin/ngx_http_blog_admin.h"


/* Column i of the row to item, as cols[i] says. */
static ngx_int_t
ngx_http_blog_admin_row(ngx_http_request_t *r, ngx_array_t *item,
    sqlite3_stmt *stmt, const ngx_http_blog_admin_col_t *cols)
{
    int         i;
    ngx_int_t   rc;

    for (i = 0; cols[i].kind != NGX_HTTP_BLOG_ACOL_END; i++) {
        switch (cols[i].kind) {

        case NGX_HTTP_BLOG_ACOL_TEXT:
            rc = ngx_http_blog_scope_column(r, item, cols[i].name, stmt, i);
            break;

        case NGX_HTTP_BLOG_ACOL_INT:
            rc = ngx_http_blog_scope_int(r, item, cols[i].name,
                                         sqlite3_column_int64(stmt, i));
            break;

        case NGX_HTTP_BLOG_ACOL_TIME:
            rc = ngx_http_blog_scope_time(r, item, cols[i].name,
                                          sqlite3_column_int64(stmt, i));
            break;

        case NGX_HTTP_BLOG_ACOL_TRUSTED:
            rc = ngx_http_blog_scope_trusted(r, item, cols[i].name,
                                             sqlite3_column_text(stmt, i),
                                             sqlite3_column_bytes(stmt, i));
            break;

        case NGX_HTTP_BLOG_ACOL_COUNT:
            rc = sqlite3_column_int64(stmt, i)
                 ? ngx_http_blog_scope_int(r, item, cols[i].name,
                                           sqlite3_column_int64(stmt, i))
                 : NGX_OK;
            break;

        case NGX_HTTP_BLOG_ACOL_FLAG:
            rc = sqlite3_column_int(stmt, i)
                 ? ngx_http_blog_scope_cstr(r, item, cols[i].name, "1")
                 : NGX_OK;
            break;

        default: /* NGX_HTTP_BLOG_ACOL_SKIP: the row hook's */
            rc = NGX_OK;
        }

        if (rc != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_blog_admin_list(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, sqlite3_stmt *stmt,
    const ngx_http_blog_admin_list_t *list, ngx_array_t *vars)
{
    int           rc;
    ngx_uint_t    n, rows;
    ngx_array_t   items, *item;

    for (n = 0; list->cols[n].kind != NGX_HTTP_BLOG_ACOL_END; n++) {
        /* void */
    }

    if (ngx_array_init(&items, r->pool, 32, sizeof(blog_tpl_ctx_t))
        != NGX_OK)
    {
        sqlite3_finalize(stmt);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rows = 0;

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (list->max && ++rows > list->max) {
            if (ngx_http_blog_scope_int(r, vars, "more", list->max)
                != NGX_OK)
            {
                sqlite3_finalize(stmt);
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            break;
        }

        item = ngx_http_blog_scope_item(r->pool, &items, n + 4);

        if (item == NULL
            || ngx_http_blog_admin_row(r, item, stmt, list->cols) != NGX_OK
            || (list->row && list->row(r, ctx, item, stmt) != NGX_OK))
        {
            sqlite3_finalize(stmt);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        ngx_http_blog_sql_error(r, ctx->alcf->data, rc, list->name);
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (ngx_http_blog_scope_list(vars, list->name, &items) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_blog_admin_link(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_array_t *item, const char *name,
    ngx_str_t *route, const u_char *path, size_t len)
{
    u_char     *p, *last;
    ngx_str_t  *prefix;

    prefix = &ctx->alcf->blog->prefix;

    p = ngx_pnalloc(r->pool, prefix->len + route->len + len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    last = ngx_cpymem(p, prefix->data, prefix->len);
    last = ngx_cpymem(last, route->data, route->len);
    last = ngx_cpymem(last, path, len);

    return ngx_http_blog_scope_str(r, item, name, p, last - p);
}


int64_t
ngx_http_blog_admin_id(u_char *text, size_t len)
{
    ngx_int_t  id;

    /* one way to write an id: no leading zero */
    if (len == 0 || text[0] == '0') {
        return 0;
    }

    /* ngx_atoi() takes digits only: no sign, no space, no overflow */
    id = ngx_atoi(text, len);

    return id > 0 ? (int64_t) id : 0;
}
