/*
 * The configuration of the job queue, thumbnails, timers, cronhooks and
 * retention: the [jobrunner] keys they add, and the sections
 *
 *     [timers]              ttl_cleanup = every 10m, thumb_scan = ...
 *     [cronhook.NAME]       url, secret, schedule, timeout
 *     [retention.NAME]      path, pattern, max_age
 *
 * jr_config.c reads the file and calls in here for these keys and
 * sections; the functions write a message (without "FILE:LINE: ", which
 * the caller adds) into err on failure.
 */

#ifndef JR_JOBS_CONF_H
#define JR_JOBS_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "blog_webhook.h"
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
    unsigned             timeout;    /* seconds */
    int                  line;       /* of the [cronhook.NAME] line */
    int                  seen[4];    /* url, secret, schedule, timeout */
} jr_cronhook_conf_t;

typedef struct {
    char                *name;
    char                *path;
    char                *pattern;
    long                 max_age;    /* seconds */
    int                  line;
    int                  seen[3];    /* path, pattern, max_age */
} jr_retention_conf_t;

typedef struct {
    char                *ttl_db;
    char                *media_root;
    char                *thumb_dir;          /* under media_root */
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

    int                  section;     /* the current section, JR_SECTION_* */
    size_t               current;     /* its index in its array */
    int                  timer_lines[3];   /* ttl_cleanup, retention, scan */
    int                  timer_off[3];
} jr_jobs_conf_t;


void jr_jobs_conf_init(jr_jobs_conf_t *jc);
void jr_jobs_conf_free(jr_jobs_conf_t *jc);

/*
 * A "[name]" line other than [jobrunner], of len bytes.  Returns 0 and
 * makes it the section that later keys go to, or -1 for a section that is
 * unknown or given twice.
 */
int jr_jobs_conf_section(jr_jobs_conf_t *jc, const char *name, size_t len,
    int line, char *err, size_t errlen);

/*
 * A key of the current non-[jobrunner] section; relative paths are taken
 * from dir, dirlen bytes with its final slash.  Returns 0 or -1.
 */
int jr_jobs_conf_section_key(jr_jobs_conf_t *jc, const char *name,
    const char *value, const char *dir, size_t dirlen, int line, char *err,
    size_t errlen);

/*
 * A [jobrunner] key of this file (thumb_widths, queue_lease, ...), paths
 * excepted.  Returns 0 or -1.
 */
int jr_jobs_conf_key(jr_jobs_conf_t *jc, const char *name, const char *value,
    char *err, size_t errlen);

/*
 * After the whole file: required keys of the sections, and the default
 * timers.  Returns 0, or -1 with *line the line to blame (0: none).
 */
int jr_jobs_conf_finish(jr_jobs_conf_t *jc, int *line, char *err,
    size_t errlen);

/*
 * Adds a timer that enqueues jobs of kind task on the schedule spec, for
 * the sections of other files ([mirror]).  Returns 0 or -1.
 */
int jr_jobs_conf_add_timer(jr_jobs_conf_t *jc, const char *name,
    const char *task, const char *spec, int line, char *err, size_t errlen);

/* Parses "30s", "10m", "2h", "7d" into seconds.  Returns 0 or -1. */
int jr_jobs_conf_duration(const char *value, long *seconds);

#endif /* JR_JOBS_CONF_H */
