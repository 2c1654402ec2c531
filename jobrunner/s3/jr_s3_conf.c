/*
 * The [s3] section; see jr_s3_conf.h.
 */

#include <stdlib.h>
#include <string.h>

#include "s3/jr_s3_conf.h"


#define JR_S3(member)  JR_CONF_FIELD(jr_s3_conf_t, member)


/* "http://host[:port]" or "https://...", with no path, query or user. */
static int
jr_s3_conf_is_endpoint(const char *value)
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


static int
jr_s3_conf_is_region(const char *value)
{
    return (strlen(value) <= 64 && strpbrk(value, "/ \t") == NULL) ? 0 : -1;
}


/* A bucket name per S3's rules: 3 to 63 of a-z 0-9 . -, no "..". */
static int
jr_s3_conf_is_bucket(const char *value)
{
    size_t  len;

    len = strlen(value);

    return (len >= 3 && len <= 63 && strstr(value, "..") == NULL
            && strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789.-") == len)
           ? 0 : -1;
}


const jr_conf_check_t  jr_s3_conf_bucket = {
    jr_s3_conf_is_bucket,
    "expected 3 to 63 of a-z, 0-9, \".\" and \"-\""
};

static const jr_conf_check_t  jr_s3_conf_endpoint = {
    jr_s3_conf_is_endpoint,
    "expected http:// or https:// and a host, with an optional port, no path"
};

static const jr_conf_check_t  jr_s3_conf_region = {
    jr_s3_conf_is_region,
    "expected at most 64 characters, no \"/\" or blank"
};

static const jr_conf_enum_t  jr_s3_conf_styles[] = {
    { "path", JR_S3_URL_PATH }, { "virtual", JR_S3_URL_VIRTUAL },
    { "auto", JR_S3_URL_AUTO }, { NULL, 0 }
};

/* Credentials the file does not set come from the environment. */
static const jr_conf_key_t  jr_s3_conf_keys[] = {
    { "endpoint", &jr_conf_string, JR_S3(endpoint),
      .data = &jr_s3_conf_endpoint, .required = 1 },
    { "region", &jr_conf_string, JR_S3(region), .data = &jr_s3_conf_region,
      .env = JR_S3_ENV_REGION, .def = "us-east-1" },
    { "bucket", &jr_conf_string, JR_S3(bucket),
      .data = &jr_s3_conf_bucket, .required = 1 },
    { "url_style", &jr_conf_enum, JR_S3(url_style),
      .data = jr_s3_conf_styles, .def = "auto" },
    { "access_key_id", &jr_conf_string, JR_S3(access_key),
      .env = JR_S3_ENV_ACCESS_KEY },
    { "secret_access_key", &jr_conf_secret, JR_S3(secret_key),
      .env = JR_S3_ENV_SECRET_KEY },
    { "session_token", &jr_conf_secret, JR_S3(session_token),
      .env = JR_S3_ENV_TOKEN },
    { "ca_file", &jr_conf_path, JR_S3(ca_file) },
    { "timeout", &jr_conf_duration, JR_S3(timeout), .max = 3600, .def = "30s" },
    { "max_attempts", &jr_conf_number, JR_S3(max_attempts),
      .min = 1, .max = JR_S3_ATTEMPTS_MAX, .def = "5" },
    { "part_size", &jr_conf_size, JR_S3(part_size),
      .min = JR_S3_PART_MIN, .max = JR_S3_PART_MAX, .def = "16M" },
    { NULL }
};


/* The credentials, and the URL style that auto stands for. */
static int
jr_s3_conf_finish(jr_conf_t *cf, void *conf)
{
    size_t         len;
    const char    *host;
    jr_s3_conf_t  *sc = conf;

    /* "https://host/" is "https://host" */
    len = strlen(sc->endpoint);
    if (sc->endpoint[len - 1] == '/') {
        sc->endpoint[len - 1] = '\0';
    }

    if (sc->access_key == NULL || sc->secret_key == NULL) {
        return jr_conf_error(cf, "no S3 credentials: set access_key_id and "
                             "secret_access_key in [s3], or "
                             JR_S3_ENV_ACCESS_KEY " and " JR_S3_ENV_SECRET_KEY
                             " in the environment");
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
        return jr_conf_error_at(cf, jr_conf_line(cf, "bucket"), "bucket "
                                "\"%s\" has a dot, which the certificate of "
                                "a virtual-host URL does not cover: set "
                                "url_style = path", sc->bucket);
    }

    return 0;
}


const jr_conf_section_t  jr_s3_conf_section = {
    .name = "s3", .line = offsetof(jr_s3_conf_t, line),
    .keys = jr_s3_conf_keys, .finish = jr_s3_conf_finish
};


void
jr_s3_conf_init(jr_s3_conf_t *sc)
{
    memset(sc, 0, sizeof(jr_s3_conf_t));
    jr_conf_init(&jr_s3_conf_section, sc);
}
