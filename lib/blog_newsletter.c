/*
 * The newsletter's signed links and the address check; see
 * blog_newsletter.h.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "blog_newsletter.h"


static const char  blog_b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


int
blog_email_valid(const char *s, size_t len)
{
    size_t       i, at;
    const char  *bad = "<>()[]\\,;:\"";

    if (len == 0 || len > BLOG_EMAIL_MAX) {
        return 0;
    }

    at = len;

    for (i = 0; i < len; i++) {
        if ((unsigned char) s[i] <= ' ' || s[i] == 0x7f
            || strchr(bad, s[i]) != NULL)
        {
            return 0;
        }

        if (s[i] == '@') {
            if (at != len) {
                return 0;
            }

            at = i;
        }
    }

    return at > 0 && at < len - 1;
}


/* base64url without padding; returns the length written, or 0 */
static size_t
blog_b64url_encode(const unsigned char *in, size_t len, char *out,
    size_t size)
{
    size_t    i, n;
    uint32_t  v;

    n = 0;

    if ((len + 2) / 3 * 4 >= size) {
        return 0;
    }

    for (i = 0; i < len; i += 3) {
        v = (uint32_t) in[i] << 16;
        v |= (i + 1 < len) ? (uint32_t) in[i + 1] << 8 : 0;
        v |= (i + 2 < len) ? (uint32_t) in[i + 2] : 0;

        out[n++] = blog_b64url[(v >> 18) & 63];
        out[n++] = blog_b64url[(v >> 12) & 63];

        if (i + 1 < len) {
            out[n++] = blog_b64url[(v >> 6) & 63];
        }

        if (i + 2 < len) {
            out[n++] = blog_b64url[v & 63];
        }
    }

    out[n] = '\0';

    return n;
}


/* decodes base64url without padding; -1 on a bad character or size */
static int
blog_b64url_decode(const char *in, size_t len, unsigned char *out,
    size_t size)
{
    int          bits;
    size_t       i, n;
    uint32_t     v;
    const char  *p;

    if (len % 4 == 1 || len / 4 * 3 + 3 > size) {
        return -1;
    }

    n = 0;
    v = 0;
    bits = 0;

    for (i = 0; i < len; i++) {
        p = (in[i] != '\0') ? memchr(blog_b64url, in[i], 64) : NULL;
        if (p == NULL) {
            return -1;
        }

        v = (v << 6) | (uint32_t) (p - blog_b64url);
        bits += 6;

        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char) (v >> bits);
        }
    }

    /* the bits past the last byte are zero: one spelling per token */
    if (bits > 0 && (v & ((1u << bits) - 1)) != 0) {
        return -1;
    }

    return (int) n;
}


static int
blog_nl_mac(const char *key, const char *purpose, const char *p, size_t len,
    unsigned char *mac)
{
    size_t         n, plen;
    unsigned char  full[EVP_MAX_MD_SIZE];
    char           msg[32 + BLOG_NL_TOKEN_MAX];

    plen = strlen(purpose);

    if (plen + 1 + len > sizeof(msg)) {
        return -1;
    }

    memcpy(msg, purpose, plen);
    msg[plen] = ':';
    memcpy(msg + plen + 1, p, len);

    if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, strlen(key),
                  (unsigned char *) msg, plen + 1 + len, full, sizeof(full),
                  &n) == NULL
        || n < BLOG_NL_MAC_BYTES)
    {
        return -1;
    }

    memcpy(mac, full, BLOG_NL_MAC_BYTES);

    return 0;
}


int
blog_nl_sign(const char *key, const char *purpose, const char *payload,
    size_t len, char *out, size_t size)
{
    size_t         n, m;
    unsigned char  mac[BLOG_NL_MAC_BYTES];

    n = blog_b64url_encode((const unsigned char *) payload, len, out, size);
    if (n == 0 || n + 2 >= size) {
        return -1;
    }

    /* the MAC is over the encoded payload: what the link carries */
    if (blog_nl_mac(key, purpose, out, n, mac) != 0) {
        return -1;
    }

    out[n] = '.';

    m = blog_b64url_encode(mac, sizeof(mac), out + n + 1, size - n - 1);
    if (m == 0) {
        return -1;
    }

    return (int) (n + 1 + m);
}


int
blog_nl_open(const char *key, const char *purpose, const char *token,
    size_t len, char *out, size_t size)
{
    int            n;
    size_t         dot;
    unsigned char  mac[BLOG_NL_MAC_BYTES], got[BLOG_NL_MAC_BYTES + 3];

    if (len == 0 || len > BLOG_NL_TOKEN_MAX) {
        return -1;
    }

    for (dot = len; dot > 0 && token[dot - 1] != '.'; dot--) {
        /* void */
    }

    if (dot < 2) {
        return -1;
    }

    if (blog_b64url_decode(token + dot, len - dot, got, sizeof(got))
        != BLOG_NL_MAC_BYTES
        || blog_nl_mac(key, purpose, token, dot - 1, mac) != 0
        || CRYPTO_memcmp(mac, got, BLOG_NL_MAC_BYTES) != 0)
    {
        return -1;
    }

    if (size == 0) {
        return -1;
    }

    n = blog_b64url_decode(token, dot - 1, (unsigned char *) out, size - 1);
    if (n < 0) {
        return -1;
    }

    out[n] = '\0';

    return n;
}


int
blog_nl_confirm_parse(char *payload, size_t len, blog_nl_confirm_t *c)
{
    char       *p, *end, *nl;
    long long   issued, expires;

    if (memchr(payload, '\0', len) != NULL) {
        return -1;
    }

    issued = strtoll(payload, &p, 10);
    if (p == payload || *p != ' ') {
        return -1;
    }

    expires = strtoll(p + 1, &end, 10);
    if (end == p + 1 || *end != ' ' || expires < issued) {
        return -1;
    }

    nl = memchr(end + 1, '\n', payload + len - (end + 1));
    if (nl == NULL) {
        return -1;
    }

    c->issued = (time_t) issued;
    c->expires = (time_t) expires;
    c->email = end + 1;
    c->email_len = nl - (end + 1);
    c->name = nl + 1;
    c->name_len = payload + len - (nl + 1);

    *nl = '\0';

    return blog_email_valid(c->email, c->email_len) ? 0 : -1;
}


int
blog_nl_confirm_sign(const char *key, time_t issued, time_t expires,
    const char *email, const char *name, char *out, size_t size)
{
    int   n, rc;
    char  payload[BLOG_NL_TOKEN_MAX];

    n = snprintf(payload, sizeof(payload), "%lld %lld %s\n%s",
                 (long long) issued, (long long) expires, email, name);
    if (n < 0 || (size_t) n >= sizeof(payload) / 4 * 3 - 32) {
        return -1;
    }

    rc = blog_nl_sign(key, BLOG_NL_CONFIRM, payload, (size_t) n, out, size);

    return rc;
}


int
blog_nl_unsubscribe_sign(const char *key, int64_t id, char *out, size_t size)
{
    int   n;
    char  payload[32];

    n = snprintf(payload, sizeof(payload), "%" PRId64, id);

    return blog_nl_sign(key, BLOG_NL_UNSUBSCRIBE, payload, (size_t) n, out,
                        size);
}
