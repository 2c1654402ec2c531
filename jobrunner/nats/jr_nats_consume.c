/*
 * The consumer; see jr_nats_consume.h.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "blog_event.h"
#include "core/jr_log.h"
#include "nats/jr_nats_consume.h"


#define JR_CON_BATCH        64        /* messages per fetch: 4 MB at most */
#define JR_CON_WAIT_MS      1000      /* a fetch waits this long for one */
#define JR_CON_BACKOFF_MIN  250       /* ms after a failure, doubling */
#define JR_CON_BACKOFF_MAX  8000
#define JR_CON_NODES_MAX    4096      /* more names: not our publishers */

/*
 * Fetches that find nothing, in a row, before the consumer is checked all
 * the same: one deleted (with its stream, say) looks idle to a fetch.
 */
#define JR_CON_IDLE_CHECK   30


enum {
    JR_CON_GET_STREAM = 0,
    JR_CON_SET_STREAM,
    JR_CON_GET_NODES,
    JR_CON_SET_NODE,
    JR_CON_N
};

static const char *const  jr_con_sql[JR_CON_N] = {
    "SELECT created, seq FROM analytics_nats WHERE stream = ?1",

    "INSERT INTO analytics_nats (stream, created, seq) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (stream) DO UPDATE SET created = excluded.created,"
    " seq = excluded.seq",

    "SELECT node, file, offset FROM analytics_nodes",

    "INSERT INTO analytics_nodes (node, file, offset) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (node) DO UPDATE SET file = excluded.file,"
    " offset = excluded.offset"
};

/* A publishing node: its last position counted, and in the open batch. */
typedef struct {
    char      name[JR_NATS_NAME_MAX + 1];
    uint64_t  file;
    uint64_t  off;
    uint64_t  bfile;
    uint64_t  boff;
    int       dirty;              /* bfile, boff are ahead */
} jr_con_node_t;

struct jr_nats_con_s {
    uv_loop_t               *loop;
    jr_nats_t               *nats;
    sqlite3                 *db;
    sqlite3_stmt            *stmt[JR_CON_N];
    jr_analytics_t          *analytics;
    const jr_nats_conf_t    *conf;
    char                     filter[256];
    uv_work_t                req;
    uv_timer_t               retry;
    unsigned                 backoff;
    int                      busy;
    int                      stopped;
    int                      failing;
    int                      lost;         /* the connection went down */

    /* committed: what data.db says */
    int64_t                  created;      /* the stream's, in ns */
    uint64_t                 applied;      /* last stream sequence counted */
    jr_con_node_t           *nodes;
    size_t                   nnodes;
    size_t                   cap;

    /* the batch being counted */
    uint64_t                 bapplied;
    uint64_t                 bmessages;
    uint64_t                 bskipped;

    /* the work item's, untouched by the loop while it runs */
    natsSubscription        *sub;
    natsMsg                 *ack;          /* acknowledges what is counted */
    int                      stream;       /* the stream is known to exist */
    int                      resync;
    int                      synced;       /* out: w_created, w_applied */
    int64_t                  w_created;
    uint64_t                 w_applied;
    int                      recreated;
    uint64_t                 next_cseq;    /* 0: any */
    unsigned                 idle;         /* empty fetches in a row */
    natsMsgList              list;
    int                      failed;
    char                     err[512];

    /* metrics */
    uint64_t                 messages;
    uint64_t                 skipped;
    uint64_t                 resyncs;
    uint64_t                 failures;
};


static int jr_nats_con_load(jr_nats_con_t *c);
static void jr_nats_con_event(void *data, unsigned events);
static void jr_nats_con_kick(jr_nats_con_t *c);
static void jr_nats_con_work(uv_work_t *req);
static void jr_nats_con_run(jr_nats_con_t *c);
static int jr_nats_con_sync(jr_nats_con_t *c);
static void jr_nats_con_done(uv_work_t *req, int status);
static int jr_nats_con_count(jr_nats_con_t *c);
static int jr_nats_con_message(jr_nats_con_t *c, natsMsg *m);
static jr_con_node_t *jr_nats_con_node(jr_nats_con_t *c, const char *name,
    size_t len);
static int jr_nats_con_mark(void *data);
static void jr_nats_con_fail(jr_nats_con_t *c, const char *what);
static void jr_nats_con_retry_cb(uv_timer_t *timer);
static void jr_nats_con_closed(uv_handle_t *handle);


jr_nats_con_t *
jr_nats_con_start(uv_loop_t *loop, jr_nats_t *nats, sqlite3 *db,
    jr_analytics_t *a, const jr_nats_conf_t *conf)
{
    int             i;
    jr_nats_con_t  *c;

    c = calloc(1, sizeof(jr_nats_con_t));
    if (c == NULL) {
        jr_log(JR_LOG_ERROR, "nats: out of memory");
        return NULL;
    }

    c->loop = loop;
    c->nats = nats;
    c->db = db;
    c->analytics = a;
    c->conf = conf;
    c->req.data = c;
    c->retry.data = c;
    c->backoff = JR_CON_BACKOFF_MIN;
    c->resync = 1;

    snprintf(c->filter, sizeof(c->filter), "%s.>", conf->subject);

    for (i = 0; i < JR_CON_N; i++) {
        if (sqlite3_prepare_v2(db, jr_con_sql[i], -1, &c->stmt[i], NULL)
            != SQLITE_OK)
        {
            jr_log(JR_LOG_ERROR, "nats: cannot prepare \"%s\": %s",
                   jr_con_sql[i], sqlite3_errmsg(db));
            jr_nats_con_free(c);
            return NULL;
        }
    }

    if (jr_nats_con_load(c) != 0 || uv_timer_init(loop, &c->retry) != 0) {
        jr_nats_con_free(c);
        return NULL;
    }

    if (jr_nats_listen(nats, jr_nats_con_event, c) != 0) {
        /* c goes with its timer, when the caller's loop closes */
        c->stopped = 1;
        uv_close((uv_handle_t *) &c->retry, jr_nats_con_closed);
        return NULL;
    }

    jr_log(JR_LOG_INFO, "nats: counting stream \"%s\" from sequence %llu, "
           "%zu nodes known", conf->stream,
           (unsigned long long) c->applied + 1, c->nnodes);

    return c;
}


static void
jr_nats_con_closed(uv_handle_t *handle)
{
    jr_nats_con_free(handle->data);
}


/* The recorded sequence of the stream, and every node's position. */
static int
jr_nats_con_load(jr_nats_con_t *c)
{
    int             rc;
    size_t          len;
    const char     *name;
    sqlite3_stmt   *stmt;
    jr_con_node_t  *node;

    stmt = c->stmt[JR_CON_GET_STREAM];
    sqlite3_bind_text(stmt, 1, c->conf->stream, -1, SQLITE_STATIC);

    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        c->created = sqlite3_column_int64(stmt, 0);
        c->applied = (uint64_t) sqlite3_column_int64(stmt, 1);
    }

    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);

    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        jr_log(JR_LOG_ERROR, "nats: cannot read analytics_nats: %s",
               sqlite3_errmsg(c->db));
        return -1;
    }

    stmt = c->stmt[JR_CON_GET_NODES];

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        name = (const char *) sqlite3_column_text(stmt, 0);
        len = (size_t) sqlite3_column_bytes(stmt, 0);

        node = name ? jr_nats_con_node(c, name, len) : NULL;
        if (node == NULL) {
            continue;
        }

        node->file = (uint64_t) sqlite3_column_int64(stmt, 1);
        node->off = (uint64_t) sqlite3_column_int64(stmt, 2);
    }

    sqlite3_reset(stmt);

    if (rc != SQLITE_DONE) {
        jr_log(JR_LOG_ERROR, "nats: cannot read analytics_nodes: %s",
               sqlite3_errmsg(c->db));
        return -1;
    }

    return 0;
}


static void
jr_nats_con_event(void *data, unsigned events)
{
    jr_nats_con_t  *c = data;

    if (c->stopped) {
        return;
    }

    /* deliveries may have been lost with the connection */
    if (events & (JR_NATS_DOWN | JR_NATS_FAULT)) {
        c->lost = 1;
    }

    if (events & JR_NATS_UP) {
        c->backoff = JR_CON_BACKOFF_MIN;
        (void) uv_timer_stop(&c->retry);
        jr_nats_con_kick(c);
    }
}


static void
jr_nats_con_kick(jr_nats_con_t *c)
{
    int  rc;

    if (c->busy || c->stopped || !jr_nats_up(c->nats)
        || uv_is_active((uv_handle_t *) &c->retry))
    {
        return;
    }

    if (c->lost) {
        c->lost = 0;
        c->resync = 1;
        c->stream = 0;
    }

    c->failed = 0;
    c->synced = 0;
    c->recreated = 0;

    rc = uv_queue_work(c->loop, &c->req, jr_nats_con_work, jr_nats_con_done);
    if (rc != 0) {
        jr_log(JR_LOG_ERROR, "nats: cannot queue a fetch: %s",
               uv_strerror(rc));
        (void) uv_timer_start(&c->retry, jr_nats_con_retry_cb, c->backoff, 0);
        return;
    }

    c->busy = 1;
}


/* The thread pool: ack what was counted, check the consumer, fetch. */
static void
jr_nats_con_work(uv_work_t *req)
{
    jr_nats_con_run(req->data);

    nats_ReleaseThreadMemory();
}


static void
jr_nats_con_run(jr_nats_con_t *c)
{
    jsErrCode   jerr;
    natsStatus  s;

    /* "all": acknowledges every message up to this one */
    if (c->ack) {
        jerr = 0;
        s = natsMsg_AckSync(c->ack, NULL, &jerr);
        natsMsg_Destroy(c->ack);
        c->ack = NULL;

        /* the server redelivers them later: skipped then, by sequence */
        if (s != NATS_OK) {
            c->resync = 1;
        }
    }

    if (!c->stream) {
        if (jr_nats_stream(c->nats, c->err, sizeof(c->err)) != 0) {
            c->failed = 1;
            return;
        }

        c->stream = 1;
    }

    if (c->resync || c->sub == NULL || c->idle >= JR_CON_IDLE_CHECK) {
        c->idle = 0;

        if (jr_nats_con_sync(c) != 0) {
            c->failed = 1;
            return;
        }

        c->resync = 0;
    }

    jerr = 0;
    s = natsSubscription_Fetch(&c->list, c->sub, JR_CON_BATCH, JR_CON_WAIT_MS,
                               &jerr);

    c->idle = c->list.Count ? 0 : c->idle + 1;

    /* what did arrive is counted; the rest is fetched after a check */
    if (s != NATS_OK && s != NATS_TIMEOUT) {
        jr_nats_strerror(s, jerr, c->err, sizeof(c->err));
        c->resync = 1;
        c->failed = c->list.Count == 0;
    }
}


/*
 * Brings the durable consumer in line with the last sequence counted.  A
 * stream made anew (another creation time) is counted from its start.
 */
static int
jr_nats_con_sync(jr_nats_con_t *c)
{
    jsCtx              *js;
    uint64_t            applied;
    jsErrCode           jerr;
    natsStatus          s;
    jsStreamInfo       *si;
    jsSubOptions        so;
    jsConsumerInfo     *ci;
    jsConsumerConfig    cc;

    js = jr_nats_js(c->nats);
    si = NULL;
    ci = NULL;
    jerr = 0;

    s = js_GetStreamInfo(&si, js, c->conf->stream, NULL, &jerr);
    if (s != NATS_OK) {
        jr_nats_strerror(s, jerr, c->err, sizeof(c->err));
        return -1;
    }

    c->w_created = si->Created;
    jsStreamInfo_Destroy(si);

    applied = c->w_created == c->created ? c->applied : 0;

    jerr = 0;
    s = js_GetConsumerInfo(&ci, js, c->conf->stream, c->conf->durable, NULL,
                           &jerr);

    if (s != NATS_OK && s != NATS_NOT_FOUND) {
        jr_nats_strerror(s, jerr, c->err, sizeof(c->err));
        return -1;
    }

    /*
     * Delivered past the last counted: those deliveries are not counted
     * and must come again, in order.  Behind it (a server that lost its
     * consumer state): the copies would only be skipped.
     */
    if (s == NATS_NOT_FOUND || ci->Delivered.Stream != applied
        || ci->Config == NULL || ci->Config->AckPolicy != js_AckAll
        || ci->Config->AckWait != (int64_t) c->conf->ack_wait * 1000000000LL
        || ci->Config->FilterSubject == NULL
        || strcmp(ci->Config->FilterSubject, c->filter) != 0)
    {
        if (s == NATS_OK) {
            jerr = 0;
            s = js_DeleteConsumer(js, c->conf->stream, c->conf->durable, NULL,
                                  &jerr);
            if (s != NATS_OK && s != NATS_NOT_FOUND) {
                jr_nats_strerror(s, jerr, c->err, sizeof(c->err));
                jsConsumerInfo_Destroy(ci);
                return -1;
            }
        }

        jsConsumerInfo_Destroy(ci);
        ci = NULL;

        jsConsumerConfig_Init(&cc);
        cc.Durable = c->conf->durable;
        cc.AckPolicy = js_AckAll;
        cc.AckWait = (int64_t) c->conf->ack_wait * 1000000000LL;
        cc.FilterSubject = c->filter;
        cc.DeliverPolicy = applied ? js_DeliverByStartSequence : js_DeliverAll;
        cc.OptStartSeq = applied ? applied + 1 : 0;

        jerr = 0;
        s = js_AddConsumer(&ci, js, c->conf->stream, &cc, NULL, &jerr);
        if (s != NATS_OK) {
            jr_nats_strerror(s, jerr, c->err, sizeof(c->err));
            return -1;
        }

        c->recreated = 1;
    }

    jsConsumerInfo_Destroy(ci);

    if (c->sub) {
        (void) natsSubscription_Unsubscribe(c->sub);
        natsSubscription_Destroy(c->sub);
        c->sub = NULL;
    }

    /* bound to the consumer made above: libnats neither makes nor deletes */
    jsSubOptions_Init(&so);
    so.Stream = c->conf->stream;
    so.Consumer = c->conf->durable;

    jerr = 0;
    s = js_PullSubscribe(&c->sub, js, c->filter, c->conf->durable, NULL, &so,
                         &jerr);
    if (s != NATS_OK) {
        jr_nats_strerror(s, jerr, c->err, sizeof(c->err));
        c->sub = NULL;
        return -1;
    }

    c->next_cseq = 0;
    c->w_applied = applied;
    c->synced = 1;

    return 0;
}


static void
jr_nats_con_done(uv_work_t *req, int status)
{
    jr_nats_con_t  *c = req->data;

    (void) status;

    c->busy = 0;

    if (c->stopped) {
        natsMsgList_Destroy(&c->list);
        return;
    }

    if (c->synced) {
        if (c->w_created != c->created && c->created != 0) {
            jr_log(JR_LOG_WARN, "nats: stream \"%s\" was made anew; its "
                   "events are counted from its start", c->conf->stream);
        }

        c->created = c->w_created;
        c->applied = c->w_applied;

        if (c->recreated) {
            c->resyncs++;
            jr_log(JR_LOG_INFO, "nats: consumer \"%s\" made to deliver from "
                   "sequence %llu", c->conf->durable,
                   (unsigned long long) c->applied + 1);
        }
    }

    if (c->failed) {
        natsMsgList_Destroy(&c->list);
        jr_nats_con_fail(c, c->err);
        return;
    }

    if (c->list.Count && jr_nats_con_count(c) != 0) {
        natsMsgList_Destroy(&c->list);
        jr_nats_con_fail(c, "cannot count a batch");
        return;
    }

    natsMsgList_Destroy(&c->list);

    if (c->failing) {
        jr_log(JR_LOG_INFO, "nats: consuming again");
        c->failing = 0;
    }

    c->backoff = JR_CON_BACKOFF_MIN;

    jr_nats_con_kick(c);
}


/*
 * Counts the fetched messages, in order, and commits them with the new
 * sequence and positions.  Returns 0, or -1 when nothing was committed
 * (the consumer is then checked again, and the batch comes again).
 */
static int
jr_nats_con_count(jr_nats_con_t *c)
{
    int             i, last, rc;
    size_t          k;
    uint64_t        cseq, sseq;
    jsMsgMetaData  *md;

    /* the socket's batch goes first: a failed one here is forgotten whole */
    if (jr_analytics_pending(c->analytics)
        && jr_analytics_flush(c->analytics, NULL, 0) != 0)
    {
        c->resync = 1;
        return -1;
    }

    c->bapplied = c->applied;
    c->bmessages = 0;
    c->bskipped = 0;
    last = -1;
    rc = 0;

    for (i = 0; i < c->list.Count; i++) {
        md = NULL;

        if (natsMsg_GetMetaData(&md, c->list.Msgs[i]) != NATS_OK) {
            c->resync = 1;
            break;
        }

        cseq = md->Sequence.Consumer;
        sseq = md->Sequence.Stream;
        jsMsgMetaData_Destroy(md);

        /* a delivery missing before this one: stop here, check, go on */
        if (c->next_cseq && cseq != c->next_cseq) {
            jr_log(JR_LOG_WARN, "nats: delivery %llu came after %llu; "
                   "checking the consumer", (unsigned long long) cseq,
                   (unsigned long long) c->next_cseq - 1);
            c->resync = 1;
            break;
        }

        c->next_cseq = cseq + 1;
        last = i;

        if (sseq <= c->bapplied) {
            c->bskipped++;
            continue;
        }

        c->bapplied = sseq;

        rc = jr_nats_con_message(c, c->list.Msgs[i]);
        if (rc < 0) {
            break;
        }
    }

    if (rc == 0 && last >= 0
        && jr_analytics_flush_mark(c->analytics, jr_nats_con_mark, c) != 0)
    {
        rc = -1;
    }

    if (rc < 0) {
        jr_analytics_discard(c->analytics);

        for (k = 0; k < c->nnodes; k++) {
            c->nodes[k].dirty = 0;
        }

        c->resync = 1;
        return -1;
    }

    if (last < 0) {
        return 0;
    }

    for (k = 0; k < c->nnodes; k++) {
        if (c->nodes[k].dirty) {
            c->nodes[k].file = c->nodes[k].bfile;
            c->nodes[k].off = c->nodes[k].boff;
            c->nodes[k].dirty = 0;
        }
    }

    c->applied = c->bapplied;
    c->messages += c->bmessages;
    c->skipped += c->bskipped;

    /* acknowledged by the next work, before it fetches */
    c->ack = c->list.Msgs[last];
    c->list.Msgs[last] = NULL;

    return 0;
}


/*
 * One message: its id "<node>.<file>.<offset>" says where it comes from.
 * Returns 0 (counted, or skipped as a copy or as not ours), or -1 out of
 * memory.
 */
static int
jr_nats_con_message(jr_nats_con_t *c, natsMsg *m)
{
    int                   rc;
    char                 *end;
    size_t                pos, len, nlen;
    uint64_t              file, off;
    const char           *id, *dot1, *dot2, *data;
    jr_con_node_t        *node;
    const unsigned char  *rec;

    if (natsMsgHeader_Get(m, "Nats-Msg-Id", &id) != NATS_OK) {
        id = NULL;
    }

    dot2 = id ? strrchr(id, '.') : NULL;
    dot1 = dot2 ? memrchr(id, '.', (size_t) (dot2 - id)) : NULL;
    node = NULL;

    if (dot1 && dot1 > id && dot1[1] >= '0' && dot1[1] <= '9'
        && dot2[1] >= '0' && dot2[1] <= '9')
    {
        errno = 0;
        file = strtoull(dot1 + 1, &end, 10);

        if (errno == 0 && end == dot2) {
            off = strtoull(dot2 + 1, &end, 10);

            if (errno == 0 && *end == '\0') {
                nlen = (size_t) (dot1 - id);
                node = jr_nats_con_node(c, id, nlen);
            }
        }
    }

    /* published by something else than a jobrunner: not events of ours */
    if (node == NULL) {
        jr_log(JR_LOG_DEBUG, "nats: a message on \"%s\" without a node's "
               "id, skipped", natsMsg_GetSubject(m));
        jr_analytics_corrupt(c->analytics);
        c->bskipped++;
        return 0;
    }

    if (file < node->bfile || (file == node->bfile && off <= node->boff)) {
        c->bskipped++;
        return 0;
    }

    node->bfile = file;
    node->boff = off;
    node->dirty = 1;

    data = natsMsg_GetData(m);
    len = (size_t) natsMsg_GetDataLength(m);
    pos = 0;

    while ((rc = blog_event_next((const unsigned char *) data, len, &pos,
                                 &rec, &nlen)) == 1)
    {
        if (jr_analytics_add(c->analytics, rec, nlen) < 0) {
            return -1;
        }
    }

    if (rc < 0) {
        jr_analytics_corrupt(c->analytics);
    }

    c->bmessages++;

    return 0;
}


/*
 * The node named by len bytes of name, added if new: its batch position
 * starts at its committed one.  NULL for a name no node can have, or one
 * too many.
 */
static jr_con_node_t *
jr_nats_con_node(jr_nats_con_t *c, const char *name, size_t len)
{
    size_t          i, cap;
    jr_con_node_t  *nodes, *node;

    if (len == 0 || len > JR_NATS_NAME_MAX) {
        return NULL;
    }

    for (i = 0; i < len; i++) {
        if (!((name[i] >= 'a' && name[i] <= 'z')
              || (name[i] >= 'A' && name[i] <= 'Z')
              || (name[i] >= '0' && name[i] <= '9')
              || name[i] == '_' || name[i] == '-'))
        {
            return NULL;
        }
    }

    for (i = 0; i < c->nnodes; i++) {
        node = &c->nodes[i];

        if (strlen(node->name) == len && memcmp(node->name, name, len) == 0) {
            if (!node->dirty) {
                node->bfile = node->file;
                node->boff = node->off;
            }
            return node;
        }
    }

    if (c->nnodes == JR_CON_NODES_MAX) {
        return NULL;
    }

    if (c->nnodes == c->cap) {
        cap = c->cap ? c->cap * 2 : 16;

        nodes = realloc(c->nodes, cap * sizeof(jr_con_node_t));
        if (nodes == NULL) {
            return NULL;
        }

        c->nodes = nodes;
        c->cap = cap;
    }

    node = &c->nodes[c->nnodes++];
    memset(node, 0, sizeof(jr_con_node_t));
    memcpy(node->name, name, len);

    return node;
}


/* Inside the batch's transaction: the sequence and the positions. */
static int
jr_nats_con_mark(void *data)
{
    int             rc;
    size_t          i;
    sqlite3_stmt   *stmt;
    jr_nats_con_t  *c = data;

    stmt = c->stmt[JR_CON_SET_STREAM];
    sqlite3_bind_text(stmt, 1, c->conf->stream, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, c->created);
    sqlite3_bind_int64(stmt, 3, (sqlite3_int64) c->bapplied);

    rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);

    for (i = 0; rc == SQLITE_DONE && i < c->nnodes; i++) {
        if (!c->nodes[i].dirty) {
            continue;
        }

        stmt = c->stmt[JR_CON_SET_NODE];
        sqlite3_bind_text(stmt, 1, c->nodes[i].name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 2, (sqlite3_int64) c->nodes[i].bfile);
        sqlite3_bind_int64(stmt, 3, (sqlite3_int64) c->nodes[i].boff);

        rc = sqlite3_step(stmt);
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
    }

    if (rc != SQLITE_DONE) {
        jr_log(JR_LOG_ERROR, "nats: cannot record the stream's position: %s",
               sqlite3_errmsg(c->db));
        return -1;
    }

    return 0;
}


static void
jr_nats_con_fail(jr_nats_con_t *c, const char *what)
{
    c->failures++;

    if (!c->failing) {
        jr_log(JR_LOG_WARN, "nats: cannot consume: %s; trying again", what);
        c->failing = 1;
    }

    (void) uv_timer_start(&c->retry, jr_nats_con_retry_cb, c->backoff, 0);

    c->backoff = c->backoff * 2 < JR_CON_BACKOFF_MAX
                 ? c->backoff * 2 : JR_CON_BACKOFF_MAX;
}


static void
jr_nats_con_retry_cb(uv_timer_t *timer)
{
    jr_nats_con_kick(timer->data);
}


void
jr_nats_con_stop(jr_nats_con_t *c)
{
    if (c == NULL || c->stopped) {
        return;
    }

    c->stopped = 1;
    uv_close((uv_handle_t *) &c->retry, NULL);
}


void
jr_nats_con_free(jr_nats_con_t *c)
{
    int  i;

    if (c == NULL) {
        return;
    }

    /* not acknowledged: redelivered at the next start, and skipped */
    natsMsg_Destroy(c->ack);

    /* the consumer stays on the server: only our interest goes */
    if (c->sub) {
        (void) natsSubscription_Unsubscribe(c->sub);
        natsSubscription_Destroy(c->sub);
    }

    for (i = 0; i < JR_CON_N; i++) {
        sqlite3_finalize(c->stmt[i]);
    }

    free(c->nodes);
    free(c);
}


void
jr_nats_con_render(jr_nats_con_t *c, FILE *out)
{
    fprintf(out,
            "# HELP jobrunner_nats_consumed_total Messages of events counted "
            "from the stream.\n"
            "# TYPE jobrunner_nats_consumed_total counter\n"
            "jobrunner_nats_consumed_total %llu\n"
            "# HELP jobrunner_nats_skipped_total Messages skipped: "
            "redelivered or published again (already counted), or not a "
            "node's.\n"
            "# TYPE jobrunner_nats_skipped_total counter\n"
            "jobrunner_nats_skipped_total %llu\n"
            "# HELP jobrunner_nats_resyncs_total Times the consumer was made "
            "again to deliver after the last sequence counted.\n"
            "# TYPE jobrunner_nats_resyncs_total counter\n"
            "jobrunner_nats_resyncs_total %llu\n"
            "# HELP jobrunner_nats_consume_failures_total Fetches or commits "
            "that failed (tried again).\n"
            "# TYPE jobrunner_nats_consume_failures_total counter\n"
            "jobrunner_nats_consume_failures_total %llu\n"
            "# HELP jobrunner_nats_sequence Last stream sequence counted.\n"
            "# TYPE jobrunner_nats_sequence gauge\n"
            "jobrunner_nats_sequence %llu\n",
            (unsigned long long) c->messages,
            (unsigned long long) c->skipped,
            (unsigned long long) c->resyncs,
            (unsigned long long) c->failures,
            (unsigned long long) c->applied);
}
