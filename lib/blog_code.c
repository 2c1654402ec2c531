/*
 * One-time sign-in codes; see blog_code.h.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>

#include "blog_code.h"


/* Crockford's base32: 32 symbols, so a random byte & 31 is uniform. */
static const char  blog_code_alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";


int
blog_code_new(char *out)
{
    size_t         i;
    ssize_t        got;
    unsigned char  rnd[BLOG_CODE_LEN];

    /* up to 256 bytes come whole from getrandom(), barring a signal */
    do {
        got = getrandom(rnd, sizeof(rnd), 0);
    } while (got < 0 && errno == EINTR);

    if (got != (ssize_t) sizeof(rnd)) {
        return -1;
    }

    for (i = 0; i < BLOG_CODE_LEN; i++) {
        out[i] = blog_code_alphabet[rnd[i] & 31];
    }

    out[BLOG_CODE_LEN] = '\0';

    explicit_bzero(rnd, sizeof(rnd));

    return 0;
}


int
blog_code_normalize(const char *in, size_t len, char *out)
{
    char    c;
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {
        c = in[i];

        if (c == ' ' || c == '-' || c == '\t') {
            continue;
        }

        if (c >= 'a' && c <= 'z') {
            c = (char) (c - 'a' + 'A');
        }

        if (c == 'O') {
            c = '0';

        } else if (c == 'I' || c == 'L') {
            c = '1';
        }

        if (n == BLOG_CODE_LEN || c == 'U'
            || !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')))
        {
            return -1;
        }

        out[n++] = c;
    }

    if (n != BLOG_CODE_LEN) {
        return -1;
    }

    out[n] = '\0';

    return 0;
}


void
blog_code_show(const char *code, char *out)
{
    memcpy(out, code, BLOG_CODE_LEN / 2);
    out[BLOG_CODE_LEN / 2] = '-';
    memcpy(out + BLOG_CODE_LEN / 2 + 1, code + BLOG_CODE_LEN / 2,
           BLOG_CODE_LEN / 2);
    out[BLOG_CODE_SHOWN_LEN] = '\0';
}


int
blog_code_hash(const char *purpose, int64_t user, const char *code, char *out)
{
    int            n;
    char           msg[96];
    unsigned int   mdlen, i;
    unsigned char  md[EVP_MAX_MD_SIZE];

    static const char  hex[] = "0123456789abcdef";

    n = snprintf(msg, sizeof(msg), "%s:%lld:%s", purpose, (long long) user,
                 code);
    if (n < 0 || (size_t) n >= sizeof(msg)) {
        return -1;
    }

    if (EVP_Digest(msg, (size_t) n, md, &mdlen, EVP_sha256(), NULL) != 1) {
        explicit_bzero(msg, sizeof(msg));
        return -1;
    }

    explicit_bzero(msg, sizeof(msg));

    for (i = 0; i < mdlen; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }

    out[2 * mdlen] = '\0';

    return 0;
}
