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
 *
 * Whatever path a client sends, a file that cannot be had is a 404, never
 * a 5xx (see ngx_http_blog_file_error), and every file goes out with
 * "X-Content-Type-Options: nosniff": an upload is served as the type its
 * name says, never run as HTML or script by a browser that sniffs.
 */

#include "ngx_http_blog_module.h"
#include "ngx_http_blog_response.h"
#include "blog_path.h"


static ngx_int_t ngx_http_blog_file_check(ngx_http_request_t *r,
    ngx_str_t *rel);
static ngx_int_t ngx_http_blog_file_error(ngx_http_request_t *r,
    ngx_err_t err, const char *op, u_char *path);


ngx_int_t
ngx_http_blog_send_file(ngx_http_request_t *r, ngx_str_t *root,
    ngx_str_t *rel)
{
    u_char                    *last, *real;
    ngx_int_t                  rc;
    ngx_str_t                  path;
    ngx_buf_t                 *b;
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
        return ngx_http_blog_file_error(r, ngx_errno, "realpath()", path.data);
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
        if (of.err == 0) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_blog_file_error(r, of.err, of.failed, path.data);
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

    if (ngx_http_set_content_type(r) != NGX_OK
        || ngx_http_blog_header(r, "X-Content-Type-Options", "nosniff")
           != NGX_OK)
    {
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


/*
 * Why a path could not be opened.  Each of these can follow from what a
 * client sent, so each is a 404: no such file (ENOENT, or ENOTDIR for
 * "file.jpg/x"), a name longer than the file system takes (ENAMETOOLONG),
 * a symlink loop (ELOOP) or a file the workers may not read (EACCES); a
 * 403 would only say that the file exists.  Missing files are not logged
 * (any made-up URL is one), names too long are logged at "info" as nginx
 * logs client errors, a loop or a permission at "error", since they are
 * the owner's to fix.  Anything else (EIO, out of file descriptors) is the
 * server's own failure: a 500, at "crit".
 */
static ngx_int_t
ngx_http_blog_file_error(ngx_http_request_t *r, ngx_err_t err,
    const char *op, u_char *path)
{
    ngx_uint_t  level;

    switch (err) {

    case NGX_ENOENT:
    case NGX_ENOTDIR:
        return NGX_HTTP_NOT_FOUND;

    case NGX_ENAMETOOLONG:
        level = NGX_LOG_INFO;
        break;

    case NGX_EACCES:
    case NGX_ELOOP:
        level = NGX_LOG_ERR;
        break;

    default:
        level = NGX_LOG_CRIT;
        break;
    }

    ngx_log_error(level, r->connection->log, err, "%s \"%s\" failed", op,
                  path);

    return level == NGX_LOG_CRIT ? NGX_HTTP_INTERNAL_SERVER_ERROR
                                 : NGX_HTTP_NOT_FOUND;
}
