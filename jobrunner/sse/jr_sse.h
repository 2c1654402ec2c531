/*
 * The realtime hub: Server-Sent Events to readers and admins, through
 * nginx, which proxies a location such as /events/ to the hub's Unix
 * socket (or loopback port).  docs/realtime.md is the design.
 *
 * A client subscribes with GET ...?topic=NAME[&topic=NAME...] to up to
 * JR_SSE_TOPICS_MAX topics; "prefix.*" takes every topic under prefix.
 * Topics in use:
 *
 *     metrics.views.<path>   the views of a page, after each analytics batch
 *     comments.<slug>        approved comments of a post
 *     alerts.<kind>          errors, dead jobs, corrupt events (admins only)
 *     newsletters.<id>       a send's counts (admins only: jr_nl_progress.h)
 *     analytics.current      the dashboard's current visitors (admins only)
 *
 * Each message is formatted once into one reference-counted buffer that
 * every subscriber's write shares; each topic keeps its last messages for
 * Last-Event-ID resumption; a subscriber whose unsent bytes pass
 * sse_max_pending is disconnected rather than buffered without end.
 *
 * There is one hub per process: publishers call jr_sse_publish() without
 * a handle, and it does nothing while no hub runs.  Everything runs on the
 * loop thread.
 */

#ifndef JR_SSE_H
#define JR_SSE_H

#include <stdio.h>

#include <jansson.h>
#include <uv.h>

#include "sse/jr_sse_conf.h"

typedef struct jr_sse_s  jr_sse_t;

/*
 * Listens as configured and becomes the process's hub.  Returns 0 with
 * *out set (NULL when neither sse_socket nor sse_listen is set), or -1
 * after logging why, with *out set for jr_sse_stop() and jr_sse_free().
 */
int jr_sse_start(jr_sse_t **out, uv_loop_t *loop, const jr_sse_conf_t *conf);

/* Closes the listeners and every connection.  Safe to call twice. */
void jr_sse_stop(jr_sse_t *hub);

/* After the loop has ended: frees the topics and their history. */
void jr_sse_free(jr_sse_t *hub);

/*
 * Sends event (a name without line breaks) with data (any text; each of
 * its lines becomes a "data:" line) to the subscribers of topic and of
 * the wildcards above it, and keeps it in the topic's history.  Returns
 * 0, or -1 when it was refused: no hub runs, an invalid topic or event
 * name, or a new topic that no one follows, even by a wildcard, while
 * sse_max_topics such topics are kept.
 */
int jr_sse_publish(const char *topic, const char *event, const char *data);

/*
 * As jr_sse_publish(), for a message another node's hub published (it
 * came through NATS): delivered and kept here like a local one, under an
 * id of this hub, and not given to the relay again.
 */
int jr_sse_publish_remote(const char *topic, const char *event,
    const char *data);

/*
 * What the hub publishes itself also goes to relay(data, topic, event,
 * text), once its names are checked: jr_sse_nats.c shares it with the
 * other nodes.  NULL unhooks.  The loop thread; relay must not publish.
 */
typedef void (*jr_sse_relay_pt)(void *data, const char *topic,
    const char *event, const char *text);

void jr_sse_relay(jr_sse_relay_pt relay, void *data);

/* As jr_sse_publish(), with the object as compact JSON. */
int jr_sse_publish_json(const char *topic, const char *event, json_t *obj);

/*
 * Whether name is a topic: printable ASCII without blanks, quotes or
 * backslashes, at most 512 bytes; "*" only as a last segment after a dot.
 */
int jr_sse_topic_valid(const char *name, size_t len);

/* Whether a hub runs, so publishers can skip preparing messages. */
int jr_sse_running(void);

/* The hub's metrics in Prometheus text format (nothing without a hub). */
void jr_sse_render(FILE *out);

#endif /* JR_SSE_H */
