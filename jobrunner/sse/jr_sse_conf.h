/*
 * The [jobrunner] keys of the realtime hub (Server-Sent Events):
 *
 *     sse_socket             = /run/blog/sse.sock
 *     sse_socket_mode        = 0666
 *     sse_listen             = 127.0.0.1:9421
 *     sse_heartbeat_ms       = 15000
 *     sse_retry_ms           = 3000
 *     sse_history            = 32
 *     sse_history_bytes      = 8388608
 *     sse_max_pending        = 65536
 *     sse_max_subscribers    = 100000
 *     sse_max_topics         = 10000
 *     sse_topic_linger_ms    = 60000
 *
 * The configuration engine (core/jr_conf.h) reads them into the struct.
 */

#ifndef JR_SSE_CONF_H
#define JR_SSE_CONF_H

#include <sys/socket.h>

#include "core/jr_conf.h"

typedef struct {
    char                     *socket;          /* NULL: no Unix socket */
    unsigned                  socket_mode;
    struct sockaddr_storage   listen;          /* family 0: no TCP port */
    unsigned                  heartbeat_ms;
    unsigned                  retry_ms;
    unsigned                  history;         /* messages kept per topic */
    unsigned                  history_bytes;   /* kept in all, at most */
    unsigned                  max_pending;     /* bytes per subscriber */
    unsigned                  max_subscribers;
    unsigned                  max_topics;      /* without subscribers */
    unsigned                  linger_ms;
} jr_sse_conf_t;

extern const jr_conf_section_t  jr_sse_conf_jobrunner;

/* The defaults, for a hub configured by hand (the unit tests). */
void jr_sse_conf_init(jr_sse_conf_t *sc);

#endif /* JR_SSE_CONF_H */
