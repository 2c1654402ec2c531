/*
 * The realtime hub: topics, their history, publishing and heartbeats; see
 * jr_sse.h.  The connections and their HTTP are in jr_sse_conn.c.
 *
 * Event ids are "E.S": E the hub's start time in milliseconds, S a
 * sequence number of the hub's messages.  A client that resumes with an
 * id of this hub's life gets the kept messages after S; with an id of an
 * earlier life (the jobrunner restarted) it gets everything kept, since
 * all of it is newer than what it saw.
 */

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/jr_hash.h"
#include "core/jr_log.h"
#include "sse/jr_sse_hub.h"


#define JR_SSE_BUCKETS_MIN  64


static jr_sse_t         *jr_sse_hub;
static uint64_t          jr_sse_seed;
static jr_sse_relay_pt   jr_sse_relay_handler;
static void             *jr_sse_relay_data;


static int jr_sse_publish_msg(const char *topic, const char *event,
    const char *data, int relay);
static void jr_sse_heartbeat(uv_timer_t *timer);
static void jr_sse_topic_free(jr_sse_t *hub, jr_sse_topic_t *t);
static int jr_sse_wildcards(jr_sse_t *hub, const char *topic, size_t tlen,
    jr_sse_msg_t *m);
static void jr_sse_deliver(jr_sse_topic_t *t, jr_sse_msg_t *m);
static int jr_sse_keep(jr_sse_t *hub, jr_sse_topic_t *t, jr_sse_msg_t *m);
static void jr_sse_hist_drop(jr_sse_t *hub, jr_sse_hist_t *h);
static void jr_sse_log_alert(const char *message);


int
jr_sse_start(jr_sse_t **out, uv_loop_t *loop, const jr_sse_conf_t *conf)
{
    int              n;
    jr_sse_t        *hub;
    struct timespec  ts;

    *out = NULL;

    if (conf->socket == NULL && conf->listen.ss_family == 0) {
        return 0;
    }

    hub = calloc(1, sizeof(jr_sse_t));
    if (hub == NULL) {
        jr_log(JR_LOG_ERROR, "sse: out of memory");
        return -1;
    }

    *out = hub;
    hub->loop = loop;
    hub->conf = conf;
    hub->nbuckets = JR_SSE_BUCKETS_MIN;
    hub->buckets = calloc(hub->nbuckets, sizeof(jr_sse_topic_t *));

    clock_gettime(CLOCK_REALTIME, &ts);
    hub->epoch = (uint64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;

    /* chains stay short even for topics chosen to collide */
    jr_sse_seed = uv_hrtime() ^ (hub->epoch * 0x9e3779b97f4a7c15ULL);

    /* the same head for every stream: the status, then the retry delay */
    hub->head = jr_sse_msg_alloc(256);
    hub->ping = jr_sse_msg_alloc(3);

    if (hub->buckets == NULL || hub->head == NULL || hub->ping == NULL) {
        jr_log(JR_LOG_ERROR, "sse: out of memory");
        return -1;
    }

    n = snprintf(hub->head->data, 256,
                 "HTTP/1.1 200 OK\r\n"
                 "Content-Type: text/event-stream\r\n"
                 "Cache-Control: no-store\r\n"
                 "X-Accel-Buffering: no\r\n"
                 "Connection: close\r\n"
                 "\r\n"
                 "retry: %u\n\n", conf->retry_ms);
    hub->head->len = (size_t) n;
    hub->head->fixed = 1;

    memcpy(hub->ping->data, ":\n\n", 3);
    hub->ping->fixed = 1;

    if (uv_timer_init(loop, &hub->heartbeat) != 0) {
        jr_log(JR_LOG_ERROR, "sse: cannot make the heartbeat timer");
        return -1;
    }

    hub->heartbeat.data = hub;
    hub->handles |= JR_SSE_HEARTBEAT;

    if (uv_timer_start(&hub->heartbeat, jr_sse_heartbeat, conf->heartbeat_ms,
                       conf->heartbeat_ms) != 0)
    {
        jr_log(JR_LOG_ERROR, "sse: cannot start the heartbeat timer");
        return -1;
    }

    /*
     * A client may go while a message is written to it: the write must
     * fail with EPIPE, which closes that connection, rather than raise a
     * SIGPIPE that would end the process.
     */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        jr_log(JR_LOG_ERROR, "sse: cannot ignore SIGPIPE");
        return -1;
    }

    if (jr_sse_listen(hub) != 0) {
        return -1;
    }

    jr_sse_hub = hub;
    jr_log_hook(jr_sse_log_alert);

    jr_log(JR_LOG_INFO, "sse: hub on %s%s%s, heartbeat %u ms, history %u",
           conf->socket ? conf->socket : "",
           conf->socket && conf->listen.ss_family ? " and " : "",
           conf->listen.ss_family ? "a loopback port" : "",
           conf->heartbeat_ms, conf->history);

    return 0;
}


void
jr_sse_stop(jr_sse_t *hub)
{
    if (hub == NULL || hub->stopped) {
        return;
    }

    hub->stopped = 1;

    if (jr_sse_hub == hub) {
        jr_log_hook(NULL);
        jr_sse_hub = NULL;
    }

    while (hub->conns) {
        jr_sse_conn_close(hub->conns);
    }

    if (hub->handles & JR_SSE_HEARTBEAT) {
        uv_close((uv_handle_t *) &hub->heartbeat, NULL);
    }

    if (hub->handles & JR_SSE_UNIX) {
        uv_close((uv_handle_t *) &hub->unix_listener, NULL);
    }

    if (hub->handles & JR_SSE_BOUND) {
        (void) unlink(hub->conf->socket);
    }

    if (hub->handles & JR_SSE_TCP) {
        uv_close((uv_handle_t *) &hub->tcp_listener, NULL);
    }
}


void
jr_sse_free(jr_sse_t *hub)
{
    size_t           i;
    jr_sse_topic_t  *t, *next;

    if (hub == NULL) {
        return;
    }

    for (i = 0; hub->buckets && i < hub->nbuckets; i++) {
        for (t = hub->buckets[i]; t; t = next) {
            next = t->hnext;
            jr_sse_topic_free(hub, t);
        }
    }

    free(hub->buckets);
    free(hub->head);
    free(hub->ping);
    free(hub);
}


int
jr_sse_running(void)
{
    return jr_sse_hub != NULL;
}


/*
 * Printable ASCII without blanks, quotes or backslashes, at most
 * JR_SSE_TOPIC_MAX bytes; "*" only as a whole last segment ("alerts.*").
 */
int
jr_sse_topic_valid(const char *name, size_t len)
{
    size_t  i;

    if (len == 0 || len > JR_SSE_TOPIC_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (name[i] <= ' ' || name[i] > '~' || name[i] == '"'
            || name[i] == '\\')
        {
            return 0;
        }

        if (name[i] == '*' && (i != len - 1 || len < 3 || name[i - 1] != '.'))
        {
            return 0;
        }
    }

    return 1;
}


jr_sse_topic_t *
jr_sse_topic_get(jr_sse_t *hub, const char *name, size_t len, int create)
{
    size_t            i, n;
    uint64_t          hash;
    jr_sse_topic_t   *t, *next, **grown;

    hash = jr_hash(name, len, jr_sse_seed);

    for (t = hub->buckets[hash & (hub->nbuckets - 1)]; t; t = t->hnext) {
        if (t->hash == hash && t->len == len && memcmp(t->name, name, len) == 0)
        {
            return t;
        }
    }

    if (!create) {
        return NULL;
    }

    /* a table as large as its topics keeps the chains short */
    if (hub->ntopics >= hub->nbuckets) {
        n = hub->nbuckets * 2;
        grown = calloc(n, sizeof(jr_sse_topic_t *));

        if (grown != NULL) {
            for (i = 0; i < hub->nbuckets; i++) {
                for (t = hub->buckets[i]; t; t = next) {
                    next = t->hnext;
                    t->hnext = grown[t->hash & (n - 1)];
                    grown[t->hash & (n - 1)] = t;
                }
            }

            free(hub->buckets);
            hub->buckets = grown;
            hub->nbuckets = n;
        }
    }

    t = calloc(1, sizeof(jr_sse_topic_t) + len + 1);
    if (t == NULL) {
        jr_log(JR_LOG_WARN, "sse: out of memory for a topic");
        return NULL;
    }

    t->hash = hash;
    t->len = len;
    memcpy(t->name, name, len);
    t->idle_since = uv_now(hub->loop);

    t->hnext = hub->buckets[hash & (hub->nbuckets - 1)];
    hub->buckets[hash & (hub->nbuckets - 1)] = t;
    hub->ntopics++;
    hub->unwatched++;

    return t;
}


/* Unhooks and frees a topic; its subscribers must be gone. */
static void
jr_sse_topic_free(jr_sse_t *hub, jr_sse_topic_t *t)
{
    jr_sse_topic_t  **pt;

    while (t->first) {
        jr_sse_hist_drop(hub, t->first);
    }

    for (pt = &hub->buckets[t->hash & (hub->nbuckets - 1)]; *pt;
         pt = &(*pt)->hnext)
    {
        if (*pt == t) {
            *pt = t->hnext;
            break;
        }
    }

    hub->ntopics--;
    hub->unwatched -= (t->nsubs == 0);
    free(t);
}


/*
 * Links the connection into each topic, once each.  Returns 0, or -1 out
 * of memory (the connection is then linked nowhere).
 */
int
jr_sse_subscribe(jr_sse_conn_t *c, const char **names, const size_t *lens,
    size_t n)
{
    size_t           i, k;
    jr_sse_t        *hub;
    jr_sse_link_t   *l;
    jr_sse_topic_t  *t;

    hub = c->hub;

    c->links = calloc(n, sizeof(jr_sse_link_t));
    if (c->links == NULL) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        t = jr_sse_topic_get(hub, names[i], lens[i], 1);
        if (t == NULL) {
            jr_sse_unsubscribe(c);
            return -1;
        }

        for (k = 0; k < c->nlinks && c->links[k].topic != t; k++) {
            /* void */
        }

        if (k < c->nlinks) {
            continue;
        }

        l = &c->links[c->nlinks++];
        l->conn = c;
        l->topic = t;
        l->next = t->subs;
        l->prev = &t->subs;
        if (t->subs) {
            t->subs->prev = &l->next;
        }
        t->subs = l;

        if (t->nsubs++ == 0) {
            hub->unwatched--;
        }
    }

    return 0;
}


void
jr_sse_unsubscribe(jr_sse_conn_t *c)
{
    size_t           i;
    jr_sse_link_t   *l;
    jr_sse_topic_t  *t;

    for (i = 0; i < c->nlinks; i++) {
        l = &c->links[i];
        t = l->topic;

        *l->prev = l->next;
        if (l->next) {
            l->next->prev = l->prev;
        }

        if (--t->nsubs == 0) {
            c->hub->unwatched++;
            t->idle_since = uv_now(c->hub->loop);
        }
    }

    free(c->links);
    c->links = NULL;
    c->nlinks = 0;
}


static int
jr_sse_hist_cmp(const void *a, const void *b)
{
    uint64_t  x, y;

    x = (*(jr_sse_hist_t *const *) a)->msg->seq;
    y = (*(jr_sse_hist_t *const *) b)->msg->seq;

    return x < y ? -1 : x > y;
}


/*
 * Sends the kept messages of the connection's topics newer than seq
 * "after", oldest first, each once (a message may be kept in a topic and
 * in a wildcard above it).
 */
void
jr_sse_replay(jr_sse_conn_t *c, uint64_t after)
{
    size_t           i, n;
    jr_sse_hist_t   *h, **all;

    n = 0;

    for (i = 0; i < c->nlinks; i++) {
        n += c->links[i].topic->nhist;
    }

    if (n == 0) {
        return;
    }

    all = malloc(n * sizeof(jr_sse_hist_t *));
    if (all == NULL) {
        jr_log(JR_LOG_WARN, "sse: out of memory for a replay");
        return;
    }

    n = 0;

    for (i = 0; i < c->nlinks; i++) {
        for (h = c->links[i].topic->first; h; h = h->tnext) {
            if (h->msg->seq > after) {
                all[n++] = h;
            }
        }
    }

    qsort(all, n, sizeof(jr_sse_hist_t *), jr_sse_hist_cmp);

    /* a send may close the connection: then its links are gone */
    for (i = 0; i < n && !c->closing; i++) {
        if (all[i]->msg->seq > c->last) {
            c->last = all[i]->msg->seq;
            c->hub->stats.replayed++;
            jr_sse_send(c, all[i]->msg);
        }
    }

    free(all);
}


/*
 * A new subscriber of "metrics.", "newsletters." and "analytics." topics
 * gets their newest message: such a topic carries a current value (a
 * page's views, a send's counts, the current visitors), which the page it
 * updates may show older than it is, from a cache or from before its own
 * view was counted.
 */
void
jr_sse_current(jr_sse_conn_t *c)
{
    size_t          i, k, n;
    jr_sse_msg_t   *m, *all[JR_SSE_TOPICS_MAX];
    jr_sse_topic_t  *t;

    n = 0;

    for (i = 0; i < c->nlinks; i++) {
        t = c->links[i].topic;

        if (t->last != NULL
            && ((t->len > 8 && memcmp(t->name, "metrics.", 8) == 0)
                || (t->len > 12 && memcmp(t->name, "newsletters.", 12) == 0)
                || (t->len > 10 && memcmp(t->name, "analytics.", 10) == 0)))
        {
            all[n++] = t->last->msg;
        }
    }

    /* a few at most: oldest first by insertion */
    for (i = 1; i < n; i++) {
        m = all[i];
        for (k = i; k > 0 && all[k - 1]->seq > m->seq; k--) {
            all[k] = all[k - 1];
        }
        all[k] = m;
    }

    for (i = 0; i < n && !c->closing; i++) {
        if (all[i]->seq > c->last) {
            c->last = all[i]->seq;
            c->hub->stats.replayed++;
            jr_sse_send(c, all[i]);
        }
    }
}


jr_sse_msg_t *
jr_sse_msg_alloc(size_t len)
{
    jr_sse_msg_t  *m;

    m = malloc(sizeof(jr_sse_msg_t) + len);
    if (m == NULL) {
        return NULL;
    }

    m->refs = 1;
    m->fixed = 0;
    m->seq = 0;
    m->len = len;

    return m;
}


void
jr_sse_msg_unref(jr_sse_msg_t *m)
{
    if (!m->fixed && --m->refs == 0) {
        free(m);
    }
}


int
jr_sse_publish(const char *topic, const char *event, const char *data)
{
    return jr_sse_publish_msg(topic, event, data, 1);
}


int
jr_sse_publish_remote(const char *topic, const char *event, const char *data)
{
    return jr_sse_publish_msg(topic, event, data, 0);
}


void
jr_sse_relay(jr_sse_relay_pt relay, void *data)
{
    jr_sse_relay_handler = relay;
    jr_sse_relay_data = data;
}


static int
jr_sse_publish_msg(const char *topic, const char *event, const char *data,
    int relay)
{
    int              rc;
    char            *p;
    size_t           tlen, elen, dlen, len, lines, i;
    jr_sse_t        *hub;
    const char      *d, *nl;
    jr_sse_msg_t    *m;
    jr_sse_topic_t  *t;

    hub = jr_sse_hub;

    if (hub == NULL || hub->publishing) {
        return -1;
    }

    tlen = strlen(topic);
    elen = strlen(event);
    dlen = strlen(data);

    if (!jr_sse_topic_valid(topic, tlen) || topic[tlen - 1] == '*'
        || elen == 0 || elen > JR_SSE_EVENT_MAX
        || strpbrk(event, "\r\n") != NULL || dlen > JR_SSE_DATA_MAX)
    {
        /* the names may hold anything, line breaks too: not logged */
        hub->stats.dropped++;
        jr_log(JR_LOG_WARN, "sse: refused to publish: invalid topic (%zu "
               "bytes) or event name (%zu bytes)", tlen, elen);
        return -1;
    }

    /*
     * Other nodes may have subscribers whatever is kept here; while the
     * relay runs, a line it logs is not published as an alert in turn.
     */
    if (relay && jr_sse_relay_handler != NULL) {
        hub->publishing = 1;
        jr_sse_relay_handler(jr_sse_relay_data, topic, event, data);
        hub->publishing = 0;
    }

    /* a topic nobody follows is kept for its history, up to a limit */
    t = jr_sse_topic_get(hub, topic, tlen, 0);

    if (t == NULL && hub->unwatched < hub->conf->max_topics) {
        t = jr_sse_topic_get(hub, topic, tlen, 1);
    }

    if (t == NULL && jr_sse_wildcards(hub, topic, tlen, NULL) == 0) {
        hub->stats.dropped++;
        jr_log(JR_LOG_DEBUG, "sse: too many topics, \"%s\" not kept", topic);
        return -1;
    }

    /* "id: E.S\n", "event: NAME\n", a "data: LINE\n" per line, "\n" */
    lines = 1;
    for (d = data; (nl = strchr(d, '\n')) != NULL; d = nl + 1) {
        lines++;
    }

    len = sizeof("id: .\n") + 40 + sizeof("event: \n") + elen
          + lines * sizeof("data: \n") + dlen + 1;

    m = jr_sse_msg_alloc(len);
    if (m == NULL) {
        hub->stats.dropped++;
        jr_log(JR_LOG_WARN, "sse: out of memory for a message");
        return -1;
    }

    m->seq = ++hub->seq;

    p = m->data;
    p += sprintf(p, "id: %llu.%llu\nevent: %s\n",
                 (unsigned long long) hub->epoch,
                 (unsigned long long) m->seq, event);

    for (d = data; ; d = nl + 1) {
        nl = strchr(d, '\n');
        i = nl ? (size_t) (nl - d) : strlen(d);

        /* a CR would end the line for the browser: lines end at LF only */
        memcpy(p, "data: ", 6);
        p += 6;
        for ( /* void */ ; i; i--, d++) {
            if (*d != '\r') {
                *p++ = *d;
            }
        }
        *p++ = '\n';

        if (nl == NULL) {
            break;
        }
    }

    *p++ = '\n';
    m->len = p - m->data;

    hub->publishing = 1;
    hub->stats.published++;
    rc = 0;

    if (t != NULL) {
        jr_sse_deliver(t, m);
        rc = jr_sse_keep(hub, t, m);
    }

    rc |= jr_sse_wildcards(hub, topic, tlen, m);

    hub->publishing = 0;

    jr_sse_msg_unref(m);

    return rc;
}


/*
 * The wildcards above a topic ("a.*", "a.b.*" for "a.b.c") that someone
 * follows: with m, delivers m to their subscribers and keeps it in their
 * history, and returns 0 or -1 as jr_sse_keep(); without, returns how
 * many there are.
 */
static int
jr_sse_wildcards(jr_sse_t *hub, const char *topic, size_t tlen,
    jr_sse_msg_t *m)
{
    int              rc, n;
    char             wild[JR_SSE_TOPIC_MAX + 2];
    size_t           i;
    jr_sse_topic_t  *w;

    rc = 0;
    n = 0;
    memcpy(wild, topic, tlen);

    for (i = 1; i + 1 < tlen; i++) {
        if (topic[i] != '.') {
            continue;
        }

        wild[i + 1] = '*';
        w = jr_sse_topic_get(hub, wild, i + 2, 0);
        wild[i + 1] = topic[i + 1];

        if (w == NULL) {
            continue;
        }

        n++;

        if (m != NULL) {
            jr_sse_deliver(w, m);
            rc |= jr_sse_keep(hub, w, m);
        }
    }

    return m != NULL ? rc : n;
}


int
jr_sse_publish_json(const char *topic, const char *event, json_t *obj)
{
    int    rc;
    char  *text;

    if (jr_sse_hub == NULL) {
        return -1;
    }

    text = json_dumps(obj, JSON_COMPACT);
    if (text == NULL) {
        jr_log(JR_LOG_WARN, "sse: cannot serialize a \"%s\" event", event);
        return -1;
    }

    rc = jr_sse_publish(topic, event, text);

    free(text);

    return rc;
}


static void
jr_sse_deliver(jr_sse_topic_t *t, jr_sse_msg_t *m)
{
    jr_sse_conn_t  *c;
    jr_sse_link_t  *l, *next;

    /* a send that closes its connection unlinks that link only */
    for (l = t->subs; l; l = next) {
        next = l->next;
        c = l->conn;

        if (c->last >= m->seq) {
            continue;
        }

        c->last = m->seq;
        jr_sse_send(c, m);
    }
}


/* Keeps m in t's history, within both caps.  Returns 0 or -1. */
static int
jr_sse_keep(jr_sse_t *hub, jr_sse_topic_t *t, jr_sse_msg_t *m)
{
    const jr_sse_conf_t  *conf;
    jr_sse_hist_t        *h;

    conf = hub->conf;

    if (conf->history == 0 || m->len > conf->history_bytes) {
        return 0;
    }

    h = malloc(sizeof(jr_sse_hist_t));
    if (h == NULL) {
        jr_log(JR_LOG_WARN, "sse: out of memory for the history");
        return -1;
    }

    m->refs++;
    h->msg = m;
    h->topic = t;
    h->tnext = NULL;

    if (t->last) {
        t->last->tnext = h;
    } else {
        t->first = h;
    }
    t->last = h;
    t->nhist++;

    h->gnext = NULL;
    h->gprev = hub->newest;
    if (hub->newest) {
        hub->newest->gnext = h;
    } else {
        hub->oldest = h;
    }
    hub->newest = h;
    hub->nhist++;
    hub->hist_bytes += m->len;

    while (t->nhist > conf->history) {
        jr_sse_hist_drop(hub, t->first);
    }

    /* the hub's oldest is always the oldest of its own topic */
    while (hub->hist_bytes > conf->history_bytes) {
        jr_sse_hist_drop(hub, hub->oldest);
    }

    return 0;
}


/* Drops h, which is the oldest of its topic. */
static void
jr_sse_hist_drop(jr_sse_t *hub, jr_sse_hist_t *h)
{
    jr_sse_topic_t  *t;

    t = h->topic;

    t->first = h->tnext;
    if (t->first == NULL) {
        t->last = NULL;
    }
    t->nhist--;

    if (h->gprev) {
        h->gprev->gnext = h->gnext;
    } else {
        hub->oldest = h->gnext;
    }

    if (h->gnext) {
        h->gnext->gprev = h->gprev;
    } else {
        hub->newest = h->gprev;
    }

    hub->nhist--;
    hub->hist_bytes -= h->msg->len;

    jr_sse_msg_unref(h->msg);
    free(h);
}


/*
 * Every heartbeat_ms: a comment line to each idle stream, so proxies and
 * browsers see the stream alive and a vanished client is noticed; a 400
 * to each connection whose request has taken a whole round; then the
 * topics left alone for longer than the linger time go.
 */
static void
jr_sse_heartbeat(uv_timer_t *timer)
{
    size_t           i;
    uint64_t         now;
    jr_sse_t        *hub;
    jr_sse_conn_t   *c, *next;
    jr_sse_topic_t  *t, *tnext;

    hub = timer->data;
    now = uv_now(hub->loop);
    hub->stats.heartbeats++;

    for (c = hub->conns; c; c = next) {
        next = c->next;

        if (c->streaming && c->h.stream.write_queue_size == 0) {
            jr_sse_send(c, hub->ping);

        } else if (c->req != NULL) {
            /* a request unfinished for a whole round will not be */
            if (c->waited) {
                jr_sse_timeout(c);
            } else {
                c->waited = 1;
            }
        }
    }

    for (i = 0; i < hub->nbuckets; i++) {
        for (t = hub->buckets[i]; t; t = tnext) {
            tnext = t->hnext;

            if (t->nsubs == 0 && now - t->idle_since >= hub->conf->linger_ms)
            {
                jr_sse_topic_free(hub, t);
            }
        }
    }
}


/*
 * Error lines of the log as alerts for admins.  Only from the loop thread,
 * which is the only one that logs; a publication that itself logs an
 * error is not published again.
 */
static void
jr_sse_log_alert(const char *message)
{
    json_t  *obj;

    if (jr_sse_hub == NULL || jr_sse_hub->publishing) {
        return;
    }

    obj = json_pack("{s:s, s:s, s:I}", "level", "error", "message", message,
                    "time", (json_int_t) time(NULL));
    if (obj == NULL) {
        return;
    }

    (void) jr_sse_publish_json("alerts.errors", "alert", obj);
    json_decref(obj);
}


void
jr_sse_render(FILE *out)
{
    jr_sse_t              *hub;
    const jr_sse_stats_t  *s;

    hub = jr_sse_hub;
    if (hub == NULL) {
        return;
    }

    s = &hub->stats;

    fprintf(out,
            "# HELP jobrunner_sse_subscribers Event streams open.\n"
            "# TYPE jobrunner_sse_subscribers gauge\n"
            "jobrunner_sse_subscribers %zu\n"
            "# HELP jobrunner_sse_connections Connections open, streams "
            "and requests being read.\n"
            "# TYPE jobrunner_sse_connections gauge\n"
            "jobrunner_sse_connections %zu\n"
            "# HELP jobrunner_sse_topics Topics known, with history or "
            "subscribers.\n"
            "# TYPE jobrunner_sse_topics gauge\n"
            "jobrunner_sse_topics %zu\n"
            "# HELP jobrunner_sse_history_bytes Bytes of messages kept for "
            "resumption.\n"
            "# TYPE jobrunner_sse_history_bytes gauge\n"
            "jobrunner_sse_history_bytes %zu\n"
            "# HELP jobrunner_sse_subscriptions_total Streams opened.\n"
            "# TYPE jobrunner_sse_subscriptions_total counter\n"
            "jobrunner_sse_subscriptions_total %llu\n"
            "# HELP jobrunner_sse_refused_total Subscriptions refused, by "
            "status.\n"
            "# TYPE jobrunner_sse_refused_total counter\n"
            "jobrunner_sse_refused_total{status=\"400\"} %llu\n"
            "jobrunner_sse_refused_total{status=\"403\"} %llu\n"
            "jobrunner_sse_refused_total{status=\"405\"} %llu\n"
            "jobrunner_sse_refused_total{status=\"503\"} %llu\n"
            "# HELP jobrunner_sse_published_total Messages published.\n"
            "# TYPE jobrunner_sse_published_total counter\n"
            "jobrunner_sse_published_total %llu\n"
            "# HELP jobrunner_sse_publish_dropped_total Publications "
            "refused (invalid, or too many topics).\n"
            "# TYPE jobrunner_sse_publish_dropped_total counter\n"
            "jobrunner_sse_publish_dropped_total %llu\n"
            "# HELP jobrunner_sse_delivered_total Messages sent to "
            "subscribers, one per subscriber.\n"
            "# TYPE jobrunner_sse_delivered_total counter\n"
            "jobrunner_sse_delivered_total %llu\n"
            "# HELP jobrunner_sse_replayed_total Messages sent from "
            "history to resuming subscribers.\n"
            "# TYPE jobrunner_sse_replayed_total counter\n"
            "jobrunner_sse_replayed_total %llu\n"
            "# HELP jobrunner_sse_resumed_total Subscriptions that came "
            "with a Last-Event-ID.\n"
            "# TYPE jobrunner_sse_resumed_total counter\n"
            "jobrunner_sse_resumed_total %llu\n"
            "# HELP jobrunner_sse_slow_closed_total Subscribers cut off "
            "for not reading.\n"
            "# TYPE jobrunner_sse_slow_closed_total counter\n"
            "jobrunner_sse_slow_closed_total %llu\n",
            hub->nstreams, hub->nconns, hub->ntopics, hub->hist_bytes,
            (unsigned long long) s->accepted,
            (unsigned long long) s->refused[0],
            (unsigned long long) s->refused[1],
            (unsigned long long) s->refused[2],
            (unsigned long long) s->refused[3],
            (unsigned long long) s->published,
            (unsigned long long) s->dropped,
            (unsigned long long) s->delivered,
            (unsigned long long) s->replayed,
            (unsigned long long) s->resumed,
            (unsigned long long) s->slow);
}
