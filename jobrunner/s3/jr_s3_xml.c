/*
 * S3's answers: XML bodies read with libxml2 (no network, no entity
 * expansion), elements matched by local name, so S3's namespace and
 * those of compatible servers both do.
 *
 *     <Error><Code>NoSuchKey</Code><Message>...</Message></Error>
 *     <ListBucketResult><IsTruncated>, <NextContinuationToken>,
 *         <Contents><Key><Size><ETag><LastModified>, <CommonPrefixes><Prefix>
 *     <InitiateMultipartUploadResult><UploadId>
 *     <CompleteMultipartUploadResult><ETag>, <CopyObjectResult><ETag>
 *
 * CompleteMultipartUpload and CopyObject may answer 200 and still fail,
 * with an <Error> body: that is a failure here too.  So is an upload,
 * a download or a HEAD answered 2xx without an ETag.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "s3/jr_s3_int.h"


static int
jr_s3_xml_is(const xmlNode *node, const char *name)
{
    return node->type == XML_ELEMENT_NODE
           && strcmp((const char *) node->name, name) == 0;
}


static const xmlNode *
jr_s3_xml_child(const xmlNode *node, const char *name)
{
    for (node = node->children; node; node = node->next) {
        if (jr_s3_xml_is(node, name)) {
            return node;
        }
    }

    return NULL;
}


/* The text of a child element, malloc'ed ("" when empty), or NULL. */
static char *
jr_s3_xml_text(const xmlNode *node, const char *name)
{
    char     *s;
    xmlChar  *text;

    node = jr_s3_xml_child(node, name);
    if (node == NULL) {
        return NULL;
    }

    text = xmlNodeGetContent(node);
    s = strdup(text ? (const char *) text : "");
    xmlFree(text);

    return s;
}


static void
jr_s3_xml_copy(const xmlNode *node, const char *name, char *out, size_t size)
{
    char  *s;

    s = jr_s3_xml_text(node, name);

    snprintf(out, size, "%s", s ? s : "");
    free(s);
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


static int
jr_s3_xml_list(jr_s3_list_t *list, const xmlNode *root)
{
    char            *truncated, *size;
    size_t           n, p;
    const xmlNode   *node, *prefix;
    jr_s3_object_t  *o;

    n = 0;
    p = 0;

    for (node = root->children; node; node = node->next) {
        n += jr_s3_xml_is(node, "Contents");
        p += jr_s3_xml_is(node, "CommonPrefixes");
    }

    list->objects = calloc(n ? n : 1, sizeof(jr_s3_object_t));
    list->prefixes = calloc(p ? p : 1, sizeof(char *));

    if (list->objects == NULL || list->prefixes == NULL) {
        return -1;
    }

    for (node = root->children; node; node = node->next) {
        if (jr_s3_xml_is(node, "Contents")) {
            o = &list->objects[list->nobjects++];
            o->key = jr_s3_xml_text(node, "Key");
            o->etag = jr_s3_xml_text(node, "ETag");
            o->last_modified = jr_s3_xml_text(node, "LastModified");
            size = jr_s3_xml_text(node, "Size");

            if (o->key == NULL || size == NULL) {
                free(size);
                return -1;
            }

            o->size = strtoull(size, NULL, 10);
            free(size);

            if (o->etag) {
                jr_s3_unquote(o->etag);
            }

            continue;
        }

        if (jr_s3_xml_is(node, "CommonPrefixes")) {
            prefix = jr_s3_xml_child(node, "Prefix");
            if (prefix == NULL) {
                return -1;
            }

            list->prefixes[list->nprefixes] = jr_s3_xml_text(node, "Prefix");
            if (list->prefixes[list->nprefixes++] == NULL) {
                return -1;
            }
        }
    }

    truncated = jr_s3_xml_text(root, "IsTruncated");
    list->truncated = truncated && strcmp(truncated, "true") == 0;
    free(truncated);

    list->next_token = jr_s3_xml_text(root, "NextContinuationToken");

    /* a truncated page without a token would list the same page again */
    if (list->truncated && (list->next_token == NULL
                            || list->next_token[0] == '\0'))
    {
        return -1;
    }

    return 0;
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


void
jr_s3_parse(jr_s3_req_t *req, long status, unsigned char *body, size_t len)
{
    int              ok, root_error;
    char             msg[64];
    xmlDoc          *doc;
    const xmlNode   *root;
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

    doc = NULL;
    root = NULL;

    if (len > 0) {
        doc = xmlReadMemory((const char *) body, (int) len, "s3.xml", NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR
                            | XML_PARSE_NOWARNING);
        root = doc ? xmlDocGetRootElement(doc) : NULL;
    }

    root_error = root && jr_s3_xml_is(root, "Error");

    if (!ok || root_error) {
        if (root_error) {
            jr_s3_xml_copy(root, "Code", res->code, sizeof(res->code));
            jr_s3_xml_copy(root, "Message", res->message,
                           sizeof(res->message));
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
        if (root == NULL || !jr_s3_xml_is(root, "ListBucketResult")
            || jr_s3_xml_list(&res->list, root) != 0)
        {
            jr_s3_fail(req, "BadResponse", "not a ListBucketResult");
        }

        break;

    case JR_S3_OP_MPU_CREATE:
        res->upload_id = root ? jr_s3_xml_text(root, "UploadId") : NULL;

        if (res->upload_id == NULL || res->upload_id[0] == '\0') {
            jr_s3_fail(req, "BadResponse", "no UploadId in the answer");
        }

        break;

    case JR_S3_OP_MPU_COMPLETE:
    case JR_S3_OP_COPY:
        if (root == NULL) {
            snprintf(msg, sizeof(msg), "HTTP status %ld without a result",
                     status);
            jr_s3_fail(req, "BadResponse", msg);
            break;
        }

        jr_s3_xml_copy(root, "ETag", res->etag, sizeof(res->etag));
        jr_s3_unquote(res->etag);
        break;

    default:
        break;
    }

done:

    if (doc) {
        xmlFreeDoc(doc);
    }
}
