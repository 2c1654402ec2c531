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

#include <stdint.h>

#include "core/jr_conf.h"

/* The environment's credentials, for those the file does not set. */
#define JR_S3_ENV_REGION      "AWS_REGION"
#define JR_S3_ENV_ACCESS_KEY  "AWS_ACCESS_KEY_ID"
#define JR_S3_ENV_SECRET_KEY  "AWS_SECRET_ACCESS_KEY"
#define JR_S3_ENV_TOKEN       "AWS_SESSION_TOKEN"

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
} jr_s3_conf_t;

extern const jr_conf_section_t  jr_s3_conf_section;

/* S3's bucket names, for the keys of other sections too. */
extern const jr_conf_check_t  jr_s3_conf_bucket;

/* The defaults, for a client configured by hand (the fuzz target). */
void jr_s3_conf_init(jr_s3_conf_t *sc);

#endif /* JR_S3_CONF_H */
