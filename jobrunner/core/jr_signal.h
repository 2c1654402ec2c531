/*
 * Signals, taken on the loop with uv_signal_t: SIGTERM and SIGINT stop the
 * jobrunner, SIGHUP reopens its log.
 */

#ifndef JR_SIGNAL_H
#define JR_SIGNAL_H

#include <uv.h>


#define JR_SIGNAL_N  3

/* What SIGTERM and SIGINT call on the loop: the shutdown. */
typedef void (*jr_signal_stop_pt)(void *data);

typedef struct {
    uv_signal_t         handles[JR_SIGNAL_N];
    jr_signal_stop_pt   stop;
    void               *data;
} jr_signals_t;

/*
 * Starts watching the signals on loop, with s's handles (s must live as
 * long as the loop); stop(data) on SIGTERM and SIGINT.  Returns 0, or -1
 * after logging why; the handles already started are left to be closed
 * with the loop's.
 */
int jr_signal_start(jr_signals_t *s, uv_loop_t *loop, jr_signal_stop_pt stop,
    void *data);

#endif /* JR_SIGNAL_H */
