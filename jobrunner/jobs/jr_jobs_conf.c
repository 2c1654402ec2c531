/*
 * Configuration of the queue, thumbnails, timers, cronhooks and retention;
 * see jr_jobs_conf.h.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/jr_jobs_conf.h"


#define JR_NAME_MAX          64

#define JR_WIDTH_MIN         16
#define JR_WIDTH_MAX         16384
#define JR_PIXELS_MAX        100000000000ULL
#define JR_MEMORY_MIN        16
#define JR_MEMORY_MAX        1048576
#define JR_ATTEMPTS_MAX      100
#define JR_TIMEOUT_MAX       3600

enum {
    JR_SECTION_NONE = 0,
    JR_SECTION_TIMERS,
    JR_SECTION_CRONHOOK,
    JR_SECTION_RETENTION
};

/* The built-in timers: their [timers] key, default, and what they need. */
enum {
    JR_TIMER_TTL_CLEANUP = 0,
    JR_TIMER_RETENTION,
    JR_TIMER_THUMB_SCAN,
    JR_TIMER_N
};

static const char *const  jr_timer_names[JR_TIMER_N] = {
    JR_TASK_TTL_CLEANUP, JR_TASK_RETENTION, JR_TASK_THUMB_SCAN
};

static const char *const  jr_timer_defaults[JR_TIMER_N] = {
    "every 10m", "daily 04:00", "every 1h"
};

static const char *const  jr_cronhook_keys[] = {
    "url", "secret", "schedule", "timeout"
};

static const char *const  jr_retention_keys[] = {
    "path", "pattern", "max_age"
};


static int __attribute__((format(printf, 3, 4)))
jr_jobs_conf_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);

    return -1;
}


void
jr_jobs_conf_init(jr_jobs_conf_t *jc)
{
    memset(jc, 0, sizeof(jr_jobs_conf_t));

    jc->thumb_widths[0] = 320;
    jc->thumb_widths[1] = 640;
    jc->thumb_widths[2] = 1280;
    jc->thumb_nwidths = 3;
    jc->thumb_formats = JR_THUMB_ORIGINAL | JR_THUMB_WEBP;
    jc->thumb_max_pixels = 500000000;
    jc->thumb_memory_mb = 256;
    jc->queue_max_attempts = 5;
    jc->queue_backoff = 10;
    jc->queue_lease = 60;
    jc->queue_keep_done = 7 * 86400;
}


void
jr_jobs_conf_free(jr_jobs_conf_t *jc)
{
    size_t  i;

    free(jc->ttl_db);
    free(jc->media_root);
    free(jc->thumb_dir);

    for (i = 0; i < jc->ntimers; i++) {
        free(jc->timers[i].name);
        free(jc->timers[i].spec);
    }

    for (i = 0; i < jc->ncronhooks; i++) {
        free(jc->cronhooks[i].name);
        free(jc->cronhooks[i].url);
    }

    /* the secrets are the one thing here worth wiping */
    if (jc->cronhooks) {
        memset(jc->cronhooks, 0, jc->ncronhooks * sizeof(jr_cronhook_conf_t));
    }

    for (i = 0; i < jc->nretention; i++) {
        free(jc->retention[i].name);
        free(jc->retention[i].path);
        free(jc->retention[i].pattern);
    }

    free(jc->timers);
    free(jc->cronhooks);
    free(jc->retention);

    jr_jobs_conf_init(jc);
}


/* Grows an array by one zeroed element; returns it or NULL. */
static void *
jr_jobs_conf_push(void **array, size_t *n, size_t size)
{
    char  *grown;

    grown = realloc(*array, (*n + 1) * size);
    if (grown == NULL) {
        return NULL;
    }

    *array = grown;
    memset(grown + *n * size, 0, size);

    return grown + (*n)++ * size;
}


/* Digits only, no sign, no blanks, from min to max. */
static int
jr_jobs_conf_uint(const char *value, uint64_t min, uint64_t max,
    uint64_t *out)
{
    uint64_t     n;
    const char  *c;

    if (*value == '\0') {
        return -1;
    }

    n = 0;

    for (c = value; *c; c++) {
        if (*c < '0' || *c > '9' || n > max) {
            return -1;
        }

        n = n * 10 + (*c - '0');
    }

    if (n < min || n > max) {
        return -1;
    }

    *out = n;

    return 0;
}


int
jr_jobs_conf_duration(const char *value, long *seconds)
{
    long      unit;
    size_t    len;
    uint64_t  n;
    char      digits[16];

    len = strlen(value);

    if (len < 2 || len > sizeof(digits)) {
        return -1;
    }

    unit = jr_schedule_unit(value[len - 1]);
    if (unit < 0) {
        return -1;
    }

    memcpy(digits, value, len - 1);
    digits[len - 1] = '\0';

    /* up to ten years, which no timeout or age needs to exceed */
    if (jr_jobs_conf_uint(digits, 1, 3650L * 86400 / unit, &n) != 0) {
        return -1;
    }

    *seconds = (long) n * unit;

    return 0;
}


/* "320 640 1280" or "320, 640, 1280", sorted, no duplicates. */
static int
jr_jobs_conf_widths(jr_jobs_conf_t *jc, const char *value, char *err,
    size_t errlen)
{
    char      *copy, *tok, *save;
    size_t     n, i;
    unsigned   w[JR_THUMB_WIDTHS_MAX];
    uint64_t   v;

    copy = strdup(value);
    if (copy == NULL) {
        return jr_jobs_conf_error(err, errlen, "out of memory");
    }

    n = 0;

    for (tok = strtok_r(copy, " ,\t", &save); tok != NULL;
         tok = strtok_r(NULL, " ,\t", &save))
    {
        if (n == JR_THUMB_WIDTHS_MAX
            || jr_jobs_conf_uint(tok, JR_WIDTH_MIN, JR_WIDTH_MAX, &v) != 0)
        {
            free(copy);
            return jr_jobs_conf_error(err, errlen, "invalid thumb_widths "
                                      "\"%s\" (expected 1 to %d widths, "
                                      "each %d..%d)", value,
                                      JR_THUMB_WIDTHS_MAX, JR_WIDTH_MIN,
                                      JR_WIDTH_MAX);
        }

        /* insertion sort: a handful of numbers */
        for (i = n; i > 0 && w[i - 1] > (unsigned) v; i--) {
            w[i] = w[i - 1];
        }

        w[i] = (unsigned) v;
        n++;
    }

    free(copy);

    if (n == 0) {
        return jr_jobs_conf_error(err, errlen, "invalid thumb_widths \"%s\" "
                                  "(expected 1 to %d widths)", value,
                                  JR_THUMB_WIDTHS_MAX);
    }

    for (i = 1; i < n; i++) {
        if (w[i] == w[i - 1]) {
            return jr_jobs_conf_error(err, errlen, "thumb_widths lists %u "
                                      "twice", w[i]);
        }
    }

    memcpy(jc->thumb_widths, w, n * sizeof(unsigned));
    jc->thumb_nwidths = n;

    return 0;
}


static int
jr_jobs_conf_formats(jr_jobs_conf_t *jc, const char *value, char *err,
    size_t errlen)
{
    char      *copy, *tok, *save;
    unsigned   formats;

    copy = strdup(value);
    if (copy == NULL) {
        return jr_jobs_conf_error(err, errlen, "out of memory");
    }

    formats = 0;

    for (tok = strtok_r(copy, " ,\t", &save); tok != NULL;
         tok = strtok_r(NULL, " ,\t", &save))
    {
        if (strcmp(tok, "original") == 0) {
            formats |= JR_THUMB_ORIGINAL;

        } else if (strcmp(tok, "webp") == 0) {
            formats |= JR_THUMB_WEBP;

        } else {
            formats = 0;
            break;
        }
    }

    free(copy);

    if (formats == 0) {
        return jr_jobs_conf_error(err, errlen, "invalid thumb_formats \"%s\" "
                                  "(expected \"original\", \"webp\" or both)",
                                  value);
    }

    jc->thumb_formats = formats;

    return 0;
}


/* A folder name under the media root: one plain segment. */
static int
jr_jobs_conf_dir_name(const char *value)
{
    const char  *c;

    if (value[0] == '.' || strlen(value) > JR_NAME_MAX) {
        return -1;
    }

    for (c = value; *c; c++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')
              || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'
              || *c == '.'))
        {
            return -1;
        }
    }

    return 0;
}


int
jr_jobs_conf_key(jr_jobs_conf_t *jc, const char *name, const char *value,
    char *err, size_t errlen)
{
    long      secs;
    uint64_t  n, mult;
    size_t    len;
    char      digits[24];

    if (strcmp(name, "thumb_widths") == 0) {
        return jr_jobs_conf_widths(jc, value, err, errlen);
    }

    if (strcmp(name, "thumb_formats") == 0) {
        return jr_jobs_conf_formats(jc, value, err, errlen);
    }

    if (strcmp(name, "thumb_dir") == 0) {
        if (jr_jobs_conf_dir_name(value) != 0) {
            return jr_jobs_conf_error(err, errlen, "invalid thumb_dir \"%s\" "
                                      "(expected a folder name of letters, "
                                      "digits, \"_\", \"-\" and \".\", not "
                                      "starting with \".\")", value);
        }

        jc->thumb_dir = strdup(value);
        if (jc->thumb_dir == NULL) {
            return jr_jobs_conf_error(err, errlen, "out of memory");
        }

        return 0;
    }

    if (strcmp(name, "thumb_max_pixels") == 0) {
        /* "400000000" or "400M" */
        len = strlen(value);
        mult = 1;

        if (len > 1 && len < sizeof(digits) && value[len - 1] == 'M') {
            mult = 1000000;
            len--;
        }

        if (len >= sizeof(digits)) {
            len = 0;
        }

        memcpy(digits, value, len);
        digits[len] = '\0';

        if (jr_jobs_conf_uint(digits, 1, JR_PIXELS_MAX / mult, &n) != 0) {
            return jr_jobs_conf_error(err, errlen, "invalid thumb_max_pixels "
                                      "\"%s\" (expected a number of pixels, "
                                      "or of megapixels followed by M)",
                                      value);
        }

        jc->thumb_max_pixels = n * mult;
        return 0;
    }

    if (strcmp(name, "thumb_memory_mb") == 0) {
        if (jr_jobs_conf_uint(value, JR_MEMORY_MIN, JR_MEMORY_MAX, &n) != 0) {
            return jr_jobs_conf_error(err, errlen, "invalid thumb_memory_mb "
                                      "\"%s\" (expected %d..%d)", value,
                                      JR_MEMORY_MIN, JR_MEMORY_MAX);
        }

        jc->thumb_memory_mb = (unsigned) n;
        return 0;
    }

    if (strcmp(name, "queue_max_attempts") == 0) {
        if (jr_jobs_conf_uint(value, 1, JR_ATTEMPTS_MAX, &n) != 0) {
            return jr_jobs_conf_error(err, errlen, "invalid "
                                      "queue_max_attempts \"%s\" (expected "
                                      "1..%d)", value, JR_ATTEMPTS_MAX);
        }

        jc->queue_max_attempts = (unsigned) n;
        return 0;
    }

    if (jr_jobs_conf_duration(value, &secs) != 0) {
        return jr_jobs_conf_error(err, errlen, "invalid %s \"%s\" (expected "
                                  "a duration such as 30s, 10m, 2h or 7d)",
                                  name, value);
    }

    if (strcmp(name, "queue_backoff") == 0) {
        jc->queue_backoff = secs;

    } else if (strcmp(name, "queue_lease") == 0) {
        jc->queue_lease = secs;

    } else {
        jc->queue_keep_done = secs;
    }

    return 0;
}


/* The NAME of "[prefix.NAME]": [a-z0-9_-], 1 to JR_NAME_MAX bytes. */
static int
jr_jobs_conf_name(const char *name, size_t len)
{
    size_t  i;

    if (len == 0 || len > JR_NAME_MAX) {
        return -1;
    }

    for (i = 0; i < len; i++) {
        if (!((name[i] >= 'a' && name[i] <= 'z')
              || (name[i] >= '0' && name[i] <= '9')
              || name[i] == '_' || name[i] == '-'))
        {
            return -1;
        }
    }

    return 0;
}


int
jr_jobs_conf_section(jr_jobs_conf_t *jc, const char *name, size_t len,
    int line, char *err, size_t errlen)
{
    size_t                i, plen;
    const char           *sub;
    jr_cronhook_conf_t   *ch;
    jr_retention_conf_t  *rt;

    if (len == sizeof("timers") - 1 && memcmp(name, "timers", len) == 0) {
        jc->section = JR_SECTION_TIMERS;
        return 0;
    }

    if (len > sizeof("cronhook.") - 1
        && memcmp(name, "cronhook.", sizeof("cronhook.") - 1) == 0)
    {
        plen = sizeof("cronhook.") - 1;
        sub = name + plen;

        if (jr_jobs_conf_name(sub, len - plen) != 0) {
            goto bad_name;
        }

        for (i = 0; i < jc->ncronhooks; i++) {
            if (strlen(jc->cronhooks[i].name) == len - plen
                && memcmp(jc->cronhooks[i].name, sub, len - plen) == 0)
            {
                return jr_jobs_conf_error(err, errlen, "duplicate section "
                                          "\"[%.*s]\" (first on line %d)",
                                          (int) len, name,
                                          jc->cronhooks[i].line);
            }
        }

        ch = jr_jobs_conf_push((void **) &jc->cronhooks, &jc->ncronhooks,
                               sizeof(jr_cronhook_conf_t));
        if (ch == NULL || (ch->name = strndup(sub, len - plen)) == NULL) {
            return jr_jobs_conf_error(err, errlen, "out of memory");
        }

        ch->line = line;
        ch->timeout = 30;
        jc->section = JR_SECTION_CRONHOOK;
        jc->current = jc->ncronhooks - 1;

        return 0;
    }

    if (len > sizeof("retention.") - 1
        && memcmp(name, "retention.", sizeof("retention.") - 1) == 0)
    {
        plen = sizeof("retention.") - 1;
        sub = name + plen;

        if (jr_jobs_conf_name(sub, len - plen) != 0) {
            goto bad_name;
        }

        for (i = 0; i < jc->nretention; i++) {
            if (strlen(jc->retention[i].name) == len - plen
                && memcmp(jc->retention[i].name, sub, len - plen) == 0)
            {
                return jr_jobs_conf_error(err, errlen, "duplicate section "
                                          "\"[%.*s]\" (first on line %d)",
                                          (int) len, name,
                                          jc->retention[i].line);
            }
        }

        rt = jr_jobs_conf_push((void **) &jc->retention, &jc->nretention,
                               sizeof(jr_retention_conf_t));
        if (rt == NULL || (rt->name = strndup(sub, len - plen)) == NULL) {
            return jr_jobs_conf_error(err, errlen, "out of memory");
        }

        rt->line = line;
        jc->section = JR_SECTION_RETENTION;
        jc->current = jc->nretention - 1;

        return 0;
    }

    return jr_jobs_conf_error(err, errlen, "unknown section \"[%.*s]\"",
                              (int) len, name);

bad_name:

    return jr_jobs_conf_error(err, errlen, "invalid section name \"[%.*s]\" "
                              "(the part after the dot: 1 to %d of a-z, 0-9, "
                              "\"_\" and \"-\")", (int) len, name,
                              JR_NAME_MAX);
}


int
jr_jobs_conf_add_timer(jr_jobs_conf_t *jc, const char *name, const char *task,
    const char *spec, int line, char *err, size_t errlen)
{
    const char       *why;
    jr_timer_conf_t  *t;

    t = jr_jobs_conf_push((void **) &jc->timers, &jc->ntimers,
                          sizeof(jr_timer_conf_t));
    if (t == NULL) {
        return jr_jobs_conf_error(err, errlen, "out of memory");
    }

    t->task = task;
    t->line = line;
    t->name = strdup(name);
    t->spec = strdup(spec);

    if (t->name == NULL || t->spec == NULL) {
        return jr_jobs_conf_error(err, errlen, "out of memory");
    }

    if (jr_schedule_parse(&t->schedule, spec, &why) != 0) {
        return jr_jobs_conf_error(err, errlen, "invalid schedule \"%s\" for "
                                  "\"%s\" (%s)", spec, name, why);
    }

    return 0;
}


static int
jr_jobs_conf_timer_key(jr_jobs_conf_t *jc, const char *name,
    const char *value, int line, char *err, size_t errlen)
{
    int  i;

    for (i = 0; i < JR_TIMER_N; i++) {
        if (strcmp(name, jr_timer_names[i]) == 0) {
            break;
        }
    }

    if (i == JR_TIMER_N) {
        return jr_jobs_conf_error(err, errlen, "unknown timer \"%s\" in "
                                  "[timers] (expected ttl_cleanup, retention "
                                  "or thumb_scan; cronhooks have their own "
                                  "sections)", name);
    }

    if (jc->timer_lines[i]) {
        return jr_jobs_conf_error(err, errlen, "duplicate key \"%s\" (first "
                                  "set on line %d)", name,
                                  jc->timer_lines[i]);
    }

    jc->timer_lines[i] = line;

    if (strcmp(value, "off") == 0) {
        jc->timer_off[i] = 1;
        return 0;
    }

    return jr_jobs_conf_add_timer(jc, name, jr_timer_names[i], value, line,
                                  err, errlen);
}


static int
jr_jobs_conf_path(const char *value, const char *dir, size_t dirlen,
    char **path)
{
    size_t  len;

    if (value[0] == '/') {
        dirlen = 0;
    }

    len = strlen(value);

    *path = malloc(dirlen + len + 1);
    if (*path == NULL) {
        return -1;
    }

    memcpy(*path, dir, dirlen);
    memcpy(*path + dirlen, value, len + 1);

    return 0;
}


static int
jr_jobs_conf_secrets(jr_cronhook_conf_t *ch, const char *value, char *err,
    size_t errlen)
{
    char    *copy, *tok, *save;
    size_t   n;

    copy = strdup(value);
    if (copy == NULL) {
        return jr_jobs_conf_error(err, errlen, "out of memory");
    }

    n = 0;

    for (tok = strtok_r(copy, " \t", &save); tok != NULL;
         tok = strtok_r(NULL, " \t", &save))
    {
        /* the value itself is never repeated in a message */
        if (n == JR_CRONHOOK_SECRETS_MAX
            || blog_webhook_key_decode(tok, strlen(tok), &ch->keys[n]) != 0)
        {
            memset(copy, 0, strlen(value));
            free(copy);
            return jr_jobs_conf_error(err, errlen, "invalid secret in "
                                      "[cronhook.%s] (expected one or two "
                                      "\"whsec_\" followed by the base64 of "
                                      "%d to %d bytes)", ch->name,
                                      BLOG_WEBHOOK_KEY_MIN,
                                      BLOG_WEBHOOK_KEY_MAX);
        }

        n++;
    }

    memset(copy, 0, strlen(value));
    free(copy);

    ch->nkeys = n;

    return 0;
}


static int
jr_jobs_conf_cronhook_key(jr_jobs_conf_t *jc, const char *name,
    const char *value, int line, char *err, size_t errlen)
{
    long                 secs;
    size_t               i;
    char                 timer[sizeof("cronhook.") + JR_NAME_MAX];
    jr_cronhook_conf_t  *ch;

    ch = &jc->cronhooks[jc->current];

    for (i = 0; i < sizeof(jr_cronhook_keys) / sizeof(char *); i++) {
        if (strcmp(name, jr_cronhook_keys[i]) == 0) {
            break;
        }
    }

    if (i == sizeof(jr_cronhook_keys) / sizeof(char *)) {
        return jr_jobs_conf_error(err, errlen, "unknown key \"%s\" in "
                                  "[cronhook.%s] (expected url, secret, "
                                  "schedule or timeout)", name, ch->name);
    }

    if (ch->seen[i]) {
        return jr_jobs_conf_error(err, errlen, "duplicate key \"%s\" (first "
                                  "set on line %d)", name, ch->seen[i]);
    }

    ch->seen[i] = line;

    switch (i) {

    case 0:
        if (strncmp(value, "http://", 7) != 0
            && strncmp(value, "https://", 8) != 0)
        {
            return jr_jobs_conf_error(err, errlen, "invalid url \"%s\" "
                                      "(expected http:// or https://)",
                                      value);
        }

        ch->url = strdup(value);
        if (ch->url == NULL) {
            return jr_jobs_conf_error(err, errlen, "out of memory");
        }

        return 0;

    case 1:
        return jr_jobs_conf_secrets(ch, value, err, errlen);

    case 2:
        snprintf(timer, sizeof(timer), "cronhook.%s", ch->name);
        return jr_jobs_conf_add_timer(jc, timer, JR_TASK_CRONHOOK, value,
                                      line, err, errlen);

    default:
        if (jr_jobs_conf_duration(value, &secs) != 0
            || secs > JR_TIMEOUT_MAX)
        {
            return jr_jobs_conf_error(err, errlen, "invalid timeout \"%s\" "
                                      "(expected a duration from 1s to 1h)",
                                      value);
        }

        ch->timeout = (unsigned) secs;
        return 0;
    }
}


static int
jr_jobs_conf_retention_key(jr_jobs_conf_t *jc, const char *name,
    const char *value, const char *dir, size_t dirlen, int line, char *err,
    size_t errlen)
{
    size_t                i;
    jr_retention_conf_t  *rt;

    rt = &jc->retention[jc->current];

    for (i = 0; i < sizeof(jr_retention_keys) / sizeof(char *); i++) {
        if (strcmp(name, jr_retention_keys[i]) == 0) {
            break;
        }
    }

    if (i == sizeof(jr_retention_keys) / sizeof(char *)) {
        return jr_jobs_conf_error(err, errlen, "unknown key \"%s\" in "
                                  "[retention.%s] (expected path, pattern or "
                                  "max_age)", name, rt->name);
    }

    if (rt->seen[i]) {
        return jr_jobs_conf_error(err, errlen, "duplicate key \"%s\" (first "
                                  "set on line %d)", name, rt->seen[i]);
    }

    rt->seen[i] = line;

    switch (i) {

    case 0:
        if (jr_jobs_conf_path(value, dir, dirlen, &rt->path) != 0) {
            return jr_jobs_conf_error(err, errlen, "out of memory");
        }

        return 0;

    case 1:
        if (strchr(value, '/') != NULL) {
            return jr_jobs_conf_error(err, errlen, "invalid pattern \"%s\" "
                                      "(a file name pattern, without \"/\")",
                                      value);
        }

        rt->pattern = strdup(value);
        if (rt->pattern == NULL) {
            return jr_jobs_conf_error(err, errlen, "out of memory");
        }

        return 0;

    default:
        if (jr_jobs_conf_duration(value, &rt->max_age) != 0) {
            return jr_jobs_conf_error(err, errlen, "invalid max_age \"%s\" "
                                      "(expected a duration such as 12h or "
                                      "30d)", value);
        }

        return 0;
    }
}


int
jr_jobs_conf_section_key(jr_jobs_conf_t *jc, const char *name,
    const char *value, const char *dir, size_t dirlen, int line, char *err,
    size_t errlen)
{
    switch (jc->section) {

    case JR_SECTION_TIMERS:
        return jr_jobs_conf_timer_key(jc, name, value, line, err, errlen);

    case JR_SECTION_CRONHOOK:
        return jr_jobs_conf_cronhook_key(jc, name, value, line, err, errlen);

    case JR_SECTION_RETENTION:
        return jr_jobs_conf_retention_key(jc, name, value, dir, dirlen, line,
                                          err, errlen);
    }

    return jr_jobs_conf_error(err, errlen, "key \"%s\" outside a section",
                              name);
}


int
jr_jobs_conf_finish(jr_jobs_conf_t *jc, int *line, char *err, size_t errlen)
{
    int          i, needs;
    size_t       k;
    const char  *what;

    *line = 0;

    for (k = 0; k < jc->ncronhooks; k++) {
        for (i = 0; i < 3; i++) {
            if (jc->cronhooks[k].seen[i] == 0) {
                *line = jc->cronhooks[k].line;
                return jr_jobs_conf_error(err, errlen, "missing required key "
                                          "\"%s\" in [cronhook.%s]",
                                          jr_cronhook_keys[i],
                                          jc->cronhooks[k].name);
            }
        }
    }

    for (k = 0; k < jc->nretention; k++) {
        if (jc->retention[k].seen[0] == 0 || jc->retention[k].seen[2] == 0) {
            *line = jc->retention[k].line;
            return jr_jobs_conf_error(err, errlen, "missing required key "
                                      "\"%s\" in [retention.%s]",
                                      jc->retention[k].seen[0] ? "max_age"
                                                               : "path",
                                      jc->retention[k].name);
        }
    }

    for (i = 0; i < JR_TIMER_N; i++) {
        needs = (i == JR_TIMER_TTL_CLEANUP && jc->ttl_db == NULL)
                || (i == JR_TIMER_THUMB_SCAN && jc->media_root == NULL);
        what = i == JR_TIMER_TTL_CLEANUP ? "ttl_db" : "media_root";

        if (needs && jc->timer_lines[i] && !jc->timer_off[i]) {
            *line = jc->timer_lines[i];
            return jr_jobs_conf_error(err, errlen, "timer \"%s\" needs %s in "
                                      "[jobrunner]", jr_timer_names[i], what);
        }

        if (!needs && jc->timer_lines[i] == 0
            && jr_jobs_conf_add_timer(jc, jr_timer_names[i],
                                      jr_timer_names[i], jr_timer_defaults[i],
                                      0, err, errlen) != 0)
        {
            return -1;
        }
    }

    if (jc->thumb_dir == NULL) {
        jc->thumb_dir = strdup("thumbs");
        if (jc->thumb_dir == NULL) {
            return jr_jobs_conf_error(err, errlen, "out of memory");
        }
    }

    return 0;
}
