/*
 * Request bodies of forms and uploads (ngx_http_blog_body.h), for the
 * admin panel and readers' comments.
 */

#include "ngx_http_blog_body.h"


static void ngx_http_blog_form_cleanup(void *data);


/*
 * Reads the body into memory: forms are small, and an upload is bounded
 * by client_max_body_size, which "blog_admin" raises to fit
 * blog_upload_max_size.
 */
ngx_int_t
ngx_http_blog_body_read(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt handler)
{
    ngx_int_t  rc;

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


/*
 * Collects the body (in memory or in nginx's temporary file) into one
 * buffer and parses it as the form or the multipart upload it is.
 * Returns NGX_OK, or an HTTP status.
 */
ngx_int_t
ngx_http_blog_body_parse(ngx_http_request_t *r, ngx_http_blog_body_t *body)
{
    u_char              *p;
    off_t                len;
    ssize_t              n;
    size_t               blen;
    ngx_buf_t           *b;
    ngx_str_t           *ct;
    ngx_chain_t         *cl;
    const char          *boundary;
    ngx_pool_cleanup_t  *cln;
    blog_form_rc_e       frc;

    len = 0;

    if (r->request_body) {
        for (cl = r->request_body->bufs; cl; cl = cl->next) {
            len += ngx_buf_size(cl->buf);
        }
    }

    body->text.data = ngx_pnalloc(r->pool, (size_t) len + 1);
    if (body->text.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = body->text.data;

    for (cl = r->request_body ? r->request_body->bufs : NULL; cl;
         cl = cl->next)
    {
        b = cl->buf;

        if (b->in_file) {
            n = ngx_read_file(b->file, p, (size_t) (b->file_last
                                                    - b->file_pos),
                              b->file_pos);
            if (n != b->file_last - b->file_pos) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            p += n;

        } else {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
        }
    }

    body->text.len = p - body->text.data;
    *p = '\0';

    ct = r->headers_in.content_type ? &r->headers_in.content_type->value
                                    : NULL;

    if (ct && ct->len >= 19
        && ngx_strncasecmp(ct->data, (u_char *) "multipart/form-data", 19)
           == 0)
    {
        body->multipart = 1;

        if (blog_multipart_boundary((char *) ct->data, ct->len, &boundary,
                                    &blen) != BLOG_MULTIPART_OK
            || blog_multipart_parse((char *) body->text.data, body->text.len,
                                    boundary, blen, body->parts,
                                    BLOG_MAX_PARTS, &body->nparts)
               != BLOG_MULTIPART_OK)
        {
            body->bad = 1;
        }

        return NGX_OK;
    }

    frc = blog_form_parse(&body->form, (char *) body->text.data,
                          body->text.len);

    if (frc == BLOG_FORM_NOMEM) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (frc == BLOG_FORM_BAD) {
        body->bad = 1;
        return NGX_OK;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        blog_form_free(&body->form);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_blog_form_cleanup;
    cln->data = &body->form;

    return NGX_OK;
}


static void
ngx_http_blog_form_cleanup(void *data)
{
    blog_form_free(data);
}


/*
 * A field of the form, or a plain (non-file) part of a multipart body,
 * copied to the pool with a NUL.  NULL if missing.
 */
const blog_field_t *
ngx_http_blog_body_field(ngx_http_request_t *r, ngx_http_blog_body_t *body,
    const char *name)
{
    u_char        *p;
    size_t         i, n;
    blog_part_t   *part;
    blog_field_t  *f;

    if (!body->multipart) {
        return blog_form_get(&body->form, name);
    }

    n = ngx_strlen(name);

    for (i = 0; i < body->nparts; i++) {
        part = &body->parts[i];

        if (part->filename != NULL || part->name_len != n
            || ngx_strncmp(part->name, name, n) != 0)
        {
            continue;
        }

        f = ngx_palloc(r->pool, sizeof(blog_field_t));
        p = ngx_pnalloc(r->pool, part->len + 1);
        if (f == NULL || p == NULL) {
            return NULL;
        }

        *ngx_cpymem(p, part->data, part->len) = '\0';

        f->name = name;
        f->value = (char *) p;
        f->len = part->len;

        return f;
    }

    return NULL;
}


blog_part_t *
ngx_http_blog_body_file(ngx_http_blog_body_t *body, const char *name)
{
    size_t        i, n;
    blog_part_t  *part;

    if (!body->multipart) {
        return NULL;
    }

    n = ngx_strlen(name);

    for (i = 0; i < body->nparts; i++) {
        part = &body->parts[i];

        if (part->filename != NULL && part->name_len == n
            && ngx_strncmp(part->name, name, n) == 0)
        {
            return part;
        }
    }

    return NULL;
}
