/*
 * The [mirror] section; see jr_mirror_conf.h.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/jr_backup_conf.h"
#include "backup/jr_mirror_conf.h"
#include "jobs/jr_schedule.h"


enum {
    JR_MIRROR_KEY_BUCKET = 0,
    JR_MIRROR_KEY_PREFIX,
    JR_MIRROR_KEY_MEDIA,
    JR_MIRROR_KEY_REPLICA,
    JR_MIRROR_KEY_DELETE,
    JR_MIRROR_KEY_SCHEDULE,     /* then daily, weekly, biweekly */
    JR_MIRROR_KEY_N = JR_MIRROR_KEY_SCHEDULE + JR_MIRROR_TIMERS
};

static const char *const  jr_mirror_keys[JR_MIRROR_KEY_N] = {
    "bucket", "prefix", "media", "replica", "delete",
    "schedule", "daily", "weekly", "biweekly"
};

/* The timers' names, and their schedules unless set. */
static const char *const  jr_mirror_timer_names[JR_MIRROR_TIMERS] = {
    "mirror", "mirror.daily", "mirror.weekly", "mirror.biweekly"
};

/*
 * The tiers rotate oldest first, half an hour apart: 2-week takes 1-week
 * before 1-week takes daily, which takes the live copy last, so each tier
 * holds what the one below held before.
 */
static const char *const  jr_mirror_defaults[JR_MIRROR_TIMERS] = {
    "every 1h", "daily 03:30", "weekly sun 03:00", "biweekly sun 02:30"
};


static int __attribute__((format(printf, 3, 4)))
jr_mirror_conf_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);

    return -1;
}


void
jr_mirror_conf_init(jr_mirror_conf_t *mc)
{
    memset(mc, 0, sizeof(jr_mirror_conf_t));

    mc->media = 1;
    mc->replica = -1;
}


void
jr_mirror_conf_free(jr_mirror_conf_t *mc)
{
    int  i;

    free(mc->bucket);
    free(mc->prefix);

    for (i = 0; i < JR_MIRROR_TIMERS; i++) {
        free(mc->schedule[i]);
    }

    jr_mirror_conf_init(mc);
}


int
jr_mirror_conf_section(jr_mirror_conf_t *mc, int line, char *err,
    size_t errlen)
{
    if (mc->line) {
        return jr_mirror_conf_error(err, errlen, "duplicate section "
                                    "\"[mirror]\" (first on line %d)",
                                    mc->line);
    }

    mc->line = line;

    return 0;
}


/* S3's bucket names: 3 to 63 of a-z, 0-9, "." and "-". */
static int
jr_mirror_conf_bucket(const char *value)
{
    size_t  len;

    len = strlen(value);

    return (len >= 3 && len <= 63
            && strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789.-") == len)
           ? 0 : -1;
}


static int
jr_mirror_conf_flag(const char *value, int *out)
{
    if (strcmp(value, "on") == 0) {
        *out = 1;
        return 0;
    }

    if (strcmp(value, "off") == 0) {
        *out = 0;
        return 0;
    }

    return -1;
}


int
jr_mirror_conf_key(jr_mirror_conf_t *mc, const char *name,
    const char *value, int line, char *err, size_t errlen)
{
    int             i, *flag;
    const char     *why;
    jr_schedule_t   s;

    for (i = 0; i < JR_MIRROR_KEY_N; i++) {
        if (strcmp(name, jr_mirror_keys[i]) == 0) {
            break;
        }
    }

    if (i == JR_MIRROR_KEY_N) {
        return jr_mirror_conf_error(err, errlen, "unknown key \"%s\" in "
                                    "[mirror]", name);
    }

    if (mc->seen[i]) {
        return jr_mirror_conf_error(err, errlen, "duplicate key \"%s\" "
                                    "(first set on line %d)", name,
                                    mc->seen[i]);
    }

    mc->seen[i] = line;

    switch (i) {

    case JR_MIRROR_KEY_BUCKET:
        if (jr_mirror_conf_bucket(value) != 0) {
            return jr_mirror_conf_error(err, errlen, "invalid bucket \"%s\" "
                                        "(expected 3 to 63 of a-z, 0-9, "
                                        "\".\" and \"-\")", value);
        }

        mc->bucket = strdup(value);
        return mc->bucket ? 0 : jr_mirror_conf_error(err, errlen,
                                                     "out of memory");

    case JR_MIRROR_KEY_PREFIX:
        if (jr_backup_conf_prefix(value) != 0) {
            return jr_mirror_conf_error(err, errlen, "invalid prefix \"%s\" "
                                        "(expected names of letters, digits, "
                                        "\".\", \"_\" and \"-\" separated "
                                        "by \"/\", such as blog/mirror)",
                                        value);
        }

        mc->prefix = strdup(value);
        return mc->prefix ? 0 : jr_mirror_conf_error(err, errlen,
                                                     "out of memory");

    case JR_MIRROR_KEY_MEDIA:
    case JR_MIRROR_KEY_REPLICA:
    case JR_MIRROR_KEY_DELETE:
        flag = i == JR_MIRROR_KEY_MEDIA ? &mc->media
               : i == JR_MIRROR_KEY_REPLICA ? &mc->replica
               : &mc->delete_gone;

        if (jr_mirror_conf_flag(value, flag) != 0) {
            return jr_mirror_conf_error(err, errlen, "invalid %s \"%s\" "
                                        "(expected on or off)", name, value);
        }

        return 0;
    }

    /* a schedule, checked now so that its error names this line */
    if (strcmp(value, "off") != 0 && jr_schedule_parse(&s, value, &why) != 0)
    {
        return jr_mirror_conf_error(err, errlen, "invalid schedule \"%s\" "
                                    "for \"%s\" (%s, or off)", value, name,
                                    why);
    }

    i -= JR_MIRROR_KEY_SCHEDULE;

    mc->schedule[i] = strdup(value);

    return mc->schedule[i] ? 0 : jr_mirror_conf_error(err, errlen,
                                                      "out of memory");
}


int
jr_mirror_conf_finish(jr_mirror_conf_t *mc, const jr_s3_conf_t *s3,
    int has_backup, jr_jobs_conf_t *jc, int *line, char *err,
    size_t errlen)
{
    int          i, key;
    const char  *spec, *task;

    *line = mc->line;

    if (!s3->line) {
        return jr_mirror_conf_error(err, errlen, "[mirror] needs an [s3] "
                                    "section: the endpoint and credentials "
                                    "of the mirror's bucket");
    }

    if (mc->media && jc->media_root == NULL) {
        *line = mc->seen[JR_MIRROR_KEY_MEDIA] ? mc->seen[JR_MIRROR_KEY_MEDIA]
                                              : mc->line;
        return jr_mirror_conf_error(err, errlen, "[mirror] media = on needs "
                                    "media_root in [jobrunner] (or set "
                                    "media = off)");
    }

    if (mc->replica == -1) {
        mc->replica = has_backup;

    } else if (mc->replica && !has_backup) {
        *line = mc->seen[JR_MIRROR_KEY_REPLICA];
        return jr_mirror_conf_error(err, errlen, "[mirror] replica = on "
                                    "needs a [backup] section: the objects "
                                    "to mirror");
    }

    if (!mc->media && !mc->replica) {
        return jr_mirror_conf_error(err, errlen, "[mirror] has nothing to "
                                    "mirror (media and replica are off)");
    }

    if (mc->prefix == NULL && (mc->prefix = strdup("mirror")) == NULL) {
        return jr_mirror_conf_error(err, errlen, "out of memory");
    }

    if (mc->bucket == NULL && (mc->bucket = strdup(s3->bucket)) == NULL) {
        return jr_mirror_conf_error(err, errlen, "out of memory");
    }

    /* [s3] for the mirror's bucket: the strings stay [s3]'s */
    mc->dest = *s3;
    mc->dest.bucket = mc->bucket;

    for (i = 0; i < JR_MIRROR_TIMERS; i++) {
        key = JR_MIRROR_KEY_SCHEDULE + i;
        spec = mc->schedule[i] ? mc->schedule[i] : jr_mirror_defaults[i];

        if (strcmp(spec, "off") == 0) {
            continue;
        }

        task = i == JR_MIRROR_LIVE ? JR_TASK_MIRROR : JR_TASK_MIRROR_TIER;
        *line = mc->seen[key] ? mc->seen[key] : mc->line;

        if (jr_jobs_conf_add_timer(jc, jr_mirror_timer_names[i], task, spec,
                                   *line, err, errlen)
            != 0)
        {
            return -1;
        }
    }

    return 0;
}


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
