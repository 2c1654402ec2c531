/*
 * Event intake: the Unix datagram socket the nginx workers send access
 * events to, the spool files they fall back on, the batches that carry
 * both into analytics.
 *
 * Records are peeked from the socket (jr_evsock.h) and counted in memory;
 * a batch is committed when it holds batch_size records, as many datagrams
 * as the socket may hold, or batch_interval_ms after its first one, and
 * only then are its datagrams taken off the socket.  Spool files are
 * replayed on start and every spool_scan_ms.  Its numbers are part of the
 * jobrunner's /metrics (jr_runner.c).
 *
 * Shutdown of a socket we bound stops new datagrams first
 * (shutdown(SHUT_RD): senders get EPIPE and spool), then counts what the
 * socket had already accepted and commits it, so a record a worker saw
 * sent is never lost.  A socket the service manager passed keeps what
 * comes for the next run.
 */

#ifndef JR_EVENTS_H
#define JR_EVENTS_H

#include <stdio.h>

#include <sqlite3.h>
#include <uv.h>

#include "core/jr_config.h"
#include "nats/jr_nats.h"

typedef struct jr_events_s  jr_events_t;

/*
 * Opens the databases and the socket, replays the spool and starts the
 * handles on loop.  With nats (a [nats] section), the events are published
 * to JetStream and/or the stream is counted, as cf->nats.role says.
 * Returns 0 with *out set (NULL when nothing is configured), or -1 after
 * logging why; what was started is then already stopped.
 */
int jr_events_start(jr_events_t **out, uv_loop_t *loop, sqlite3 *db,
    const jr_config_t *cf, jr_nats_t *nats);

/*
 * Graceful stop: no new datagrams, the accepted ones counted, the last
 * batch committed, the handles closed.  Safe to call twice.
 */
void jr_events_stop(jr_events_t *ev);

/* Prometheus lines of intake and analytics; nothing for NULL. */
void jr_events_render(jr_events_t *ev, FILE *out);

/* After the loop has ended: frees everything.  Returns 0, or 1 if the
   last commit failed. */
int jr_events_free(jr_events_t *ev);

#endif /* JR_EVENTS_H */
