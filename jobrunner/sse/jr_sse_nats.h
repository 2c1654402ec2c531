/*
 * The realtime hubs of several nodes as one: what this node's hub
 * publishes goes to NATS on "<sse_subject_prefix>.<topic>", and what the
 * other nodes' hubs publish comes from there to this hub's subscribers
 * (docs/realtime.md, "Several nodes").
 *
 * Core NATS, no JetStream: realtime is best effort.  A message published
 * while NATS is away is dropped, and counted; the history each hub keeps
 * (its own messages and those of the others it received) still serves
 * Last-Event-ID.  Each message carries its node, its topic and its event
 * name in headers; a node skips its own, which its hub delivered already.
 *
 * Threads: publishing runs in the uv thread pool, one work item at a time
 * taking what was queued meanwhile; libnats's message handler runs on a
 * libnats thread and hands the message to the loop through a queue under
 * a mutex and a uv_async.  Both queues are bounded.
 */

#ifndef JR_SSE_NATS_H
#define JR_SSE_NATS_H

#include <stdio.h>

#include <uv.h>

#include "nats/jr_nats.h"

typedef struct jr_sse_nats_s  jr_sse_nats_t;

/*
 * Hooks into the running hub and into the connection's events.  Returns
 * the bridge, or NULL after logging why.  Before the loop runs.
 */
jr_sse_nats_t *jr_sse_nats_start(uv_loop_t *loop, jr_nats_t *nats,
    const jr_nats_conf_t *conf);

/*
 * Unhooks from the hub, drops the subscription, closes the handle.  Safe
 * to call twice, and with NULL.
 */
void jr_sse_nats_stop(jr_sse_nats_t *b);

/* After jr_nats_free(): no libnats thread can call in any more. */
void jr_sse_nats_free(jr_sse_nats_t *b);

void jr_sse_nats_render(jr_sse_nats_t *b, FILE *out);

#endif /* JR_SSE_NATS_H */
