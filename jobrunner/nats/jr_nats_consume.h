/*
 * The primary's count of every node's events: a durable pull consumer
 * (ack policy "all") on the events stream, whose batches are counted into
 * analytics (jr_analytics.h), exactly once:
 *
 *   - a batch is counted in one transaction that also records the last
 *     stream sequence counted (analytics_nats) and each node's last
 *     position (analytics_nodes), and acknowledged only after it commits;
 *     a message redelivered after a crash or a lost ack has a sequence at
 *     or below the recorded one and is skipped, and so is a message a node
 *     published again (its position is not past the node's);
 *   - batches are counted in stream order with nothing skipped: the
 *     consumer sequence of each delivery must follow the last one.  When
 *     it does not (a delivery lost with a connection), and at start, after
 *     a reconnect or any failure, the consumer is checked against the last
 *     sequence counted: if the server has delivered past it, the consumer
 *     is made again to start right after it.
 *
 * Fetches, acks and the consumer's checks run in the thread pool, one work
 * item at a time; counting and committing on the loop, as for the socket's
 * batches.
 */

#ifndef JR_NATS_CONSUME_H
#define JR_NATS_CONSUME_H

#include <stdio.h>

#include <sqlite3.h>
#include <uv.h>

#include "events/jr_analytics.h"
#include "nats/jr_nats.h"

typedef struct jr_nats_con_s  jr_nats_con_t;

/*
 * Reads the recorded sequence and positions from db.  Returns the
 * consumer, or NULL after logging why.  Before the loop runs.
 */
jr_nats_con_t *jr_nats_con_start(uv_loop_t *loop, jr_nats_t *nats,
    sqlite3 *db, jr_analytics_t *a, const jr_nats_conf_t *conf);

/* Nothing new is started; a fetch under way ends on its own, uncounted. */
void jr_nats_con_stop(jr_nats_con_t *c);

/* After the loop has ended, before the connection goes. */
void jr_nats_con_free(jr_nats_con_t *c);

void jr_nats_con_render(jr_nats_con_t *c, FILE *out);

#endif /* JR_NATS_CONSUME_H */
