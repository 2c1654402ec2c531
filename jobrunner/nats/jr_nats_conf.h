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

#include <stddef.h>

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
    int        seen[11];          /* line of each key */
} jr_nats_conf_t;

void jr_nats_conf_init(jr_nats_conf_t *nc);
void jr_nats_conf_free(jr_nats_conf_t *nc);

/* "[nats]": 0, or -1 when given twice. */
int jr_nats_conf_section(jr_nats_conf_t *nc, int line, char *err,
    size_t errlen);

/* A key of [nats]; paths relative to dir (dirlen bytes).  0 or -1. */
int jr_nats_conf_key(jr_nats_conf_t *nc, const char *name, const char *value,
    const char *dir, size_t dirlen, int line, char *err, size_t errlen);

/*
 * After the whole file, when [nats] was given: required keys, the node's
 * default name; a publisher needs spool_dir (its outbox).  0, or -1 with
 * *line to blame.
 */
int jr_nats_conf_finish(jr_nats_conf_t *nc, const char *spool_dir,
    int *line, char *err, size_t errlen);

#endif /* JR_NATS_CONF_H */
