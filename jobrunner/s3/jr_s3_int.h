/*
 * The S3 client's insides, shared by its files: jr_s3.c (signing,
 * transfers, the loop), jr_s3_answer.c (answers into results, with
 * jr_s3_xml.c's parser), jr_s3_ops.c (the requests of each operation,
 * uploads, listings).  Not for its users.
 */

#ifndef JR_S3_INT_H
#define JR_S3_INT_H

#include <curl/curl.h>

#include "s3/jr_s3.h"


#define JR_S3_FIELDS  8        /* query parameters, extra headers */

enum {
    JR_S3_OP_GET = 0,
    JR_S3_OP_PUT,
    JR_S3_OP_HEAD,
    JR_S3_OP_DELETE,
    JR_S3_OP_COPY,
    JR_S3_OP_LIST,
    JR_S3_OP_MPU_CREATE,
    JR_S3_OP_MPU_PART,
    JR_S3_OP_MPU_COMPLETE,
    JR_S3_OP_MPU_ABORT,
    JR_S3_OPS
};

struct jr_s3_req_s {
    jr_s3_t              *s3;
    jr_s3_req_t          *next;          /* the client's active list */
    jr_s3_req_t         **prev;
    int                   op;
    const char           *method;
    char                 *key;           /* NULL: the bucket itself */
    char                 *pnames[JR_S3_FIELDS];
    char                 *pvalues[JR_S3_FIELDS];
    size_t                nparams;
    char                 *hnames[JR_S3_FIELDS];
    char                 *hvalues[JR_S3_FIELDS];
    size_t                nheaders;
    char                  range[64];

    const void           *body;          /* the caller's */
    size_t                body_len;
    size_t                body_pos;
    int                   has_body;
    char                 *owned_body;    /* one we built: CompleteMPU */
    char                  sha256[65];
    char                  md5[32];

    int                   out_fd;        /* -1: the body to memory */
    size_t                out_len;
    size_t                max_body;

    /* one attempt */
    char                 *url;
    struct curl_slist    *slist;
    CURL                 *easy;
    char                  errbuf[CURL_ERROR_SIZE];
    long                  status_seen;
    unsigned char        *buf;
    size_t                buf_len;
    size_t                buf_size;
    int                   too_large;
    int                   write_failed;
    int                   stalled;       /* no byte moved for "timeout" */
    uint64_t              moved_ms;      /* when a byte last moved */
    int64_t               moved;         /* bytes sent + received */

    uv_timer_t            retry;         /* the wait between attempts */
    int                   retry_init;
    jr_s3_done_pt         done;
    void                 *data;

    jr_s3_result_t        res;
};


jr_s3_req_t *jr_s3_req_new(jr_s3_t *s3, int op, const char *method,
    const char *key);
int jr_s3_req_param(jr_s3_req_t *req, const char *name, const char *value);
void jr_s3_req_body(jr_s3_req_t *req, const void *body, size_t len);
const jr_s3_conf_t *jr_s3_conf(jr_s3_t *s3);

/* The loop, or NULL when there is none or the client is closing. */
uv_loop_t *jr_s3_loop(jr_s3_t *s3);

/* The callback of an async request, then its end. */
void jr_s3_complete(jr_s3_req_t *req);

/* jr_s3_answer.c: sets req's result to a failure. */
void jr_s3_fail(jr_s3_req_t *req, const char *code, const char *message);

/*
 * jr_s3_answer.c: sets req->res from the status and body of an answer:
 * ok, or the error code and message; the parts of each operation's
 * answer (listing, upload id, ETag); a GET's body, which it takes.
 */
void jr_s3_answer(jr_s3_req_t *req, long status, unsigned char *body,
    size_t len);

/* jr_s3_answer.c: strips the quotes S3 puts around an ETag, in place. */
void jr_s3_unquote(char *etag);

#endif /* JR_S3_INT_H */
