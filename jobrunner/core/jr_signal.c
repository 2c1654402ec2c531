/*
 * Signal handlers.  libuv turns a signal into a callback on the loop, so the
 * handlers may log, close handles and reopen files, which a real signal
 * handler could not.
 */

#include <signal.h>
#include <string.h>

#include <uv.h>

#include "core/jr_log.h"
#include "core/jr_signal.h"


static void jr_signal_stop(uv_signal_t *handle, int signum);
static void jr_signal_reopen(uv_signal_t *handle, int signum);


static const struct {
    int            signum;
    uv_signal_cb   handler;
} jr_signals[JR_SIGNAL_N] = {
    { SIGTERM, jr_signal_stop },
    { SIGINT,  jr_signal_stop },
    { SIGHUP,  jr_signal_reopen },
};


int
jr_signal_start(jr_signals_t *s, uv_loop_t *loop, jr_signal_stop_pt stop,
    void *data)
{
    int  i, rc;

    s->stop = stop;
    s->data = data;

    for (i = 0; i < JR_SIGNAL_N; i++) {
        rc = uv_signal_init(loop, &s->handles[i]);
        if (rc == 0) {
            s->handles[i].data = s;
            rc = uv_signal_start(&s->handles[i], jr_signals[i].handler,
                                 jr_signals[i].signum);
        }

        if (rc != 0) {
            jr_log(JR_LOG_ERROR, "cannot watch SIG%s: %s",
                   sigabbrev_np(jr_signals[i].signum), uv_strerror(rc));
            return -1;
        }
    }

    return 0;
}


static void
jr_signal_stop(uv_signal_t *handle, int signum)
{
    jr_signals_t  *s = handle->data;

    jr_log(JR_LOG_INFO, "SIG%s received, shutting down",
           sigabbrev_np(signum));

    s->stop(s->data);
}


static void
jr_signal_reopen(uv_signal_t *handle, int signum)
{
    (void) handle;

    jr_log(JR_LOG_DEBUG, "SIG%s received, reopening the log",
           sigabbrev_np(signum));

    /* a failure is logged, and the old file stays in use */
    jr_log_reopen();
}
