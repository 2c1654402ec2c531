/*
 * An answer into its request's result: the status, the XML body as
 * jr_s3_xml.c reads it, and what each operation needs of it.
 *
 * CompleteMultipartUpload and CopyObject may answer 200 and still fail,
 * with an <Error> body: that is a failure here too.  So is an upload,
 * a download or a HEAD answered 2xx without an ETag.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3/jr_s3_int.h"
#include "s3/jr_s3_xml.h"


void
jr_s3_fail(jr_s3_req_t *req, const char *code, const char *message)
{
    req->res.ok = 0;
    snprintf(req->res.code, sizeof(req->res.code), "%s", code);
    snprintf(req->res.message, sizeof(req->res.message), "%s", message);
}


void
jr_s3_unquote(char *etag)
{
    size_t  len;

    len = strlen(etag);

    if (len >= 2 && etag[0] == '"' && etag[len - 1] == '"') {
        memmove(etag, etag + 1, len - 2);
        etag[len - 2] = '\0';
    }
}


/* The code of an answer without an <Error> body (HEAD has none). */
static void
jr_s3_status_error(jr_s3_req_t *req, long status)
{
    char  msg[64];

    snprintf(msg, sizeof(msg), "HTTP status %ld", status);

    jr_s3_fail(req, status == 404 ? "NotFound"
                    : status == 403 ? "AccessDenied"
                    : status == 412 ? "PreconditionFailed"
                    : status >= 500 ? "ServiceUnavailable" : "BadRequest",
               msg);
}


/*
 * The parser's listing into the result's: the strings and the prefixes
 * are taken, the ETags unquoted.  0, or -1 out of memory.
 */
static int
jr_s3_answer_list(jr_s3_list_t *list, jr_s3_xml_t *x)
{
    size_t               i;
    jr_s3_object_t      *o;
    jr_s3_xml_object_t  *xo;

    list->objects = calloc(x->nobjects ? x->nobjects : 1,
                           sizeof(jr_s3_object_t));
    if (list->objects == NULL) {
        return -1;
    }

    for (i = 0; i < x->nobjects; i++) {
        o = &list->objects[i];
        xo = &x->objects[i];

        o->key = xo->key;
        o->size = xo->size;
        o->etag = xo->etag;
        o->last_modified = xo->last_modified;

        if (o->etag) {
            jr_s3_unquote(o->etag);
        }
    }

    list->nobjects = x->nobjects;
    list->prefixes = x->prefixes;
    list->nprefixes = x->nprefixes;
    list->truncated = x->truncated;
    list->next_token = x->next_token;

    /* theirs now */
    free(x->objects);
    x->objects = NULL;
    x->nobjects = 0;
    x->prefixes = NULL;
    x->nprefixes = 0;
    x->next_token = NULL;

    return 0;
}


void
jr_s3_answer(jr_s3_req_t *req, long status, unsigned char *body, size_t len)
{
    int              ok;
    char             msg[64];
    jr_s3_xml_t      x;
    jr_s3_result_t  *res;

    res = &req->res;
    ok = status >= 200 && status <= 299;

    /*
     * S3 names every object it stores or sends by its ETag; a 2xx without
     * one is not S3 (a proxy's or a captive portal's page): nothing was
     * stored, and the bytes are not the object's.
     */
    if (ok && res->etag[0] == '\0'
        && (req->op == JR_S3_OP_PUT || req->op == JR_S3_OP_MPU_PART
            || req->op == JR_S3_OP_GET || req->op == JR_S3_OP_HEAD))
    {
        jr_s3_fail(req, "BadResponse", "a 2xx answer without an ETag");
        return;
    }

    /* an object's bytes are the caller's, not XML */
    if (ok && req->op == JR_S3_OP_GET) {
        res->ok = 1;
        res->body = body ? body : (unsigned char *) strdup("");
        res->body_len = len;
        req->buf = NULL;

        if (res->body == NULL) {
            jr_s3_fail(req, "OutOfMemory", "cannot keep the body");
        }

        return;
    }

    jr_s3_xml_parse(&x, (const char *) body, len);

    if (!ok || x.root == JR_S3_XML_ERROR) {
        if (x.root == JR_S3_XML_ERROR) {
            snprintf(res->code, sizeof(res->code), "%s", x.code);
            snprintf(res->message, sizeof(res->message), "%s", x.message);
        }

        if (res->code[0] == '\0') {
            jr_s3_status_error(req, status);
        }

        res->ok = 0;
        goto done;
    }

    res->ok = 1;

    switch (req->op) {

    case JR_S3_OP_LIST:
        if (x.root != JR_S3_XML_LIST) {
            jr_s3_fail(req, "BadResponse", "not a ListBucketResult");

        } else if (jr_s3_answer_list(&res->list, &x) != 0) {
            jr_s3_fail(req, "OutOfMemory", "cannot keep the listing");
        }

        break;

    case JR_S3_OP_MPU_CREATE:
        res->upload_id = x.upload_id;
        x.upload_id = NULL;

        if (res->upload_id == NULL || res->upload_id[0] == '\0') {
            jr_s3_fail(req, "BadResponse", "no UploadId in the answer");
        }

        break;

    case JR_S3_OP_MPU_COMPLETE:
    case JR_S3_OP_COPY:
        if (x.root == JR_S3_XML_NONE) {
            snprintf(msg, sizeof(msg), "HTTP status %ld without a result",
                     status);
            jr_s3_fail(req, "BadResponse", msg);
            break;
        }

        snprintf(res->etag, sizeof(res->etag), "%s", x.etag);
        jr_s3_unquote(res->etag);
        break;

    default:
        break;
    }

done:

    jr_s3_xml_free(&x);
}
