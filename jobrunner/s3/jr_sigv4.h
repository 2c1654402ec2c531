/*
 * AWS Signature Version 4 (HMAC-SHA256), the signing of S3 requests.
 *
 * Pure functions over a description of the request, so the unit test
 * checks them against AWS's published test vectors (t/unit/jr_sigv4.c)
 * with no network and no clock.
 *
 * The canonical URI follows S3's rules: each byte of the path is
 * percent-encoded except the unreserved characters and "/", once, with no
 * normalization of "." or "//" segments (an S3 key may hold them).  The
 * same encoding builds the URL that is sent (jr_sigv4_encode), so what is
 * signed is what travels.
 */

#ifndef JR_SIGV4_H
#define JR_SIGV4_H

#include <stddef.h>

#define JR_SIGV4_HASH_LEN    64          /* hex of a SHA-256 */
#define JR_SIGV4_DATE_LEN    16          /* "20150830T123600Z" */

/* sha256("") in hex: the payload hash of a request without a body */
#define JR_SIGV4_EMPTY_HASH                                                   \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

typedef struct {
    const char  *name;       /* as sent; lowercased for signing */
    const char  *value;      /* as sent; trimmed, inner blanks folded */
} jr_sigv4_header_t;

typedef struct {
    const char  *name;       /* raw bytes, not percent-encoded */
    const char  *value;      /* raw; "" for a parameter without a value */
} jr_sigv4_param_t;

typedef struct {
    const char                *method;
    const char                *path;          /* raw, starts with "/" */
    const jr_sigv4_param_t    *params;
    size_t                     nparams;
    const jr_sigv4_header_t   *headers;       /* every one is signed */
    size_t                     nheaders;
    const char                *payload_hash;  /* hex, or UNSIGNED-PAYLOAD */
    const char                *amz_date;      /* "YYYYMMDDTHHMMSSZ" */
    const char                *region;
    const char                *service;       /* "s3" */
    const char                *access_key;
    const char                *secret_key;
} jr_sigv4_req_t;


/*
 * The value of the Authorization header, malloc'ed, or NULL when out of
 * memory.  When creq or sts is not NULL it gets the canonical request or
 * the string to sign, malloc'ed, for tests and debugging (they hold no
 * secret).
 */
char *jr_sigv4_sign(const jr_sigv4_req_t *req, char **creq, char **sts);

/*
 * Percent-encodes len bytes of s as SigV4 wants (RFC 3986 unreserved
 * characters kept, upper-case hex), keeping "/" when keep_slash.  Returns
 * a malloc'ed string or NULL.
 */
char *jr_sigv4_encode(const char *s, size_t len, int keep_slash);

/*
 * The canonical query string of the parameters (sorted by encoded name,
 * then value; "name=" for an empty value), malloc'ed; "" for none.  Also
 * what the client puts after "?" in the URL.
 */
char *jr_sigv4_query(const jr_sigv4_param_t *params, size_t n);

/* hex of SHA-256 of len bytes into out[JR_SIGV4_HASH_LEN + 1]. */
void jr_sigv4_sha256_hex(const void *data, size_t len, char *out);

/* "YYYYMMDDTHHMMSSZ" of a Unix time, into out[JR_SIGV4_DATE_LEN + 1]. */
void jr_sigv4_date(long long t, char *out);

#endif /* JR_SIGV4_H */
