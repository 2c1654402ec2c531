/*
 * A tiny HTTP endpoint on the loop for Prometheus: GET /metrics answers
 * the text exposition format, anything else 404; one request per
 * connection.  The body comes from a callback, so each part of the
 * jobrunner reports its own numbers.
 */

#ifndef JR_METRICS_H
#define JR_METRICS_H

#include <stdio.h>
#include <sys/socket.h>

#include <uv.h>

typedef struct jr_metrics_s  jr_metrics_t;

/* Writes the metrics, in Prometheus text format, to out. */
typedef void (*jr_metrics_render_pt)(void *data, FILE *out);

/*
 * Listens on addr.  Returns the endpoint, or NULL after logging why.
 */
jr_metrics_t *jr_metrics_start(uv_loop_t *loop,
    const struct sockaddr *addr, jr_metrics_render_pt render, void *data);

/* Closes the listener and every connection; frees itself once closed. */
void jr_metrics_stop(jr_metrics_t *m);

#endif /* JR_METRICS_H */
