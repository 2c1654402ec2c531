/*
 * The timers of [timers], the cronhooks and the mirrors: each enqueues a
 * job of its kind per slot of its schedule, through the dispatcher's
 * public calls (jr_jobs.h).  See jr_timers.c.
 */

#ifndef JR_TIMERS_H
#define JR_TIMERS_H

#include "jobs/jr_jobs.h"


typedef struct jr_timers_s  jr_timers_t;

/*
 * Starts the timers of jobs->cf on the dispatcher's loop; a slot missed
 * while the jobrunner was down is enqueued now.  Returns 0, or -1 after
 * logging why.  *out is set even on failure, for jr_timers_free().
 */
int jr_timers_start(jr_timers_t **out, jr_jobs_t *jobs);

/* After the loop has ended, before jr_jobs_free(). */
void jr_timers_free(jr_timers_t *ts);

#endif /* JR_TIMERS_H */
