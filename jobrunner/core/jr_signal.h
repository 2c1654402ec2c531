/*
 * Signals, taken on the loop with uv_signal_t: SIGTERM and SIGINT stop the
 * jobrunner, SIGHUP reopens its log.
 */

#ifndef JR_SIGNAL_H
#define JR_SIGNAL_H

#define JR_SIGNAL_N  3

typedef struct jr_runner_s  jr_runner_t;

/*
 * Starts watching the signals, with handles in r->signals.  Returns 0, or
 * -1 after logging why; handles already started are left for
 * jr_runner_stop() to close.
 */
int jr_signal_start(jr_runner_t *r);

#endif /* JR_SIGNAL_H */
