/*
 * The S3 client: building, signing and running requests; see jr_s3.h.
 *
 * A request is signed anew on each attempt (its x-amz-date must be
 * fresh), from the parts kept in the jr_s3_req_t: method, key, query
 * parameters, headers and body.  The answer is read by jr_s3_answer.c.
 *
 * On the loop, libcurl's multi handle tells which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION: one uv_poll_t each) and when to call it back
 * (CURLMOPT_TIMERFUNCTION: one uv_timer_t); the waits between attempts
 * are a uv_timer_t in the request.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/md5.h>
#include <openssl/rand.h>

#include "s3/jr_s3.h"
#include "s3/jr_s3_int.h"
#include "s3/jr_s3_xml.h"
#include "s3/jr_sigv4.h"


#define JR_S3_BACKOFF_MS       250        /* first wait, doubled each time */
#define JR_S3_BACKOFF_MAX_MS   20000
#define JR_S3_MAX_BODY         (64 << 20)
#define JR_S3_MAX_REPLY        (4 << 20)  /* listings, errors, results */


struct jr_s3_s {
    const jr_s3_conf_t  *conf;
    uv_loop_t           *loop;
    CURLM               *multi;
    uv_timer_t           timer;
    int                  closing;
    int                  cleaning;        /* in curl_multi_cleanup() */
    jr_s3_req_t         *active;          /* started and not done */
    jr_s3_stats_t        stats;
    jr_s3_user_e         user;
    char                 host[256];       /* Host of path-style URLs */
    char                 base[300];       /* scheme://host[:port] */
};

/*
 * Requests sent (attempts) by user and operation, of every client of the
 * process: the loop's, the follower's thread, the mirror's pool jobs.
 * Atomic.  users_seen: a bit per user that opened a client, whose lines
 * are rendered even while they are zero.
 */
static uint64_t  jr_s3_sent[JR_S3_USERS][JR_S3_OPS];
static unsigned  jr_s3_users_seen = 1u << JR_S3_USER_BACKUP;

static const char  *jr_s3_user_names[JR_S3_USERS] = {
    "backup", "replica", "mirror", "restore"
};

/* As S3 bills them; ListObjectsV2 is "list". */
static const char  *jr_s3_op_names[JR_S3_OPS] = {
    "get", "put", "head", "delete", "copy", "list", "mpu_create",
    "mpu_part", "mpu_complete", "mpu_abort"
};

static const char  *jr_s3_agents[JR_S3_USERS] = {
    "ngx_blog-jobrunner (backup)", "ngx_blog-jobrunner (replica)",
    "ngx_blog-jobrunner (mirror)", "ngx_blog-jobrunner (restore)"
};


typedef struct {
    uv_poll_t            poll;
    curl_socket_t        fd;
    jr_s3_t             *s3;
} jr_s3_sock_t;


static void jr_s3_finish(jr_s3_req_t *req, CURLcode rc);
static void jr_s3_retry_cb(uv_timer_t *timer);
static void jr_s3_handle_closed(uv_handle_t *handle);
static void jr_s3_req_closed(uv_handle_t *handle);


/* --- the client ----------------------------------------------------- */

static int jr_s3_socket_cb(CURL *easy, curl_socket_t fd, int what,
    void *userp, void *socketp);
static int jr_s3_timer_fn(CURLM *multi, long timeout_ms, void *userp);


jr_s3_t *
jr_s3_open(const jr_s3_conf_t *conf, uv_loop_t *loop)
{
    jr_s3_t      *s3;
    const char   *host;

    s3 = calloc(1, sizeof(jr_s3_t));
    if (s3 == NULL) {
        return NULL;
    }

    s3->conf = conf;
    s3->loop = loop;

    /* reference-counted in libcurl >= 7.84, so every user may call it */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        free(s3);
        return NULL;
    }

    /* before any thread parses: libxml2 initializes itself lazily */
    jr_s3_xml_init();

    host = strstr(conf->endpoint, "://") + 3;
    snprintf(s3->host, sizeof(s3->host), "%s", host);
    snprintf(s3->base, sizeof(s3->base), "%s", conf->endpoint);

    if (loop == NULL) {
        return s3;
    }

    s3->multi = curl_multi_init();
    if (s3->multi == NULL || uv_timer_init(loop, &s3->timer) != 0) {
        if (s3->multi) {
            curl_multi_cleanup(s3->multi);
        }

        curl_global_cleanup();
        free(s3);
        return NULL;
    }

    s3->timer.data = s3;

    curl_multi_setopt(s3->multi, CURLMOPT_SOCKETFUNCTION, jr_s3_socket_cb);
    curl_multi_setopt(s3->multi, CURLMOPT_SOCKETDATA, s3);
    curl_multi_setopt(s3->multi, CURLMOPT_TIMERFUNCTION, jr_s3_timer_fn);
    curl_multi_setopt(s3->multi, CURLMOPT_TIMERDATA, s3);

    return s3;
}


void
jr_s3_free(jr_s3_t *s3)
{
    if (s3 == NULL) {
        return;
    }

    curl_global_cleanup();
    free(s3);
}


void
jr_s3_close(jr_s3_t *s3)
{
    jr_s3_req_t  *req;

    if (s3 == NULL || s3->closing) {
        return;
    }

    s3->closing = 1;

    if (s3->loop == NULL) {
        return;
    }

    /* each callback runs and the request goes, closing its own timer */
    while (s3->active) {
        req = s3->active;

        if (req->easy) {
            curl_multi_remove_handle(s3->multi, req->easy);
        }

        jr_s3_fail(req, "Canceled", "the client is closing");
        jr_s3_complete(req);
    }

    /* closes the cached connections: their polls go through REMOVE */
    s3->cleaning = 1;
    curl_multi_cleanup(s3->multi);
    s3->multi = NULL;

    uv_close((uv_handle_t *) &s3->timer, NULL);
}


/* A socket's poll handle: its jr_s3_sock_t goes with it. */
static void
jr_s3_handle_closed(uv_handle_t *handle)
{
    free(handle);
}


/* A request's retry timer: the request goes with it. */
static void
jr_s3_req_closed(uv_handle_t *handle)
{
    jr_s3_req_free(handle->data);
}


const jr_s3_conf_t *
jr_s3_conf(jr_s3_t *s3)
{
    return s3->conf;
}


uv_loop_t *
jr_s3_loop(jr_s3_t *s3)
{
    return s3->closing ? NULL : s3->loop;
}


void
jr_s3_set_user(jr_s3_t *s3, jr_s3_user_e user)
{
    s3->user = user;
    __atomic_or_fetch(&jr_s3_users_seen, 1u << user, __ATOMIC_RELAXED);
}


const jr_s3_stats_t *
jr_s3_stats(jr_s3_t *s3)
{
    return &s3->stats;
}


static void
jr_s3_render_sent(FILE *out)
{
    unsigned  user, op, seen;

    seen = __atomic_load_n(&jr_s3_users_seen, __ATOMIC_RELAXED);

    fprintf(out, "# HELP jobrunner_s3_operations_total Requests sent to S3 "
            "by user and operation, retries included: what S3 bills.\n"
            "# TYPE jobrunner_s3_operations_total counter\n");

    for (user = 0; user < JR_S3_USERS; user++) {
        if (!(seen & (1u << user))) {
            continue;
        }

        for (op = 0; op < JR_S3_OPS; op++) {
            fprintf(out, "jobrunner_s3_operations_total{user=\"%s\","
                    "op=\"%s\"} %llu\n", jr_s3_user_names[user],
                    jr_s3_op_names[op], (unsigned long long)
                    __atomic_load_n(&jr_s3_sent[user][op],
                                    __ATOMIC_RELAXED));
        }
    }
}


void
jr_s3_render(jr_s3_t *s3, FILE *out)
{
    fprintf(out,
            "# HELP jobrunner_s3_requests_total Requests sent to S3, retries "
            "included.\n"
            "# TYPE jobrunner_s3_requests_total counter\n"
            "jobrunner_s3_requests_total %llu\n"
            "# HELP jobrunner_s3_retries_total Requests sent again after a "
            "5xx, a throttle or a network error.\n"
            "# TYPE jobrunner_s3_retries_total counter\n"
            "jobrunner_s3_retries_total %llu\n"
            "# HELP jobrunner_s3_failures_total Requests that failed for "
            "good.\n"
            "# TYPE jobrunner_s3_failures_total counter\n"
            "jobrunner_s3_failures_total %llu\n"
            "# HELP jobrunner_s3_sent_bytes_total Request bodies sent.\n"
            "# TYPE jobrunner_s3_sent_bytes_total counter\n"
            "jobrunner_s3_sent_bytes_total %llu\n"
            "# HELP jobrunner_s3_received_bytes_total Response bodies "
            "received.\n"
            "# TYPE jobrunner_s3_received_bytes_total counter\n"
            "jobrunner_s3_received_bytes_total %llu\n",
            (unsigned long long) __atomic_load_n(&s3->stats.requests,
                                                 __ATOMIC_RELAXED),
            (unsigned long long) __atomic_load_n(&s3->stats.retries,
                                                 __ATOMIC_RELAXED),
            (unsigned long long) __atomic_load_n(&s3->stats.failures,
                                                 __ATOMIC_RELAXED),
            (unsigned long long) __atomic_load_n(&s3->stats.bytes_sent,
                                                 __ATOMIC_RELAXED),
            (unsigned long long) __atomic_load_n(&s3->stats.bytes_received,
                                                 __ATOMIC_RELAXED));

    jr_s3_render_sent(out);
}


static void
jr_s3_count(uint64_t *counter, uint64_t n)
{
    __atomic_add_fetch(counter, n, __ATOMIC_RELAXED);
}


/* --- building requests --------------------------------------------- */

jr_s3_req_t *
jr_s3_req_new(jr_s3_t *s3, int op, const char *method, const char *key)
{
    jr_s3_req_t  *req;

    req = calloc(1, sizeof(jr_s3_req_t));
    if (req == NULL) {
        return NULL;
    }

    req->s3 = s3;
    req->op = op;
    req->method = method;
    req->out_fd = -1;
    req->max_body = op == JR_S3_OP_GET ? JR_S3_MAX_BODY : JR_S3_MAX_REPLY;

    if (key && (req->key = strdup(key)) == NULL) {
        free(req);
        return NULL;
    }

    return req;
}


int
jr_s3_req_param(jr_s3_req_t *req, const char *name, const char *value)
{
    if (req->nparams == JR_S3_FIELDS) {
        return -1;
    }

    req->pnames[req->nparams] = strdup(name);
    req->pvalues[req->nparams] = strdup(value ? value : "");
    req->nparams++;

    return req->pnames[req->nparams - 1] && req->pvalues[req->nparams - 1]
           ? 0 : -1;
}


int
jr_s3_req_header(jr_s3_req_t *req, const char *name, const char *value)
{
    if (req->nheaders == JR_S3_FIELDS) {
        return -1;
    }

    req->hnames[req->nheaders] = strdup(name);
    req->hvalues[req->nheaders] = strdup(value);
    req->nheaders++;

    return req->hnames[req->nheaders - 1] && req->hvalues[req->nheaders - 1]
           ? 0 : -1;
}


int
jr_s3_req_range(jr_s3_req_t *req, uint64_t first, uint64_t last)
{
    snprintf(req->range, sizeof(req->range), "bytes=%llu-%llu",
             (unsigned long long) first, (unsigned long long) last);

    return 0;
}


void
jr_s3_req_body(jr_s3_req_t *req, const void *body, size_t len)
{
    req->body = body;
    req->body_len = len;
    req->has_body = 1;
}


void
jr_s3_req_hashes(jr_s3_req_t *req, const char *sha256_hex,
    const char *md5_base64)
{
    snprintf(req->sha256, sizeof(req->sha256), "%s", sha256_hex);
    snprintf(req->md5, sizeof(req->md5), "%s", md5_base64);
}


void
jr_s3_req_max_body(jr_s3_req_t *req, size_t max)
{
    req->max_body = max;
}


void
jr_s3_req_output(jr_s3_req_t *req, int fd)
{
    req->out_fd = fd;
}


const jr_s3_result_t *
jr_s3_result(const jr_s3_req_t *req)
{
    return &req->res;
}


void
jr_s3_list_free(jr_s3_list_t *list)
{
    size_t  i;

    for (i = 0; i < list->nobjects; i++) {
        free(list->objects[i].key);
        free(list->objects[i].etag);
        free(list->objects[i].last_modified);
    }

    for (i = 0; i < list->nprefixes; i++) {
        free(list->prefixes[i]);
    }

    free(list->objects);
    free(list->prefixes);
    free(list->next_token);
    memset(list, 0, sizeof(jr_s3_list_t));
}


static void
jr_s3_res_reset(jr_s3_result_t *res)
{
    unsigned  attempts;

    attempts = res->attempts;

    free(res->upload_id);
    free(res->body);
    jr_s3_list_free(&res->list);
    memset(res, 0, sizeof(jr_s3_result_t));

    res->attempts = attempts;
}


void
jr_s3_req_free(jr_s3_req_t *req)
{
    size_t  i;

    if (req == NULL) {
        return;
    }

    for (i = 0; i < req->nparams; i++) {
        free(req->pnames[i]);
        free(req->pvalues[i]);
    }

    for (i = 0; i < req->nheaders; i++) {
        free(req->hnames[i]);
        free(req->hvalues[i]);
    }

    if (req->easy) {
        curl_easy_cleanup(req->easy);
    }

    curl_slist_free_all(req->slist);
    jr_s3_res_reset(&req->res);
    free(req->buf);
    free(req->owned_body);
    free(req->url);
    free(req->key);
    free(req);
}


/* Base64 MD5 and hex SHA-256 of the body, unless given. */
static int
jr_s3_hash_body(jr_s3_req_t *req)
{
    unsigned char  md[MD5_DIGEST_LENGTH];

    if (req->sha256[0] != '\0') {
        return 0;
    }

    jr_sigv4_sha256_hex(req->body, req->body_len, req->sha256);

    if (req->body_len && req->body == NULL) {
        return -1;
    }

    /* MD5 for Content-MD5 only, which S3 checks against the bytes */
    if (EVP_Digest(req->body, req->body_len, md, NULL, EVP_md5(), NULL) != 1)
    {
        return -1;
    }

    EVP_EncodeBlock((unsigned char *) req->md5, md, sizeof(md));

    return 0;
}


/*
 * URL and headers for one attempt: the path-style or virtual-host URL,
 * the signed headers, the Authorization of now.
 */
static int
jr_s3_prepare(jr_s3_req_t *req)
{
    int                  virt;
    char                *path, *ekey, *query, *authz, *line;
    char                 date[JR_SIGV4_DATE_LEN + 1], host[320];
    size_t               i, n;
    const char          *hash;
    jr_sigv4_req_t       sr;
    jr_sigv4_param_t     params[JR_S3_FIELDS];
    jr_sigv4_header_t    headers[JR_S3_FIELDS + 8];
    const jr_s3_conf_t  *conf;
    struct curl_slist   *sl;

    conf = req->s3->conf;
    virt = conf->url_style == JR_S3_URL_VIRTUAL;

    curl_slist_free_all(req->slist);
    req->slist = NULL;
    free(req->url);
    req->url = NULL;

    if (req->has_body && jr_s3_hash_body(req) != 0) {
        return -1;
    }

    hash = req->has_body ? req->sha256 : JR_SIGV4_EMPTY_HASH;

    /* the raw path: /bucket/key or /key; signed and sent encoded alike */
    if (asprintf(&path, "%s%s/%s", virt ? "" : "/", virt ? "" : conf->bucket,
                 req->key ? req->key : "") < 0)
    {
        return -1;
    }

    if (virt) {
        snprintf(host, sizeof(host), "%s.%s", conf->bucket, req->s3->host);
    } else {
        snprintf(host, sizeof(host), "%s", req->s3->host);
    }

    for (i = 0; i < req->nparams; i++) {
        params[i].name = req->pnames[i];
        params[i].value = req->pvalues[i];
    }

    jr_sigv4_date((long long) time(NULL), date);

    n = 0;
    headers[n].name = "host";
    headers[n++].value = host;
    headers[n].name = "x-amz-date";
    headers[n++].value = date;
    headers[n].name = "x-amz-content-sha256";
    headers[n++].value = hash;

    if (conf->session_token) {
        headers[n].name = "x-amz-security-token";
        headers[n++].value = conf->session_token;
    }

    if (req->has_body && req->md5[0]) {
        headers[n].name = "content-md5";
        headers[n++].value = req->md5;
    }

    for (i = 0; i < req->nheaders; i++) {
        headers[n].name = req->hnames[i];
        headers[n++].value = req->hvalues[i];
    }

    memset(&sr, 0, sizeof(sr));
    sr.method = req->method;
    sr.path = path;
    sr.params = params;
    sr.nparams = req->nparams;
    sr.headers = headers;
    sr.nheaders = n;
    sr.payload_hash = hash;
    sr.amz_date = date;
    sr.region = conf->region;
    sr.service = "s3";
    sr.access_key = conf->access_key;
    sr.secret_key = conf->secret_key;

    authz = jr_sigv4_sign(&sr, NULL, NULL);
    ekey = jr_sigv4_encode(path, strlen(path), 1);
    query = jr_sigv4_query(params, req->nparams);

    if (authz == NULL || ekey == NULL || query == NULL) {
        goto failed;
    }

    if (virt) {
        n = strstr(conf->endpoint, "://") - conf->endpoint + 3;
        if (asprintf(&req->url, "%.*s%s%s%s%s", (int) n, conf->endpoint,
                     host, ekey, query[0] ? "?" : "", query) < 0)
        {
            req->url = NULL;
        }

    } else if (asprintf(&req->url, "%s%s%s%s", req->s3->base, ekey,
                        query[0] ? "?" : "", query) < 0)
    {
        req->url = NULL;
    }

    if (req->url == NULL) {
        goto failed;
    }

    /* every signed header is sent as signed; then the unsigned ones */
    sl = NULL;

    for (i = 0; i < sr.nheaders; i++) {
        if (asprintf(&line, "%s: %s", headers[i].name, headers[i].value) < 0)
        {
            goto failed;
        }

        sl = curl_slist_append(req->slist, line);
        free(line);

        if (sl == NULL) {
            goto failed;
        }

        req->slist = sl;
    }

    if (asprintf(&line, "Authorization: %s", authz) < 0) {
        goto failed;
    }

    sl = curl_slist_append(req->slist, line);
    OPENSSL_cleanse(line, strlen(line));
    free(line);

    /* no "Expect: 100-continue" round trip before each body */
    if (sl == NULL || (sl = curl_slist_append(sl, "Expect:")) == NULL) {
        goto failed;
    }

    req->slist = sl;

    if (req->range[0]) {
        if (asprintf(&line, "Range: %s", req->range) < 0) {
            goto failed;
        }

        sl = curl_slist_append(req->slist, line);
        free(line);

        if (sl == NULL) {
            goto failed;
        }
    }

    free(authz);
    free(ekey);
    free(query);
    free(path);

    return 0;

failed:

    free(authz);
    free(ekey);
    free(query);
    free(path);

    return -1;
}


/* --- transfers --------------------------------------------------------- */

static size_t
jr_s3_read_cb(char *buf, size_t size, size_t n, void *data)
{
    size_t        len;
    jr_s3_req_t  *req = data;

    len = req->body_len - req->body_pos;

    if (len == 0) {
        return 0;
    }

    if (len > size * n) {
        len = size * n;
    }

    memcpy(buf, (const char *) req->body + req->body_pos, len);
    req->body_pos += len;

    return len;
}


static int
jr_s3_seek_cb(void *data, curl_off_t offset, int origin)
{
    jr_s3_req_t  *req = data;

    if (origin != SEEK_SET || offset < 0 || (size_t) offset > req->body_len) {
        return CURL_SEEKFUNC_FAIL;
    }

    req->body_pos = (size_t) offset;

    return CURL_SEEKFUNC_OK;
}


static size_t
jr_s3_write_cb(char *data, size_t size, size_t n, void *user)
{
    size_t          len, grown;
    ssize_t         w;
    jr_s3_req_t    *req = user;
    unsigned char  *p;

    len = size * n;

    /* an error's XML goes to memory even when the object goes to a file */
    if (req->out_fd != -1 && req->status_seen >= 200
        && req->status_seen <= 299)
    {
        while (len > 0) {
            w = write(req->out_fd, data, len);
            if (w < 0 && errno == EINTR) {
                continue;
            }

            if (w <= 0) {
                req->write_failed = errno ? errno : EIO;
                return 0;
            }

            data += w;
            len -= (size_t) w;
            req->out_len += (size_t) w;
        }

        return size * n;
    }

    if (req->buf_len + len > req->max_body) {
        req->too_large = 1;
        return 0;
    }

    if (req->buf_len + len + 1 > req->buf_size) {
        grown = req->buf_size ? req->buf_size : 4096;

        while (grown < req->buf_len + len + 1) {
            grown *= 2;
        }

        p = realloc(req->buf, grown);
        if (p == NULL) {
            return 0;
        }

        req->buf = p;
        req->buf_size = grown;
    }

    memcpy(req->buf + req->buf_len, data, len);
    req->buf_len += len;
    req->buf[req->buf_len] = '\0';

    return len;
}


/* Copies a header's value, trimmed, when the line is "name: value". */
static int
jr_s3_header_value(const char *line, size_t len, const char *name,
    char *out, size_t size)
{
    size_t  nlen;

    nlen = strlen(name);

    if (len <= nlen || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
    {
        return 0;
    }

    line += nlen + 1;
    len -= nlen + 1;

    while (len && (*line == ' ' || *line == '\t')) {
        line++;
        len--;
    }

    while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'
                   || line[len - 1] == ' '))
    {
        len--;
    }

    if (len >= size) {
        len = size - 1;
    }

    memcpy(out, line, len);
    out[len] = '\0';

    return 1;
}


static size_t
jr_s3_header_cb(char *line, size_t size, size_t n, void *data)
{
    char          value[64];
    size_t        len;
    jr_s3_req_t  *req = data;

    len = size * n;

    /* a new status line: a new response (after a 100, say) */
    if (len > 9 && strncmp(line, "HTTP/", 5) == 0) {
        req->status_seen = strtol(strchr(line, ' ') ? strchr(line, ' ')
                                                    : line, NULL, 10);
        req->res.etag[0] = '\0';
        return len;
    }

    if (jr_s3_header_value(line, len, "ETag", req->res.etag,
                           sizeof(req->res.etag)))
    {
        jr_s3_unquote(req->res.etag);

    } else if ((req->op == JR_S3_OP_GET || req->op == JR_S3_OP_HEAD)
               && jr_s3_header_value(line, len, "Content-Length", value,
                                     sizeof(value)))
    {
        req->res.size = strtoull(value, NULL, 10);

    } else {
        (void) jr_s3_header_value(line, len, "Last-Modified",
                                  req->res.last_modified,
                                  sizeof(req->res.last_modified));
    }

    return len;
}


/* A fresh easy handle for one attempt. */
/*
 * "timeout" is seconds without a byte moving either way.  libcurl's
 * low-speed check, kept because its timer is what calls this, averages
 * over its last five seconds: a server that took a body quickly and then
 * said nothing would be waited for five seconds longer than configured.
 */
static int
jr_s3_progress_cb(void *data, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
    uint64_t      now;
    jr_s3_req_t  *req;

    (void) dltotal;
    (void) ultotal;

    req = data;
    now = uv_hrtime() / 1000000;

    if (req->moved_ms == 0 || dlnow + ulnow != req->moved) {
        req->moved = dlnow + ulnow;
        req->moved_ms = now;
        return 0;
    }

    if (now - req->moved_ms < (uint64_t) req->s3->conf->timeout * 1000) {
        return 0;
    }

    req->stalled = 1;

    return 1;
}


static CURL *
jr_s3_easy(jr_s3_req_t *req)
{
    int                  rc;
    long                 connect;
    CURL                *easy;
    const jr_s3_conf_t  *conf;

    conf = req->s3->conf;

    easy = curl_easy_init();
    if (easy == NULL) {
        return NULL;
    }

    connect = conf->timeout < 10 ? (long) conf->timeout : 10;

    /* signals are the loop's: libcurl must not use them */
    rc = curl_easy_setopt(easy, CURLOPT_URL, req->url)
         | curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L)
         | curl_easy_setopt(easy, CURLOPT_HTTPHEADER, req->slist)
         | curl_easy_setopt(easy, CURLOPT_USERAGENT,
                            jr_s3_agents[req->s3->user])
         | curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L)
         | curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https")
         | curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, connect)
         | curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L)
         | curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, (long) conf->timeout)
         | curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L)
         | curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, jr_s3_progress_cb)
         | curl_easy_setopt(easy, CURLOPT_XFERINFODATA, req)
         | curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L)
         | curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, req->errbuf)
         | curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, jr_s3_write_cb)
         | curl_easy_setopt(easy, CURLOPT_WRITEDATA, req)
         | curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, jr_s3_header_cb)
         | curl_easy_setopt(easy, CURLOPT_HEADERDATA, req)
         | curl_easy_setopt(easy, CURLOPT_PRIVATE, req);

    if (conf->ca_file) {
        rc |= curl_easy_setopt(easy, CURLOPT_CAINFO, conf->ca_file);
    }

    if (strcmp(req->method, "HEAD") == 0) {
        rc |= curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);

    } else if (strcmp(req->method, "PUT") == 0) {
        rc |= curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L)
              | curl_easy_setopt(easy, CURLOPT_READFUNCTION, jr_s3_read_cb)
              | curl_easy_setopt(easy, CURLOPT_READDATA, req)
              | curl_easy_setopt(easy, CURLOPT_SEEKFUNCTION, jr_s3_seek_cb)
              | curl_easy_setopt(easy, CURLOPT_SEEKDATA, req)
              | curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE,
                                 (curl_off_t) req->body_len);

    } else if (strcmp(req->method, "POST") == 0) {
        rc |= curl_easy_setopt(easy, CURLOPT_POST, 1L)
              | curl_easy_setopt(easy, CURLOPT_POSTFIELDS,
                                 req->body ? (const char *) req->body : "")
              | curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                                 (curl_off_t) req->body_len);

    } else if (strcmp(req->method, "DELETE") == 0) {
        rc |= curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, "DELETE");
    }

    if (rc != CURLE_OK) {
        curl_easy_cleanup(easy);
        return NULL;
    }

    return easy;
}


/* Readies req for an attempt: response state cleared, signed, a handle. */
static int
jr_s3_attempt(jr_s3_req_t *req)
{
    jr_s3_res_reset(&req->res);

    free(req->buf);
    req->buf = NULL;
    req->buf_len = 0;
    req->buf_size = 0;
    req->body_pos = 0;
    req->status_seen = 0;
    req->too_large = 0;
    req->write_failed = 0;
    req->stalled = 0;
    req->moved_ms = 0;
    req->moved = 0;
    req->errbuf[0] = '\0';

    if (req->out_fd != -1 && req->out_len) {
        /* a retried download starts its file again */
        if (ftruncate(req->out_fd, 0) != 0
            || lseek(req->out_fd, 0, SEEK_SET) != 0)
        {
            return -1;
        }

        req->out_len = 0;
    }

    if (req->easy) {
        curl_easy_cleanup(req->easy);
        req->easy = NULL;
    }

    if (jr_s3_prepare(req) != 0) {
        return -1;
    }

    req->easy = jr_s3_easy(req);
    if (req->easy == NULL) {
        return -1;
    }

    req->res.attempts++;
    jr_s3_count(&req->s3->stats.requests, 1);
    jr_s3_count(&jr_s3_sent[req->s3->user][req->op], 1);

    if (req->res.attempts > 1) {
        jr_s3_count(&req->s3->stats.retries, 1);
    }

    return 0;
}


/*
 * The outcome of an attempt: ok, or failed with a code.  Returns 1 when
 * the failure is worth another attempt.
 */
static int
jr_s3_outcome(jr_s3_req_t *req, CURLcode rc)
{
    long         status;
    curl_off_t   sent, received;

    status = 0;

    if (req->easy) {
        curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &status);

        if (curl_easy_getinfo(req->easy, CURLINFO_SIZE_UPLOAD_T, &sent)
            == CURLE_OK)
        {
            jr_s3_count(&req->s3->stats.bytes_sent, (uint64_t) sent);
        }

        if (curl_easy_getinfo(req->easy, CURLINFO_SIZE_DOWNLOAD_T, &received)
            == CURLE_OK)
        {
            jr_s3_count(&req->s3->stats.bytes_received, (uint64_t) received);
        }
    }

    req->res.status = status;

    if (rc != CURLE_OK) {
        if (req->too_large) {
            jr_s3_fail(req, "TooLarge", "the response is larger than the "
                       "request allows");
            return 0;
        }

        if (req->write_failed) {
            jr_s3_fail(req, "WriteFailed", strerror(req->write_failed));
            return 0;
        }

        if (req->stalled) {
            snprintf(req->errbuf, sizeof(req->errbuf), "no byte moved for "
                     "%u s", req->s3->conf->timeout);
        }

        jr_s3_fail(req, rc == CURLE_OPERATION_TIMEDOUT || req->stalled
                        ? "Timeout"
                        : rc == CURLE_COULDNT_CONNECT ? "ConnectFailed"
                        : "NetworkError",
                   req->errbuf[0] ? req->errbuf : curl_easy_strerror(rc));

        /* the transfer itself failed: only an error of ours is final */
        return rc != CURLE_OUT_OF_MEMORY && rc != CURLE_URL_MALFORMAT
               && rc != CURLE_UNSUPPORTED_PROTOCOL
               && rc != CURLE_PEER_FAILED_VERIFICATION
               && rc != CURLE_SSL_CACERT_BADFILE;
    }

    jr_s3_answer(req, status, req->buf, req->buf_len);

    if (req->res.ok) {
        return 0;
    }

    /* a garbled answer of a request we may repeat: repeat it */
    return status >= 500 || status == 429
           || strcmp(req->res.code, "BadResponse") == 0
           || strcmp(req->res.code, "SlowDown") == 0
           || strcmp(req->res.code, "RequestTimeout") == 0
           || strcmp(req->res.code, "InternalError") == 0;
}


/* The wait before attempt n + 1: doubling, capped, with 25% jitter. */
static uint64_t
jr_s3_backoff(unsigned attempts)
{
    uint64_t        ms;
    unsigned short  rnd;

    ms = JR_S3_BACKOFF_MS;

    while (--attempts && ms < JR_S3_BACKOFF_MAX_MS) {
        ms *= 2;
    }

    if (ms > JR_S3_BACKOFF_MAX_MS) {
        ms = JR_S3_BACKOFF_MAX_MS;
    }

    if (RAND_bytes((unsigned char *) &rnd, sizeof(rnd)) == 1) {
        ms = ms * 3 / 4 + (ms / 2) * rnd / 65535;
    }

    return ms;
}


/* --- synchronous ------------------------------------------------------- */

int
jr_s3_perform(jr_s3_req_t *req)
{
    int       again;
    CURLcode  rc;

    for ( ;; ) {
        if (jr_s3_attempt(req) != 0) {
            jr_s3_fail(req, "OutOfMemory", "cannot build the request");
            break;
        }

        rc = curl_easy_perform(req->easy);
        again = jr_s3_outcome(req, rc);

        if (!again || req->res.attempts >= req->s3->conf->max_attempts) {
            break;
        }

        /* uv_sleep() sleeps the rest of the wait after a signal */
        uv_sleep((unsigned) jr_s3_backoff(req->res.attempts));
    }

    if (!req->res.ok) {
        jr_s3_count(&req->s3->stats.failures, 1);
    }

    return req->res.ok ? 0 : -1;
}


/* --- on the loop ----------------------------------------------------- */

int
jr_s3_start(jr_s3_req_t *req, jr_s3_done_pt done, void *data)
{
    jr_s3_t  *s3;

    s3 = req->s3;

    if (s3->loop == NULL || s3->closing || jr_s3_attempt(req) != 0
        || curl_multi_add_handle(s3->multi, req->easy) != CURLM_OK)
    {
        jr_s3_req_free(req);
        return -1;
    }

    req->done = done;
    req->data = data;

    req->next = s3->active;
    req->prev = &s3->active;
    if (s3->active) {
        s3->active->prev = &req->next;
    }
    s3->active = req;

    return 0;
}


/* Off the active list, the callback, then the request goes. */
void
jr_s3_complete(jr_s3_req_t *req)
{
    *req->prev = req->next;
    if (req->next) {
        req->next->prev = req->prev;
    }

    if (!req->res.ok) {
        jr_s3_count(&req->s3->stats.failures, 1);
    }

    if (req->done) {
        req->done(req, req->data);
    }

    if (req->retry_init) {
        /* the timer's close callback frees the request */
        uv_close((uv_handle_t *) &req->retry, jr_s3_req_closed);
        return;
    }

    jr_s3_req_free(req);
}


static void
jr_s3_check(jr_s3_t *s3)
{
    int           pending;
    CURL         *easy;
    CURLMsg      *msg;
    jr_s3_req_t  *req;

    while ((msg = curl_multi_info_read(s3->multi, &pending)) != NULL) {
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }

        easy = msg->easy_handle;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **) &req);
        curl_multi_remove_handle(s3->multi, easy);

        jr_s3_finish(req, msg->data.result);
    }
}


static void
jr_s3_finish(jr_s3_req_t *req, CURLcode rc)
{
    int       again;
    uint64_t  ms;
    jr_s3_t  *s3;

    s3 = req->s3;
    again = jr_s3_outcome(req, rc);

    if (again && !s3->closing
        && req->res.attempts < s3->conf->max_attempts)
    {
        if (!req->retry_init) {
            if (uv_timer_init(s3->loop, &req->retry) != 0) {
                jr_s3_complete(req);
                return;
            }

            req->retry.data = req;
            req->retry_init = 1;
        }

        ms = jr_s3_backoff(req->res.attempts);

        if (uv_timer_start(&req->retry, jr_s3_retry_cb, ms, 0) == 0) {
            return;
        }
    }

    jr_s3_complete(req);
}


static void
jr_s3_retry_cb(uv_timer_t *timer)
{
    jr_s3_req_t  *req;

    req = timer->data;

    if (jr_s3_attempt(req) != 0) {
        jr_s3_fail(req, "OutOfMemory", "cannot build the request");
        jr_s3_complete(req);
        return;
    }

    if (curl_multi_add_handle(req->s3->multi, req->easy) != CURLM_OK) {
        jr_s3_fail(req, "NetworkError", "libcurl refused the request");
        jr_s3_complete(req);
    }
}


static void
jr_s3_poll_cb(uv_poll_t *handle, int status, int events)
{
    int            flags, running;
    jr_s3_sock_t  *s;

    s = handle->data;

    if (status < 0) {
        flags = CURL_CSELECT_ERR;

    } else {
        flags = ((events & UV_READABLE) ? CURL_CSELECT_IN : 0)
                | ((events & UV_WRITABLE) ? CURL_CSELECT_OUT : 0);
    }

    curl_multi_socket_action(s->s3->multi, s->fd, flags, &running);
    jr_s3_check(s->s3);
}


static void
jr_s3_timeout_cb(uv_timer_t *timer)
{
    int       running;
    jr_s3_t  *s3;

    s3 = timer->data;

    curl_multi_socket_action(s3->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    jr_s3_check(s3);
}


static int
jr_s3_timer_fn(CURLM *multi, long timeout_ms, void *userp)
{
    jr_s3_t  *s3 = userp;

    (void) multi;

    if (s3->closing) {
        return 0;
    }

    if (timeout_ms < 0) {
        return uv_timer_stop(&s3->timer) == 0 ? 0 : -1;
    }

    /* 0 means "at once", but not from inside this callback: next turn */
    return uv_timer_start(&s3->timer, jr_s3_timeout_cb, (uint64_t) timeout_ms,
                          0) == 0 ? 0 : -1;
}


static int
jr_s3_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
    void *socketp)
{
    int            events;
    jr_s3_t       *s3 = userp;
    jr_s3_sock_t  *s = socketp;

    (void) easy;

    if (what == CURL_POLL_REMOVE) {
        if (s) {
            uv_poll_stop(&s->poll);
            uv_close((uv_handle_t *) &s->poll, jr_s3_handle_closed);

            if (!s3->cleaning) {
                curl_multi_assign(s3->multi, fd, NULL);
            }
        }

        return 0;
    }

    if (s == NULL) {
        s = calloc(1, sizeof(jr_s3_sock_t));
        if (s == NULL) {
            return -1;
        }

        if (uv_poll_init_socket(s3->loop, &s->poll, fd) != 0) {
            free(s);
            return -1;
        }

        s->fd = fd;
        s->s3 = s3;
        s->poll.data = s;

        curl_multi_assign(s3->multi, fd, s);
    }

    events = ((what & CURL_POLL_IN) ? UV_READABLE : 0)
             | ((what & CURL_POLL_OUT) ? UV_WRITABLE : 0);

    return uv_poll_start(&s->poll, events, jr_s3_poll_cb) == 0 ? 0 : -1;
}
