/*
 * The jobrunner's configuration: the keys of [jobrunner] that are the
 * process's own, and the table of every section, read by the engine
 * (jr_conf.c).
 */

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blog_split.h"
#include "core/jr_conf.h"
#include "core/jr_config.h"
#include "core/jr_log.h"


#define JR_CONFIG(member)  JR_CONF_FIELD(jr_config_t, member)


static int
jr_config_set_log_level(jr_conf_t *cf, const jr_conf_key_t *key, void *conf,
    const char *value)
{
    int  *level = (int *) ((char *) conf + key->offset);

    *level = jr_log_level_parse(value);
    if (*level == -1) {
        return jr_conf_invalid(cf, key, value, "expected error, warn, "
                               "notice, info or debug");
    }

    return 0;
}


static const jr_conf_type_t  jr_config_log_level = {
    jr_config_set_log_level, 0
};

/*
 * analytics_db and queue_db default to the files beside data_db, where the
 * module looks for them unless told otherwise (blog_split.h).
 */
static int
jr_config_finish(jr_conf_t *cf, void *conf)
{
    size_t        n;
    jr_config_t  *c = conf;
    char        **path, **paths[] = { &c->analytics_db, &c->queue_db };
    const char   *names[] = { "analytics.db", "queue.db" };

    for (n = 0; n < 2; n++) {
        path = paths[n];

        if (*path != NULL || c->data_db == NULL) {
            continue;
        }

        *path = malloc(strlen(c->data_db) + sizeof("/analytics.db"));
        if (*path == NULL) {
            return jr_conf_error(cf, "out of memory");
        }

        (void) blog_db_sibling(*path, strlen(c->data_db)
                               + sizeof("/analytics.db"), c->data_db,
                               names[n]);
    }

    return 0;
}


static const jr_conf_key_t  jr_config_keys[] = {
    { "data_db", &jr_conf_path, JR_CONFIG(data_db), .required = 1 },
    { "analytics_db", &jr_conf_path, JR_CONFIG(analytics_db) },
    { "queue_db", &jr_conf_path, JR_CONFIG(queue_db) },
    /* "-" is stderr, which a NULL path already means */
    { "log", &jr_conf_path, JR_CONFIG(log), .data = "-" },
    { "log_level", &jr_config_log_level, JR_CONFIG(log_level),
      .def = "info" },
    { "pid", &jr_conf_path, JR_CONFIG(pid) },
    { "threadpool_size", &jr_conf_number, JR_CONFIG(threadpool_size),
      .min = 1, .max = 128, .def = "4" },
    { NULL }
};

static const jr_conf_section_t  jr_config_jobrunner = {
    .name = "jobrunner", .flags = JR_CONF_IMPLICIT, .keys = jr_config_keys,
    .finish = jr_config_finish
};

/*
 * Every section, in the order they are finished: one may rely on what
 * those before it have done ([mirror] takes [s3] finished and adds timers
 * to jobs'; [replica] looks at them all).
 */
static const jr_conf_part_t  jr_config_parts[] = {
    { &jr_config_jobrunner, 0 },
    { &jr_jobs_conf_jobrunner, offsetof(jr_config_t, jobs) },
    { &jr_events_conf_jobrunner, offsetof(jr_config_t, events) },
    { &jr_sse_conf_jobrunner, offsetof(jr_config_t, sse) },
    { &jr_jobs_conf_timers, offsetof(jr_config_t, jobs) },
    { &jr_jobs_conf_cronhook, offsetof(jr_config_t, jobs) },
    { &jr_jobs_conf_retention, offsetof(jr_config_t, jobs) },
    { &jr_s3_conf_section, offsetof(jr_config_t, s3) },
    { &jr_backup_conf_section, offsetof(jr_config_t, backup) },
    { &jr_mirror_conf_section, offsetof(jr_config_t, mirror) },
    { &jr_mail_conf_section, offsetof(jr_config_t, mail) },
    { &jr_report_conf_section, offsetof(jr_config_t, report) },
    { &jr_nats_conf_section, offsetof(jr_config_t, nats) },
    { &jr_replica_conf_section, offsetof(jr_config_t, replica) },
};

#define JR_CONFIG_NPARTS                                                      \
    (sizeof(jr_config_parts) / sizeof(jr_config_parts[0]))


static void
jr_config_init(jr_config_t *cf)
{
    size_t  i;

    memset(cf, 0, sizeof(jr_config_t));

    for (i = 0; i < JR_CONFIG_NPARTS; i++) {
        jr_conf_init(jr_config_parts[i].section,
                     (char *) cf + jr_config_parts[i].offset);
    }
}


void
jr_config_free(jr_config_t *cf)
{
    size_t  i;

    for (i = 0; i < JR_CONFIG_NPARTS; i++) {
        jr_conf_free(jr_config_parts[i].section,
                     (char *) cf + jr_config_parts[i].offset);
    }

    jr_config_init(cf);
}


int
jr_config_parse(jr_config_t *cf, const char *file, const char *text,
    size_t len, char *err, size_t errlen)
{
    memset(cf, 0, sizeof(jr_config_t));

    if (jr_conf_parse(jr_config_parts, JR_CONFIG_NPARTS, cf, file, text, len,
                      err, errlen)
        != 0)
    {
        jr_config_free(cf);
        return -1;
    }

    return 0;
}


int
jr_config_load(jr_config_t *cf, const char *file, char *err, size_t errlen)
{
    int      rc;
    char    *text, *grown;
    FILE    *f;
    size_t   len, size, n;

    jr_config_init(cf);

    f = fopen(file, "re");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot open: %s", file, strerror(errno));
        return -1;
    }

    text = NULL;
    len = 0;
    size = 0;

    do {
        if (len == size) {
            size = size ? size * 2 : 4096;

            grown = realloc(text, size);
            if (grown == NULL) {
                snprintf(err, errlen, "%s: out of memory", file);
                free(text);
                fclose(f);
                return -1;
            }

            text = grown;
        }

        n = fread(text + len, 1, size - len, f);
        len += n;

    } while (n > 0);

    if (ferror(f)) {
        snprintf(err, errlen, "%s: cannot read: %s", file, strerror(errno));
        free(text);
        fclose(f);
        return -1;
    }

    fclose(f);

    rc = jr_config_parse(cf, file, text, len, err, errlen);

    free(text);

    return rc;
}
