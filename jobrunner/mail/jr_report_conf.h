/*
 * The [report] section: the analytics reports e-mailed through [mail]
 * (jr_report.c).
 *
 *     [report]
 *     to      = owner@example.org, editor@example.org
 *     weekly  = weekly mon 07:00     ; the last 7 days; "off": none
 *     monthly = monthly 1 07:00      ; the last month; "off": none
 *     top     = 5                    ; rows of the top pages and sources
 *
 * The schedules are timers ("report.weekly", "report.monthly") of the
 * job kind "report", in local time as every timer (docs/jobs.md).
 * Without [mail], a report is written to the log instead of sent.
 */

#ifndef JR_REPORT_CONF_H
#define JR_REPORT_CONF_H

#include <stddef.h>

#include "core/jr_conf.h"


#define JR_TASK_REPORT        "report"
#define JR_REPORT_WEEKLY      "report.weekly"
#define JR_REPORT_MONTHLY     "report.monthly"

#define JR_REPORT_TO_MAX      16
#define JR_REPORT_TOP_MAX     50

typedef struct {
    char          *to_list;          /* as written */
    char          *to_buf;           /* the addresses, NUL-separated */
    const char    *to[JR_REPORT_TO_MAX];
    size_t         nto;
    char          *weekly;           /* schedules, or "off" */
    char          *monthly;
    unsigned       top;
    int            line;             /* of "[report]", 0 if none */
} jr_report_conf_t;

extern const jr_conf_section_t  jr_report_conf_section;

#endif /* JR_REPORT_CONF_H */
