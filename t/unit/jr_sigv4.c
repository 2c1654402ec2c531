/*
 * Unit tests of jr_sigv4.c, the AWS Signature Version 4 signer of the S3
 * client, against published vectors rather than against itself:
 *
 * - AWS's Signature Version 4 test suite (the "get-vanilla" family, as
 *   kept in awslabs/aws-c-auth, tests/aws-signing-test-suite/v4): service
 *   "service", region us-east-1, 2015-08-30T12:36:00Z.  Each vector is the
 *   raw request, as in its request.txt, and the expected signature; a few
 *   also give the whole canonical request.  The path-normalization vectors
 *   are left out: S3 signs paths as they are, and so does this signer
 *   ("get-space-unnormalized", "get-slashes-unnormalized" check that).
 * - The S3 examples of the Amazon S3 API reference ("Signature
 *   Calculations for the Authorization Header: Transferring Payload in a
 *   Single Chunk"): GET Object with a Range, PUT Object, GET Bucket
 *   lifecycle and list objects, service "s3", 2013-05-24.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3/jr_sigv4.h"
#include "tap.h"


#define SUITE_KEY     "AKIDEXAMPLE"
#define SUITE_SECRET  "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_DATE    "20150830T123600Z"
#define SUITE_TOKEN                                                           \
    "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"

#define MAX_FIELDS    16

typedef struct {
    const char  *name;
    const char  *request;       /* as request.txt */
    int          sign_body;     /* adds x-amz-content-sha256 */
    int          token;         /* adds x-amz-security-token */
    const char  *signature;
    const char  *creq;          /* NULL: not checked */
} vector_t;


static const vector_t  suite[] = {
    { "get-vanilla",
      "GET / HTTP/1.1\nHost:example.amazonaws.com\n", 0, 0,
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
      "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
      "host;x-amz-date\n" JR_SIGV4_EMPTY_HASH },

    { "get-vanilla-empty-query-key",
      "GET /?Param1=value1 HTTP/1.1\nHost:example.amazonaws.com\n", 0, 0,
      "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb",
      NULL },

    { "get-vanilla-query-order-key-case",
      "GET /?Param2=value2&Param1=value1 HTTP/1.1\n"
      "Host:example.amazonaws.com\n", 0, 0,
      "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
      NULL },

    { "get-vanilla-query-order-encoded",
      "GET /?Param-3=Value3&Param=Value2&%E1%88%B4=Value1 HTTP/1.1\n"
      "Host:example.amazonaws.com\n", 0, 0,
      "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac",
      "GET\n/\n%E1%88%B4=Value1&Param=Value2&Param-3=Value3\n"
      "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
      "host;x-amz-date\n" JR_SIGV4_EMPTY_HASH },

    { "get-vanilla-query-unreserved",
      "GET /?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
      "=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz "
      "HTTP/1.1\nHost:example.amazonaws.com\n", 0, 0,
      "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
      NULL },

    { "get-vanilla-utf8-query",
      "GET /?\xE1\x88\xB4=bar HTTP/1.1\nHost:example.amazonaws.com\n", 0, 0,
      "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
      NULL },

    { "get-unreserved",
      "GET /-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz "
      "HTTP/1.1\nHost:example.amazonaws.com\n", 0, 0,
      "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
      NULL },

    { "get-utf8",
      "GET /\xE1\x88\xB4 HTTP/1.1\nHost:example.amazonaws.com\n", 0, 0,
      "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
      NULL },

    { "get-space-unnormalized",
      "GET /example space/ HTTP/1.1\nHost:example.amazonaws.com\n", 0, 0,
      "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
      "GET\n/example%20space/\n\nhost:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
      JR_SIGV4_EMPTY_HASH },

    { "get-slashes-unnormalized",
      "GET //example// HTTP/1.1\nHost:example.amazonaws.com\n", 0, 0,
      "87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5",
      NULL },

    { "get-header-key-duplicate",
      "GET / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:value2\n"
      "My-Header1:value2\nMy-Header1:value1\n", 0, 0,
      "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
      "GET\n/\n\nhost:example.amazonaws.com\n"
      "my-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n\n"
      "host;my-header1;x-amz-date\n" JR_SIGV4_EMPTY_HASH },

    { "get-header-value-multiline",
      "GET / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:value1\n"
      "  value2\n     value3\n", 0, 0,
      "cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd",
      NULL },

    { "get-header-value-order",
      "GET / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:value4\n"
      "My-Header1:value1\nMy-Header1:value3\nMy-Header1:value2\n", 0, 0,
      "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
      NULL },

    { "get-header-value-trim",
      "GET / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1: value1\n"
      "My-Header2: \"a   b   c\"\n", 0, 0,
      "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
      "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\n"
      "my-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n\n"
      "host;my-header1;my-header2;x-amz-date\n" JR_SIGV4_EMPTY_HASH },

    { "post-vanilla",
      "POST / HTTP/1.1\nHost:example.amazonaws.com\n", 0, 0,
      "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
      NULL },

    { "post-vanilla-query",
      "POST /?Param1=value1 HTTP/1.1\nHost:example.amazonaws.com\n", 0, 0,
      "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
      NULL },

    { "post-header-key-sort",
      "POST / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:value1\n",
      0, 0,
      "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
      NULL },

    { "post-header-value-case",
      "POST / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:VALUE1\n",
      0, 0,
      "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
      NULL },

    { "post-x-www-form-urlencoded",
      "POST / HTTP/1.1\nContent-Type:application/x-www-form-urlencoded\n"
      "Host:example.amazonaws.com\nContent-Length:13\n\nParam1=value1", 1, 0,
      "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b",
      "POST\n/\n\ncontent-length:13\n"
      "content-type:application/x-www-form-urlencoded\n"
      "host:example.amazonaws.com\n"
      "x-amz-content-sha256:"
      "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\n"
      "x-amz-date:20150830T123600Z\n\n"
      "content-length;content-type;host;x-amz-content-sha256;x-amz-date\n"
      "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e" },

    { "post-x-www-form-urlencoded-parameters",
      "POST / HTTP/1.1\n"
      "Content-Type:application/x-www-form-urlencoded; charset=utf-8\n"
      "Host:example.amazonaws.com\nContent-Length:13\n\nParam1=value1", 1, 0,
      "328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422",
      NULL },

    { "get-vanilla-with-session-token",
      "GET / HTTP/1.1\nHost:example.amazonaws.com\n", 0, 1,
      "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
      NULL },
};


/* A request parsed from the suite's request.txt form. */
typedef struct {
    char               *text;
    char               *method;
    char               *path;
    jr_sigv4_param_t    params[MAX_FIELDS];
    size_t              nparams;
    jr_sigv4_header_t   headers[MAX_FIELDS];
    size_t              nheaders;
    char               *body;
    char               *folded[MAX_FIELDS];
    size_t              nfolded;
} request_t;


static void
decode(char *s)
{
    char          *d;
    unsigned int   c;

    for (d = s; *s; s++) {
        if (s[0] == '%' && s[1] && s[2] && sscanf(s + 1, "%2x", &c) == 1) {
            *d++ = (char) c;
            s += 2;
        } else {
            *d++ = *s;
        }
    }

    *d = '\0';
}


static int
parse(request_t *r, const char *raw)
{
    char  *line, *next, *end, *q, *amp, *eq, *colon, *joined;

    memset(r, 0, sizeof(*r));

    r->text = strdup(raw);
    if (r->text == NULL) {
        return -1;
    }

    /* "METHOD PATH HTTP/1.1": the path may hold spaces */
    line = r->text;
    next = strchr(line, '\n');
    *next++ = '\0';

    r->method = line;
    r->path = strchr(line, ' ');
    *r->path++ = '\0';
    end = strstr(r->path, " HTTP/");
    *end = '\0';

    q = strchr(r->path, '?');
    if (q) {
        *q++ = '\0';

        for (; q && *q; q = amp) {
            amp = strchr(q, '&');
            if (amp) {
                *amp++ = '\0';
            }

            eq = strchr(q, '=');
            if (eq) {
                *eq++ = '\0';
            }

            decode(q);
            if (eq) {
                decode(eq);
            }

            r->params[r->nparams].name = q;
            r->params[r->nparams].value = eq ? eq : "";
            r->nparams++;
        }
    }

    decode(r->path);

    /* headers up to an empty line; an indented line continues the last */
    for (line = next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) {
            *next++ = '\0';
        }

        if (*line == '\0') {
            break;
        }

        if (*line == ' ' || *line == '\t') {
            if (asprintf(&joined, "%s\n%s",
                         r->headers[r->nheaders - 1].value, line) < 0)
            {
                return -1;
            }

            r->folded[r->nfolded++] = joined;
            r->headers[r->nheaders - 1].value = joined;
            continue;
        }

        colon = strchr(line, ':');
        *colon++ = '\0';
        r->headers[r->nheaders].name = line;
        r->headers[r->nheaders].value = colon;
        r->nheaders++;
    }

    r->body = next ? next : "";

    return 0;
}


static void
request_free(request_t *r)
{
    size_t  i;

    for (i = 0; i < r->nfolded; i++) {
        free(r->folded[i]);
    }

    free(r->text);
}


static void
test_suite(const vector_t *v)
{
    char            *authz, *creq, *want, *sig;
    char             hash[JR_SIGV4_HASH_LEN + 1];
    request_t        r;
    jr_sigv4_req_t   req;

    if (!ok(parse(&r, v->request) == 0, "%s: parsed", v->name)) {
        return;
    }

    jr_sigv4_sha256_hex(r.body, strlen(r.body), hash);

    r.headers[r.nheaders].name = "X-Amz-Date";
    r.headers[r.nheaders++].value = SUITE_DATE;

    if (v->sign_body) {
        r.headers[r.nheaders].name = "X-Amz-Content-Sha256";
        r.headers[r.nheaders++].value = hash;
    }

    if (v->token) {
        r.headers[r.nheaders].name = "X-Amz-Security-Token";
        r.headers[r.nheaders++].value = SUITE_TOKEN;
    }

    memset(&req, 0, sizeof(req));
    req.method = r.method;
    req.path = r.path;
    req.params = r.params;
    req.nparams = r.nparams;
    req.headers = r.headers;
    req.nheaders = r.nheaders;
    req.payload_hash = hash;
    req.amz_date = SUITE_DATE;
    req.region = "us-east-1";
    req.service = "service";
    req.access_key = SUITE_KEY;
    req.secret_key = SUITE_SECRET;

    authz = jr_sigv4_sign(&req, &creq, NULL);

    if (!ok(authz != NULL, "%s: signed", v->name)) {
        request_free(&r);
        return;
    }

    sig = strstr(authz, "Signature=");
    is_str(sig ? sig + 10 : NULL, v->signature, "%s: signature", v->name);

    if (asprintf(&want, "AWS4-HMAC-SHA256 Credential=" SUITE_KEY
                 "/20150830/us-east-1/service/aws4_request, SignedHeaders=")
        > 0)
    {
        ok(strncmp(authz, want, strlen(want)) == 0,
           "%s: Authorization header form", v->name);
        free(want);
    }

    if (v->creq) {
        is_str(creq, v->creq, "%s: canonical request", v->name);
    }

    free(authz);
    free(creq);
    request_free(&r);
}


/* The S3 examples: one key, bucket and day for all four. */

#define S3_KEY     "AKIAIOSFODNN7EXAMPLE"
#define S3_SECRET  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define S3_DATE    "20130524T000000Z"
#define S3_HOST    "examplebucket.s3.amazonaws.com"


static void
s3_example(const char *name, const char *method, const char *path,
    const jr_sigv4_param_t *params, size_t nparams,
    const jr_sigv4_header_t *extra, size_t nextra, const char *body,
    const char *want_headers, const char *want_sig)
{
    char               *authz, *sig, *sh;
    char                hash[JR_SIGV4_HASH_LEN + 1];
    size_t              n, i;
    jr_sigv4_req_t      req;
    jr_sigv4_header_t   h[8];

    jr_sigv4_sha256_hex(body, strlen(body), hash);

    n = 0;
    h[n].name = "Host";
    h[n++].value = S3_HOST;
    h[n].name = "x-amz-date";
    h[n++].value = S3_DATE;
    h[n].name = "x-amz-content-sha256";
    h[n++].value = hash;

    for (i = 0; i < nextra; i++) {
        h[n++] = extra[i];
    }

    memset(&req, 0, sizeof(req));
    req.method = method;
    req.path = path;
    req.params = params;
    req.nparams = nparams;
    req.headers = h;
    req.nheaders = n;
    req.payload_hash = hash;
    req.amz_date = S3_DATE;
    req.region = "us-east-1";
    req.service = "s3";
    req.access_key = S3_KEY;
    req.secret_key = S3_SECRET;

    authz = jr_sigv4_sign(&req, NULL, NULL);
    if (!ok(authz != NULL, "%s: signed", name)) {
        return;
    }

    sig = strstr(authz, "Signature=");
    is_str(sig ? sig + 10 : NULL, want_sig, "%s: signature", name);

    sh = strstr(authz, "SignedHeaders=");
    ok(sh && strncmp(sh + 14, want_headers, strlen(want_headers)) == 0
       && sh[14 + strlen(want_headers)] == ',',
       "%s: signed headers %s", name, want_headers);

    free(authz);
}


static void
test_s3(void)
{
    jr_sigv4_header_t  range = { "Range", "bytes=0-9" };
    jr_sigv4_header_t  put[2] = {
        { "Date", "Fri, 24 May 2013 00:00:00 GMT" },
        { "x-amz-storage-class", "REDUCED_REDUNDANCY" }
    };
    jr_sigv4_param_t   lifecycle = { "lifecycle", "" };
    jr_sigv4_param_t   list[2] = { { "max-keys", "2" }, { "prefix", "J" } };

    s3_example("S3 GET Object", "GET", "/test.txt", NULL, 0, &range, 1, "",
               "host;range;x-amz-content-sha256;x-amz-date",
               "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");

    s3_example("S3 PUT Object", "PUT", "/test$file.text", NULL, 0, put, 2,
               "Welcome to Amazon S3.",
               "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
               "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");

    s3_example("S3 GET Bucket lifecycle", "GET", "/", &lifecycle, 1, NULL, 0,
               "", "host;x-amz-content-sha256;x-amz-date",
               "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");

    s3_example("S3 list objects", "GET", "/", list, 2, NULL, 0, "",
               "host;x-amz-content-sha256;x-amz-date",
               "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}


static void
test_encoding(void)
{
    char              *s, *q;
    char               date[JR_SIGV4_DATE_LEN + 1];
    jr_sigv4_param_t   p[3] = {
        { "uploadId", "a/b+c=" }, { "partNumber", "2" }, { "uploads", "" }
    };

    s = jr_sigv4_encode("gen/wal/00 01+~x\xC3\xA9", 18, 1);
    is_str(s, "gen/wal/00%2001%2B~x%C3%A9", "path keeps \"/\", encodes the rest");
    free(s);

    s = jr_sigv4_encode("a/b", 3, 0);
    is_str(s, "a%2Fb", "a query value encodes \"/\"");
    free(s);

    q = jr_sigv4_query(p, 3);
    is_str(q, "partNumber=2&uploadId=a%2Fb%2Bc%3D&uploads=",
           "query sorted and encoded; an empty value keeps its \"=\"");
    free(q);

    q = jr_sigv4_query(NULL, 0);
    is_str(q, "", "no parameters: empty query");
    free(q);

    jr_sigv4_date(1440938160LL, date);
    is_str(date, SUITE_DATE, "x-amz-date of a Unix time");
}


int
main(void)
{
    size_t  i;

    for (i = 0; i < sizeof(suite) / sizeof(suite[0]); i++) {
        test_suite(&suite[i]);
    }

    test_s3();
    test_encoding();

    return tap_done();
}
