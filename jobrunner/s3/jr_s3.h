/*
 * A small S3 client: libcurl requests signed with AWS Signature Version 4
 * (jr_sigv4.c), run either
 *
 *   - asynchronously on the event loop (jr_s3_start): libcurl's multi
 *     interface driven by uv_poll and uv_timer handles, so the loop never
 *     waits on the network; the callback runs on the loop;
 *   - or synchronously (jr_s3_perform), in a libuv pool thread, a thread of
 *     one's own or a command-line tool such as "jobrunner restore".  Never
 *     on the loop.
 *
 * A request is built (jr_s3_*_req), then started or performed once.  Both
 * retry by themselves, with exponential backoff and jitter, when the
 * server answers 5xx, 429 or a throttling/timeout code, or the connection
 * fails or stalls for [s3] timeout; other failures are final and carry S3's
 * error code ("NoSuchKey", "AccessDenied", "SignatureDoesNotMatch", ...).
 *
 * Objects are named by key under the bucket of [s3]; a key is raw bytes
 * (UTF-8), encoded here.  Secrets are never logged: nothing here logs.
 *
 * Usage on the loop:
 *
 *     req = jr_s3_put_req(s3, "blog/x.txt", data, len);
 *     if (req == NULL || jr_s3_start(req, done, ctx) != 0) { ... }
 *     ...
 *     static void done(jr_s3_req_t *req, void *ctx) {
 *         const jr_s3_result_t *r = jr_s3_result(req);
 *         if (!r->ok) log("%s: %s", r->code, r->message);
 *     }                       // req is freed after done() returns
 *
 * In a thread:
 *
 *     req = jr_s3_get_req(s3, key);
 *     rc = jr_s3_perform(req);    // 0 if r->ok
 *     ... jr_s3_result(req)->body ...
 *     jr_s3_req_free(req);
 */

#ifndef JR_S3_H
#define JR_S3_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <uv.h>

#include "s3/jr_s3_conf.h"


typedef struct jr_s3_s      jr_s3_t;
typedef struct jr_s3_req_s  jr_s3_req_t;

typedef void (*jr_s3_done_pt)(jr_s3_req_t *req, void *data);

/* One object of a listing. */
typedef struct {
    char       *key;
    uint64_t    size;
    char       *etag;            /* without its quotes */
    char       *last_modified;   /* as S3 gives it: 2026-05-01T12:00:00.000Z */
} jr_s3_object_t;

/* A page of ListObjectsV2, or every page of jr_s3_list_all(). */
typedef struct {
    jr_s3_object_t  *objects;
    size_t           nobjects;
    char           **prefixes;   /* CommonPrefixes, with a delimiter */
    size_t           nprefixes;
    int              truncated;  /* more pages follow */
    char            *next_token; /* for jr_s3_list_req() */
} jr_s3_list_t;

typedef struct {
    int              ok;         /* 2xx, and no error in the body */
    long             status;     /* HTTP status; 0: no answer */

    /*
     * S3's error code, or for failures without an answer: "Timeout",
     * "ConnectFailed", "NetworkError", "Canceled" (jr_s3_close), "TooLarge"
     * (a body over the request's limit), "BadResponse", "OutOfMemory",
     * "WriteFailed" (the output file); "NotFound" for a HEAD's 404, which
     * has no body.  "" when ok.
     */
    char             code[64];
    char             message[256];
    unsigned         attempts;   /* requests sent, retries included */

    char             etag[128];  /* PUT, HEAD, GET, part, complete, copy */
    uint64_t         size;       /* Content-Length of a GET or HEAD */
    char             last_modified[64];   /* HTTP date, GET and HEAD */
    char            *upload_id;  /* jr_s3_mpu_create_req */
    jr_s3_list_t     list;       /* jr_s3_list_req */
    unsigned char   *body;       /* GET into memory; NUL-terminated */
    size_t           body_len;
} jr_s3_result_t;

/* Counters, for metrics; updated atomically by every thread. */
typedef struct {
    uint64_t         requests;       /* attempts sent */
    uint64_t         retries;
    uint64_t         failures;       /* requests that failed for good */
    uint64_t         bytes_sent;
    uint64_t         bytes_received;
} jr_s3_stats_t;


/*
 * A client for the bucket of conf (which must outlive it).  With a loop,
 * it can start requests on it; without, only perform them.  Returns NULL
 * when out of memory or libcurl cannot start.
 */
jr_s3_t *jr_s3_open(const jr_s3_conf_t *conf, uv_loop_t *loop);

/*
 * Cancels what is in flight on the loop (their callbacks run, with
 * "Canceled") and closes the client's loop handles with their own
 * callbacks; later jr_s3_start() calls fail.  Call it before
 * jr_runner_stop() walks the handles (jr_runner_stop does).  Safe twice.
 */
void jr_s3_close(jr_s3_t *s3);

/*
 * Frees the client: after jr_s3_close() and once the loop has run out, so
 * no handle callback and no pool thread (jr_s3_perform, uploads' reads)
 * can still use it.
 */
void jr_s3_free(jr_s3_t *s3);

const jr_s3_stats_t *jr_s3_stats(jr_s3_t *s3);

/*
 * Who a client's requests are for, in jobrunner_s3_operations_total and
 * in their User-Agent ("ngx_blog-jobrunner (replica)"): S3 bills each
 * request, and the bill is read by who sends what.
 */
typedef enum {
    JR_S3_USER_BACKUP = 0,      /* the loop's client: the backup, jobs */
    JR_S3_USER_REPLICA,         /* the follower, its restores included */
    JR_S3_USER_MIRROR,          /* the mirror's source and destination */
    JR_S3_USER_RESTORE,         /* jobrunner restore */
    JR_S3_USERS
} jr_s3_user_e;

/* Sets the client's user; before its first request (default: backup). */
void jr_s3_set_user(jr_s3_t *s3, jr_s3_user_e user);

/*
 * Prometheus lines for the counters of s3, named jobrunner_s3_*, and
 * jobrunner_s3_operations_total{user,op} of every client in the process.
 */
void jr_s3_render(jr_s3_t *s3, FILE *out);


/*
 * Requests.  Each returns NULL when out of memory.  Bodies are not copied:
 * they must stay valid until the callback (or until jr_s3_perform returns).
 * PUT bodies and parts are sent with Content-MD5 and x-amz-content-sha256,
 * computed when the request starts unless given (jr_s3_req_hashes).
 */
jr_s3_req_t *jr_s3_put_req(jr_s3_t *s3, const char *key, const void *body,
    size_t len);
jr_s3_req_t *jr_s3_get_req(jr_s3_t *s3, const char *key);
jr_s3_req_t *jr_s3_head_req(jr_s3_t *s3, const char *key);
jr_s3_req_t *jr_s3_delete_req(jr_s3_t *s3, const char *key);

/* Server-side copy of src_key to key, within the bucket. */
jr_s3_req_t *jr_s3_copy_req(jr_s3_t *s3, const char *src_key,
    const char *key);

/*
 * The same from another bucket of the same endpoint and credentials (one
 * request: at most 5 GB, as S3's CopyObject).
 */
jr_s3_req_t *jr_s3_copy_from_req(jr_s3_t *s3, const char *src_bucket,
    const char *src_key, const char *key);

/*
 * One page of ListObjectsV2 of keys starting with prefix (NULL: all), at
 * most max_keys (0: the server's 1000), after token (NULL: from the
 * start); with a delimiter ("/"), keys past it are rolled up into
 * CommonPrefixes.
 */
jr_s3_req_t *jr_s3_list_req(jr_s3_t *s3, const char *prefix,
    const char *delimiter, const char *token, unsigned max_keys);

/* A listing's keys only after key (ListObjectsV2's start-after); 0 or -1. */
int jr_s3_list_start_after(jr_s3_req_t *req, const char *key);

/* Multipart upload: create, parts 1..10000, complete (or abort). */
jr_s3_req_t *jr_s3_mpu_create_req(jr_s3_t *s3, const char *key);
jr_s3_req_t *jr_s3_mpu_part_req(jr_s3_t *s3, const char *key,
    const char *upload_id, unsigned part, const void *body, size_t len);
jr_s3_req_t *jr_s3_mpu_complete_req(jr_s3_t *s3, const char *key,
    const char *upload_id, char *const *etags, size_t nparts);
jr_s3_req_t *jr_s3_mpu_abort_req(jr_s3_t *s3, const char *key,
    const char *upload_id);

/* A header to send; "x-amz-*" and "content-*" ones are signed.  0 or -1. */
int jr_s3_req_header(jr_s3_req_t *req, const char *name, const char *value);

/* GET bytes first..last (inclusive). */
int jr_s3_req_range(jr_s3_req_t *req, uint64_t first, uint64_t last);

/*
 * The body's hashes when the caller has them (computed in a pool thread,
 * say): hex SHA-256 and base64 MD5.
 */
void jr_s3_req_hashes(jr_s3_req_t *req, const char *sha256_hex,
    const char *md5_base64);

/* The most a GET may hold in memory (default 64 MB; more is "TooLarge"). */
void jr_s3_req_max_body(jr_s3_req_t *req, size_t max);

/* A GET's body into an open file instead of memory: jr_s3_perform only. */
void jr_s3_req_output(jr_s3_req_t *req, int fd);

/*
 * Starts req on the client's loop; done(req, data) runs once, on the loop,
 * then req is freed.  Returns 0, or -1 (req freed, done not called) when
 * the client has no loop, is closing, or libcurl refuses.
 */
int jr_s3_start(jr_s3_req_t *req, jr_s3_done_pt done, void *data);

/*
 * Runs req to its end in the calling thread, retries included.  Returns 0
 * if the result is ok, -1 if not.  The caller frees req.
 */
int jr_s3_perform(jr_s3_req_t *req);

const jr_s3_result_t *jr_s3_result(const jr_s3_req_t *req);

/* Frees a request that was performed, or never started. */
void jr_s3_req_free(jr_s3_req_t *req);

void jr_s3_list_free(jr_s3_list_t *list);


/*
 * Whole operations built on the requests above.
 *
 * jr_s3_upload: the file at path (read in libuv's pool) to key, with one
 * PUT up to [s3] part_size and a multipart upload above (aborted if a part
 * fails for good).  Async; done gets ok, code, message, the ETag and the
 * size sent.
 *
 * jr_s3_list_all: every page of a listing, merged; async or sync.
 */
typedef struct {
    int           ok;
    char          code[64];
    char          message[256];
    char          etag[128];
    uint64_t      size;
    unsigned      parts;     /* 0: one PUT */
} jr_s3_upload_result_t;

typedef void (*jr_s3_upload_done_pt)(const jr_s3_upload_result_t *res,
    void *data);

int jr_s3_upload(jr_s3_t *s3, const char *key, const char *path,
    jr_s3_upload_done_pt done, void *data);

/*
 * The same from a file the caller keeps open (and must keep open until
 * done): read with pread() from offset 0 to its end, never closed here.
 * For files that SQLite has open in this process: closing any descriptor
 * of a file drops all of the process's POSIX locks on it, SQLite's
 * included.  name is for messages.
 */
int jr_s3_upload_fd(jr_s3_t *s3, const char *key, int fd, const char *name,
    jr_s3_upload_done_pt done, void *data);

typedef void (*jr_s3_list_done_pt)(const jr_s3_result_t *res,
    jr_s3_list_t *list, void *data);

/* Async; done owns nothing: list is freed after it returns. */
int jr_s3_list_all(jr_s3_t *s3, const char *prefix,
    jr_s3_list_done_pt done, void *data);

/*
 * jr_s3_upload_sync (jr_s3_sync.c): size bytes of the open file fd to key,
 * in the calling thread (a pool thread, never the loop), split as
 * jr_s3_upload() splits: one PUT below part_size, parts of part_size
 * above, each read, hashed and sent before the next is read.  A file that
 * ends before size bytes is "ReadFailed".  0 or -1, the outcome in *res.
 */
int jr_s3_upload_sync(jr_s3_t *s3, const char *key, int fd, uint64_t size,
    jr_s3_upload_result_t *res);

/*
 * The ETag S3 gives an object uploaded so (by jr_s3_upload or
 * jr_s3_upload_sync): the hex MD5 of the bytes below part_size, else the
 * hex MD5 of the parts' binary MD5s, "-" and the number of parts; and in
 * md5_hex (33 bytes) the hex MD5 of all the bytes, which some servers
 * (MinIO's gateway modes, s3rver) give as a multipart object's ETag.
 * Reads size bytes of fd in the calling thread.  0, or -1 with errno.
 */
int jr_s3_etag_fd(int fd, uint64_t size, uint64_t part_size, char *etag,
    size_t etag_size, char *md5_hex);

/* Sync: fills *list (free with jr_s3_list_free); error in res. 0 or -1. */
int jr_s3_list_all_sync(jr_s3_t *s3, const char *prefix, jr_s3_list_t *list,
    jr_s3_result_t *res);

#endif /* JR_S3_H */
