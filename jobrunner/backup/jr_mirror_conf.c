/*
 * The [mirror] section; see jr_mirror_conf.h.
 */

#include <stdlib.h>
#include <string.h>

#include "backup/jr_backup_conf.h"
#include "backup/jr_mirror_conf.h"
#include "jobs/jr_jobs_conf.h"


#define JR_MIRROR(member)  JR_CONF_FIELD(jr_mirror_conf_t, member)


/* The timers' names, in the order of jr_mirror_conf_t.schedule[]. */
static const char *const  jr_mirror_timer_names[JR_MIRROR_TIMERS] = {
    "mirror", "mirror.daily", "mirror.weekly", "mirror.biweekly"
};


/*
 * The tiers rotate oldest first, half an hour apart: 2-week takes 1-week
 * before 1-week takes daily, which takes the live copy last, so each tier
 * holds what the one below held before.
 */
static const jr_conf_key_t  jr_mirror_conf_keys[] = {
    { "bucket", &jr_conf_string, JR_MIRROR(bucket),
      .data = &jr_s3_conf_bucket },
    { "prefix", &jr_conf_string, JR_MIRROR(prefix),
      .data = &jr_backup_conf_prefix, .def = "mirror" },
    { "media", &jr_conf_flag, JR_MIRROR(media), .def = "on" },
    { "replica", &jr_conf_flag, JR_MIRROR(replica) },
    { "delete", &jr_conf_flag, JR_MIRROR(delete_gone), .def = "off" },
    { "schedule", &jr_conf_schedule, JR_MIRROR(schedule[JR_MIRROR_LIVE]),
      .def = "every 1h", .data = "off" },
    { "daily", &jr_conf_schedule, JR_MIRROR(schedule[JR_MIRROR_DAILY]),
      .def = "daily 03:30", .data = "off" },
    { "weekly", &jr_conf_schedule, JR_MIRROR(schedule[JR_MIRROR_WEEKLY]),
      .def = "weekly sun 03:00", .data = "off" },
    { "biweekly", &jr_conf_schedule, JR_MIRROR(schedule[JR_MIRROR_BIWEEKLY]),
      .def = "biweekly sun 02:30", .data = "off" },
    { NULL }
};

static const jr_conf_link_t  jr_mirror_conf_links[] = {
    { "s3", JR_CONF_NEEDS, "[mirror] needs an [s3] section: the endpoint and "
      "credentials of the mirror's bucket" },
    { NULL, 0, NULL }
};

/* the schedule keys are the last, in the order of the timers */
#define JR_MIRROR_KEY_TIMERS  5


static int
jr_mirror_conf_finish(jr_conf_t *cf, void *conf)
{
    int                   i;
    const char           *task;
    jr_mirror_conf_t     *mc = conf;
    const jr_s3_conf_t   *s3 = jr_conf_get(cf, "s3");
    const jr_conf_key_t  *key;

    if (mc->media && jr_conf_value(cf, "jobrunner", "media_root") == NULL) {
        return jr_conf_error_at(cf, jr_conf_line(cf, "media"), "[mirror] "
                                "media = on needs media_root in [jobrunner] "
                                "(or set media = off)");
    }

    if (jr_conf_line(cf, "replica") == 0) {
        mc->replica = jr_conf_get(cf, "backup") != NULL;

    } else if (mc->replica && jr_conf_get(cf, "backup") == NULL) {
        return jr_conf_error_at(cf, jr_conf_line(cf, "replica"), "[mirror] "
                                "replica = on needs a [backup] section: the "
                                "objects to mirror");
    }

    if (!mc->media && !mc->replica) {
        return jr_conf_error(cf, "[mirror] has nothing to mirror (media and "
                             "replica are off)");
    }

    if (mc->bucket == NULL && (mc->bucket = strdup(s3->bucket)) == NULL) {
        return jr_conf_error(cf, "out of memory");
    }

    /* [s3] for the mirror's bucket: the strings stay [s3]'s */
    mc->dest = *s3;
    mc->dest.bucket = mc->bucket;

    /* the jobs' timers, those of [timers] */
    for (i = 0; i < JR_MIRROR_TIMERS; i++) {
        key = &jr_mirror_conf_keys[JR_MIRROR_KEY_TIMERS + i];
        task = i == JR_MIRROR_LIVE ? JR_TASK_MIRROR : JR_TASK_MIRROR_TIER;

        if (jr_jobs_conf_add_timer(cf, jr_conf_get(cf, "timers"),
                                   jr_mirror_timer_names[i], task,
                                   mc->schedule[i],
                                   jr_conf_line(cf, key->name))
            != 0)
        {
            return -1;
        }
    }

    return 0;
}


const jr_conf_section_t  jr_mirror_conf_section = {
    .name = "mirror", .line = offsetof(jr_mirror_conf_t, line),
    .keys = jr_mirror_conf_keys, .links = jr_mirror_conf_links,
    .finish = jr_mirror_conf_finish
};


int
jr_mirror_conf_timer(const char *name)
{
    int  i;

    for (i = 0; i < JR_MIRROR_TIMERS; i++) {
        if (strcmp(name, jr_mirror_timer_names[i]) == 0) {
            return i;
        }
    }

    return -1;
}
