/*
 * AWS Signature Version 4; see jr_sigv4.h.
 *
 *     canonical request = METHOD \n URI \n QUERY \n HEADERS \n \n SIGNED \n HASH
 *     string to sign    = AWS4-HMAC-SHA256 \n DATE \n SCOPE \n hex(sha256(creq))
 *     signing key       = HMAC chain "AWS4"+secret, day, region, service,
 *                         "aws4_request"
 *
 * Strings are built with open_memstream(), which grows as needed and
 * reports a failed allocation when the stream is closed.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "s3/jr_sigv4.h"


typedef struct {
    char        *name;       /* lowercased */
    char        *value;      /* trimmed, blanks folded */
    size_t       order;      /* position in the request, for duplicates */
} jr_sigv4_hdr_t;

typedef struct {
    char        *name;       /* encoded */
    char        *value;      /* encoded */
} jr_sigv4_qp_t;


static const char  jr_sigv4_hex[] = "0123456789ABCDEF";
static const char  jr_sigv4_lhex[] = "0123456789abcdef";


static int
jr_sigv4_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
           || c == '~';
}


char *
jr_sigv4_encode(const char *s, size_t len, int keep_slash)
{
    char           *out, *p;
    size_t          i;
    unsigned char   c;

    out = malloc(3 * len + 1);
    if (out == NULL) {
        return NULL;
    }

    p = out;

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (jr_sigv4_unreserved(c) || (keep_slash && c == '/')) {
            *p++ = (char) c;
            continue;
        }

        *p++ = '%';
        *p++ = jr_sigv4_hex[c >> 4];
        *p++ = jr_sigv4_hex[c & 0x0f];
    }

    *p = '\0';

    return out;
}


void
jr_sigv4_sha256_hex(const void *data, size_t len, char *out)
{
    size_t          i;
    unsigned char   md[SHA256_DIGEST_LENGTH];

    SHA256(data, len, md);

    for (i = 0; i < sizeof(md); i++) {
        out[2 * i] = jr_sigv4_lhex[md[i] >> 4];
        out[2 * i + 1] = jr_sigv4_lhex[md[i] & 0x0f];
    }

    out[2 * sizeof(md)] = '\0';
}


void
jr_sigv4_date(long long t, char *out)
{
    time_t     tt;
    struct tm  tm;

    tt = (time_t) t;
    gmtime_r(&tt, &tm);
    strftime(out, JR_SIGV4_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm);
}


static int
jr_sigv4_qp_cmp(const void *a, const void *b)
{
    const jr_sigv4_qp_t  *x = a, *y = b;
    int                   rc;

    rc = strcmp(x->name, y->name);

    return rc ? rc : strcmp(x->value, y->value);
}


char *
jr_sigv4_query(const jr_sigv4_param_t *params, size_t n)
{
    FILE           *f;
    char           *out;
    size_t          i, len;
    jr_sigv4_qp_t  *qp;

    qp = calloc(n ? n : 1, sizeof(jr_sigv4_qp_t));
    if (qp == NULL) {
        return NULL;
    }

    out = NULL;

    for (i = 0; i < n; i++) {
        qp[i].name = jr_sigv4_encode(params[i].name, strlen(params[i].name), 0);
        qp[i].value = jr_sigv4_encode(params[i].value,
                                      strlen(params[i].value), 0);
        if (qp[i].name == NULL || qp[i].value == NULL) {
            goto done;
        }
    }

    /* by encoded name, as AWS specifies: byte order of the encoded form */
    qsort(qp, n, sizeof(jr_sigv4_qp_t), jr_sigv4_qp_cmp);

    f = open_memstream(&out, &len);
    if (f == NULL) {
        goto done;
    }

    for (i = 0; i < n; i++) {
        fprintf(f, "%s%s=%s", i ? "&" : "", qp[i].name, qp[i].value);
    }

    if (fclose(f) != 0) {
        free(out);
        out = NULL;
    }

done:

    for (i = 0; i < n; i++) {
        free(qp[i].name);
        free(qp[i].value);
    }

    free(qp);

    return out;
}


static int
jr_sigv4_hdr_cmp(const void *a, const void *b)
{
    const jr_sigv4_hdr_t  *x = a, *y = b;
    int                    rc;

    rc = strcmp(x->name, y->name);
    if (rc) {
        return rc;
    }

    return x->order < y->order ? -1 : x->order > y->order;
}


/* Lowercases a name; trims a value and folds each run of blanks to one. */
static int
jr_sigv4_hdr_init(jr_sigv4_hdr_t *h, const jr_sigv4_header_t *in, size_t i)
{
    char        *p;
    size_t       len;
    const char  *s;

    h->order = i;

    len = strlen(in->name);
    h->name = malloc(len + 1);
    h->value = malloc(strlen(in->value) + 1);

    if (h->name == NULL || h->value == NULL) {
        return -1;
    }

    for (i = 0; i <= len; i++) {
        h->name[i] = (char) tolower((unsigned char) in->name[i]);
    }

    p = h->value;

    for (s = in->value; *s; s++) {
        if (isspace((unsigned char) *s)) {
            if (p > h->value && p[-1] != ' ') {
                *p++ = ' ';
            }

            continue;
        }

        *p++ = *s;
    }

    if (p > h->value && p[-1] == ' ') {
        p--;
    }

    *p = '\0';

    return 0;
}


/*
 * The canonical headers ("name:value\n" each, duplicates joined with ","
 * in request order) and the signed header list ("a;b;c"), into two
 * streams.
 */
static int
jr_sigv4_headers(const jr_sigv4_req_t *req, FILE *canon, FILE *signed_list)
{
    int              rc;
    size_t           i;
    jr_sigv4_hdr_t  *h;

    h = calloc(req->nheaders ? req->nheaders : 1, sizeof(jr_sigv4_hdr_t));
    if (h == NULL) {
        return -1;
    }

    rc = 0;

    for (i = 0; i < req->nheaders; i++) {
        if (jr_sigv4_hdr_init(&h[i], &req->headers[i], i) != 0) {
            rc = -1;
            goto done;
        }
    }

    qsort(h, req->nheaders, sizeof(jr_sigv4_hdr_t), jr_sigv4_hdr_cmp);

    for (i = 0; i < req->nheaders; i++) {
        if (i > 0 && strcmp(h[i].name, h[i - 1].name) == 0) {
            fprintf(canon, ",%s", h[i].value);
            continue;
        }

        fprintf(canon, "%s%s:%s", i ? "\n" : "", h[i].name, h[i].value);
        fprintf(signed_list, "%s%s", i ? ";" : "", h[i].name);
    }

    if (req->nheaders) {
        fputc('\n', canon);
    }

done:

    for (i = 0; i < req->nheaders; i++) {
        free(h[i].name);
        free(h[i].value);
    }

    free(h);

    return rc;
}


static char *
jr_sigv4_canonical(const jr_sigv4_req_t *req, char **signed_headers)
{
    FILE    *f, *sl;
    char    *uri, *query, *creq;
    size_t   len, slen;

    *signed_headers = NULL;
    creq = NULL;

    uri = jr_sigv4_encode(req->path, strlen(req->path), 1);
    query = jr_sigv4_query(req->params, req->nparams);

    f = open_memstream(&creq, &len);
    sl = open_memstream(signed_headers, &slen);

    if (uri == NULL || query == NULL || f == NULL || sl == NULL) {
        goto failed;
    }

    fprintf(f, "%s\n%s\n%s\n", req->method, uri, query);

    if (jr_sigv4_headers(req, f, sl) != 0) {
        goto failed;
    }

    if (fclose(sl) != 0) {
        sl = NULL;
        goto failed;
    }

    sl = NULL;

    fprintf(f, "\n%s\n%s", *signed_headers, req->payload_hash);

    if (fclose(f) != 0) {
        f = NULL;
        goto failed;
    }

    free(uri);
    free(query);

    return creq;

failed:

    if (f) {
        fclose(f);
    }

    if (sl) {
        fclose(sl);
    }

    free(creq);
    free(*signed_headers);
    *signed_headers = NULL;
    free(uri);
    free(query);

    return NULL;
}


static int
jr_sigv4_hmac(const void *key, size_t klen, const char *msg, unsigned char *out)
{
    unsigned int  len;

    len = SHA256_DIGEST_LENGTH;

    return HMAC(EVP_sha256(), key, (int) klen, (const unsigned char *) msg,
                strlen(msg), out, &len) == NULL ? -1 : 0;
}


char *
jr_sigv4_sign(const jr_sigv4_req_t *req, char **creq_out, char **sts_out)
{
    int             rc;
    char           *creq, *sts, *signed_headers, *authz, *k;
    char            day[9], hash[JR_SIGV4_HASH_LEN + 1];
    char            sig[2 * SHA256_DIGEST_LENGTH + 1];
    size_t          i, klen;
    unsigned char   k1[SHA256_DIGEST_LENGTH], k2[SHA256_DIGEST_LENGTH];
    unsigned char   mac[SHA256_DIGEST_LENGTH];

    if (creq_out) {
        *creq_out = NULL;
    }

    if (sts_out) {
        *sts_out = NULL;
    }

    creq = jr_sigv4_canonical(req, &signed_headers);
    if (creq == NULL) {
        return NULL;
    }

    memcpy(day, req->amz_date, 8);
    day[8] = '\0';

    jr_sigv4_sha256_hex(creq, strlen(creq), hash);

    sts = NULL;
    authz = NULL;

    if (asprintf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s",
                 req->amz_date, day, req->region, req->service, hash) < 0)
    {
        sts = NULL;
        goto done;
    }

    /* the first key is "AWS4" and the secret; wiped after use */
    klen = 4 + strlen(req->secret_key);
    k = malloc(klen + 1);
    if (k == NULL) {
        goto done;
    }

    memcpy(k, "AWS4", 4);
    memcpy(k + 4, req->secret_key, klen - 4 + 1);

    /* HMAC() is not told its output may be its key: two buffers */
    rc = jr_sigv4_hmac(k, klen, day, k1)
         | jr_sigv4_hmac(k1, sizeof(k1), req->region, k2)
         | jr_sigv4_hmac(k2, sizeof(k2), req->service, k1)
         | jr_sigv4_hmac(k1, sizeof(k1), "aws4_request", k2)
         | jr_sigv4_hmac(k2, sizeof(k2), sts, mac);

    OPENSSL_cleanse(k, klen);
    OPENSSL_cleanse(k1, sizeof(k1));
    OPENSSL_cleanse(k2, sizeof(k2));
    free(k);

    if (rc != 0) {
        goto done;
    }

    for (i = 0; i < sizeof(mac); i++) {
        sig[2 * i] = jr_sigv4_lhex[mac[i] >> 4];
        sig[2 * i + 1] = jr_sigv4_lhex[mac[i] & 0x0f];
    }

    sig[sizeof(sig) - 1] = '\0';

    if (asprintf(&authz, "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/"
                 "aws4_request, SignedHeaders=%s, Signature=%s",
                 req->access_key, day, req->region, req->service,
                 signed_headers, sig) < 0)
    {
        authz = NULL;
    }

done:

    free(signed_headers);

    if (authz && creq_out) {
        *creq_out = creq;
        creq = NULL;
    }

    if (authz && sts_out) {
        *sts_out = sts;
        sts = NULL;
    }

    free(creq);
    free(sts);

    return authz;
}
