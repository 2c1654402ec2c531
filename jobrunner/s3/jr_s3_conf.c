/*
 * The [s3] section; see jr_s3_conf.h.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "jobs/jr_jobs_conf.h"
#include "s3/jr_s3_conf.h"


#define JR_S3_TIMEOUT_MAX  3600

enum {
    JR_S3_KEY_ENDPOINT = 0,
    JR_S3_KEY_REGION,
    JR_S3_KEY_BUCKET,
    JR_S3_KEY_URL_STYLE,
    JR_S3_KEY_ACCESS,
    JR_S3_KEY_SECRET,
    JR_S3_KEY_TOKEN,
    JR_S3_KEY_CA_FILE,
    JR_S3_KEY_TIMEOUT,
    JR_S3_KEY_ATTEMPTS,
    JR_S3_KEY_PART_SIZE,
    JR_S3_KEY_N
};

static const char *const  jr_s3_keys[JR_S3_KEY_N] = {
    "endpoint", "region", "bucket", "url_style", "access_key_id",
    "secret_access_key", "session_token", "ca_file", "timeout",
    "max_attempts", "part_size"
};


static int __attribute__((format(printf, 3, 4)))
jr_s3_conf_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);

    return -1;
}


void
jr_s3_conf_init(jr_s3_conf_t *sc)
{
    memset(sc, 0, sizeof(jr_s3_conf_t));

    sc->timeout = 30;
    sc->max_attempts = 5;
    sc->part_size = 16ULL << 20;
}


static void
jr_s3_conf_wipe(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}


void
jr_s3_conf_free(jr_s3_conf_t *sc)
{
    free(sc->endpoint);
    free(sc->region);
    free(sc->bucket);
    free(sc->access_key);
    jr_s3_conf_wipe(sc->secret_key);
    jr_s3_conf_wipe(sc->session_token);
    free(sc->ca_file);

    jr_s3_conf_init(sc);
}


int
jr_s3_conf_section(jr_s3_conf_t *sc, int line, char *err, size_t errlen)
{
    if (sc->line) {
        return jr_s3_conf_error(err, errlen, "duplicate section \"[s3]\" "
                                "(first on line %d)", sc->line);
    }

    sc->line = line;

    return 0;
}


int
jr_s3_conf_size(const char *value, uint64_t *bytes)
{
    char         *end;
    uint64_t      n, mult;
    const char   *c;

    for (c = value; *c >= '0' && *c <= '9'; c++) {
        /* nothing */
    }

    if (c == value || c - value > 12) {
        return -1;
    }

    n = strtoull(value, &end, 10);

    switch (*end) {
    case '\0':
        mult = 1;
        break;
    case 'k':
    case 'K':
        mult = 1ULL << 10;
        break;
    case 'm':
    case 'M':
        mult = 1ULL << 20;
        break;
    case 'g':
    case 'G':
        mult = 1ULL << 30;
        break;
    default:
        return -1;
    }

    if (*end != '\0' && end[1] != '\0') {
        return -1;
    }

    *bytes = n * mult;

    return 0;
}


/* "http://host[:port]" or "https://...", with no path, query or user. */
static int
jr_s3_conf_endpoint(const char *value)
{
    const char  *host, *c;

    if (strncmp(value, "http://", 7) == 0) {
        host = value + 7;

    } else if (strncmp(value, "https://", 8) == 0) {
        host = value + 8;

    } else {
        return -1;
    }

    if (*host == '\0') {
        return -1;
    }

    for (c = host; *c; c++) {
        if (*c == '/' && c[1] == '\0') {
            break;
        }

        if (*c == '/' || *c == '?' || *c == '#' || *c == '@' || *c <= ' ') {
            return -1;
        }
    }

    return 0;
}


/* A bucket name per S3's rules: 3 to 63 of a-z 0-9 . -, no "..". */
static int
jr_s3_conf_bucket(const char *value)
{
    size_t       len;
    const char  *c;

    len = strlen(value);

    if (len < 3 || len > 63 || strstr(value, "..") != NULL) {
        return -1;
    }

    for (c = value; *c; c++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')
              || *c == '.' || *c == '-'))
        {
            return -1;
        }
    }

    return 0;
}


static int
jr_s3_conf_strdup(char **field, const char *value, char *err, size_t errlen)
{
    *field = strdup(value);
    if (*field == NULL) {
        return jr_s3_conf_error(err, errlen, "out of memory");
    }

    return 0;
}


int
jr_s3_conf_key(jr_s3_conf_t *sc, const char *name, const char *value,
    const char *dir, size_t dirlen, int line, char *err, size_t errlen)
{
    int        i;
    long       secs;
    size_t     len;
    uint64_t   n;

    for (i = 0; i < JR_S3_KEY_N; i++) {
        if (strcmp(name, jr_s3_keys[i]) == 0) {
            break;
        }
    }

    if (i == JR_S3_KEY_N) {
        return jr_s3_conf_error(err, errlen, "unknown key \"%s\" in [s3]",
                                name);
    }

    if (sc->seen[i]) {
        return jr_s3_conf_error(err, errlen, "duplicate key \"%s\" (first "
                                "set on line %d)", name, sc->seen[i]);
    }

    sc->seen[i] = line;

    switch (i) {

    case JR_S3_KEY_ENDPOINT:
        if (jr_s3_conf_endpoint(value) != 0) {
            return jr_s3_conf_error(err, errlen, "invalid endpoint \"%s\" "
                                    "(expected http:// or https:// and a "
                                    "host, with an optional port, no path)",
                                    value);
        }

        if (jr_s3_conf_strdup(&sc->endpoint, value, err, errlen) != 0) {
            return -1;
        }

        /* "https://host/" is "https://host" */
        len = strlen(sc->endpoint);
        if (sc->endpoint[len - 1] == '/') {
            sc->endpoint[len - 1] = '\0';
        }

        return 0;

    case JR_S3_KEY_REGION:
        if (strlen(value) > 64 || strpbrk(value, "/ \t") != NULL) {
            return jr_s3_conf_error(err, errlen, "invalid region \"%s\"",
                                    value);
        }

        return jr_s3_conf_strdup(&sc->region, value, err, errlen);

    case JR_S3_KEY_BUCKET:
        if (jr_s3_conf_bucket(value) != 0) {
            return jr_s3_conf_error(err, errlen, "invalid bucket \"%s\" "
                                    "(3 to 63 of a-z, 0-9, \".\" and \"-\")",
                                    value);
        }

        return jr_s3_conf_strdup(&sc->bucket, value, err, errlen);

    case JR_S3_KEY_URL_STYLE:
        if (strcmp(value, "path") == 0) {
            sc->url_style = JR_S3_URL_PATH;

        } else if (strcmp(value, "virtual") == 0) {
            sc->url_style = JR_S3_URL_VIRTUAL;

        } else if (strcmp(value, "auto") == 0) {
            sc->url_style = JR_S3_URL_AUTO;

        } else {
            return jr_s3_conf_error(err, errlen, "invalid url_style \"%s\" "
                                    "(expected path, virtual or auto)",
                                    value);
        }

        return 0;

    case JR_S3_KEY_ACCESS:
        return jr_s3_conf_strdup(&sc->access_key, value, err, errlen);

    /* the value of a secret is never repeated in a message */
    case JR_S3_KEY_SECRET:
        return jr_s3_conf_strdup(&sc->secret_key, value, err, errlen);

    case JR_S3_KEY_TOKEN:
        return jr_s3_conf_strdup(&sc->session_token, value, err, errlen);

    case JR_S3_KEY_CA_FILE:
        len = value[0] == '/' ? 0 : dirlen;
        sc->ca_file = malloc(len + strlen(value) + 1);
        if (sc->ca_file == NULL) {
            return jr_s3_conf_error(err, errlen, "out of memory");
        }

        memcpy(sc->ca_file, dir, len);
        strcpy(sc->ca_file + len, value);
        return 0;

    case JR_S3_KEY_TIMEOUT:
        if (jr_jobs_conf_duration(value, &secs) != 0
            || secs > JR_S3_TIMEOUT_MAX)
        {
            return jr_s3_conf_error(err, errlen, "invalid timeout \"%s\" "
                                    "(expected a duration from 1s to 1h)",
                                    value);
        }

        sc->timeout = (unsigned) secs;
        return 0;

    case JR_S3_KEY_ATTEMPTS:
        n = strspn(value, "0123456789") == strlen(value)
            && strlen(value) <= 2 ? strtoull(value, NULL, 10) : 0;

        if (n < 1 || n > JR_S3_ATTEMPTS_MAX) {
            return jr_s3_conf_error(err, errlen, "invalid max_attempts \"%s\" "
                                    "(expected 1..%d)", value,
                                    JR_S3_ATTEMPTS_MAX);
        }

        sc->max_attempts = (unsigned) n;
        return 0;

    default:
        if (jr_s3_conf_size(value, &n) != 0 || n < JR_S3_PART_MIN
            || n > JR_S3_PART_MAX)
        {
            return jr_s3_conf_error(err, errlen, "invalid part_size \"%s\" "
                                    "(expected 5M to 5G)", value);
        }

        sc->part_size = n;
        return 0;
    }
}


/* The environment's value of a credential the file did not set. */
static int
jr_s3_conf_env(char **field, const char *var, char *err, size_t errlen)
{
    const char  *value;

    if (*field != NULL) {
        return 0;
    }

    value = getenv(var);
    if (value == NULL || value[0] == '\0') {
        return 0;
    }

    return jr_s3_conf_strdup(field, value, err, errlen);
}


int
jr_s3_conf_finish(jr_s3_conf_t *sc, int *line, char *err, size_t errlen)
{
    const char  *host;
    size_t       len;

    *line = sc->line;

    if (sc->endpoint == NULL || sc->bucket == NULL) {
        return jr_s3_conf_error(err, errlen, "missing required key \"%s\" "
                                "in [s3]",
                                sc->endpoint ? "bucket" : "endpoint");
    }

    if (jr_s3_conf_env(&sc->region, "AWS_REGION", err, errlen) != 0
        || jr_s3_conf_env(&sc->access_key, "AWS_ACCESS_KEY_ID", err, errlen)
        || jr_s3_conf_env(&sc->secret_key, "AWS_SECRET_ACCESS_KEY", err,
                          errlen)
        || jr_s3_conf_env(&sc->session_token, "AWS_SESSION_TOKEN", err,
                          errlen))
    {
        return -1;
    }

    if (sc->region == NULL
        && jr_s3_conf_strdup(&sc->region, "us-east-1", err, errlen) != 0)
    {
        return -1;
    }

    if (sc->access_key == NULL || sc->secret_key == NULL) {
        return jr_s3_conf_error(err, errlen, "no S3 credentials: set "
                                "access_key_id and secret_access_key in [s3], "
                                "or AWS_ACCESS_KEY_ID and "
                                "AWS_SECRET_ACCESS_KEY in the environment");
    }

    if (sc->url_style == JR_S3_URL_AUTO) {
        host = strstr(sc->endpoint, "://") + 3;
        len = strcspn(host, ":");

        sc->url_style = (len >= 14
                         && memcmp(host + len - 14, ".amazonaws.com", 14) == 0)
                        ? JR_S3_URL_VIRTUAL : JR_S3_URL_PATH;
    }

    /* a dotted bucket breaks the TLS name check of virtual hosts */
    if (sc->url_style == JR_S3_URL_VIRTUAL && strchr(sc->bucket, '.')
        && strncmp(sc->endpoint, "https://", 8) == 0)
    {
        *line = sc->seen[JR_S3_KEY_BUCKET];
        return jr_s3_conf_error(err, errlen, "bucket \"%s\" has a dot, which "
                                "the certificate of a virtual-host URL does "
                                "not cover: set url_style = path",
                                sc->bucket);
    }

    return 0;
}
