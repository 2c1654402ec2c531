/*
 * The jobrunner's one connection to NATS, shared by everything that
 * publishes or subscribes: the events publisher and consumer
 * (jr_nats_publish.c, jr_nats_consume.c) and the realtime hub's bridge
 * (jr_sse_nats.c).
 *
 * libnats runs its own threads (socket reader, reconnects, timers) and its
 * calls that wait for an answer (a JetStream publish, a fetch, an ack)
 * block.  So:
 *
 *   - the connection is made in the uv thread pool; the library then keeps
 *     it up by itself, reconnecting forever;
 *   - what libnats reports from its threads (connected, disconnected, an
 *     asynchronous error) is turned into bits and posted to the loop with
 *     uv_async_send(); the loop calls each user's handler with them;
 *   - users make their blocking calls in the thread pool only, with
 *     jr_nats_conn() and jr_nats_js(), which are set before any handler
 *     sees JR_NATS_UP and do not change after.  A work item that called
 *     libnats ends with nats_ReleaseThreadMemory(): libnats keeps an error
 *     state per thread, and a pool thread outlives nats_Close().
 *
 * A later user (say, a subscriber for other subjects) registers a handler
 * with jr_nats_listen() before the loop runs, and on JR_NATS_UP makes its
 * subscription in the pool; libnats re-subscribes by itself after a
 * reconnect.  A message handler of libnats runs on a libnats thread: it
 * must hand the message to the loop the same way (a queue and a uv_async).
 */

#ifndef JR_NATS_H
#define JR_NATS_H

#include <stddef.h>
#include <stdio.h>

#include <nats/nats.h>
#include <uv.h>

#include "nats/jr_nats_conf.h"

/*
 * Threads of the uv pool the NATS users may hold at once (jr_runner.c):
 * the events' publisher or consumer, the realtime hub's publisher, and
 * the backup's announcements (or a replica's subscription).
 */
#define JR_NATS_THREADS     4

/* Events given to handlers, or'ed. */
#define JR_NATS_UP          0x01    /* connected, the first time or again */
#define JR_NATS_DOWN        0x02    /* the connection is lost, for now */
#define JR_NATS_FAULT       0x04    /* an asynchronous error (logged) */

typedef struct jr_nats_s  jr_nats_t;

typedef void (*jr_nats_handler_pt)(void *data, unsigned events);

/*
 * Starts connecting to conf->url.  Returns 0 with *out set, or -1 after
 * logging why (*out may then be set, for jr_nats_free()).  A server that
 * does not answer is no error: the library keeps trying.
 */
int jr_nats_start(jr_nats_t **out, uv_loop_t *loop, const jr_nats_conf_t *conf);

/* Calls handler(data, events) on the loop.  Before the loop runs. */
int jr_nats_listen(jr_nats_t *n, jr_nats_handler_pt handler, void *data);

/* Connected right now.  The loop. */
int jr_nats_up(jr_nats_t *n);

/* For calls in the thread pool, once JR_NATS_UP has been seen. */
natsConnection *jr_nats_conn(jr_nats_t *n);
jsCtx *jr_nats_js(jr_nats_t *n);

/*
 * The events stream: made with conf's name, subjects "<subject_prefix>.>",
 * file storage and max_age, unless it exists.  Blocks: the thread pool
 * only.  Returns 0, or -1 with the reason in err.
 */
int jr_nats_stream(jr_nats_t *n, char *err, size_t errlen);

/*
 * What failed, with libnats's own detail of this thread's last error, for
 * the log.  The thread pool: call it in the thread of the failed call.
 */
void jr_nats_strerror(natsStatus s, jsErrCode jerr, char *err,
    size_t errlen);

/* No more handler calls; closes the loop's handle.  Safe to call twice. */
void jr_nats_stop(jr_nats_t *n);

/*
 * After the loop has ended, and after the users have let go of their
 * subscriptions: closes the connection and libnats.
 */
void jr_nats_free(jr_nats_t *n);

/* Prometheus lines of the connection. */
void jr_nats_render(jr_nats_t *n, FILE *out);

#endif /* JR_NATS_H */
