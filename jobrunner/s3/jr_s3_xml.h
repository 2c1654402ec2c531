/*
 * S3's XML answers, read with libxml2 alone: what a body says, nothing of
 * the HTTP status or of the request it answers, which the client
 * (jr_s3_answer.c) weighs.  Values are as written: an ETag keeps its
 * quotes.
 *
 *     <Error><Code>NoSuchKey</Code><Message>...</Message></Error>
 *     <ListBucketResult><IsTruncated>, <NextContinuationToken>,
 *         <Contents><Key><Size><ETag><LastModified>, <CommonPrefixes><Prefix>
 *     <InitiateMultipartUploadResult><UploadId>
 *     <CompleteMultipartUploadResult><ETag>, <CopyObjectResult><ETag>
 */

#ifndef JR_S3_XML_H
#define JR_S3_XML_H

#include <stddef.h>
#include <stdint.h>


typedef enum {
    JR_S3_XML_NONE = 0,     /* no body, not XML, or out of memory */
    JR_S3_XML_ERROR,        /* <Error>: code, message */
    JR_S3_XML_LIST,         /* a <ListBucketResult> with all a page needs */
    JR_S3_XML_OTHER         /* any other root, a ListBucketResult lacking a
                               Key, a Size, a Prefix or its token among it */
} jr_s3_xml_root_e;

/* A <Contents> of a listing. */
typedef struct {
    char               *key;
    uint64_t            size;
    char               *etag;             /* or NULL */
    char               *last_modified;    /* or NULL */
} jr_s3_xml_object_t;

typedef struct {
    jr_s3_xml_root_e    root;

    /* ERROR: <Code> and <Message>, cut to fit; "" when absent */
    char                code[64];
    char                message[256];

    /*
     * any root but <Error>: its <ETag> ("" when absent, cut to fit) and
     * its <UploadId> (NULL when absent)
     */
    char                etag[128];
    char               *upload_id;

    /* LIST: every key has its size; a truncated page has a token */
    jr_s3_xml_object_t *objects;
    size_t              nobjects;
    char              **prefixes;         /* <CommonPrefixes><Prefix> */
    size_t              nprefixes;
    int                 truncated;
    char               *next_token;       /* or NULL */
} jr_s3_xml_t;


/* libxml2 set up, before any thread parses (it would do it lazily). */
void jr_s3_xml_init(void);

/*
 * Reads the len bytes of body (no network, no entity expansion; elements
 * matched by local name, so S3's namespace and those of compatible
 * servers both do) into *x, which jr_s3_xml_free() then releases.
 */
void jr_s3_xml_parse(jr_s3_xml_t *x, const char *body, size_t len);

void jr_s3_xml_free(jr_s3_xml_t *x);

#endif /* JR_S3_XML_H */
