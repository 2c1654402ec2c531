/*
 * S3's XML answers; see jr_s3_xml.h.  A listing is only LIST when it is
 * whole: an object without a key or a size, or a truncated page without
 * the token of the next, would have the client skip objects or list the
 * same page forever.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "s3/jr_s3_xml.h"


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


/* The listing of a ListBucketResult: 0, or -1 when it is not whole. */
static int
jr_s3_xml_list(jr_s3_xml_t *x, const xmlNode *root)
{
    char                *truncated, *size;
    size_t               n, p;
    const xmlNode       *node;
    jr_s3_xml_object_t  *o;

    n = 0;
    p = 0;

    for (node = root->children; node; node = node->next) {
        n += jr_s3_xml_is(node, "Contents");
        p += jr_s3_xml_is(node, "CommonPrefixes");
    }

    x->objects = calloc(n ? n : 1, sizeof(jr_s3_xml_object_t));
    x->prefixes = calloc(p ? p : 1, sizeof(char *));

    if (x->objects == NULL || x->prefixes == NULL) {
        return -1;
    }

    for (node = root->children; node; node = node->next) {
        if (jr_s3_xml_is(node, "Contents")) {
            o = &x->objects[x->nobjects++];
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

            continue;
        }

        if (jr_s3_xml_is(node, "CommonPrefixes")) {
            x->prefixes[x->nprefixes] = jr_s3_xml_text(node, "Prefix");
            if (x->prefixes[x->nprefixes++] == NULL) {
                return -1;
            }
        }
    }

    truncated = jr_s3_xml_text(root, "IsTruncated");
    x->truncated = truncated && strcmp(truncated, "true") == 0;
    free(truncated);

    x->next_token = jr_s3_xml_text(root, "NextContinuationToken");

    if (x->truncated && (x->next_token == NULL || x->next_token[0] == '\0')) {
        return -1;
    }

    return 0;
}


/* Frees the listing's part. */
static void
jr_s3_xml_list_free(jr_s3_xml_t *x)
{
    size_t  i;

    for (i = 0; i < x->nobjects; i++) {
        free(x->objects[i].key);
        free(x->objects[i].etag);
        free(x->objects[i].last_modified);
    }

    for (i = 0; i < x->nprefixes; i++) {
        free(x->prefixes[i]);
    }

    free(x->objects);
    free(x->prefixes);
    free(x->next_token);

    x->objects = NULL;
    x->nobjects = 0;
    x->prefixes = NULL;
    x->nprefixes = 0;
    x->truncated = 0;
    x->next_token = NULL;
}


void
jr_s3_xml_init(void)
{
    xmlInitParser();
}


void
jr_s3_xml_parse(jr_s3_xml_t *x, const char *body, size_t len)
{
    xmlDoc         *doc;
    const xmlNode  *root;

    memset(x, 0, sizeof(jr_s3_xml_t));

    /* libxml2 takes an int; no answer we keep in memory comes near */
    if (len == 0 || len > 0x7fffffff) {
        return;
    }

    doc = xmlReadMemory(body, (int) len, "s3.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR
                        | XML_PARSE_NOWARNING);
    root = doc ? xmlDocGetRootElement(doc) : NULL;

    if (root == NULL) {
        goto done;
    }

    if (jr_s3_xml_is(root, "Error")) {
        x->root = JR_S3_XML_ERROR;
        jr_s3_xml_copy(root, "Code", x->code, sizeof(x->code));
        jr_s3_xml_copy(root, "Message", x->message, sizeof(x->message));
        goto done;
    }

    x->root = JR_S3_XML_OTHER;
    jr_s3_xml_copy(root, "ETag", x->etag, sizeof(x->etag));
    x->upload_id = jr_s3_xml_text(root, "UploadId");

    if (jr_s3_xml_is(root, "ListBucketResult")) {
        if (jr_s3_xml_list(x, root) == 0) {
            x->root = JR_S3_XML_LIST;

        } else {
            jr_s3_xml_list_free(x);
        }
    }

done:

    if (doc) {
        xmlFreeDoc(doc);
    }
}


void
jr_s3_xml_free(jr_s3_xml_t *x)
{
    jr_s3_xml_list_free(x);
    free(x->upload_id);
    x->upload_id = NULL;
}
