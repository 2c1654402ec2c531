/*
 * The realtime hubs of several nodes over NATS; see jr_sse_nats.h.
 */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/jr_log.h"
#include "sse/jr_sse.h"
#include "sse/jr_sse_nats.h"


/*
 * Messages waiting either way.  Realtime messages are worth little once
 * late: past these, new ones are dropped (and counted) rather than
 * memory grown while NATS or the loop cannot keep up.
 */
#define JR_SSE_NATS_QUEUE_MAX   4096

#define JR_SSE_NATS_NODE        "Blog-Node"
#define JR_SSE_NATS_TOPIC       "Blog-Topic"
#define JR_SSE_NATS_EVENT       "Blog-Event"


typedef struct jr_sse_nats_msg_s  jr_sse_nats_msg_t;

/* One message, its strings in buf: [subject,] topic, event, data. */
struct jr_sse_nats_msg_s {
    jr_sse_nats_msg_t   *next;
    const char          *subject;       /* outgoing only */
    const char          *topic;
    const char          *event;
    const char          *data;
    size_t               dlen;
    char                 buf[];
};

typedef struct {
    jr_sse_nats_msg_t   *first;
    jr_sse_nats_msg_t  **last;
    size_t               n;
} jr_sse_nats_queue_t;

struct jr_sse_nats_s {
    uv_loop_t              *loop;
    jr_nats_t              *nats;
    const jr_nats_conf_t   *conf;
    uv_async_t              async;
    uv_work_t               pub_req;
    uv_work_t               sub_req;
    unsigned                async_open:1;
    unsigned                stopped:1;
    unsigned                pub_busy:1;
    unsigned                sub_busy:1;

    jr_sse_nats_queue_t     out;           /* the loop's, to publish */

    /* the work item's while it runs */
    jr_sse_nats_msg_t      *sending;
    uint64_t                w_sent;
    uint64_t                w_failed;
    char                    w_err[256];

    /* the subscribe work item's while it runs, then the loop's */
    natsSubscription       *sub;
    char                    sub_err[256];

    uint64_t                published;
    uint64_t                received;
    uint64_t                dropped_out;
    uint64_t                dropped_in;    /* of the loop: refused here */

    /* written by libnats's thread, under lock */
    pthread_mutex_t         lock;
    int                     closed;        /* the async handle is gone */
    jr_sse_nats_queue_t     in;
    uint64_t                lost_in;       /* queue full, malformed */
};


static void jr_sse_nats_closed(uv_handle_t *handle);
static void jr_sse_nats_event(void *data, unsigned events);
static void jr_sse_nats_sub_work(uv_work_t *req);
static void jr_sse_nats_sub_done(uv_work_t *req, int status);
static void jr_sse_nats_unsubscribe(jr_sse_nats_t *b);
static void jr_sse_nats_on_msg(natsConnection *nc, natsSubscription *sub,
    natsMsg *msg, void *closure);
static void jr_sse_nats_async_cb(uv_async_t *async);
static void jr_sse_nats_relay(void *data, const char *topic,
    const char *event, const char *text);
static void jr_sse_nats_kick(jr_sse_nats_t *b);
static void jr_sse_nats_pub_work(uv_work_t *req);
static void jr_sse_nats_pub_done(uv_work_t *req, int status);
static jr_sse_nats_msg_t *jr_sse_nats_msg(const char *prefix,
    const char *topic, size_t tlen, const char *event, size_t elen,
    const char *data, size_t dlen);
static void jr_sse_nats_free_list(jr_sse_nats_msg_t *m);


static void
jr_sse_nats_queue_init(jr_sse_nats_queue_t *q)
{
    q->first = NULL;
    q->last = &q->first;
    q->n = 0;
}


static void
jr_sse_nats_queue_add(jr_sse_nats_queue_t *q, jr_sse_nats_msg_t *m)
{
    m->next = NULL;
    *q->last = m;
    q->last = &m->next;
    q->n++;
}


jr_sse_nats_t *
jr_sse_nats_start(uv_loop_t *loop, jr_nats_t *nats, const jr_nats_conf_t *conf)
{
    jr_sse_nats_t  *b;

    b = calloc(1, sizeof(jr_sse_nats_t));
    if (b == NULL) {
        jr_log(JR_LOG_ERROR, "sse: out of memory");
        return NULL;
    }

    b->loop = loop;
    b->nats = nats;
    b->conf = conf;
    b->pub_req.data = b;
    b->sub_req.data = b;
    jr_sse_nats_queue_init(&b->out);
    jr_sse_nats_queue_init(&b->in);

    if (pthread_mutex_init(&b->lock, NULL) != 0) {
        jr_log(JR_LOG_ERROR, "sse: cannot make a mutex");
        free(b);
        return NULL;
    }

    if (uv_async_init(loop, &b->async, jr_sse_nats_async_cb) != 0) {
        jr_log(JR_LOG_ERROR, "sse: cannot make an async handle");
        pthread_mutex_destroy(&b->lock);
        free(b);
        return NULL;
    }

    b->async.data = b;
    b->async_open = 1;

    if (jr_nats_listen(nats, jr_sse_nats_event, b) != 0) {
        /* b goes with its handle, when the caller's loop closes */
        b->stopped = 1;
        uv_close((uv_handle_t *) &b->async, jr_sse_nats_closed);
        return NULL;
    }

    jr_sse_relay(jr_sse_nats_relay, b);

    jr_log(JR_LOG_INFO, "sse: shared with the other nodes on \"%s.>\"",
           conf->sse_subject);

    return b;
}


static void
jr_sse_nats_closed(uv_handle_t *handle)
{
    jr_sse_nats_t  *b = handle->data;

    pthread_mutex_destroy(&b->lock);
    free(b);
}


/* The loop: the connection's news.  Subscribes once; libnats subscribes
   again by itself after a reconnect. */
static void
jr_sse_nats_event(void *data, unsigned events)
{
    int             rc;
    jr_sse_nats_t  *b = data;

    if (!(events & JR_NATS_UP) || b->stopped || b->sub != NULL
        || b->sub_busy)
    {
        return;
    }

    rc = uv_queue_work(b->loop, &b->sub_req, jr_sse_nats_sub_work,
                       jr_sse_nats_sub_done);
    if (rc != 0) {
        jr_log(JR_LOG_WARN, "sse: cannot queue the NATS subscription: %s; "
               "trying again at the next reconnect", uv_strerror(rc));
        return;
    }

    b->sub_busy = 1;
}


/* The thread pool: a subscription is a round trip with the server. */
static void
jr_sse_nats_sub_work(uv_work_t *req)
{
    char            subject[256];
    jr_sse_nats_t  *b = req->data;
    natsStatus      s;

    snprintf(subject, sizeof(subject), "%s.>", b->conf->sse_subject);

    s = natsConnection_Subscribe(&b->sub, jr_nats_conn(b->nats), subject,
                                 jr_sse_nats_on_msg, b);
    if (s != NATS_OK) {
        jr_nats_strerror(s, 0, b->sub_err, sizeof(b->sub_err));
        b->sub = NULL;
    }

    nats_ReleaseThreadMemory();
}


static void
jr_sse_nats_sub_done(uv_work_t *req, int status)
{
    jr_sse_nats_t  *b = req->data;

    (void) status;

    b->sub_busy = 0;

    if (b->stopped) {
        jr_sse_nats_unsubscribe(b);
        return;
    }

    if (b->sub == NULL) {
        jr_log(JR_LOG_WARN, "sse: cannot subscribe to \"%s.>\": %s; trying "
               "again at the next reconnect", b->conf->sse_subject,
               b->sub_err);
        return;
    }

    jr_log(JR_LOG_DEBUG, "sse: subscribed to \"%s.>\"", b->conf->sse_subject);
}


/*
 * At the end only.  The handler may still run once on libnats's thread:
 * it finds "closed" set, and b lives until libnats's threads are gone.
 */
static void
jr_sse_nats_unsubscribe(jr_sse_nats_t *b)
{
    if (b->sub == NULL) {
        return;
    }

    (void) natsSubscription_Unsubscribe(b->sub);
    natsSubscription_Destroy(b->sub);
    b->sub = NULL;
}


static const char *
jr_sse_nats_header(natsMsg *msg, const char *key)
{
    const char  *value;

    if (natsMsgHeader_Get(msg, key, &value) != NATS_OK) {
        return NULL;
    }

    return value;
}


/* A libnats thread: a message of some node's hub. */
static void
jr_sse_nats_on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg,
    void *closure)
{
    int                 len;
    const char         *node, *topic, *event, *data;
    jr_sse_nats_t      *b = closure;
    jr_sse_nats_msg_t  *m;

    (void) nc;
    (void) sub;

    node = jr_sse_nats_header(msg, JR_SSE_NATS_NODE);
    topic = jr_sse_nats_header(msg, JR_SSE_NATS_TOPIC);
    event = jr_sse_nats_header(msg, JR_SSE_NATS_EVENT);
    data = natsMsg_GetData(msg);
    len = natsMsg_GetDataLength(msg);

    /* this node's own: its hub delivered it when it published it */
    if (node != NULL && strcmp(node, b->conf->node) == 0) {
        natsMsg_Destroy(msg);
        return;
    }

    m = NULL;

    /* the hub takes text: a NUL would cut it short */
    if (node != NULL && topic != NULL && event != NULL && len >= 0
        && (len == 0 || memchr(data, '\0', len) == NULL))
    {
        m = jr_sse_nats_msg(NULL, topic, strlen(topic), event, strlen(event),
                            data, len);
    }

    natsMsg_Destroy(msg);

    pthread_mutex_lock(&b->lock);

    if (b->closed) {
        pthread_mutex_unlock(&b->lock);
        free(m);
        return;
    }

    if (m == NULL || b->in.n >= JR_SSE_NATS_QUEUE_MAX) {
        b->lost_in++;
        free(m);

    } else {
        jr_sse_nats_queue_add(&b->in, m);
        (void) uv_async_send(&b->async);
    }

    pthread_mutex_unlock(&b->lock);
}


/* The loop: what libnats's thread queued goes to the hub. */
static void
jr_sse_nats_async_cb(uv_async_t *async)
{
    jr_sse_nats_t      *b = async->data;
    jr_sse_nats_msg_t  *m, *next;

    pthread_mutex_lock(&b->lock);
    m = b->in.first;
    jr_sse_nats_queue_init(&b->in);
    pthread_mutex_unlock(&b->lock);

    for ( /* void */ ; m; m = next) {
        next = m->next;

        if (!b->stopped && jr_sse_publish_remote(m->topic, m->event, m->data)
                           == 0)
        {
            b->received++;

        } else {
            b->dropped_in++;
        }

        free(m);
    }
}


/* The loop, from jr_sse_publish(): a message for the other nodes. */
static void
jr_sse_nats_relay(void *data, const char *topic, const char *event,
    const char *text)
{
    jr_sse_nats_t      *b = data;
    jr_sse_nats_msg_t  *m;

    /* nothing is kept for later: late realtime news is no news */
    if (b->stopped || !jr_nats_up(b->nats)
        || b->out.n >= JR_SSE_NATS_QUEUE_MAX)
    {
        b->dropped_out++;
        return;
    }

    m = jr_sse_nats_msg(b->conf->sse_subject, topic, strlen(topic), event,
                        strlen(event), text, strlen(text));
    if (m == NULL) {
        b->dropped_out++;
        return;
    }

    jr_sse_nats_queue_add(&b->out, m);

    jr_sse_nats_kick(b);
}


static void
jr_sse_nats_kick(jr_sse_nats_t *b)
{
    int                 rc;
    jr_sse_nats_msg_t  *m;

    if (b->pub_busy || b->out.n == 0) {
        return;
    }

    b->sending = b->out.first;
    jr_sse_nats_queue_init(&b->out);
    b->w_sent = 0;
    b->w_failed = 0;

    rc = uv_queue_work(b->loop, &b->pub_req, jr_sse_nats_pub_work,
                       jr_sse_nats_pub_done);
    if (rc != 0) {
        jr_log(JR_LOG_WARN, "sse: cannot queue a publish to NATS: %s",
               uv_strerror(rc));

        for (m = b->sending; m; m = m->next) {
            b->dropped_out++;
        }

        jr_sse_nats_free_list(b->sending);
        b->sending = NULL;

        return;
    }

    b->pub_busy = 1;
}


/*
 * The thread pool: a publish of core NATS waits for no answer, but it
 * takes the connection's lock and may write to its socket.
 */
static void
jr_sse_nats_pub_work(uv_work_t *req)
{
    jr_sse_nats_t      *b = req->data;
    natsMsg            *msg;
    natsStatus          s;
    natsConnection     *nc;
    jr_sse_nats_msg_t  *m;

    nc = jr_nats_conn(b->nats);

    for (m = b->sending; m; m = m->next) {
        s = natsMsg_Create(&msg, m->subject, NULL, m->data, (int) m->dlen);

        if (s == NATS_OK) {
            s = natsMsgHeader_Set(msg, JR_SSE_NATS_NODE, b->conf->node);
            if (s == NATS_OK) {
                s = natsMsgHeader_Set(msg, JR_SSE_NATS_TOPIC, m->topic);
            }
            if (s == NATS_OK) {
                s = natsMsgHeader_Set(msg, JR_SSE_NATS_EVENT, m->event);
            }
            if (s == NATS_OK) {
                s = natsConnection_PublishMsg(nc, msg);
            }

            natsMsg_Destroy(msg);
        }

        if (s == NATS_OK) {
            b->w_sent++;
            continue;
        }

        if (b->w_failed++ == 0) {
            jr_nats_strerror(s, 0, b->w_err, sizeof(b->w_err));
        }
    }

    nats_ReleaseThreadMemory();
}


static void
jr_sse_nats_pub_done(uv_work_t *req, int status)
{
    jr_sse_nats_t  *b = req->data;

    (void) status;

    b->pub_busy = 0;
    b->published += b->w_sent;
    b->dropped_out += b->w_failed;

    /* a warning, not an error: an error line would be an alert to relay */
    if (b->w_failed) {
        jr_log(JR_LOG_WARN, "sse: %llu message(s) not published to NATS: %s",
               (unsigned long long) b->w_failed, b->w_err);
    }

    jr_sse_nats_free_list(b->sending);
    b->sending = NULL;

    if (!b->stopped) {
        jr_sse_nats_kick(b);
    }
}


/*
 * NATS subjects are tokens joined by dots, none empty, "*" and ">"
 * wildcards: those become "_".  The topic itself travels in a header, so
 * two topics on one subject are still told apart.
 */
static char *
jr_sse_nats_subject(char *p, const char *prefix, const char *topic,
    size_t tlen)
{
    size_t  i;
    int     empty;

    p = stpcpy(p, prefix);
    *p++ = '.';
    empty = 1;

    for (i = 0; i < tlen; i++) {
        if (topic[i] == '.') {
            if (empty) {
                *p++ = '_';
            }
            *p++ = '.';
            empty = 1;
            continue;
        }

        *p++ = (topic[i] == '*' || topic[i] == '>') ? '_' : topic[i];
        empty = 0;
    }

    if (empty) {
        *p++ = '_';
    }

    *p++ = '\0';

    return p;
}


/* A message, with its subject under prefix when given.  Any thread. */
static jr_sse_nats_msg_t *
jr_sse_nats_msg(const char *prefix, const char *topic, size_t tlen,
    const char *event, size_t elen, const char *data, size_t dlen)
{
    char               *p;
    size_t              size;
    jr_sse_nats_msg_t  *m;

    /* a subject: each byte of the topic, and a "_" per empty token */
    size = tlen + 1 + elen + 1 + dlen + 1;
    if (prefix != NULL) {
        size += strlen(prefix) + 1 + 2 * tlen + 2;
    }

    m = malloc(sizeof(jr_sse_nats_msg_t) + size);
    if (m == NULL) {
        return NULL;
    }

    p = m->buf;
    m->subject = NULL;

    if (prefix != NULL) {
        m->subject = p;
        p = jr_sse_nats_subject(p, prefix, topic, tlen);
    }

    m->topic = p;
    memcpy(p, topic, tlen);
    p[tlen] = '\0';
    p += tlen + 1;

    m->event = p;
    memcpy(p, event, elen);
    p[elen] = '\0';
    p += elen + 1;

    m->data = p;
    m->dlen = dlen;
    memcpy(p, data, dlen);
    p[dlen] = '\0';

    m->next = NULL;

    return m;
}


static void
jr_sse_nats_free_list(jr_sse_nats_msg_t *m)
{
    jr_sse_nats_msg_t  *next;

    for ( /* void */ ; m; m = next) {
        next = m->next;
        free(m);
    }
}


void
jr_sse_nats_stop(jr_sse_nats_t *b)
{
    if (b == NULL || b->stopped) {
        return;
    }

    b->stopped = 1;
    jr_sse_relay(NULL, NULL);

    pthread_mutex_lock(&b->lock);
    b->closed = 1;
    pthread_mutex_unlock(&b->lock);

    if (b->async_open) {
        uv_close((uv_handle_t *) &b->async, NULL);
    }

    /* a subscription being made is dropped when it is done */
    if (!b->sub_busy) {
        jr_sse_nats_unsubscribe(b);
    }

    jr_sse_nats_free_list(b->out.first);
    jr_sse_nats_queue_init(&b->out);
}


void
jr_sse_nats_free(jr_sse_nats_t *b)
{
    if (b == NULL) {
        return;
    }

    /* when the start failed, jr_sse_nats_stop() may not have run */
    jr_sse_relay(NULL, NULL);

    jr_sse_nats_free_list(b->in.first);
    jr_sse_nats_free_list(b->out.first);
    pthread_mutex_destroy(&b->lock);
    free(b);
}


void
jr_sse_nats_render(jr_sse_nats_t *b, FILE *out)
{
    uint64_t  lost;

    pthread_mutex_lock(&b->lock);
    lost = b->lost_in;
    pthread_mutex_unlock(&b->lock);

    fprintf(out,
            "# HELP jobrunner_sse_nats_published_total Realtime messages "
            "of this node's hub published to NATS.\n"
            "# TYPE jobrunner_sse_nats_published_total counter\n"
            "jobrunner_sse_nats_published_total %llu\n"
            "# HELP jobrunner_sse_nats_received_total Realtime messages "
            "of other nodes' hubs delivered here from NATS.\n"
            "# TYPE jobrunner_sse_nats_received_total counter\n"
            "jobrunner_sse_nats_received_total %llu\n"
            "# HELP jobrunner_sse_nats_dropped_total Realtime messages "
            "lost: out, not published (NATS away, queue full, an error); "
            "in, not delivered (queue full, malformed, refused by the "
            "hub).\n"
            "# TYPE jobrunner_sse_nats_dropped_total counter\n"
            "jobrunner_sse_nats_dropped_total{direction=\"out\"} %llu\n"
            "jobrunner_sse_nats_dropped_total{direction=\"in\"} %llu\n",
            (unsigned long long) b->published,
            (unsigned long long) b->received,
            (unsigned long long) b->dropped_out,
            (unsigned long long) (b->dropped_in + lost));
}
