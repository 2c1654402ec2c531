/*
 * The dashboard's "current visitors" kept live: every
 * current_interval_ms, while the realtime hub runs, the visitors of the
 * last five minutes are counted in analytics.db (lib/blog_current.h) and
 * published on BLOG_CURRENT_TOPIC when the number has changed.  The hub
 * keeps the last one for a new subscriber, and gives it to admins only
 * (jobrunner/sse/jr_sse_conn.c).
 */

#ifndef JR_CURRENT_H
#define JR_CURRENT_H

#include <sqlite3.h>
#include <uv.h>

typedef struct jr_current_s  jr_current_t;

/*
 * Starts the timer on loop; db has analytics.db (attached).  interval_ms
 * 0: off, *out NULL.  Returns 0, or -1 after logging why.
 */
int jr_current_start(jr_current_t **out, uv_loop_t *loop, sqlite3 *db,
    unsigned interval_ms);

/* Closes the timer; jr_current_free() after the loop has ended. */
void jr_current_stop(jr_current_t *cur);
void jr_current_free(jr_current_t *cur);

#endif /* JR_CURRENT_H */
