/*
 * The configuration of the job queue, thumbnails, timers, cronhooks and
 * retention: the [jobrunner] keys they add, and the sections
 *
 *     [timers]              ttl_cleanup = every 10m, thumb_scan = ...
 *     [cronhook.NAME]       url, secret, schedule, timeout
 *     [retention.NAME]      path, pattern, max_age
 *
 * The configuration engine (core/jr_conf.h) reads them into one
 * jr_jobs_conf_t; the sections' timers are added when they are finished.
 */

#ifndef JR_JOBS_CONF_H
#define JR_JOBS_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "blog_webhook.h"
#include "core/jr_conf.h"
#include "jobs/jr_schedule.h"


#define JR_THUMB_WIDTHS_MAX      8
#define JR_CRONHOOK_SECRETS_MAX  2

/* thumb_formats */
#define JR_THUMB_ORIGINAL        0x01
#define JR_THUMB_WEBP            0x02

/* The timer tasks that are not cronhooks, as named in [timers]. */
#define JR_TASK_TTL_CLEANUP      "ttl_cleanup"
#define JR_TASK_RETENTION        "retention"
#define JR_TASK_THUMB_SCAN       "thumb_scan"
#define JR_TASK_CRONHOOK         "cronhook"
#define JR_TASK_TIMERS           3      /* those of [timers] */


typedef struct {
    char                *name;       /* "thumb_scan", "cronhook.publish" */
    const char          *task;       /* the job kind it enqueues */
    char                *spec;       /* the schedule as written */
    jr_schedule_t        schedule;
    int                  line;
} jr_timer_conf_t;

typedef struct {
    char                *name;
    char                *url;
    blog_webhook_key_t   keys[JR_CRONHOOK_SECRETS_MAX];
    size_t               nkeys;
    char                *schedule;   /* as written */
    unsigned             timeout;    /* seconds */
    int                  line;       /* of the [cronhook.NAME] line */
} jr_cronhook_conf_t;

typedef struct {
    char                *name;
    char                *path;
    char                *pattern;
    long                 max_age;    /* seconds */
    int                  line;
} jr_retention_conf_t;

typedef struct {
    char                *ttl_db;
    char                *media_root;
    char                *thumb_dir;          /* under media_root */
    char                *theme;              /* blog_theme's folder */
    char                *card_dir;           /* under media_root */
    unsigned             thumb_widths[JR_THUMB_WIDTHS_MAX];
    size_t               thumb_nwidths;
    unsigned             thumb_formats;      /* JR_THUMB_* */
    uint64_t             thumb_max_pixels;
    unsigned             thumb_memory_mb;
    unsigned             queue_max_attempts;
    long                 queue_backoff;      /* seconds */
    long                 queue_lease;
    long                 queue_keep_done;

    jr_timer_conf_t     *timers;
    size_t               ntimers;
    jr_cronhook_conf_t  *cronhooks;
    size_t               ncronhooks;
    jr_retention_conf_t *retention;
    size_t               nretention;

    /* [timers]' schedules of ttl_cleanup, retention, thumb_scan, or "off" */
    char                *timer_spec[JR_TASK_TIMERS];
} jr_jobs_conf_t;


/* [jobrunner]'s keys of jobs, [timers], [cronhook.NAME], [retention.NAME]. */
extern const jr_conf_section_t  jr_jobs_conf_jobrunner;
extern const jr_conf_section_t  jr_jobs_conf_timers;
extern const jr_conf_section_t  jr_jobs_conf_cronhook;
extern const jr_conf_section_t  jr_jobs_conf_retention;

/*
 * For the finish hooks of sections: adds the timer name, which enqueues
 * jobs of kind task (a static string) on the schedule spec, checked
 * already; spec "off" adds none.  line is the line to blame, 0 for the
 * section's.  Returns 0 or -1.
 */
int jr_jobs_conf_add_timer(jr_conf_t *cf, jr_jobs_conf_t *jc,
    const char *name, const char *task, const char *spec, int line);

#endif /* JR_JOBS_CONF_H */
