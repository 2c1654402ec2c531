/*
 * libFuzzer target: the S3 client's reading of answers (jr_s3_xml.c), the
 * XML a bucket, a proxy in front of it or anything at its address sends
 * back.  The first byte picks the operation, the second the HTTP status,
 * the rest is the body.  Beyond "no crash", it checks what the callers
 * (backup, restore, mirrors) rely on:
 *
 *   - a result is either ok with no error code, or failed with one;
 *   - a failed status is never ok;
 *   - a listing that is ok has a key for every object, a prefix for every
 *     CommonPrefixes, and a continuation token when it says it is
 *     truncated;
 *   - a created multipart upload that is ok has an upload id.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3/jr_s3.h"
#include "s3/jr_s3_int.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static const long  fuzz_status[] = { 200, 200, 200, 204, 206, 301, 400,
                                     403, 404, 412, 500, 503 };

static jr_s3_t  *s3;


static jr_s3_t *
fuzz_client(void)
{
    static jr_s3_conf_t  conf;

    if (s3) {
        return s3;
    }

    jr_s3_conf_init(&conf);
    conf.endpoint = "http://127.0.0.1:9";
    conf.region = "us-east-1";
    conf.bucket = "fuzz";
    conf.url_style = JR_S3_URL_PATH;
    conf.access_key = "AKIDEXAMPLE";
    conf.secret_key = "secret";
    conf.timeout = 1;
    conf.max_attempts = 1;

    s3 = jr_s3_open(&conf, NULL);
    if (s3 == NULL) {
        abort();
    }

    return s3;
}


static jr_s3_req_t *
fuzz_req(unsigned op)
{
    static char  *etags[] = { "e1", "e2" };

    switch (op % 7) {
    case 0:
        return jr_s3_list_req(s3, "p/", op & 8 ? "/" : NULL,
                              op & 16 ? "token" : NULL, 1000);
    case 1:
        return jr_s3_mpu_create_req(s3, "k");
    case 2:
        return jr_s3_mpu_complete_req(s3, "k", "id", etags, 2);
    case 3:
        return jr_s3_copy_req(s3, "a", "b");
    case 4:
        return jr_s3_put_req(s3, "k", "x", 1);
    case 5:
        return jr_s3_head_req(s3, "k");
    default:
        return jr_s3_get_req(s3, "k");
    }
}


static void
fuzz_check_list(const jr_s3_list_t *list)
{
    size_t  i;

    for (i = 0; i < list->nobjects; i++) {
        if (list->objects[i].key == NULL) {
            abort();
        }
    }

    for (i = 0; i < list->nprefixes; i++) {
        if (list->prefixes[i] == NULL) {
            abort();
        }
    }

    if (list->truncated
        && (list->next_token == NULL || list->next_token[0] == '\0'))
    {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long                   status;
    unsigned               op;
    jr_s3_req_t           *req;
    const jr_s3_result_t  *res;

    if (size < 2) {
        return 0;
    }

    fuzz_client();

    op = data[0];
    status = fuzz_status[data[1] % (sizeof(fuzz_status) / sizeof(long))];
    data += 2;
    size -= 2;

    req = fuzz_req(op);
    if (req == NULL) {
        abort();
    }

    /* the body as the transfer leaves it: the request's buffer */
    req->buf = malloc(size + 1);
    if (req->buf == NULL) {
        abort();
    }

    memcpy(req->buf, data, size);
    req->buf[size] = '\0';
    req->buf_len = size;

    jr_s3_parse(req, status, req->buf, req->buf_len);

    res = &req->res;

    if (res->ok != (res->code[0] == '\0')) {
        abort();
    }

    if (res->ok && (status < 200 || status > 299)) {
        abort();
    }

    if (res->ok && op % 7 == 0) {
        fuzz_check_list(&res->list);
    }

    if (res->ok && op % 7 == 1
        && (res->upload_id == NULL || res->upload_id[0] == '\0'))
    {
        abort();
    }

    jr_s3_req_free(req);

    return 0;
}
