/*
 * Whole operations of the S3 client in the calling thread: a file
 * uploaded part by part with jr_s3_perform(), and the ETag such an upload
 * gets, computed locally.  See jr_s3.h.  For pool threads (the mirror
 * jobs), never the loop.
 *
 * Both split a file as jr_s3_upload() does (one PUT below part_size, parts
 * of exactly part_size and the rest above), so that the ETag computed here
 * is the one S3 lists for an object any of them stored.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "s3/jr_s3_int.h"
#include "s3/jr_sigv4.h"


#define JR_S3_SYNC_CHUNK  (1U << 20)     /* hashing reads */


/* len bytes at offset; 0, or -1 with errno (EIO: the file is shorter). */
static int
jr_s3_sync_read(int fd, void *buf, size_t len, uint64_t offset)
{
    size_t   done;
    ssize_t  n;

    for (done = 0; done < len; done += (size_t) n) {
        n = pread(fd, (char *) buf + done, len - done,
                  (off_t) (offset + done));

        if (n < 0 && errno == EINTR) {
            n = 0;
            continue;
        }

        if (n < 0) {
            return -1;
        }

        if (n == 0) {
            errno = EIO;
            return -1;
        }
    }

    return 0;
}


static void
jr_s3_sync_hex(const unsigned char *md, size_t len, char *out)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    }
}


/*
 * The binary MD5 of len bytes at offset, read in chunks; the bytes also go
 * into whole, when given.
 */
static int
jr_s3_sync_md5(int fd, uint64_t offset, uint64_t len, unsigned char *buf,
    unsigned char md[16], EVP_MD_CTX *whole)
{
    int          rc;
    size_t       n;
    EVP_MD_CTX  *ctx;

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        errno = ENOMEM;
        return -1;
    }

    rc = 0;

    while (len > 0 && rc == 0) {
        n = len < JR_S3_SYNC_CHUNK ? (size_t) len : JR_S3_SYNC_CHUNK;

        rc = jr_s3_sync_read(fd, buf, n, offset);
        if (rc == 0
            && (EVP_DigestUpdate(ctx, buf, n) != 1
                || (whole && EVP_DigestUpdate(whole, buf, n) != 1)))
        {
            errno = ENOMEM;
            rc = -1;
        }

        offset += n;
        len -= n;
    }

    if (rc == 0 && EVP_DigestFinal_ex(ctx, md, NULL) != 1) {
        errno = ENOMEM;
        rc = -1;
    }

    EVP_MD_CTX_free(ctx);

    return rc;
}


int
jr_s3_etag_fd(int fd, uint64_t size, uint64_t part_size, char *etag,
    size_t etag_size, char *md5_hex)
{
    int             rc;
    uint64_t        off, n, nparts;
    EVP_MD_CTX     *whole;
    unsigned char  *buf, md[16], *mds;

    /* 32 hex digits, "-" and at most 10000 parts, as S3 allows */
    if (etag_size < 32 + 1 + 5 + 1) {
        errno = EINVAL;
        return -1;
    }

    buf = malloc(JR_S3_SYNC_CHUNK);
    if (buf == NULL) {
        return -1;
    }

    if (size < part_size) {
        rc = jr_s3_sync_md5(fd, 0, size, buf, md, NULL);
        if (rc == 0) {
            jr_s3_sync_hex(md, 16, etag);
            memcpy(md5_hex, etag, 33);
        }

        free(buf);
        return rc;
    }

    nparts = (size + part_size - 1) / part_size;

    mds = malloc(nparts * 16);
    whole = EVP_MD_CTX_new();

    if (mds == NULL || whole == NULL
        || EVP_DigestInit_ex(whole, EVP_md5(), NULL) != 1)
    {
        EVP_MD_CTX_free(whole);
        free(mds);
        free(buf);
        errno = ENOMEM;
        return -1;
    }

    rc = 0;

    for (off = 0; off < size && rc == 0; off += n) {
        n = size - off < part_size ? size - off : part_size;
        rc = jr_s3_sync_md5(fd, off, n, buf, mds + off / part_size * 16,
                            whole);
    }

    if (rc == 0
        && (EVP_Digest(mds, nparts * 16, md, NULL, EVP_md5(), NULL) != 1
            || EVP_DigestFinal_ex(whole, mds, NULL) != 1))
    {
        errno = ENOMEM;
        rc = -1;
    }

    if (rc == 0) {
        jr_s3_sync_hex(md, 16, etag);
        snprintf(etag + 32, etag_size - 32, "-%llu",
                 (unsigned long long) nparts);

        /* the whole file's MD5 went where the first part's was */
        jr_s3_sync_hex(mds, 16, md5_hex);
    }

    EVP_MD_CTX_free(whole);
    free(mds);
    free(buf);

    return rc;
}


static void
jr_s3_sync_fail(jr_s3_upload_result_t *res, const jr_s3_result_t *r)
{
    res->ok = 0;
    memcpy(res->code, r->code, sizeof(res->code));
    memcpy(res->message, r->message, sizeof(res->message));
}


static void
jr_s3_sync_error(jr_s3_upload_result_t *res, const char *code,
    const char *message)
{
    res->ok = 0;
    snprintf(res->code, sizeof(res->code), "%s", code);
    snprintf(res->message, sizeof(res->message), "%s", message);
}


/* One request performed; its ETag into etag; 0 or -1 (res filled). */
static int
jr_s3_sync_perform(jr_s3_req_t *req, jr_s3_upload_result_t *res, char *etag,
    size_t etag_size, char **upload_id)
{
    int  rc;

    if (req == NULL) {
        jr_s3_sync_error(res, "OutOfMemory", "cannot make the request");
        return -1;
    }

    rc = jr_s3_perform(req);

    if (rc != 0) {
        jr_s3_sync_fail(res, &req->res);

    } else if (etag) {
        snprintf(etag, etag_size, "%s", req->res.etag);

    } else if (upload_id) {
        *upload_id = req->res.upload_id;
        req->res.upload_id = NULL;
    }

    jr_s3_req_free(req);

    return rc;
}


/* A part's body read with its hashes, given to the request. */
static jr_s3_req_t *
jr_s3_sync_body(jr_s3_req_t *req, const unsigned char *buf, size_t len)
{
    char           sha256[65], md5[32];
    unsigned char  md[EVP_MAX_MD_SIZE];

    if (req == NULL) {
        return NULL;
    }

    if (EVP_Digest(buf, len, md, NULL, EVP_md5(), NULL) != 1) {
        jr_s3_req_free(req);
        return NULL;
    }

    EVP_EncodeBlock((unsigned char *) md5, md, 16);
    jr_sigv4_sha256_hex(buf, len, sha256);
    jr_s3_req_hashes(req, sha256, md5);

    return req;
}


int
jr_s3_upload_sync(jr_s3_t *s3, const char *key, int fd, uint64_t size,
    jr_s3_upload_result_t *res)
{
    int             rc;
    char           *upload_id, **etags, msg[256];
    size_t          len, i, nparts;
    uint64_t        part_size, off;
    jr_s3_req_t    *req;
    unsigned char  *buf;

    memset(res, 0, sizeof(jr_s3_upload_result_t));

    part_size = jr_s3_conf(s3)->part_size;
    len = (size_t) (size < part_size ? size : part_size);

    /* malloc(0) may be NULL: an empty file still needs a buffer */
    buf = malloc(len ? len : 1);
    if (buf == NULL) {
        jr_s3_sync_error(res, "OutOfMemory", "cannot hold a part");
        return -1;
    }

    if (size < part_size) {
        if (jr_s3_sync_read(fd, buf, len, 0) != 0) {
            snprintf(msg, sizeof(msg), "cannot read: %s", strerror(errno));
            jr_s3_sync_error(res, "ReadFailed", msg);
            free(buf);
            return -1;
        }

        req = jr_s3_sync_body(jr_s3_put_req(s3, key, buf, len), buf, len);
        rc = jr_s3_sync_perform(req, res, res->etag, sizeof(res->etag),
                                NULL);
        free(buf);

        res->ok = rc == 0;
        res->size = size;

        return rc;
    }

    nparts = (size_t) ((size + part_size - 1) / part_size);
    upload_id = NULL;

    etags = calloc(nparts, sizeof(char *));
    if (etags == NULL) {
        jr_s3_sync_error(res, "OutOfMemory", "cannot keep the parts' ETags");
        free(buf);
        return -1;
    }

    rc = jr_s3_sync_perform(jr_s3_mpu_create_req(s3, key), res, NULL, 0,
                            &upload_id);

    for (i = 0; rc == 0 && i < nparts; i++) {
        off = i * part_size;
        len = (size_t) (size - off < part_size ? size - off : part_size);

        if (jr_s3_sync_read(fd, buf, len, off) != 0) {
            snprintf(msg, sizeof(msg), "cannot read: %s", strerror(errno));
            jr_s3_sync_error(res, "ReadFailed", msg);
            rc = -1;
            break;
        }

        etags[i] = malloc(sizeof(res->etag));
        if (etags[i] == NULL) {
            jr_s3_sync_error(res, "OutOfMemory", "cannot keep an ETag");
            rc = -1;
            break;
        }

        req = jr_s3_sync_body(jr_s3_mpu_part_req(s3, key, upload_id,
                                                 (unsigned) i + 1, buf, len),
                              buf, len);
        rc = jr_s3_sync_perform(req, res, etags[i], sizeof(res->etag), NULL);
    }

    if (rc == 0) {
        rc = jr_s3_sync_perform(jr_s3_mpu_complete_req(s3, key, upload_id,
                                                       etags, nparts),
                                res, res->etag, sizeof(res->etag), NULL);

    } else if (upload_id) {
        /* the parts would be kept, and billed, until aborted */
        req = jr_s3_mpu_abort_req(s3, key, upload_id);
        if (req) {
            (void) jr_s3_perform(req);
            jr_s3_req_free(req);
        }
    }

    for (i = 0; i < nparts; i++) {
        free(etags[i]);
    }

    free(etags);
    free(upload_id);
    free(buf);

    res->ok = rc == 0;
    res->size = size;
    res->parts = rc == 0 ? (unsigned) nparts : 0;

    return rc;
}
