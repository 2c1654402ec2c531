/*
 * argon2id hashes and random tokens; see blog_secret.h for the parameters.
 */

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <argon2.h>

#include "blog_secret.h"


static int
blog_random(void *buf, size_t n)
{
    ssize_t  got;
    size_t   done;

    /* getrandom() may return short for large n, or be interrupted */
    for (done = 0; done < n; done += (size_t) got) {
        got = getrandom((char *) buf + done, n - done, 0);

        if (got < 0) {
            if (errno == EINTR) {
                got = 0;
                continue;
            }

            return -1;
        }
    }

    return 0;
}


int
blog_password_hash(const char *pw, size_t len, char *out)
{
    unsigned char  salt[BLOG_ARGON2_SALT];

    if (len < BLOG_PASSWORD_MIN || len > BLOG_PASSWORD_MAX
        || blog_random(salt, sizeof(salt)) != 0)
    {
        return -1;
    }

    if (argon2id_hash_encoded(BLOG_ARGON2_T, BLOG_ARGON2_M_KIB, BLOG_ARGON2_P,
                              pw, len, salt, sizeof(salt), BLOG_ARGON2_TAG,
                              out, BLOG_PASSWORD_HASH_SIZE)
        != ARGON2_OK)
    {
        return -1;
    }

    return 0;
}


int
blog_password_verify(const char *hash, const char *pw, size_t len)
{
    int  rc;

    if (len > BLOG_PASSWORD_MAX || strncmp(hash, "$argon2id$", 10) != 0) {
        return -1;
    }

    /* argon2 compares the tags in constant time itself */
    rc = argon2id_verify(hash, pw, len);

    if (rc == ARGON2_OK) {
        return 1;
    }

    return rc == ARGON2_VERIFY_MISMATCH ? 0 : -1;
}


int
blog_random_hex(char *out, size_t n)
{
    size_t          i;
    unsigned char   buf[64];

    static const char  hex[] = "0123456789abcdef";

    if (n > sizeof(buf) || blog_random(buf, n) != 0) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        out[2 * i] = hex[buf[i] >> 4];
        out[2 * i + 1] = hex[buf[i] & 0xf];
    }

    out[2 * n] = '\0';

    return 0;
}
