/*
 * Unit tests of blog_webhook.c, the Standard Webhooks signer (used by the
 * jobrunner) and verifier (used by the module), against the example vector
 * of the Standard Webhooks reference libraries
 * (github.com/standard-webhooks/standard-webhooks, libraries/go/
 * webhook_test.go, TestWebhookSign and TestWebhook), not only each other.
 */

#include <string.h>

#include "blog_webhook.h"
#include "tap.h"


#define SPEC_SECRET  "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SPEC_ID      "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define SPEC_TS      "1614265330"
#define SPEC_NOW     1614265330LL
#define SPEC_BODY    "{\"test\": 2432232314}"
#define SPEC_SIG     "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

/* the reference tests' "invalid signature" */
#define BAD_SIG      "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="

/* another key, 32 bytes: "secret-of-a-rotated-endpoint-key" */
#define OTHER_SECRET "whsec_c2VjcmV0LW9mLWEtcm90YXRlZC1lbmRwb2ludC1rZXk="


static blog_webhook_key_t  keys[2];


static blog_webhook_e
verify(size_t nkeys, const char *id, const char *ts, const char *sigs,
    const char *body, long long now)
{
    return blog_webhook_verify(keys, nkeys, id, strlen(id), ts, strlen(ts),
                               sigs, strlen(sigs), body, strlen(body), now,
                               BLOG_WEBHOOK_TOLERANCE);
}


static void
test_keys(void)
{
    blog_webhook_key_t  k;

    is_int(blog_webhook_key_decode(SPEC_SECRET, strlen(SPEC_SECRET), &keys[0]),
           0, "spec secret decodes");
    is_int(keys[0].len, 24, "spec secret is 24 bytes");

    is_int(blog_webhook_key_decode(OTHER_SECRET, strlen(OTHER_SECRET),
                                   &keys[1]),
           0, "padded secret decodes");
    is_int(keys[1].len, 32, "padded secret is 32 bytes");

    is_int(blog_webhook_key_decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 32, &k),
           -1, "secret without whsec_ refused");
    is_int(blog_webhook_key_decode("whsec_c2hvcnQ=", 14, &k), -1,
           "5-byte secret refused");
    is_int(blog_webhook_key_decode("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!",
                                   38, &k),
           -1, "bad base64 refused");
    is_int(blog_webhook_key_decode("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", 37,
                                   &k),
           -1, "truncated base64 refused");
    is_int(blog_webhook_key_decode("whsec_", 6, &k), -1, "empty key refused");
}


static void
test_sign(void)
{
    char  sig[BLOG_WEBHOOK_SIG_LEN + 1];

    is_int(blog_webhook_sign(&keys[0], SPEC_ID, strlen(SPEC_ID), SPEC_TS,
                             strlen(SPEC_TS), SPEC_BODY, strlen(SPEC_BODY),
                             sig),
           0, "sign: ok");
    is_str(sig, SPEC_SIG, "sign: the spec's example signature");

    blog_webhook_sign(&keys[0], SPEC_ID, strlen(SPEC_ID), "1614265331", 10,
                      SPEC_BODY, strlen(SPEC_BODY), sig);
    ok(strcmp(sig, SPEC_SIG) != 0, "sign: another timestamp, another sig");
}


static void
test_verify(void)
{
    is_int(verify(1, SPEC_ID, SPEC_TS, SPEC_SIG, SPEC_BODY, SPEC_NOW),
           BLOG_WEBHOOK_OK, "verify: the spec's example");

    is_int(verify(1, SPEC_ID, SPEC_TS, BAD_SIG, SPEC_BODY, SPEC_NOW),
           BLOG_WEBHOOK_BAD_SIGNATURE, "verify: the reference's bad sig");

    is_int(verify(1, SPEC_ID, SPEC_TS,
                  BAD_SIG " v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= "
                  SPEC_SIG " " BAD_SIG, SPEC_BODY, SPEC_NOW),
           BLOG_WEBHOOK_OK, "verify: one good among several signatures");

    is_int(verify(1, SPEC_ID, SPEC_TS, SPEC_SIG, "{\"test\": 2432232315}",
                  SPEC_NOW),
           BLOG_WEBHOOK_BAD_SIGNATURE, "verify: altered body");

    is_int(verify(1, "msg_p5jXN8AQM9LWM0D4loKWxJeK", SPEC_TS, SPEC_SIG,
                  SPEC_BODY, SPEC_NOW),
           BLOG_WEBHOOK_BAD_SIGNATURE, "verify: altered id");

    is_int(verify(1, SPEC_ID, "1614265331", SPEC_SIG, SPEC_BODY, SPEC_NOW),
           BLOG_WEBHOOK_BAD_SIGNATURE, "verify: altered timestamp");

    is_int(verify(1, SPEC_ID, SPEC_TS, "v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJ"
                  "ELVlNIOLJ1OE=", SPEC_BODY, SPEC_NOW),
           BLOG_WEBHOOK_NO_SIGNATURE, "verify: only a v1a signature");

    is_int(verify(1, SPEC_ID, SPEC_TS, "", SPEC_BODY, SPEC_NOW),
           BLOG_WEBHOOK_NO_SIGNATURE, "verify: empty signature header");

    is_int(verify(1, SPEC_ID, SPEC_TS, SPEC_SIG "=", SPEC_BODY, SPEC_NOW),
           BLOG_WEBHOOK_BAD_SIGNATURE, "verify: signature one byte long");

    is_int(verify(1, SPEC_ID, SPEC_TS, "v1,g0hM9SsE", SPEC_BODY, SPEC_NOW),
           BLOG_WEBHOOK_BAD_SIGNATURE, "verify: prefix of the signature");

    /* tolerance: the reference rejects 5 minutes and more either way */
    is_int(verify(1, SPEC_ID, SPEC_TS, SPEC_SIG, SPEC_BODY, SPEC_NOW + 300),
           BLOG_WEBHOOK_OK, "verify: 300 s old passes");
    is_int(verify(1, SPEC_ID, SPEC_TS, SPEC_SIG, SPEC_BODY, SPEC_NOW + 301),
           BLOG_WEBHOOK_EXPIRED, "verify: 301 s old is expired");
    is_int(verify(1, SPEC_ID, SPEC_TS, SPEC_SIG, SPEC_BODY, SPEC_NOW - 301),
           BLOG_WEBHOOK_FUTURE, "verify: 301 s ahead is refused");

    /* rotation: the old key still verifies while both are configured */
    is_int(verify(2, SPEC_ID, SPEC_TS, SPEC_SIG, SPEC_BODY, SPEC_NOW),
           BLOG_WEBHOOK_OK, "verify: rotated keys, signed with the first");
    keys[1] = keys[0];
    blog_webhook_key_decode(OTHER_SECRET, strlen(OTHER_SECRET), &keys[0]);
    is_int(verify(2, SPEC_ID, SPEC_TS, SPEC_SIG, SPEC_BODY, SPEC_NOW),
           BLOG_WEBHOOK_OK, "verify: rotated keys, signed with the second");
    is_int(verify(1, SPEC_ID, SPEC_TS, SPEC_SIG, SPEC_BODY, SPEC_NOW),
           BLOG_WEBHOOK_BAD_SIGNATURE, "verify: old key removed");
    blog_webhook_key_decode(SPEC_SECRET, strlen(SPEC_SECRET), &keys[0]);

    /* syntax */
    is_int(verify(1, "", SPEC_TS, SPEC_SIG, SPEC_BODY, SPEC_NOW),
           BLOG_WEBHOOK_BAD_ID, "verify: empty id");
    is_int(verify(1, "msg.1", SPEC_TS, SPEC_SIG, SPEC_BODY, SPEC_NOW),
           BLOG_WEBHOOK_BAD_ID, "verify: id with a dot");
    is_int(verify(1, SPEC_ID, "", SPEC_SIG, SPEC_BODY, SPEC_NOW),
           BLOG_WEBHOOK_BAD_TIMESTAMP, "verify: empty timestamp");
    is_int(verify(1, SPEC_ID, "-1614265330", SPEC_SIG, SPEC_BODY, SPEC_NOW),
           BLOG_WEBHOOK_BAD_TIMESTAMP, "verify: negative timestamp");
    is_int(verify(1, SPEC_ID, "1614265330.5", SPEC_SIG, SPEC_BODY, SPEC_NOW),
           BLOG_WEBHOOK_BAD_TIMESTAMP, "verify: fractional timestamp");
    is_int(verify(1, SPEC_ID, "9999999999999999999", SPEC_SIG, SPEC_BODY,
                  SPEC_NOW),
           BLOG_WEBHOOK_BAD_TIMESTAMP, "verify: 19-digit timestamp");
}


int
main(void)
{
    test_keys();
    test_sign();
    test_verify();

    is_str(blog_webhook_strerror(BLOG_WEBHOOK_BAD_SIGNATURE), "bad signature",
           "strerror");

    return tap_done();
}
