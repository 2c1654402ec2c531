/*
 * The [s3] section: where the S3-compatible bucket is and how to sign for
 * it.  One bucket serves every user of the S3 client (continuous backup of
 * data.db, media mirrors).
 *
 *     [s3]
 *     endpoint          = https://s3.eu-west-1.amazonaws.com
 *     region            = eu-west-1
 *     bucket            = my-blog-backups
 *     url_style         = virtual          ; or path; default: auto
 *     access_key_id     = AKIA...          ; or AWS_ACCESS_KEY_ID
 *     secret_access_key = ...              ; or AWS_SECRET_ACCESS_KEY
 *     session_token     = ...              ; or AWS_SESSION_TOKEN
 *     ca_file           = /etc/ssl/my-ca.pem
 *     timeout           = 30s
 *     max_attempts      = 5
 *     part_size         = 16M
 *
 * Credentials missing from the file are taken from the environment when
 * the configuration is read.  Messages never quote a secret.
 */

#ifndef JR_S3_CONF_H
#define JR_S3_CONF_H

#include <stddef.h>
#include <stdint.h>

#define JR_S3_PART_MIN      (5ULL << 20)      /* S3's smallest part */
#define JR_S3_PART_MAX      (5ULL << 30)      /* and largest */
#define JR_S3_ATTEMPTS_MAX  20

typedef enum {
    JR_S3_URL_AUTO = 0,      /* virtual for *.amazonaws.com, else path */
    JR_S3_URL_PATH,          /* ENDPOINT/BUCKET/KEY */
    JR_S3_URL_VIRTUAL        /* BUCKET.ENDPOINT-HOST/KEY */
} jr_s3_url_style_e;

typedef struct {
    int                 line;            /* of "[s3]"; 0: no section */
    char               *endpoint;        /* "http(s)://host[:port]" */
    char               *region;
    char               *bucket;
    jr_s3_url_style_e   url_style;       /* never AUTO after finish */
    char               *access_key;
    char               *secret_key;      /* wiped on free */
    char               *session_token;   /* NULL: none; wiped on free */
    char               *ca_file;         /* NULL: the system's CAs */
    unsigned            timeout;         /* seconds without progress */
    unsigned            max_attempts;
    uint64_t            part_size;
    int                 seen[11];        /* line of each key */
} jr_s3_conf_t;

void jr_s3_conf_init(jr_s3_conf_t *sc);
void jr_s3_conf_free(jr_s3_conf_t *sc);

/* "[s3]": 0, or -1 when given twice. */
int jr_s3_conf_section(jr_s3_conf_t *sc, int line, char *err, size_t errlen);

/* A key of [s3]; paths relative to dir (dirlen bytes).  0 or -1. */
int jr_s3_conf_key(jr_s3_conf_t *sc, const char *name, const char *value,
    const char *dir, size_t dirlen, int line, char *err, size_t errlen);

/*
 * After the whole file, when [s3] was given: required keys, credentials
 * from the environment, the URL style.  0, or -1 with *line to blame.
 */
int jr_s3_conf_finish(jr_s3_conf_t *sc, int *line, char *err,
    size_t errlen);

/* Parses "16M", "5G", "65536" into bytes.  Returns 0 or -1. */
int jr_s3_conf_size(const char *value, uint64_t *bytes);

#endif /* JR_S3_CONF_H */
