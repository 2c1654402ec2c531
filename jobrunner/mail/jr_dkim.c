/*
 * DKIM signing; see jr_dkim.h.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "mail/jr_dkim.h"
#include "mail/jr_mail.h"


/* RFC 8301: verifiers ignore RSA keys shorter than this */
#define JR_DKIM_RSA_MIN_BITS  1024

/* and the longest we sign with: signatures of 512 bytes at most */
#define JR_DKIM_RSA_MAX_BITS  4096
#define JR_DKIM_SIG_MAX       (JR_DKIM_RSA_MAX_BITS / 8)

/* The longest header field signed, its folded lines together. */
#define JR_DKIM_FIELD_MAX     8192

#define jr_dkim_wsp(c)        ((c) == ' ' || (c) == '\t')


struct jr_dkim_s {
    EVP_PKEY    *key;
    int          ed25519;
    char        *domain;
    char        *selector;
};


/*
 * The header fields signed, each instance there is (RFC 6376 5.4.2: from
 * the bottom up), and then "from" once more with none: the "oversigned"
 * From that a second From: added on the way would break (8.15).
 */
static const char *const  jr_dkim_fields[] = {
    "from", "reply-to", "subject", "date", "to", "cc", "message-id",
    "in-reply-to", "references", "mime-version", "content-type",
    "content-transfer-encoding", "list-id", "list-unsubscribe",
    "list-unsubscribe-post", "auto-submitted", NULL
};


jr_dkim_t *
jr_dkim_load(const char *domain, const char *selector, const char *file,
    char *err, size_t errlen)
{
    FILE         *f;
    EVP_PKEY     *key;
    jr_dkim_t    *dk;
    struct stat   st;

    f = fopen(file, "r");
    if (f == NULL) {
        snprintf(err, errlen, "cannot open DKIM key file \"%s\": %s", file,
                 strerror(errno));
        return NULL;
    }

    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "DKIM key file \"%s\" is not a regular file",
                 file);
        fclose(f);
        return NULL;
    }

    if (st.st_mode & (S_IWGRP | S_IRWXO)) {
        snprintf(err, errlen, "DKIM key file \"%s\" has mode %04o: others "
                 "must not read it, nor others or its group write it "
                 "(chmod 0600 or 0640)", file,
                 (unsigned) (st.st_mode & 07777));
        fclose(f);
        return NULL;
    }

    key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);

    if (key == NULL) {
        snprintf(err, errlen, "DKIM key file \"%s\" holds no PEM private "
                 "key (an unencrypted PKCS#8 or RSA key)", file);
        return NULL;
    }

    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519
        && (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA
            || EVP_PKEY_get_bits(key) < JR_DKIM_RSA_MIN_BITS
            || EVP_PKEY_get_bits(key) > JR_DKIM_RSA_MAX_BITS))
    {
        snprintf(err, errlen, "DKIM key file \"%s\": expected an Ed25519 "
                 "key or an RSA key of %d to %d bits", file,
                 JR_DKIM_RSA_MIN_BITS, JR_DKIM_RSA_MAX_BITS);
        EVP_PKEY_free(key);
        return NULL;
    }

    dk = calloc(1, sizeof(jr_dkim_t));
    if (dk == NULL) {
        EVP_PKEY_free(key);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    dk->key = key;
    dk->ed25519 = (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519);
    dk->domain = strdup(domain);
    dk->selector = strdup(selector);

    if (dk->domain == NULL || dk->selector == NULL) {
        jr_dkim_free(dk);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    return dk;
}


void
jr_dkim_free(jr_dkim_t *dk)
{
    if (dk == NULL) {
        return;
    }

    EVP_PKEY_free(dk->key);
    free(dk->domain);
    free(dk->selector);
    free(dk);
}


const char *
jr_dkim_algorithm(const jr_dkim_t *dk)
{
    return dk->ed25519 ? "ed25519-sha256" : "rsa-sha256";
}


/*
 * RFC 6376 3.4.2: the name in lowercase, no blanks around the colon, the
 * lines unfolded, runs of blanks as one space, none at the ends.
 */
size_t
jr_dkim_relaxed_header(const char *field, size_t len, char *out)
{
    int      blank, value;
    char     c;
    size_t   i, n;

    n = 0;

    for (i = 0; i < len && field[i] != ':'; i++) {
        c = field[i];

        if (jr_dkim_wsp(c)) {
            continue;
        }

        out[n++] = (c >= 'A' && c <= 'Z') ? (char) (c | 0x20) : c;
    }

    out[n++] = ':';
    blank = 0;
    value = 0;

    for (i++; i < len; i++) {
        c = field[i];

        if (c == '\r' || c == '\n') {
            continue;
        }

        if (jr_dkim_wsp(c)) {
            blank = 1;
            continue;
        }

        /* a blank between two characters of the value */
        if (blank && value) {
            out[n++] = ' ';
        }

        blank = 0;
        value = 1;
        out[n++] = c;
    }

    return n;
}


/*
 * RFC 6376 3.4.4: in each line runs of blanks as one space and none at
 * its end; empty lines at the end left out; a CRLF after the last line;
 * an empty body stays empty.
 */
size_t
jr_dkim_relaxed_body(const char *body, size_t len, char *out)
{
    size_t       n, empty, start, end, k;
    const char  *eol;

    n = 0;
    empty = 0;

    for (start = 0; start < len; start = end + 2) {
        eol = memmem(body + start, len - start, "\r\n", 2);
        end = eol ? (size_t) (eol - body) : len;

        k = start;
        while (k < end && jr_dkim_wsp(body[k])) {
            k++;
        }

        /* blank lines count as empty: only a later line writes them */
        if (k == end) {
            empty++;
            continue;
        }

        for ( /* void */ ; empty; empty--) {
            out[n++] = '\r';
            out[n++] = '\n';
        }

        for (k = start; k < end; k++) {
            if (!jr_dkim_wsp(body[k])) {
                out[n++] = body[k];

            } else if (k + 1 < end && !jr_dkim_wsp(body[k + 1])) {
                /* the last blank of a run that does not end the line */
                out[n++] = ' ';
            }
        }

        out[n++] = '\r';
        out[n++] = '\n';
    }

    return n;
}


typedef struct {
    const char  *start;
    size_t       len;       /* without the last CRLF */
    size_t       name;      /* the name's length */
    int          used;
} jr_dkim_field_t;


/* The header fields up to the empty line; their number, or -1. */
static int
jr_dkim_split(const char *msg, size_t len, jr_dkim_field_t *f, int max,
    size_t *body)
{
    int          n;
    size_t       i, colon;
    const char  *eol;

    n = 0;
    i = 0;

    while (i < len) {
        if (msg[i] == '\r' && i + 1 < len && msg[i + 1] == '\n') {
            *body = i + 2;
            return n;
        }

        if (n == max) {
            return -1;
        }

        f[n].start = msg + i;
        f[n].used = 0;

        /* the field goes on while its next line starts with a blank */
        for ( ;; ) {
            eol = memmem(msg + i, len - i, "\r\n", 2);
            if (eol == NULL) {
                return -1;
            }

            i = (size_t) (eol - msg) + 2;

            if (i >= len || !jr_dkim_wsp(msg[i])) {
                break;
            }
        }

        f[n].len = (size_t) (msg + i - 2 - f[n].start);

        colon = 0;
        while (colon < f[n].len && f[n].start[colon] != ':') {
            colon++;
        }

        if (colon == f[n].len || f[n].len > JR_DKIM_FIELD_MAX) {
            return -1;
        }

        f[n].name = colon;
        while (f[n].name > 0 && jr_dkim_wsp(f[n].start[f[n].name - 1])) {
            f[n].name--;
        }

        n++;
    }

    return -1;
}


/* A field's relaxed form and its CRLF, for the data signed. */
static void
jr_dkim_put_relaxed(jr_mail_buf_t *b, const char *field, size_t len,
    int crlf)
{
    char  out[JR_DKIM_FIELD_MAX + 1];

    if (len > JR_DKIM_FIELD_MAX) {
        b->failed = 1;
        return;
    }

    jr_mail_put(b, out, jr_dkim_relaxed_header(field, len, out));

    if (crlf) {
        jr_mail_puts(b, "\r\n");
    }
}


/* Base64 of len bytes, appended. */
static void
jr_dkim_put_base64(jr_mail_buf_t *b, const unsigned char *s, size_t len)
{
    char  out[4 * (JR_DKIM_SIG_MAX / 3 + 2)];

    if (len > JR_DKIM_SIG_MAX) {
        b->failed = 1;
        return;
    }

    jr_mail_put(b, out, (size_t) EVP_EncodeBlock((unsigned char *) out, s,
                                                 (int) len));
}


static int
jr_dkim_sha256(const void *data, size_t len, unsigned char *md)
{
    unsigned int  n;

    return EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) == 1 ? 0 : -1;
}


/* The signature of the data: RSA over it, Ed25519 over its SHA-256. */
static int
jr_dkim_signature(const jr_dkim_t *dk, const jr_mail_buf_t *data,
    unsigned char *sig, size_t *siglen)
{
    int             rc;
    EVP_MD_CTX     *ctx;
    unsigned char   md[32];

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        return -1;
    }

    if (dk->ed25519) {
        rc = jr_dkim_sha256(data->data, data->len, md) == 0
             && EVP_DigestSignInit(ctx, NULL, NULL, NULL, dk->key) == 1
             && EVP_DigestSign(ctx, sig, siglen, md, sizeof(md)) == 1;

    } else {
        rc = EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, dk->key) == 1
             && EVP_DigestSign(ctx, sig, siglen, (const unsigned char *)
                               data->data, data->len) == 1;
    }

    EVP_MD_CTX_free(ctx);

    return rc ? 0 : -1;
}


char *
jr_dkim_sign(const jr_dkim_t *dk, const char *msg, size_t len, time_t now,
    size_t *hlen)
{
    int              nf, i, k, first;
    char            *body, line[64];
    size_t           blen, at, siglen, col;
    jr_mail_buf_t    h, data;
    unsigned char    md[32], sig[JR_DKIM_SIG_MAX];
    jr_dkim_field_t  fields[128];

    memset(&h, 0, sizeof(h));
    memset(&data, 0, sizeof(data));

    nf = jr_dkim_split(msg, len, fields, 128, &at);
    if (nf < 0) {
        return NULL;
    }

    body = malloc(len - at + 2);
    if (body == NULL) {
        return NULL;
    }

    blen = jr_dkim_relaxed_body(msg + at, len - at, body);
    k = jr_dkim_sha256(body, blen, md);
    free(body);

    if (k != 0) {
        return NULL;
    }

    jr_mail_puts(&h, "DKIM-Signature: v=1; a=");
    jr_mail_puts(&h, jr_dkim_algorithm(dk));
    jr_mail_puts(&h, "; c=relaxed/relaxed; d=");
    jr_mail_puts(&h, dk->domain);
    jr_mail_puts(&h, "; s=");
    jr_mail_puts(&h, dk->selector);
    snprintf(line, sizeof(line), ";\r\n t=%lld; h=", (long long) now);
    jr_mail_puts(&h, line);

    /* each name in h= and its field in the data, bottom-up instances */
    first = 1;

    for (k = 0; jr_dkim_fields[k]; k++) {
        for (i = nf - 1; i >= 0; i--) {
            if (fields[i].used || fields[i].name != strlen(jr_dkim_fields[k])
                || strncasecmp(fields[i].start, jr_dkim_fields[k],
                               fields[i].name) != 0)
            {
                continue;
            }

            fields[i].used = 1;

            jr_mail_puts(&h, first ? "" : ":");
            jr_mail_puts(&h, jr_dkim_fields[k]);
            jr_dkim_put_relaxed(&data, fields[i].start, fields[i].len, 1);
            first = 0;
        }
    }

    jr_mail_puts(&h, first ? "from" : ":from");
    jr_mail_puts(&h, ";\r\n bh=");
    jr_dkim_put_base64(&h, md, sizeof(md));
    jr_mail_puts(&h, ";\r\n b=");

    /* the header itself with b= empty, without its CRLF, signed last */
    if (!h.failed) {
        jr_dkim_put_relaxed(&data, h.data, h.len, 0);
    }

    if (h.failed || data.failed) {
        goto failed;
    }

    siglen = sizeof(sig);

    if (jr_dkim_signature(dk, &data, sig, &siglen) != 0) {
        goto failed;
    }

    at = h.len;
    jr_dkim_put_base64(&h, sig, siglen);

    /* folded into lines of 72: blanks in b= are not part of it */
    if (!h.failed) {
        blen = h.len - at;
        body = strndup(h.data + at, blen);

        if (body == NULL) {
            goto failed;
        }

        h.len = at;

        for (col = 0; col < blen; col += 72) {
            jr_mail_puts(&h, col ? "\r\n  " : "");
            jr_mail_put(&h, body + col, blen - col < 72 ? blen - col : 72);
        }

        free(body);
    }

    jr_mail_puts(&h, "\r\n");

    if (h.failed) {
        goto failed;
    }

    free(data.data);
    *hlen = h.len;

    return h.data;

failed:

    free(h.data);
    free(data.data);

    return NULL;
}


int
jr_dkim_prepend(const jr_dkim_t *dk, char **msg, size_t *len, time_t now)
{
    char    *h, *p;
    size_t   hlen;

    h = jr_dkim_sign(dk, *msg, *len, now, &hlen);
    if (h == NULL) {
        return -1;
    }

    p = realloc(h, hlen + *len + 1);
    if (p == NULL) {
        free(h);
        return -1;
    }

    memcpy(p + hlen, *msg, *len + 1);

    /* a mail may hold a code: none left behind in freed memory */
    explicit_bzero(*msg, *len);
    free(*msg);

    *msg = p;
    *len += hlen;

    return 0;
}
