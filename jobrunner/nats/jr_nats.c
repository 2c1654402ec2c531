/*
 * The connection to NATS; see jr_nats.h.
 */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/jr_log.h"
#include "nats/jr_nats.h"


#define JR_NATS_HANDLERS       4
#define JR_NATS_WAIT_MS        5000      /* a JetStream API call's answer */
#define JR_NATS_RECONNECT_MS   1000
#define JR_NATS_PING_MS        10000     /* a silent server: 3 pings */
#define JR_NATS_RETRY_MS       5000      /* a connect refused (not absent) */
#define JR_NATS_CLOSE_MS       5000

/* How long JetStream drops a message id it has seen, for a stream it makes. */
#define JR_NATS_DUPLICATES_NS  (120LL * 1000000000LL)


typedef struct {
    jr_nats_handler_pt   handler;
    void                *data;
} jr_nats_listener_t;

struct jr_nats_s {
    uv_loop_t              *loop;
    const jr_nats_conf_t   *conf;
    natsOptions            *opts;
    natsConnection         *nc;
    jsCtx                  *js;
    uv_async_t              async;
    uv_timer_t              retry;
    uv_work_t               req;
    unsigned                handles;
    int                     busy;          /* the connect is running */
    int                     ready;         /* nc and js are set: loop's */
    int                     stopped;
    int                     opened;        /* nats_Open() done */
    char                    err[256];
    jr_nats_listener_t      listeners[JR_NATS_HANDLERS];
    unsigned                nlisteners;
    uint64_t                disconnects;
    uint64_t                faults;

    /* written by libnats threads, under lock */
    pthread_mutex_t         lock;
    unsigned                pending;       /* JR_NATS_* not yet handled */
    int                     closed;        /* the async handle is gone */
    char                    fault[256];
};

#define JR_NATS_ASYNC  0x01
#define JR_NATS_RETRY  0x02


static void jr_nats_connect(jr_nats_t *n);
static void jr_nats_connect_work(uv_work_t *req);
static void jr_nats_connect_done(uv_work_t *req, int status);
static void jr_nats_retry_cb(uv_timer_t *timer);
static void jr_nats_async_cb(uv_async_t *async);
static void jr_nats_notify(jr_nats_t *n, unsigned events);
static void jr_nats_post(jr_nats_t *n, unsigned events, const char *fault);
static void jr_nats_up_cb(natsConnection *nc, void *closure);
static void jr_nats_down_cb(natsConnection *nc, void *closure);
static void jr_nats_error_cb(natsConnection *nc, natsSubscription *sub,
    natsStatus err, void *closure);


int
jr_nats_start(jr_nats_t **out, uv_loop_t *loop, const jr_nats_conf_t *conf)
{
    char        name[128];
    jr_nats_t  *n;
    natsStatus  s;

    *out = NULL;

    n = calloc(1, sizeof(jr_nats_t));
    if (n == NULL) {
        jr_log(JR_LOG_ERROR, "nats: out of memory");
        return -1;
    }

    n->loop = loop;
    n->conf = conf;
    n->req.data = n;

    if (pthread_mutex_init(&n->lock, NULL) != 0) {
        jr_log(JR_LOG_ERROR, "nats: cannot make a mutex");
        free(n);
        return -1;
    }

    *out = n;

    if (uv_async_init(loop, &n->async, jr_nats_async_cb) != 0) {
        jr_log(JR_LOG_ERROR, "nats: cannot make an async handle");
        return -1;
    }

    n->async.data = n;
    n->handles = JR_NATS_ASYNC;

    if (uv_timer_init(loop, &n->retry) != 0) {
        jr_log(JR_LOG_ERROR, "nats: cannot make a timer");
        return -1;
    }

    n->retry.data = n;
    n->handles |= JR_NATS_RETRY;

    s = nats_Open(-1);
    if (s != NATS_OK) {
        jr_log(JR_LOG_ERROR, "nats: cannot start libnats: %s",
               natsStatus_GetText(s));
        return -1;
    }

    n->opened = 1;

    snprintf(name, sizeof(name), "jobrunner %s", conf->node);

    /*
     * Reconnect forever; a server absent at start is tried the same way.
     * Requests (publishes waiting for their ack, fetches) fail at once on
     * a disconnect, instead of waiting out their time.
     */
    s = natsOptions_Create(&n->opts);
    if (s == NATS_OK) {
        s = natsOptions_SetURL(n->opts, conf->url);
    }
    if (s == NATS_OK) {
        s = natsOptions_SetName(n->opts, name);
    }
    if (s == NATS_OK) {
        s = natsOptions_SetMaxReconnect(n->opts, -1);
    }
    if (s == NATS_OK) {
        s = natsOptions_SetReconnectWait(n->opts, JR_NATS_RECONNECT_MS);
    }
    if (s == NATS_OK) {
        s = natsOptions_SetRetryOnFailedConnect(n->opts, true,
                                                jr_nats_up_cb, n);
    }
    if (s == NATS_OK) {
        s = natsOptions_SetFailRequestsOnDisconnect(n->opts, true);
    }
    if (s == NATS_OK) {
        s = natsOptions_SetPingInterval(n->opts, JR_NATS_PING_MS);
    }
    if (s == NATS_OK) {
        s = natsOptions_SetReconnectedCB(n->opts, jr_nats_up_cb, n);
    }
    if (s == NATS_OK) {
        s = natsOptions_SetDisconnectedCB(n->opts, jr_nats_down_cb, n);
    }
    if (s == NATS_OK) {
        s = natsOptions_SetErrorHandler(n->opts, jr_nats_error_cb, n);
    }
    if (s == NATS_OK && conf->creds) {
        s = natsOptions_SetUserCredentialsFromFiles(n->opts, conf->creds,
                                                    NULL);
    }

    if (s != NATS_OK) {
        /* not the url: it may hold a password */
        jr_log(JR_LOG_ERROR, "nats: cannot set the connection's options: %s",
               natsStatus_GetText(s));
        return -1;
    }

    jr_nats_connect(n);

    return 0;
}


int
jr_nats_listen(jr_nats_t *n, jr_nats_handler_pt handler, void *data)
{
    if (n->nlisteners == JR_NATS_HANDLERS) {
        jr_log(JR_LOG_ERROR, "nats: too many users of the connection");
        return -1;
    }

    n->listeners[n->nlisteners].handler = handler;
    n->listeners[n->nlisteners].data = data;
    n->nlisteners++;

    return 0;
}


static void
jr_nats_connect(jr_nats_t *n)
{
    int  rc;

    n->busy = 1;

    rc = uv_queue_work(n->loop, &n->req, jr_nats_connect_work,
                       jr_nats_connect_done);
    if (rc != 0) {
        n->busy = 0;
        jr_log(JR_LOG_ERROR, "nats: cannot queue the connect: %s",
               uv_strerror(rc));
        (void) uv_timer_start(&n->retry, jr_nats_retry_cb, JR_NATS_RETRY_MS,
                              0);
    }
}


/* The thread pool: the connect waits for the server's answer. */
static void
jr_nats_connect_work(uv_work_t *req)
{
    jr_nats_t   *n = req->data;
    jsOptions    jo;
    natsStatus   s;

    s = natsConnection_Connect(&n->nc, n->opts);

    if (s == NATS_OK || s == NATS_NOT_YET_CONNECTED) {
        jsOptions_Init(&jo);
        jo.Wait = JR_NATS_WAIT_MS;

        if (natsConnection_JetStream(&n->js, n->nc, &jo) != NATS_OK) {
            jr_nats_strerror(NATS_ERR, 0, n->err, sizeof(n->err));
            natsConnection_Destroy(n->nc);
            n->nc = NULL;
        }

    } else {
        jr_nats_strerror(s, 0, n->err, sizeof(n->err));
        n->nc = NULL;
    }

    nats_ReleaseThreadMemory();
}


static void
jr_nats_connect_done(uv_work_t *req, int status)
{
    jr_nats_t  *n = req->data;
    char        url[256];

    (void) status;

    n->busy = 0;

    if (n->stopped) {
        return;
    }

    if (n->nc == NULL) {
        jr_log(JR_LOG_ERROR, "nats: cannot connect: %s; trying again in "
               "%d s", n->err, JR_NATS_RETRY_MS / 1000);
        (void) uv_timer_start(&n->retry, jr_nats_retry_cb, JR_NATS_RETRY_MS,
                              0);
        return;
    }

    /* from here the loop may look at nc: an "up" before was not heard */
    n->ready = 1;

    if (!jr_nats_up(n)) {
        jr_log(JR_LOG_WARN, "nats: no server answers yet; events wait in "
               "the outbox, the connection is tried every %d ms",
               JR_NATS_RECONNECT_MS);
        return;
    }

    if (natsConnection_GetConnectedUrl(n->nc, url, sizeof(url)) == NATS_OK) {
        jr_log(JR_LOG_INFO, "nats: connected to %s as node \"%s\"", url,
               n->conf->node);
    }

    jr_nats_notify(n, JR_NATS_UP);
}


static void
jr_nats_retry_cb(uv_timer_t *timer)
{
    jr_nats_t  *n = timer->data;

    if (!n->stopped && !n->busy) {
        jr_nats_connect(n);
    }
}


/* libnats threads: connected (at last, or again) */
static void
jr_nats_up_cb(natsConnection *nc, void *closure)
{
    (void) nc;

    jr_nats_post(closure, JR_NATS_UP, NULL);
}


static void
jr_nats_down_cb(natsConnection *nc, void *closure)
{
    (void) nc;

    jr_nats_post(closure, JR_NATS_DOWN, NULL);
}


static void
jr_nats_error_cb(natsConnection *nc, natsSubscription *sub, natsStatus err,
    void *closure)
{
    (void) nc;
    (void) sub;

    jr_nats_post(closure, JR_NATS_FAULT, natsStatus_GetText(err));
}


/*
 * From any thread.  uv_async_send() is the one libuv call that may be made
 * from another thread, and only while the handle lives: "closed" says it
 * no longer does.
 */
static void
jr_nats_post(jr_nats_t *n, unsigned events, const char *fault)
{
    pthread_mutex_lock(&n->lock);

    if (!n->closed) {
        n->pending |= events;

        if (fault) {
            snprintf(n->fault, sizeof(n->fault), "%s", fault);
        }

        (void) uv_async_send(&n->async);
    }

    pthread_mutex_unlock(&n->lock);
}


static void
jr_nats_async_cb(uv_async_t *async)
{
    char        fault[256], url[256];
    unsigned    events;
    jr_nats_t  *n = async->data;

    pthread_mutex_lock(&n->lock);
    events = n->pending;
    n->pending = 0;
    memcpy(fault, n->fault, sizeof(fault));
    pthread_mutex_unlock(&n->lock);

    if (n->stopped || events == 0) {
        return;
    }

    if (events & JR_NATS_DOWN) {
        n->disconnects++;
        jr_log(JR_LOG_WARN, "nats: disconnected; reconnecting every %d ms",
               JR_NATS_RECONNECT_MS);
    }

    if ((events & JR_NATS_UP) && n->ready
        && natsConnection_GetConnectedUrl(n->nc, url, sizeof(url))
           == NATS_OK)
    {
        jr_log(JR_LOG_INFO, "nats: connected to %s as node \"%s\"", url,
               n->conf->node);
    }

    if (events & JR_NATS_FAULT) {
        n->faults++;
        jr_log(JR_LOG_WARN, "nats: %s", fault);
    }

    jr_nats_notify(n, events);
}


static void
jr_nats_notify(jr_nats_t *n, unsigned events)
{
    unsigned  i;

    for (i = 0; i < n->nlisteners; i++) {
        n->listeners[i].handler(n->listeners[i].data, events);
    }
}


int
jr_nats_up(jr_nats_t *n)
{
    return n->ready
           && natsConnection_Status(n->nc) == NATS_CONN_STATUS_CONNECTED;
}


natsConnection *
jr_nats_conn(jr_nats_t *n)
{
    return n->nc;
}


jsCtx *
jr_nats_js(jr_nats_t *n)
{
    return n->js;
}


int
jr_nats_stream(jr_nats_t *n, char *err, size_t errlen)
{
    char             subject[256];
    jsErrCode        jerr;
    natsStatus       s;
    const char      *subjects[1];
    jsStreamInfo    *si;
    jsStreamConfig   sc;

    si = NULL;
    jerr = 0;

    s = js_GetStreamInfo(&si, n->js, n->conf->stream, NULL, &jerr);

    if (s == NATS_OK) {
        jsStreamInfo_Destroy(si);
        return 0;
    }

    if (s != NATS_NOT_FOUND) {
        jr_nats_strerror(s, jerr, err, errlen);
        return -1;
    }

    snprintf(subject, sizeof(subject), "%s.>", n->conf->subject);
    subjects[0] = subject;

    jsStreamConfig_Init(&sc);
    sc.Name = n->conf->stream;
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    sc.Retention = js_LimitsPolicy;
    sc.Discard = js_DiscardOld;
    sc.MaxAge = (int64_t) n->conf->max_age * 1000000000LL;
    sc.Duplicates = JR_NATS_DUPLICATES_NS;

    jerr = 0;
    s = js_AddStream(&si, n->js, &sc, NULL, &jerr);

    /* another node may have made it first */
    if (s == NATS_OK || jerr == JSStreamNameExistErr) {
        jsStreamInfo_Destroy(si);
        return 0;
    }

    jr_nats_strerror(s, jerr, err, errlen);

    return -1;
}


void
jr_nats_strerror(natsStatus s, jsErrCode jerr, char *err, size_t errlen)
{
    const char  *detail;

    detail = nats_GetLastError(NULL);

    if (detail == NULL || detail[0] == '\0') {
        detail = natsStatus_GetText(s);
    }

    if (jerr) {
        snprintf(err, errlen, "%s (JetStream error %d)", detail, (int) jerr);

    } else {
        snprintf(err, errlen, "%s", detail);
    }
}


void
jr_nats_stop(jr_nats_t *n)
{
    if (n == NULL || n->stopped) {
        return;
    }

    n->stopped = 1;

    pthread_mutex_lock(&n->lock);
    n->closed = 1;
    pthread_mutex_unlock(&n->lock);

    if (n->handles & JR_NATS_ASYNC) {
        uv_close((uv_handle_t *) &n->async, NULL);
    }

    if (n->handles & JR_NATS_RETRY) {
        uv_close((uv_handle_t *) &n->retry, NULL);
    }
}


void
jr_nats_free(jr_nats_t *n)
{
    if (n == NULL) {
        return;
    }

    /* publishes already sent get their chance to reach the server */
    if (n->nc) {
        (void) natsConnection_FlushTimeout(n->nc, 1000);
    }

    jsCtx_Destroy(n->js);
    natsConnection_Destroy(n->nc);
    natsOptions_Destroy(n->opts);

    /* libnats's threads gone, its memory freed: valgrind sees no leak */
    if (n->opened) {
        (void) nats_CloseAndWait(JR_NATS_CLOSE_MS);
    }

    pthread_mutex_destroy(&n->lock);
    free(n);
}


void
jr_nats_render(jr_nats_t *n, FILE *out)
{
    fprintf(out,
            "# HELP jobrunner_nats_connected 1 while connected to NATS.\n"
            "# TYPE jobrunner_nats_connected gauge\n"
            "jobrunner_nats_connected %d\n"
            "# HELP jobrunner_nats_disconnects_total Connections to NATS "
            "lost.\n"
            "# TYPE jobrunner_nats_disconnects_total counter\n"
            "jobrunner_nats_disconnects_total %llu\n"
            "# HELP jobrunner_nats_errors_total Asynchronous errors of the "
            "NATS connection.\n"
            "# TYPE jobrunner_nats_errors_total counter\n"
            "jobrunner_nats_errors_total %llu\n",
            jr_nats_up(n), (unsigned long long) n->disconnects,
            (unsigned long long) n->faults);
}
