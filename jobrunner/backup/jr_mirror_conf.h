/*
 * The [mirror] section: incremental copies of the media folder and of the
 * backup's objects to a bucket, and the daily, 1-week and 2-week tiers of
 * those copies (jr_mirror.c).
 *
 *     [mirror]
 *     bucket   = blog-mirror          ; [s3]'s bucket unless set
 *     prefix   = mirror
 *     media    = on
 *     replica  = on                   ; with [backup]
 *     delete   = off
 *     schedule = every 1h
 *     daily    = daily 03:30
 *     weekly   = weekly sun 03:00
 *     biweekly = biweekly sun 02:30
 *
 * The bucket is reached through [s3]'s endpoint and credentials.
 */

#ifndef JR_MIRROR_CONF_H
#define JR_MIRROR_CONF_H

#include "core/jr_conf.h"
#include "s3/jr_s3_conf.h"


/* The timers, in the order of jr_mirror_conf_t.schedule[]. */
enum {
    JR_MIRROR_LIVE = 0,
    JR_MIRROR_DAILY,
    JR_MIRROR_WEEKLY,
    JR_MIRROR_BIWEEKLY,
    JR_MIRROR_TIMERS
};

#define JR_TASK_MIRROR       "mirror"
#define JR_TASK_MIRROR_TIER  "mirror_tier"

typedef struct {
    int            line;              /* of "[mirror]"; 0: no mirror */
    char          *bucket;            /* NULL until finish: [s3]'s */
    char          *prefix;            /* no "/" at either end */
    int            media;
    int            replica;           /* unless set: on with [backup] */
    int            delete_gone;
    char          *schedule[JR_MIRROR_TIMERS];   /* as written, or "off" */
    jr_s3_conf_t   dest;              /* [s3] with bucket, after finish; its
                                         strings are [s3]'s, but bucket */
} jr_mirror_conf_t;

/*
 * Needs [s3]; media needs media_root, replica needs [backup]; the timers
 * are added to jobs' when it is finished.
 */
extern const jr_conf_section_t  jr_mirror_conf_section;

/* The JR_MIRROR_* of a timer's name ("mirror.daily"), or -1. */
int jr_mirror_conf_timer(const char *name);

#endif /* JR_MIRROR_CONF_H */
