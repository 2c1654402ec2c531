/*
 * libFuzzer target: the newsletter's links (blog_newsletter.c), whose
 * tokens anyone can send to subscribe/confirm and unsubscribe.  Beyond
 * "no crash": a token that opens was signed with the key (the fuzzer
 * cannot forge one, so only the seeds' own open), its payload is a C
 * string as long as said, and a confirm payload that parses has a valid
 * address inside it; the address check takes any bytes.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blog_newsletter.h"


#define KEY  "0123456789abcdef0123456789abcdef"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                n;
    char               out[BLOG_NL_TOKEN_MAX], tok[BLOG_NL_TOKEN_MAX + 1];
    blog_nl_confirm_t  c;

    (void) blog_email_valid((const char *) data, size);

    n = blog_nl_open(KEY, BLOG_NL_CONFIRM, (const char *) data, size, out,
                     sizeof(out));

    if (n >= 0) {
        if ((size_t) n >= sizeof(out) || strlen(out) > (size_t) n) {
            abort();
        }

        if (blog_nl_confirm_parse(out, (size_t) n, &c) == 0
            && (!blog_email_valid(c.email, c.email_len)
                || c.expires < c.issued))
        {
            abort();
        }
    }

    /* what is signed opens, to the same payload */
    if (size < 200 && memchr(data, '\0', size) == NULL) {
        n = blog_nl_sign(KEY, BLOG_NL_UNSUBSCRIBE, (const char *) data, size,
                         tok, sizeof(tok));
        if (n > 0
            && (blog_nl_open(KEY, BLOG_NL_UNSUBSCRIBE, tok, (size_t) n, out,
                             sizeof(out)) != (int) size
                || memcmp(out, data, size) != 0))
        {
            abort();
        }
    }

    return 0;
}
