/*
 * The [report] section; see jr_report_conf.h.
 */

#include <stdlib.h>
#include <string.h>

#include "mail/jr_mail_conf.h"
#include "blog_newsletter.h"
#include "mail/jr_report_conf.h"
#include "jobs/jr_jobs_conf.h"


#define JR_REPORT(member)  JR_CONF_FIELD(jr_report_conf_t, member)


/*
 * The addresses of "to", split on commas and blanks into rc->to; each
 * one an address the mail section would send to.
 */
static int
jr_report_conf_finish(jr_conf_t *cf, void *conf)
{
    int                    line;
    char                  *p, *end;
    size_t                 len;
    jr_report_conf_t      *rc = conf;

    line = jr_conf_line(cf, "to");

    rc->to_buf = strdup(rc->to_list);
    if (rc->to_buf == NULL) {
        return jr_conf_error(cf, "out of memory");
    }

    for (p = rc->to_buf; *p; p = end) {
        p += strspn(p, ", \t");
        if (*p == '\0') {
            break;
        }

        len = strcspn(p, ", \t");
        end = p + len;

        if (*end) {
            *end++ = '\0';
        }

        if (!blog_email_valid(p, len)) {
            return jr_conf_error_at(cf, line, "[report] to: \"%s\" is not an "
                                    "address to mail to", p);
        }

        if (rc->nto == JR_REPORT_TO_MAX) {
            return jr_conf_error_at(cf, line, "[report] to: more than %d "
                                    "addresses", JR_REPORT_TO_MAX);
        }

        rc->to[rc->nto++] = p;
    }

    if (rc->nto == 0) {
        return jr_conf_error_at(cf, line, "[report] to: no address");
    }

    if (strcmp(rc->weekly, "off") == 0 && strcmp(rc->monthly, "off") == 0) {
        return jr_conf_error(cf, "[report] has no report: weekly and monthly "
                             "are off");
    }

    if (jr_jobs_conf_add_timer(cf, jr_conf_get(cf, "timers"), JR_REPORT_WEEKLY,
                               JR_TASK_REPORT, rc->weekly,
                               jr_conf_line(cf, "weekly")) != 0
        || jr_jobs_conf_add_timer(cf, jr_conf_get(cf, "timers"),
                                  JR_REPORT_MONTHLY, JR_TASK_REPORT,
                                  rc->monthly, jr_conf_line(cf, "monthly"))
           != 0)
    {
        return -1;
    }

    return 0;
}


static void
jr_report_conf_free(void *conf)
{
    jr_report_conf_t  *rc = conf;

    free(rc->to_buf);
    rc->to_buf = NULL;
    rc->nto = 0;
}


static const jr_conf_key_t  jr_report_conf_keys[] = {
    { "to", &jr_conf_string, JR_REPORT(to_list), .required = 1 },
    { "weekly", &jr_conf_schedule, JR_REPORT(weekly), .data = "off",
      .def = "weekly mon 07:00" },
    { "monthly", &jr_conf_schedule, JR_REPORT(monthly), .data = "off",
      .def = "monthly 1 07:00" },
    { "top", &jr_conf_number, JR_REPORT(top), .min = 1,
      .max = JR_REPORT_TOP_MAX, .def = "5" },
    { NULL }
};

const jr_conf_section_t  jr_report_conf_section = {
    .name = "report", .line = offsetof(jr_report_conf_t, line),
    .keys = jr_report_conf_keys,
    .finish = jr_report_conf_finish, .free = jr_report_conf_free
};
