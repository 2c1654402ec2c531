/*
 * libFuzzer target: the Standard Webhooks verifier (blog_webhook.c) that
 * the cronhook endpoints run on the webhook-id, webhook-timestamp and
 * webhook-signature headers and the body of any POST.  The input is the
 * three header values and the body, separated by the first three line
 * breaks; it is also tried as a "whsec_" secret.  Beyond "no crash", it
 * checks the verifier's promises: it accepts only a header holding the
 * right signature, and it accepts the right signature of any message
 * whose id and timestamp are well-formed.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blog_webhook.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


#define FUZZ_NKEYS  2

static blog_webhook_key_t  keys[FUZZ_NKEYS];
static int                 ready;


/* Splits off the next line of [*p, end); the last one is the rest. */
static void
fuzz_field(const char **p, const char *end, const char **v, size_t *len)
{
    const char  *nl;

    nl = memchr(*p, '\n', end - *p);

    *v = *p;
    *len = (nl ? nl : end) - *p;
    *p = nl ? nl + 1 : end;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                 k;
    char                sig[BLOG_WEBHOOK_SIG_LEN + 1];
    size_t              idlen, tslen, siglen, blen;
    long long           t;
    blog_webhook_e      rc;
    blog_webhook_key_t  key;
    const char         *p, *end, *id, *ts, *sigs, *body;

    static const char  *secrets[FUZZ_NKEYS] = {
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "whsec_dGhpcyBpcyBhIHNlY3JldCBrZXkgb2YgMzIgYnl0ZXM="
    };

    if (!ready) {
        for (k = 0; k < FUZZ_NKEYS; k++) {
            if (blog_webhook_key_decode(secrets[k], strlen(secrets[k]),
                                        &keys[k])
                != 0)
            {
                abort();
            }
        }
        ready = 1;
    }

    if (blog_webhook_key_decode((const char *) data, size, &key) == 0
        && (key.len < BLOG_WEBHOOK_KEY_MIN || key.len > BLOG_WEBHOOK_KEY_MAX))
    {
        abort();
    }

    p = (const char *) data;
    end = p + size;

    fuzz_field(&p, end, &id, &idlen);
    fuzz_field(&p, end, &ts, &tslen);
    fuzz_field(&p, end, &sigs, &siglen);
    body = p;
    blen = end - p;

    rc = blog_webhook_verify(keys, FUZZ_NKEYS, id, idlen, ts, tslen, sigs,
                             siglen, body, blen, 1700000000,
                             BLOG_WEBHOOK_TOLERANCE);

    if (strcmp(blog_webhook_strerror(rc), "unknown") == 0) {
        abort();
    }

    if (rc == BLOG_WEBHOOK_OK) {
        /* then one of the header's signatures is one of the keys' */
        for (k = 0; k < FUZZ_NKEYS; k++) {
            if (blog_webhook_sign(&keys[k], id, idlen, ts, tslen, body, blen,
                                  sig)
                != 0)
            {
                abort();
            }

            if (memmem(sigs, siglen, sig, BLOG_WEBHOOK_SIG_LEN) != NULL) {
                break;
            }
        }

        if (k == FUZZ_NKEYS) {
            abort();
        }
    }

    if (blog_webhook_timestamp(ts, tslen, &t) != 0) {
        return 0;
    }

    /* the sender's own signature of this message passes, now */
    if (blog_webhook_sign(&keys[1], id, idlen, ts, tslen, body, blen, sig)
        != 0)
    {
        abort();
    }

    rc = blog_webhook_verify(keys, FUZZ_NKEYS, id, idlen, ts, tslen, sig,
                             BLOG_WEBHOOK_SIG_LEN, body, blen, t,
                             BLOG_WEBHOOK_TOLERANCE);

    if (rc != BLOG_WEBHOOK_OK && rc != BLOG_WEBHOOK_BAD_ID) {
        abort();
    }

    return 0;
}
