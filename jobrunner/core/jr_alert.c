/*
 * Alerts; see jr_alert.h.  The kinds are few and static strings, so a
 * small table, searched by pointer first and by name second, counts them.
 * With the realtime hub running, each alert is also published on the
 * topic "alerts.KIND" (event "alert", {kind, message, time}).
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <time.h>

#include <jansson.h>

#include "core/jr_alert.h"
#include "core/jr_log.h"
#include "sse/jr_sse.h"


#define JR_ALERT_KINDS  16


static struct {
    const char     *kind;
    unsigned long   count;
} jr_alerts[JR_ALERT_KINDS];


static unsigned long *
jr_alert_counter(const char *kind, int add)
{
    size_t  i;

    for (i = 0; i < JR_ALERT_KINDS && jr_alerts[i].kind; i++) {
        if (jr_alerts[i].kind == kind || strcmp(jr_alerts[i].kind, kind) == 0)
        {
            return &jr_alerts[i].count;
        }
    }

    if (!add || i == JR_ALERT_KINDS) {
        return NULL;
    }

    jr_alerts[i].kind = kind;

    return &jr_alerts[i].count;
}


void
jr_alert(const char *kind, const char *fmt, ...)
{
    char            msg[1024], topic[128];
    json_t         *obj;
    va_list         ap;
    unsigned long  *n;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    n = jr_alert_counter(kind, 1);
    if (n) {
        (*n)++;
    }

    /* the line also reaches "alerts.errors" through the hub's log hook */
    jr_log(JR_LOG_ERROR, "alert %s: %s", kind, msg);

    if (!jr_sse_running()) {
        return;
    }

    obj = json_pack("{s:s, s:s, s:I}", "kind", kind, "message", msg, "time",
                    (json_int_t) time(NULL));
    if (obj == NULL) {
        return;
    }

    snprintf(topic, sizeof(topic), "alerts.%s", kind);
    (void) jr_sse_publish_json(topic, "alert", obj);
    json_decref(obj);
}


unsigned long
jr_alert_count(const char *kind)
{
    unsigned long  *n;

    n = jr_alert_counter(kind, 0);

    return n ? *n : 0;
}


void
jr_alert_render(FILE *out)
{
    size_t  i;

    fprintf(out, "# HELP jobrunner_alerts_total Alerts raised (each also an "
            "error line in the log).\n"
            "# TYPE jobrunner_alerts_total counter\n");

    for (i = 0; i < JR_ALERT_KINDS && jr_alerts[i].kind; i++) {
        fprintf(out, "jobrunner_alerts_total{kind=\"%s\"} %lu\n",
                jr_alerts[i].kind, jr_alerts[i].count);
    }
}
