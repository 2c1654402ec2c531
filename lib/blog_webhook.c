/*
 * Standard Webhooks signing and verification; see blog_webhook.h.
 */

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "blog_webhook.h"


#define BLOG_WEBHOOK_PREFIX      "whsec_"
#define BLOG_WEBHOOK_TS_DIGITS   18       /* fits in a long long */


static const char *const  blog_webhook_errors[] = {
    "ok",
    "missing or malformed webhook-id",
    "missing or malformed webhook-timestamp",
    "no v1 signature in webhook-signature",
    "bad signature",
    "timestamp too old",
    "timestamp too far in the future"
};


int
blog_webhook_key_decode(const char *secret, size_t len,
    blog_webhook_key_t *key)
{
    int            n;
    size_t         pad, b64len;
    const char    *b64;
    unsigned char  buf[BLOG_WEBHOOK_KEY_MAX + 3];

    if (len < sizeof(BLOG_WEBHOOK_PREFIX) - 1
        || memcmp(secret, BLOG_WEBHOOK_PREFIX, sizeof(BLOG_WEBHOOK_PREFIX) - 1)
           != 0)
    {
        return -1;
    }

    b64 = secret + sizeof(BLOG_WEBHOOK_PREFIX) - 1;
    b64len = len - (sizeof(BLOG_WEBHOOK_PREFIX) - 1);

    /*
     * EVP_DecodeBlock() wants whole quads and counts padding as data; it
     * skips blanks, which a secret must not contain, so refuse them first.
     */
    if (b64len == 0 || b64len % 4 != 0
        || b64len / 4 * 3 > sizeof(buf)
        || memchr(b64, ' ', b64len) || memchr(b64, '\t', b64len))
    {
        return -1;
    }

    pad = (b64[b64len - 1] == '=') + (b64[b64len - 2] == '=');

    n = EVP_DecodeBlock(buf, (const unsigned char *) b64, (int) b64len);
    if (n < 0 || (size_t) n < pad) {
        return -1;
    }

    n -= (int) pad;

    if (n < BLOG_WEBHOOK_KEY_MIN || n > BLOG_WEBHOOK_KEY_MAX) {
        OPENSSL_cleanse(buf, sizeof(buf));
        return -1;
    }

    memcpy(key->data, buf, n);
    key->len = n;

    OPENSSL_cleanse(buf, sizeof(buf));

    return 0;
}


int
blog_webhook_sign(const blog_webhook_key_t *key, const char *id, size_t idlen,
    const char *ts, size_t tslen, const void *body, size_t len, char *sig)
{
    int            rc;
    size_t         maclen;
    unsigned char  mac[EVP_MAX_MD_SIZE];
    EVP_MAC       *hmac;
    EVP_MAC_CTX   *ctx;
    OSSL_PARAM     params[2];

    hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (hmac == NULL) {
        return -1;
    }

    ctx = EVP_MAC_CTX_new(hmac);
    EVP_MAC_free(hmac);

    if (ctx == NULL) {
        return -1;
    }

    params[0] = OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();

    rc = EVP_MAC_init(ctx, key->data, key->len, params)
         && EVP_MAC_update(ctx, (const unsigned char *) id, idlen)
         && EVP_MAC_update(ctx, (const unsigned char *) ".", 1)
         && EVP_MAC_update(ctx, (const unsigned char *) ts, tslen)
         && EVP_MAC_update(ctx, (const unsigned char *) ".", 1)
         && EVP_MAC_update(ctx, body, len)
         && EVP_MAC_final(ctx, mac, &maclen, sizeof(mac))
         && maclen == 32;

    EVP_MAC_CTX_free(ctx);

    if (!rc) {
        return -1;
    }

    memcpy(sig, "v1,", 3);

    /* 32 bytes are 44 base64 characters and a NUL */
    EVP_EncodeBlock((unsigned char *) sig + 3, mac, 32);

    OPENSSL_cleanse(mac, sizeof(mac));

    return 0;
}


int
blog_webhook_timestamp(const char *ts, size_t tslen, long long *value)
{
    size_t     i;
    long long  v;

    if (tslen == 0 || tslen > BLOG_WEBHOOK_TS_DIGITS) {
        return -1;
    }

    v = 0;

    for (i = 0; i < tslen; i++) {
        if (ts[i] < '0' || ts[i] > '9') {
            return -1;
        }

        v = v * 10 + (ts[i] - '0');
    }

    *value = v;

    return 0;
}


static int
blog_webhook_id_valid(const char *id, size_t idlen)
{
    size_t  i;
    char    c;

    if (idlen == 0 || idlen > BLOG_WEBHOOK_ID_MAX) {
        return 0;
    }

    /* no ".", which would blur the signed "id.timestamp.body" */
    for (i = 0; i < idlen; i++) {
        c = id[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_' || c == '-'))
        {
            return 0;
        }
    }

    return 1;
}


blog_webhook_e
blog_webhook_verify(const blog_webhook_key_t *keys, size_t nkeys,
    const char *id, size_t idlen, const char *ts, size_t tslen,
    const char *sigs, size_t siglen, const void *body, size_t len,
    long long now, long long tolerance)
{
    int          seen, match;
    char         want[BLOG_WEBHOOK_SIG_LEN + 1];
    size_t       k, n;
    long long    t;
    const char  *p, *end, *sp;

    if (!blog_webhook_id_valid(id, idlen)) {
        return BLOG_WEBHOOK_BAD_ID;
    }

    if (blog_webhook_timestamp(ts, tslen, &t) != 0) {
        return BLOG_WEBHOOK_BAD_TIMESTAMP;
    }

    seen = 0;
    match = 0;

    for (k = 0; k < nkeys; k++) {
        if (blog_webhook_sign(&keys[k], id, idlen, ts, tslen, body, len, want)
            != 0)
        {
            return BLOG_WEBHOOK_BAD_SIGNATURE;
        }

        p = sigs;
        end = sigs + siglen;

        while (p < end) {
            sp = memchr(p, ' ', end - p);
            n = (sp ? sp : end) - p;

            /* other schemes (v1a, ...) are someone else's to check */
            if (n > 3 && memcmp(p, "v1,", 3) == 0) {
                seen = 1;

                if (n == BLOG_WEBHOOK_SIG_LEN
                    && CRYPTO_memcmp(p, want, BLOG_WEBHOOK_SIG_LEN) == 0)
                {
                    match = 1;
                }
            }

            p += n + 1;
        }
    }

    OPENSSL_cleanse(want, sizeof(want));

    if (!seen) {
        return BLOG_WEBHOOK_NO_SIGNATURE;
    }

    if (!match) {
        return BLOG_WEBHOOK_BAD_SIGNATURE;
    }

    if (now - t > tolerance) {
        return BLOG_WEBHOOK_EXPIRED;
    }

    if (t - now > tolerance) {
        return BLOG_WEBHOOK_FUTURE;
    }

    return BLOG_WEBHOOK_OK;
}


const char *
blog_webhook_strerror(blog_webhook_e rc)
{
    if ((size_t) rc >= sizeof(blog_webhook_errors)
                       / sizeof(blog_webhook_errors[0]))
    {
        return "unknown";
    }

    return blog_webhook_errors[rc];
}
