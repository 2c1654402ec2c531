/*
 * The realtime hub's insides, shared by jr_sse.c (topics, history,
 * publishing) and jr_sse_conn.c (listeners, connections, HTTP).
 *
 *   topic ──subs──► link ─► link ─► ...      each link: one connection
 *     │                                       in one topic
 *     └──first──► hist ─► hist ─► ...         each hist: one message kept
 *                  (also on the hub's FIFO, oldest first, for the byte cap)
 *
 * A message is one buffer in SSE wire format ("id: ...\nevent: ...\n
 * data: ...\n\n"), counted by refs: one per history node and one per
 * write still queued in libuv.
 */

#ifndef JR_SSE_HUB_H
#define JR_SSE_HUB_H

#include <stdint.h>

#include "sse/jr_sse.h"


#define JR_SSE_TOPICS_MAX    8          /* per subscription */
#define JR_SSE_TOPIC_MAX     512        /* bytes of a topic name */
#define JR_SSE_EVENT_MAX     64         /* bytes of an event name */
#define JR_SSE_DATA_MAX      (1024 * 1024)

typedef struct jr_sse_msg_s    jr_sse_msg_t;
typedef struct jr_sse_hist_s   jr_sse_hist_t;
typedef struct jr_sse_link_s   jr_sse_link_t;
typedef struct jr_sse_topic_s  jr_sse_topic_t;
typedef struct jr_sse_conn_s   jr_sse_conn_t;
typedef struct jr_sse_req_s    jr_sse_req_t;

struct jr_sse_msg_s {
    unsigned         refs;
    unsigned         fixed:1;           /* the hub's own, never freed */
    uint64_t         seq;               /* 0: not an event */
    size_t           len;
    char             data[];
};

struct jr_sse_hist_s {
    jr_sse_msg_t    *msg;
    jr_sse_topic_t  *topic;
    jr_sse_hist_t   *tnext;             /* the topic's next newer one */
    jr_sse_hist_t   *gnext;             /* the hub's FIFO */
    jr_sse_hist_t   *gprev;
};

struct jr_sse_link_s {
    jr_sse_conn_t   *conn;
    jr_sse_topic_t  *topic;
    jr_sse_link_t   *next;
    jr_sse_link_t  **prev;
};

struct jr_sse_topic_s {
    jr_sse_topic_t  *hnext;             /* hash chain */
    uint64_t         hash;
    jr_sse_link_t   *subs;
    unsigned         nsubs;
    unsigned         nhist;
    jr_sse_hist_t   *first;             /* oldest */
    jr_sse_hist_t   *last;
    uint64_t         idle_since;        /* uv_now() when left alone */
    size_t           len;
    char             name[];            /* NUL-terminated */
};

/* A connection from nginx: a request being read, then an event stream. */
struct jr_sse_conn_s {
    union {
        uv_stream_t  stream;
        uv_tcp_t     tcp;
        uv_pipe_t    pipe;
    } h;
    jr_sse_t        *hub;
    jr_sse_req_t    *req;               /* while the request is read */
    jr_sse_link_t   *links;             /* nlinks, once streaming */
    jr_sse_conn_t   *next;              /* every open connection */
    jr_sse_conn_t  **prev;
    uint64_t         last;              /* seq of the last event sent */
    unsigned         nlinks:8;
    unsigned         local:1;           /* came through the Unix socket */
    unsigned         streaming:1;
    unsigned         closing:1;
    unsigned         close_after:1;     /* an error response is going out */
    unsigned         waited:1;          /* a heartbeat saw its request */
};

typedef struct {
    uint64_t         published;         /* messages */
    uint64_t         delivered;         /* message writes to subscribers */
    uint64_t         dropped;           /* publications refused */
    uint64_t         slow;              /* subscribers cut off */
    uint64_t         resumed;           /* subscriptions with Last-Event-ID */
    uint64_t         replayed;          /* messages sent from history */
    uint64_t         accepted;          /* subscriptions */
    uint64_t         refused[4];        /* 400, 403, 405, 503 */
    uint64_t         heartbeats;        /* rounds */
} jr_sse_stats_t;

struct jr_sse_s {
    uv_loop_t            *loop;
    const jr_sse_conf_t  *conf;
    uv_pipe_t             unix_listener;
    uv_tcp_t              tcp_listener;
    uv_timer_t            heartbeat;
    unsigned              handles;      /* started, to close */
    int                   stopped;
    uint64_t              epoch;        /* start time, ms: ids are E.S */
    uint64_t              seq;
    jr_sse_topic_t      **buckets;
    size_t                nbuckets;     /* a power of two */
    size_t                ntopics;
    size_t                unwatched;    /* topics without subscribers */
    jr_sse_hist_t        *oldest;       /* the hub's history FIFO */
    jr_sse_hist_t        *newest;
    size_t                nhist;
    size_t                hist_bytes;
    jr_sse_conn_t        *conns;
    size_t                nconns;
    size_t                nstreams;
    jr_sse_msg_t         *head;         /* the response head and retry */
    jr_sse_msg_t         *ping;         /* the heartbeat comment */
    int                   publishing;   /* guards against re-entry */
    jr_sse_stats_t        stats;
    char                  scratch[65536];   /* what is read lands here */
};

#define JR_SSE_UNIX       0x01
#define JR_SSE_TCP        0x02
#define JR_SSE_HEARTBEAT  0x04
#define JR_SSE_BOUND      0x08           /* the socket file is ours */


/* jr_sse.c */
jr_sse_topic_t *jr_sse_topic_get(jr_sse_t *hub, const char *name,
    size_t len, int create);
int jr_sse_subscribe(jr_sse_conn_t *c, const char **names,
    const size_t *lens, size_t n);
void jr_sse_unsubscribe(jr_sse_conn_t *c);
void jr_sse_replay(jr_sse_conn_t *c, uint64_t after);
void jr_sse_current(jr_sse_conn_t *c);
jr_sse_msg_t *jr_sse_msg_alloc(size_t len);
void jr_sse_msg_unref(jr_sse_msg_t *m);

/* jr_sse_conn.c */
int jr_sse_listen(jr_sse_t *hub);
void jr_sse_send(jr_sse_conn_t *c, jr_sse_msg_t *m);
void jr_sse_conn_close(jr_sse_conn_t *c);
void jr_sse_timeout(jr_sse_conn_t *c);

#endif /* JR_SSE_HUB_H */
