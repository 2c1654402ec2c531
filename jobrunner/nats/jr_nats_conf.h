/*
 * The [nats] section: access events through NATS JetStream, for sites
 * served by several nginx nodes (docs/events.md, "Several nodes").
 *
 *     [nats]
 *     url            = nats://127.0.0.1:4222   ; several: comma-separated
 *     role           = publisher               ; consumer, both
 *     node           = edge-1                  ; default: the host name
 *     stream         = BLOG_EVENTS
 *     subject_prefix = blog.events
 *     durable        = analytics
 *     max_age        = 7d
 *     ack_wait       = 30s
 *     creds          = /etc/blog/nats.creds
 *     sse            = on                      ; the realtime hub: off
 *     sse_subject_prefix = blog.sse
 *
 * A publisher sends the events of its nginx to the stream; the consumer
 * (one per site) counts those of every node.  With a realtime hub, "sse"
 * also shares its messages with the hubs of the other nodes over core
 * NATS (jr_sse_nats.h).  Messages never quote the url, which may hold a
 * password.
 */

#ifndef JR_NATS_CONF_H
#define JR_NATS_CONF_H

#include "core/jr_conf.h"

#define JR_NATS_PUBLISH     0x01
#define JR_NATS_CONSUME     0x02

/* Longest node, stream and consumer name; a subject token each. */
#define JR_NATS_NAME_MAX    64

typedef struct {
    int        line;              /* of "[nats]"; 0: no section */
    char      *url;
    char      *creds;             /* NULL: none */
    unsigned   role;              /* JR_NATS_PUBLISH | JR_NATS_CONSUME */
    char      *node;
    char      *stream;
    char      *subject;           /* the prefix; a node's subject adds
                                     ".<node>" */
    char      *durable;
    long       max_age;           /* seconds */
    long       ack_wait;          /* seconds */
    int        sse;               /* the hub's messages over NATS */
    char      *sse_subject;       /* their prefix: "<prefix>.<topic>" */
    char      *backup_subject;    /* core NATS: a primary announces each
                                     object its backup stored, replicas
                                     fetch it without a LIST */
} jr_nats_conf_t;

/*
 * The node's name defaults to the host's; a publisher needs spool_dir
 * (its outbox).
 */
extern const jr_conf_section_t  jr_nats_conf_section;

#endif /* JR_NATS_CONF_H */
