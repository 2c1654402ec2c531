/*
 * Standard Webhooks signatures (https://www.standardwebhooks.com), the
 * symmetric scheme: the signature of a message is
 *
 *     v1,<base64 of HMAC-SHA256(key, "<id>.<timestamp>.<body>")>
 *
 * sent in the webhook-signature header, next to webhook-id and
 * webhook-timestamp; the header may hold several space-separated
 * signatures, so a secret can be rotated without downtime.  The key is
 * given as "whsec_" followed by its base64.
 *
 * The jobrunner signs, the nginx module verifies; both use this file.  No
 * nginx, no libuv: plain C and OpenSSL's libcrypto.
 */

#ifndef BLOG_WEBHOOK_H
#define BLOG_WEBHOOK_H

#include <stddef.h>

/* The spec's bounds on a symmetric key: 24 to 64 bytes. */
#define BLOG_WEBHOOK_KEY_MIN     24
#define BLOG_WEBHOOK_KEY_MAX     64

/* The longest webhook-id accepted, and its characters: [A-Za-z0-9_-]. */
#define BLOG_WEBHOOK_ID_MAX      128

/* "v1," and the base64 of 32 bytes. */
#define BLOG_WEBHOOK_SIG_LEN     (3 + 44)

/* Seconds a timestamp may be away from the verifier's clock. */
#define BLOG_WEBHOOK_TOLERANCE   300

typedef struct {
    unsigned char  data[BLOG_WEBHOOK_KEY_MAX];
    size_t         len;
} blog_webhook_key_t;

typedef enum {
    BLOG_WEBHOOK_OK = 0,
    BLOG_WEBHOOK_BAD_ID,            /* missing, too long or odd characters */
    BLOG_WEBHOOK_BAD_TIMESTAMP,     /* missing or not an integer */
    BLOG_WEBHOOK_NO_SIGNATURE,      /* no "v1," signature in the header */
    BLOG_WEBHOOK_BAD_SIGNATURE,     /* none matches any key */
    BLOG_WEBHOOK_EXPIRED,           /* signed, but too old */
    BLOG_WEBHOOK_FUTURE             /* signed, but too far ahead */
} blog_webhook_e;

/*
 * Decodes "whsec_<base64>" of len bytes into key.  Returns 0, or -1 when
 * the prefix is missing, the base64 is malformed or the key is shorter
 * than BLOG_WEBHOOK_KEY_MIN or longer than BLOG_WEBHOOK_KEY_MAX bytes.
 */
int blog_webhook_key_decode(const char *secret, size_t len,
    blog_webhook_key_t *key);

/*
 * Writes "v1,<base64>" and a NUL into sig, which must hold
 * BLOG_WEBHOOK_SIG_LEN + 1 bytes.  Returns 0, or -1 if libcrypto fails.
 */
int blog_webhook_sign(const blog_webhook_key_t *key, const char *id,
    size_t idlen, const char *ts, size_t tslen, const void *body,
    size_t len, char *sig);

/*
 * Checks a message against nkeys keys: the id and timestamp syntax, then
 * the signatures (compared in constant time; any one matching any key
 * passes), then that the timestamp is within tolerance seconds of now.
 * Replays are the caller's to refuse, by remembering ids.
 */
blog_webhook_e blog_webhook_verify(const blog_webhook_key_t *keys,
    size_t nkeys, const char *id, size_t idlen, const char *ts, size_t tslen,
    const char *sigs, size_t siglen, const void *body, size_t len,
    long long now, long long tolerance);

/* Parses a webhook-timestamp: decimal digits only.  Returns 0 or -1. */
int blog_webhook_timestamp(const char *ts, size_t tslen, long long *value);

/* A short reason for a result, for logs: "bad signature", ... */
const char *blog_webhook_strerror(blog_webhook_e rc);

#endif /* BLOG_WEBHOOK_H */
