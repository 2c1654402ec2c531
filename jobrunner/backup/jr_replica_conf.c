/*
 * The [replica] section; see jr_replica_conf.h.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/jr_backup_conf.h"
#include "jobs/jr_jobs_conf.h"
#include "backup/jr_replica_conf.h"


enum {
    JR_REPLICA_KEY_PREFIX = 0,
    JR_REPLICA_KEY_LOCAL_DIR,
    JR_REPLICA_KEY_POLL,
    JR_REPLICA_KEY_PAGES,
    JR_REPLICA_KEY_LAG,
    JR_REPLICA_KEY_N
};

static const char *const  jr_replica_keys[JR_REPLICA_KEY_N] = {
    "prefix", "local_dir", "poll_ms", "checkpoint_pages", "lag_alert"
};


static int __attribute__((format(printf, 3, 4)))
jr_replica_conf_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);

    return -1;
}


void
jr_replica_conf_init(jr_replica_conf_t *rc)
{
    memset(rc, 0, sizeof(jr_replica_conf_t));

    rc->poll_ms = 200;
    rc->checkpoint_pages = 1000;
    rc->lag_alert = 10;
}


void
jr_replica_conf_free(jr_replica_conf_t *rc)
{
    free(rc->prefix);
    free(rc->local_dir);

    jr_replica_conf_init(rc);
}


int
jr_replica_conf_section(jr_replica_conf_t *rc, int line, char *err,
    size_t errlen)
{
    if (rc->line) {
        return jr_replica_conf_error(err, errlen, "duplicate section "
                                     "\"[replica]\" (first on line %d)",
                                     rc->line);
    }

    rc->line = line;

    return 0;
}


/* Digits only, min..max. */
static int
jr_replica_conf_uint(const char *value, unsigned min, unsigned max,
    unsigned *out)
{
    size_t         len;
    unsigned long  n;

    len = strlen(value);

    if (len == 0 || len > 9 || strspn(value, "0123456789") != len) {
        return -1;
    }

    n = strtoul(value, NULL, 10);
    if (n < min || n > max) {
        return -1;
    }

    *out = (unsigned) n;

    return 0;
}


int
jr_replica_conf_key(jr_replica_conf_t *rc, const char *name,
    const char *value, const char *dir, size_t dirlen, int line, char *err,
    size_t errlen)
{
    int      i;
    size_t   len;

    for (i = 0; i < JR_REPLICA_KEY_N; i++) {
        if (strcmp(name, jr_replica_keys[i]) == 0) {
            break;
        }
    }

    if (i == JR_REPLICA_KEY_N) {
        return jr_replica_conf_error(err, errlen, "unknown key \"%s\" in "
                                     "[replica]", name);
    }

    if (rc->seen[i]) {
        return jr_replica_conf_error(err, errlen, "duplicate key \"%s\" "
                                     "(first set on line %d)", name,
                                     rc->seen[i]);
    }

    rc->seen[i] = line;

    switch (i) {

    case JR_REPLICA_KEY_PREFIX:
        if (jr_backup_conf_prefix(value) != 0) {
            return jr_replica_conf_error(err, errlen, "invalid prefix \"%s\" "
                                         "(expected the primary's [backup] "
                                         "prefix, such as blog/data.db)",
                                         value);
        }

        rc->prefix = strdup(value);
        return rc->prefix ? 0 : jr_replica_conf_error(err, errlen,
                                                      "out of memory");

    case JR_REPLICA_KEY_LOCAL_DIR:
        len = value[0] == '/' ? 0 : dirlen;
        rc->local_dir = malloc(len + strlen(value) + 1);
        if (rc->local_dir == NULL) {
            return jr_replica_conf_error(err, errlen, "out of memory");
        }

        memcpy(rc->local_dir, dir, len);
        strcpy(rc->local_dir + len, value);
        return 0;

    case JR_REPLICA_KEY_POLL:
        if (jr_replica_conf_uint(value, 10, 60000, &rc->poll_ms) != 0) {
            return jr_replica_conf_error(err, errlen, "invalid poll_ms "
                                         "\"%s\" (expected 10..60000)",
                                         value);
        }

        return 0;

    case JR_REPLICA_KEY_PAGES:
        if (jr_replica_conf_uint(value, 10, 1000000, &rc->checkpoint_pages)
            != 0)
        {
            return jr_replica_conf_error(err, errlen, "invalid "
                                         "checkpoint_pages \"%s\" (expected "
                                         "10..1000000)", value);
        }

        return 0;
    }

    if (jr_jobs_conf_duration(value, &rc->lag_alert) != 0) {
        return jr_replica_conf_error(err, errlen, "invalid lag_alert \"%s\" "
                                     "(expected a duration such as 30s, 10m, "
                                     "2h or 7d)", value);
    }

    return 0;
}


int
jr_replica_conf_finish(jr_replica_conf_t *rc, int has_s3, int has_backup,
    int has_mirror, int consumes, int local_events, const char *data_db,
    int *line, char *err, size_t errlen)
{
    *line = rc->line;

    if (!has_s3) {
        return jr_replica_conf_error(err, errlen, "[replica] needs an [s3] "
                                     "section: the bucket the primary "
                                     "replicates to");
    }

    /* a replica's data.db is written by its follower only */
    if (has_backup) {
        return jr_replica_conf_error(err, errlen, "[replica] and [backup] "
                                     "exclude each other: the primary backs "
                                     "data.db up, its replicas follow it");
    }

    if (has_mirror) {
        return jr_replica_conf_error(err, errlen, "[replica] and [mirror] "
                                     "exclude each other: mirrors run on the "
                                     "primary (their jobs are in data.db)");
    }

    if (consumes) {
        return jr_replica_conf_error(err, errlen, "[replica] with a NATS "
                                     "consumer: analytics are written on the "
                                     "primary (set [nats] role = publisher)");
    }

    if (local_events) {
        return jr_replica_conf_error(err, errlen, "[replica] with an events "
                                     "socket or spool but no [nats]: a "
                                     "replica's events go to the primary "
                                     "through NATS (docs/events.md)");
    }

    if (rc->prefix == NULL) {
        rc->prefix = strdup("data.db");
    }

    if (rc->local_dir == NULL
        && asprintf(&rc->local_dir, "%s-replica", data_db) < 0)
    {
        rc->local_dir = NULL;
    }

    if (rc->prefix == NULL || rc->local_dir == NULL) {
        return jr_replica_conf_error(err, errlen, "out of memory");
    }

    return 0;
}
