/*
 * The requests of each S3 operation, and the whole operations built on
 * them: uploading a file (one PUT, or a multipart upload), listing every
 * page of a prefix.  See jr_s3.h.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "s3/jr_s3_int.h"
#include "s3/jr_sigv4.h"


/* --- requests ---------------------------------------------------------- */

jr_s3_req_t *
jr_s3_put_req(jr_s3_t *s3, const char *key, const void *body, size_t len)
{
    jr_s3_req_t  *req;

    req = jr_s3_req_new(s3, JR_S3_OP_PUT, "PUT", key);
    if (req) {
        jr_s3_req_body(req, body, len);
    }

    return req;
}


jr_s3_req_t *
jr_s3_get_req(jr_s3_t *s3, const char *key)
{
    return jr_s3_req_new(s3, JR_S3_OP_GET, "GET", key);
}


jr_s3_req_t *
jr_s3_head_req(jr_s3_t *s3, const char *key)
{
    return jr_s3_req_new(s3, JR_S3_OP_HEAD, "HEAD", key);
}


jr_s3_req_t *
jr_s3_delete_req(jr_s3_t *s3, const char *key)
{
    return jr_s3_req_new(s3, JR_S3_OP_DELETE, "DELETE", key);
}


jr_s3_req_t *
jr_s3_copy_req(jr_s3_t *s3, const char *src_key, const char *key)
{
    return jr_s3_copy_from_req(s3, jr_s3_conf(s3)->bucket, src_key, key);
}


jr_s3_req_t *
jr_s3_copy_from_req(jr_s3_t *s3, const char *src_bucket, const char *src_key,
    const char *key)
{
    char         *enc, *source;
    jr_s3_req_t  *req;

    req = jr_s3_req_new(s3, JR_S3_OP_COPY, "PUT", key);
    if (req == NULL) {
        return NULL;
    }

    /* "/bucket/key", the key URL-encoded as S3 asks */
    enc = jr_sigv4_encode(src_key, strlen(src_key), 1);
    if (enc == NULL || asprintf(&source, "/%s/%s", src_bucket, enc) < 0) {
        free(enc);
        jr_s3_req_free(req);
        return NULL;
    }

    free(enc);

    if (jr_s3_req_header(req, "x-amz-copy-source", source) != 0) {
        free(source);
        jr_s3_req_free(req);
        return NULL;
    }

    free(source);

    return req;
}


jr_s3_req_t *
jr_s3_list_req(jr_s3_t *s3, const char *prefix, const char *delimiter,
    const char *token, unsigned max_keys)
{
    int           rc;
    char          n[16];
    jr_s3_req_t  *req;

    req = jr_s3_req_new(s3, JR_S3_OP_LIST, "GET", NULL);
    if (req == NULL) {
        return NULL;
    }

    rc = jr_s3_req_param(req, "list-type", "2");

    if (rc == 0 && prefix) {
        rc = jr_s3_req_param(req, "prefix", prefix);
    }

    if (rc == 0 && delimiter) {
        rc = jr_s3_req_param(req, "delimiter", delimiter);
    }

    if (rc == 0 && token) {
        rc = jr_s3_req_param(req, "continuation-token", token);
    }

    if (rc == 0 && max_keys) {
        snprintf(n, sizeof(n), "%u", max_keys);
        rc = jr_s3_req_param(req, "max-keys", n);
    }

    if (rc != 0) {
        jr_s3_req_free(req);
        return NULL;
    }

    return req;
}


int
jr_s3_list_start_after(jr_s3_req_t *req, const char *key)
{
    return jr_s3_req_param(req, "start-after", key);
}


jr_s3_req_t *
jr_s3_mpu_create_req(jr_s3_t *s3, const char *key)
{
    jr_s3_req_t  *req;

    req = jr_s3_req_new(s3, JR_S3_OP_MPU_CREATE, "POST", key);
    if (req && jr_s3_req_param(req, "uploads", "") != 0) {
        jr_s3_req_free(req);
        return NULL;
    }

    return req;
}


jr_s3_req_t *
jr_s3_mpu_part_req(jr_s3_t *s3, const char *key, const char *upload_id,
    unsigned part, const void *body, size_t len)
{
    char          n[16];
    jr_s3_req_t  *req;

    req = jr_s3_req_new(s3, JR_S3_OP_MPU_PART, "PUT", key);
    if (req == NULL) {
        return NULL;
    }

    snprintf(n, sizeof(n), "%u", part);

    if (jr_s3_req_param(req, "partNumber", n) != 0
        || jr_s3_req_param(req, "uploadId", upload_id) != 0)
    {
        jr_s3_req_free(req);
        return NULL;
    }

    jr_s3_req_body(req, body, len);

    return req;
}


/* Writes s with the five XML entities escaped. */
static void
jr_s3_xml_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&apos;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}


jr_s3_req_t *
jr_s3_mpu_complete_req(jr_s3_t *s3, const char *key, const char *upload_id,
    char *const *etags, size_t nparts)
{
    FILE         *f;
    char         *xml;
    size_t        i, len;
    jr_s3_req_t  *req;

    req = jr_s3_req_new(s3, JR_S3_OP_MPU_COMPLETE, "POST", key);
    if (req == NULL) {
        return NULL;
    }

    xml = NULL;
    f = open_memstream(&xml, &len);

    if (f == NULL || jr_s3_req_param(req, "uploadId", upload_id) != 0) {
        if (f) {
            fclose(f);
        }

        free(xml);
        jr_s3_req_free(req);
        return NULL;
    }

    fputs("<CompleteMultipartUpload>", f);

    for (i = 0; i < nparts; i++) {
        fprintf(f, "<Part><PartNumber>%zu</PartNumber><ETag>\"", i + 1);
        jr_s3_xml_escape(f, etags[i]);
        fputs("\"</ETag></Part>", f);
    }

    fputs("</CompleteMultipartUpload>", f);

    if (fclose(f) != 0) {
        free(xml);
        jr_s3_req_free(req);
        return NULL;
    }

    req->owned_body = xml;
    jr_s3_req_body(req, xml, len);

    return req;
}


jr_s3_req_t *
jr_s3_mpu_abort_req(jr_s3_t *s3, const char *key, const char *upload_id)
{
    jr_s3_req_t  *req;

    req = jr_s3_req_new(s3, JR_S3_OP_MPU_ABORT, "DELETE", key);
    if (req && jr_s3_req_param(req, "uploadId", upload_id) != 0) {
        jr_s3_req_free(req);
        return NULL;
    }

    return req;
}


/* --- every page of a listing ------------------------------------------ */

/* Moves the page's objects and prefixes to the end of all. */
static int
jr_s3_list_append(jr_s3_list_t *all, jr_s3_list_t *page)
{
    char            **p;
    jr_s3_object_t   *o;

    o = realloc(all->objects, (all->nobjects + page->nobjects + 1)
                              * sizeof(jr_s3_object_t));
    if (o == NULL) {
        return -1;
    }

    all->objects = o;

    p = realloc(all->prefixes, (all->nprefixes + page->nprefixes + 1)
                               * sizeof(char *));
    if (p == NULL) {
        return -1;
    }

    all->prefixes = p;

    memcpy(all->objects + all->nobjects, page->objects,
           page->nobjects * sizeof(jr_s3_object_t));
    all->nobjects += page->nobjects;
    page->nobjects = 0;

    memcpy(all->prefixes + all->nprefixes, page->prefixes,
           page->nprefixes * sizeof(char *));
    all->nprefixes += page->nprefixes;
    page->nprefixes = 0;

    return 0;
}


int
jr_s3_list_all_sync(jr_s3_t *s3, const char *prefix, jr_s3_list_t *list,
    jr_s3_result_t *res)
{
    int           rc;
    char         *token;
    jr_s3_req_t  *req;

    memset(list, 0, sizeof(jr_s3_list_t));
    memset(res, 0, sizeof(jr_s3_result_t));
    token = NULL;

    for ( ;; ) {
        req = jr_s3_list_req(s3, prefix, NULL, token, 0);
        free(token);
        token = NULL;

        if (req == NULL) {
            snprintf(res->code, sizeof(res->code), "OutOfMemory");
            return -1;
        }

        rc = jr_s3_perform(req);

        if (rc == 0 && jr_s3_list_append(list, &req->res.list) != 0) {
            jr_s3_fail(req, "OutOfMemory", "cannot keep the listing");
            rc = -1;
        }

        if (rc != 0) {
            res->ok = 0;
            res->status = req->res.status;
            res->attempts = req->res.attempts;
            memcpy(res->code, req->res.code, sizeof(res->code));
            memcpy(res->message, req->res.message, sizeof(res->message));
            jr_s3_req_free(req);
            return -1;
        }

        if (!req->res.list.truncated) {
            jr_s3_req_free(req);
            res->ok = 1;
            return 0;
        }

        token = req->res.list.next_token;
        req->res.list.next_token = NULL;
        jr_s3_req_free(req);
    }
}


typedef struct {
    jr_s3_t              *s3;
    char                 *prefix;
    jr_s3_list_t          list;
    jr_s3_list_done_pt    done;
    void                 *data;
} jr_s3_lister_t;


static void jr_s3_lister_page(jr_s3_req_t *req, void *data);


static int
jr_s3_lister_next(jr_s3_lister_t *l, const char *token)
{
    jr_s3_req_t  *req;

    req = jr_s3_list_req(l->s3, l->prefix, NULL, token, 0);
    if (req == NULL) {
        return -1;
    }

    return jr_s3_start(req, jr_s3_lister_page, l);
}


static void
jr_s3_lister_end(jr_s3_lister_t *l, const jr_s3_result_t *res)
{
    l->done(res, &l->list, l->data);

    jr_s3_list_free(&l->list);
    free(l->prefix);
    free(l);
}


static void
jr_s3_lister_page(jr_s3_req_t *req, void *data)
{
    jr_s3_lister_t  *l = data;

    if (req->res.ok && jr_s3_list_append(&l->list, &req->res.list) != 0) {
        jr_s3_fail(req, "OutOfMemory", "cannot keep the listing");
    }

    if (!req->res.ok || !req->res.list.truncated) {
        jr_s3_lister_end(l, &req->res);
        return;
    }

    if (jr_s3_lister_next(l, req->res.list.next_token) != 0) {
        jr_s3_fail(req, jr_s3_loop(l->s3) ? "Canceled" : "OutOfMemory",
                   "cannot ask for the next page");
        jr_s3_lister_end(l, &req->res);
    }
}


int
jr_s3_list_all(jr_s3_t *s3, const char *prefix, jr_s3_list_done_pt done,
    void *data)
{
    jr_s3_lister_t  *l;

    l = calloc(1, sizeof(jr_s3_lister_t));
    if (l == NULL) {
        return -1;
    }

    l->s3 = s3;
    l->done = done;
    l->data = data;

    if ((prefix && (l->prefix = strdup(prefix)) == NULL)
        || jr_s3_lister_next(l, NULL) != 0)
    {
        free(l->prefix);
        free(l);
        return -1;
    }

    return 0;
}


/* --- uploading a file ------------------------------------------------- */

/*
 * The file is read a part at a time in libuv's pool (with its hashes),
 * and each part sent from the loop.  A first part shorter than part_size
 * is the whole file: one PUT.  Otherwise a multipart upload, whose parts
 * follow until a read comes back empty.
 */

typedef struct {
    jr_s3_t                 *s3;
    char                    *key;
    char                    *path;
    int                      fd;
    int                      own_fd;       /* opened here, closed here */
    uint64_t                 offset;
    size_t                   part_size;
    unsigned char           *buf;
    size_t                   len;
    int                      read_errno;
    char                     sha256[JR_SIGV4_HASH_LEN + 1];
    char                     md5[32];
    char                    *upload_id;
    char                   **etags;
    size_t                   nparts;
    uv_work_t                work;
    jr_s3_upload_result_t    res;
    jr_s3_upload_done_pt     done;
    void                    *data;
} jr_s3_upload_t;


static void jr_s3_upload_read(uv_work_t *work);
static void jr_s3_upload_have_part(uv_work_t *work, int status);
static void jr_s3_upload_put_done(jr_s3_req_t *req, void *data);
static void jr_s3_upload_created(jr_s3_req_t *req, void *data);
static void jr_s3_upload_part_done(jr_s3_req_t *req, void *data);
static void jr_s3_upload_completed(jr_s3_req_t *req, void *data);
static void jr_s3_upload_aborted(jr_s3_req_t *req, void *data);


static void
jr_s3_upload_end(jr_s3_upload_t *u)
{
    size_t  i;

    u->done(&u->res, u->data);

    if (u->own_fd && u->fd != -1) {
        close(u->fd);
    }

    for (i = 0; i < u->nparts; i++) {
        free(u->etags[i]);
    }

    free(u->etags);
    free(u->upload_id);
    free(u->buf);
    free(u->key);
    free(u->path);
    free(u);
}


static void
jr_s3_upload_fail(jr_s3_upload_t *u, const char *code, const char *message)
{
    jr_s3_req_t  *req;

    u->res.ok = 0;

    if (u->res.code[0] == '\0') {
        snprintf(u->res.code, sizeof(u->res.code), "%s", code);
        snprintf(u->res.message, sizeof(u->res.message), "%s", message);
    }

    /* the parts sent so far are not left behind, billed */
    if (u->upload_id) {
        req = jr_s3_mpu_abort_req(u->s3, u->key, u->upload_id);
        free(u->upload_id);
        u->upload_id = NULL;

        if (req && jr_s3_start(req, jr_s3_upload_aborted, u) == 0) {
            return;
        }
    }

    jr_s3_upload_end(u);
}


static void
jr_s3_upload_aborted(jr_s3_req_t *req, void *data)
{
    (void) req;

    jr_s3_upload_end(data);
}


static void
jr_s3_upload_fail_req(jr_s3_upload_t *u, const jr_s3_result_t *r)
{
    jr_s3_upload_fail(u, r->code, r->message);
}


static int jr_s3_upload_start(jr_s3_t *s3, const char *key, int fd,
    const char *path, jr_s3_upload_done_pt done, void *data);


int
jr_s3_upload(jr_s3_t *s3, const char *key, const char *path,
    jr_s3_upload_done_pt done, void *data)
{
    return jr_s3_upload_start(s3, key, -1, path, done, data);
}


int
jr_s3_upload_fd(jr_s3_t *s3, const char *key, int fd, const char *name,
    jr_s3_upload_done_pt done, void *data)
{
    return jr_s3_upload_start(s3, key, fd, name, done, data);
}


static int
jr_s3_upload_start(jr_s3_t *s3, const char *key, int fd, const char *path,
    jr_s3_upload_done_pt done, void *data)
{
    jr_s3_upload_t  *u;

    if (jr_s3_loop(s3) == NULL) {
        return -1;
    }

    u = calloc(1, sizeof(jr_s3_upload_t));
    if (u == NULL) {
        return -1;
    }

    u->s3 = s3;
    u->fd = fd;
    u->own_fd = fd == -1;
    u->part_size = (size_t) jr_s3_conf(s3)->part_size;
    u->done = done;
    u->data = data;
    u->work.data = u;
    u->key = strdup(key);
    u->path = strdup(path);
    u->buf = malloc(u->part_size);

    if (u->key == NULL || u->path == NULL || u->buf == NULL
        || uv_queue_work(jr_s3_loop(s3), &u->work, jr_s3_upload_read,
                         jr_s3_upload_have_part) != 0)
    {
        free(u->key);
        free(u->path);
        free(u->buf);
        free(u);
        return -1;
    }

    return 0;
}


/* Pool thread: the next part, and its hashes. */
static void
jr_s3_upload_read(uv_work_t *work)
{
    ssize_t          n;
    jr_s3_upload_t  *u;
    unsigned char    md[EVP_MAX_MD_SIZE];

    u = work->data;
    u->len = 0;

    if (u->own_fd && u->fd == -1) {
        u->fd = open(u->path, O_RDONLY | O_CLOEXEC);
        if (u->fd == -1) {
            u->read_errno = errno;
            return;
        }
    }

    while (u->len < u->part_size) {
        n = pread(u->fd, u->buf + u->len, u->part_size - u->len,
                  (off_t) (u->offset + u->len));

        if (n < 0 && errno == EINTR) {
            continue;
        }

        if (n < 0) {
            u->read_errno = errno;
            return;
        }

        if (n == 0) {
            break;
        }

        u->len += (size_t) n;
    }

    jr_sigv4_sha256_hex(u->buf, u->len, u->sha256);

    if (EVP_Digest(u->buf, u->len, md, NULL, EVP_md5(), NULL) == 1) {
        EVP_EncodeBlock((unsigned char *) u->md5, md, 16);
    }
}


static void
jr_s3_upload_have_part(uv_work_t *work, int status)
{
    char             msg[256];
    jr_s3_req_t     *req;
    jr_s3_upload_t  *u;

    u = work->data;

    if (status != 0) {
        jr_s3_upload_fail(u, "Canceled", "the read was canceled");
        return;
    }

    if (u->read_errno) {
        snprintf(msg, sizeof(msg), "%s: %s", u->path, strerror(u->read_errno));
        jr_s3_upload_fail(u, "ReadFailed", msg);
        return;
    }

    /* the first part and already the end: one PUT */
    if (u->offset == 0 && u->len < u->part_size) {
        req = jr_s3_put_req(u->s3, u->key, u->buf, u->len);
        if (req) {
            jr_s3_req_hashes(req, u->sha256, u->md5);
        }

        if (req == NULL || jr_s3_start(req, jr_s3_upload_put_done, u) != 0) {
            jr_s3_upload_fail(u, "Canceled", "cannot start the upload");
        }

        return;
    }

    if (u->upload_id == NULL) {
        req = jr_s3_mpu_create_req(u->s3, u->key);
        if (req == NULL || jr_s3_start(req, jr_s3_upload_created, u) != 0) {
            jr_s3_upload_fail(u, "Canceled", "cannot start the upload");
        }

        return;
    }

    /* an empty read after whole parts: the end */
    if (u->len == 0) {
        req = jr_s3_mpu_complete_req(u->s3, u->key, u->upload_id, u->etags,
                                     u->nparts);
        if (req == NULL
            || jr_s3_start(req, jr_s3_upload_completed, u) != 0)
        {
            jr_s3_upload_fail(u, "Canceled", "cannot complete the upload");
        }

        return;
    }

    req = jr_s3_mpu_part_req(u->s3, u->key, u->upload_id,
                             (unsigned) u->nparts + 1, u->buf, u->len);
    if (req) {
        jr_s3_req_hashes(req, u->sha256, u->md5);
    }

    if (req == NULL || jr_s3_start(req, jr_s3_upload_part_done, u) != 0) {
        jr_s3_upload_fail(u, "Canceled", "cannot send a part");
    }
}


static void
jr_s3_upload_put_done(jr_s3_req_t *req, void *data)
{
    jr_s3_upload_t  *u = data;

    if (!req->res.ok) {
        jr_s3_upload_fail_req(u, &req->res);
        return;
    }

    u->res.ok = 1;
    u->res.size = u->len;
    memcpy(u->res.etag, req->res.etag, sizeof(u->res.etag));

    jr_s3_upload_end(u);
}


static void
jr_s3_upload_created(jr_s3_req_t *req, void *data)
{
    jr_s3_upload_t  *u = data;

    if (!req->res.ok) {
        jr_s3_upload_fail_req(u, &req->res);
        return;
    }

    u->upload_id = req->res.upload_id;
    req->res.upload_id = NULL;

    /* the part read before the upload existed goes now */
    jr_s3_upload_have_part(&u->work, 0);
}


static void
jr_s3_upload_part_done(jr_s3_req_t *req, void *data)
{
    char            **grown;
    jr_s3_upload_t   *u = data;

    if (!req->res.ok) {
        jr_s3_upload_fail_req(u, &req->res);
        return;
    }

    grown = realloc(u->etags, (u->nparts + 1) * sizeof(char *));
    if (grown == NULL
        || (grown[u->nparts] = strdup(req->res.etag)) == NULL)
    {
        if (grown) {
            u->etags = grown;
        }

        jr_s3_upload_fail(u, "OutOfMemory", "cannot keep a part's ETag");
        return;
    }

    u->etags = grown;
    u->nparts++;
    u->offset += u->len;

    if (uv_queue_work(jr_s3_loop(u->s3), &u->work, jr_s3_upload_read,
                      jr_s3_upload_have_part) != 0)
    {
        jr_s3_upload_fail(u, "Canceled", "cannot read the next part");
    }
}


static void
jr_s3_upload_completed(jr_s3_req_t *req, void *data)
{
    jr_s3_upload_t  *u = data;

    if (!req->res.ok) {
        jr_s3_upload_fail_req(u, &req->res);
        return;
    }

    free(u->upload_id);
    u->upload_id = NULL;

    u->res.ok = 1;
    u->res.size = u->offset;
    u->res.parts = (unsigned) u->nparts;
    memcpy(u->res.etag, req->res.etag, sizeof(u->res.etag));

    jr_s3_upload_end(u);
}
