/*
 * The realtime hub's connections: the listeners, the one request each
 * connection carries (parsed by Debian's http-parser), the event stream
 * that answers it, and the writes that share the hub's message buffers.
 *
 * A request is at most JR_SSE_HEAD_MAX bytes:
 *
 *     GET /events/?topic=comments.hello&topic=metrics.views.%2Fposts%2Fhello
 *     Last-Event-ID: 1767225600000.42        (or ?last_event_id=...)
 *     X-Blog-Admin: alice                    (set by nginx, see below)
 *
 * Admin topics (alerts, alerts.*, analytics.*) need X-Blog-Admin, and the header is
 * believed only on the Unix socket: nginx sets it from $blog_admin_user,
 * which the module computes from the session cookie, and replaces any
 * such header a client sends.  Who may connect to the socket is decided
 * by its file mode (sse_socket_mode).  On the TCP port, which any local
 * process can reach, admin topics are always refused.
 *
 * While the request is read the connection holds a jr_sse_req_t; once
 * streaming, only the connection and its topic links, and reads go to the
 * hub's scratch buffer, so that an idle subscriber costs a few hundred
 * bytes.  Writes are tried at once (uv_try_write) and queued only when
 * the socket is full; queued writes hold a reference on their message,
 * never a copy.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <http_parser.h>

#include "core/jr_log.h"
#include "sse/jr_sse_hub.h"


#define JR_SSE_HEAD_MAX     8192
#define JR_SSE_URL_MAX      4096
#define JR_SSE_ID_MAX       48
#define JR_SSE_USER_MAX     128
#define JR_SSE_NAME_MAX     16          /* the longest header name we use */
#define JR_SSE_BACKLOG      4096
#define JR_SSE_RETRY_AFTER "30"          /* seconds, as blog_live_streams says */

enum {
    JR_SSE_H_OTHER = 0,
    JR_SSE_H_LAST_ID,
    JR_SSE_H_ADMIN
};

struct jr_sse_req_s {
    http_parser      parser;
    size_t           size;              /* bytes of the head so far */
    size_t           name_len;          /* > JR_SSE_NAME_MAX: not ours */
    size_t           url_len;
    size_t           id_len;            /* > JR_SSE_ID_MAX: unusable */
    size_t           user_len;
    unsigned         header;            /* of the value being read */
    unsigned         in_value:1;
    unsigned         done:1;
    unsigned         url_long:1;
    unsigned         user_bad:1;
    char             name[JR_SSE_NAME_MAX];
    char             url[JR_SSE_URL_MAX];
    char             last_id[JR_SSE_ID_MAX];
    char             user[JR_SSE_USER_MAX];
};

typedef struct {
    uv_write_t       req;
    jr_sse_msg_t    *msg;
} jr_sse_write_t;


static int jr_sse_listen_unix(jr_sse_t *hub);
static void jr_sse_accept(uv_stream_t *server, int status);
static void jr_sse_alloc(uv_handle_t *handle, size_t suggested,
    uv_buf_t *buf);
static void jr_sse_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf);
static void jr_sse_request(jr_sse_conn_t *c);
static int jr_sse_query(const char *q, size_t len, const char **names,
    size_t *lens, char *store, size_t *n, char *id, const char **why);
static uint64_t jr_sse_resume_from(jr_sse_t *hub, const char *id, size_t len);
static void jr_sse_refuse(jr_sse_conn_t *c, unsigned status,
    const char *why);
static void jr_sse_written(uv_write_t *req, int status);
static void jr_sse_closed(uv_handle_t *handle);

static int jr_sse_on_url(http_parser *p, const char *at, size_t len);
static int jr_sse_on_field(http_parser *p, const char *at, size_t len);
static int jr_sse_on_value(http_parser *p, const char *at, size_t len);
static int jr_sse_on_headers(http_parser *p);
static int jr_sse_on_complete(http_parser *p);

static const http_parser_settings  jr_sse_parser_settings = {
    .on_url = jr_sse_on_url,
    .on_header_field = jr_sse_on_field,
    .on_header_value = jr_sse_on_value,
    .on_headers_complete = jr_sse_on_headers,
    .on_message_complete = jr_sse_on_complete
};


int
jr_sse_listen(jr_sse_t *hub)
{
    int  rc;

    if (hub->conf->socket && jr_sse_listen_unix(hub) != 0) {
        return -1;
    }

    if (hub->conf->listen.ss_family == 0) {
        return 0;
    }

    rc = uv_tcp_init(hub->loop, &hub->tcp_listener);
    if (rc == 0) {
        hub->tcp_listener.data = hub;
        hub->handles |= JR_SSE_TCP;

        rc = uv_tcp_bind(&hub->tcp_listener,
                         (const struct sockaddr *) &hub->conf->listen, 0);
    }

    if (rc == 0) {
        rc = uv_listen((uv_stream_t *) &hub->tcp_listener, JR_SSE_BACKLOG,
                       jr_sse_accept);
    }

    if (rc != 0) {
        jr_log(JR_LOG_ERROR, "sse: cannot listen on sse_listen: %s",
               uv_strerror(rc));
        return -1;
    }

    return 0;
}


/*
 * Binds the Unix socket.  A file left at the path by a jobrunner that died
 * is replaced; one that a live process answers on is not.
 */
static int
jr_sse_listen_unix(jr_sse_t *hub)
{
    int                  fd, rc;
    size_t               len;
    struct stat          st;
    const char          *path;
    struct sockaddr_un   sun;

    path = hub->conf->socket;
    len = strlen(path);

    if (len >= sizeof(sun.sun_path)) {
        jr_log(JR_LOG_ERROR, "sse: socket path \"%s\" is longer than %zu "
               "bytes", path, sizeof(sun.sun_path) - 1);
        return -1;
    }

    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            jr_log(JR_LOG_ERROR, "sse: \"%s\" exists and is not a socket",
                   path);
            return -1;
        }

        memset(&sun, 0, sizeof(sun));
        sun.sun_family = AF_UNIX;
        memcpy(sun.sun_path, path, len);

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd == -1) {
            jr_log(JR_LOG_ERROR, "sse: socket(): %s", strerror(errno));
            return -1;
        }

        rc = connect(fd, (struct sockaddr *) &sun, sizeof(sun));
        close(fd);

        if (rc == 0) {
            jr_log(JR_LOG_ERROR, "sse: another process listens on \"%s\"",
                   path);
            return -1;
        }

        (void) unlink(path);
    }

    rc = uv_pipe_init(hub->loop, &hub->unix_listener, 0);
    if (rc == 0) {
        hub->unix_listener.data = hub;
        hub->handles |= JR_SSE_UNIX;
        rc = uv_pipe_bind(&hub->unix_listener, path);
    }

    if (rc != 0) {
        jr_log(JR_LOG_ERROR, "sse: cannot bind \"%s\": %s", path,
               uv_strerror(rc));
        return -1;
    }

    hub->handles |= JR_SSE_BOUND;

    /* nginx's workers run as another user: they need to connect */
    if (chmod(path, hub->conf->socket_mode) != 0) {
        jr_log(JR_LOG_ERROR, "sse: cannot chmod \"%s\": %s", path,
               strerror(errno));
        return -1;
    }

    rc = uv_listen((uv_stream_t *) &hub->unix_listener, JR_SSE_BACKLOG,
                   jr_sse_accept);
    if (rc != 0) {
        jr_log(JR_LOG_ERROR, "sse: cannot listen on \"%s\": %s", path,
               uv_strerror(rc));
        return -1;
    }

    return 0;
}


static void
jr_sse_accept(uv_stream_t *server, int status)
{
    int             rc;
    jr_sse_t       *hub;
    jr_sse_req_t   *req;
    jr_sse_conn_t  *c;

    hub = server->data;

    if (status != 0) {
        jr_log(JR_LOG_WARN, "sse: accept: %s", uv_strerror(status));
        return;
    }

    c = calloc(1, sizeof(jr_sse_conn_t));
    req = malloc(sizeof(jr_sse_req_t));

    if (c == NULL || req == NULL) {
        jr_log(JR_LOG_WARN, "sse: out of memory for a connection");
        free(c);
        free(req);
        return;
    }

    c->local = (server == (uv_stream_t *) &hub->unix_listener);

    rc = c->local ? uv_pipe_init(hub->loop, &c->h.pipe, 0)
                  : uv_tcp_init(hub->loop, &c->h.tcp);
    if (rc != 0) {
        jr_log(JR_LOG_WARN, "sse: cannot accept: %s", uv_strerror(rc));
        free(c);
        free(req);
        return;
    }

    c->hub = hub;
    c->h.stream.data = c;

    c->next = hub->conns;
    c->prev = &hub->conns;
    if (hub->conns) {
        hub->conns->prev = &c->next;
    }
    hub->conns = c;
    hub->nconns++;

    http_parser_init(&req->parser, HTTP_REQUEST);
    req->parser.data = c;
    req->size = 0;
    req->name_len = 0;
    req->url_len = 0;
    req->id_len = 0;
    req->user_len = 0;
    req->header = JR_SSE_H_OTHER;
    req->in_value = 0;
    req->done = 0;
    req->url_long = 0;
    req->user_bad = 0;
    c->req = req;

    rc = uv_accept(server, &c->h.stream);
    if (rc == 0) {
        rc = uv_read_start(&c->h.stream, jr_sse_alloc, jr_sse_read);
    }

    if (rc != 0) {
        jr_log(JR_LOG_INFO, "sse: cannot start a connection: %s",
               uv_strerror(rc));
        jr_sse_conn_close(c);
    }
}


/* Reads land in the hub's buffer: the parser copies what it keeps. */
static void
jr_sse_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    jr_sse_conn_t  *c = handle->data;

    (void) suggested;

    buf->base = c->hub->scratch;
    buf->len = sizeof(c->hub->scratch);
}


static void
jr_sse_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf)
{
    size_t           parsed;
    jr_sse_conn_t   *c;
    jr_sse_req_t    *req;
    enum http_errno  err;

    c = stream->data;

    /* the end of a stream: nginx closed it, for its client went away */
    if (n < 0) {
        jr_sse_conn_close(c);
        return;
    }

    req = c->req;

    /* once answered, whatever else comes is ignored */
    if (n == 0 || req == NULL) {
        return;
    }

    req->size += n;

    parsed = http_parser_execute(&req->parser, &jr_sse_parser_settings,
                                 buf->base, (size_t) n);
    err = HTTP_PARSER_ERRNO(&req->parser);

    if (req->done) {
        jr_sse_request(c);
        return;
    }

    if ((err != HPE_OK && err != HPE_PAUSED) || parsed != (size_t) n) {
        jr_sse_refuse(c, 400, http_errno_description(err));
        return;
    }

    if (req->size > JR_SSE_HEAD_MAX) {
        jr_sse_refuse(c, 400, "request head too large");
    }
}


static int
jr_sse_on_url(http_parser *p, const char *at, size_t len)
{
    jr_sse_conn_t  *c = p->data;
    jr_sse_req_t   *req = c->req;

    if (req->url_len + len > sizeof(req->url)) {
        req->url_long = 1;
        return 0;
    }

    memcpy(req->url + req->url_len, at, len);
    req->url_len += len;

    return 0;
}


static int
jr_sse_on_field(http_parser *p, const char *at, size_t len)
{
    size_t          i;
    jr_sse_conn_t  *c = p->data;
    jr_sse_req_t   *req = c->req;

    /* a name may come in pieces; a value before it ended the last one */
    if (req->in_value) {
        req->in_value = 0;
        req->name_len = 0;
    }

    for (i = 0; i < len; i++) {
        if (req->name_len < JR_SSE_NAME_MAX) {
            req->name[req->name_len] = (char) (at[i] | 0x20);
        }

        req->name_len++;
    }

    return 0;
}


static int
jr_sse_on_value(http_parser *p, const char *at, size_t len)
{
    size_t          i;
    jr_sse_conn_t  *c = p->data;
    jr_sse_req_t   *req = c->req;

    if (!req->in_value) {
        req->in_value = 1;
        req->header = JR_SSE_H_OTHER;

        if (req->name_len == 13 && memcmp(req->name, "last-event-id", 13) == 0)
        {
            req->header = JR_SSE_H_LAST_ID;
            req->id_len = 0;

        } else if (req->name_len == 12
                   && memcmp(req->name, "x-blog-admin", 12) == 0)
        {
            req->header = JR_SSE_H_ADMIN;
            req->user_len = 0;
        }
    }

    switch (req->header) {

    case JR_SSE_H_LAST_ID:
        if (req->id_len + len <= sizeof(req->last_id)) {
            memcpy(req->last_id + req->id_len, at, len);
        }

        req->id_len += len;
        break;

    case JR_SSE_H_ADMIN:
        for (i = 0; i < len; i++) {
            if ((unsigned char) at[i] < ' ' || at[i] == 0x7f) {
                req->user_bad = 1;
            }
        }

        if (req->user_len + len <= sizeof(req->user)) {
            memcpy(req->user + req->user_len, at, len);
        } else {
            req->user_bad = 1;
        }

        req->user_len += len;
        break;

    default:
        break;
    }

    return 0;
}


static int
jr_sse_on_headers(http_parser *p)
{
    jr_sse_conn_t  *c = p->data;

    c->req->done = 1;

    return 0;
}


static int
jr_sse_on_complete(http_parser *p)
{
    /* one request per connection: stop at its end */
    http_parser_pause(p, 1);

    return 0;
}


/* Whether name is tree or under it: "alerts", "alerts.jobs", "alerts.*". */
static int
jr_sse_in_tree(const char *name, size_t len, const char *tree, size_t n)
{
    return len >= n && memcmp(name, tree, n) == 0
           && (len == n || name[n] == '.');
}


/*
 * Whether a topic is for admins only: the alerts, a send's counts
 * ("newsletters.ID": jr_nl_progress.h) and the dashboard's live figures
 * ("analytics.current"), which no page shows readers.
 */
static int
jr_sse_admin_topic(const char *name, size_t len)
{
    return jr_sse_in_tree(name, len, "alerts", 6)
           || jr_sse_in_tree(name, len, "newsletters", 11)
           || jr_sse_in_tree(name, len, "analytics", 9);
}


/*
 * The head is read: check it, subscribe, and start the stream with the
 * response head and retry delay, the messages a resuming client missed
 * (or for a new one, the current value of "metrics." topics), and the id
 * it is at now.
 */
static void
jr_sse_request(jr_sse_conn_t *c)
{
    int                  admin;
    char                 store[JR_SSE_TOPICS_MAX * (JR_SSE_TOPIC_MAX + 1)];
    char                 qid[JR_SSE_ID_MAX + 1];
    size_t               i, n, lens[JR_SSE_TOPICS_MAX], qid_len;
    uint64_t             after;
    jr_sse_t            *hub;
    const char          *names[JR_SSE_TOPICS_MAX], *why;
    jr_sse_req_t        *req;
    jr_sse_msg_t        *m;
    struct http_parser_url  u;

    hub = c->hub;
    req = c->req;

    if (req->parser.method != HTTP_GET) {
        jr_sse_refuse(c, 405, "not a GET");
        return;
    }

    if (req->url_long) {
        jr_sse_refuse(c, 400, "URL too long");
        return;
    }

    http_parser_url_init(&u);

    if (http_parser_parse_url(req->url, req->url_len, 0, &u) != 0) {
        jr_sse_refuse(c, 400, "bad URL");
        return;
    }

    n = 0;
    why = "no topic";

    qid[0] = '\0';

    if ((u.field_set & (1 << UF_QUERY))
        && jr_sse_query(req->url + u.field_data[UF_QUERY].off,
                        u.field_data[UF_QUERY].len, names, lens, store, &n,
                        qid, &why) != 0)
    {
        jr_sse_refuse(c, 400, why);
        return;
    }

    if (n == 0) {
        jr_sse_refuse(c, 400, why);
        return;
    }

    admin = 0;

    for (i = 0; i < n; i++) {
        admin |= jr_sse_admin_topic(names[i], lens[i]);
    }

    if (admin && (!c->local || req->user_len == 0 || req->user_bad)) {
        jr_sse_refuse(c, 403, c->local ? "admin topics need an admin session"
                                       : "admin topics only on the Unix socket");
        return;
    }

    if (hub->nstreams >= hub->conf->max_subscribers) {
        jr_sse_refuse(c, 503, "sse_max_subscribers reached");
        return;
    }

    /* the last id: the header, or the query's for a script */
    if (req->id_len > 0 && req->id_len <= JR_SSE_ID_MAX) {
        memcpy(qid, req->last_id, req->id_len);
        qid[req->id_len] = '\0';
    }

    qid_len = strlen(qid);

    if (admin) {
        jr_log(JR_LOG_INFO, "sse: admin \"%.*s\" subscribed to %zu topic%s",
               (int) req->user_len, req->user, n, n == 1 ? "" : "s");
    }

    if (jr_sse_subscribe(c, names, lens, n) != 0) {
        jr_sse_refuse(c, 503, "out of memory");
        return;
    }

    free(c->req);
    c->req = NULL;

    c->streaming = 1;
    hub->nstreams++;
    hub->stats.accepted++;

    jr_sse_send(c, hub->head);

    if (qid_len) {
        hub->stats.resumed++;
        after = jr_sse_resume_from(hub, qid, qid_len);

        if (after != UINT64_MAX) {
            jr_sse_replay(c, after);
        }

    } else {
        jr_sse_current(c);
    }

    if (c->closing) {
        return;
    }

    /*
     * The id of now, without data: the browser takes it as its last id
     * and dispatches nothing, so a reconnection after a restart of the
     * jobrunner asks for what was published meanwhile.
     */
    m = jr_sse_msg_alloc(64);
    if (m == NULL) {
        jr_sse_conn_close(c);
        return;
    }

    m->len = (size_t) snprintf(m->data, 64, "id: %llu.%llu\n\n",
                               (unsigned long long) hub->epoch,
                               (unsigned long long) hub->seq);
    if (c->last < hub->seq) {
        c->last = hub->seq;
    }

    jr_sse_send(c, m);
    jr_sse_msg_unref(m);
}


static int
jr_sse_hex(char ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }

    ch |= 0x20;

    return (ch >= 'a' && ch <= 'f') ? ch - 'a' + 10 : -1;
}


/* %XX and "+" decoded into out (at most max bytes).  -1 if too long. */
static int
jr_sse_unescape(const char *s, size_t len, char *out, size_t max,
    size_t *n)
{
    size_t  i, k;
    int     hi, lo;

    k = 0;

    for (i = 0; i < len; i++) {
        if (k == max) {
            return -1;
        }

        if (s[i] == '+') {
            out[k++] = ' ';

        } else if (s[i] == '%' && i + 2 < len) {
            hi = jr_sse_hex(s[i + 1]);
            lo = jr_sse_hex(s[i + 2]);

            if (hi < 0 || lo < 0) {
                /* a stray "%" stays itself */
                out[k++] = '%';
                continue;
            }

            out[k++] = (char) (hi * 16 + lo);
            i += 2;

        } else {
            out[k++] = s[i];
        }
    }

    *n = k;

    return 0;
}


/*
 * "topic=A&topic=B&last_event_id=E.S": the topics, decoded into store
 * (JR_SSE_TOPIC_MAX + 1 bytes each), and the id, decoded into id
 * (JR_SSE_ID_MAX + 1 bytes; "" without one).  Other parameters are
 * ignored: EventSource polyfills add their own.  Returns 0, or -1 with the
 * reason in *why.
 */
static int
jr_sse_query(const char *q, size_t len, const char **names, size_t *lens,
    char *store, size_t *n, char *id, const char **why)
{
    char        *slot;
    size_t       klen, vlen, dlen;
    const char  *end, *amp, *eq, *v;

    end = q + len;
    id[0] = '\0';

    while (q < end) {
        amp = memchr(q, '&', end - q);
        if (amp == NULL) {
            amp = end;
        }

        eq = memchr(q, '=', amp - q);
        klen = (eq ? eq : amp) - q;
        v = eq ? eq + 1 : amp;
        vlen = amp - v;

        if (klen == 5 && memcmp(q, "topic", 5) == 0) {
            if (*n == JR_SSE_TOPICS_MAX) {
                *why = "more than 8 topics";
                return -1;
            }

            slot = store + *n * (JR_SSE_TOPIC_MAX + 1);

            if (jr_sse_unescape(v, vlen, slot, JR_SSE_TOPIC_MAX, &dlen) != 0
                || !jr_sse_topic_valid(slot, dlen))
            {
                *why = "invalid topic";
                return -1;
            }

            slot[dlen] = '\0';
            names[*n] = slot;
            lens[*n] = dlen;
            (*n)++;

        } else if (klen == 13 && memcmp(q, "last_event_id", 13) == 0) {
            if (jr_sse_unescape(v, vlen, id, JR_SSE_ID_MAX, &dlen) != 0) {
                dlen = 0;
            }

            id[dlen] = '\0';
        }

        q = amp + 1;
    }

    return 0;
}


/*
 * The seq to replay after for a Last-Event-ID "E.S": S for this hub's
 * epoch, 0 (all that is kept) for an earlier one, UINT64_MAX (nothing)
 * for anything else.
 */
static uint64_t
jr_sse_resume_from(jr_sse_t *hub, const char *id, size_t len)
{
    size_t    i;
    uint64_t  e, s, *v;

    e = 0;
    s = 0;
    v = &e;

    for (i = 0; i < len; i++) {
        if (id[i] == '.' && v == &e && i > 0) {
            v = &s;
            continue;
        }

        if (id[i] < '0' || id[i] > '9' || *v > UINT64_MAX / 10 - 10) {
            return UINT64_MAX;
        }

        *v = *v * 10 + (uint64_t) (id[i] - '0');
    }

    if (v != &s || id[len - 1] == '.') {
        return UINT64_MAX;
    }

    if (e == hub->epoch) {
        return s;
    }

    return e < hub->epoch ? 0 : UINT64_MAX;
}


/*
 * A short plain-text answer, logged with its reason, then the close.  A 503
 * says when to come back, as the module's own stream cap does, so that
 * clients other than EventSource (which retries on its own clock) do not
 * hammer a full hub.
 */
static void
jr_sse_refuse(jr_sse_conn_t *c, unsigned status, const char *why)
{
    int            k;
    jr_sse_msg_t  *m;
    const char    *text;

    switch (status) {
    case 400: text = "400 Bad Request"; k = 0; break;
    case 403: text = "403 Forbidden"; k = 1; break;
    case 405: text = "405 Method Not Allowed"; k = 2; break;
    default: text = "503 Service Unavailable"; k = 3; break;
    }

    c->hub->stats.refused[k]++;

    jr_log(JR_LOG_INFO, "sse: %u, %s", status, why);

    free(c->req);
    c->req = NULL;

    m = jr_sse_msg_alloc(256 + strlen(why));
    if (m == NULL) {
        jr_sse_conn_close(c);
        return;
    }

    m->len = (size_t) sprintf(m->data, "HTTP/1.1 %s\r\n%s"
                              "Content-Type: text/plain\r\n"
                              "Content-Length: %zu\r\n"
                              "Connection: close\r\n\r\n%s\n",
                              text,
                              status == 503 ? "Retry-After: "
                                  JR_SSE_RETRY_AFTER "\r\n" : "",
                              strlen(why) + 1, why);

    c->close_after = 1;
    jr_sse_send(c, m);
    jr_sse_msg_unref(m);

    if (!c->closing && c->h.stream.write_queue_size == 0) {
        jr_sse_conn_close(c);
    }
}


void
jr_sse_timeout(jr_sse_conn_t *c)
{
    jr_sse_refuse(c, 400, "request not complete in time");
}


void
jr_sse_send(jr_sse_conn_t *c, jr_sse_msg_t *m)
{
    int              n;
    size_t           off, pending;
    uv_buf_t         buf;
    jr_sse_write_t  *w;

    if (c->closing) {
        return;
    }

    off = 0;
    pending = c->h.stream.write_queue_size;

    /* the usual case, an idle subscriber: written now, nothing kept */
    if (pending == 0) {
        buf = uv_buf_init(m->data, (unsigned) m->len);
        n = uv_try_write(&c->h.stream, &buf, 1);

        if (n >= 0 && (size_t) n == m->len) {
            c->hub->stats.delivered += (m->seq != 0);
            return;
        }

        if (n < 0 && n != UV_EAGAIN) {
            jr_sse_conn_close(c);
            return;
        }

        off = n > 0 ? (size_t) n : 0;
    }

    if (pending + (m->len - off) > c->hub->conf->max_pending) {
        c->hub->stats.slow++;
        jr_log(JR_LOG_INFO, "sse: a subscriber with %zu bytes unsent is "
               "cut off", pending);
        jr_sse_conn_close(c);
        return;
    }

    w = malloc(sizeof(jr_sse_write_t));
    if (w == NULL) {
        jr_sse_conn_close(c);
        return;
    }

    w->msg = m;
    if (!m->fixed) {
        m->refs++;
    }

    buf = uv_buf_init(m->data + off, (unsigned) (m->len - off));

    if (uv_write(&w->req, &c->h.stream, &buf, 1, jr_sse_written) != 0) {
        jr_sse_msg_unref(m);
        free(w);
        jr_sse_conn_close(c);
        return;
    }

    c->hub->stats.delivered += (m->seq != 0);
}


static void
jr_sse_written(uv_write_t *req, int status)
{
    jr_sse_conn_t   *c;
    jr_sse_write_t  *w;

    w = (jr_sse_write_t *) req;
    c = req->handle->data;

    jr_sse_msg_unref(w->msg);
    free(w);

    if (c->closing) {
        return;
    }

    if (status < 0
        || (c->close_after && c->h.stream.write_queue_size == 0))
    {
        jr_sse_conn_close(c);
    }
}


void
jr_sse_conn_close(jr_sse_conn_t *c)
{
    jr_sse_t  *hub;

    if (c->closing) {
        return;
    }

    hub = c->hub;
    c->closing = 1;

    if (c->streaming) {
        jr_sse_unsubscribe(c);
        hub->nstreams--;
    }

    *c->prev = c->next;
    if (c->next) {
        c->next->prev = c->prev;
    }
    hub->nconns--;

    free(c->req);
    c->req = NULL;

    uv_close((uv_handle_t *) &c->h.stream, jr_sse_closed);
}


static void
jr_sse_closed(uv_handle_t *handle)
{
    free(handle->data);
}
