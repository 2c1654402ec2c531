/*
 * The progress of the newsletters' sends, as the owner and the operator
 * see it: every [mail] newsletter_progress (1s) the loop counts the
 * deliveries of each newsletter being sent (queue.db, by status), and
 * when the counts moved
 *
 *   - publishes them on the realtime hub, topic "newsletters.ID", event
 *     "progress": {"id": 7, "status": "sending", "queued": 120,
 *     "sending": 1, "sent": 370, "failed": 2, "bounced": 7, "skipped": 0,
 *     "total": 500} (an admin topic; the panel's newsletter page follows
 *     it, and gets the newest message when it subscribes);
 *   - keeps them for /metrics: jobrunner_newsletter_messages{newsletter,
 *     status} for the newest newsletters;
 *
 * and when they have not moved for newsletter_stall while messages remain
 * it raises the alert "newsletter.stalled" (jr_alert.h), once per stall.
 *
 * It only reads: the sender (the "newsletter" job) needs nothing from it,
 * and a send that no jobrunner is running is noticed by any that runs.
 * Loop thread only.
 */

#ifndef JR_NL_PROGRESS_H
#define JR_NL_PROGRESS_H

#include <stdio.h>

#include <sqlite3.h>
#include <uv.h>

#include "core/jr_config.h"


typedef struct jr_nl_progress_s  jr_nl_progress_t;

/*
 * Starts the timer on loop, reading db (data.db with queue.db attached).
 * Returns NULL after logging why.  Its handle closes with the loop's
 * (jr_runner_stop); jr_nl_progress_free() after the loop has ended.
 */
jr_nl_progress_t *jr_nl_progress_start(uv_loop_t *loop, sqlite3 *db,
    const jr_config_t *cf);

void jr_nl_progress_free(jr_nl_progress_t *p);

/* Prometheus lines; nothing for NULL. */
void jr_nl_progress_render(jr_nl_progress_t *p, FILE *out);

#endif /* JR_NL_PROGRESS_H */
