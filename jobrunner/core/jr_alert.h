/*
 * Alerts: conditions an operator should hear about at once (the backup
 * falling behind, ...).  An alert is an error line in the log,
 * "alert KIND: message", a counter per kind in /metrics
 * (jobrunner_alerts_total{kind="..."}), and, with the realtime hub, an
 * "alert" event on the topic "alerts.KIND" (admins follow "alerts.*").
 *
 * Loop thread only.
 */

#ifndef JR_ALERT_H
#define JR_ALERT_H

#include <stdio.h>

/* kind: a static string such as "backup.lag". */
void jr_alert(const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* How many alerts of kind were raised (0 if none). */
unsigned long jr_alert_count(const char *kind);

/* Prometheus lines: jobrunner_alerts_total{kind="..."}. */
void jr_alert_render(FILE *out);

#endif /* JR_ALERT_H */
