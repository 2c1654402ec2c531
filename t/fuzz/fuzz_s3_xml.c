/*
 * libFuzzer target: S3's XML answers (jr_s3_xml.c, linked alone with
 * libxml2), what a bucket, a proxy in front of it or anything at its
 * address sends back; the input is the body.  Beyond "no crash", it
 * checks what the client (jr_s3_answer.c) relies on:
 *
 *   - the code, message and ETag are strings within their arrays;
 *   - a listing has a key for every object, a prefix for every
 *     CommonPrefixes, and a continuation token when it says it is
 *     truncated;
 *   - nothing but a listing has objects, prefixes or a token;
 *   - an <Error> has no ETag and no upload id.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "s3/jr_s3_xml.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static void
fuzz_check_list(const jr_s3_xml_t *x)
{
    size_t  i;

    for (i = 0; i < x->nobjects; i++) {
        if (x->objects[i].key == NULL) {
            abort();
        }
    }

    for (i = 0; i < x->nprefixes; i++) {
        if (x->prefixes[i] == NULL) {
            abort();
        }
    }

    if (x->truncated && (x->next_token == NULL || x->next_token[0] == '\0')) {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    jr_s3_xml_t  x;

    jr_s3_xml_parse(&x, (const char *) data, size);

    if (memchr(x.code, '\0', sizeof(x.code)) == NULL
        || memchr(x.message, '\0', sizeof(x.message)) == NULL
        || memchr(x.etag, '\0', sizeof(x.etag)) == NULL)
    {
        abort();
    }

    if (x.root == JR_S3_XML_LIST) {
        fuzz_check_list(&x);

    } else if (x.objects || x.nobjects || x.prefixes || x.nprefixes
               || x.truncated || x.next_token)
    {
        abort();
    }

    if (x.root == JR_S3_XML_ERROR && (x.etag[0] != '\0' || x.upload_id)) {
        abort();
    }

    jr_s3_xml_free(&x);

    return 0;
}
