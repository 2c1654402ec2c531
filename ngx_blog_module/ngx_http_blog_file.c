/*
 * Media and theme files, sent the way ngx_http_static_module sends them:
 * through the open file cache and the output filters, so sendfile, Range,
 * ETag, Last-Modified and 304 all come from nginx itself.
 *
 * What this file adds is confinement.  nginx has already decoded the URI
 * and merged "." and ".." segments, but a request path is still refused
 * unless every segment is a plain name (no "..", no dot-files, no NUL or
 * backslash), and the file it names must still lie inside the root once
 * symlinks are resolved.
 */

#include "ngx_http_blog_module.h"
#include "blog_path.h"


static ngx_int_t ngx_http_blog_file_check(ngx_http_request_t *r,
    ngx_str_t *rel);


ngx_int_t
ngx_http_blog_send_file(ngx_http_request_t *r, ngx_str_t *root,
    ngx_str_t *rel)
{
    u_char                    *last, *real;
    ngx_int_t                  rc;
    ngx_str_t                  path;
    ngx_buf_t                 *b;
    ngx_uint_t                 level;
    ngx_chain_t                out;
    ngx_open_file_info_t       of;
    ngx_http_core_loc_conf_t  *clcf;

    if (root->len == 0) {
        return NGX_HTTP_NOT_FOUND;
    }

    rc = ngx_http_blog_file_check(r, rel);
    if (rc != NGX_OK) {
        return rc;
    }

    path.len = root->len + 1 + rel->len;
    path.data = ngx_pnalloc(r->pool, path.len + 1);
    if (path.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    last = ngx_cpymem(path.data, root->data, root->len);
    *last++ = '/';
    last = ngx_cpymem(last, rel->data, rel->len);
    *last = '\0';

    /*
     * Symlinks inside the root are the owner's business; one that leads out
     * of it is an escape.  realpath() resolves them all, and the result must
     * still start with the root.
     */
    real = (u_char *) realpath((char *) path.data, NULL);
    if (real == NULL) {
        if (ngx_errno == NGX_ENOENT || ngx_errno == NGX_ENOTDIR) {
            return NGX_HTTP_NOT_FOUND;
        }

        ngx_log_error(NGX_LOG_ERR, r->connection->log, ngx_errno,
                      "realpath(\"%s\") failed", path.data);
        return ngx_errno == NGX_EACCES ? NGX_HTTP_FORBIDDEN
                                       : NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    path.len = ngx_strlen(real);

    if (path.len <= root->len + 1
        || ngx_strncmp(real, root->data, root->len) != 0
        || real[root->len] != '/')
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "blog: \"%V\" resolves to \"%s\", outside of \"%V\"",
                      rel, real, root);
        free(real);
        return NGX_HTTP_NOT_FOUND;
    }

    path.data = ngx_pnalloc(r->pool, path.len + 1);
    if (path.data == NULL) {
        free(real);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(path.data, real, path.len + 1);
    free(real);

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    ngx_memzero(&of, sizeof(ngx_open_file_info_t));

    of.read_ahead = clcf->read_ahead;
    of.directio = clcf->directio;
    of.valid = clcf->open_file_cache_valid;
    of.min_uses = clcf->open_file_cache_min_uses;
    of.errors = clcf->open_file_cache_errors;
    of.events = clcf->open_file_cache_events;

    if (ngx_open_cached_file(clcf->open_file_cache, &path, &of, r->pool)
        != NGX_OK)
    {
        switch (of.err) {

        case 0:
            return NGX_HTTP_INTERNAL_SERVER_ERROR;

        case NGX_ENOENT:
        case NGX_ENOTDIR:
        case NGX_ENAMETOOLONG:
            level = NGX_LOG_ERR;
            rc = NGX_HTTP_NOT_FOUND;
            break;

        case NGX_EACCES:
            level = NGX_LOG_ERR;
            rc = NGX_HTTP_FORBIDDEN;
            break;

        default:
            level = NGX_LOG_CRIT;
            rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
            break;
        }

        ngx_log_error(level, r->connection->log, of.err,
                      "%s \"%s\" failed", of.failed, path.data);

        return rc;
    }

    if (!of.is_file) {
        return NGX_HTTP_NOT_FOUND;
    }

    r->root_tested = !r->error_page;
    r->allow_ranges = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = of.size;
    r->headers_out.last_modified_time = of.mtime;

    if (ngx_http_set_etag(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_set_content_type(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->file = ngx_pcalloc(r->pool, sizeof(ngx_file_t));
    if (b->file == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b->file_pos = 0;
    b->file_last = of.size;

    b->in_file = b->file_last ? 1 : 0;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    b->file->fd = of.fd;
    b->file->name = path;
    b->file->log = r->connection->log;
    b->file->directio = of.is_directio;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* Refusals are client errors, logged at "info" as nginx logs those. */

static ngx_int_t
ngx_http_blog_file_check(ngx_http_request_t *r, ngx_str_t *rel)
{
    const char  *why;

    switch (blog_path_check((char *) rel->data, rel->len, &why)) {

    case BLOG_PATH_OK:
        return NGX_OK;

    case BLOG_PATH_NOT_FOUND:
        return NGX_HTTP_NOT_FOUND;

    default:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "blog: refused file path \"%V\": %s", rel, why);
        return NGX_HTTP_BAD_REQUEST;
    }
}
