/*
 * A node's events to JetStream: the closed files of its outbox
 * (jr_outbox.h), oldest first, chunk by chunk, each chunk one message on
 * "<subject_prefix>.<node>" with the message id "<node>.<SEQ>.<offset>".
 *
 * Publishing runs in the thread pool, one work item at a time, each
 * publish waiting for JetStream's acknowledgment before the next: a node's
 * messages reach the stream in the order of their positions, which the
 * consumer relies on to drop copies.  A file is deleted once all of its
 * messages are acknowledged; until then it stays, so events survive a
 * NATS outage and a crash of the jobrunner alike.  On a failure publishing
 * stops, and starts again from the failed chunk when the connection is
 * back, or after a growing pause.
 */

#ifndef JR_NATS_PUBLISH_H
#define JR_NATS_PUBLISH_H

#include <stdio.h>

#include <uv.h>

#include "nats/jr_nats.h"
#include "nats/jr_outbox.h"

typedef struct jr_nats_pub_s  jr_nats_pub_t;

/* Returns the publisher, or NULL after logging why.  Before the loop runs. */
jr_nats_pub_t *jr_nats_pub_start(uv_loop_t *loop, jr_nats_t *nats,
    jr_outbox_t *outbox, const jr_nats_conf_t *conf);

/* The outbox has a file more: publish it, unless already at work (or
   p is NULL). */
void jr_nats_pub_kick(jr_nats_pub_t *p);

/* Nothing new is started; a publish under way ends on its own. */
void jr_nats_pub_stop(jr_nats_pub_t *p);

/* After the loop has ended. */
void jr_nats_pub_free(jr_nats_pub_t *p);

void jr_nats_pub_render(jr_nats_pub_t *p, FILE *out);

#endif /* JR_NATS_PUBLISH_H */
