/*
 * Configuration of the queue, thumbnails, timers, cronhooks and retention;
 * see jr_jobs_conf.h.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/jr_jobs_conf.h"


#define JR_JOBS(member)       JR_CONF_FIELD(jr_jobs_conf_t, member)
#define JR_CRONHOOK(member)   JR_CONF_FIELD(jr_cronhook_conf_t, member)
#define JR_RETENTION(member)  JR_CONF_FIELD(jr_retention_conf_t, member)

#define JR_WIDTH_MIN         16
#define JR_WIDTH_MAX         16384
#define JR_PIXELS_MAX        100000000000ULL


/* ---- [jobrunner] ------------------------------------------------------- */

/* The next word of a list at *p, separated by seps: its length, 0 at the
   end; *p is moved to its start. */
static size_t
jr_jobs_conf_word(const char **p, const char *seps)
{
    *p += strspn(*p, seps);

    return strcspn(*p, seps);
}


/* "320 640 1280" or "320, 640, 1280", sorted, no duplicates. */
static int
jr_jobs_conf_set_widths(jr_conf_t *cf, const jr_conf_key_t *key, void *conf,
    const char *value)
{
    char             word[8];
    size_t           n, i, k, len;
    unsigned         w[JR_THUMB_WIDTHS_MAX];
    uint64_t         v;
    const char      *p;
    jr_jobs_conf_t  *jc = conf;

    n = 0;

    for (p = value; (len = jr_jobs_conf_word(&p, " ,\t")) != 0; p += len) {
        k = len < sizeof(word) ? len : 0;     /* longer than a width: "" */
        memcpy(word, p, k);
        word[k] = '\0';

        if (n == JR_THUMB_WIDTHS_MAX
            || jr_conf_uint(word, JR_WIDTH_MIN, JR_WIDTH_MAX, &v) != 0)
        {
            return jr_conf_invalid(cf, key, value, "expected 1 to %d widths, "
                                   "each %d..%d", JR_THUMB_WIDTHS_MAX,
                                   JR_WIDTH_MIN, JR_WIDTH_MAX);
        }

        /* insertion sort: a handful of numbers */
        for (i = n; i > 0 && w[i - 1] > (unsigned) v; i--) {
            w[i] = w[i - 1];
        }

        w[i] = (unsigned) v;
        n++;
    }

    if (n == 0) {
        return jr_conf_invalid(cf, key, value, "expected 1 to %d widths",
                               JR_THUMB_WIDTHS_MAX);
    }

    for (i = 1; i < n; i++) {
        if (w[i] == w[i - 1]) {
            return jr_conf_error(cf, "thumb_widths lists %u twice", w[i]);
        }
    }

    memcpy(jc->thumb_widths, w, n * sizeof(unsigned));
    jc->thumb_nwidths = n;

    return 0;
}


/* "original", "webp", or both. */
static int
jr_jobs_conf_set_formats(jr_conf_t *cf, const jr_conf_key_t *key,
    void *conf, const char *value)
{
    size_t           len;
    unsigned         formats;
    const char      *p;
    jr_jobs_conf_t  *jc = conf;

    formats = 0;

    for (p = value; (len = jr_jobs_conf_word(&p, " ,\t")) != 0; p += len) {
        if (len == 8 && memcmp(p, "original", 8) == 0) {
            formats |= JR_THUMB_ORIGINAL;

        } else if (len == 4 && memcmp(p, "webp", 4) == 0) {
            formats |= JR_THUMB_WEBP;

        } else {
            formats = 0;
            break;
        }
    }

    if (formats == 0) {
        return jr_conf_invalid(cf, key, value, "expected \"original\", "
                               "\"webp\" or both");
    }

    jc->thumb_formats = formats;

    return 0;
}


/* "400000000", or "400M" in megapixels. */
static int
jr_jobs_conf_set_pixels(jr_conf_t *cf, const jr_conf_key_t *key, void *conf,
    const char *value)
{
    char             digits[24];
    size_t           len;
    uint64_t         n, mult;
    jr_jobs_conf_t  *jc = conf;

    len = strlen(value);
    mult = 1;

    if (len > 1 && value[len - 1] == 'M') {
        mult = 1000000;
        len--;
    }

    if (len >= sizeof(digits)) {
        len = 0;
    }

    memcpy(digits, value, len);
    digits[len] = '\0';

    if (jr_conf_uint(digits, 1, JR_PIXELS_MAX / mult, &n) != 0) {
        return jr_conf_invalid(cf, key, value, "expected a number of pixels, "
                               "or of megapixels followed by M");
    }

    jc->thumb_max_pixels = n * mult;

    return 0;
}


/* A folder name under the media root: one plain segment. */
static int
jr_jobs_conf_is_dir(const char *value)
{
    size_t  len;

    len = strlen(value);

    return (value[0] != '.' && len <= JR_CONF_NAME_MAX
            && strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                             "abcdefghijklmnopqrstuvwxyz0123456789_-.") == len)
           ? 0 : -1;
}


static const jr_conf_type_t  jr_jobs_conf_widths = {
    jr_jobs_conf_set_widths, 0
};

static const jr_conf_type_t  jr_jobs_conf_formats = {
    jr_jobs_conf_set_formats, 0
};

static const jr_conf_type_t  jr_jobs_conf_pixels = {
    jr_jobs_conf_set_pixels, 0
};

static const jr_conf_check_t  jr_jobs_conf_dir = {
    jr_jobs_conf_is_dir,
    "expected a folder name of letters, digits, \"_\", \"-\" and \".\", "
    "not starting with \".\""
};

static const jr_conf_key_t  jr_jobs_conf_keys[] = {
    { "ttl_db", &jr_conf_path, JR_JOBS(ttl_db) },
    { "media_root", &jr_conf_path, JR_JOBS(media_root) },
    { "thumb_dir", &jr_conf_string, JR_JOBS(thumb_dir),
      .data = &jr_jobs_conf_dir, .def = "thumbs" },
    { "theme", &jr_conf_path, JR_JOBS(theme) },
    { "card_dir", &jr_conf_string, JR_JOBS(card_dir),
      .data = &jr_jobs_conf_dir, .def = "cards" },
    { "thumb_widths", &jr_jobs_conf_widths, JR_JOBS(thumb_widths),
      .def = "320 640 1280" },
    { "thumb_formats", &jr_jobs_conf_formats, JR_JOBS(thumb_formats),
      .def = "original webp" },
    { "thumb_max_pixels", &jr_jobs_conf_pixels, JR_JOBS(thumb_max_pixels),
      .def = "500M" },
    { "thumb_memory_mb", &jr_conf_number, JR_JOBS(thumb_memory_mb),
      .min = 16, .max = 1048576, .def = "256" },
    { "queue_max_attempts", &jr_conf_number, JR_JOBS(queue_max_attempts),
      .min = 1, .max = 100, .def = "5" },
    { "queue_backoff", &jr_conf_duration, JR_JOBS(queue_backoff),
      .def = "10s" },
    { "queue_lease", &jr_conf_duration, JR_JOBS(queue_lease), .def = "60s" },
    { "queue_keep_done", &jr_conf_duration, JR_JOBS(queue_keep_done),
      .def = "7d" },
    { NULL }
};

const jr_conf_section_t  jr_jobs_conf_jobrunner = {
    .name = "jobrunner", .flags = JR_CONF_IMPLICIT, .keys = jr_jobs_conf_keys
};


/* ---- timers ------------------------------------------------------------ */

int
jr_jobs_conf_add_timer(jr_conf_t *cf, jr_jobs_conf_t *jc, const char *name,
    const char *task, const char *spec, int line)
{
    const char       *why;
    jr_timer_conf_t  *t;

    if (strcmp(spec, "off") == 0) {
        return 0;
    }

    t = realloc(jc->timers, (jc->ntimers + 1) * sizeof(jr_timer_conf_t));
    if (t == NULL) {
        return jr_conf_error_at(cf, line, "out of memory");
    }

    jc->timers = t;
    t += jc->ntimers++;
    memset(t, 0, sizeof(jr_timer_conf_t));

    t->task = task;
    t->line = line;
    t->name = strdup(name);
    t->spec = strdup(spec);

    if (t->name == NULL || t->spec == NULL) {
        return jr_conf_error_at(cf, line, "out of memory");
    }

    /* a schedule key has checked it: this parses it for the timer */
    if (jr_schedule_parse(&t->schedule, spec, &why) != 0) {
        return jr_conf_error_at(cf, line, "invalid schedule \"%s\" for \"%s\" "
                                "(%s)", spec, name, why);
    }

    return 0;
}


/* the name of each is its task's */
static const jr_conf_key_t  jr_jobs_conf_timer_keys[] = {
    { JR_TASK_TTL_CLEANUP, &jr_conf_schedule, JR_JOBS(timer_spec[0]),
      .data = "off", .def = "every 10m" },
    { JR_TASK_RETENTION, &jr_conf_schedule, JR_JOBS(timer_spec[1]),
      .data = "off", .def = "daily 04:00" },
    { JR_TASK_THUMB_SCAN, &jr_conf_schedule, JR_JOBS(timer_spec[2]),
      .data = "off", .def = "every 1h" },
    { NULL }
};

/* The [jobrunner] key each needs. */
static const char *const  jr_jobs_conf_timer_needs[JR_TASK_TIMERS] = {
    "ttl_db", NULL, "media_root"
};


static int
jr_jobs_conf_timers_finish(jr_conf_t *cf, void *conf)
{
    int                   line;
    size_t                i;
    const char           *needs;
    jr_jobs_conf_t       *jc = conf;
    const jr_conf_key_t  *key;

    for (i = 0; i < JR_TASK_TIMERS; i++) {
        key = &jr_jobs_conf_timer_keys[i];
        needs = jr_jobs_conf_timer_needs[i];
        line = jr_conf_line(cf, key->name);

        /* without what it needs, a timer by default is left out, one the
           file sets is an error (unless set off) */
        if (needs && jr_conf_value(cf, "jobrunner", needs) == NULL) {
            if (line && strcmp(jc->timer_spec[i], "off") != 0) {
                return jr_conf_error_at(cf, line, "timer \"%s\" needs %s in "
                                        "[jobrunner]", key->name, needs);
            }

            continue;
        }

        if (jr_jobs_conf_add_timer(cf, jc, key->name, key->name,
                                   jc->timer_spec[i], line)
            != 0)
        {
            return -1;
        }
    }

    return 0;
}


static void
jr_jobs_conf_free_timers(void *conf)
{
    size_t           i;
    jr_jobs_conf_t  *jc = conf;

    for (i = 0; i < jc->ntimers; i++) {
        free(jc->timers[i].name);
        free(jc->timers[i].spec);
    }

    free(jc->timers);
    jc->timers = NULL;
    jc->ntimers = 0;
}


const jr_conf_section_t  jr_jobs_conf_timers = {
    .name = "timers", .flags = JR_CONF_IMPLICIT,
    .keys = jr_jobs_conf_timer_keys,
    .what = "timer", .hint = "cronhooks have their own sections",
    .finish = jr_jobs_conf_timers_finish, .free = jr_jobs_conf_free_timers
};


/* ---- [cronhook.NAME] --------------------------------------------------- */

static int
jr_jobs_conf_is_http(const char *value)
{
    return (strncmp(value, "http://", 7) == 0
            || strncmp(value, "https://", 8) == 0) ? 0 : -1;
}


/* One or two "whsec_" secrets, decoded; the value is never repeated. */
static int
jr_jobs_conf_set_secrets(jr_conf_t *cf, const jr_conf_key_t *key,
    void *conf, const char *value)
{
    size_t               n, len;
    const char          *p;
    jr_cronhook_conf_t  *ch = conf;

    (void) key;
    n = 0;

    for (p = value; (len = jr_jobs_conf_word(&p, " \t")) != 0; p += len) {
        if (n == JR_CRONHOOK_SECRETS_MAX
            || blog_webhook_key_decode(p, len, &ch->keys[n]) != 0)
        {
            return jr_conf_error(cf, "invalid secret in [cronhook.%s] "
                                 "(expected one or two \"whsec_\" followed "
                                 "by the base64 of %d to %d bytes)", ch->name,
                                 BLOG_WEBHOOK_KEY_MIN, BLOG_WEBHOOK_KEY_MAX);
        }

        n++;
    }

    ch->nkeys = n;

    return 0;
}


static int
jr_jobs_conf_cronhook_finish(jr_conf_t *cf, void *conf)
{
    char                 name[sizeof("cronhook.") + JR_CONF_NAME_MAX];
    size_t               i;
    jr_jobs_conf_t      *jc = conf;
    jr_cronhook_conf_t  *ch;

    for (i = 0; i < jc->ncronhooks; i++) {
        ch = &jc->cronhooks[i];
        snprintf(name, sizeof(name), "cronhook.%s", ch->name);

        if (jr_jobs_conf_add_timer(cf, jc, name, JR_TASK_CRONHOOK,
                                   ch->schedule, ch->line)
            != 0)
        {
            return -1;
        }
    }

    return 0;
}


static const jr_conf_type_t  jr_jobs_conf_secrets = {
    jr_jobs_conf_set_secrets, JR_CONF_SECRET
};

static const jr_conf_check_t  jr_jobs_conf_http = {
    jr_jobs_conf_is_http, "expected http:// or https://"
};

static const jr_conf_key_t  jr_jobs_conf_cronhook_keys[] = {
    { "url", &jr_conf_string, JR_CRONHOOK(url), .data = &jr_jobs_conf_http,
      .required = 1 },
    { "secret", &jr_jobs_conf_secrets, JR_CRONHOOK(keys), .required = 1 },
    { "schedule", &jr_conf_schedule, JR_CRONHOOK(schedule), .required = 1 },
    { "timeout", &jr_conf_duration, JR_CRONHOOK(timeout),
      .max = 3600, .def = "30s" },
    { NULL }
};

const jr_conf_section_t  jr_jobs_conf_cronhook = {
    .name = "cronhook", .flags = JR_CONF_NAMED,
    JR_CONF_ELEMENTS(jr_jobs_conf_t, cronhooks, ncronhooks,
                     jr_cronhook_conf_t),
    .keys = jr_jobs_conf_cronhook_keys, .finish = jr_jobs_conf_cronhook_finish
};


/* ---- [retention.NAME] -------------------------------------------------- */

static int
jr_jobs_conf_is_pattern(const char *value)
{
    return strchr(value, '/') == NULL ? 0 : -1;
}


static const jr_conf_check_t  jr_jobs_conf_file_pattern = {
    jr_jobs_conf_is_pattern, "a file name pattern, without \"/\""
};

/* no pattern: every file */
static const jr_conf_key_t  jr_jobs_conf_retention_keys[] = {
    { "path", &jr_conf_path, JR_RETENTION(path), .required = 1 },
    { "pattern", &jr_conf_string, JR_RETENTION(pattern),
      .data = &jr_jobs_conf_file_pattern },
    { "max_age", &jr_conf_duration, JR_RETENTION(max_age),
      .data = "12h or 30d", .required = 1 },
    { NULL }
};

const jr_conf_section_t  jr_jobs_conf_retention = {
    .name = "retention", .flags = JR_CONF_NAMED,
    JR_CONF_ELEMENTS(jr_jobs_conf_t, retention, nretention,
                     jr_retention_conf_t),
    .keys = jr_jobs_conf_retention_keys
};
