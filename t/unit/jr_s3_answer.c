/*
 * Unit tests of S3's answers: the XML parser alone (jr_s3_xml.c), and the
 * client's reading of an answer's status and body into a request's result
 * (jr_s3_answer.c), what backup, restore and mirrors act on.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#include "s3/jr_s3.h"
#include "s3/jr_s3_int.h"
#include "s3/jr_s3_xml.h"


#define NS  " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""

static const char  listing[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult" NS "><Name>b</Name><Prefix>p/</Prefix>"
    "<IsTruncated>true</IsTruncated>"
    "<NextContinuationToken>tok=</NextContinuationToken>"
    "<Contents><Key>p/a.db</Key><Size>1234</Size>"
    "<ETag>&quot;0cc175b9c0f1b6a831c399e269772661&quot;</ETag>"
    "<LastModified>2026-05-01T12:00:00.000Z</LastModified></Contents>"
    "<Contents><Key>p/b &amp; c</Key><Size>0</Size></Contents>"
    "<CommonPrefixes><Prefix>p/wal/</Prefix></CommonPrefixes>"
    "</ListBucketResult>";

static const char  untokened[] =
    "<ListBucketResult><IsTruncated>true</IsTruncated>"
    "<Contents><Key>k</Key><Size>1</Size></Contents></ListBucketResult>";

static const char  sizeless[] =
    "<ListBucketResult><IsTruncated>false</IsTruncated>"
    "<Contents><Key>k</Key></Contents></ListBucketResult>";

static const char  error[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey"
    "</Code><Message>The specified key does not exist.</Message>"
    "<Key>k</Key></Error>";

static const char  created[] =
    "<InitiateMultipartUploadResult" NS "><Bucket>b</Bucket><Key>k</Key>"
    "<UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>";

static const char  copied[] =
    "<CopyObjectResult><LastModified>2026-05-01T12:00:00.000Z</LastModified>"
    "<ETag>\"9b2cf535f27731c974343645a3985328\"</ETag></CopyObjectResult>";


static void
parse(jr_s3_xml_t *x, const char *body)
{
    jr_s3_xml_parse(x, body, strlen(body));
}


static void
test_parser(void)
{
    char         big[512];
    jr_s3_xml_t  x;

    parse(&x, listing);
    is_int(x.root, JR_S3_XML_LIST, "a listing, in S3's namespace");
    is_int(x.nobjects, 2, "... two objects");
    is_str(x.objects[0].key, "p/a.db", "... the first key");
    is_int(x.objects[0].size, 1234, "... its size");
    is_str(x.objects[0].etag, "\"0cc175b9c0f1b6a831c399e269772661\"",
           "... its ETag as written, quotes included");
    is_str(x.objects[0].last_modified, "2026-05-01T12:00:00.000Z",
           "... its LastModified");
    is_str(x.objects[1].key, "p/b & c", "... the second key, unescaped");
    ok(x.objects[1].etag == NULL, "... which has no ETag");
    is_int(x.nprefixes, 1, "... one CommonPrefixes");
    is_str(x.prefixes[0], "p/wal/", "... its Prefix");
    is_int(x.truncated, 1, "... truncated");
    is_str(x.next_token, "tok=", "... with the token of the next page");
    jr_s3_xml_free(&x);

    parse(&x, untokened);
    is_int(x.root, JR_S3_XML_OTHER,
           "a truncated page without a token is not a listing");
    ok(x.objects == NULL && x.nobjects == 0, "... and has no objects");
    jr_s3_xml_free(&x);

    parse(&x, sizeless);
    is_int(x.root, JR_S3_XML_OTHER, "nor is one with a key but no size");
    jr_s3_xml_free(&x);

    parse(&x, error);
    is_int(x.root, JR_S3_XML_ERROR, "an Error");
    is_str(x.code, "NoSuchKey", "... its Code");
    is_str(x.message, "The specified key does not exist.", "... its Message");
    jr_s3_xml_free(&x);

    snprintf(big, sizeof(big), "<Error><Code>%0200d</Code></Error>", 0);
    parse(&x, big);
    is_int(strlen(x.code), sizeof(x.code) - 1, "a long Code is cut to fit");
    jr_s3_xml_free(&x);

    parse(&x, created);
    is_int(x.root, JR_S3_XML_OTHER, "an InitiateMultipartUploadResult");
    is_str(x.upload_id, "VXBsb2FkIElE", "... its UploadId");
    jr_s3_xml_free(&x);

    parse(&x, copied);
    is_str(x.etag, "\"9b2cf535f27731c974343645a3985328\"",
           "a CopyObjectResult's ETag, as written");
    ok(x.upload_id == NULL, "... and no UploadId");
    jr_s3_xml_free(&x);

    parse(&x, "");
    is_int(x.root, JR_S3_XML_NONE, "an empty body: nothing");
    jr_s3_xml_free(&x);

    parse(&x, "<html><body>Sign in to the Wi-Fi</body>");
    is_int(x.root, JR_S3_XML_NONE, "a page cut short: nothing");
    jr_s3_xml_free(&x);

    parse(&x, "<html><body>Sign in to the Wi-Fi</body></html>");
    is_int(x.root, JR_S3_XML_OTHER, "a whole HTML page: another root");
    is_str(x.etag, "", "... without an ETag");
    jr_s3_xml_free(&x);
}


/* An answer, its body in the request's buffer as a transfer leaves it. */
static const jr_s3_result_t *
answer(jr_s3_req_t *req, long status, const char *etag, const char *body)
{
    size_t  len;

    len = strlen(body);
    req->buf = (unsigned char *) strdup(body);
    req->buf_len = len;

    if (etag) {
        snprintf(req->res.etag, sizeof(req->res.etag), "%s", etag);
    }

    jr_s3_answer(req, status, req->buf, req->buf_len);

    return jr_s3_result(req);
}


static void
test_answers(jr_s3_t *s3)
{
    char                  *etags[] = { "e1", "e2" };
    jr_s3_req_t           *req;
    const jr_s3_result_t  *res;

    req = jr_s3_list_req(s3, "p/", "/", NULL, 0);
    res = answer(req, 200, NULL, listing);
    ok(res->ok, "a listing answered 200 is ok");
    is_int(res->list.nobjects, 2, "... with its objects");
    is_str(res->list.objects[0].etag, "0cc175b9c0f1b6a831c399e269772661",
           "... ETags without their quotes");
    is_str(res->list.prefixes[0], "p/wal/", "... its prefixes");
    is_str(res->list.next_token, "tok=", "... and its token");
    jr_s3_req_free(req);

    req = jr_s3_list_req(s3, "p/", NULL, NULL, 0);
    res = answer(req, 200, NULL, untokened);
    ok(!res->ok, "a truncated page without a token fails");
    is_str(res->code, "BadResponse", "... as a BadResponse (retried)");
    jr_s3_req_free(req);

    req = jr_s3_list_req(s3, "p/", NULL, NULL, 0);
    res = answer(req, 200, NULL, created);
    is_str(res->code, "BadResponse", "so does another result to a listing");
    jr_s3_req_free(req);

    req = jr_s3_mpu_complete_req(s3, "k", "id", etags, 2);
    res = answer(req, 200, NULL, "<Error><Code>InternalError</Code>"
                 "<Message>Please try again.</Message></Error>");
    ok(!res->ok, "CompleteMultipartUpload answered 200 with an Error fails");
    is_str(res->code, "InternalError", "... with the Error's Code");
    is_str(res->message, "Please try again.", "... and Message");
    jr_s3_req_free(req);

    req = jr_s3_copy_req(s3, "a", "b");
    res = answer(req, 200, NULL, copied);
    ok(res->ok, "a copy answered with its result is ok");
    is_str(res->etag, "9b2cf535f27731c974343645a3985328",
           "... with the new object's ETag, unquoted");
    jr_s3_req_free(req);

    req = jr_s3_copy_req(s3, "a", "b");
    res = answer(req, 200, NULL, "");
    is_str(res->code, "BadResponse", "a copy answered 200 with no body fails");
    is_str(res->message, "HTTP status 200 without a result", "... says so");
    jr_s3_req_free(req);

    req = jr_s3_mpu_create_req(s3, "k");
    res = answer(req, 200, NULL, created);
    ok(res->ok, "a created upload is ok");
    is_str(res->upload_id, "VXBsb2FkIElE", "... with its UploadId");
    jr_s3_req_free(req);

    req = jr_s3_mpu_create_req(s3, "k");
    res = answer(req, 200, NULL, copied);
    is_str(res->code, "BadResponse", "one without an UploadId fails");
    jr_s3_req_free(req);

    req = jr_s3_head_req(s3, "k");
    res = answer(req, 404, NULL, "");
    is_str(res->code, "NotFound", "a HEAD's 404, which has no body");
    jr_s3_req_free(req);

    req = jr_s3_get_req(s3, "k");
    res = answer(req, 403, NULL, "<Error><Code>AccessDenied</Code></Error>");
    is_str(res->code, "AccessDenied", "a GET's 403: the Error's Code");
    jr_s3_req_free(req);

    req = jr_s3_get_req(s3, "k");
    res = answer(req, 503, NULL, "<html>Service Unavailable");
    is_str(res->code, "ServiceUnavailable", "a 503 with a page, not XML");
    is_str(res->message, "HTTP status 503", "... says its status");
    jr_s3_req_free(req);

    req = jr_s3_get_req(s3, "k");
    res = answer(req, 200, "0cc175b9c0f1b6a831c399e269772661", "<a>b</a>");
    ok(res->ok, "a GET answered 200 with an ETag is ok");
    is_str((const char *) res->body, "<a>b</a>",
           "... and its body is the object's bytes, not XML read");
    jr_s3_req_free(req);

    req = jr_s3_get_req(s3, "k");
    res = answer(req, 200, NULL, "<html>Sign in</html>");
    is_str(res->code, "BadResponse", "a GET answered 200 without an ETag "
           "fails: not S3's");
    jr_s3_req_free(req);

    req = jr_s3_put_req(s3, "k", "x", 1);
    res = answer(req, 200, NULL, "");
    is_str(res->code, "BadResponse", "so does a PUT: nothing was stored");
    jr_s3_req_free(req);
}


int
main(void)
{
    jr_s3_t       *s3;
    jr_s3_conf_t   conf;

    jr_s3_xml_init();

    test_parser();

    jr_s3_conf_init(&conf);
    conf.endpoint = "http://127.0.0.1:9";
    conf.region = "us-east-1";
    conf.bucket = "unit";
    conf.url_style = JR_S3_URL_PATH;
    conf.access_key = "AKIDEXAMPLE";
    conf.secret_key = "secret";

    /* no loop: requests are built, never sent */
    s3 = jr_s3_open(&conf, NULL);
    ok(s3 != NULL, "a client");

    if (s3) {
        test_answers(s3);
        jr_s3_close(s3);
        jr_s3_free(s3);
    }

    return tap_done();
}
