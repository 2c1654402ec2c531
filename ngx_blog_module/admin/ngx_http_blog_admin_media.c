/*
 * Media uploads: one image per multipart POST, at most
 * blog_upload_max_size, accepted only if its first bytes say JPEG, PNG,
 * GIF, WebP or AVIF (the name and the browser's Content-Type are not
 * believed).  It is stored by content under the blog's media folder as
 * <first 2 hex digits of its SHA-256>/<SHA-256>.<ext>, written to a
 * dot-file (which the media route never serves) and renamed into place,
 * so a reader never gets half a file; the same image uploaded twice is
 * one file.  The upload is recorded in "uploads" and a "thumb" job is
 * queued for the jobrunner in the same transaction, as its media scan
 * queues one (payload path, size, mtime), so the variants come at once.
 */

#include "admin/ngx_http_blog_admin.h"
#include "blog_media.h"
#include "blog_secret.h"

#include <openssl/evp.h>


static ngx_int_t ngx_http_blog_media_page(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx, ngx_uint_t status, const char *error);
static ngx_int_t ngx_http_blog_media_upload(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx);
static ngx_int_t ngx_http_blog_media_store(ngx_http_request_t *r,
    ngx_str_t *root, ngx_str_t *rel, blog_part_t *file, time_t *mtime);


ngx_int_t
ngx_http_blog_admin_media(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx)
{
    if (r->method == NGX_HTTP_POST) {
        return ngx_http_blog_media_upload(r, ctx);
    }

    return ngx_http_blog_media_page(r, ctx, NGX_HTTP_OK, NULL);
}


/* An upload's address, from its path (column 0). */
static ngx_int_t
ngx_http_blog_media_row(ngx_http_request_t *r, ngx_http_blog_admin_ctx_t *ctx,
    ngx_array_t *item, sqlite3_stmt *stmt)
{
    return ngx_http_blog_admin_link(r, ctx, item, "url",
                                    &ctx->alcf->blog->route[BLOG_ROUTE_MEDIA],
                                    sqlite3_column_text(stmt, 0),
                                    sqlite3_column_bytes(stmt, 0));
}


static const ngx_http_blog_admin_col_t  ngx_http_blog_media_cols[] = {
    { NULL, NGX_HTTP_BLOG_ACOL_SKIP },
    { "type", NGX_HTTP_BLOG_ACOL_TEXT },
    { "size", NGX_HTTP_BLOG_ACOL_INT },
    { "name", NGX_HTTP_BLOG_ACOL_TEXT },
    { "created", NGX_HTTP_BLOG_ACOL_TIME },
    { NULL, NGX_HTTP_BLOG_ACOL_END }
};

static const ngx_http_blog_admin_list_t  ngx_http_blog_media_list = {
    "uploads", ngx_http_blog_media_cols, ngx_http_blog_media_row, 0
};


static ngx_int_t
ngx_http_blog_media_page(ngx_http_request_t *r, ngx_http_blog_admin_ctx_t *ctx,
    ngx_uint_t status, const char *error)
{
    ngx_int_t      rc;
    ngx_array_t   *vars;
    sqlite3_stmt  *stmt;

    vars = ngx_http_blog_scope_create(r);
    if (vars == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    stmt = ngx_http_blog_sql(r, ctx->alcf->data,
               "SELECT path, type, size, name, created_at FROM uploads"
               " ORDER BY created_at DESC, path LIMIT 200", "");
    if (stmt == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    rc = ngx_http_blog_admin_list(r, ctx, stmt, &ngx_http_blog_media_list,
                                  vars);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_blog_scope_int(r, vars, "max_mb",
                                (int64_t) (ctx->alcf->upload_max
                                          / (1024 * 1024))) != NGX_OK
        || (error && ngx_http_blog_scope_cstr(r, vars, "error", error)
                     != NGX_OK))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_blog_admin_page(r, ctx, status, BLOG_ATPL_MEDIA, vars);
}


static ngx_int_t
ngx_http_blog_media_upload(ngx_http_request_t *r,
    ngx_http_blog_admin_ctx_t *ctx)
{
    int                            rc;
    u_char                         md[EVP_MAX_MD_SIZE], hex[65], *p;
    size_t                         i;
    time_t                         mtime;
    int64_t                        now;
    ngx_str_t                      rel, name, *root;
    unsigned int                   mdlen;
    blog_part_t                   *file;
    ngx_http_blog_conn_t          *data;
    const blog_image_t            *img;

    root = &ctx->alcf->blog->media_root;
    data = ctx->alcf->data;

    if (root->len == 0) {
        return ngx_http_blog_media_page(r, ctx, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "Uploads need a media folder: set blog_media_root in "
                   "the blog's location.");
    }

    file = ngx_http_blog_body_file(&ctx->body, "file");

    if (file == NULL || file->len == 0) {
        return ngx_http_blog_media_page(r, ctx, NGX_HTTP_BAD_REQUEST,
                   "Choose a file to upload.");
    }

    if (file->len > ctx->alcf->upload_max) {
        return ngx_http_blog_media_page(r, ctx,
                   NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                   "The file is larger than the upload limit.");
    }

    img = blog_image_type((u_char *) file->data, file->len);
    if (img == NULL) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "blog admin: upload refused: not an image by its "
                      "content");

        return ngx_http_blog_media_page(r, ctx,
                   NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                   "This is not a JPEG, PNG, GIF, WebP or AVIF image (by its "
                   "content, whatever its name says).");
    }

    if (EVP_Digest(file->data, file->len, md, &mdlen, EVP_sha256(), NULL)
        != 1)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    *ngx_hex_dump(hex, md, mdlen) = '\0';

    /* "ab/abcdef....png" */
    rel.len = 2 + 1 + 2 * mdlen + 1 + ngx_strlen(img->ext);
    rel.data = ngx_pnalloc(r->pool, rel.len + 1);
    if (rel.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf(rel.data, "%*s/%s.%s%Z", (size_t) 2, hex, hex, img->ext);

    if (ngx_http_blog_media_store(r, root, &rel, file, &mtime) != NGX_OK) {
        return ngx_http_blog_media_page(r, ctx,
                   NGX_HTTP_INTERNAL_SERVER_ERROR,
                   "The file could not be written to the media folder; "
                   "the error log says why.");
    }

    /* the name as shown in the list: printable, at most 200 bytes */
    name.len = ngx_min(file->filename_len, 200);
    name.data = ngx_pnalloc(r->pool, name.len + 1);
    if (name.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0, p = name.data; i < name.len; i++) {
        *p++ = ((u_char) file->filename[i] < 0x20) ? '_' : file->filename[i];
    }

    *p = '\0';

    if (!blog_utf8_valid((char *) name.data, name.len)) {
        ngx_str_set(&name, "upload");
    }

    now = (int64_t) ngx_time();

    rc = ngx_http_blog_sql_begin(r, data);

    if (rc == SQLITE_OK) {
        rc = ngx_http_blog_sql_exec(r, data, BLOG_MEDIA_SQL_RECORD,
                 "stsitii", hex, &rel, img->type, (int64_t) file->len, &name,
                 ctx->user_id, now);
    }

    /* the jobrunner makes the variants (blog_media.h) */
    if (rc == SQLITE_OK) {
        rc = ngx_http_blog_sql_exec(r, data, BLOG_MEDIA_SQL_THUMB,
                 "tiii", &rel, (int64_t) file->len, (int64_t) mtime, now);
    }

    if (rc == SQLITE_OK) {
        rc = ngx_http_blog_sql_commit(r, data);

    } else {
        ngx_http_blog_sql_rollback(data);
    }

    if (rc != SQLITE_OK) {
        return ngx_http_blog_media_page(r, ctx, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "The file was stored, but the database did not take the "
                   "record (it may be busy). Upload it again.");
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "blog admin: \"%V\" uploaded %V (%uz bytes)",
                  &ctx->user_name, &rel, file->len);

    return ngx_http_blog_go(r, ctx, "media", 0, "uploaded");
}


/*
 * Writes the file at root/rel unless it is there: temp file, then rename.
 * *mtime gets the stored file's modification time.
 */
static ngx_int_t
ngx_http_blog_media_store(ngx_http_request_t *r, ngx_str_t *root,
    ngx_str_t *rel, blog_part_t *file, time_t *mtime)
{
    u_char           *path, *tmp, token[17];
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_err_t         err;
    ngx_file_info_t   fi;

    path = ngx_pnalloc(r->pool, root->len + 1 + rel->len + 1);
    tmp = ngx_pnalloc(r->pool, root->len + sizeof("/ab/.upload-.tmp") + 16);
    if (path == NULL || tmp == NULL
        || blog_random_hex((char *) token, 8) != 0)
    {
        return NGX_ERROR;
    }

    ngx_sprintf(path, "%V/%V%Z", root, rel);

    /* stored by content: the same name means the same bytes */
    if (ngx_file_info(path, &fi) != NGX_FILE_ERROR) {
        *mtime = ngx_file_mtime(&fi);
        return NGX_OK;
    }

    /* the folder "ab" */
    ngx_sprintf(tmp, "%V/%*s%Z", root, (size_t) 2, rel->data);

    if (ngx_create_dir(tmp, 0755) == NGX_FILE_ERROR) {
        err = ngx_errno;
        if (err != NGX_EEXIST) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, err,
                          ngx_create_dir_n " \"%s\" failed", tmp);
            return NGX_ERROR;
        }
    }

    ngx_sprintf(tmp, "%V/%*s/.upload-%s.tmp%Z", root, (size_t) 2, rel->data,
                token);

    fd = ngx_open_file(tmp, NGX_FILE_WRONLY, NGX_FILE_TRUNCATE,
                       0644);
    if (fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, ngx_errno,
                      ngx_open_file_n " \"%s\" failed", tmp);
        return NGX_ERROR;
    }

    n = ngx_write_fd(fd, (void *) file->data, file->len);
    err = ngx_errno;

    if (n != (ssize_t) file->len || fsync(fd) != 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log,
                      n < 0 ? err : ngx_errno, "writing \"%s\" failed", tmp);
        (void) ngx_close_file(fd);
        (void) ngx_delete_file(tmp);
        return NGX_ERROR;
    }

    if (ngx_close_file(fd) == NGX_FILE_ERROR
        || ngx_rename_file(tmp, path) == NGX_FILE_ERROR
        || ngx_file_info(path, &fi) == NGX_FILE_ERROR)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, ngx_errno,
                      "storing \"%s\" failed", path);
        (void) ngx_delete_file(tmp);
        return NGX_ERROR;
    }

    *mtime = ngx_file_mtime(&fi);

    return NGX_OK;
}
